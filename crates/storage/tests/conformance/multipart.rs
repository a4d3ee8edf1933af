//! Multipart uploads: Complete and its refusals, ETags, both checksum types, listings.

use super::*;
use base64::Engine as _;
use mrap_storage::{
    ChecksumAlgorithm, ChecksumType, CompletedPart, Error, ListUploadsParams, PartInfo,
};

pub const MIB: usize = 1024 * 1024;
pub const MIN_PART: usize = 5 * MIB;

pub fn part_data(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| seed.wrapping_add((i % 253) as u8))
        .collect()
}

async fn upload_part(
    s: &dyn RegionStore,
    key: &str,
    id: &str,
    n: u32,
    data: &[u8],
    checksum: Option<ChecksumAlgorithm>,
) -> PartInfo {
    let staged = stage(
        s,
        "b",
        data,
        Wanted {
            sha256: false,
            checksum,
        },
    )
    .await;
    s.upload_part("b", key, id, n, staged).await.unwrap()
}

fn completed(parts: &[&PartInfo]) -> Vec<CompletedPart> {
    parts
        .iter()
        .map(|p| CompletedPart {
            part_number: p.part_number,
            etag: p.etag.clone(),
            checksum: None,
        })
        .collect()
}

/// hex(MD5(binary MD5 of each part))-N, computed from the bytes.
fn expected_etag(parts: &[&[u8]]) -> String {
    use md5::Digest as _;
    let mut h = md5::Md5::new();
    for p in parts {
        h.update(md5::Md5::digest(p));
    }
    format!("{}-{}", hex::encode(h.finalize()), parts.len())
}

pub async fn complete_and_etag(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    put(s, "b", "k", b"previous").await;
    let meta = ObjectMeta {
        content_type: Some("video/mp4".into()),
        user: vec![("origin".into(), "multipart".into())],
        ..Default::default()
    };
    let id = s
        .create_multipart_upload("b", "k", meta.clone(), None)
        .await
        .unwrap();
    assert!(
        id.len() >= 16
            && id
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    );
    let p1 = part_data(1, MIN_PART);
    let p2 = part_data(2, MIN_PART + 17);
    let p3 = part_data(3, 1000);
    let info1 = upload_part(s, "k", &id, 1, &part_data(9, 10), None).await;
    assert_eq!(info1.etag, md5_hex(&part_data(9, 10)));
    // re-uploading a part number replaces it
    let info1 = upload_part(s, "k", &id, 1, &p1, None).await;
    assert_eq!(
        (info1.etag.as_str(), info1.size),
        (md5_hex(&p1).as_str(), p1.len() as u64)
    );
    let info2 = upload_part(s, "k", &id, 2, &p2, None).await;
    let info3 = upload_part(s, "k", &id, 5, &p3, None).await; // gaps are allowed
    // an unlisted part is dropped with the upload
    upload_part(s, "k", &id, 4, b"not listed", None).await;
    // the previous object stays readable until Complete
    assert_eq!(get(s, "b", "k").await, b"previous");

    let info = s
        .complete_multipart_upload(
            "b",
            "k",
            &id,
            &completed(&[&info1, &info2, &info3]),
            WriteCondition::Always,
        )
        .await
        .unwrap();
    assert_eq!(info.etag, expected_etag(&[&p1, &p2, &p3]));
    assert!(info.etag.ends_with("-3"));
    assert_eq!(info.size, (p1.len() + p2.len() + p3.len()) as u64);
    assert_eq!(info.parts_count, Some(3));
    assert_eq!(info.meta, meta);
    // without an algorithm S3 ends with a full-object CRC64NVME
    let whole = [p1.as_slice(), &p2, &p3].concat();
    let c = info.checksum.clone().unwrap();
    assert_eq!(
        (c.algorithm, c.kind),
        (ChecksumAlgorithm::Crc64Nvme, ChecksumType::FullObject)
    );
    assert_eq!(
        c.value,
        crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64Nvme, &whole).to_be_bytes()
    );
    assert_eq!(s.head_object("b", "k").await.unwrap(), info);
    assert_eq!(get(s, "b", "k").await, whole);
    // a range across a part boundary
    let out = s
        .get_object(
            "b",
            "k",
            Some(mrap_storage::RangeRequest::From {
                first: (MIN_PART - 2) as u64,
                last: Some((MIN_PART + 1) as u64),
            }),
        )
        .await
        .unwrap();
    assert_eq!(read_all(out).await, &whole[MIN_PART - 2..=MIN_PART + 1]);
    // the upload is gone
    assert!(matches!(
        s.list_parts("b", "k", &id, 0, 100).await,
        Err(Error::NoSuchUpload)
    ));
    assert!(matches!(
        s.complete_multipart_upload("b", "k", &id, &completed(&[&info1]), WriteCondition::Always)
            .await,
        Err(Error::NoSuchUpload)
    ));

    // a single small part is a valid object: "-1"
    let id = s
        .create_multipart_upload("b", "one", ObjectMeta::default(), None)
        .await
        .unwrap();
    let only = upload_part(s, "one", &id, 1, b"tiny", None).await;
    let info = s
        .complete_multipart_upload(
            "b",
            "one",
            &id,
            &completed(&[&only]),
            WriteCondition::Always,
        )
        .await
        .unwrap();
    assert_eq!(info.etag, expected_etag(&[b"tiny"]));
    assert_eq!(get(s, "b", "one").await, b"tiny");
}

