//! Buckets: creation, emptiness, deletion, and deletion racing writers.

use super::*;
use mrap_storage::Error;

pub async fn lifecycle(s: &dyn RegionStore) {
    assert!(matches!(
        s.bucket_is_empty("b").await,
        Err(Error::NoSuchBucket)
    ));
    assert!(matches!(
        s.delete_bucket("b").await,
        Err(Error::NoSuchBucket)
    ));
    s.create_bucket("b").await.unwrap();
    s.create_bucket("b").await.unwrap(); // idempotent
    assert!(s.bucket_is_empty("b").await.unwrap());
    put(s, "b", "k", b"v").await;
    s.create_bucket("b").await.unwrap(); // and keeps the contents
    assert_eq!(get(s, "b", "k").await, b"v");
    s.delete_object("b", "k").await.unwrap();
    s.delete_bucket("b").await.unwrap();
    assert!(matches!(
        s.head_object("b", "k").await,
        Err(Error::NoSuchBucket)
    ));
    // a body staged before the bucket went cannot be committed into it
    s.create_bucket("b").await.unwrap();
    let staged = stage(s, "b", b"late", Wanted::default()).await;
    s.delete_bucket("b").await.unwrap();
    assert!(matches!(
        s.put_object(
            "b",
            "k",
            staged,
            ObjectMeta::default(),
            WriteCondition::Always
        )
        .await,
        Err(Error::NoSuchBucket)
    ));
    s.create_bucket("b").await.unwrap();
    assert!(s.bucket_is_empty("b").await.unwrap());
}

pub async fn not_empty(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    put(s, "b", "k", b"v").await;
    assert!(!s.bucket_is_empty("b").await.unwrap());
    assert!(matches!(
        s.delete_bucket("b").await,
        Err(Error::BucketNotEmpty)
    ));
    s.delete_object("b", "k").await.unwrap();
    // an upload in progress also keeps the bucket
    let id = s
        .create_multipart_upload("b", "m", ObjectMeta::default(), None)
        .await
        .unwrap();
    assert!(!s.bucket_is_empty("b").await.unwrap());
    assert!(matches!(
        s.delete_bucket("b").await,
        Err(Error::BucketNotEmpty)
    ));
    s.abort_multipart_upload("b", "m", &id).await.unwrap();
    assert!(s.bucket_is_empty("b").await.unwrap());
    s.delete_bucket("b").await.unwrap();
    assert!(matches!(
        s.create_multipart_upload("b", "m", ObjectMeta::default(), None)
            .await,
        Err(Error::NoSuchBucket)
    ));
}

/// Writers keep putting and deleting objects while the bucket is being deleted, so it is
/// empty only now and then. Once the delete has won, no put may succeed: a writer whose put
/// succeeded must always be able to delete its object afterwards (a `NoSuchBucket` there means
/// an object was committed into a bucket that was then deleted under it), and no row may
/// outlive the bucket.
pub async fn delete_races_puts(s: &dyn RegionStore) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    for round in 0..5 {
        s.create_bucket("race").await.unwrap();
        let puts = AtomicUsize::new(0);
        let puts = &puts;
        let writers = (0..16).map(|w| async move {
            for i in 0..30 {
                let key = format!("k{round}-{w}-{i}");
                let data = body(vec![key.clone().into_bytes()]);
                let staged = match s.stage("race", data, Wanted::default(), MAX).await {
                    Ok(staged) => staged,
                    Err(Error::NoSuchBucket) => return,
                    Err(e) => panic!("stage: {e}"),
                };
                let cond = WriteCondition::Always;
                match s
                    .put_object("race", &key, staged, ObjectMeta::default(), cond)
                    .await
                {
                    Ok(_) => {}
                    Err(Error::NoSuchBucket) => return,
                    Err(e) => panic!("put: {e}"),
                }
                puts.fetch_add(1, Ordering::Relaxed);
                if let Err(e) = s.delete_object("race", &key).await {
                    panic!("round {round}: {key} was put, then its bucket vanished: {e}");
                }
            }
        });
        let deleter = async {
            // let the writers get going, then try until it works (at the latest once they stop)
            while puts.load(Ordering::Relaxed) < 20 {
                tokio::task::yield_now().await;
            }
            loop {
                match s.delete_bucket("race").await {
                    Ok(()) => return,
                    Err(Error::BucketNotEmpty) => tokio::task::yield_now().await,
                    Err(e) => panic!("delete_bucket: {e}"),
                }
            }
        };
        futures::join!(futures::future::join_all(writers), deleter);
        assert!(matches!(
            s.bucket_is_empty("race").await,
            Err(Error::NoSuchBucket)
        ));
        s.create_bucket("race").await.unwrap();
        assert!(
            s.bucket_is_empty("race").await.unwrap(),
            "round {round}: rows outlived their bucket"
        );
        s.delete_bucket("race").await.unwrap();
    }
}
