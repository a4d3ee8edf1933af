//! Listing the latest value of every key under a prefix.
//!
//! JetStream KV has no "list by prefix"; `keys()` scans the whole bucket. An ephemeral consumer
//! with `DeliverPolicy::LastPerSubject` and a subject filter reads just the keys of one account.

use std::time::Duration;

use async_nats::jetstream::{
    self,
    consumer::{AckPolicy, DeliverPolicy, pull},
};
use futures::StreamExt;
use mrap_model::ApiError;
use serde::de::DeserializeOwned;

/// Values of the keys matching `key_filter` (a KV key pattern such as `000000000000.>`).
pub async fn latest<T: DeserializeOwned>(
    js: &jetstream::Context,
    bucket: &str,
    key_filter: &str,
) -> Result<Vec<T>, ApiError> {
    let err = |what: &str, e: &dyn std::fmt::Display| {
        ApiError::internal(format!("listing {bucket}: {what}: {e}"))
    };
    let stream = js
        .get_stream(format!("KV_{bucket}"))
        .await
        .map_err(|e| err("stream", &e))?;
    let consumer = stream
        .create_consumer(pull::Config {
            filter_subject: format!("$KV.{bucket}.{key_filter}"),
            deliver_policy: DeliverPolicy::LastPerSubject,
            ack_policy: AckPolicy::None,
            inactive_threshold: Duration::from_secs(10),
            // Its state lives for one read: nothing of it needs to reach the disk or replicas.
            memory_storage: true,
            num_replicas: 1,
            ..Default::default()
        })
        .await
        .map_err(|e| err("consumer", &e))?;
    let mut remaining = consumer.cached_info().num_pending as usize;
    let mut out = Vec::with_capacity(remaining);
    while remaining > 0 {
        let mut batch = consumer
            .batch()
            .max_messages(remaining)
            .expires(Duration::from_secs(2))
            .messages()
            .await
            .map_err(|e| err("fetch", &e))?;
        let mut got = 0;
        while let Some(msg) = batch.next().await {
            let msg = msg.map_err(|e| err("message", &e))?;
            got += 1;
            let deleted = msg
                .headers
                .as_ref()
                .and_then(|h| h.get("KV-Operation"))
                .is_some_and(|op| op.as_str() == "DEL" || op.as_str() == "PURGE");
            if !deleted && let Ok(v) = mrap_proto::codec::decode(&msg.payload) {
                out.push(v);
            }
        }
        if got == 0 {
            break;
        }
        remaining = remaining.saturating_sub(got);
    }
    // The caller need not wait for the clean-up (the inactivity threshold is the backstop).
    let name = consumer.cached_info().name.clone();
    tokio::spawn(async move {
        let _ = stream.delete_consumer(&name).await;
    });
    Ok(out)
}

/// How many keys match `key_filter`: one stream-info request with a subject filter, no consumer
/// (creating one costs the server more than the rest of a quota check); its `total` is the
/// number of subjects the filter matched. (async-nats's `info_with_subjects` asks again for a
/// second page, always empty: two requests of the costliest JetStream call.) A key deleted a
/// moment ago may still count until its marker is purged, so a quota read this way errs on the
/// safe side.
pub async fn key_count(
    js: &jetstream::Context,
    bucket: &str,
    key_filter: &str,
) -> Result<usize, ApiError> {
    #[derive(serde::Serialize)]
    struct Request {
        subjects_filter: String,
    }
    #[derive(serde::Deserialize)]
    struct Paged {
        #[serde(default)]
        total: usize,
    }
    let request = Request {
        subjects_filter: format!("$KV.{bucket}.{key_filter}"),
    };
    let answer: jetstream::response::Response<Paged> = js
        .request(format!("STREAM.INFO.KV_{bucket}"), &request)
        .await
        .map_err(|e| ApiError::internal(format!("counting {bucket}: {e}")))?;
    match answer {
        jetstream::response::Response::Ok(paged) => Ok(paged.total),
        jetstream::response::Response::Err { error } => {
            Err(ApiError::internal(format!("counting {bucket}: {error}")))
        }
    }
}
