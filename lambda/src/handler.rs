//! The function: a plain `async fn` that tests call directly; `main` only wires the runtime.
//!
//! The event's shape chooses the mode:
//! * a CloudWatch Logs subscription event (`{"awslogs":{"data":…}}`, the function subscribed
//!   directly): find leaks, write one finding per leak to the findings log group, print one EMF
//!   metric line;
//! * a Kinesis Data Streams event (`{"Records":[{"kinesis":{"data":…}}]}`, log groups subscribed
//!   to a stream that the function reads): each record is one subscription payload, handled as
//!   above. A batch whose findings cannot be delivered answers `batchItemFailures` from its
//!   first record with findings, so Lambda retries from there (records before it had none);
//! * a Kinesis Firehose transformation event (`{"invocationId":…, "records":[…]}`) whose records
//!   hold gzip'd CloudWatch Logs payloads: each comes back masked in the same form (`Ok`),
//!   CONTROL_MESSAGE records are `Dropped`. A record that is no payload (another source's
//!   text, a damaged payload) is masked as text and comes back `Ok` in the form it came (gzip'd
//!   if it was): never `ProcessingFailed`, which Firehose writes to its error output as it
//!   came, unmasked. A record that is not even base64 is `Dropped`.
//!
//! A malformed payload is reported (what is wrong, never its content) and dropped, not failed:
//! Lambda would retry it forever (and a Kinesis shard would stall behind it). Findings that
//! cannot be delivered fail the invocation (or the batch item) and count in the
//! `FindingsDeliveryFailures` metric. The function's own log lines hold counts and ids only.

use crate::config::Settings;
use crate::metrics::{LeakCounts, delivery_failure_line, emf_line};
use crate::sink::{FindingEvent, FindingSink};
use aws_lambda_events::event::firehose::{KinesisFirehoseResponse, KinesisFirehoseResponseRecord};
use aws_lambda_events::event::streams::{KinesisBatchItemFailure, KinesisEventResponse};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tokenscrub_report::cloudwatch::{self, LogsPayload, PayloadError};
use tokenscrub_report::record::FindingRecord;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// One structured log line of the function's own (counts and ids only).
fn log(fields: Value) {
    println!("{fields}");
}

/// Is this a Kinesis Data Streams event (`Records` whose entries hold `kinesis`)?
fn is_kinesis(event: &Value) -> bool {
    event
        .get("Records")
        .and_then(Value::as_array)
        .is_some_and(|r| r.first().is_some_and(|r| r.get("kinesis").is_some()))
}

/// Handle one invocation. An `Err` makes Lambda retry the invocation.
pub async fn handle<S: FindingSink>(
    settings: &Settings,
    sink: &S,
    event: Value,
) -> Result<Value, String> {
    if event.get("awslogs").is_some() {
        subscription(settings, sink, &event).await
    } else if is_kinesis(&event) {
        Ok(kinesis(settings, sink, &event).await)
    } else if event.get("records").is_some() && event.get("invocationId").is_some() {
        Ok(firehose(settings, &event))
    } else {
        log(
            json!({"level": "error", "msg": "unsupported event dropped: expected a CloudWatch Logs subscription, a Kinesis or a Firehose transformation event"}),
        );
        Ok(json!({ "dropped": 1 }))
    }
}

/// The findings at or above the configured severity.
fn severe_enough(settings: &Settings, mut records: Vec<FindingRecord>) -> Vec<FindingRecord> {
    // The record's own severity: a token's follows its status (an expired one is low).
    records.retain(|r| r.severity >= settings.min_severity);
    records
}

/// What one subscription payload came to.
enum Scan {
    Malformed,
    Control,
    /// From the function's own or the findings log group.
    Ignored,
    Done {
        log_group: String,
        events: usize,
        findings: Vec<FindingRecord>,
    },
}