pub async fn complete_refusals(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    let id = s
        .create_multipart_upload("b", "k", ObjectMeta::default(), None)
        .await
        .unwrap();
    let big = part_data(1, MIN_PART);
    let p1 = upload_part(s, "k", &id, 1, &big, None).await;
    let p2 = upload_part(s, "k", &id, 2, b"small", None).await;
    let p3 = upload_part(s, "k", &id, 3, b"last", None).await;
    let complete = |parts: Vec<CompletedPart>, cond: WriteCondition| {
        let id = id.clone();
        async move {
            s.complete_multipart_upload("b", "k", &id, &parts, cond)
                .await
        }
    };
    let always = WriteCondition::Always;
    assert!(matches!(
        complete(vec![], always.clone()).await,
        Err(Error::InvalidPart(_))
    ));
    assert!(matches!(
        complete(completed(&[&p2, &p1]), always.clone()).await,
        Err(Error::InvalidPartOrder)
    ));
    assert!(matches!(
        complete(completed(&[&p1, &p1]), always.clone()).await,
        Err(Error::InvalidPartOrder)
    ));
    let mut wrong_etag = completed(&[&p1, &p3]);
    wrong_etag[1].etag = md5_hex(b"something else");
    assert!(matches!(
        complete(wrong_etag, always.clone()).await,
        Err(Error::InvalidPart(_))
    ));
    let mut missing = completed(&[&p1]);
    missing.push(CompletedPart {
        part_number: 9,
        etag: p3.etag.clone(),
        checksum: None,
    });
    assert!(matches!(
        complete(missing, always.clone()).await,
        Err(Error::InvalidPart(_))
    ));
    // a part checksum listed for an upload created without an algorithm
    let mut with_checksum = completed(&[&p1, &p3]);
    with_checksum[0].checksum = Some(vec![0, 0, 0, 0]);
    assert!(matches!(
        complete(with_checksum, always.clone()).await,
        Err(Error::InvalidPart(_))
    ));
    // order is checked before existence, existence before sizes
    let mut unordered_missing = completed(&[&p3, &p1]);
    unordered_missing[0].etag = "0".repeat(32);
    assert!(matches!(
        complete(unordered_missing, always.clone()).await,
        Err(Error::InvalidPartOrder)
    ));
    assert!(matches!(
        complete(completed(&[&p2, &p3]), always.clone()).await,
        Err(Error::EntityTooSmall)
    ));
    assert!(matches!(
        complete(completed(&[&p1, &p2, &p3]), always.clone()).await,
        Err(Error::EntityTooSmall)
    ));
    // ETags compare case-insensitively; quotes are the gateway's business
    let mut upper = completed(&[&p1, &p3]);
    upper[0].etag = upper[0].etag.to_uppercase();

    // a failed precondition leaves the upload in place
    put(s, "b", "k", b"exists").await;
    assert!(matches!(
        complete(upper.clone(), WriteCondition::IfNoneMatchAny).await,
        Err(Error::PreconditionFailed)
    ));
    assert!(matches!(
        complete(upper.clone(), WriteCondition::IfMatch(md5_hex(b"other"))).await,
        Err(Error::PreconditionFailed)
    ));
    let info = complete(upper, WriteCondition::IfMatch(md5_hex(b"exists")))
        .await
        .unwrap();
    assert_eq!(info.size, (big.len() + 4) as u64);

    // unknown, aborted, or belonging to another key
    let bogus = "bm90LWFuLXVwbG9hZA";
    assert!(matches!(
        s.complete_multipart_upload("b", "k", bogus, &completed(&[&p1]), WriteCondition::Always)
            .await,
        Err(Error::NoSuchUpload)
    ));
    let staged = stage(s, "b", b"x", Wanted::default()).await;
    assert!(matches!(
        s.upload_part("b", "k", bogus, 1, staged).await,
        Err(Error::NoSuchUpload)
    ));
    assert!(matches!(
        s.abort_multipart_upload("b", "k", bogus).await,
        Err(Error::NoSuchUpload)
    ));
    let id2 = s
        .create_multipart_upload("b", "k2", ObjectMeta::default(), None)
        .await
        .unwrap();
    assert!(matches!(
        s.list_parts("b", "k", &id2, 0, 10).await,
        Err(Error::NoSuchUpload)
    ));
    let staged = stage(s, "b", b"x", Wanted::default()).await;
    assert!(matches!(
        s.upload_part("b", "other", &id2, 1, staged).await,
        Err(Error::NoSuchUpload)
    ));
    let q = upload_part(s, "k2", &id2, 1, b"x", None).await;
    s.abort_multipart_upload("b", "k2", &id2).await.unwrap();
    assert!(matches!(
        s.abort_multipart_upload("b", "k2", &id2).await,
        Err(Error::NoSuchUpload)
    ));
    assert!(matches!(
        s.complete_multipart_upload("b", "k2", &id2, &completed(&[&q]), WriteCondition::Always)
            .await,
        Err(Error::NoSuchUpload)
    ));
    assert!(matches!(
        s.head_object("b", "k2").await,
        Err(Error::NoSuchKey)
    ));
    assert!(matches!(
        s.create_multipart_upload("nope", "k", ObjectMeta::default(), None)
            .await,
        Err(Error::NoSuchBucket)
    ));
}

