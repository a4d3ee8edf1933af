//! S3 Control `…Result` documents. aws-sdk-rust rejects any other root name, so each root is
//! spelled out with `rename`; acronyms (`RequestTokenARN`) need explicit renames too.

use mrap_model::{
    AsyncOperation, MrapPolicy, MrapRecord, PublicAccessBlock as Pab, RequestParams,
    RequestedRegion, time::format_iso8601,
};
use serde::Serialize;

use crate::common::xml::S3CONTROL_NS;

/// `CreateMultiRegionAccessPointResult`.
#[derive(Debug, Serialize)]
#[serde(rename = "CreateMultiRegionAccessPointResult")]
pub(crate) struct CreateResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "RequestTokenARN")]
    request_token_arn: String,
}

impl CreateResult {
    pub fn new(request_token_arn: String) -> Self {
        Self {
            xmlns: S3CONTROL_NS,
            request_token_arn,
        }
    }
}

/// `DeleteMultiRegionAccessPointResult`.
#[derive(Debug, Serialize)]
#[serde(rename = "DeleteMultiRegionAccessPointResult")]
pub(crate) struct DeleteResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "RequestTokenARN")]
    request_token_arn: String,
}

impl DeleteResult {
    pub fn new(request_token_arn: String) -> Self {
        Self {
            xmlns: S3CONTROL_NS,
            request_token_arn,
        }
    }
}

/// `PutMultiRegionAccessPointPolicyResult`.
#[derive(Debug, Serialize)]
#[serde(rename = "PutMultiRegionAccessPointPolicyResult")]
pub(crate) struct PutPolicyResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "RequestTokenARN")]
    request_token_arn: String,
}

impl PutPolicyResult {
    pub fn new(request_token_arn: String) -> Self {
        Self {
            xmlns: S3CONTROL_NS,
            request_token_arn,
        }
    }
}

// ---------- policy ----------

/// `GetMultiRegionAccessPointPolicyResult`: `Policy/Established/Policy` and
/// `Policy/Proposed/Policy`, each only when there is one.
///
/// With no policy ever put the answer is an empty `<Policy/>` rather than an error: AWS documents
/// no error code for this case (moto's `NoSuchMultiRegionAccessPointPolicy` is not in the AWS
/// error list), and both members are optional in the model, so an empty document is the reading
/// that every client parses (guess, recorded in s3control-mrap-api.md §2.6).
#[derive(Debug, Serialize)]
#[serde(rename = "GetMultiRegionAccessPointPolicyResult")]
pub(crate) struct GetPolicyResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Policy")]
    policy: PolicyDocument,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyDocument {
    #[serde(skip_serializing_if = "Option::is_none")]
    established: Option<PolicyText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    proposed: Option<PolicyText>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyText {
    policy: String,
}

impl GetPolicyResult {
    pub fn new(policy: &MrapPolicy) -> Self {
        let text = |p: &Option<mrap_model::StoredPolicy>| {
            p.as_ref().map(|p| PolicyText {
                policy: p.text.clone(),
            })
        };
        Self {
            xmlns: S3CONTROL_NS,
            policy: PolicyDocument {
                established: text(&policy.established),
                proposed: text(&policy.proposed),
            },
        }
    }
}

/// `GetMultiRegionAccessPointPolicyStatusResult`: whether the *established* policy is public
/// (`false` while none is established).
#[derive(Debug, Serialize)]
#[serde(rename = "GetMultiRegionAccessPointPolicyStatusResult")]
pub(crate) struct PolicyStatusResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Established")]
    established: IsPublic,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct IsPublic {
    is_public: bool,
}

impl PolicyStatusResult {
    pub fn new(policy: &MrapPolicy) -> Self {
        Self {
            xmlns: S3CONTROL_NS,
            established: IsPublic {
                is_public: policy.established.as_ref().is_some_and(|p| p.is_public),
            },
        }
    }
}

// ---------- shared pieces ----------

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct PublicAccessBlock {
    block_public_acls: bool,
    ignore_public_acls: bool,
    block_public_policy: bool,
    restrict_public_buckets: bool,
}

impl From<&Pab> for PublicAccessBlock {
    fn from(p: &Pab) -> Self {
        Self {
            block_public_acls: p.block_public_acls,
            ignore_public_acls: p.ignore_public_acls,
            block_public_policy: p.block_public_policy,
            restrict_public_buckets: p.restrict_public_buckets,
        }
    }
}

/// A list wrapper whose members are `<Region>`.
#[derive(Debug, Serialize)]
struct Regions<T> {
    #[serde(rename = "Region")]
    region: Vec<T>,
}

// ---------- Get / List ----------

/// `MultiRegionAccessPointReport`, under `AccessPoint`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AccessPoint {
    name: String,
    alias: String,
    created_at: String,
    public_access_block: PublicAccessBlock,
    status: &'static str,
    regions: Regions<RegionReport>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RegionReport {
    bucket: String,
    region: String,
    bucket_account_id: String,
}

impl From<&MrapRecord> for AccessPoint {
    fn from(r: &MrapRecord) -> Self {
        Self {
            name: r.name.to_string(),
            alias: r.alias.to_string(),
            created_at: format_iso8601(r.created_at),
            public_access_block: (&r.public_access_block).into(),
            status: r.status.as_str(),
            regions: Regions {
                region: r
                    .regions
                    .iter()
                    .map(|g| RegionReport {
                        bucket: g.bucket.to_string(),
                        region: g.region.to_string(),
                        bucket_account_id: g.bucket_account_id.to_string(),
                    })
                    .collect(),
            },
        }
    }
}

/// `GetMultiRegionAccessPointResult`.
#[derive(Debug, Serialize)]
#[serde(rename = "GetMultiRegionAccessPointResult")]
pub(crate) struct GetResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "AccessPoint")]
    access_point: AccessPoint,
}

