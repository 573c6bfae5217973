//! Transport tests against receivers on 127.0.0.1: headers and signatures, status classification,
//! `Retry-After`, kept responses, timeouts and refused connections.

use super::*;
use crate::signature::{DEFAULT_TOLERANCE, SigningKey, WebhookHeaders, unix_now, verify};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use chrono::{TimeZone, Utc};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    format!("http://{address}/hook")
}

fn message(key: &str, body: &str) -> OutboundMessage {
    OutboundMessage {
        idempotency_key: key.into(),
        event_type: "order.placed".into(),
        seq: 7,
        aggregate_id: "o-1".into(),
        body: body.as_bytes().to_vec(),
        timestamp: Utc::now(),
    }
}

fn transport(url: &str, timeout_ms: u64) -> HttpTransport {
    let mut config = HttpTransportConfig::new(url);
    config.timeout = Duration::from_millis(timeout_ms);
    config.signing_key = Some(SigningKey::parse(SECRET).unwrap());
    config.bearer_token = Some("t0ken".into());
    HttpTransport::new(config).unwrap()
}

#[tokio::test]
async fn signed_headers_verify_and_carry_the_idempotency_key() {
    let seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
    let log = seen.clone();
    let url = serve(Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| async move {
            log.lock().unwrap().push((headers, body));
            StatusCode::NO_CONTENT
        }),
    ))
    .await;
    let http = transport(&url, 2_000);
    http.connect().await.unwrap();
    let outcomes = http.send_batch(&[message("erp:7", r#"{"n":1}"#), message("erp:8", r#"{"n":2}"#)]).await;
    assert_eq!(outcomes, [SendOutcome::Delivered, SendOutcome::Delivered]);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    let key = SigningKey::parse(SECRET).unwrap();
    for (headers, body) in seen.iter() {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let id = get("webhook-id").unwrap();
        assert!(id == "erp:7" || id == "erp:8");
        assert_eq!(get("idempotency-key"), Some(id));
        assert_eq!(get("content-type"), Some("application/json"));
        assert_eq!(get("authorization"), Some("Bearer t0ken"));
        let signed = WebhookHeaders::from_lookup(|name| get(name)).unwrap();
        verify(&key, &signed, body, unix_now(), DEFAULT_TOLERANCE).unwrap();
        let mut tampered = body.to_vec();
        tampered.push(b' ');
        assert!(verify(&key, &signed, &tampered, unix_now(), DEFAULT_TOLERANCE).is_err());
        let wrong = SigningKey::parse("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        assert!(verify(&wrong, &signed, body, unix_now(), DEFAULT_TOLERANCE).is_err());
    }
}

/// A receiver that answers `status` with optional `Retry-After` and body.
async fn answering(status: u16, retry_after: Option<&'static str>, body: String) -> String {
    serve(Router::new().route(
        "/hook",
        post(move || async move {
            let mut headers = HeaderMap::new();
            if let Some(value) = retry_after {
                headers.insert("retry-after", value.parse().unwrap());
            }
            (StatusCode::from_u16(status).unwrap(), headers, body).into_response()
        }),
    ))
    .await
}

#[tokio::test]
async fn statuses_are_classified() {
    let check = |status: u16, retry_after: Option<&'static str>, body: &str| {
        let body = body.to_string();
        async move {
            let url = answering(status, retry_after, body).await;
            transport(&url, 2_000).send_one(&message("k:1", "{}")).await
        }
    };
    assert_eq!(check(200, None, "").await, SendOutcome::Delivered);
    assert_eq!(check(202, None, "queued").await, SendOutcome::Delivered);
    let record = |status, body: &str| Some(ResponseRecord { status, body: body.into(), truncated: false });
    assert_eq!(
        check(503, Some("7"), "busy").await,
        SendOutcome::Retry {
            after: Some(Duration::from_secs(7)),
            error: "http 503".into(),
            response: record(503, "busy")
        }
    );
    assert!(matches!(check(500, None, "").await, SendOutcome::Retry { after: None, .. }));
    assert!(matches!(check(408, None, "").await, SendOutcome::Retry { .. }));
    let later = (Utc::now() + chrono::Duration::seconds(120)).format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let later: &'static str = Box::leak(later.into_boxed_str());
    let SendOutcome::Retry { after: Some(after), .. } = check(429, Some(later), "").await else {
        panic!("429 retries")
    };
    assert!(after > Duration::from_secs(100) && after <= Duration::from_secs(120), "{after:?}");
    assert_eq!(
        check(400, None, "bad sku").await,
        SendOutcome::Reject { error: "http 400".into(), response: record(400, "bad sku") }
    );
    assert!(matches!(check(404, None, "").await, SendOutcome::Reject { .. }));
    assert!(matches!(check(302, None, "").await, SendOutcome::Reject { .. }), "redirects are not followed");
    let big = "x".repeat(100_000);
    let SendOutcome::Reject { response: Some(kept), .. } = check(422, None, &big).await else { panic!("422 rejects") };
    assert_eq!((kept.body.len(), kept.truncated), (64 * 1024, true));
}

#[tokio::test]
async fn timeouts_and_refused_connections_are_retried() {
    let url = serve(Router::new().route(
        "/hook",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            StatusCode::OK
        }),
    ))
    .await;
    let started = std::time::Instant::now();
    let outcome = transport(&url, 200).send_one(&message("k:1", "{}")).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(matches!(&outcome, SendOutcome::Retry { error, .. } if error.starts_with("timed out")), "{outcome:?}");

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}/hook", listener.local_addr().unwrap());
    drop(listener);
    let outcome = transport(&closed, 1_000).send_one(&message("k:1", "{}")).await;
    assert!(matches!(&outcome, SendOutcome::Retry { after: None, .. }), "{outcome:?}");
    assert!(transport(&closed, 1_000).connect().await.is_err());
}

