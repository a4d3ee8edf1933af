//! DeleteMultiRegionAccessPoint: mark DELETING → unwire every Region (then `FinishOp` removes the
//! record). Buckets stay.

use mrap_model::{AsyncOperation, ErrorCode, OpPhase};
use mrap_proto::store::{self, BeginDelete, GetMrap};

use crate::{
    consumer::Ctx,
    step::{Step, from_rpc},
};

pub async fn run(cx: &Ctx, op: &AsyncOperation) -> Step<()> {
    let name = op.params.name();
    let mrap = if op.phase < OpPhase::Claimed {
        let begin = BeginDelete {
            op_id: op.token.id.clone(),
        };
        cx.store(&begin, name.as_str()).await?
    } else {
        // A replay: the record may be gone (an earlier delivery got as far as removing it) or
        // someone else's by now; either way there is nothing left for this delete to unwire.
        let get = GetMrap {
            account: op.account.clone(),
            name: name.clone(),
        };
        match store::call(&cx.nats, &cx.ns, &get).await {
            Ok(m) if m.deleting_by.as_deref() == Some(op.token.id.as_str()) => m,
            Ok(_) => return Ok(()),
            Err(mrap_proto::RpcError::Api(e))
                if e.code == ErrorCode::NoSuchMultiRegionAccessPoint =>
            {
                return Ok(());
            }
            Err(e) => return Err(from_rpc(e, name.as_str())),
        }
    };
    cx.each_region(&mrap, |region| cx.wiring.unwire(region, &mrap))
        .await
}