impl GetResult {
    pub fn new(record: &MrapRecord) -> Self {
        Self {
            xmlns: S3CONTROL_NS,
            access_point: record.into(),
        }
    }
}

/// `GetMultiRegionAccessPointRoutesResult`: the MRAP ARN and each Region's route.
#[derive(Debug, Serialize)]
#[serde(rename = "GetMultiRegionAccessPointRoutesResult")]
pub(crate) struct RoutesResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Mrap")]
    mrap: String,
    #[serde(rename = "Routes")]
    routes: Routes,
}

#[derive(Debug, Serialize)]
struct Routes {
    #[serde(rename = "Route")]
    route: Vec<RouteReport>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RouteReport {
    bucket: String,
    region: String,
    traffic_dial_percentage: u8,
}

impl RoutesResult {
    pub fn new(record: &MrapRecord) -> Self {
        Self {
            xmlns: S3CONTROL_NS,
            mrap: record.arn(),
            routes: Routes {
                route: record
                    .regions
                    .iter()
                    .map(|g| RouteReport {
                        bucket: g.bucket.to_string(),
                        region: g.region.to_string(),
                        traffic_dial_percentage: g.traffic_dial_percentage,
                    })
                    .collect(),
            },
        }
    }
}

/// `ListMultiRegionAccessPointsResult`: every MRAP at once (AWS caps an account at 100 and
/// documents `maxResults`/`nextToken` as unused), so no `NextToken`.
#[derive(Debug, Serialize)]
#[serde(rename = "ListMultiRegionAccessPointsResult")]
pub(crate) struct ListResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "AccessPoints")]
    access_points: AccessPoints,
}

#[derive(Debug, Serialize)]
struct AccessPoints {
    #[serde(rename = "AccessPoint")]
    access_point: Vec<AccessPoint>,
}

impl ListResult {
    pub fn new(records: &[MrapRecord]) -> Self {
        Self {
            xmlns: S3CONTROL_NS,
            access_points: AccessPoints {
                access_point: records.iter().map(AccessPoint::from).collect(),
            },
        }
    }
}

// ---------- Describe ----------

/// `DescribeMultiRegionAccessPointOperationResult`.
#[derive(Debug, Serialize)]
#[serde(rename = "DescribeMultiRegionAccessPointOperationResult")]
pub(crate) struct DescribeResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "AsyncOperation")]
    async_operation: AsyncOperationXml,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AsyncOperationXml {
    creation_time: String,
    operation: &'static str,
    #[serde(rename = "RequestTokenARN")]
    request_token_arn: String,
    request_parameters: RequestParameters,
    request_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_details: Option<ResponseDetails>,
}