#[test]
fn configuration_errors_are_reported_and_secrets_never_shown() {
    assert!(HttpTransport::new(HttpTransportConfig::new("not a url")).is_err());
    assert!(HttpTransport::new(HttpTransportConfig::new("ftp://example.com/x")).is_err());
    let mut config = HttpTransportConfig::new("http://user:pw@127.0.0.1:1/hook");
    config.bearer_token = Some("very-secret".into());
    let shown = format!("{config:?}");
    assert!(!shown.contains("very-secret"), "{shown}");
    let http = HttpTransport::new(config).unwrap();
    assert_eq!(http.target(), "http://127.0.0.1:1/hook");
    assert_eq!(http.kind(), "http");
}

#[test]
fn retry_after_takes_seconds_or_a_date() {
    let now = Utc.with_ymd_and_hms(2015, 10, 21, 7, 28, 0).unwrap();
    assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
    assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
    assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:29:00 GMT", now), Some(Duration::from_secs(60)));
    assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO), "past date");
    assert_eq!(parse_retry_after("99999999999", now), Some(retry_after::MAX_RETRY_AFTER));
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("-5", now), None);
}

#[test]
fn bodies_are_cut_at_64_kib_on_a_character_boundary() {
    assert_eq!(truncate_body(b"short"), ("short".to_string(), false));
    let text = format!("a{}", "é".repeat(40_000));
    let (kept, cut) = truncate_body(text.as_bytes());
    assert!(cut && kept.len() == 64 * 1024 - 1 && kept[1..].chars().all(|c| c == 'é'), "{}", kept.len());
    let (lossy, _) = truncate_body(&[0xff; 70_000]);
    assert!(lossy.len() <= 64 * 1024);
}

/// A key in the URL's query (`?code=` of Azure Functions) shows nowhere: not in the errors kept with
/// retries and dead letters, not in the target shown in `/v1/systems`, not in config errors or `Debug`.
#[tokio::test]
async fn query_values_of_the_url_never_show() {
    let http = transport("http://user:pw@127.0.0.1:1/hook?code=s3cret&flag#frag", 2_000);
    assert_eq!(http.target(), "http://127.0.0.1:1/hook?code=***&flag=***");
    assert!(!format!("{http:?}").contains("s3cret"));
    let outcome = http.send_batch(&[message("erp:1", "{}")]).await;
    let [SendOutcome::Retry { error, .. }] = outcome.as_slice() else { panic!("{outcome:?}") };
    assert!(error.starts_with("connection failed") && !error.contains("s3cret") && !error.contains("pw"), "{error}");
    assert!(error.contains("code=***"), "the URL is still named, redacted: {error}");

    let config = HttpTransportConfig::new("ftp://127.0.0.1/?code=s3cret");
    assert!(!format!("{config:?}").contains("s3cret"));
    let refused = HttpTransport::new(config).unwrap_err().to_string();
    assert!(refused.contains("scheme must be http or https") && !refused.contains("s3cret"), "{refused}");
    let refused = HttpTransport::new(HttpTransportConfig::new("http://[::1/?code=s3cret")).unwrap_err().to_string();
    assert!(!refused.contains("s3cret"), "{refused}");
}
