//! Properties of redaction, over generated input:
//!
//! * a planted token of each shaped type never survives, whatever syntax it is written in;
//! * a value under a secret key never survives, in every key-context syntax;
//! * lines without secrets come out byte-identical;
//! * scrubbing is idempotent: `scrub(scrub(x)) == scrub(x)`, for every mask style;
//! * a JSON line stays valid JSON.

use proptest::prelude::*;
use std::sync::LazyLock;
use tokenscrub::{Engine, FingerprintKey, MaskStyle, Masker, redact_text};

static ENGINE: LazyLock<Engine> = LazyLock::new(Engine::builtin);

fn scrub(text: &str, style: MaskStyle) -> String {
    let masker = Masker::new(style, FingerprintKey::new(b"property-tests"));
    String::from_utf8(redact_text(&ENGINE, &masker, text.as_bytes())).expect("masks are ASCII")
}

/// The secret part, or 16-byte slices of it when long: none may survive.
fn survives(out: &str, secret: &str) -> bool {
    if secret.len() <= 24 {
        return out.contains(secret);
    }
    (0..=secret.len() - 16)
        .step_by(8)
        .any(|i| out.contains(&secret[i..i + 16]))
}

fn chars(set: &'static str, len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(set.as_bytes().to_vec()), len)
        .prop_map(|v| String::from_utf8(v).unwrap())
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn github_checksum(body: &str) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut crc = crc32fast::hash(body.as_bytes());
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = B62[(crc % 62) as usize];
        crc /= 62;
    }
    String::from_utf8(out.to_vec()).unwrap()
}

