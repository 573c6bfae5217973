//! `ConnectConfig`, the `[[systems]]` and `[[subscriptions]]` of `crossdock.toml`, and its validation:
//! no IO, every error collected, each as `<file>: <key>: <what is wrong>`.

use super::SubscriptionConfig;
use super::secret::{Secret, SecretSource};
use super::subscription::pattern_problem;
use super::system::{
    AuthConfig, DEFAULT_BATCHES_IN_FLIGHT, InboundConfig, NatsConsumerConfig, RetryConfig, SignatureStyle,
    SystemConfig, TransportConfig,
};
use crate::signature::SigningKey;
use crate::transport::MAX_BATCH;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Display;

/// Shortest HMAC key accepted, in bytes.
pub const MIN_HMAC_KEY_BYTES: usize = 16;
/// Longest system or subscription name.
pub const MAX_NAME_LEN: usize = 64;

/// The connected systems and subscriptions of a crossdock config.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectConfig {
    #[serde(default)]
    pub systems: Vec<SystemConfig>,
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionConfig>,
}

/// Errors gathered while checking, each prefixed with the file name and the key.
pub(crate) struct Problems<'a> {
    file: &'a str,
    pub(crate) list: Vec<String>,
}

impl<'a> Problems<'a> {
    pub(crate) fn new(file: &'a str) -> Self {
        Self { file, list: Vec::new() }
    }

    pub(crate) fn add(&mut self, key: impl Display, problem: impl Display) {
        self.list.push(format!("{}: {key}: {problem}", self.file));
    }

    pub(crate) fn into_result(self) -> Result<(), Vec<String>> {
        if self.list.is_empty() { Ok(()) } else { Err(self.list) }
    }
}

impl ConnectConfig {
    /// Checks everything that can be checked without IO and returns every problem at once.
    /// Keys name entries by their zero-based index: `systems[2].transport.url`.
    pub fn validate(&self, file: &str) -> Result<(), Vec<String>> {
        let mut problems = Problems::new(file);
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, system) in self.systems.iter().enumerate() {
            let key = format!("systems[{i}]");
            check_name(&mut problems, &key, &system.name, "systems", &mut seen, i);
            check_system(&mut problems, &key, system);
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, subscription) in self.subscriptions.iter().enumerate() {
            let key = format!("subscriptions[{i}]");
            check_name(&mut problems, &key, &subscription.name, "subscriptions", &mut seen, i);
            self.check_subscription(&mut problems, &key, subscription);
        }
        problems.into_result()
    }

    fn check_subscription(&self, problems: &mut Problems, key: &str, subscription: &SubscriptionConfig) {
        if !self.systems.iter().any(|s| s.name == subscription.system) {
            let known: Vec<&str> = self.systems.iter().map(|s| s.name.as_str()).collect();
            let known = if known.is_empty() { "none are configured".to_string() } else { known.join(", ") };
            problems.add(
                format!("{key}.system"),
                format!("no system is named {:?} (systems: {known})", subscription.system),
            );
        }
        if subscription.events.is_empty() {
            problems.add(format!("{key}.events"), "lists no event pattern; use [\"*\"] for every event");
        }
        for (j, pattern) in subscription.events.iter().enumerate() {
            if let Some(problem) = pattern_problem(pattern) {
                problems.add(format!("{key}.events[{j}]"), problem);
            }
        }
        if subscription.filter.as_deref().is_some_and(|f| f.trim().is_empty()) {
            problems.add(format!("{key}.filter"), "is empty; leave it out to send every matching event");
        }
        if subscription.mapping.as_deref().is_some_and(|m| m.trim().is_empty()) {
            problems.add(format!("{key}.mapping"), "is empty; leave it out to send the canonical event");
        }
    }
}

fn check_name<'c>(
    problems: &mut Problems,
    key: &str,
    name: &'c str,
    list: &str,
    seen: &mut HashMap<&'c str, usize>,
    index: usize,
) {
    if name.is_empty() {
        problems.add(format!("{key}.name"), "is empty");
    } else if name.len() > MAX_NAME_LEN {
        problems.add(format!("{key}.name"), format!("is longer than {MAX_NAME_LEN} characters"));
    } else if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-') {
        problems.add(format!("{key}.name"), format!("{name:?} may contain only a-z, 0-9, '_' and '-'"));
    }
    if let Some(first) = seen.insert(name, index) {
        problems.add(format!("{key}.name"), format!("{name:?} is already the name of {list}[{first}]"));
    }
}

