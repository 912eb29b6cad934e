//! Scanning a decoded payload: each event's message is one multi-line text; findings carry
//! their CloudWatch location (group, stream, event id, offset in the message).

use super::{LogEvent, LogsPayload};
use crate::record::{EventTime, FindingRecord, finding_id};
use std::ops::Range;
use tokenscrub::redact::{PlacedMask, mask_into};
use tokenscrub::stream::{StreamFinding, split_terminator};
use tokenscrub::{Engine, Finding, Masker, Scanner};

/// A line of a message that a keyword hit (or a key block took), with what was found in it.
/// Other lines have no findings and are not kept.
struct ScannedLine {
    /// Index of the event in the payload.
    event: usize,
    /// 1-based, in the event's message.
    number: u64,
    /// The line without its terminator, in the event's message.
    span: Range<usize>,
    keyword: bool,
    /// Spans in the line.
    findings: Vec<Finding>,
}

/// Redact every event of a payload and report its findings with their CloudWatch location.
/// Event ids, timestamps and order are kept.
///
/// A payload is a bounded batch, so its secrets are looked for twice: the lines a keyword hit
/// are looked at again with every secret the batch revealed, so that an earlier event that
/// repeats one without context (`Key: { id: '…' }` before the log line that names it an API
/// key) is masked too.
pub fn redact_payload(
    engine: &Engine,
    masker: &Masker,
    payload: &LogsPayload,
) -> (LogsPayload, Vec<FindingRecord>) {
    let mut log_events = Vec::with_capacity(payload.log_events.len());
    let records = scan_payload(
        engine,
        masker,
        payload,
        Some(&mut log_events),
        &mut |_, _| {},
    );
    let masked = LogsPayload {
        message_type: payload.message_type.clone(),
        owner: payload.owner.clone(),
        log_group: payload.log_group.clone(),
        log_stream: payload.log_stream.clone(),
        subscription_filters: payload.subscription_filters.clone(),
        log_events,
        other: masked_fields(engine, masker, &payload.other),
    };
    (masked, records)
}

/// Fields the decoder does not read, with every string in them masked.
fn masked_fields(
    engine: &Engine,
    masker: &Masker,
    fields: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    fields
        .iter()
        .map(|(k, v)| {
            let mut v = v.clone();
            mask_strings(engine, masker, &mut v);
            (k.clone(), v)
        })
        .collect()
}

/// Mask every string inside `v` as log text: a field the decoder does not know is passed on,
/// never unscanned.
fn mask_strings(engine: &Engine, masker: &Masker, v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            let masked = tokenscrub::redact_text(engine, masker, s.as_bytes());
            if masked != s.as_bytes() {
                // Masks are ASCII and cut whole characters out: still UTF-8.
                *s = String::from_utf8_lossy(&masked).into_owned();
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| mask_strings(engine, masker, i)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|i| mask_strings(engine, masker, i)),
        _ => {}
    }
}

/// The findings of [`redact_payload`] without the masked payload (what an alert needs).
pub fn payload_findings(
    engine: &Engine,
    masker: &Masker,
    payload: &LogsPayload,
) -> Vec<FindingRecord> {
    scan_payload(engine, masker, payload, None, &mut |_, _| {})
}

/// What a caller that must act on a secret itself (`scan --verify`) is given: each record as it
/// is made, with the secret it stands for. Never for printing.
pub type SecretHook<'h> = &'h mut dyn FnMut(&FindingRecord, &[u8]);

/// [`payload_findings`], each record also given to `hook` with its secret.
pub fn payload_findings_with_secrets(
    engine: &Engine,
    masker: &Masker,
    payload: &LogsPayload,
    hook: SecretHook<'_>,
) -> Vec<FindingRecord> {
    scan_payload(engine, masker, payload, None, hook)
}

