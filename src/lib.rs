//! tokenscrub: find leaked credentials in application logs, and mask them.
//!
//! The engine knows nothing of files, terminals or AWS: it turns bytes into findings and
//! redacted bytes. Build an [`Engine`] once (built-in catalog plus an optional [`Config`]), then
//! redact a stream with [`stream::redact_stream`], or lines with a [`Redactor`]:
//!
//! ```
//! use tokenscrub::{Engine, Masker, MaskStyle, FingerprintKey, Redactor};
//!
//! let engine = Engine::builtin();
//! let mut r = Redactor::new(&engine, Masker::new(MaskStyle::Label, FingerprintKey::random()));
//! let mut out = Vec::new();
//! r.redact_line(br#"{"refresh_token": "FAKE0123456789abcdefFAKE"}"#, &mut out);
//! assert_eq!(out, br#"{"refresh_token": "[REDACTED:token]"}"#);
//! ```
//!
//! Modules, one job each: [`rules`] (the catalog as data), `keyed` (key-context parsing),
//! `layers` (escaped text read as raw text), `block` (multi-line keys), `sql` (values by their SQL column), `memory` (secrets seen before), `prefilter` (where keywords
//! occur), [`engine`] (orchestration), [`mask`], [`redact`], [`stream`] (the streaming
//! contract), [`parallel`] (one stream on several threads), [`report`]
//! (the finding record both binaries print), [`jwt`] (what a leaked token says of itself),
//! [`timestamp`] (the time a line says it was written), [`cloudwatch`] (the subscription payload codec),
//! [`config`].

mod block;
pub mod cloudwatch;
pub mod config;
mod dynamo;
pub mod engine;
pub mod jwt;
mod keyed;
mod layers;
pub mod mask;
mod memory;
pub mod parallel;
pub mod prefilter;
pub mod redact;
pub mod report;
pub mod rules;
mod sql;
pub mod stream;
pub mod timestamp;
mod work;

pub use config::{Config, ConfigError};
pub use engine::{Engine, Finding, Learned, RuleIndex, RuleInfo, RuleKind, Scanner, self_check};
pub use mask::{FingerprintKey, MaskStyle, Masker};
pub use parallel::redact_stream_parallel;
pub use redact::{Redactor, apply_masks, redact_text};
pub use rules::{RuleError, Severity};
pub use stream::{StreamError, StreamFinding, StreamOptions, StreamSummary, redact_stream};
