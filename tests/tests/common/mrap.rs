//! Helpers of the MRAP data-plane tests: an MRAP made ready over fresh buckets, and the clients
//! that reach it in each addressing form — the MRAP ARN as an unmodified aws-sdk-s3 sends it
//! (SigV4A, host `{alias}.accesspoint.s3-global.amazonaws.com`), and path style `/{alias}/{key}`.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use aws_sdk_s3::config::BehaviorVersion;
use aws_smithy_runtime_api::{
    box_error::BoxError,
    client::{
        interceptors::{
            Intercept,
            context::{
                BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
            },
        },
        runtime_components::RuntimeComponents,
    },
};
use aws_smithy_types::config_bag::ConfigBag;

use super::{
    ACCESS_KEY, ACCOUNT, SECRET_KEY, Stack, control, create_mrap, credentials, http_client,
    objects::fresh_bucket,
    policy::{create_mrap_with_bpa, mrap_alias},
    wait_succeeded,
};

/// An MRAP over one fresh bucket in each of `regions`, `READY`.
pub struct ReadyMrap {
    pub name: String,
    pub alias: String,
    /// `arn:aws:s3::{account}:accesspoint/{alias}`
    pub arn: String,
    /// `(Region, bucket)`, in the order given.
    pub buckets: Vec<(String, String)>,
}

impl ReadyMrap {
    /// With the default Block Public Access (all four on).
    pub async fn create(stack: &Stack, tag: &str, regions: &[&str]) -> ReadyMrap {
        Self::create_with(stack, tag, regions, None).await
    }

    pub async fn create_with(
        stack: &Stack,
        tag: &str,
        regions: &[&str],
        bpa: Option<aws_sdk_s3control::types::PublicAccessBlockConfiguration>,
    ) -> ReadyMrap {
        let mut buckets = Vec::new();
        for region in regions {
            buckets.push((region.to_string(), fresh_bucket(stack, region, tag).await));
        }
        let names: Vec<&str> = buckets.iter().map(|(_, b)| b.as_str()).collect();
        let name = super::objects::unique_bucket_name(tag);
        let ctl = control(stack);
        let token = match bpa {
            Some(bpa) => create_mrap_with_bpa(&ctl, ACCOUNT, &name, &names, bpa).await,
            None => create_mrap(&ctl, ACCOUNT, &name, &names).await,
        };
        wait_succeeded(&ctl, ACCOUNT, &token).await;
        let alias = mrap_alias(&ctl, ACCOUNT, &name).await;
        ReadyMrap {
            arn: format!("arn:aws:s3::{ACCOUNT}:accesspoint/{alias}"),
            name,
            alias,
            buckets,
        }
    }

    /// The bucket of `region`.
    pub fn bucket(&self, region: &str) -> &str {
        self.buckets
            .iter()
            .find(|(r, _)| r == region)
            .map(|(_, b)| b.as_str())
            .unwrap_or_else(|| panic!("the MRAP has no bucket in {region}"))
    }
}

/// What the last response through an [`ArnClient`] said in `x-mrap-region`.
pub type SeenRegion = Arc<Mutex<Option<String>>>;

/// Sends what the SDK resolved for an MRAP ARN (`https://{alias}.accesspoint.s3-global…`,
/// signed with SigV4A) to the gateway's address instead, Host header and signature untouched —
/// what an aws-sdk-rust user does with this interceptor (README), since the SDK ignores
/// `endpoint_url` for MRAP ARNs. Records the `x-mrap-region` of each response.
#[derive(Debug)]
struct ToGateway {
    addr: SocketAddr,
    seen: SeenRegion,
}

impl Intercept for ToGateway {
    fn name(&self) -> &'static str {
        "ToGateway"
    }

    fn modify_before_transmit(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = ctx.request_mut();
        let uri: http::Uri = request.uri().parse()?;
        let host = uri.authority().ok_or("no authority")?.to_string();
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        request.headers_mut().insert("host", host);
        request.set_uri(format!("http://{}{path}", self.addr))?;
        Ok(())
    }

    fn read_after_transmit(
        &self,
        ctx: &BeforeDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let region = ctx
            .response()
            .headers()
            .get("x-mrap-region")
            .map(str::to_owned);
        *self.seen.lock().map_err(|_| "poisoned")? = region;
        Ok(())
    }
}

/// aws-sdk-s3 for `Bucket = <MRAP ARN>` (SigV4A) aimed at gateway `addr`, as `access_key`.
pub fn arn_client_at(
    addr: SocketAddr,
    access_key: &str,
    secret: &str,
) -> (aws_sdk_s3::Client, SeenRegion) {
    let seen = SeenRegion::default();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(credentials(access_key, secret))
        .http_client(http_client())
        .interceptor(ToGateway {
            addr,
            seen: seen.clone(),
        })
        .build();
    (aws_sdk_s3::Client::from_conf(config), seen)
}

/// PutObject of `body` at `bucket`/`key` (an ARN, an alias or a bucket name); panics on an error.
pub async fn put(client: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &'static [u8]) {
    if let Err(e) = client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(aws_sdk_s3::primitives::ByteStream::from_static(body))
        .send()
        .await
    {
        panic!("PutObject {bucket}/{key}: {}", super::describe_err(&e));
    }
}

/// Retries `attempt` every 10 ms until it yields a value, for at most a second: what a watch
/// delivers (a route, a policy, a Region switch) is in force within milliseconds, not at once.
pub async fn eventually<T, F, Fut>(what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..100 {
        if let Some(v) = attempt().await {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("not within 1 s: {what}")
}

/// [`arn_client_at`] the stack's gateway, as the main account's root.
pub fn arn_client(stack: &Stack) -> (aws_sdk_s3::Client, SeenRegion) {
    arn_client_at(stack.addr, ACCESS_KEY, SECRET_KEY)
}

/// The Region the last response through `seen`'s client named.
pub fn last_region(seen: &SeenRegion) -> Option<String> {
    seen.lock().ok().and_then(|s| s.clone())
}
