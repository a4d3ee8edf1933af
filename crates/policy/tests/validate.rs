//! Validation golden tests: policy text → exact findings, spans pinned.

mod common;

use common::render;
use mrap_policy::{FindingType, PolicyType, validate};

fn run(text: &str, pt: PolicyType, rt: Option<&str>) -> Vec<String> {
    validate(text, pt, rt).iter().map(render).collect()
}

fn print(v: &[String]) -> String {
    v.iter().map(|s| format!("        {s:?},\n")).collect()
}

macro_rules! golden {
    ($name:ident, $text:expr, $pt:expr, $rt:expr, [$($want:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            let got = run($text, $pt, $rt);
            let want: Vec<&str> = vec![$($want),*];
            assert_eq!(got, want, "actual:\n{}", print(&got));
        }
    };
}

golden!(
    clean_mrap_policy,
    r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "Read",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:role/reader"},
    "Action": ["s3:GetObject", "s3:ListBucket"],
    "Resource": [
      "arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap",
      "arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap/object/*"
    ]
  }]
}"#,
    PolicyType::Resource,
    Some("AWS::S3::MultiRegionAccessPoint"),
    []
);

golden!(
    json_syntax_error_position,
    "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\",}\n  ]\n}",
    PolicyType::Resource,
    None,
    ["Error JSON_SYNTAX_ERROR  @4:23:69-4:23:69"]
);

golden!(
    grammar_errors,
    r#"{"Version":"2012-10-18","Extra":1,"Statement":[{"Effect":"allow","Action":"s3:GetObject","NotAction":"s3:PutObject","Principal":"me"},{"Sid":"x","Sid":"y","Resource":[],"Action":[],"Effect":"Deny","Foo":true,"Condition":{}}]}"#,
    PolicyType::Resource,
    None,
    [
        "Error INVALID_VERSION Version @1:11:11-1:23:23",
        "Error INVALID_POLICY_ELEMENT Extra @1:24:24-1:31:31",
        "Error INVALID_EFFECT Statement/[0]/Effect @1:57:57-1:64:64",
        "Error UNSUPPORTED_ELEMENT_COMBINATION Statement/[0]/NotAction @1:89:89-1:100:100",
        "Error INVALID_PRINCIPAL_FORMAT Statement/[0]/Principal @1:128:128-1:132:132",
        "Error MISSING_RESOURCE Statement/[0] @1:47:47-1:133:133",
        "Error DUPLICATE_KEYS Statement/[1]/Sid @1:145:145-1:150:150",
        "Suggestion EMPTY_ARRAY_RESOURCE Statement/[1]/Resource @1:166:166-1:168:168",
        "Suggestion EMPTY_ARRAY_ACTION Statement/[1]/Action @1:178:178-1:180:180",
        "Error INVALID_POLICY_ELEMENT Statement/[1]/Foo @1:197:197-1:202:202",
        "Suggestion EMPTY_OBJECT_CONDITION Statement/[1]/Condition @1:220:220-1:222:222",
        "Error MISSING_PRINCIPAL Statement/[1] @1:134:134-1:223:223",
    ]
);

