//! MessagePack with field names (`rmp_serde::to_vec_named`): a peer built from an older or newer
//! version still decodes the fields it knows.

use bytes::Bytes;
use serde::{Serialize, de::DeserializeOwned};

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("encode: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
    #[error("decode: {0}")]
    Decode(#[from] rmp_serde::decode::Error),
}

pub fn encode<T: Serialize>(value: &T) -> Result<Bytes, CodecError> {
    Ok(Bytes::from(rmp_serde::to_vec_named(value)?))
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    Ok(rmp_serde::from_slice(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct V1 {
        a: u32,
    }
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct V2 {
        a: u32,
        #[serde(default)]
        b: Option<String>,
    }

    #[test]
    fn named_fields_let_schemas_grow() {
        let old = encode(&V1 { a: 7 }).unwrap();
        assert_eq!(decode::<V2>(&old).unwrap(), V2 { a: 7, b: None });
        let new = encode(&V2 {
            a: 7,
            b: Some("x".into()),
        })
        .unwrap();
        assert_eq!(decode::<V1>(&new).unwrap(), V1 { a: 7 });
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode::<V1>(b"\xc1\xff\x00").is_err());
        assert!(decode::<V1>(b"").is_err());
    }
}
