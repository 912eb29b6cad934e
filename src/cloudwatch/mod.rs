//! CloudWatch Logs subscription payloads: `{"awslogs": {"data": base64(gzip(json))}}`.
//!
//! The codec both binaries share: the Lambda decodes what a subscription filter delivers, the
//! CLI's `scan` reads payload files, and both re-encode masked payloads in the same form.
//! Decoding is done by hand over `serde_json::Value` rather than by a derived struct, so that a
//! malformed payload gets an error that says which part is wrong (never quoting its content)
//! instead of a generic serde message.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Map, Value};
use std::fmt;
use std::io::{Read, Write};

/// Decompressed payloads larger than this are refused (a subscription batch is at most about
/// 1 MB compressed; this bounds a gzip bomb).
pub const MAX_DECOMPRESSED: u64 = 64 << 20;

/// One log event of a subscription payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    pub id: String,
    pub timestamp: i64,
    pub message: String,
}

/// A decoded subscription payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsPayload {
    /// `DATA_MESSAGE` or `CONTROL_MESSAGE`.
    pub message_type: String,
    pub owner: String,
    pub log_group: String,
    pub log_stream: String,
    pub subscription_filters: Vec<String>,
    pub log_events: Vec<LogEvent>,
    /// Fields this codec does not know, kept so that re-encoding loses nothing.
    pub other: Map<String, Value>,
}

impl LogsPayload {
    pub fn is_control(&self) -> bool {
        self.message_type == "CONTROL_MESSAGE"
    }
}

/// Why a payload could not be decoded. Names the part, never the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError(pub String);

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PayloadError {}

fn err(msg: impl Into<String>) -> PayloadError {
    PayloadError(msg.into())
}

/// Is this JSON a subscription envelope (`{"awslogs": …}`) or an already decoded payload?
pub fn looks_like_payload(v: &Value) -> bool {
    v.get("awslogs").is_some() || (v.get("logEvents").is_some() && v.get("messageType").is_some())
}

/// Decode an envelope `{"awslogs":{"data":"…"}}`, or an already decoded payload document.
pub fn decode(bytes: &[u8]) -> Result<LogsPayload, PayloadError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        err(format!(
            "not JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if v.get("awslogs").is_some() {
        decode_value(&v)
    } else {
        from_json(v)
    }
}

/// Like [`decode`], from parsed JSON.
pub fn decode_value(v: &Value) -> Result<LogsPayload, PayloadError> {
    match v.get("awslogs") {
        Some(awslogs) => {
            let data = awslogs
                .get("data")
                .and_then(Value::as_str)
                .ok_or_else(|| err("awslogs.data is missing or not a string"))?;
            let json = decode_data(data.as_bytes())?;
            let inner: Value = serde_json::from_slice(&json).map_err(|e| {
                err(format!(
                    "decompressed data is not JSON (line {}, column {})",
                    e.line(),
                    e.column()
                ))
            })?;
            from_json(inner)
        }
        None => from_json(v.clone()),
    }
}

/// base64 → gunzip, bounded.
pub fn decode_data(b64: &[u8]) -> Result<Vec<u8>, PayloadError> {
    let gz = STANDARD
        .decode(b64)
        .map_err(|_| err("awslogs.data is not valid base64"))?;
    let mut out = Vec::new();
    GzDecoder::new(&gz[..])
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut out)
        .map_err(|_| err("awslogs.data is not valid gzip"))?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err(err(format!(
            "awslogs.data decompresses to more than {MAX_DECOMPRESSED} bytes"
        )));
    }
    Ok(out)
}

fn string_field(obj: &mut Map<String, Value>, name: &str) -> Result<String, PayloadError> {
    match obj.remove(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(err(format!("{name} is not a string"))),
        None => Err(err(format!("{name} is missing"))),
    }
}

