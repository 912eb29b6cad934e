//! Secrets seen before: a value found once by its context is masked wherever it shows up again.
//!
//! Logs repeat a token outside any recognisable context (`ExpressionAttributeValues: {':r': …}`,
//! `Key: { id: … }`, an error message). Remembering what was already found catches those repeats.
//! The memory is bounded ([`CAPACITY`] values, [`MAX_BYTES`] bytes) and checked cheaply: only
//! at the start of each token-character run of at least [`MIN_LEN`] bytes, through an 8 KiB
//! Bloom table, before any hash-map lookup. Its work is linear in the line: a lookup compares
//! the run with at most [`MAX_CHAIN`] values of each of two indexes (values are indexed by their
//! first 16 bytes, and by their first 12; many JWTs share their first 8), and remembering a
//! value compares it with as many.

use crate::byteclass::byte_set;
use crate::prefilter::Isa;
use foldhash::HashMap;
use std::ops::Range;

/// Values shorter than this are not remembered: too likely to occur by chance.
pub(crate) const MIN_LEN: usize = 12;
const _: () = assert!(
    MIN_LEN > 8 && MIN_LEN <= 16,
    "the run test doubles up to 8, then overlaps"
);
/// At most this many values, and [`MAX_BYTES`] bytes of them, are remembered; past either
/// bound the memory starts over.
pub(crate) const CAPACITY: usize = 4096;
pub(crate) const MAX_BYTES: usize = 512 * 1024;

const BLOOM_BITS: usize = 1 << 16;

/// At most this many remembered values share an index key (their first 16 bytes, or their
/// first 12): one more is not remembered (a long value still is, but is not found cut short).
pub(crate) const MAX_CHAIN: usize = 8;

/// Values this long or longer are indexed by their first 16 bytes as well as their first 12.
const LONG: usize = 16;

/// A remembered value at least this long is also found cut short: its first [`MIN_LEN`] or
/// more bytes, then a truncation mark (see [`truncated_at`]).
pub(crate) const MIN_TRUNCATED_FROM: usize = 16;

/// Does a value cut short end at `end`: the end of the line, an ellipsis (`…`, `...`), or
/// a repr's `'+42` (Python's reprlib), optionally after a closing quote?
fn truncated_at(line: &[u8], end: usize) -> bool {
    let rest = &line[end..];
    let after_quote = match rest.first() {
        Some(b'\'' | b'"') => &rest[1..],
        _ => rest,
    };
    matches!(rest.first(), None | Some(b'\r' | b'\n'))
        || rest.starts_with("…".as_bytes())
        || rest.starts_with(b"...")
        || (after_quote.first() == Some(&b'+')
            && after_quote.get(1).is_some_and(u8::is_ascii_digit))
}

/// Where a remembered value is in [`SecretMemory::bytes`], the rule that first found it, and the
/// next value with the same key in each index.
#[derive(Clone, Copy)]
struct Entry {
    start: u32,
    len: u32,
    rule: u32,
    next_short: u32,
    next_long: u32,
}

const NO_ENTRY: u32 = u32::MAX;

/// The values live back to back in one buffer, chained by prefix: remembering one allocates
/// nothing once the buffers have grown (a fresh secret is remembered on every finding).
pub(crate) struct SecretMemory {
    /// How token bytes are classified (the prefilter's choice of instructions).
    isa: Isa,
    bloom: Vec<u64>,
    /// foldhash: fast, and seeded per process (the values come from the logs). The first
    /// entry of each key's chain: every value by its first 12 bytes, values of [`LONG`] bytes
    /// or more by their first 16.
    short: HashMap<(u64, u32), u32>,
    long: HashMap<(u64, u64), u32>,
    entries: Vec<Entry>,
    bytes: Vec<u8>,
}

/// Bytes that make up a token run, as a lookup table: the memory classifies every byte of every
/// line it looks at, so this is on the hot path.
static RUN_BYTE: [bool; 256] = byte_set!(
    |c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'+' | b'/' | b'=' | b'~')
);

