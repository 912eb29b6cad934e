//! Values that a line leaves open at its end, and the lines that finish them: a key whose
//! value is on the next line (botocore's `Signature:`), brackets whose members a pretty
//! printer writes one a line (tslog, util.inspect: `refreshToken: {` / `S: '…'`), and a
//! value that a console handler folded at its width (rich), quoted or bare.
//!
//! The state is a [`Pending`] carried from one line to the next, for at most
//! [`MAX_PENDING_LINES`] lines: nothing is buffered.

use super::lex::*;
use super::{KeyedHit, KeyedMatcher, ValueEnds};
use crate::mask::is_masked;
use crate::work;
use std::ops::Range;

/// A value that a line left unfinished, for `rule`: the next line is read for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pending {
    pub rule: usize,
    pub open: Open,
    /// Lines read for it so far: none is read past [`MAX_PENDING_LINES`].
    pub lines: u8,
}

/// How a value was left open at the end of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Open {
    /// The key and its separator (or a rotation's `->`) ended the line: the value is the
    /// next line's (botocore's `Signature:` then the hex).
    Value,
    /// A bracket after the key ended the line (`refreshToken: {`, `keys: [`): pretty printers
    /// (util.inspect, tslog) write the members one a line, up to the line that closes it.
    Members,
    /// A clause that a secret noun opens in prose ended its line with a bracket (`rotated
    /// refresh token for cus_8f2K… {`): the members below are read as the rest of the clause
    /// (`next: '…'`, `got: '…'`), up to the line that closes it.
    Clause,
    /// The value reached the end of the line's content with its quote still open (`Some`), or
    /// unquoted: a console handler folded it at its width (rich), and the next line, indented,
    /// goes on with it.
    Folded { quote: Option<u8> },
    /// A key written as the value of a naming field ended its line with the comma after it
    /// (`"name": "SECRET_KEY",`, pretty-printed JSON): a line below opens with its value
    /// field (`"value": "…"`); `depth`: objects entered since.
    NamedValue { depth: u8 },
    /// A field's path was the whole line, as a pydantic validation error writes where it
    /// failed (`password`, `body.password`): the next line says why, and what it rejected
    /// (`… [type=string_too_short, input_value='…', input_type=str]`).
    Rejected,
}

/// A value left open is not looked for further than this many lines on.
pub(super) const MAX_PENDING_LINES: u8 = 16;

/// How far into the line after a rejected field's path its `input_value=` is looked for.
const MAX_REJECTED_AT: usize = 1024;

impl Pending {
    pub(crate) fn new(rule: usize, open: Open) -> Pending {
        Pending {
            rule,
            open,
            lines: 0,
        }
    }

    /// The same value, still open after one more line, unless that was the last one read.
    fn read_on(self, open: Open) -> Option<Pending> {
        self.read_on_within(open, MAX_PENDING_LINES)
    }

    /// [`Pending::read_on`], with at most `lines` lines read.
    pub(super) fn read_on_within(self, open: Open, lines: u8) -> Option<Pending> {
        (self.lines + 1 < lines).then_some(Pending {
            rule: self.rule,
            open,
            lines: self.lines + 1,
        })
    }
}

impl KeyedMatcher {
    /// The line after one that left a value open ([`Pending`]): what it holds of the value
    /// goes to `out`; returns what is still open after it.
    pub(crate) fn resolve_pending(
        &self,
        line: &[u8],
        p: Pending,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) -> Option<Pending> {
        let v = skip_spaces(line, 0);
        if v >= line.len() || line[v] == b'\r' {
            return None;
        }
        match p.open {
            Open::Value => self.value_on_its_own_line(line, p, v, ends, out),
            Open::Members => self.member_line(line, p, v, ends, out),
            Open::Clause => {
                if matches!(line[v], b'}' | b']' | b')') {
                    return None;
                }
                self.parse_clause(line, p.rule, v, ends, out);
                p.read_on(Open::Clause)
            }
            Open::NamedValue { .. } => self.named_value_line(line, p, v, ends, out),
            Open::Rejected => {
                const INPUT: &[u8] = b"input_value=";
                let window = &line[..line.len().min(MAX_REJECTED_AT)];
                work::read(window.len());
                let at = memchr::memmem::find(window, INPUT)? + INPUT.len();
                // The rejected input's repr: a string is quoted (a dict or a number is no
                // secret of the field's).
                opening_quote(line, at)?;
                self.parse_value(line, p.rule, at, ends, out);
                None
            }
            Open::Folded { quote } => {
                // A folded line goes on indented (rich indents it to the message's column).
                if v == 0 {
                    return None;
                }
                let open = self.folded_rest(line, p, v, quote, out)?;
                p.read_on(Open::Folded { quote: open })
            }
        }
    }

