//! What tokenscrub's binaries read and write besides log text, on top of the engine:
//!
//! * [`record`]: the finding record, one JSON object per leak (the CLI's `--report` and `scan`,
//!   the Lambda's alerts): rule, place, keyed fingerprint, a redacted excerpt; never the secret;
//! * [`cloudwatch`]: CloudWatch Logs subscription payloads (`{"awslogs":{"data":…}}`): decoding
//!   and encoding them, and scanning one (findings with their CloudWatch location, and the
//!   masked payload).
//!
//! The engine (`tokenscrub`) knows nothing of either: it turns bytes into findings and redacted
//! bytes.

#![warn(missing_docs, unreachable_pub)]

pub mod cloudwatch;
pub mod record;

pub use record::{EventTime, FindingRecord};
