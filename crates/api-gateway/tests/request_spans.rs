//! The request span: `{METHOD} {route}` with the documented attributes, and the NATS calls made
//! while serving the request as its children. Its own test binary, because it installs a global
//! `tracing` subscriber.
#![allow(clippy::unwrap_used)]

mod common;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use common::*;
use tracing::{
    Subscriber,
    field::{Field, Visit},
    span,
};
use tracing_subscriber::{Layer, layer::Context, prelude::*, registry::LookupSpan};

#[derive(Debug, Clone)]
struct SpanRecord {
    id: u64,
    parent: Option<u64>,
    fields: HashMap<String, String>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<SpanRecord>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let mut fields = HashMap::new();
        fields.insert("name".to_owned(), attrs.metadata().name().to_owned());
        attrs.record(&mut Fields(&mut fields));
        let parent = ctx
            .span(id)
            .and_then(|s| s.parent().map(|p| p.id().into_u64()));
        self.0.lock().unwrap().push(SpanRecord {
            id: id.into_u64(),
            parent,
            fields,
        });
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, _: Context<'_, S>) {
        let mut spans = self.0.lock().unwrap();
        if let Some(s) = spans.iter_mut().rev().find(|s| s.id == id.into_u64()) {
            values.record(&mut Fields(&mut s.fields));
        }
    }
}

fn capture() -> Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let c = Capture::default();
            tracing_subscriber::registry().with(c.clone()).init();
            c
        })
        .clone()
}

const CREATE_BODY: &str = r#"<CreateMultiRegionAccessPointRequest><ClientToken>t</ClientToken><Details><Name>span-mrap</Name><Regions><Region><Bucket>bucket-a</Bucket></Region></Regions></Details></CreateMultiRegionAccessPointRequest>"#;

#[tokio::test]
async fn one_server_span_per_request_with_nats_calls_inside() {
    let spans = capture();
    let h = harness().await;
    let ns = &h.stack.namespace;

    let r = h
        .control("POST", "/v20180820/async-requests/mrap/create", CREATE_BODY)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let request_id = r.request_id();
    let r = h.s3("HEAD", "/missing-bucket", "").await;
    assert_eq!(r.status, 404);

    let all = spans.0.lock().unwrap().clone();
    let create = all
        .iter()
        .find(|s| s.fields.get("aws.request_id") == Some(&request_id))
        .expect("a span for the create request");
    let f = &create.fields;
    assert_eq!(f["name"], "http.request");
    assert_eq!(f["otel.name"], "POST /v20180820/async-requests/mrap/create");
    assert_eq!(f["otel.kind"], "server");
    assert_eq!(f["http.request.method"], "POST");
    assert_eq!(f["url.path"], "/v20180820/async-requests/mrap/create");
    assert_eq!(f["http.route"], "/v20180820/async-requests/mrap/create");
    assert_eq!(f["aws.s3.operation"], "CreateMultiRegionAccessPoint");
    assert_eq!(f["mrap.service"], "api-gateway");
    assert_eq!(f["http.response.status_code"], "200");

    // authz check + SubmitOp, both under the request span
    let children: Vec<&str> = all
        .iter()
        .filter(|s| s.parent == Some(create.id) && s.fields["name"] == "nats.request")
        .map(|s| s.fields["otel.name"].as_str())
        .collect();
    assert_eq!(
        children,
        [
            format!("send {}", ns.authz_check()),
            format!(
                "send {}",
                mrap_proto::store::subject::<mrap_proto::store::SubmitOp>(ns)
            ),
        ]
    );

    let head = all
        .iter()
        .rev()
        .find(|s| s.fields.get("otel.name").map(String::as_str) == Some("HEAD /{bucket}"))
        .expect("a span for HEAD");
    assert_eq!(head.fields["aws.s3.operation"], "HeadBucket");
    assert_eq!(head.fields["http.response.status_code"], "404");
    assert_eq!(head.fields["mrap.error_code"], "NoSuchBucket");
}
