//! S3 Control request bodies, as sent by botocore and aws-sdk-rust.
//!
//! Every member is optional here so that a missing one can be reported as `MalformedXML` by the
//! handler (serde's own "missing field" would do too, but this keeps the decision in one place);
//! booleans arrive as text so that a non-boolean is our error, not a serde message.

use serde::Deserialize;

/// `CreateMultiRegionAccessPointRequest` (root, namespaced).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateRequest {
    pub client_token: Option<String>,
    pub details: Option<CreateDetails>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateDetails {
    pub name: Option<String>,
    pub public_access_block: Option<PublicAccessBlock>,
    pub regions: Option<Regions>,
}

/// Each flag as sent (`"true"` / `"false"`), absent when not sent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PublicAccessBlock {
    pub block_public_acls: Option<String>,
    pub ignore_public_acls: Option<String>,
    pub block_public_policy: Option<String>,
    pub restrict_public_buckets: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Regions {
    /// `default`: `<Regions/>` and `<Regions></Regions>` mean no Regions.
    #[serde(rename = "Region", default)]
    pub region: Vec<Region>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Region {
    pub bucket: Option<String>,
    pub bucket_account_id: Option<String>,
}

/// `DeleteMultiRegionAccessPointRequest` (root, namespaced).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeleteRequest {
    pub client_token: Option<String>,
    pub details: Option<DeleteDetails>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeleteDetails {
    pub name: Option<String>,
}

/// `PutMultiRegionAccessPointPolicyRequest` (root, namespaced).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutPolicyRequest {
    pub client_token: Option<String>,
    pub details: Option<PutPolicyDetails>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutPolicyDetails {
    pub name: Option<String>,
    /// The policy JSON as XML text (entities decoded). `<Policy/>` and `<Policy></Policy>` are an
    /// empty policy, not a missing one: validation later reports it as `MalformedPolicy`.
    pub policy: Option<String>,
}

/// `SubmitMultiRegionAccessPointRoutesRequest` (root, namespaced).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SubmitRoutesRequest {
    pub route_updates: Option<RouteUpdates>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RouteUpdates {
    #[serde(rename = "Route", default)]
    pub route: Vec<Route>,
}

/// One route as sent; the dial arrives as text so that a non-integer is our `MalformedXML`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Route {
    pub bucket: Option<String>,
    pub region: Option<String>,
    pub traffic_dial_percentage: Option<String>,
}

pub(crate) const SUBMIT_ROUTES_ROOT: &str = "SubmitMultiRegionAccessPointRoutesRequest";
pub(crate) const CREATE_ROOT: &str = "CreateMultiRegionAccessPointRequest";
pub(crate) const DELETE_ROOT: &str = "DeleteMultiRegionAccessPointRequest";
pub(crate) const PUT_POLICY_ROOT: &str = "PutMultiRegionAccessPointPolicyRequest";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::common::xml::from_xml;

    /// aws-sdk-rust 1.138: ClientToken first, namespace on the root only.
    const RUST_SDK_CREATE: &str = r#"<CreateMultiRegionAccessPointRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><ClientToken>0b7e6d1c-9a55-4a84-8d7c-2d5f3e6a1f00</ClientToken><Details><Name>my-mrap</Name><PublicAccessBlock><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlock><Regions><Region><Bucket>bucket-a</Bucket></Region><Region><Bucket>bucket-b</Bucket><BucketAccountId>111122223333</BucketAccountId></Region></Regions></Details></CreateMultiRegionAccessPointRequest>"#;

    /// botocore 1.43: Details first, auto-filled ClientToken last, pretty-printed here.
    const BOTOCORE_CREATE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CreateMultiRegionAccessPointRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/">
  <Details>
    <Name>my-mrap</Name>
    <PublicAccessBlock>
      <BlockPublicAcls>true</BlockPublicAcls>
      <IgnorePublicAcls>false</IgnorePublicAcls>
    </PublicAccessBlock>
    <Regions>
      <Region><Bucket>bucket-a</Bucket></Region>
      <Region><BucketAccountId>111122223333</BucketAccountId><Bucket>bucket-b</Bucket></Region>
    </Regions>
  </Details>
  <ClientToken>0b7e6d1c-9a55-4a84-8d7c-2d5f3e6a1f00</ClientToken>
