//! DeleteMultiRegionAccessPoint: mark DELETING → unwire each Region → remove. Buckets stay.

use mrap_model::{AsyncOperation, ErrorCode, OpPhase};
use mrap_proto::store::{self, BeginDelete, GetMrap, RemoveMrap};

use crate::{
    consumer::Ctx,
    step::{Step, from_rpc},
};

pub async fn run(cx: &Ctx, op: &AsyncOperation) -> Step<()> {
    let name = op.params.name();
    if op.phase < OpPhase::Claimed {
        cx.store(
            &BeginDelete {
                op_id: op.token.id.clone(),
            },
            name.as_str(),
        )
        .await?;
    }
    let mrap = match store::call(
        &cx.nats,
        &cx.ns,
        &GetMrap {
            account: op.account.clone(),
            name: name.clone(),
        },
    )
    .await
    {
        Ok(m) if m.deleting_by.as_deref() == Some(op.token.id.as_str()) => m,
        // Gone (an earlier delivery finished removing it) or already someone else's: our delete is done.
        Ok(_) => return Ok(()),
        Err(mrap_proto::RpcError::Api(e)) if e.code == ErrorCode::NoSuchMultiRegionAccessPoint => {
            return Ok(());
        }
        Err(e) => return Err(from_rpc(e, name.as_str())),
    };
    cx.each_region(op, &mrap, |region| cx.wiring.unwire(region, &mrap))
        .await?;
    cx.store(
        &RemoveMrap {
            op_id: op.token.id.clone(),
        },
        name.as_str(),
    )
    .await?;
    Ok(())
}
