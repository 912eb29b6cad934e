//! What a plausible secret value is, apart from any rule: not a placeholder or a stop word,
//! not a number, a route or a source location; generated-looking (classes mixed as generated
//! values mix them), or a pass-phrase where a password is quoted.

use crate::byteclass::{self, byte_set};
use crate::rules::validators::looks_random;

pub(super) const STOPWORDS: &[&str] = &[
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

/// `%s`, `%(name)s`, `%d`: a format string that was never filled in, maybe with PostgreSQL's
/// cast after it (`%(pk_1)s::VARCHAR`, as SQLAlchemy writes its placeholders for psycopg).
pub(super) fn is_format_spec(v: &[u8]) -> bool {
    if v.first() != Some(&b'%') {
        return false;
    }
    let v = match v.iter().position(|&b| b == b':') {
        Some(c) if v[c..].starts_with(b"::") && v[c + 2..].iter().all(u8::is_ascii_alphabetic) => {
            &v[..c]
        }
        _ => v,
    };
    match v {
        [b'%', b's' | b'd' | b'r' | b'v'] => true,
        [b'%', b'(', rest @ .., b')', b's' | b'd' | b'r'] => {
            rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        }
        _ => false,
    }
}

pub(super) fn is_placeholder(v: &[u8]) -> bool {
    let starts = |p: &[u8]| v.starts_with(p);
    starts(b"${")
        || starts(b"{{")
        || is_format_spec(v)
        || starts(b"<%")
        || (starts(b"<") && v.ends_with(b">"))
        || (starts(b"$") && v[1..].iter().all(|b| b.is_ascii_uppercase() || *b == b'_'))
        // Another redactor's label (`[FILTERED]`, tslog's `[***]`), maybe cut at its bracket by
        // the value's end.
        || (starts(b"[")
            && v.len() > 1
            && v[1..]
                .iter()
                .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'-' | b' ' | b'*' | b']')))
        || v.iter()
            .all(|&b| b == b'x' || b == b'X' || b == b'*' || b == b'.')
}

/// Words that name a secret, in an identifier of code (`db_password`, `API_KEY`, `authToken`).
const SECRET_WORDS: &[&[u8]] = &[
    b"pass", b"pwd", b"secret", b"token", b"key", b"auth", b"cred", b"sess", b"sig", b"private",
];

/// A word path's bytes (`is_word_path`).
static WORD_PATH: [bool; 256] =
    byte_set!(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'-' | b'.'));

/// A source file or function name's bytes (`is_source_location`).
static SOURCE_NAME: [bool; 256] =
    byte_set!(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'<' | b'>'));

fn ident_byte(b: &u8) -> bool {
    byteclass::is(&byteclass::IDENT, *b)
}

/// An identifier of code that names a secret, written as code writes words (no generated
/// run in it).
fn names_a_secret(ident: &[u8]) -> bool {
    !ident.is_empty()
        && !ident[0].is_ascii_digit()
        && ident.iter().all(ident_byte)
        && !looks_random(ident, 12)
        && (0..ident.len()).any(|i| starts_a_secret_word(&ident[i..]))
}

/// Does `text` start with one of [`SECRET_WORDS`] (any case)? One test of the first byte
/// turns most positions away: a hit's key reads this at every position of its identifier.
fn starts_a_secret_word(text: &[u8]) -> bool {
    let first = text[0].to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| {
        w[0] == first
            && text
                .get(..w.len())
                .is_some_and(|t| t.eq_ignore_ascii_case(w))
    })
}

/// A reference to a secret, not the secret: a variable (`$db_password`), a format field cut at
/// its parenthesis by the value's reader (`%(password`), or a code path that names a secret
/// (`var.db_password`, `process.env.API_KEY`, `settings.CLIENT_SECRET`,
/// `os.environ['SECRET_KEY']`, `ENV['DB_PASSWORD']`, `config.get("db_password")`), perhaps cut
/// at its quote or bracket. Terraform, CI and application logs print configurations full of
/// them. A path of words that names no secret (`hunter2.example`) is still a value.
pub(super) fn is_reference(v: &[u8]) -> bool {
    if let Some(field) = v.strip_prefix(b"%(") {
        let field = field.strip_suffix(b")s").unwrap_or(field);
        return !field.is_empty() && field.iter().all(ident_byte);
    }
    if let Some(name) = v.strip_prefix(b"$") {
        // `$gdcapi_db_password`, and GraphQL's `password: $newPassword` (an argument bound to
        // a variable); `$UPPER` is a placeholder already. A password that starts with `$`
        // has digits or symbols, or a capital first.
        return names_a_secret(name)
            && name[0].is_ascii_lowercase()
            && !name.iter().any(u8::is_ascii_digit);
    }
    let mut segments = 0;
    let mut named = false;
    let mut i = 0;
    loop {
        let start = i;
        while i < v.len() && ident_byte(&v[i]) {
            i += 1;
        }
        let seg = &v[start..i];
        if seg.is_empty() || seg[0].is_ascii_digit() || looks_random(seg, 12) {
            return false;
        }
        segments += 1;
        named |= names_a_secret(seg);
        match v.get(i) {
            None => return segments >= 2 && named,
            Some(b'.') => i += 1,
            // A call or a subscript with one name in it, to the end of the value.
            Some(b'(' | b'[') => {
                let inner = &v[i + 1..];
                let inner = inner
                    .strip_prefix(b"'")
                    .or(inner.strip_prefix(b"\""))
                    .unwrap_or(inner);
                let name_len = inner.iter().take_while(|b| ident_byte(b)).count();
                let (name, tail) = inner.split_at(name_len);
                let closed = matches!(
                    tail,
                    b"" | b"'" | b"\"" | b")" | b"]" | b"')" | b"\")" | b"']" | b"\"]" | b"()"
                );
                return closed
                    && (named || names_a_secret(name))
                    && (name.is_empty() || !looks_random(name, 12));
            }
            Some(_) => return false,
        }
    }
}

