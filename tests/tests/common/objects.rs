//! Helpers of the object API tests: clients in both addressing styles, a "stack + a bucket in
//! Region X" target that every object family runs against (so each storage backend passes the
//! same suite), deterministic data, independent digests (MD5, CRCs, SHA-256) and body readers.

use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_s3::{config::BehaviorVersion, primitives::ByteStream};
use base64::Engine as _;
use md5::{Digest as _, Md5};
use sha2::Sha256;

use mrap_testkit::MotoServer;

use super::{ACCESS_KEY, SECRET_KEY, Stack, create_bucket_with, credentials, http_client, s3};

/// How the client addresses a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `http://127.0.0.1:PORT/{bucket}/{key}`
    Path,
    /// `http://{bucket}.localhost:PORT/{key}`: the gateway treats `{bucket}.localhost` as
    /// virtual-host style without any configuration (`host.rs`), and [`super::Loopback`]
    /// resolves every name, so the SDK's own endpoint rules put the bucket in the host.
    VirtualHost,
}

/// S3 client of the main account, path style (`force_path_style(true)`).
pub fn s3_client_path_style(stack: &Stack, region: &str) -> aws_sdk_s3::Client {
    s3(stack, region)
}

/// S3 client of the main account, virtual-host style.
pub fn s3_client_vhost(stack: &Stack, region: &str) -> aws_sdk_s3::Client {
    s3_client_vhost_as(stack, region, ACCESS_KEY, SECRET_KEY)
}

/// Virtual-host style client: the endpoint is `http://localhost:PORT` (not an IP address, which
/// the SDK's endpoint rules would force into path style) and `force_path_style` is off.
pub fn s3_client_vhost_as(
    stack: &Stack,
    region: &str,
    access_key: &str,
    secret: &str,
) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(region.to_owned()))
        .credentials_provider(credentials(access_key, secret))
        .endpoint_url(format!("http://localhost:{}", stack.addr.port()))
        .force_path_style(false)
        .http_client(http_client())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

pub fn s3_client(stack: &Stack, region: &str, style: Style) -> aws_sdk_s3::Client {
    match style {
        Style::Path => s3_client_path_style(stack, region),
        Style::VirtualHost => s3_client_vhost(stack, region),
    }
}

/// A unique, DNS-compatible bucket name without dots (virtual-host style over plain HTTP needs
/// that): `{tag}-{pid}-{n}`, at most 63 characters.
pub fn unique_bucket_name(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let tag: String = tag
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'0'..=b'9' => b as char,
            b'A'..=b'Z' => b.to_ascii_lowercase() as char,
            _ => '-',
        })
        .take(40)
        .collect();
    format!(
        "{tag}-{}-{}",
        std::process::id() % 100_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Creates a fresh bucket in `region` (always path style: bucket addressing is not what the
/// object tests are about) and returns its name.
pub async fn fresh_bucket(stack: &Stack, region: &str, tag: &str) -> String {
    let name = unique_bucket_name(tag);
    create_bucket_with(&s3_client_path_style(stack, region), &name, region).await;
    name
}

/// What an object family runs against: a stack, a Region (whose storage backend is under test)
/// and an addressing style. Every family function takes one, so the local backend and an
/// S3-compatible backend run exactly the same checks.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub stack: &'a Stack,
    pub region: &'a str,
    pub style: Style,
}

impl<'a> Target<'a> {
    pub fn new(stack: &'a Stack, region: &'a str, style: Style) -> Self {
        Self {
            stack,
            region,
            style,
        }
    }

    /// The main account's client in this target's style, signing for its Region.
    pub fn client(&self) -> aws_sdk_s3::Client {
        s3_client(self.stack, self.region, self.style)
    }

    /// Another account's client in this target's style.
    pub fn client_as(&self, access_key: &str, secret: &str) -> aws_sdk_s3::Client {
        match self.style {
            Style::Path => super::s3_as(self.stack, self.region, access_key, secret),
            Style::VirtualHost => s3_client_vhost_as(self.stack, self.region, access_key, secret),
        }
    }

    pub async fn fresh_bucket(&self, tag: &str) -> String {
        fresh_bucket(self.stack, self.region, tag).await
    }
}

// ---------------------------------------------------------------- deterministic data

/// xorshift64*: deterministic bytes without keeping copies of large objects around — a part can
/// be regenerated from its seed whenever it is needed again.
pub struct Prng(u64);

impl Prng {
    pub fn new(seed: u64) -> Self {
        // A zero state would stay zero.
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        let mut chunks = buf.chunks_exact_mut(8);
        for chunk in &mut chunks {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        let last = self.next_u64().to_le_bytes();
        let n = rest.len();
        rest.copy_from_slice(&last[..n]);
    }

    pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        Self::new(seed).fill(&mut v);
        v
    }
}

// ---------------------------------------------------------------- digests (independent of the server)

pub fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(md5(data))
}

/// The ETag S3 gives a single-part object: the quoted hex MD5 of its bytes.
pub fn etag_of(data: &[u8]) -> String {
    format!("\"{}\"", md5_hex(data))
}

/// The ETag of a completed multipart upload: hex MD5 of the concatenated binary MD5s of the
/// parts, then `-N`, quoted.
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut h = Md5::new();
    for m in part_md5s {
        h.update(m);
    }
    format!("\"{}-{}\"", hex::encode(h.finalize()), part_md5s.len())
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reflected CRC-32 family, bit by bit (the test bodies are small; speed does not matter).
fn crc32_reflected(data: &[u8], poly: u32) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ poly
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `x-amz-checksum-crc32`: base64 of the big-endian CRC-32 (IEEE).
pub fn crc32_b64(data: &[u8]) -> String {
    b64(&crc32_reflected(data, 0xEDB8_8320).to_be_bytes())
}

