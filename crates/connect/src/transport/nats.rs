//! The NATS JetStream transport: each message published to `<prefix>.events.<event type>` with
//! `Nats-Msg-Id` set to its idempotency key, delivered once the stream's publish ack arrives.
//!
//! A missing stream, a timeout or a lost connection is retried; the client reconnects on its own (after a
//! server restart too), and the stream's duplicate window drops a message published twice.

use super::api::{OutboundMessage, SendOutcome, Transport, TransportError};
use async_nats::jetstream::context::{Context, PublishError, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::stream::Config as StreamConfig;
use async_trait::async_trait;
use crossdock_store::redact_url;
use std::fmt;
use std::time::Duration;
use tokio::sync::OnceCell;

/// How to reach one NATS JetStream system.
#[derive(Debug, Clone)]
pub struct NatsTransportConfig {
    /// `nats://host:port` (or `tls://`, `ws://`, `wss://`); credentials are never shown.
    pub url: String,
    /// Subjects are `<subject_prefix>.events.<event type>`.
    pub subject_prefix: String,
    /// The stream capturing `<subject_prefix>.events.>`; created when missing if `create_stream`.
    pub stream: Option<String>,
    pub create_stream: bool,
    /// Longest wait for a publish ack (and for connecting, in `connect`).
    pub timeout: Duration,
    /// Client name shown by the server (`crossdock-<system>`).
    pub client_name: String,
}

impl NatsTransportConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            subject_prefix: "crossdock".into(),
            stream: None,
            create_stream: false,
            timeout: Duration::from_secs(10),
            client_name: "crossdock".into(),
        }
    }

    /// The subject an event type is published to.
    pub fn subject(&self, event_type: &str) -> String {
        format!("{}.events.{event_type}", self.subject_prefix)
    }
}

/// Installs ring as the process's default rustls crypto provider, so TLS connections work when more than
/// one provider is compiled in; does nothing if a default is already installed.
pub fn install_default_crypto_provider() {
    let _ = async_nats::rustls::crypto::ring::default_provider().install_default();
}

/// A client that keeps reconnecting for ever, quickly at first (at most 2 s between attempts).
pub(crate) async fn connect_client(url: &str, name: &str, timeout: Duration) -> Result<async_nats::Client, String> {
    install_default_crypto_provider();
    async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(timeout.min(Duration::from_secs(10)))
        .reconnect_delay_callback(|attempts| Duration::from_millis((attempts as u64).saturating_mul(100).min(2_000)))
        .connect(url)
        .await
        .map_err(|e| e.to_string())
}

/// Publishes to JetStream over one shared, self-reconnecting client (made on first use).
pub struct NatsTransport {
    config: NatsTransportConfig,
    context: OnceCell<Context>,
}

impl fmt::Debug for NatsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsTransport").field("target", &self.target()).finish_non_exhaustive()
    }
}

impl NatsTransport {
    pub fn new(config: NatsTransportConfig) -> Result<Self, TransportError> {
        let url = url::Url::parse(&config.url)
            .map_err(|e| TransportError::Config(format!("nats url {:?}: {e}", redact_url(&config.url))))?;
        if !matches!(url.scheme(), "nats" | "tls" | "ws" | "wss") {
            return Err(TransportError::Config("nats url: scheme must be nats, tls, ws or wss".into()));
        }
        if config.create_stream && config.stream.is_none() {
            return Err(TransportError::Config("create_stream needs a stream name".into()));
        }
        Ok(Self { config, context: OnceCell::new() })
    }

    async fn context(&self) -> Result<&Context, String> {
        self.context
            .get_or_try_init(|| async {
                let client = connect_client(&self.config.url, &self.config.client_name, self.config.timeout).await?;
                let mut context = async_nats::jetstream::new(client);
                context.set_timeout(self.config.timeout);
                Ok(context)
            })
            .await
    }

    /// Creates the configured stream when it is missing (only with `create_stream`).
    async fn ensure_stream(&self, context: &Context) -> Result<(), String> {
        let (Some(name), true) = (&self.config.stream, self.config.create_stream) else { return Ok(()) };
        let config = StreamConfig {
            name: name.clone(),
            subjects: vec![format!("{}.events.>", self.config.subject_prefix)],
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        };
        context.get_or_create_stream(config).await.map(|_| ()).map_err(|e| format!("stream {name:?}: {e}"))
    }

