//! `Tagging`: the tag set of an object, as GetObjectTagging answers it and PutObjectTagging sends
//! it.

use serde::{Deserialize, Serialize};

use crate::common::xml::S3_NS;

pub(crate) const TAGGING_ROOT: &str = "Tagging";

/// `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>`, both ways.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename = "Tagging")]
pub(crate) struct Tagging {
    #[serde(rename = "@xmlns", skip_deserializing, default = "namespace")]
    xmlns: &'static str,
    #[serde(rename = "TagSet")]
    tag_set: TagSet,
}

fn namespace() -> &'static str {
    S3_NS
}

#[derive(Debug, Serialize, Deserialize)]
struct TagSet {
    #[serde(rename = "Tag", default)]
    tags: Vec<Tag>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Tag {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Value")]
    value: String,
}

impl Tagging {
    pub fn new(tags: &[(String, String)]) -> Self {
        Self {
            xmlns: S3_NS,
            tag_set: TagSet {
                tags: tags
                    .iter()
                    .map(|(key, value)| Tag {
                        key: key.clone(),
                        value: value.clone(),
                    })
                    .collect(),
            },
        }
    }

    /// The tags, in the order sent.
    pub fn into_tags(self) -> Vec<(String, String)> {
        self.tag_set
            .tags
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::common::xml::{from_xml, to_xml_with_header};

    const DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

    #[test]
    fn tag_sets() {
        assert_eq!(
            to_xml_with_header(&Tagging::new(&[])).unwrap(),
            format!(
                r#"{DECL}<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet/></Tagging>"#
            )
        );
        let tags = [
            ("a".to_owned(), "1".to_owned()),
            ("b c".to_owned(), "x<&>y".to_owned()),
            ("empty".to_owned(), String::new()),
        ];
        assert_eq!(
            to_xml_with_header(&Tagging::new(&tags)).unwrap(),
            format!(
                r#"{DECL}<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b c</Key><Value>x&lt;&amp;&gt;y</Value></Tag><Tag><Key>empty</Key><Value/></Tag></TagSet></Tagging>"#
            )
        );
    }

    #[test]
    fn tag_sets_as_sent() {
        let t: Tagging = from_xml(
            br#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Value/><Key> b &amp; </Key></Tag></TagSet></Tagging>"#,
            TAGGING_ROOT,
        )
        .unwrap();
        assert_eq!(
            t.into_tags(),
            [
                ("a".to_owned(), "1".to_owned()),
                (" b & ".to_owned(), String::new())
            ]
        );
        let t: Tagging = from_xml(b"<Tagging><TagSet/></Tagging>", TAGGING_ROOT).unwrap();
        assert!(t.into_tags().is_empty());
        for bad in [
            "<Tagging/>",
            "<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>",
            "<Tagging><TagSet><Tag><Value>1</Value></Tag></TagSet></Tagging>",
            "<Other><TagSet/></Other>",
            "<Tagging><TagSet>",
        ] {
            assert!(
                from_xml::<Tagging>(bad.as_bytes(), TAGGING_ROOT).is_err(),
                "{bad}"
            );
        }
    }
}