fn check_system(problems: &mut Problems, key: &str, system: &SystemConfig) {
    check_transport(problems, &format!("{key}.transport"), &system.transport);
    match &system.auth {
        AuthConfig::None => {}
        AuthConfig::Hmac { secret } => check_hmac_secret(problems, &format!("{key}.auth.secret"), secret),
        AuthConfig::Bearer { token } => {
            if let Err(problem) = token.check() {
                problems.add(format!("{key}.auth.token"), problem);
            }
        }
    }
    if let Some(inbound) = &system.inbound {
        check_inbound(problems, &format!("{key}.inbound"), inbound, &system.auth);
    }
    in_range(problems, format!("{key}.timeout_ms"), system.timeout_ms, 1, 300_000);
    if let Some(max_in_flight) = system.max_in_flight {
        in_range(problems, format!("{key}.max_in_flight"), u64::from(max_in_flight), 1, 10_000);
        let batch_max = system.transport.batch_max();
        if batch_max > 1 && max_in_flight < batch_max {
            problems.add(
                format!("{key}.max_in_flight"),
                format!(
                    "{max_in_flight} is below transport.batch_max ({batch_max}): each message of a batch holds one \
                     in-flight slot, so no batch could fill; raise it or leave it out (it then defaults to \
                     {DEFAULT_BATCHES_IN_FLIGHT} × batch_max)"
                ),
            );
        }
    }
    check_retry(problems, &format!("{key}.retry"), &system.retry);
}

fn check_transport(problems: &mut Problems, key: &str, transport: &TransportConfig) {
    match transport {
        TransportConfig::Http { url, ca_file, batch_max } => {
            check_url(problems, &format!("{key}.url"), url, &["http", "https"]);
            in_range(problems, format!("{key}.batch_max"), u64::from(*batch_max), 1, MAX_BATCH as u64);
            if ca_file.as_deref().is_some_and(|f| f.trim().is_empty()) {
                problems.add(format!("{key}.ca_file"), "must not be empty");
            }
        }
        TransportConfig::Nats { url, subject_prefix, stream, create_stream, consumer } => {
            check_url(problems, &format!("{key}.url"), url, &["nats", "tls", "ws", "wss"]);
            if let Some(problem) = subject_problem(subject_prefix, false) {
                problems.add(format!("{key}.subject_prefix"), problem);
            }
            match stream {
                Some(stream) => check_nats_name(problems, &format!("{key}.stream"), stream),
                None if *create_stream => problems.add(format!("{key}.stream"), "is needed when create_stream is true"),
                None => {}
            }
            if let Some(consumer) = consumer {
                check_consumer(problems, &format!("{key}.consumer"), consumer);
            }
        }
        TransportConfig::File { folder, format: _, inbox } => {
            if folder.trim().is_empty() {
                problems.add(format!("{key}.folder"), "is empty");
            }
            if let Some(inbox) = inbox {
                if inbox.folder.trim().is_empty() {
                    problems.add(format!("{key}.inbox.folder"), "is empty");
                } else if inbox.folder.trim_end_matches('/') == folder.trim_end_matches('/') {
                    problems.add(
                        format!("{key}.inbox.folder"),
                        "is the outbound folder; the hub would read what it writes",
                    );
                }
                in_range(problems, format!("{key}.inbox.poll_interval_ms"), inbox.poll_interval_ms, 10, 3_600_000);
            }
        }
    }
}

fn check_consumer(problems: &mut Problems, key: &str, consumer: &NatsConsumerConfig) {
    check_nats_name(problems, &format!("{key}.stream"), &consumer.stream);
    if let Some(problem) = subject_problem(&consumer.subject, true) {
        problems.add(format!("{key}.subject"), problem);
    }
    if let Some(durable) = &consumer.durable {
        check_nats_name(problems, &format!("{key}.durable"), durable);
    }
    in_range(problems, format!("{key}.ack_wait_ms"), consumer.ack_wait_ms, 1_000, 3_600_000);
    in_range(problems, format!("{key}.nak_delay_ms"), consumer.nak_delay_ms, 0, 86_400_000);
    if let Some(max_deliver) = consumer.max_deliver {
        in_range(problems, format!("{key}.max_deliver"), u64::from(max_deliver), 1, 10_000);
    }
    in_range(problems, format!("{key}.batch"), u64::from(consumer.batch), 1, 1_000);
}

/// Stream and consumer names: no whitespace, `.`, `*`, `>`, path separators or control characters.
fn check_nats_name(problems: &mut Problems, key: &str, name: &str) {
    if name.is_empty() {
        problems.add(key, "is empty");
    } else if name.len() > 255 {
        problems.add(key, "is longer than 255 characters");
    } else if let Some(c) = name.chars().find(|c| c.is_whitespace() || c.is_control() || ".*>/\\".contains(*c)) {
        problems.add(key, format!("{name:?} contains {c:?}, which a stream or consumer name may not"));
    }
}

