//! Reading CloudWatch Logs for `tokenscrub scan --log-group/--log-group-prefix`.
//!
//! FilterLogEvents, paginated, one group after the other; the standard AWS credential and
//! region chain; throttling and transient errors retried by the SDK's standard retry mode;
//! `--endpoint-url` for tests (moto) and LocalStack-style setups. Events are handed over as
//! they arrive, page by page, so a long scan needs no more memory than a page.

#[cfg(feature = "aws")]
use aws_config::BehaviorVersion;
#[cfg(feature = "aws")]
use aws_config::retry::RetryConfig;
#[cfg(feature = "aws")]
use aws_sdk_cloudwatchlogs::Client;
#[cfg(feature = "aws")]
use aws_sdk_cloudwatchlogs::error::{ProvideErrorMetadata, SdkError};
use tokenscrub_report::cloudwatch::LogEvent;

/// What a build without the `aws` feature says when asked for AWS.
#[cfg(not(feature = "aws"))]
pub const NO_AWS: &str = "this tokenscrub was built without AWS support (cargo feature `aws`): \
                          it cannot read log groups or verify keys";

/// Which events to read.
#[derive(Debug, Clone, Default)]
#[cfg_attr(not(feature = "aws"), allow(dead_code))] // parsed, then refused without AWS
pub struct LogQuery {
    pub groups: Vec<String>,
    pub prefixes: Vec<String>,
    /// Milliseconds since the epoch.
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub filter_pattern: Option<String>,
    pub endpoint_url: Option<String>,
    /// Events per FilterLogEvents page (the service's default when unset).
    pub page_size: Option<i32>,
}

impl LogQuery {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.prefixes.is_empty()
    }
}

#[cfg(not(feature = "aws"))]
pub fn fetch(
    _: &LogQuery,
    _: &mut dyn FnMut(&str, &str, LogEvent) -> std::io::Result<()>,
) -> Result<u64, String> {
    Err(NO_AWS.into())
}

/// Read every event the query selects; `on_event(group, stream, event)` sees them in order.
/// A failed AWS call in one line, with the hint that fits (credentials, region, network,
/// permissions) instead of the SDK's nested dump. `needs` names the IAM action of the call.
#[cfg(feature = "aws")]
pub fn one_line<E, R>(e: &SdkError<E, R>, needs: &str) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let with_hint = |what: String, hint: &str| {
        if hint.is_empty() {
            what
        } else {
            format!("{what} ({hint})")
        }
    };
    if let SdkError::ServiceError(s) = e {
        let err = s.err();
        let code = err.code().unwrap_or("error");
        let message = err.message().map(|m| format!(": {m}")).unwrap_or_default();
        let needs = format!("the credentials need {needs}");
        let hint = match code {
            "AccessDeniedException" | "AccessDenied" => needs.as_str(),
            "UnrecognizedClientException"
            | "InvalidClientTokenId"
            | "InvalidSignatureException"
            | "SignatureDoesNotMatch" => {
                "the credentials are not valid here: check AWS_PROFILE or AWS_ACCESS_KEY_ID, \
                 and the region"
            }
            "ExpiredTokenException" | "ExpiredToken" => {
                "the session has expired: sign in again (aws sso login) or get new keys"
            }
            "ResourceNotFoundException" => "check the name and the region (AWS_REGION)",
            "ThrottlingException" => "throttled after retries: try later, or a smaller --page-size",
            _ => "",
        };
        return with_hint(format!("{code}{message}"), hint);
    }
    // The request was not answered: its innermost cause says why.
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    // One line: the credential chain lists every provider it tried on lines of their own.
    let detail = cause.to_string();
    let first = detail.lines().next().unwrap_or_default();
    let detail = first
        .strip_suffix(" Attempted:")
        .unwrap_or(first)
        .trim_end_matches(':')
        .to_string();
    let lower = detail.to_ascii_lowercase();
    let hint = if lower.contains("credential") {
        "no usable AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and \
         AWS_SECRET_ACCESS_KEY, or run where a role is attached"
    } else if lower.contains("region") {
        "no AWS region: set AWS_REGION, or a region in the profile"
    } else if matches!(e, SdkError::TimeoutError(_)) || lower.contains("timed out") {
        "no answer in time: check the network, the region and --endpoint-url"
    } else if matches!(e, SdkError::DispatchFailure(_)) {
        "the endpoint could not be reached: check the network, the region (AWS_REGION) and \
         --endpoint-url"
    } else {
        ""
    };
    with_hint(detail, hint)
}

