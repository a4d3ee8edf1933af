//! Helpers of the policy, Block Public Access and ValidatePolicy tests: MRAP policy puts and
//! reads, BPA configurations for both APIs, policy texts, the Access Analyzer client, and
//! self-checks of test inputs against the workspace's own validator (so that a test policy
//! meant to be valid, public or non-public really is, before the services are blamed).

use aws_sdk_s3control::types::{
    PublicAccessBlockConfiguration, PutMultiRegionAccessPointPolicyInput,
};
use mrap_policy::{FindingType, PolicyType};

use super::{
    ACCESS_KEY, CONTROL_REGION, SECRET_KEY, Stack, create_input, credentials, describe_err,
    http_client,
};

pub const MRAP_RESOURCE_TYPE: &str = "AWS::S3::MultiRegionAccessPoint";
pub const BUCKET_RESOURCE_TYPE: &str = "AWS::S3::Bucket";

// ---------------------------------------------------------------- clients

/// Access Analyzer client of the main account against the gateway (`POST /policy/validation`,
/// signed for service `access-analyzer` in us-west-2).
pub fn analyzer(stack: &Stack) -> aws_sdk_accessanalyzer::Client {
    analyzer_as(stack, ACCESS_KEY, SECRET_KEY)
}

pub fn analyzer_as(
    stack: &Stack,
    access_key: &str,
    secret: &str,
) -> aws_sdk_accessanalyzer::Client {
    let config = aws_sdk_accessanalyzer::Config::builder()
        .behavior_version(aws_sdk_accessanalyzer::config::BehaviorVersion::latest())
        .region(aws_sdk_accessanalyzer::config::Region::new(CONTROL_REGION))
        .credentials_provider(credentials(access_key, secret))
        .endpoint_url(stack.endpoint.clone())
        .http_client(http_client())
        .build();
    aws_sdk_accessanalyzer::Client::from_conf(config)
}

// ---------------------------------------------------------------- Block Public Access

/// An S3 Control (MRAP / account) BPA configuration with all four flags set explicitly.
pub fn control_bpa(
    block_public_acls: bool,
    ignore_public_acls: bool,
    block_public_policy: bool,
    restrict_public_buckets: bool,
) -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(block_public_acls)
        .ignore_public_acls(ignore_public_acls)
        .block_public_policy(block_public_policy)
        .restrict_public_buckets(restrict_public_buckets)
        .build()
}

/// The same for the S3 (bucket) API.
pub fn bucket_bpa(
    block_public_acls: bool,
    ignore_public_acls: bool,
    block_public_policy: bool,
    restrict_public_buckets: bool,
) -> aws_sdk_s3::types::PublicAccessBlockConfiguration {
    aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
        .block_public_acls(block_public_acls)
        .ignore_public_acls(ignore_public_acls)
        .block_public_policy(block_public_policy)
        .restrict_public_buckets(restrict_public_buckets)
        .build()
}

/// PutPublicAccessBlock on a bucket; panics on an error.
pub async fn put_bucket_bpa(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    config: aws_sdk_s3::types::PublicAccessBlockConfiguration,
) {
    if let Err(e) = s3
        .put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(config)
        .send()
        .await
    {
        panic!("PutPublicAccessBlock on {bucket}: {}", describe_err(&e));
    }
}

/// S3 Control PutPublicAccessBlock for `account`; panics on an error.
pub async fn put_account_bpa(
    ctl: &aws_sdk_s3control::Client,
    account: &str,
    config: PublicAccessBlockConfiguration,
) {
    if let Err(e) = ctl
        .put_public_access_block()
        .account_id(account)
        .public_access_block_configuration(config)
        .send()
        .await
    {
        panic!(
            "PutPublicAccessBlock for account {account}: {}",
            describe_err(&e)
        );
    }
}

/// S3 Control DeletePublicAccessBlock for `account`; panics on an error.
pub async fn delete_account_bpa(ctl: &aws_sdk_s3control::Client, account: &str) {
    if let Err(e) = ctl
        .delete_public_access_block()
        .account_id(account)
        .send()
        .await
    {
        panic!(
            "DeletePublicAccessBlock for account {account}: {}",
            describe_err(&e)
        );
    }
}

// ---------------------------------------------------------------- MRAP policies

/// CreateMultiRegionAccessPoint with an explicit BPA; returns the token (panics on a sync error).
pub async fn create_mrap_with_bpa(
    ctl: &aws_sdk_s3control::Client,
    account: &str,
    name: &str,
    buckets: &[&str],
    bpa: PublicAccessBlockConfiguration,
) -> String {
    let out = ctl
        .create_multi_region_access_point()
        .account_id(account)
        .details(create_input(name, buckets, Some(bpa)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateMultiRegionAccessPoint {name}: {}", describe_err(&e)));
    out.request_token_arn()
        .expect("CreateMultiRegionAccessPointResult has a RequestTokenARN")
        .to_owned()
}

/// PutMultiRegionAccessPointPolicy; returns the request token ARN (panics on a sync error).
pub async fn put_mrap_policy(
    ctl: &aws_sdk_s3control::Client,
    account: &str,
    name: &str,
    policy: &str,
) -> String {
    let out = ctl
        .put_multi_region_access_point_policy()
        .account_id(account)
        .details(
            PutMultiRegionAccessPointPolicyInput::builder()
                .name(name)
                .policy(policy)
                .build()
                .expect("name and policy are set"),
        )
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PutMultiRegionAccessPointPolicy {name}: {}",
                describe_err(&e)
            )
        });
    out.request_token_arn()
        .expect("PutMultiRegionAccessPointPolicyResult has a RequestTokenARN")
        .to_owned()
}

