//! Signature tests: the published Standard Webhooks vector, tampering, wrong keys, stale and future
//! timestamps, malformed headers, key rotation with several signatures, and the body-HMAC style.

use super::*;
use std::time::Duration;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TIMESTAMP: i64 = 1614265330;
const BODY: &[u8] = br#"{"test": 2432232314}"#;
/// Published with the Standard Webhooks reference libraries for the secret, id, timestamp and body above.
const VECTOR: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn key() -> SigningKey {
    SigningKey::parse(SECRET).unwrap()
}

fn headers<'a>(timestamp: &'a str, signature: &'a str) -> WebhookHeaders<'a> {
    WebhookHeaders { id: ID, timestamp, signature }
}

fn check(signature: &str, body: &[u8], now: i64) -> Result<(), SignatureError> {
    verify(&key(), &headers("1614265330", signature), body, now, DEFAULT_TOLERANCE)
}

#[test]
fn the_published_test_vector_is_reproduced() {
    assert_eq!(sign(&key(), ID, TIMESTAMP, BODY), VECTOR);
    assert_eq!(check(VECTOR, BODY, TIMESTAMP), Ok(()));
}

#[test]
fn signed_headers_verify() {
    let k = SigningKey::parse("a-raw-shopify-style-secret").unwrap();
    let sent = signature_headers(&k, "evt_1", 1_700_000_000, b"{}");
    let get = |name: &str| sent.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
    let received = WebhookHeaders::from_lookup(get).unwrap();
    assert_eq!(verify(&k, &received, b"{}", 1_700_000_100, DEFAULT_TOLERANCE), Ok(()));
    let none = WebhookHeaders::from_lookup(|_| None);
    assert_eq!(none.unwrap_err().to_string(), "missing header webhook-id");
}