golden!(
    principal_and_statement_checks,
    r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "S1", "Effect": "Allow", "NotPrincipal": {"AWS": "111122223333"}, "NotAction": "s3:Delete*", "NotResource": "arn:aws:s3:::b/private/*"},
    {"Sid": "S1", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com", "CanonicalUser": "abc", "Bad": "x"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/logs/*"},
    {"Sid": "", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:group/g", "AROAEXAMPLE"]}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
    {"Effect": "Allow", "Principal": {"AWS": ["AROAEXAMPLE", "arn:aws:iam::111122223333:group/g"]}, "Action": "S3:GetObject", "Resource": "arn:aws:s3:::b/*"}
  ]
}"#,
    PolicyType::Resource,
    Some("AWS::S3::Bucket"),
    [
        "Error INVALID_PRINCIPAL_KEY Statement/[1]/Principal/Bad @5:114:309-5:119:314",
        "SecurityWarning ALLOW_WITH_NOT_PRINCIPAL Statement/[0]/NotPrincipal @4:53:99-4:76:122",
        "SecurityWarning ALLOW_WITH_NOT_ACTION Statement/[0]/NotAction @4:91:137-4:103:149",
        "SecurityWarning ALLOW_WITH_NOT_RESOURCE Statement/[0]/NotResource @4:120:166-4:146:192",
        "SecurityWarning RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL Statement/[1]/Principal/Service @5:62:257-5:88:283",
        "Error INVALID_PRINCIPAL_FORMAT Statement/[1]/Principal/CanonicalUser @5:107:302-5:112:307",
        "Suggestion EMPTY_SID_VALUE Statement/[2]/Sid @6:12:398-6:14:400",
        "Error INVALID_PRINCIPAL_FORMAT Statement/[2]/Principal/AWS/[0] @6:57:443-6:92:478",
        "Warning INVALID_ROLE_REFERENCE Statement/[2]/Principal/AWS/[1] @6:94:480-6:107:493",
        "Error MISSING_PRINCIPAL Statement/[3] @7:4:560-7:81:637",
        "Warning INVALID_ROLE_REFERENCE Statement/[4]/Principal/AWS/[0] @8:46:685-8:59:698",
        "Error INVALID_PRINCIPAL_FORMAT Statement/[4]/Principal/AWS/[1] @8:61:700-8:96:735",
        "Warning UNIQUE_SIDS_RECOMMENDED Statement/[1]/Sid @5:12:207-5:16:211",
        "Suggestion REDUNDANT_STATEMENT Statement/[4] @8:4:643-8:157:796",
    ]
);

golden!(
    identity_policy_checks,
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"has space","Effect":"Allow","Principal":"*","Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::b"},{"Sid":"has space","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username"}]}"#,
    PolicyType::Identity,
    None,
    [
        "Error MISSING_BRACE_IN_VARIABLE Statement/[1]/Resource/sub(15,14) @1:220:220-1:251:251",
        "Error UNSUPPORTED_SID Statement/[0]/Sid @1:44:44-1:55:55",
        "Error UNSUPPORTED_PRINCIPAL Statement/[0]/Principal @1:85:85-1:88:88",
        "Error MISMATCHED_ACTION_FOR_RESOURCE Statement/[0]/Action @1:98:98-1:119:119",
        "Error UNSUPPORTED_SID Statement/[1]/Sid @1:156:156-1:167:167",
        "Error UNIQUE_SIDS_REQUIRED Statement/[1]/Sid @1:156:156-1:167:167",
    ]
);

golden!(
    resource_arn_checks,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:S3:::b","arn:aws:s3:::b/*","arn:aws:s3:::b/x","arn:aws:s3","arn:aws:s3:us-west-2:12345:accesspoint/x","arn:aws:s3:::b/*/y","arn:aws:ec2:us-east-1:111122223333:instance/i-1","arn:aws:s3:us-west-2:111122223333:nonsense/x"]}}"#,
    PolicyType::Resource,
    Some("AWS::S3::MultiRegionAccessPoint"),
    [
        "Error INVALID_ARN_SERVICE_CASE Statement/Resource/[0] @1:123:123-1:139:139",
        "Error UNSUPPORTED_RESOURCE_ARN_IN_POLICY Statement/Resource/[1] @1:140:140-1:158:158",
        "Error UNSUPPORTED_RESOURCE_ARN_IN_POLICY Statement/Resource/[2] @1:159:159-1:177:177",
        "Error MISSING_ARN_FIELD Statement/Resource/[3] @1:178:178-1:190:190",
        "Error INVALID_ARN_ACCOUNT Statement/Resource/[4] @1:191:191-1:233:233",
        "Error UNSUPPORTED_RESOURCE_ARN_IN_POLICY Statement/Resource/[5] @1:234:234-1:254:254",
        "Error UNSUPPORTED_RESOURCE_ARN_IN_POLICY Statement/Resource/[6] @1:255:255-1:304:304",
        "Error ARN_REGION_NOT_ALLOWED Statement/Resource/[7] @1:305:305-1:351:351",
        "Suggestion REDUNDANT_RESOURCE Statement/Resource/[2] @1:159:159-1:177:177",
        "Suggestion REDUNDANT_RESOURCE Statement/Resource/[5] @1:234:234-1:254:254",
    ]
);

