//! CloudWatch Logs subscription payloads: `{"awslogs": {"data": base64(gzip(json))}}`.
//!
//! The codec both binaries share: the Lambda decodes what a subscription filter delivers, the
//! CLI's `scan` reads payload files, and both re-encode masked payloads in the same form.
//! Decoding goes through hand-written serde visitors (`parse.rs`) rather than a derived struct,
//! so that a malformed payload gets an error that says which part is wrong (never quoting its
//! content) instead of a generic serde message.
//!
//! `scan.rs` scans a decoded payload: findings with their CloudWatch location, and the masked
//! payload.

mod parse;
mod scan;

pub use scan::{
    EventSource, SecretHook, payload_findings, payload_findings_with_secrets, redact_event,
    redact_event_with_secrets, redact_payload,
};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Map, Value};
use std::fmt;
use std::io::{Read, Write};

/// Decompressed payloads larger than this are refused. CloudWatch batches at most 1 MiB of
/// messages and 10,000 events: at worst ~7 MiB of JSON (every byte a control character, each
/// escaped to 6). Decoding, masking and encoding hold about 4 bytes per decompressed byte, so
/// 16 MiB keeps a gzip bomb (a few KB that inflate without end) inside a 128 MB function.
pub const MAX_DECOMPRESSED: u64 = 16 << 20;

/// One log event of a subscription payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// The event's id (unique in the log group).
    pub id: String,
    /// When it was logged, in milliseconds since the epoch.
    pub timestamp: i64,
    /// The log text.
    pub message: String,
    /// The event's other fields (a subscription filter's `extractedFields`): log text too,
    /// kept and masked like the message.
    pub extra: Map<String, Value>,
}

/// A decoded subscription payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsPayload {
    /// `DATA_MESSAGE` or `CONTROL_MESSAGE`.
    pub message_type: String,
    /// The AWS account of the log group.
    pub owner: String,
    /// The log group's name.
    pub log_group: String,
    /// The log stream's name.
    pub log_stream: String,
    /// The subscription filters that matched.
    pub subscription_filters: Vec<String>,
    /// The events, in order.
    pub log_events: Vec<LogEvent>,
    /// Fields this codec does not know, kept so that re-encoding loses nothing.
    pub other: Map<String, Value>,
}

impl LogsPayload {
    /// A control message (the subscription's test): nothing to scan.
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
    decode_value(&v)
}

/// Does `bytes` say it is a payload, whatever else is wrong with it: JSON with an `awslogs`
/// envelope or with `messageType` and `logEvents`, or text that opens an `awslogs` envelope?
/// A file that says so and does not decode is an error to report, not text to scan (its
/// base64 would hide every secret).
pub fn claims_to_be_payload(bytes: &[u8]) -> bool {
    let head = bytes.trim_ascii_start();
    let opens_envelope = head
        .strip_prefix(b"{")
        .map(<[u8]>::trim_ascii_start)
        .is_some_and(|h| h.starts_with(b"\"awslogs\""));
    opens_envelope
        || serde_json::from_slice::<Value>(bytes).is_ok_and(|v| {
            v.get("awslogs").is_some()
                || (v.get("messageType").is_some() && v.get("logEvents").is_some())
        })
}

/// Like [`decode`], from parsed JSON.
pub fn decode_value(v: &Value) -> Result<LogsPayload, PayloadError> {
    match v.get("awslogs") {
        Some(awslogs) => {
            let data = awslogs
                .get("data")
                .and_then(Value::as_str)
                .ok_or_else(|| err("awslogs.data is missing or not a string"))?;
            decode_json(&decode_data(data.as_bytes())?)
        }
        // A `Value` is well-formed JSON: reading it cannot fail.
        None => parse::read(v)
            .map_err(|_| err("payload is not a JSON object"))?
            .into_payload(),
    }
}

