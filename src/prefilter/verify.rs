//! The second stage: which keyword, if any, really starts at a candidate position.
//!
//! Keywords are looked up by their first (up to four) bytes in small hashed tables, one per
//! prefix length, then compared eight bytes at a time. An automaton walk here cost a dependent
//! table lookup per byte (~14 cycles each), and a third of the candidates that reach this stage
//! are real keywords (`sess` in every `botocore.httpsession` line), so the walk was most of the
//! stage's time.

use aho_corasick::{Match, PatternID};

/// Slots per prefix table (a power of two). With the ~110 built-in keywords few slots are
/// shared; a shared slot only costs a comparison more.
const SLOT_BITS: u32 = 10;
const SLOTS: usize = 1 << SLOT_BITS;

/// Eight bytes of a keyword, as a test on eight bytes of text: `(text | fold) & care == value`.
/// `fold` is 0x20 under letters (either case matches), `care` is 0xff under the keyword's bytes
/// (0 past its end), `value` is the lowercase keyword.
#[derive(Clone, Copy)]
struct Word {
    value: u64,
    fold: u64,
    care: u64,
}

struct Keyword {
    /// The first eight bytes, inline: most keywords have no more.
    first: Word,
    pattern: PatternID,
    len: usize,
    /// The words after the first in [`KeywordTable::words`].
    more: std::ops::Range<usize>,
}

/// The keywords whose first `len` bytes (folded) hash to each slot, longest first.
struct PrefixTable {
    len: usize,
    /// The low `len` bytes of a little-endian `u32`.
    mask: u32,
    /// Slot `s` holds `members[starts[s]..starts[s + 1]]`.
    starts: Vec<u32>,
    members: Vec<u32>,
}

pub(super) struct KeywordTable {
    /// A bit per hashed (folded) four-byte prefix of the keywords of four bytes or more, and
    /// per two- or three-byte keyword: most candidates are turned away by a load or two here, before
    /// any table is walked (the SIMD stage's buckets let through many more sequences than the
    /// keywords start with, and a three-byte test would pass common words: `acc`ount,
    /// `sec`ond, `set`tings). `None` when some keyword is one byte long.
    prefixes: Option<PrefixBits>,
    /// One table per prefix length some keyword has (`min(len, 4)`), longest prefix first: a
    /// keyword found through a longer prefix is longer than any found through a shorter one.
    tables: Vec<PrefixTable>,
    keywords: Vec<Keyword>,
    words: Vec<Word>,
}

const PREFIX_BITS: usize = 1 << 16;

/// See [`KeywordTable::prefixes`]: one set of hashed prefixes for every keyword length. A
/// prefix is its first two, three or four bytes (four standing for every longer keyword), and
/// the lengths cannot collide: a folded byte is never zero, the bytes past a shorter prefix are.
struct PrefixBits(Box<[u64; PREFIX_BITS / 64]>);

impl PrefixBits {
    fn new(keywords: &[String]) -> Option<PrefixBits> {
        if keywords.iter().any(|k| k.len() == 1) {
            return None;
        }
        let mut bits = PrefixBits(Box::new([0; PREFIX_BITS / 64]));
        for k in keywords.iter().filter(|k| !k.is_empty()) {
            let slot = prefix_slot(le_prefix(k.as_bytes()) | FOLD, k.len().min(4));
            bits.0[slot / 64] |= 1 << (slot % 64);
        }
        Some(bits)
    }

    /// Could a keyword start with `folded`, the (folded) first bytes of the text at a
    /// candidate, `len` of them there?
    #[inline]
    fn may_start(&self, folded: u32, len: usize) -> bool {
        (2..=len.min(4)).rev().any(|n| {
            let slot = prefix_slot(folded, n);
            self.0[slot / 64] & (1 << (slot % 64)) != 0
        })
    }
}

/// The slot of the first `len` (2 to 4) bytes of `folded`.
#[inline]
fn prefix_slot(folded: u32, len: usize) -> usize {
    ((folded & mask(len)).wrapping_mul(0x9E37_79B1) >> 16) as usize
}

/// Up to four bytes as a little-endian `u32`, zeros past them.
#[inline]
fn le_prefix(bytes: &[u8]) -> u32 {
    match bytes.first_chunk::<4>() {
        Some(b) => u32::from_le_bytes(*b),
        None => bytes.iter().rev().fold(0, |v, &b| v << 8 | u32::from(b)),
    }
}

/// Bit 5 set in every byte: ASCII letters fold to lowercase, and a byte matching a keyword
/// byte (its other case, or itself) folds to the same value, so text and keyword hash alike.
const FOLD: u32 = 0x2020_2020;

/// The low `len` bytes of a `u32`.
fn mask(len: usize) -> u32 {
    u32::MAX >> (32 - 8 * len)
}

