//! The handler `serve` gives each inbound consumer (NATS, file inbox): maps a message's body with the
//! system's jq mapping (`inbound.mapping`; without one the body is the command), submits the command under
//! the idempotency key `inbound:<system>:<external id>` as actor `system:<system>` (the audit entry's source
//! is where the message came from: subject or `<file>:<line>`), and returns once it is durable.

use super::{InboundError, InboundHandler, InboundMessage};
use crate::mapping::Mapping;
use crossdock_model::{Command, PlaceOrder};
use crossdock_store::{CommandRequest, Origin, Store, SubmitError};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::Notify;

/// Submits the commands one system sends over its consumer.
#[derive(Clone)]
pub struct SubmitHandler {
    store: Arc<dyn Store>,
    system: String,
    mapping: Option<Mapping>,
    /// Woken after a command wrote events (the dispatcher's), so they go out without waiting for a poll.
    committed: Option<Arc<Notify>>,
}

impl SubmitHandler {
    pub fn new(store: Arc<dyn Store>, system: &str, mapping: Option<Mapping>, committed: Option<Arc<Notify>>) -> Self {
        Self { store, system: system.to_string(), mapping, committed }
    }

    /// The audit actor of this system's commands.
    pub fn actor(&self) -> String {
        format!("system:{}", self.system)
    }

    async fn command(&self, body: &[u8]) -> Result<Option<Command>, InboundError> {
        let refused = |what: &str, e: &dyn std::fmt::Display| InboundError::Permanent(format!("{what}: {e}"));
        let payload: Value = serde_json::from_slice(body).map_err(|e| refused("the body is not JSON", &e))?;
        let output = match self.mapping.clone() {
            None => payload,
            Some(mapping) => {
                let output = tokio::task::spawn_blocking(move || mapping.run_at_most_one(payload))
                    .await
                    .map_err(|e| InboundError::Transient(format!("the mapping did not finish: {e}")))?
                    // A time-out (its limit counts the wait for a worker) may pass next time.
                    .map_err(|e| match e.is_retryable() {
                        true => InboundError::Transient(format!("mapping failed: {e}")),
                        false => refused("mapping failed", &e),
                    })?;
                let Some(output) = output else { return Ok(None) };
                output
            }
        };
        let parsed = if output.get("type").is_some() {
            serde_json::from_value::<Command>(output)
        } else {
            serde_json::from_value::<PlaceOrder>(output).map(Command::PlaceOrder)
        };
        parsed.map(Some).map_err(|e| refused("invalid command", &e))
    }
}

impl InboundHandler for SubmitHandler {
    async fn handle(&self, message: InboundMessage) -> Result<(), InboundError> {
        let Some(command) = self.command(&message.body).await? else { return Ok(()) };
        let request = CommandRequest {
            idempotency_key: format!("inbound:{}:{}", self.system, message.external_id),
            command,
            actor: self.actor(),
            expected_version: None,
            origin: Origin { source: Some(message.source.clone()), request_id: Some(message.external_id.clone()) },
        };
        match self.store.submit(request).await {
            Ok(receipt) => {
                if receipt.event_count > 0
                    && !receipt.replayed
                    && let Some(committed) = &self.committed
                {
                    committed.notify_one();
                }
                Ok(())
            }
            Err(SubmitError::Storage(e)) => Err(InboundError::Transient(format!("storage: {e}"))),
            Err(refused) => Err(InboundError::Permanent(refused.to_string())),
        }
    }
}
