//! The policy-store over a real nats-server: idempotency, quota, outbox and the operation state
//! machine, driven through its NATS API exactly as the gateway and the provisioner drive it.

#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test loudly

use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull};
use futures::StreamExt;
use mrap_model::{
    AccountId, BucketName, ErrorCode, MrapName, MrapRegion, OpPhase, OpStatus, PublicAccessBlock,
    RegionName, RequestParams, RequestToken, RequestedRegion,
};
use mrap_proto::{RpcError, store::*, subjects::KvBucket};

mod common;
use common::{Harness, begin, call, code, refusal, refused, to_work};

fn create_params(name: &str) -> RequestParams {
    RequestParams::Create {
        name: MrapName::parse(name).unwrap(),
        public_access_block: PublicAccessBlock::ALL_ON,
        regions: vec![RequestedRegion {
            bucket: BucketName::parse("bkt-a").unwrap(),
            bucket_account_id: None,
        }],
    }
}

fn submit(h: &Harness, client_token: &str, params: RequestParams) -> SubmitOp {
    SubmitOp {
        account: h.account.clone(),
        client_token: client_token.into(),
        request_id: "REQ1".into(),
        params,
    }
}

#[tokio::test]
async fn client_tokens_are_idempotent_and_conflicts_refused() {
    let h = common::start("st.mrap").await;
    let first = call(&h, &submit(&h, "ct-1", create_params("one")))
        .await
        .unwrap();
    // Same request, same client token: the same token.
    let again = call(&h, &submit(&h, "ct-1", create_params("one")))
        .await
        .unwrap();
    assert_eq!(again, first);
    // Different request, same client token.
    let err = call(&h, &submit(&h, "ct-1", create_params("two")))
        .await
        .unwrap_err();
    assert_eq!(code(err), ErrorCode::ClientTokenConflict);
    // The same client token for another operation kind is another scope.
    let delete = RequestParams::Delete {
        name: MrapName::parse("one").unwrap(),
    };
    assert!(call(&h, &submit(&h, "ct-1", delete)).await.is_ok());
}

/// Operation records and client tokens expire after the retention (through the KV's own
/// `max_age`): Describe then answers NoSuchAsyncRequest and the client token is free again.
#[tokio::test]
async fn operations_expire_after_the_retention() {
    let h = common::start_with_retention("st.mrap", Duration::from_secs(1)).await;
    let token = call(&h, &submit(&h, "ct-r", create_params("brief")))
        .await
        .unwrap();
    let get = GetOp {
        account: h.account.clone(),
        op_id: token.id.clone(),
    };
    assert!(call(&h, &get).await.is_ok(), "kept during the retention");
    let mut gone = None;
    for _ in 0..100 {
        match call(&h, &get).await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => {
                gone = Some(code(e));
                break;
            }
        }
    }
    assert_eq!(gone, Some(ErrorCode::NoSuchAsyncRequest));
    // A different request may use the client token again: no ClientTokenConflict, and its job is
    // enqueued, not dropped as the first one's duplicate (the duplicate window is no longer than
    // the retention).
    let again = call(&h, &submit(&h, "ct-r", create_params("other")))
        .await
        .unwrap();
    assert_eq!(again, token);
    let js = jetstream::new(h.client.clone());
    let mut jobs = js.get_stream(h.ns.jobs_stream()).await.unwrap();
    assert_eq!(jobs.info().await.unwrap().state.messages, 2);
}

