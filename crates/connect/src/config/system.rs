//! `[[systems]]`: a connected system, its transport, authentication, inbound webhooks and delivery policy.

use super::Secret;
use serde::Deserialize;

/// A connected system as written under `[[systems]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemConfig {
    /// Unique; lower-case letters, digits, `_` and `-`. Names the system in URLs (`/v1/inbound/{name}`).
    pub name: String,
    pub role: Role,
    pub transport: TransportConfig,
    #[serde(default)]
    pub auth: AuthConfig,
    /// How `POST /v1/inbound/{name}` checks and maps what the system sends; absent, it accepts nothing.
    #[serde(default)]
    pub inbound: Option<InboundConfig>,
    /// Time allowed for one delivery, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Deliveries to this system in flight at once (a batch holds one per message). Absent, it is 16, or
    /// 4 × `transport.batch_max` for a batching webhook system; see [`SystemConfig::in_flight_limit`].
    #[serde(default)]
    pub max_in_flight: Option<u32>,
    #[serde(default)]
    pub retry: RetryConfig,
}

fn default_timeout_ms() -> u64 {
    10_000
}

/// `max_in_flight` when the config leaves it out and the system does not batch.
pub const DEFAULT_MAX_IN_FLIGHT: u32 = 16;
/// Batches of `transport.batch_max` messages a batching system has in flight when `max_in_flight` is left out.
pub const DEFAULT_BATCHES_IN_FLIGHT: u32 = 4;

impl SystemConfig {
    /// Deliveries in flight at once: as configured, else [`DEFAULT_MAX_IN_FLIGHT`], raised for a batching
    /// webhook system to [`DEFAULT_BATCHES_IN_FLIGHT`] full batches (so that a batch can fill up at all: each
    /// message of a batch holds one in-flight slot).
    pub fn in_flight_limit(&self) -> u32 {
        self.max_in_flight.unwrap_or_else(|| {
            DEFAULT_MAX_IN_FLIGHT.max(self.transport.batch_max().saturating_mul(DEFAULT_BATCHES_IN_FLIGHT))
        })
    }
}

/// What a system is to the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Erp,
    Wms,
    Tms,
    Pos,
    Crm,
    Channel,
    Partner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Erp => "erp",
            Role::Wms => "wms",
            Role::Tms => "tms",
            Role::Pos => "pos",
            Role::Crm => "crm",
            Role::Channel => "channel",
            Role::Partner => "partner",
        }
    }
}

/// How messages reach the system: `transport.type` is one of [`TransportConfig::KNOWN_TYPES`]; any other
/// type is refused by serde with the list of known ones.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TransportConfig {
    /// Webhooks: an HTTP POST per message, or per batch of up to `batch_max` messages (a JSON array, see
    /// `transport::http`). HTTPS certificates are verified against the system's trust store plus, when set,
    /// the CA certificates of the PEM file `ca_file` (relative to the config file's folder).
    Http {
        url: String,
        #[serde(default)]
        ca_file: Option<String>,
        /// Most messages per POST, 1..=1000; 1 (the default) sends each message on its own, as its bare body.
        #[serde(default = "default_batch_max")]
        batch_max: u32,
    },
    /// NATS JetStream: each event published to `<subject_prefix>.events.<event type>` with `Nats-Msg-Id` set to
    /// its idempotency key; commands consumed from `consumer` when set.
    Nats {
        url: String,
        #[serde(default = "default_subject_prefix")]
        subject_prefix: String,
        /// The stream that captures `<subject_prefix>.events.>`; needed only with `create_stream`.
        #[serde(default)]
        stream: Option<String>,
        /// Create `stream` (file storage, 2-minute duplicate window) when it does not exist.
        #[serde(default)]
        create_stream: bool,
        /// Inbound commands: a durable pull consumer.
        #[serde(default)]
        consumer: Option<NatsConsumerConfig>,
    },
    /// Files written to (and read from) a folder.
    File {
        /// Outbound: one file per batch, written under a temporary name and renamed.
        folder: String,
        #[serde(default)]
        format: FileFormat,
        /// Inbound: a folder polled for files of records.
        #[serde(default)]
        inbox: Option<FileInboxConfig>,
    },
}

fn default_batch_max() -> u32 {
    1
}

