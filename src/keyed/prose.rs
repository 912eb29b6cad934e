//! Prose: a secret noun followed by its value (`refresh token X -> Y`), or opening a clause
//! whose random-looking values are its (`CSRF mismatch: header=X expected=Y`).

use super::lex::*;
use super::plausible::*;
use super::{KeyedHit, KeyedMatcher, Open, Pending, is_key_byte};
use crate::mask::{is_masked, starts_with_a_mask};
use crate::rules::ValueSyntax;
use crate::rules::validators::looks_random;
use crate::work;
use memchr::memmem;
use std::ops::Range;

/// How far a clause after a secret noun in prose is read ([`KeyedMatcher::parse_clause`]).
pub(super) const CLAUSE_MAX: usize = 192;

pub(super) const CLAUSE_WORDS: usize = 10;

/// Words after which a clause's next value is one supplied (`password mismatch (tried '…')`).
const SUPPLIED: &[&[u8]] = &[
    b"tried",
    b"got",
    b"given",
    b"entered",
    b"provided",
    b"supplied",
    b"received",
    b"attempted",
    b"typed",
];

/// Words after which a clause's next value is one of those compared (`passwords differ ('…' !=
/// '…')`); unlike [`SUPPLIED`], never a record's key (`mismatch: header=…` names no value).
const COMPARED: &[&[u8]] = &[b"differ", b"mismatch", b"vs", b"!=", b"=="];

/// Keys in a clause that name the value the clause is about, besides [`SUPPLIED`] and
/// [`CHANGE_SIDES`] (`expected: '…', actual: '…'`).
const NAMES_THE_VALUE: &[&[u8]] = &[
    b"value",
    b"input",
    b"expected",
    b"actual",
    b"attempt",
    b"candidate",
    b"presented",
    b"new",
    b"old",
];

/// Keys that name the two sides of a change, in a record about a secret
/// ([`KeyedMatcher::parse_record_sides`]).
const CHANGE_SIDES: &[(&[u8], &[u8])] = &[
    (b"previous", b"next"),
    (b"prev", b"next"),
    (b"old", b"new"),
    (b"current", b"new"),
];

/// A field of a record whose key is one of [`SUPPLIED`] or [`CHANGE_SIDES`].
struct RecordField {
    key: &'static [u8],
    value: Range<usize>,
    quoted: bool,
}

/// The fields of `line` whose key is a side of a change or a value supplied (`"next":`,
/// `'got':`, `old=`, `new:`), in one pass over its separators. A separator inside a value read
/// is part of it (`next=next=next…` is read once).
fn record_fields(line: &[u8], ends: &mut ValueEnds) -> Vec<RecordField> {
    /// The longest of the keys, and a byte more: a longer key is another key.
    const LONGEST: usize = 9;
    let mut found = Vec::new();
    let mut read_to = 0;
    work::read(line.len());
    for sep in memchr::memchr2_iter(b':', b'=', line) {
        if sep < read_to {
            continue;
        }
        // The key before the separator, maybe quoted.
        let mut ke = sep;
        let quote = ke.checked_sub(1).map(|i| line[i]).filter(|&q| is_quote(q));
        if quote.is_some() {
            ke -= 1;
        }
        let ks = ke
            - line[ke.saturating_sub(LONGEST)..ke]
                .iter()
                .rev()
                .take_while(|&&b| b.is_ascii_alphabetic())
                .count();
        work::read(ke - ks + 1);
        let before = ks.checked_sub(1).map(|i| line[i]);
        let whole = match quote {
            Some(q) => before == Some(q),
            None => before.is_none_or(|b| !is_key_byte(b)),
        };
        let key = &line[ks..ke];
        let Some(&key) = SUPPLIED
            .iter()
            .chain(CHANGE_SIDES.iter().flat_map(|(a, b)| [a, b]))
            .find(|k| k.eq_ignore_ascii_case(key))
        else {
            continue;
        };
        if !whole {
            continue;
        }
        let v = skip_spaces(line, sep + 1);
        let (value, quoted) = match opening_quote(line, v) {
            Some((q, esc, body)) => (body..closing_quote(line, body, q, esc, ends), true),
            None => (v..first_unquoted_end(line, v, false), false),
        };
        read_to = value.end;
        found.push(RecordField { key, value, quoted });
    }
    found
}

