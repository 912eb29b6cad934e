//! The first stage: where does a rule keyword occur (ASCII case-insensitive)?
//!
//! Nearly every log byte is in a line without a secret, so this is the hot loop. A DFA walk over
//! ~2,000 keywords (of ~260 rules) is latency-bound at one table lookup per byte; instead:
//!
//! 1. **Candidates** (SIMD, Teddy-style): each keyword's first bytes are put in one of 16
//!    buckets (32 with AVX2); table lookups of the bytes at every position tell which buckets could start
//!    there, for 32 or 64 positions at once, and a position is a candidate if any bucket
//!    survives. Two stages, picked at run time by what the CPU has: exact byte tables with
//!    AVX-512 VBMI ([`bytes`]), nibble tables with AVX2 ([`nibble`], also the scalar fallback).
//! 2. **Verification** ([`verify`]): the keywords sharing the candidate's first four (or
//!    fewer) bytes, found in a small hashed table, are compared eight bytes at a time; the
//!    longest one that really starts there is the hit.
//!
//! [`KeywordFinder::find`] therefore reports, from a position on, the leftmost position where a
//! keyword starts and the longest keyword there: the same as an unanchored leftmost-longest
//! search, without walking every byte through the automaton.

mod bytes;
mod nibble;
mod verify;

use aho_corasick::Match;
use bytes::ByteTables;
use nibble::NibbleTables;
use std::collections::BTreeMap;

/// The loop both vector stages share. `block(p, readable)` tests the `LANES` positions from
/// `p` (reading `LANES + window - 1` bytes, or only the `readable` ones if fewer, as if zeros
/// followed) and gives their candidate bits and line-end bits; `verify` confirms candidates.
/// The first confirmed keyword ends the search.
#[inline(always)]
fn search_blocks<const LANES: usize, L: LineEnds>(
    hay: &[u8],
    from: usize,
    window: usize,
    block: impl Fn(*const u8, usize) -> (u64, u64),
    verify: impl Fn(usize, u64) -> Option<Match>,
    lines: &mut L,
) -> Option<Match> {
    let span = LANES + window - 1;
    // Candidate bits fit a u64; `padded`'s block holds a span.
    assert!(LANES <= 64 && span <= 128);
    let mut step = |i: usize, candidates: u64, ends: u64| {
        let found = verify(i, candidates);
        lines.block(i, ends, found.as_ref());
        found
    };
    let mut i = from;
    while i + span <= hay.len() {
        let (candidates, ends) = block(hay[i..].as_ptr(), span);
        if let Some(m) = step(i, candidates, ends) {
            return Some(m);
        }
        i += LANES;
    }
    // The last bytes: short lines (most CloudWatch events, and the rest of every line after
    // its last keyword) are searched with the vector code too. The zeros that stand for the
    // bytes past the end may make candidates; the verifier, reading the real text, turns them
    // away (and they hold no line end).
    while i < hay.len() {
        let rest = hay.len() - i;
        let (candidates, ends) = block(hay[i..].as_ptr(), rest);
        let positions = rest.min(LANES);
        if let Some(m) = step(i, candidates & (u64::MAX >> (64 - positions)), ends) {
            return Some(m);
        }
        i += LANES;
    }
    None
}

/// `block(p)` on the `readable` bytes at `p` followed by zeros, for a stage without masked
/// loads: the bytes are copied into a padded block first.
///
/// # Safety
/// `readable` bytes at `p` are readable.
#[inline(always)]
unsafe fn padded<T>(
    p: *const u8,
    readable: usize,
    span: usize,
    block: impl Fn(*const u8) -> T,
) -> T {
    if readable >= span {
        return block(p);
    }
    let mut padded = [0u8; 128];
    // SAFETY: the caller's promise; `readable` < `span` <= 128.
    padded[..readable].copy_from_slice(unsafe { std::slice::from_raw_parts(p, readable) });
    block(padded.as_ptr())
}

/// What a search learns of line ends on its way, a block of 32 or 64 positions at a time.
pub(crate) trait LineEnds {
    /// Whether the stages should look for line ends at all.
    const COUNTS: bool;
    /// `ends` has a bit per position from `base` where a line ends; if `found` is in the
    /// block, only the ends before it count.
    fn block(&mut self, base: usize, ends: u64, found: Option<&Match>);
}

/// Plain searches ignore line ends.
impl LineEnds for () {
    const COUNTS: bool = false;
    #[inline]
    fn block(&mut self, _: usize, _: u64, _: Option<&Match>) {}
}

/// How many line ends a search crossed, and where the last one was.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LineCount {
    pub ends: u64,
    pub last: Option<usize>,
}

