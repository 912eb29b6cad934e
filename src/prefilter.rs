//! The first stage: where does a rule keyword occur (ASCII case-insensitive)?
//!
//! Nearly every log byte is in a line without a secret, so this is the hot loop. A DFA walk over
//! ~110 keywords is latency-bound at one table lookup per byte; instead:
//!
//! 1. **Candidates** (SIMD, Teddy-style): each keyword's first [`WINDOW`] bytes, case-folded, are
//!    put in one of 16 buckets; for every position, nibble lookups of the next bytes tell which
//!    buckets could start there. 32 positions are tested with a few AVX2 shuffles, so the text
//!    is crossed at several GB/s; a position is a candidate if any bucket survives. Folding is
//!    `byte | 0x20` (a superset of ASCII case-insensitivity, exact for letters).
//! 2. **Verification**: an anchored Aho-Corasick DFA (case-insensitive, leftmost-longest) at the
//!    candidate gives the longest keyword that really starts there, or nothing.
//!
//! [`KeywordFinder::find`] therefore reports, from a position on, the leftmost position where a
//! keyword starts and the longest keyword there: the same as an unanchored leftmost-longest
//! search, without walking every byte through the automaton.

use aho_corasick::{
    AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Anchored, BuildError, Input, Match,
    MatchKind, StartKind,
};
use std::collections::BTreeMap;

/// How many leading bytes of each keyword the candidate stage looks at.
const WINDOW: usize = 3;
/// Buckets: two sets of eight, one bit each.
const SETS: usize = 2;
const BUCKETS: usize = 8 * SETS;

/// Nibble tables of one window position: for each nibble value, the buckets it allows.
#[derive(Clone, Copy, Default)]
struct NibbleMasks {
    lo: [[u8; 16]; SETS],
    hi: [[u8; 16]; SETS],
}

pub struct KeywordFinder {
    verify: AhoCorasick,
    masks: [NibbleMasks; WINDOW],
    windows: Option<WindowSet>,
    #[cfg(target_arch = "x86_64")]
    avx2: bool,
}

impl KeywordFinder {
    pub fn new(keywords: &[String]) -> Result<KeywordFinder, BuildError> {
        let verify = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .kind(Some(AhoCorasickKind::DFA))
            .build(keywords)?;
        let masks = bucket_masks(keywords);
        Ok(KeywordFinder {
            verify,
            masks,
            windows: WindowSet::new(keywords),
            #[cfg(target_arch = "x86_64")]
            avx2: std::is_x86_feature_detected!("avx2"),
        })
    }