/// Words after which a clause's next word names whose the secret is, not the secret
/// (`refresh token for cus_8f2K…`, `password of user u_93kd…`), with [`OWNERS`].
const SUBJECT_MARKERS: &[&[u8]] = &[b"for", b"of", b"by"];

/// Who a secret belongs to: after one, or as a key in a clause (`tenant: 'tnt_…'`), the value
/// names the owner, not the secret.
const OWNERS: &[&[u8]] = &[
    b"user",
    b"customer",
    b"account",
    b"client",
    b"tenant",
    b"member",
];

/// Where the bracket at `open` closes, before `limit`: brackets inside quoted strings do not
/// count. Reads each byte once.
fn bracket_end(line: &[u8], open: usize, limit: usize, ends: &mut ValueEnds) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = open;
    let found = loop {
        if j >= limit {
            break None;
        }
        match line[j] {
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' => {
                depth -= 1;
                if depth == 0 {
                    break Some(j);
                }
            }
            _ => {
                if let Some((q, esc, body)) = opening_quote(line, j) {
                    j = closing_quote(line, body, q, esc, ends);
                }
            }
        }
        j += 1;
    };
    work::read(j.min(limit) - open + 1);
    found
}

impl KeyedMatcher {
    /// `key value` in prose: taken only when the value is random-looking (or quoted, for
    /// passwords), so that "Token expired for user 42" stays. `X -> Y` rotations take both.
    pub(super) fn parse_prose(
        &self,
        line: &[u8],
        rule: usize,
        v: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) -> Option<Pending> {
        self.parse_record_sides(line, rule, ends, out);
        let Some(first) = self.prose_value(line, rule, v, ends) else {
            return self.parse_clause(line, rule, v, ends, out);
        };
        let mut end = first.end;
        out.push(KeyedHit { rule, span: first });
        // `old -> new`, `old => new`
        while end < line.len() && matches!(line[end], b'\'' | b'"') {
            end += 1;
        }
        for arrow in [&b" ->"[..], b" =>"] {
            if !line[end..].starts_with(arrow) {
                continue;
            }
            // The new value wrapped onto the next line.
            if only_margin_from(line, end + arrow.len()) {
                return Some(Pending::new(rule, Open::Value));
            }
            if line.get(end + arrow.len()) == Some(&b' ')
                && let Some(second) = self.prose_value(line, rule, end + arrow.len() + 1, ends)
            {
                out.push(KeyedHit { rule, span: second });
            }
        }
        None
    }

