//! `tokenscrub --input cloudwatch`: the filter for CloudWatch Logs subscription payloads.
//!
//! Reads payloads (`{"awslogs":{"data":…}}` or the decoded JSON; one document, or one per line)
//! and writes each back in the same form, one per line, with every message masked and the
//! event ids, timestamps and order kept. A payload that cannot be decoded stops the run with an
//! error that names its line, never its content.

use serde_json::Value;
use std::io::{self, Read, Write};
use tokenscrub::report::FindingRecord;
use tokenscrub::{Engine, Masker, cloudwatch};

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

/// Filter every payload of `input` to `out`.
pub fn filter(
    engine: &Engine,
    masker: &Masker,
    mut input: impl Read,
    out: &mut impl Write,
    on_record: &mut dyn FnMut(FindingRecord),
) -> Result<Totals, PayloadError> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(PayloadError::Read)?;
    let mut totals = Totals {
        bytes: bytes.len() as u64,
        ..Totals::default()
    };
    let docs: Vec<(usize, &[u8])> = if serde_json::from_slice::<Value>(&bytes).is_ok() {
        vec![(1, &bytes[..])]
    } else {
        bytes
            .split(|&b| b == b'\n')
            .enumerate()
            .filter(|(_, l)| !l.trim_ascii().is_empty())
            .map(|(i, l)| (i + 1, l))
            .collect()
    };
    for (line, doc) in docs {
        let value: Value = serde_json::from_slice(doc)
            .map_err(|_| PayloadError::Bad(format!("line {line}: not JSON")))?;
        let enveloped = value.get("awslogs").is_some();
        let payload = cloudwatch::decode_value(&value)
            .map_err(|e| PayloadError::Bad(format!("line {line}: {e}")))?;
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
    Ok(totals)
}
