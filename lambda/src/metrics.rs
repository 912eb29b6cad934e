//! One CloudWatch Embedded Metric Format line per invocation, on stdout: `Leaks` (all findings)
//! and `Leaks_<rule>` per rule, both with the source log group as dimension and without
//! dimensions, so one alarm on the dimensionless `Leaks` fires on any leak and a dashboard can
//! break it down by log group and rule.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub fn emf_line(
    namespace: &str,
    log_group: &str,
    by_rule: &BTreeMap<String, u64>,
    now_ms: i64,
) -> String {
    let mut metrics = vec![json!({ "Name": "Leaks", "Unit": "Count" })];
    let mut doc = Map::new();
    doc.insert("LogGroup".into(), log_group.into());
    doc.insert("Leaks".into(), by_rule.values().sum::<u64>().into());
    for (rule, n) in by_rule {
        let name = format!("Leaks_{rule}");
        metrics.push(json!({ "Name": name, "Unit": "Count" }));
        doc.insert(name, (*n).into());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_with_totals_and_rules() {
        let mut by_rule = BTreeMap::new();
        by_rule.insert("jwt".to_string(), 2);
        by_rule.insert("password".to_string(), 1);
        let line = emf_line("tokenscrub", "/aws/lambda/app", &by_rule, 5);
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["Leaks"], 3);
        assert_eq!(v["Leaks_jwt"], 2);
        assert_eq!(v["LogGroup"], "/aws/lambda/app");
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
    }
}
