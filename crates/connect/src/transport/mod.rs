//! Outbound transports: how a batch of messages reaches a connected system, and what each one came to.

mod api;
#[cfg(test)]
mod batch_tests;
#[cfg(test)]
mod broker_file_tests;
#[cfg(test)]
pub(crate) mod conformance;
mod factory;
mod file;
mod http;
mod http_batch;
mod nats;
mod retry_after;
#[cfg(test)]
mod tests;

pub use api::{OutboundMessage, ResponseRecord, SendOutcome, Transport, TransportError, truncate_body};
pub use factory::{KNOWN_TRANSPORTS, build, check_transport_type, factory, http_config};
pub use file::{FileTransport, FileTransportConfig, record as file_record};
pub use http::{HttpTransport, HttpTransportConfig, read_ca_file};
pub use http_batch::{BATCH_SIZE_HEADER, MAX_BATCH, batch_id};
pub(crate) use nats::connect_client;
pub use nats::{NatsTransport, NatsTransportConfig, install_default_crypto_provider};
pub use retry_after::parse_retry_after;
