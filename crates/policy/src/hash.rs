//! A fast hasher for the built-in catalogue tables.
//!
//! The catalogue's maps are fixed at build time and only looked up, so
//! hash flooding (the reason std defaults to SipHash) cannot make them
//! degrade; lookups happen for every action and condition key a policy
//! names, and short names hash several times faster this way (the
//! multiply-rotate scheme of rustc's FxHasher).

use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.add(w.try_into().map_or(0, u64::from_le_bytes));
        }
        let mut last = [0u8; 8];
        let rest = words.remainder();
        if let Some(dst) = last.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        // The length keeps "a" and "a\0" apart.
        self.add(u64::from_le_bytes(last) ^ (rest.len() as u64) << 56);
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn maps_work() {
        let mut m: HashMap<String, usize, FxBuild> = HashMap::default();
        for (i, k) in ["", "a", "a\0", "getobject", "listallmybuckets-long-name"]
            .iter()
            .enumerate()
        {
            m.insert(k.to_string(), i);
        }
        assert_eq!(m.len(), 5);
        assert_eq!(m.get("a\0"), Some(&2));
        assert_eq!(m.get("listallmybuckets-long-name"), Some(&4));
        assert_eq!(m.get("b"), None);
    }
}
