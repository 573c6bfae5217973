//! Data keys and sealed values: a PII string is stored as `pii1.<key id>.<base64url(nonce || ciphertext)>`,
//! encrypted with AES-256-GCM under its customer's data key (the key id is the associated data).

use super::provider::{KEY_LEN, data_cipher, open_bytes, seal_bytes};
use aes_gcm::Aes256Gcm;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// What every sealed value starts with.
pub(crate) const SEALED_PREFIX: &str = "pii1.";

/// An unwrapped data key, ready to seal and open values.
pub(crate) struct DataKey {
    pub id: String,
    /// Whose PII it protects (`customer:<id>` or `order:<id>`).
    pub subject: String,
    cipher: Aes256Gcm,
}

impl DataKey {
    pub fn new(id: String, subject: String, key: &[u8; KEY_LEN]) -> Self {
        Self { cipher: data_cipher(key), id, subject }
    }

    /// A fresh random id (32 hex characters) for a new data key.
    pub fn new_id() -> String {
        hex::encode(rand::random::<[u8; 16]>())
    }

    pub fn seal(&self, plaintext: &str) -> Option<String> {
        let sealed = seal_bytes(&self.cipher, plaintext.as_bytes(), self.id.as_bytes())?;
        Some(format!("{SEALED_PREFIX}{}.{}", self.id, URL_SAFE_NO_PAD.encode(sealed)))
    }

    /// The plaintext of a value sealed under this key; `None` when it is not one.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let (key_id, body) = parse_sealed(sealed)?;
        if key_id != self.id {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(body).ok()?;
        String::from_utf8(open_bytes(&self.cipher, &bytes, self.id.as_bytes())?).ok()
    }
}

/// The key id and body of a sealed value; `None` for any other text.
pub(crate) fn parse_sealed(text: &str) -> Option<(&str, &str)> {
    text.strip_prefix(SEALED_PREFIX)?.split_once('.')
}

/// The key ids of every sealed value inside a JSON text, found without parsing it.
pub(crate) fn sealed_key_ids(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices(SEALED_PREFIX).filter_map(|(at, _)| {
        let rest = &text[at + SEALED_PREFIX.len()..];
        let id = rest.split('.').next()?;
        (!id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_round_trip_and_are_bound_to_their_key() {
        let key = DataKey::new(DataKey::new_id(), "customer:c1".into(), &rand::random());
        let sealed = key.seal("Ada Lovelace").unwrap();
        assert!(sealed.starts_with(SEALED_PREFIX));
        assert!(!sealed.contains("Ada"));
        assert_ne!(sealed, key.seal("Ada Lovelace").unwrap(), "a fresh nonce each time");
        assert_eq!(key.open(&sealed).as_deref(), Some("Ada Lovelace"));
        let other = DataKey::new(DataKey::new_id(), "customer:c1".into(), &rand::random());
        assert_eq!(other.open(&sealed), None);
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(key.open(&tampered), None);
        let text = format!(r#"{{"a":"{sealed}","b":"pii1.zz","c":"plain"}}"#);
        assert_eq!(sealed_key_ids(&text).collect::<Vec<_>>(), vec![key.id.as_str()]);
    }
}
