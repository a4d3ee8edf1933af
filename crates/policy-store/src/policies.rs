//! Resource policies and Block Public Access: validation on write, the MRAP proposed/established
//! cycle, and the BPA configurations at bucket and account level.
//!
//! A policy is refused when validation reports any ERROR finding (`MalformedPolicy`, with the
//! first error's text), and when it would grant public access while `BlockPublicPolicy` is on for
//! the resource or its account (`AccessDenied`). The other findings are kept with the policy.

use mrap_model::{
    AccountId, AccountRecord, ApiError, AsyncOperation, BucketRecord, ErrorCode, MrapRecord,
    MrapStatus, OpPhase, PublicAccessBlock, RequestParams, StoredFinding, StoredPolicy,
};
use mrap_policy::{FindingType, PolicyType};
use mrap_proto::store::{
    DeleteBucketPolicy, GetAccount, PutBucketPolicy, SetAccountPublicAccessBlock,
    SetBucketPublicAccessBlock, Work,
};

use crate::{kvx, ops, state::State};

/// Validates `text` as a resource policy for `resource_type` (`AWS::S3::Bucket`,
/// `AWS::S3::MultiRegionAccessPoint`).
pub fn check(text: &str, resource_type: &str) -> Result<StoredPolicy, ApiError> {
    let findings = mrap_policy::validate(text, PolicyType::Resource, Some(resource_type));
    if let Some(err) = findings
        .iter()
        .find(|f| f.finding_type == FindingType::Error)
    {
        return Err(ApiError::new(
            ErrorCode::MalformedPolicy,
            err.finding_details.clone(),
        ));
    }
    let parsed = mrap_policy::parse(text)
        .map_err(|e| ApiError::new(ErrorCode::MalformedPolicy, e.message))?;
    Ok(StoredPolicy {
        text: text.to_owned(),
        is_public: mrap_policy::is_public(&parsed),
        findings: findings
            .into_iter()
            .map(|f| StoredFinding {
                finding_type: f.finding_type.api_name().to_owned(),
                issue_code: f.issue_code,
                details: f.finding_details,
            })
            .collect(),
    })
}

fn public_blocked(what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::AccessDenied,
        format!(
            "The policy would grant public access while BlockPublicPolicy is enabled for the {what}"
        ),
    )
}

async fn account_pab(
    st: &State,
    account: &AccountId,
) -> Result<Option<PublicAccessBlock>, ApiError> {
    Ok(kvx::value::<AccountRecord>(&st.accounts, account.as_str())
        .await?
        .and_then(|a| a.public_access_block))
}

pub async fn get_account(st: &State, req: GetAccount) -> Result<AccountRecord, ApiError> {
    Ok(kvx::value(&st.accounts, req.account.as_str())
        .await?
        .unwrap_or(AccountRecord {
            account: req.account,
            public_access_block: None,
        }))
}

pub async fn set_account_pab(
    st: &State,
    req: SetAccountPublicAccessBlock,
) -> Result<AccountRecord, ApiError> {
    let account = req.account.clone();
    kvx::modify::<AccountRecord, _>(&st.accounts, account.as_str(), |cur| {
        let mut rec = cur.unwrap_or(AccountRecord {
            account: account.clone(),
            public_access_block: None,
        });
        rec.public_access_block = req.config;
        Ok(kvx::Change::Put(rec))
    })
    .await?
    .ok_or_else(|| ApiError::internal("account record vanished"))
}

pub async fn put_bucket_policy(st: &State, req: PutBucketPolicy) -> Result<BucketRecord, ApiError> {
    let policy = check(&req.policy, "AWS::S3::Bucket")?;
    let owner = kvx::value::<BucketRecord>(&st.buckets, req.name.as_str())
        .await?
        .ok_or_else(ApiError::no_such_bucket)?
        .owner;
    let account_blocks = account_pab(st, &owner)
        .await?
        .is_some_and(|p| p.block_public_policy);
    if policy.is_public && account_blocks {
        return Err(public_blocked("account"));
    }
    kvx::modify::<BucketRecord, _>(&st.buckets, req.name.as_str(), |cur| {
        let mut b = cur.ok_or_else(ApiError::no_such_bucket)?;
        if policy.is_public && b.public_access_block.is_some_and(|p| p.block_public_policy) {
            return Err(public_blocked("bucket"));
        }
        b.policy = Some(policy.clone());
        Ok(kvx::Change::Put(b))
    })
    .await?
    .ok_or_else(ApiError::no_such_bucket)
}

