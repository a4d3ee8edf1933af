use crate::{ByteStream, Checksum};

/// Metadata stored with an object (and with a multipart upload until it completes).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ObjectMeta {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
    /// x-amz-meta-*: (name lowercased without the prefix, value), in the order received.
    pub user: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// Without quotes: hex MD5, or hex(MD5 of the part MD5s)-N for a multipart object.
    pub etag: String,
    /// Millisecond precision.
    pub last_modified: time::OffsetDateTime,
    pub meta: ObjectMeta,
    pub checksum: Option<Checksum>,
    /// Number of parts of a multipart object.
    pub parts_count: Option<u32>,
}

/// The precondition of a write, evaluated atomically with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteCondition {
    Always,
    /// `If-None-Match: *`: the key must not exist.
    IfNoneMatchAny,
    /// `If-Match: <etag>` (without quotes): the key must exist with this ETag; `NoSuchKey` when
    /// it does not exist, `PreconditionFailed` when its ETag differs.
    IfMatch(String),
}

pub struct GetOutput {
    pub info: ObjectInfo,
    /// The resolved inclusive range; None = the whole object (no range was asked for).
    pub range: Option<(u64, u64)>,
    pub body: ByteStream,
}

pub struct ListParams {
    pub prefix: String,
    /// None or empty: no grouping.
    pub delimiter: Option<String>,
    /// Exclusive: list keys (and common prefixes) strictly after this.
    pub after: Option<String>,
    pub max_keys: usize,
}

#[derive(Debug)]
pub struct ListPage {
    pub objects: Vec<ObjectInfo>,
    /// Interleaved with `objects` in byte order; each counted once toward `max_keys`.
    pub common_prefixes: Vec<String>,
    /// Entries remain after this page.
    pub is_truncated: bool,
    /// The last key or common prefix returned (for NextMarker / continuation).
    pub last: Option<String>,
}
