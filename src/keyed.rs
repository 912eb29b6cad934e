//! Key-context secrets: find the value that follows a secret-bearing key, in every syntax logs use.
//!
//! The prefilter reports where a key keyword (`token`, `pass`, `cookie`…) occurs. From there this
//! module reads the whole key, asks the catalog which keyed rule owns it, and parses what follows:
//!
//! ```text
//! "k": "v"   'k': 'v'   'k': b'v'   k: 'v'   \"k\": \"v\"   k=v   k: v   K=v   <K>v</K>
//! ('k', 'v')   "k": {"S": "v"}   k: { S: 'v' }   k:⏎v   key v (prose, random-looking v only)
//! ```
//!
//! One hand-written pass serves all syntaxes: the quoting of the key tells how the value is
//! quoted (including JSON escaped inside JSON, at any depth), so the value's end is found without
//! a regex per syntax. Only the value is reported; key, quotes and separators stay.
//!
//! What bounds the work on a line (attackers write log lines): a key is read at most
//! [`MAX_KEY`] bytes each way from its keyword, and a keyword inside a key or value already read
//! is not read again; the end of each kind of value is remembered for the line
//! ([`ValueEnds`]), so many keys whose values run far share one read; a value longer than
//! [`MAX_VALUE`] is taken unread; a list gives at most [`MAX_LIST_VALUES`] values. Every other
//! step reads a bounded span after its keyword.

use crate::layers::ansi_len;
use crate::rules::validators::looks_random;
use crate::rules::{KeyedRule, Ownership, ValueSyntax, normalize_key};
use crate::work;
use foldhash::HashMap;
use memchr::memmem;
use std::ops::Range;
use std::sync::LazyLock;

/// A scanner's scratch space for reading keys: the normalized key, and which rule owns each
/// key already seen (a log repeats the same few keys on line after line; asking every rule
/// again showed up in profiles).
#[derive(Default)]
pub struct KeyScratch {
    /// The ends of the values read on the line being scanned.
    pub ends: ValueEnds,
    norm: Vec<u8>,
    /// foldhash: fast, and seeded per process (the keys come from the logs).
    owners: HashMap<Box<[u8]>, Option<(usize, Ownership)>>,
}

/// Where the values read on one line end, remembered: the end of a value is the first byte
/// from its start that ends it, so a value starting at or after an earlier one's start and
/// before its end ends there too. Without it, each of many keys in a line whose values run
/// far (`k: ` repeated with a cookie value, an unterminated quote, `<k>` without `</`) would
/// read the rest of the line: the square of its length. Start it over for every line
/// ([`ValueEnds::new_line`]).
#[derive(Default)]
pub struct ValueEnds {
    /// `(what ends it, from, end)` of the last value of each kind read on this line.
    last: Vec<(EndKind, usize, usize)>,
    /// The last unquoted cookie header value read on this line: its pairs were all examined,
    /// so a `cookie` keyword inside it (a value that ends where it does) adds nothing.
    cookies: Option<Range<usize>>,
    /// The values found on this line by keys, by start (see [`ValueEnds::inside_a_value`]).
    found: Vec<Range<usize>>,
    /// How many of `found` start at or before the last position asked about, and the
    /// furthest end among them.
    found_seen: usize,
    found_reach: usize,
    /// Where the delimited token holding the last position asked about starts, and that
    /// position (see [`in_arn`]): the next question reads on from there.
    token: (usize, usize),
    /// Where the last clause read after a secret noun in prose ended: a clause read on from
    /// a noun inside it starts there (see [`KeyedMatcher::parse_clause`]).
    clause_to: usize,
}

/// What ends a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EndKind {
    /// An unquoted value (a cookie header's runs to the line's end).
    Unquoted { to_line_end: bool },
    /// A closing quote `quote` after `esc` backslashes.
    Quote { quote: u8, esc: usize },
    /// An XML element's closing tag.
    XmlClose,
}

impl ValueEnds {
    pub fn new_line(&mut self) {
        self.last.clear();
        self.cookies = None;
        self.found.clear();
        self.found_seen = 0;
        self.found_reach = 0;
        self.token = (0, 0);
        self.clause_to = 0;
    }

    /// Where the whitespace-, quote- or punctuation-delimited token holding `at` starts.
    /// Asked with positions that grow (keys, left to right), it reads each byte once a line;
    /// asked further back, it reads back at most [`MAX_KEY`] bytes.
    fn token_start(&mut self, line: &[u8], at: usize) -> usize {
        let delimits = |b: u8| {
            b.is_ascii_whitespace() || is_quote(b) || matches!(b, b'=' | b'(' | b'[' | b',')
        };
        let (start, to) = self.token;
        if at < to {
            let floor = at.saturating_sub(MAX_KEY);
            work::read(at - floor);
            return (line[floor..at].iter().rposition(|&b| delimits(b)))
                .map_or(floor, |p| floor + p + 1);
        }
        work::read(at - to);
        let start = (line[to..at].iter().rposition(|&b| delimits(b))).map_or(start, |p| to + p + 1);
        self.token = (start, at);
        start
    }

    /// A key's value was found at `span` (keys are parsed left to right, so spans come by
    /// start).
    fn add_found(&mut self, span: Range<usize>) {
        self.found.push(span);
    }

    /// Is `pos` inside a value found before on this line? Asked with positions that only grow
    /// (keyword hits, left to right): a walk over the values, once per line.
    fn inside_a_value(&mut self, pos: usize) -> bool {
        while let Some(v) = self.found.get(self.found_seen)
            && v.start <= pos
        {
            self.found_reach = self.found_reach.max(v.end);
            self.found_seen += 1;
        }
        pos < self.found_reach
    }

    /// Is the cookie header value `span` inside the one read before? If not, it is the one
    /// read now.
    fn cookies_read(&mut self, span: &Range<usize>) -> bool {
        if let Some(c) = &self.cookies
            && c.contains(&span.start)
            && c.end == span.end
        {
            return true;
        }
        self.cookies = Some(span.clone());
        false
    }

    /// The end of a value of `kind` starting at `from`, from memory or from `find`.
    fn end(&mut self, kind: EndKind, from: usize, find: impl FnOnce() -> usize) -> usize {
        if let Some(&(_, f, e)) = self
            .last
            .iter()
            .find(|(k, f, e)| *k == kind && (*f..=*e).contains(&from))
        {
            debug_assert!(f <= from);
            return e;
        }
        let end = find();
        match self.last.iter_mut().find(|(k, _, _)| *k == kind) {
            Some(slot) => *slot = (kind, from, end),
            None => self.last.push((kind, from, end)),
        }
        end
    }
}

/// Past this many distinct keys the owner cache starts over (memory stays bounded).
const OWNER_CACHE: usize = 4096;

/// A value found for a keyed rule: `rule` indexes the matcher's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyedHit {
    pub rule: usize,
    pub span: Range<usize>,
}

/// A secret key that ended its line: the value is expected on the next line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pending {
    pub rule: usize,
}