impl LineEnds for LineCount {
    const COUNTS: bool = true;
    #[inline]
    fn block(&mut self, base: usize, mut ends: u64, found: Option<&Match>) {
        if let Some(m) = found {
            let before = m.start() - base;
            ends &= if before >= 64 {
                u64::MAX
            } else {
                (1 << before) - 1
            };
        }
        if ends != 0 {
            self.ends += u64::from(ends.count_ones());
            self.last = Some(base + 63 - ends.leading_zeros() as usize);
        }
    }
}

/// The candidate stage the CPU allows, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Isa {
    Scalar,
    Avx2,
    Avx512Vbmi,
}

impl Isa {
    pub(crate) fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vbmi")
            {
                return Isa::Avx512Vbmi;
            }
            if std::is_x86_feature_detected!("avx2") {
                return Isa::Avx2;
            }
        }
        Isa::Scalar
    }

    /// Every stage this machine can run (the tests run each).
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Isa> {
        [Isa::Scalar, Isa::Avx2, Isa::Avx512Vbmi]
            .into_iter()
            .filter(|&isa| isa <= Isa::detect())
            .collect()
    }
}

pub struct KeywordFinder {
    verify: verify::KeywordTable,
    candidates: Candidates,
    isa: Isa,
}

/// The candidate stage's tables: only those of the stage the CPU runs are built (each costs a
/// bucket assignment, about a millisecond and a half of every start).
enum Candidates {
    /// AVX-512 VBMI.
    Bytes(Box<ByteTables>),
    /// AVX2, and the scalar fallback.
    Nibbles(Box<NibbleTables>),
}

impl KeywordFinder {
    pub fn new(keywords: &[String]) -> KeywordFinder {
        KeywordFinder::with_isa(keywords, Isa::detect())
    }

    /// A finder using the `isa` stage, which the CPU must have (tests run every stage the
    /// machine has).
    pub(crate) fn with_isa(keywords: &[String], isa: Isa) -> KeywordFinder {
        assert!(isa <= Isa::detect(), "{isa:?} is not available on this CPU");
        KeywordFinder {
            verify: verify::KeywordTable::new(keywords),
            candidates: match isa {
                Isa::Avx512Vbmi => Candidates::Bytes(ByteTables::new(keywords)),
                Isa::Avx2 | Isa::Scalar => {
                    Candidates::Nibbles(Box::new(NibbleTables::new(keywords)))
                }
            },
            isa,
        }
    }

    /// The leftmost keyword starting at or after `from`, the longest one at that position.
    pub fn find(&self, hay: &[u8], from: usize) -> Option<Match> {
        self.find_with(hay, from, &mut ())
    }

    /// Every position from `from` on where a keyword starts, with the longest keyword there,
    /// in order, appended to `out` until it holds `cap` hits: what [`KeywordFinder::find`]
    /// restarted one byte after each hit finds, in one pass. Returns whether it stopped at the
    /// cap (then the next hit is found from one byte after the last one in `out`).
    pub fn find_all(&self, hay: &[u8], from: usize, out: &mut Vec<Match>, cap: usize) -> bool {
        if out.len() >= cap {
            return true;
        }
        let found = std::cell::RefCell::new(out);
        let full = std::cell::Cell::new(false);
        let verify = |base: usize, mut candidates: u64| {
            while candidates != 0 {
                let at = base + candidates.trailing_zeros() as usize;
                candidates &= candidates - 1;
                if let Some(m) = self.verify_at(hay, at) {
                    let mut found = found.borrow_mut();
                    found.push(m);
                    if found.len() >= cap {
                        full.set(true);
                        // Stops the search.
                        return Some(m);
                    }
                }
            }
            None
        };
        if from >= hay.len() {
            return false;
        }
        #[cfg(target_arch = "x86_64")]
        match (self.isa, &self.candidates) {
            // SAFETY: the CPU has AVX-512 F, BW and VBMI (checked when the finder was built).
            (Isa::Avx512Vbmi, Candidates::Bytes(bytes)) => {
                unsafe { bytes.find_vbmi(hay, from, verify, &mut ()) };
                return full.get();
            }
            // SAFETY: the CPU has AVX2 (checked when the finder was built).
            (Isa::Avx2, Candidates::Nibbles(nibbles)) => {
                unsafe { nibbles.find_avx2(hay, from, verify, &mut ()) };
                return full.get();
            }
            _ => {}
        }
        let out = found.into_inner();
        let mut at = from;
        while let Some(m) = self.find_scalar(hay, at, &mut ()) {
            at = m.start() + 1;
            out.push(m);
            if out.len() >= cap {
                return true;
            }
        }
        false
    }