fn b64(v: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(v)
}

pub async fn composite_checksums(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    for algorithm in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ] {
        let id = s
            .create_multipart_upload(
                "b",
                "k",
                ObjectMeta::default(),
                Some((algorithm, ChecksumType::Composite)),
            )
            .await
            .unwrap();
        let datas = [part_data(4, MIN_PART), part_data(5, 3)];
        // part 1 staged with the checksum, part 2 without: the store computes what is missing
        let p1 = upload_part(s, "k", &id, 1, &datas[0], Some(algorithm)).await;
        let p2 = upload_part(s, "k", &id, 2, &datas[1], None).await;
        let digests: Vec<Vec<u8>> = datas.iter().map(|d| algorithm.digest(d)).collect();
        assert_eq!(p1.checksum.as_ref().map(|c| &c.value), Some(&digests[0]));
        assert_eq!(p2.checksum.as_ref().map(|c| &c.value), Some(&digests[1]));
        let listed = s.list_parts("b", "k", &id, 0, 10).await.unwrap();
        assert_eq!(
            listed.upload.checksum,
            Some((algorithm, ChecksumType::Composite))
        );
        assert_eq!(listed.parts, vec![p1.clone(), p2.clone()]);

        let mut parts = completed(&[&p1, &p2]);
        parts[1].checksum = Some(algorithm.digest(b"wrong"));
        assert!(matches!(
            s.complete_multipart_upload("b", "k", &id, &parts, WriteCondition::Always)
                .await,
            Err(Error::InvalidPart(_))
        ));
        parts[0].checksum = Some(digests[0].clone());
        parts[1].checksum = Some(digests[1].clone());
        let info = s
            .complete_multipart_upload("b", "k", &id, &parts, WriteCondition::Always)
            .await
            .unwrap();
        let c = info.checksum.unwrap();
        assert_eq!(
            (c.algorithm, c.kind, c.parts),
            (algorithm, ChecksumType::Composite, Some(2))
        );
        assert_eq!(
            c.value,
            algorithm.digest(&digests.concat()),
            "{algorithm:?}"
        );
        assert_eq!(
            c.to_header_value(),
            format!("{}-2", b64(&algorithm.digest(&digests.concat())))
        );
    }
}