    /// The rest of a clause that a secret noun opens in prose, when the noun is not followed
    /// by its value: `CSRF mismatch: header=<a> expected=<b>`, `refresh token not found or
    /// revoked: <t>`, `bad password for x { tried: '<p>' }`. The clause is read word by word
    /// to its end (a sentence end, `;`, `|`, a bracket it did not open, a quote around no
    /// value, or [`CLAUSE_WORDS`] words in [`CLAUSE_MAX`] bytes); its random-looking values
    /// are the noun's, bare or quoted, after `key=`/`key:` or not, except the values of keys
    /// that name an identifier, a digest or a position (`request_id=`, `sha256:`, `cursor=`) or
    /// that the catalog names. The value of a key that says it was supplied or changed may
    /// also be what the rule takes quoted (`tried: 'pass word 1'`, `expected: '…'`), as may a
    /// value after a verb that says so (`tried 'pass word 1'`, `got '…'`); a record's other
    /// fields (`email: '…'`) give only random-looking values. A word after `for`, `of`, `by` or an
    /// owner (`user`, `customer`) is whose the secret is, not the secret. (An unquoted
    /// pass-phrase, `(password tried: Two words 5.)`, is not told from prose: it stays.) A
    /// clause that ends its line with `->` or an opening bracket leaves its value open for the
    /// next line.
    pub(super) fn parse_clause(
        &self,
        line: &[u8],
        rule: usize,
        v: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) -> Option<Pending> {
        let limit = line.len().min(v + CLAUSE_MAX);
        let r = &self.rules[rule];
        let takes_quoted = r.value == ValueSyntax::Plain && !r.token_like;
        // A noun inside a clause already read (`refresh token not found`) reads on from its
        // end: every byte of a line is read by one clause at most.
        let (mut i, mut words, mut depth) = (v.max(ends.clause_to), 0, 0usize);
        // The word before named whose the secret is (`for`, `user`): this one is not it.
        let mut subject = false;
        let mut open = None;
        // Whether the clause's value was read (taken, or one of our masks where it was): then
        // a bracket at the line's end opens no members for it, masked or not.
        let mut value_found = false;
        // After `key=` / `key:`: Some(whether the key names something else than the noun).
        let mut assigned: Option<ClauseKey> = if ends.clause_to > v {
            ends.clause_key
        } else {
            None
        };
        while words < CLAUSE_WORDS {
            i = skip_spaces(line, i).min(limit);
            if i >= limit {
                break;
            }
            value_found |= starts_with_a_mask(&line[i..]);
            // A quote glued to what is before it (`…=)" logger=`) closes a string the clause
            // stands in: the clause ends with it.
            if is_quote(line[i])
                && i > 0
                && !matches!(
                    line[i - 1],
                    b' ' | b'\t' | b'=' | b':' | b'(' | b'[' | b'{' | b','
                )
            {
                break;
            }
            match line[i] {
                b'{' | b'(' | b'[' if assigned == Some(ClauseKey::Other) => {
                    // The value of a key that is not the noun's, bracketed (`tenant_id: { S:
                    // '…' }`): all of it is that key's. Left open at the line's end, its
                    // members below are that key's too.
                    let Some(close) = bracket_end(line, i, limit, ends) else {
                        i = limit;
                        break;
                    };
                    i = close + 1;
                    assigned = None;
                    words += 1;
                    continue;
                }
                b'{' | b'(' | b'[' if only_margin_from(line, i + 1) => {
                    // Its members follow, one a line (tslog, util.inspect).
                    if !value_found {
                        open = Some(Pending::new(rule, Open::Clause));
                    }
                    i = line.len();
                    break;
                }
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
                // A quoted key (`{"tried": "…"}`): its value is the next word's.
                if line.get(skip_spaces(line, end + 1)) == Some(&b':') {
                    assigned = Some(self.clause_key(val));
                    i = skip_spaces(line, end + 1) + 1;
                    continue;
                }
                if subject {
                    // Whose the secret is (`for 'alice'`).
                    subject = false;
                    assigned = None;
                    i = end + 1;
                    continue;
                }
                let taken = assigned != Some(ClauseKey::Other)
                    && (looks_random(val, 16)
                        && !is_uuid(val)
                        && !is_camel_name(val)
                        && !is_short_hex_id(val)
                        || assigned == Some(ClauseKey::Supplied)
                            && takes_quoted
                            && (token_like(val) || generated_with_spaces(val) || pass_phrase(val)))
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
                value_found = true;
                i = end + 1;
                assigned = None;
                continue;
            }
            let ws = i;
            // A URL is read by its own syntaxes (query parameters, path tokens), never as
            // words: its parts are no clause's, masked or not.
            let run = line[ws..]
                .iter()
                .position(u8::is_ascii_whitespace)
                .map_or(line.len(), |o| ws + o);
            if memmem::find(&line[ws..run], b"://").is_some() {
                work::read(run - ws + 1);
                i = run;
                assigned = None;
                continue;
            }
            // A word that starts in the clause is read to its end (a value is never cut).
            while i < line.len()
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
            // A word run into a bracket is part of something else: a masked JWT's kept
            // header (`eyJ….[REDACTED:jwt]`), a call.
            let keyed_id = assigned == Some(ClauseKey::Other)
                || subject
                || key.is_some_and(|k| self.not_the_nouns(k))
                || matches!(line.get(i), Some(b'[' | b'(' | b'{'));
            let val = &line[value.clone()];
            // Bare words with no digit are words (`processTicksAndRejections`), but not a
            // value assigned to a key (`new=fXfTXBuzyZPzGrbVGuuYFczi`).
            if !keyed_id
                && looks_random(val, 16)
                && (val.iter().any(u8::is_ascii_digit) || key.is_some())
                && !is_uuid(val)
                && !is_camel_name(val)
                && !is_short_hex_id(val)
                && self.accept(rule, val)
            {
                out.push(KeyedHit { rule, span: value });
                value_found = true;
            }
            value_found |= is_masked(val);
            // `key:` / `key =`: the next word or quoted value is the key's; so it is after
            // a verb that says a value was supplied (`tried`, `got`).
            let plain =
                |list: &[&[u8]]| key.is_none() && list.iter().any(|w| w.eq_ignore_ascii_case(word));
            assigned = match (sep, key) {
                // The other side of a comparison (`'…' != '…'`).
                _ if COMPARED.iter().any(|w| w == &word) => Some(ClauseKey::Supplied),
                // Whose it is, then its value (`password rejected for ann@example.com: '…'`).
                (Some(s), Some(_)) if subject && ws + s + 1 == we => Some(ClauseKey::Supplied),
                (Some(s), Some(k)) if ws + s + 1 == we => Some(self.clause_key(k)),
                _ if plain(SUPPLIED) => Some(ClauseKey::Supplied),
                _ => None,
            };
            subject = plain(SUBJECT_MARKERS) || plain(OWNERS);
            if sentence_end || escaped_break.is_some() {
                break;
            }
            // `old -> ` and the new value on the next line (a console folded the line there).
            if (word == b"->" || word == b"=>") && only_margin_from(line, i) {
                open = Some(Pending::new(rule, Open::Value));
                break;
            }
        }
        if i >= ends.clause_to {
            ends.clause_to = i;
            ends.clause_key = assigned;
        }
        open
    }

