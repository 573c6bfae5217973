//! Webhook signatures: Standard Webhooks (HMAC-SHA256 over id, timestamp and body) and the
//! base64 body-HMAC header that commerce platforms send. Every comparison is constant-time.

mod body;
mod error;
mod key;
mod standard;

pub use body::{sign_body_base64, verify_body_base64};
pub use error::SignatureError;
pub use key::{SECRET_PREFIX, SigningKey};
pub use standard::{
    DEFAULT_TOLERANCE, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, MAX_SIGNATURES, WebhookHeaders, sign,
    signature_headers, unix_now, verify,
};

#[cfg(test)]
mod tests;