pub async fn full_object_checksums(s: &dyn RegionStore) {
    use crc_fast::CrcAlgorithm as C;
    s.create_bucket("b").await.unwrap();
    for (algorithm, crc) in [
        (ChecksumAlgorithm::Crc32, C::Crc32IsoHdlc),
        (ChecksumAlgorithm::Crc32c, C::Crc32Iscsi),
        (ChecksumAlgorithm::Crc64Nvme, C::Crc64Nvme),
    ] {
        let id = s
            .create_multipart_upload(
                "b",
                "k",
                ObjectMeta::default(),
                Some((algorithm, ChecksumType::FullObject)),
            )
            .await
            .unwrap();
        let datas = [
            part_data(6, MIN_PART + 1),
            part_data(7, MIN_PART),
            part_data(8, 12345),
        ];
        let mut infos = Vec::new();
        for (i, d) in datas.iter().enumerate() {
            infos.push(
                upload_part(s, "k", &id, i as u32 + 1, d, (i != 1).then_some(algorithm)).await,
            );
        }
        let info = s
            .complete_multipart_upload(
                "b",
                "k",
                &id,
                &completed(&infos.iter().collect::<Vec<_>>()),
                WriteCondition::Always,
            )
            .await
            .unwrap();
        let c = info.checksum.unwrap();
        assert_eq!(
            (c.algorithm, c.kind, c.parts),
            (algorithm, ChecksumType::FullObject, None)
        );
        let whole = crc_fast::checksum(crc, &datas.concat());
        let want = if algorithm.digest_len() == 4 {
            (whole as u32).to_be_bytes().to_vec()
        } else {
            whole.to_be_bytes().to_vec()
        };
        assert_eq!(c.value, want, "{algorithm:?}");
        assert_eq!(get(s, "b", "k").await, datas.concat());
    }
}

pub async fn parts_listing(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    let id = s
        .create_multipart_upload("b", "k", ObjectMeta::default(), None)
        .await
        .unwrap();
    let page = s.list_parts("b", "k", &id, 0, 1000).await.unwrap();
    assert!(page.parts.is_empty() && !page.is_truncated);
    assert_eq!(page.upload.upload_id, id);
    assert_eq!(page.upload.key, "k");
    for n in [3u32, 1, 10_000, 7, 2] {
        upload_part(s, "k", &id, n, format!("part {n}").as_bytes(), None).await;
    }
    let mut seen = Vec::new();
    let mut marker = 0;
    loop {
        let page = s.list_parts("b", "k", &id, marker, 2).await.unwrap();
        assert!(page.parts.len() <= 2);
        seen.extend(
            page.parts
                .iter()
                .map(|p| (p.part_number, p.etag.clone(), p.size)),
        );
        if !page.is_truncated {
            break;
        }
        marker = page.next_part_number_marker.unwrap();
    }
    let want: Vec<_> = [1u32, 2, 3, 7, 10_000]
        .iter()
        .map(|n| {
            let data = format!("part {n}");
            (*n, md5_hex(data.as_bytes()), data.len() as u64)
        })
        .collect();
    assert_eq!(seen, want);
    let page = s.list_parts("b", "k", &id, 3, 1000).await.unwrap();
    assert_eq!(
        page.parts.iter().map(|p| p.part_number).collect::<Vec<_>>(),
        [7, 10_000]
    );
    assert_eq!(page.next_part_number_marker, Some(10_000));
}

