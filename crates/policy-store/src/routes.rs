//! MRAP routes (`Get/SubmitMultiRegionAccessPointRoutes`) and the operator's Region switches.

use mrap_model::{AliasRecord, ApiError, ErrorCode, MrapName, MrapRecord, MrapRegion, RegionState};
use mrap_proto::store::{GetMrapByAlias, RouteUpdate, SetRegionDown, SubmitRoutes};

use crate::{kvx, state::State};

/// The MRAP an alias names, if `account` owns it (another account's alias names nothing for it).
pub async fn get_by_alias(st: &State, req: GetMrapByAlias) -> Result<MrapRecord, ApiError> {
    let key = record_key(st, &req).await?;
    kvx::value(&st.mraps, &key)
        .await?
        .ok_or_else(|| ApiError::no_such_mrap(req.alias.as_str()))
}

async fn record_key(st: &State, req: &GetMrapByAlias) -> Result<String, ApiError> {
    let owner: Option<AliasRecord> = kvx::value(&st.aliases, req.alias.as_str()).await?;
    match owner {
        Some(a) if a.account == req.account.as_str() => {
            let name = MrapName::parse(&a.name).map_err(ApiError::internal)?;
            Ok(MrapRecord::key(&req.account, &name))
        }
        _ => Err(ApiError::no_such_mrap(req.alias.as_str())),
    }
}

pub async fn submit(st: &State, req: SubmitRoutes) -> Result<MrapRecord, ApiError> {
    let key = record_key(
        st,
        &GetMrapByAlias {
            account: req.account.clone(),
            alias: req.alias.clone(),
        },
    )
    .await?;
    kvx::modify::<MrapRecord, _>(&st.mraps, &key, |cur| {
        let mut m = cur.ok_or_else(|| ApiError::no_such_mrap(req.alias.as_str()))?;
        apply(&mut m.regions, &req.updates)?;
        Ok(kvx::Change::Put(m))
    })
    .await?
    .ok_or_else(|| ApiError::no_such_mrap(req.alias.as_str()))
}

/// Applies route updates to an MRAP's Regions: all of them or none.
fn apply(regions: &mut [MrapRegion], updates: &[RouteUpdate]) -> Result<(), ApiError> {
    if updates.is_empty() {
        return Err(invalid("RouteUpdates must name at least one route."));
    }
    for u in updates {
        let dial = u8::try_from(u.traffic_dial_percentage)
            .ok()
            .filter(|d| *d <= 100)
            .ok_or_else(|| {
                invalid(format!(
                    "TrafficDialPercentage must be between 0 and 100, not {}.",
                    u.traffic_dial_percentage
                ))
            })?;
        let target = regions
            .iter_mut()
            .find(|r| route_names(r, u))
            .ok_or_else(|| invalid(unknown_route(u)))?;
        target.traffic_dial_percentage = dial;
    }
    if !regions.iter().any(MrapRegion::is_active) {
        return Err(invalid(
            "At least one Region of a Multi-Region Access Point must stay active \
             (TrafficDialPercentage 100).",
        ));
    }
    Ok(())
}

/// Whether update `u` names Region `r`: by bucket, by Region, or by both (which must agree).
fn route_names(r: &MrapRegion, u: &RouteUpdate) -> bool {
    let bucket = u.bucket.as_deref().is_none_or(|b| b == r.bucket.as_str());
    let region = u.region.as_deref().is_none_or(|g| g == r.region.as_str());
    (u.bucket.is_some() || u.region.is_some()) && bucket && region
}

fn unknown_route(u: &RouteUpdate) -> String {
    match (&u.bucket, &u.region) {
        (None, None) => "Each route must name a Bucket or a Region.".to_owned(),
        (Some(b), None) => format!("The bucket {b} is not part of this Multi-Region Access Point."),
        (None, Some(g)) => {
            format!("The Region {g} is not part of this Multi-Region Access Point.")
        }
        (Some(b), Some(g)) => {
            format!("The bucket {b} in Region {g} is not part of this Multi-Region Access Point.")
        }
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, message)
}

pub async fn set_region_down(st: &State, req: SetRegionDown) -> Result<RegionState, ApiError> {
    let state = RegionState {
        region: req.region.clone(),
        down: req.down,
        changed_at: mrap_model::time::now_millis(),
    };
    kvx::put(&st.region_states, req.region.as_str(), &state).await?;
    tracing::info!(region = %req.region, down = req.down, "Region state set by an operator");
    Ok(state)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mrap_model::{AccountId, BucketName, RegionName};

    use super::*;

    fn regions() -> Vec<MrapRegion> {
        let a = AccountId::parse("111122223333").unwrap();
        ["us-east-1", "eu-west-1"]
            .iter()
            .map(|g| {
                MrapRegion::new(
                    BucketName::parse(&format!("b-{g}")).unwrap(),
                    RegionName::parse(g).unwrap(),
                    a.clone(),
                )
            })
            .collect()
    }

    fn route(bucket: Option<&str>, region: Option<&str>, dial: i64) -> RouteUpdate {
        RouteUpdate {
            bucket: bucket.map(str::to_owned),
            region: region.map(str::to_owned),
            traffic_dial_percentage: dial,
        }
    }

    fn dials(r: &[MrapRegion]) -> Vec<u8> {
        r.iter().map(|r| r.traffic_dial_percentage).collect()
    }

    #[test]
    fn routes_are_named_by_bucket_region_or_both() {
        let mut r = regions();
        apply(&mut r, &[route(None, Some("us-east-1"), 0)]).unwrap();
        assert_eq!(dials(&r), [0, 100]);
        apply(&mut r, &[route(Some("b-us-east-1"), None, 100)]).unwrap();
        assert_eq!(dials(&r), [100, 100]);
        apply(&mut r, &[route(Some("b-eu-west-1"), Some("eu-west-1"), 0)]).unwrap();
        assert_eq!(dials(&r), [100, 0]);
    }

    #[test]
    fn bad_updates_change_nothing() {
        let mut r = regions();
        let refused = |r: &mut Vec<MrapRegion>, u: Vec<RouteUpdate>| {
            let e = apply(r, &u).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest, "{u:?}");
            e.message
        };
        let all_passive = vec![
            route(None, Some("us-east-1"), 0),
            route(None, Some("eu-west-1"), 0),
        ];
        let mut copy = r.clone();
        assert!(refused(&mut copy, all_passive).contains("active"));
        assert!(refused(&mut r.clone(), vec![]).contains("at least one"));
        assert!(
            refused(&mut r.clone(), vec![route(None, Some("ap-south-1"), 0)])
                .contains("ap-south-1")
        );
        assert!(refused(&mut r.clone(), vec![route(Some("other"), None, 0)]).contains("other"));
        assert!(
            refused(
                &mut r.clone(),
                vec![route(Some("b-us-east-1"), Some("eu-west-1"), 0)]
            )
            .contains("b-us-east-1")
        );
        assert!(refused(&mut r.clone(), vec![route(None, None, 0)]).contains("Bucket or a Region"));
        assert!(refused(&mut r.clone(), vec![route(None, Some("us-east-1"), 101)]).contains("101"));
        assert!(refused(&mut r.clone(), vec![route(None, Some("us-east-1"), -1)]).contains("-1"));
        apply(&mut r, &[route(None, Some("us-east-1"), 100)]).unwrap();
        assert_eq!(dials(&r), [100, 100]);
    }
}
