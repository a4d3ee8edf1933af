//! `CreateMultiRegionAccessPoint`: synchronous syntax checks, then an asynchronous operation.
//!
//! Only what can be judged from the request itself fails here; bucket existence, ownership,
//! Regions and name uniqueness are the provisioner's (asynchronous) business.

use axum::response::Response;
use mrap_model::{
    AccountId, ApiError, BucketName, ErrorCode, MrapName, PublicAccessBlock, RequestParams,
    RequestedRegion,
};

use crate::{
    common::{
        error::{invalid_request, malformed_xml},
        xml::{from_xml, xml_response},
    },
    s3control::{
        ControlRequest,
        mrap_submit::{check_client_token, submit},
        xml::{
            requests::{self, CREATE_ROOT, CreateRequest},
            responses::CreateResult,
        },
    },
};

/// The documented per-MRAP Region limit.
pub(crate) const MAX_REGIONS: usize = 20;

/// A create request that passed the synchronous checks.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ValidCreate {
    pub client_token: String,
    pub params: RequestParams,
}

pub(crate) async fn handle(req: ControlRequest<'_>) -> Result<Response, ApiError> {
    let ValidCreate {
        client_token,
        params,
    } = parse(&req.body)?;
    let arn = submit(req.state, req.ids, req.account, client_token, params).await?;
    xml_response(&CreateResult::new(arn))
}

/// Parses and validates the body, in the documented order: shape (`MalformedXML`), ClientToken,
/// Name, Region count, then each Region.
pub(crate) fn parse(body: &[u8]) -> Result<ValidCreate, ApiError> {
    let request: CreateRequest = from_xml(body, CREATE_ROOT).map_err(|_| malformed_xml())?;
    let client_token = request.client_token.ok_or_else(malformed_xml)?;
    let details = request.details.ok_or_else(malformed_xml)?;
    let name = details.name.ok_or_else(malformed_xml)?;
    let regions = details.regions.ok_or_else(malformed_xml)?.region;
    let public_access_block = public_access_block(details.public_access_block)?;
    let buckets = regions
        .into_iter()
        .map(|r| Ok((r.bucket.ok_or_else(malformed_xml)?, r.bucket_account_id)))
        .collect::<Result<Vec<_>, ApiError>>()?;

    check_client_token(&client_token)?;
    let name = MrapName::parse(&name).map_err(invalid_request)?;
    if buckets.is_empty() {
        return Err(invalid_request(
            "A Multi-Region Access Point needs at least one Region.",
        ));
    }
    if buckets.len() > MAX_REGIONS {
        return Err(ApiError::new(
            ErrorCode::TooManyMultiRegionAccessPointregionsError,
            format!("A Multi-Region Access Point can have at most {MAX_REGIONS} Regions."),
        ));
    }
    let mut regions = Vec::with_capacity(buckets.len());
    for (bucket, bucket_account_id) in buckets {
        regions.push(requested_region(&bucket, bucket_account_id.as_deref())?);
    }
    Ok(ValidCreate {
        client_token,
        params: RequestParams::Create {
            name,
            public_access_block,
            regions,
        },
    })
}

fn requested_region(bucket: &str, account: Option<&str>) -> Result<RequestedRegion, ApiError> {
    if !(3..=255).contains(&bucket.chars().count()) {
        return Err(invalid_request(format!(
            "Bucket name '{bucket}' must be between 3 and 255 characters long."
        )));
    }
    let bucket_account_id = account
        .map(|a| {
            AccountId::parse(a).map_err(|_| {
                invalid_request(format!(
                    "BucketAccountId '{a}' must be a 12-digit account id."
                ))
            })
        })
        .transpose()?;
    // AWS accepts any 3–255 character bucket name here and reports a bucket that cannot exist
    // asynchronously (`NoSuchBucket`). `RequestedRegion` holds a validated `BucketName`, so a
    // name that breaks the S3 naming rules cannot be carried to the provisioner: it is refused
    // synchronously with `InvalidRequest` instead. (Needs an unvalidated field in mrap-model to
    // match AWS exactly.)
    let bucket = BucketName::parse(bucket).map_err(invalid_request)?;
    Ok(RequestedRegion {
        bucket,
        bucket_account_id,
    })
}

