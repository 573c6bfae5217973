//! API key text (`cdk_<id>_<secret>`), generation, rotation, verification against a stored record, and scopes.

use chrono::{DateTime, Utc};
use crossdock_store::ApiKeyRecord;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every fixed scope a key may carry. `admin` grants all of them. Besides these, `inbound:<system>` lets
/// a key post to that one connected system's inbound route (see [`inbound_scope`]).
pub const SCOPES: &[&str] = &[
    "pii:read",
    "orders:read",
    "orders:write",
    "inventory:read",
    "inventory:write",
    "events:read",
    "dlq:read",
    "dlq:replay",
    "systems:read",
    "metrics:read",
    "kpis:read",
    "edi:read",
    "edi:write",
    "audit:read",
    "pii:erase",
    "admin",
];

/// The prefix of the per-system inbound scope, `inbound:<system>`.
pub const INBOUND_SCOPE_PREFIX: &str = "inbound:";

/// The scope a key needs to post to `system`'s inbound route.
pub fn inbound_scope(system: &str) -> String {
    format!("{INBOUND_SCOPE_PREFIX}{system}")
}

const PREFIX: &str = "cdk_";
/// Length of the public id: 12 lowercase hex characters (6 random bytes).
const ID_HEX_LEN: usize = 12;
/// Length of the secret: 64 lowercase hex characters (32 random bytes).
const SECRET_HEX_LEN: usize = 64;

/// Why a presented key was refused. Nothing here says whether a key id exists unless its secret matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the API key is not in the form cdk_<id>_<secret>")]
    Malformed,
    #[error("the API key is not valid")]
    Unknown,
    #[error("the API key has been revoked")]
    Revoked,
    #[error("the API key has expired")]
    Expired,
}

impl KeyError {
    /// The problem code answered for this refusal.
    pub fn code(self) -> &'static str {
        match self {
            Self::Malformed | Self::Unknown => "invalid_api_key",
            Self::Revoked => "api_key_revoked",
            Self::Expired => "api_key_expired",
        }
    }
}

/// Creates a key: returns its text (to show once) and the record to store (holding only the secret's hash).
pub fn new_key(name: &str, scopes: Vec<String>, expires_at: Option<DateTime<Utc>>) -> (String, ApiKeyRecord) {
    let id = hex::encode(rand::random::<[u8; ID_HEX_LEN / 2]>());
    let (text, secret_hash) = new_secret(&id);
    let record = ApiKeyRecord {
        id,
        name: name.to_string(),
        secret_hash,
        scopes,
        created_at: Utc::now(),
        expires_at,
        revoked_at: None,
        previous_secret_hash: None,
        previous_valid_until: None,
        rate_limit_per_minute: None,
    };
    (text, record)
}

/// A fresh secret for key `id` (creation or rotation): the key text to show once, and the hash to store.
pub fn new_secret(id: &str) -> (String, String) {
    let secret = hex::encode(rand::random::<[u8; SECRET_HEX_LEN / 2]>());
    let hash = hash_secret(&secret);
    (format!("{PREFIX}{id}_{secret}"), hash)
}

/// Hex SHA-256 of a key's secret part, as stored in `ApiKeyRecord::secret_hash`.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Splits key text into its id and secret, checking the format only.
pub fn parse_key(text: &str) -> Result<(&str, &str), KeyError> {
    let rest = text.strip_prefix(PREFIX).ok_or(KeyError::Malformed)?;
    let (id, secret) = rest.split_once('_').ok_or(KeyError::Malformed)?;
    let lower_hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !lower_hex(id, ID_HEX_LEN) || !lower_hex(secret, SECRET_HEX_LEN) {
        return Err(KeyError::Malformed);
    }
    Ok((id, secret))
}

/// Checks a secret against a stored record in constant time (the current secret, and after a rotation the
/// previous one until its overlap ends), then its revocation and expiry.
pub fn verify_key(record: &ApiKeyRecord, secret: &str, now: DateTime<Utc>) -> Result<(), KeyError> {
    let presented = Sha256::digest(secret.as_bytes());
    let matches = |hash: &str| hex::decode(hash).is_ok_and(|stored| bool::from(presented.as_slice().ct_eq(&stored)));
    let current = matches(&record.secret_hash);
    // Both comparisons always run, so the time taken does not tell which secret matched.
    let previous = record.previous_secret_hash.as_deref().is_some_and(matches);
    let previous_in_overlap = previous && record.previous_valid_until.is_some_and(|until| now < until);
    if !(current || previous_in_overlap) {
        return Err(KeyError::Unknown);
    }
    if record.revoked_at.is_some_and(|at| at <= now) {
        return Err(KeyError::Revoked);
    }
    if record.expires_at.is_some_and(|at| at <= now) {
        return Err(KeyError::Expired);
    }
    Ok(())
}

/// Whether a key with `scopes` may use a route that needs `required`.
pub fn grants(scopes: &[String], required: &str) -> bool {
    scopes.iter().any(|s| s == required || s == "admin")
}

