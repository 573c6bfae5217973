//! `GET /v1/systems` and `GET /metrics`: per-system role, target without secrets, deliveries by state,
//! lag, oldest undelivered age, circuit state (with a dispatcher), latency histogram; scopes.

use crate::dead_letters::dead_letters;
use crate::helpers::{call, make_key, request, test_state};
use axum::http::Method;
use crossdock_connect::config::{ConnectConfig, LoadedConnect};
use crossdock_connect::dispatch::{DispatchOptions, Dispatcher, from_config};
use serde_json::json;
use std::sync::Arc;

/// Two systems: an ERP on a webhook signed with a secret, a WMS without auth.
pub fn two_systems() -> LoadedConnect {
    let config: ConnectConfig = serde_json::from_value(json!({
        "systems": [
            {"name": "erp", "role": "erp", "transport": {"type": "http", "url": "http://127.0.0.1:9/erp"},
             "auth": {"type": "hmac", "secret": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}},
            {"name": "wms", "role": "wms", "transport": {"type": "http", "url": "http://127.0.0.1:9/wms"}}
        ],
        "subscriptions": [
            {"name": "to-erp", "system": "erp", "events": ["order.*"]},
            {"name": "to-wms", "system": "wms", "events": ["*"]}
        ]
    }))
    .unwrap();
    config.load_with_env("test.toml", std::path::Path::new("."), &|_| None).unwrap()
}

#[tokio::test]
async fn systems_show_role_target_deliveries_lag_and_circuit() {
    let mut t = test_state().await;
    let loaded = two_systems();
    let (systems, subscriptions) = from_config(&loaded, &|_| None).unwrap();
    let dispatcher =
        Dispatcher::new(t.state.store.clone(), systems, subscriptions, DispatchOptions::default()).unwrap();
    t.state.connect = Some(Arc::new(loaded));
    t.state.dispatcher = Some(dispatcher);
    let dead = dead_letters(t.state.store.as_ref(), "to-erp", "erp", 2).await;
    t.state.store.register_subscription("to-wms", "wms", crossdock_store::SubscriptionStart::Beginning).await.unwrap();

    let reply = call(&t.state, request(Method::GET, "/v1/systems", Some(&t.admin), None)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let head = reply.body["head_seq"].as_i64().unwrap();
    assert!(head >= 2);
    let items = reply.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let (erp, wms) = (&items[0], &items[1]);
    assert_eq!((erp["name"].as_str(), erp["role"].as_str()), (Some("erp"), Some("erp")));
    assert_eq!(erp["transport"], "http");
    assert_eq!(erp["target"], "http://127.0.0.1:9/erp");
    assert_eq!(erp["circuit"], "closed");
    assert_eq!(erp["dead_letters"], json!(dead.len()));
    assert_eq!(erp["lag"], 0);
    assert!(erp["last_error"].is_string() && erp["last_error_at"].is_string(), "{erp}");
    assert!(erp["attempts"]["delivered"].is_u64());
    assert_eq!(wms["lag"], json!(head), "wms has examined nothing yet");
    assert!(wms["oldest_undelivered_age_secs"].as_f64().unwrap() >= 0.0);
    assert!(!reply.body.to_string().contains("c2VjcmV0"), "no secret in the answer");

    let reader = make_key(t.state.store.as_ref(), &["systems:read"]).await;
    assert_eq!(call(&t.state, request(Method::GET, "/v1/systems", Some(&reader), None)).await.status, 200);
    let other = make_key(t.state.store.as_ref(), &["dlq:read"]).await;
    call(&t.state, request(Method::GET, "/v1/systems", Some(&other), None)).await.problem(403, "insufficient_scope");
    call(&t.state, request(Method::GET, "/v1/systems", None, None)).await.problem(401, "missing_api_key");
}

#[tokio::test]
async fn metrics_are_prometheus_text_per_system() {
    let mut t = test_state().await;
    let loaded = two_systems();
    let (systems, subscriptions) = from_config(&loaded, &|_| None).unwrap();
    t.state.dispatcher =
        Some(Dispatcher::new(t.state.store.clone(), systems, subscriptions, DispatchOptions::default()).unwrap());
    t.state.connect = Some(Arc::new(loaded));
    let dead = dead_letters(t.state.store.as_ref(), "to-erp", "erp", 1).await;

    let response = crossdock_server::app(t.state.clone()).oneshot_text("/metrics", &t.admin).await;
    let (status, content_type, text) = response;
    assert_eq!(status, 200, "{text}");
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    for line in [
        format!("crossdock_dead_letters{{system=\"erp\"}} {}", dead.len()),
        format!("crossdock_deliveries{{system=\"erp\",state=\"dead\"}} {}", dead.len()),
        "crossdock_circuit_state{system=\"erp\",state=\"closed\"} 1".to_string(),
        "crossdock_circuit_state{system=\"erp\",state=\"open\"} 0".to_string(),
        "crossdock_delivery_latency_seconds_bucket{system=\"wms\",le=\"+Inf\"} 0".to_string(),
        "crossdock_delivery_latency_seconds_count{system=\"erp\"} 0".to_string(),
        "crossdock_delivery_attempts_total{system=\"erp\",outcome=\"delivered\"} 0".to_string(),
        "crossdock_system_lag_events{system=\"erp\"} 0".to_string(),
        "# TYPE crossdock_delivery_latency_seconds histogram".to_string(),
        "# TYPE crossdock_oldest_undelivered_age_seconds gauge".to_string(),
    ] {
        assert!(text.contains(&line), "missing {line:?} in:\n{text}");
    }
    let scraper = make_key(t.state.store.as_ref(), &["metrics:read"]).await;
    assert_eq!(call(&t.state, request(Method::GET, "/metrics", Some(&scraper), None)).await.status, 200);
    call(&t.state, request(Method::GET, "/metrics", None, None)).await.problem(401, "missing_api_key");
}

/// Reads a response as text, for the non-JSON `/metrics`.
trait OneshotText {
    async fn oneshot_text(self, path: &str, key: &str) -> (u16, String, String);
}

impl OneshotText for axum::Router {
    async fn oneshot_text(self, path: &str, key: &str) -> (u16, String, String) {
        use tower::ServiceExt;
        let response = self.oneshot(request(Method::GET, path, Some(key), None)).await.unwrap();
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, content_type, String::from_utf8_lossy(&bytes).into_owned())
    }
}