    /// The line after a secret key that ended its line: a bare value (botocore's
    /// `Signature:` then the hex), a quoted value, DynamoDB's `S: 'v'`, or the bracket that
    /// opens the value's members.
    fn value_on_its_own_line(
        &self,
        line: &[u8],
        p: Pending,
        v: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) -> Option<Pending> {
        if matches!(line[v], b'{' | b'[' | b'(') && only_margin_from(line, v + 1) {
            return p.read_on(Open::Members);
        }
        // A DynamoDB type on the next line (`S: '…'`, `"S": "…"`), not a value that starts
        // with an `S`.
        if let Typed::Read(open) = self.parse_dynamo_string(line, p.rule, v, ends, out) {
            return open.and_then(|o| p.read_on(o.open));
        }
        if opening_quote(line, v).is_some() {
            return self
                .parse_value(line, p.rule, v, ends, out)
                .and_then(|o| p.read_on(o.open));
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
        None
    }

    /// A line inside the brackets opened after a secret key, as pretty printers write them:
    /// one member a line (`S: '…'`, `'…',`, `key: '…'`), up to the line that closes them.
    fn member_line(
        &self,
        line: &[u8],
        p: Pending,
        v: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) -> Option<Pending> {
        if matches!(line[v], b'}' | b']' | b')') {
            return None;
        }
        if let Typed::Read(_) = self.parse_dynamo_string(line, p.rule, v, ends, out) {
        } else if opening_quote(line, v).is_some()
            && line.get(skip_spaces(line, closing_of(line, v, ends) + 1)) != Some(&b':')
        {
            // An element of a list: a value of the key's own.
            self.parse_value(line, p.rule, v, ends, out);
        } else {
            self.parse_object(line, p.rule, v, ends, out);
        }
        p.read_on(Open::Members)
    }

    /// The rest of a value folded onto this line at `v` (after its indentation): up to its
    /// closing quote, or, when it was bare, the line's only run (or its first, after a piece
    /// that filled a line). Returns whether (and with which quote) it is still open after
    /// this line.
    fn folded_rest(
        &self,
        line: &[u8],
        p: Pending,
        v: usize,
        quote: Option<u8>,
        out: &mut Vec<KeyedHit>,
    ) -> Option<Option<u8>> {
        let run_end = line[v..]
            .iter()
            .position(|b| b.is_ascii_whitespace())
            .map_or(line.len(), |o| v + o);
        work::read(run_end - v + 1);
        let piece = &line[v..run_end];
        let mut hit = |span: Range<usize>| {
            if !span.is_empty() && !is_masked(&line[span.clone()]) {
                out.push(KeyedHit { rule: p.rule, span });
            }
        };
        let Some(q) = quote else {
            // A bare value's last piece stands alone on its line, and is no word; after a
            // piece that filled a line, the run that starts this one is its rest.
            let alone = only_margin_from(line, run_end)
                && (piece.iter().any(u8::is_ascii_digit) || piece.len() >= 20);
            if !(alone || p.lines > 0 && piece.len() > 1) {
                return None;
            }
            hit(v..run_end);
            return (alone && piece.len() >= FOLDED_PIECE).then_some(None);
        };
        match memchr::memchr(q, piece) {
            Some(o) => {
                hit(v..v + o);
                None
            }
            None if only_margin_from(line, run_end) => {
                hit(v..run_end);
                Some(Some(q))
            }
            None => None,
        }
    }
}

/// A bare piece of a folded value at least this long may go on on the next line.
const FOLDED_PIECE: usize = 40;

/// The end of the quoted string that opens at `v` (where its closing quote is).
fn closing_of(line: &[u8], v: usize, ends: &mut ValueEnds) -> usize {
    match opening_quote(line, v) {
        Some((q, esc, body)) => closing_quote(line, body, q, esc, ends) + esc,
        None => v,
    }
}

/// Did a DynamoDB type wrap the value (`S: 'v'`), and what does it leave open?
pub(crate) enum Typed {
    No,
    Read(Option<Pending>),
}

#[cfg(test)]
mod tests {
    use crate::dynamo::tests::masked;