pub(crate) struct KeyedMatcher {
    pub rules: Vec<KeyedRule>,
}

/// Bytes of a key, as a table: the key around every keyword hit is measured byte by byte.
static KEY_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.');
        b += 1;
    }
    t
};

fn is_key_byte(b: u8) -> bool {
    KEY_BYTE[b as usize]
}

/// No key is longer: an identifier that is (`tokentokentoken…`) is not read to its ends at
/// every keyword inside it, which would cost the square of its length.
pub const MAX_KEY: usize = 256;

/// A value under a secret key longer than this is masked without being checked.
pub const MAX_VALUE: usize = 64 * 1024;

fn is_quote(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'`')
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t')
}

/// Number of backslashes immediately before `pos`.
fn backslashes_before(line: &[u8], pos: usize) -> usize {
    let n = line[..pos]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count();
    work::read(n + 1);
    n
}

/// Skip blanks, and the ANSI colour codes a coloured logger puts around a value (from `i`,
/// which may be past the line's end: then the end).
fn skip_spaces(line: &[u8], i: usize) -> usize {
    let from = i.min(line.len());
    let mut i = from;
    loop {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        match ansi_len(&line[i..]) {
            0 => {
                work::read(i - from + 1);
                return i;
            }
            n => i += n,
        }
    }
}

/// An opening quote at `i`, possibly escaped (`\"`, `\\\"`): returns (quote byte, escape count,
/// index after the quote).
fn opening_quote(line: &[u8], i: usize) -> Option<(u8, usize, usize)> {
    let mut j = i;
    while j < line.len() && line[j] == b'\\' {
        j += 1;
    }
    work::read(j - i + 1);
    if j < line.len() && is_quote(line[j]) {
        Some((line[j], j - i, j + 1))
    } else {
        None
    }
}

/// The end of a quoted value that opened with `quote` escaped by `esc` backslashes: the first
/// `quote` preceded by the same escaping (a deeper-escaped quote is content). Returns the index of
/// the closing sequence's first byte, or the line end when the value is cut off.
fn closing_quote(line: &[u8], from: usize, quote: u8, esc: usize, ends: &mut ValueEnds) -> usize {
    ends.end(EndKind::Quote { quote, esc }, from, || {
        first_closing_quote(line, from, quote, esc)
    })
}

/// The end of a quoted value as [`closing_quote`] finds it, read on over doubled quotes: SQL
/// and YAML write a quote inside a single-quoted string as two (`'ab''cd'`), CSV inside a
/// double-quoted one, and Python joins adjacent literals. Only where the value goes on after
/// the pair: in a decoded view, `"A \""}` reads `"A ""}`, whose `""` ends the string. (Not a
/// layer of the view: decoding `''` everywhere would close every empty string of a repr.)
fn quoted_value_end(line: &[u8], body: usize, q: u8, esc: usize, ends: &mut ValueEnds) -> usize {
    let mut end = closing_quote(line, body, q, esc, ends);
    while esc == 0
        && end > body
        && line.get(end + 1) == Some(&q)
        && line
            .get(end + 2)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b"+/=_-.!@#$%^&*~".contains(&b))
    {
        end = closing_quote(line, end + 2, q, esc, ends);
    }
    end
}

fn first_closing_quote(line: &[u8], from: usize, quote: u8, esc: usize) -> usize {
    let mut i = from;
    while let Some(off) = memchr::memchr(quote, &line[i..]) {
        let q = i + off;
        let run = backslashes_before(line, q);
        let closes = if run == esc {
            true
        } else {
            run > esc && (run - esc).is_multiple_of(2 * (esc + 1))
        };
        if closes && q - esc >= from {
            work::read(q - from + 1);
            return q - esc;
        }
        i = q + 1;
    }
    work::read(line.len() - from);
    line.len()
}

/// `Name(` at `v`, a wrapper or constructor call: where its parenthesis opens.
fn wrapper_call(line: &[u8], v: usize) -> Option<usize> {
    let name = line[v..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
        .count();
    work::read(name + 1);
    (name > 0 && line.get(v + name) == Some(&b'(')).then_some(v + name)
}

/// The most strings read from one list value.
const MAX_LIST_VALUES: usize = 8;

/// Is the quoted string at `v` the last of its tuple (a closing bracket right after it)?
fn closes_a_pair(line: &[u8], v: usize, ends: &mut ValueEnds) -> bool {
    let Some((q, esc, body)) = opening_quote(line, v) else {
        return false;
    };
    let end = closing_quote(line, body, q, esc, ends);
    let after = skip_spaces(line, (end + esc + 1).min(line.len()));
    let next = skip_spaces(line, after + 1);
    matches!(line.get(after), Some(b')' | b']'))
        && !line
            .get(next..next + 6)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"values"))
}

/// Does a quote at `i` end an unquoted value? Only when nothing token-like follows it, so that
/// `password=ab"cd` keeps its quote while `'sid=abc'` ends at it.
fn quote_ends_value(line: &[u8], i: usize) -> bool {
    match line.get(i + 1) {
        None => true,
        Some(&n) => !(n.is_ascii_alphanumeric() || matches!(n, b'_' | b'-' | b'+' | b'/' | b'=')),
    }
}

/// Is position `at` inside an ARN (the whitespace- or quote-delimited token starts `arn:`)?
/// (A line of `:key` repeated is one token: its start is read once, not once per key.)
fn in_arn(line: &[u8], at: usize, ends: &mut ValueEnds) -> bool {
    if at == 0 || line[at - 1] != b':' {
        return false;
    }
    let start = ends.token_start(line, at);
    line[start..at].starts_with(b"arn:")
}

/// End of an unquoted value starting at `i`.
fn unquoted_end(line: &[u8], i: usize, syntax: ValueSyntax, ends: &mut ValueEnds) -> usize {
    let to_line_end = matches!(syntax, ValueSyntax::Cookie | ValueSyntax::SetCookie);
    ends.end(EndKind::Unquoted { to_line_end }, i, || {
        first_unquoted_end(line, i, to_line_end)
    })
}

fn first_unquoted_end(line: &[u8], mut i: usize, to_line_end: bool) -> usize {
    let from = i;
    while i < line.len() {
        let b = line[i];
        let stop = match b {
            b'\\' | b'\r' | b'\n' | 0x1b => true,
            b'"' | b'\'' | b'`' => quote_ends_value(line, i),
            // A cookie header's pairs are separated by `; ` (and a date's parts by `, `): any
            // other blank ends it (`cookie=a=1 user=42` in logfmt).
            b' ' | b'\t' if to_line_end => {
                i > 0 && !matches!(line[i - 1], b';' | b',' | b' ' | b'\t')
            }
            b' ' | b'\t' | b'&' | b';' | b',' | b')' | b']' | b'}' | b'>' | b'<' | b'|' => {
                !to_line_end || matches!(b, b'>' | b'<')
            }
            _ => false,
        };
        if stop {
            break;
        }
        i += 1;
    }
    work::read(i - from + 1);
    i
}

