//! Multipart uploads in the local backend: an upload is a row, each part a row plus a data file;
//! Complete concatenates the listed parts into the object's file.

use super::LocalStore;
use super::db::{
    DbResult as _, json_column, json_column_opt, key_column, ms_of, now_ms, require_bucket,
    time_column, time_from_ms, to_json,
};
use super::objects::commit_object;
use crate::listing::{self, Entry, From};
use crate::multipart::{StoredPart, combined_checksum, multipart_etag, select_parts};
use crate::stage::concatenate;
use crate::{
    Checksum, ChecksumAlgorithm, ChecksumType, CompletedPart, Error, ListUploadsParams, ObjectInfo,
    ObjectMeta, PartInfo, PartsPage, Staged, UploadInfo, UploadsPage, WriteCondition,
};
use base64::Engine as _;
use rusqlite::{Connection, OptionalExtension as _, Row, Transaction, TransactionBehavior, params};
use std::collections::HashMap;

const UPLOAD_COLUMNS: &str = "upload_id, key, initiated_ms, meta, checksum";

fn upload_row(r: &Row) -> rusqlite::Result<UploadInfo> {
    Ok(UploadInfo {
        upload_id: r.get(0)?,
        key: key_column(r, 1)?,
        initiated: time_column(r, 2)?,
        meta: json_column(r, 3)?,
        checksum: json_column_opt(r, 4)?,
    })
}

const PART_COLUMNS: &str = "part_number, size, md5, last_modified_ms, checksum, data_id";

/// A part row: what the API returns, its binary MD5 and its data id.
fn part_row(r: &Row) -> rusqlite::Result<(PartInfo, [u8; 16], String)> {
    let md5: Vec<u8> = r.get(2)?;
    let md5: [u8; 16] = md5.try_into().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            2,
            rusqlite::types::Type::Blob,
            "MD5 is not 16 bytes".into(),
        )
    })?;
    Ok((
        PartInfo {
            part_number: r.get(0)?,
            etag: hex::encode(md5),
            size: r.get(1)?,
            last_modified: time_column(r, 3)?,
            checksum: json_column_opt(r, 4)?,
        },
        md5,
        r.get(5)?,
    ))
}

/// The upload `upload_id` of `bucket`/`key`; `NoSuchUpload` (or `NoSuchBucket`) otherwise.
fn find_upload(
    c: &Connection,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<UploadInfo, Error> {
    let sql = format!(
        "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ?1 AND bucket = ?2 AND key = ?3"
    );
    let found = c
        .prepare_cached(&sql)
        .db()?
        .query_row(params![upload_id, bucket, key.as_bytes()], upload_row)
        .optional()
        .db()?;
    match found {
        Some(u) => Ok(u),
        None => {
            require_bucket(c, bucket)?;
            Err(Error::NoSuchUpload)
        }
    }
}

fn all_parts(c: &Connection, upload_id: &str) -> Result<Vec<(PartInfo, [u8; 16], String)>, Error> {
    let sql = format!("SELECT {PART_COLUMNS} FROM parts WHERE upload_id = ?1 ORDER BY part_number");
    let mut stmt = c.prepare_cached(&sql).db()?;
    let rows = stmt.query_map([upload_id], part_row).db()?;
    rows.collect::<rusqlite::Result<_>>().db()
}

/// Random, URL-safe, unguessable.
fn new_upload_id() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>())
}

/// What Complete read and checked before assembling, to be confirmed unchanged at commit.
struct Plan {
    upload: UploadInfo,
    part_numbers: Vec<u32>,
    /// Data ids of the listed parts, in order.
    data_ids: Vec<String>,
    etag: String,
    checksum: Option<Checksum>,
    parts_count: u32,
}