/// `x-amz-checksum-crc32c`: base64 of the big-endian CRC-32C (Castagnoli).
pub fn crc32c_b64(data: &[u8]) -> String {
    b64(&crc32_reflected(data, 0x82F6_3B78).to_be_bytes())
}

/// `x-amz-checksum-crc64nvme`: base64 of the big-endian CRC-64/NVME.
pub fn crc64nvme_b64(data: &[u8]) -> String {
    let mut crc = !0u64;
    for &b in data {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x9A6C_9329_AC4B_C9B5
            } else {
                crc >> 1
            };
        }
    }
    b64(&(!crc).to_be_bytes())
}

pub fn sha256_b64(data: &[u8]) -> String {
    b64(&Sha256::digest(data))
}

// ---------------------------------------------------------------- bodies

/// The whole body of a response.
pub async fn collect(body: ByteStream) -> Vec<u8> {
    body.collect()
        .await
        .unwrap_or_else(|e| panic!("reading a response body: {e}"))
        .into_bytes()
        .to_vec()
}

/// MD5 and length of a body, streamed chunk by chunk (for objects too large to hold twice).
pub async fn stream_md5(mut body: ByteStream) -> ([u8; 16], u64) {
    let mut h = Md5::new();
    let mut n = 0u64;
    while let Some(chunk) = body
        .try_next()
        .await
        .unwrap_or_else(|e| panic!("reading a response body: {e}"))
    {
        h.update(&chunk);
        n += chunk.len() as u64;
    }
    (h.finalize().into(), n)
}

/// Writes `data` to a fresh file under the temp dir and returns a streaming body of it: the SDK
/// sends a body it cannot hold in memory as `aws-chunked` with a trailing checksum.
pub async fn file_body(data: &[u8], tag: &str) -> (ByteStream, TempFile) {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "mrap-e2e-{}-{}-{tag}.bin",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, data).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    let body = ByteStream::from_path(&path)
        .await
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    (body, TempFile(path))
}

/// A file removed on drop.
pub struct TempFile(pub std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Percent-decodes `%XX` escapes (what `encoding-type=url` listings carry); `+` stays `+`
/// (S3 writes a space as `%20`). Panics on invalid UTF-8 after decoding.
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        if bytes[i] == b'%'
            && let Some(Ok(v)) = hex.map(|h| u8::from_str_radix(h, 16))
        {
            out.push(v);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| panic!("{s:?} does not decode to UTF-8: {e}"))
}

// ---------------------------------------------------------------- an S3-compatible peer

/// The Region the backend suite backs with the S3-compatible server.
pub const S3_BACKED_REGION: &str = "ap-southeast-2";

/// The default Regions with [`S3_BACKED_REGION`] keeping its buckets on `peer` instead of the
/// local backend: `"storage": "s3"` (path style, moto's any-key credentials inline, every bucket
/// `B` kept as `mrap-B` to exercise the prefix).
pub fn s3_backed_regions(peer: &MotoServer) -> Result<mrap_testkit::RegionsConfig, String> {
    let mut regions = mrap_testkit::RegionsConfig::load(None)?;
    let spec = regions
        .regions
        .iter_mut()
        .find(|r| r.name.as_str() == S3_BACKED_REGION)
        .ok_or_else(|| format!("the default Regions have no {S3_BACKED_REGION}"))?;
    spec.storage = "s3".into();
    spec.endpoint = Some(peer.endpoint());
    spec.bucket_prefix = "mrap-".into();
    spec.access_key = Some("test".into());
    spec.secret_key = Some("test".into());
    Ok(regions)
}

/// A stack on [`s3_backed_regions`].
pub async fn stack_with_s3_backed_region(peer: &MotoServer) -> Result<Stack, String> {
    start_with_regions(s3_backed_regions(peer)?, peer).await
}

/// A stack on `regions`, one of which is kept on `peer`.
pub async fn start_with_regions(
    regions: mrap_testkit::RegionsConfig,
    peer: &MotoServer,
) -> Result<Stack, String> {
    Stack::start_with_regions(super::StackOptions::default(), regions)
        .await
        .map_err(|e| {
            format!(
                "starting a stack with {S3_BACKED_REGION} on {}: {e:#}",
                peer.endpoint()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digests the tests compare server answers with are themselves right (check values of
    /// the CRC catalogue for "123456789" and the reference's `hello world` examples).
    #[test]
    fn independent_digests_match_known_values() {
        let check = b"123456789";
        assert_eq!(crc32_b64(check), b64(&0xCBF4_3926u32.to_be_bytes()));
        assert_eq!(crc32c_b64(check), b64(&0xE306_9283u32.to_be_bytes()));
        assert_eq!(
            crc64nvme_b64(check),
            b64(&0xAE8B_1486_0A79_9888u64.to_be_bytes())
        );
        assert_eq!(crc32_b64(b"hello world"), "DUoRhQ==");
        assert_eq!(crc32_b64(b""), "AAAAAA==");
        assert_eq!(etag_of(b"bar"), "\"37b51d194a7513e45b56f6524f2d51f2\"");
        assert_eq!(url_decode("a%20b%2Bc+%C3%A9"), "a b+c+é");
    }
}
