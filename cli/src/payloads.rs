//! `tokenscrub --input cloudwatch`: the filter for CloudWatch Logs subscription payloads.
//!
//! Reads payloads (`{"awslogs":{"data":…}}` or the decoded JSON; one document, or one per line)
//! one at a time as they come, and writes each back in the same form, one per line, with every
//! message masked and the event ids, timestamps and order kept. A payload that cannot be
//! decoded is left out and named by its number and what is wrong, never its content; text that
//! is not JSON stops the run.

use serde_json::Value;
use std::io::{self, Read, Write};
use tokenscrub::{Engine, Masker};
use tokenscrub_report::cloudwatch;
use tokenscrub_report::record::FindingRecord;

pub enum PayloadError {
    Read(io::Error),
    Write(io::Error),
    Bad(String),
}

/// What a run read: payloads, their log events, and input bytes.
#[derive(Default)]
pub struct Totals {
    pub payloads: u64,
    pub events: u64,
    pub bytes: u64,
}

/// Filter every payload of `input` to `out`, one at a time as they are read (a stream of
/// JSON documents: one per line, or pretty-printed, or one alone): memory holds one payload,
/// not the input. A payload that is JSON but no payload is reported by its number and what is
/// wrong (never its content), and left out; the others go on. Text that is not JSON stops the
/// run (no next payload can be found in it).
pub fn filter(
    engine: &Engine,
    masker: &Masker,
    input: impl Read,
    out: &mut impl Write,
    on_record: &mut dyn FnMut(FindingRecord),
) -> Result<Totals, PayloadError> {
    let reader = io::BufReader::with_capacity(256 * 1024, input);
    let mut docs = serde_json::Deserializer::from_reader(reader).into_iter::<Value>();
    let mut totals = Totals::default();
    let mut bad = Vec::new();
    let mut n = 0usize;
    for doc in docs.by_ref() {
        n += 1;
        let value = match doc {
            Ok(v) => v,
            // The reader's own error, as it was.
            Err(e) if e.is_io() => return Err(PayloadError::Read(e.into())),
            Err(e) => {
                return Err(PayloadError::Bad(format!(
                    "payload {n}: not JSON (line {}, column {})",
                    e.line(),
                    e.column()
                )));
            }
        };
        let enveloped = value.get("awslogs").is_some();
        let payload = match cloudwatch::decode_value(&value) {
            Ok(p) => p,
            Err(e) => {
                bad.push(format!("payload {n}: {e}"));
                continue;
            }
        };
        let (masked, records) = cloudwatch::redact_payload(engine, masker, &payload);
        records.into_iter().for_each(&mut *on_record);
        let encoded = if enveloped {
            cloudwatch::encode(&masked)
        } else {
            serde_json::to_vec(&cloudwatch::to_json(&masked)).expect("JSON serializes")
        };
        out.write_all(&encoded).map_err(PayloadError::Write)?;
        out.write_all(b"\n").map_err(PayloadError::Write)?;
        out.flush().map_err(PayloadError::Write)?;
        totals.payloads += 1;
        totals.events += payload.log_events.len() as u64;
    }
    totals.bytes = docs.byte_offset() as u64;
    if !bad.is_empty() {
        return Err(PayloadError::Bad(bad.join("; ")));
    }
    Ok(totals)
}
