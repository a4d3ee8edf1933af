//! Which Regions may serve a request through an MRAP, best first.

use mrap_model::{MrapRecord, MrapRegion, RegionsConfig};

/// The MRAP's Regions whose route is active and that are up, nearest first (by the Regions
/// file's latency table from `from`, the gateway's own Region); equal distances in name order,
/// so every gateway of a Region makes the same choice. Passive routes are never used: failing
/// over to a standby is the operator's call (`SubmitMultiRegionAccessPointRoutes`), as on AWS.
pub fn candidates<'m>(
    mrap: &'m MrapRecord,
    regions: &RegionsConfig,
    from: Option<&str>,
    is_up: impl Fn(&str) -> bool,
) -> Vec<&'m MrapRegion> {
    let mut out: Vec<&MrapRegion> = mrap
        .regions
        .iter()
        .filter(|r| r.is_active() && is_up(r.region.as_str()))
        .collect();
    out.sort_by_key(|r| (regions.distance(from, r.region.as_str()), r.region.as_str()));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mrap_model::{
        AccountId, Alias, BucketName, MrapName, MrapPolicy, MrapStatus, PublicAccessBlock,
        RegionName,
    };

    use super::*;

    fn mrap(dials: &[(&str, u8)]) -> MrapRecord {
        let account = AccountId::parse("111122223333").unwrap();
        MrapRecord {
            account: account.clone(),
            name: MrapName::parse("mrap-one").unwrap(),
            alias: Alias::parse("mabc.mrap").unwrap(),
            created_at: 0,
            public_access_block: PublicAccessBlock::default(),
            status: MrapStatus::Ready,
            regions: dials
                .iter()
                .map(|(g, d)| MrapRegion {
                    traffic_dial_percentage: *d,
                    ..MrapRegion::new(
                        BucketName::parse(&format!("b-{g}")).unwrap(),
                        RegionName::parse(g).unwrap(),
                        account.clone(),
                    )
                })
                .collect(),
            created_by: String::new(),
            deleting_by: None,
            policy: MrapPolicy::default(),
        }
    }

    fn names(c: &[&MrapRegion]) -> Vec<String> {
        c.iter().map(|r| r.region.to_string()).collect()
    }

    #[test]
    fn nearest_active_up_region_first() {
        let regions = RegionsConfig::load(None).unwrap();
        let m = mrap(&[
            ("ap-southeast-2", 100),
            ("eu-west-1", 100),
            ("us-east-1", 100),
            ("us-west-2", 100),
        ]);
        let all = |_: &str| true;
        assert_eq!(
            names(&candidates(&m, &regions, Some("us-west-2"), all)),
            ["us-west-2", "us-east-1", "eu-west-1", "ap-southeast-2"]
        );
        assert_eq!(
            names(&candidates(&m, &regions, Some("ap-southeast-2"), all)),
            ["ap-southeast-2", "us-west-2", "us-east-1", "eu-west-1"]
        );
        // No gateway Region: each Region's own latency_ms.
        assert_eq!(
            names(&candidates(&m, &regions, None, all)),
            ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"]
        );
        let no_west = |r: &str| r != "us-west-2";
        assert_eq!(
            names(&candidates(&m, &regions, Some("us-west-2"), no_west)),
            ["us-east-1", "eu-west-1", "ap-southeast-2"]
        );
    }

    #[test]
    fn passive_routes_take_no_traffic_even_when_nothing_else_is_up() {
        let regions = RegionsConfig::load(None).unwrap();
        let m = mrap(&[("us-east-1", 0), ("eu-west-1", 100)]);
        assert_eq!(
            names(&candidates(&m, &regions, Some("us-east-1"), |_| true)),
            ["eu-west-1"]
        );
        assert!(candidates(&m, &regions, Some("us-east-1"), |r| r != "eu-west-1").is_empty());
    }
}