pub async fn uploads_listing(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    s.create_bucket("other").await.unwrap();
    let mut ids = Vec::new();
    for key in ["b/2", "a", "b/1", "a", "c", "a", "é"] {
        let id = s
            .create_multipart_upload("b", key, ObjectMeta::default(), None)
            .await
            .unwrap();
        ids.push((key.to_string(), id));
        // distinct initiation times order a key's uploads
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    s.create_multipart_upload("other", "a", ObjectMeta::default(), None)
        .await
        .unwrap();
    let list =
        |prefix: &str, delimiter: Option<&str>, km: Option<&str>, um: Option<&str>, max: usize| {
            let p = ListUploadsParams {
                prefix: prefix.into(),
                delimiter: delimiter.map(Into::into),
                key_marker: km.map(Into::into),
                upload_id_marker: um.map(Into::into),
                max_uploads: max,
            };
            async move { s.list_multipart_uploads("b", &p).await.unwrap() }
        };
    let all = list("", None, None, None, 1000).await;
    let got: Vec<(String, String)> = all
        .uploads
        .iter()
        .map(|u| (u.key.clone(), u.upload_id.clone()))
        .collect();
    // by key, then initiation order
    let order = [1, 3, 5, 2, 0, 4, 6];
    let want: Vec<(String, String)> = order.iter().map(|&i| ids[i].clone()).collect();
    assert_eq!(got, want);
    assert!(!all.is_truncated);
    assert!(
        all.uploads
            .windows(2)
            .all(|w| w[0].key != w[1].key || w[0].initiated <= w[1].initiated)
    );

    // paging with both markers walks the same sequence
    let mut paged = Vec::new();
    let (mut km, mut um): (Option<String>, Option<String>) = (None, None);
    loop {
        let page = list("", None, km.as_deref(), um.as_deref(), 2).await;
        paged.extend(
            page.uploads
                .iter()
                .map(|u| (u.key.clone(), u.upload_id.clone())),
        );
        if !page.is_truncated {
            break;
        }
        km = page.next_key_marker.clone();
        um = page.next_upload_id_marker.clone();
    }
    assert_eq!(paged, want);
    // a key marker alone skips all of that key's uploads
    let page = list("", None, Some("a"), None, 1000).await;
    assert_eq!(page.uploads.first().map(|u| u.key.as_str()), Some("b/1"));
    // delimiter and prefix
    let page = list("", Some("/"), None, None, 1000).await;
    assert_eq!(page.common_prefixes, ["b/"]);
    assert_eq!(
        page.uploads
            .iter()
            .map(|u| u.key.as_str())
            .collect::<Vec<_>>(),
        ["a", "a", "a", "c", "é"]
    );
    let page = list("b/", None, None, None, 1000).await;
    assert_eq!(
        page.uploads
            .iter()
            .map(|u| u.key.as_str())
            .collect::<Vec<_>>(),
        ["b/1", "b/2"]
    );
    let page = list("", Some("/"), None, None, 4).await;
    assert!(page.is_truncated);
    assert_eq!(page.common_prefixes, ["b/"]);
    assert_eq!(page.next_key_marker.as_deref(), Some("b/"));
}