/// `r` without the ANSI colour codes at its ends (`\e[32m[FILTERED]\e[39m`).
fn trim_colours(line: &[u8], mut r: Range<usize>) -> Range<usize> {
    while r.start < r.end {
        match ansi_len(&line[r.start..r.end]) {
            0 => break,
            n => r.start += n,
        }
    }
    // A code at the end: its ESC is among the last few bytes (`ESC [ 39 m`; parameters are
    // short, so the look back is bounded).
    while let Some(esc) = line[r.start.max(r.end.saturating_sub(16))..r.end]
        .iter()
        .rposition(|&b| b == 0x1b)
        .map(|o| r.start.max(r.end.saturating_sub(16)) + o)
    {
        if ansi_len(&line[esc..r.end]) != r.end - esc {
            break;
        }
        r.end = esc;
    }
    work::read(16);
    r
}

fn trim(line: &[u8], mut r: Range<usize>) -> Range<usize> {
    while r.start < r.end && line[r.start].is_ascii_whitespace() {
        r.start += 1;
    }
    while r.end > r.start && line[r.end - 1].is_ascii_whitespace() {
        r.end -= 1;
    }
    r
}

const STOPWORDS: &[&str] = &[
    "null",
    "none",
    "nil",
    "undefined",
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "n/a",
    "empty",
    "redacted",
    "hidden",
    "masked",
    "filtered",
    "[filtered]",
    "required",
    "optional",
    "bearer",
    "basic",
    "string",
    "object",
    "[object]",
    "[object object]",
    "[function]",
    "[getter]",
    "[array]",
    "[redacted]",
    "<redacted>",
    "<hidden>",
    "not set",
    "unset",
];

/// A value that is already masked (ours or someone else's): never masked again, which is what
/// makes scrubbing idempotent.
pub(crate) fn is_masked(v: &[u8]) -> bool {
    let stars = v.iter().take_while(|&&b| b == b'*').count();
    static STARS: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(b"****"));
    (stars >= 3 && v.len() - stars <= 4) || REDACTED.find(v).is_some() || STARS.find(v).is_some()
}

/// Where our masks start. Searchers are built once: building one per call showed up in
/// profiles.
static REDACTED: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"[REDACTED"));

/// Our masks in `line` (`[REDACTED:rule]`, `[REDACTED:rule:1a2b]`), in order, into `out`
/// (cleared first): found once per line, whatever the number of findings.
pub(crate) fn our_masks(line: &[u8], out: &mut Vec<Range<usize>>) {
    work::read(line.len());
    out.clear();
    let mut from = 0;
    while let Some(at) = REDACTED.find(&line[from..]).map(|o| from + o) {
        let end = memchr::memchr(b']', &line[at..]).map_or(line.len(), |o| at + o + 1);
        out.push(at..end);
        from = end;
    }
}

/// Does `span` touch one of `masks` (from [`our_masks`])? A mask's rule id after its colon
/// must never read as a password (`https://[REDACTED:x]@h`).
pub(crate) fn touches_a_mask(masks: &[Range<usize>], span: &Range<usize>) -> bool {
    let i = masks.partition_point(|m| m.end <= span.start);
    masks.get(i).is_some_and(|m| m.start < span.end)
}

/// `%s`, `%(name)s`, `%d`: a format string that was never filled in.
fn is_format_spec(v: &[u8]) -> bool {
    match v {
        [b'%', b's' | b'd' | b'r' | b'v'] => true,
        [b'%', b'(', rest @ .., b')', b's' | b'd' | b'r'] => {
            rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        }
        _ => false,
    }
}

fn is_placeholder(v: &[u8]) -> bool {
    let starts = |p: &[u8]| v.starts_with(p);
    starts(b"${")
        || starts(b"{{")
        || is_format_spec(v)
        || starts(b"<%")
        || (starts(b"<") && v.ends_with(b">"))
        || (starts(b"$") && v[1..].iter().all(|b| b.is_ascii_uppercase() || *b == b'_'))
        // Another redactor's label (`[FILTERED]`), maybe cut at its bracket by the value's end.
        || (starts(b"[")
            && v.len() > 1
            && v[1..]
                .iter()
                .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'-' | b' ' | b']')))
        || v.iter()
            .all(|&b| b == b'x' || b == b'X' || b == b'*' || b == b'.')
}

/// A URL path of words (`/admin/setup`, `/files/invoice-2026-01.pdf`): where a router or a
/// log line names a route, not a secret. A path with a random-looking segment is no such path.
fn is_word_path(v: &[u8]) -> bool {
    v.len() > 1
        && v[0] == b'/'
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'.'))
        && !v.split(|&b| b == b'/').any(|seg| looks_random(seg, 12))
}

/// A source location, `function:line` (`load:1263`, `<module>:12`), as loguru and others
/// write after a logger name.
fn is_source_location(v: &[u8]) -> bool {
    let Some(colon) = memchr::memrchr(b':', v) else {
        return false;
    };
    let (name, line) = (&v[..colon], &v[colon + 1..]);
    !name.is_empty()
        && !line.is_empty()
        && line.len() <= 6
        && line.iter().all(u8::is_ascii_digit)
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'<' | b'>'))
        && !looks_random(name, 12)
}

fn is_number(v: &[u8]) -> bool {
    let body = v.strip_prefix(b"-").unwrap_or(v);
    !body.is_empty() && body.iter().all(|b| b.is_ascii_digit() || *b == b'.')
}

/// Mixes character classes the way generated values do (and words do not).
fn token_like(v: &[u8]) -> bool {
    if memchr::memchr2(b' ', b'\t', v).is_some() {
        return false;
    }
    let (mut lower, mut upper, mut digit, mut symbol) = (false, false, false, false);
    for &b in v {
        match b {
            b'a'..=b'z' => lower = true,
            b'A'..=b'Z' => upper = true,
            b'0'..=b'9' => digit = true,
            _ => symbol = true,
        }
        // More bytes cannot undo it: stop at once (session tokens run to hundreds of bytes).
        if (lower as u8 + upper as u8 + digit as u8 + symbol as u8) >= 2 && (digit || upper) {
            return true;
        }
    }
    (lower as u8 + upper as u8 + digit as u8 + symbol as u8) >= 2 && v.len() >= 20
}

/// A quoted value with spaces that is no phrase (`'J 1WNOK74=!+uK3'`): a few parts, one of
/// which mixes letters with digits or symbols as generated passwords do and words do not.
fn generated_with_spaces(v: &[u8]) -> bool {
    let parts = v.split(|&b| b == b' ').filter(|p| !p.is_empty());
    let mixed = |p: &[u8]| {
        let letter = p.iter().any(u8::is_ascii_alphabetic);
        let other = p
            .iter()
            .any(|b| b.is_ascii_digit() || b"!@#$%^&*=+?~|<>".contains(b));
        letter && other
    };
    v.len() <= 128 && parts.clone().count() <= 4 && parts.clone().any(mixed)
}