fn default_subject_prefix() -> String {
    "crossdock".into()
}

/// A durable JetStream pull consumer the hub reads the system's commands from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsConsumerConfig {
    /// The stream holding the commands.
    pub stream: String,
    /// Subject filter of the consumer (wildcards allowed), e.g. `erp.commands.>`.
    pub subject: String,
    /// Durable consumer name; defaults to `crossdock-<system name>`.
    #[serde(default)]
    pub durable: Option<String>,
    /// Create the stream, capturing `subject`, when it does not exist.
    #[serde(default)]
    pub create_stream: bool,
    /// Time the server waits for an ack before redelivering, in milliseconds.
    #[serde(default = "default_ack_wait_ms")]
    pub ack_wait_ms: u64,
    /// Delay before a message that failed for now is first redelivered, in milliseconds; it doubles with
    /// each further attempt, up to 5 minutes.
    #[serde(default = "default_nak_delay_ms")]
    pub nak_delay_ms: u64,
    /// Deliveries of one message after which the server gives up on it, whatever the failure. Unset (the
    /// default): never, so a message failing for now (the store down) is not lost however long it lasts.
    #[serde(default)]
    pub max_deliver: Option<u32>,
    /// Messages asked for per pull.
    #[serde(default = "default_batch")]
    pub batch: u32,
}

fn default_ack_wait_ms() -> u64 {
    30_000
}

fn default_nak_delay_ms() -> u64 {
    5_000
}

fn default_batch() -> u32 {
    64
}

/// How records are laid out in files: `json_lines` (one JSON object per line), the only format for now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    #[default]
    JsonLines,
}

/// A folder polled for the system's files; handled files move to `processed/` or `failed/` inside it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileInboxConfig {
    pub folder: String,
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
}

fn default_poll_interval_ms() -> u64 {
    1_000
}

impl TransportConfig {
    pub const KNOWN_TYPES: [&'static str; 3] = ["http", "nats", "file"];

    pub fn type_name(&self) -> &'static str {
        match self {
            TransportConfig::Http { .. } => "http",
            TransportConfig::Nats { .. } => "nats",
            TransportConfig::File { .. } => "file",
        }
    }

    /// Messages sent in one request: `batch_max` of a webhook system, 1 for every other transport.
    pub fn batch_max(&self) -> u32 {
        match self {
            TransportConfig::Http { batch_max, .. } => *batch_max,
            TransportConfig::Nats { .. } | TransportConfig::File { .. } => 1,
        }
    }
}

/// How the hub authenticates what it sends: `auth.type` is `none` (the default), `hmac` (Standard Webhooks
/// signatures with `secret`, `whsec_<base64>` or raw) or `bearer` (an `Authorization: Bearer` token).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthConfig {
    #[default]
    None,
    Hmac {
        secret: Secret,
    },
    Bearer {
        token: Secret,
    },
}

/// Inbound webhooks from the system: how they are signed, and the mapping to a canonical command.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundConfig {
    #[serde(default)]
    pub signature: SignatureStyle,
    /// The key the system signs with; defaults to `auth.secret` when `auth.type = "hmac"`.
    #[serde(default)]
    pub secret: Option<Secret>,
    /// How far a Standard Webhooks timestamp may lie from now, in seconds.
    #[serde(default = "default_tolerance_secs")]
    pub tolerance_secs: u64,
    /// jq file mapping the system's payload to a canonical command (relative to the config file).
    #[serde(default)]
    pub mapping: Option<String>,
}

fn default_tolerance_secs() -> u64 {
    300
}

/// The signature scheme of inbound webhooks: `signature.type` is `standard` (Standard Webhooks headers) or
/// `body_hmac_base64` (base64 HMAC-SHA256 of the body in `header`, as Shopify and WooCommerce send).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SignatureStyle {
    #[default]
    Standard,
    BodyHmacBase64 {
        header: String,
    },
}

/// Retry policy of deliveries: exponential backoff from `initial_backoff_ms` up to `max_backoff_ms`,
/// giving up (dead letter) after `max_attempts` or when the event is older than `max_age_hours`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    pub max_attempts: u32,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
    pub max_age_hours: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self { max_attempts: 25, initial_backoff_ms: 500, max_backoff_ms: 600_000, max_age_hours: 72 }
    }
}