/// Decode and scan one subscription payload (not yet delivered).
fn scan(settings: &Settings, decoded: Result<LogsPayload, PayloadError>) -> Scan {
    let payload = match decoded {
        Ok(p) => p,
        Err(e) => {
            log(
                json!({"level": "error", "msg": "malformed payload dropped", "error": e.to_string()}),
            );
            return Scan::Malformed;
        }
    };
    if payload.is_control() {
        log(json!({"level": "info", "msg": "control message acknowledged"}));
        return Scan::Control;
    }
    // Subscribed to itself (or to its findings): scanning would feed back forever.
    let own = [&settings.own_log_group, &settings.findings_log_group];
    if own
        .iter()
        .any(|g| g.as_deref() == Some(payload.log_group.as_str()))
    {
        log(
            json!({"level": "warn", "msg": "payload from the function's own or findings log group ignored", "log_group": payload.log_group}),
        );
        return Scan::Ignored;
    }
    let findings = severe_enough(
        settings,
        cloudwatch::payload_findings(&settings.engine, &settings.masker, &payload),
    );
    let ids: Vec<&str> = findings.iter().filter_map(|r| r.id.as_deref()).collect();
    log(json!({
        "level": "info",
        "msg": "payload scanned",
        "log_group": payload.log_group,
        "events": payload.log_events.len(),
        "findings": findings.len(),
        "finding_ids": ids,
    }));
    Scan::Done {
        events: payload.log_events.len(),
        log_group: payload.log_group,
        findings,
    }
}

/// Write `findings` to the findings log group. A failure is logged and counted in the
/// `FindingsDeliveryFailures` metric (an alarm watches it); the caller fails what Lambda retries.
async fn deliver<S: FindingSink>(
    settings: &Settings,
    sink: &S,
    findings: &[FindingRecord],
) -> Result<(), String> {
    if findings.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let delivered = match settings.findings_log_group.as_deref() {
        None => Err("FINDINGS_LOG_GROUP is not set: findings cannot be delivered".to_string()),
        Some(_) => {
            let events: Vec<FindingEvent> = findings
                .iter()
                .map(|r| FindingEvent {
                    timestamp: now,
                    message: serde_json::to_string(r).expect("a record serializes"),
                })
                .collect();
            sink.put(&events).await
        }
    };
    if let Err(e) = &delivered {
        log(
            json!({"level": "error", "msg": "findings not delivered; Lambda retries the payload", "findings_log_group": settings.findings_log_group, "findings": findings.len(), "error": e}),
        );
        println!(
            "{}",
            delivery_failure_line(&settings.metric_namespace, findings.len() as u64, now)
        );
    }
    delivered
}

fn leak_counts(findings: &[FindingRecord]) -> LeakCounts {
    let mut counts = LeakCounts::default();
    for r in findings {
        counts.add(r);
    }
    counts
}

async fn subscription<S: FindingSink>(
    settings: &Settings,
    sink: &S,
    event: &Value,
) -> Result<Value, String> {
    match scan(settings, cloudwatch::decode_value(event)) {
        Scan::Malformed => Ok(json!({ "malformed": 1 })),
        Scan::Control => Ok(json!({ "control": 1 })),
        Scan::Ignored => Ok(json!({ "ignored": 1 })),
        Scan::Done {
            log_group,
            events,
            findings,
        } => {
            deliver(settings, sink, &findings).await?;
            println!(
                "{}",
                emf_line(
                    &settings.metric_namespace,
                    &log_group,
                    &leak_counts(&findings),
                    now_ms()
                )
            );
            Ok(json!({ "events": events, "findings": findings.len() }))
        }
    }
}

