//! Secrets in config: given literally, as `${ENV_VAR}`, or as `file:/path`; never printed.

use serde::Deserialize;
use std::fmt;
use std::path::Path;

/// A secret as written in the config. `Debug` and `Display` print `***`; [`Secret::resolve`] reads it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

/// Where a secret's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSource<'a> {
    /// The value itself.
    Literal(&'a str),
    /// `${NAME}`: the environment variable `NAME`.
    Env(&'a str),
    /// `file:PATH`: the contents of a file (a relative path is taken from the config file's folder),
    /// without trailing line breaks.
    File(&'a str),
}

impl Secret {
    pub fn new(reference: impl Into<String>) -> Secret {
        Secret(reference.into())
    }

    pub fn source(&self) -> SecretSource<'_> {
        let text = self.0.as_str();
        if let Some(name) = text.strip_prefix("${").and_then(|rest| rest.strip_suffix('}')) {
            SecretSource::Env(name)
        } else if let Some(path) = text.strip_prefix("file:") {
            SecretSource::File(path)
        } else {
            SecretSource::Literal(text)
        }
    }

    /// Checks the reference without reading anything: a literal is not empty, an environment variable
    /// name is well formed, a file path is given. The message never contains the value.
    pub fn check(&self) -> Result<(), String> {
        match self.source() {
            SecretSource::Literal("") => Err("is empty".into()),
            SecretSource::Literal(_) => Ok(()),
            SecretSource::Env(name) if is_env_name(name) => Ok(()),
            SecretSource::Env(name) => Err(format!(
                "${{{name}}} does not name an environment variable (letters, digits and '_', not starting with a digit)"
            )),
            SecretSource::File("") => Err("file: needs a path".into()),
            SecretSource::File(_) => Ok(()),
        }
    }

    /// Reads the value: from `env` for `${NAME}`, from the file system for `file:` (relative to `base_dir`).
    pub fn resolve(&self, base_dir: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<ResolvedSecret, String> {
        self.check()?;
        let value = match self.source() {
            SecretSource::Literal(value) => value.to_string(),
            SecretSource::Env(name) => env(name).ok_or_else(|| format!("environment variable {name} is not set"))?,
            SecretSource::File(path) => {
                let path = base_dir.join(path);
                let text =
                    std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                text.trim_end_matches(['\n', '\r']).to_string()
            }
        };
        if value.is_empty() {
            return Err("resolves to an empty value".into());
        }
        Ok(ResolvedSecret(value))
    }
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A secret's value, read. `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct ResolvedSecret(String);

impl ResolvedSecret {
    pub fn new(value: impl Into<String>) -> ResolvedSecret {
        ResolvedSecret(value.into())
    }

    /// The value, for the one place that needs it (a header, a key).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ResolvedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for ResolvedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}
