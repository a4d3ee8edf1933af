use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use crc_fast::CrcAlgorithm;

/// The `x-amz-checksum-*` algorithms S3 accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgorithm {
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// The name S3 uses in headers and XML (`x-amz-checksum-algorithm`, `<ChecksumAlgorithm>`).
    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// Case-insensitive inverse of [`name`](Self::name).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The request/response header carrying this checksum.
    pub fn header(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// Length in bytes of the raw digest.
    pub fn digest_len(self) -> usize {
        match self {
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            ChecksumAlgorithm::Crc64Nvme => 8,
            ChecksumAlgorithm::Sha1 => 20,
            ChecksumAlgorithm::Sha256 => 32,
        }
    }

    /// The raw big-endian digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let mut h = ChecksumHasher::new(self);
        h.update(data);
        h.finish()
    }

    /// The crc-fast algorithm behind a CRC checksum; None for the SHA family.
    pub(crate) fn crc(self) -> Option<CrcAlgorithm> {
        match self {
            ChecksumAlgorithm::Crc32 => Some(CrcAlgorithm::Crc32IsoHdlc),
            ChecksumAlgorithm::Crc32c => Some(CrcAlgorithm::Crc32Iscsi),
            ChecksumAlgorithm::Crc64Nvme => Some(CrcAlgorithm::Crc64Nvme),
            ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256 => None,
        }
    }

    /// A CRC value as crc-fast returns it, as the big-endian bytes S3 sends.
    pub(crate) fn crc_bytes(self, value: u64) -> Vec<u8> {
        if self.digest_len() == 4 {
            // crc-fast returns 32-bit CRCs in the low half of a u64
            (value as u32).to_be_bytes().to_vec()
        } else {
            value.to_be_bytes().to_vec()
        }
    }

    /// Inverse of [`crc_bytes`](Self::crc_bytes); None when the length is not this CRC's.
    pub(crate) fn crc_value(self, bytes: &[u8]) -> Option<u64> {
        match bytes.len() {
            4 if self.digest_len() == 4 => {
                Some(u64::from(u32::from_be_bytes(bytes.try_into().ok()?)))
            }
            8 if self.digest_len() == 8 => Some(u64::from_be_bytes(bytes.try_into().ok()?)),
            _ => None,
        }
    }
}

/// Whether a multipart object's checksum covers the whole object or the parts' checksums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ChecksumType {
    FullObject,
    Composite,
}

impl ChecksumType {
    /// S3's `x-amz-checksum-type` value.
    pub fn name(self) -> &'static str {
        match self {
            ChecksumType::FullObject => "FULL_OBJECT",
            ChecksumType::Composite => "COMPOSITE",
        }
    }

    /// Whether a multipart upload may combine its parts' `algorithm` checksums this way (S3's
    /// table, s3-objects.md §7.3): only CRCs combine into the CRC of the whole object, and
    /// CRC64NVME exists only as a full-object checksum.
    pub fn combines(self, algorithm: ChecksumAlgorithm) -> bool {
        match self {
            ChecksumType::FullObject => algorithm.crc().is_some(),
            ChecksumType::Composite => algorithm != ChecksumAlgorithm::Crc64Nvme,
        }
    }
}

/// A stored checksum.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checksum {
    pub algorithm: ChecksumAlgorithm,
    /// Raw big-endian digest.
    pub value: Vec<u8>,
    pub kind: ChecksumType,
    /// Composite: the number of parts, rendered as `base64(value)-N`.
    pub parts: Option<u32>,
}

impl Checksum {
    pub(crate) fn full_object(algorithm: ChecksumAlgorithm, value: Vec<u8>) -> Self {
        Checksum {
            algorithm,
            value,
            kind: ChecksumType::FullObject,
            parts: None,
        }
    }

    /// The `x-amz-checksum-*` header value: base64, plus `-N` for a composite checksum.
    pub fn to_header_value(&self) -> String {
        let b64 = BASE64.encode(&self.value);
        match (self.kind, self.parts) {
            (ChecksumType::Composite, Some(n)) => format!("{b64}-{n}"),
            _ => b64,
        }
    }
}

/// Incremental computation of one checksum.
pub(crate) enum ChecksumHasher {
    Crc(ChecksumAlgorithm, crc_fast::Digest),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl ChecksumHasher {
    pub(crate) fn new(algorithm: ChecksumAlgorithm) -> Self {
        match algorithm.crc() {
            Some(crc) => ChecksumHasher::Crc(algorithm, crc_fast::Digest::new(crc)),
            None if algorithm == ChecksumAlgorithm::Sha1 => {
                ChecksumHasher::Sha1(<sha1::Sha1 as sha1::Digest>::new())
            }
            None => ChecksumHasher::Sha256(<sha2::Sha256 as sha2::Digest>::new()),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        // sha1 0.11 and sha2 0.10 implement different `digest` versions: name each trait
        match self {
            ChecksumHasher::Crc(_, d) => d.update(data),
            ChecksumHasher::Sha1(h) => sha1::Digest::update(h, data),
            ChecksumHasher::Sha256(h) => sha2::Digest::update(h, data),
        }
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        match self {
            ChecksumHasher::Crc(algorithm, d) => algorithm.crc_bytes(d.finalize()),
            ChecksumHasher::Sha1(h) => sha1::Digest::finalize(h).to_vec(),
            ChecksumHasher::Sha256(h) => sha2::Digest::finalize(h).to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        let d = |a: ChecksumAlgorithm| hex::encode(a.digest(b"123456789"));
        assert_eq!(d(ChecksumAlgorithm::Crc32), "cbf43926");
        assert_eq!(d(ChecksumAlgorithm::Crc32c), "e3069283");
        assert_eq!(d(ChecksumAlgorithm::Crc64Nvme), "ae8b14860a799888");
        assert_eq!(
            d(ChecksumAlgorithm::Sha1),
            "f7c3bc1d808e04732adf679965ccc34ca7ae3441"
        );
        assert_eq!(
            d(ChecksumAlgorithm::Sha256),
            "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225"
        );
        for a in ChecksumAlgorithm::ALL {
            assert_eq!(a.digest(b"x").len(), a.digest_len());
        }
    }

    #[test]
    fn names_parse_case_insensitively() {
        for a in ChecksumAlgorithm::ALL {
            assert_eq!(ChecksumAlgorithm::parse(a.name()), Some(a));
            assert_eq!(ChecksumAlgorithm::parse(&a.name().to_lowercase()), Some(a));
            assert!(a.header().ends_with(&a.name().to_lowercase()));
        }
        assert_eq!(ChecksumAlgorithm::parse("md5"), None);
    }

    #[test]
    fn header_values() {
        let crc = Checksum::full_object(
            ChecksumAlgorithm::Crc32,
            ChecksumAlgorithm::Crc32.digest(b"hello world"),
        );
        assert_eq!(crc.to_header_value(), "DUoRhQ==");
        let composite = Checksum {
            kind: ChecksumType::Composite,
            parts: Some(3),
            ..crc
        };
        assert_eq!(composite.to_header_value(), "DUoRhQ==-3");
    }
}