/// Scan the batch and report its findings; with `masked`, also push every event's masked copy
/// to it, in order.
fn scan_payload(
    engine: &Engine,
    masker: &Masker,
    payload: &LogsPayload,
    mut masked: Option<&mut Vec<LogEvent>>,
    hook: SecretHook<'_>,
) -> Vec<FindingRecord> {
    let lines = scan_batch(engine, payload);
    let mut records = Vec::new();
    let (mut out, mut placed) = (Vec::new(), Vec::new());
    let mut by_event = lines.chunk_by(|a, b| a.event == b.event).peekable();
    for (i, event) in payload.log_events.iter().enumerate() {
        let lines = by_event.next_if(|l| l[0].event == i).unwrap_or_default();
        if lines.iter().all(|l| l.findings.is_empty()) {
            if let Some(masked) = masked.as_deref_mut() {
                masked.push(LogEvent {
                    extra: masked_fields(engine, masker, &event.extra),
                    ..event.clone()
                });
            }
            continue;
        }
        let source = EventSource {
            log_group: &payload.log_group,
            log_stream: &payload.log_stream,
            event,
        };
        out.clear();
        emit(
            engine,
            masker,
            &source,
            lines,
            &mut out,
            &mut placed,
            RecordSink {
                records: &mut records,
                hook: &mut *hook,
            },
        );
        if let Some(masked) = masked.as_deref_mut() {
            masked.push(LogEvent {
                id: event.id.clone(),
                timestamp: event.timestamp,
                message: into_string(std::mem::take(&mut out)),
                extra: masked_fields(engine, masker, &event.extra),
            });
        }
    }
    records
}

/// Both passes over a batch: every line scanned once (the memory learns the batch's
/// secrets), then the keyword lines looked at again with all of them.
fn scan_batch(engine: &Engine, payload: &LogsPayload) -> Vec<ScannedLine> {
    let mut scanner = engine.scanner();
    let mut lines = Vec::new();
    let mut found = Vec::new();
    for (i, event) in payload.log_events.iter().enumerate() {
        scan_message(
            &mut scanner,
            event.message.as_bytes(),
            i,
            &mut lines,
            &mut found,
        );
    }
    for line in lines.iter_mut().filter(|l| l.keyword) {
        let text = payload.log_events[line.event].message.as_bytes();
        scanner.recall(&text[line.span.clone()], &mut line.findings);
    }
    lines
}

/// Scan one message (one multi-line text) line by line; runs of lines without a keyword are
/// skipped whole. Lines a keyword hit, or with findings, go to `lines`.
fn scan_message(
    scanner: &mut Scanner<'_>,
    text: &[u8],
    event: usize,
    lines: &mut Vec<ScannedLine>,
    found: &mut Vec<Finding>,
) {
    let (mut start, mut number) = (0, 0u64);
    while start < text.len() {
        let quiet = scanner.quiet_prefix(&text[start..]);
        number += quiet.lines;
        start += quiet.len;
        if start == text.len() {
            break;
        }
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |n| start + n + 1);
        let (body, _) = split_terminator(&text[start..end]);
        number += 1;
        scanner.scan_next_line(body, quiet, found);
        if scanner.saw_keyword() || !found.is_empty() {
            lines.push(ScannedLine {
                event,
                number,
                span: start..start + body.len(),
                keyword: scanner.saw_keyword(),
                findings: found.clone(),
            });
        }
        start = end;
    }
    scanner.end_of_text();
}

/// Where [`emit`] puts the records it makes, and who else is given each with its secret.
struct RecordSink<'r, 'h> {
    records: &'r mut Vec<FindingRecord>,
    hook: SecretHook<'h>,
}

/// Append the event's masked message to `out` and its findings to the sink. `lines` are the
/// event's scanned lines, in order.
fn emit(
    engine: &Engine,
    masker: &Masker,
    source: &EventSource<'_>,
    lines: &[ScannedLine],
    out: &mut Vec<u8>,
    placed: &mut Vec<PlacedMask>,
    sink: RecordSink<'_, '_>,
) {
    let text = source.event.message.as_bytes();
    let mut at = 0;
    for line in lines.iter().filter(|l| !l.findings.is_empty()) {
        out.extend_from_slice(&text[at..line.span.start]);
        let line_start = out.len();
        let body = &text[line.span.clone()];
        placed.clear();
        mask_into(
            engine,
            masker,
            body,
            0..body.len(),
            &line.findings,
            out,
            Some(placed),
        );
        for m in placed.iter() {
            let finding = StreamFinding {
                line_number: line.number,
                column: m.secret.start as u64 + 1,
                rule: m.rule,
                secret: &body[m.secret.clone()],
                redacted: &out[line_start..],
                mask_at: m.mask.clone(),
            };
            let offset = line.span.start + m.secret.start;
            let rec = located(engine, masker, source, &finding, offset);
            (sink.hook)(&rec, finding.secret);
            sink.records.push(rec);
        }
        at = line.span.end;
    }
    out.extend_from_slice(&text[at..]);
}

