//! `scan --verify`: is a leaked AWS key still live? An access key id and a secret access key
//! found together (the same line, or lines near each other) are checked once with STS
//! `GetCallerIdentity`, which any valid key may call and which changes nothing. The answer
//! (`live` with the account and ARN, `invalid`, or `error`) goes on both findings; the secret
//! never leaves this module but in the signed request to STS.

#[cfg(feature = "aws")]
use aws_config::BehaviorVersion;
#[cfg(feature = "aws")]
use aws_config::retry::RetryConfig;
#[cfg(feature = "aws")]
use aws_sdk_sts::config::{Credentials, Region};
#[cfg(feature = "aws")]
use aws_sdk_sts::error::ProvideErrorMetadata;
use std::collections::HashMap;
#[cfg(feature = "aws")]
use std::time::Duration;
use tokenscrub_report::record::FindingRecord;

/// Lines apart that a key id and its secret may be and still be one pair (a botocore DEBUG
/// dump, an env listing).
const NEAR_LINES: u64 = 5;
/// Time between two STS requests: a scan must not look like credential stuffing.
#[cfg(feature = "aws")]
const REQUEST_INTERVAL: Duration = Duration::from_millis(200);

/// What the scan kept of a finding for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    KeyId,
    Secret,
    SessionToken,
}

impl Part {
    /// The part a rule's findings are, if any.
    pub fn of_rule(rule: &str) -> Option<Part> {
        match rule {
            "aws-access-key-id" => Some(Part::KeyId),
            "aws-secret-access-key" => Some(Part::Secret),
            "aws-session-token" | "aws-session-token-by-key" => Some(Part::SessionToken),
            _ => None,
        }
    }
}

/// A part found: its line, its value, and the index of its finding's record.
#[derive(Debug, Clone)]
pub struct Found {
    pub part: Part,
    pub line: u64,
    pub value: String,
    pub record: usize,
}

/// The parts found in CloudWatch events, given record by record with their secrets (see
/// `cloudwatch::SecretHook`): an event is one "line", so a key pairs with a secret in the same
/// event or in one of the [`NEAR_LINES`] events around it.
#[derive(Default)]
pub struct EventParts {
    pub found: Vec<Found>,
    records: usize,
    events: u64,
    last_event: Option<(String, String)>,
}

impl EventParts {
    /// The next record (records are numbered in the order they are given) and its secret.
    pub fn add(&mut self, rec: &FindingRecord, secret: &[u8]) {
        let event = (
            rec.log_stream.clone().unwrap_or_default(),
            rec.event_id.clone().unwrap_or_default(),
        );
        if self.last_event.as_ref() != Some(&event) {
            self.events += 1;
            self.last_event = Some(event);
        }
        if let Some(part) = Part::of_rule(&rec.rule) {
            self.found.push(Found {
                part,
                line: self.events,
                value: String::from_utf8_lossy(secret).into_owned(),
                record: self.records,
            });
        }
        self.records += 1;
    }
}

/// The part of `of` (sorted by line) nearest to `line`, within [`NEAR_LINES`]; on a tie, or
/// among several on one line, the one read first.
fn nearest<'f>(of: &[&'f Found], line: u64) -> Option<&'f Found> {
    let after = of.partition_point(|f| f.line < line);
    let first_at_or_after = of.get(after).copied();
    let first_of_last_line_before = after
        .checked_sub(1)
        .map(|i| of[of.partition_point(|f| f.line < of[i].line)]);
    [first_of_last_line_before, first_at_or_after]
        .into_iter()
        .flatten()
        .filter(|f| f.line.abs_diff(line) <= NEAR_LINES)
        .min_by_key(|f| f.line.abs_diff(line))
}

/// What STS said of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "aws"), allow(dead_code))] // only STS gives an answer
pub enum Verdict {
    Live { account: String, arn: String },
    Invalid,
    Error,
}

