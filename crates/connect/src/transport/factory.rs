//! The registry of transport factories: from a loaded `[[systems]]` entry to the transport that reaches it.

use super::api::{Transport, TransportError};
use super::file::{FileTransport, FileTransportConfig};
use super::http::{HttpTransport, HttpTransportConfig};
use super::nats::{NatsTransport, NatsTransportConfig};
use crate::config::{LoadedSystem, ResolvedAuth, TransportConfig};
use std::sync::Arc;
use std::time::Duration;

/// Every transport type a system may name, as written in `transport.type`.
pub const KNOWN_TRANSPORTS: [&str; 3] = TransportConfig::KNOWN_TYPES;

/// Checks a transport type name; an unknown one is an error listing the known ones.
pub fn check_transport_type(name: &str) -> Result<(), TransportError> {
    if KNOWN_TRANSPORTS.contains(&name) {
        Ok(())
    } else {
        Err(TransportError::Config(format!(
            "unknown transport type {name:?}; known types: {}",
            KNOWN_TRANSPORTS.join(", ")
        )))
    }
}

/// Builds the transport of any system (http, nats or file). Nothing is connected yet.
pub fn build(system: &LoadedSystem) -> Result<Arc<dyn Transport>, TransportError> {
    let config = &system.config;
    let timeout = Duration::from_millis(config.timeout_ms.max(1));
    match &config.transport {
        TransportConfig::Http { url, batch_max, .. } => {
            Ok(Arc::new(HttpTransport::new(http_config(system, url, *batch_max))?))
        }
        TransportConfig::Nats { url, subject_prefix, stream, create_stream, consumer: _ } => {
            let nats = NatsTransportConfig {
                url: url.clone(),
                subject_prefix: subject_prefix.clone(),
                stream: stream.clone(),
                create_stream: *create_stream,
                timeout,
                client_name: format!("crossdock-{}", config.name),
            };
            Ok(Arc::new(NatsTransport::new(nats)?))
        }
        TransportConfig::File { folder, format: _, inbox: _ } => {
            Ok(Arc::new(FileTransport::new(FileTransportConfig { folder: folder.into() })?))
        }
    }
}

/// The HTTP transport settings of a webhook system reached at `url` with `batch_max` messages per request
/// (from its `transport`): timeout, pool, CA file, signing key or bearer token.
pub fn http_config(system: &LoadedSystem, url: &str, batch_max: u32) -> HttpTransportConfig {
    let config = &system.config;
    let mut http = HttpTransportConfig::new(url);
    http.extra_ca_pem = system.extra_ca_pem.clone();
    http.timeout = Duration::from_millis(config.timeout_ms.max(1));
    // One connection per request in flight: a batch is one request.
    http.max_idle_connections = config.in_flight_limit().div_ceil(batch_max.max(1)).max(1) as usize;
    http.batch_max = batch_max as usize;
    match &system.auth {
        ResolvedAuth::None => {}
        ResolvedAuth::Hmac(key) => http.signing_key = Some(key.clone()),
        ResolvedAuth::Bearer(token) => http.bearer_token = Some(token.expose().to_string()),
    }
    http
}

/// The factory `crate::dispatch::from_config` takes for the types it has no built-in for (nats and file):
/// `from_config(&loaded, &crossdock_connect::transport::factory)`. `None` for http (the dispatcher builds
/// those itself) and for a system whose transport cannot be built (the reason is logged).
pub fn factory(system: &LoadedSystem) -> Option<Arc<dyn Transport>> {
    if matches!(system.config.transport, TransportConfig::Http { .. }) {
        return None;
    }
    match build(system) {
        Ok(transport) => Some(transport),
        Err(error) => {
            tracing::error!(system = %system.config.name, %error, "cannot build the transport");
            None
        }
    }
}