/// A pass-phrase as password rules ask for one (`Cobalt nectar velvet 41#`): two to six
/// words, with a digit and a capital or a symbol; a message in quotes (`'too short'`) has
/// neither.
fn pass_phrase(v: &[u8]) -> bool {
    let words = v.split(|&b| b == b' ').filter(|w| !w.is_empty()).count();
    let digit = v.iter().any(u8::is_ascii_digit);
    let capital_or_symbol = v
        .iter()
        .any(|b| b.is_ascii_uppercase() || b"!@#$%^&*=+?~|<>".contains(b));
    v.len() <= 64 && (2..=6).contains(&words) && digit && capital_or_symbol
}

/// How far a clause after a secret noun in prose is read ([`KeyedMatcher::parse_clause`]).
const CLAUSE_MAX: usize = 192;
const CLAUSE_WORDS: usize = 10;

/// `8-4-4-4-12` hex: a request or record id, random-looking but never a secret of its own.
fn is_uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

impl KeyedMatcher {
    pub fn new(rules: Vec<KeyedRule>) -> KeyedMatcher {
        KeyedMatcher { rules }
    }

    /// The keyed rule that owns `key` in every syntax.
    pub fn owner(&self, key: &[u8], scratch: &mut KeyScratch) -> Option<usize> {
        match self.owner_in_any_syntax(key, scratch) {
            Some((rule, Ownership::Any)) => Some(rule),
            _ => None,
        }
    }

    fn owner_in_any_syntax(
        &self,
        key: &[u8],
        scratch: &mut KeyScratch,
    ) -> Option<(usize, Ownership)> {
        // Our own mask (or its inside, a bracketed SQL name) names a rule, never a key: the
        // mask of a value wrongly taken once must not make its neighbours secret next time.
        if key.starts_with(b"[REDACTED") || key.starts_with(b"REDACTED:") {
            return None;
        }
        if let Some(&owner) = scratch.owners.get(key) {
            return owner;
        }
        let norm = &mut scratch.norm;
        normalize_key(key, norm);
        let owner = if norm.is_empty() {
            None
        } else {
            self.rules
                .iter()
                .enumerate()
                .find_map(|(i, r)| r.owns(norm).map(|o| (i, o)))
        };
        if scratch.owners.len() >= OWNER_CACHE {
            scratch.owners.clear();
        }
        scratch.owners.insert(key.into(), owner);
        owner
    }

    /// Is `v` a plausible secret for `rule`?
    fn accept(&self, rule: usize, v: &[u8]) -> bool {
        let r = &self.rules[rule];
        if v.len() < r.min_len
            || is_masked(v)
            || is_placeholder(v)
            || is_number(v)
            || is_word_path(v)
            || is_source_location(v)
        {
            return false;
        }
        if STOPWORDS
            .iter()
            .any(|s| s.as_bytes().eq_ignore_ascii_case(v))
        {
            return false;
        }
        if r.token_like && !token_like(v) {
            return false;
        }
        if r.random && !looks_random(v, r.min_len) {
            return false;
        }
        !r.allowlist.iter().any(|re| re.is_match(v))
    }

    /// [`KeyedMatcher::accept`] for a value of any length: one longer than [`MAX_VALUE`] (an
    /// unterminated quote, a value run to the line's end) is taken as it is, unread. Checking
    /// it would read it whole, and a rejected one is read again from every key inside it: the
    /// square of the line. Masking such a value loses nothing a log reader needs.
    fn accept_value(&self, rule: usize, v: &[u8]) -> bool {
        v.len() > MAX_VALUE || self.accept(rule, v)
    }

    /// Look at the key around a keyword hit at `hit`. `done_to` is the end of the last key already
    /// parsed on this line (a key is parsed once even if several keywords hit it). Findings go to
    /// `out`; a key that ends the line with its separator returns the pending state for the next.
    pub fn scan_at(
        &self,
        line: &[u8],
        hit: Range<usize>,
        done_to: &mut usize,
        keys: &mut KeyScratch,
        out: &mut Vec<KeyedHit>,
    ) -> Option<Pending> {
        // A keyword may open with the key's quote (`"code"`: not `statusCode`) or its tag
        // (`<code>`).
        let hit = if is_quote(line[hit.start]) || line[hit.start] == b'<' {
            hit.start + 1..hit.end
        } else {
            hit
        };
        // Inside a key already read (one long identifier), or inside a value found (a key in
        // a secret is part of it: `token=token=…` would read the line once per key). A key
        // between the values found inside a long read (the pairs of a cookie header that
        // runs to the line's end) is still a key.
        if hit.start < *done_to || keys.ends.inside_a_value(hit.start) {
            return None;
        }
        let floor = hit.start.saturating_sub(MAX_KEY);
        let mut ks = hit.start;
        while ks > floor && is_key_byte(line[ks - 1]) {
            ks -= 1;
        }
        // The key is the identifier around the keyword's start (a keyword such as
        // `signature=` may run past the key).
        let ceiling = line.len().min(hit.start + MAX_KEY);
        let mut ke = hit.start;
        while ke < ceiling && is_key_byte(line[ke]) {
            ke += 1;
        }
        work::read(ke - ks + 1);
        let cut =
            |i: usize| i > 0 && i < line.len() && is_key_byte(line[i - 1]) && is_key_byte(line[i]);
        if cut(ks) || cut(ke) {
            *done_to = ke;
            return None;
        }
        // Sentence punctuation is not part of a key ("the password." / "api-key-").
        while ke > hit.start + 1 && matches!(line[ke - 1], b'.' | b'-') {
            ke -= 1;
        }
        if ke <= hit.start {
            return None;
        }
        // A rule id inside one of our masks (`[REDACTED:private-key:1a2b3c4d]`) is not a key,
        // nor is a word inside an ARN (`arn:aws:secretsmanager:…:secret:prod/db`).
        if ks < *done_to || line[..ks].ends_with(b"[REDACTED:") || in_arn(line, ks, &mut keys.ends)
        {
            return None;
        }
        *done_to = ke;
        let found_before = out.len();
        let pending = match self.owner_in_any_syntax(&line[ks..ke], keys)? {
            (rule, Ownership::Any) => self.parse_after_key(line, rule, ks, ke, &mut keys.ends, out),
            (rule, Ownership::Limited { query, prose }) => {
                let before = ks.checked_sub(1).map(|i| line[i]);
                if query && matches!(before, Some(b'?' | b'&')) && line.get(ke) == Some(&b'=') {
                    self.parse_after_key(line, rule, ks, ke, &mut keys.ends, out)
                } else {
                    if prose && before == Some(b' ') && line.get(ke) == Some(&b' ') {
                        self.parse_prose(line, rule, ke + 1, &mut keys.ends, out);
                    }
                    None
                }
            }
        };
        for h in &out[found_before..] {
            keys.ends.add_found(h.span.clone());
        }
        pending
    }

