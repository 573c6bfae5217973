//! Signing keys: a `whsec_`-prefixed base64 secret (Standard Webhooks) or the raw bytes of any other secret.

use super::SignatureError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Prefix of Standard Webhooks secrets; what follows it is the key in base64.
pub const SECRET_PREFIX: &str = "whsec_";

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// An HMAC-SHA256 key. Its `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    /// `whsec_<base64>` decodes the base64 part; any other text is used as raw bytes (as Shopify's and
    /// WooCommerce's webhook secrets are).
    pub fn parse(secret: &str) -> Result<SigningKey, SignatureError> {
        let bytes = match secret.strip_prefix(SECRET_PREFIX) {
            Some(encoded) => STANDARD.decode(encoded).map_err(|e| {
                SignatureError::InvalidSecret(format!("the part after {SECRET_PREFIX} is not base64: {e}"))
            })?,
            None => secret.as_bytes().to_vec(),
        };
        Self::from_bytes(bytes)
    }

    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Result<SigningKey, SignatureError> {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Err(SignatureError::InvalidSecret("the key is empty".into()));
        }
        Ok(SigningKey(bytes))
    }

    /// Key length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A MAC over `parts`, fed in order.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        // HMAC takes keys of any length (long ones are hashed), so this cannot fail; fall back to an
        // empty-key MAC rather than panic should that ever change.
        let mut mac = HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
        for part in parts {
            mac.update(part);
        }
        mac
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}