#[test]
fn a_tampered_body_or_id_is_rejected() {
    assert_eq!(check(VECTOR, br#"{"test": 2432232315}"#, TIMESTAMP), Err(SignatureError::Mismatch));
    let other_id = WebhookHeaders { id: "msg_other", ..headers("1614265330", VECTOR) };
    assert_eq!(verify(&key(), &other_id, BODY, TIMESTAMP, DEFAULT_TOLERANCE), Err(SignatureError::Mismatch));
}

#[test]
fn a_wrong_secret_is_rejected() {
    let wrong = SigningKey::parse("whsec_bm90IHRoZSByaWdodCBrZXkgYXQgYWxs").unwrap();
    let e = verify(&wrong, &headers("1614265330", VECTOR), BODY, TIMESTAMP, DEFAULT_TOLERANCE);
    assert_eq!(e, Err(SignatureError::Mismatch));
}

#[test]
fn stale_and_future_timestamps_are_rejected() {
    assert_eq!(check(VECTOR, BODY, TIMESTAMP + 300), Ok(()), "exactly at the edge of the window");
    assert_eq!(check(VECTOR, BODY, TIMESTAMP - 300), Ok(()));
    let stale = check(VECTOR, BODY, TIMESTAMP + 301).unwrap_err();
    assert_eq!(stale, SignatureError::Stale { age_secs: 301, tolerance_secs: 300 });
    assert_eq!(stale.to_string(), "webhook-timestamp is 301 s old; at most 300 s are accepted");
    let future = check(VECTOR, BODY, TIMESTAMP - 3600).unwrap_err();
    assert_eq!(future, SignatureError::Future { ahead_secs: 3600, tolerance_secs: 300 });
    // A replay of a captured message an hour later fails even though its signature is genuine.
    let narrow = verify(&key(), &headers("1614265330", VECTOR), BODY, TIMESTAMP + 3600, Duration::from_secs(60));
    assert!(matches!(narrow, Err(SignatureError::Stale { .. })));
}

#[test]
fn malformed_headers_are_rejected() {
    for (timestamp, signature, expected) in [
        ("1614265330", "", "malformed signature header: no signature"),
        ("1614265330", "   ", "malformed signature header: no signature"),
        (
            "1614265330",
            "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            "malformed signature header: an entry is not of the form version,signature",
        ),
        ("1614265330", "v1,not*base64", "malformed signature header: a v1 signature is not base64"),
        (
            "1614265330",
            "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            "malformed signature header: no v1 signature",
        ),
        ("1614265330", &"v1,AAAA ".repeat(17), "malformed signature header: more than 16 signatures"),
        ("", VECTOR, "webhook-timestamp \"\" is not a unix time in seconds"),
        ("-1614265330", VECTOR, "webhook-timestamp \"-1614265330\" is not a unix time in seconds"),
        ("1614265330.5", VECTOR, "webhook-timestamp \"1614265330.5\" is not a unix time in seconds"),
        ("99999999999999999999", VECTOR, "webhook-timestamp \"99999999999999999999\" is not a unix time in seconds"),
    ] {
        let e = verify(&key(), &headers(timestamp, signature), BODY, TIMESTAMP, DEFAULT_TOLERANCE).unwrap_err();
        assert_eq!(e.to_string(), expected, "{timestamp:?} {signature:?}");
    }
    // A v1 signature of the wrong length is simply not a match.
    assert_eq!(check("v1,AAAA", BODY, TIMESTAMP), Err(SignatureError::Mismatch));
}

#[test]
fn any_of_several_signatures_may_match() {
    let old_key = SigningKey::parse("whsec_b2xkIGtleSBiZWluZyByb3RhdGVkIG91dA==").unwrap();
    let old = sign(&old_key, ID, TIMESTAMP, BODY);
    assert_eq!(check(&format!("{old} {VECTOR}"), BODY, TIMESTAMP), Ok(()));
    assert_eq!(check(&format!("{VECTOR} {old}"), BODY, TIMESTAMP), Ok(()));
    assert_eq!(check(&format!("v1a,c29tZXRoaW5n {VECTOR}"), BODY, TIMESTAMP), Ok(()), "other versions are skipped");
    assert_eq!(check(&format!("{old} v1,AAAA"), BODY, TIMESTAMP), Err(SignatureError::Mismatch));
}

#[test]
fn secrets_are_parsed_and_never_printed() {
    assert_eq!(key().len(), 24);
    assert_eq!(SigningKey::parse("raw").unwrap().len(), 3);
    assert!(
        SigningKey::parse("whsec_***")
            .unwrap_err()
            .to_string()
            .starts_with("invalid signing secret: the part after whsec_ is not base64")
    );
    assert_eq!(SigningKey::parse("").unwrap_err().to_string(), "invalid signing secret: the key is empty");
    assert_eq!(SigningKey::parse("whsec_").unwrap_err().to_string(), "invalid signing secret: the key is empty");
    assert_eq!(format!("{:?}", key()), "SigningKey(***)");
}

#[test]
fn body_hmac_in_base64_signs_and_verifies() {
    // Shopify signs with the app's secret as raw bytes; this value is HMAC-SHA256("hush", "{}") in base64.
    let k = SigningKey::parse("hush").unwrap();
    let signature = sign_body_base64(&k, b"{}");
    assert_eq!(signature, "UFwgrGBPZilFtmKh8TqcovA78LGYb1BdWu9I4Q2oyRg=");
    assert_eq!(verify_body_base64(&k, &signature, b"{}"), Ok(()));
    assert_eq!(verify_body_base64(&k, &format!(" {signature}\n"), b"{}"), Ok(()), "surrounding whitespace is ignored");
    assert_eq!(verify_body_base64(&k, &signature, b"{ }"), Err(SignatureError::Mismatch), "tampered body");
    let wrong = SigningKey::parse("hash").unwrap();
    assert_eq!(verify_body_base64(&wrong, &signature, b"{}"), Err(SignatureError::Mismatch), "wrong secret");
    assert_eq!(verify_body_base64(&k, "", b"{}").unwrap_err().to_string(), "malformed signature header: no signature");
    assert_eq!(
        verify_body_base64(&k, "%%%", b"{}").unwrap_err().to_string(),
        "malformed signature header: the signature is not base64"
    );
}