/// A finding's record, with where it is in CloudWatch and an id stable across re-deliveries.
fn located(
    engine: &Engine,
    masker: &Masker,
    source: &EventSource<'_>,
    finding: &StreamFinding<'_>,
    offset: usize,
) -> FindingRecord {
    // The event's time is CloudWatch's (milliseconds), not what its message says.
    let when = EventTime::At(source.event.timestamp.div_euclid(1000));
    let mut rec = FindingRecord::from_stream(engine, &masker.key, finding, when);
    rec.offset = Some(offset as u64);
    rec.log_group = Some(source.log_group.to_string());
    rec.log_stream = Some(source.log_stream.to_string());
    rec.event_id = Some(source.event.id.clone());
    rec.timestamp = Some(source.event.timestamp);
    rec.id = Some(finding_id(&[
        source.log_group,
        source.log_stream,
        &source.event.id,
        &rec.rule,
        &offset.to_string(),
    ]));
    rec
}

/// Masks are ASCII and replace whole secrets, so a UTF-8 message stays UTF-8; should a span
/// ever cut a character, the message is kept lossily rather than lost.
fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Where an event comes from.
pub struct EventSource<'a> {
    /// The event's log group.
    pub log_group: &'a str,
    /// The event's log stream.
    pub log_stream: &'a str,
    /// The event.
    pub event: &'a LogEvent,
}

/// Redact one event's message with `scanner` (whose remembered secrets carry over from earlier
/// events: a log group read event by event); findings, located in the event, go to
/// `records`. Returns the masked message.
pub fn redact_event(
    scanner: &mut Scanner<'_>,
    masker: &Masker,
    source: &EventSource<'_>,
    records: &mut Vec<FindingRecord>,
) -> String {
    redact_event_with_secrets(scanner, masker, source, records, &mut |_, _| {})
}

/// [`redact_event`], each record also given to `hook` with its secret.
pub fn redact_event_with_secrets(
    scanner: &mut Scanner<'_>,
    masker: &Masker,
    source: &EventSource<'_>,
    records: &mut Vec<FindingRecord>,
    hook: SecretHook<'_>,
) -> String {
    let text = source.event.message.as_bytes();
    let (mut lines, mut found) = (Vec::new(), Vec::new());
    scan_message(scanner, text, 0, &mut lines, &mut found);
    let mut out = Vec::with_capacity(text.len());
    emit(
        scanner.engine(),
        masker,
        source,
        &lines,
        &mut out,
        &mut Vec::new(),
        RecordSink { records, hook },
    );
    into_string(out)
}

