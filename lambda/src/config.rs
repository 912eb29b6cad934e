//! The function's configuration, from environment variables, validated at cold start.
//!
//! | variable | meaning |
//! | --- | --- |
//! | `FINDINGS_LOG_GROUP` | log group the findings are written to (required for subscriptions) |
//! | `FINDINGS_LOG_STREAM` | stream in it (default: `tokenscrub-findings`), created on demand |
//! | `MASK_STYLE` | `label` (default), `partial`, `hash`, `stars`: masks in excerpts and Firehose output |
//! | `TOKENSCRUB_HMAC_KEY` | key of the fingerprints (default: random per cold start, said in the log) |
//! | `MIN_SEVERITY` | `low` (default), `medium`, `high`, `critical`: findings below are not alerted |
//! | `TOKENSCRUB_CONFIG` | the config: a TOML file's path, or the TOML itself (as the CLI reads it) |
//! | `METRIC_NAMESPACE` | namespace of the EMF metrics (default: `tokenscrub`) |
//!
//! `TOKENSCRUB_HMAC_KEY` and `TOKENSCRUB_CONFIG` may instead be read from SSM Parameter Store or
//! Secrets Manager at cold start (`crate::remote`): the deployed function keeps its key out of
//! the environment.
//!
//! Errors name the variable and never echo its value (a config may hold the HMAC key).

use tokenscrub::{Config, Engine, FingerprintKey, MaskStyle, Masker, Severity};

pub struct Settings {
    pub findings_log_group: Option<String>,
    /// The function's own log group (`AWS_LAMBDA_LOG_GROUP_NAME`): never scanned, or every
    /// finding would be read back and alert again.
    pub own_log_group: Option<String>,
    pub findings_log_stream: String,
    pub min_severity: Severity,
    pub metric_namespace: String,
    pub engine: Engine,
    pub masker: Masker,
    /// The fingerprint key was drawn at random (no `TOKENSCRUB_HMAC_KEY`).
    pub random_key: bool,
}

fn severity(name: &str) -> Option<Severity> {
    Some(match name {
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        _ => return None,
    })
}

impl Settings {
    /// Read the settings from `var` (the process environment in `main`, a map in tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let non_empty = |k: &str| var(k).filter(|v| !v.trim().is_empty());
        let style = match non_empty("MASK_STYLE") {
            None => MaskStyle::Label,
            Some(v) => v.parse().map_err(|e| format!("MASK_STYLE: {e}"))?,
        };
        let min_severity = match non_empty("MIN_SEVERITY") {
            None => Severity::Low,
            Some(v) => severity(&v).ok_or_else(|| {
                "MIN_SEVERITY: expected low, medium, high or critical".to_string()
            })?,
        };
        let config = match non_empty("TOKENSCRUB_CONFIG") {
            None => Config::default(),
            Some(text) => {
                Config::from_setting(&text, "TOKENSCRUB_CONFIG").map_err(|e| e.to_string())?
            }
        };
        let engine = Engine::new(&config).map_err(|e| format!("TOKENSCRUB_CONFIG: {e}"))?;
        let (key, random_key) = match non_empty("TOKENSCRUB_HMAC_KEY")
            .or_else(|| engine.config_hmac_key().map(str::to_string))
        {
            Some(k) => (FingerprintKey::new(k.as_bytes()), false),
            None => (FingerprintKey::random(), true),
        };
        Ok(Settings {
            findings_log_group: non_empty("FINDINGS_LOG_GROUP"),
            own_log_group: non_empty("AWS_LAMBDA_LOG_GROUP_NAME"),
            findings_log_stream: non_empty("FINDINGS_LOG_STREAM")
                .unwrap_or_else(|| "tokenscrub-findings".into()),
            min_severity,
            metric_namespace: non_empty("METRIC_NAMESPACE").unwrap_or_else(|| "tokenscrub".into()),
            masker: Masker::new(style, key),
            engine,
            random_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_vars(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.findings_log_stream, "tokenscrub-findings");
        assert_eq!(s.min_severity, Severity::Low);
        assert!(s.random_key);
    }

    #[test]
    fn bad_values_name_the_variable_not_the_value() {
        let e = settings(&[("MASK_STYLE", "shiny")]).err().unwrap();
        assert!(e.starts_with("MASK_STYLE"), "{e}");
        let e = settings(&[("MIN_SEVERITY", "urgent")]).err().unwrap();
        assert!(e.starts_with("MIN_SEVERITY"), "{e}");
        let e = settings(&[("TOKENSCRUB_CONFIG", "hmac_key = \"SUPERSECRET\nbad")])
            .err()
            .unwrap();
        assert!(
            e.starts_with("TOKENSCRUB_CONFIG") && !e.contains("SUPERSECRET"),
            "{e}"
        );
        let s = settings(&[("TOKENSCRUB_HMAC_KEY", "k"), ("MIN_SEVERITY", "high")]).unwrap();
        assert!(!s.random_key);
        assert_eq!(s.min_severity, Severity::High);
    }
}
