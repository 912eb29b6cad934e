//! SARIF 2.1.0 output for `tokenscrub scan --format sarif`, so that a CI or a code-scanning UI
//! can show the findings. Each finding is a result located by file, line and column, with the
//! keyed fingerprint as its partial fingerprint (the same leak keeps the same identity across
//! runs when the HMAC key is fixed). The message holds the masked excerpt, never the secret.

use serde_json::{Value, json};
use std::io::{self, Write};
use tokenscrub::Engine;
use tokenscrub_report::record::FindingRecord;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn security_severity(severity: &str) -> &'static str {
    match severity {
        "critical" => "9.5",
        "high" => "8.0",
        "medium" => "5.5",
        _ => "3.0",
    }
}

fn level(severity: &str) -> &'static str {
    match severity {
        "critical" | "high" => "error",
        "medium" => "warning",
        _ => "note",
    }
}

pub fn document(engine: &Engine, records: &[FindingRecord]) -> Value {
    let rules: Vec<Value> = engine
        .rules()
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.description },
                "defaultConfiguration": { "level": level(r.severity.as_str()) },
                "properties": {
                    "severity": r.severity.as_str(),
                    // GitHub code scanning's CVSS-like score: >= 9 critical, >= 7 high,
                    // >= 4 medium, else low.
                    "security-severity": security_severity(r.severity.as_str()),
                    "tags": ["security", "secret"],
                },
            })
        })
        .collect();
    let results: Vec<Value> = records
        .iter()
        .map(|r| {
            let rule_index = engine.rules().iter().position(|x| x.id == r.rule);
            let uri = r
                .file
                .clone()
                .or_else(|| r.log_group.clone())
                .unwrap_or_else(|| "stdin".into());
            let mut result = json!({
                "ruleId": r.rule,
                "level": level(r.severity.as_str()),
                "message": { "text": format!("Leaked {} ({}): {}", r.rule, r.severity, r.excerpt) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri },
                        "region": { "startLine": r.line, "startColumn": r.column },
                    }
                }],
                "partialFingerprints": { "secretFingerprint/v1": r.fingerprint },
            });
            if let Some(i) = rule_index {
                result["ruleIndex"] = i.into();
            }
            let mut properties = serde_json::Map::new();
            if let (Some(stream), Some(id)) = (&r.log_stream, &r.event_id) {
                properties.extend([
                    ("logStream".to_string(), json!(stream)),
                    ("eventId".to_string(), json!(id)),
                    ("timestamp".to_string(), json!(r.timestamp)),
                    ("offset".to_string(), json!(r.offset)),
                ]);
            }
            if let Some(status) = r.status {
                properties.insert("status".into(), json!(status));
            }
            if let Some(claims) = &r.jwt {
                properties.insert("jwt".into(), json!(claims));
            }
            for (name, value) in [
                ("verified", &r.verified),
                ("account", &r.account),
                ("arn", &r.arn),
            ] {
                if let Some(v) = value {
                    properties.insert(name.into(), json!(v));
                }
            }
            if !properties.is_empty() {
                result["properties"] = properties.into();
            }
            result
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "tokenscrub",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }]
    })
}

pub fn write<W: Write>(out: &mut W, engine: &Engine, records: &[FindingRecord]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(engine, records))?;
    out.write_all(b"\n")
}