/// The MRAP's alias (GetMultiRegionAccessPoint).
pub async fn mrap_alias(ctl: &aws_sdk_s3control::Client, account: &str, name: &str) -> String {
    let out = ctl
        .get_multi_region_access_point()
        .account_id(account)
        .name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetMultiRegionAccessPoint {name}: {}", describe_err(&e)));
    out.access_point()
        .and_then(|a| a.alias())
        .unwrap_or_else(|| panic!("GetMultiRegionAccessPoint {name}: no Alias: {out:#?}"))
        .to_owned()
}

/// `(Established.Policy, Proposed.Policy)` of GetMultiRegionAccessPointPolicy.
pub async fn mrap_policy_texts(
    ctl: &aws_sdk_s3control::Client,
    account: &str,
    name: &str,
) -> (Option<String>, Option<String>) {
    let out = ctl
        .get_multi_region_access_point_policy()
        .account_id(account)
        .name(name)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "GetMultiRegionAccessPointPolicy {name}: {}",
                describe_err(&e)
            )
        });
    let doc = out.policy();
    (
        doc.and_then(|d| d.established())
            .and_then(|e| e.policy())
            .map(str::to_owned),
        doc.and_then(|d| d.proposed())
            .and_then(|p| p.policy())
            .map(str::to_owned),
    )
}

/// Asserts that both Established and Proposed carry exactly `text`.
pub async fn assert_mrap_policy(
    ctl: &aws_sdk_s3control::Client,
    account: &str,
    name: &str,
    text: &str,
) {
    let (established, proposed) = mrap_policy_texts(ctl, account, name).await;
    assert_eq!(
        established.as_deref(),
        Some(text),
        "GetMultiRegionAccessPointPolicy {name}: Established.Policy"
    );
    assert_eq!(
        proposed.as_deref(),
        Some(text),
        "GetMultiRegionAccessPointPolicy {name}: Proposed.Policy"
    );
}

/// `Established.IsPublic` of GetMultiRegionAccessPointPolicyStatus.
pub async fn mrap_is_public(
    ctl: &aws_sdk_s3control::Client,
    account: &str,
    name: &str,
) -> Option<bool> {
    let out = ctl
        .get_multi_region_access_point_policy_status()
        .account_id(account)
        .name(name)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "GetMultiRegionAccessPointPolicyStatus {name}: {}",
                describe_err(&e)
            )
        });
    out.established().map(|e| e.is_public())
}

// ---------------------------------------------------------------- policy texts

/// `arn:aws:s3::{account}:accesspoint/{alias}` (the MRAP ARN uses the alias, never the name).
pub fn mrap_arn(account: &str, alias: &str) -> String {
    format!("arn:aws:s3::{account}:accesspoint/{alias}")
}

/// A non-public MRAP policy: one named account may read objects through the MRAP.
pub fn mrap_read_policy(account: &str, alias: &str, reader_account: &str) -> String {
    let arn = mrap_arn(account, alias);
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Read","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{reader_account}:root"}},"Action":"s3:GetObject","Resource":"{arn}/object/*"}}]}}"#
    )
}

/// A public MRAP policy: anyone may read objects through the MRAP, no limiting condition.
pub fn mrap_public_policy(account: &str, alias: &str) -> String {
    let arn = mrap_arn(account, alias);
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"{arn}/object/*"}}]}}"#
    )
}

/// A bucket policy with one statement: `effect` `action` on the bucket for `principal` (a JSON
/// value: `"*"` or `{"AWS":"…"}`).
pub fn bucket_policy(bucket: &str, effect: &str, principal: &str, action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"S","Effect":"{effect}","Principal":{principal},"Action":"{action}","Resource":"arn:aws:s3:::{bucket}"}}]}}"#
    )
}

/// `{"AWS":"arn:aws:iam::{account}:root"}`
pub fn account_principal(account: &str) -> String {
    format!(r#"{{"AWS":"arn:aws:iam::{account}:root"}}"#)
}

// ---------------------------------------------------------------- self-checks of inputs

/// The workspace validator finds no ERROR in `text` (so the services must accept it).
pub fn assert_no_error_findings(text: &str, resource_type: &str) {
    let errors: Vec<_> = mrap_policy::validate(text, PolicyType::Resource, Some(resource_type))
        .into_iter()
        .filter(|f| f.finding_type == FindingType::Error)
        .collect();
    assert!(
        errors.is_empty(),
        "test input error: {text} has ERROR findings: {errors:#?}"
    );
}

/// The workspace's public-policy analysis says `text` is (or is not) public.
pub fn assert_public(text: &str, public: bool) {
    let parsed = mrap_policy::parse(text)
        .unwrap_or_else(|e| panic!("test input error: {text} does not parse: {e:?}"));
    assert_eq!(
        mrap_policy::is_public(&parsed),
        public,
        "test input error: is_public({text})"
    );
}
