//! Connected systems: their configuration, webhook signatures, jq mappings, outbound transports (HTTP, NATS
//! JetStream, files), inbound consumers (NATS, file inbox) and the dispatcher.

pub mod config;
pub mod dispatch;
pub mod edi;
pub mod inbound;
pub mod mapping;
pub mod signature;
pub mod transport;
