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
//! The module's parts, along its seams:
//!
//! - `lex`: quotes at any escape depth, blanks and colour codes, the ends of values, and the
//!   per-line memory of those ends ([`ValueEnds`]);
//! - `values`: what follows a separator (quoted, unquoted, lists, wrappers, objects, DynamoDB
//!   types, the rules' own value syntaxes);
//! - `prose`: a secret noun with its value after a space, or its clause;
//! - `plausible`: what a secret value can be at all;
//! - this file: reading the key around a keyword hit, asking which rule owns it, and the key
//!   syntaxes (quoted, escaped, XML, pairs, a value on the next line).
//!
//! Our own masks are recognised in one place, [`crate::mask`].
//!
//! What bounds the work on a line (attackers write log lines): a key is read at most
//! [`MAX_KEY`] bytes each way from its keyword, and a keyword inside a key or value already read
//! is not read again; the end of each kind of value is remembered for the line
//! ([`ValueEnds`]), so many keys whose values run far share one read; a value longer than
//! [`MAX_VALUE`] is taken unread; a list gives at most `MAX_LIST_VALUES` values. Every other
//! step reads a bounded span after its keyword.

mod lex;
mod named;
mod open;
mod owners;
mod plausible;
mod prose;
mod values;

pub(crate) use lex::ValueEnds;
use lex::*;
pub(crate) use open::{Open, Pending, Typed};
use plausible::*;
use values::*;

use crate::byteclass::byte_set;
use crate::mask::{self, is_masked};
use crate::rules::validators::looks_random;
use crate::rules::{KeyedRule, Ownership, names_a_public_value, normalize_key};
use crate::work;
use foldhash::HashMap;
use std::ops::Range;

/// A scanner's scratch space for reading keys: the normalized key, and which rule owns each
/// key already seen (a log repeats the same few keys on line after line; asking every rule
/// again showed up in profiles).
#[derive(Default)]
pub(crate) struct KeyScratch {
    /// The ends of the values read on the line being scanned.
    pub ends: ValueEnds,
    norm: Vec<u8>,
    /// foldhash: fast, and seeded per process (the keys come from the logs).
    owners: HashMap<Box<[u8]>, Option<(usize, Ownership)>>,
}

/// Past this many distinct keys the owner cache starts over (memory stays bounded).
const OWNER_CACHE: usize = 4096;

/// A value found for a keyed rule: `rule` indexes the matcher's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyedHit {
    pub rule: usize,
    pub span: Range<usize>,
}

pub(crate) struct KeyedMatcher {
    pub rules: Vec<KeyedRule>,
    owners: owners::OwnerIndex,
}

