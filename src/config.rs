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

/// Values that are not secrets: exact values, or regexes matched against a secret part.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowlist {
    /// Exact values (a whole token, or its secret part).
    #[serde(default)]
    pub values: Vec<String>,
    /// Regexes matched against the secret part.
    #[serde(default)]
    pub regexes: Vec<String>,
}

/// A user's configuration: `--config FILE`, `TOKENSCRUB_CONFIG`, TOML (see the module doc).
#[derive(Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The key of the fingerprints (`TOKENSCRUB_HMAC_KEY` in the environment wins).
    #[serde(default)]
    pub hmac_key: Option<String>,
    /// Rule ids to turn off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Values that are not secrets, for every rule.
    #[serde(default)]
    pub allowlist: Allowlist,
    /// More key names for a keyed rule: rule id to names.
    #[serde(default)]
    pub extra_keys: BTreeMap<String, Vec<String>>,
    /// Extra shaped rules (`[[rule]]`), in the catalog's format.
    #[serde(default)]
    pub rule: Vec<ShapedSpec>,
    /// Extra keyed rules (`[[keyed]]`), in the catalog's format.
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

/// A parse error's message without the config text it quotes (serde quotes the value of the
/// wrong type, the unknown field or variant, the duplicate key: any of them may be a secret put
/// in the wrong place). What it expected (our names) stays.
fn without_config_text(message: &str) -> String {
    let (found, expected) = match message.find(", expected") {
        Some(at) => message.split_at(at),
        None => (message, ""),
    };
    let mut out = String::with_capacity(message.len());
    let mut quote = None;
    for c in found.chars() {
        match (quote, c) {
            (None, '"' | '`') => {
                quote = Some(c);
                out.push_str("(…)");
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, c) => out.push(c),
        }
    }
    out.push_str(expected);
    out
}

impl Config {
    /// A config given as one setting (`TOKENSCRUB_CONFIG`, which the CLI and the Lambda read
    /// alike): the path of a TOML file, or the TOML itself. A value that names a file is read
    /// from it; one without `=` or `[` can be no config, and is taken for a path that is not
    /// there; anything else is the TOML. `name` names the setting in errors, which quote a path
    /// but never the TOML (it may hold the HMAC key).
    pub fn from_setting(value: &str, name: &str) -> Result<Config, ConfigError> {
        let path = std::path::Path::new(value.trim());
        if !value.contains('\n') && path.is_file() {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("{name}: cannot read {}: {e}", path.display())))?;
            return Config::from_toml(&text, &format!("{name} ({})", path.display()));
        }
        if !value.contains('=') && !value.contains('[') {
            return Err(ConfigError(format!(
                "{name}: {} is no file (the setting holds a config file's path, or its TOML)",
                path.display()
            )));
        }
        Config::from_toml(value, name)
    }

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
            ConfigError(format!(
                "{origin}{at}: {}",
                without_config_text(e.message())
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_setting_is_a_path_or_the_toml_itself() {
        let dir = std::env::temp_dir().join(format!("tokenscrub-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(&file, "disable = [\"password\"]\n").unwrap();
        let from_file = Config::from_setting(file.to_str().unwrap(), "TOKENSCRUB_CONFIG").unwrap();
        assert_eq!(from_file.disable, ["password"]);
        let inline = Config::from_setting("disable = [\"token\"]", "TOKENSCRUB_CONFIG").unwrap();
        assert_eq!(inline.disable, ["token"]);
        let e = Config::from_setting("/no/such/tokenscrub.toml", "TOKENSCRUB_CONFIG")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/no/such/tokenscrub.toml") && e.contains("no file"),
            "{e}"
        );
        let e = Config::from_setting("hmac_key = \"SUPERSECRET\"\nbad", "TOKENSCRUB_CONFIG")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("TOKENSCRUB_CONFIG") && !e.contains("SUPERSECRET"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

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

    /// Every kind of config error names its place and never quotes the config's text: a
    /// secret pasted in the wrong place must not reach a terminal or a CI log.
    #[test]
    fn no_error_quotes_config_text() {
        const SECRET: &str = "sk_live_FAKEFAKEFAKE00secret";
        let rule = |field: &str| {
            format!(
                "[[rule]]\nid = \"acme\"\ndescription = \"d\"\nseverity = \"high\"\n\
                 keywords = [\"acme_\"]\npattern = '(?P<secret>acme_[a-z]+)'\n{field}\n"
            )
        };
        let cases = [
            format!("disable = \"{SECRET}\"\n"),
            format!("hmac_key = [\"{SECRET}\"]\n"),
            format!("[allowlist]\nvalues = \"{SECRET}\"\n"),
            format!("{SECRET} = 1\n"),
            format!("[allowlist]\n{SECRET} = [\"x\"]\n"),
            format!("hmac_key = \"a\"\nhmac_key = \"{SECRET}\"\n"),
            format!("[extra_keys]\n{SECRET} = [\"pin\"]\n"),
            format!("disable = [\"{SECRET}\"]\n"),
            format!("[extra_keys]\npassword = [\"\"]\n{SECRET} = [\"x\"]\n"),
            rule("").replace("high", SECRET),
            rule("").replace("(?P<secret>acme_[a-z]+)", &format!("({SECRET}")),
            rule("").replace("(?P<secret>acme_[a-z]+)", &format!("{SECRET}[")),
            rule("").replace("\"acme\"", &format!("\"{SECRET}\"")),
            rule(&format!("validator = \"{SECRET}\"")),
            rule(&format!("allowlist = [\"{SECRET}(\"]")),
            rule(&format!("{SECRET} = true")),
        ];
        for text in &cases {
            let e = match Config::from_toml(text, "c.toml") {
                Err(e) => e.0,
                Ok(c) => match crate::Engine::new(&c) {
                    Err(e) => e.to_string(),
                    Ok(_) => panic!("no error for {text}"),
                },
            };
            assert!(!e.contains("FAKEFAKE"), "{e}");
            assert!(!e.is_empty());
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let c = Config::from_toml("hmac_key = \"SUPERSECRETVALUE\"", "c").unwrap();
        assert!(!format!("{c:?}").contains("SUPERSECRET"));
    }
}