/// The payload from its JSON, taken apart without copying the messages.
fn from_json(v: Value) -> Result<LogsPayload, PayloadError> {
    let Value::Object(mut obj) = v else {
        return Err(err("payload is not a JSON object"));
    };
    let message_type = string_field(&mut obj, "messageType")?;
    let owner = string_field(&mut obj, "owner")?;
    let log_group = string_field(&mut obj, "logGroup")?;
    let log_stream = string_field(&mut obj, "logStream")?;
    let subscription_filters = match obj.remove("subscriptionFilters") {
        None => Vec::new(),
        Some(Value::Array(a)) => a
            .into_iter()
            .map(|f| match f {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect::<Option<_>>()
            .ok_or_else(|| err("subscriptionFilters holds a non-string"))?,
        Some(_) => return Err(err("subscriptionFilters is not an array")),
    };
    let events = match obj.remove("logEvents") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(err("logEvents is not an array")),
        None => return Err(err("logEvents is missing")),
    };
    let mut log_events = Vec::with_capacity(events.len());
    for (i, e) in events.into_iter().enumerate() {
        let Value::Object(mut e) = e else {
            return Err(err(format!("logEvents[{i}] is not an object")));
        };
        let id = match e.remove("id") {
            Some(Value::String(s)) => s,
            Some(_) => return Err(err(format!("logEvents[{i}].id is not a string"))),
            None => return Err(err(format!("logEvents[{i}].id is missing"))),
        };
        let timestamp = e.get("timestamp").and_then(Value::as_i64).ok_or_else(|| {
            err(format!(
                "logEvents[{i}].timestamp is missing or not an integer"
            ))
        })?;
        let message = match e.remove("message") {
            Some(Value::String(s)) => s,
            Some(_) => return Err(err(format!("logEvents[{i}].message is not a string"))),
            None => return Err(err(format!("logEvents[{i}].message is missing"))),
        };
        log_events.push(LogEvent {
            id,
            timestamp,
            message,
        });
    }
    // What is left is what this codec does not know.
    let other = obj;
    Ok(LogsPayload {
        message_type,
        owner,
        log_group,
        log_stream,
        subscription_filters,
        log_events,
        other,
    })
}

/// The payload as JSON, in CloudWatch's field order.
pub fn to_json(p: &LogsPayload) -> Value {
    let mut obj = Map::new();
    obj.insert("messageType".into(), p.message_type.clone().into());
    obj.insert("owner".into(), p.owner.clone().into());
    obj.insert("logGroup".into(), p.log_group.clone().into());
    obj.insert("logStream".into(), p.log_stream.clone().into());
    obj.insert(
        "subscriptionFilters".into(),
        p.subscription_filters
            .iter()
            .cloned()
            .map(Value::from)
            .collect(),
    );
    obj.insert(
        "logEvents".into(),
        p.log_events
            .iter()
            .map(|e| {
                let mut ev = Map::new();
                ev.insert("id".into(), e.id.clone().into());
                ev.insert("timestamp".into(), e.timestamp.into());
                ev.insert("message".into(), e.message.clone().into());
                Value::Object(ev)
            })
            .collect(),
    );
    for (k, v) in &p.other {
        obj.insert(k.clone(), v.clone());
    }
    Value::Object(obj)
}

/// Encode as an envelope `{"awslogs":{"data": base64(gzip(json))}}`.
pub fn encode(p: &LogsPayload) -> Vec<u8> {
    let json = serde_json::to_vec(&to_json(p)).expect("a payload serializes");
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&json).expect("writing to memory");
    let data = STANDARD.encode(gz.finish().expect("writing to memory"));
    serde_json::to_vec(&serde_json::json!({ "awslogs": { "data": data } }))
        .expect("an envelope serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LogsPayload {
        LogsPayload {
            message_type: "DATA_MESSAGE".into(),
            owner: "123456789012".into(),
            log_group: "/aws/lambda/app".into(),
            log_stream: "2026/11/22/[$LATEST]abc".into(),
            subscription_filters: vec!["f".into()],
            log_events: vec![LogEvent {
                id: "36000000000000000000000000000000000000000000000000000000".into(),
                timestamp: 1795357137000,
                message: "line one\nline two password=FAKEpw0rd\n".into(),
            }],
            other: Map::new(),
        }
    }

    #[test]
    fn round_trip() {
        let p = sample();
        assert_eq!(decode(&encode(&p)).unwrap(), p);
        assert_eq!(
            decode(&serde_json::to_vec(&to_json(&p)).unwrap()).unwrap(),
            p
        );
    }

    #[test]
    fn errors_name_the_part_not_the_content() {
        let bad_b64 = br#"{"awslogs":{"data":"!!!FAKEpw0rd"}}"#;
        let e = decode(bad_b64).unwrap_err();
        assert!(e.0.contains("base64") && !e.0.contains("FAKEpw0rd"), "{e}");
        let not_gzip = format!(
            r#"{{"awslogs":{{"data":"{}"}}}}"#,
            STANDARD.encode("FAKEpw0rd")
        );
        assert!(decode(not_gzip.as_bytes()).unwrap_err().0.contains("gzip"));
        let mut v = to_json(&sample());
        v["logEvents"][0]["id"] = 36.into();
        let e = decode_value(&v).unwrap_err();
        assert_eq!(e.0, "logEvents[0].id is not a string");
        let mut v = to_json(&sample());
        v.as_object_mut().unwrap().remove("logGroup");
        assert_eq!(decode_value(&v).unwrap_err().0, "logGroup is missing");
        assert!(
            decode(b"{not json FAKEpw0rd")
                .unwrap_err()
                .0
                .starts_with("not JSON")
        );
    }

    #[test]
    fn decodes_the_corpus_payloads() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus/cloudwatch");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".json") && !name.ends_with(".truth.json") {
                let p = decode(&std::fs::read(&path).unwrap()).unwrap();
                assert!(p.is_control() || !p.log_events.is_empty(), "{name}");
                n += 1;
            }
        }
        assert_eq!(n, 5);
    }
}

