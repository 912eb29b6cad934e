//! What a masked secret is replaced with (`--mask`).
//!
//! Every mask is made of ASCII letters, digits, `[ ] : - *` only: never a quote, backslash or
//! newline, so a masked JSON string is still a JSON string, a repr still a repr, and a line is
//! still one line. Every mask is also recognised as "already masked" (here, and only here:
//! `is_masked`, `our_masks`), which makes scrubbing idempotent.

use crate::work;
use hmac::{Hmac, Mac};
use memchr::memmem;
use sha2::Sha256;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::sync::LazyLock;

/// How a secret is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MaskStyle {
    /// `[REDACTED:rule-id]`
    #[default]
    Label,
    /// `****` and the last four characters (the public prefix is outside the secret and stays).
    Partial,
    /// `[REDACTED:rule-id:1a2b3c4d]`: a keyed HMAC-SHA256 fingerprint, so one token can be
    /// followed across lines and days without being revealed.
    Hash,
    /// One `*` per byte of the secret.
    Stars,
}

impl MaskStyle {
    /// The styles' names, as `--mask` and `MASK_STYLE` take them.
    pub const NAMES: &'static [&'static str] = &["label", "partial", "hash", "stars"];
}

impl FromStr for MaskStyle {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "label" => MaskStyle::Label,
            "partial" => MaskStyle::Partial,
            "hash" => MaskStyle::Hash,
            "stars" => MaskStyle::Stars,
            _ => {
                return Err(format!(
                    "unknown mask {s:?} (expected one of: {})",
                    MaskStyle::NAMES.join(", ")
                ));
            }
        })
    }
}

impl fmt::Display for MaskStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MaskStyle::Label => "label",
            MaskStyle::Partial => "partial",
            MaskStyle::Hash => "hash",
            MaskStyle::Stars => "stars",
        })
    }
}

/// The key of the fingerprints. Where no key is configured a random one is drawn, and the
/// caller should say so (fingerprints then only correlate within one run).
#[derive(Clone)]
pub struct FingerprintKey {
    /// HMAC state with the key already absorbed: each fingerprint clones it rather than
    /// hashing the key again.
    keyed: Hmac<Sha256>,
    random: bool,
}

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the key.
        f.debug_struct("FingerprintKey")
            .field("random", &self.random)
            .finish()
    }
}

impl FingerprintKey {
    /// A key given by the user (`TOKENSCRUB_HMAC_KEY`, `hmac_key`).
    pub fn new(key: &[u8]) -> FingerprintKey {
        FingerprintKey {
            keyed: Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length"),
            random: false,
        }
    }

    /// A fresh random key (from the OS).
    pub fn random() -> FingerprintKey {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the OS random source failed");
        FingerprintKey {
            random: true,
            ..FingerprintKey::new(&key)
        }
    }

    /// Whether the key was drawn at random (fingerprints then only correlate within a run).
    pub fn is_random(&self) -> bool {
        self.random
    }

    /// HMAC-SHA256 of the secret, as 16 hex digits.
    pub fn fingerprint(&self, secret: &[u8]) -> String {
        let mut mac = self.keyed.clone();
        mac.update(secret);
        let digest = mac.finalize().into_bytes();
        hex(&digest[..8])
    }
}

/// Lowercase hex digits of `bytes` (findings are many; `format!` per byte showed up in
/// profiles).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

/// Writes masks.
#[derive(Debug, Clone)]
pub struct Masker {
    /// How secrets are replaced.
    pub style: MaskStyle,
    /// The key of `hash` masks and of fingerprints.
    pub key: FingerprintKey,
}

impl Masker {
    /// A masker writing `style` masks, fingerprints keyed with `key`.
    pub fn new(style: MaskStyle, key: FingerprintKey) -> Masker {
        Masker { style, key }
    }

    /// Append the mask of `secret` (found by `rule_id`) to `out`.
    pub fn write(&self, rule_id: &str, secret: &[u8], out: &mut Vec<u8>) {
        match self.style {
            MaskStyle::Label => {
                out.extend_from_slice(b"[REDACTED:");
                out.extend_from_slice(rule_id.as_bytes());
                out.push(b']');
            }
            MaskStyle::Hash => {
                out.extend_from_slice(b"[REDACTED:");
                out.extend_from_slice(rule_id.as_bytes());
                out.push(b':');
                out.extend_from_slice(&self.key.fingerprint(secret).as_bytes()[..8]);
                out.push(b']');
            }
            MaskStyle::Stars => out.resize(out.len() + secret.len(), b'*'),
            MaskStyle::Partial => {
                out.extend_from_slice(b"****");
                let tail = &secret[secret.len().saturating_sub(4)..];
                if secret.len() >= 16 && tail.iter().all(|b| b.is_ascii_alphanumeric()) {
                    out.extend_from_slice(tail);
                }
            }
        }
    }
}

// Recognising masks: the one place that knows what ours (and other redactors') look like, so
// that a masked value is never masked again, nor read as a key or a secret's neighbour.

/// How every mask of ours but the star styles opens (`[REDACTED:rule]`, `[REDACTED:rule:1a2b]`).
pub(crate) const MASK_OPEN: &[u8] = b"[REDACTED";

/// Does `text` start with a mask, ours or a star run (`Bearer eyJhdr.[REDACTED:jwt]`: the public
/// part of a token masked before)?
pub(crate) fn starts_with_a_mask(text: &[u8]) -> bool {
    text.starts_with(MASK_OPEN) || text.starts_with(b"***")
}

/// Is `key` a mask's inside rather than a key (`[REDACTED:session-id]` as an SQL column name,
/// `REDACTED:rule` when a bracket was read as punctuation)?
pub(crate) fn is_mask_text(key: &[u8]) -> bool {
    key.starts_with(MASK_OPEN) || key.starts_with(b"REDACTED:")
}