    /// Parse what follows a key at `ks..ke` that `rule` owns.
    pub fn parse_after_key(
        &self,
        line: &[u8],
        rule: usize,
        ks: usize,
        ke: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) -> Option<Pending> {
        // How is the key quoted? `"k"`, `'k'`, `\"k\"`… or an XML tag `<k>`.
        let mut i = ke;
        let mut key_quoted = false;
        let mut before_key = ks;
        if ks > 0 && is_quote(line[ks - 1]) {
            let q = line[ks - 1];
            let esc = backslashes_before(line, ks - 1);
            let close_len = esc + 1;
            if line.len() >= ke + close_len
                && line[ke..ke + esc].iter().all(|&b| b == b'\\')
                && line[ke + esc] == q
            {
                key_quoted = true;
                i = ke + close_len;
                before_key = ks - 1 - esc;
            }
        } else if ks > 0 && line[ks - 1] == b'<' && line.get(ke) == Some(&b'>') {
            let vs = ke + 1;
            let ve = ends.end(EndKind::XmlClose, vs, || {
                memchr::memmem::find(&line[vs..], b"</").map_or(line.len(), |o| vs + o)
            });
            // Element text ends at the next tag: `<k><child>…` is no text value.
            if memchr::memchr(b'<', &line[vs..ve]).is_some() {
                return None;
            }
            // In the rule's value syntax (`<Authorization>Bearer …`: the scheme stays).
            self.emit_value(line, rule, vs..ve, out);
            return None;
        }

        // The separator.
        let j = skip_spaces(line, i);
        let assignment = match line.get(j) {
            Some(b':') => {
                // `k:` but not a URL scheme (`token://`) or `::`.
                !matches!(line.get(j + 1), Some(b'/') | Some(b':'))
            }
            Some(b'=') => !matches!(line.get(j + 1), Some(b'=')),
            // `('k', 'v')`: a pair, not a list of names (`("session_key", "session_data",
            // "expire_date")`, an SQL column list).
            Some(b',') => {
                key_quoted
                    && before_key > 0
                    && matches!(line[before_key - 1], b'(' | b'[')
                    && closes_a_pair(line, skip_spaces(line, j + 1), ends)
            }
            _ => false,
        };
        if assignment {
            let mut v = j + 1;
            if line.get(v) == Some(&b'>') {
                v += 1; // `=>`
            }
            let v = skip_spaces(line, v);
            return self.parse_value(line, rule, v, ends, out);
        }
        if !key_quoted && j == i + 1 && line.get(i) == Some(&b' ') && self.rules[rule].prose {
            self.parse_prose(line, rule, j, ends, out);
        }
        None
    }

    /// The value of `key = value` starting at `v` (separator and spaces skipped).
    fn parse_value(
        &self,
        line: &[u8],
        rule: usize,
        v: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) -> Option<Pending> {
        if v >= line.len() || line[v] == b'\r' {
            return Some(Pending { rule });
        }
        // DynamoDB typed JSON: `{"S": "v"}`, `{ S: 'v' }`, or `{` with `S: 'v'` on the next line;
        // any other object's generated-looking strings (`"session": {"id": "…"}`).
        if line[v] == b'{' {
            let w = skip_spaces(line, v + 1);
            if w >= line.len() || line[w] == b'\r' {
                return Some(Pending { rule });
            }
            if !self.parse_dynamo_string(line, rule, w, ends, out) {
                self.parse_object(line, rule, w, ends, out);
            }
            return None;
        }
        let mut v = v;
        // Python bytes repr: b'…'
        if line[v] == b'b' && line.get(v + 1).is_some_and(|&b| b == b'\'' || b == b'"') {
            v += 1;
        }
        let span = if let Some((q, esc, body)) = opening_quote(line, v) {
            body..quoted_value_end(line, body, q, esc, ends)
        } else if matches!(line[v], b'[' | b'(') {
            self.parse_list(line, rule, v, ends, out);
            return None;
        } else if line[v] == b'{' {
            return None;
        } else if let Some(open) = wrapper_call(line, v) {
            // A constructor around the value (`SecretStr('…')`, `Secret("…")`): its argument.
            self.parse_list(line, rule, open, ends, out);
            return None;
        } else {
            let syntax = self.rules[rule].value;
            let mut end = unquoted_end(line, v, syntax, ends);
            // `Authorization: Bearer xyz`: the scheme and one credential.
            if syntax == ValueSyntax::Authorization && line.get(end) == Some(&b' ') {
                let next = unquoted_end(line, end + 1, syntax, ends);
                if next > end + 1 {
                    end = next;
                }
            }
            // `cancelToken: CancelToken { … }`: util.inspect names an object's class before it.
            if line[end..].starts_with(b" {") || line[end..].starts_with(b" [") {
                return None;
            }
            if syntax == ValueSyntax::Cookie && ends.cookies_read(&(v..end)) {
                return None;
            }
            v..end
        };
        self.emit_value(line, rule, span, out);
        None
    }

    /// The quoted strings of a list or tuple under a secret key (`'password': ['…']`, a
    /// Django `QueryDict`; `args=('…', '…')`), starting at its bracket `v`. At most
    /// [`MAX_LIST_VALUES`] are read.
    fn parse_list(
        &self,
        line: &[u8],
        rule: usize,
        v: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) {
        let mut w = skip_spaces(line, v + 1);
        for _ in 0..MAX_LIST_VALUES {
            let Some((q, esc, body)) = opening_quote(line, w) else {
                return;
            };
            let end = quoted_value_end(line, body, q, esc, ends);
            self.emit_value(line, rule, body..end, out);
            w = skip_spaces(line, (end + esc + 1).min(line.len()));
            if line.get(w) != Some(&b',') {
                return;
            }
            w = skip_spaces(line, w + 1);
        }
    }

    /// `S: 'v'` / `"S": "v"` inside a DynamoDB attribute value, starting at `w`. Returns
    /// whether it was that shape.
    fn parse_dynamo_string(
        &self,
        line: &[u8],
        rule: usize,
        w: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) -> bool {
        let (s_pos, after_s) = match opening_quote(line, w) {
            Some((q, esc, body)) => {
                if line.get(body) == Some(&b'S')
                    && closing_quote(line, body, q, esc, ends) == body + 1
                {
                    (body, body + 1 + esc + 1)
                } else {
                    return false;
                }
            }
            None => (w, w + 1),
        };
        if line.get(s_pos) != Some(&b'S') {
            return false;
        }
        let c = skip_spaces(line, after_s);
        if line.get(c) != Some(&b':') {
            return false;
        }
        let v = skip_spaces(line, c + 1);
        if v < line.len() {
            self.parse_value(line, rule, v, ends, out);
        }
        true
    }