/// Redact every event of a payload (each message is one multi-line text) and report its
/// findings with their CloudWatch location. Event ids, timestamps and order are kept.
///
/// A payload is a bounded batch, so it is read twice: the first pass only learns the secrets
/// found by their context, so that the second also masks an earlier event that repeats one
/// without context (`Key: { id: '…' }` before the log line that names it an API key).
pub fn redact_payload(
    engine: &crate::Engine,
    masker: &crate::Masker,
    payload: &LogsPayload,
) -> (LogsPayload, Vec<crate::report::FindingRecord>) {
    let mut masked = payload.clone();
    let mut records = Vec::new();
    let mut redactor = crate::Redactor::new(engine, masker.clone());
    let mut findings = Vec::new();
    for event in &payload.log_events {
        for line in event.message.as_bytes().split(|&b| b == b'\n') {
            redactor.scan(line, true, &mut findings);
        }
        redactor.end_of_text();
    }
    for (event, out_event) in payload.log_events.iter().zip(masked.log_events.iter_mut()) {
        let source = EventSource {
            log_group: &payload.log_group,
            log_stream: &payload.log_stream,
            event,
        };
        out_event.message = redact_event(&mut redactor, &source, &mut records);
    }
    (masked, records)
}

/// Where an event comes from.
pub struct EventSource<'a> {
    pub log_group: &'a str,
    pub log_stream: &'a str,
    pub event: &'a LogEvent,
}

/// Redact one event's message with `redactor` (whose remembered secrets carry over from earlier
/// events); findings, located in the event, go to `records`. Returns the masked message.
pub fn redact_event(
    redactor: &mut crate::Redactor<'_>,
    source: &EventSource<'_>,
    records: &mut Vec<crate::report::FindingRecord>,
) -> String {
    use crate::report::FindingRecord;
    let engine = redactor.engine();
    let key = redactor.masker().key.clone();
    let text = source.event.message.as_bytes();
    // Byte offset of each line, to turn line and column into an offset in the message.
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text).map(|i| i + 1))
        .collect();
    let mut out = Vec::with_capacity(text.len());
    crate::redact_stream(
        redactor,
        text,
        &mut out,
        crate::StreamOptions::default(),
        &mut |f| {
            let mut rec = FindingRecord::from_stream(engine, &key, f);
            let line_start = line_starts[(f.line_number - 1) as usize] as u64;
            rec.offset = Some(line_start + f.column - 1);
            rec.log_group = Some(source.log_group.to_string());
            rec.log_stream = Some(source.log_stream.to_string());
            rec.event_id = Some(source.event.id.clone());
            rec.timestamp = Some(source.event.timestamp);
            rec.id = Some(crate::report::finding_id(&[
                source.log_group,
                source.log_stream,
                &source.event.id,
                &rec.rule,
                &rec.offset.unwrap_or_default().to_string(),
            ]));
            records.push(rec);
        },
    )
    .expect("reading from and writing to memory cannot fail");
    redactor.end_of_text();
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod redact_tests {
    use super::*;
    use crate::{Engine, FingerprintKey, MaskStyle, Masker};

    #[test]
    fn masks_messages_and_locates_findings() {
        let p = LogsPayload {
            message_type: "DATA_MESSAGE".into(),
            owner: "123456789012".into(),
            log_group: "/aws/lambda/app".into(),
            log_stream: "s".into(),
            subscription_filters: vec![],
            log_events: vec![
                LogEvent {
                    id: "1".into(),
                    timestamp: 5,
                    message: "clean".into(),
                },
                LogEvent {
                    id: "2".into(),
                    timestamp: 6,
                    message: "start\n  password: 'FAKEpw0rd'\n".into(),
                },
            ],
            other: Map::new(),
        };
        let e = Engine::builtin();
        let m = Masker::new(MaskStyle::Label, FingerprintKey::new(b"k"));
        let (masked, recs) = redact_payload(&e, &m, &p);
        assert_eq!(masked.log_events[0], p.log_events[0]);
        assert_eq!(
            masked.log_events[1].message,
            "start\n  password: '[REDACTED:password]'\n"
        );
        assert_eq!(recs.len(), 1);
        let r = &recs[0];
        assert_eq!((r.line, r.column, r.offset), (2, 14, Some(19)));
        assert_eq!(r.event_id.as_deref(), Some("2"));
        assert_eq!(&p.log_events[1].message[19..28], "FAKEpw0rd");
    }
}
