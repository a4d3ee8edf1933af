//! Shared helpers of the end-to-end tests: official AWS SDK clients pointed at an in-process
//! [`Stack`], bounded polling of asynchronous operations, and error assertions.
//!
//! Both test binaries (`e2e/main.rs`, `tracing.rs`) include this module and use only part of it.
#![allow(dead_code)]

pub mod mrap;
pub mod objects;
pub mod policy;
pub mod python;
pub mod raw;

use std::{
    collections::HashSet,
    fmt::Debug,
    net::{IpAddr, Ipv4Addr},
    time::Duration,
};

use aws_credential_types::Credentials;
use aws_sdk_s3::{
    config::BehaviorVersion,
    types::{BucketLocationConstraint, CreateBucketConfiguration},
};
use aws_sdk_s3control::types::{
    AsyncOperation, CreateMultiRegionAccessPointInput, DeleteMultiRegionAccessPointInput,
    PublicAccessBlockConfiguration, Region as MrapRegion,
};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::{
    client::{
        dns::{DnsFuture, ResolveDns},
        http::SharedHttpClient,
        orchestrator::HttpResponse,
        result::{CreateUnhandledError, SdkError},
    },
    http::Response,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[allow(unused_imports)]
pub use mrap_testkit::{
    Stack, StackOptions,
    stack::{ACCESS_KEY, ACCOUNT, OTHER_ACCESS_KEY, OTHER_ACCOUNT, OTHER_SECRET_KEY, SECRET_KEY},
};

/// The Region the control-plane clients use (MRAP control calls are served "from" us-west-2).
pub const CONTROL_REGION: &str = "us-west-2";

/// Bound on polling one asynchronous operation.
pub const OP_TIMEOUT: Duration = Duration::from_secs(10);
const POLL_EVERY: Duration = Duration::from_millis(20);

pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Resolves every name to 127.0.0.1: the S3 Control SDK prefixes the account id to the
/// endpoint host (`000000000000.s3-control.test`), which no real resolver knows.
#[derive(Debug, Clone, Copy)]
pub struct Loopback;

impl ResolveDns for Loopback {
    fn resolve_dns<'a>(&'a self, _name: &'a str) -> DnsFuture<'a> {
        DnsFuture::ready(Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]))
    }
}

/// The SDK's own hyper client, with the loopback resolver. (The TLS provider is never used —
/// every endpoint here is plain HTTP — but the smithy builder only offers custom resolvers
/// on a TLS-capable client; rustls+ring is already in the build through async-nats.)
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_with_resolver(Loopback)
}

fn port(stack: &Stack) -> u16 {
    stack.addr.port()
}

pub(crate) fn credentials(access_key: &str, secret: &str) -> Credentials {
    Credentials::new(access_key, secret, None, None, "mrap-e2e")
}

/// S3 Control client of the main account.
pub fn control(stack: &Stack) -> aws_sdk_s3control::Client {
    control_as(stack, ACCESS_KEY, SECRET_KEY)
}

/// S3 Control client signing with the given key pair. The endpoint is
/// `http://s3-control.test:PORT`, so requests go to `{account}.s3-control.test:PORT`, which
/// [`Loopback`] sends to the gateway: the SDK's real endpoint rules and signing stay in play.
pub fn control_as(stack: &Stack, access_key: &str, secret: &str) -> aws_sdk_s3control::Client {
    let config = aws_sdk_s3control::Config::builder()
        .behavior_version(aws_sdk_s3control::config::BehaviorVersion::latest())
        .region(aws_sdk_s3control::config::Region::new(CONTROL_REGION))
        .credentials_provider(credentials(access_key, secret))
        .endpoint_url(format!("http://s3-control.test:{}", port(stack)))
        .http_client(http_client())
        .build();
    aws_sdk_s3control::Client::from_conf(config)
}

/// The Region the IAM and STS clients sign for (any works: the gateway verifies the scope's).
pub const IAM_REGION: &str = "us-east-1";

/// IAM client of the main account's root.
pub fn iam(stack: &Stack) -> aws_sdk_iam::Client {
    iam_as(stack, ACCESS_KEY, SECRET_KEY)
}

/// IAM client signing with the given key pair, against the gateway's endpoint (IAM is served on
/// the same listener as S3, told apart by the signing service).
pub fn iam_as(stack: &Stack, access_key: &str, secret: &str) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new(IAM_REGION))
        .credentials_provider(credentials(access_key, secret))
        .endpoint_url(stack.endpoint.clone())
        .http_client(http_client())
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

