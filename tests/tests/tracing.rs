//! Trace continuity: one CreateMultiRegionAccessPoint request yields ONE trace across the
//! gateway's HTTP span, the authorizer's check and the policy-store's record, carried over NATS
//! headers (W3C `traceparent`), and the provisioner's job a trace of its own linked to it; a create and its
//! Describe name the request token; a refusal names the deciding layer on the authorizer's
//! `authz.decide` span; a GET through an MRAP records the Region it was routed to; and a repeated
//! allowed request reuses the authorizer's decision (no `authz.decide` span) until a change is
//! announced, unless a condition makes it depend on each request.

mod common;

use std::{
    collections::{BTreeSet, HashMap},
    sync::OnceLock,
    time::Duration,
};

use common::*;
use opentelemetry::{
    KeyValue,
    trace::{SpanId, TraceId, TracerProvider as _},
};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::{filter::LevelFilter, layer::SubscriberExt as _};

/// The services a create's request reaches (the provisioner's job is a linked trace).
const REQUEST_SERVICES: [&str; 3] = ["api-gateway", "authorizer", "policy-store"];
const CREATE_SPAN: &str = "POST /v20180820/async-requests/mrap/create";

/// The process-wide subscriber (services run on the runtime's worker threads, so a
/// thread-local default would miss them): every span at INFO and above goes to memory.
fn exporter() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let tracer = provider.tracer("mrap-e2e");
        opentelemetry::global::set_tracer_provider(provider);
        mrap_telemetry::install_propagator();
        let subscriber = tracing_subscriber::registry()
            .with(LevelFilter::INFO)
            .with(tracing_opentelemetry::layer().with_tracer(tracer));
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
        exporter
    })
}

fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a KeyValue> {
    span.attributes.iter().find(|kv| kv.key.as_str() == key)
}

fn attr_str(span: &SpanData, key: &str) -> Option<String> {
    attr(span, key).map(|kv| kv.value.as_str().into_owned())
}

fn summary(spans: &[&SpanData]) -> String {
    spans
        .iter()
        .map(|s| {
            format!(
                "  {} [{}] span={} parent={}\n",
                s.name,
                attr_str(s, "mrap.service").unwrap_or_default(),
                s.span_context.span_id(),
                s.parent_span_id
            )
        })
        .collect()
}

/// Whether `spans` make one tree whose root is named `root`; panics with a summary otherwise.
fn assert_one_tree(spans: &[SpanData], root: &str) {
    let by_id: HashMap<SpanId, &SpanData> = spans
        .iter()
        .map(|s| (s.span_context.span_id(), s))
        .collect();
    let refs: Vec<&SpanData> = spans.iter().collect();
    let roots: Vec<&&SpanData> = refs
        .iter()
        .filter(|s| !by_id.contains_key(&s.parent_span_id))
        .collect();
    assert_eq!(roots.len(), 1, "not one tree:\n{}", summary(&refs));
    assert_eq!(roots[0].name, root, "{}", summary(&refs));
    assert_eq!(roots[0].parent_span_id, SpanId::INVALID);
}

/// The spans of one trace.
fn trace_of(spans: &[SpanData], trace_id: TraceId) -> Vec<SpanData> {
    spans
        .iter()
        .filter(|s| s.span_context.trace_id() == trace_id)
        .cloned()
        .collect()
}

fn services(spans: &[SpanData]) -> BTreeSet<String> {
    spans
        .iter()
        .filter_map(|s| attr_str(s, "mrap.service"))
        .collect()
}

