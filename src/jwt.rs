//! What a leaked JSON Web Token says about itself, and whether it still works.
//!
//! Read from the token's header and payload: the claims an on-call engineer needs to judge a
//! leak (algorithm, type, key id, issuer, audience, issued/not-before/expiry times), never the
//! personal ones (`sub`, `email`, `name`, anything else) nor the signature. The token's
//! [`TokenStatus`] at the time of the event (`exp` after it: live) decides how severe its leak
//! is. Work is bounded by the token's length (one base64 decode and one JSON parse per part).

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Serialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::ops::Range;

use crate::byteclass;
use crate::rules::Severity;

/// String claims longer than this are cut (a hostile token must not bloat every report).
const MAX_CLAIM_CHARS: usize = 200;
/// Audiences kept of a list.
const MAX_AUDIENCES: usize = 8;

const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The claims of a token that may be printed. Absent claims are left out of the JSON.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct JwtClaims {
    /// Signature algorithm (`HS256`, `none`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Token type (`JWT`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// Key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// Issued at (seconds since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not valid before (seconds since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Expires at (seconds since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

/// `aud` as the token has it: one audience or a list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Audience {
    /// One audience.
    One(String),
    /// Several audiences.
    Many(Vec<String>),
}

/// Whether a leaked token still works at the time of the event.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum TokenStatus {
    /// `exp` is after the event: whoever reads the log can use it.
    Live,
    /// No `exp`: once leaked, usable until its key is rotated.
    NoExpiry,
    /// `exp` is before the event.
    Expired,
    /// `alg: none` or an empty signature: a forgery, or an issuer that signs nothing.
    Unsigned,
}

impl TokenStatus {
    /// The status as reports write it (`live`, `expired`...).
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Live => "live",
            TokenStatus::NoExpiry => "no-expiry",
            TokenStatus::Expired => "expired",
            TokenStatus::Unsigned => "unsigned",
        }
    }

    /// How severe a leak of a token in this state is.
    pub fn severity(self) -> Severity {
        match self {
            TokenStatus::Unsigned => Severity::Critical,
            TokenStatus::Live | TokenStatus::NoExpiry => Severity::High,
            TokenStatus::Expired => Severity::Low,
        }
    }
}

/// A token read: its printable claims, and whether it is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwt {
    /// The claims that may be printed.
    pub claims: JwtClaims,
    /// `alg: none`, or an empty signature.
    pub unsigned: bool,
}

impl Jwt {
    /// The token's state at `at` (seconds since the epoch).
    pub fn status(&self, at: i64) -> TokenStatus {
        if self.unsigned {
            return TokenStatus::Unsigned;
        }
        match self.claims.exp {
            None => TokenStatus::NoExpiry,
            Some(exp) if exp > at => TokenStatus::Live,
            Some(_) => TokenStatus::Expired,
        }
    }
}

/// Read a compact JWS (`header.payload.signature`, the signature possibly empty) whose header
/// and payload are base64url JSON objects. Anything else (a JWE, a cursor) is `None`.
pub fn read(token: &[u8]) -> Option<Jwt> {
    let mut parts = token.split(|&b| b == b'.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !header.starts_with(b"eyJ") {
        return None;
    }
    let header = json_object(header)?;
    let payload = json_object(payload)?;
    let text = |map: &Map<String, Value>, k: &str| map.get(k).and_then(Value::as_str).map(cut);
    let alg = text(&header, "alg");
    let unsigned = signature.is_empty()
        || alg
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("none"));
    let aud = match payload.get("aud") {
        Some(Value::String(s)) => Some(Audience::One(cut(s))),
        Some(Value::Array(list)) => Some(Audience::Many(
            list.iter()
                .filter_map(Value::as_str)
                .take(MAX_AUDIENCES)
                .map(cut)
                .collect(),
        )),
        _ => None,
    };
    Some(Jwt {
        claims: JwtClaims {
            alg,
            typ: text(&header, "typ"),
            kid: text(&header, "kid"),
            iss: text(&payload, "iss"),
            aud,
            iat: numeric_date(payload.get("iat")),
            nbf: numeric_date(payload.get("nbf")),
            exp: numeric_date(payload.get("exp")),
        },
        unsigned,
    })
}

