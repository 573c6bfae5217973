//! The NATS inbound consumer: a durable JetStream pull consumer with explicit acks. A message is acked only
//! after the handler returns `Ok` (the command is durable), termed on a permanent error and nak'ed on a
//! transient one with a delay that doubles with each attempt (capped), so an outage of any length only
//! slows redelivery down: the consumer has no delivery limit unless `max_deliver` is configured. An unacked
//! message comes back after `ack_wait`.

use super::{InboundError, InboundHandler, InboundMessage, InboundRunError};
use crate::config::{NatsConsumerConfig, SystemConfig, TransportConfig};
use crate::transport::connect_client;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::stream::Config as StreamConfig;
use crossdock_store::redact_url;
use futures::StreamExt;
use std::future::Future;
use std::time::Duration;

/// Longest pause between attempts to (re)create the consumer.
const MAX_SETUP_BACKOFF: Duration = Duration::from_secs(5);
/// Pull errors in a row after which the consumer is set up again.
const MAX_ERRORS_IN_A_ROW: u32 = 20;
/// Longest delay before a message that failed for now is redelivered.
pub const MAX_NAK_DELAY: Duration = Duration::from_secs(300);

/// Everything the consumer needs, from the system's `transport.consumer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsInboundConfig {
    pub system: String,
    pub url: String,
    pub stream: String,
    /// Subject filter (wildcards allowed).
    pub subject: String,
    pub durable: String,
    pub create_stream: bool,
    pub ack_wait: Duration,
    /// Delay before the first redelivery after a transient failure; doubled per attempt up to
    /// `max_nak_delay`.
    pub nak_delay: Duration,
    pub max_nak_delay: Duration,
    /// Deliveries after which the server gives up on a message; `None`: never.
    pub max_deliver: Option<u32>,
    pub batch: u32,
    /// Timeout of JetStream API calls.
    pub timeout: Duration,
}

impl NatsInboundConfig {
    /// The consumer of a nats system with `transport.consumer`; `None` otherwise.
    pub fn from_system(system: &SystemConfig) -> Option<Self> {
        let TransportConfig::Nats { url, consumer: Some(consumer), .. } = &system.transport else { return None };
        Some(Self::new(&system.name, url, consumer, Duration::from_millis(system.timeout_ms.max(1))))
    }

    pub fn new(system: &str, url: &str, consumer: &NatsConsumerConfig, timeout: Duration) -> Self {
        Self {
            system: system.into(),
            url: url.into(),
            stream: consumer.stream.clone(),
            subject: consumer.subject.clone(),
            durable: consumer.durable.clone().unwrap_or_else(|| format!("crossdock-{system}")),
            create_stream: consumer.create_stream,
            ack_wait: Duration::from_millis(consumer.ack_wait_ms.max(1_000)),
            nak_delay: Duration::from_millis(consumer.nak_delay_ms),
            max_nak_delay: MAX_NAK_DELAY,
            max_deliver: consumer.max_deliver.map(|n| n.max(1)),
            batch: consumer.batch.clamp(1, 1_000),
            timeout,
        }
    }

    /// The delay before redelivering a message whose delivery `attempt` (1 for the first) failed for now:
    /// `nak_delay * 2^(attempt-1)`, at most `max_nak_delay`.
    pub fn nak_delay_after(&self, attempt: u64) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(u32::MAX).min(30);
        self.nak_delay.saturating_mul(1 << doublings).min(self.max_nak_delay.max(self.nak_delay))
    }
}

