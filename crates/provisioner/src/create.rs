//! CreateMultiRegionAccessPoint: validate → claim the name → wire every Region (then `FinishOp`
//! makes the MRAP `READY`).

use std::collections::HashSet;

use mrap_model::{AsyncOperation, ErrorCode, MrapRegion, OpPhase, RequestParams, RequestedRegion};
use mrap_proto::store::{self, ClaimMrap, GetBucket, GetMrap};

use crate::{
    consumer::Ctx,
    step::{Step, fail, from_rpc},
};

pub async fn run(cx: &Ctx, op: &AsyncOperation) -> Step<()> {
    let RequestParams::Create { name, regions, .. } = &op.params else {
        return Err(fail(
            ErrorCode::InternalErrors,
            "not a create operation",
            "",
        ));
    };
    // The claim answers with the record it made (or found made by this same operation); only a
    // replay past the claim needs to read it back.
    let mrap = if op.phase < OpPhase::Claimed {
        let get = GetMrap {
            account: op.account.clone(),
            name: name.clone(),
        };
        // Both lookups at once; a name taken is still reported before any bucket problem.
        let (existing, resolved) = futures::join!(
            store::call(&cx.nats, &cx.ns, &get),
            resolve_buckets(cx, op, regions)
        );
        match existing {
            Ok(m) if m.created_by != op.token.id => {
                return Err(fail(
                    ErrorCode::MultiRegionAccessPointAlreadyOwnedByYou,
                    format!(
                        "A Multi-Region Access Point named '{name}' already exists in this account"
                    ),
                    name.as_str(),
                ));
            }
            Ok(_) => {}
            Err(mrap_proto::RpcError::Api(e))
                if e.code == ErrorCode::NoSuchMultiRegionAccessPoint => {}
            Err(e) => return Err(from_rpc(e, name.as_str())),
        }
        let claim = ClaimMrap {
            op_id: op.token.id.clone(),
            regions: resolved?,
        };
        cx.store(&claim, name.as_str()).await?
    } else {
        let get = GetMrap {
            account: op.account.clone(),
            name: name.clone(),
        };
        cx.store(&get, name.as_str()).await?
    };
    if mrap.created_by != op.token.id {
        return Err(fail(
            ErrorCode::MultiRegionAccessPointModifiedByAnotherRequest,
            "The Multi-Region Access Point was replaced by another request",
            name.as_str(),
        ));
    }
    cx.each_region(&mrap, |region| cx.wiring.wire(region, &mrap))
        .await
}

/// Looks every bucket up: it must exist, belong to the stated account (the caller's by default),
/// sit in a Region this deployment serves, and no two buckets may share a Region.
async fn resolve_buckets(
    cx: &Ctx,
    op: &AsyncOperation,
    regions: &[RequestedRegion],
) -> Step<Vec<MrapRegion>> {
    // All lookups at once (up to 20 Regions); the checks below still go in request order, so the
    // error reported is the first bucket's that fails, as with one lookup after another.
    let lookups = futures::future::join_all(regions.iter().map(|r| async move {
        let get = GetBucket {
            name: r.bucket.clone(),
        };
        cx.store(&get, r.bucket.as_str()).await
    }))
    .await;
    let mut out = Vec::with_capacity(regions.len());
    let mut seen = HashSet::new();
    for (r, lookup) in regions.iter().zip(lookups) {
        let bucket = lookup?.ok_or_else(|| {
            fail(
                ErrorCode::NoSuchBucket,
                format!("The specified bucket '{}' does not exist", r.bucket),
                r.bucket.as_str(),
            )
        })?;
        let expected_owner = r.bucket_account_id.as_ref().unwrap_or(&op.account);
        if &bucket.owner != expected_owner {
            return Err(fail(
                ErrorCode::AccessDenied,
                format!(
                    "Bucket '{}' is not owned by account {expected_owner}",
                    r.bucket
                ),
                r.bucket.as_str(),
            ));
        }
        if cx.wiring.regions.get(bucket.region.as_str()).is_none() {
            return Err(fail(
                ErrorCode::MultiRegionAccessPointUnsupportedRegion,
                format!(
                    "Region {} of bucket '{}' is not supported for Multi-Region Access Points",
                    bucket.region, r.bucket
                ),
                r.bucket.as_str(),
            ));
        }
        if !seen.insert(bucket.region.clone()) {
            return Err(fail(
                ErrorCode::MultiRegionAccessPointSameBucketRegion,
                format!(
                    "More than one bucket is in Region {}; a Multi-Region Access Point takes one bucket per Region",
                    bucket.region
                ),
                r.bucket.as_str(),
            ));
        }
        out.push(MrapRegion::new(bucket.name, bucket.region, bucket.owner));
    }
    Ok(out)
}
