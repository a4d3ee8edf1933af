//! Per-request identifiers: `x-amz-request-id` (16 upper-case hex characters, like S3's) and
//! `x-amz-id-2` (an opaque base64 "host id"), and the Region a request through an MRAP was
//! routed to (`x-mrap-region`), all stamped on the response whether it succeeded or not.

use std::sync::Mutex;

use base64::Engine;
use rand::Rng;

#[derive(Debug)]
pub(crate) struct RequestIds {
    pub request_id: String,
    pub host_id: String,
    /// Set by each routing attempt of a request through an MRAP (the last one served it).
    routed_region: Mutex<Option<String>>,
}

impl RequestIds {
    pub fn fresh() -> Self {
        let mut rng = rand::rng();
        let request_id = format!("{:016X}", rng.random::<u64>());
        let host_bytes: [u8; 24] = rng.random();
        let host_id = base64::engine::general_purpose::STANDARD.encode(host_bytes);
        Self::new(request_id, host_id)
    }

    pub fn new(request_id: String, host_id: String) -> Self {
        Self {
            request_id,
            host_id,
            routed_region: Mutex::new(None),
        }
    }

    pub fn set_routed_region(&self, region: &str) {
        if let Ok(mut r) = self.routed_region.lock() {
            *r = Some(region.to_owned());
        }
    }

    pub fn routed_region(&self) -> Option<String> {
        self.routed_region.lock().ok().and_then(|r| r.clone())
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