/// Does `before` end inside a mask's opening, where a rule id follows
/// (`[REDACTED:private-key:1a2b3c4d]`)?
pub(crate) fn ends_in_a_mask_opening(before: &[u8]) -> bool {
    before.ends_with(b"[REDACTED:")
}

/// A value that is already masked (ours or someone else's): never masked again, which is what
/// makes scrubbing idempotent.
pub(crate) fn is_masked(v: &[u8]) -> bool {
    let stars = v.iter().take_while(|&&b| b == b'*').count();
    if stars >= 3 && v.len() - stars <= 4 || stars >= 2 && stars == v.len() {
        return true;
    }
    if matches!(v.first(), Some(b'[' | b'<')) && is_foreign_label(v) {
        return true;
    }
    // Our mask's opening or four stars, in one pass: values are short, and a searcher's
    // set-up per call cost more than the search (a line of many secrets asks for each).
    memchr::memchr2_iter(b'[', b'*', v).any(|i| {
        let mark: &[u8] = if v[i] == b'[' { MASK_OPEN } else { b"****" };
        v[i..].starts_with(mark)
    })
}

/// Another redactor's label in place of a value: `[FILTERED]` (Rails, Sentry), `[REDACTED]`,
/// `<redacted>`, `<hidden>` (kombu and Celery write `redis://:**@…`: caught as stars).
fn is_foreign_label(v: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[
        b"filtered",
        b"redacted",
        b"masked",
        b"hidden",
        b"removed",
        b"secret",
        b"sensitive",
        b"scrubbed",
        b"omitted",
    ];
    let inner = match (v.first(), v.last()) {
        (Some(b'['), Some(b']')) | (Some(b'<'), Some(b'>')) if v.len() > 2 => &v[1..v.len() - 1],
        _ => return false,
    };
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(inner))
}

/// Where our masks start. Searchers are built once: building one per call showed up in
/// profiles.
static REDACTED: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(MASK_OPEN));

/// Our masks in `line` (`[REDACTED:rule]`, `[REDACTED:rule:1a2b]`), in order, into `out`
/// (cleared first): found once per line, whatever the number of findings.
pub(crate) fn our_masks(line: &[u8], out: &mut Vec<Range<usize>>) {
    work::read(line.len());
    out.clear();
    let mut from = 0;
    while let Some(at) = REDACTED.find(&line[from..]).map(|o| from + o) {
        let end = memchr::memchr(b']', &line[at..]).map_or(line.len(), |o| at + o + 1);
        out.push(at..end);
        from = end;
    }
}

/// Does `span` touch one of `masks` (from [`our_masks`])? A mask's rule id after its colon
/// must never read as a password (`https://[REDACTED:x]@h`).
pub(crate) fn touches_a_mask(masks: &[Range<usize>], span: &Range<usize>) -> bool {
    let i = masks.partition_point(|m| m.end <= span.start);
    masks.get(i).is_some_and(|m| m.start < span.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(style: MaskStyle, secret: &[u8]) -> String {
        let m = Masker::new(style, FingerprintKey::new(b"test-key"));
        let mut out = Vec::new();
        m.write("token", secret, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn styles() {
        assert_eq!(
            mask(MaskStyle::Label, b"abcdef0123456789"),
            "[REDACTED:token]"
        );
        assert_eq!(mask(MaskStyle::Stars, b"abcd"), "****");
        assert_eq!(mask(MaskStyle::Partial, b"abcdef0123456789"), "****6789");
        assert_eq!(mask(MaskStyle::Partial, b"short"), "****");
        let h = mask(MaskStyle::Hash, b"abcdef0123456789");
        assert!(
            h.starts_with("[REDACTED:token:") && h.len() == "[REDACTED:token:]".len() + 8,
            "{h}"
        );
        assert_eq!(
            h,
            mask(MaskStyle::Hash, b"abcdef0123456789"),
            "stable for one key"
        );
        assert_ne!(h, mask(MaskStyle::Hash, b"abcdef0123456780"));
    }

    #[test]
    fn partial_never_reveals_escapes() {
        assert_eq!(mask(MaskStyle::Partial, b"abcdef0123456\\\"x"), "****");
    }

    #[test]
    fn key_is_not_printed_by_debug() {
        let k = FingerprintKey::new(b"super-secret-key");
        assert!(!format!("{k:?}").contains("super"));
    }

    #[test]
    fn spans_inside_our_masks_are_recognised() {
        let inside_a_mask = |line: &[u8], span: &Range<usize>| {
            let mut masks = Vec::new();
            our_masks(line, &mut masks);
            touches_a_mask(&masks, span)
        };
        let l = b"https://[REDACTED:url-token-user]@o1.ingest.sentry.io/2 x=[REDACTED:token:1a2b]";
        assert!(inside_a_mask(l, &(18..32)));
        assert!(inside_a_mask(l, &(60..66)));
        assert!(!inside_a_mask(l, &(34..40)));
        assert!(!inside_a_mask(b"no masks here", &(0..2)));
    }

    #[test]
    fn masked_values_are_recognised() {
        assert!(is_masked(b"[REDACTED:token]"));
        assert!(is_masked(b"********"));
        assert!(is_masked(b"**"), "kombu's masked password");
        assert!(is_masked(b"[FILTERED]") && is_masked(b"<redacted>") && is_masked(b"[Hidden]"));
        assert!(!is_masked(b"*") && !is_masked(b"[FAKEpw]") && !is_masked(b"<password>"));
        assert!(is_masked(b"****ab12"));
        assert!(!is_masked(b"**a**bcdefg"));
    }
}
