//! Multipart upload types and the Complete rules shared by every backend.

use crate::{Checksum, ChecksumAlgorithm, ChecksumType, Error, ObjectMeta};
use md5::{Digest as _, Md5};

/// Refuses an upload whose parts' checksums could not be combined the way it asks (the gateway
/// answers S3's InvalidRequest first; refusing here too keeps an upload that could never complete
/// out of every backend).
pub(crate) fn check_combination(
    checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
) -> Result<(), Error> {
    match checksum {
        Some((algorithm, kind)) if !kind.combines(algorithm) => Err(Error::Backend(format!(
            "the {} checksum type cannot be used with the {} algorithm",
            kind.name(),
            algorithm.name()
        ))),
        _ => Ok(()),
    }
}

/// Every part of a multipart upload but the last must be at least this large.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadInfo {
    pub upload_id: String,
    pub key: String,
    pub initiated: time::OffsetDateTime,
    pub meta: ObjectMeta,
    pub checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    pub part_number: u32,
    /// Hex MD5, no quotes.
    pub etag: String,
    pub size: u64,
    pub last_modified: time::OffsetDateTime,
    /// The part's own checksum: the upload's algorithm when it has one, else whatever was staged.
    pub checksum: Option<Checksum>,
}

/// One `<Part>` of a CompleteMultipartUpload request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    pub part_number: u32,
    /// Quotes already stripped.
    pub etag: String,
    /// The raw digest from `<ChecksumCRC32>` etc., when sent.
    pub checksum: Option<Vec<u8>>,
}

pub struct ListUploadsParams {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Exclusive, unless `upload_id_marker` selects that key's uploads initiated after it.
    pub key_marker: Option<String>,
    pub upload_id_marker: Option<String>,
    pub max_uploads: usize,
}

#[derive(Debug)]
pub struct UploadsPage {
    /// Ordered by key, then initiation time, then upload id.
    pub uploads: Vec<UploadInfo>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_upload_id_marker: Option<String>,
}

#[derive(Debug)]
pub struct PartsPage {
    pub upload: UploadInfo,
    pub parts: Vec<PartInfo>,
    pub is_truncated: bool,
    pub next_part_number_marker: Option<u32>,
}

/// A stored part as Complete sees it.
pub(crate) struct StoredPart {
    pub number: u32,
    pub md5: [u8; 16],
    pub size: u64,
    pub checksum: Option<Checksum>,
}

/// Checks a Complete request against the stored parts (in S3's order: part order, then each
/// part's existence, ETag and checksum, then sizes) and returns the listed parts in order.
/// `stored` is looked up by part number.
pub(crate) fn select_parts<'a>(
    upload: &UploadInfo,
    listed: &[CompletedPart],
    stored: impl Fn(u32) -> Option<&'a StoredPart>,
) -> Result<Vec<&'a StoredPart>, Error> {
    if listed.is_empty() {
        return Err(Error::InvalidPart(
            "you must specify at least one part".into(),
        ));
    }
    if listed
        .windows(2)
        .any(|w| w[0].part_number >= w[1].part_number)
    {
        return Err(Error::InvalidPartOrder);
    }
    let mut parts = Vec::with_capacity(listed.len());
    for want in listed {
        let invalid = |why: &str| {
            Error::InvalidPart(format!(
                "part {} (ETag {}): {why}",
                want.part_number, want.etag
            ))
        };
        let part = stored(want.part_number).ok_or_else(|| invalid("not uploaded"))?;
        if !want.etag.eq_ignore_ascii_case(&hex::encode(part.md5)) {
            return Err(invalid("ETag does not match"));
        }
        match (&want.checksum, upload.checksum, &part.checksum) {
            (None, _, _) => {}
            (Some(_), None, _) => {
                return Err(invalid(
                    "the upload was created without a checksum algorithm",
                ));
            }
            (Some(sent), Some(_), Some(have)) if *sent == have.value => {}
            (Some(_), Some(_), _) => return Err(invalid("checksum does not match")),
        }
        parts.push(part);
    }
    if let Some((_, init)) = parts.split_last()
        && init.iter().any(|p| p.size < MIN_PART_SIZE)
    {
        return Err(Error::EntityTooSmall);
    }
    Ok(parts)
}

/// hex(MD5(concatenated binary part MD5s))-N.
pub(crate) fn multipart_etag(parts: &[&StoredPart]) -> String {
    let mut h = Md5::new();
    for p in parts {
        h.update(p.md5);
    }
    format!("{}-{}", hex::encode(h.finalize()), parts.len())
}

