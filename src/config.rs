//! The user configuration (`--config FILE`, TOML): extra rules, disabled rules, allowlists,
//! extra key names and the fingerprint key.
//!
//! ```toml
//! hmac_key = "a long random string"      # or TOKENSCRUB_HMAC_KEY in the environment
//! disable = ["twilio-api-key"]
//!
//! [allowlist]
//! values = ["AKIAIOSFODNN7EXAMPLE"]      # exact secrets that are not secrets
//! regexes = ['^test-[a-z0-9]+$']         # matched against the secret part
//!
//! [extra_keys]                           # more key names for a keyed rule
//! password = ["pin", "passcode"]
//! token = ["x-session-ticket"]
//!
//! [[rule]]                               # extra rules, same format as the built-in catalog
//! id = "acme-key"
//! ...
//! ```
//!
//! Errors name the file, line and column and say what is wrong, but never quote the file's
//! text: a config may hold the HMAC key.

use crate::rules::{KeyedSpec, ShapedSpec};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowlist {
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub regexes: Vec<String>,
}

#[derive(Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub hmac_key: Option<String>,
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub allowlist: Allowlist,
    #[serde(default)]
    pub extra_keys: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub rule: Vec<ShapedSpec>,
    #[serde(default)]
    pub keyed: Vec<KeyedSpec>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("hmac_key", &self.hmac_key.as_ref().map(|_| "<set>"))
            .field("disable", &self.disable)
            .field("extra_keys", &self.extra_keys)
            .field("rules", &(self.rule.len() + self.keyed.len()))
            .finish()
    }
}

/// A config that could not be read. Says where and what, never the text around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Parse a config. `origin` names it in errors (a file name).
    pub fn from_toml(text: &str, origin: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let before = &text[..s.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let col = before.len() - before.rfind('\n').map_or(0, |p| p + 1) + 1;
                    format!(" at line {line}, column {col}")
                })
                .unwrap_or_default();
            ConfigError(format!("{origin}{at}: {}", e.message()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let c = Config::from_toml(
            r#"
hmac_key = "k"
disable = ["jwt"]
[allowlist]
values = ["x"]
[extra_keys]
password = ["pin"]
"#,
            "t.toml",
        )
        .unwrap();
        assert_eq!(c.disable, vec!["jwt"]);
        assert_eq!(c.extra_keys["password"], vec!["pin"]);
    }

    #[test]
    fn errors_locate_but_never_quote() {
        let text = "hmac_key = \"SUPERSECRETVALUE\nunknown = 1\n";
        let e = Config::from_toml(text, "c.toml").unwrap_err();
        assert!(e.0.starts_with("c.toml at line 1"), "{e}");
        assert!(!e.0.contains("SUPERSECRET"), "{e}");
        let e = Config::from_toml("bogus = 1\n", "c.toml").unwrap_err();
        assert!(e.0.contains("bogus") || e.0.contains("unknown"), "{e}");
    }

    #[test]
    fn debug_hides_the_key() {
        let c = Config::from_toml("hmac_key = \"SUPERSECRETVALUE\"", "c").unwrap();
        assert!(!format!("{c:?}").contains("SUPERSECRET"));
    }
}
