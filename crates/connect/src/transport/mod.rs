//! Outbound transports: how a batch of messages reaches a connected system, and what each one came to.

mod api;
mod http;
mod retry_after;
#[cfg(test)]
mod tests;

pub use api::{OutboundMessage, ResponseRecord, SendOutcome, Transport, TransportError, truncate_body};
pub use http::{HttpTransport, HttpTransportConfig};
pub use retry_after::parse_retry_after;