impl LocalStore {
    pub(super) async fn create_multipart_upload_impl(
        &self,
        bucket: &str,
        key: &str,
        meta: ObjectMeta,
        checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
    ) -> Result<String, Error> {
        crate::multipart::check_combination(checksum)?;
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        self.db
            .call(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .db()?;
                require_bucket(&tx, &bucket)?;
                let upload_id = new_upload_id();
                tx.execute(
                    "INSERT INTO uploads (upload_id, bucket, key, initiated_ms, meta, checksum)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        upload_id,
                        bucket,
                        key.as_bytes(),
                        now_ms(),
                        to_json(&meta)?,
                        checksum.as_ref().map(to_json).transpose()?,
                    ],
                )
                .db()?;
                tx.commit().db()?;
                Ok(upload_id)
            })
            .await
    }

    pub(super) async fn upload_part_impl(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        mut staged: Staged,
    ) -> Result<PartInfo, Error> {
        let (bucket, key, upload_id) = (bucket.to_owned(), key.to_owned(), upload_id.to_owned());
        let upload = {
            let (b, k, u) = (bucket.clone(), key.clone(), upload_id.clone());
            self.db.call(move |c| find_upload(c, &b, &k, &u)).await?
        };
        // Complete combines the parts' checksums of the upload's algorithm: make sure this part
        // has one even when staging was not asked to compute it.
        if let Some((algorithm, _)) = upload.checksum {
            staged = tokio::task::spawn_blocking(move || {
                staged.ensure_checksum(algorithm).map(|()| staged)
            })
            .await
            .map_err(|e| Error::Backend(format!("checksum task: {e}")))?
            .map_err(Error::Io)?;
        }
        let layout = self.layout.clone();
        self.db
            .call(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .db()?;
                // still there: an abort or complete may have won since
                find_upload(&tx, &bucket, &key, &upload_id)?;
                let old: Option<String> = tx
                    .query_row(
                        "SELECT data_id FROM parts WHERE upload_id = ?1 AND part_number = ?2",
                        params![upload_id, part_number],
                        |r| r.get(0),
                    )
                    .optional()
                    .db()?;
                let d = staged.digests().clone();
                let info = PartInfo {
                    part_number,
                    etag: hex::encode(d.md5),
                    size: d.size,
                    last_modified: time_from_ms(now_ms())?,
                    checksum: d.checksum,
                };
                let data_id = super::files::Layout::new_data_id();
                staged.persist(&layout.data_path(&data_id)).map_err(Error::Io)?;
                let written = (|| {
                    tx.execute(
                        "INSERT OR REPLACE INTO parts
                             (upload_id, part_number, data_id, size, md5, last_modified_ms, checksum)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            upload_id,
                            part_number,
                            data_id,
                            info.size,
                            d.md5.as_slice(),
                            ms_of(info.last_modified),
                            info.checksum.as_ref().map(to_json).transpose()?,
                        ],
                    )
                    .db()?;
                    tx.commit().db()
                })();
                if let Err(e) = written {
                    layout.remove_data([data_id.as_str()]);
                    return Err(e);
                }
                layout.remove_data(old.as_deref());
                Ok(info)
            })
            .await
    }

    pub(super) async fn list_parts_impl(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        marker: u32,
        max_parts: usize,
    ) -> Result<PartsPage, Error> {
        let (bucket, key, upload_id) = (bucket.to_owned(), key.to_owned(), upload_id.to_owned());
        self.db
            .call(move |c| {
                let tx = c.transaction().db()?;
                let upload = find_upload(&tx, &bucket, &key, &upload_id)?;
                let sql = format!(
                    "SELECT {PART_COLUMNS} FROM parts WHERE upload_id = ?1 AND part_number > ?2
                     ORDER BY part_number LIMIT ?3"
                );
                let mut stmt = tx.prepare_cached(&sql).db()?;
                let mut parts: Vec<PartInfo> = stmt
                    .query_map(
                        params![upload_id, marker, max_parts.saturating_add(1)],
                        |r| part_row(r).map(|(info, _, _)| info),
                    )
                    .db()?
                    .collect::<rusqlite::Result<_>>()
                    .db()?;
                let is_truncated = parts.len() > max_parts;
                parts.truncate(max_parts);
                Ok(PartsPage {
                    next_part_number_marker: parts.last().map(|p| p.part_number),
                    upload,
                    parts,
                    is_truncated,
                })
            })
            .await
    }

    pub(super) async fn complete_multipart_upload_impl(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
        cond: WriteCondition,
    ) -> Result<ObjectInfo, Error> {
        // A part re-uploaded while we assemble changes what the listed ETags name: start over
        // (a few times) rather than commit a mix.
        for _ in 0..3 {
            let plan = {
                let (b, k, u, listed) = (
                    bucket.to_owned(),
                    key.to_owned(),
                    upload_id.to_owned(),
                    parts.to_vec(),
                );
                self.db
                    .call(move |c| plan_completion(c, &b, &k, &u, &listed))
                    .await?
            };
            let sources: Vec<_> = plan
                .data_ids
                .iter()
                .map(|id| self.layout.data_path(id))
                .collect();
            let (tmp, crc64) = (self.layout.tmp_dir(), plan.checksum.is_none());
            let assembled = tokio::task::spawn_blocking(move || concatenate(&tmp, &sources, crc64))
                .await
                .map_err(|e| Error::Backend(format!("assembling task: {e}")))?;
            let assembled = match assembled {
                Ok(a) => a,
                // a part file vanished: the upload was aborted, completed or a part re-uploaded
                // meanwhile; the next round tells which
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::Io(e)),
            };
            let (bucket, key, upload_id) =
                (bucket.to_owned(), key.to_owned(), upload_id.to_owned());
            let (layout, cond) = (self.layout.clone(), cond.clone());
            let committed = self
                .db
                .call(move |c| {
                    let info = ObjectInfo {
                        key: key.clone(),
                        size: assembled.size,
                        etag: plan.etag,
                        last_modified: time_from_ms(now_ms())?,
                        meta: plan.upload.meta,
                        checksum: plan.checksum.or(assembled.crc64nvme.clone()),
                        parts_count: Some(plan.parts_count),
                    };
                    let prepare = |tx: &Transaction| {
                        find_upload(tx, &bucket, &key, &upload_id)?;
                        let stored = all_parts(tx, &upload_id)?;
                        let now: HashMap<u32, &str> = stored
                            .iter()
                            .map(|(p, _, id)| (p.part_number, id.as_str()))
                            .collect();
                        if plan
                            .part_numbers
                            .iter()
                            .zip(&plan.data_ids)
                            .any(|(n, id)| now.get(n) != Some(&id.as_str()))
                        {
                            return Ok(None);
                        }
                        tx.execute("DELETE FROM parts WHERE upload_id = ?1", [&upload_id])
                            .db()?;
                        tx.execute("DELETE FROM uploads WHERE upload_id = ?1", [&upload_id])
                            .db()?;
                        // every part's file goes, listed or not
                        Ok(Some(stored.into_iter().map(|(_, _, id)| id).collect()))
                    };
                    let done = commit_object(c, &layout, &bucket, &info, cond, prepare, |dest| {
                        assembled.persist(dest)
                    })?;
                    Ok(done.then_some(info))
                })
                .await?;
            if let Some(info) = committed {
                return Ok(info);
            }
        }
        Err(Error::Backend(
            "the upload's parts kept changing while it was being completed".into(),
        ))
    }

    pub(super) async fn abort_multipart_upload_impl(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), Error> {
        let (bucket, key, upload_id) = (bucket.to_owned(), key.to_owned(), upload_id.to_owned());
        let layout = self.layout.clone();
        self.db
            .call(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .db()?;
                find_upload(&tx, &bucket, &key, &upload_id)?;
                let ids: Vec<String> = tx
                    .prepare_cached("DELETE FROM parts WHERE upload_id = ?1 RETURNING data_id")
                    .db()?
                    .query_map([&upload_id], |r| r.get(0))
                    .db()?
                    .collect::<rusqlite::Result<_>>()
                    .db()?;
                tx.execute("DELETE FROM uploads WHERE upload_id = ?1", [&upload_id])
                    .db()?;
                tx.commit().db()?;
                layout.remove_data(ids.iter().map(String::as_str));
                Ok(())
            })
            .await
    }

    pub(super) async fn list_multipart_uploads_impl(
        &self,
        bucket: &str,
        params: &ListUploadsParams,
    ) -> Result<UploadsPage, Error> {
        let bucket = bucket.to_owned();
        let prefix = params.prefix.clone();
        let delimiter = params.delimiter.clone().unwrap_or_default();
        let key_marker = params.key_marker.clone();
        let upload_id_marker = params.upload_id_marker.clone();
        let max = params.max_uploads;
        self.db
            .call(move |c| {
                let tx = c.transaction().db()?;
                require_bucket(&tx, &bucket)?;
                let start = match (&key_marker, &upload_id_marker) {
                    // that key's uploads initiated after the marker's, then later keys
                    (Some(km), Some(id)) if *km >= prefix => {
                        match find_upload(&tx, &bucket, km, id).optional_upload()? {
                            Some(u) => From::After((
                                km.as_bytes().to_vec(),
                                ms_of(u.initiated),
                                u.upload_id,
                            )),
                            None => listing::start(&prefix, Some(km)),
                        }
                    }
                    _ => listing::start(&prefix, key_marker.as_deref()),
                };
                let req = listing::Request {
                    prefix: &prefix,
                    delimiter: &delimiter,
                    marker: key_marker.as_deref(),
                    start,
                    max,
                };
                let (entries, is_truncated) = listing::list(
                    req,
                    |from: &From<UploadPosition>, upper: Option<&[u8]>, limit: usize| {
                        fetch_uploads(&tx, &bucket, from, upper, limit)
                    },
                    |u: &UploadInfo| u.key.as_str(),
                    |u| {
                        (
                            u.key.as_bytes().to_vec(),
                            ms_of(u.initiated),
                            u.upload_id.clone(),
                        )
                    },
                )?;
                let mut page = UploadsPage {
                    uploads: Vec::new(),
                    common_prefixes: Vec::new(),
                    is_truncated,
                    next_key_marker: None,
                    next_upload_id_marker: None,
                };
                for entry in entries {
                    match entry {
                        Entry::Item(u) => {
                            page.next_key_marker = Some(u.key.clone());
                            page.next_upload_id_marker = Some(u.upload_id.clone());
                            page.uploads.push(u);
                        }
                        Entry::Prefix(p) => {
                            page.next_key_marker = Some(p.clone());
                            page.next_upload_id_marker = None;
                            page.common_prefixes.push(p);
                        }
                    }
                }
                Ok(page)
            })
            .await
    }
}

