//! The second step after validation: resolve secrets (environment, files) and compile the jq filters and
//! mapping files, again collecting every error.

use super::connect::{Problems, hmac_key_problem};
use super::secret::{ResolvedSecret, Secret};
use super::system::{AuthConfig, SignatureStyle, SystemConfig};
use super::{ConnectConfig, SubscriptionConfig};
use crate::mapping::Mapping;
use crate::signature::{self, SignatureError, SigningKey, WebhookHeaders};
use std::path::Path;
use std::time::Duration;

/// A validated config with its secrets read and its jq compiled.
#[derive(Debug, Clone)]
pub struct LoadedConnect {
    pub systems: Vec<LoadedSystem>,
    pub subscriptions: Vec<LoadedSubscription>,
}

impl LoadedConnect {
    pub fn system(&self, name: &str) -> Option<&LoadedSystem> {
        self.systems.iter().find(|s| s.config.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct LoadedSystem {
    pub config: SystemConfig,
    pub auth: ResolvedAuth,
    pub inbound: Option<LoadedInbound>,
    /// The PEM text of `transport.ca_file` (extra CA certificates for HTTPS), read and checked at load.
    pub extra_ca_pem: Option<Vec<u8>>,
}

/// How outbound messages are authenticated, with the secret read.
#[derive(Debug, Clone)]
pub enum ResolvedAuth {
    None,
    Hmac(SigningKey),
    Bearer(ResolvedSecret),
}

/// Inbound webhook handling of one system, ready to use.
#[derive(Debug, Clone)]
pub struct LoadedInbound {
    pub signature: SignatureStyle,
    pub key: SigningKey,
    pub tolerance: Duration,
    pub mapping: Option<Mapping>,
}

impl LoadedInbound {
    /// Checks a request's signature in the system's style; `header` looks a header up by name,
    /// case-insensitively; `now` is in seconds since the epoch.
    pub fn verify<'h>(
        &self,
        header: impl Fn(&str) -> Option<&'h str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), SignatureError> {
        match &self.signature {
            SignatureStyle::Standard => {
                let headers = WebhookHeaders::from_lookup(header)?;
                signature::verify(&self.key, &headers, body, now, self.tolerance)
            }
            SignatureStyle::BodyHmacBase64 { header: name } => {
                let value = header(name).ok_or_else(|| SignatureError::MissingHeader(name.to_ascii_lowercase()))?;
                signature::verify_body_base64(&self.key, value, body)
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoadedSubscription {
    pub config: SubscriptionConfig,
    pub filter: Option<Mapping>,
    pub mapping: Option<Mapping>,
}

impl ConnectConfig {
    /// Validates, then reads secrets from the process environment and files, and compiles every filter
    /// and mapping file (paths relative to `base_dir`, the config file's folder).
    pub fn load(&self, file: &str, base_dir: &Path) -> Result<LoadedConnect, Vec<String>> {
        self.load_with_env(file, base_dir, &|name| std::env::var(name).ok())
    }

    /// [`ConnectConfig::load`] with the environment given as a look-up.
    pub fn load_with_env(
        &self,
        file: &str,
        base_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<LoadedConnect, Vec<String>> {
        self.validate(file)?;
        let mut problems = Problems::new(file);
        let systems: Vec<_> = self
            .systems
            .iter()
            .enumerate()
            .map(|(i, system)| load_system(&mut problems, &format!("systems[{i}]"), system, base_dir, env))
            .collect();
        let subscriptions: Vec<_> = self
            .subscriptions
            .iter()
            .enumerate()
            .map(|(i, sub)| load_subscription(&mut problems, file, &format!("subscriptions[{i}]"), sub, base_dir))
            .collect();
        problems.into_result()?;
        Ok(LoadedConnect {
            systems: systems.into_iter().flatten().collect(),
            subscriptions: subscriptions.into_iter().flatten().collect(),
        })
    }
}

fn load_system(
    problems: &mut Problems,
    key: &str,
    system: &SystemConfig,
    base_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<LoadedSystem> {
    let hmac_key = |problems: &mut Problems, key: String, secret: &Secret| {
        let value = secret.resolve(base_dir, env).map_err(|problem| problems.add(&key, problem)).ok()?;
        if let Some(problem) = hmac_key_problem(value.expose()) {
            problems.add(&key, problem);
            return None;
        }
        SigningKey::parse(value.expose()).ok()
    };
    let auth = match &system.auth {
        AuthConfig::None => Some(ResolvedAuth::None),
        AuthConfig::Hmac { secret } => hmac_key(problems, format!("{key}.auth.secret"), secret).map(ResolvedAuth::Hmac),
        AuthConfig::Bearer { token } => match token.resolve(base_dir, env) {
            Ok(token) => Some(ResolvedAuth::Bearer(token)),
            Err(problem) => {
                problems.add(format!("{key}.auth.token"), problem);
                None
            }
        },
    };
    let inbound = match &system.inbound {
        None => Some(None),
        Some(inbound) => {
            let inbound_key = match (&inbound.secret, &auth) {
                (Some(secret), _) => hmac_key(problems, format!("{key}.inbound.secret"), secret),
                (None, Some(ResolvedAuth::Hmac(k))) => Some(k.clone()),
                (None, _) => None, // reported above (auth) or by validation
            };
            let mapping = match &inbound.mapping {
                None => Some(None),
                Some(path) => compile_file(problems, &format!("{key}.inbound.mapping"), path, base_dir).map(Some),
            };
            match (inbound_key, mapping) {
                (Some(key), Some(mapping)) => Some(Some(LoadedInbound {
                    signature: inbound.signature.clone(),
                    key,
                    tolerance: Duration::from_secs(inbound.tolerance_secs),
                    mapping,
                })),
                _ => None,
            }
        }
    };
    let extra_ca_pem = match &system.transport {
        super::system::TransportConfig::Http { ca_file: Some(path), .. } => {
            let pem = crate::transport::read_ca_file(&base_dir.join(path))
                .map_err(|problem| problems.add(format!("{key}.transport.ca_file"), problem))
                .ok();
            Some(Some(pem?))
        }
        _ => Some(None),
    };
    Some(LoadedSystem { config: system.clone(), auth: auth?, inbound: inbound?, extra_ca_pem: extra_ca_pem? })
}

fn load_subscription(
    problems: &mut Problems,
    file: &str,
    key: &str,
    subscription: &SubscriptionConfig,
    base_dir: &Path,
) -> Option<LoadedSubscription> {
    let filter = match &subscription.filter {
        None => Some(None),
        // The filter's origin names the key, so run-time errors point at it too.
        Some(source) => match Mapping::compile(source, &format!("{file}: {key}.filter")) {
            Ok(filter) => Some(Some(filter)),
            Err(e) => {
                problems.list.push(e.to_string());
                None
            }
        },
    };
    let mapping = match &subscription.mapping {
        None => Some(None),
        Some(path) => compile_file(problems, &format!("{key}.mapping"), path, base_dir).map(Some),
    };
    Some(LoadedSubscription { config: subscription.clone(), filter: filter?, mapping: mapping? })
}

fn compile_file(problems: &mut Problems, key: &str, path: &str, base_dir: &Path) -> Option<Mapping> {
    Mapping::from_file(&base_dir.join(path)).map_err(|e| problems.add(key, e)).ok()
}