/// STS client signing with the given key pair, against the gateway's endpoint.
pub fn sts_as(stack: &Stack, access_key: &str, secret: &str) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(IAM_REGION))
        .credentials_provider(credentials(access_key, secret))
        .endpoint_url(stack.endpoint.clone())
        .http_client(http_client())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

/// S3 client of the main account, signing for `region`, path-style against the gateway.
pub fn s3(stack: &Stack, region: &str) -> aws_sdk_s3::Client {
    s3_as(stack, region, ACCESS_KEY, SECRET_KEY)
}

pub fn s3_as(stack: &Stack, region: &str, access_key: &str, secret: &str) -> aws_sdk_s3::Client {
    s3_at(&stack.endpoint, region, access_key, secret)
}

/// An S3 client of the gateway at `endpoint` (`http://…`).
pub fn s3_at(endpoint: &str, region: &str, access_key: &str, secret: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(region.to_owned()))
        .credentials_provider(credentials(access_key, secret))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .http_client(http_client())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// CreateBucket in `region`: no LocationConstraint for us-east-1 (as S3 wants it), the
/// Region's constraint otherwise. Signs for that Region, like a real client would.
pub async fn create_bucket(stack: &Stack, name: &str, region: &str) {
    create_bucket_with(&s3(stack, region), name, region).await;
}