/// Returns the number of events read.
#[cfg(feature = "aws")]
pub fn fetch(
    q: &LogQuery,
    on_event: &mut dyn FnMut(&str, &str, LogEvent) -> std::io::Result<()>,
) -> Result<u64, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(fetch_async(q, on_event))
}

#[cfg(feature = "aws")]
async fn fetch_async(
    q: &LogQuery,
    on_event: &mut dyn FnMut(&str, &str, LogEvent) -> std::io::Result<()>,
) -> Result<u64, String> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(8));
    if let Some(url) = &q.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let client = Client::new(&loader.load().await);

    let mut groups = q.groups.clone();
    for prefix in &q.prefixes {
        let mut token: Option<String> = None;
        loop {
            let resp = client
                .describe_log_groups()
                .log_group_name_prefix(prefix)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "listing log groups with prefix {prefix}: {}",
                        one_line(&e, "logs:DescribeLogGroups")
                    )
                })?;
            groups.extend(
                resp.log_groups()
                    .iter()
                    .filter_map(|g| g.log_group_name().map(str::to_string)),
            );
            token = resp.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    groups.sort();
    groups.dedup();

    let mut count = 0u64;
    for group in &groups {
        let mut token: Option<String> = None;
        loop {
            let resp = client
                .filter_log_events()
                .log_group_name(group)
                .start_time(q.start_ms)
                .set_end_time(q.end_ms)
                .set_filter_pattern(q.filter_pattern.clone())
                .set_limit(q.page_size)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "reading log group {group}: {}",
                        one_line(&e, "logs:FilterLogEvents")
                    )
                })?;
            for e in resp.events() {
                let event = LogEvent {
                    id: e.event_id().unwrap_or_default().to_string(),
                    timestamp: e.timestamp().unwrap_or_default(),
                    message: e.message().unwrap_or_default().to_string(),
                    extra: Default::default(),
                };
                on_event(group, e.log_stream_name().unwrap_or_default(), event)
                    .map_err(|e| format!("writing output: {e}"))?;
                count += 1;
            }
            token = resp.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(count)
}

/// `--since` / `--until`: a duration back from `now_ms` (`90s`, `30m`, `24h`, `7d`, `2w`) or a
/// UTC date (`2026-11-22`) or time (`2026-11-22T14:00:00Z`). Milliseconds since the epoch.
pub fn parse_time(s: &str, now_ms: i64) -> Result<i64, String> {
    let bad = || {
        format!(
            "{s:?} is not a time: use 90s, 30m, 24h, 7d, 2w, 2026-11-22 or 2026-11-22T14:00:00Z"
        )
    };
    let s = s.trim();
    if let Some(unit) = s.chars().last().filter(|c| c.is_ascii_alphabetic())
        && let Ok(n) = s[..s.len() - 1].parse::<i64>()
    {
        let secs = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        return Ok(now_ms - n * secs * 1000);
    }
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t.trim_end_matches('Z'))),
        None => (s, None),
    };
    let mut d = date.split('-').map(|p| p.parse::<i64>());
    let (Some(Ok(y)), Some(Ok(m)), Some(Ok(day)), None) = (d.next(), d.next(), d.next(), d.next())
    else {
        return Err(bad());
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    let mut secs = 0;
    if let Some(t) = time {
        let mut parts = t.split(':').map(|p| p.parse::<f64>());
        let (Some(Ok(h)), Some(Ok(min))) = (parts.next(), parts.next()) else {
            return Err(bad());
        };
        let sec = match parts.next() {
            Some(Ok(v)) => v,
            None => 0.0,
            Some(Err(_)) => return Err(bad()),
        };
        secs = (h * 3600.0 + min * 60.0 + sec) as i64;
    }
    let days = tokenscrub::timestamp::days_from_civil(y, m, day);
    Ok((days * 86_400 + secs) * 1000)
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times() {
        let now = 1_795_357_181_736;
        assert_eq!(parse_time("24h", now).unwrap(), now - 86_400_000);
        assert_eq!(parse_time("90s", now).unwrap(), now - 90_000);
        assert_eq!(parse_time("2026-11-22", now).unwrap(), 1_795_305_600_000);
        assert_eq!(
            parse_time("2026-11-22T14:19:41Z", now).unwrap(),
            1_795_357_181_000
        );
        assert_eq!(parse_time("1970-01-01", now).unwrap(), 0);
        assert!(parse_time("yesterday", now).is_err());
        assert!(parse_time("2026-13-01", now).is_err());
    }
}