fn is_run_byte(b: u8) -> bool {
    RUN_BYTE[b as usize]
}

fn short_key(v: &[u8]) -> (u64, u32) {
    (
        u64::from_le_bytes(v[..8].try_into().expect("8 bytes")),
        u32::from_le_bytes(v[8..12].try_into().expect("4 bytes")),
    )
}

fn long_key(v: &[u8]) -> (u64, u64) {
    (
        u64::from_le_bytes(v[..8].try_into().expect("8 bytes")),
        u64::from_le_bytes(v[8..16].try_into().expect("8 bytes")),
    )
}

fn bloom_slot((a, b): (u64, u32)) -> usize {
    ((a ^ u64::from(b).rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48) as usize
}

impl Default for SecretMemory {
    fn default() -> Self {
        SecretMemory::with_isa(Isa::detect())
    }
}

impl SecretMemory {
    /// A memory classifying bytes with `isa`, which the CPU must have.
    pub(crate) fn with_isa(isa: Isa) -> SecretMemory {
        SecretMemory {
            isa,
            bloom: Vec::new(),
            short: HashMap::default(),
            long: HashMap::default(),
            entries: Vec::new(),
            bytes: Vec::new(),
        }
    }

    /// Remember `value` (found by `rule`): the whole of it when it is one token run, else each
    /// of its token runs that is long enough (`1000000$NO7pMy…$WU0GSk…` repeats as the runs
    /// between its `$`; a JWT's payload and signature between its dots).
    pub(crate) fn remember(&mut self, value: &[u8], rule: usize) {
        if value.len() < MIN_LEN || value.len() > MAX_BYTES {
            return;
        }
        if value.iter().all(|&b| is_run_byte(b)) {
            self.remember_run(value, rule);
            return;
        }
        for piece in value.split(|&b| !is_run_byte(b)) {
            if piece.len() >= MIN_LEN {
                self.remember_run(piece, rule);
            }
        }
    }

    fn remember_run(&mut self, value: &[u8], rule: usize) {
        if self.entries.len() >= CAPACITY || self.bytes.len() + value.len() > MAX_BYTES {
            self.clear();
        }
        if self.bloom.is_empty() {
            self.bloom = vec![0; BLOOM_BITS / 64];
        }
        let short = short_key(value);
        let short_head = self.short.get(&short).copied().unwrap_or(NO_ENTRY);
        let long = (value.len() >= LONG).then(|| long_key(value));
        let long_head = long.map_or(NO_ENTRY, |k| self.long.get(&k).copied().unwrap_or(NO_ENTRY));
        // Known already, or its key's chain is full: nothing more to remember.
        let (head, next): (u32, fn(&Entry) -> u32) = if long.is_some() {
            (long_head, |e| e.next_long)
        } else {
            (short_head, |e| e.next_short)
        };
        let known = self.chain(head, next).take(MAX_CHAIN);
        if known.clone().any(|(v, _)| v == value) || known.count() == MAX_CHAIN {
            return;
        }
        let short_full = self
            .chain(short_head, |e| e.next_short)
            .nth(MAX_CHAIN - 1)
            .is_some();
        // Both fit in u32: the buffers are bounded by MAX_BYTES and CAPACITY.
        let at = self.entries.len() as u32;
        self.entries.push(Entry {
            start: self.bytes.len() as u32,
            len: value.len() as u32,
            rule: rule as u32,
            next_short: if short_full { NO_ENTRY } else { short_head },
            next_long: long_head,
        });
        self.bytes.extend_from_slice(value);
        if !short_full {
            self.short.insert(short, at);
        }
        if let Some(k) = long {
            self.long.insert(k, at);
        }
        // Every lookup starts with the 12-byte key's bit.
        let slot = bloom_slot(short);
        self.bloom[slot / 64] |= 1 << (slot % 64);
    }

    /// Forget every value, keeping the allocations.
    pub(crate) fn clear(&mut self) {
        self.short.clear();
        self.long.clear();
        self.entries.clear();
        self.bytes.clear();
        self.bloom.fill(0);
    }

    /// The values (and rules) chained from entry `at` by `next`.
    fn chain(
        &self,
        mut at: u32,
        next: fn(&Entry) -> u32,
    ) -> impl Iterator<Item = (&[u8], usize)> + Clone {
        std::iter::from_fn(move || {
            let e = self.entries.get(at as usize)?;
            at = next(e);
            let start = e.start as usize;
            Some((&self.bytes[start..start + e.len as usize], e.rule as usize))
        })
    }

    /// Nothing remembered?
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Report every remembered value that starts a token run in `line`.
    pub(crate) fn find(&self, line: &[u8], out: &mut Vec<(Range<usize>, usize)>) {
        self.find_dispatch(line, out, false);
    }

    /// The first remembered value in `text` (the same as [`SecretMemory::find`]'s first), read
    /// no further: a caller that goes on after it reads the rest once, not once per value.
    pub(crate) fn find_first(&self, text: &[u8]) -> Option<(Range<usize>, usize)> {
        let mut out = Vec::new();
        self.find_dispatch(text, &mut out, true);
        out.pop()
    }

    fn find_dispatch(&self, line: &[u8], out: &mut Vec<(Range<usize>, usize)>, first: bool) {
        if self.entries.is_empty() {
            return;
        }
        crate::work::read(line.len());
        match self.isa {
            // SAFETY: the CPU has the instructions `isa` names.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512Vbmi => unsafe { self.find_vbmi(line, out, first) },
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { self.find_avx2(line, out, first) },
            _ => self.find_runs(line, out, first, |b| padded(b, run_mask_scalar)),
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    unsafe fn find_vbmi(&self, line: &[u8], out: &mut Vec<(Range<usize>, usize)>, first: bool) {
        // SAFETY: the caller checked the CPU.
        self.find_runs(line, out, first, |b| unsafe { run_mask_vbmi(b) })
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn find_avx2(&self, line: &[u8], out: &mut Vec<(Range<usize>, usize)>, first: bool) {
        // SAFETY: the caller checked the CPU.
        self.find_runs(line, out, first, |b| {
            padded(b, |b| unsafe { run_mask_avx2(b) })
        })
    }

    /// [`SecretMemory::find`] (or, with `first_only`, up to its first value), with `mask`
    /// classifying up to 64 bytes at a time.
    #[inline(always)]
    fn find_runs(
        &self,
        line: &[u8],
        out: &mut Vec<(Range<usize>, usize)>,
        first_only: bool,
        mask: impl Fn(&[u8]) -> u64,
    ) {
        // Bit `i` set where `line[at + i]` is a token-run byte (past the end: not set).
        let run_mask = |at: usize| mask(&line[at..line.len().min(at + 64)]);
        // Token-run bytes as bits, 64 positions per word: run starts of long-enough runs come
        // out of a few shifts instead of a branch per byte.
        let blocks = line.len().div_ceil(64);
        let mut cur = if blocks > 0 { run_mask(0) } else { 0 };
        let mut carry = 0u64;
        for block in 0..blocks {
            let next = if block + 1 < blocks {
                run_mask((block + 1) * 64)
            } else {
                0
            };
            let window = u128::from(next) << 64 | u128::from(cur);
            // Bit i of `long`: the MIN_LEN bits from i are all set, by doubling runs
            // (2, 4, 8, then 8 overlapping 8 at MIN_LEN - 8).
            let mut long = window & window >> 1;
            long &= long >> 2;
            long &= long >> 4;
            long &= long >> (MIN_LEN - 8);
            let mut starts = cur & !(cur << 1 | carry) & long as u64;
            while starts != 0 {
                let start = block * 64 + starts.trailing_zeros() as usize;
                starts &= starts - 1;
                // Nearly every run start fails the Bloom test: tested here, without a call.
                if self.may_hold(&line[start..]) && self.check_run(line, start, out) && first_only {
                    return;
                }
            }
            carry = cur >> 63;
            cur = next;
        }
    }

    /// May a remembered value start `run` (at least [`MIN_LEN`] bytes), by the Bloom table?
    #[inline(always)]
    fn may_hold(&self, run: &[u8]) -> bool {
        let slot = bloom_slot(short_key(run));
        self.bloom[slot / 64] & (1 << (slot % 64)) != 0
    }

    /// A token run of at least [`MIN_LEN`] bytes starts at `start`, and passed
    /// [`SecretMemory::may_hold`]: is a remembered value its prefix? Returns whether one was
    /// added to `out`.
    #[inline(never)]
    fn check_run(&self, line: &[u8], start: usize, out: &mut Vec<(Range<usize>, usize)>) -> bool {
        let short = short_key(&line[start..]);
        let end = line[start..]
            .iter()
            .position(|&b| !is_run_byte(b))
            .map_or(line.len(), |n| start + n);
        let run = &line[start..end];
        // The longest remembered value the run starts with: a long one first.
        let long = (run.len() >= LONG)
            .then(|| self.long.get(&long_key(run)))
            .flatten()
            .and_then(|&head| {
                self.chain(head, |e| e.next_long)
                    .filter(|(v, _)| run.starts_with(v))
                    .max_by_key(|(v, _)| v.len())
            });
        let Some(&head) = self.short.get(&short) else {
            if let Some((v, rule)) = long {
                out.push((start..start + v.len(), rule));
                return true;
            }
            return false;
        };
        let short_values = || self.chain(head, |e| e.next_short);
        if let Some((v, rule)) = long.or_else(|| {
            short_values()
                .filter(|(v, _)| v.len() < LONG && run.starts_with(v))
                .max_by_key(|(v, _)| v.len())
        }) {
            out.push((start..start + v.len(), rule));
            true
        } else if truncated_at(line, end)
            && let Some((_, rule)) =
                short_values().find(|(v, _)| v.len() >= MIN_TRUNCATED_FROM && v.starts_with(run))
        {
            out.push((start..end, rule));
            true
        } else {
            false
        }
    }
}

/// `mask` of the (up to 64) `bytes` followed by zeros, for the classifiers that read 64 bytes.
fn padded(bytes: &[u8], mask: impl Fn(&[u8; 64]) -> u64) -> u64 {
    match bytes.first_chunk::<64>() {
        Some(block) => mask(block),
        None => {
            let mut block = [0u8; 64];
            block[..bytes.len()].copy_from_slice(bytes);
            mask(&block)
        }
    }
}

fn run_mask_scalar(block: &[u8; 64]) -> u64 {
    block
        .iter()
        .enumerate()
        .fold(0, |m, (i, &b)| m | u64::from(is_run_byte(b)) << i)
}

/// The token-run bytes below 0x80, as a 128-byte table for `vpermi2b`.
static RUN_TABLE: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        t[b] = RUN_BYTE[b] as u8;
        b += 1;
    }
    t
};

/// [`run_mask_scalar`] with AVX-512 VBMI: one table lookup for up to 64 bytes. A short block
/// (the end of a line) is read with a masked load, not copied into a padded one: the wide load
/// would wait for the copy's narrow stores.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
unsafe fn run_mask_vbmi(bytes: &[u8]) -> u64 {
    use std::arch::x86_64::*;
    // SAFETY: only the bytes of `bytes` are loaded (masked past them); each table half has 64
    // readable bytes.
    unsafe {
        let v = match bytes.len() {
            64.. => _mm512_loadu_si512(bytes.as_ptr() as *const _),
            n => _mm512_maskz_loadu_epi8((1u64 << n) - 1, bytes.as_ptr() as *const i8),
        };
        let lo = _mm512_loadu_si512(RUN_TABLE.as_ptr() as *const _);
        let hi = _mm512_loadu_si512(RUN_TABLE[64..].as_ptr() as *const _);
        // The low seven bits pick the entry; bytes from 0x80 on are never token bytes.
        let found = _mm512_permutex2var_epi8(lo, v, hi);
        _mm512_test_epi8_mask(found, found) & !_mm512_movepi8_mask(v)
    }
}

/// Token-run bytes as two 16-entry nibble tables, for `pshufb`: a byte is a run byte when
/// `LO[low nibble] & HI[high nibble] != 0`. Each high nibble that has run bytes gets a bit of
/// its own, so the test is exact (six such nibbles, `0x2` to `0x7`; bytes from 0x80 on have
/// none).
static RUN_NIBBLES: ([u8; 16], [u8; 16]) = {
    let (mut lo, mut hi) = ([0u8; 16], [0u8; 16]);
    let mut next_bit = 0;
    let mut h = 0;
    while h < 16 {
        let mut l = 0;
        while l < 16 {
            if RUN_BYTE[h * 16 + l] {
                if hi[h] == 0 {
                    hi[h] = 1 << next_bit;
                    next_bit += 1;
                }
                lo[l] |= hi[h];
            }
            l += 1;
        }
        h += 1;
    }
    (lo, hi)
};

/// [`run_mask_scalar`] with AVX2: two nibble lookups per 32 bytes ([`RUN_NIBBLES`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_mask_avx2(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::*;
    // SAFETY: each table has 16 readable bytes.
    let (lo, hi) = unsafe {
        (
            _mm256_broadcastsi128_si256(_mm_loadu_si128(RUN_NIBBLES.0.as_ptr() as *const _)),
            _mm256_broadcastsi128_si256(_mm_loadu_si128(RUN_NIBBLES.1.as_ptr() as *const _)),
        )
    };
    let nibble = _mm256_set1_epi8(0x0f);
    let half = |p: *const u8| -> u64 {
        // SAFETY: `p` points at 32 readable bytes of `block`.
        let v = unsafe { _mm256_loadu_si256(p as *const __m256i) };
        let l = _mm256_shuffle_epi8(lo, _mm256_and_si256(v, nibble));
        let h = _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
        let none = _mm256_cmpeq_epi8(_mm256_and_si256(l, h), _mm256_setzero_si256());
        !(_mm256_movemask_epi8(none) as u32) as u64
    };
    let p = block.as_ptr();
    // SAFETY: the block has 64 bytes.
    half(p) | half(unsafe { p.add(32) }) << 32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition [`SecretMemory::find`] implements: every run of token bytes, byte by
    /// byte.
    fn reference(m: &SecretMemory, line: &[u8]) -> Vec<(Range<usize>, usize)> {
        let mut out = Vec::new();
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
            let run = &line[start..i];
            let values = || {
                m.entries.iter().map(|e| {
                    let start = e.start as usize;
                    (&m.bytes[start..start + e.len as usize], e.rule as usize)
                })
            };
            if let Some((v, rule)) = values()
                .filter(|(v, _)| run.starts_with(v))
                .max_by_key(|(v, _)| v.len())
            {
                out.push((start..start + v.len(), rule));
            } else if run.len() >= MIN_LEN
                && truncated_at(line, i)
                && let Some((_, rule)) =
                    values().find(|(v, _)| v.len() >= MIN_TRUNCATED_FROM && v.starts_with(run))
            {
                out.push((start..i, rule));
            }
        }
        out
    }

    #[test]
    fn truncated_repeats_are_found() {
        let mut m = SecretMemory::default();
        let secret = b"FAKE0123456789abcdefFAKE0123";
        m.remember(secret, 3);
        let found = |line: &[u8]| {
            let mut out = Vec::new();
            m.find(line, &mut out);
            out.iter()
                .map(|(r, _)| line[r.clone()].to_vec())
                .collect::<Vec<_>>()
        };
        for line in [
            &b"error: 'FAKE0123456789ab'+12 more"[..],
            "cut FAKE0123456789abcd… here".as_bytes(),
            b"cut FAKE0123456789abcdef... here",
            b"the end FAKE0123456789a",
        ] {
            let got = found(line);
            assert_eq!(got.len(), 1, "{}", String::from_utf8_lossy(line));
            assert!(secret.starts_with(&got[0]));
        }
        // Too short a piece, or one that goes on as another word, is not the secret.
        for line in [&b"cut FAKE0123456... here"[..], b"FAKE0123456789abXYZ rest"] {
            assert!(found(line).is_empty(), "{}", String::from_utf8_lossy(line));
        }
    }

    proptest! {
        #[test]
        fn finds_what_a_byte_walk_finds(
            values in proptest::collection::vec("[A-Za-z0-9_~+/=-]{12,24}", 1..4),
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just(None),
                    (0usize..5).prop_map(Some),
                ],
                0..40,
            ),
            fillers in proptest::collection::vec("[ a-z0-9:\"'=é\t.+…]{0,9}", 40),
        ) {
            let mut memories: Vec<SecretMemory> =
                Isa::available().into_iter().map(SecretMemory::with_isa).collect();
            for m in &mut memories {
                for (i, v) in values.iter().enumerate() {
                    m.remember(v.as_bytes(), i);
                }
            }
            // Values (whole, cut short, or glued to more token bytes) among filler text, across
            // 64-byte block edges.
            let mut line = Vec::new();
            for (piece, filler) in pieces.iter().zip(&fillers) {
                line.extend_from_slice(filler.as_bytes());
                if let Some(i) = piece {
                    let v = values[i % values.len()].as_bytes();
                    match i {
                        0 => line.extend_from_slice(&v[..v.len() - 1]),
                        // Cut short with a truncation mark (found when long enough).
                        2 => { line.extend_from_slice(&v[..v.len() - 1]); line.extend_from_slice(b"..."); }
                        1 => { line.extend_from_slice(v); line.extend_from_slice(b"XY"); }
                        _ => line.extend_from_slice(v),
                    }
                }
            }
            for m in &memories {
                let mut out = Vec::new();
                m.find(&line, &mut out);
                prop_assert_eq!(&out, &reference(m, &line), "{:?}", m.isa);
                prop_assert_eq!(m.find_first(&line), out.first().cloned(), "{:?}", m.isa);
            }
        }
    }

    #[test]
    fn scalar_and_vector_masks_agree() {
        let block: [u8; 64] = std::array::from_fn(|i| (i * 37 + 11) as u8);
        for shift in 0..=255u8 {
            let b = block.map(|x| x.wrapping_add(shift));
            #[cfg(target_arch = "x86_64")]
            for isa in Isa::available() {
                // SAFETY: the CPU has `isa`.
                let vector = match isa {
                    Isa::Avx2 => unsafe { run_mask_avx2(&b) },
                    Isa::Avx512Vbmi => unsafe { run_mask_vbmi(&b) },
                    Isa::Scalar => continue,
                };
                assert_eq!(vector, run_mask_scalar(&b), "{isa:?}");
                // A short block reads as if zeros followed it.
                for len in [0, 1, 31, 63] {
                    let mut short = b;
                    short[len..].fill(0);
                    // SAFETY: the CPU has `isa`.
                    let vector = match isa {
                        Isa::Avx2 => padded(&b[..len], |b| unsafe { run_mask_avx2(b) }),
                        _ => unsafe { run_mask_vbmi(&b[..len]) },
                    };
                    assert_eq!(vector, run_mask_scalar(&short), "{isa:?}, {len} bytes");
                }
            }
        }
    }

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
    fn short_values_and_short_pieces_are_not_remembered() {
        let mut m = SecretMemory::default();
        m.remember(b"short", 0);
        m.remember(b"has a space in it", 0);
        assert_eq!(m.entries.len(), 0);
        // Long token runs of a value with separators are remembered one by one.
        m.remember(b"1000000$FAKEsaltFAKEsalt12$FAKEhashFAKEhash0123456=", 0);
        assert_eq!(m.entries.len(), 2);
        let mut out = Vec::new();
        m.find(
            b"args=('pbkdf2_sha256$1000000$FAKEsaltFAKEsalt12$FAKEhashFAKEhash0123456=')",
            &mut out,
        );
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn memory_is_bounded() {
        let mut m = SecretMemory::default();
        let value = |i: usize| format!("FAKE{i:06}value000000");
        for i in 0..CAPACITY + 10 {
            m.remember(value(i).as_bytes(), 0);
        }
        assert!(m.entries.len() <= CAPACITY);
        // Past the bound the memory started over: the first values are gone, the last kept.
        let found = |i: usize| {
            let mut out = Vec::new();
            m.find(format!("x {} y", value(i)).as_bytes(), &mut out);
            !out.is_empty()
        };
        assert!(!found(0) && !found(CAPACITY - 1));
        assert!(found(CAPACITY) && found(CAPACITY + 9));
    }

    #[test]
    fn memory_is_bounded_in_bytes() {
        let mut m = SecretMemory::default();
        let value = |i: usize| format!("FAKE{i:04}{}", "v".repeat(MAX_BYTES / 4));
        for i in 0..5 {
            m.remember(value(i).as_bytes(), 0);
        }
        assert!(m.bytes.len() <= MAX_BYTES);
        let found = |i: usize| {
            let mut out = Vec::new();
            m.find(value(i).as_bytes(), &mut out);
            !out.is_empty()
        };
        // Four values would pass the bound: the fourth started over.
        assert!(!found(0) && !found(2));
        assert!(found(3) && found(4));
    }

    /// Values that share their first eight bytes share a chain: each is found, the longest
    /// that fits wins, and one remembered twice is stored once.
    #[test]
    fn values_with_one_prefix_are_chained() {
        let mut m = SecretMemory::default();
        m.remember(b"FAKEsameAAAAAAAA", 1);
        m.remember(b"FAKEsameBBBBBBBB", 2);
        m.remember(b"FAKEsameAAAAAAAAlonger", 3);
        m.remember(b"FAKEsameBBBBBBBB", 4);
        assert_eq!(m.entries.len(), 3);
        let find = |line: &[u8]| {
            let mut out = Vec::new();
            m.find(line, &mut out);
            out
        };
        assert_eq!(find(b"a FAKEsameBBBBBBBB"), vec![(2..18, 2)]);
        assert_eq!(find(b"a FAKEsameAAAAAAAAlonger"), vec![(2..24, 3)]);
        assert_eq!(find(b"a FAKEsameAAAAAAAAlong"), vec![(2..18, 1)]);
    }

    #[test]
    fn values_sharing_a_key_are_bounded() {
        // JWTs of one issuer share their first 36 bytes: a lookup must not walk them all.
        let mut m = SecretMemory::default();
        let values: Vec<Vec<u8>> = (0..3 * MAX_CHAIN)
            .map(|i| format!("eyJhbGciOiJIUzI1NiJ9FAKE{i:04}payload").into_bytes())
            .collect();
        for (i, v) in values.iter().enumerate() {
            m.remember(v, i);
        }
        assert_eq!(m.entries.len(), MAX_CHAIN);
        for (i, v) in values.iter().enumerate() {
            let mut out = Vec::new();
            m.find(&[b"x ", &v[..]].concat(), &mut out);
            let expected = if i < MAX_CHAIN {
                vec![(2..2 + v.len(), i)]
            } else {
                vec![]
            };
            assert_eq!(out, expected, "value {i}");
        }
        // Short values sharing their 12 bytes with long ones are indexed beside them.
        let mut m = SecretMemory::default();
        m.remember(b"FAKEsame0123456789", 1);
        m.remember(b"FAKEsame0123", 2);
        let mut out = Vec::new();
        m.find(b"a FAKEsame0123 b FAKEsame0123456789", &mut out);
        assert_eq!(out, vec![(2..14, 2), (17..35, 1)]);
    }
}
