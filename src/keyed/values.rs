//! Value syntaxes after a key's separator: quoted, unquoted, lists and tuples, constructor
//! wrappers (`SecretStr('…')`), objects under a secret key, DynamoDB typed values, and the
//! rules' own value syntaxes (an `Authorization` scheme, a cookie header's pairs).

use super::lex::*;
use super::plausible::*;
use super::{KeyedHit, KeyedMatcher, MAX_KEY, Open, Pending, Typed, is_key_byte};
use crate::mask::is_masked;
use crate::rules::ValueSyntax;
use crate::rules::validators::looks_random;
use crate::work;
use std::ops::Range;

/// `Name(…)` at `v`, a wrapper, constructor or function call: where its parenthesis opens.
/// The name is a word (letters, `_`, dots) and a `)` that ends the value closes the call
/// within [`MAX_CALL_ARGUMENTS`] bytes: a generated password with a parenthesis
/// (`k3q(9Zb)Xw`, `Qx(ab)Zq`) is no call.
pub(super) fn wrapper_call(line: &[u8], v: usize) -> Option<usize> {
    let name = line[v..]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.'))
        .count();
    work::read(name + 1);
    if name == 0 || line.get(v + name) != Some(&b'(') {
        return None;
    }
    let open = v + name;
    let args = &line[open + 1..line.len().min(open + 1 + MAX_CALL_ARGUMENTS)];
    work::read(args.len());
    let closes = args
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b')' && !args.get(i + 1).is_some_and(u8::is_ascii_alphanumeric));
    closes.then_some(open)
}

/// Is `name`, the name of a call, a function's or method's (`getpass("Password: ")`,
/// `vault.read('…')`, `request.headers.get('X-Api-Token')`)? Such a call computes the value
/// from its arguments, which are not the value. Its name (the last segment of a dotted one) is
/// a word in lower case; a constructor, `SecretStr('…')`, wraps the value instead.
pub(super) fn is_function_name(name: &[u8]) -> bool {
    let last = name.rsplit(|&b| b == b'.').next().unwrap_or(name);
    last.first().is_some_and(u8::is_ascii_lowercase) && last.len() >= 3 && !looks_random(name, 8)
}

/// How far a call's closing parenthesis is looked for.
const MAX_CALL_ARGUMENTS: usize = 256;

/// Does a member's key name an identifier that is not the secret of the key above the object:
/// another entity's (`customerId`, `user_id`), or the record's own `id` unless the rule says
/// a record's id is its secret (a session's)?
fn names_an_identifier(key: &[u8], record_id: bool) -> bool {
    let n = key.len();
    let ends = |tail: &[u8]| n > tail.len() + 1 && key[n - tail.len()..].eq_ignore_ascii_case(tail);
    (ends(b"id") || ends(b"ids")) && !key.eq_ignore_ascii_case(b"sid")
        || !record_id && key.eq_ignore_ascii_case(b"id")
}

/// Is `name` an attribute of a `Set-Cookie` header (`Path=/`, `SameSite=Lax`), not a cookie?
/// A `Set-Cookie` value read as a cookie list (under a `set_cookie` key) has them after its
/// cookie.
fn is_cookie_attribute(name: &[u8]) -> bool {
    [
        &b"path"[..],
        b"domain",
        b"expires",
        b"max-age",
        b"samesite",
        b"priority",
    ]
    .iter()
    .any(|a| a.eq_ignore_ascii_case(name))
}

/// The most strings read from one list value.
pub(super) const MAX_LIST_VALUES: usize = 8;

