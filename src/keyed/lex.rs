//! Lexing a line for keyed values: quotes at any escape depth, blanks and colour codes, the
//! ends of quoted and unquoted values, and [`ValueEnds`], which remembers them for the line so
//! that no value is read twice (what keeps key parsing linear).

use super::MAX_KEY;
use crate::byteclass::{self, byte_set};
use crate::layers::ansi_len;
use crate::rules::ValueSyntax;
use crate::work;
use std::ops::Range;

/// Where the values read on one line end, remembered: the end of a value is the first byte
/// from its start that ends it, so a value starting at or after an earlier one's start and
/// before its end ends there too. Without it, each of many keys in a line whose values run
/// far (`k: ` repeated with a cookie value, an unterminated quote, `<k>` without `</`) would
/// read the rest of the line: the square of its length. Start it over for every line
/// ([`ValueEnds::new_line`]).
#[derive(Default)]
pub(crate) struct ValueEnds {
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
    pub(super) clause_to: usize,
    /// Whether that clause ended between a key and its value, and if so what the key says of
    /// it: the clause that reads on reads that value as the key's.
    pub(super) clause_key: Option<ClauseKey>,
    /// Whether the line's record sides were read (see [`KeyedMatcher::parse_record_sides`]).
    pub(super) sides_read: bool,
    /// Whether the catalog names a key (see [`ValueEnds::named_by_the_catalog`]): kept from
    /// line to line, bounded.
    catalog_names: foldhash::HashMap<Box<[u8]>, bool>,
}

/// What the key before a value inside a prose clause says of the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ClauseKey {
    /// It names something else than the clause's noun (`request_id=`, `hash:`).
    Other,
    /// It names the noun's value as supplied or changed (`tried:`, `got=`, `next:`).
    Supplied,
    /// It says nothing of it (`email:`, `tenant:`): a random-looking value is still the noun's.
    Unsaid,
}

/// Past this many distinct keys the catalog-name cache starts over.
const CATALOG_NAME_CACHE: usize = 4096;

/// What ends a value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum EndKind {
    /// An unquoted value (a cookie header's runs to the line's end).
    Unquoted { to_line_end: bool },
    /// A closing quote `quote` after `esc` backslashes.
    Quote { quote: u8, esc: usize },
    /// An XML element's closing tag.
    XmlClose,
    /// A quoted value read on over data quotes ([`quoted_value_end`]).
    QuotedValue { quote: u8, esc: usize },
}

impl ValueEnds {
    pub(crate) fn new_line(&mut self) {
        self.last.clear();
        self.cookies = None;
        self.found.clear();
        self.found_seen = 0;
        self.found_reach = 0;
        self.token = (0, 0);
        self.clause_to = 0;
        self.clause_key = None;
        self.sides_read = false;
    }

    /// `name(key)`, remembered: the keys a storm of keys repeats are looked up once.
    pub(super) fn named_by_the_catalog(&mut self, key: &[u8], name: impl FnOnce() -> bool) -> bool {
        if let Some(&named) = self.catalog_names.get(key) {
            work::read(key.len());
            return named;
        }
        let named = name();
        if self.catalog_names.len() >= CATALOG_NAME_CACHE {
            self.catalog_names.clear();
        }
        self.catalog_names.insert(key.into(), named);
        named
    }