/// The whole token of a finding: the secret itself when it is one (a keyed rule masks the
/// whole value), else the secret after the header the JWT rules leave visible
/// (`eyJhdr.[REDACTED:jwt]`), and the empty signature after it when there is one
/// (`eyJhdr.[REDACTED:jwt-unsigned].`). `redacted` is the masked line, `mask_at` the mask.
pub fn token_of<'a>(
    redacted: &[u8],
    mask_at: Range<usize>,
    secret: &'a [u8],
) -> Option<Cow<'a, [u8]>> {
    if secret.starts_with(b"eyJ") && secret.iter().filter(|&&b| b == b'.').count() == 2 {
        return Some(Cow::Borrowed(secret));
    }
    let before = redacted.get(..mask_at.start)?.strip_suffix(b".")?;
    let run = before
        .iter()
        .rev()
        .take_while(|&&b| byteclass::is(&byteclass::BASE64URL, b))
        .count();
    let header = &before[before.len() - run..];
    if !header.starts_with(b"eyJ") {
        return None;
    }
    let mut token = [header, b".", secret].concat();
    if !secret.contains(&b'.') {
        // The payload alone was masked: the signature, if any, follows the mask.
        let after = redacted.get(mask_at.end..).unwrap_or_default();
        let signature = after.strip_prefix(b".")?;
        let sig_len = signature
            .iter()
            .take_while(|&&b| byteclass::is(&byteclass::BASE64URL, b))
            .count();
        token.push(b'.');
        token.extend_from_slice(&signature[..sig_len]);
    }
    Some(Cow::Owned(token))
}

fn json_object(b64url: &[u8]) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_LENIENT.decode(b64url).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A NumericDate (RFC 7519: seconds, possibly fractional); out-of-range values are not dates.
fn numeric_date(v: Option<&Value>) -> Option<i64> {
    let v = v?;
    if let Some(i) = v.as_i64() {
        return Some(i);
    }
    let f = v.as_f64()?;
    (f.is_finite() && f.abs() < 1e15).then_some(f as i64)
}

