//! Connected systems: their configuration, webhook signatures and jq mappings.

pub mod config;
pub mod dispatch;
pub mod mapping;
pub mod signature;
pub mod transport;
