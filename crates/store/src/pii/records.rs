//! Sealing whole records rather than order fields: a delivery's last request and response (each sealed as
//! one string under the data key of the order the event belongs to) and a stored EDI interchange (its bytes
//! encrypted under a fresh content key that is split between the data keys of every subject it carries, so
//! that erasing any one of them makes it unreadable).
//!
//! The split is an XOR secret sharing written here because it is four lines: the content key is the XOR of
//! one random share per subject, each share sealed like any PII value (`pii1.<key id>.<base64>`); a share
//! whose data key is gone leaves the content key unknowable.

use super::cipher::{DataKey, parse_sealed};
use super::provider::{KEY_LEN, data_cipher, open_bytes, seal_bytes};
use super::ring::{ERASED, KeyRing, SEALED};
use crate::StoreError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use std::sync::Arc;

/// What a record sealed under several subjects starts with (then the shares and the body, space-separated).
const SHARED_PREFIX: &str = "pii1x ";
/// Associated data of a shared record's body.
const SHARED_AAD: &[u8] = b"pii1x";

impl KeyRing {
    fn sealing_key(&self, subject: &str) -> Result<&Arc<DataKey>, StoreError> {
        self.by_subject.get(subject).ok_or_else(|| StoreError::Corrupt(format!("no data key loaded for {subject}")))
    }

    /// What an unreadable sealed value reads as: erased with a master key, merely sealed without one.
    fn unreadable(&self) -> &'static str {
        if self.enabled { ERASED } else { SEALED }
    }

    /// The value as one sealed JSON string under `subject`'s data key (which must be in the ring, or the
    /// subject erased: then [`ERASED`]); the value as it is when the store has no master key or there is no
    /// subject.
    pub fn seal_json(&self, subject: Option<&str>, value: &Value) -> Result<Value, StoreError> {
        let Some(subject) = subject.filter(|_| self.enabled) else { return Ok(value.clone()) };
        if self.is_erased(subject) {
            return Ok(Value::String(ERASED.into()));
        }
        let text = serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("record: {e}")))?;
        let sealed = self
            .sealing_key(subject)?
            .seal(&text)
            .ok_or_else(|| StoreError::Corrupt("PII encryption failed".into()))?;
        Ok(Value::String(sealed))
    }

    /// The plaintext value of a [`KeyRing::seal_json`] result ([`ERASED`] once its key is gone); any other
    /// value as it is.
    pub fn open_json(&self, value: Value) -> Value {
        let Value::String(text) = &value else { return value };
        let Some((key_id, _)) = parse_sealed(text) else { return value };
        match self.by_id.get(key_id).and_then(|k| k.as_ref()).and_then(|k| k.open(text)) {
            Some(plain) => serde_json::from_str(&plain).unwrap_or(Value::String(plain)),
            None => Value::String(self.unreadable().into()),
        }
    }

    /// The bytes encrypted under a content key shared between `subjects`' data keys (which must be in the
    /// ring; [`ERASED`] when one of them was erased); the bytes as they are without a master key. At least one
    /// subject is required.
    pub fn seal_shared(&self, subjects: &[String], bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
        if !self.enabled {
            return Ok(bytes.to_vec());
        }
        if subjects.is_empty() {
            return Err(StoreError::Corrupt("a shared record needs at least one subject".into()));
        }
        if subjects.iter().any(|s| self.is_erased(s)) {
            // It could never be opened again: one of its shares would be sealed under no key.
            return Ok(ERASED.as_bytes().to_vec());
        }
        let failed = || StoreError::Corrupt("PII encryption failed".into());
        let content: [u8; KEY_LEN] = rand::random();
        let mut last = content;
        let mut text = String::from(SHARED_PREFIX);
        for (i, subject) in subjects.iter().enumerate() {
            let share: [u8; KEY_LEN] = if i + 1 == subjects.len() { last } else { rand::random() };
            if i + 1 < subjects.len() {
                last.iter_mut().zip(share).for_each(|(l, s)| *l ^= s);
            }
            text.push_str(&self.sealing_key(subject)?.seal(&hex::encode(share)).ok_or_else(failed)?);
            text.push(' ');
        }
        let body = seal_bytes(&data_cipher(&content), bytes, SHARED_AAD).ok_or_else(failed)?;
        text.push_str(&URL_SAFE_NO_PAD.encode(body));
        Ok(text.into_bytes())
    }

    /// The plaintext of a [`KeyRing::seal_shared`] result ([`ERASED`] once any of its keys is gone); any
    /// other bytes as they are.
    pub fn open_shared(&self, bytes: Vec<u8>) -> Vec<u8> {
        let Some(text) = bytes.strip_prefix(SHARED_PREFIX.as_bytes()).and_then(|t| std::str::from_utf8(t).ok()) else {
            return bytes;
        };
        self.open_shared_text(text).unwrap_or_else(|| self.unreadable().as_bytes().to_vec())
    }

    fn open_shared_text(&self, text: &str) -> Option<Vec<u8>> {
        let mut tokens: Vec<&str> = text.split(' ').collect();
        let body = URL_SAFE_NO_PAD.decode(tokens.pop()?).ok()?;
        let mut content = [0u8; KEY_LEN];
        for share in tokens {
            let (key_id, _) = parse_sealed(share)?;
            let plain = self.by_id.get(key_id)?.as_ref()?.open(share)?;
            let share: [u8; KEY_LEN] = hex::decode(plain).ok()?.try_into().ok()?;
            content.iter_mut().zip(share).for_each(|(c, s)| *c ^= s);
        }
        open_bytes(&data_cipher(&content), &body, SHARED_AAD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(subjects: &[&str]) -> KeyRing {
        let mut ring = KeyRing { enabled: true, ..KeyRing::default() };
        for subject in subjects {
            let key = Arc::new(DataKey::new(DataKey::new_id(), subject.to_string(), &rand::random()));
            ring.by_id.insert(key.id.clone(), Some(key.clone()));
            ring.by_subject.insert(subject.to_string(), key);
        }
        ring
    }

    #[test]
    fn a_shared_record_opens_with_every_key_and_not_without_one() {
        let mut ring = ring(&["customer:a", "customer:b", "partner:p"]);
        let subjects: Vec<String> = ["customer:a", "customer:b", "partner:p"].map(String::from).to_vec();
        let sealed = ring.seal_shared(&subjects, b"ISA*Ada Lovelace~").unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("Ada"));
        assert_eq!(ring.open_shared(sealed.clone()), b"ISA*Ada Lovelace~");
        let b = ring.by_subject["customer:b"].id.clone();
        ring.by_id.insert(b, None);
        assert_eq!(ring.open_shared(sealed), ERASED.as_bytes());
        assert_eq!(ring.open_shared(b"ISA*plain~".to_vec()), b"ISA*plain~", "unsealed bytes pass through");
    }

    #[test]
    fn a_sealed_json_value_opens_to_its_value_or_erased() {
        let mut ring = ring(&["customer:a"]);
        let value = serde_json::json!({"body": {"name": "Ada Lovelace"}, "status": 400});
        let sealed = ring.seal_json(Some("customer:a"), &value).unwrap();
        assert!(!sealed.to_string().contains("Ada"));
        assert_eq!(ring.open_json(sealed.clone()), value);
        assert_eq!(ring.seal_json(None, &value).unwrap(), value, "no subject: not sealed");
        ring.by_id.clear();
        assert_eq!(ring.open_json(sealed), Value::String(ERASED.into()));
    }
}