</CreateMultiRegionAccessPointRequest>"#;

    #[test]
    fn create_parses_in_the_rust_sdk_member_order() {
        let r: CreateRequest = from_xml(RUST_SDK_CREATE.as_bytes(), CREATE_ROOT).unwrap();
        assert_eq!(
            r.client_token.as_deref(),
            Some("0b7e6d1c-9a55-4a84-8d7c-2d5f3e6a1f00")
        );
        let d = r.details.unwrap();
        assert_eq!(d.name.as_deref(), Some("my-mrap"));
        let pab = d.public_access_block.unwrap();
        assert_eq!(pab.block_public_acls.as_deref(), Some("true"));
        assert_eq!(pab.block_public_policy.as_deref(), Some("false"));
        let regions = d.regions.unwrap().region;
        assert_eq!(regions.len(), 2);
        assert_eq!(regions[0].bucket.as_deref(), Some("bucket-a"));
        assert_eq!(regions[0].bucket_account_id, None);
        assert_eq!(
            regions[1].bucket_account_id.as_deref(),
            Some("111122223333")
        );
    }

    #[test]
    fn create_parses_in_the_botocore_member_order() {
        let r: CreateRequest = from_xml(BOTOCORE_CREATE.as_bytes(), CREATE_ROOT).unwrap();
        assert_eq!(
            r.client_token.as_deref(),
            Some("0b7e6d1c-9a55-4a84-8d7c-2d5f3e6a1f00")
        );
        let d = r.details.unwrap();
        let pab = d.public_access_block.unwrap();
        assert_eq!(pab.ignore_public_acls.as_deref(), Some("false"));
        assert_eq!(pab.block_public_policy, None);
        assert_eq!(pab.restrict_public_buckets, None);
        let regions = d.regions.unwrap().region;
        assert_eq!(regions[1].bucket.as_deref(), Some("bucket-b"));
        assert_eq!(
            regions[1].bucket_account_id.as_deref(),
            Some("111122223333")
        );
    }

    #[test]
    fn empty_regions_and_missing_members() {
        for empty in [
            "<Regions/>",
            "<Regions></Regions>",
            "<Regions>\n  </Regions>",
        ] {
            let xml = format!(
                "<CreateMultiRegionAccessPointRequest><ClientToken>t</ClientToken><Details><Name>n</Name>{empty}</Details></CreateMultiRegionAccessPointRequest>"
            );
            let r: CreateRequest = from_xml(xml.as_bytes(), CREATE_ROOT).unwrap();
            assert!(
                r.details.unwrap().regions.unwrap().region.is_empty(),
                "{empty}"
            );
        }
        let r: CreateRequest = from_xml(
            b"<CreateMultiRegionAccessPointRequest><Details/></CreateMultiRegionAccessPointRequest>",
            CREATE_ROOT,
        )
        .unwrap();
        assert!(r.client_token.is_none());
        let d = r.details.unwrap();
        assert!(d.name.is_none() && d.regions.is_none() && d.public_access_block.is_none());
        let r: CreateRequest =
            from_xml(b"<CreateMultiRegionAccessPointRequest/>", CREATE_ROOT).unwrap();
        assert!(r.client_token.is_none() && r.details.is_none());
    }

    #[test]
    fn entities_are_decoded_and_unknown_members_ignored() {
        let r: CreateRequest = from_xml(
            br#"<CreateMultiRegionAccessPointRequest xmlns="x"><ClientToken>a&amp;b&quot;c&#x41;</ClientToken><Extra><Deep/></Extra><Details><Name>n</Name><Regions><Region><Bucket>b&#45;1</Bucket><Other>1</Other></Region></Regions></Details></CreateMultiRegionAccessPointRequest>"#,
            CREATE_ROOT,
        )
        .unwrap();
        assert_eq!(r.client_token.as_deref(), Some("a&b\"cA"));
        assert_eq!(
            r.details.unwrap().regions.unwrap().region[0]
                .bucket
                .as_deref(),
            Some("b-1")
        );
    }

    #[test]
    fn delete_parses_in_both_orders() {
        for xml in [
            r#"<DeleteMultiRegionAccessPointRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><ClientToken>tok</ClientToken><Details><Name>my-mrap</Name></Details></DeleteMultiRegionAccessPointRequest>"#,
            r#"<DeleteMultiRegionAccessPointRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><Details><Name>my-mrap</Name></Details><ClientToken>tok</ClientToken></DeleteMultiRegionAccessPointRequest>"#,
        ] {
            let r: DeleteRequest = from_xml(xml.as_bytes(), DELETE_ROOT).unwrap();
            assert_eq!(r.client_token.as_deref(), Some("tok"));
            assert_eq!(r.details.unwrap().name.as_deref(), Some("my-mrap"));
        }
    }

    /// aws-sdk-rust 1.138 escapes `"` as `&quot;` inside the policy text.
    const RUST_SDK_PUT_POLICY: &str = r#"<PutMultiRegionAccessPointPolicyRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><ClientToken>tok</ClientToken><Details><Name>my-mrap</Name><Policy>{&quot;Version&quot;:&quot;2012-10-17&quot;,&quot;Statement&quot;:[{&quot;Effect&quot;:&quot;Deny&quot;,&quot;Principal&quot;:&quot;*&quot;,&quot;Action&quot;:&quot;s3:*&quot;,&quot;Resource&quot;:&quot;*&quot;,&quot;Condition&quot;:{&quot;StringLike&quot;:{&quot;aws:UserAgent&quot;:&quot;&lt;bot&gt; &amp; co&quot;}}}]}</Policy></Details></PutMultiRegionAccessPointPolicyRequest>"#;

    const DECODED_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"aws:UserAgent":"<bot> & co"}}}]}"#;

    #[test]
    fn put_policy_decodes_the_policy_text() {
        let r: PutPolicyRequest =
            from_xml(RUST_SDK_PUT_POLICY.as_bytes(), PUT_POLICY_ROOT).unwrap();
        assert_eq!(r.client_token.as_deref(), Some("tok"));
        let d = r.details.unwrap();
        assert_eq!(d.name.as_deref(), Some("my-mrap"));
        assert_eq!(d.policy.as_deref(), Some(DECODED_POLICY));
    }

    #[test]
    fn put_policy_in_botocore_order_keeps_the_policy_layout() {
        // botocore: Details first, ClientToken last; a pretty-printed policy keeps its newlines.
        let policy = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}";
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<PutMultiRegionAccessPointPolicyRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><Details><Name>my-mrap</Name><Policy>{policy}</Policy></Details><ClientToken>tok</ClientToken></PutMultiRegionAccessPointPolicyRequest>"#
        );
        let r: PutPolicyRequest = from_xml(xml.as_bytes(), PUT_POLICY_ROOT).unwrap();
        assert_eq!(r.client_token.as_deref(), Some("tok"));
        assert_eq!(r.details.unwrap().policy.as_deref(), Some(policy));
        let cdata = r#"<PutMultiRegionAccessPointPolicyRequest><ClientToken>t</ClientToken><Details><Name>n</Name><Policy><![CDATA[{"a":"<b>"}]]></Policy></Details></PutMultiRegionAccessPointPolicyRequest>"#;
        let r: PutPolicyRequest = from_xml(cdata.as_bytes(), PUT_POLICY_ROOT).unwrap();
        assert_eq!(r.details.unwrap().policy.as_deref(), Some(r#"{"a":"<b>"}"#));
    }

    #[test]
    fn an_empty_policy_is_present_but_empty() {
        for empty in ["<Policy/>", "<Policy></Policy>"] {
            let xml = format!(
                "<PutMultiRegionAccessPointPolicyRequest><ClientToken>t</ClientToken><Details><Name>n</Name>{empty}</Details></PutMultiRegionAccessPointPolicyRequest>"
            );
            let r: PutPolicyRequest = from_xml(xml.as_bytes(), PUT_POLICY_ROOT).unwrap();
            assert_eq!(r.details.unwrap().policy.as_deref(), Some(""), "{empty}");
        }
        let r: PutPolicyRequest = from_xml(
            b"<PutMultiRegionAccessPointPolicyRequest><ClientToken>t</ClientToken><Details><Name>n</Name></Details></PutMultiRegionAccessPointPolicyRequest>",
            PUT_POLICY_ROOT,
        )
        .unwrap();
        assert_eq!(r.details.unwrap().policy, None);
    }

    #[test]
    fn submit_routes_parses_both_sdks_documents() {
        let doc = r#"<SubmitMultiRegionAccessPointRoutesRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><RouteUpdates><Route><Bucket>b1</Bucket><TrafficDialPercentage>0</TrafficDialPercentage></Route><Route><Region>eu-west-1</Region><TrafficDialPercentage>100</TrafficDialPercentage></Route></RouteUpdates></SubmitMultiRegionAccessPointRoutesRequest>"#;
        let r: SubmitRoutesRequest = from_xml(doc.as_bytes(), SUBMIT_ROUTES_ROOT).unwrap();
        let routes = r.route_updates.unwrap().route;
        assert_eq!(routes.len(), 2);
        assert_eq!(routes[0].bucket.as_deref(), Some("b1"));
        assert_eq!(routes[0].traffic_dial_percentage.as_deref(), Some("0"));
        assert_eq!(routes[1].region.as_deref(), Some("eu-west-1"));
        assert!(routes[1].bucket.is_none());
        let empty = r#"<SubmitMultiRegionAccessPointRoutesRequest><RouteUpdates/></SubmitMultiRegionAccessPointRoutesRequest>"#;
        let r: SubmitRoutesRequest = from_xml(empty.as_bytes(), SUBMIT_ROUTES_ROOT).unwrap();
        assert!(r.route_updates.unwrap().route.is_empty());
    }

    #[test]
    fn the_wrong_document_is_refused() {
        assert!(from_xml::<DeleteRequest>(RUST_SDK_CREATE.as_bytes(), DELETE_ROOT).is_err());
        assert!(
            from_xml::<CreateRequest>(
                b"<CreateMultiRegionAccessPointRequest><ClientToken>a</ClientToken><ClientToken>b</ClientToken></CreateMultiRegionAccessPointRequest>",
                CREATE_ROOT
            )
            .is_err(),
            "a repeated member is malformed"
        );
    }
}
