//! Secrets seen before: a value found once by its context is masked wherever it shows up again.
//!
//! Logs repeat a token outside any recognisable context (`ExpressionAttributeValues: {':r': …}`,
//! `Key: { id: … }`, an error message). Remembering what was already found catches those repeats.
//! The memory is bounded ([`CAPACITY`] values) and checked cheaply: only at the start of each
//! token-character run of at least [`MIN_LEN`] bytes, through an 8 KiB Bloom table, before any
//! hash-map lookup.

use std::collections::HashMap;
use std::ops::Range;

/// Values shorter than this are not remembered: too likely to occur by chance.
pub const MIN_LEN: usize = 12;
/// At most this many values are remembered; past it the memory starts over.
pub const CAPACITY: usize = 4096;

const BLOOM_BITS: usize = 1 << 16;

/// A remembered value and the rule that first found it.
type Remembered = (Box<[u8]>, usize);

#[derive(Default)]
pub(crate) struct SecretMemory {
    bloom: Vec<u64>,
    by_prefix: HashMap<u64, Vec<Remembered>>,
    len: usize,
}

/// Bytes that make up a token run, as a lookup table: the memory classifies every byte of every
/// line it looks at, so this is on the hot path.
static RUN_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'+' | b'/' | b'=' | b'~');
        b += 1;
    }
    t
};

fn is_run_byte(b: u8) -> bool {
    RUN_BYTE[b as usize]
}

fn prefix_key(v: &[u8]) -> u64 {
    u64::from_le_bytes(v[..8].try_into().expect("8 bytes"))
}

fn bloom_slot(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48) as usize
}

impl SecretMemory {
    /// Remember `value` (found by `rule`) if it is long enough and starts a token run.
    pub fn remember(&mut self, value: &[u8], rule: usize) {
        if value.len() < MIN_LEN || !value.iter().all(|&b| is_run_byte(b)) {
            return;
        }
        if self.len >= CAPACITY {
            *self = SecretMemory::default();
        }
        if self.bloom.is_empty() {
            self.bloom = vec![0; BLOOM_BITS / 64];
        }
        let key = prefix_key(value);
        let list = self.by_prefix.entry(key).or_default();
        if list.iter().any(|(v, _)| &**v == value) {
            return;
        }
        list.push((value.into(), rule));
        let slot = bloom_slot(key);
        self.bloom[slot / 64] |= 1 << (slot % 64);
        self.len += 1;
    }

    /// Report every remembered value that starts a token run in `line`.
    pub fn find(&self, line: &[u8], out: &mut Vec<(Range<usize>, usize)>) {
        if self.len == 0 {
            return;
        }
        let mut i = 0;
        while i < line.len() {
            if !is_run_byte(line[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < line.len() && is_run_byte(line[i]) {
                i += 1;
            }
            if i - start < MIN_LEN {
                continue;
            }
            let key = prefix_key(&line[start..]);
            let slot = bloom_slot(key);
            if self.bloom[slot / 64] & (1 << (slot % 64)) == 0 {
                continue;
            }
            if let Some(list) = self.by_prefix.get(&key) {
                let run = &line[start..i];
                if let Some((v, rule)) = list
                    .iter()
                    .filter(|(v, _)| run.starts_with(v))
                    .max_by_key(|(v, _)| v.len())
                {
                    out.push((start..start + v.len(), *rule));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_remembered_value_at_a_run_start() {
        let mut m = SecretMemory::default();
        m.remember(b"FAKEtoken0123456789", 3);
        let mut out = Vec::new();
        m.find(
            b"{':r': 'FAKEtoken0123456789'} xFAKEtoken0123456789",
            &mut out,
        );
        assert_eq!(out, vec![(8..27, 3)]);
    }

    #[test]
    fn short_or_spaced_values_are_not_remembered() {
        let mut m = SecretMemory::default();
        m.remember(b"short", 0);
        m.remember(b"has a space in it", 0);
        assert_eq!(m.len, 0);
    }

    #[test]
    fn memory_is_bounded() {
        let mut m = SecretMemory::default();
        for i in 0..CAPACITY + 10 {
            m.remember(format!("FAKEvalue{i:012}").as_bytes(), 0);
        }
        assert!(m.len <= CAPACITY);
    }
}