    /// The sides of a change and the values supplied in a record whose message names a
    /// secret: `{"previous": "…", "next": "…", "msg": "rotated refresh token for …"}`,
    /// `old=… new=…`, `"got": "…"`. A structured logger writes the fields before the message,
    /// out of the clause's reach; their values are judged as the clause judges its own. A side
    /// counts only with its partner (a lone `next` is a page cursor or a redirect). Read once
    /// a line.
    fn parse_record_sides(
        &self,
        line: &[u8],
        rule: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) {
        if std::mem::replace(&mut ends.sides_read, true) {
            return;
        }
        let r = &self.rules[rule];
        let takes_quoted = r.value == ValueSyntax::Plain && !r.token_like;
        let fields = record_fields(line, ends);
        let has = |key: &[u8]| fields.iter().any(|f| f.key == key);
        for f in &fields {
            let counts = SUPPLIED.contains(&f.key)
                || CHANGE_SIDES
                    .iter()
                    .any(|&(a, b)| (f.key == a && has(b)) || (f.key == b && has(a)));
            let val = &line[f.value.clone()];
            let taken = counts
                && (looks_random(val, 16) && !is_uuid(val) && !is_camel_name(val)
                    || f.quoted
                        && takes_quoted
                        && (token_like(val) || generated_with_spaces(val) || pass_phrase(val)))
                && memmem::find(val, b"://").is_none()
                && !is_masked(val)
                && self.accept(rule, val);
            if taken {
                out.push(KeyedHit {
                    rule,
                    span: f.value.clone(),
                });
            }
        }
    }