    /// The members of an object under a secret key (`"session": {"id": "…", "expires": …}`,
    /// `password: { hash: '…', salt: '…' }`), from its first member at `w`: a member's key
    /// says nothing (a secret one is read by its own keyword), so only its quoted strings
    /// that look generated are the parent's secrets; dates, words and numbers stay. At most
    /// [`MAX_LIST_VALUES`] members are read, and a nested object or list ends the read.
    fn parse_object(
        &self,
        line: &[u8],
        rule: usize,
        mut w: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) {
        for _ in 0..MAX_LIST_VALUES {
            // The member's key, quoted or bare.
            let after_key = match opening_quote(line, w) {
                Some((q, esc, body)) => closing_quote(line, body, q, esc, ends) + esc + 1,
                None => {
                    let n = line[w..]
                        .iter()
                        .take(MAX_KEY)
                        .take_while(|&&b| is_key_byte(b))
                        .count();
                    work::read(n + 1);
                    if n == 0 {
                        return;
                    }
                    w + n
                }
            };
            let c = skip_spaces(line, after_key.min(line.len()));
            if line.get(c) != Some(&b':') {
                return;
            }
            let v = skip_spaces(line, c + 1);
            let next = match opening_quote(line, v) {
                Some((q, esc, body)) => {
                    let end = closing_quote(line, body, q, esc, ends);
                    let value = &line[body..end];
                    if looks_random(value, 16) && self.accept(rule, value) {
                        out.push(KeyedHit {
                            rule,
                            span: body..end,
                        });
                    }
                    (end + esc + 1).min(line.len())
                }
                None if matches!(line.get(v), Some(b'{' | b'[') | None) => return,
                None => unquoted_end(line, v, ValueSyntax::Plain, ends),
            };
            w = skip_spaces(line, next);
            if line.get(w) != Some(&b',') {
                return;
            }
            w = skip_spaces(line, w + 1);
        }
    }

    /// Report the value in `span` according to the rule's value syntax (also for positional
    /// contexts: an SQL value).
    pub(crate) fn emit_value(
        &self,
        line: &[u8],
        rule: usize,
        span: Range<usize>,
        out: &mut Vec<KeyedHit>,
    ) {
        let span = trim_colours(line, trim(line, span));
        match self.rules[rule].value {
            ValueSyntax::Plain => {
                if self.accept_value(rule, &line[span.clone()]) {
                    out.push(KeyedHit { rule, span });
                }
            }
            ValueSyntax::Authorization => self.emit_authorization(line, rule, span, out),
            ValueSyntax::Cookie => self.emit_cookies(line, rule, span, false, out),
            ValueSyntax::SetCookie => self.emit_cookies(line, rule, span, true, out),
        }
    }

    /// `Bearer xyz` / `Basic xyz` / `token xyz` / `xyz`; SigV4 values are left to their rules.
    fn emit_authorization(
        &self,
        line: &[u8],
        rule: usize,
        span: Range<usize>,
        out: &mut Vec<KeyedHit>,
    ) {
        let v = &line[span.clone()];
        if v.starts_with(b"AWS4-") || v.starts_with(b"AWS ") {
            return;
        }
        let scheme_len = v
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
        let cred = if scheme_len < v.len() && v[scheme_len] == b' ' {
            let s = skip_spaces(line, span.start + scheme_len);
            let e = s + line[s..span.end]
                .iter()
                .take_while(|b| !b.is_ascii_whitespace() && **b != b',')
                .count();
            s..e
        } else {
            span
        };
        if self.accept(rule, &line[cred.clone()]) {
            out.push(KeyedHit { rule, span: cred });
        }
    }

    fn emit_cookies(
        &self,
        line: &[u8],
        rule: usize,
        span: Range<usize>,
        first_only: bool,
        out: &mut Vec<KeyedHit>,
    ) {
        let mut pos = span.start;
        while pos < span.end {
            let part_end = memchr::memchr(b';', &line[pos..span.end]).map_or(span.end, |o| pos + o);
            if let Some(eq) = memchr::memchr(b'=', &line[pos..part_end]) {
                let mut val = trim(line, pos + eq + 1..part_end);
                if val.end - val.start >= 2 && line[val.start] == b'"' && line[val.end - 1] == b'"'
                {
                    val = val.start + 1..val.end - 1;
                }
                let v = &line[val.clone()];
                if !v.is_empty() && !is_masked(v) && !STOPWORDS.iter().any(|s| s.as_bytes() == v) {
                    out.push(KeyedHit { rule, span: val });
                }
            }
            if first_only {
                break;
            }
            pos = part_end + 1;
        }
    }

    /// `key value` in prose: taken only when the value is random-looking (or quoted, for
    /// passwords), so that "Token expired for user 42" stays. `X -> Y` rotations take both.
    fn parse_prose(
        &self,
        line: &[u8],
        rule: usize,
        v: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) {
        let Some(first) = self.prose_value(line, rule, v, ends) else {
            self.parse_clause(line, rule, v, ends, out);
            return;
        };
        let mut end = first.end;
        out.push(KeyedHit { rule, span: first });
        // `old -> new`, `old => new`
        while end < line.len() && matches!(line[end], b'\'' | b'"') {
            end += 1;
        }
        for arrow in [&b" -> "[..], b" => "] {
            if line[end..].starts_with(arrow)
                && let Some(second) = self.prose_value(line, rule, end + arrow.len(), ends)
            {
                out.push(KeyedHit { rule, span: second });
            }
        }
    }