#[inline]
fn slot(prefix: u32) -> usize {
    (prefix.wrapping_mul(0x9E37_79B1) >> (32 - SLOT_BITS)) as usize
}

impl KeywordTable {
    /// The table for `keywords`, each matched ASCII case-insensitively; pattern `i` is
    /// `keywords[i]`. Empty keywords are never reported.
    pub(super) fn new(keywords: &[String]) -> KeywordTable {
        let mut words = Vec::new();
        let mut entries = Vec::new();
        for (i, k) in keywords.iter().enumerate() {
            if k.is_empty() {
                continue;
            }
            let mut chunks = Vec::new();
            for chunk in k.as_bytes().chunks(8) {
                let mut w = Word {
                    value: 0,
                    fold: 0,
                    care: 0,
                };
                for (j, &b) in chunk.iter().enumerate() {
                    let shift = 8 * j;
                    w.value |= u64::from(b.to_ascii_lowercase()) << shift;
                    w.fold |= u64::from(if b.is_ascii_alphabetic() { 0x20u8 } else { 0 }) << shift;
                    w.care |= 0xff << shift;
                }
                chunks.push(w);
            }
            let start = words.len();
            words.extend(&chunks[1..]);
            entries.push(Keyword {
                first: chunks[0],
                pattern: PatternID::new(i).expect("a pattern ID per keyword"),
                len: k.len(),
                more: start..words.len(),
            });
        }
        // Longest first; among equals (the same keyword twice) the first one given.
        entries.sort_by_key(|k| (std::cmp::Reverse(k.len), k.pattern));

        let mut tables = Vec::new();
        for len in (1..=4).rev() {
            let mut by_slot: Vec<Vec<u32>> = vec![Vec::new(); SLOTS];
            for (e, k) in entries.iter().enumerate() {
                if k.len.min(4) == len {
                    let prefix = le_prefix(keywords[k.pattern.as_usize()].as_bytes()) | FOLD;
                    by_slot[slot(prefix & mask(len))].push(e as u32);
                }
            }
            if by_slot.iter().all(Vec::is_empty) {
                continue;
            }
            let mut starts = Vec::with_capacity(SLOTS + 1);
            let mut members = Vec::new();
            for s in &by_slot {
                starts.push(members.len() as u32);
                members.extend(s);
            }
            starts.push(members.len() as u32);
            tables.push(PrefixTable {
                len,
                mask: mask(len),
                starts,
                members,
            });
        }
        KeywordTable {
            prefixes: PrefixBits::new(keywords),
            tables,
            keywords: entries,
            words,
        }
    }

    /// The longest keyword starting exactly at `i`.
    #[inline]
    pub(super) fn longest_at(&self, hay: &[u8], i: usize) -> Option<Match> {
        let rest = hay.get(i..)?;
        // Zeros past the end of the text do not matter: a table is only used where all of its
        // prefix is text.
        let folded = le_prefix(rest) | FOLD;
        if let Some(bits) = &self.prefixes
            && !bits.may_start(folded, rest.len())
        {
            return None;
        }
        for table in &self.tables {
            if rest.len() < table.len {
                continue;
            }
            let s = slot(folded & table.mask);
            let (from, to) = (table.starts[s] as usize, table.starts[s + 1] as usize);
            for &e in &table.members[from..to] {
                let k = &self.keywords[e as usize];
                if self.starts_with(k, rest) {
                    return Some(Match::new(k.pattern, i..i + k.len));
                }
            }
        }
        None
    }

