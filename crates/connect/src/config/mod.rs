//! The `[[systems]]` and `[[subscriptions]]` of `crossdock.toml`: parsed and validated without IO, then
//! loaded (secrets read, jq compiled) in a second step.

mod connect;
mod load;
mod secret;
mod subscription;
mod system;

pub use connect::{ConnectConfig, MAX_NAME_LEN, MIN_HMAC_KEY_BYTES};
pub use load::{LoadedConnect, LoadedInbound, LoadedSubscription, LoadedSystem, ResolvedAuth};
pub use secret::{ResolvedSecret, Secret, SecretSource};
pub use subscription::{SubscriptionConfig, pattern_matches};
pub use system::{
    AuthConfig, FileFormat, FileInboxConfig, InboundConfig, NatsConsumerConfig, RetryConfig, Role, SignatureStyle,
    SystemConfig, TransportConfig,
};

#[cfg(test)]
mod tests;