/// The key pairs among `found`: each key id with the nearest secret within [`NEAR_LINES`]
/// (and the nearest session token, for temporary `ASIA` keys); each pair with the records
/// of its parts.
pub fn pairs(found: &[Found]) -> Vec<(Pair, Vec<usize>)> {
    // Each kind by line (found comes in line order; sorted anyway, stably): the nearest is
    // one of the two around a line, found by bisection, so a file of many keys costs
    // n log n, not n².
    let by_line = |part: Part| {
        let mut v: Vec<&Found> = found.iter().filter(|f| f.part == part).collect();
        v.sort_by_key(|f| f.line);
        v
    };
    let (secrets, tokens) = (by_line(Part::Secret), by_line(Part::SessionToken));
    let mut by_pair: HashMap<Pair, Vec<usize>> = HashMap::new();
    let mut order = Vec::new();
    for id in found.iter().filter(|f| f.part == Part::KeyId) {
        let Some(secret) = nearest(&secrets, id.line) else {
            continue;
        };
        let token = id
            .value
            .starts_with("ASIA")
            .then(|| nearest(&tokens, id.line))
            .flatten();
        let pair = Pair {
            key_id: id.value.clone(),
            secret: secret.value.clone(),
            session_token: token.map(|t| t.value.clone()),
        };
        let records = by_pair.entry(pair.clone()).or_insert_with(|| {
            order.push(pair);
            Vec::new()
        });
        records.extend([id.record, secret.record]);
        records.extend(token.map(|t| t.record));
    }
    order
        .into_iter()
        .map(|p| {
            let mut records = by_pair.remove(&p).unwrap_or_default();
            records.sort_unstable();
            records.dedup();
            (p, records)
        })
        .collect()
}

/// An AWS key pair. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Pair {
    pub key_id: String,
    secret: String,
    session_token: Option<String>,
}

impl std::fmt::Debug for Pair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pair({})", self.key_id)
    }
}

#[cfg(not(feature = "aws"))]
pub fn check(_: &[Pair], _: Option<&str>) -> Result<Vec<Verdict>, String> {
    Err(crate::logs::NO_AWS.into())
}

/// Ask STS about each pair, one request at a time. `endpoint` replaces AWS's (moto,
/// LocalStack, a VPC endpoint).
#[cfg(feature = "aws")]
pub fn check(pairs: &[Pair], endpoint: Option<&str>) -> Result<Vec<Verdict>, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let verdicts = rt.block_on(async {
        let mut verdicts = Vec::with_capacity(pairs.len());
        for (i, pair) in pairs.iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(REQUEST_INTERVAL).await;
            }
            verdicts.push(check_one(pair, endpoint).await);
        }
        verdicts
    });
    Ok(verdicts)
}

#[cfg(feature = "aws")]
async fn check_one(pair: &Pair, endpoint: Option<&str>) -> Verdict {
    let credentials = Credentials::new(
        &pair.key_id,
        &pair.secret,
        pair.session_token.clone(),
        None,
        "tokenscrub-verify",
    );
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials)
        .retry_config(RetryConfig::standard().with_max_attempts(2));
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    let client = aws_sdk_sts::Client::new(&loader.load().await);
    match client.get_caller_identity().send().await {
        Ok(out) => Verdict::Live {
            account: out.account().unwrap_or_default().to_string(),
            arn: out.arn().unwrap_or_default().to_string(),
        },
        Err(e) => match e.code() {
            Some("InvalidClientTokenId" | "SignatureDoesNotMatch" | "ExpiredToken") => {
                Verdict::Invalid
            }
            _ => Verdict::Error,
        },
    }
}

/// Put a verdict on a finding's record.
pub fn mark(rec: &mut FindingRecord, verdict: &Verdict) {
    let (status, account, arn) = match verdict {
        Verdict::Live { account, arn } => ("live", Some(account.clone()), Some(arn.clone())),
        Verdict::Invalid => ("invalid", None, None),
        Verdict::Error => ("error", None, None),
    };
    rec.verified = Some(status.to_string());
    rec.account = account;
    rec.arn = arn;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(part: Part, line: u64, value: &str, record: usize) -> Found {
        Found {
            part,
            line,
            value: value.into(),
            record,
        }
    }

    #[test]
    fn key_ids_pair_with_the_nearest_secret_once() {
        let f = [
            found(Part::KeyId, 10, "AKIAONE", 0),
            found(Part::Secret, 10, "secret-one", 1),
            found(Part::Secret, 14, "secret-far", 2),
            // The same pair again later: checked once, both records marked.
            found(Part::KeyId, 40, "AKIAONE", 3),
            found(Part::Secret, 41, "secret-one", 4),
            // No secret near enough.
            found(Part::KeyId, 80, "AKIALONE", 5),
            found(Part::Secret, 86, "secret-late", 6),
            // A temporary key takes its session token.
            found(Part::KeyId, 100, "ASIATEMP", 7),
            found(Part::Secret, 101, "secret-temp", 8),
            found(Part::SessionToken, 102, "token-temp", 9),
        ];
        let got = pairs(&f);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0.key_id, "AKIAONE");
        assert_eq!(got[0].0.secret, "secret-one");
        assert_eq!(got[0].1, [0, 1, 3, 4]);
        assert_eq!(got[1].0.session_token.as_deref(), Some("token-temp"));
        assert_eq!(got[1].1, [7, 8, 9]);
        assert!(!format!("{:?}", got[0].0).contains("secret"));
    }
}