golden!(
    condition_checks,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{
 "StringEquals":{"aws:SourceIp":"1.2.3.4","aws:ResourceTag":"x","aws:ARN":"y","aws:Bogus":"z","nocolon":"q","ec2:Vpc":"v"},
 "NumericEquals":{"s3:max-keys":"${aws:username}"},
 "DateLessThan":{"aws:CurrentTime":"2024-13-01"},
 "IpAddress":{"aws:SourceIp":["203.0.113.0/24","10.0.0.0/8","300.1.1.1"]},
 "NotIpAddress":{"aws:SourceIp":"192.168.1.0/24"},
 "ForAnyValue:Null":{"s3:prefix":"true"},
 "StringLike":{"aws:SourceVpce":"vpce-1234567*"},
 "ArnLike":{"aws:SourceArn":[]},
 "ForAllValues:StringEquals":{"aws:TagKeys":[]},
 "BinaryEquals":{"s3:prefix":"%%%"},
 "Bool":{"aws:SecureTransport":[true,"false"]},
 "StringEqualsIgnoreCase":{"s3:versionid":"${aws:username, 'x'}"},
 "Unknown":{"a:b":"c"}
}}}"#,
    PolicyType::Resource,
    None,
    [
        "Error INVALID_VARIABLE_FOR_OPERATOR Statement/Condition/NumericEquals/s3:max-keys @3:32:313-3:49:330",
        "Warning TYPE_MISMATCH_NUMBER Statement/Condition/NumericEquals/s3:max-keys @3:32:313-3:49:330",
        "Warning TYPE_MISMATCH_DATE Statement/Condition/DateLessThan/aws:CurrentTime @4:35:368-4:47:380",
        "Warning TYPE_MISMATCH_IP_RANGE Statement/Condition/IpAddress/aws:SourceIp/[2] @5:60:443-5:71:454",
        "Suggestion EMPTY_ARRAY_CONDITION Statement/Condition/ArnLike/aws:SourceArn @9:28:629-9:30:631",
        "Suggestion EMPTY_ARRAY_CONDITION_FORALLVALUES Statement/Condition/ForAllValues:StringEquals/aws:TagKeys @10:44:678-10:46:680",
        "Warning TYPE_MISMATCH_STRING Statement/Condition/BinaryEquals/s3:prefix @11:29:712-11:34:717",
        "Error INVALID_CONDITION_DATA_TYPE Statement/Condition/Bool/aws:SecureTransport/[1] @12:37:757-12:44:764",
        "Error INVALID_CONDITION_OPERATOR Statement/Condition/Unknown @14:1:836-14:10:845",
        "Warning TYPE_MISMATCH Statement/Condition/StringEquals @2:1:158-2:15:172",
        "Error MISSING_TAG_KEY_IN_CONDITION Statement/Condition/StringEquals/aws:ResourceTag @2:42:199-2:59:216",
        "Error UNSUPPORTED_GLOBAL_CONDITION_KEY Statement/Condition/StringEquals/aws:ARN @2:64:221-2:73:230",
        "Error INVALID_GLOBAL_CONDITION_KEY Statement/Condition/StringEquals/aws:Bogus @2:78:235-2:89:246",
        "Error INVALID_CONDITION_KEY_FORMAT Statement/Condition/StringEquals/nocolon @2:94:251-2:103:260",
        "Suggestion PRIVATE_IP_ADDRESS_SUBSET Statement/Condition/IpAddress/aws:SourceIp @5:29:412-5:72:455",
        "Error PRIVATE_NOT_IP_ADDRESS Statement/Condition/NotIpAddress/aws:SourceIp @6:32:490-6:48:506",
        "Suggestion NULL_WITH_QUALIFIER Statement/Condition/ForAnyValue:Null @7:1:510-7:19:528",
        "Warning TYPE_MISMATCH Statement/Condition/BinaryEquals @11:1:684-11:15:698",
        "Error INVALID_CONDITION_MULTIPLE_BOOLEAN Statement/Condition/Bool/aws:SecureTransport @12:31:751-12:45:765",
    ]
);