/// Bytes of a key ([`crate::byteclass`]): the key around every keyword hit is measured byte by
/// byte, and so is a value that may start with a key of its own.
static KEY_BYTE: [bool; 256] =
    byte_set!(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'));

fn is_key_byte(b: u8) -> bool {
    KEY_BYTE[b as usize]
}

/// The word glued to a separator at `v` (`sess:<id>`, `password:reset`): letters, digits,
/// `_` and `-`, at most [`MAX_KEY`] bytes; None when `v` starts no such word.
fn glued_word(line: &[u8], v: usize) -> Option<&[u8]> {
    let n = line[v.min(line.len())..]
        .iter()
        .take(MAX_KEY)
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        .count();
    work::read(n + 1);
    (n > 0).then(|| &line[v..v + n])
}

/// The most spaces around a key alone on its line.
const MAX_MARGIN: usize = 32;

/// Is the key at `ks..ke` the last segment of a dotted path (`password`, `body.password`,
/// `user.0.password`) that is all its line holds but a margin of spaces? (Bounded: the path
/// at most [`MAX_KEY`] bytes, the margins [`MAX_MARGIN`].)
fn path_alone_on_its_line(line: &[u8], ks: usize, ke: usize) -> bool {
    // Most keys are followed by more of their line: turned away before the path is read.
    if line.len() - ke > MAX_MARGIN {
        return false;
    }
    let floor = ks.saturating_sub(MAX_KEY);
    let mut ps = ks;
    while ps > floor
        && (line[ps - 1].is_ascii_alphanumeric() || matches!(line[ps - 1], b'_' | b'.'))
    {
        ps -= 1;
    }
    ps <= MAX_MARGIN
        && line[..ps].iter().all(|&b| b == b' ')
        && line[ke..].iter().all(|b| b.is_ascii_whitespace())
        && !line[ps..ke].starts_with(b".")
}

/// Is the key at `ks..ke` a quoted string that is all its line holds, but a margin of spaces
/// and a comma after it (an element of a list written one a line)?
fn element_alone_on_its_line(line: &[u8], ks: usize, ke: usize) -> bool {
    let (Some(qs), Some(&q)) = (ks.checked_sub(1), line.get(ke)) else {
        return false;
    };
    if !is_quote(q) || line[qs] != q || qs > MAX_MARGIN || line.len() - ke > MAX_MARGIN {
        return false;
    }
    let rest = &line[ke + 1..];
    let rest = rest.strip_prefix(b",").unwrap_or(rest);
    line[..qs].iter().all(|&b| b == b' ') && rest.iter().all(|b| b.is_ascii_whitespace())
}

/// Where the path whose segment starts at `ks` starts: back over its segments, at most
/// [`MAX_KEY`] bytes.
fn path_start(line: &[u8], ks: usize) -> usize {
    let floor = ks.saturating_sub(MAX_KEY);
    let mut i = ks;
    while i > floor && (is_key_byte(line[i - 1]) || line[i - 1] == b'/') {
        i -= 1;
    }
    i
}

/// No key is longer: an identifier that is (`tokentokentoken…`) is not read to its ends at
/// every keyword inside it, which would cost the square of its length.
pub(crate) const MAX_KEY: usize = 256;

/// A value under a secret key longer than this is masked without being checked.
pub(crate) const MAX_VALUE: usize = 64 * 1024;

/// How far back from a quoted key the container of a parsed query string is looked for.
const QUERY_LABEL_REACH: usize = 128;

/// Is the quoted key at `ks` a parameter of a query string that a framework parsed and
/// printed (`query params: {'sig': …}`, `<MultiDictProxy('sig': …)>`, `<QueryDict: {…}>`,
/// `ImmutableMultiDict([('sig', …)])`, `searchParams`)? A name owned only as a query
/// parameter (`sig`, `key`) is owned there too: the same data in a dict's syntax. Told by
/// the label before the key's container: `query`, `params`, `args` (Flask's and Sanic's
/// `request.args`) or `multidict`.
fn in_a_parsed_query(line: &[u8], ks: usize) -> bool {
    let from = ks.saturating_sub(QUERY_LABEL_REACH);
    let before = &line[from..ks];
    work::read(before.len());
    // The key's container: the first bracket back that the text since does not close
    // (`{'exp': ['1'], 'sig': …`: the `{`, not the list's `[`).
    let mut depth = 0usize;
    let Some(open) = before.iter().rposition(|&b| match b {
        b'}' | b')' | b']' => {
            depth += 1;
            false
        }
        b'{' | b'(' | b'[' if depth == 0 => true,
        b'{' | b'(' | b'[' => {
            depth -= 1;
            false
        }
        _ => false,
    }) else {
        return false;
    };
    let label = &before[open.saturating_sub(48)..open];
    [&b"query"[..], b"params", b"args", b"multidict"]
        .iter()
        .any(|l| label.windows(l.len()).any(|w| w.eq_ignore_ascii_case(l)))
}

impl KeyedMatcher {
    pub(crate) fn new(rules: Vec<KeyedRule>) -> KeyedMatcher {
        let owners = owners::OwnerIndex::new(&rules);
        KeyedMatcher { rules, owners }
    }

    /// The keyed rule that owns `key` in every syntax.
    pub(crate) fn owner(&self, key: &[u8], scratch: &mut KeyScratch) -> Option<usize> {
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
        if mask::is_mask_text(key) {
            return None;
        }
        if let Some(&owner) = scratch.owners.get(key) {
            return owner;
        }
        let norm = &mut scratch.norm;
        normalize_key(key, norm);
        let owned = |norm: &[u8]| {
            self.owners
                .candidates(norm)
                .into_iter()
                .find_map(|i| self.rules[i].owns(norm).map(|o| (i, o)))
        };
        // A plural names a list of what its singular names (`api_keys`, `signingSecrets`).
        let owner = match norm.len() {
            0 => None,
            n => owned(norm).or_else(|| {
                (n > 4 && norm.ends_with(b"s") && !norm.ends_with(b"ss"))
                    .then(|| owned(&norm[..n - 1]))
                    .flatten()
            }),
        };
        if scratch.owners.len() >= OWNER_CACHE {
            scratch.owners.clear();
        }
        scratch.owners.insert(key.into(), owner);
        owner
    }

    /// Does the catalog name `key`: does a rule own it, in any syntax, or exclude it as a
    /// look-alike (`NextToken`, `AccountSid`), or does the key say its value is public?
    /// (Uncached: for the keys inside a clause.)
    fn named_by_the_catalog(&self, key: &[u8]) -> bool {
        let mut norm = Vec::with_capacity(key.len());
        normalize_key(key, &mut norm);
        work::read(key.len());
        !norm.is_empty()
            && (names_a_public_value(&norm)
                || self.owners.candidates(&norm).into_iter().any(|i| {
                    let r = &self.rules[i];
                    r.owns(&norm).is_some() || r.excludes(&norm)
                }))
    }

    /// Is `v` a plausible secret for `rule`?
    fn accept(&self, rule: usize, v: &[u8]) -> bool {
        let r = &self.rules[rule];
        // A word that ends with a colon labels what follows it (`Refresh: GraphQLError: …`).
        if v.len() < r.min_len
            || v.last() == Some(&b':')
            || is_masked(v)
            || is_placeholder(v)
            || is_reference(v)
            || is_number(v)
            || is_timestamp(v)
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
        // A structure is no token (`"{\"email\":…}"`, a session's data in its table).
        if r.token_like && (!token_like(v) || is_structure(v)) {
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
    pub(crate) fn scan_at(
        &self,
        line: &[u8],
        hit: Range<usize>,
        done_to: &mut usize,
        keys: &mut KeyScratch,
        out: &mut Vec<KeyedHit>,
    ) -> Option<Pending> {
        // A keyword may open with the key's quote (`"code"`: not `statusCode`), its tag
        // (`<code>`) or the bracket before it (`(tried '…')`).
        let hit = if is_quote(line[hit.start]) || matches!(line[hit.start], b'<' | b'(') {
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
        // nor is a word inside an ARN (`arn:aws:secretsmanager:…:secret:prod/db`) or a segment
        // of a path (`POST /api-keys: {…}`: the path syntaxes read a path's tokens).
        if ks < *done_to
            || mask::ends_in_a_mask_opening(&line[..ks])
            || in_arn(line, ks, &mut keys.ends)
        {
            return None;
        }
        if ks > 0 && line[ks - 1] == b'/' {
            // A path's last segment names a key only as a named value (an SSM parameter
            // `{'Name': '/prod/db/password', …, 'Value': '…'}`): the last of a quoted path.
            if !line.get(ke).copied().is_some_and(is_quote) {
                return None;
            }
            *done_to = ke;
            let path = path_start(line, ks);
            work::read(ks - path + 1);
            let found_before = out.len();
            let Some((rule, Ownership::Any)) = self.owner_in_any_syntax(&line[ks..ke], keys) else {
                return None;
            };
            let named = self.parse_named_value(line, rule, path..ke, &mut keys.ends, out);
            for h in &out[found_before..] {
                keys.ends.add_found(h.span.clone());
            }
            return named.pending();
        }
        *done_to = ke;
        let found_before = out.len();
        let pending = match self.owner_in_any_syntax(&line[ks..ke], keys)? {
            (rule, Ownership::Any) => {
                let pending = self.parse_after_key(line, rule, ks, ke, &mut keys.ends, out);
                // No value after the key: it may be one itself, named by its field, or a
                // rejected field's path, alone on its line.
                if out.len() == found_before && pending.is_none() {
                    let named = self.parse_named_value(line, rule, ks..ke, &mut keys.ends, out);
                    if named.is_there() || self.schema_error_value(line, rule, ks..ke, out) {
                        named.pending()
                    } else if path_alone_on_its_line(line, ks, ke) {
                        Some(Pending::new(rule, Open::Rejected))
                    } else if element_alone_on_its_line(line, ks, ke) {
                        // The last element of a path written one element a line (zod's
                        // `"path": [` / `"password"` / `],`): its value field may follow the
                        // list's close.
                        Some(Pending::new(rule, Open::NamedValue { depth: 1 }))
                    } else {
                        None
                    }
                } else {
                    pending
                }
            }
            (rule, Ownership::Limited { query, prose }) => {
                let before = ks.checked_sub(1).map(|i| line[i]);
                let parameter = matches!(before, Some(b'?' | b'&')) && line.get(ke) == Some(&b'=');
                let quoted = before.is_some_and(is_quote) && line.get(ke) == before.as_ref();
                if query && (parameter || quoted && in_a_parsed_query(line, ks)) {
                    self.parse_after_key(line, rule, ks, ke, &mut keys.ends, out)
                } else if let named =
                    self.parse_named_value(line, rule, ks..ke, &mut keys.ends, out)
                    && named.is_there()
                {
                    // A naming field says it is a key (`Setting key: code to value: …`).
                    named.pending()
                } else if prose
                    && matches!(before, Some(b' ' | b'('))
                    && line.get(ke) == Some(&b' ')
                {
                    self.parse_prose(line, rule, ke + 1, &mut keys.ends, out)
                } else if path_alone_on_its_line(line, ks, ke) {
                    Some(Pending::new(rule, Open::Rejected))
                } else {
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
    pub(crate) fn parse_after_key(
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
                // A subscript names what follows it (`On instance['password']:`, jsonschema's
                // error; `data["token"] = …`).
                if before_key > 0 && line[before_key - 1] == b'[' && line.get(i) == Some(&b']') {
                    i += 1;
                }
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
        // A GraphQL variable's definition (`($password: String!)`) gives its type, no value.
        if !key_quoted && ks > 0 && line[ks - 1] == b'$' && line.get(j) == Some(&b':') {
            return None;
        }
        let assignment = match line.get(j) {
            Some(b':') => {
                // `k:` but not a URL scheme (`token://`) or `::`.
                !matches!(line.get(j + 1), Some(b'/') | Some(b':'))
            }
            Some(b'=') => !matches!(line.get(j + 1), Some(b'=')),
            // `('k', 'v')`: a pair, not a list of names (`("session_key", "session_data",
            // "expire_date")`, an SQL column list).
            Some(b',') => {
                // A bytes repr's key (`(b'Set-Cookie', b'…')`, httpcore's header lists).
                let opener = match before_key.checked_sub(1).map(|i| line[i]) {
                    Some(b'b') => before_key.checked_sub(2),
                    _ => before_key.checked_sub(1),
                };
                key_quoted
                    && opener.is_some_and(|o| matches!(line[o], b'(' | b'['))
                    && closes_a_pair(line, skip_spaces(line, j + 1), ends)
            }
            _ => false,
        };
        // A name glued to a word by a colon is a namespaced name (`"password:reset"`, an event
        // or a cache key), unless what follows is generated (`sess:<id>`).
        if assignment
            && !key_quoted
            && j == i
            && line[j] == b':'
            && let Some(word) = glued_word(line, j + 1)
            && !looks_random(word, 12)
        {
            return None;
        }
        if assignment {
            let mut v = j + 1;
            if line.get(v) == Some(&b'>') {
                v += 1; // `=>`
            }
            let v = skip_spaces(line, v);
            return self.parse_value(line, rule, v, ends, out);
        }
        // Joi's message: `"refresh_token" with value "…" fails to match the required pattern`.
        const WITH_VALUE: &[u8] = b"with value ";
        if key_quoted && j == i + 1 && line[j..].starts_with(WITH_VALUE) {
            let v = j + WITH_VALUE.len();
            if opening_quote(line, v).is_some() {
                return self.parse_value(line, rule, v, ends, out);
            }
        }
        if !key_quoted && j == i + 1 && line.get(i) == Some(&b' ') && self.rules[rule].prose {
            return self.parse_prose(line, rule, j, ends, out);
        }
        // A bracketed tag names what its message is about (`[csrf] mismatch: header=…`): its
        // clause is read, not a value right after it (`[auth] accepting alg=none …`).
        if !key_quoted
            && ks > 0
            && line[ks - 1] == b'['
            && line.get(i) == Some(&b']')
            && line.get(i + 1) == Some(&b' ')
            && self.rules[rule].prose
        {
            return self.parse_clause(line, rule, i + 2, ends, out);
        }
        None
    }
}

#[cfg(test)]
pub(super) mod test_support {
    use super::*;

    /// The built-in catalog's keyed rules.
    pub(crate) fn builtin_matcher() -> KeyedMatcher {
        KeyedMatcher::new(
            crate::rules::parse_catalogs(crate::rules::BUILTIN_CATALOG)
                .unwrap()
                .keyed
                .iter()
                .map(|r| r.compile().unwrap())
                .collect(),
        )
    }

    /// The values `m` finds in `line`, a keyword hit at every byte (as the engine reports
    /// them: left to right).
    pub(crate) fn found(m: &KeyedMatcher, line: &[u8]) -> Vec<String> {
        let mut keys = KeyScratch::default();
        let mut out = Vec::new();
        let (mut done, mut i) = (0, 0);
        while i < line.len() {
            m.scan_at(line, i..i + 1, &mut done, &mut keys, &mut out);
            i += 1;
        }
        out.iter()
            .map(|h| String::from_utf8_lossy(&line[h.span.clone()]).into_owned())
            .collect()
    }
}