#[tokio::test]
async fn submitted_operations_are_recorded_then_enqueued_once() {
    let h = common::start("st.mrap").await;
    let token = call(&h, &submit(&h, "ct-q", create_params("queued")))
        .await
        .unwrap();
    let op = call(
        &h,
        &GetOp {
            account: h.account.clone(),
            op_id: token.id.clone(),
        },
    )
    .await
    .unwrap();
    assert_eq!(op.status, OpStatus::New);
    assert_eq!(op.request_id, "REQ1");
    // Resubmitting re-publishes with the same Nats-Msg-Id: still one job, carrying the operation.
    call(&h, &submit(&h, "ct-q", create_params("queued")))
        .await
        .unwrap();
    let js = jetstream::new(h.client.clone());
    let stream = js.get_stream(h.ns.jobs_stream()).await.unwrap();
    let consumer = stream
        .create_consumer(pull::Config {
            durable_name: Some("probe".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut batch = consumer
        .fetch()
        .max_messages(10)
        .expires(Duration::from_millis(300))
        .messages()
        .await
        .unwrap();
    let mut jobs = Vec::new();
    while let Some(m) = batch.next().await {
        let m = m.unwrap();
        jobs.push(mrap_proto::codec::decode::<mrap_proto::jobs::Job>(&m.payload).unwrap());
    }
    let expected = mrap_proto::jobs::Job {
        op_id: token.id.clone(),
        submitted: Some(Box::new(op)),
    };
    assert_eq!(jobs, vec![expected]);
}

/// The store stopped after publishing a job and before recording its operation: the job's first
/// step records it from its copy and takes the step; a late submission finds it recorded.
#[tokio::test]
async fn a_job_records_the_operation_its_submission_did_not() {
    let h = common::start("st.mrap").await;
    let params = create_params("unrecorded");
    let op = mrap_model::AsyncOperation {
        token: RequestToken::for_client_token(h.account.clone(), "create", "ct-u"),
        account: h.account.clone(),
        created_at: 1,
        updated_at: 1,
        request_id: "REQ0".into(),
        params: params.clone(),
        status: OpStatus::New,
        phase: OpPhase::Accepted,
        regions: Vec::new(),
        error: None,
    };
    let id = op.token.id.clone();
    let get = GetOp {
        account: h.account.clone(),
        op_id: id.clone(),
    };
    assert_eq!(
        code(call(&h, &get).await.unwrap_err()),
        ErrorCode::NoSuchAsyncRequest
    );
    // Without a copy (a job of an older store) there is nothing to record.
    assert!(
        call(
            &h,
            &BeginOp {
                op_id: id.clone(),
                submitted: None,
                served_regions: Vec::new()
            }
        )
        .await
        .is_err()
    );
    // bkt-a does not exist: the create is refused at its claim, as it would have been anyway.
    assert_eq!(
        refusal(common::begin_job(&h, &id, Some(Box::new(op.clone()))).await),
        (ErrorCode::NoSuchBucket, "bkt-a".to_owned())
    );
    let recorded = call(&h, &get).await.unwrap();
    assert_eq!(
        (recorded.request_id.as_str(), recorded.params.clone()),
        ("REQ0", params.clone())
    );
    // The client's retry is answered with the operation's token.
    let t = call(&h, &submit(&h, "ct-u", params)).await.unwrap();
    assert_eq!(t, op.token);
}

#[tokio::test]
async fn terminal_operations_never_change_again() {
    let h = common::start("st.mrap").await;
    let token = call(&h, &submit(&h, "ct-t", create_params("term")))
        .await
        .unwrap();
    let get = GetOp {
        account: h.account.clone(),
        op_id: token.id.clone(),
    };
    // A job's first step (here, none) would mark it IN_PROGRESS.
    assert_eq!(call(&h, &get).await.unwrap().status, OpStatus::New);
    let failure = Failure {
        code: ErrorCode::NoSuchBucket,
        message: "gone".into(),
        resource: "bkt-a".into(),
    };
    let failed = call(
        &h,
        &FinishOp {
            op_id: token.id.clone(),
            outcome: Err(failure),
        },
    )
    .await
    .unwrap();
    assert_eq!(failed.status, OpStatus::Failed);
    let details = failed.error.clone().unwrap();
    assert_eq!(
        (details.code.as_str(), details.request_id.as_str()),
        ("NoSuchBucket", "REQ1")
    );
    // A late success (say, a redelivered job) does not flip it.
    let after = call(
        &h,
        &FinishOp {
            op_id: token.id.clone(),
            outcome: Ok(()),
        },
    )
    .await
    .unwrap();
    assert_eq!(after, failed);
    // Nor does a redelivered job's first step: it is told the operation has ended.
    assert_eq!(begin(&h, &token.id).await.work, Work::Ended);
    assert_eq!(call(&h, &get).await.unwrap(), failed);
}

#[tokio::test]
async fn claims_are_idempotent_per_operation_and_exclusive_per_name() {
    let h = common::start("st.mrap").await;
    let region = RegionName::parse("us-east-1").unwrap();
    call(
        &h,
        &CreateBucket {
            name: BucketName::parse("bkt-a").unwrap(),
            region: region.clone(),
            owner: h.account.clone(),
        },
    )
    .await
    .unwrap();
    let t1 = call(&h, &submit(&h, "c1", create_params("shared-name")))
        .await
        .unwrap();
    let t2 = call(&h, &submit(&h, "c2", create_params("shared-name")))
        .await
        .unwrap();
    let a = to_work(begin(&h, &t1.id).await);
    assert_eq!(
        a.regions,
        vec![MrapRegion::new(
            BucketName::parse("bkt-a").unwrap(),
            region,
            h.account.clone(),
        )]
    );
    // The claim is the create's first write: the operation is under way, its Region shown.
    let op = call(
        &h,
        &GetOp {
            account: h.account.clone(),
            op_id: t1.id.clone(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (op.status, op.phase, op.regions.len()),
        (OpStatus::InProgress, OpPhase::Claimed, 1)
    );
    assert_eq!(op.regions[0].status, OpStatus::InProgress);
    let replay = to_work(begin(&h, &t1.id).await);
    assert_eq!(
        a.alias, replay.alias,
        "a replayed claim must not mint a second alias"
    );
    assert_eq!(
        refused(begin(&h, &t2.id).await).code,
        ErrorCode::MultiRegionAccessPointAlreadyOwnedByYou
    );
    // A name taken is reported before a bucket problem.
    let missing_bucket = RequestParams::Create {
        name: MrapName::parse("shared-name").unwrap(),
        public_access_block: PublicAccessBlock::ALL_ON,
        regions: vec![RequestedRegion {
            bucket: BucketName::parse("no-such-bkt").unwrap(),
            bucket_account_id: None,
        }],
    };
    let t3 = call(&h, &submit(&h, "c3", missing_bucket)).await.unwrap();
    assert_eq!(
        refused(begin(&h, &t3.id).await).code,
        ErrorCode::MultiRegionAccessPointAlreadyOwnedByYou
    );
    // The bucket cannot go while the MRAP holds it.
    let err = call(
        &h,
        &DeleteBucket {
            name: BucketName::parse("bkt-a").unwrap(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(code(err), ErrorCode::InvalidBucketState);
    // A failed create removes its MRAP, freeing both the name and the bucket.
    let failed = call(
        &h,
        &FinishOp {
            op_id: t1.id.clone(),
            outcome: Err(Failure {
                code: ErrorCode::InternalErrors,
                message: "wiring failed".into(),
                resource: String::new(),
            }),
        },
    )
    .await
    .unwrap();
    assert_eq!(failed.status, OpStatus::Failed);
    assert_eq!(failed.regions[0].status, OpStatus::Failed);
    let err = call(
        &h,
        &GetMrap {
            account: h.account.clone(),
            name: MrapName::parse("shared-name").unwrap(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(code(err), ErrorCode::NoSuchMultiRegionAccessPoint);
    // ... and leaves nothing in the KV stream, not even a delete marker, which every later listing
    // of the account (and quota count) would otherwise have to read.
    assert_eq!(kv_subjects(&h, KvBucket::Mraps).await, Vec::new());
    let b = to_work(begin(&h, &t2.id).await);
    assert_ne!(a.alias, b.alias, "aliases are never reused");
    let key = mrap_model::MrapRecord::key(&h.account, &MrapName::parse("shared-name").unwrap());
    let bucket = h.ns.kv(KvBucket::Mraps);
    assert_eq!(
        kv_subjects(&h, KvBucket::Mraps).await,
        vec![(format!("$KV.{bucket}.{key}"), 1)]
    );
    let listed = call(
        &h,
        &ListMraps {
            account: h.account.clone(),
        },
    )
    .await
    .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].alias, b.alias);
}

/// Creates over one bucket at once all take it, and the bucket cannot be deleted while any of
/// their MRAPs exists; once they are gone, it can.
#[tokio::test]
async fn a_bucket_goes_only_when_no_mrap_includes_it() {
    let h = common::start("st.mrap").await;
    let bucket = BucketName::parse("bkt-a").unwrap();
    call(
        &h,
        &CreateBucket {
            name: bucket.clone(),
            region: RegionName::parse("us-east-1").unwrap(),
            owner: h.account.clone(),
        },
    )
    .await
    .unwrap();
    let mut tokens = Vec::new();
    for i in 0..12 {
        let params = create_params(&format!("shared-{i}"));
        tokens.push(
            call(&h, &submit(&h, &format!("ct-{i}"), params))
                .await
                .unwrap(),
        );
    }
    let claims = tokens.iter().map(|t| begin(&h, &t.id));
    for claimed in futures::future::join_all(claims).await {
        to_work(claimed);
    }
    let delete = DeleteBucket {
        name: bucket.clone(),
    };
    // All but one fail: the last still holds the bucket.
    let fail = |t: &RequestToken| FinishOp {
        op_id: t.id.clone(),
        outcome: Err(Failure {
            code: ErrorCode::InternalErrors,
            message: "wiring failed".into(),
            resource: String::new(),
        }),
    };
    let failures = tokens[1..].iter().map(|t| {
        let finish = fail(t);
        let h = &h;
        async move { call(h, &finish).await }
    });
    for failed in futures::future::join_all(failures).await {
        assert_eq!(failed.unwrap().status, OpStatus::Failed);
    }
    let err = call(&h, &delete).await.unwrap_err();
    let RpcError::Api(refusal) = err else {
        panic!("expected a refusal, got {err}")
    };
    assert_eq!(refusal.code, ErrorCode::InvalidBucketState);
    assert!(
        refusal.message.contains("'shared-0'"),
        "{}",
        refusal.message
    );
    // The refused delete took its mark off: a create may take the bucket again.
    let get = GetBucket {
        name: bucket.clone(),
    };
    assert_eq!(call(&h, &get).await.unwrap().unwrap().deleting_since, None);
    call(&h, &fail(&tokens[0])).await.unwrap();
    call(&h, &delete).await.unwrap();
    assert_eq!(call(&h, &get).await.unwrap(), None);
}

/// A bucket being deleted (a DeleteBucket's mark, fresh) is refused by a create's lookup and by
/// its check after taking the name, a replay included; a mark left behind by a stopped store
/// expires.
#[tokio::test]
async fn creates_give_up_a_bucket_being_deleted() {
    let h = common::start("st.mrap").await;
    let bucket = call(
        &h,
        &CreateBucket {
            name: BucketName::parse("bkt-a").unwrap(),
            region: RegionName::parse("us-east-1").unwrap(),
            owner: h.account.clone(),
        },
    )
    .await
    .unwrap();
    let js = jetstream::new(h.client.clone());
    let buckets = js.get_key_value(h.ns.kv(KvBucket::Buckets)).await.unwrap();
    // What a DeleteBucket that is reading the MRAPs has written, `ago` ms ago.
    let mark = |ago: Option<i64>| {
        let mut b = bucket.clone();
        b.deleting_since = ago.map(|ago| mrap_model::time::now_millis() - ago);
        let buckets = buckets.clone();
        async move {
            buckets
                .put("bkt-a", mrap_proto::codec::encode(&b).unwrap())
                .await
                .unwrap();
        }
    };
    let t = call(&h, &submit(&h, "c1", create_params("marked")))
        .await
        .unwrap();
    let being_deleted = (ErrorCode::InvalidBucketState, "bkt-a".to_owned());
    mark(Some(0)).await;
    assert_eq!(refusal(begin(&h, &t.id).await), being_deleted);
    // Older than a delete takes: left by a store that stopped mid-delete.
    mark(Some(31_000)).await;
    let taken = to_work(begin(&h, &t.id).await);
    assert_eq!(taken.regions[0].bucket.as_str(), "bkt-a");
    // A delete began after the name was taken: a replay of the first step checks again.
    mark(Some(0)).await;
    assert_eq!(refusal(begin(&h, &t.id).await), being_deleted);
    mark(None).await;
    assert_eq!(to_work(begin(&h, &t.id).await).alias, taken.alias);
}

/// A create's first step looks its buckets up itself: a refusal names the bucket (Describe's
/// `Resource`), and a bucket outside the Regions the provisioner serves is unsupported. A delete
/// replayed after an earlier delivery removed the MRAP has nothing left to do in the Regions.
#[tokio::test]
async fn first_steps_refuse_by_bucket_and_replayed_deletes_find_nothing_to_do() {
    let h = common::start("st.mrap").await;
    let t = call(&h, &submit(&h, "c1", create_params("by-bucket")))
        .await
        .unwrap();
    assert_eq!(
        refusal(begin(&h, &t.id).await),
        (ErrorCode::NoSuchBucket, "bkt-a".to_owned())
    );
    let bucket = |region: &str| CreateBucket {
        name: BucketName::parse("bkt-a").unwrap(),
        region: RegionName::parse(region).unwrap(),
        owner: h.account.clone(),
    };
    call(&h, &bucket("ap-south-1")).await.unwrap();
    assert_eq!(
        refusal(begin(&h, &t.id).await),
        (
            ErrorCode::MultiRegionAccessPointUnsupportedRegion,
            "bkt-a".to_owned()
        )
    );
    // Refusals changed nothing: the operation is still NEW, the bucket in no MRAP.
    let get = GetOp {
        account: h.account.clone(),
        op_id: t.id.clone(),
    };
    assert_eq!(call(&h, &get).await.unwrap().status, OpStatus::New);
    call(
        &h,
        &DeleteBucket {
            name: BucketName::parse("bkt-a").unwrap(),
        },
    )
    .await
    .unwrap();
    call(&h, &bucket("us-east-1")).await.unwrap();
    let created = to_work(begin(&h, &t.id).await);
    let finish = |op_id: &str| FinishOp {
        op_id: op_id.to_owned(),
        outcome: Ok(()),
    };
    assert_eq!(
        call(&h, &finish(&t.id)).await.unwrap().status,
        OpStatus::Succeeded
    );

    let delete = RequestParams::Delete {
        name: MrapName::parse("by-bucket").unwrap(),
    };
    let d = call(&h, &submit(&h, "d1", delete)).await.unwrap();
    let deleting = to_work(begin(&h, &d.id).await);
    assert_eq!(
        (deleting.alias, deleting.status),
        (created.alias, mrap_model::MrapStatus::Deleting)
    );
    // An earlier delivery got as far as removing the record, then crashed.
    let mraps = jetstream::new(h.client.clone())
        .get_key_value(h.ns.kv(KvBucket::Mraps))
        .await
        .unwrap();
    mraps
        .purge(mrap_model::MrapRecord::key(&h.account, &deleting.name))
        .await
        .unwrap();
    assert_eq!(begin(&h, &d.id).await.work, Work::Nothing);
    assert_eq!(
        call(&h, &finish(&d.id)).await.unwrap().status,
        OpStatus::Succeeded
    );
}

/// The subjects of a KV bucket's stream that hold messages, with their message counts.
async fn kv_subjects(h: &Harness, kv: KvBucket) -> Vec<(String, usize)> {
    let bucket = h.ns.kv(kv);
    let stream = jetstream::new(h.client.clone())
        .get_stream(format!("KV_{bucket}"))
        .await
        .unwrap();
    let mut subjects: Vec<(String, usize)> = stream
        .info_with_subjects(format!("$KV.{bucket}.>"))
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    subjects.sort();
    subjects
}

#[tokio::test]
async fn buckets_have_one_owner() {
    let h = common::start("st.mrap").await;
    let other = AccountId::parse("111111111111").unwrap();
    let name = BucketName::parse("owned").unwrap();
    let region = RegionName::parse("eu-west-1").unwrap();
    call(
        &h,
        &CreateBucket {
            name: name.clone(),
            region: region.clone(),
            owner: h.account.clone(),
        },
    )
    .await
    .unwrap();
    let mine = call(
        &h,
        &CreateBucket {
            name: name.clone(),
            region: region.clone(),
            owner: h.account.clone(),
        },
    )
    .await;
    assert_eq!(code(mine.unwrap_err()), ErrorCode::BucketAlreadyOwnedByYou);
    let theirs = call(
        &h,
        &CreateBucket {
            name: name.clone(),
            region,
            owner: other.clone(),
        },
    )
    .await;
    assert_eq!(code(theirs.unwrap_err()), ErrorCode::BucketAlreadyExists);
    assert_eq!(
        call(
            &h,
            &ListBuckets {
                owner: h.account.clone()
            }
        )
        .await
        .unwrap()
        .len(),
        1
    );
    assert!(
        call(&h, &ListBuckets { owner: other })
            .await
            .unwrap()
            .is_empty()
    );
    call(&h, &DeleteBucket { name: name.clone() })
        .await
        .unwrap();
    assert_eq!(
        call(&h, &GetBucket { name: name.clone() }).await.unwrap(),
        None
    );
    assert_eq!(
        code(call(&h, &DeleteBucket { name }).await.unwrap_err()),
        ErrorCode::NoSuchBucket
    );
}