    /// What a key inside a clause says of its value: not the noun's ([`Self::not_the_nouns`]),
    /// the noun's as supplied or changed (`tried:`, `got=`, `next:`), or nothing (`email:`,
    /// `role:`: a record's fields, whose values are the noun's only if random-looking; an
    /// owner's, `tenant:`, names whose the secret is).
    fn clause_key(&self, k: &[u8]) -> ClauseKey {
        // An owner (`tenant: 'tnt_…'`) is whose the secret is, as after `for`.
        let owner = OWNERS.iter().any(|w| w.eq_ignore_ascii_case(k));
        if owner || self.not_the_nouns(k) {
            ClauseKey::Other
        } else if NAMES_THE_VALUE.iter().any(|w| w.eq_ignore_ascii_case(k))
            || SUPPLIED.iter().any(|w| w.eq_ignore_ascii_case(k))
            || CHANGE_SIDES
                .iter()
                .any(|(a, b)| a.eq_ignore_ascii_case(k) || b.eq_ignore_ascii_case(k))
        {
            ClauseKey::Supplied
        } else {
            ClauseKey::Unsaid
        }
    }

    /// Is `k`, a key inside a clause, one whose value is not the noun's: a name for a
    /// random-looking value that is no secret (an identifier, a digest, a position in a
    /// listing: `request_id=`, `payload_hash:`, `cursor=`), or a key the catalog names (a
    /// rule owns it and judges its value, or excludes it as a look-alike: `NextToken`)?
    fn not_the_nouns(&self, k: &[u8]) -> bool {
        let ends_with = |tail: &[u8]| {
            k.len() >= tail.len() && k[k.len() - tail.len()..].eq_ignore_ascii_case(tail)
        };
        const NOT_SECRETS: &[&[u8]] = &[
            // identifiers (`AccountSid`, `CallSid`: string identifiers)
            b"id",
            b"ids",
            b"sid",
            // digests
            b"hash",
            b"sha",
            b"sha1",
            b"sha256",
            b"md5",
            b"etag",
            b"digest",
            b"checksum",
            b"commit",
            b"version",
            // positions in a listing
            b"cursor",
            b"marker",
            // round-trip values of an OAuth or OpenID flow, no credentials
            b"state",
            b"nonce",
        ];
        NOT_SECRETS.iter().any(|n| ends_with(n))
            || is_token_claim(k)
            // `Credential=AKIA…/aws4_request` is a credential scope, no password.
            || self.named_by_the_catalog(k)
    }

    pub(super) fn prose_value(
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
            let random = looks_random(val, 12) && !is_short_hex_id(val);
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
        let r = &self.rules[rule];
        let password = r.value == ValueSyntax::Plain && !r.token_like && generated_password(val);
        let random = looks_random(val, 12) && !is_short_hex_id(val);
        ((random || password) && self.accept(rule, val)).then_some(v..e)
    }
}

#[cfg(test)]
mod tests {
    use crate::keyed::test_support::*;