    const HEX: &str = "9550669acb063527a7d50d5bb33b023e1fc15dfe4537f5acd13f6a37015c06b8";

    /// pydantic writes a failed field's path alone on its line and what it rejected on the
    /// next; a path that is not a secret's, a line with no `input_value=`, and an input that
    /// is no string leave nothing found.
    #[test]
    fn a_rejected_field_takes_the_input_of_the_next_line() {
        crate::dynamo::tests::assert_masked(&[
            ("2 validation errors for Login", ""),
            ("password", ""),
            (
                "  String should have at least 12 characters [type=string_too_short, input_value='hunter2x', input_type=str]",
                "hunter2x",
            ),
            ("user.0.api_key", ""),
            (
                "  Value error, bad key [type=value_error, input_value=\"Zk3q'P9vX2mLr8Tn\", input_type=str]",
                "Zk3q'P9vX2mLr8Tn",
            ),
            ("email", ""),
            (
                "  value is not a valid email address [type=value_error, input_value='Quay7harbour9z', input_type=str]",
                "",
            ),
            ("password", ""),
            ("Login failed", ""),
            ("  for user 42 [input_value='Quay7harbour9q']", ""),
            ("token", ""),
            (
                "  Input should be a valid string [type=string_type, input_value={'a': 1}, input_type=dict]",
                "",
            ),
        ]);
    }

    /// A subscript names what follows it: jsonschema's `On instance['password']:` and the
    /// instance on the next line, an assignment.
    #[test]
    fn a_subscript_is_a_key() {
        let got = masked(&[
            "On instance['password']:",
            "    'Tr0ub4dor and 3'",
            "Failed validating 'minLength' in schema['properties']['password']:",
            "    {'type': 'string', 'minLength': 16}",
            "    data[\"token\"] = \"Zk3qP9vX2mLr8TnW4yBc7HdJ\"",
            "    if data['password'] == expected:",
        ]);
        assert_eq!(
            got,
            [
                "",
                "Tr0ub4dor and 3",
                "",
                "",
                "Zk3qP9vX2mLr8TnW4yBc7HdJ",
                ""
            ]
        );
    }

    #[test]
    fn members_of_a_bracket_that_ends_the_key_line() {
        // tslog: the key, the bracket and each member on lines of their own.
        let got = masked(&[
            "        refreshToken: ",
            "         {",
            &format!("           S: '{HEX}' "),
            "         },",
            "        note: 'FAKE0aee53e8633c489ad40b4c2947811144b31245e'",
        ]);
        assert_eq!(got, vec!["", "", HEX, "", ""]);
        // util.inspect: a list under a secret key, one element a line.
        let key = "FAKEjoz7UClXlUgWfVW9dwsulz66SKb0uCWP0eRmQcMf";
        let got = masked(&[
            "  api_keys: [",
            &format!("    '{key}',"),
            &format!("    '{key}2'"),
            "  ],",
        ]);
        assert_eq!(got, vec!["", key, &format!("{key}2"), ""]);
        // An object's members: generated values are the key's, another entity's id is not.
        let got = masked(&[
            "  session: {",
            "    customerId: 'cus_rUVxNCm7eSEWHb',",
            &format!("    data: '{HEX}'"),
            "  }",
        ]);
        assert_eq!(got, vec!["", "", HEX, ""]);
    }

    #[test]
    fn a_clause_that_opens_a_bracket_reads_on_in_its_members() {
        let got = masked(&[
            "2026-12-06 00:22:42.228\tWARN\t[billing-hub]\tcurrent password wrong for cus_rUVxNCm7eSEWHb {",
            "  customerId: 'cus_rUVxNCm7eSEWHb',",
            "  got: 'IVpl?oBnzm eDc$&AjGDo' ",
            "}",
            "  got: 'IVpl?oBnzm eDc$&AjGDx' ",
        ]);
        assert_eq!(got, vec!["", "", "IVpl?oBnzm eDc$&AjGDo", "", ""]);
    }