fn check_url(problems: &mut Problems, key: &str, text: &str, schemes: &[&str]) {
    let listed = schemes.iter().map(|s| format!("{s}://")).collect::<Vec<_>>().join(", ");
    match url::Url::parse(text) {
        Err(e) => problems.add(key, format!("{text:?} is not a URL: {e}")),
        Ok(url) if !schemes.contains(&url.scheme()) => {
            problems.add(key, format!("{text:?} is not a {listed} URL"));
        }
        Ok(url) if url.host_str().is_none_or(str::is_empty) => problems.add(key, format!("{text:?} has no host")),
        Ok(url) if !url.username().is_empty() || url.password().is_some() => {
            problems.add(key, "must not contain credentials; put them under auth");
        }
        Ok(_) => {}
    }
}

/// Why a subject (or subject prefix, when `wildcards` is false) is not valid, if it is not.
fn subject_problem(subject: &str, wildcards: bool) -> Option<String> {
    if subject.is_empty() {
        return Some("is empty".into());
    }
    let tokens: Vec<&str> = subject.split('.').collect();
    if tokens.iter().any(|t| t.is_empty()) {
        return Some(format!("{subject:?} has an empty token (two dots, or a dot at either end)"));
    }
    if let Some(c) = subject.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Some(format!("{subject:?} contains {c:?}; a subject has no whitespace"));
    }
    let last = tokens.len() - 1;
    for (i, token) in tokens.iter().enumerate() {
        let wildcard = *token == "*" || (*token == ">" && i == last);
        if token.contains(['*', '>']) && !(wildcards && wildcard) {
            let what = if wildcards { "a misplaced wildcard" } else { "a wildcard; a subject prefix has none" };
            return Some(format!("{subject:?} has {what}"));
        }
    }
    None
}

fn check_hmac_secret(problems: &mut Problems, key: &str, secret: &Secret) {
    if let Err(problem) = secret.check() {
        problems.add(key, problem);
        return;
    }
    // Only a literal can be checked without IO; references are checked when the config loads.
    if let SecretSource::Literal(value) = secret.source()
        && let Some(problem) = hmac_key_problem(value)
    {
        problems.add(key, problem);
    }
}

/// Why a secret cannot serve as an HMAC key, if it cannot. Never shows the secret.
pub(crate) fn hmac_key_problem(value: &str) -> Option<String> {
    match SigningKey::parse(value) {
        Err(e) => Some(e.to_string()),
        Ok(k) if k.len() < MIN_HMAC_KEY_BYTES => {
            Some(format!("the key is {} bytes long; at least {MIN_HMAC_KEY_BYTES} are needed", k.len()))
        }
        Ok(_) => None,
    }
}

fn check_inbound(problems: &mut Problems, key: &str, inbound: &InboundConfig, auth: &AuthConfig) {
    if let SignatureStyle::BodyHmacBase64 { header } = &inbound.signature {
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if header.is_empty() || !header.chars().all(token) {
            problems.add(format!("{key}.signature.header"), format!("{header:?} is not an HTTP header name"));
        }
    }
    match (&inbound.secret, auth) {
        (Some(secret), _) => check_hmac_secret(problems, &format!("{key}.secret"), secret),
        (None, AuthConfig::Hmac { .. }) => {}
        (None, _) => problems.add(
            format!("{key}.secret"),
            "is needed to verify inbound signatures (it defaults to auth.secret only when auth.type is \"hmac\")",
        ),
    }
    in_range(problems, format!("{key}.tolerance_secs"), inbound.tolerance_secs, 1, 86_400);
    if inbound.mapping.as_deref().is_some_and(|m| m.trim().is_empty()) {
        problems.add(format!("{key}.mapping"), "is empty");
    }
}

fn check_retry(problems: &mut Problems, key: &str, retry: &RetryConfig) {
    in_range(problems, format!("{key}.max_attempts"), u64::from(retry.max_attempts), 1, 1_000);
    in_range(problems, format!("{key}.initial_backoff_ms"), retry.initial_backoff_ms, 1, 3_600_000);
    in_range(problems, format!("{key}.max_backoff_ms"), retry.max_backoff_ms, 1, 86_400_000);
    if retry.max_backoff_ms < retry.initial_backoff_ms {
        problems.add(
            format!("{key}.max_backoff_ms"),
            format!("{} is below initial_backoff_ms ({})", retry.max_backoff_ms, retry.initial_backoff_ms),
        );
    }
    in_range(problems, format!("{key}.max_age_hours"), retry.max_age_hours, 1, 720);
}

fn in_range(problems: &mut Problems, key: String, value: u64, min: u64, max: u64) {
    if !(min..=max).contains(&value) {
        problems.add(key, format!("{value} is outside {min}..={max}"));
    }
}