/// A Kinesis batch: every record's payload scanned, the findings delivered together. The
/// answer is `ReportBatchItemFailures`' (the event source mapping turns it on): empty when all
/// was delivered, else the first record with findings, from which Lambda retries the shard.
async fn kinesis<S: FindingSink>(settings: &Settings, sink: &S, event: &Value) -> Value {
    let empty = Vec::new();
    let records = event["Records"].as_array().unwrap_or(&empty);
    let mut findings = Vec::new();
    let mut first_with_findings: Option<String> = None;
    let mut by_group: BTreeMap<String, Vec<FindingRecord>> = BTreeMap::new();
    let (mut events, mut malformed) = (0usize, 0usize);
    for rec in records {
        let data = rec["kinesis"]["data"].as_str().unwrap_or_default();
        let decoded = cloudwatch::decode_data(data.as_bytes())
            .and_then(|json| cloudwatch::decode_json(&json));
        match scan(settings, decoded) {
            Scan::Malformed => malformed += 1,
            Scan::Control | Scan::Ignored => {}
            Scan::Done {
                log_group,
                events: n,
                findings: found,
            } => {
                events += n;
                if !found.is_empty() && first_with_findings.is_none() {
                    first_with_findings = rec["kinesis"]["sequenceNumber"]
                        .as_str()
                        .map(str::to_string);
                }
                findings.extend(found.iter().cloned());
                by_group.entry(log_group).or_default().extend(found);
            }
        }
    }
    let mut response = KinesisEventResponse::default();
    if deliver(settings, sink, &findings).await.is_err() {
        let mut failure = KinesisBatchItemFailure::default();
        failure.item_identifier = first_with_findings;
        response.batch_item_failures.push(failure);
    } else {
        let now = now_ms();
        for (group, found) in &by_group {
            println!(
                "{}",
                emf_line(&settings.metric_namespace, group, &leak_counts(found), now)
            );
        }
    }
    log(json!({
        "level": "info",
        "msg": "kinesis batch scanned",
        "records": records.len(),
        "events": events,
        "malformed": malformed,
        "findings": findings.len(),
        "delivered": response.batch_item_failures.is_empty(),
    }));
    serde_json::to_value(&response).expect("JSON")
}

/// A record's bytes masked line by line as log text, in the form they came: gzip'd (every
/// member read, bounded) if they were, else as they are.
fn mask_as_text(settings: &Settings, bytes: &[u8]) -> Vec<u8> {
    match cloudwatch::gunzip(bytes) {
        Ok(text) => cloudwatch::gzip(&tokenscrub::redact_text(
            &settings.engine,
            &settings.masker,
            &text,
        )),
        Err(_) => tokenscrub::redact_text(&settings.engine, &settings.masker, bytes),
    }
}

