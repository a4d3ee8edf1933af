//! Where a Region's bytes live. Object and part data are files named by generated ids under
//! `objects/<first two hex digits>/<id>`, never by key; bodies are staged under `tmp/` on the
//! same filesystem, so committing one is a rename.

use crate::stage::CHUNK;
use crate::{ByteStream, Error};
use futures::StreamExt as _;
use std::io::{Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use tokio::io::AsyncReadExt as _;

#[derive(Debug, Clone)]
pub(crate) struct Layout {
    root: PathBuf,
}

impl Layout {
    pub(crate) fn create(root: &Path) -> Result<Self, Error> {
        let layout = Layout {
            root: root.to_path_buf(),
        };
        std::fs::create_dir_all(layout.tmp_dir()).map_err(Error::Io)?;
        std::fs::create_dir_all(layout.root.join("objects")).map_err(Error::Io)?;
        Ok(layout)
    }

    pub(crate) fn db_path(&self) -> PathBuf {
        self.root.join("region.sqlite3")
    }

    pub(crate) fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    pub(crate) fn new_data_id() -> String {
        uuid::Uuid::new_v4().simple().to_string()
    }

    pub(crate) fn data_path(&self, id: &str) -> PathBuf {
        let fan = id.get(..2).unwrap_or("00");
        self.root.join("objects").join(fan).join(id)
    }

    /// Removes data files no row refers to any more. Best effort: a failure leaves an orphan
    /// file, which wastes space but is never read.
    pub(crate) fn remove_data<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        for id in ids {
            let path = self.data_path(id);
            if let Err(e) = std::fs::remove_file(&path)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %path.display(), error = %e, "could not remove data file");
            }
        }
    }
}

/// Opens a data file positioned at `first` (blocking).
pub(crate) fn open_at(path: &Path, first: u64) -> std::io::Result<std::fs::File> {
    let mut f = std::fs::File::open(path)?;
    if first > 0 {
        f.seek(SeekFrom::Start(first))?;
    }
    Ok(f)
}

/// Streams `len` bytes from an open file.
pub(crate) fn read_stream(file: std::fs::File, len: u64) -> ByteStream {
    let reader = tokio::fs::File::from_std(file).take(len);
    tokio_util::io::ReaderStream::with_capacity(reader, CHUNK).boxed()
}
