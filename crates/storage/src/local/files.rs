//! Where a Region's bytes live. Object and part data are files named by generated ids under
//! `objects/<first two hex digits>/<id>`, never by key; bodies are staged under `tmp/` on the
//! same filesystem, so committing one is a rename.

use crate::stage::CHUNK;
use crate::{ByteStream, Error};
use bytes::Bytes;
use futures::StreamExt as _;
use std::io::{Read as _, Seek as _, SeekFrom};
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

/// Objects up to this size are read at once where their file is opened, and where the GET is
/// served (`Db::read_now`): no hand-off to the blocking pool, and no streaming buffer larger
/// than the object. Larger ones stream from the blocking pool.
pub(crate) const SMALL_READ: u64 = 64 * 1024;

/// An object's bytes, opened for a GET.
pub(crate) enum Opened {
    Small(Bytes),
    File(std::fs::File),
}

impl Opened {
    /// Reads a small object now (blocking); keeps a large one open for streaming.
    pub(crate) fn new(file: std::fs::File, len: u64) -> std::io::Result<Opened> {
        if len > SMALL_READ {
            return Ok(Opened::File(file));
        }
        let mut buf = Vec::with_capacity(len as usize);
        file.take(len).read_to_end(&mut buf)?;
        if (buf.len() as u64) < len {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "an object's data file is shorter than its size",
            ));
        }
        Ok(Opened::Small(Bytes::from(buf)))
    }

    /// Streams `len` bytes.
    pub(crate) fn into_stream(self, len: u64) -> ByteStream {
        match self {
            Opened::Small(bytes) => futures::stream::once(async move { Ok(bytes) }).boxed(),
            Opened::File(file) => {
                let reader = tokio::fs::File::from_std(file).take(len);
                tokio_util::io::ReaderStream::with_capacity(reader, CHUNK).boxed()
            }
        }
    }
}
