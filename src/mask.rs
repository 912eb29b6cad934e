//! What a masked secret is replaced with (`--mask`).
//!
//! Every mask is made of ASCII letters, digits, `[ ] : - *` only: never a quote, backslash or
//! newline, so a masked JSON string is still a JSON string, a repr still a repr, and a line is
//! still one line. Every mask is also recognised as "already masked" by the engine, which makes
//! scrubbing idempotent.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::str::FromStr;

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
    pub style: MaskStyle,
    pub key: FingerprintKey,
}

impl Masker {
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
}