/// Where an upload sits in listing order.
type UploadPosition = (Vec<u8>, i64, String);

/// `NoSuchUpload` as None, for lookups where a missing upload is not an error.
trait OptionalUpload {
    fn optional_upload(self) -> Result<Option<UploadInfo>, Error>;
}

impl OptionalUpload for Result<UploadInfo, Error> {
    fn optional_upload(self) -> Result<Option<UploadInfo>, Error> {
        match self {
            Ok(u) => Ok(Some(u)),
            Err(Error::NoSuchUpload) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn fetch_uploads(
    c: &Connection,
    bucket: &str,
    from: &From<UploadPosition>,
    upper: Option<&[u8]>,
    limit: usize,
) -> Result<Vec<UploadInfo>, Error> {
    let upper_clause = if upper.is_some() { "AND key < ?6" } else { "" };
    // `key >= k` is the row-value comparison against (k, MIN, ''), which no row equals
    let (key, initiated, id, op) = match from {
        From::Key(k) => (k.as_slice(), i64::MIN, "", ">="),
        From::After((k, t, id)) => (k.as_slice(), *t, id.as_str(), ">"),
    };
    let sql = format!(
        "SELECT {UPLOAD_COLUMNS} FROM uploads
         WHERE bucket = ?1 AND (key, initiated_ms, upload_id) {op} (?2, ?3, ?4) {upper_clause}
         ORDER BY key, initiated_ms, upload_id LIMIT ?5"
    );
    let mut stmt = c.prepare_cached(&sql).db()?;
    let rows = match upper {
        Some(u) => stmt.query_map(params![bucket, key, initiated, id, limit, u], upload_row),
        None => stmt.query_map(params![bucket, key, initiated, id, limit], upload_row),
    }
    .db()?;
    rows.collect::<rusqlite::Result<_>>().db()
}

/// Reads the upload and its parts and checks the Complete request against them.
fn plan_completion(
    c: &mut Connection,
    bucket: &str,
    key: &str,
    upload_id: &str,
    listed: &[CompletedPart],
) -> Result<Plan, Error> {
    let tx = c.transaction().db()?;
    let upload = find_upload(&tx, bucket, key, upload_id)?;
    let rows = all_parts(&tx, upload_id)?;
    let stored: HashMap<u32, (StoredPart, String)> = rows
        .into_iter()
        .map(|(p, md5, id)| {
            let part = StoredPart {
                number: p.part_number,
                md5,
                size: p.size,
                checksum: p.checksum,
            };
            (p.part_number, (part, id))
        })
        .collect();
    let chosen = select_parts(&upload, listed, |n| stored.get(&n).map(|(p, _)| p))?;
    let etag = multipart_etag(&chosen);
    let checksum = combined_checksum(&upload, &chosen)?;
    let parts_count =
        u32::try_from(chosen.len()).map_err(|_| Error::Backend("too many parts".into()))?;
    let part_numbers: Vec<u32> = chosen.iter().map(|p| p.number).collect();
    let data_ids = part_numbers
        .iter()
        .filter_map(|n| stored.get(n).map(|(_, id)| id.clone()))
        .collect();
    Ok(Plan {
        upload,
        part_numbers,
        data_ids,
        etag,
        checksum,
        parts_count,
    })
}