fn cut(s: &str) -> String {
    match s.char_indices().nth(MAX_CLAIM_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(json: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    fn token(header: &str, payload: &str, signature: &str) -> String {
        format!("{}.{}.{signature}", part(header), part(payload))
    }

    const PAYLOAD: &str = r#"{"sub":"user-42","email":"mei@example.com","name":"Mei","iss":"https://auth.example.com","aud":["api","admin"],"iat":1764750000,"exp":1764753600}"#;

    #[test]
    fn claims_are_read_and_personal_ones_never_kept() {
        let t = token(
            r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#,
            PAYLOAD,
            "FAKEsignatureFAKEsignature",
        );
        let jwt = read(t.as_bytes()).expect("a JWT");
        assert!(!jwt.unsigned);
        let json = serde_json::to_string(&jwt.claims).unwrap();
        assert_eq!(
            json,
            r#"{"alg":"RS256","typ":"JWT","kid":"k1","iss":"https://auth.example.com","aud":["api","admin"],"iat":1764750000,"exp":1764753600}"#
        );
        for private in ["user-42", "mei@example.com", "Mei", "FAKEsignature"] {
            assert!(!json.contains(private), "{private} printed");
        }
    }

    #[test]
    fn status_follows_expiry_and_signature() {
        let signed = token(r#"{"alg":"HS256"}"#, PAYLOAD, "FAKEsignatureFAKEsignature");
        let jwt = read(signed.as_bytes()).unwrap();
        assert_eq!(jwt.status(1764750000), TokenStatus::Live);
        assert_eq!(jwt.status(1764753600), TokenStatus::Expired);
        assert_eq!(jwt.status(1800000000), TokenStatus::Expired);

        let forever = token(
            r#"{"alg":"HS256"}"#,
            r#"{"sub":"x"}"#,
            "FAKEsignatureFAKEsignature",
        );
        assert_eq!(
            read(forever.as_bytes()).unwrap().status(0),
            TokenStatus::NoExpiry
        );

        for (header, signature) in [
            (r#"{"alg":"none","typ":"JWT"}"#, ""),
            (r#"{"alg":"NONE"}"#, "FAKEsignatureFAKEsignature"),
            (r#"{"alg":"HS256"}"#, ""),
        ] {
            let t = token(header, PAYLOAD, signature);
            assert_eq!(
                read(t.as_bytes()).unwrap().status(0),
                TokenStatus::Unsigned,
                "{header}"
            );
        }
        assert_eq!(TokenStatus::Unsigned.severity(), Severity::Critical);
        assert_eq!(TokenStatus::Expired.severity(), Severity::Low);
        assert_eq!(TokenStatus::Live.severity(), Severity::High);
        assert_eq!(TokenStatus::NoExpiry.severity(), Severity::High);
    }

    #[test]
    fn what_is_not_a_jws_is_not_read() {
        for t in [
            "eyJ1c2VyX2lkIjoiNDIifQ".to_string(),
            format!("{}.bm90LWpzb24.c2ln", part(r#"{"alg":"HS256"}"#)),
            format!(
                "{}.{}.a.b",
                part(r#"{"alg":"dir","enc":"A256GCM"}"#),
                part("{}")
            ),
            format!("{}.{}.sig", part("[1]"), part("{}")),
        ] {
            assert_eq!(read(t.as_bytes()), None, "{t}");
        }
        // Times that are no dates are left out, not wrapped.
        let t = token(
            r#"{"alg":"HS256"}"#,
            r#"{"exp":1e300,"iat":"yesterday","nbf":1764750000.5}"#,
            "s",
        );
        let claims = read(t.as_bytes()).unwrap().claims;
        assert_eq!(
            (claims.exp, claims.iat, claims.nbf),
            (None, None, Some(1764750000))
        );
    }

    #[test]
    fn long_claims_are_cut() {
        let iss = "i".repeat(5000);
        let t = token(r#"{"alg":"HS256"}"#, &format!(r#"{{"iss":"{iss}"}}"#), "s");
        let got = read(t.as_bytes()).unwrap().claims.iss.unwrap();
        assert_eq!(got.chars().count(), MAX_CLAIM_CHARS + 1);
    }

    #[test]
    fn the_token_of_a_finding_is_put_back_together() {
        let header = part(r#"{"alg":"HS256"}"#);
        let payload = part(PAYLOAD);
        let whole = format!("{header}.{payload}.FAKEsig");
        // A keyed rule masked the whole value.
        let line = b"token=[REDACTED:token] next";
        assert_eq!(
            token_of(line, 6..22, whole.as_bytes()).unwrap(),
            whole.as_bytes()
        );
        // The JWT rule left the header visible.
        let line = format!("Bearer {header}.[REDACTED:jwt] ok");
        let at = line.find('[').unwrap();
        let secret = format!("{payload}.FAKEsig");
        let got = token_of(line.as_bytes(), at..at + 14, secret.as_bytes()).unwrap();
        assert_eq!(got, whole.as_bytes());
        // The unsigned rule masked the payload; the empty signature follows.
        let line = format!("t={header}.[REDACTED:jwt-unsigned]. x");
        let at = line.find('[').unwrap();
        let got = token_of(line.as_bytes(), at..at + 23, payload.as_bytes()).unwrap();
        assert_eq!(got, format!("{header}.{payload}.").as_bytes());
        assert!(read(&got).unwrap().unsigned);
        // Not a token at all.
        assert_eq!(
            token_of(b"password=[REDACTED:password]", 9..28, b"hunter22hunter22"),
            None
        );
    }
}
