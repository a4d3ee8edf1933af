//! Staging: a request body streamed to a temporary file with its digests computed in the same
//! pass, so the gateway can verify them before the object becomes visible.

use crate::checksum::ChecksumHasher;
use crate::{ByteStream, Checksum, ChecksumAlgorithm, Error};
use bytes::Bytes;
use futures::StreamExt as _;
use md5::{Digest as _, Md5};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

/// What to compute while staging, besides size and MD5 (always).
#[derive(Debug, Clone, Copy, Default)]
pub struct Wanted {
    pub sha256: bool,
    pub checksum: Option<ChecksumAlgorithm>,
}

#[derive(Debug, Clone)]
pub struct Digests {
    pub size: u64,
    pub md5: [u8; 16],
    pub sha256: Option<[u8; 32]>,
    /// A full-object checksum of the algorithm asked for.
    pub checksum: Option<Checksum>,
}

/// Bytes streamed to a temporary file with their digests computed, not yet visible. Dropping it
/// removes the temporary file. The caller checks the digests (Content-MD5, x-amz-checksum-*,
/// x-amz-content-sha256, trailers) and then commits it with put_object / upload_part.
#[derive(Debug)]
pub struct Staged {
    file: TempFile,
    digests: Digests,
}

impl Staged {
    pub fn digests(&self) -> &Digests {
        &self.digests
    }

    /// The staged size in bytes.
    pub fn len(&self) -> u64 {
        self.digests.size
    }

    pub fn is_empty(&self) -> bool {
        self.digests.size == 0
    }

    pub(crate) fn path(&self) -> &Path {
        &self.file.0
    }

    /// Moves the staged bytes to `dest` (same filesystem). After this the temporary file is
    /// gone; `dest` is the caller's to remove if it does not end up referenced.
    pub(crate) fn persist(self, dest: &Path) -> std::io::Result<()> {
        self.file.persist(dest)
    }

    /// Makes sure the digests carry a checksum of `algorithm`, reading the file back when staging
    /// was not asked for it (blocking).
    pub(crate) fn ensure_checksum(&mut self, algorithm: ChecksumAlgorithm) -> std::io::Result<()> {
        if self
            .digests
            .checksum
            .as_ref()
            .is_some_and(|c| c.algorithm == algorithm)
        {
            return Ok(());
        }
        let mut hasher = ChecksumHasher::new(algorithm);
        let mut file = std::fs::File::open(self.path())?;
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        self.digests.checksum = Some(Checksum::full_object(algorithm, hasher.finish()));
        Ok(())
    }
}

/// A temporary file removed when dropped (an empty path means it was moved away).
#[derive(Debug)]
struct TempFile(PathBuf);

impl TempFile {
    fn persist(mut self, dest: &Path) -> std::io::Result<()> {
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::rename(&self.0, dest)?;
        self.0 = PathBuf::new();
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            // NotFound is fine: nothing to clean up
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// Read size for files read back; bodies are written in whatever chunks the stream yields.
pub(crate) const CHUNK: usize = 256 * 1024;

/// How many chunks may wait between the body stream and the writer thread: bounds memory while
/// letting network reads overlap disk writes and hashing.
const QUEUE: usize = 4;

/// Streams `body` into a new file in `tmp_dir`. Hashing and writing run on a blocking thread
/// (MD5 of a large body would otherwise stall the async runtime); chunks reach it through a
/// bounded channel, so the body is never buffered whole.
pub(crate) async fn stage(
    tmp_dir: &Path,
    mut body: ByteStream,
    wanted: Wanted,
    max_size: u64,
) -> Result<Staged, Error> {
    let path = tmp_dir.join(format!("stage-{}", uuid::Uuid::new_v4().simple()));
    // Created here, not on the writer thread, so that a cancelled request (this future dropped)
    // always finds the file to remove.
    let file = std::fs::File::create_new(&path).map_err(Error::Io)?;
    let temp = TempFile(path);
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(QUEUE);
    let writer = tokio::task::spawn_blocking(move || write_and_hash(file, rx, wanted));

    let mut size = 0u64;
    let mut failed = None;
    while let Some(item) = body.next().await {
        match item {
            Ok(chunk) => {
                size = size.saturating_add(chunk.len() as u64);
                if size > max_size {
                    failed = Some(Error::EntityTooLarge { max: max_size });
                    break;
                }
                if tx.send(chunk).await.is_err() {
                    break; // the writer failed: its error is reported below
                }
            }
            Err(e) => {
                failed = Some(Error::Body(e));
                break;
            }
        }
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|e| Error::Backend(format!("staging writer: {e}")))?;
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(Staged {
        file: temp,
        digests: written.map_err(Error::Io)?,
    })
}

fn write_and_hash(
    file: std::fs::File,
    mut rx: tokio::sync::mpsc::Receiver<Bytes>,
    wanted: Wanted,
) -> std::io::Result<Digests> {
    let mut out = std::io::BufWriter::with_capacity(CHUNK, file);
    let mut size = 0u64;
    let mut md5 = Md5::new();
    let mut sha256 = wanted.sha256.then(<sha2::Sha256 as sha2::Digest>::new);
    let mut checksum = wanted.checksum.map(|a| (a, ChecksumHasher::new(a)));
    while let Some(chunk) = rx.blocking_recv() {
        out.write_all(&chunk)?;
        size += chunk.len() as u64;
        md5.update(&chunk);
        if let Some(h) = &mut sha256 {
            sha2::Digest::update(h, &chunk);
        }
        if let Some((_, h)) = &mut checksum {
            h.update(&chunk);
        }
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    // Durable before any metadata row can point at it: a crash leaves at worst an orphan file.
    file.sync_data()?;
    Ok(Digests {
        size,
        md5: md5.finalize().into(),
        sha256: sha256.map(|h| sha2::Digest::finalize(h).into()),
        checksum: checksum.map(|(a, h)| Checksum::full_object(a, h.finish())),
    })
}

/// A multipart object's bytes: its parts concatenated into one temporary file.
pub(crate) struct Assembled {
    file: TempFile,
    pub(crate) size: u64,
    /// Computed while copying when asked for (uploads created without a checksum algorithm end
    /// with S3's default, a full-object CRC64NVME).
    pub(crate) crc64nvme: Option<Checksum>,
}

impl Assembled {
    pub(crate) fn persist(self, dest: &Path) -> std::io::Result<()> {
        self.file.persist(dest)
    }
}

/// Concatenates `sources` into a new file in `tmp_dir` with a bounded buffer (blocking).
pub(crate) fn concatenate(
    tmp_dir: &Path,
    sources: &[PathBuf],
    crc64nvme: bool,
) -> std::io::Result<Assembled> {
    let path = tmp_dir.join(format!("assemble-{}", uuid::Uuid::new_v4().simple()));
    let mut out = std::fs::File::create_new(&path)?;
    let temp = TempFile(path);
    let mut crc = crc64nvme.then(|| ChecksumHasher::new(ChecksumAlgorithm::Crc64Nvme));
    let mut size = 0u64;
    let mut buf = vec![0u8; CHUNK];
    for source in sources {
        let mut input = std::fs::File::open(source)?;
        loop {
            let n = input.read(&mut buf)?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n])?;
            size += n as u64;
            if let Some(h) = &mut crc {
                h.update(&buf[..n]);
            }
        }
    }
    out.sync_data()?;
    Ok(Assembled {
        file: temp,
        size,
        crc64nvme: crc.map(|h| Checksum::full_object(ChecksumAlgorithm::Crc64Nvme, h.finish())),
    })
}
