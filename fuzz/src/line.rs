//! The line scanner, after a one-byte header:
//!
//! * bit 0 clear: a `Scanner` over the lines of the text. Each line's findings (from
//!   `scan_line`, which carries state from line to line, and from `scan_fragment`, which does
//!   not) name an active rule, have non-empty spans inside the line, and are sorted and
//!   disjoint. `redact_text` (a `Redactor` line by line) gives the bytes `redact_stream` gives
//!   (which skips runs of lines without a keyword): one text, one result.
//! * bit 0 set: the keyword prefilter (`KeywordFinder`, SIMD with an unsafe padded tail) against
//!   aho-corasick's leftmost-longest search, ASCII case-insensitive, from every position the
//!   scanner would search from, and its line-end count; `find_all` gives in one pass the hits
//!   of `find` restarted one byte after each. Bit 1 picks the keywords: the built-in
//!   engine's, or up to 48 taken from the input (before its first 0x00 byte, separated by 0x01),
//!   lowercased and deduplicated as the engine does.
use crate::{ENGINE, STYLES, check_findings, first_difference, line_bodies, masker, stream};
use aho_corasick::{AhoCorasick, Input, MatchKind};
use std::sync::LazyLock;
use tokenscrub::prefilter::{KeywordFinder, LineCount};
use tokenscrub::{StreamOptions, redact_text};

/// One fuzz input.
pub fn run(data: &[u8]) {
    let Some((&h, text)) = data.split_first() else {
        return;
    };
    if h & 1 == 0 {
        scanner(text, h);
    } else if h & 2 == 0 {
        prefilter(&BUILTIN.0, &BUILTIN.1, text);
    } else {
        let (kw, hay) = match memchr_pos(text, 0) {
            Some(i) => (&text[..i], &text[i + 1..]),
            None => (text, &text[..0]),
        };
        let keywords = input_keywords(kw);
        if keywords.is_empty() {
            return;
        }
        let finder = KeywordFinder::new(&keywords);
        prefilter(&finder, &reference(&keywords), hay);
    }
}

fn memchr_pos(text: &[u8], b: u8) -> Option<usize> {
    text.iter().position(|&x| x == b)
}

fn scanner(text: &[u8], h: u8) {
    let engine = &*ENGINE;
    let mut scanner = engine.scanner();
    let mut found = Vec::new();
    for (n, line) in line_bodies(text).into_iter().enumerate() {
        scanner.scan_line(line, &mut found);
        check_findings(&ENGINE, &found, line.len(), "scan_line", n + 1);
        scanner.scan_fragment(line, &mut found);
        check_findings(&ENGINE, &found, line.len(), "scan_fragment", n + 1);
    }
    let m = masker(STYLES[usize::from((h >> 1) & 3)]);
    let by_lines = redact_text(engine, &m, text);
    let (streamed, _, _) = stream(engine, &m, text, StreamOptions::default());
    assert!(
        by_lines == streamed,
        "redact_text and redact_stream differ from byte {}",
        first_difference(&by_lines, &streamed)
    );
}

/// The engine's keywords: every rule's, and the fixed ones of the key blocks, DynamoDB
/// expressions and SQL statements (see `Engine::new`), lowercased, each once.
static BUILTIN: LazyLock<(KeywordFinder, AhoCorasick)> = LazyLock::new(|| {
    let mut keywords: Vec<String> = Vec::new();
    let fixed = [
        "expression",
        "insert into",
        "update ",
        "select ",
        "delete from",
        "-----begin ",
        "private-lines:",
    ];
    let all = ENGINE
        .rules()
        .iter()
        .flat_map(|r| r.keywords.iter().map(String::as_str))
        .chain(fixed);
    for k in all {
        let k = k.to_ascii_lowercase();
        if !keywords.contains(&k) {
            keywords.push(k);
        }
    }
    (KeywordFinder::new(&keywords), reference(&keywords))
});

/// Keywords from the input: separated by 0x01, non-empty, lowercased, each once, at most 48.
fn input_keywords(kw: &[u8]) -> Vec<String> {
    let mut keywords: Vec<String> = Vec::new();
    for k in kw.split(|&b| b == 1) {
        let k = String::from_utf8_lossy(k).to_ascii_lowercase();
        if !k.is_empty() && !keywords.contains(&k) && keywords.len() < 48 {
            keywords.push(k);
        }
    }
    keywords
}

fn reference(keywords: &[String]) -> AhoCorasick {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(keywords)
        .expect("aho-corasick builds")
}

/// The finder against the reference: from 0, then from one past each hit (as the scanner
/// searches), and from every 61st position; and the line ends counted on the way.
fn prefilter(finder: &KeywordFinder, reference: &AhoCorasick, hay: &[u8]) {
    let expect = |from: usize| {
        reference
            .find(Input::new(hay).span(from..hay.len()))
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
    };
    let check = |from: usize| {
        let got = finder
            .find(hay, from)
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()));
        let want = if from < hay.len() { expect(from) } else { None };
        assert_eq!(got, want, "find from {from} in {} bytes", hay.len());
        let mut lines = LineCount::default();
        let counted = finder
            .find_counting_lines(hay, from, &mut lines)
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()));
        assert_eq!(counted, want, "find_counting_lines from {from}");
        let stop = want.map_or(hay.len(), |w| w.0);
        let mut ends = LineCount::default();
        if from < hay.len() {
            for (i, &b) in hay[from..stop].iter().enumerate() {
                if b == b'\n' {
                    ends.ends += 1;
                    ends.last = Some(from + i);
                }
            }
        }
        assert_eq!(lines, ends, "line ends counted from {from} to {stop}");
        want
    };
    // `find` restarted one past each hit, against the reference; `find_all` must give the
    // same hits in one pass.
    let restarted = |mut from: usize| {
        let mut hits = Vec::new();
        while let Some(hit) = check(from) {
            hits.push(hit);
            from = hit.0 + 1;
        }
        hits
    };
    let mut all = Vec::new();
    for from in std::iter::once(0).chain((61..=hay.len()).step_by(61)) {
        let want = if from == 0 {
            restarted(0)
        } else {
            check(from).into_iter().collect()
        };
        all.clear();
        finder.find_all(hay, from, &mut all, usize::MAX);
        let got: Vec<_> = all
            .iter()
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        if from == 0 {
            assert_eq!(got, want, "find_all from 0");
        } else {
            assert_eq!(got.first(), want.first(), "find_all from {from}: first hit");
        }
    }
}