    /// The leftmost keyword starting at or after `from`, the longest one at that position.
    pub fn find(&self, hay: &[u8], from: usize) -> Option<Match> {
        if from >= hay.len() {
            return None;
        }
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: AVX2 is available, checked when the finder was built.
            return unsafe { self.find_avx2(hay, from) };
        }
        self.find_scalar(hay, from)
    }

    fn find_scalar(&self, hay: &[u8], from: usize) -> Option<Match> {
        (from..hay.len()).find_map(|i| {
            if self.may_start_at(hay, i) {
                self.verify_at(hay, i)
            } else {
                None
            }
        })
    }

    /// The candidate stage for one position, without SIMD.
    fn may_start_at(&self, hay: &[u8], i: usize) -> bool {
        (0..SETS).any(|s| {
            let mut m = 0xffu8;
            // Past the end every bucket survives: the verifier has the last word.
            for (k, masks) in self.masks.iter().enumerate() {
                if let Some(&b) = hay.get(i + k) {
                    let b = b | 0x20;
                    m &= masks.lo[s][(b & 0xf) as usize] & masks.hi[s][(b >> 4) as usize];
                }
            }
            m != 0
        })
    }

    /// The longest keyword starting exactly at `i`. The window set is checked first: it is
    /// much cheaper than starting the automaton, and most candidates fail it.
    #[inline]
    fn verify_at(&self, hay: &[u8], i: usize) -> Option<Match> {
        if let Some(windows) = &self.windows {
            if !windows.may_start(hay, i) {
                return None;
            }
        }
        let input = Input::new(hay).range(i..).anchored(Anchored::Yes);
        self.verify.find(input)
    }

    /// The first verified keyword among `candidates`, one bit per position from `base`.
    #[inline]
    fn verify_candidates(&self, hay: &[u8], base: usize, mut candidates: u32) -> Option<Match> {
        while candidates != 0 {
            let at = base + candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            if let Some(m) = self.verify_at(hay, at) {
                return Some(m);
            }
        }
        None
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn find_avx2(&self, hay: &[u8], from: usize) -> Option<Match> {
        use std::arch::x86_64::*;
        const LANES: usize = 32;
        const SPAN: usize = LANES + WINDOW - 1;
        let nibble = _mm256_set1_epi8(0x0f);
        let fold = _mm256_set1_epi8(0x20);
        let zero = _mm256_setzero_si256();
        // SAFETY: reads 16 bytes from a 16-byte array.
        let table = |t: &[u8; 16]| unsafe {
            _mm256_broadcastsi128_si256(_mm_loadu_si128(t.as_ptr() as *const __m128i))
        };
        let mut lo = [[zero; SETS]; WINDOW];
        let mut hi = [[zero; SETS]; WINDOW];
        for k in 0..WINDOW {
            for s in 0..SETS {
                lo[k][s] = table(&self.masks[k].lo[s]);
                hi[k][s] = table(&self.masks[k].hi[s]);
            }
        }
        // One bit per position of the 32 starting at `p`, set where a keyword may start.
        // SAFETY: the caller makes sure SPAN bytes are readable at `p`.
        let block = |p: *const u8| unsafe {
            let mut alive = [_mm256_set1_epi8(-1); SETS];
            for k in 0..WINDOW {
                let v = _mm256_or_si256(_mm256_loadu_si256(p.add(k) as *const __m256i), fold);
                let vlo = _mm256_and_si256(v, nibble);
                let vhi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
                for s in 0..SETS {
                    let m = _mm256_and_si256(
                        _mm256_shuffle_epi8(lo[k][s], vlo),
                        _mm256_shuffle_epi8(hi[k][s], vhi),
                    );
                    alive[s] = _mm256_and_si256(alive[s], m);
                }
            }
            let any = _mm256_or_si256(alive[0], alive[1]);
            !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(any, zero)) as u32)
        };

        let mut i = from;
        while i + SPAN <= hay.len() {
            if let Some(m) = self.verify_candidates(hay, i, block(hay[i..].as_ptr())) {
                return Some(m);
            }
            i += LANES;
        }
        // The last few bytes, copied into a padded block: short lines (most CloudWatch events)
        // are searched with the vector code too. Padding may make candidates; the verifier,
        // reading the real text, turns them away.
        while i < hay.len() {
            let rest = &hay[i..];
            let positions = rest.len().min(LANES);
            let mut padded = [0u8; 2 * LANES];
            padded[..rest.len()].copy_from_slice(rest);
            let candidates = block(padded.as_ptr()) & (u32::MAX >> (LANES - positions));
            if let Some(m) = self.verify_candidates(hay, i, candidates) {
                return Some(m);
            }
            i += LANES;
        }
        None
    }
}

/// The folded first four bytes of every keyword (three for three-byte keywords), as two small
/// hashed bit sets: false positives possible, false negatives not. Four bytes tell `api_key`
/// from the far more common `/api/`, which the candidate stage cannot.
struct WindowSet {
    three: BitSet,
    four: BitSet,
    any_three: bool,
}

struct BitSet([u64; 64]);

impl BitSet {
    #[inline]
    fn slot(v: u32) -> (usize, u64) {
        let h = (v.wrapping_mul(0x9E37_79B1) >> 20) as usize;
        (h / 64, 1 << (h % 64))
    }

