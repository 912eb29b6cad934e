//! Settings whose values live in SSM Parameter Store or Secrets Manager, read once at cold start.
//!
//! | variable | what it names |
//! | --- | --- |
//! | `TOKENSCRUB_HMAC_KEY_PARAMETER` | an SSM parameter (SecureString) holding the fingerprint key |
//! | `TOKENSCRUB_HMAC_KEY_SECRET` | a Secrets Manager secret (its `SecretString`) holding it |
//! | `TOKENSCRUB_CONFIG_PARAMETER` | an SSM parameter holding the TOML config |
//!
//! Each resolves to the setting it stands for (`TOKENSCRUB_HMAC_KEY`, `TOKENSCRUB_CONFIG`), which
//! [`crate::config::Settings`] then reads as if it came from the environment. A setting given
//! two ways is an error: which one wins would be a guess. Errors name the variable, the
//! parameter or secret and the service's error code, never a value.

// One trait for every SDK crate (re-exported from aws-smithy-types).
use aws_sdk_secretsmanager::error::ProvideErrorMetadata as _;
use std::collections::HashMap;

/// Where one setting is to be read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    SsmParameter(String),
    Secret(String),
}

/// The settings to be read from a service: the variable they stand for, and where.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RemoteSettings(Vec<(&'static str, Source)>);

/// A variable naming a place, the setting it stands for, and the service that holds it.
type Reference = (&'static str, &'static str, fn(String) -> Source);

const REFERENCES: [Reference; 3] = [
    (
        "TOKENSCRUB_HMAC_KEY_PARAMETER",
        "TOKENSCRUB_HMAC_KEY",
        Source::SsmParameter,
    ),
    (
        "TOKENSCRUB_HMAC_KEY_SECRET",
        "TOKENSCRUB_HMAC_KEY",
        Source::Secret,
    ),
    (
        "TOKENSCRUB_CONFIG_PARAMETER",
        "TOKENSCRUB_CONFIG",
        Source::SsmParameter,
    ),
];

impl RemoteSettings {
    /// The references among `var` (the environment in `main`, a map in tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<RemoteSettings, String> {
        let non_empty = |k: &str| var(k).filter(|v| !v.trim().is_empty());
        let mut out: Vec<(&'static str, Source, &'static str)> = Vec::new();
        for (reference, setting, source) in REFERENCES {
            let Some(name) = non_empty(reference) else {
                continue;
            };
            if let Some((_, _, other)) = out.iter().find(|(s, _, _)| *s == setting) {
                return Err(format!(
                    "{reference} and {other} both give {setting}: set one"
                ));
            }
            if non_empty(setting).is_some() {
                return Err(format!("{reference} and {setting} are both set: set one"));
            }
            out.push((setting, source(name.trim().to_string()), reference));
        }
        Ok(RemoteSettings(
            out.into_iter().map(|(s, src, _)| (s, src)).collect(),
        ))
    }

    /// Read every setting from its service: setting name → value.
    pub async fn fetch(
        &self,
        sdk: &aws_config::SdkConfig,
    ) -> Result<HashMap<&'static str, String>, String> {
        let mut out = HashMap::new();
        for (setting, source) in &self.0 {
            let value = match source {
                Source::SsmParameter(name) => ssm_parameter(sdk, name).await,
                Source::Secret(id) => secret(sdk, id).await,
            }
            .map_err(|e| format!("{setting}: {e}"))?;
            out.insert(*setting, value);
        }
        Ok(out)
    }
}

async fn ssm_parameter(sdk: &aws_config::SdkConfig, name: &str) -> Result<String, String> {
    let client = aws_sdk_ssm::Client::new(sdk);
    let out = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| {
            format!(
                "reading SSM parameter {name}: {}",
                e.code().unwrap_or("no response from SSM")
            )
        })?;
    out.parameter
        .and_then(|p| p.value)
        .ok_or_else(|| format!("SSM parameter {name} has no value"))
}

async fn secret(sdk: &aws_config::SdkConfig, id: &str) -> Result<String, String> {
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    let out = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| {
            format!(
                "reading secret {id}: {}",
                e.code().unwrap_or("no response from Secrets Manager")
            )
        })?;
    out.secret_string
        .ok_or_else(|| format!("secret {id} has no SecretString (a binary secret is not read)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(vars: &[(&str, &str)]) -> Result<RemoteSettings, String> {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        RemoteSettings::from_vars(|k| vars.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn references_name_their_setting() {
        assert!(refs(&[]).unwrap().0.is_empty());
        let r = refs(&[
            ("TOKENSCRUB_HMAC_KEY_PARAMETER", "/tokenscrub/hmac-key"),
            ("TOKENSCRUB_CONFIG_PARAMETER", " /tokenscrub/config "),
            ("TOKENSCRUB_HMAC_KEY_SECRET", ""),
        ])
        .unwrap();
        assert_eq!(
            r.0,
            vec![
                (
                    "TOKENSCRUB_HMAC_KEY",
                    Source::SsmParameter("/tokenscrub/hmac-key".into())
                ),
                (
                    "TOKENSCRUB_CONFIG",
                    Source::SsmParameter("/tokenscrub/config".into())
                ),
            ]
        );
    }

    #[test]
    fn a_setting_given_twice_is_an_error_that_quotes_no_value() {
        let e = refs(&[
            ("TOKENSCRUB_HMAC_KEY_PARAMETER", "/k"),
            ("TOKENSCRUB_HMAC_KEY_SECRET", "k"),
        ])
        .unwrap_err();
        assert!(e.contains("TOKENSCRUB_HMAC_KEY_SECRET"), "{e}");
        let e = refs(&[
            ("TOKENSCRUB_HMAC_KEY_PARAMETER", "/k"),
            ("TOKENSCRUB_HMAC_KEY", "SUPERSECRETKEY"),
        ])
        .unwrap_err();
        assert!(!e.contains("SUPERSECRETKEY"), "{e}");
        assert!(e.contains("TOKENSCRUB_HMAC_KEY_PARAMETER"), "{e}");
    }
}
