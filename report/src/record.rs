//! The finding record: what the CLI's `--report` and the Lambda's alerts print for one leak.
//!
//! A record names the rule, where the secret was and a keyed fingerprint of it, with an excerpt
//! of the *redacted* text around it. It never holds the secret. A JSON Web Token's record also
//! says what the token says of itself (its printable claims) and whether it still worked when
//! it was logged: its status sets the record's severity.

use serde::Serialize;
use std::ops::Range;
use tokenscrub::jwt::{self, JwtClaims, TokenStatus};
use tokenscrub::stream::StreamFinding;
use tokenscrub::timestamp;
use tokenscrub::{Engine, FingerprintKey, Severity};

/// Bytes of redacted context kept on each side of the mask in an excerpt.
pub const EXCERPT_CONTEXT: usize = 60;

/// One leak. Location fields that do not apply are left out of the JSON: `file` for files,
/// `log_group`, `log_stream`, `event_id`, `timestamp` (ms) and `offset` (byte offset in the
/// event's message) for CloudWatch events; `line` and `column` (1-based, bytes) always, within
/// the file or the event's message. `id` identifies a finding in a CloudWatch event: the same
/// leak found again (a Lambda retry, a second scan) gets the same id, so alerts deduplicate.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FindingRecord {
    /// A stable id for a finding in a CloudWatch event (32 hex digits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The rule's id.
    pub rule: String,
    /// The rule's severity, or for a token whose status is known, the status's.
    pub severity: Severity,
    /// The file it was found in, when it was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The CloudWatch log group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group: Option<String>,
    /// The CloudWatch log stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_stream: Option<String>,
    /// The CloudWatch event's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The CloudWatch event's time, in milliseconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// The secret's byte offset in the event's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// 1-based line of the secret (in the file, or in the event's message).
    pub line: u64,
    /// 1-based byte column of the secret in its line.
    pub column: u64,
    /// Keyed HMAC-SHA256 of the secret, 16 hex digits: the same secret, the same fingerprint.
    pub fingerprint: String,
    /// Redacted text around the mask; never the secret.
    pub excerpt: String,
    /// A JSON Web Token's state at the event time (see [`EventTime`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<TokenStatus>,
    /// A JSON Web Token's printable claims.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt: Option<JwtClaims>,
    /// What the provider said of the credential when asked (`scan --verify`): `live`,
    /// `invalid` or `error`; when live, whose it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<String>,
    /// The account of a live credential (`scan --verify`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The identity of a live credential (`scan --verify`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

/// When the event of a finding happened, for judging whether a token was live.
#[derive(Debug, Clone, Copy)]
pub enum EventTime {
    /// Known from elsewhere (a CloudWatch event's timestamp), in seconds since the epoch.
    At(i64),
    /// The line's own time when it starts with one (see [`timestamp::line_time`]), else `now`
    /// (seconds since the epoch: the time of the scan).
    OfLine {
        /// The time of the scan, in seconds since the epoch.
        now: i64,
    },
}

impl EventTime {
    /// [`EventTime::OfLine`] at the current time.
    pub fn of_line_now() -> EventTime {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        EventTime::OfLine { now }
    }
}

impl FindingRecord {
    /// The record of a finding in a stream, its token's status judged at `when`.
    pub fn from_stream(
        engine: &Engine,
        key: &FingerprintKey,
        f: &StreamFinding<'_>,
        when: EventTime,
    ) -> Self {
        let info = engine.rule(f.rule);
        let mut rec = FindingRecord {
            rule: info.id.clone(),
            severity: info.severity,
            line: f.line_number,
            column: f.column,
            fingerprint: key.fingerprint(f.secret),
            excerpt: excerpt(f.redacted, f.mask_at.clone()),
            ..FindingRecord::default()
        };
        // Whatever rule found it (the JWT rules, or a keyed rule that masked a whole value),
        // a token that reads as a JWT is judged by its claims.
        if let Some(token) = jwt::token_of(f.redacted, f.mask_at.clone(), f.secret)
            && let Some(token) = jwt::read(&token)
        {
            let at = match when {
                EventTime::At(t) => t,
                EventTime::OfLine { now } => timestamp::line_time(f.redacted, now).unwrap_or(now),
            };
            let status = token.status(at);
            rec.severity = status.severity();
            rec.status = Some(status);
            rec.jwt = Some(token.claims);
        }
        rec
    }
}

/// A stable id for a finding at a place: SHA-256 of the parts, 32 hex digits.
pub fn finding_id(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Up to [`EXCERPT_CONTEXT`] bytes of redacted text on each side of the mask, as text, with
/// `…` where it was cut and control characters shown as spaces.
pub fn excerpt(redacted: &[u8], mask_at: Range<usize>) -> String {
    let mut s = mask_at.start.saturating_sub(EXCERPT_CONTEXT);
    let mut e = (mask_at.end + EXCERPT_CONTEXT).min(redacted.len());
    // Do not cut a UTF-8 sequence in two.
    while s > 0 && (redacted[s] & 0xC0) == 0x80 {
        s -= 1;
    }
    while e < redacted.len() && (redacted[e] & 0xC0) == 0x80 {
        e += 1;
    }
    let mut text = String::new();
    if s > 0 {
        text.push('…');
    }
    text.extend(
        String::from_utf8_lossy(&redacted[s..e])
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c }),
    );
    if e < redacted.len() {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_cut_around_the_mask() {
        let line = format!("{}[REDACTED:token]{}", "a".repeat(100), "b".repeat(100));
        let x = excerpt(line.as_bytes(), 100..116);
        assert!(x.starts_with('…') && x.ends_with('…'));
        assert!(x.contains("[REDACTED:token]"));
        assert_eq!(x.chars().count(), 2 + 60 + 16 + 60);
    }
}