    /// Does `text` start with keyword `k`?
    #[inline]
    fn starts_with(&self, k: &Keyword, text: &[u8]) -> bool {
        let test = |w: &Word, t: &[u8; 8]| (u64::from_le_bytes(*t) | w.fold) & w.care == w.value;
        let more = &self.words[k.more.clone()];
        // Whole words where the text has them (the bytes past the keyword are not cared
        // about), byte by byte near the end of the text.
        if let Some(t) = text.get(..8 * (1 + more.len())) {
            let (head, tail) = t.split_first_chunk::<8>().expect("eight bytes");
            return test(&k.first, head)
                && more
                    .iter()
                    .zip(tail.chunks_exact(8))
                    .all(|(w, t)| test(w, t.try_into().expect("eight bytes")));
        }
        let Some(text) = text.get(..k.len) else {
            return false;
        };
        text.iter().enumerate().all(|(j, &b)| {
            let w = if j < 8 { &k.first } else { &more[j / 8 - 1] };
            let shift = 8 * (j % 8);
            (u64::from(b) | (w.fold >> shift & 0xff)) == w.value >> shift & 0xff
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};
    use proptest::prelude::*;

    /// A two-byte keyword (a layered spelling such as `:\\`) once turned the prefix test off
    /// for every keyword: it must stay on, and exact, for keywords of two bytes or more.
    #[test]
    fn the_prefix_test_holds_for_short_keywords() {
        let words: Vec<String> = [":\\", "key", "token", "sess"].map(String::from).to_vec();
        let t = KeywordTable::new(&words);
        assert!(t.prefixes.is_some());
        for (hay, want) in [
            (&b":\\/x"[..], Some(0)),
            (b"KEY=", Some(1)),
            (b"session", Some(3)),
            (b"tokens", Some(2)),
            (b"account", None),
            (b"ke", None),
        ] {
            assert_eq!(t.longest_at(hay, 0).map(|m| m.pattern().as_usize()), want);
        }
        assert!(KeywordTable::new(&["k".to_string()]).prefixes.is_none());
    }

    /// The reference: an anchored leftmost-longest Aho-Corasick search at `i`.
    fn reference(keywords: &[String], hay: &[u8], i: usize) -> Option<Match> {
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .build(keywords)
            .unwrap();
        ac.find(Input::new(hay).range(i..).anchored(Anchored::Yes))
    }

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_longest_keyword_at_a_position_in_any_case() {
        let words = strings(&[
            "sess",
            "session",
            "sessionid",
            "-----begin ",
            "key",
            "k",
            "hooks.slack.com",
        ]);
        let t = KeywordTable::new(&words);
        let hay = b"SessionId=1 sEsS -----BEGIN RSA hooks.slack.COM/x KEY k";
        for i in 0..hay.len() {
            assert_eq!(t.longest_at(hay, i), reference(&words, hay, i), "at {i}");
        }
        assert_eq!(t.longest_at(hay, 0), Some(Match::must(2, 0..9)));
        // At the very end of the text, where whole words cannot be read.
        assert_eq!(
            t.longest_at(b"x hooks.slack.com", 2),
            Some(Match::must(6, 2..17))
        );
        assert_eq!(t.longest_at(b"x hooks.slack.co", 2), None);
    }

    #[test]
    fn folding_only_changes_the_case_of_letters() {
        // `_` | 0x20 is DEL, `@` | 0x20 is a backquote, 0xc1 | 0x20 is 0xe1: none of them match.
        let words = strings(&["api_key", "a@b", "clé"]);
        let t = KeywordTable::new(&words);
        for hay in [&b"api\x7fkey"[..], b"a`b", b"\xc1pi_key", "CLÉ".as_bytes()] {
            assert_eq!(t.longest_at(hay, 0), None, "{hay:?}");
        }
        assert_eq!(t.longest_at(b"API_KEY", 0), Some(Match::must(0, 0..7)));
        assert_eq!(t.longest_at(b"A@B", 0), Some(Match::must(1, 0..3)));
        assert_eq!(
            t.longest_at("CLé".as_bytes(), 0),
            Some(Match::must(2, 0..4))
        );
    }

    #[test]
    fn the_first_of_two_equal_keywords_is_reported() {
        let words = strings(&["", "Token", "token"]);
        let t = KeywordTable::new(&words);
        assert_eq!(t.longest_at(b"TOKEN", 0), Some(Match::must(1, 0..5)));
        assert_eq!(t.longest_at(b"", 0), None);
    }

    proptest! {
        #[test]
        fn same_as_an_anchored_automaton(
            words in proptest::collection::vec(
                proptest::collection::vec(
                    // Mostly two letters, so that keywords share prefixes and slots.
                    prop_oneof![
                        4 => Just('a'), 4 => Just('B'), 1 => Just('_'), 1 => Just('\x7f'),
                        1 => Just('é'), 1 => Just('-'), 1 => Just('@'),
                    ],
                    1..12,
                ),
                1..12,
            ),
            // The text: keywords (some upper-cased), each followed by a few bytes.
            pieces in proptest::collection::vec(
                (
                    any::<proptest::sample::Index>(),
                    any::<bool>(),
                    proptest::collection::vec(
                        // `é` is c3 a9, `É` c3 89.
                        prop_oneof![
                            4 => Just(b'A'), 4 => Just(b'b'), 1 => Just(b'_'), 1 => Just(0x7f),
                            1 => Just(0xc3), 1 => Just(0xa9), 1 => Just(0x89), 1 => Just(b'-'),
                            1 => Just(b'`'), 1 => Just(b'@'),
                        ],
                        0..4,
                    ),
                ),
                0..8,
            ),
        ) {
            let words: Vec<String> = words.into_iter().map(String::from_iter).collect();
            let mut hay = Vec::new();
            for (word, upper, after) in pieces {
                let w = &words[word.index(words.len())];
                hay.extend(if upper { w.to_uppercase() } else { w.clone() }.bytes());
                hay.extend(after);
            }
            let t = KeywordTable::new(&words);
            for i in 0..=hay.len() {
                prop_assert_eq!(t.longest_at(&hay, i), reference(&words, &hay, i), "at {}", i);
            }
        }
    }
}