    #[test]
    fn a_typed_value_or_a_binding_opened_at_the_line_end() {
        let got = masked(&[
            "\"refresh_token\": {\"S\":",
            &format!("  \"{HEX}\"}}, \"plan\": 1"),
        ]);
        assert_eq!(got, vec!["", HEX]);
        let got = masked(&[
            "    UpdateExpression: 'SET refreshToken = :r',",
            "    ExpressionAttributeValues: {",
            "      ':r': {",
            &format!("        S: '{HEX}'"),
            "      }",
        ]);
        assert_eq!(got, vec!["", "", "", HEX, ""]);
    }

    #[test]
    fn a_value_folded_by_the_console_goes_on_indented() {
        // rich: the quoted cookie header folded, the path column on the record's first line.
        let pad = " ".repeat(30);
        let got = masked(&[
            &format!(
                "[00:23:16] DEBUG    META HTTP_COOKIE='sessionid=.eJxVjEFOwzAQRe8y{pad}django_app.py:107"
            ),
            &format!(
                "                    mMWIyY2YifQ:1xa028:ztqrI26Gq4ojYgg7eLGGFDwk' HTTP_X=None{pad}"
            ),
        ]);
        assert_eq!(
            got,
            vec![
                ".eJxVjEFOwzAQRe8y",
                "mMWIyY2YifQ:1xa028:ztqrI26Gq4ojYgg7eLGGFDwk"
            ]
        );
        // The scheme alone, then the credential over two lines.
        let got = masked(&[
            &format!("META HTTP_AUTHORIZATION='Bearer{pad}django_app.py:107"),
            "                    eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjdXNfclVWeE5DbTdlU0VXSGIiLCJlbWFpbCI6",
            "                    ImNobG9lLm5vdmFrNjJAZXhhbXBsZS5uZXQifQ.duUYsr1xJZ8m2aCx2n-aAhEHnmUpvy46cEAcKJ0VfvM' next",
        ]);
        assert_eq!(got[0], "");
        assert!(
            got[1].starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."),
            "{got:?}"
        );
        assert_eq!(
            got[2],
            "ImNobG9lLm5vdmFrNjJAZXhhbXBsZS5uZXQifQ.duUYsr1xJZ8m2aCx2n-aAhEHnmUpvy46cEAcKJ0VfvM"
        );
        // A bare value: its last piece alone on the line.
        let got = masked(&[
            &format!(
                "share https://x.example/pdf?expires=1796517496&signature=6b1f0e8c2d3a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2{pad}"
            ),
            &format!("                    8ac4db8b18{pad}"),
        ]);
        assert_eq!(got[1], "8ac4db8b18");
        // The new value of a rotation, after `->` at the end of the content.
        let got = masked(&[
            &format!(
                "rotated refresh token for cus_oc44IPpDTE2vGM: FAKE{HEX} ->{pad}django_app.py:68"
            ),
            &format!("                    {HEX}{pad}"),
        ]);
        assert_eq!(got, vec![format!("FAKE{HEX}"), HEX.to_string()]);
    }

    #[test]
    fn an_indented_line_is_no_fold_of_its_own() {
        // A value that ends its line, then lines that are not its rest.
        let got = masked(&[
            &format!("refresh_token={HEX}"),
            "    at Object.<anonymous> (/app/index.js:12:3)",
            &format!("password='{HEX}"),
            "Traceback (most recent call last):",
        ]);
        assert_eq!(got, vec![HEX, "", HEX, ""]);
        // Not read past its bound.
        let mut lines = vec!["api_keys: [".to_string()];
        lines.extend(
            (0..40).map(|i| format!("  'FAKEjoz7UClXlUgWfVW9dwsulz66SKb0uCWP0eRm{i:04}',")),
        );
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let got = masked(&refs);
        let masked_lines = got.iter().filter(|g| !g.is_empty()).count();
        assert_eq!(masked_lines, usize::from(super::MAX_PENDING_LINES));
    }
}