    /// The rest of a clause that a secret noun opens in prose, when the noun is not followed
    /// by its value: `CSRF mismatch: header=<a> expected=<b>`, `refresh token not found or
    /// revoked: <t>`, `bad password for x { tried: '<p>' }`. The clause is read word by word
    /// to its end (a sentence end, `;`, `|`, a bracket it did not open, a quote around no
    /// value, or [`CLAUSE_WORDS`] words in [`CLAUSE_MAX`] bytes); its random-looking values
    /// are the noun's, bare or quoted, after `key=`/`key:` or not, except the values of keys
    /// that name an identifier or a digest (`request_id=`, `sha256:`). A value assigned in
    /// the clause may also be what the rule takes quoted (`tried: 'pass word 1'`). (An unquoted
    /// pass-phrase, `(password tried: Two words 5.)`, is not told from prose: it stays.)
    fn parse_clause(
        &self,
        line: &[u8],
        rule: usize,
        v: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) {
        let limit = line.len().min(v + CLAUSE_MAX);
        let r = &self.rules[rule];
        let takes_quoted = r.value == ValueSyntax::Plain && !r.token_like;
        // A noun inside a clause already read (`refresh token not found`) reads on from its
        // end: every byte of a line is read by one clause at most.
        let (mut i, mut words, mut depth) = (v.max(ends.clause_to), 0, 0usize);
        // After `key=` / `key:`: Some(whether the key names an identifier).
        let mut assigned: Option<bool> = None;
        while words < CLAUSE_WORDS {
            i = skip_spaces(line, i).min(limit);
            if i >= limit {
                break;
            }
            match line[i] {
                b'{' | b'(' | b'[' => {
                    depth += 1;
                    i += 1;
                    continue;
                }
                b'}' | b')' | b']' if depth == 0 => break,
                b'}' | b')' | b']' => {
                    depth -= 1;
                    i += 1;
                    continue;
                }
                b';' | b'|' | b'\r' | b'\n' => break,
                b',' => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            words += 1;
            if let Some((q, 0, body)) = opening_quote(line, i) {
                let end = closing_quote(line, body, q, 0, ends);
                let val = &line[body..end];
                let taken = assigned != Some(true)
                    && (looks_random(val, 16) && !is_uuid(val)
                        || assigned.is_some()
                            && takes_quoted
                            && (!val.contains(&b' ')
                                || generated_with_spaces(val)
                                || pass_phrase(val)))
                    && self.accept(rule, val);
                if !taken {
                    // A quote around no secret ends what the clause can be said to hold (the
                    // end of a JSON message, a quoted name).
                    break;
                }
                out.push(KeyedHit {
                    rule,
                    span: body..end,
                });
                i = end + 1;
                assigned = None;
                continue;
            }
            let ws = i;
            // A URL is read by its own syntaxes (query parameters, path tokens), never as
            // words: its parts are no clause's, masked or not.
            let run = line[ws..limit]
                .iter()
                .position(u8::is_ascii_whitespace)
                .map_or(limit, |o| ws + o);
            if memmem::find(&line[ws..run], b"://").is_some() {
                work::read(run - ws + 1);
                i = run;
                assigned = None;
                continue;
            }
            while i < limit
                && !line[i].is_ascii_whitespace()
                && !matches!(
                    line[i],
                    b'\''
                        | b'"'
                        | b'`'
                        | b'('
                        | b')'
                        | b'{'
                        | b'}'
                        | b'['
                        | b']'
                        | b','
                        | b';'
                        | b'|'
                )
                && line[i] != 0x1b
            {
                i += 1;
            }
            work::read(i - ws + 1);
            if i == ws {
                // A byte no word holds (a stray quote): the clause is beyond reading.
                break;
            }
            // An escaped line break ends the clause as a line break does (a stack trace's
            // frames follow a message in a JSON string).
            let word_run = &line[ws..i];
            let escaped_break =
                memmem::find(word_run, b"\\n").or_else(|| memmem::find(word_run, b"\\r"));
            if let Some(nl) = escaped_break {
                i = ws + nl;
                if i == ws {
                    break;
                }
            }
            let mut we = i;
            let sentence_end =
                line[we - 1] == b'.' && (we == line.len() || line[we].is_ascii_whitespace());
            while we > ws && line[we - 1] == b'.' {
                we -= 1;
            }
            let word = &line[ws..we];
            // `key=value`, `key:value`, `key:`.
            let sep = word.iter().position(|&b| b == b'=' || b == b':');
            let (value, key) = match sep {
                Some(s) => (ws + s + 1..we, Some(&word[..s])),
                None => (ws..we, None),
            };
            let names_an_id = |k: &[u8]| {
                let ends_with = |tail: &[u8]| {
                    k.len() >= tail.len() && k[k.len() - tail.len()..].eq_ignore_ascii_case(tail)
                };
                ends_with(b"id")
                    || ends_with(b"ids")
                    || [
                        &b"hash"[..],
                        b"sha",
                        b"sha1",
                        b"sha256",
                        b"md5",
                        b"etag",
                        b"digest",
                        b"checksum",
                        b"commit",
                        b"version",
                    ]
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(k))
            };
            // A word run into a bracket is part of something else: a masked JWT's kept
            // header (`eyJ….[REDACTED:jwt]`), a call.
            let keyed_id = assigned == Some(true)
                || key.is_some_and(names_an_id)
                || matches!(line.get(i), Some(b'[' | b'(' | b'{'));
            let val = &line[value.clone()];
            // Bare words with no digit are words (`processTicksAndRejections`).
            if !keyed_id
                && looks_random(val, 16)
                && val.iter().any(u8::is_ascii_digit)
                && !is_uuid(val)
                && self.accept(rule, val)
            {
                out.push(KeyedHit { rule, span: value });
            }
            // `key:` / `key =`: the next word or quoted value is the key's.
            assigned = match (sep, key) {
                (Some(s), Some(k)) if ws + s + 1 == we => Some(names_an_id(k)),
                _ => None,
            };
            if sentence_end || escaped_break.is_some() {
                break;
            }
        }
        ends.clause_to = ends.clause_to.max(i);
    }

    fn prose_value(
        &self,
        line: &[u8],
        rule: usize,
        v: usize,
        ends: &mut ValueEnds,
    ) -> Option<Range<usize>> {
        if let Some((q, 0, body)) = opening_quote(line, v) {
            let end = closing_quote(line, body, q, 0, ends);
            let span = body..end;
            let val = &line[span.clone()];
            let random = looks_random(val, 12);
            let quoted_ok = self.rules[rule].value == ValueSyntax::Plain
                && !self.rules[rule].token_like
                && (!val.contains(&b' ') || generated_with_spaces(val) || pass_phrase(val));
            return ((random || quoted_ok) && self.accept(rule, val)).then_some(span);
        }
        if self.rules[rule].value == ValueSyntax::Authorization {
            let e = line[v..]
                .iter()
                .position(|&b| matches!(b, b'>' | b'\'' | b'"' | b',' | b'\r'))
                .map_or(line.len(), |o| v + o);
            let mut hits = Vec::new();
            self.emit_authorization(line, rule, v..e, &mut hits);
            return hits.pop().map(|h| h.span);
        }
        let mut e = v;
        while e < line.len()
            && !line[e].is_ascii_whitespace()
            && !matches!(line[e], b'\'' | b'"' | b')' | b',' | b';' | b'\\')
        {
            e += 1;
        }
        while e > v && matches!(line[e - 1], b'.' | b':') {
            e -= 1;
        }
        let val = &line[v..e];
        (looks_random(val, 12) && self.accept(rule, val)).then_some(v..e)
    }

