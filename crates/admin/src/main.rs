//! `mrap-admin`: operator commands, sent to the policy-store over NATS (the same environment as
//! the services: `MRAP_NATS_URL`, `MRAP_SUBJECT_PREFIX`, `MRAP_REGIONS_FILE`).
//!
//! ```text
//! mrap-admin region down NAME   # no MRAP traffic to NAME until it is brought back
//! mrap-admin region up NAME
//! mrap-admin account add ACCOUNT  # a root access key for ACCOUNT (12 digits), printed once
//! ```
//! Every gateway watches the Region states and applies a change within milliseconds; requests
//! through an MRAP then go to the next nearest active Region. Accounts exist by their root keys:
//! outside the local stack, configuration (`MRAP_BOOTSTRAP_ACCOUNT`) and this command are the
//! only ways to make one (an account holds at most two root keys).

use std::process::ExitCode;

use anyhow::{Context, bail};
use mrap_model::{AccountId, RegionName, RegionsConfig};
use mrap_proto::store::{CreateAccessKey, SetRegionDown};

const USAGE: &str = "usage: mrap-admin region down|up NAME | mrap-admin account add ACCOUNT";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        // One line for the operator (no backtrace), exit status 2 as for a usage error.
        Err(e) => {
            eprintln!("mrap-admin: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (down, name) = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["region", "down", name] => (true, name),
        ["region", "up", name] => (false, name),
        ["account", "add", account] => return add_account(account).await,
        _ => bail!(USAGE),
    };
    let regions_file = std::env::var("MRAP_REGIONS_FILE")
        .ok()
        .filter(|v| !v.is_empty());
    let regions = RegionsConfig::load(regions_file.as_deref().map(std::path::Path::new))
        .map_err(anyhow::Error::msg)?;
    if regions.get(name).is_none() {
        let known: Vec<&str> = regions.regions.iter().map(|r| r.name.as_str()).collect();
        bail!(
            "no Region {name} in this deployment (Regions: {})",
            known.join(", ")
        );
    }
    let region = RegionName::parse(name).map_err(anyhow::Error::msg)?;
    let nats = mrap_proto::NatsConfig::from_env()
        .connect("mrap-admin")
        .await
        .context("connecting to NATS")?;
    let ns = mrap_proto::connect::namespace_from_env();
    let state = mrap_proto::store::call(&nats, &ns, &SetRegionDown { region, down })
        .await
        .context("asking the policy-store")?;
    println!(
        "Region {} is {}",
        state.region,
        if state.down { "down" } else { "up" }
    );
    Ok(())
}

/// A new root access key for `account`; its secret is shown here and nowhere else.
async fn add_account(account: &str) -> anyhow::Result<()> {
    let account = AccountId::parse(account).map_err(anyhow::Error::msg)?;
    let nats = mrap_proto::NatsConfig::from_env()
        .connect("mrap-admin")
        .await
        .context("connecting to NATS")?;
    let ns = mrap_proto::connect::namespace_from_env();
    let key = mrap_proto::store::call(
        &nats,
        &ns,
        &CreateAccessKey {
            account: account.clone(),
            user: None,
        },
    )
    .await
    .context("asking the policy-store")?;
    println!("account {account}: root access key {}", key.access_key);
    println!("secret access key (shown once): {}", key.secret);
    Ok(())
}
