//! Access keys from configuration, written (sealed) at start-up so the authorizer can find them.

use mrap_model::AccessKeyRecord;

use crate::{Error, kvx, state::State};

pub async fn write_keys(state: &State, keys: &[AccessKeyRecord]) -> Result<(), Error> {
    for k in keys {
        kvx::put(&state.access_keys, &k.access_key, &state.master_key.seal(k))
            .await
            .map_err(|e| Error::Config(e.message))?;
        tracing::info!(access_key = %k.access_key, account = %k.account, "bootstrap access key ready");
    }
    Ok(())
}