    /// Publishes one message and waits for its ack. When no stream captures the subject and the transport
    /// is configured to create its stream, the stream is created and the message published once more.
    pub async fn send_one(&self, message: &OutboundMessage) -> SendOutcome {
        let retry = |error: String| SendOutcome::Retry { after: None, error, response: None };
        if let Some(problem) = event_type_problem(&message.event_type) {
            return SendOutcome::Reject { error: problem, response: None };
        }
        let context = match self.context().await {
            Ok(context) => context,
            Err(error) => return retry(format!("cannot connect: {error}")),
        };
        let mut acked = self.publish(context, message).await;
        if let Err(PublishErrorKind::StreamNotFound) = acked.as_ref().map_err(|e| e.kind())
            && self.config.create_stream
        {
            if let Err(error) = self.ensure_stream(context).await {
                return retry(format!("no stream captures the subject, and {error}"));
            }
            acked = self.publish(context, message).await;
        }
        match acked {
            Ok(()) => SendOutcome::Delivered,
            Err(error) => match error.kind() {
                PublishErrorKind::MaxPayloadExceeded => {
                    SendOutcome::Reject { error: error.to_string(), response: None }
                }
                PublishErrorKind::StreamNotFound => retry("no stream captures the subject".into()),
                _ => retry(error.to_string()),
            },
        }
    }

    async fn publish(&self, context: &Context, message: &OutboundMessage) -> Result<(), PublishError> {
        let publish = PublishMessage::build()
            .payload(message.body.clone().into())
            .message_id(&message.idempotency_key)
            .header("Content-Type", "application/json")
            .header("Crossdock-Event-Type", message.event_type.as_str())
            .header("Crossdock-Seq", message.seq.to_string().as_str())
            .header("Crossdock-Aggregate-Id", message.aggregate_id.as_str());
        let subject = self.config.subject(&message.event_type);
        // A duplicate (same Nats-Msg-Id within the stream's window) is acked too.
        context.send_publish(subject, publish).await?.await.map(|_| ())
    }
}

/// Why an event type cannot end a subject, if it cannot.
fn event_type_problem(event_type: &str) -> Option<String> {
    let bad = event_type.is_empty()
        || event_type.split('.').any(str::is_empty)
        || event_type.chars().any(|c| c.is_whitespace() || c.is_control() || c == '*' || c == '>');
    bad.then(|| format!("event type {event_type:?} cannot be part of a subject"))
}

#[async_trait]
impl Transport for NatsTransport {
    fn kind(&self) -> &'static str {
        "nats"
    }

    fn target(&self) -> String {
        format!("{} {}.events.>", redact_url(&self.config.url), self.config.subject_prefix)
    }

    /// Connects, creates the stream when configured to, and checks that a stream captures the subjects.
    async fn connect(&self) -> Result<(), TransportError> {
        let unreachable = |reason: String| TransportError::Unreachable { target: self.target(), reason };
        let context = self.context().await.map_err(unreachable)?;
        let client = context.client();
        tokio::time::timeout(self.config.timeout, client.flush())
            .await
            .map_err(|_| unreachable(format!("no connection within {:?}", self.config.timeout)))?
            .map_err(|e| unreachable(e.to_string()))?;
        self.ensure_stream(context).await.map_err(unreachable)?;
        let probe = self.config.subject("probe");
        context
            .stream_by_subject(probe)
            .await
            .map_err(|e| unreachable(format!("no stream captures the subjects: {e}")))?;
        Ok(())
    }

    /// Publishes the whole batch at once; acks are awaited concurrently.
    async fn send_batch(&self, batch: &[OutboundMessage]) -> Vec<SendOutcome> {
        futures::future::join_all(batch.iter().map(|message| self.send_one(message))).await
    }

    /// Flushes what is buffered and closes the connection (a later send is retried, never delivered).
    async fn close(&self) {
        if let Some(context) = self.context.get() {
            let _ = tokio::time::timeout(self.config.timeout, context.client().drain()).await;
        }
    }
}
