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
//! Modules, one job each: `rules` (the catalog as data), `keyed` (key-context parsing),
//! `layers` (escaped text read as raw text), `block` (multi-line keys), `sql` (values by their SQL column), `memory` (secrets seen before), `byteclass` (byte classes as tables), `prefilter` (where keywords
//! occur), [`engine`] (orchestration), [`mask`], [`redact`], [`stream`] (the streaming
//! contract), [`parallel`] (one stream on several threads), [`jwt`] (what a leaked token says
//! of itself), [`timestamp`] (the time a line says it was written), [`config`]. The finding
//! record and the CloudWatch payload codec are the `tokenscrub-report` crate's.

// The public API is what the binaries and `tokenscrub-report` use: each item of it documented,
// nothing public that is not reachable.
#![warn(missing_docs, unreachable_pub)]

mod block;
mod byteclass;
pub mod config;
mod dynamo;
pub mod engine;
pub mod jwt;
mod keyed;
mod layers;
pub mod mask;
mod memory;
pub mod parallel;
// The keyword prefilter is the engine's own; the fuzz targets check it directly.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod prefilter;
#[cfg(not(feature = "internals"))]
#[allow(unreachable_pub)] // its items are public to the fuzz targets, under `internals`
mod prefilter;
pub mod redact;
mod rules;
mod sql;
pub mod stream;
pub mod timestamp;
mod work;

pub use config::{Config, ConfigError};
pub use engine::{Engine, Finding, Learned, RuleIndex, RuleInfo, RuleKind, Scanner, self_check};
pub use mask::{FingerprintKey, MaskStyle, Masker};
pub use parallel::redact_stream_parallel;
pub use redact::{Redactor, apply_masks, redact_text};
pub use rules::{
    BUILTIN_CATALOG, CONFIG_FAMILY, CatalogSource, KeyedSpec, RuleError, Severity, ShapedSpec,
    ValueSyntax,
};
pub use stream::{StreamError, StreamFinding, StreamOptions, StreamSummary, redact_stream};