    /// [`KeywordFinder::find`], also counting the line ends before the keyword (or up to the
    /// end of `hay` if there is none) into `lines`, in the same pass.
    pub fn find_counting_lines(
        &self,
        hay: &[u8],
        from: usize,
        lines: &mut LineCount,
    ) -> Option<Match> {
        self.find_with(hay, from, lines)
    }

    fn find_with<L: LineEnds>(&self, hay: &[u8], from: usize, lines: &mut L) -> Option<Match> {
        if from >= hay.len() {
            return None;
        }
        let verify = |base: usize, candidates: u64| self.verify_candidates(hay, base, candidates);
        #[cfg(target_arch = "x86_64")]
        match (self.isa, &self.candidates) {
            // SAFETY: the CPU has AVX-512 F, BW and VBMI (checked when the finder was built).
            (Isa::Avx512Vbmi, Candidates::Bytes(bytes)) => {
                return unsafe { bytes.find_vbmi(hay, from, verify, lines) };
            }
            // SAFETY: the CPU has AVX2 (checked when the finder was built).
            (Isa::Avx2, Candidates::Nibbles(nibbles)) => {
                return unsafe { nibbles.find_avx2(hay, from, verify, lines) };
            }
            _ => {}
        }
        self.find_scalar(hay, from, lines)
    }

    fn find_scalar<L: LineEnds>(&self, hay: &[u8], from: usize, lines: &mut L) -> Option<Match> {
        // The nibble tables' test where they are built; every position is a candidate where
        // they are not (the scalar search is then a test's reference only).
        let may_start = |i: usize| match &self.candidates {
            Candidates::Nibbles(nibbles) => nibbles.may_start_at(hay, i),
            Candidates::Bytes(_) => true,
        };
        let found = (from..hay.len()).find_map(|i| {
            if may_start(i) {
                self.verify_at(hay, i)
            } else {
                None
            }
        });
        if L::COUNTS {
            let end = found.map_or(hay.len(), |m| m.start());
            for nl in memchr::memchr_iter(b'\n', &hay[from..end]) {
                lines.block(from + nl, 1, None);
            }
        }
        found
    }

    /// The longest keyword starting exactly at `i`.
    #[inline]
    fn verify_at(&self, hay: &[u8], i: usize) -> Option<Match> {
        self.verify.longest_at(hay, i)
    }

    /// The first verified keyword among `candidates`, one bit per position from `base`.
    #[inline]
    fn verify_candidates(&self, hay: &[u8], base: usize, mut candidates: u64) -> Option<Match> {
        while candidates != 0 {
            let at = base + candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            if let Some(m) = self.verify_at(hay, at) {
                return Some(m);
            }
        }
        None
    }
}

/// How often each printable byte (0x20 to 0x7e) occurs in log text, per 10,000 bytes (at
/// least 1): measured once on the Flask, Express, Lambda, Django, FastAPI, nginx and Node logs
/// of `testdata/` and on generated web-app logs. Both candidate stages fill their buckets by what they would let
/// through in real text, not in uniform bytes: a bucket that passes `/` plus any lowercase
/// letter costs far more than one passing `$2` plus a letter.
pub(super) static LOG_BYTE_PER_10K: [u16; 95] = [
    562, 1, 397, 9, 4, 1, 1, 219, 12, 12, 7, 10, 175, 231, 172, 124, //
    289, 297, 292, 161, 169, 150, 150, 121, 122, 120, 303, 11, 10, 27, 11, 4, //
    2, 46, 40, 40, 43, 60, 27, 44, 30, 49, 21, 19, 23, 30, 39, 32, //
    37, 17, 30, 47, 75, 40, 17, 25, 20, 17, 27, 28, 24, 28, 7, 69, //
    1, 369, 142, 224, 234, 592, 133, 98, 102, 237, 32, 53, 155, 166, 263, 326, //
    160, 42, 263, 275, 372, 135, 49, 39, 57, 72, 38, 41, 1, 41, 1,
];

/// How much log text a bucket lets through, as its windows are added one at a time: each
/// stage's own measure ([`bytes`], [`nibble`]). The bucket assignment asks what every bucket
/// would measure with a group added, for every group: grown from the bucket's summary, not
/// recounted from all its windows (that was a tenth of the start-up time).
trait Breadth: Clone + Default {
    /// The bucket with `window` (folded) added.
    fn add(&mut self, window: &[u8]);
    /// How many byte sequences the bucket lets through, weighted by how common they are.
    fn value(&self) -> u64;
}

