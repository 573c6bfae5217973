//! Standard Webhooks signatures, written here independently of the hub: `webhook-signature: v1,<base64
//! HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")>` with a `whsec_<base64 key>` secret, checked
//! in constant time and within a replay window around the current real time.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Seconds a timestamp may lie from now, either way.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;
/// Most signatures looked at in one header.
const MAX_SIGNATURES: usize = 8;
/// Longest webhook-id accepted.
const MAX_ID_LEN: usize = 256;

/// A webhook signing secret. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    text: String,
    key: Vec<u8>,
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

/// Why a webhook was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("webhook-id is empty, too long or not visible ascii")]
    BadId,
    #[error("webhook-timestamp is not a unix time in seconds")]
    BadTimestamp,
    #[error("webhook-timestamp is {0} s away from now")]
    OutsideWindow(i64),
    #[error("webhook-signature holds no v1 signature")]
    Malformed,
    #[error("no signature matches the body")]
    Mismatch,
    #[error("secret is not whsec_ followed by base64 of a non-empty key")]
    BadSecret,
}

impl WebhookSecret {
    /// A fresh secret of 32 random bytes.
    pub fn generate(rng: &mut impl Rng) -> Self {
        let key: [u8; 32] = rng.random();
        Self { text: format!("{SECRET_PREFIX}{}", STANDARD.encode(key)), key: key.to_vec() }
    }

    /// Parses `whsec_<base64>`.
    pub fn parse(text: &str) -> Result<Self, VerifyError> {
        let encoded = text.strip_prefix(SECRET_PREFIX).ok_or(VerifyError::BadSecret)?;
        let key = STANDARD.decode(encoded).map_err(|_| VerifyError::BadSecret)?;
        if key.is_empty() {
            return Err(VerifyError::BadSecret);
        }
        Ok(Self { text: text.to_string(), key })
    }

    /// The secret as written in the hub's configuration (`whsec_…`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
        // HMAC accepts keys of any length; an empty-key MAC is a fallback that never matches a real sender.
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value for a message (used by tests and by senders in the simulation).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, &timestamp.to_string(), body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }

    /// The three Standard Webhooks headers for a message.
    pub fn headers(&self, id: &str, timestamp: i64, body: &[u8]) -> [(&'static str, String); 3] {
        [
            ("webhook-id", id.to_string()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", self.sign(id, timestamp, body)),
        ]
    }
}

/// Current real time in unix seconds.
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Checks a received webhook and returns its `webhook-id`.
pub fn verify(
    secret: &WebhookSecret,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<String, VerifyError> {
    let header = |name: &'static str| {
        headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).ok_or(VerifyError::MissingHeader(name))
    };
    let id = header("webhook-id")?;
    let timestamp = header("webhook-timestamp")?;
    let signatures = header("webhook-signature")?;
    if id.is_empty() || id.len() > MAX_ID_LEN || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(VerifyError::BadId);
    }
    let sent: i64 = timestamp.parse().map_err(|_| VerifyError::BadTimestamp)?;
    let skew = now.saturating_sub(sent);
    if skew.saturating_abs() > tolerance_secs {
        return Err(VerifyError::OutsideWindow(skew));
    }
    let expected = secret.mac(id, timestamp, body);
    let mut any = false;
    let mut matched = false;
    for candidate in signatures.split(' ').filter(|s| !s.is_empty()).take(MAX_SIGNATURES) {
        let Some(encoded) = candidate.strip_prefix("v1,") else { continue };
        let Ok(tag) = STANDARD.decode(encoded) else { continue };
        any = true;
        // Every candidate is checked, so the time taken does not tell which one matched.
        matched |= expected.clone().verify_slice(&tag).is_ok();
    }
    match (any, matched) {
        (_, true) => Ok(id.to_string()),
        (false, false) => Err(VerifyError::Malformed),
        (true, false) => Err(VerifyError::Mismatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use rand::SeedableRng;

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn known_answer_of_the_standard_webhooks_spec() {
        // The example of the Standard Webhooks specification.
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        let signature = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn accepts_good_and_refuses_bad_signatures() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let secret = WebhookSecret::generate(&mut rng);
        let other = WebhookSecret::generate(&mut rng);
        assert!(secret.as_str().starts_with("whsec_"));
        assert_eq!(WebhookSecret::parse(secret.as_str()).unwrap(), secret);
        let body = b"{}";
        let now = 1_700_000_000;
        let good = headers(&secret.headers("evt-1", now, body));
        assert_eq!(verify(&secret, &good, body, now + 10, 300), Ok("evt-1".to_string()));
        assert_eq!(verify(&secret, &good, b"{ }", now, 300), Err(VerifyError::Mismatch));
        assert_eq!(verify(&other, &good, body, now, 300), Err(VerifyError::Mismatch));
        assert_eq!(verify(&secret, &good, body, now + 301, 300), Err(VerifyError::OutsideWindow(301)));
        let rotated = [
            ("webhook-id", "evt-1".to_string()),
            ("webhook-timestamp", now.to_string()),
            ("webhook-signature", format!("v1,AAAA {}", secret.sign("evt-1", now, body))),
        ];
        assert!(verify(&secret, &headers(&rotated), body, now, 300).is_ok());
        let garbage = [
            ("webhook-id", "evt-1".to_string()),
            ("webhook-timestamp", "soon".to_string()),
            ("webhook-signature", "v2,zz".to_string()),
        ];
        assert_eq!(verify(&secret, &headers(&garbage), body, now, 300), Err(VerifyError::BadTimestamp));
        let malformed = [garbage[0].clone(), ("webhook-timestamp", now.to_string()), garbage[2].clone()];
        assert_eq!(verify(&secret, &headers(&malformed), body, now, 300), Err(VerifyError::Malformed));
        assert_eq!(verify(&secret, &HeaderMap::new(), body, now, 300), Err(VerifyError::MissingHeader("webhook-id")));
        for bad in ["", "whsec_", "whsec_!!", "secret"] {
            assert_eq!(WebhookSecret::parse(bad), Err(VerifyError::BadSecret), "{bad}");
        }
    }
}
