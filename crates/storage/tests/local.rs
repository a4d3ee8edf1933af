//! The local backend: the conformance suite, plus what only a directory-backed store can show.

#![allow(clippy::unwrap_used)]

mod conformance;

use conformance::*;
use mrap_storage::local::LocalStore;
use mrap_storage::{Error, ObjectMeta, RegionStore, Wanted, WriteCondition};
use std::path::{Path, PathBuf};

async fn open_local() -> (tempfile::TempDir, LocalStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    (dir, store)
}

conformance_tests!(open_local);

/// Every file under `dir`, relative.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn data_files(dir: &Path) -> usize {
    files(dir)
        .iter()
        .filter(|p| p.starts_with("objects"))
        .count()
}

fn temp_files(dir: &Path) -> usize {
    files(dir).iter().filter(|p| p.starts_with("tmp")).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_never_become_paths() {
    let (dir, s) = open_local().await;
    s.create_bucket("b").await.unwrap();
    let keys = conformance::objects::hostile_key_set();
    for k in &keys {
        put(&s, "b", k, b"x").await;
    }
    for f in files(dir.path()) {
        let parts: Vec<String> = f.iter().map(|c| c.to_string_lossy().into_owned()).collect();
        let ok = match parts.as_slice() {
            [db] => db.starts_with("region.sqlite3"),
            [objects, fan, id] => {
                objects == "objects"
                    && id.len() == 32
                    && id.bytes().all(|c| c.is_ascii_hexdigit())
                    && id.starts_with(fan.as_str())
            }
            _ => false,
        };
        assert!(ok, "unexpected file {f:?}");
    }
    assert_eq!(data_files(dir.path()), keys.len());
    // nothing escaped the Region directory
    assert!(!dir.path().parent().unwrap().join("x").exists() || keys.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_or_abandoned_bodies_leave_no_files() {
    let (dir, s) = open_local().await;
    s.create_bucket("b").await.unwrap();
    let failing = futures::StreamExt::boxed(futures::stream::iter(vec![
        Ok(bytes::Bytes::from(vec![1u8; 100_000])),
        Err(std::io::Error::other("client went away")),
    ]));
    assert!(matches!(
        s.stage("b", failing, Wanted::default(), MAX).await,
        Err(Error::Body(_))
    ));
    assert!(matches!(
        s.stage("b", body(vec![vec![0; 100]; 3]), Wanted::default(), 250)
            .await,
        Err(Error::EntityTooLarge { max: 250 })
    ));
    drop(conformance::stage(&s, "b", b"abandoned", Wanted::default()).await);
    // refused commits remove the staged body and leave no data file
    put(&s, "b", "k", b"v").await;
    let staged = conformance::stage(&s, "b", b"refused", Wanted::default()).await;
    assert!(matches!(
        s.put_object(
            "b",
            "k",
            staged,
            ObjectMeta::default(),
            WriteCondition::IfNoneMatchAny
        )
        .await,
        Err(Error::PreconditionFailed)
    ));
    let staged = conformance::stage(&s, "b", b"bucket gone", Wanted::default()).await;
    s.create_bucket("gone").await.unwrap();
    s.delete_bucket("gone").await.unwrap();
    assert!(matches!(
        s.put_object(
            "gone",
            "k",
            staged,
            ObjectMeta::default(),
            WriteCondition::Always
        )
        .await,
        Err(Error::NoSuchBucket)
    ));
    // a cancelled stage (the request future dropped mid-body)
    let (tx, rx) = futures::channel::mpsc::channel::<std::io::Result<bytes::Bytes>>(1);
    let pending = s.stage("b", futures::StreamExt::boxed(rx), Wanted::default(), MAX);
    let mut tx = tx;
    futures::SinkExt::send(&mut tx, Ok(bytes::Bytes::from_static(b"partial")))
        .await
        .unwrap();
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(100), pending)
            .await
            .is_err()
    );
    // give the writer thread a moment to notice
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(temp_files(dir.path()), 0);
    assert_eq!(data_files(dir.path()), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaced_and_deleted_data_is_removed() {
    let (dir, s) = open_local().await;
    s.create_bucket("b").await.unwrap();
    put(&s, "b", "k", b"one").await;
    put(&s, "b", "k", b"two").await;
    assert_eq!(data_files(dir.path()), 1);
    s.delete_object("b", "k").await.unwrap();
    assert_eq!(data_files(dir.path()), 0);
    // parts, replaced parts, completed and aborted uploads
    let id = s
        .create_multipart_upload("b", "m", ObjectMeta::default(), None)
        .await
        .unwrap();
    for data in [b"first".as_slice(), b"second"] {
        let staged = conformance::stage(&s, "b", data, Wanted::default()).await;
        s.upload_part("b", "m", &id, 1, staged).await.unwrap();
    }
    let staged = conformance::stage(&s, "b", b"unlisted", Wanted::default()).await;
    let p2 = s.upload_part("b", "m", &id, 2, staged).await.unwrap();
    assert_eq!(data_files(dir.path()), 2);
    let parts = [mrap_storage::CompletedPart {
        part_number: 2,
        etag: p2.etag,
        checksum: None,
    }];
    s.complete_multipart_upload("b", "m", &id, &parts, WriteCondition::Always)
        .await
        .unwrap();
    assert_eq!(data_files(dir.path()), 1, "only the object's file is left");
    let id = s
        .create_multipart_upload("b", "a", ObjectMeta::default(), None)
        .await
        .unwrap();
    let staged = conformance::stage(&s, "b", b"part", Wanted::default()).await;
    s.upload_part("b", "a", &id, 1, staged).await.unwrap();
    s.abort_multipart_upload("b", "a", &id).await.unwrap();
    assert_eq!(data_files(dir.path()), 1);
    assert_eq!(temp_files(dir.path()), 0);
}

/// GETs racing overwrites, small objects (read where the request is served) and large ones
/// (streamed from the blocking pool) alike: every read is one whole version, with its own ETag,
/// never an error (an overwrite deletes the old file after its commit; a read that found the
/// old row reads again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_racing_overwrites_see_whole_versions() {
    let (_dir, s) = open_local().await;
    let s = std::sync::Arc::new(s);
    s.create_bucket("b").await.unwrap();
    let versions: Vec<Vec<u8>> = [(b'a', 100), (b'b', 4096), (b'c', 70_000), (b'd', 200_000)]
        .into_iter()
        .map(|(byte, len)| vec![byte; len])
        .collect();
    put(s.as_ref(), "b", "k", &versions[0]).await;
    let writer = {
        let (s, versions) = (s.clone(), versions.clone());
        tokio::spawn(async move {
            for i in 0..200 {
                put(s.as_ref(), "b", "k", &versions[i % versions.len()]).await;
            }
        })
    };
    let mut reads = 0;
    while !writer.is_finished() {
        let out = s.get_object("b", "k", None).await.unwrap();
        let etag = out.info.etag.clone();
        let data = read_all(out).await;
        assert!(
            versions.contains(&data),
            "a torn read of {} bytes",
            data.len()
        );
        assert_eq!(etag, md5_hex(&data));
        reads += 1;
    }
    writer.await.unwrap();
    assert!(reads > 0);
}

/// Two stores on one directory stand in for two gateway processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_share_a_region_directory() {
    let dir = tempfile::tempdir().unwrap();
    let a = LocalStore::open(dir.path()).unwrap();
    let b = LocalStore::open(dir.path()).unwrap();
    a.create_bucket("shared").await.unwrap();
    put(&a, "shared", "from-a", b"A").await;
    assert_eq!(get(&b, "shared", "from-a").await, b"A");
    put(&b, "shared", "from-a", b"B").await;
    assert_eq!(get(&a, "shared", "from-a").await, b"B");
    let id = a
        .create_multipart_upload("shared", "m", ObjectMeta::default(), None)
        .await
        .unwrap();
    let staged = conformance::stage(&b, "shared", b"part", Wanted::default()).await;
    let p = b.upload_part("shared", "m", &id, 1, staged).await.unwrap();
    let parts = [mrap_storage::CompletedPart {
        part_number: 1,
        etag: p.etag,
        checksum: None,
    }];
    a.complete_multipart_upload("shared", "m", &id, &parts, WriteCondition::Always)
        .await
        .unwrap();
    assert_eq!(get(&b, "shared", "m").await, b"part");
    // concurrent writers through both
    let writes = (0..40).map(|i| {
        let s: &dyn RegionStore = if i % 2 == 0 { &a } else { &b };
        async move { put(s, "shared", &format!("w{i:02}"), &[i as u8]).await }
    });
    futures::future::join_all(writes).await;
    let listed = list_all(&a, "shared", "w", None, 1000).await;
    assert_eq!(listed.len(), 40);
    assert_eq!(list_all(&b, "shared", "w", None, 7).await, listed);
    assert!(matches!(
        b.delete_bucket("shared").await,
        Err(Error::BucketNotEmpty)
    ));
    for k in listed
        .iter()
        .chain(["from-a".to_string(), "m".to_string()].iter())
    {
        a.delete_object("shared", k).await.unwrap();
    }
    b.delete_bucket("shared").await.unwrap();
    assert!(matches!(
        a.head_object("shared", "m").await,
        Err(Error::NoSuchBucket)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let s = LocalStore::open(dir.path()).unwrap();
        s.create_bucket("b").await.unwrap();
        put(&s, "b", "k", b"kept").await;
        s.create_multipart_upload("b", "m", ObjectMeta::default(), None)
            .await
            .unwrap()
    };
    let s = LocalStore::open(dir.path()).unwrap();
    assert_eq!(get(&s, "b", "k").await, b"kept");
    assert_eq!(
        s.list_parts("b", "m", &id, 0, 10)
            .await
            .unwrap()
            .upload
            .upload_id,
        id
    );
}

/// Processes open a new Region at the same moment (the gateway and the provisioner at start-up):
/// every opener succeeds, none meets "database is locked".
#[test]
fn simultaneous_first_opens_all_succeed() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let start = std::sync::Arc::new(std::sync::Barrier::new(8));
        let openers: Vec<_> = (0..8)
            .map(|_| {
                let (path, start) = (dir.path().to_path_buf(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    LocalStore::open(&path).map(|_| ())
                })
            })
            .collect();
        for opener in openers {
            let opened = opener.join().unwrap();
            assert!(opened.is_ok(), "{opened:?}");
        }
    }
}
