//! A job's work in the Regions: every Region of the MRAP at once. A failed Region is retried with
//! the whole job (every step is idempotent); the operation shows its Regions `IN_PROGRESS` from
//! its first step until `FinishOp` ends it.

use mrap_model::{MrapRecord, OperationKind};

use crate::{
    step::{Step, StepError},
    wiring::Wiring,
};

/// Create: wire every Region; delete: unwire it; put-policy: apply the proposed policy there.
pub async fn work(wiring: &Wiring, kind: OperationKind, mrap: &MrapRecord) -> Step<()> {
    use futures::future::join_all;
    let regions = mrap.regions.iter();
    let results = match kind {
        OperationKind::Create => join_all(regions.map(|r| wiring.wire(r, mrap))).await,
        OperationKind::Delete => join_all(regions.map(|r| wiring.unwire(r, mrap))).await,
        OperationKind::PutPolicy => {
            let Some(policy) = mrap.policy.proposed.as_ref() else {
                return Err(StepError::Retry("proposed policy not visible yet".into()));
            };
            join_all(regions.map(|r| wiring.apply_policy(r, mrap, &policy.text))).await
        }
    };
    results
        .into_iter()
        .collect::<Result<Vec<()>, String>>()
        .map_err(StepError::Retry)?;
    Ok(())
}