pub async fn create_bucket_with(client: &aws_sdk_s3::Client, name: &str, region: &str) {
    let mut req = client.create_bucket().bucket(name);
    if region != "us-east-1" {
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    if let Err(e) = req.send().await {
        panic!("CreateBucket {name} in {region}: {}", describe_err(&e));
    }
}

/// A Region element naming `bucket` (owner left to the server's default).
pub fn region_of(bucket: &str) -> MrapRegion {
    MrapRegion::builder()
        .bucket(bucket)
        .build()
        .expect("bucket is set")
}

pub fn create_input(
    name: &str,
    buckets: &[&str],
    bpa: Option<PublicAccessBlockConfiguration>,
) -> CreateMultiRegionAccessPointInput {
    CreateMultiRegionAccessPointInput::builder()
        .name(name)
        .set_regions(Some(buckets.iter().map(|b| region_of(b)).collect()))
        .set_public_access_block(bpa)
        .build()
        .expect("name and regions are set")
}

/// CreateMultiRegionAccessPoint; returns the request token ARN (panics on a synchronous error).
pub async fn create_mrap(
    ctl: &aws_sdk_s3control::Client,
    account: &str,
    name: &str,
    buckets: &[&str],
) -> String {
    let out = ctl
        .create_multi_region_access_point()
        .account_id(account)
        .details(create_input(name, buckets, None))
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateMultiRegionAccessPoint {name}: {}", describe_err(&e)));
    out.request_token_arn()
        .expect("CreateMultiRegionAccessPointResult has a RequestTokenARN")
        .to_owned()
}

/// DeleteMultiRegionAccessPoint; returns the request token ARN.
pub async fn delete_mrap(ctl: &aws_sdk_s3control::Client, account: &str, name: &str) -> String {
    let out = ctl
        .delete_multi_region_access_point()
        .account_id(account)
        .details(
            DeleteMultiRegionAccessPointInput::builder()
                .name(name)
                .build()
                .expect("name is set"),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteMultiRegionAccessPoint {name}: {}", describe_err(&e)));
    out.request_token_arn()
        .expect("DeleteMultiRegionAccessPointResult has a RequestTokenARN")
        .to_owned()
}

pub async fn describe(
    ctl: &aws_sdk_s3control::Client,
    account: &str,
    token_arn: &str,
) -> AsyncOperation {
    let out = ctl
        .describe_multi_region_access_point_operation()
        .account_id(account)
        .request_token_arn(token_arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("Describe {token_arn}: {}", describe_err(&e)));
    out.async_operation
        .unwrap_or_else(|| panic!("Describe {token_arn}: no AsyncOperation"))
}

pub fn is_terminal(status: Option<&str>) -> bool {
    matches!(status, Some("SUCCEEDED") | Some("FAILED"))
}

/// Polls Describe until the operation is SUCCEEDED or FAILED (every 20 ms, at most ~10 s).
pub async fn wait_for_op(
    ctl: &aws_sdk_s3control::Client,
    account: &str,
    token_arn: &str,
) -> AsyncOperation {
    wait_for_op_within(ctl, account, token_arn, OP_TIMEOUT).await
}

pub async fn wait_for_op_within(
    ctl: &aws_sdk_s3control::Client,
    account: &str,
    token_arn: &str,
    limit: Duration,
) -> AsyncOperation {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let op = describe(ctl, account, token_arn).await;
        if is_terminal(op.request_status()) {
            return op;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "operation {token_arn} not terminal after {limit:?}; last seen: {op:#?}"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Waits for the operation and asserts it SUCCEEDED.
pub async fn wait_succeeded(
    ctl: &aws_sdk_s3control::Client,
    account: &str,
    token_arn: &str,
) -> AsyncOperation {
    let op = wait_for_op(ctl, account, token_arn).await;
    assert_eq!(
        op.request_status(),
        Some("SUCCEEDED"),
        "operation {token_arn}: {op:#?}"
    );
    op
}

/// Waits for the operation and asserts it FAILED with `code`; returns the error message.
pub async fn wait_failed(
    ctl: &aws_sdk_s3control::Client,
    account: &str,
    token_arn: &str,
    code: &str,
) -> AsyncOperation {
    let op = wait_for_op(ctl, account, token_arn).await;
    assert_eq!(
        op.request_status(),
        Some("FAILED"),
        "operation {token_arn}: {op:#?}"
    );
    let details = op
        .response_details()
        .and_then(|d| d.error_details())
        .unwrap_or_else(|| panic!("FAILED operation without ErrorDetails: {op:#?}"));
    assert_eq!(details.code(), Some(code), "ErrorDetails: {details:#?}");
    assert!(
        details.message().is_some_and(|m| !m.is_empty()),
        "ErrorDetails without a Message: {details:#?}"
    );
    op
}

/// The HTTP status of a failed SDK call (None when no response was received).
pub fn status_of<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r: &Response| r.status().as_u16())
}

/// A one-line account of an SDK error: code, message, status (or the transport error).
pub fn describe_err<E: ProvideErrorMetadata + Debug>(err: &SdkError<E, HttpResponse>) -> String {
    match err {
        SdkError::ServiceError(_) => format!(
            "service error {:?} ({:?}), HTTP {:?}",
            err.code(),
            err.message(),
            status_of(err)
        ),
        other => format!("{other:?}"),
    }
}

/// Asserts that `result` is a service error with `code` and HTTP `status`; returns the message.
pub fn expect_error<T, E>(
    result: Result<T, SdkError<E, HttpResponse>>,
    code: &str,
    status: u16,
) -> String
where
    T: Debug,
    E: ProvideErrorMetadata + std::error::Error + CreateUnhandledError + Send + Sync + 'static,
{
    let err = match result {
        Ok(v) => panic!("expected {code} ({status}), got success: {v:?}"),
        Err(e) => e,
    };
    assert_eq!(
        status_of(&err),
        Some(status),
        "expected HTTP {status} for {code}: {}",
        describe_err(&err)
    );
    let service = err.into_service_error();
    assert_eq!(service.code(), Some(code), "service error: {service:?}");
    service.message().unwrap_or_default().to_owned()
}

/// Asserts an HTTP status only (for HEAD responses, which carry no error body).
pub fn expect_status<T: Debug, E: ProvideErrorMetadata + Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
    status: u16,
) {
    match result {
        Ok(v) => panic!("expected HTTP {status}, got success: {v:?}"),
        Err(e) => assert_eq!(status_of(&e), Some(status), "{}", describe_err(&e)),
    }
}

/// `^arn:aws:s3:us-west-2:{account}:async-request/mrap/{verb}/[0-9a-f]{32}$`
pub fn assert_token_arn(arn: &str, account: &str, verb: &str) {
    let prefix = format!("arn:aws:s3:us-west-2:{account}:async-request/mrap/{verb}/");
    let id = arn
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("token ARN {arn:?} does not start with {prefix:?}"));
    assert!(
        id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "token id of {arn:?} is not 32 lower-case hex digits"
    );
}

/// `^m[a-z0-9]{12}\.mrap$`
pub fn assert_alias(alias: &str) {
    let body = alias
        .strip_suffix(".mrap")
        .unwrap_or_else(|| panic!("alias {alias:?} does not end with .mrap"));
    assert!(
        body.len() == 13
            && body.starts_with('m')
            && body
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "alias {alias:?} is not m + 12 of [a-z0-9] + .mrap"
    );
}

pub fn all_blocked(bpa: Option<&PublicAccessBlockConfiguration>) -> bool {
    bpa.is_some_and(|b| {
        b.block_public_acls() == Some(true)
            && b.ignore_public_acls() == Some(true)
            && b.block_public_policy() == Some(true)
            && b.restrict_public_buckets() == Some(true)
    })
}

pub fn set<'a>(items: impl IntoIterator<Item = &'a str>) -> HashSet<String> {
    items.into_iter().map(str::to_owned).collect()
}
