//! `GetMultiRegionAccessPointRoutes` / `SubmitMultiRegionAccessPointRoutes`: each Region's
//! `TrafficDialPercentage` (100 active, 0 passive). The MRAP is named by its ARN
//! (`arn:aws:s3::{account}:accesspoint/{alias}`), which must be in the request's account. A
//! submission applies at once and in full on every gateway (they watch the records), or not at
//! all: a route naming no Region of the MRAP, a dial outside 0–100 or a result with no active
//! Region is `InvalidRequest` and changes nothing.

use axum::{http::StatusCode, response::IntoResponse, response::Response};
use mrap_model::{AccountId, Alias, ApiError};
use mrap_proto::store::{GetMrapByAlias, RouteUpdate, SubmitRoutes};

use crate::{
    common::{
        error::{invalid_request, malformed_xml},
        xml::{from_xml, xml_response},
    },
    s3control::{
        ControlRequest,
        xml::{
            requests::{SUBMIT_ROUTES_ROOT, SubmitRoutesRequest},
            responses::RoutesResult,
        },
    },
};

pub(crate) async fn get(req: ControlRequest<'_>) -> Result<Response, ApiError> {
    let alias = alias_of(&req.label, &req.account)?;
    let account = req.account;
    let record = req.state.store(&GetMrapByAlias { account, alias }).await?;
    xml_response(&RoutesResult::new(&record))
}

pub(crate) async fn submit(req: ControlRequest<'_>) -> Result<Response, ApiError> {
    let alias = alias_of(&req.label, &req.account)?;
    let updates = parse(&req.body)?;
    let account = req.account;
    req.state
        .store(&SubmitRoutes {
            account,
            alias,
            updates,
        })
        .await?;
    Ok(StatusCode::OK.into_response())
}

/// The alias of an MRAP ARN in `account`.
fn alias_of(arn: &str, account: &AccountId) -> Result<Alias, ApiError> {
    let bad = || {
        invalid_request(format!(
            "{arn} is not a Multi-Region Access Point ARN of account {account}."
        ))
    };
    let rest = arn.strip_prefix("arn:aws:s3::").ok_or_else(bad)?;
    let (arn_account, alias) = rest.split_once(":accesspoint/").ok_or_else(bad)?;
    if arn_account != account.as_str() {
        return Err(bad());
    }
    Alias::parse(alias).map_err(|_| bad())
}

/// `MalformedXML` for a document without `RouteUpdates`, a route without its dial, or a dial
/// that is not an integer; the rules on values are the store's.
fn parse(body: &[u8]) -> Result<Vec<RouteUpdate>, ApiError> {
    let request: SubmitRoutesRequest =
        from_xml(body, SUBMIT_ROUTES_ROOT).map_err(|_| malformed_xml())?;
    request
        .route_updates
        .ok_or_else(malformed_xml)?
        .route
        .into_iter()
        .map(|r| {
            let dial = r.traffic_dial_percentage.ok_or_else(malformed_xml)?;
            Ok(RouteUpdate {
                bucket: r.bucket,
                region: r.region,
                traffic_dial_percentage: dial.trim().parse().map_err(|_| malformed_xml())?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mrap_model::ErrorCode;

    use super::*;

    #[test]
    fn routes_name_an_mrap_of_the_account_by_its_arn() {
        let account = AccountId::parse("123456789012").unwrap();
        let ok = alias_of(
            "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap",
            &account,
        );
        assert_eq!(ok.unwrap().as_str(), "mfzwi23gnjvgw.mrap");
        for bad in [
            "",
            "mfzwi23gnjvgw.mrap",
            "arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap",
            "arn:aws:s3:us-east-1:123456789012:accesspoint/mfzwi23gnjvgw.mrap",
            "arn:aws:s3::123456789012:accesspoint/my-mrap",
        ] {
            assert_eq!(
                alias_of(bad, &account).unwrap_err().code,
                ErrorCode::InvalidRequest,
                "{bad}"
            );
        }
    }

    #[test]
    fn dials_must_be_integers() {
        let doc = |dial: &str| {
            format!(
                "<SubmitMultiRegionAccessPointRoutesRequest><RouteUpdates><Route><Region>us-east-1</Region>{dial}</Route></RouteUpdates></SubmitMultiRegionAccessPointRoutesRequest>"
            )
        };
        let parsed =
            parse(doc("<TrafficDialPercentage>0</TrafficDialPercentage>").as_bytes()).unwrap();
        assert_eq!(parsed[0].traffic_dial_percentage, 0);
        for bad in [
            doc("<TrafficDialPercentage>half</TrafficDialPercentage>"),
            doc(""),
            "<SubmitMultiRegionAccessPointRoutesRequest/>".to_owned(),
        ] {
            assert_eq!(
                parse(bad.as_bytes()).unwrap_err().code,
                ErrorCode::MalformedXML,
                "{bad}"
            );
        }
    }
}
