//! PutMultiRegionAccessPointPolicy: validate + propose → apply in each Region → establish.

use mrap_model::{AsyncOperation, OpStatus};
use mrap_proto::store::{self, EstablishMrapPolicy, ProposeMrapPolicy};

use crate::{
    consumer::Ctx,
    create::set_region,
    step::{Step, StepError, from_rpc},
};

pub async fn run(cx: &Ctx, op: &AsyncOperation) -> Step<()> {
    let name = op.params.name();
    // The store validates (MalformedPolicy) and enforces BlockPublicPolicy (AccessDenied).
    let mrap = store::call(
        &cx.nats,
        &cx.ns,
        &ProposeMrapPolicy {
            op_id: op.token.id.clone(),
        },
    )
    .await
    .map_err(|e| from_rpc(e, name.as_str()))?;
    let Some(policy) = mrap.policy.proposed.as_ref() else {
        return Err(StepError::Retry("proposed policy not visible yet".into()));
    };
    for region in &mrap.regions {
        set_region(cx, op, region, OpStatus::InProgress).await?;
        cx.wiring()
            .apply_policy(region, &mrap, &policy.text)
            .await
            .map_err(StepError::Retry)?;
        set_region(cx, op, region, OpStatus::Succeeded).await?;
    }
    store::call(
        &cx.nats,
        &cx.ns,
        &EstablishMrapPolicy {
            op_id: op.token.id.clone(),
        },
    )
    .await
    .map_err(|e| from_rpc(e, name.as_str()))?;
    Ok(())
}
