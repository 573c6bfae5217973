//! Builds the dispatcher's systems and subscriptions from the loaded `crossdock.toml` (`config` module):
//! transports from `[[systems]]`, jq filters and mappings as [`Shape`]s.

use super::breaker::BreakerPolicy;
use super::policy::RetryPolicy;
use super::setup::{DispatchError, DispatchSubscription, DispatchSystem};
use super::shape::{Shape, ShapeError, envelope};
use crate::config::{LoadedConnect, LoadedSubscription, LoadedSystem, RetryConfig, TransportConfig};
use crate::mapping::Mapping;
use crate::transport::{HttpTransport, Transport, http_config};
use crossdock_model::RecordedEvent;
use crossdock_store::SubscriptionStart;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// A subscription's jq filter and mapping, run on the event's canonical envelope.
pub struct JqShape {
    pub filter: Option<Mapping>,
    pub mapping: Option<Mapping>,
}

impl Shape for JqShape {
    fn filters(&self) -> bool {
        self.filter.is_some()
    }

    fn selects(&self, event: &RecordedEvent) -> Result<bool, ShapeError> {
        match &self.filter {
            Some(filter) => Ok(filter.matches(envelope(event))?),
            None => Ok(true),
        }
    }

    /// The mapping's first output; a mapping with no output (`empty`) drops the event.
    fn body(&self, event: &RecordedEvent) -> Result<Option<Value>, ShapeError> {
        match &self.mapping {
            Some(mapping) => Ok(mapping.run(envelope(event))?.into_iter().next()),
            None => Ok(Some(envelope(event))),
        }
    }

    fn body_bytes(&self, event: &RecordedEvent) -> Result<Option<Vec<u8>>, ShapeError> {
        match &self.mapping {
            Some(_) => Ok(self.body(event)?.map(|body| serde_json::to_vec(&body).unwrap_or_default())),
            None => Ok(Some(super::shape::envelope_bytes(event))),
        }
    }
}

/// Makes a transport for a system whose transport type the dispatcher has no built-in for (`nats`,
/// `file`); `None` when the caller has none either.
pub type TransportFactory<'a> = &'a dyn Fn(&LoadedSystem) -> Option<Arc<dyn Transport>>;

/// The systems and subscriptions of a loaded config. HTTP systems get an [`HttpTransport`]; other types
/// come from `other_transports`, and a system with no transport is an error naming it (every error at once).
pub fn from_config(
    loaded: &LoadedConnect,
    other_transports: TransportFactory<'_>,
) -> Result<(Vec<DispatchSystem>, Vec<DispatchSubscription>), DispatchError> {
    let mut errors = Vec::new();
    let mut systems = Vec::new();
    for system in &loaded.systems {
        match transport_for(system, other_transports) {
            Ok(transport) => systems.push(dispatch_system(system, transport)),
            Err(error) => errors.push(format!("system {:?}: {error}", system.config.name)),
        }
    }
    if !errors.is_empty() {
        return Err(DispatchError::Setup(errors));
    }
    let subscriptions = loaded.subscriptions.iter().map(dispatch_subscription).collect();
    Ok((systems, subscriptions))
}

fn transport_for(system: &LoadedSystem, other: TransportFactory<'_>) -> Result<Arc<dyn Transport>, String> {
    let config = &system.config;
    match &config.transport {
        TransportConfig::Http { url, batch_max, .. } => {
            let transport = HttpTransport::new(http_config(system, url, *batch_max)).map_err(|e| e.to_string())?;
            Ok(Arc::new(transport))
        }
        other_type => other(system).ok_or_else(|| format!("no {} transport is available", other_type.type_name())),
    }
}

fn dispatch_system(system: &LoadedSystem, transport: Arc<dyn Transport>) -> DispatchSystem {
    let config = &system.config;
    let mut out = DispatchSystem::new(config.name.clone(), transport);
    out.max_in_flight = config.in_flight_limit().max(1) as usize;
    // The transport packs `batch_max` messages per request: hand it slices that can fill one.
    out.request_batch = config.transport.batch_max().max(1) as usize;
    out.batch_size = out.batch_size.max(out.request_batch);
    out.retry = retry_policy(&config.retry);
    out.breaker = BreakerPolicy::default();
    out
}

pub fn retry_policy(config: &RetryConfig) -> RetryPolicy {
    let initial = Duration::from_millis(config.initial_backoff_ms.max(1));
    RetryPolicy {
        initial,
        max: Duration::from_millis(config.max_backoff_ms).max(initial),
        max_attempts: config.max_attempts.max(1),
        max_age: (config.max_age_hours > 0).then(|| Duration::from_secs(config.max_age_hours.saturating_mul(3600))),
    }
}

fn dispatch_subscription(subscription: &LoadedSubscription) -> DispatchSubscription {
    let config = &subscription.config;
    DispatchSubscription {
        name: config.name.clone(),
        system: config.system.clone(),
        event_types: config.events.clone(),
        shape: Arc::new(JqShape { filter: subscription.filter.clone(), mapping: subscription.mapping.clone() }),
        start: SubscriptionStart::Beginning,
    }
}
