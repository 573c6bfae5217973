//! The commerce-platform style: base64(HMAC-SHA256(body)) in one header (e.g. `X-Shopify-Hmac-Sha256`,
//! `X-WC-Webhook-Signature`). It carries no timestamp, so replays are caught only by idempotency keys.

use super::{SignatureError, SigningKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac;

/// The header value for `body`: base64 of its HMAC-SHA256.
pub fn sign_body_base64(key: &SigningKey, body: &[u8]) -> String {
    STANDARD.encode(key.mac(&[body]).finalize().into_bytes())
}

/// Checks a header value against `body`, in constant time.
pub fn verify_body_base64(key: &SigningKey, header_value: &str, body: &[u8]) -> Result<(), SignatureError> {
    let value = header_value.trim();
    if value.is_empty() {
        return Err(SignatureError::Malformed("no signature".into()));
    }
    let tag = STANDARD.decode(value).map_err(|_| SignatureError::Malformed("the signature is not base64".into()))?;
    key.mac(&[body]).verify_slice(&tag).map_err(|_| SignatureError::Mismatch)
}