/// A URL path of words (`/admin/setup`, `/files/invoice-2026-01.pdf`): where a router or a
/// log line names a route, not a secret. A path with a generated segment is no such path.
pub(super) fn is_word_path(v: &[u8]) -> bool {
    v.len() > 1
        && v[0] == b'/'
        && v.iter().all(|&b| byteclass::is(&WORD_PATH, b))
        && !v.split(|&b| b == b'/').any(generated_segment)
}

/// A random-looking path segment that is not words and numbers joined by `-`, `_` or `.`
/// (`invoice-2026-01.pdf` is a file name): one of its pieces mixes letters with digits, or
/// has a capital past its first letter.
fn generated_segment(seg: &[u8]) -> bool {
    looks_random(seg, 12)
        && seg.split(|b| b"-_.".contains(b)).any(|piece| {
            let letters = piece.iter().any(u8::is_ascii_alphabetic);
            let digits = piece.iter().any(u8::is_ascii_digit);
            (letters && digits) || piece.iter().skip(1).any(u8::is_ascii_uppercase)
        })
}

/// A source location, `function:line` (`load:1263`, `<module>:12`), as loguru and others
/// write after a logger name.
pub(super) fn is_source_location(v: &[u8]) -> bool {
    let Some(colon) = memchr::memrchr(b':', v) else {
        return false;
    };
    let (name, line) = (&v[..colon], &v[colon + 1..]);
    !name.is_empty()
        && !line.is_empty()
        && line.len() <= 6
        && line.iter().all(u8::is_ascii_digit)
        && name.iter().all(|&b| byteclass::is(&SOURCE_NAME, b))
        && !looks_random(name, 12)
}

/// A name in CamelCase (`RefreshTokenError`, `SessionNotFound`): letters only, two parts or
/// more, each a capital and two letters or more. Random letters do not split so.
pub(super) fn is_camel_name(v: &[u8]) -> bool {
    if !v.first().is_some_and(u8::is_ascii_uppercase) || !v.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    let (mut parts, mut len) = (0, 0);
    for &b in v {
        if b.is_ascii_uppercase() {
            if parts > 0 && len < 3 {
                return false;
            }
            parts += 1;
            len = 1;
        } else {
            len += 1;
        }
    }
    parts >= 2 && len >= 3
}

/// An ISO 8601 date or time stamp, whole or cut (`2026-12-07T11:10:14.808880+00:00`,
/// `2026-12-07T11`): what a record's `time` field holds, never a secret.
pub(super) fn is_timestamp(v: &[u8]) -> bool {
    let date = |d: &[u8]| {
        d.len() == 10
            && d.iter().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    *b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            })
    };
    v.len() <= 40
        && v.get(..10).is_some_and(date)
        && v[10..].iter().all(|b| {
            b.is_ascii_digit() || matches!(b, b'T' | b':' | b'.' | b',' | b'+' | b'-' | b'Z' | b' ')
        })
}

pub(super) fn is_number(v: &[u8]) -> bool {
    let body = v.strip_prefix(b"-").unwrap_or(v);
    !body.is_empty() && body.iter().all(|b| b.is_ascii_digit() || *b == b'.')
}

