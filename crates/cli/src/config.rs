//! `crossdock.toml`: parsed and validated without IO, every error at once, each naming file and key.

use crossdock_connect::config::{ConnectConfig, LoadedConnect, SubscriptionConfig, SystemConfig};
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The whole configuration of a `crossdock serve` process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the API listens on.
    pub listen: String,
    pub store: StoreConfig,
    pub api: ApiConfig,
    /// Where the PII master key comes from (`[pii]`).
    #[serde(default)]
    pub pii: PiiConfig,
    /// `[server]`: TLS termination.
    #[serde(default)]
    pub server: ServerConfig,
    /// How this process delivers events (`[dispatch]`).
    #[serde(default)]
    pub dispatch: DispatchConfig,
    /// Connected systems (`[[systems]]`, see `crossdock_connect::config`); read from the file only.
    #[serde(default, skip_serializing)]
    pub systems: Vec<SystemConfig>,
    /// Which events go to which system (`[[subscriptions]]`).
    #[serde(default, skip_serializing)]
    pub subscriptions: Vec<SubscriptionConfig>,
    /// EDI trading partners (`[edi]`, see `crossdock_edi::EdiConfig`); read from the file only.
    #[serde(default, skip_serializing)]
    pub edi: Option<crossdock_connect::edi::EdiConfig>,
    /// The orchestration policy (`[sourcing]`, `[[channels]]`, `[returns]`) and the availability feed
    /// (`[availability]`), see `policy_config`; read from the file only.
    #[serde(default, skip_serializing)]
    pub sourcing: Option<serde_json::Value>,
    #[serde(default, skip_serializing)]
    pub channels: Vec<serde_json::Value>,
    #[serde(default, skip_serializing)]
    pub returns: Option<serde_json::Value>,
    #[serde(default, skip_serializing)]
    pub availability: Option<serde_json::Value>,
    /// `[retention]`: how long settled deliveries and idempotency records are kept (absent: for ever).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<crate::retention_config::RetentionConfig>,
}

/// `[dispatch]`: the delivery leases and polling of this process.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DispatchConfig {
    /// Whether `serve` runs the dispatcher (set false to serve only the API).
    pub enabled: bool,
    /// How long a claimed delivery stays with this process; after a crash, others take it over after this.
    /// Must exceed twice the slowest system's `timeout_ms`.
    pub lease_secs: u64,
    /// How often the log and the due deliveries are checked without a wake-up, in milliseconds.
    pub poll_interval_ms: u64,
    /// Send new events as they are read and record them with their outcome (one row write per delivery);
    /// false: record them pending first and send them from there (three row writes). Same guarantees.
    pub send_on_schedule: bool,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self { enabled: true, lease_secs: 60, poll_interval_ms: 50, send_on_schedule: true }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://PATH` (or a bare file path) or `postgres://…`.
    pub url: String,
}

/// `[pii]`: the master key that wraps the customers' data keys: a file of 64 hex characters (relative to
/// the configuration's folder) or an environment variable holding them. `serve` refuses to start with
/// neither, unless `plaintext_dev_mode = true` (development only: PII is then stored unencrypted).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PiiConfig {
    pub master_key_file: Option<PathBuf>,
    pub master_key_env: Option<String>,
    pub plaintext_dev_mode: bool,
}

/// Where the master key comes from, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PiiSetting {
    File(PathBuf),
    Env(String),
    /// Nothing configured; `serve` refuses this unless `plaintext_dev_mode` was set.
    Missing {
        dev_mode: bool,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Requests per minute each API key may make unless the key sets its own (absent: no default limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_minute: Option<u32>,
}

/// `[server]`: with both `tls_cert` and `tls_key` set, `serve` speaks HTTPS only.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// PEM file with the certificate chain, leaf first (relative paths are from the config file's folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// PEM file with the certificate's private key (PKCS#8, PKCS#1 or SEC1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            store: StoreConfig { url: "sqlite://crossdock-data/crossdock.db".into() },
            api: ApiConfig { body_limit_bytes: 1024 * 1024, rate_limit_per_minute: None },
            pii: PiiConfig::default(),
            server: ServerConfig::default(),
            dispatch: DispatchConfig::default(),
            systems: Vec::new(),
            subscriptions: Vec::new(),
            edi: None,
            sourcing: None,
            channels: Vec::new(),
            returns: None,
            availability: None,
            retention: None,
        }
    }
}

