//! Policies and Block Public Access in the policy-store over a real nats-server.

#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test loudly

use mrap_model::{
    BucketName, ErrorCode, MrapName, MrapStatus, OpStatus, PublicAccessBlock, RegionName,
    RequestParams, RequestedRegion,
};
use mrap_proto::store::*;

mod common;
use common::{Harness, begin, call, code, refused, to_work};

const PUBLIC_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pbk/*"}]}"#;
const ACCOUNT_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::pbk"}]}"#;

async fn bucket(h: &Harness, name: &str) -> BucketName {
    let name = BucketName::parse(name).unwrap();
    let region = RegionName::parse("us-east-1").unwrap();
    call(
        h,
        &CreateBucket {
            name: name.clone(),
            region,
            owner: h.account.clone(),
        },
    )
    .await
    .unwrap();
    name
}

#[tokio::test]
async fn bucket_policies_are_validated_and_block_public_policy_enforced() {
    let h = common::start("pol.mrap").await;
    let name = bucket(&h, "pbk").await;
    let bad = call(
        &h,
        &PutBucketPolicy {
            name: name.clone(),
            policy: "{\"Version\":".into(),
        },
    )
    .await;
    assert_eq!(code(bad.unwrap_err()), ErrorCode::MalformedPolicy);
    // Public is fine until BlockPublicPolicy says otherwise.
    let rec = call(
        &h,
        &PutBucketPolicy {
            name: name.clone(),
            policy: PUBLIC_READ.into(),
        },
    )
    .await
    .unwrap();
    assert!(rec.policy.as_ref().unwrap().is_public);
    let on = PublicAccessBlock {
        block_public_policy: true,
        ..PublicAccessBlock {
            block_public_acls: false,
            ignore_public_acls: false,
            block_public_policy: false,
            restrict_public_buckets: false,
        }
    };
    call(
        &h,
        &SetBucketPublicAccessBlock {
            name: name.clone(),
            config: Some(on),
        },
    )
    .await
    .unwrap();
    let blocked = call(
        &h,
        &PutBucketPolicy {
            name: name.clone(),
            policy: PUBLIC_READ.into(),
        },
    )
    .await;
    assert_eq!(code(blocked.unwrap_err()), ErrorCode::AccessDenied);
    let rec = call(
        &h,
        &PutBucketPolicy {
            name: name.clone(),
            policy: ACCOUNT_READ.into(),
        },
    )
    .await
    .unwrap();
    assert!(!rec.policy.as_ref().unwrap().is_public);
    // Account-level BlockPublicPolicy applies too.
    call(
        &h,
        &SetBucketPublicAccessBlock {
            name: name.clone(),
            config: None,
        },
    )
    .await
    .unwrap();
    call(
        &h,
        &SetAccountPublicAccessBlock {
            account: h.account.clone(),
            config: Some(on),
        },
    )
    .await
    .unwrap();
    let blocked = call(
        &h,
        &PutBucketPolicy {
            name: name.clone(),
            policy: PUBLIC_READ.into(),
        },
    )
    .await;
    assert_eq!(code(blocked.unwrap_err()), ErrorCode::AccessDenied);
    call(
        &h,
        &SetAccountPublicAccessBlock {
            account: h.account.clone(),
            config: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        call(
            &h,
            &GetAccount {
                account: h.account.clone()
            }
        )
        .await
        .unwrap()
        .public_access_block,
        None
    );
    let rec = call(&h, &DeleteBucketPolicy { name: name.clone() })
        .await
        .unwrap();
    assert!(rec.policy.is_none());
}

#[tokio::test]
async fn mrap_policies_go_proposed_then_established() {
    let h = common::start("pol.mrap").await;
    let b = bucket(&h, "mbk").await;
    let name = MrapName::parse("pol").unwrap();
    let submit = |client_token: &str, params: RequestParams| SubmitOp {
        account: h.account.clone(),
        client_token: client_token.into(),
        request_id: "R".into(),
        params,
    };
    let create = RequestParams::Create {
        name: name.clone(),
        public_access_block: PublicAccessBlock::ALL_ON,
        regions: vec![RequestedRegion {
            bucket: b.clone(),
            bucket_account_id: None,
        }],
    };
    let t = call(&h, &submit("c", create)).await.unwrap();
    to_work(begin(&h, &t.id).await);
    // Not READY yet: policy changes wait.
    let early = RequestParams::PutPolicy {
        name: name.clone(),
        policy: ACCOUNT_READ.replace("arn:aws:s3:::pbk", "arn:aws:s3::000000000000:accesspoint/*"),
    };
    let p0 = call(&h, &submit("p0", early)).await.unwrap();
    assert_eq!(
        refused(begin(&h, &p0.id).await).code,
        ErrorCode::MultiRegionAccessPointNotReady
    );
    let created = call(
        &h,
        &FinishOp {
            op_id: t.id,
            outcome: Ok(()),
        },
    )
    .await
    .unwrap();
    assert_eq!(created.status, OpStatus::Succeeded);
    assert_eq!(created.regions[0].status, OpStatus::Succeeded);
    let get = GetMrap {
        account: h.account.clone(),
        name: name.clone(),
    };
    assert_eq!(call(&h, &get).await.unwrap().status, MrapStatus::Ready);

    let malformed = call(
        &h,
        &submit(
            "p1",
            RequestParams::PutPolicy {
                name: name.clone(),
                policy: "nope".into(),
            },
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        refused(begin(&h, &malformed.id).await).code,
        ErrorCode::MalformedPolicy
    );
    // BlockPublicPolicy is on for this MRAP (the default): a public policy is refused.
    let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3::000000000000:accesspoint/*/object/*"}]}"#;
    let p2 = call(
        &h,
        &submit(
            "p2",
            RequestParams::PutPolicy {
                name: name.clone(),
                policy: public.into(),
            },
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        refused(begin(&h, &p2.id).await).code,
        ErrorCode::AccessDenied
    );

    let good = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3::000000000000:accesspoint/*/object/*"}]}"#;
    let p3 = call(
        &h,
        &submit(
            "p3",
            RequestParams::PutPolicy {
                name: name.clone(),
                policy: good.into(),
            },
        ),
    )
    .await
    .unwrap();
    let proposed = to_work(begin(&h, &p3.id).await);
    assert_eq!(
        proposed.policy.proposed.as_ref().map(|p| p.text.as_str()),
        Some(good)
    );
    assert!(proposed.policy.established.is_none());
    let done = call(
        &h,
        &FinishOp {
            op_id: p3.id.clone(),
            outcome: Ok(()),
        },
    )
    .await
    .unwrap();
    assert_eq!(done.status, OpStatus::Succeeded);
    let established = call(&h, &get).await.unwrap();
    assert_eq!(established.policy.established, established.policy.proposed);
    assert!(!established.policy.established.unwrap().is_public);
}
