//! Master keys: the [`KeyProvider`] trait that wraps and unwraps per-customer data keys, and [`MasterKey`],
//! the provider whose key comes from a file or an environment variable (a KMS would be another provider).

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use async_trait::async_trait;
use std::path::Path;

/// Bytes of an AES-256 key.
pub const KEY_LEN: usize = 32;
/// Bytes of an AES-GCM nonce.
pub(crate) const NONCE_LEN: usize = 12;

/// Why PII could not be protected or read. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum PiiError {
    #[error("master key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("master key environment variable {var}: {reason}")]
    KeyEnv { var: String, reason: String },
    #[error("data key {key_id} cannot be unwrapped (another master key, or a damaged row)")]
    Unwrap { key_id: String },
    #[error("a sealed value cannot be decrypted with data key {key_id}")]
    Decrypt { key_id: String },
    #[error("encryption failed")]
    Encrypt,
}

/// Wraps data keys under a master key the store never sees. The built-in one is [`MasterKey`]; a KMS
/// client would implement the same two calls (they are async for that reason).
#[async_trait]
pub trait KeyProvider: Send + Sync + 'static {
    /// Where the master key comes from, for logs and errors (never the key itself).
    fn describe(&self) -> String;
    /// Encrypts a data key; `key_id` is bound to the result so a wrapped key cannot be moved to another row.
    async fn wrap(&self, key_id: &str, data_key: &[u8; KEY_LEN]) -> Result<Vec<u8>, PiiError>;
    /// Decrypts what [`KeyProvider::wrap`] returned for the same `key_id`.
    async fn unwrap(&self, key_id: &str, wrapped: &[u8]) -> Result<[u8; KEY_LEN], PiiError>;
}

/// An AES-256 master key (64 hex characters) read from a file or an environment variable.
pub struct MasterKey {
    cipher: Aes256Gcm,
    source: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey").field("source", &self.source).finish_non_exhaustive()
    }
}

impl MasterKey {
    /// A master key from its 64 hex characters (surrounding whitespace ignored); `source` names where they
    /// came from. The error says what is wrong without echoing the text.
    pub fn from_hex(text: &str, source: impl Into<String>) -> Result<Self, String> {
        let text = text.trim();
        if text.len() != KEY_LEN * 2 {
            return Err(format!("expected {} hex characters, found {}", KEY_LEN * 2, text.len()));
        }
        let bytes = hex::decode(text).map_err(|_| "expected hex characters only (0-9, a-f)".to_string())?;
        let bytes: [u8; KEY_LEN] = bytes.try_into().map_err(|_| "wrong key length".to_string())?;
        Ok(Self::from_bytes(&bytes, source))
    }

    pub fn from_bytes(bytes: &[u8; KEY_LEN], source: impl Into<String>) -> Self {
        Self { cipher: cipher_for(bytes), source: source.into() }
    }

    /// Reads the key file (64 hex characters).
    pub fn from_file(path: &Path) -> Result<Self, PiiError> {
        let error = |reason: String| PiiError::KeyFile { path: path.display().to_string(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        Self::from_hex(&text, format!("file {}", path.display())).map_err(error)
    }

    /// Reads the key from environment variable `var` (64 hex characters).
    pub fn from_env(var: &str) -> Result<Self, PiiError> {
        let error = |reason: String| PiiError::KeyEnv { var: var.to_string(), reason };
        let text = std::env::var(var).map_err(|e| error(e.to_string()))?;
        Self::from_hex(&text, format!("environment variable {var}")).map_err(error)
    }

    /// A fresh random key as 64 hex characters (for `crossdock demo` and for operators creating one).
    pub fn generate_hex() -> String {
        hex::encode(rand::random::<[u8; KEY_LEN]>())
    }

    /// Reads the key file at `path`, first creating it with a fresh key (mode 0600) if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, PiiError> {
        if !path.exists() {
            let error =
                |e: std::io::Error| PiiError::KeyFile { path: path.display().to_string(), reason: e.to_string() };
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(error)?;
            std::io::Write::write_all(&mut file, format!("{}\n", Self::generate_hex()).as_bytes()).map_err(error)?;
            file.sync_all().map_err(error)?;
        }
        Self::from_file(path)
    }
}

fn cipher_for(key: &[u8; KEY_LEN]) -> Aes256Gcm {
    Aes256Gcm::new_from_slice(key).expect("a 32-byte key suits AES-256")
}

/// Associated data binding a wrapped data key to its id.
fn wrap_aad(key_id: &str) -> Vec<u8> {
    format!("crossdock-pii-data-key:{key_id}").into_bytes()
}

#[async_trait]
impl KeyProvider for MasterKey {
    fn describe(&self) -> String {
        self.source.clone()
    }

    async fn wrap(&self, key_id: &str, data_key: &[u8; KEY_LEN]) -> Result<Vec<u8>, PiiError> {
        seal_bytes(&self.cipher, data_key, &wrap_aad(key_id)).ok_or(PiiError::Encrypt)
    }

    async fn unwrap(&self, key_id: &str, wrapped: &[u8]) -> Result<[u8; KEY_LEN], PiiError> {
        let bytes = open_bytes(&self.cipher, wrapped, &wrap_aad(key_id))
            .ok_or_else(|| PiiError::Unwrap { key_id: key_id.to_string() })?;
        bytes.try_into().map_err(|_| PiiError::Unwrap { key_id: key_id.to_string() })
    }
}

/// `nonce || ciphertext+tag` under a fresh random nonce.
pub(crate) fn seal_bytes(cipher: &Aes256Gcm, plaintext: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    let nonce_bytes: [u8; NONCE_LEN] = rand::random();
    let nonce = aes_gcm::Nonce::from(nonce_bytes);
    let sealed = cipher.encrypt(&nonce, Payload { msg: plaintext, aad }).ok()?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&sealed);
    Some(out)
}

/// The plaintext of `nonce || ciphertext+tag`; `None` when it does not authenticate.
pub(crate) fn open_bytes(cipher: &Aes256Gcm, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce_bytes, body) = sealed.split_at(NONCE_LEN);
    let nonce_bytes: [u8; NONCE_LEN] = nonce_bytes.try_into().ok()?;
    let nonce = aes_gcm::Nonce::from(nonce_bytes);
    cipher.decrypt(&nonce, Payload { msg: body, aad }).ok()
}

pub(crate) fn data_cipher(key: &[u8; KEY_LEN]) -> Aes256Gcm {
    cipher_for(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wrap_round_trips_and_binds_the_key_id() {
        let master = MasterKey::from_hex(&MasterKey::generate_hex(), "test").unwrap();
        let data = rand::random::<[u8; KEY_LEN]>();
        let wrapped = master.wrap("k1", &data).await.unwrap();
        assert_eq!(master.unwrap("k1", &wrapped).await.unwrap(), data);
        assert!(matches!(master.unwrap("k2", &wrapped).await, Err(PiiError::Unwrap { .. })));
        let other = MasterKey::from_hex(&MasterKey::generate_hex(), "other").unwrap();
        assert!(other.unwrap("k1", &wrapped).await.is_err());
    }

    #[test]
    fn bad_key_text_is_refused_without_echoing_it() {
        let error = MasterKey::from_hex("abc", "test").unwrap_err();
        assert!(error.contains("64 hex characters"), "{error}");
        let error = MasterKey::from_hex(&"zz".repeat(32), "test").unwrap_err();
        assert!(!error.contains("zz"), "{error}");
        assert!(format!("{:?}", MasterKey::from_hex(&"ab".repeat(32), "test").unwrap()).contains("test"));
    }
}