/// Is the quoted string at `v` the last of its tuple (a closing bracket right after it)?
pub(super) fn closes_a_pair(line: &[u8], v: usize, ends: &mut ValueEnds) -> bool {
    // A bytes repr (`b'…'`) as the key's was.
    let v = if line.get(v) == Some(&b'b') { v + 1 } else { v };
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

impl KeyedMatcher {
    /// The value of `key = value` starting at `v` (separator and spaces skipped).
    pub(super) fn parse_value(
        &self,
        line: &[u8],
        rule: usize,
        v: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) -> Option<Pending> {
        if only_margin_from(line, v) {
            return Some(Pending::new(rule, Open::Value));
        }
        // DynamoDB typed JSON: `{"S": "v"}`, `{ S: 'v' }`, or `{` with `S: 'v'` on the next line;
        // any other object's generated-looking strings (`"session": {"id": "…"}`).
        if line[v] == b'{' {
            let w = skip_spaces(line, v + 1);
            if only_margin_from(line, w) {
                return Some(Pending::new(rule, Open::Members));
            }
            return match self.parse_dynamo_string(line, rule, w, ends, out) {
                Typed::Read(open) => open,
                Typed::No => {
                    self.parse_object(line, rule, w, ends, out);
                    None
                }
            };
        }
        if matches!(line[v], b'[' | b'(') && only_margin_from(line, v + 1) {
            return Some(Pending::new(rule, Open::Members));
        }
        let mut v = v;
        // Python bytes repr: b'…'
        if line[v] == b'b' && line.get(v + 1).is_some_and(|&b| b == b'\'' || b == b'"') {
            v += 1;
        }
        let span = if let Some((q, esc, body)) = opening_quote(line, v) {
            let end = quoted_value_end(line, body, q, esc, ends);
            if end == line.len() && esc == 0 {
                // No closing quote: a console may have folded the value here, to go on on the
                // next line. Its content ends at a wide gap before a right-hand margin (rich's
                // path column), or at the line's end.
                let cut = wide_gap(line, body).filter(|&g| only_margin_from(line, g));
                let span = trim(line, body..cut.unwrap_or(end));
                let open = !span.is_empty();
                self.emit_value(line, rule, span, out);
                return open.then(|| Pending::new(rule, Open::Folded { quote: Some(q) }));
            }
            body..end
        } else if matches!(line[v], b'[' | b'(') {
            self.parse_list(line, rule, v, false, ends, out);
            return None;
        } else if line[v] == b'{' {
            return None;
        } else if let Some(open) = wrapper_call(line, v) {
            // A constructor around the value (`SecretStr('…')`, `Secret("…")`): its argument.
            // A function call computes the value from its arguments: none is the value.
            if !is_function_name(&line[v..open]) {
                self.parse_list(line, rule, open, false, ends, out);
            }
            return None;
        } else if !matches!(
            self.rules[rule].value,
            ValueSyntax::Cookie | ValueSyntax::SetCookie
        ) && self.starts_with_a_key_of_its_own(line, v, ends)
        {
            // `auth: Authorization: Bearer …`, `INFO token: api_key=…` (a logger named
            // `auth`, `token`): the word after the key is a key the catalog knows, whose value
            // is read at its own keyword; it is not this key's value. (A cookie's value is
            // `name=value` by its syntax.)
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
        let found = out.len();
        let end = span.end;
        self.emit_value(line, rule, span, out);
        // A bare value that ends the line's content and was taken may have been folded.
        (out.len() > found && !line[end - 1].is_ascii_whitespace() && only_margin_from(line, end))
            .then(|| Pending::new(rule, Open::Folded { quote: None }))
    }

    /// Does an unquoted value at `v` start with a key the catalog names, assigned (`k=…`,
    /// `k: …`, `k:` at the end)? Read to the key's end only: bounded by the key.
    fn starts_with_a_key_of_its_own(&self, line: &[u8], v: usize, ends: &mut ValueEnds) -> bool {
        let n = line[v..]
            .iter()
            .take_while(|&&b| super::is_key_byte(b))
            .count();
        let assigned = match line.get(v + n) {
            Some(b':') => matches!(line.get(v + n + 1), None | Some(b' ' | b'\t')),
            Some(b'=') => line.get(v + n + 1) != Some(&b'='),
            _ => false,
        };
        let key = &line[v..v + n];
        n > 0 && assigned && ends.named_by_the_catalog(key, || self.named_by_the_catalog(key))
    }

    /// The quoted strings of a list or tuple under a secret key (`'password': ['…']`, a
    /// Django `QueryDict`; `args=('…', '…')`), starting at its bracket `v`, in the rule's
    /// value syntax; with `generated_only`, only those that look generated (a list member of
    /// an object under the key: `session: { keys: ['…'] }`). At most [`MAX_LIST_VALUES`] are
    /// read.
    pub(super) fn parse_list(
        &self,
        line: &[u8],
        rule: usize,
        v: usize,
        generated_only: bool,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) {
        let mut w = skip_spaces(line, v + 1);
        for _ in 0..MAX_LIST_VALUES {
            let Some((q, esc, body)) = opening_quote(line, w) else {
                return;
            };
            let end = quoted_value_end(line, body, q, esc, ends);
            if !generated_only {
                self.emit_value(line, rule, body..end, out);
            } else if looks_random(&line[body..end], 16) && self.accept(rule, &line[body..end]) {
                out.push(KeyedHit {
                    rule,
                    span: body..end,
                });
            }
            w = skip_spaces(line, (end + esc + 1).min(line.len()));
            if line.get(w) != Some(&b',') {
                return;
            }
            w = skip_spaces(line, w + 1);
        }
    }

    /// `S: 'v'` / `"S": "v"` inside a DynamoDB attribute value, starting at `w`: whether it
    /// was that shape, and what its value left open.
    pub(super) fn parse_dynamo_string(
        &self,
        line: &[u8],
        rule: usize,
        w: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) -> Typed {
        let (s_pos, after_s) = match opening_quote(line, w) {
            Some((q, esc, body)) => {
                if line.get(body) == Some(&b'S')
                    && closing_quote(line, body, q, esc, ends) == body + 1
                {
                    (body, body + 1 + esc + 1)
                } else {
                    return Typed::No;
                }
            }
            None => (w, w + 1),
        };
        if line.get(s_pos) != Some(&b'S') {
            return Typed::No;
        }
        let c = skip_spaces(line, after_s);
        if line.get(c) != Some(&b':') {
            return Typed::No;
        }
        let v = skip_spaces(line, c + 1);
        Typed::Read(self.parse_value(line, rule, v, ends, out))
    }

    /// The members of an object under a secret key (`"session": {"id": "…", "expires": …}`,
    /// `password: { hash: '…', salt: '…' }`), from its first member at `w`: a member's key
    /// says little (a secret one is read by its own keyword), so its quoted strings that
    /// look generated are the parent's secrets, unless the key names another entity's
    /// identifier (`customerId`); dates, words and numbers stay. At most
    /// [`MAX_LIST_VALUES`] members are read, and a nested object or list ends the read.
    pub(super) fn parse_object(
        &self,
        line: &[u8],
        rule: usize,
        mut w: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) {
        for _ in 0..MAX_LIST_VALUES {
            // The member's key, quoted or bare.
            let (key, after_key) = match opening_quote(line, w) {
                Some((q, esc, body)) => {
                    let end = closing_quote(line, body, q, esc, ends);
                    (body..end, end + esc + 1)
                }
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
                    (w..w + n, w + n)
                }
            };
            let theirs = names_an_identifier(&line[key.clone()], self.rules[rule].record_id)
                || is_token_claim(&line[key]);
            let c = skip_spaces(line, after_key.min(line.len()));
            if line.get(c) != Some(&b':') {
                return;
            }
            let v = skip_spaces(line, c + 1);
            let next = match opening_quote(line, v) {
                Some((q, esc, body)) => {
                    let end = closing_quote(line, body, q, esc, ends);
                    let value = &line[body..end];
                    if !theirs && looks_random(value, 16) && self.accept(rule, value) {
                        out.push(KeyedHit {
                            rule,
                            span: body..end,
                        });
                    }
                    (end + esc + 1).min(line.len())
                }
                // A list member: its generated strings (`session: { keys: ['…'] }`), and the
                // read ends, as at a nested object.
                None if line.get(v) == Some(&b'[') => {
                    self.parse_list(line, rule, v, true, ends, out);
                    return;
                }
                None if matches!(line.get(v), Some(b'{') | None) => return,
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
    pub(super) fn emit_authorization(
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
            // Spaces and colour codes after the scheme may run past the value's end (`"- \e[39m`
            // unterminated): the credential is only looked for inside the value.
            let s = skip_spaces(line, span.start + scheme_len).min(span.end);
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

    pub(super) fn emit_cookies(
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
            let eq = memchr::memchr(b'=', &line[pos..part_end]);
            // A cookie's value logged without its name (`!<sig>?<payload>`, a signed cookie
            // whose base64 ends in `=`): what stands before the `=` is no cookie name when it
            // holds a `/` (no name may: RFC 6265 token) or is long and random-looking, and the
            // whole part is the value.
            let nameless = eq.is_some_and(|eq| {
                let part = &line[trim(line, pos..part_end)];
                let name = &line[trim(line, pos..pos + eq)];
                // The name first: it is short, the part may run to the end of a long value.
                (name.contains(&b'/')
                    || name.len() >= 24 && token_like(name) && name.iter().any(u8::is_ascii_digit))
                    // One bare token, not a stretch of some other syntax read as a cookie.
                    && !part.iter().any(|b| b"\"', :{}()[]<>\\".contains(b))
            });
            if nameless {
                let val = trim(line, pos..part_end);
                let v = &line[val.clone()];
                if !is_masked(v) {
                    out.push(KeyedHit { rule, span: val });
                }
            } else if let Some(eq) = eq
                && !is_cookie_attribute(&line[trim(line, pos..pos + eq)])
            {
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
}

#[cfg(test)]
mod tests {
    use super::{is_function_name, wrapper_call};
    use crate::keyed::test_support::*;

    #[test]
    fn lists_are_read_and_pairs_are_not_column_lists() {
        let m = builtin_matcher();
        let found = |line: &[u8]| found(&m, line);
        assert_eq!(
            found(b"<QueryDict: {'password': ['FAKEpw0rd!', 'FAKEagain1'], 'next': ['/']}>"),
            ["FAKEpw0rd!", "FAKEagain1"]
        );
        assert_eq!(
            found(b"[('api_key', 'FAKEapikeyFAKE0123')]"),
            ["FAKEapikeyFAKE0123"]
        );
        assert!(
            found(br#"INSERT INTO "s" ("session_key", "session_data", "expire_date")"#).is_empty()
        );
    }

    /// A fuzz finding: an authorization value that is a scheme-like word, a space and a colour
    /// code, its quote never closed, once sliced past its own end.
    #[test]
    fn an_authorization_value_ending_in_a_colour_code_is_read_inside_itself() {
        let m = builtin_matcher();
        for line in [
            "ua=\"python-requests/2.34.2\" auth=\"- \x1b[39m",
            "Authorization: Bearer \x1b[39m",
            "authorization=\"Bearer  \x1b[0m\x1b[39m",
        ] {
            assert!(found(&m, line.as_bytes()).is_empty(), "{line:?}");
        }
        assert_eq!(
            found(
                &m,
                b"authorization=\"Bearer \x1b[32mFAKEtokenFAKEtoken0123\x1b[39m\""
            ),
            ["FAKEtokenFAKEtoken0123"]
        );
    }

    /// A logger named like a secret key (`auth:`, `token:`) is followed by the message, whose
    /// own keys are read where they are: the key and its value are never taken for one value.
    #[test]
    fn a_function_call_is_not_a_value_and_a_constructor_wraps_one() {
        for (line, call) in [
            (&b"password = getpass(\"Password: \")"[..], true),
            (b"token = request.headers.get('X-Api-Token')", true),
            (b"secret = vault.read('secret/data/app')", true),
            (b"password = SecretStr('k3q9ZbXw')", false),
            (b"password = pydantic.SecretStr('k3q9ZbXw')", false),
            // Generated passwords with a parenthesis.
            (b"password = k3q(9Zb)Xw", false),
            (b"password = abc(9Zb", false),
            (b"password = Qx(ab)Zq", false),
            (b"password = xQ7kP2mN9vRt(a)", false),
        ] {
            let v = line.iter().position(|&b| b == b'=').unwrap() + 2;
            let function_call =
                wrapper_call(line, v).is_some_and(|open| is_function_name(&line[v..open]));
            assert_eq!(function_call, call, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn a_key_after_a_key_is_not_its_value() {
        let m = builtin_matcher();
        for (line, want) in [
            (
                "INFO auth: Authorization: Bearer FAKEtokenFAKEtoken0123",
                &["FAKEtokenFAKEtoken0123"][..],
            ),
            (
                "INFO auth: token=FAKEtokenFAKEtoken0123 issued",
                &["FAKEtokenFAKEtoken0123"],
            ),
            (
                "INFO token: api_key=FAKEapikeyFAKE0123",
                &["FAKEapikeyFAKE0123"],
            ),
            (
                "INFO session: session_id=FAKEx8Kq2LmZ7pR4tY9w",
                &["FAKEx8Kq2LmZ7pR4tY9w"],
            ),
            // Not a key the catalog knows: still the value.
            ("password: user=FAKEpw0rd!", &["user=FAKEpw0rd!"]),
            ("password: FAKEpw0rd!", &["FAKEpw0rd!"]),
        ] {
            assert_eq!(found(&m, line.as_bytes()), want, "{line}");
        }
    }

    #[test]
    fn each_value_syntax_gives_its_value() {
        let m = builtin_matcher();
        for (line, want) in [
            (r#"{"password": "FAKEpw0rd!"}"#, "FAKEpw0rd!"),
            (r#"{\"password\": \"FAKEpw0rd!\"}"#, "FAKEpw0rd!"),
            ("{'password': b'FAKEpw0rd!'}", "FAKEpw0rd!"),
            ("password=FAKEpw0rd! next", "FAKEpw0rd!"),
            ("{ password: 'FAKEpw0rd!' }", "FAKEpw0rd!"),
            ("password => FAKEpw0rd!", "FAKEpw0rd!"),
            ("<password>FAKEpw0rd!</password>", "FAKEpw0rd!"),
            ("('password', 'FAKEpw0rd!')", "FAKEpw0rd!"),
            ("password=SecretStr('FAKEpw0rd!')", "FAKEpw0rd!"),
            (r#"{"password": {"S": "FAKEpw0rd!"}}"#, "FAKEpw0rd!"),
            ("password: 'FAKEpw0rd!''x1'", "FAKEpw0rd!''x1"),
            (
                r#""session": {"id": "FAKEx8Kq2LmZ7pR4tY9w", "expires": "2026-12-05"}"#,
                "FAKEx8Kq2LmZ7pR4tY9w",
            ),
        ] {
            assert_eq!(found(&m, line.as_bytes()), [want], "{line}");
        }
    }

    #[test]
    fn a_cookie_value_without_its_name_is_all_value() {
        let m = builtin_matcher();
        for v in [
            "!FAKEhgcYwmgPhLntbn/TVsTgOsV7NoJ4pcL0ILVD=?gASVFAKE",
            "!FAKE0oJft5g1fF44DIKjknGIaHijKKI06kTLYstx=?gASVFAKE",
            "!FAKE0oJft5g1fF44DIKjknGIaHijKKI06kTLYstx07A=?gASVFAKE",
        ] {
            assert_eq!(found(&m, format!("set_cookie=\"{v}\"").as_bytes()), [v]);
        }
        let mut named = found(&m, b"Set-Cookie: session=FAKEabc123def456; Path=/");
        named.dedup();
        assert_eq!(named, ["FAKEabc123def456"]);
    }
}