#[cfg(test)]
mod redact_tests {
    use super::*;
    use serde_json::Map;
    use tokenscrub::{Engine, FingerprintKey, MaskStyle, Masker};

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
                    extra: Map::new(),
                },
                LogEvent {
                    id: "2".into(),
                    timestamp: 6,
                    message: "start\n  password: 'FAKEpw0rd'\n".into(),
                    extra: Map::new(),
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

    /// A token's status is judged at the event's CloudWatch time, not at the message's own
    /// time nor the time of the run.
    #[test]
    fn token_status_is_judged_at_the_event_time() {
        use base64::Engine as _;
        let part = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        // Expires at 2026-12-03T08:50:39Z.
        let token = format!(
            "{}.{}.FAKEsignatureFAKEsignature",
            part(r#"{"alg":"HS256"}"#),
            part(r#"{"sub":"u","exp":1796287839}"#)
        );
        // The message says 2030: its own time must not count.
        let message = format!("2030-01-01T00:00:00Z Authorization: Bearer {token}");
        let mut p = payload(&[&message, &message]);
        p.log_events[0].timestamp = 1_796_287_838_999;
        p.log_events[1].timestamp = 1_796_287_839_000;
        let e = Engine::builtin();
        let m = Masker::new(MaskStyle::Label, FingerprintKey::new(b"k"));
        let (_, recs) = redact_payload(&e, &m, &p);
        let status = |event: &str| {
            recs.iter()
                .filter(|r| r.event_id.as_deref() == Some(event))
                .find_map(|r| r.status)
        };
        assert_eq!(status("0"), Some(tokenscrub::jwt::TokenStatus::Live));
        assert_eq!(status("1"), Some(tokenscrub::jwt::TokenStatus::Expired));
    }

    fn payload(messages: &[&str]) -> LogsPayload {
        LogsPayload {
            message_type: "DATA_MESSAGE".into(),
            owner: "123456789012".into(),
            log_group: "/aws/lambda/app".into(),
            log_stream: "s".into(),
            subscription_filters: vec![],
            log_events: messages
                .iter()
                .enumerate()
                .map(|(i, m)| LogEvent {
                    id: i.to_string(),
                    timestamp: i as i64,
                    message: m.to_string(),
                    extra: Map::new(),
                })
                .collect(),
            other: Map::new(),
        }
    }

    /// Fields the decoder does not know are passed on masked, at any depth, in the payload and
    /// in its events; what holds no secret is kept as it was.
    #[test]
    fn unknown_fields_are_masked_too() {
        let mut p = payload(&["clean"]);
        p.log_events[0].extra.insert(
            "extractedFields".into(),
            serde_json::json!({"$user": "bob", "$pw": "password=FAKEpw0rdInEvent1"}),
        );
        p.other.insert(
            "extra".into(),
            serde_json::json!({"note": "password=FAKEpw0rdInExtra1", "list": ["token: FAKEtok0123456789abcdef", 7], "plain": "ACCOUNT_LEVEL_POLICY"}),
        );
        let e = Engine::builtin();
        let m = Masker::new(MaskStyle::Label, FingerprintKey::new(b"k"));
        let (masked, _) = redact_payload(&e, &m, &p);
        let extra = masked.other["extra"].to_string();
        assert!(
            !extra.contains("FAKEpw0rd") && !extra.contains("FAKEtok"),
            "{extra}"
        );
        assert!(extra.contains("password=[REDACTED:password]"), "{extra}");
        assert_eq!(masked.other["extra"]["plain"], "ACCOUNT_LEVEL_POLICY");
        assert_eq!(masked.other["extra"]["list"][1], 7);
        let fields = &masked.log_events[0].extra["extractedFields"];
        assert_eq!(fields["$user"], "bob");
        assert_eq!(fields["$pw"], "password=[REDACTED:password]");
    }

    #[test]
    fn a_secret_revealed_later_in_the_batch_is_masked_earlier_too() {
        let secret = "FAKEapikey0123456789abcd";
        let p = payload(&[
            &format!("GetItem Key: {{ id: '{secret}' }}"),
            "nothing here\nat all",
            &format!("line one\n  api_key: '{secret}'\n"),
        ]);
        let e = Engine::builtin();
        let m = Masker::new(MaskStyle::Label, FingerprintKey::new(b"k"));
        let (masked, recs) = redact_payload(&e, &m, &p);
        assert_eq!(
            masked.log_events[0].message,
            "GetItem Key: { id: '[REDACTED:api-key]' }"
        );
        assert_eq!(masked.log_events[1], p.log_events[1]);
        assert_eq!(
            masked.log_events[2].message,
            "line one\n  api_key: '[REDACTED:api-key]'\n"
        );
        let places: Vec<_> = recs
            .iter()
            .map(|r| (r.event_id.clone().unwrap(), r.line, r.column, r.offset))
            .collect();
        assert_eq!(
            places,
            vec![
                ("0".to_string(), 1, 21, Some(20)),
                ("2".to_string(), 2, 13, Some(21)),
            ]
        );
        assert_eq!(payload_findings(&e, &m, &p), recs);
        // One event at a time (a log group read as it comes), the first is not known yet.
        let mut scanner = e.scanner();
        let mut records = Vec::new();
        let masked: Vec<String> = p
            .log_events
            .iter()
            .map(|event| {
                let source = EventSource {
                    log_group: &p.log_group,
                    log_stream: &p.log_stream,
                    event,
                };
                redact_event(&mut scanner, &m, &source, &mut records)
            })
            .collect();
        assert_eq!(masked[0], p.log_events[0].message);
        assert_eq!(masked[2], "line one\n  api_key: '[REDACTED:api-key]'\n");
        assert_eq!(records, recs[1..]);
    }

    #[test]
    fn crlf_lines_and_key_blocks_in_an_event() {
        let p = payload(&[
            "a\r\npassword=FAKEpw0rd99\r\nb",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIFAKEFAKEFAKEFAKEFAKE0123456789abcdef\n-----END RSA PRIVATE KEY-----\nafter",
        ]);
        let e = Engine::builtin();
        let m = Masker::new(MaskStyle::Label, FingerprintKey::new(b"k"));
        let (masked, recs) = redact_payload(&e, &m, &p);
        assert_eq!(
            masked.log_events[0].message,
            "a\r\npassword=[REDACTED:password]\r\nb"
        );
        assert!(!masked.log_events[1].message.contains("MIIFAKE"));
        assert!(
            masked.log_events[1]
                .message
                .ends_with("-----END RSA PRIVATE KEY-----\nafter")
        );
        assert_eq!((recs[0].line, recs[0].column), (2, 10));
        assert!(recs[1..].iter().all(|r| r.rule == "private-key"));
    }
}