/// A create is one trace across the gateway, the authorizer and the policy-store; the
/// provisioner's job, done after the create was answered, is a trace of its own (with its store
/// calls) whose root span is linked to the create's trace (OpenTelemetry's messaging conventions).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_create_is_one_trace_and_its_job_a_linked_one() -> TestResult {
    let exporter = exporter();
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    create_bucket(&stack, "trace-use1", "us-east-1").await;
    create_bucket(&stack, "trace-euw1", "eu-west-1").await;

    let token = create_mrap(&ctl, ACCOUNT, "traced", &["trace-use1", "trace-euw1"]).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;

    // Spans are exported when they end; the provisioner's job span ends after the operation
    // is already visible as SUCCEEDED, so poll (bounded) for the whole picture.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let (request, job) = loop {
        let spans = exporter.get_finished_spans()?;
        let create = spans.iter().find(|s| {
            s.name == CREATE_SPAN
                && attr_str(s, "aws.s3.operation").as_deref()
                    == Some("CreateMultiRegionAccessPoint")
                && attr_str(s, "mrap.request_token").as_deref() == Some(&token)
        });
        if let Some(create) = create {
            let request = trace_of(&spans, create.span_context.trace_id());
            let job = spans.iter().find(|s| {
                attr_str(s, "mrap.service").as_deref() == Some("provisioner")
                    && s.links
                        .iter()
                        .any(|l| l.span_context.trace_id() == create.span_context.trace_id())
            });
            let request_services = services(&request);
            if let Some(job) = job
                && REQUEST_SERVICES
                    .iter()
                    .all(|s| request_services.contains(*s))
            {
                let job_trace = trace_of(&spans, job.span_context.trace_id());
                if services(&job_trace).contains("policy-store") {
                    break (request, job_trace);
                }
            }
            if tokio::time::Instant::now() >= deadline {
                let refs: Vec<&SpanData> = spans.iter().collect();
                panic!(
                    "no whole picture of the create: its trace reaches {request_services:?}, \
                     job linked to it: {}\n{}",
                    job.is_some(),
                    summary(&refs)
                );
            }
        } else if tokio::time::Instant::now() >= deadline {
            let names: BTreeSet<_> = spans.iter().map(|s| s.name.to_string()).collect();
            panic!("no api-gateway span {CREATE_SPAN:?} was exported; span names: {names:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    let refs: Vec<&SpanData> = request.iter().chain(&job).collect();
    eprintln!("the create's trace, then its job's:\n{}", summary(&refs));
    assert_one_tree(&request, CREATE_SPAN);
    assert!(
        !services(&request).contains("provisioner"),
        "the job is not in the request's trace"
    );
    // The job's trace: its root is the provisioner's process span, its store calls hang off it,
    // and its link names a span of the request's trace (the store's, which enqueued the job).
    let root = job
        .iter()
        .find(|s| s.parent_span_id == SpanId::INVALID)
        .expect("a root span");
    assert_one_tree(&job, &root.name);
    assert_eq!(
        attr_str(root, "mrap.service").as_deref(),
        Some("provisioner")
    );
    assert_eq!(
        attr_str(root, "messaging.system").as_deref(),
        Some("nats"),
        "{root:#?}"
    );
    let linked: Vec<SpanId> = root
        .links
        .iter()
        .map(|l| l.span_context.span_id())
        .collect();
    assert!(
        request
            .iter()
            .any(|s| linked.contains(&s.span_context.span_id())
                && attr_str(s, "mrap.service").as_deref() == Some("policy-store")),
        "the job links to the store's span of the request: {linked:?}"
    );

    stack.stop().await?;
    Ok(())
}

/// A GET through an MRAP: the gateway's HTTP span records the routing decision
/// (`mrap.routed_region`), and the authorizer's check is in the same trace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_through_an_mrap_records_its_routed_region() -> TestResult {
    let exporter = exporter();
    let stack = Stack::start().await?;
    let m = mrap::ReadyMrap::create(&stack, "traced-get", &["us-east-1", "eu-west-1"]).await;
    let (s3, _) = mrap::arn_client(&stack);
    mrap::put(&s3, &m.arn, "k", b"x").await;
    s3.get_object().bucket(&m.arn).key("k").send().await?;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let spans = exporter.get_finished_spans()?;
        let authorizer_in_trace = |get: &SpanData| {
            spans.iter().any(|s| {
                s.span_context.trace_id() == get.span_context.trace_id()
                    && attr_str(s, "mrap.service").as_deref() == Some("authorizer")
            })
        };
        // Only GETs through an MRAP have a routed Region (other tests' direct GETs share the
        // exporter); the first GET of the key asks the authorizer (later ones may reuse it).
        let get = spans.iter().find(|s| {
            attr_str(s, "aws.s3.operation").as_deref() == Some("GetObject")
                && attr_str(s, "mrap.service").as_deref() == Some("api-gateway")
                && attr(s, "mrap.routed_region").is_some()
                && authorizer_in_trace(s)
        });
        match get {
            Some(get) => {
                assert_eq!(
                    attr_str(get, "mrap.routed_region").as_deref(),
                    Some("us-east-1"),
                    "{get:#?}"
                );
                break;
            }
            _ if tokio::time::Instant::now() >= deadline => {
                let refs: Vec<&SpanData> = spans.iter().collect();
                panic!(
                    "no traced GetObject with its authorizer check:\n{}",
                    summary(&refs)
                );
            }
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    stack.stop().await?;
    Ok(())
}

/// A named condition on a span of a trace.
type Wanted<'a> = (&'a str, &'a dyn Fn(&SpanData) -> bool);

/// Waits (bounded) until the trace of the first gateway span matching `root` holds a span that
/// matches each of `wanted`; returns that trace's spans.
async fn trace_with(root: impl Fn(&SpanData) -> bool, wanted: &[Wanted<'_>]) -> Vec<SpanData> {
    let exporter = exporter();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let spans = exporter.get_finished_spans().expect("spans");
        let roots = spans
            .iter()
            .filter(|s| attr_str(s, "mrap.service").as_deref() == Some("api-gateway") && root(s));
        for r in roots {
            let trace: Vec<SpanData> = spans
                .iter()
                .filter(|s| s.span_context.trace_id() == r.span_context.trace_id())
                .cloned()
                .collect();
            if wanted.iter().all(|(_, w)| trace.iter().any(w)) {
                return trace;
            }
        }
        if tokio::time::Instant::now() >= deadline {
            let refs: Vec<&SpanData> = spans.iter().collect();
            let names: Vec<&str> = wanted.iter().map(|(n, _)| *n).collect();
            panic!("no trace with {names:?}:\n{}", summary(&refs));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn is_decision(decision: &'static str, layer: &'static str) -> impl Fn(&SpanData) -> bool {
    move |s: &SpanData| {
        s.name == "authz.decide"
            && attr_str(s, "mrap.authz.decision").as_deref() == Some(decision)
            && attr_str(s, "mrap.authz.layer").as_deref() == Some(layer)
    }
}

/// A create names its request token on the HTTP span, and a Describe of that token is one trace
/// of the gateway, the authorizer's allow and the gateway's read of the operation record (or its
/// answer from the gateway's mirror of them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_and_its_describe_carry_the_request_token() -> TestResult {
    exporter();
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    create_bucket(&stack, "token-use1", "us-east-1").await;
    let token = create_mrap(&ctl, ACCOUNT, "tokened", &["token-use1"]).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;

    let is_token = |s: &SpanData| attr_str(s, "mrap.request_token").as_deref() == Some(&token);
    trace_with(
        |s| s.name == CREATE_SPAN && is_token(s),
        &[("authorizer allow", &is_decision("allow", "none"))],
    )
    .await;
    let describe = trace_with(
        |s| {
            attr_str(s, "aws.s3.operation").as_deref()
                == Some("DescribeMultiRegionAccessPointOperation")
                && is_token(s)
        },
        &[
            ("authorizer allow", &is_decision("allow", "none")),
            // Read from KV (a span of its own), or answered from the gateway's mirror of the
            // operation records (said on the request's span).
            ("operation record read", &|s: &SpanData| {
                (s.name.starts_with("get ")
                    && attr_str(s, "db.collection.name").is_some_and(|b| b.ends_with("_ops")))
                    || attr_str(s, "mrap.operation.read").as_deref() == Some("mirror")
            }),
        ],
    )
    .await;
    let refs: Vec<&SpanData> = describe.iter().collect();
    eprintln!("describe trace:\n{}", summary(&refs));
    stack.stop().await?;
    Ok(())
}

/// A refused request: the authorizer's span says deny and which layer decided; the HTTP span
/// carries the error code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_request_names_the_deciding_layer() -> TestResult {
    exporter();
    let stack = Stack::start().await?;
    create_bucket(&stack, "private-bucket", "us-east-1").await;
    let other = s3_as(&stack, "us-east-1", OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    let refused = other
        .get_object()
        .bucket("private-bucket")
        .key("k")
        .send()
        .await;
    assert_eq!(refused.err().as_ref().and_then(status_of), Some(403));
    trace_with(
        |s| {
            attr_str(s, "aws.s3.operation").as_deref() == Some("GetObject")
                && attr_str(s, "mrap.error_code").as_deref() == Some("AccessDenied")
        },
        &[(
            "authorizer deny: no resource policy allows",
            &is_decision("deny", "no_resource_allow"),
        )],
    )
    .await;
    stack.stop().await?;
    Ok(())
}

/// The gateway's GetObject spans of this path so far, each with whether the authorizer was asked
/// in its trace.
fn gets_of(key_path: &str) -> Vec<(SpanData, bool)> {
    requests_of("GetObject", key_path)
}

/// The gateway's spans of `operation` on `path` so far, each with whether the authorizer was
/// asked in its trace.
fn requests_of(operation: &str, path: &str) -> Vec<(SpanData, bool)> {
    let spans = exporter().get_finished_spans().expect("spans");
    spans
        .iter()
        .filter(|s| {
            attr_str(s, "aws.s3.operation").as_deref() == Some(operation)
                && attr_str(s, "mrap.service").as_deref() == Some("api-gateway")
                && attr_str(s, "url.path").as_deref() == Some(path)
        })
        .map(|get| {
            let asked = spans.iter().any(|s| {
                s.span_context.trace_id() == get.span_context.trace_id() && s.name == "authz.decide"
            });
            (get.clone(), asked)
        })
        .collect()
}

/// Waits (bounded) until `n` GetObject spans of `key_path` were exported.
async fn exported_gets(key_path: &str, n: usize) -> Vec<(SpanData, bool)> {
    exported("GetObject", key_path, n).await
}

/// Waits (bounded) until `n` gateway spans of `operation` on `path` were exported.
async fn exported(operation: &str, path: &str, n: usize) -> Vec<(SpanData, bool)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let found = requests_of(operation, path);
        if found.len() >= n {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {n} {operation} spans of {path}",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A new bucket `bucket` (us-east-1) holding the object `k`.
async fn bucket_with_object(stack: &Stack, s3: &aws_sdk_s3::Client, bucket: &str) -> TestResult {
    create_bucket(stack, bucket, "us-east-1").await;
    s3.put_object()
        .bucket(bucket)
        .key("k")
        .body(b"v".to_vec().into())
        .send()
        .await?;
    Ok(())
}

/// GETs `bucket`'s object `k` `n` times.
async fn get_k(s3: &aws_sdk_s3::Client, bucket: &str, n: usize) -> TestResult {
    for _ in 0..n {
        s3.get_object().bucket(bucket).key("k").send().await?;
    }
    Ok(())
}

/// An S3 client of the root account on the gateway at `addr` (a second one of the stack).
fn s3_on(addr: std::net::SocketAddr) -> aws_sdk_s3::Client {
    s3_at(
        &format!("http://{addr}"),
        "us-east-1",
        ACCESS_KEY,
        SECRET_KEY,
    )
}

fn reused(span: &SpanData) -> bool {
    attr(span, "mrap.authz.reused").is_some_and(|kv| kv.value == opentelemetry::Value::Bool(true))
}

/// Of `n` identical GETs of `key_path`, the first asks the authorizer and at least all but two
/// of the rest reuse its answer (an announcement of an earlier change arriving late can make one
/// ask again), and no reused one asks.
async fn assert_mostly_reused(key_path: &str, n: usize) {
    let gets = exported_gets(key_path, n).await;
    let reusing: Vec<bool> = gets
        .iter()
        .filter(|(s, _)| reused(s))
        .map(|(_, asked)| *asked)
        .collect();
    assert!(
        reusing.len() + 2 >= n,
        "{} of {n} GETs of {key_path} reused a decision",
        reusing.len()
    );
    assert!(
        reusing.iter().all(|asked| !asked),
        "a reused decision asks no authorizer"
    );
}

/// An allowed request the authorizer marked reusable is decided again by the gateway alone
/// (its signature verified with the scope's key): no authorizer span in its trace. A change to
/// the bucket policy made through *another* gateway is then enforced here too — the test stack
/// reuses decisions for an hour (`mrap_testkit::AUTHZ_REUSE_TTL`) and only forgets its own
/// writes by itself, so only the authorizer's announcement can make this gateway ask again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_decision_skips_the_authorizer_until_a_change_is_announced() -> TestResult {
    exporter();
    let mut stack = Stack::start().await?;
    let second = stack.start_gateway().await?;
    let s3 = s3(&stack, "us-east-1");
    bucket_with_object(&stack, &s3, "reuse-bucket").await?;
    get_k(&s3, "reuse-bucket", 5).await?;
    assert_mostly_reused("/reuse-bucket/k", 5).await;

    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::reuse-bucket/*"}]}"#;
    s3_on(second)
        .put_bucket_policy()
        .bucket("reuse-bucket")
        .policy(deny)
        .send()
        .await?;
    mrap::eventually("the deny is enforced", || {
        let s3 = s3.clone();
        async move {
            let refused = s3.get_object().bucket("reuse-bucket").key("k").send().await;
            (refused.err().as_ref().and_then(status_of) == Some(403)).then_some(())
        }
    })
    .await;
    stack.stop().await?;
    Ok(())
}

/// A change to a bucket (announced as a resources change) ends the reused decisions that read
/// buckets or MRAPs, but not those decided on the caller's policies alone: control-plane requests
/// such as ListMultiRegionAccessPoints (and Describe polls) stay decided by the gateway while
/// buckets and MRAPs change under them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_change_spares_decisions_that_read_no_bucket() -> TestResult {
    exporter();
    let mut stack = Stack::start().await?;
    let second = stack.start_gateway().await?;
    let s3 = s3(&stack, "us-east-1");
    let control = control(&stack);
    bucket_with_object(&stack, &s3, "spared-bucket").await?;
    const LIST: (&str, &str) = ("ListMultiRegionAccessPoints", "/v20180820/mrap/instances");
    let list = || {
        control
            .list_multi_region_access_points()
            .account_id(ACCOUNT)
            .send()
    };
    for _ in 0..3 {
        get_k(&s3, "spared-bucket", 1).await?;
        list().await?;
    }
    assert_mostly_reused("/spared-bucket/k", 3).await;

    // Changed through the other gateway: this one hears of it only from the announcement.
    let allow_other = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::spared-bucket/*"}]}"#;
    s3_on(second)
        .put_bucket_policy()
        .bucket("spared-bucket")
        .policy(allow_other)
        .send()
        .await?;
    // The GET decision read the bucket: once the announcement is in, it is asked for again.
    let asked_before = gets_of("/spared-bucket/k")
        .iter()
        .filter(|(_, a)| *a)
        .count();
    mrap::eventually("a GET asks the authorizer again", || {
        let s3 = s3.clone();
        async move {
            let n = gets_of("/spared-bucket/k").len();
            get_k(&s3, "spared-bucket", 1).await.ok()?;
            let gets = exported_gets("/spared-bucket/k", n + 1).await;
            (gets.iter().filter(|(_, a)| *a).count() > asked_before).then_some(())
        }
    })
    .await;
    // ... while the listing, which read no bucket, is still decided here.
    let n = requests_of(LIST.0, LIST.1).len();
    list().await?;
    let lists = exported(LIST.0, LIST.1, n + 1).await;
    assert!(
        lists.iter().skip(n).all(|(s, asked)| reused(s) && !asked),
        "the listing after the bucket change reused its decision"
    );
    stack.stop().await?;
    Ok(())
}

/// An account root's decision on an ARN-named resource of its own account holds for every such
/// resource, since no policy decides it: a GetMultiRegionAccessPoint of another name is decided
/// by the gateway alone. An IAM user's policies name resources, so the decision on one MRAP is
/// never reused for another: a user allowed one MRAP only is refused the other, however often
/// it was allowed the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roots_decision_holds_for_any_arn_of_its_account_and_a_users_does_not() -> TestResult {
    exporter();
    let stack = Stack::start().await?;
    const GET: &str = "GetMultiRegionAccessPoint";
    let path = |name: &str| format!("/v20180820/mrap/instances/{name}");
    let get = |ctl: aws_sdk_s3control::Client, name: &'static str| async move {
        let got = ctl
            .get_multi_region_access_point()
            .account_id(ACCOUNT)
            .name(name)
            .send()
            .await;
        got.err().as_ref().and_then(status_of)
    };
    let root = control(&stack);
    // Allowed, then answered NoSuchMultiRegionAccessPoint: no MRAP is needed for the decision.
    assert_eq!(get(root.clone(), "any-arn-1").await, Some(404));
    assert_eq!(get(root.clone(), "any-arn-2").await, Some(404));
    let (first, second) = (
        exported(GET, &path("any-arn-1"), 1).await,
        exported(GET, &path("any-arn-2"), 1).await,
    );
    assert!(first[0].1, "the first decision asked the authorizer");
    assert!(
        reused(&second[0].0) && !second[0].1,
        "the root's decision on any-arn-1 decided any-arn-2 too"
    );

    let iam = iam(&stack);
    iam.create_user().user_name("one-mrap").send().await?;
    let only_one = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetMultiRegionAccessPoint","Resource":"arn:aws:s3::{ACCOUNT}:accesspoint/any-arn-3"}}]}}"#
    );
    iam.put_user_policy()
        .user_name("one-mrap")
        .policy_name("one")
        .policy_document(only_one)
        .send()
        .await?;
    let key = iam.create_access_key().user_name("one-mrap").send().await?;
    let key = key.access_key().expect("an access key");
    let user = control_as(&stack, key.access_key_id(), key.secret_access_key());
    for _ in 0..3 {
        assert_eq!(get(user.clone(), "any-arn-3").await, Some(404));
    }
    assert_eq!(get(user.clone(), "any-arn-4").await, Some(403));
    stack.stop().await?;
    Ok(())
}

/// A decision under a policy with a condition depends on each request's context: never reused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_under_a_condition_is_never_reused() -> TestResult {
    exporter();
    let stack = Stack::start().await?;
    let s3 = s3(&stack, "us-east-1");
    bucket_with_object(&stack, &s3, "conditional-bucket").await?;
    let deny_over_tls = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::conditional-bucket/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
    s3.put_bucket_policy()
        .bucket("conditional-bucket")
        .policy(deny_over_tls)
        .send()
        .await?;
    get_k(&s3, "conditional-bucket", 3).await?;
    let gets = exported_gets("/conditional-bucket/k", 3).await;
    assert!(
        gets.iter().all(|(s, asked)| *asked && !reused(s)),
        "every GET asks the authorizer"
    );
    stack.stop().await?;
    Ok(())
}

/// What unmodified SDKs send through an MRAP, SigV4A, is reused too: the authorizer hands over
/// the key pair's public key, and the gateway verifies each request's ECDSA signature with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigv4a_requests_through_an_mrap_reuse_decisions_too() -> TestResult {
    exporter();
    let stack = Stack::start().await?;
    let m = mrap::ReadyMrap::create(&stack, "reused-v4a", &["us-east-1", "eu-west-1"]).await;
    let (s3, _) = mrap::arn_client(&stack);
    mrap::put(&s3, &m.arn, "v4a-key", b"x").await;
    for _ in 0..5 {
        s3.get_object().bucket(&m.arn).key("v4a-key").send().await?;
    }
    assert_mostly_reused("/v4a-key", 5).await;
    stack.stop().await?;
    Ok(())
}