pub async fn delete_bucket_policy(
    st: &State,
    req: DeleteBucketPolicy,
) -> Result<BucketRecord, ApiError> {
    kvx::modify::<BucketRecord, _>(&st.buckets, req.name.as_str(), |cur| {
        let mut b = cur.ok_or_else(ApiError::no_such_bucket)?;
        if b.policy.take().is_none() {
            return Ok(kvx::Change::Keep);
        }
        Ok(kvx::Change::Put(b))
    })
    .await?
    .ok_or_else(ApiError::no_such_bucket)
}

pub async fn set_bucket_pab(
    st: &State,
    req: SetBucketPublicAccessBlock,
) -> Result<BucketRecord, ApiError> {
    kvx::modify::<BucketRecord, _>(&st.buckets, req.name.as_str(), |cur| {
        let mut b = cur.ok_or_else(ApiError::no_such_bucket)?;
        b.public_access_block = req.config;
        Ok(kvx::Change::Put(b))
    })
    .await?
    .ok_or_else(ApiError::no_such_bucket)
}

/// A put-policy operation's policy text.
fn policy_text(op: &AsyncOperation) -> Result<&str, ApiError> {
    match &op.params {
        RequestParams::PutPolicy { policy, .. } => Ok(policy),
        _ => Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "not a put-policy operation",
        )),
    }
}

/// A put-policy's first step (see `BeginOp`): the policy validated, BPA-checked and proposed.
pub async fn propose(st: &State, (op, rev): (AsyncOperation, u64)) -> Result<Work, ApiError> {
    let policy = check(policy_text(&op)?, "AWS::S3::MultiRegionAccessPoint")?;
    let name = op.params.name().clone();
    let account_blocks = account_pab(st, &op.account)
        .await?
        .is_some_and(|p| p.block_public_policy);
    let proposed =
        kvx::modify::<MrapRecord, _>(&st.mraps, &MrapRecord::key(&op.account, &name), |cur| {
            let mut m = cur.ok_or_else(|| ApiError::no_such_mrap(name.as_str()))?;
            if m.status != MrapStatus::Ready {
                return Err(ApiError::new(
                    ErrorCode::MultiRegionAccessPointNotReady,
                    format!(
                        "The Multi-Region Access Point is {} and its policy cannot be changed now",
                        m.status.as_str()
                    ),
                ));
            }
            if policy.is_public && m.public_access_block.block_public_policy {
                return Err(public_blocked("Multi-Region Access Point"));
            }
            if policy.is_public && account_blocks {
                return Err(public_blocked("account"));
            }
            if m.policy.proposed.as_ref() == Some(&policy) {
                return Ok(kvx::Change::Keep);
            }
            m.policy.proposed = Some(policy.clone());
            Ok(kvx::Change::Put(m))
        })
        .await?
        .ok_or_else(|| ApiError::no_such_mrap(name.as_str()))?;
    ops::under_way(st, (op, rev), OpPhase::Accepted, &proposed.regions).await?;
    Ok(Work::Regions(Box::new(proposed)))
}

/// A put-policy's last step (every Region applied it): the proposed policy is established.
pub async fn establish(st: &State, op: &AsyncOperation) -> Result<(), ApiError> {
    let text = policy_text(op)?;
    let name = op.params.name().clone();
    kvx::modify::<MrapRecord, _>(&st.mraps, &MrapRecord::key(&op.account, &name), |cur| {
        let mut m = cur.ok_or_else(|| ApiError::no_such_mrap(name.as_str()))?;
        match &m.policy.proposed {
            // Ours, and not yet established.
            Some(p) if p.text == text && m.policy.established.as_ref() != Some(p) => {
                m.policy.established = Some(p.clone());
                Ok(kvx::Change::Put(m))
            }
            // Already established (a replay) or superseded by a newer put.
            _ => Ok(kvx::Change::Keep),
        }
    })
    .await?
    .map(|_| ())
    .ok_or_else(|| ApiError::no_such_mrap(name.as_str()))
}
