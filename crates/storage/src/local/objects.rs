//! Buckets and single objects in the local backend.

use super::LocalStore;
use super::db::{
    DbResult as _, OBJECT_COLUMNS, ms_of, now_ms, object_columns, object_row, require_bucket,
    time_from_ms, to_json,
};
use super::files::{Layout, Opened, SMALL_READ, open_at};
use crate::listing::{self, Entry, From};
use crate::{
    Error, GetOutput, ListPage, ListParams, ObjectInfo, ObjectMeta, RangeRequest, Staged,
    WriteCondition,
};
use rusqlite::{Connection, OptionalExtension as _, Transaction, TransactionBehavior, params};

impl LocalStore {
    pub(super) async fn create_bucket_impl(&self, bucket: &str) -> Result<(), Error> {
        let bucket = bucket.to_owned();
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT OR IGNORE INTO buckets (name, created_ms) VALUES (?1, ?2)",
                    params![bucket, now_ms()],
                )
                .db()?;
                Ok(())
            })
            .await
    }

    pub(super) async fn delete_bucket_impl(&self, bucket: &str) -> Result<(), Error> {
        let bucket = bucket.to_owned();
        self.db
            .call(move |c| {
                // Check and delete under the write lock: a commit into this bucket either
                // happened before (and we refuse) or checks the bucket row after (and fails).
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .db()?;
                require_bucket(&tx, &bucket)?;
                if !is_empty(&tx, &bucket)? {
                    return Err(Error::BucketNotEmpty);
                }
                tx.execute("DELETE FROM buckets WHERE name = ?1", [&bucket])
                    .db()?;
                tx.commit().db()
            })
            .await
    }

    pub(super) async fn bucket_is_empty_impl(&self, bucket: &str) -> Result<bool, Error> {
        let bucket = bucket.to_owned();
        self.db
            .call(move |c| {
                require_bucket(c, &bucket)?;
                is_empty(c, &bucket)
            })
            .await
    }

    pub(super) async fn put_object_impl(
        &self,
        bucket: &str,
        key: &str,
        staged: Staged,
        meta: ObjectMeta,
        cond: WriteCondition,
    ) -> Result<ObjectInfo, Error> {
        let (bucket, key, layout) = (bucket.to_owned(), key.to_owned(), self.layout.clone());
        self.db
            .call(move |c| {
                let d = staged.digests().clone();
                let info = ObjectInfo {
                    key,
                    size: d.size,
                    etag: hex::encode(d.md5),
                    last_modified: time_from_ms(now_ms())?,
                    meta,
                    checksum: d.checksum,
                    parts_count: None,
                };
                commit_object(
                    c,
                    &layout,
                    &bucket,
                    &info,
                    cond,
                    |_| Ok(Some(Vec::new())),
                    |dest| staged.persist(dest),
                )?;
                Ok(info)
            })
            .await
    }

    pub(super) async fn head_object_impl(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<ObjectInfo, Error> {
        if let Some(answered) = self.db.read_now(|c| find_object(c, bucket, key)) {
            return answered.map(|(info, _)| info);
        }
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        self.db
            .call(move |c| Ok(find_object(c, &bucket, &key)?.0))
            .await
    }

    pub(super) async fn get_object_impl(
        &self,
        bucket: &str,
        key: &str,
        range: Option<RangeRequest>,
    ) -> Result<GetOutput, Error> {
        // A small object is read where the request is served (see `Db::read_now`): its row, then
        // its file, at most 64 KiB from the page cache. Anything else, or a miss of either step,
        // goes to the blocking pool.
        let fast = self
            .db
            .read_now(|c| open_object(c, &self.layout, bucket, key, range, Some(SMALL_READ)));
        let found = match fast {
            Some(Ok(Some(found))) => found,
            Some(Err(e)) if !matches!(e, Error::Io(_)) => return Err(e),
            _ => {
                let (bucket, key, layout) =
                    (bucket.to_owned(), key.to_owned(), self.layout.clone());
                self.db
                    .call(move |c| open_object(c, &layout, &bucket, &key, range, None))
                    .await?
                    .ok_or_else(|| Error::Backend("an object without its data file".to_owned()))?
            }
        };
        let (info, resolved, data) = found;
        let len = resolved.map_or(info.size, |(first, last)| last - first + 1);
        Ok(GetOutput {
            info,
            range: resolved,
            body: data.into_stream(len),
        })
    }

    pub(super) async fn delete_object_impl(&self, bucket: &str, key: &str) -> Result<(), Error> {
        let (bucket, key, layout) = (bucket.to_owned(), key.to_owned(), self.layout.clone());
        self.db
            .call(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .db()?;
                require_bucket(&tx, &bucket)?;
                let old: Option<String> = tx
                    .query_row(
                        "DELETE FROM objects WHERE bucket = ?1 AND key = ?2 RETURNING data_id",
                        params![bucket, key.as_bytes()],
                        |r| r.get(0),
                    )
                    .optional()
                    .db()?;
                tx.commit().db()?;
                layout.remove_data(old.as_deref());
                Ok(())
            })
            .await
    }

    pub(super) async fn set_tags_impl(
        &self,
        bucket: &str,
        key: &str,
        tags: Vec<(String, String)>,
    ) -> Result<(), Error> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        self.db
            .call(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .db()?;
                let (mut info, _) = find_object(&tx, &bucket, &key)?;
                info.meta.tags = tags;
                tx.execute(
                    "UPDATE objects SET meta = ?3 WHERE bucket = ?1 AND key = ?2",
                    params![bucket, key.as_bytes(), to_json(&info.meta)?],
                )
                .db()?;
                tx.commit().db()
            })
            .await
    }

    pub(super) async fn list_objects_impl(
        &self,
        bucket: &str,
        params: &ListParams,
    ) -> Result<ListPage, Error> {
        let bucket = bucket.to_owned();
        let prefix = params.prefix.clone();
        let delimiter = params.delimiter.clone().unwrap_or_default();
        let after = params.after.clone();
        let max = params.max_keys;
        self.db
            .call(move |c| {
                // one snapshot for the whole page
                let tx = c.transaction().db()?;
                require_bucket(&tx, &bucket)?;
                let req = listing::Request {
                    prefix: &prefix,
                    delimiter: &delimiter,
                    marker: after.as_deref(),
                    start: listing::start(&prefix, after.as_deref()),
                    max,
                };
                let fetch = |from: &From<Vec<u8>>, upper: Option<&[u8]>, limit: usize| {
                    fetch_objects(&tx, &bucket, from, upper, limit)
                };
                let (entries, is_truncated) = listing::list(
                    req,
                    fetch,
                    |o: &ObjectInfo| o.key.as_str(),
                    |o| o.key.as_bytes().to_vec(),
                )?;
                let mut page = ListPage {
                    objects: Vec::new(),
                    common_prefixes: Vec::new(),
                    is_truncated,
                    last: None,
                };
                for entry in entries {
                    match entry {
                        Entry::Item(o) => {
                            page.last = Some(o.key.clone());
                            page.objects.push(o);
                        }
                        Entry::Prefix(p) => {
                            page.last = Some(p.clone());
                            page.common_prefixes.push(p);
                        }
                    }
                }
                Ok(page)
            })
            .await
    }
}

