//! The control-plane steps the harness needs: submitting an MRAP create or delete and waiting for
//! it (the create scenario), and an MRAP over the objects benchmark's bucket.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::client::{Client, Signer, xml_field};

/// The body of a create (`verb` `create`) or delete request with `details` and a fresh
/// ClientToken.
pub(crate) fn submit_body(verb: &str, details: &str) -> String {
    let root = if verb == "create" {
        "CreateMultiRegionAccessPointRequest"
    } else {
        "DeleteMultiRegionAccessPointRequest"
    };
    format!(
        r#"<{root} xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><ClientToken>{}</ClientToken><Details>{details}</Details></{root}>"#,
        rand::random::<u64>()
    )
}

pub(crate) async fn submit(client: &Client, verb: &str, details: &str) -> Result<String> {
    let body = submit_body(verb, details);
    let r = client
        .send(
            "POST",
            &format!("/v20180820/async-requests/mrap/{verb}"),
            "",
            &body,
        )
        .await?;
    if r.status != 200 {
        bail!("{verb}: HTTP {} {}", r.status, r.body);
    }
    Ok(xml_field(&r.body, "RequestTokenARN")
        .context("no RequestTokenARN")?
        .to_owned())
}

pub(crate) async fn wait_terminal(client: &Client, token: &str, want: &str) -> Result<()> {
    let path = format!(
        "/v20180820/async-requests/mrap/{}",
        token.replace(':', "%3A")
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let r = client.send("GET", &path, "", "").await?;
        let status = xml_field(&r.body, "RequestStatus")
            .unwrap_or_default()
            .to_owned();
        match status.as_str() {
            "SUCCEEDED" | "FAILED" if status == want => return Ok(()),
            "SUCCEEDED" | "FAILED" => bail!("operation {token} ended {status}: {}", r.body),
            _ => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    }
    bail!("operation {token} not terminal after 60 s")
}

/// The alias of MRAP `bench-{bucket}` over `bucket` (its only Region), created if missing.
pub(crate) async fn ensure_mrap(authority: &str, signer: &Signer, bucket: &str) -> Result<String> {
    let account = std::env::var("MRAP_ACCOUNT").unwrap_or_else(|_| "000000000000".into());
    let client = Client::new(
        &format!("http://{authority}"),
        &account,
        &signer.access_key,
        &signer.secret,
    )?;
    let name = format!("bench-{bucket}");
    let get = format!("/v20180820/mrap/instances/{name}");
    let mut r = client.send("GET", &get, "", "").await?;
    if r.status == 404 {
        let token = submit(
            &client,
            "create",
            &format!(
                "<Name>{name}</Name><Regions><Region><Bucket>{bucket}</Bucket></Region></Regions>"
            ),
        )
        .await?;
        wait_terminal(&client, &token, "SUCCEEDED").await?;
        r = client.send("GET", &get, "", "").await?;
    }
    if r.status != 200 {
        bail!(
            "GetMultiRegionAccessPoint {name}: HTTP {} {}",
            r.status,
            r.body
        );
    }
    Ok(xml_field(&r.body, "Alias")
        .context("GetMultiRegionAccessPoint without an Alias")?
        .to_owned())
}