    /// Where the whitespace-, quote- or punctuation-delimited token holding `at` starts.
    /// Asked with positions that grow (keys, left to right), it reads each byte once a line;
    /// asked further back, it reads back at most [`MAX_KEY`] bytes.
    pub(super) fn token_start(&mut self, line: &[u8], at: usize) -> usize {
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
    pub(super) fn add_found(&mut self, span: Range<usize>) {
        self.found.push(span);
    }

    /// Is `pos` inside a value found before on this line? Asked with positions that only grow
    /// (keyword hits, left to right): a walk over the values, once per line.
    pub(super) fn inside_a_value(&mut self, pos: usize) -> bool {
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
    pub(super) fn cookies_read(&mut self, span: &Range<usize>) -> bool {
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
    pub(super) fn end(
        &mut self,
        kind: EndKind,
        from: usize,
        find: impl FnOnce() -> usize,
    ) -> usize {
        if let Some(e) = self.remembered(kind, from) {
            return e;
        }
        let end = find();
        self.remember(kind, from, end);
        end
    }

    /// The end of a value of `kind` read from before `from`, if it holds `from`.
    fn remembered(&self, kind: EndKind, from: usize) -> Option<usize> {
        self.last
            .iter()
            .find(|(k, f, e)| *k == kind && (*f..=*e).contains(&from))
            .map(|&(_, _, e)| e)
    }

    fn remember(&mut self, kind: EndKind, from: usize, end: usize) {
        match self.last.iter_mut().find(|(k, _, _)| *k == kind) {
            Some(slot) => *slot = (kind, from, end),
            None => self.last.push((kind, from, end)),
        }
    }
}

pub(super) fn is_quote(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'`')
}

pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t')
}

/// Number of backslashes immediately before `pos`.
pub(super) fn backslashes_before(line: &[u8], pos: usize) -> usize {
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
pub(super) fn skip_spaces(line: &[u8], i: usize) -> usize {
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
pub(super) fn opening_quote(line: &[u8], i: usize) -> Option<(u8, usize, usize)> {
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
pub(super) fn closing_quote(
    line: &[u8],
    from: usize,
    quote: u8,
    esc: usize,
    ends: &mut ValueEnds,
) -> usize {
    ends.end(EndKind::Quote { quote, esc }, from, || {
        first_closing_quote(line, from, quote, esc)
    })
}

/// The end of a quoted value as [`closing_quote`] finds it, read on over doubled quotes: SQL
/// and YAML write a quote inside a single-quoted string as two (`'ab''cd'`), CSV inside a
/// double-quoted one, and Python joins adjacent literals. Only where the value goes on after
/// the pair: in a decoded view, `"A \""}` reads `"A ""}`, whose `""` ends the string. (Not a
/// layer of the view: decoding `''` everywhere would close every empty string of a repr.)
///
/// Nor does a quote close the value where a letter or digit follows it and another quote
/// closes it later: that quote is data whose escape a layer took away. In the decoded view of
/// `'{"password": "ab\\"cd"}'` (JSON in a JavaScript string) the value reads `"ab"cd"`; a
/// closing quote is followed by punctuation, a blank or the line's end in every syntax.
pub(super) fn quoted_value_end(
    line: &[u8],
    body: usize,
    q: u8,
    esc: usize,
    ends: &mut ValueEnds,
) -> usize {
    // Read from any position inside it, the value ends where it ends from its start: the
    // walk below decides at each quote by what follows it only. Remembered, a line of such
    // values costs one walk, not one per key.
    let kind = EndKind::QuotedValue { quote: q, esc };
    if let Some(end) = ends.remembered(kind, body) {
        return end;
    }
    let mut end = closing_quote(line, body, q, esc, ends);
    while esc == 0 && end > body && end < line.len() {
        let next = match (line.get(end + 1), line.get(end + 2)) {
            (Some(&b), Some(&after))
                if b == q
                    && (after.is_ascii_alphanumeric() || b"+/=_-.!@#$%^&*~".contains(&after)) =>
            {
                end + 2
            }
            (Some(&b), _) if b.is_ascii_alphanumeric() => end + 1,
            _ => break,
        };
        let later = closing_quote(line, next, q, esc, ends);
        if later == line.len() && line[end + 1] != q {
            break;
        }
        end = later;
    }
    ends.remember(kind, body, end);
    end
}

pub(super) fn first_closing_quote(line: &[u8], from: usize, quote: u8, esc: usize) -> usize {
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

/// Does a quote at `i` end an unquoted value? Only when nothing token-like follows it, so that
/// `password=ab"cd` (and `ab"&cd`) keeps its quote while `'sid=abc'` ends at it.
pub(super) fn quote_ends_value(line: &[u8], i: usize) -> bool {
    match line.get(i + 1) {
        None => true,
        Some(b'&') => ampersand_ends_value(line, i + 1),
        Some(&n) => !(n.is_ascii_alphanumeric() || matches!(n, b'_' | b'-' | b'+' | b'/' | b'=')),
    }
}

/// Does an `&` at `i` end an unquoted value? Where it separates query or form parameters
/// (`token=abc&user=42`), starts an HTML character reference (`&amp;user=42`, `&#x27;`), or
/// nothing token-like follows it; a generated password holds `&` as any other byte
/// (`password=wS2&hGok9q`).
pub(super) fn ampersand_ends_value(line: &[u8], i: usize) -> bool {
    // An HTML character reference (`&#x27;`, `&quot;`) is an escaped quote or markup.
    if crate::layers::entity(&line[i..]).is_some() {
        return true;
    }
    let rest = &line[i + 1..];
    let name = rest
        .iter()
        .take(MAX_PARAMETER_NAME + 1)
        .take_while(|&&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']' | b'%')
        })
        .count();
    work::read(name + 5);
    match (name, rest.get(name)) {
        // Nothing more of the value.
        (0, None) => true,
        (0, Some(&b)) => {
            b.is_ascii_whitespace()
                || matches!(
                    b,
                    b'"' | b'\'' | b')' | b']' | b'}' | b',' | b';' | b'>' | b'|'
                )
        }
        // A parameter (`&user=`) or a flag (`&debug&`).
        (1..=MAX_PARAMETER_NAME, Some(b'=' | b'&')) => true,
        _ => false,
    }
}

/// The longest query parameter name `&` is taken to introduce.
const MAX_PARAMETER_NAME: usize = 64;

/// Is position `at` inside an ARN (the whitespace- or quote-delimited token starts `arn:`)?
/// (A line of `:key` repeated is one token: its start is read once, not once per key.)
pub(super) fn in_arn(line: &[u8], at: usize, ends: &mut ValueEnds) -> bool {
    if at == 0 || line[at - 1] != b':' {
        return false;
    }
    let start = ends.token_start(line, at);
    line[start..at].starts_with(b"arn:")
}

/// End of an unquoted value starting at `i`.
pub(super) fn unquoted_end(
    line: &[u8],
    i: usize,
    syntax: ValueSyntax,
    ends: &mut ValueEnds,
) -> usize {
    let to_line_end = matches!(syntax, ValueSyntax::Cookie | ValueSyntax::SetCookie);
    ends.end(EndKind::Unquoted { to_line_end }, i, || {
        first_unquoted_end(line, i, to_line_end)
    })
}

/// The bytes [`first_unquoted_end`] asks about; every other byte is inside the value.
static MAY_END_UNQUOTED: [bool; 256] = byte_set!(|c| matches!(
    c,
    b'\\'
        | b'\r'
        | b'\n'
        | 0x1b
        | b'"'
        | b'\''
        | b'`'
        | b' '
        | b'\t'
        | b'&'
        | b';'
        | b','
        | b')'
        | b']'
        | b'}'
        | b'>'
        | b'<'
        | b'|'
));

pub(super) fn first_unquoted_end(line: &[u8], mut i: usize, to_line_end: bool) -> usize {
    let from = i;
    while i < line.len() {
        let b = line[i];
        // Most bytes of a value end nothing: one look-up passes them.
        if !byteclass::is(&MAY_END_UNQUOTED, b) {
            i += 1;
            continue;
        }
        let stop = match b {
            b'\\' | b'\r' | b'\n' | 0x1b => true,
            b'"' | b'\'' | b'`' => quote_ends_value(line, i),
            // A cookie header's pairs are separated by `; ` (and a date's parts by `, `): any
            // other blank ends it (`cookie=a=1 user=42` in logfmt).
            b' ' | b'\t' if to_line_end => {
                i > 0 && !matches!(line[i - 1], b';' | b',' | b' ' | b'\t')
            }
            b'&' if !to_line_end => ampersand_ends_value(line, i),
            // A closing bracket is data where a letter or digit follows (`k3q(9Zb)Xw`).
            b')' | b']' if !to_line_end => !line.get(i + 1).is_some_and(u8::is_ascii_alphanumeric),
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

/// Is everything from `i` on layout rather than content: blanks (and colour codes) to the
/// line's end, or a wide gap and a right-aligned source location (`django_app.py:68`, the path
/// column that rich's log handler writes on a record's first line)?
pub(super) fn only_margin_from(line: &[u8], i: usize) -> bool {
    let v = skip_spaces(line, i);
    if v >= line.len() || line[v] == b'\r' {
        return true;
    }
    let gap = line[..v].iter().rev().take_while(|&&b| is_space(b)).count();
    if gap < 2 {
        return false;
    }
    let run_end = line[v..]
        .iter()
        .position(u8::is_ascii_whitespace)
        .map_or(line.len(), |o| v + o);
    work::read(run_end - v + 1);
    skip_spaces(line, run_end) >= line.len() - usize::from(line.ends_with(b"\r"))
        && is_margin_location(&line[v..run_end])
}

/// `file.py:123`, `<module>:12`: a source file or function and a line number.
fn is_margin_location(v: &[u8]) -> bool {
    let Some(colon) = memchr::memrchr(b':', v) else {
        return false;
    };
    let (name, number) = (&v[..colon], &v[colon + 1..]);
    (1..=128).contains(&name.len())
        && (1..=6).contains(&number.len())
        && number.iter().all(u8::is_ascii_digit)
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'<' | b'>'))
}

/// Where the first run of two or more blanks after `from` starts.
pub(super) fn wide_gap(line: &[u8], from: usize) -> Option<usize> {
    let at = memchr::memmem::find(&line[from..], b"  ").map(|o| from + o);
    work::read(at.map_or(line.len(), |a| a + 2) - from);
    at
}

/// `r` without the ANSI colour codes at its ends (`\e[32m[FILTERED]\e[39m`).
pub(super) fn trim_colours(line: &[u8], mut r: Range<usize>) -> Range<usize> {
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

pub(super) fn trim(line: &[u8], mut r: Range<usize>) -> Range<usize> {
    while r.start < r.end && line[r.start].is_ascii_whitespace() {
        r.start += 1;
    }
    while r.end > r.start && line[r.end - 1].is_ascii_whitespace() {
        r.end -= 1;
    }
    r
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

    #[test]
    fn unquoted_value_keeps_inner_quote() {
        let l = br#"password=ab"cd%ef next"#;
        assert_eq!(first_unquoted_end(l, 9, false), 17);
        let l = br#"'sid=abc' ]"#;
        assert_eq!(first_unquoted_end(l, 5, false), 8);
        let l = br#"password=wSG2"&hGokZ9 user=x"#;
        assert_eq!(first_unquoted_end(l, 9, false), 21);
    }

    #[test]
    fn an_ampersand_ends_a_value_before_a_parameter_only() {
        let end = |l: &[u8]| first_unquoted_end(l, 6, false);
        // Query and form parameters, escaped or not, flags, the end.
        assert_eq!(end(b"token=abc&user=42"), 9);
        assert_eq!(end(b"token=abc&amp;user=42"), 9);
        assert_eq!(end(b"token=abc&debug&x=1"), 9);
        assert_eq!(end(b"token=abc&"), 9);
        assert_eq!(end(b"token=abc& next"), 9);
        assert_eq!(end(b"token=abc&'"), 9);
        assert_eq!(end(b"token=abc&#x27; }"), 9);
        // A generated password's `&`.
        assert_eq!(end(b"token=ab&c9*Q next"), 13);
        assert_eq!(end(b"token=ab&^c9 next"), 12);
        assert_eq!(end(b"token=ab&&c9 next"), 12);
        // A bracket closes the value unless the value goes on after it.
        assert_eq!(end(b"token=k3q(9Zb)Xw next"), 16);
        assert_eq!(end(b"token=abc) next"), 9);
        assert_eq!(end(b"token=abc], next"), 9);
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
}