fn is_empty(c: &Connection, bucket: &str) -> Result<bool, Error> {
    let any_object = c
        .prepare_cached("SELECT 1 FROM objects WHERE bucket = ?1 LIMIT 1")
        .db()?
        .exists([bucket])
        .db()?;
    let any_upload = c
        .prepare_cached("SELECT 1 FROM uploads WHERE bucket = ?1 LIMIT 1")
        .db()?
        .exists([bucket])
        .db()?;
    Ok(!any_object && !any_upload)
}

/// The object and its data id; `NoSuchKey`, or `NoSuchBucket` when the bucket is missing.
/// An object's row, the byte range to send (`None`: all of it) and its bytes, opened.
type OpenedObject = (ObjectInfo, Option<(u64, u64)>, Opened);

/// An object's row and its bytes, opened (blocking): `None` when it is larger than `at_most`
/// bytes (to read, after ranges). An overwrite commits and then deletes the old file; if that
/// happened between reading the row and opening its file, the row is read again.
fn open_object(
    c: &Connection,
    layout: &Layout,
    bucket: &str,
    key: &str,
    range: Option<RangeRequest>,
    at_most: Option<u64>,
) -> Result<Option<OpenedObject>, Error> {
    let mut attempts = 0;
    loop {
        let (info, data_id) = find_object(c, bucket, key)?;
        let resolved = range.map(|r| r.resolve(info.size)).transpose()?;
        let first = resolved.map_or(0, |(first, _)| first);
        let len = resolved.map_or(info.size, |(first, last)| last - first + 1);
        if at_most.is_some_and(|max| len > max) {
            return Ok(None);
        }
        match open_at(&layout.data_path(&data_id), first) {
            Ok(file) => {
                let data = Opened::new(file, len).map_err(Error::Io)?;
                return Ok(Some((info, resolved, data)));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempts < 3 => {
                attempts += 1;
            }
            Err(e) => return Err(Error::Io(e)),
        }
    }
}

pub(super) fn find_object(
    c: &Connection,
    bucket: &str,
    key: &str,
) -> Result<(ObjectInfo, String), Error> {
    const SQL: &str = concat!(
        "SELECT ",
        object_columns!(),
        " FROM objects WHERE bucket = ?1 AND key = ?2"
    );
    let found = c
        .prepare_cached(SQL)
        .db()?
        .query_row(params![bucket, key.as_bytes()], object_row)
        .optional()
        .db()?;
    match found {
        Some(row) => Ok(row),
        None => {
            require_bucket(c, bucket)?;
            Err(Error::NoSuchKey)
        }
    }
}

/// Makes `info` the object `info.key`, in one Immediate transaction: the bucket must exist,
/// `prepare` agree and `cond` hold. `place(dest)` puts the bytes at their final path before the
/// row commits, so a crash leaves at worst an orphan file, never a row without data; the
/// replaced object's file (and the data ids `prepare` returned) are removed only after the
/// commit. `prepare` runs first in the transaction and returns None to give up (then this
/// returns false, nothing written).
pub(super) fn commit_object(
    c: &mut Connection,
    layout: &Layout,
    bucket: &str,
    info: &ObjectInfo,
    cond: WriteCondition,
    prepare: impl FnOnce(&Transaction) -> Result<Option<Vec<String>>, Error>,
    place: impl FnOnce(&std::path::Path) -> std::io::Result<()>,
) -> Result<bool, Error> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .db()?;
    require_bucket(&tx, bucket)?;
    let Some(garbage) = prepare(&tx)? else {
        return Ok(false);
    };
    let old: Option<(String, String)> = tx
        .prepare_cached("SELECT data_id, etag FROM objects WHERE bucket = ?1 AND key = ?2")
        .db()?
        .query_row(params![bucket, info.key.as_bytes()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .db()?;
    check_condition(&cond, old.as_ref().map(|(_, etag)| etag.as_str()))?;
    let data_id = Layout::new_data_id();
    place(&layout.data_path(&data_id)).map_err(Error::Io)?;
    let written = (|| {
        tx.execute(
            "INSERT OR REPLACE INTO objects
                 (bucket, key, data_id, size, etag, last_modified_ms, meta, checksum, parts_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                bucket,
                info.key.as_bytes(),
                data_id,
                info.size,
                info.etag,
                ms_of(info.last_modified),
                to_json(&info.meta)?,
                info.checksum.as_ref().map(to_json).transpose()?,
                info.parts_count,
            ],
        )
        .db()?;
        tx.commit().db()
    })();
    if let Err(e) = written {
        layout.remove_data([data_id.as_str()]);
        return Err(e);
    }
    layout.remove_data(old.as_ref().map(|(id, _)| id.as_str()));
    layout.remove_data(garbage.iter().map(String::as_str));
    Ok(true)
}

fn check_condition(cond: &WriteCondition, current_etag: Option<&str>) -> Result<(), Error> {
    match (cond, current_etag) {
        (WriteCondition::Always, _) | (WriteCondition::IfNoneMatchAny, None) => Ok(()),
        (WriteCondition::IfNoneMatchAny, Some(_)) => Err(Error::PreconditionFailed),
        (WriteCondition::IfMatch(_), None) => Err(Error::NoSuchKey),
        (WriteCondition::IfMatch(want), Some(have)) if want == have => Ok(()),
        (WriteCondition::IfMatch(_), Some(_)) => Err(Error::PreconditionFailed),
    }
}

fn fetch_objects(
    c: &Connection,
    bucket: &str,
    from: &From<Vec<u8>>,
    upper: Option<&[u8]>,
    limit: usize,
) -> Result<Vec<ObjectInfo>, Error> {
    let (op, bound) = match from {
        From::Key(k) => (">=", k),
        From::After(k) => (">", k),
    };
    let upper_clause = if upper.is_some() { "AND key < ?4" } else { "" };
    let sql = format!(
        "SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ?1 AND key {op} ?2 {upper_clause}
         ORDER BY key LIMIT ?3"
    );
    let mut stmt = c.prepare_cached(&sql).db()?;
    let rows = match upper {
        Some(u) => stmt.query_map(params![bucket, bound, limit, u], object_row),
        None => stmt.query_map(params![bucket, bound, limit], object_row),
    }
    .db()?;
    rows.map(|r| r.map(|(info, _)| info))
        .collect::<rusqlite::Result<_>>()
        .db()
}
