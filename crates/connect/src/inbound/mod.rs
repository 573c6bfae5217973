//! Inbound consumers: messages a system sends over a broker or a file drop, each handed to a caller-supplied
//! handler that maps it and submits the command; a message is settled (acked, moved) only after the handler
//! says so.
//!
//! ```ignore
//! // In `serve`, once per system; returns when `shutdown` resolves.
//! let handler = |message: InboundMessage| async move { /* map, submit, await durability */ Ok(()) };
//! crossdock_connect::inbound::run(&system.config, handler, shutdown).await?;
//! ```

#[cfg(test)]
mod failure_tests;
pub mod file;
pub mod nats;
mod submit;
#[cfg(test)]
mod tests;

pub use submit::SubmitHandler;

use crate::config::{SystemConfig, TransportConfig};
use std::future::Future;

/// One message from a system: a NATS message, or one line of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// The system's name from `[[systems]]`.
    pub system: String,
    /// Where it came from: the NATS subject, or `<file name>:<line>`.
    pub source: String,
    /// Stable across redeliveries, for the command's idempotency key (`<system>:<external_id>`): the
    /// `Nats-Msg-Id` header, else `<stream>:<stream sequence>`; for a file line, its `idempotency_key` field,
    /// else `<file name>:<first 16 hex digits of the file's SHA-256>:<line>`.
    pub external_id: String,
    /// Message headers (NATS); empty for files.
    pub headers: Vec<(String, String)>,
    /// The payload exactly as received (one line, without its newline, for files).
    pub body: Vec<u8>,
    /// 1 on the first delivery (NATS); always 1 for files.
    pub attempt: u64,
}

impl InboundMessage {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// How handling a message failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    /// Refused for good (unparseable, mapping error, invalid command): never redelivered. The handler
    /// records it where operators look (dead letters, logs) before returning.
    #[error("refused: {0}")]
    Permanent(String),
    /// Failed for now (store busy, shutting down): redelivered later, on NATS after a delay that grows with
    /// each attempt. Only when the consumer has a `max_deliver` does the server stop redelivering after it:
    /// the handler should then record a transient failure whose `attempt` has reached it as it would a
    /// permanent one.
    #[error("failed for now: {0}")]
    Transient(String),
}

/// What settles an inbound message: maps it to a command and returns once that command is durable.
/// Closures `Fn(InboundMessage) -> impl Future<Output = Result<(), InboundError>>` are handlers.
pub trait InboundHandler: Send + Sync + 'static {
    fn handle(&self, message: InboundMessage) -> impl Future<Output = Result<(), InboundError>> + Send;
}

impl<F, Fut> InboundHandler for F
where
    F: Fn(InboundMessage) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), InboundError>> + Send,
{
    fn handle(&self, message: InboundMessage) -> impl Future<Output = Result<(), InboundError>> + Send {
        self(message)
    }
}

/// An inbound consumer that could not start.
#[derive(Debug, thiserror::Error)]
pub enum InboundRunError {
    #[error("invalid inbound configuration: {0}")]
    Config(String),
    #[error("cannot use {target}: {reason}")]
    Io { target: String, reason: String },
}

/// Whether the system has an inbound consumer (`transport.consumer` for nats, `transport.inbox` for file).
pub fn has_consumer(system: &SystemConfig) -> bool {
    match &system.transport {
        TransportConfig::Nats { consumer, .. } => consumer.is_some(),
        TransportConfig::File { inbox, .. } => inbox.is_some(),
        TransportConfig::Http { .. } => false,
    }
}

/// Runs the system's inbound consumer until `shutdown` resolves: [`nats::run`] or [`file::run`]; returns
/// `Ok(())` at once for a system without one (see [`has_consumer`]). Connection losses are retried inside;
/// only an unusable configuration is an error.
pub async fn run<H: InboundHandler>(
    system: &SystemConfig,
    handler: H,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), InboundRunError> {
    if let Some(config) = nats::NatsInboundConfig::from_system(system) {
        return nats::run(config, handler, shutdown).await;
    }
    if let Some(config) = file::FileInboundConfig::from_system(system) {
        return file::run(config, handler, shutdown).await;
    }
    Ok(())
}