/// Consumes the system's commands until `shutdown` resolves, handing each message to `handler` one at a
/// time (in stream order). Keeps retrying while the server is down or the stream missing; returns an error
/// only for a configuration the client refuses.
pub async fn run<H: InboundHandler>(
    config: NatsInboundConfig,
    handler: H,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), InboundRunError> {
    let target = format!("{} stream {} consumer {}", redact_url(&config.url), config.stream, config.durable);
    let client = connect_client(&config.url, &format!("crossdock-{}-inbound", config.system), config.timeout)
        .await
        .map_err(|reason| InboundRunError::Config(format!("{target}: {reason}")))?;
    let mut context = async_nats::jetstream::new(client);
    context.set_timeout(config.timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut backoff = Duration::from_millis(100);
    loop {
        let consumer = tokio::select! {
            () = &mut shutdown => return Ok(()),
            consumer = consumer(&context, &config) => consumer,
        };
        let consumer = match consumer {
            Ok(consumer) => consumer,
            Err(reason) => {
                tracing::warn!(system = %config.system, %target, %reason, "inbound consumer not ready; retrying");
                tokio::select! {
                    () = &mut shutdown => return Ok(()),
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_SETUP_BACKOFF);
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        // Shutdown is honoured between messages: a message handed to the handler is settled first, so a
        // command already committed is not redelivered after a restart.
        let Some(reason) = consume(&consumer, &config, &handler, &mut shutdown).await else { return Ok(()) };
        tracing::warn!(system = %config.system, %target, %reason, "inbound consumer stopped; restarting");
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            () = tokio::time::sleep(backoff) => {}
        }
    }
}

/// Gets (or creates) the stream, when configured to, and the durable consumer, created or updated to the
/// configuration (an existing one keeps its own only if the server refuses the update).
async fn consumer(
    context: &async_nats::jetstream::Context,
    config: &NatsInboundConfig,
) -> Result<PullConsumer, String> {
    let stream = if config.create_stream {
        let stream = StreamConfig {
            name: config.stream.clone(),
            subjects: vec![config.subject.clone()],
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        };
        context.get_or_create_stream(stream).await.map_err(|e| format!("stream: {e}"))?
    } else {
        context.get_stream(&config.stream).await.map_err(|e| format!("stream: {e}"))?
    };
    let consumer = pull::Config {
        durable_name: Some(config.durable.clone()),
        filter_subject: config.subject.clone(),
        deliver_policy: DeliverPolicy::All,
        ack_policy: AckPolicy::Explicit,
        ack_wait: config.ack_wait,
        // -1: redelivered until settled; transient failures are spaced out by the growing nak delay.
        max_deliver: config.max_deliver.map_or(-1, i64::from),
        ..Default::default()
    };
    // Create-or-update, so a consumer created earlier (e.g. with the old `max_deliver = 100`) is brought
    // to this configuration; a server that cannot update it (older than 2.10, a field that cannot change)
    // leaves it as it is.
    match stream.create_consumer(consumer.clone()).await {
        Ok(consumer) => Ok(consumer),
        Err(error) => {
            tracing::warn!(system = %config.system, durable = %config.durable, %error,
                "cannot update the inbound consumer's configuration; using it as it is");
            stream.get_or_create_consumer(&config.durable, consumer).await.map_err(|e| format!("consumer: {e}"))
        }
    }
}

/// Pulls and settles messages until the message stream ends (returns why) or `shutdown` resolves (returns
/// `None`), which is looked at only between messages: the one in hand is always settled.
async fn consume<H: InboundHandler, S: Future<Output = ()>>(
    consumer: &PullConsumer,
    config: &NatsInboundConfig,
    handler: &H,
    shutdown: &mut std::pin::Pin<&mut S>,
) -> Option<String> {
    let messages = consumer
        .stream()
        .max_messages_per_batch(config.batch as usize)
        .expires(Duration::from_secs(5))
        .heartbeat(Duration::from_secs(2))
        .messages();
    let messages = tokio::select! {
        () = shutdown.as_mut() => return None,
        messages = messages => messages,
    };
    let mut messages = match messages {
        Ok(messages) => messages,
        Err(e) => return Some(format!("cannot pull: {e}")),
    };
    let mut errors_in_a_row = 0u32;
    loop {
        let next = tokio::select! {
            () = shutdown.as_mut() => return None,
            next = messages.next() => next,
        };
        let Some(next) = next else { break };
        let message = match next {
            Ok(message) => message,
            Err(error) => {
                // Missed heartbeats and pull errors while the server is away: the stream recovers itself;
                // a run of errors (a deleted consumer) sets the consumer up again.
                errors_in_a_row += 1;
                if errors_in_a_row >= MAX_ERRORS_IN_A_ROW {
                    return Some(format!("{errors_in_a_row} pull errors in a row, the last: {error}"));
                }
                tracing::debug!(system = %config.system, %error, "pull error");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        errors_in_a_row = 0;
        settle(message, config, handler).await;
    }
    Some("the message stream ended".into())
}

/// Hands one message to the handler and acks, terms or naks it according to the result.
async fn settle<H: InboundHandler>(message: async_nats::jetstream::Message, config: &NatsInboundConfig, handler: &H) {
    let (stream_seq, attempt) = match message.info() {
        Ok(info) => (info.stream_sequence, u64::try_from(info.delivered).unwrap_or(1).max(1)),
        Err(_) => (0, 1),
    };
    let headers: Vec<(String, String)> = message
        .headers
        .iter()
        .flat_map(|map| map.iter())
        .flat_map(|(name, values)| values.iter().map(move |v| (name.to_string(), v.as_str().to_string())))
        .collect();
    let inbound = InboundMessage {
        system: config.system.clone(),
        source: message.subject.to_string(),
        external_id: String::new(),
        headers,
        body: message.payload.to_vec(),
        attempt,
    };
    let external_id = match inbound.header("Nats-Msg-Id") {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => format!("{}:{stream_seq}", config.stream),
    };
    let inbound = InboundMessage { external_id, ..inbound };
    let external_id = inbound.external_id.clone();
    // A slow handler keeps the message from being redelivered meanwhile ("work in progress").
    let handled = handler.handle(inbound);
    let mut handled = std::pin::pin!(handled);
    let mut progress = tokio::time::interval(config.ack_wait / 2);
    progress.tick().await;
    let result = loop {
        tokio::select! {
            result = &mut handled => break result,
            _ = progress.tick() => {
                let _ = message.ack_with(AckKind::Progress).await;
            }
        }
    };
    let (kind, settled) = match &result {
        Ok(()) => ("ack", message.double_ack().await),
        Err(InboundError::Permanent(_)) => ("term", message.ack_with(AckKind::Term).await),
        Err(InboundError::Transient(_)) => {
            ("nak", message.ack_with(AckKind::Nak(Some(config.nak_delay_after(attempt)))).await)
        }
    };
    match &result {
        Err(InboundError::Transient(_)) if config.max_deliver.is_some_and(|max| attempt >= u64::from(max)) => {
            tracing::error!(system = %config.system, %external_id, attempt, "inbound message given up after max_deliver");
        }
        Err(error) => {
            tracing::warn!(system = %config.system, %external_id, attempt, %error, "inbound message not accepted")
        }
        Ok(()) => {}
    }
    if let Err(error) = settled {
        // Redelivered after ack_wait; the handler dedupes on the idempotency key.
        tracing::warn!(system = %config.system, %external_id, kind, %error, "cannot settle an inbound message");
    }
}