/// A shaped token: (the whole token, its secret parts).
fn shaped_token() -> impl Strategy<Value = (String, Vec<String>)> {
    prop_oneof![
        chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16..=16)
            .prop_map(|s| (format!("AKIA{s}"), vec![s])),
        chars(B64, 120..=300).prop_map(|s| (format!("IQoJb3JpZ2luX2VjE{s}"), vec![s])),
        (chars(ALNUM, 6..=12), chars(B64URL, 43..=43)).prop_map(|(sub, sig)| {
            let h = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
            let p = b64url(format!(r#"{{"sub":"{sub}","iat":1795357137}}"#).as_bytes());
            (format!("{h}.{p}.{sig}"), vec![p, sig])
        }),
        chars(ALNUM, 30..=30).prop_map(|b| {
            let s = format!("{b}{}", github_checksum(&b));
            (format!("ghp_{s}"), vec![s])
        }),
        chars(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_",
            82..=82
        )
        .prop_map(|s| (format!("github_pat_{s}"), vec![s])),
        (
            chars("0123456789", 12..=12),
            chars("0123456789", 13..=13),
            chars(ALNUM, 24..=24)
        )
            .prop_map(|(a, b, c)| {
                let s = format!("{a}-{b}-{c}");
                (format!("xoxb-{s}"), vec![s])
            }),
        chars(ALNUM, 24..=99).prop_map(|s| (format!("sk_live_{s}"), vec![s])),
        chars(B64URL, 35..=35).prop_map(|s| (format!("AIza{s}"), vec![s])),
        (chars(B64URL, 22..=22), chars(B64URL, 43..=43)).prop_map(|(a, b)| {
            let s = format!("{a}.{b}");
            (format!("SG.{s}"), vec![s])
        }),
        chars(ALNUM, 36..=36).prop_map(|s| (format!("npm_{s}"), vec![s])),
        chars(B64URL, 80..=120).prop_map(|s| (format!("sk-proj-{s}"), vec![s])),
        chars(B64URL, 90..=95).prop_map(|s| (format!("sk-ant-api03-{s}"), vec![s])),
        chars(ALNUM, 34..=34).prop_map(|s| (format!("hf_{s}"), vec![s])),
        chars("0123456789abcdef", 64..=64).prop_map(|s| (format!("dop_v1_{s}"), vec![s])),
        (chars(ALNUM, 16..=16), chars("0123456789abcdef", 64..=64)).prop_map(|(salt, h)| {
            let s = format!("{salt}${h}");
            (format!("pbkdf2:sha256:600000${s}"), vec![s])
        }),
        (chars(B64URL, 32..=32), chars(B64, 43..=43)).prop_map(|(sid, sig)| {
            let sig = sig.replace('/', "%2F").replace('+', "%2B");
            (format!("connect.sid=s%3A{sid}.{sig}"), vec![sid, sig])
        }),
    ]
}

/// Ways a token shows up in a log line, with a key that says nothing about it.
const SHAPED_SYNTAXES: &[&str] = &[
    r#"{"data": "%s", "n": 1}"#,
    "{'data': '%s', 'n': 1}",
    "  data: '%s',",
    r#"{"body": "{\"data\": \"%s\"}"}"#,
    "GET /x?data=%s&page=2 HTTP/1.1",
    "X-Data: %s",
    "msg=done data=%s status=200",
    "DATA=%s",
    "<Data>%s</Data>",
    r#""data": {"S": "%s"}"#,
    "upstream returned %s for the request",
    "'data': b'%s'",
];

/// A random-looking value, as secret keys carry.
fn secret_value() -> impl Strategy<Value = String> {
    (
        chars(ALNUM, 14..=40),
        chars("0123456789", 2..=2),
        chars("abcdefghij", 2..=2),
    )
        .prop_map(|(a, d, l)| format!("{l}{a}{d}"))
}

const SECRET_KEYS: &[&str] = &[
    "password",
    "api_key",
    "apiKey",
    "x-api-key",
    "refresh_token",
    "refreshToken",
    "access_token",
    "client_secret",
    "SECRET_KEY",
    "sessionToken",
    "AWS_SECRET_ACCESS_KEY",
    "session_id",
    "jwt_secret",
    "private_key",
    "X-Amz-Security-Token",
    "SecretString",
    "passwd",
    "signing_key",
];

/// Key-context syntaxes: `%k` is the key, `%v` the value.
const KEYED_SYNTAXES: &[&str] = &[
    r#"{"%k": "%v", "user_id": "42"}"#,
    "{'%k': '%v', 'user_id': '42'}",
    "{'%k': b'%v'}",
    "  %k: '%v',",
    r#"{"body": "{\"%k\": \"%v\"}"}"#,
    r#"{"msg": "{\"body\": \"{\\\"%k\\\": \\\"%v\\\"}\"}"}"#,
    "POST /x?%k=%v&page=2 HTTP/1.1",
    "%k: %v",
    "level=info %k=%v user=42",
    "%k='%v'",
    "<%k>%v</%k>",
    r#""%k": {"S": "%v"}"#,
    "  %k: { S: '%v' },",
    "[('q', 'x'), ('%k', '%v')]",
    "%k:\n%v",
    "  %k: {\n    S: '%v'\n  },",
];

fn fill(template: &str, key: &str, value: &str) -> String {
    template.replace("%k", key).replace("%v", value)
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn shaped_tokens_never_survive(
        (token, parts) in shaped_token(),
        syntax in proptest::sample::select(SHAPED_SYNTAXES),
    ) {
        let line = syntax.replace("%s", &token);
        let out = scrub(&line, MaskStyle::Label);
        for part in &parts {
            prop_assert!(!survives(&out, part), "survived in {out}");
        }
    }

    #[test]
    fn keyed_values_never_survive(
        key in proptest::sample::select(SECRET_KEYS),
        value in secret_value(),
        syntax in proptest::sample::select(KEYED_SYNTAXES),
    ) {
        let text = fill(syntax, key, &value);
        let out = scrub(&text, MaskStyle::Label);
        prop_assert!(!out.contains(&value), "survived in {out}");
        prop_assert!(out.contains(key), "the key itself must stay: {out}");
    }

    #[test]
    fn authorization_credentials_never_survive(
        scheme in proptest::sample::select(&["Bearer", "Basic", "token", "Token"][..]),
        value in secret_value(),
        syntax in proptest::sample::select(KEYED_SYNTAXES),
    ) {
        let cred = if scheme == "Basic" {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(format!("admin:{value}"))
        } else {
            value.clone()
        };
        let text = fill(syntax, "Authorization", &format!("{scheme} {cred}"));
        let out = scrub(&text, MaskStyle::Label);
        prop_assert!(!out.contains(&cred), "survived in {out}");
    }

    #[test]
    fn clean_lines_are_byte_identical(line in clean_line()) {
        prop_assert_eq!(scrub(&line, MaskStyle::Label), line);
    }

    #[test]
    fn scrubbing_is_idempotent(
        (token, _) in shaped_token(),
        key in proptest::sample::select(SECRET_KEYS),
        value in secret_value(),
        syntax in proptest::sample::select(KEYED_SYNTAXES),
        clean in clean_line(),
        style in proptest::sample::select(&[MaskStyle::Label, MaskStyle::Partial, MaskStyle::Hash, MaskStyle::Stars][..]),
    ) {
        let text = format!("{clean} {}\n{}\n{clean}", fill(syntax, key, &value), token);
        let once = scrub(&text, style);
        let twice = scrub(&once, style);
        prop_assert_eq!(&once, &twice);
    }

    #[test]
    fn json_stays_json(
        key in proptest::sample::select(SECRET_KEYS),
        value in "[ -~\u{e9}\u{4e2d}]{3,40}",
        (token, parts) in shaped_token(),
        style in proptest::sample::select(&[MaskStyle::Label, MaskStyle::Partial, MaskStyle::Hash, MaskStyle::Stars][..]),
    ) {
        let obj = serde_json::json!({
            "level": "info",
            key: value,
            "nested": { "data": token, "inner": serde_json::json!({ key: value }).to_string() },
        });
        let line = obj.to_string();
        let out = scrub(&line, style);
        prop_assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok(), "not JSON: {out}");
        for part in &parts {
            prop_assert!(!survives(&out, part), "survived in {out}");
        }
    }
}