golden!(
    variables_and_redundancy,
    r#"{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["s3:Get*","s3:GetObject","s3:*"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b/home/*","arn:aws:s3:::b/${}","arn:aws:s3:::b/${a b}","arn:aws:s3:::b/${k,'d'}","arn:aws:s3:::b/${k, d}"]},
{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:${aws:username}","Resource":"*"},
{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:${aws:username}","Resource":"*"}
]}"#,
    PolicyType::Resource,
    None,
    [
        "Error EMPTY_VARIABLE Statement/[0]/Resource/[2]/sub(15,3) @2:151:189-2:171:209",
        "Error UNSUPPORTED_SPACE_IN_VARIABLE Statement/[0]/Resource/[3]/sub(15,6) @2:172:210-2:195:233",
        "Error UNSUPPORTED_SPACE_IN_VARIABLE Statement/[0]/Resource/[4]/sub(15,8) @2:196:234-2:221:259",
        "Error MISSING_QUOTE_IN_VARIABLE Statement/[0]/Resource/[5]/sub(15,7) @2:222:260-2:246:284",
        "Error VARIABLE_UNSUPPORTED_IN_ELEMENT Statement/[1]/Action @3:62:350-3:82:370",
        "Error VARIABLE_UNSUPPORTED_IN_ELEMENT Statement/[2]/Action @4:62:450-4:82:470",
        "Suggestion REDUNDANT_ACTION Statement/[0]/Action/[0] @2:63:101-2:72:110",
        "Suggestion REDUNDANT_ACTION Statement/[0]/Action/[1] @2:73:111-2:87:125",
        "Suggestion REDUNDANT_RESOURCE Statement/[0]/Resource/[1] @2:127:165-2:150:188",
        "Suggestion REDUNDANT_RESOURCE Statement/[0]/Resource/[2] @2:151:189-2:171:209",
        "Suggestion REDUNDANT_RESOURCE Statement/[0]/Resource/[3] @2:172:210-2:195:233",
        "Suggestion REDUNDANT_RESOURCE Statement/[0]/Resource/[4] @2:196:234-2:221:259",
        "Suggestion REDUNDANT_RESOURCE Statement/[0]/Resource/[5] @2:222:260-2:246:284",
        "Error INVALID_ACTION Statement/[1]/Action @3:62:350-3:82:370",
        "Error INVALID_ACTION Statement/[2]/Action @4:62:450-4:82:470",
        "Suggestion REDUNDANT_STATEMENT Statement/[2] @4:0:388-4:98:486",
    ]
);

golden!(
    missing_statement_and_type_mismatch,
    r#"{"Version": 1, "Id": ["x"]}"#,
    PolicyType::Resource,
    None,
    [
        "Error DATA_TYPE_MISMATCH Version @1:12:12-1:13:13",
        "Error DATA_TYPE_MISMATCH Id @1:21:21-1:26:26",
        "Warning MISSING_VERSION  @1:0:0-1:27:27",
        "Error MISSING_STATEMENT  @1:0:0-1:27:27",
    ]
);

golden!(
    not_an_object,
    r#"[1, 2]"#,
    PolicyType::Resource,
    None,
    ["Error DATA_TYPE_MISMATCH  @1:0:0-1:6:6",]
);

golden!(
    statement_array_empty_and_scalar_item,
    "{\"Version\":\"2008-10-17\",\"Statement\":[]}",
    PolicyType::Identity,
    None,
    ["Error MISSING_STATEMENT Statement @1:36:36-1:38:38",]
);

golden!(
    public_delegation_is_quiet,
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"StringEquals":{"s3:DataAccessPointAccount":"111122223333"}}}]}"#,
    PolicyType::Resource,
    Some("AWS::S3::Bucket"),
    []
);

#[test]
fn too_large_policy() {
    let stmt = r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#;
    let body: Vec<String> = (0..200)
        .map(|i| stmt.replace("b/*", &format!("b{i}/*")))
        .collect();
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        body.join(",")
    );
    assert!(text.len() > 20 * 1024);
    let f = validate(&text, PolicyType::Resource, None);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].issue_code, "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA");
    assert_eq!(f[0].finding_type, FindingType::Warning);
    assert_eq!(
        mrap_policy::parse(&text).expect_err("too large").code,
        "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA"
    );
}

#[test]
fn serialised_shape_of_a_real_finding() {
    let f = validate(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}}"#,
        PolicyType::Identity,
        None,
    );
    let j = serde_json::to_value(&f).expect("serialise");
    assert_eq!(
        j,
        serde_json::json!([{
            "findingDetails": "The action s3:GetObjekt does not exist.",
            "findingType": "ERROR",
            "issueCode": "INVALID_ACTION",
            "learnMoreLink": "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-error-invalid-action",
            "locations": [{
                "path": [{"value": "Statement"}, {"value": "Action"}],
                "span": {"start": {"line": 1, "column": 63, "offset": 63}, "end": {"line": 1, "column": 77, "offset": 77}}
            }]
        }])
    );
}