/// A configuration that was read and checked: values ready to use.
#[derive(Debug, Clone)]
pub struct Checked {
    pub listen: SocketAddr,
    pub store_url: String,
    pub body_limit_bytes: usize,
    /// `api.rate_limit_per_minute`.
    pub rate_limit_per_minute: Option<std::num::NonZeroU32>,
    /// `[server]` `tls_cert` and `tls_key` as given (relative to `base_dir`), when TLS is on.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub dispatch: DispatchConfig,
    /// The `[[systems]]` and `[[subscriptions]]`, validated (no IO yet); see [`Checked::load_connect`].
    pub connect: ConnectConfig,
    /// The file the configuration was read from (for messages) and its folder (for relative paths).
    pub file: String,
    pub base_dir: PathBuf,
    /// `[edi]`, validated.
    pub edi: Option<crossdock_connect::edi::EdiConfig>,
    /// `[sourcing]`, `[[channels]]` and `[returns]`, validated: handed to the store.
    pub policy: crossdock_engine::Policy,
    /// `[availability]`: the feed's settings, `None` when disabled.
    pub feed: Option<crossdock_store::feed::FeedSettings>,
    /// `[pii]`: where the master key comes from.
    pub pii: PiiSetting,
    /// `[retention]`: what `serve` and `prune` delete, `None` when the section is absent.
    pub retention: Option<crossdock_store::retention::RetentionSettings>,
    /// `store.url` as written, when a relative SQLite file in it was resolved against `base_dir` (earlier
    /// versions took it from the current folder: `serve` checks that no store was left there).
    pub store_url_as_written: Option<String>,
}

impl Checked {
    /// Reads the systems' secrets and compiles their jq mappings, every error at once (`file: key: …`).
    pub fn load_connect(&self) -> Result<LoadedConnect, ConfigErrors> {
        self.connect.load(&self.file, &self.base_dir).map_err(ConfigErrors)
    }
}

/// Every problem found in a configuration, one per line: `file: key: what is wrong`.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct ConfigErrors(pub Vec<String>);

/// The `CROSSDOCK_*` variables read as configuration (others, such as `CROSSDOCK_TEST_PG_URL`, are not).
const ENV_KEYS: &[&str] = &[
    "listen",
    "store__url",
    "api__body_limit_bytes",
    "api__rate_limit_per_minute",
    "pii__master_key_file",
    "pii__master_key_env",
    "dispatch__send_on_schedule",
];

/// Reads defaults, then the file (if it exists or was named), then `CROSSDOCK_*` variables
/// (`CROSSDOCK_LISTEN`, `CROSSDOCK_STORE__URL`, …), and validates the result.
pub fn load(path: Option<&Path>) -> Result<Checked, ConfigErrors> {
    let (file, must_exist) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("crossdock.toml"), false),
    };
    let shown = file.display().to_string();
    if must_exist && !file.exists() {
        return Err(ConfigErrors(vec![format!("{shown}: the file does not exist")]));
    }
    let figment = Figment::from(Serialized::defaults(Config::default())).merge(Toml::file(&file)).merge(
        Env::prefixed("CROSSDOCK_")
            .filter(|k| ENV_KEYS.iter().any(|known| k.as_str().eq_ignore_ascii_case(known)))
            .split("__"),
    );
    let config: Config = figment.extract().map_err(|errors| {
        ConfigErrors(
            errors
                .into_iter()
                .map(|e| {
                    let key = e.path.join(".");
                    let origin = error_origin(&e, &shown);
                    if key.is_empty() {
                        format!("{origin}: {}", e.kind)
                    } else {
                        format!("{origin}: {key}: {}", e.kind)
                    }
                })
                .collect(),
        )
    })?;
    let mut checked = check(&config, &shown)?;
    checked.base_dir = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if let PiiSetting::File(path) = &mut checked.pii
        && path.is_relative()
    {
        *path = checked.base_dir.join(&*path);
    }
    // Like the key and TLS files, a relative SQLite file named in the config file is that file's neighbour,
    // wherever the command is run from; a default or CROSSDOCK_STORE__URL stays relative to the current folder.
    let from_file =
        figment.find_metadata("store.url").is_some_and(|m| matches!(m.source, Some(figment::Source::File(_))));
    if from_file && checked.base_dir != Path::new(".") {
        let resolved = crate::store_url::resolve(&checked.store_url, &checked.base_dir);
        if resolved != checked.store_url {
            checked.store_url_as_written = Some(std::mem::replace(&mut checked.store_url, resolved));
        }
    }
    Ok(checked)
}

