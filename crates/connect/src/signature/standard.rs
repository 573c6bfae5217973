//! Standard Webhooks (standardwebhooks.com): `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.

use super::{SignatureError, SigningKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const HEADER_ID: &str = "webhook-id";
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// How far a timestamp may lie from now, either way, by default.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);
/// Most space-separated signatures looked at in one header (senders list several while rotating keys).
pub const MAX_SIGNATURES: usize = 16;

/// The three headers of a Standard Webhooks request, as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookHeaders<'a> {
    pub id: &'a str,
    pub timestamp: &'a str,
    pub signature: &'a str,
}

impl<'a> WebhookHeaders<'a> {
    /// Takes the three headers from a look-up by (lower-case) name; a missing one is an error.
    pub fn from_lookup(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, SignatureError> {
        let need = |name: &str| get(name).ok_or_else(|| SignatureError::MissingHeader(name.to_string()));
        Ok(Self { id: need(HEADER_ID)?, timestamp: need(HEADER_TIMESTAMP)?, signature: need(HEADER_SIGNATURE)? })
    }
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

/// The `webhook-signature` value for a message: `v1,<base64 signature>`.
pub fn sign(key: &SigningKey, id: &str, timestamp: i64, body: &[u8]) -> String {
    let timestamp = timestamp.to_string();
    let tag = key.mac(&[id.as_bytes(), b".", timestamp.as_bytes(), b".", body]).finalize().into_bytes();
    format!("v1,{}", STANDARD.encode(tag))
}

/// All three headers for an outbound message, ready to send.
pub fn signature_headers(key: &SigningKey, id: &str, timestamp: i64, body: &[u8]) -> [(&'static str, String); 3] {
    [
        (HEADER_ID, id.to_string()),
        (HEADER_TIMESTAMP, timestamp.to_string()),
        (HEADER_SIGNATURE, sign(key, id, timestamp, body)),
    ]
}

/// Checks a received message: the timestamp within `tolerance` of `now` (seconds since the epoch), and
/// one of the `v1` signatures in the header matching, compared in constant time.
pub fn verify(
    key: &SigningKey,
    headers: &WebhookHeaders<'_>,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let timestamp = parse_timestamp(headers.timestamp)?;
    let tolerance_secs = tolerance.as_secs();
    let limit = i64::try_from(tolerance_secs).unwrap_or(i64::MAX);
    let age = now.saturating_sub(timestamp);
    if age > limit {
        return Err(SignatureError::Stale { age_secs: age, tolerance_secs });
    }
    if -age > limit {
        return Err(SignatureError::Future { ahead_secs: -age, tolerance_secs });
    }
    let candidates = parse_signatures(headers.signature)?;
    let expected = key.mac(&[headers.id.as_bytes(), b".", headers.timestamp.as_bytes(), b".", body]);
    // Check every candidate, so the time taken does not tell which one matched.
    let mut matched = false;
    for candidate in candidates {
        matched |= expected.clone().verify_slice(&candidate).is_ok();
    }
    if matched { Ok(()) } else { Err(SignatureError::Mismatch) }
}

fn parse_timestamp(text: &str) -> Result<i64, SignatureError> {
    let invalid = || SignatureError::InvalidTimestamp(text.chars().take(32).collect());
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    text.parse().map_err(|_| invalid())
}

/// The decoded `v1` signatures of a header; signatures of other versions are skipped.
fn parse_signatures(header: &str) -> Result<Vec<Vec<u8>>, SignatureError> {
    let entries: Vec<&str> = header.split_ascii_whitespace().collect();
    if entries.is_empty() {
        return Err(SignatureError::Malformed("no signature".into()));
    }
    if entries.len() > MAX_SIGNATURES {
        return Err(SignatureError::Malformed(format!("more than {MAX_SIGNATURES} signatures")));
    }
    let mut v1 = Vec::new();
    for entry in entries {
        let Some((version, encoded)) = entry.split_once(',') else {
            return Err(SignatureError::Malformed("an entry is not of the form version,signature".into()));
        };
        if version == "v1" {
            let decoded = STANDARD
                .decode(encoded)
                .map_err(|_| SignatureError::Malformed("a v1 signature is not base64".into()))?;
            v1.push(decoded);
        }
    }
    if v1.is_empty() {
        return Err(SignatureError::Malformed("no v1 signature".into()));
    }
    Ok(v1)
}