/// Missing element → all four flags on; a missing flag inside it → that flag on (the safe reading
/// of a case AWS leaves undocumented); anything but `true`/`false` → `MalformedXML`.
fn public_access_block(
    sent: Option<requests::PublicAccessBlock>,
) -> Result<PublicAccessBlock, ApiError> {
    match sent {
        None => Ok(PublicAccessBlock::ALL_ON),
        Some(sent) => crate::common::public_access_block::flags(sent, true),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const TOKEN: &str = "0b7e6d1c-9a55-4a84-8d7c-2d5f3e6a1f00";

    fn body(client_token: Option<&str>, details: &str) -> String {
        let token = client_token
            .map(|t| format!("<ClientToken>{t}</ClientToken>"))
            .unwrap_or_default();
        format!(
            r#"<CreateMultiRegionAccessPointRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/">{token}{details}</CreateMultiRegionAccessPointRequest>"#
        )
    }

    fn regions(buckets: &[&str]) -> String {
        let inner: String = buckets
            .iter()
            .map(|b| format!("<Region><Bucket>{b}</Bucket></Region>"))
            .collect();
        format!("<Regions>{inner}</Regions>")
    }

    fn details(name: &str, rest: &str) -> String {
        format!("<Details><Name>{name}</Name>{rest}</Details>")
    }

    fn code(xml: &str) -> Option<ErrorCode> {
        parse(xml.as_bytes()).err().map(|e| e.code)
    }

    #[test]
    fn a_valid_request_becomes_create_params() {
        let xml = body(
            Some(TOKEN),
            &details(
                "my-mrap",
                "<Regions><Region><Bucket>bucket-a</Bucket></Region><Region><Bucket>bucket-b</Bucket><BucketAccountId>111122223333</BucketAccountId></Region></Regions>",
            ),
        );
        let v = parse(xml.as_bytes()).unwrap();
        assert_eq!(v.client_token, TOKEN);
        assert_eq!(
            v.params,
            RequestParams::Create {
                name: MrapName::parse("my-mrap").unwrap(),
                public_access_block: PublicAccessBlock::ALL_ON,
                regions: vec![
                    RequestedRegion {
                        bucket: BucketName::parse("bucket-a").unwrap(),
                        bucket_account_id: None
                    },
                    RequestedRegion {
                        bucket: BucketName::parse("bucket-b").unwrap(),
                        bucket_account_id: Some(AccountId::parse("111122223333").unwrap())
                    },
                ],
            }
        );
    }

    #[test]
    fn public_access_block_defaults_to_on_flag_by_flag() {
        let with_pab = |pab: &str| {
            let xml = body(
                Some(TOKEN),
                &details("my-mrap", &format!("{pab}{}", regions(&["bucket-a"]))),
            );
            match parse(xml.as_bytes()).unwrap().params {
                RequestParams::Create {
                    public_access_block,
                    ..
                } => public_access_block,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(with_pab(""), PublicAccessBlock::ALL_ON);
        assert_eq!(with_pab("<PublicAccessBlock/>"), PublicAccessBlock::ALL_ON);
        assert_eq!(
            with_pab(
                "<PublicAccessBlock><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls></PublicAccessBlock>"
            ),
            PublicAccessBlock {
                ignore_public_acls: false,
                ..PublicAccessBlock::ALL_ON
            }
        );
        assert_eq!(
            with_pab(
                "<PublicAccessBlock><RestrictPublicBuckets>false</RestrictPublicBuckets><BlockPublicPolicy>false</BlockPublicPolicy><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicAcls>false</BlockPublicAcls></PublicAccessBlock>"
            ),
            PublicAccessBlock {
                block_public_acls: false,
                ignore_public_acls: false,
                block_public_policy: false,
                restrict_public_buckets: false,
            }
        );
    }

    /// Every synchronous error, in the order the checks run.
    #[test]
    fn validation_table() {
        use ErrorCode::*;
        let ok_regions = regions(&["bucket-a"]);
        let twenty_one: Vec<String> = (0..21).map(|i| format!("bucket-{i:02}")).collect();
        let twenty_one: Vec<&str> = twenty_one.iter().map(String::as_str).collect();
        let twenty: Vec<&str> = twenty_one[..20].to_vec();
        let long = "a".repeat(256);
        let cases: Vec<(&str, String, Option<ErrorCode>)> = vec![
            (
                "valid",
                body(Some(TOKEN), &details("my-mrap", &ok_regions)),
                None,
            ),
            (
                "20 Regions is the limit",
                body(Some(TOKEN), &details("my-mrap", &regions(&twenty))),
                None,
            ),
            // shape
            ("empty body", String::new(), Some(MalformedXML)),
            (
                "not XML",
                "CreateMultiRegionAccessPointRequest".into(),
                Some(MalformedXML),
            ),
            (
                "truncated",
                body(Some(TOKEN), &details("my-mrap", &ok_regions))[..60].into(),
                Some(MalformedXML),
            ),
            (
                "wrong root",
                "<DeleteMultiRegionAccessPointRequest/>".into(),
                Some(MalformedXML),
            ),
            (
                "no ClientToken",
                body(None, &details("my-mrap", &ok_regions)),
                Some(MalformedXML),
            ),
            ("no Details", body(Some(TOKEN), ""), Some(MalformedXML)),
            (
                "no Name",
                body(Some(TOKEN), &format!("<Details>{ok_regions}</Details>")),
                Some(MalformedXML),
            ),
            (
                "no Regions",
                body(Some(TOKEN), "<Details><Name>my-mrap</Name></Details>"),
                Some(MalformedXML),
            ),
            (
                "Region without Bucket",
                body(
                    Some(TOKEN),
                    &details(
                        "my-mrap",
                        "<Regions><Region><BucketAccountId>111122223333</BucketAccountId></Region></Regions>",
                    ),
                ),
                Some(MalformedXML),
            ),
            (
                "non-boolean flag",
                body(
                    Some(TOKEN),
                    &details(
                        "my-mrap",
                        &format!(
                            "<PublicAccessBlock><BlockPublicAcls>yes</BlockPublicAcls></PublicAccessBlock>{ok_regions}"
                        ),
                    ),
                ),
                Some(MalformedXML),
            ),
            (
                "empty flag",
                body(
                    Some(TOKEN),
                    &details(
                        "my-mrap",
                        &format!(
                            "<PublicAccessBlock><BlockPublicAcls/></PublicAccessBlock>{ok_regions}"
                        ),
                    ),
                ),
                Some(MalformedXML),
            ),
            // ClientToken
            (
                "empty ClientToken",
                body(Some(""), &details("my-mrap", &ok_regions)),
                Some(InvalidRequest),
            ),
            (
                "long ClientToken",
                body(Some(&"t".repeat(65)), &details("my-mrap", &ok_regions)),
                Some(InvalidRequest),
            ),
            (
                "ClientToken with a space",
                body(Some("a b"), &details("my-mrap", &ok_regions)),
                Some(InvalidRequest),
            ),
            // Name
            (
                "upper-case name",
                body(Some(TOKEN), &details("UPPER_bad", &ok_regions)),
                Some(InvalidRequest),
            ),
            (
                "short name",
                body(Some(TOKEN), &details("ab", &ok_regions)),
                Some(InvalidRequest),
            ),
            (
                "empty name",
                body(Some(TOKEN), &details("", &ok_regions)),
                Some(InvalidRequest),
            ),
            (
                "name ending in a hyphen",
                body(Some(TOKEN), &details("abc-", &ok_regions)),
                Some(InvalidRequest),
            ),
            // Regions
            (
                "no Region",
                body(Some(TOKEN), &details("my-mrap", "<Regions/>")),
                Some(InvalidRequest),
            ),
            (
                "21 Regions",
                body(Some(TOKEN), &details("my-mrap", &regions(&twenty_one))),
                Some(TooManyMultiRegionAccessPointregionsError),
            ),
            (
                "2-char bucket",
                body(Some(TOKEN), &details("my-mrap", &regions(&["ab"]))),
                Some(InvalidRequest),
            ),
            (
                "256-char bucket",
                body(Some(TOKEN), &details("my-mrap", &regions(&[&long]))),
                Some(InvalidRequest),
            ),
            (
                "short BucketAccountId",
                body(
                    Some(TOKEN),
                    &details(
                        "my-mrap",
                        "<Regions><Region><Bucket>bucket-a</Bucket><BucketAccountId>1234</BucketAccountId></Region></Regions>",
                    ),
                ),
                Some(InvalidRequest),
            ),
            (
                "bucket breaking S3 naming rules",
                body(Some(TOKEN), &details("my-mrap", &regions(&["Bad_Bucket"]))),
                Some(InvalidRequest),
            ),
            // order: shape before token before name before regions
            (
                "bad token and bad name",
                body(Some(""), &details("UPPER", "<Regions/>")),
                Some(InvalidRequest),
            ),
            (
                "bad name and no Region",
                body(Some(TOKEN), &details("UPPER", "<Regions/>")),
                Some(InvalidRequest),
            ),
            (
                "21 Regions with a short bucket",
                body(
                    Some(TOKEN),
                    &details("my-mrap", &regions(&[&["ab"], &twenty_one[..]].concat())),
                ),
                Some(TooManyMultiRegionAccessPointregionsError),
            ),
            (
                "bad flag and bad token",
                body(
                    Some(""),
                    &details(
                        "my-mrap",
                        &format!(
                            "<PublicAccessBlock><BlockPublicAcls>1</BlockPublicAcls></PublicAccessBlock>{ok_regions}"
                        ),
                    ),
                ),
                Some(MalformedXML),
            ),
        ];
        for (what, xml, want) in cases {
            assert_eq!(code(&xml), want, "{what}: {xml}");
        }
    }

    #[test]
    fn messages_explain_the_problem() {
        let e = parse(body(Some(TOKEN), &details("UPPER_bad", &regions(&["bucket-a"]))).as_bytes())
            .unwrap_err();
        assert!(e.message.contains("UPPER_bad"), "{}", e.message);
    }
}