/// Exactly one child, matching `Operation`; the children reuse the `…Input` shapes under
/// `…Request` names.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RequestParameters {
    #[serde(skip_serializing_if = "Option::is_none")]
    create_multi_region_access_point_request: Option<CreateParams>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delete_multi_region_access_point_request: Option<NameOnly>,
    #[serde(skip_serializing_if = "Option::is_none")]
    put_multi_region_access_point_policy_request: Option<PutPolicyParams>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateParams {
    name: String,
    public_access_block: PublicAccessBlock,
    regions: Regions<RequestedRegionXml>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RequestedRegionXml {
    bucket: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    bucket_account_id: Option<String>,
}

impl From<&RequestedRegion> for RequestedRegionXml {
    fn from(r: &RequestedRegion) -> Self {
        Self {
            bucket: r.bucket.to_string(),
            bucket_account_id: r.bucket_account_id.as_ref().map(ToString::to_string),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct NameOnly {
    name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct PutPolicyParams {
    name: String,
    policy: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ResponseDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    multi_region_access_point_details: Option<MrapDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_details: Option<ErrorDetailsXml>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct MrapDetails {
    regions: Regions<RegionStatus>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RegionStatus {
    name: String,
    request_status: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorDetailsXml {
    code: String,
    message: String,
    resource: String,
    request_id: String,
}

impl DescribeResult {
    pub fn new(op: &AsyncOperation) -> Self {
        let mut params = RequestParameters {
            create_multi_region_access_point_request: None,
            delete_multi_region_access_point_request: None,
            put_multi_region_access_point_policy_request: None,
        };
        match &op.params {
            RequestParams::Create {
                name,
                public_access_block,
                regions,
            } => {
                params.create_multi_region_access_point_request = Some(CreateParams {
                    name: name.to_string(),
                    public_access_block: public_access_block.into(),
                    regions: Regions {
                        region: regions.iter().map(RequestedRegionXml::from).collect(),
                    },
                });
            }
            RequestParams::Delete { name } => {
                params.delete_multi_region_access_point_request = Some(NameOnly {
                    name: name.to_string(),
                });
            }
            RequestParams::PutPolicy { name, policy } => {
                params.put_multi_region_access_point_policy_request = Some(PutPolicyParams {
                    name: name.to_string(),
                    policy: policy.clone(),
                });
            }
        }
        let details = (!op.regions.is_empty()).then(|| MrapDetails {
            regions: Regions {
                region: op
                    .regions
                    .iter()
                    .map(|r| RegionStatus {
                        name: r.name.to_string(),
                        request_status: r.status.as_str(),
                    })
                    .collect(),
            },
        });
        let error = op.error.as_ref().map(|e| ErrorDetailsXml {
            code: e.code.clone(),
            message: e.message.clone(),
            resource: e.resource.clone(),
            request_id: e.request_id.clone(),
        });
        let response_details = (details.is_some() || error.is_some()).then_some(ResponseDetails {
            multi_region_access_point_details: details,
            error_details: error,
        });
        Self {
            xmlns: S3CONTROL_NS,
            async_operation: AsyncOperationXml {
                creation_time: format_iso8601(op.created_at),
                operation: op.kind().aws_name(),
                request_token_arn: op.token.arn(),
                request_parameters: params,
                request_status: op.status.as_str(),
                response_details,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mrap_model::{
        AccountId, BucketName, ErrorDetails, MrapName, MrapRegion, MrapStatus, OpPhase, OpStatus,
        RegionName, RegionProgress, RequestToken,
    };

    use super::*;
    use crate::common::xml::to_xml_with_header;

    const DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
    const NS: &str = r#"xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/""#;
    const ACCOUNT: &str = "123456789012";
    const ARN: &str = "arn:aws:s3:us-west-2:123456789012:async-request/mrap/create/0123456789abcdef0123456789abcdef";

    fn account() -> AccountId {
        AccountId::parse(ACCOUNT).unwrap()
    }

    /// Built through serde so that fields the store adds later (all `#[serde(default)]`) do not
    /// break these tests.
    fn record(status: MrapStatus, regions: Vec<MrapRegion>) -> MrapRecord {
        serde_json::from_value(serde_json::json!({
            "account": ACCOUNT,
            "name": "my-mrap",
            "alias": "mfzwi23gnjvgw.mrap",
            "created_at": 1_630_606_893_123_i64,
            "public_access_block": Pab { block_public_policy: false, ..Pab::ALL_ON },
            "status": status,
            "regions": regions,
            "created_by": "op",
        }))
        .unwrap()
    }

    fn region(bucket: &str, region: &str, account: &str) -> MrapRegion {
        MrapRegion::new(
            BucketName::parse(bucket).unwrap(),
            RegionName::parse(region).unwrap(),
            AccountId::parse(account).unwrap(),
        )
    }

    fn op(params: RequestParams, verb: &str, status: OpStatus) -> AsyncOperation {
        AsyncOperation {
            token: RequestToken {
                account: account(),
                verb: verb.into(),
                id: "0123456789abcdef0123456789abcdef".into(),
            },
            account: account(),
            created_at: 1_630_606_893_000,
            updated_at: 1_630_606_894_000,
            request_id: "4442587FB7D0A2F9".into(),
            params,
            status,
            phase: OpPhase::Accepted,
            regions: vec![],
            error: None,
        }
    }

    fn create_params() -> RequestParams {
        RequestParams::Create {
            name: MrapName::parse("my-mrap").unwrap(),
            public_access_block: Pab::ALL_ON,
            regions: vec![
                RequestedRegion {
                    bucket: BucketName::parse("bucket-a").unwrap(),
                    bucket_account_id: None,
                },
                RequestedRegion {
                    bucket: BucketName::parse("bucket-b").unwrap(),
                    bucket_account_id: Some(AccountId::parse("111122223333").unwrap()),
                },
            ],
        }
    }

    const CREATE_PARAMS_XML: &str = "<RequestParameters><CreateMultiRegionAccessPointRequest><Name>my-mrap</Name><PublicAccessBlock><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlock><Regions><Region><Bucket>bucket-a</Bucket></Region><Region><Bucket>bucket-b</Bucket><BucketAccountId>111122223333</BucketAccountId></Region></Regions></CreateMultiRegionAccessPointRequest></RequestParameters>";

    #[test]
    fn create_result() {
        assert_eq!(
            to_xml_with_header(&CreateResult::new(ARN.into())).unwrap(),
            format!(
                "{DECL}<CreateMultiRegionAccessPointResult {NS}><RequestTokenARN>{ARN}</RequestTokenARN></CreateMultiRegionAccessPointResult>"
            )
        );
    }

    #[test]
    fn delete_result() {
        assert_eq!(
            to_xml_with_header(&DeleteResult::new(ARN.into())).unwrap(),
            format!(
                "{DECL}<DeleteMultiRegionAccessPointResult {NS}><RequestTokenARN>{ARN}</RequestTokenARN></DeleteMultiRegionAccessPointResult>"
            )
        );
    }

    #[test]
    fn put_policy_result() {
        let arn = ARN.replace("/create/", "/put-policy/");
        assert_eq!(
            to_xml_with_header(&PutPolicyResult::new(arn.clone())).unwrap(),
            format!(
                "{DECL}<PutMultiRegionAccessPointPolicyResult {NS}><RequestTokenARN>{arn}</RequestTokenARN></PutMultiRegionAccessPointPolicyResult>"
            )
        );
    }

    fn stored(text: &str, is_public: bool) -> mrap_model::StoredPolicy {
        mrap_model::StoredPolicy {
            text: text.into(),
            is_public,
            findings: vec![],
        }
    }

    #[test]
    fn get_policy_result_shows_what_there_is() {
        let none = MrapPolicy::default();
        assert_eq!(
            to_xml_with_header(&GetPolicyResult::new(&none)).unwrap(),
            format!(
                "{DECL}<GetMultiRegionAccessPointPolicyResult {NS}><Policy/></GetMultiRegionAccessPointPolicyResult>"
            )
        );
        let proposed_only = MrapPolicy {
            established: None,
            proposed: Some(stored(r#"{"a":"<&>"}"#, false)),
        };
        assert_eq!(
            to_xml_with_header(&GetPolicyResult::new(&proposed_only)).unwrap(),
            format!(
                r#"{DECL}<GetMultiRegionAccessPointPolicyResult {NS}><Policy><Proposed><Policy>{{"a":"&lt;&amp;&gt;"}}</Policy></Proposed></Policy></GetMultiRegionAccessPointPolicyResult>"#
            )
        );
        let both = MrapPolicy {
            established: Some(stored("{}", true)),
            proposed: Some(stored(r#"{"b":1}"#, false)),
        };
        assert_eq!(
            to_xml_with_header(&GetPolicyResult::new(&both)).unwrap(),
            format!(
                r#"{DECL}<GetMultiRegionAccessPointPolicyResult {NS}><Policy><Established><Policy>{{}}</Policy></Established><Proposed><Policy>{{"b":1}}</Policy></Proposed></Policy></GetMultiRegionAccessPointPolicyResult>"#
            )
        );
    }

    #[test]
    fn policy_status_reports_the_established_policy() {
        let status = |p: &MrapPolicy| to_xml_with_header(&PolicyStatusResult::new(p)).unwrap();
        let doc = |public: &str| {
            format!(
                "{DECL}<GetMultiRegionAccessPointPolicyStatusResult {NS}><Established><IsPublic>{public}</IsPublic></Established></GetMultiRegionAccessPointPolicyStatusResult>"
            )
        };
        assert_eq!(status(&MrapPolicy::default()), doc("false"));
        // a public proposal that is not established yet does not count
        let proposed = MrapPolicy {
            established: None,
            proposed: Some(stored("{}", true)),
        };
        assert_eq!(status(&proposed), doc("false"));
        let established = MrapPolicy {
            established: Some(stored("{}", true)),
            proposed: Some(stored("{}", true)),
        };
        assert_eq!(status(&established), doc("true"));
    }

    #[test]
    fn get_result() {
        let r = record(
            MrapStatus::Ready,
            vec![
                region("bucket-a", "us-east-1", ACCOUNT),
                region("bucket-b", "eu-west-1", "111122223333"),
            ],
        );
        assert_eq!(
            to_xml_with_header(&GetResult::new(&r)).unwrap(),
            format!(
                "{DECL}<GetMultiRegionAccessPointResult {NS}><AccessPoint><Name>my-mrap</Name><Alias>mfzwi23gnjvgw.mrap</Alias><CreatedAt>2021-09-02T18:21:33.123Z</CreatedAt><PublicAccessBlock><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlock><Status>READY</Status><Regions><Region><Bucket>bucket-a</Bucket><Region>us-east-1</Region><BucketAccountId>123456789012</BucketAccountId></Region><Region><Bucket>bucket-b</Bucket><Region>eu-west-1</Region><BucketAccountId>111122223333</BucketAccountId></Region></Regions></AccessPoint></GetMultiRegionAccessPointResult>"
            )
        );
    }

    #[test]
    fn routes_result() {
        let mut r = record(
            MrapStatus::Ready,
            vec![
                region("bucket-a", "us-east-1", ACCOUNT),
                region("bucket-b", "eu-west-1", "111122223333"),
            ],
        );
        r.regions[1].traffic_dial_percentage = 0;
        assert_eq!(
            to_xml_with_header(&RoutesResult::new(&r)).unwrap(),
            format!(
                "{DECL}<GetMultiRegionAccessPointRoutesResult {NS}><Mrap>arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap</Mrap><Routes><Route><Bucket>bucket-a</Bucket><Region>us-east-1</Region><TrafficDialPercentage>100</TrafficDialPercentage></Route><Route><Bucket>bucket-b</Bucket><Region>eu-west-1</Region><TrafficDialPercentage>0</TrafficDialPercentage></Route></Routes></GetMultiRegionAccessPointRoutesResult>"
            )
        );
    }

    #[test]
    fn list_result_with_and_without_access_points() {
        assert_eq!(
            to_xml_with_header(&ListResult::new(&[])).unwrap(),
            format!(
                "{DECL}<ListMultiRegionAccessPointsResult {NS}><AccessPoints/></ListMultiRegionAccessPointsResult>"
            )
        );
        let a = record(
            MrapStatus::Creating,
            vec![region("bucket-a", "us-east-1", ACCOUNT)],
        );
        let b = record(MrapStatus::Deleting, vec![]);
        assert_eq!(
            to_xml_with_header(&ListResult::new(&[a, b])).unwrap(),
            format!(
                "{DECL}<ListMultiRegionAccessPointsResult {NS}><AccessPoints><AccessPoint><Name>my-mrap</Name><Alias>mfzwi23gnjvgw.mrap</Alias><CreatedAt>2021-09-02T18:21:33.123Z</CreatedAt><PublicAccessBlock><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlock><Status>CREATING</Status><Regions><Region><Bucket>bucket-a</Bucket><Region>us-east-1</Region><BucketAccountId>123456789012</BucketAccountId></Region></Regions></AccessPoint><AccessPoint><Name>my-mrap</Name><Alias>mfzwi23gnjvgw.mrap</Alias><CreatedAt>2021-09-02T18:21:33.123Z</CreatedAt><PublicAccessBlock><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlock><Status>DELETING</Status><Regions/></AccessPoint></AccessPoints></ListMultiRegionAccessPointsResult>"
            )
        );
    }

    #[test]
    fn describe_a_new_create() {
        let o = op(create_params(), "create", OpStatus::New);
        assert_eq!(
            to_xml_with_header(&DescribeResult::new(&o)).unwrap(),
            format!(
                "{DECL}<DescribeMultiRegionAccessPointOperationResult {NS}><AsyncOperation><CreationTime>2021-09-02T18:21:33.000Z</CreationTime><Operation>CreateMultiRegionAccessPoint</Operation><RequestTokenARN>{ARN}</RequestTokenARN>{CREATE_PARAMS_XML}<RequestStatus>NEW</RequestStatus></AsyncOperation></DescribeMultiRegionAccessPointOperationResult>"
            )
        );
    }

    #[test]
    fn describe_a_create_in_progress_and_succeeded() {
        let mut o = op(create_params(), "create", OpStatus::InProgress);
        o.regions = vec![
            RegionProgress {
                name: RegionName::parse("us-east-1").unwrap(),
                status: OpStatus::Succeeded,
            },
            RegionProgress {
                name: RegionName::parse("eu-west-1").unwrap(),
                status: OpStatus::InProgress,
            },
        ];
        let regions = |second: &str| {
            format!(
                "<ResponseDetails><MultiRegionAccessPointDetails><Regions><Region><Name>us-east-1</Name><RequestStatus>SUCCEEDED</RequestStatus></Region><Region><Name>eu-west-1</Name><RequestStatus>{second}</RequestStatus></Region></Regions></MultiRegionAccessPointDetails></ResponseDetails>"
            )
        };
        assert_eq!(
            to_xml_with_header(&DescribeResult::new(&o)).unwrap(),
            format!(
                "{DECL}<DescribeMultiRegionAccessPointOperationResult {NS}><AsyncOperation><CreationTime>2021-09-02T18:21:33.000Z</CreationTime><Operation>CreateMultiRegionAccessPoint</Operation><RequestTokenARN>{ARN}</RequestTokenARN>{CREATE_PARAMS_XML}<RequestStatus>IN_PROGRESS</RequestStatus>{}</AsyncOperation></DescribeMultiRegionAccessPointOperationResult>",
                regions("IN_PROGRESS")
            )
        );
        o.status = OpStatus::Succeeded;
        o.regions[1].status = OpStatus::Succeeded;
        assert_eq!(
            to_xml_with_header(&DescribeResult::new(&o)).unwrap(),
            format!(
                "{DECL}<DescribeMultiRegionAccessPointOperationResult {NS}><AsyncOperation><CreationTime>2021-09-02T18:21:33.000Z</CreationTime><Operation>CreateMultiRegionAccessPoint</Operation><RequestTokenARN>{ARN}</RequestTokenARN>{CREATE_PARAMS_XML}<RequestStatus>SUCCEEDED</RequestStatus>{}</AsyncOperation></DescribeMultiRegionAccessPointOperationResult>",
                regions("SUCCEEDED")
            )
        );
    }

    #[test]
    fn describe_a_failed_delete() {
        let mut o = op(
            RequestParams::Delete {
                name: MrapName::parse("gone").unwrap(),
            },
            "delete",
            OpStatus::Failed,
        );
        o.error = Some(ErrorDetails {
            code: "NoSuchMultiRegionAccessPoint".into(),
            message: "The specified Multi-Region Access Point does not exist".into(),
            resource: "gone".into(),
            request_id: "4442587FB7D0A2F9".into(),
        });
        let arn = ARN.replace("/create/", "/delete/");
        assert_eq!(
            to_xml_with_header(&DescribeResult::new(&o)).unwrap(),
            format!(
                "{DECL}<DescribeMultiRegionAccessPointOperationResult {NS}><AsyncOperation><CreationTime>2021-09-02T18:21:33.000Z</CreationTime><Operation>DeleteMultiRegionAccessPoint</Operation><RequestTokenARN>{arn}</RequestTokenARN><RequestParameters><DeleteMultiRegionAccessPointRequest><Name>gone</Name></DeleteMultiRegionAccessPointRequest></RequestParameters><RequestStatus>FAILED</RequestStatus><ResponseDetails><ErrorDetails><Code>NoSuchMultiRegionAccessPoint</Code><Message>The specified Multi-Region Access Point does not exist</Message><Resource>gone</Resource><RequestId>4442587FB7D0A2F9</RequestId></ErrorDetails></ResponseDetails></AsyncOperation></DescribeMultiRegionAccessPointOperationResult>"
            )
        );
    }

    #[test]
    fn describe_a_failed_create_with_region_progress() {
        let mut o = op(create_params(), "create", OpStatus::Failed);
        o.regions = vec![RegionProgress {
            name: RegionName::parse("us-east-1").unwrap(),
            status: OpStatus::Failed,
        }];
        o.error = Some(ErrorDetails {
            code: "NoSuchBucket".into(),
            message: "The specified bucket does not exist".into(),
            resource: "bucket-b".into(),
            request_id: "4442587FB7D0A2F9".into(),
        });
        assert_eq!(
            to_xml_with_header(&DescribeResult::new(&o)).unwrap(),
            format!(
                "{DECL}<DescribeMultiRegionAccessPointOperationResult {NS}><AsyncOperation><CreationTime>2021-09-02T18:21:33.000Z</CreationTime><Operation>CreateMultiRegionAccessPoint</Operation><RequestTokenARN>{ARN}</RequestTokenARN>{CREATE_PARAMS_XML}<RequestStatus>FAILED</RequestStatus><ResponseDetails><MultiRegionAccessPointDetails><Regions><Region><Name>us-east-1</Name><RequestStatus>FAILED</RequestStatus></Region></Regions></MultiRegionAccessPointDetails><ErrorDetails><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><Resource>bucket-b</Resource><RequestId>4442587FB7D0A2F9</RequestId></ErrorDetails></ResponseDetails></AsyncOperation></DescribeMultiRegionAccessPointOperationResult>"
            )
        );
    }

    #[test]
    fn describe_a_put_policy_escapes_markup_in_the_policy_text() {
        let o = op(
            RequestParams::PutPolicy {
                name: MrapName::parse("my-mrap").unwrap(),
                policy: r#"{"Version":"2012-10-17","Statement":[{"Condition":{"a":"<&>"}}]}"#
                    .into(),
            },
            "put-policy",
            OpStatus::Succeeded,
        );
        let arn = ARN.replace("/create/", "/put-policy/");
        let xml = to_xml_with_header(&DescribeResult::new(&o)).unwrap();
        assert_eq!(
            xml,
            format!(
                r#"{DECL}<DescribeMultiRegionAccessPointOperationResult {NS}><AsyncOperation><CreationTime>2021-09-02T18:21:33.000Z</CreationTime><Operation>PutMultiRegionAccessPointPolicy</Operation><RequestTokenARN>{arn}</RequestTokenARN><RequestParameters><PutMultiRegionAccessPointPolicyRequest><Name>my-mrap</Name><Policy>{{"Version":"2012-10-17","Statement":[{{"Condition":{{"a":"&lt;&amp;&gt;"}}}}]}}</Policy></PutMultiRegionAccessPointPolicyRequest></RequestParameters><RequestStatus>SUCCEEDED</RequestStatus></AsyncOperation></DescribeMultiRegionAccessPointOperationResult>"#
            )
        );
    }
}