    fn insert(&mut self, v: u32) {
        let (i, bit) = Self::slot(v);
        self.0[i] |= bit;
    }

    #[inline]
    fn contains(&self, v: u32) -> bool {
        let (i, bit) = Self::slot(v);
        self.0[i] & bit != 0
    }
}

#[inline]
fn folded(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .rev()
        .fold(0u32, |v, &b| v << 8 | u32::from(b | 0x20))
}

impl WindowSet {
    /// `None` if a keyword is shorter than three bytes (it may be followed by anything).
    fn new(keywords: &[String]) -> Option<WindowSet> {
        let mut set = WindowSet {
            three: BitSet([0; 64]),
            four: BitSet([0; 64]),
            any_three: false,
        };
        for k in keywords {
            match k.len() {
                0..=2 => return None,
                3 => {
                    set.three.insert(folded(k.as_bytes()));
                    set.any_three = true;
                }
                _ => set.four.insert(folded(&k.as_bytes()[..4])),
            }
        }
        Some(set)
    }

    #[inline]
    fn may_start(&self, hay: &[u8], i: usize) -> bool {
        if let Some(w) = hay.get(i..i + 4) {
            if self.four.contains(folded(w)) {
                return true;
            }
        }
        self.any_three
            && hay
                .get(i..i + 3)
                .is_some_and(|w| self.three.contains(folded(w)))
    }
}

/// Put each keyword's folded window in a bucket and build the nibble tables.
///
/// Windows sharing their first two bytes go together (`sk0`…`skf` cost one bucket almost
/// nothing more than `sk0`); groups are then placed greedily where they widen a bucket least,
/// counted as the printable byte triples the bucket would let through.
fn bucket_masks(keywords: &[String]) -> [NibbleMasks; WINDOW] {
    let mut windows: Vec<Vec<u8>> = keywords
        .iter()
        .map(|k| k.bytes().take(WINDOW).map(|b| b | 0x20).collect())
        .collect();
    windows.sort();
    windows.dedup();
    let mut groups: BTreeMap<Vec<u8>, Vec<Vec<u8>>> = BTreeMap::new();
    for w in windows {
        groups
            .entry(w[..w.len().min(2)].to_vec())
            .or_default()
            .push(w);
    }
    let mut groups: Vec<Vec<Vec<u8>>> = groups.into_values().collect();
    groups.sort_by_key(|g| std::cmp::Reverse(breadth(g.iter())));

    let mut buckets: Vec<Vec<Vec<u8>>> = vec![Vec::new(); BUCKETS];
    for g in groups {
        let cost = |b: &Vec<Vec<u8>>| {
            let before = if b.is_empty() { 0 } else { breadth(b.iter()) };
            breadth(b.iter().chain(g.iter())) - before
        };
        let best = (0..BUCKETS)
            .min_by_key(|&i| cost(&buckets[i]))
            .expect("there are buckets");
        buckets[best].extend(g);
    }

    let mut masks = [NibbleMasks::default(); WINDOW];
    for (bucket, windows) in buckets.iter().enumerate() {
        let (set, bit) = (bucket / 8, 1u8 << (bucket % 8));
        for w in windows {
            for (k, m) in masks.iter_mut().enumerate() {
                match w.get(k) {
                    Some(&b) => {
                        m.lo[set][(b & 0xf) as usize] |= bit;
                        m.hi[set][(b >> 4) as usize] |= bit;
                    }
                    // A keyword shorter than the window: any byte may follow.
                    None => {
                        for n in 0..16 {
                            m.lo[set][n] |= bit;
                            m.hi[set][n] |= bit;
                        }
                    }
                }
            }
        }
    }
    masks
}

