//! Why a webhook signature was not accepted.

/// A signature check that failed, or a secret that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing header {0}")]
    MissingHeader(String),
    #[error("webhook-timestamp {0:?} is not a unix time in seconds")]
    InvalidTimestamp(String),
    #[error("webhook-timestamp is {age_secs} s old; at most {tolerance_secs} s are accepted")]
    Stale { age_secs: i64, tolerance_secs: u64 },
    #[error("webhook-timestamp is {ahead_secs} s in the future; at most {tolerance_secs} s are accepted")]
    Future { ahead_secs: i64, tolerance_secs: u64 },
    #[error("malformed signature header: {0}")]
    Malformed(String),
    #[error("no signature matches the body")]
    Mismatch,
    #[error("invalid signing secret: {0}")]
    InvalidSecret(String),
}