/// Whether `scope` is a known scope: one of [`SCOPES`], or `inbound:<system>` with a plain system name.
pub fn is_known_scope(scope: &str) -> bool {
    if SCOPES.contains(&scope) {
        return true;
    }
    scope.strip_prefix(INBOUND_SCOPE_PREFIX).is_some_and(|system| {
        (1..=64).contains(&system.len())
            && system.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    })
}

/// Checks that every scope is known and that there is at least one; the message lists the known scopes.
pub fn validate_scopes(scopes: &[String]) -> Result<(), String> {
    let known = || format!("{}, inbound:<system>", SCOPES.join(", "));
    if scopes.is_empty() {
        return Err(format!("a key needs at least one scope; known scopes: {}", known()));
    }
    let unknown: Vec<&str> = scopes.iter().map(String::as_str).filter(|s| !is_known_scope(s)).collect();
    if !unknown.is_empty() {
        return Err(format!("unknown scope(s) {}; known scopes: {}", unknown.join(", "), known()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_parse_and_verify() {
        let (text, record) = new_key("ci", vec!["orders:read".into()], None);
        let (id, secret) = parse_key(&text).unwrap();
        assert_eq!(id, record.id);
        assert_eq!(id.len(), 12);
        assert_eq!(secret.len(), 64);
        assert_eq!(record.secret_hash, hash_secret(secret));
        assert_ne!(record.secret_hash, secret);
        assert_eq!(verify_key(&record, secret, Utc::now()), Ok(()));
        let other = "0".repeat(64);
        assert_eq!(verify_key(&record, &other, Utc::now()), Err(KeyError::Unknown));
        let (text2, _) = new_key("ci", vec![], None);
        assert_ne!(text, text2, "keys are random");
    }

    #[test]
    fn revoked_and_expired_keys_are_refused() {
        let now = Utc::now();
        let (text, mut record) = new_key("ci", vec!["admin".into()], Some(now + chrono::Duration::hours(1)));
        let (_, secret) = parse_key(&text).unwrap();
        assert_eq!(verify_key(&record, secret, now + chrono::Duration::hours(2)), Err(KeyError::Expired));
        record.revoked_at = Some(now);
        assert_eq!(verify_key(&record, secret, now), Err(KeyError::Revoked));
    }

    #[test]
    fn malformed_key_text_is_refused() {
        let good_id = "0123456789ab";
        let good_secret = "f".repeat(64);
        for bad in [
            String::new(),
            "cdk_".to_string(),
            format!("xyz_{good_id}_{good_secret}"),
            format!("cdk_{good_id}{good_secret}"),
            format!("cdk_0123456789AB_{good_secret}"),
            format!("cdk_{good_id}_{}", "f".repeat(63)),
            format!("cdk_{good_id}_{good_secret}_"),
        ] {
            assert_eq!(parse_key(&bad), Err(KeyError::Malformed), "{bad}");
        }
        assert!(parse_key(&format!("cdk_{good_id}_{good_secret}")).is_ok());
    }

    #[test]
    fn scopes_are_checked_and_admin_grants_all() {
        assert!(validate_scopes(&["orders:read".into(), "admin".into()]).is_ok());
        assert!(validate_scopes(&[]).is_err());
        let err = validate_scopes(&["orders:delete".into()]).unwrap_err();
        assert!(err.contains("orders:delete") && err.contains("events:read"), "{err}");
        assert!(grants(&["admin".into()], "inventory:write"));
        assert!(grants(&["orders:read".into()], "orders:read"));
        assert!(!grants(&["orders:read".into()], "orders:write"));
        assert!(validate_scopes(&["inbound:shop".into(), "pii:read".into()]).is_ok());
        for bad in ["inbound:", "inbound:a b", "inbound:../x", "Inbound:shop"] {
            assert!(validate_scopes(&[bad.into()]).is_err(), "{bad}");
        }
        assert!(grants(&["inbound:shop".into()], &inbound_scope("shop")));
        assert!(!grants(&["inbound:shop".into()], &inbound_scope("erp")));
        assert!(!grants(&["inbound:shop".into()], "orders:write"));
    }

    #[test]
    fn a_rotated_key_accepts_the_previous_secret_only_during_the_overlap() {
        let now = Utc::now();
        let (old_text, mut record) = new_key("ci", vec!["orders:read".into()], None);
        let (_, old_secret) = parse_key(&old_text).unwrap();
        let (new_text, new_hash) = new_secret(&record.id);
        let (new_id, new_secret) = parse_key(&new_text).unwrap();
        assert_eq!(new_id, record.id, "rotation keeps the id");
        record.previous_secret_hash = Some(std::mem::replace(&mut record.secret_hash, new_hash));
        record.previous_valid_until = Some(now + chrono::Duration::minutes(10));
        assert_eq!(verify_key(&record, new_secret, now), Ok(()));
        assert_eq!(verify_key(&record, old_secret, now), Ok(()), "old secret inside the overlap");
        let after = now + chrono::Duration::minutes(10);
        assert_eq!(verify_key(&record, old_secret, after), Err(KeyError::Unknown), "old secret after the overlap");
        assert_eq!(verify_key(&record, new_secret, after), Ok(()));
        record.revoked_at = Some(now);
        assert_eq!(verify_key(&record, old_secret, now), Err(KeyError::Revoked));
    }
}
