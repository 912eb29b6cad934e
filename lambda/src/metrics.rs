//! One CloudWatch Embedded Metric Format line per invocation, on stdout: `Leaks` (all findings),
//! `LiveLeaks` (findings whose secret may still work: all but tokens that had expired at the
//! event), `CriticalLeaks` (critical severity, unsigned tokens among them) and `Leaks_<rule>` per
//! rule, each with the source log group as dimension and without dimensions, so one alarm on a
//! dimensionless metric fires on any such leak (the template's `AlarmOn` picks which) and a
//! dashboard can break it down by log group and rule. Findings that could not be written count
//! in `FindingsDeliveryFailures` (no dimension), which the template's delivery alarm watches.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use tokenscrub::Severity;
use tokenscrub::jwt::TokenStatus;
use tokenscrub_report::record::FindingRecord;

/// The findings of one log group, counted for the metrics.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LeakCounts {
    pub by_rule: BTreeMap<String, u64>,
    pub live: u64,
    pub critical: u64,
}

impl LeakCounts {
    pub fn add(&mut self, r: &FindingRecord) {
        *self.by_rule.entry(r.rule.clone()).or_default() += 1;
        // Only a token known to have expired is known to be dead.
        self.live += u64::from(r.status != Some(TokenStatus::Expired));
        self.critical += u64::from(r.severity == Severity::Critical);
    }

    pub fn total(&self) -> u64 {
        self.by_rule.values().sum()
    }
}

pub fn emf_line(namespace: &str, log_group: &str, counts: &LeakCounts, now_ms: i64) -> String {
    let mut metrics = Vec::new();
    let mut doc = Map::new();
    doc.insert("LogGroup".into(), log_group.into());
    let mut put = |name: String, n: u64| {
        metrics.push(json!({ "Name": name, "Unit": "Count" }));
        doc.insert(name, n.into());
    };
    put("Leaks".into(), counts.total());
    put("LiveLeaks".into(), counts.live);
    put("CriticalLeaks".into(), counts.critical);
    for (rule, n) in &counts.by_rule {
        put(format!("Leaks_{rule}"), *n);
    }
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["LogGroup"], []],
                "Metrics": metrics,
            }],
        }),
    );
    serde_json::to_string(&Value::Object(doc)).expect("JSON serializes")
}

/// One EMF line counting findings that could not be delivered (the invocation fails and Lambda
/// retries; an alarm on this metric says the findings log group is not taking writes).
pub fn delivery_failure_line(namespace: &str, findings: u64, now_ms: i64) -> String {
    json!({
        "FindingsDeliveryFailures": findings,
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [[]],
                "Metrics": [{ "Name": "FindingsDeliveryFailures", "Unit": "Count" }],
            }],
        },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(rule: &str, severity: Severity, status: Option<TokenStatus>) -> FindingRecord {
        FindingRecord {
            rule: rule.into(),
            severity,
            status,
            ..FindingRecord::default()
        }
    }

    #[test]
    fn one_line_with_totals_live_critical_and_rules() {
        let mut counts = LeakCounts::default();
        for r in [
            record("jwt", Severity::High, Some(TokenStatus::Live)),
            record("jwt", Severity::Low, Some(TokenStatus::Expired)),
            record(
                "jwt-unsigned",
                Severity::Critical,
                Some(TokenStatus::Unsigned),
            ),
            record("password", Severity::High, None),
        ] {
            counts.add(&r);
        }
        let line = emf_line("tokenscrub", "/aws/lambda/app", &counts, 5);
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["Leaks"], 4);
        // The expired token is recorded, not counted live.
        assert_eq!(v["LiveLeaks"], 3);
        assert_eq!(v["CriticalLeaks"], 1);
        assert_eq!(v["Leaks_jwt"], 2);
        assert_eq!(v["LogGroup"], "/aws/lambda/app");
        let names: Vec<&str> = v["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "Leaks",
                "LiveLeaks",
                "CriticalLeaks",
                "Leaks_jwt",
                "Leaks_jwt-unsigned",
                "Leaks_password"
            ]
        );
    }
}