fn firehose(settings: &Settings, event: &Value) -> Value {
    let empty = Vec::new();
    let records = event["records"].as_array().unwrap_or(&empty);
    let mut response = KinesisFirehoseResponse::default();
    let (mut ok, mut dropped, mut as_text) = (0u64, 0u64, 0u64);
    let mut by_group: BTreeMap<String, LeakCounts> = BTreeMap::new();
    for (i, rec) in records.iter().enumerate() {
        let mut out = KinesisFirehoseResponseRecord::default();
        out.record_id = rec["recordId"].as_str().map(str::to_string);
        let data = rec["data"].as_str().unwrap_or_default();
        let decoded = cloudwatch::decode_data(data.as_bytes())
            .and_then(|json| cloudwatch::decode_json(&json));
        match decoded {
            Err(e) => {
                log(
                    json!({"level": "warn", "msg": "firehose record is no payload: masked as text", "record": i, "error": e.to_string()}),
                );
                match STANDARD.decode(data) {
                    Ok(bytes) => {
                        *out.data = mask_as_text(settings, &bytes);
                        out.result = Some("Ok".into());
                        as_text += 1;
                    }
                    // Nothing to mask it as: forwarded as it came it would leak, so it is not.
                    Err(_) => {
                        out.result = Some("Dropped".into());
                        dropped += 1;
                    }
                }
            }
            Ok(p) if p.is_control() => {
                out.result = Some("Dropped".into());
                *out.data = STANDARD.decode(data).unwrap_or_default();
                dropped += 1;
            }
            Ok(p) => {
                let (masked, findings) =
                    cloudwatch::redact_payload(&settings.engine, &settings.masker, &p);
                let counts = by_group.entry(p.log_group.clone()).or_default();
                for f in &severe_enough(settings, findings) {
                    counts.add(f);
                }
                // The same form as it came: gzip(json).
                *out.data = cloudwatch::compress(&masked);
                out.result = Some("Ok".into());
                ok += 1;
            }
        }
        response.records.push(out);
    }
    log(
        json!({"level": "info", "msg": "firehose batch transformed", "ok": ok, "dropped": dropped, "masked_as_text": as_text}),
    );
    let now = now_ms();
    for (group, counts) in &by_group {
        println!(
            "{}",
            emf_line(&settings.metric_namespace, group, counts, now)
        );
    }
    serde_json::to_value(&response).expect("JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::path::Path;

    /// Findings kept in memory; fails on demand.
    #[derive(Default)]
    struct MemorySink {
        events: RefCell<Vec<FindingEvent>>,
        fail: bool,
    }

    impl FindingSink for MemorySink {
        async fn put(&self, events: &[FindingEvent]) -> Result<(), String> {
            if self.fail {
                return Err("injected failure".into());
            }
            self.events.borrow_mut().extend_from_slice(events);
            Ok(())
        }
    }

    fn settings() -> Settings {
        Settings::from_vars(|k| match k {
            "FINDINGS_LOG_GROUP" => Some("/tokenscrub/findings".into()),
            "TOKENSCRUB_HMAC_KEY" => Some("test".into()),
            _ => None,
        })
        .unwrap()
    }

    fn corpus_payloads() -> Vec<(String, Value, Value)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/corpus/cloudwatch");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".json") && !name.ends_with(".truth.json") {
                let event = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                let truth = serde_json::from_slice(
                    &std::fs::read(dir.join(name.replace(".json", ".truth.json"))).unwrap(),
                )
                .unwrap();
                out.push((name, event, truth));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn fragments(truth: &Value) -> Vec<String> {
        truth["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| {
                s["fragments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
            })
            .collect()
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn every_secret_event_yields_a_finding_and_no_finding_holds_a_secret() {
        let s = settings();
        for (name, event, truth) in corpus_payloads() {
            let sink = MemorySink::default();
            let out = block_on(handle(&s, &sink, event)).unwrap();
            let events = sink.events.borrow();
            if truth["messageType"] == "CONTROL_MESSAGE" {
                assert_eq!(out["control"], 1);
                assert!(events.is_empty());
                continue;
            }
            let records: Vec<Value> = events
                .iter()
                .map(|e| serde_json::from_str(&e.message).unwrap())
                .collect();
            for ev in truth["events"].as_array().unwrap() {
                assert!(
                    records.iter().any(|r| r["event_id"] == ev["id"]),
                    "{name}: event {} has no finding",
                    ev["id"]
                );
            }
            for e in events.iter() {
                for f in fragments(&truth) {
                    assert!(
                        !e.message.contains(&f),
                        "{name}: a finding holds a secret fragment"
                    );
                }
            }
            for r in &records {
                assert_eq!(r["id"].as_str().unwrap().len(), 32);
                assert!(r["log_group"].as_str().unwrap().starts_with("/aws/lambda/"));
            }
        }
    }

    #[test]
    fn own_and_findings_log_groups_are_not_scanned() {
        let s = settings();
        let (_, event, _) = corpus_payloads()
            .into_iter()
            .find(|p| p.0 == "lambda_node_text_1.json")
            .unwrap();
        let mut payload = cloudwatch::decode_value(&event).unwrap();
        payload.log_group = "/tokenscrub/findings".into();
        let event: Value = serde_json::from_slice(&cloudwatch::encode(&payload)).unwrap();
        let sink = MemorySink::default();
        let out = block_on(handle(&s, &sink, event)).unwrap();
        assert_eq!(out["ignored"], 1);
        assert!(sink.events.borrow().is_empty());
    }

    #[test]
    fn redelivery_gives_the_same_finding_ids() {
        let s = settings();
        let (_, event, _) = corpus_payloads()
            .into_iter()
            .find(|p| p.0 == "lambda_node_text_1.json")
            .unwrap();
        let ids = |sink: &MemorySink| -> Vec<String> {
            sink.events
                .borrow()
                .iter()
                .map(|e| {
                    serde_json::from_str::<Value>(&e.message).unwrap()["id"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect()
        };
        let (a, b) = (MemorySink::default(), MemorySink::default());
        block_on(handle(&s, &a, event.clone())).unwrap();
        block_on(handle(&s, &b, event)).unwrap();
        assert!(!ids(&a).is_empty());
        assert_eq!(ids(&a), ids(&b));
    }

    #[test]
    fn malformed_payloads_are_dropped_and_sink_failures_fail_the_invocation() {
        let s = settings();
        let sink = MemorySink::default();
        for bad in [
            json!({"awslogs": {"data": "!!not base64"}}),
            json!({"awslogs": {}}),
            json!({"something": "else"}),
        ] {
            let out = block_on(handle(&s, &sink, bad)).unwrap();
            assert!(
                out.get("malformed").is_some() || out.get("dropped").is_some(),
                "{out}"
            );
        }
        let (_, event, _) = corpus_payloads()
            .into_iter()
            .find(|p| p.0 == "lambda_node_text_1.json")
            .unwrap();
        let failing = MemorySink {
            fail: true,
            ..Default::default()
        };
        assert!(block_on(handle(&s, &failing, event)).is_err());
    }

    /// A Kinesis event whose records hold `payloads` (what CloudWatch Logs puts on a stream:
    /// the gzip'd payload, base64 in the Lambda event), with sequence numbers `seq-<i>`.
    fn kinesis_event(data: &[&Value]) -> Value {
        let records: Vec<Value> = data
            .iter()
            .enumerate()
            .map(|(i, d)| {
                json!({
                    "kinesis": {
                        "kinesisSchemaVersion": "1.0",
                        "partitionKey": "p",
                        "sequenceNumber": format!("seq-{i}"),
                        "data": d,
                        "approximateArrivalTimestamp": 1_764_750_000.5
                    },
                    "eventSource": "aws:kinesis",
                    "eventVersion": "1.0",
                    "eventID": format!("shardId-000000000000:seq-{i}"),
                    "eventName": "aws:kinesis:record",
                    "awsRegion": "us-east-1",
                    "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/tokenscrub"
                })
            })
            .collect();
        json!({ "Records": records })
    }

    #[test]
    fn kinesis_records_yield_the_findings_of_their_payloads() {
        let s = settings();
        let payloads = corpus_payloads();
        let bad = json!("!!not base64");
        let mut data: Vec<&Value> = payloads.iter().map(|p| &p.1["awslogs"]["data"]).collect();
        data.insert(1, &bad);
        let sink = MemorySink::default();
        let out = block_on(handle(&s, &sink, kinesis_event(&data))).unwrap();
        assert_eq!(out["batchItemFailures"], json!([]), "{out}");
        let events = sink.events.borrow();
        let records: Vec<Value> = events
            .iter()
            .map(|e| serde_json::from_str(&e.message).unwrap())
            .collect();
        let mut secret_events = 0;
        for (name, _, truth) in &payloads {
            if truth["messageType"] == "CONTROL_MESSAGE" {
                continue;
            }
            for ev in truth["events"].as_array().unwrap() {
                secret_events += 1;
                assert!(
                    records.iter().any(|r| r["event_id"] == ev["id"]),
                    "{name}: event {} has no finding",
                    ev["id"]
                );
            }
            for e in events.iter() {
                for f in fragments(truth) {
                    assert!(!e.message.contains(&f), "a finding holds a secret fragment");
                }
            }
        }
        assert!(secret_events > 10, "the corpus has secret events");
    }

    #[test]
    fn an_undelivered_kinesis_batch_is_retried_from_its_first_record_with_findings() {
        let s = settings();
        let payloads = corpus_payloads();
        let control = payloads
            .iter()
            .find(|p| p.2["messageType"] == "CONTROL_MESSAGE")
            .unwrap();
        let leaky = payloads
            .iter()
            .find(|p| p.0 == "lambda_node_text_1.json")
            .unwrap();
        // Record 0 has nothing to deliver; record 1 is the first with findings.
        let data = [
            &control.1["awslogs"]["data"],
            &leaky.1["awslogs"]["data"],
            &leaky.1["awslogs"]["data"],
        ];
        let failing = MemorySink {
            fail: true,
            ..Default::default()
        };
        let out = block_on(handle(&s, &failing, kinesis_event(&data))).unwrap();
        assert_eq!(
            out["batchItemFailures"],
            json!([{ "itemIdentifier": "seq-1" }])
        );
    }

    #[test]
    fn firehose_records_are_masked_or_dropped_never_returned_as_they_came() {
        let s = settings();
        let payloads = corpus_payloads();
        let mut records = Vec::new();
        for (i, (_, event, _)) in payloads.iter().enumerate() {
            records.push(json!({ "recordId": format!("r{i}"), "approximateArrivalTimestamp": 0, "data": event["awslogs"]["data"] }));
        }
        // Records that are no payload, with a secret: plain text, gzip'd text, gzip'd JSON
        // that is no payload; and one that is not base64.
        let leak = "user=bob password=FAKEpw0rdNotAPayload1 done\n";
        records.push(json!({ "recordId": "text", "approximateArrivalTimestamp": 0, "data": STANDARD.encode(leak) }));
        records.push(json!({ "recordId": "gz", "approximateArrivalTimestamp": 0, "data": STANDARD.encode(cloudwatch::gzip(leak.as_bytes())) }));
        let json_leak = format!("{{\"msg\": \"{}\"}}", leak.trim());
        records.push(json!({ "recordId": "json", "approximateArrivalTimestamp": 0, "data": STANDARD.encode(cloudwatch::gzip(json_leak.as_bytes())) }));
        records.push(json!({ "recordId": "bad", "approximateArrivalTimestamp": 0, "data": "!!not base64 FAKEpw0rdNotAPayload1" }));
        let event = json!({ "invocationId": "inv", "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/x", "region": "us-east-1", "records": records });
        let out = block_on(handle(&s, &MemorySink::default(), event)).unwrap();
        let results = out["records"].as_array().unwrap();
        assert_eq!(results.len(), payloads.len() + 4);
        for (i, (name, _, truth)) in payloads.iter().enumerate() {
            let r = &results[i];
            assert_eq!(r["recordId"], format!("r{i}"), "order and ids kept");
            if truth["messageType"] == "CONTROL_MESSAGE" {
                assert_eq!(r["result"], "Dropped");
                continue;
            }
            assert_eq!(r["result"], "Ok", "{name}");
            let json = cloudwatch::decode_data(r["data"].as_str().unwrap().as_bytes()).unwrap();
            let p: Value = serde_json::from_slice(&json).unwrap();
            let ids: Vec<&Value> = p["logEvents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| &e["id"])
                .collect();
            let want: Vec<&Value> = truth["event_ids"].as_array().unwrap().iter().collect();
            assert_eq!(ids, want);
            let text = String::from_utf8(json).unwrap();
            for f in fragments(truth) {
                assert!(
                    !text.contains(&f),
                    "{name}: a secret survived the transformation"
                );
            }
        }
        // Never `ProcessingFailed` (Firehose would write the record as it came): masked as
        // text in the form it came, or dropped.
        let n = payloads.len();
        let plain = STANDARD
            .decode(results[n]["data"].as_str().unwrap())
            .unwrap();
        assert_eq!(plain, b"user=bob password=[REDACTED:password] done\n");
        for r in &results[n + 1..n + 3] {
            assert_eq!(r["result"], "Ok");
            let bytes = STANDARD.decode(r["data"].as_str().unwrap()).unwrap();
            let text = cloudwatch::gunzip(&bytes).unwrap();
            let text = String::from_utf8(text).unwrap();
            assert!(text.contains("password=[REDACTED:password]"), "{text}");
            assert!(!text.contains("FAKEpw0rd"), "{text}");
        }
        assert_eq!(results[n + 3]["result"], "Dropped");
        assert!(!out.to_string().contains("FAKEpw0rd"));
        assert!(results.iter().all(|r| r["result"] != "ProcessingFailed"));
    }
}