/// How many printable byte sequences one bucket holding these windows lets through.
fn breadth<'a>(windows: impl Iterator<Item = &'a Vec<u8>> + Clone) -> u64 {
    (0..WINDOW)
        .map(|k| {
            let (mut lo, mut hi, mut open) = (0u16, 0u16, false);
            for w in windows.clone() {
                match w.get(k) {
                    Some(&b) => {
                        lo |= 1 << (b & 0xf);
                        hi |= 1 << (b >> 4);
                    }
                    None => open = true,
                }
            }
            if open {
                return 95;
            }
            (0x20u8..0x7f)
                .filter(|b| {
                    let b = b | 0x20;
                    lo & (1 << (b & 0xf)) != 0 && hi & (1 << (b >> 4)) != 0
                })
                .count() as u64
        })
        .product()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words() -> Vec<String> {
        [
            "token",
            "sess",
            "://",
            "sk0",
            "sk1",
            "key",
            "pw",
            "-----begin ",
            "a",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// The reference: a leftmost-longest search restarted one byte after each hit.
    fn reference(words: &[String], hay: &[u8]) -> Vec<(usize, usize)> {
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(words)
            .unwrap();
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(m) = ac.find(Input::new(hay).range(from..)) {
            out.push((m.start(), m.end()));
            from = m.start() + 1;
        }
        out
    }

    fn ours(f: &KeywordFinder, hay: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(m) = f.find(hay, from) {
            out.push((m.start(), m.end()));
            from = m.start() + 1;
        }
        out
    }

    #[test]
    fn finds_every_keyword_start_in_any_case() {
        let words = words();
        let f = KeywordFinder::new(&words).unwrap();
        let hay = b"x TOKEN=1 Sess_id ftp://u:p@h SK1abc Sk0 a-----BEGIN key PW";
        assert_eq!(ours(&f, hay), reference(&words, hay));
        // Long enough for the vector loop, with hits at the edges of 32-byte blocks.
        let mut long = vec![b'.'; 200];
        long[30..35].copy_from_slice(b"ToKeN");
        long[63..66].copy_from_slice(b"KEY");
        long[197..200].copy_from_slice(b"://");
        assert_eq!(ours(&f, &long), reference(&words, &long));
        assert_eq!(ours(&f, &long).len(), 3);
    }

    #[test]
    fn scalar_and_vector_agree() {
        let words = words();
        let f = KeywordFinder::new(&words).unwrap();
        let mut hay: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        for (i, w) in words.iter().cycle().take(40).enumerate() {
            let at = i * 97 + i % 5;
            hay[at..at + w.len()].copy_from_slice(w.as_bytes());
        }
        let all = |find: &dyn Fn(&[u8], usize) -> Option<Match>| {
            let mut out = Vec::new();
            let mut from = 0;
            while let Some(m) = find(&hay, from) {
                out.push((m.start(), m.end()));
                from = m.start() + 1;
            }
            out
        };
        let scalar = all(&|h, i| f.find_scalar(h, i));
        assert!(scalar.len() >= 40);
        assert_eq!(scalar, all(&|h, i| f.find(h, i)));
        assert_eq!(scalar, reference(&words, &hay));
    }

    proptest! {
        #[test]
        fn same_as_an_unanchored_search(
            hay in proptest::collection::vec(
                prop_oneof![
                    Just(b't'), Just(b'O'), Just(b'k'), Just(b'e'), Just(b'N'), Just(b's'),
                    Just(b'S'), Just(b':'), Just(b'/'), Just(b'0'), Just(b'1'), Just(b'y'),
                    Just(b'p'), Just(b'W'), Just(b'a'), Just(b'-'), Just(b' '), Just(0xc3),
                    any::<u8>(),
                ],
                0..300,
            )
        ) {
            // With short keywords every candidate goes to the automaton; without, most are
            // turned away by the window set first.
            let long: Vec<String> = words().into_iter().filter(|w| w.len() >= WINDOW).collect();
            for words in [words(), long] {
                let f = KeywordFinder::new(&words).unwrap();
                prop_assert_eq!(f.windows.is_some(), words.iter().all(|w| w.len() >= 3));
                prop_assert_eq!(ours(&f, &hay), reference(&words, &hay));
            }
        }
    }
}