/// Mixes character classes the way generated values do (and words do not).
pub(super) fn token_like(v: &[u8]) -> bool {
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

/// An object's id as prose names it (`stored twilio key key_c28dd9b49676 for …`): a word, `_`,
/// and at most 16 hex digits (64 bits: too few for a credential).
pub(super) fn is_short_hex_id(v: &[u8]) -> bool {
    let Some(us) = v.iter().position(|&b| b == b'_') else {
        return false;
    };
    let (word, hex) = (&v[..us], &v[us + 1..]);
    !word.is_empty()
        && word.iter().all(u8::is_ascii_alphabetic)
        && (8..=16).contains(&hex.len())
        && hex
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// A token's registered claims name who and what it is for (RFC 7519, OpenID Connect), never
/// its secret: a decoded token under its key (`'id_token': {'iss': …, 'aud': '…'}`) keeps them.
pub(super) fn is_token_claim(key: &[u8]) -> bool {
    [
        &b"sub"[..],
        b"iss",
        b"aud",
        b"azp",
        b"jti",
        b"kid",
        b"at_hash",
        b"c_hash",
    ]
    .iter()
    .any(|c| c.eq_ignore_ascii_case(key))
}

/// A JSON object or list written as a string (`{\"email\":…}`, `["a","b"]`).
pub(super) fn is_structure(v: &[u8]) -> bool {
    matches!(
        (v.first(), v.last()),
        (Some(b'{'), Some(b'}')) | (Some(b'['), Some(b']'))
    ) && memchr::memchr(b'"', v).is_some()
}

/// A bare word in prose that is a generated password (`new password j6P_k^~5Y`): eight bytes
/// or more of three of lower case, upper case, digits and symbols, no address, URL or bracket
/// (`VARCHAR(255)`: a column's type).
pub(super) fn generated_password(v: &[u8]) -> bool {
    if v.iter().any(|b| b"()[]{}<>".contains(b)) {
        return false;
    }
    let has = |f: fn(&u8) -> bool| v.iter().any(f) as u8;
    let classes = has(u8::is_ascii_lowercase)
        + has(u8::is_ascii_uppercase)
        + has(u8::is_ascii_digit)
        + has(|b| b.is_ascii_punctuation());
    v.len() >= 8 && classes >= 3 && !v.contains(&b'@') && memchr::memmem::find(v, b"://").is_none()
}

/// A quoted value with spaces that is no phrase (`'J 1WNOK74=!+uK3'`): a few parts, one of
/// which mixes letters with digits or symbols as generated passwords do and words do not.
pub(super) fn generated_with_spaces(v: &[u8]) -> bool {
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
pub(super) fn pass_phrase(v: &[u8]) -> bool {
    let words = v.split(|&b| b == b' ').filter(|w| !w.is_empty()).count();
    let digit = v.iter().any(u8::is_ascii_digit);
    let capital_or_symbol = v
        .iter()
        .any(|b| b.is_ascii_uppercase() || b"!@#$%^&*=+?~|<>".contains(b));
    v.len() <= 64 && (2..=6).contains(&words) && digit && capital_or_symbol
}

/// `8-4-4-4-12` hex: a request or record id, random-looking but never a secret of its own.
pub(super) fn is_uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::is_masked;

    #[test]
    fn camel_case_names() {
        for n in [
            &b"RefreshTokenError"[..],
            b"SessionNotFound",
            b"InvalidGrant",
        ] {
            assert!(is_camel_name(n), "{n:?}");
        }
        for v in [
            &b"XkqMvbTrwPzzLqnJ"[..],
            b"RefreshToken4Error",
            b"refreshTokenError",
            b"ABCDef",
            b"Refresh",
        ] {
            assert!(!is_camel_name(v), "{v:?}");
        }
    }

    #[test]
    fn timestamps_whole_or_cut() {
        for t in [
            &b"2026-12-07T11:10:14.808880+00:00"[..],
            b"2026-12-07T11",
            b"2026-12-07",
            b"2026-12-07 11:10:14,808",
            b"2026-12-07T11:10:14Z",
        ] {
            assert!(is_timestamp(t), "{t:?}");
        }
        for v in [
            &b"2026-12-07Tx9Kq"[..],
            b"20261207T111014",
            b"2026-1-07",
            b"FAKE2026-12-07",
        ] {
            assert!(!is_timestamp(v), "{v:?}");
        }
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
    fn references_to_secrets_are_not_secrets() {
        for v in [
            "var.db_password",
            "$gdcapi_db_password",
            "process.env.API_KEY",
            "settings.CLIENT_SECRET",
            "self.token",
            "aws_db_instance.main.password",
            "os.environ['SECRET_KEY",
            "os.environ['SECRET_KEY']",
            "ENV['DB_PASSWORD",
            "config.get(\"db_password",
            "%(password",
            "%(password)s",
        ] {
            assert!(is_reference(v.as_bytes()), "{v}");
        }
        for v in [
            "hunter2",
            "FAKEpassw0rd",
            "$ecretPa55",
            "hunter2.example",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            "sk_live_FAKEexampleFAKEexample0123",
            "key.x7Gq2LmN9pR4sT8vW1yZ",
            "s3cr3t.Pa55word!",
        ] {
            assert!(!is_reference(v.as_bytes()), "{v}");
        }
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
    fn routes_of_words_and_file_names_are_no_values() {
        assert!(is_word_path(b"/admin/setup"));
        assert!(is_word_path(b"/files/invoice-2026-01.pdf/download"));
        assert!(!is_word_path(b"/reset/FAKEx8Kq2LmZ7pR4tY9w"));
        assert!(!is_word_path(b"/s/AbCdEfGhIjKlMnOpQr"));
    }
}
