//! Per-request identifiers: `x-amz-request-id` (16 upper-case hex characters, like S3's) and
//! `x-amz-id-2` (an opaque base64 "host id").

use base64::Engine;
use rand::Rng;

#[derive(Debug, Clone)]
pub(crate) struct RequestIds {
    pub request_id: String,
    pub host_id: String,
}

impl RequestIds {
    pub fn fresh() -> Self {
        let mut rng = rand::rng();
        let request_id = format!("{:016X}", rng.random::<u64>());
        let host_bytes: [u8; 24] = rng.random();
        let host_id = base64::engine::general_purpose::STANDARD.encode(host_bytes);
        Self {
            request_id,
            host_id,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn request_ids_look_like_s3_ones_and_differ() {
        let a = RequestIds::fresh();
        let b = RequestIds::fresh();
        assert_eq!(a.request_id.len(), 16);
        assert!(
            a.request_id
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))
        );
        assert_ne!(a.request_id, b.request_id);
        assert_eq!(a.host_id.len(), 32);
    }
}
