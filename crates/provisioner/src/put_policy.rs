//! PutMultiRegionAccessPointPolicy: validate + propose → apply in every Region (then `FinishOp`
//! establishes it).

use mrap_model::AsyncOperation;
use mrap_proto::store::ProposeMrapPolicy;

use crate::{
    consumer::Ctx,
    step::{Step, StepError},
};

pub async fn run(cx: &Ctx, op: &AsyncOperation) -> Step<()> {
    let name = op.params.name();
    // The store validates (MalformedPolicy) and enforces BlockPublicPolicy (AccessDenied).
    let mrap = cx
        .store(
            &ProposeMrapPolicy {
                op_id: op.token.id.clone(),
            },
            name.as_str(),
        )
        .await?;
    let Some(policy) = mrap.policy.proposed.as_ref() else {
        return Err(StepError::Retry("proposed policy not visible yet".into()));
    };
    cx.each_region(&mrap, |region| {
        cx.wiring.apply_policy(region, &mrap, &policy.text)
    })
    .await
}
