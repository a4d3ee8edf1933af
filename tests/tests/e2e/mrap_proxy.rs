//! Proxy mode with an unmodified boto3: `tests/python/mrap_proxy_boto3.py` puts, gets, lists and
//! deletes objects through `Bucket='arn:aws:s3::000000000000:accesspoint/{alias}'` with no
//! endpoint configured — only `HTTPS_PROXY` (the gateway, which answers the SDK's
//! `CONNECT {alias}.accesspoint.s3-global.amazonaws.com:443`) and `AWS_CA_BUNDLE` (the CA the
//! gateway generated in its data directory). Needs python3 with boto3 and awscrt (SigV4A).
//! And aws-sdk-s3 the same way, with the proxy and CA set on its HTTP client (README: the SDK's
//! default client reads `HTTPS_PROXY` but not `AWS_CA_BUNDLE`).

use aws_sdk_s3::{config::BehaviorVersion, primitives::ByteStream};
use aws_smithy_http_client::{
    Connector,
    proxy::ProxyConfig,
    tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode},
};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use crate::common::{mrap::*, *};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/mrap_proxy_boto3.py");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_reaches_an_mrap_arn_through_the_proxy() -> TestResult {
    let stack = Stack::start().await?;
    let m = ReadyMrap::create(&stack, "proxy", &["us-east-1", "eu-west-1"]).await;
    let ca = stack.data_dir.join("proxy-ca").join("ca.pem");
    assert!(ca.is_file(), "the gateway made its CA at {}", ca.display());
    let ca = ca.to_string_lossy().into_owned();
    let proxy = format!("http://{}", stack.addr);

    let stdout = crate::common::python::run_boto3(
        &[SCRIPT, &m.arn],
        &[
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
            ("HTTPS_PROXY", &proxy),
            ("https_proxy", &proxy),
            ("NO_PROXY", ""),
            ("no_proxy", ""),
            ("AWS_CA_BUNDLE", &ca),
        ],
    )
    .await;
    assert!(stdout.contains("mrap proxy boto3: OK"), "{stdout}");

    // What boto3 left through the proxy is what aws-sdk-s3 reads through the same MRAP.
    let (s3, _) = arn_client(&stack);
    let kept = s3
        .get_object()
        .bucket(&m.arn)
        .key("proxy/kept.txt")
        .send()
        .await?;
    let body = kept.body.collect().await?.into_bytes();
    assert_eq!(&body[..], b"kept through the proxy");

    stack.stop().await?;
    Ok(())
}

/// The README's recipe: aws-sdk-rust's own HTTP client with the gateway as HTTPS proxy and its CA
/// as the only trust anchor.
fn proxied_http_client(proxy: &str, ca_pem: Vec<u8>) -> SharedHttpClient {
    let tls_context = TlsContext::builder()
        .with_trust_store(TrustStore::empty().with_pem_certificate(ca_pem))
        .build()
        .expect("a TLS context with the proxy CA");
    let proxy = ProxyConfig::https(proxy).expect("a proxy URL");
    aws_smithy_http_client::Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = Connector::builder()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .tls_context(tls_context.clone())
            .proxy_config(proxy.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.build()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_sdk_s3_reaches_an_mrap_arn_through_the_proxy() -> TestResult {
    let stack = Stack::start().await?;
    let m = ReadyMrap::create(&stack, "proxy-rs", &["us-east-1", "eu-west-1"]).await;
    let ca_pem = std::fs::read(stack.data_dir.join("proxy-ca").join("ca.pem"))?;
    // No endpoint and no interceptor: the SDK resolves the ARN to
    // https://{alias}.accesspoint.s3-global.amazonaws.com and signs with SigV4A.
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "mrap-e2e",
        ))
        .http_client(proxied_http_client(
            &format!("http://{}", stack.addr),
            ca_pem,
        ))
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(config);

    // Every object operation, over TLS through the tunnel (the wire form unmodified SDKs use).
    crate::mrap_data_plane::every_operation(&stack, &m, &s3, &m.arn, None).await?;

    s3.put_object()
        .bucket(&m.arn)
        .key("rust/through-proxy")
        .body(ByteStream::from_static(b"via CONNECT"))
        .send()
        .await?;
    let got = s3
        .get_object()
        .bucket(&m.arn)
        .key("rust/through-proxy")
        .send()
        .await?;
    assert_eq!(&got.body.collect().await?.into_bytes()[..], b"via CONNECT");
    let listed = s3.list_objects_v2().bucket(&m.arn).send().await?;
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert!(keys.contains(&"rust/through-proxy"), "{keys:?}");

    // Requests through the tunnel are HTTPS to the client: `aws:SecureTransport` is true for
    // them and false for plain HTTP, so a policy can insist on TLS.
    let tls_only = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"TlsOnly","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"{}/object/*","Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}]}}"#,
        m.arn
    );
    let ctl = control(&stack);
    let token = policy::put_mrap_policy(&ctl, ACCOUNT, &m.name, &tls_only).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    let (plain, _) = arn_client(&stack);
    eventually("plain HTTP is refused by the TLS-only policy", || async {
        let r = plain
            .get_object()
            .bucket(&m.arn)
            .key("rust/through-proxy")
            .send()
            .await;
        r.err().filter(|e| status_of(e) == Some(403))
    })
    .await;
    s3.get_object()
        .bucket(&m.arn)
        .key("rust/through-proxy")
        .send()
        .await
        .map_err(|e| describe_err(&e))?;

    stack.stop().await?;
    Ok(())
}