    #[test]
    fn prose_values_follow_their_noun_or_sit_in_its_clause() {
        let m = builtin_matcher();
        let t = "FAKE9wbJXMgwXJr4M33ckEt9NCuu8o2Vh7QVn";
        for (line, want) in [
            (
                format!("rotated refresh token {t} -> {t}x"),
                vec![t.to_string(), format!("{t}x")],
            ),
            (
                format!("refresh token not found or revoked: {t}"),
                vec![t.into()],
            ),
            (
                format!("CSRF mismatch: header={t} expected={t}y"),
                vec![t.into(), format!("{t}y")],
            ),
            (
                "invalid password 'J 1WNOK74=!+uK3' for user 7".into(),
                vec!["J 1WNOK74=!+uK3".into()],
            ),
            ("Token expired for user 42".into(), vec![]),
            (format!("token expired. next request {t}"), vec![]),
            (format!("csrf failed for request_id={t}"), vec![]),
            (format!("password reset requested cursor={t}"), vec![]),
            (
                format!("password reset requested 'AccountSid': '{t}'"),
                vec![],
            ),
            (format!("password reset, see 'NextToken': '{t}'"), vec![]),
            // Whose the secret is, and what was supplied.
            (
                format!("rotated refresh token for cus_oc44IPpDTE2vGM {t}"),
                vec![t.into()],
            ),
            (
                "rotated refresh token for cus_oc44IPpDTE2vGM {".into(),
                vec![],
            ),
            (
                "password mismatch for a@b.example.org (tried '$aygKBv~eP_o')".into(),
                vec!["$aygKBv~eP_o".into()],
            ),
            (
                "current password wrong for cus_azTHxCO2gZnje4: got '^iTG@c9jS~$y6nnozq'".into(),
                vec!["^iTG@c9jS~$y6nnozq".into()],
            ),
            ("password reset for 'Alice'".into(), vec![]),
            // A record's fields before its message: the two sides of a change, a value
            // supplied; a lone side is no change (a page cursor).
            (
                format!(r#"{{"previous":"{t}","next":"{t}2","msg":"rotated refresh token for cus_jw6PSnU019QzLS"}}"#),
                vec![t.into(), format!("{t}2")],
            ),
            (
                r#"{"got":"Cn\"Si@abQX4GO.","msg":"current password wrong for cus_sI7DbXD1xl0ijB"}"#.into(),
                vec![r#"Cn\"Si@abQX4GO."#.into()],
            ),
            (format!(r#"{{"next":"{t}","msg":"listing sessions"}}"#), vec![]),
            // A bracketed value of a key that is not the noun's is all that key's; so are a
            // token's claims and what a key says is public.
            (
                format!("api key rotated for tnt_7B65Q6ALCT2J (old {t}) {{ tenant_id: {{ S: 'tnt_7B65Q6ALCT2J' }} }} {t}z"),
                vec![t.into(), format!("{t}z")],
            ),
            (
                format!("accepting unsigned token for support: sub: 'tnt_AY2PPF0192GK', jti: '{t}'"),
                vec![],
            ),
            (
                "map token issued: public_token: 'pk.eyJ1IjoiaGFyYm9ybGFuZSJ9.MSRRE1Ki3KKcH8EUv'".into(),
                vec![],
            ),
            // A value that starts in the clause is read to its end.
            (
                format!(
                    "session issuing lb_session={}.{t}",
                    "eyJzaWQiOiJUdTVBdXp0bVRG".repeat(8)
                ),
                vec![format!("{}.{t}", "eyJzaWQiOiJUdTVBdXp0bVRG".repeat(8))],
            ),
            // A clause cut off between a key and its value: the clause that reads on (the
            // second `token`'s) reads the value as that key's.
            (
                format!("Token expired for user 42 Token expired for user 42 \"sha\": \"{t}\""),
                vec![],
            ),
        ] {
            // Two nouns (`refresh`, `token`) may find a value each: the engine merges them.
            let mut got = found(&m, line.as_bytes());
            got.sort();
            got.dedup();
            assert_eq!(got, want, "{line}");
        }
    }

    #[test]
    fn each_byte_is_read_by_one_clause_at_most() {
        let m = builtin_matcher();
        let short = "rotated refresh token ".repeat(64);
        let long = short.repeat(16);
        let work = |line: &str| {
            crate::work::take();
            found(&m, line.as_bytes());
            crate::work::take()
        };
        let (w_short, w_long) = (work(&short), work(&long));
        assert!(w_long <= 20 * w_short, "{w_short} -> {w_long}");
    }
}