/// The completed object's checksum from its parts' checksums, by the upload's checksum type:
/// composite = the algorithm over the concatenated part digests, "-N"; full object = the parts'
/// CRCs combined. None when the upload has no algorithm (the caller computes CRC64NVME then).
pub(crate) fn combined_checksum(
    upload: &UploadInfo,
    parts: &[&StoredPart],
) -> Result<Option<Checksum>, Error> {
    let Some((algorithm, kind)) = upload.checksum else {
        return Ok(None);
    };
    let missing = |p: &StoredPart| {
        Error::Backend(format!(
            "part {} has no {} checksum",
            p.number,
            algorithm.name()
        ))
    };
    let mut digests = Vec::with_capacity(parts.len());
    for p in parts {
        match &p.checksum {
            Some(c) if c.algorithm == algorithm => digests.push((&c.value, p.size)),
            _ => return Err(missing(p)),
        }
    }
    let count = u32::try_from(parts.len()).map_err(|_| Error::Backend("too many parts".into()))?;
    match kind {
        ChecksumType::Composite => Ok(Some(Checksum {
            algorithm,
            value: algorithm.digest(
                &digests
                    .iter()
                    .flat_map(|(d, _)| d.iter().copied())
                    .collect::<Vec<u8>>(),
            ),
            kind,
            parts: Some(count),
        })),
        ChecksumType::FullObject => {
            let crc = algorithm.crc().ok_or_else(|| {
                Error::Backend(format!(
                    "{} cannot be a full-object checksum",
                    algorithm.name()
                ))
            })?;
            let mut whole: Option<u64> = None;
            for (p, (digest, size)) in parts.iter().zip(&digests) {
                let value = algorithm.crc_value(digest).ok_or_else(|| missing(p))?;
                whole = Some(match whole {
                    None => value,
                    Some(acc) => crc_fast::checksum_combine(crc, acc, value, *size),
                });
            }
            Ok(whole.map(|v| Checksum::full_object(algorithm, algorithm.crc_bytes(v))))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;

    fn upload(checksum: Option<(ChecksumAlgorithm, ChecksumType)>) -> UploadInfo {
        UploadInfo {
            upload_id: "u".into(),
            key: "k".into(),
            initiated: time::OffsetDateTime::UNIX_EPOCH,
            meta: ObjectMeta::default(),
            checksum,
        }
    }

    fn part(number: u32, md5_hex: &str, size: u64, crc32_b64: Option<&str>) -> StoredPart {
        StoredPart {
            number,
            md5: hex::decode(md5_hex).unwrap().try_into().unwrap(),
            size,
            checksum: crc32_b64
                .map(|c| Checksum::full_object(ChecksumAlgorithm::Crc32, B64.decode(c).unwrap())),
        }
    }

    /// The composite CRC32 S3 computed for a recorded three-part upload.
    #[test]
    fn recorded_aws_composite_crc32() {
        let a = "c4c753e69bb853187f5854c46cf801c6";
        let parts = [
            part(1, a, MIN_PART_SIZE, Some("NRU+Sw==")),
            part(2, a, MIN_PART_SIZE, Some("NRU+Sw==")),
            part(3, a, 1, Some("TBHN8A==")),
        ];
        let refs: Vec<&StoredPart> = parts.iter().collect();
        let up = upload(Some((ChecksumAlgorithm::Crc32, ChecksumType::Composite)));
        let c = combined_checksum(&up, &refs).unwrap().unwrap();
        assert_eq!(c.to_header_value(), "5FRUiw==-3");
    }

    #[test]
    fn complete_checks_in_s3_order() {
        let parts = [
            part(1, "c4c753e69bb853187f5854c46cf801c6", 10, None),
            part(2, "e09c80c42fda55f9d992e59ca6b3307d", 10, None),
        ];
        let find = |n: u32| parts.iter().find(|p| p.number == n);
        let up = upload(None);
        let listed = |items: &[(u32, &str)]| -> Vec<CompletedPart> {
            items
                .iter()
                .map(|(n, e)| CompletedPart {
                    part_number: *n,
                    etag: e.to_string(),
                    checksum: None,
                })
                .collect()
        };
        let a = "c4c753e69bb853187f5854c46cf801c6";
        let b = "e09c80c42fda55f9d992e59ca6b3307d";
        assert!(matches!(
            select_parts(&up, &listed(&[(2, "x"), (1, "y")]), find),
            Err(Error::InvalidPartOrder)
        ));
        assert!(matches!(
            select_parts(&up, &listed(&[(1, a), (1, a)]), find),
            Err(Error::InvalidPartOrder)
        ));
        assert!(matches!(
            select_parts(&up, &listed(&[(1, a), (3, b)]), find),
            Err(Error::InvalidPart(_))
        ));
        assert!(matches!(
            select_parts(&up, &listed(&[(1, b)]), find),
            Err(Error::InvalidPart(_))
        ));
        assert!(matches!(
            select_parts(&up, &listed(&[(1, a), (2, b)]), find),
            Err(Error::EntityTooSmall)
        ));
        // the last part may be small, and ETags compare case-insensitively
        let one = select_parts(&up, &listed(&[(2, &b.to_uppercase())]), find).unwrap();
        assert_eq!(one.len(), 1);
        assert!(matches!(
            select_parts(&up, &[], find),
            Err(Error::InvalidPart(_))
        ));
    }
}