/// A payload document from its JSON text (what `awslogs.data` decompresses to).
pub fn decode_json(json: &[u8]) -> Result<LogsPayload, PayloadError> {
    // One UTF-8 check of the whole text is much cheaper than serde_json's check of each string.
    let json = std::str::from_utf8(json).map_err(|_| err("decompressed data is not UTF-8"))?;
    let not_json = |e: serde_json::Error| {
        err(format!(
            "decompressed data is not JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    };
    let mut de = serde_json::Deserializer::from_str(json);
    let raw = parse::read(&mut de).map_err(not_json)?;
    de.end().map_err(not_json)?;
    raw.into_payload()
}

/// base64 → gunzip, bounded.
pub fn decode_data(b64: &[u8]) -> Result<Vec<u8>, PayloadError> {
    let gz = STANDARD
        .decode(b64)
        .map_err(|_| err("awslogs.data is not valid base64"))?;
    gunzip(&gz)
}

/// Every gzip member of `gz`, decompressed, bounded by [`MAX_DECOMPRESSED`].
pub fn gunzip(gz: &[u8]) -> Result<Vec<u8>, PayloadError> {
    // The gzip trailer holds the decompressed size (mod 2^32): one allocation, no regrowth.
    let size_hint = gz.len().checked_sub(4).map_or(0, |t| {
        u32::from_le_bytes(gz[t..].try_into().expect("4 bytes")) as u64
    });
    let mut out = Vec::with_capacity(size_hint.min(MAX_DECOMPRESSED) as usize + 1);
    // Every gzip member: data after the first must not be dropped silently.
    MultiGzDecoder::new(gz)
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
                for (k, v) in &e.extra {
                    ev.insert(k.clone(), v.clone());
                }
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
    let data = STANDARD.encode(compress(p));
    serde_json::to_vec(&serde_json::json!({ "awslogs": { "data": data } }))
        .expect("an envelope serializes")
}

/// The payload as gzip(json): the form of `awslogs.data` before base64, and of a Firehose
/// record from a subscription.
pub fn compress(p: &LogsPayload) -> Vec<u8> {
    gzip(&serde_json::to_vec(&to_json(p)).expect("a payload serializes"))
}

/// `bytes` as one gzip member.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(bytes).expect("writing to memory");
    gz.finish().expect("writing to memory")
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
                extra: Map::new(),
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

    /// A payload compressed as several gzip members (concatenated streams) is read whole.
    #[test]
    fn every_gzip_member_is_read() {
        let json = serde_json::to_vec(&to_json(&sample())).unwrap();
        let (a, b) = json.split_at(json.len() / 2);
        let mut gz = Vec::new();
        for part in [a, b] {
            let mut enc = GzEncoder::new(Vec::new(), Compression::default());
            enc.write_all(part).unwrap();
            gz.extend(enc.finish().unwrap());
        }
        assert_eq!(decode_data(STANDARD.encode(&gz).as_bytes()).unwrap(), json);
        let envelope = format!(r#"{{"awslogs":{{"data":"{}"}}}}"#, STANDARD.encode(&gz));
        assert_eq!(decode(envelope.as_bytes()).unwrap(), sample());
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

    /// Every shape problem is named by its field, whichever way the payload arrives (gzipped
    /// data or a decoded document), and no message quotes the value that was wrong.
    #[test]
    fn each_wrong_field_is_named() {
        let secret = "FAKEsecret0123456789";
        let cases: Vec<(&str, Value, &str)> = vec![
            ("/messageType", secret.into(), ""),
            ("/owner", Value::Null, "owner is not a string"),
            (
                "/logStream",
                serde_json::json!([secret]),
                "logStream is not a string",
            ),
            (
                "/subscriptionFilters",
                serde_json::json!([1]),
                "subscriptionFilters holds a non-string",
            ),
            (
                "/subscriptionFilters",
                secret.into(),
                "subscriptionFilters is not an array",
            ),
            (
                "/logEvents",
                serde_json::json!({"k": secret}),
                "logEvents is not an array",
            ),
            (
                "/logEvents/0",
                secret.into(),
                "logEvents[0] is not an object",
            ),
            (
                "/logEvents/0/timestamp",
                1.5.into(),
                "logEvents[0].timestamp is missing or not an integer",
            ),
            (
                "/logEvents/0/timestamp",
                u64::MAX.into(),
                "logEvents[0].timestamp is missing or not an integer",
            ),
            (
                "/logEvents/0/message",
                serde_json::json!({"m": secret}),
                "logEvents[0].message is not a string",
            ),
        ];
        for (pointer, value, expected) in cases {
            let mut v = to_json(&sample());
            *v.pointer_mut(pointer).unwrap() = value;
            let compressed = {
                let mut gz = GzEncoder::new(Vec::new(), Compression::default());
                gz.write_all(v.to_string().as_bytes()).unwrap();
                STANDARD.encode(gz.finish().unwrap())
            };
            let envelope = serde_json::json!({"awslogs": {"data": compressed}});
            for result in [decode_value(&v), decode_value(&envelope)] {
                match result {
                    // A string message type of any value is fine.
                    Ok(p) => assert!(expected.is_empty() && p.message_type == secret),
                    Err(e) => {
                        assert_eq!(e.0, expected, "{pointer}");
                        assert!(!e.0.contains(secret));
                    }
                }
            }
        }
    }

    #[test]
    fn decompression_stops_at_the_cap() {
        let cap = MAX_DECOMPRESSED as usize;
        // A bomb: 16 MiB of one byte is a few KB of gzip.
        let bomb = gzip(&vec![b'{'; cap + 1]);
        assert!(bomb.len() < 64 << 10);
        let e = gunzip(&bomb).unwrap_err();
        assert_eq!(
            e.0,
            format!("awslogs.data decompresses to more than {cap} bytes")
        );
        // Two members that reach it only together are refused too.
        let half = gzip(&vec![b' '; cap / 2 + 1]);
        assert!(gunzip(&[half.clone(), half.clone()].concat()).is_err());
        assert_eq!(gunzip(&gzip(&vec![b' '; cap])).unwrap().len(), cap);
    }

    #[test]
    fn unknown_fields_and_event_extras_are_kept() {
        let mut v = to_json(&sample());
        v["policyLevel"] = "ACCOUNT_LEVEL_POLICY".into();
        v["logEvents"][0]["extractedFields"] = serde_json::json!({"nested": [1, 2]});
        let p = decode_json(v.to_string().as_bytes()).unwrap();
        assert_eq!(
            p.other.get("policyLevel"),
            Some(&"ACCOUNT_LEVEL_POLICY".into())
        );
        assert_eq!(
            p.log_events[0].extra.get("extractedFields"),
            Some(&serde_json::json!({"nested": [1, 2]}))
        );
        assert_eq!(to_json(&p), v);
        assert_eq!(decode(&encode(&p)).unwrap(), p);
        // Numbers come back as they were, to the last bit (a fuzzer found one that did not).
        for n in [
            "1795357266e32",
            "0.1",
            "2.2250738585072014e-308",
            "-17.000000000000004",
        ] {
            let mut v = v.clone();
            v["x"] = serde_json::from_str(n).unwrap();
            let p = decode_json(v.to_string().as_bytes()).unwrap();
            assert_eq!(decode(&encode(&p)).unwrap(), p, "{n}");
            let x = p.other["x"].as_f64().unwrap();
            assert_eq!(x.to_bits(), n.parse::<f64>().unwrap().to_bits(), "{n}");
        }
        let e = decode_json(b"{\"messageType\": \"DATA_MESSAGE\"} trailing").unwrap_err();
        assert!(e.0.starts_with("decompressed data is not JSON"), "{e}");
        let e = decode_json(b"{\"owner\": \"\xff\"}").unwrap_err();
        assert_eq!(e.0, "decompressed data is not UTF-8");
    }

    #[test]
    fn decodes_the_corpus_payloads() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/corpus/cloudwatch");
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