/// Where a value that failed to parse came from: the file, or the `CROSSDOCK_*` variable that set it
/// (figment's environment metadata has no source, so it would otherwise be blamed on the file).
fn error_origin(error: &figment::Error, file: &str) -> String {
    let Some(metadata) = &error.metadata else { return file.to_string() };
    match &metadata.source {
        Some(source) => source.to_string(),
        None if metadata.name.contains("environment variable") && !error.path.is_empty() => {
            format!("CROSSDOCK_{}", error.path.join("__").to_ascii_uppercase())
        }
        None => file.to_string(),
    }
}

/// Validates a parsed configuration, collecting every error.
pub fn check(config: &Config, file: &str) -> Result<Checked, ConfigErrors> {
    let mut errors = Vec::new();
    let listen = config
        .listen
        .parse::<SocketAddr>()
        .map_err(|_| errors.push(format!("{file}: listen: {:?} is not an address like 127.0.0.1:8080", config.listen)))
        .ok();
    let url = config.store.url.trim();
    if url.is_empty() {
        errors.push(format!("{file}: store.url: must not be empty"));
    } else if url.contains("://")
        && !(url.starts_with("sqlite://") || url.starts_with("postgres://") || url.starts_with("postgresql://"))
    {
        errors.push(format!(
            "{file}: store.url: unknown scheme in {:?}; known: sqlite://, postgres://",
            crossdock_store::redact_url(url)
        ));
    }
    if !(1024..=64 * 1024 * 1024).contains(&config.api.body_limit_bytes) {
        errors
            .push(format!("{file}: api.body_limit_bytes: {} is outside 1024..=67108864", config.api.body_limit_bytes));
    }
    let rate_limit = match config.api.rate_limit_per_minute {
        Some(n) if !(1..=1_000_000).contains(&n) => {
            errors.push(format!("{file}: api.rate_limit_per_minute: {n} is outside 1..=1000000"));
            None
        }
        other => other.and_then(std::num::NonZeroU32::new),
    };
    let tls = match (&config.server.tls_cert, &config.server.tls_key) {
        (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
        (None, None) => None,
        (Some(_), None) => {
            errors.push(format!("{file}: server.tls_key: must be set with server.tls_cert"));
            None
        }
        (None, Some(_)) => {
            errors.push(format!("{file}: server.tls_cert: must be set with server.tls_key"));
            None
        }
    };
    let dispatch = config.dispatch;
    if !(1..=3600).contains(&dispatch.lease_secs) {
        errors.push(format!("{file}: dispatch.lease_secs: {} is outside 1..=3600", dispatch.lease_secs));
    }
    if !(1..=60_000).contains(&dispatch.poll_interval_ms) {
        errors.push(format!("{file}: dispatch.poll_interval_ms: {} is outside 1..=60000", dispatch.poll_interval_ms));
    }
    for (i, system) in config.systems.iter().enumerate() {
        if system.timeout_ms.saturating_mul(2) >= dispatch.lease_secs.saturating_mul(1000) {
            errors.push(format!(
                "{file}: systems[{i}].timeout_ms: {} ms must be under half of dispatch.lease_secs ({} s)",
                system.timeout_ms, dispatch.lease_secs
            ));
        }
    }
    let connect = ConnectConfig { systems: config.systems.clone(), subscriptions: config.subscriptions.clone() };
    if let Err(problems) = connect.validate(file) {
        errors.extend(problems);
    }
    if let Some(Err(problems)) = config.edi.as_ref().map(|e| e.validate()) {
        errors.extend(problems.iter().map(|p| format!("{file}: edi.{p}")));
    }
    let sections = crate::policy_config::PolicySections {
        sourcing: config.sourcing.as_ref(),
        channels: &config.channels,
        returns: config.returns.as_ref(),
        availability: config.availability.as_ref(),
    };
    let pii = check_pii(&config.pii, file).map_err(|problem| errors.push(problem)).ok();
    let (policy, feed) = crate::policy_config::check_policy(&sections, file)
        .map_err(|problems| errors.extend(problems))
        .unwrap_or_default();
    let retention = crate::retention_config::check_retention(config.retention.as_ref(), file)
        .map_err(|problems| errors.extend(problems))
        .unwrap_or_default();
    match (listen, pii, errors.is_empty()) {
        (Some(listen), Some(pii), true) => Ok(Checked {
            listen,
            store_url: url.to_string(),
            body_limit_bytes: config.api.body_limit_bytes,
            rate_limit_per_minute: rate_limit,
            tls,
            dispatch,
            connect,
            file: file.to_string(),
            base_dir: PathBuf::from("."),
            edi: config.edi.clone(),
            policy,
            feed,
            pii,
            retention,
            store_url_as_written: None,
        }),
        _ => Err(ConfigErrors(errors)),
    }
}

fn check_pii(pii: &PiiConfig, file: &str) -> Result<PiiSetting, String> {
    match (&pii.master_key_file, &pii.master_key_env) {
        (Some(_), Some(_)) => {
            Err(format!("{file}: pii.master_key_file, pii.master_key_env: give one source of the master key, not both"))
        }
        (Some(path), None) if path.as_os_str().is_empty() => {
            Err(format!("{file}: pii.master_key_file: must not be empty"))
        }
        (Some(path), None) => Ok(PiiSetting::File(path.clone())),
        (None, Some(var)) if var.trim().is_empty() => Err(format!("{file}: pii.master_key_env: must not be empty")),
        (None, Some(var)) => Ok(PiiSetting::Env(var.trim().to_string())),
        (None, None) => Ok(PiiSetting::Missing { dev_mode: pii.plaintext_dev_mode }),
    }
}

impl Checked {
    /// The store options of `[pii]`: reads the master key (the error names the file and key). `None` when
    /// no key is configured.
    pub fn store_options(&self) -> Result<crossdock_store::StoreOptions, String> {
        let provider: std::sync::Arc<dyn crossdock_store::KeyProvider> = match &self.pii {
            PiiSetting::File(path) => std::sync::Arc::new(
                crossdock_store::MasterKey::from_file(path)
                    .map_err(|e| format!("{}: pii.master_key_file: {e}", self.file))?,
            ),
            PiiSetting::Env(var) => std::sync::Arc::new(
                crossdock_store::MasterKey::from_env(var)
                    .map_err(|e| format!("{}: pii.master_key_env: {e}", self.file))?,
            ),
            PiiSetting::Missing { .. } => return Ok(crossdock_store::StoreOptions::default()),
        };
        Ok(crossdock_store::StoreOptions { pii: Some(provider) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(edit: impl FnOnce(&mut Config)) -> Result<Checked, ConfigErrors> {
        let mut c = Config::default();
        edit(&mut c);
        check(&c, "crossdock.toml")
    }

    #[test]
    fn default_config_is_valid() {
        let c = with(|_| {}).unwrap();
        assert_eq!(c.listen.port(), 8080);
        assert!(c.store_url.starts_with("sqlite://"));
    }

    #[test]
    fn every_error_is_reported_at_once_with_file_and_key() {
        let err = with(|c| {
            c.listen = "nowhere".into();
            c.store.url = "mysql://x".into();
            c.api.body_limit_bytes = 1;
        })
        .unwrap_err();
        assert_eq!(err.0.len(), 3, "{err}");
        assert!(err.0[0].starts_with("crossdock.toml: listen:"), "{err}");
        assert!(err.0[1].starts_with("crossdock.toml: store.url: unknown scheme"), "{err}");
        assert!(err.0[2].starts_with("crossdock.toml: api.body_limit_bytes:"), "{err}");
    }

    #[test]
    fn file_errors_name_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "listen = 5\n[store]\nurl = \"sqlite://x.db\"\ncolour = \"red\"\n").unwrap();
        let err = load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("bad.toml"), "{err}");
        assert!(err.contains("listen") || err.contains("colour"), "{err}");
        let missing = load(Some(&dir.path().join("none.toml"))).unwrap_err().to_string();
        assert!(missing.contains("does not exist"), "{missing}");
    }

    #[test]
    fn a_relative_sqlite_file_in_the_config_is_from_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.toml");
        std::fs::write(&path, "[store]\nurl = \"sqlite://data/hub.db\"\n").unwrap();
        let checked = load(Some(&path)).unwrap();
        assert_eq!(checked.store_url, format!("sqlite://{}", dir.path().join("data/hub.db").display()));
        // Without one in the file, the default stays relative to the current folder.
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\n").unwrap();
        assert_eq!(load(Some(&path)).unwrap().store_url, "sqlite://crossdock-data/crossdock.db");
    }

    #[test]
    fn retention_errors_name_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.toml");
        std::fs::write(&path, "[retention]\ndeliveries_days = 0\ninterval_minutes = 0\n").unwrap();
        let err = load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("hub.toml: retention.deliveries_days: 0 is outside"), "{err}");
        assert!(err.contains("hub.toml: retention.interval_minutes: 0 is outside"), "{err}");
        for (text, key) in [("deliveries_days = -3", "deliveries_days"), ("keep_days = 3", "keep_days")] {
            std::fs::write(&path, format!("[retention]\n{text}\n")).unwrap();
            let err = load(Some(&path)).unwrap_err().to_string();
            assert!(err.contains("hub.toml") && err.contains(key), "{text}: {err}");
        }
        std::fs::write(&path, "[retention]\ndeliveries_days = 30\nidempotency_days = 90\n").unwrap();
        let settings = load(Some(&path)).unwrap().retention.unwrap();
        assert_eq!(settings.deliveries, Some(chrono::TimeDelta::days(30)));
        assert_eq!(settings.idempotency, Some(chrono::TimeDelta::days(90)));
        assert_eq!(settings.interval, std::time::Duration::from_secs(3600), "hourly unless set");
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\n").unwrap();
        assert_eq!(load(Some(&path)).unwrap().retention, None, "no section: nothing is pruned");
    }

    #[test]
    fn systems_and_subscriptions_are_validated_with_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.toml");
        let text = "listen = \"nowhere\"\n[dispatch]\nlease_secs = 10\n\
            [[systems]]\nname = \"erp\"\nrole = \"erp\"\ntimeout_ms = 6000\ntransport = { type = \"http\", url = \"ftp://x\" }\n\
            [[subscriptions]]\nname = \"to-erp\"\nsystem = \"wms\"\nevents = [\"order.*\"]\n";
        std::fs::write(&path, text).unwrap();
        let err = load(Some(&path)).unwrap_err().to_string();
        for expected in [
            "hub.toml: listen:",
            "hub.toml: systems[0].timeout_ms:",
            "hub.toml: systems[0].transport.url:",
            "hub.toml: subscriptions[0].system:",
        ] {
            assert!(err.contains(expected), "{expected} missing from:\n{err}");
        }
        std::fs::write(&path, "[[systems]]\nname = \"erp\"\nrole = \"erp\"\ntransport = { type = \"smtp\" }\n")
            .unwrap();
        let err = load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("hub.toml") && err.contains("http") && err.contains("nats"), "{err}");
    }
}