    /// The line after a secret key that ended its line: a bare value (botocore's `Signature:`
    /// then the hex), a quoted value, or DynamoDB's `S: 'v'`.
    pub fn resolve_pending(
        &self,
        line: &[u8],
        p: Pending,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) {
        let v = skip_spaces(line, 0);
        if v >= line.len() {
            return;
        }
        // A DynamoDB type on the next line (`S: '…'`, `"S": "…"`), not a value that starts
        // with an `S`.
        let typed = line[v] == b'S' && line.get(skip_spaces(line, v + 1)) == Some(&b':');
        if typed || line[v..].starts_with(b"\"S\"") || line[v..].starts_with(b"'S'") {
            self.parse_dynamo_string(line, p.rule, v, ends, out);
            return;
        }
        if opening_quote(line, v).is_some() {
            self.parse_value(line, p.rule, v, ends, out);
            return;
        }
        // A bare value must be the whole line, or end the string the lines are in (the last
        // line of a layered view: `fa9a…", "level": "debug"}`): anything else is the next log
        // record.
        let mut end = trim(line, v..line.len()).end;
        // A quote, a colour code or a closing tag ends it (`\e[32mvalue\e[39m`, the last line
        // of an HTML `<pre>`: `value</pre>`).
        if let Some(q) = line[v..end]
            .iter()
            .enumerate()
            .position(|(i, &b)| is_quote(b) || b == 0x1b || line[v + i..].starts_with(b"</"))
        {
            end = v + q;
        }
        let val = &line[v..end];
        if !val.iter().any(|b| b.is_ascii_whitespace()) && self.accept(p.rule, val) {
            out.push(KeyedHit {
                rule: p.rule,
                span: v..end,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_quote_respects_escape_depth() {
        let l = br#"\"a\\\"b\" rest"#; // JSON-in-JSON: \"a\\\"b\"
        assert_eq!(first_closing_quote(l, 2, b'"', 1), 8);
        let l = br#"'ab\'c' x"#;
        assert_eq!(first_closing_quote(l, 1, b'\'', 0), 6);
        let l = br#""ab\\" x"#; // "ab\\" : escaped backslash, then the closing quote
        assert_eq!(first_closing_quote(l, 1, b'"', 0), 5);
    }

    #[test]
    fn token_starts_read_on_or_back_as_a_search_does() {
        let line = b"a arn:aws:x:secret:y b:c:arn:k \"q:r,arn:aws:s:token:z=w:v(t:u";
        let search = |at: usize| {
            line[..at]
                .iter()
                .rposition(|&b| b.is_ascii_whitespace() || is_quote(b) || b"=([,".contains(&b))
                .map_or(0, |p| p + 1)
        };
        let mut ends = ValueEnds::default();
        // Forward, backward and repeated questions.
        for at in (0..=line.len())
            .chain((0..=line.len()).rev())
            .chain([7, 7, 30, 2])
        {
            assert_eq!(ends.token_start(line, at), search(at), "at {at}");
        }
        let arn = |at| in_arn(line, at, &mut ValueEnds::default());
        let secret = line.windows(6).position(|w| w == b"secret").unwrap();
        let token = line.windows(5).position(|w| w == b"token").unwrap();
        let inner = line.windows(3).position(|w| w == b"r,a").unwrap();
        let not_first = line.windows(3).position(|w| w == b":k ").unwrap() + 1;
        assert!(arn(secret) && arn(token) && !arn(inner) && !arn(not_first));
    }

    proptest::proptest! {
        /// Remembered value ends are the ends a fresh read finds, in any order of reads.
        #[test]
        fn remembered_value_ends_are_the_ends_read(
            line in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b'a'), proptest::strategy::Just(b'"'),
                    proptest::strategy::Just(b'\\'), proptest::strategy::Just(b' '),
                    proptest::strategy::Just(b';'), proptest::strategy::Just(b'\''),
                ],
                0..40,
            ),
            froms in proptest::collection::vec(0usize..40, 1..12),
        ) {
            let mut ends = ValueEnds::default();
            for from in froms.into_iter().filter(|&f| f <= line.len()) {
                for to_line_end in [false, true] {
                    let syntax = if to_line_end { ValueSyntax::Cookie } else { ValueSyntax::Plain };
                    proptest::prop_assert_eq!(
                        unquoted_end(&line, from, syntax, &mut ends),
                        first_unquoted_end(&line, from, to_line_end)
                    );
                }
                for esc in 0..2 {
                    proptest::prop_assert_eq!(
                        closing_quote(&line, from, b'"', esc, &mut ends),
                        first_closing_quote(&line, from, b'"', esc)
                    );
                }
            }
        }
    }

    #[test]
    fn unquoted_value_keeps_inner_quote() {
        let l = br#"password=ab"cd%ef next"#;
        assert_eq!(first_unquoted_end(l, 9, false), 17);
        let l = br#"'sid=abc' ]"#;
        assert_eq!(first_unquoted_end(l, 5, false), 8);
    }

    #[test]
    fn quoted_values_with_spaces_are_passwords_only_when_generated() {
        assert!(generated_with_spaces(b"J 1WNOK74=!+uK3"));
        assert!(generated_with_spaces(b"correct horse 9battery!"));
        for phrase in [
            &b"reset link sent"[..],
            b"Room 101",
            b"version 2.0",
            b"Hello World",
        ] {
            assert!(!generated_with_spaces(phrase), "{phrase:?}");
        }
    }

    #[test]
    fn spans_inside_our_masks_are_recognised() {
        let inside_a_mask = |line: &[u8], span: &Range<usize>| {
            let mut masks = Vec::new();
            our_masks(line, &mut masks);
            touches_a_mask(&masks, span)
        };
        let l = b"https://[REDACTED:url-token-user]@o1.ingest.sentry.io/2 x=[REDACTED:token:1a2b]";
        assert!(inside_a_mask(l, &(18..32)));
        assert!(inside_a_mask(l, &(60..66)));
        assert!(!inside_a_mask(l, &(34..40)));
        assert!(!inside_a_mask(b"no masks here", &(0..2)));
    }

    #[test]
    fn lists_are_read_and_pairs_are_not_column_lists() {
        let m = KeyedMatcher::new(
            crate::rules::parse_catalog(crate::rules::BUILTIN_CATALOG, "t")
                .unwrap()
                .keyed
                .iter()
                .map(|r| r.compile().unwrap())
                .collect(),
        );
        let found = |line: &[u8]| {
            let mut keys = KeyScratch::default();
            let mut out = Vec::new();
            let (mut done, mut i) = (0, 0);
            while i < line.len() {
                m.scan_at(line, i..i + 1, &mut done, &mut keys, &mut out);
                i += 1;
            }
            out.iter()
                .map(|h| line[h.span.clone()].to_vec())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            found(b"<QueryDict: {'password': ['FAKEpw0rd!', 'FAKEagain1'], 'next': ['/']}>"),
            [b"FAKEpw0rd!".to_vec(), b"FAKEagain1".to_vec()]
        );
        assert_eq!(
            found(b"[('api_key', 'FAKEapikeyFAKE0123')]"),
            [b"FAKEapikeyFAKE0123".to_vec()]
        );
        assert!(
            found(br#"INSERT INTO "s" ("session_key", "session_data", "expire_date")"#).is_empty()
        );
    }

    #[test]
    fn other_redactors_placeholders_are_not_values() {
        for v in [
            &b"[FILTERED"[..],
            b"[FILTERED]",
            b"[REDACTED]",
            b"<redacted>",
            b"xxxxxxxx",
            b"***",
        ] {
            assert!(is_placeholder(v) || is_masked(v), "{v:?}");
        }
        assert!(!is_placeholder(b"[a1b2c3d4e5f6]"));
    }

    #[test]
    fn masked_values_are_recognised() {
        assert!(is_masked(b"[REDACTED:token]"));
        assert!(is_masked(b"********"));
        assert!(is_masked(b"****ab12"));
        assert!(!is_masked(b"**a**bcdefg"));
    }
}