/// Log lines without secrets, full of the words and look-alikes that sit next to secrets.
fn clean_line() -> impl Strategy<Value = String> {
    let uuid = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
    let piece = prop_oneof![
        proptest::sample::select(
            &[
                "GET /api/items HTTP/1.1\" 200",
                "Token expired for user 42",
                "\"token_type\": \"Bearer\"",
                "'token_type': 'Bearer'",
                "expires_in: 3600",
                "\"password\": null",
                "password=${DB_PASSWORD}",
                "'api_key': None",
                "token: undefined",
                "secret: '***'",
                "Found credentials in environment variables.",
                "SignedHeaders=host;x-amz-date;x-amz-security-token",
                "Credential=AKIAIOSFODNN7EXAMPLE/20261122/us-east-1/dynamodb/aws4_request",
                "'NextToken': None",
                "max_tokens: 512",
                "password reset requested",
                "session expired, please log in",
                "KeyConditionExpression: 'email = :e'",
                "-----BEGIN PUBLIC KEY-----",
                "cursor=eyJ1c2VyX2lkIjoiNDIifQ",
                "'TableName': 'prod-sessions'",
                "Authorization header missing",
                "SESSION_COOKIE_NAME: 'session'",
            ][..]
        )
        .prop_map(str::to_string),
        uuid.prop_map(|u| format!("request_id={u}")),
        "[0-9a-f]{40}".prop_map(|h| format!("commit={h}")),
        "[0-9a-f]{64}".prop_map(|h| format!("\"payload_hash\": \"{h}\"")),
        "[0-9a-f]{32}".prop_map(|h| format!("ETag: \"{h}\"")),
        "[a-z]{3,10}".prop_map(|w| format!("user {w} logged in")),
        "[0-9]{1,6}".prop_map(|n| format!("'user_id': '{n}'")),
        "AC[0-9a-f]{32}".prop_map(|s| format!("'AccountSid': '{s}'")),
    ];
    proptest::collection::vec(piece, 1..6).prop_map(|v| v.join(" "))
}