/// Put each keyword's window (its first `window` bytes, folded with `fold`) in one of `n`
/// buckets.
///
/// Windows sharing their first two bytes go together (`sk0`…`skf` cost one bucket almost
/// nothing more than `sk0`); groups are then placed greedily where they widen a bucket least,
/// as `B` counts the byte sequences a bucket lets through.
fn assign_buckets<B: Breadth>(
    keywords: &[String],
    window: usize,
    fold: fn(u8) -> u8,
    n: usize,
) -> Vec<Vec<Vec<u8>>> {
    let mut windows: Vec<Vec<u8>> = keywords
        .iter()
        .map(|k| k.bytes().take(window).map(fold).collect())
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
    let with = |bucket: &B, group: &[Vec<u8>]| {
        let mut b = bucket.clone();
        group.iter().for_each(|w| b.add(w));
        b
    };
    let mut groups: Vec<Vec<Vec<u8>>> = groups.into_values().collect();
    groups.sort_by_cached_key(|g| std::cmp::Reverse(with(&B::default(), g).value()));

    let mut buckets: Vec<Vec<Vec<u8>>> = vec![Vec::new(); n];
    let mut measures = vec![B::default(); n];
    // Each bucket's breadth, kept up to date.
    let mut breadths = vec![0u64; n];
    for g in groups {
        let mut best = (u64::MAX, 0, B::default());
        for (i, m) in measures.iter().enumerate() {
            let grown = with(m, &g);
            let widened = grown.value() - breadths[i];
            if widened < best.0 {
                best = (widened, i, grown);
            }
        }
        let (widening, i, grown) = best;
        breadths[i] += widening;
        measures[i] = grown;
        buckets[i].extend(g);
    }
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasickBuilder, Input, MatchKind};
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
            "api_key",
            "a",
            // Bytes that share a table entry with another (`{`, `|`, DEL, a control byte).
            "[x\\",
            "@~",
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

    fn isas() -> Vec<Isa> {
        Isa::available()
    }

    /// Every keyword from `ours`, checking on the way that the counting search agrees with
    /// the plain one and counts the line ends before each hit (or to the end).
    fn ours(f: &KeywordFinder, hay: &[u8]) -> Vec<(usize, usize)> {
        let mut from = 0;
        loop {
            let mut lines = LineCount::default();
            let found = f.find_counting_lines(hay, from, &mut lines);
            assert_eq!(found, f.find(hay, from));
            let end = found.map_or(hay.len(), |m| m.start()).max(from);
            let searched = hay.get(from..end).unwrap_or_default();
            let expected = LineCount {
                ends: memchr::memchr_iter(b'\n', searched).count() as u64,
                last: memchr::memrchr(b'\n', searched).map(|n| from + n),
            };
            assert_eq!(lines, expected, "from {from}");
            match found {
                Some(m) => from = m.start() + 1,
                None => break,
            }
        }
        let hits = plain_hits(f, hay);
        // One pass finds what the restarted searches find, from any position.
        for from in [0, 1, hay.len() / 2] {
            let mut all = Vec::new();
            assert!(!f.find_all(hay, from, &mut all, usize::MAX));
            let all: Vec<(usize, usize)> = all.iter().map(|m| (m.start(), m.end())).collect();
            let expected: Vec<(usize, usize)> =
                hits.iter().copied().filter(|&(s, _)| s >= from).collect();
            assert_eq!(all, expected, "find_all from {from}");
            // In batches of at most 3, each resumed one byte after the last hit.
            let (mut batched, mut batch, mut at) = (Vec::new(), Vec::new(), from);
            loop {
                batch.clear();
                let full = f.find_all(hay, at, &mut batch, 3);
                assert!(batch.len() <= 3 && (full == (batch.len() == 3)));
                batched.extend(batch.iter().map(|m| (m.start(), m.end())));
                match batch.last() {
                    Some(m) if full => at = m.start() + 1,
                    _ => break,
                }
            }
            assert_eq!(batched, expected, "find_all from {from} in batches");
        }
        hits
    }

    fn plain_hits(f: &KeywordFinder, hay: &[u8]) -> Vec<(usize, usize)> {
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
        for isa in isas() {
            let f = KeywordFinder::with_isa(&words, isa);
            let hay = b"x TOKEN=1 Sess_id ftp://u:p@h SK1abc Sk0 a-----BEGIN key PW API_KEY";
            assert_eq!(ours(&f, hay), reference(&words, hay), "{isa:?}");
            // Long enough for the vector loops, with hits at the edges of 32- and 64-byte
            // blocks, and bytes that fold or alias onto keyword bytes (`\x7f` is `_ | 0x20`,
            // `\xc1` is `A` past seven bits).
            let mut long = vec![b'.'; 300];
            long[30..35].copy_from_slice(b"ToKeN");
            long[63..66].copy_from_slice(b"KEY");
            long[100..107].copy_from_slice(b"api\x7fkey");
            long[120..127].copy_from_slice(b"\xc1pi_key");
            long[127..134].copy_from_slice(b"aPi_KeY");
            long[297..300].copy_from_slice(b"://");
            assert_eq!(ours(&f, &long), reference(&words, &long), "{isa:?}");
            let found = ours(&f, &long);
            assert!(
                found.contains(&(127, 134)) && found.contains(&(297, 300)),
                "{isa:?}"
            );
            assert!(!found.contains(&(100, 107)) && !found.iter().any(|h| h.0 == 120));
        }
    }

    /// A keyword's DFA state can also carry a shorter keyword that ends there but starts
    /// later (`abc` carries `bc`): checked at a candidate, only keywords starting there count.
    #[test]
    fn a_keyword_inside_a_longer_prefix_is_found_where_it_starts() {
        let words: Vec<String> = ["abcd", "bc", "xyz"].map(String::from).to_vec();
        for isa in isas() {
            let f = KeywordFinder::with_isa(&words, isa);
            for hay in [&b"..abc.."[..], b"abcabcd", b"ABC xyabcd bcd"] {
                assert_eq!(ours(&f, hay), reference(&words, hay), "{isa:?}");
            }
            assert_eq!(ours(&f, b"..abc.."), vec![(3, 5)], "{isa:?}");
        }
    }

    #[test]
    fn keywords_at_the_end_of_any_length_of_text() {
        let words = words();
        for isa in isas() {
            let f = KeywordFinder::with_isa(&words, isa);
            for len in 3..200 {
                for kw in [&b"key"[..], b"api_key"] {
                    if kw.len() > len {
                        continue;
                    }
                    let mut hay = vec![b'.'; len];
                    // Line ends at the edges of 32- and 64-byte blocks.
                    for at in [0, 31, 32, 63, 64, 65, 127, 128] {
                        if at < len - kw.len() {
                            hay[at] = b'\n';
                        }
                    }
                    hay[len - kw.len()..].copy_from_slice(kw);
                    let found = ours(&f, &hay);
                    assert_eq!(found, reference(&words, &hay), "{isa:?}, {len} bytes");
                    assert_eq!(found.first(), Some(&(len - kw.len(), len)));
                }
            }
        }
    }

    #[test]
    fn scalar_and_vector_agree() {
        let words = words();
        let f = KeywordFinder::new(&words);
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
        let scalar = all(&|h, i| f.find_scalar(h, i, &mut ()));
        assert!(scalar.len() >= 40);
        assert_eq!(scalar, reference(&words, &hay));
        for isa in isas() {
            let f = KeywordFinder::with_isa(&words, isa);
            assert_eq!(scalar, all(&|h, i| f.find(h, i)), "{isa:?}");
        }
    }

    proptest! {
        #[test]
        fn same_as_an_unanchored_search(
            hay in proptest::collection::vec(
                prop_oneof![
                    Just(b't'), Just(b'O'), Just(b'k'), Just(b'e'), Just(b'N'), Just(b's'),
                    Just(b'S'), Just(b':'), Just(b'/'), Just(b'0'), Just(b'1'), Just(b'y'),
                    Just(b'p'), Just(b'W'), Just(b'a'), Just(b'-'), Just(b' '), Just(0xc3),
                    Just(b'_'), Just(b'I'), Just(0x7f), Just(0xe1), Just(b'\n'),
                    // Each differs from a keyword byte in bit 5 alone.
                    Just(b'{'), Just(b'['), Just(b'x'), Just(b'|'), Just(b'\\'), Just(b'`'),
                    Just(b'@'), Just(b'^'), Just(b'~'), Just(0x1a), Just(0x0f), Just(0x10),
                    any::<u8>(),
                ],
                0..300,
            )
        ) {
            // With one- and two-byte keywords, and without (then only the three- and
            // four-byte prefix tables are built).
            let long: Vec<String> = words().into_iter().filter(|w| w.len() >= 3).collect();
            for words in [words(), long] {
                let expected = reference(&words, &hay);
                for isa in isas() {
                    let f = KeywordFinder::with_isa(&words, isa);
                    prop_assert_eq!(&ours(&f, &hay), &expected, "{:?}", isa);
                }
            }
        }
    }
}
