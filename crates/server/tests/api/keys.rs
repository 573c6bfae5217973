//! API keys through the admin routes (`/v1/keys`): create (text shown once), list without secrets, rotation
//! with an overlap, revocation at once despite the key cache, and per-key rate limits (429 + Retry-After).

use crate::helpers::{Reply, call, make_key, read, request, spawn_app_with, test_state};
use axum::http::Method;
use crossdock_server::auth;
use serde_json::json;
use std::num::NonZeroU32;

async fn events_with(app: &crate::helpers::TestApp, key: &str) -> Reply {
    read(app.client.get(app.url("/v1/events")).bearer_auth(key).send().await.unwrap()).await
}

fn secret_of(reply: &Reply) -> String {
    reply.body["secret"].as_str().expect("the answer carries the key text").to_string()
}

#[tokio::test]
async fn create_list_rotate_and_revoke_through_the_admin_routes() {
    // The default cache TTL (500 ms) is on: revocation and rotation through the API must not wait for it.
    let app = spawn_app_with(|_| {}).await;
    let created = app.post("/v1/keys", &json!({"name": "erp", "scopes": ["events:read"]})).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let first = secret_of(&created);
    let id = created.body["key"]["id"].as_str().unwrap().to_string();
    assert!(first.starts_with(&format!("cdk_{id}_")));
    assert_eq!(created.body["key"]["state"], "active");
    assert_eq!(events_with(&app, &first).await.status, 200);

    // The list never shows a secret nor its hash.
    let listed = app.get("/v1/keys").await;
    assert_eq!(listed.status, 200);
    let text = listed.body.to_string();
    let stored = app.store.api_key(&id).await.unwrap().unwrap();
    assert!(!text.contains(&first[first.len() - 64..]) && !text.contains(&stored.secret_hash), "{text}");
    assert!(listed.body["items"].as_array().unwrap().iter().any(|k| k["id"] == id.as_str()));

    // Rotation: a new text; the old one keeps working during the overlap.
    let rotated = app.post(&format!("/v1/keys/{id}/rotate"), &json!({"overlap_secs": 600})).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let second = secret_of(&rotated);
    assert_ne!(second, first);
    assert!(rotated.body["key"]["previous_valid_until"].is_string());
    assert_eq!(events_with(&app, &second).await.status, 200);
    assert_eq!(events_with(&app, &first).await.status, 200, "the old text works during the overlap");

    // Rotating with no overlap ends the previous text at once (though it was just cached).
    let third = secret_of(&app.post(&format!("/v1/keys/{id}/rotate"), &json!({"overlap_secs": 0})).await);
    events_with(&app, &second).await.problem(401, "invalid_api_key");
    events_with(&app, &first).await.problem(401, "invalid_api_key");
    assert_eq!(events_with(&app, &third).await.status, 200);

    // Revocation is effective on the very next request, within the cache TTL.
    let revoked = app.post(&format!("/v1/keys/{id}/revoke"), &json!({})).await;
    assert_eq!((revoked.status.as_u16(), revoked.body["state"].as_str()), (200, Some("revoked")));
    events_with(&app, &third).await.problem(401, "api_key_revoked");
    app.post(&format!("/v1/keys/{id}/rotate"), &json!({})).await.problem(409, "api_key_revoked");
    app.post("/v1/keys/000000000000/revoke", &json!({})).await.problem(404, "key_not_found");
}

#[tokio::test]
async fn create_refuses_bad_bodies_naming_the_field() {
    let t = test_state().await;
    let cases = [
        (json!({"name": "x", "scopes": ["orders:delete"]}), "/scopes"),
        (json!({"name": "x", "scopes": []}), "/scopes"),
        (json!({"name": "x", "scopes": ["inbound:../etc"]}), "/scopes"),
        (json!({"name": " ", "scopes": ["admin"]}), "/name"),
        (json!({"name": "x", "scopes": ["admin"], "expires_at": "2001-01-01T00:00:00Z"}), "/expires_at"),
        (json!({"name": "x", "scopes": ["admin"], "rate_limit_per_minute": 0}), "/rate_limit_per_minute"),
    ];
    for (body, pointer) in cases {
        let reply = call(&t.state, request(Method::POST, "/v1/keys", Some(&t.admin), Some(&body))).await;
        assert_eq!(reply.problem(422, "invalid_field")["pointer"], pointer, "{body}");
    }
    let body = json!({"name": "x", "scopes": ["admin"], "secret": "mine"});
    call(&t.state, request(Method::POST, "/v1/keys", Some(&t.admin), Some(&body))).await.problem(400, "unknown_field");
    assert_eq!(t.state.store.list_api_keys().await.unwrap().len(), 1, "only the admin key exists");
}

#[tokio::test]
async fn keys_with_pii_and_inbound_scopes_reach_nothing_else() {
    let t = test_state().await;
    for scope in ["pii:read", "inbound:shop"] {
        let key = make_key(t.state.store.as_ref(), &[scope]).await;
        for path in ["/v1/orders", "/v1/events", "/v1/keys"] {
            let reply = call(&t.state, request(Method::GET, path, Some(&key), None)).await;
            reply.problem(403, "insufficient_scope");
        }
    }
}

fn over_limit(reply: &Reply) -> u64 {
    reply.problem(429, "rate_limited");
    let retry: u64 = reply.header("retry-after").expect("Retry-After").parse().expect("whole seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    retry
}

#[tokio::test]
async fn each_key_is_rate_limited_with_429_and_retry_after() {
    let app = spawn_app_with(|s| s.rate_limit_per_minute = NonZeroU32::new(3)).await;
    let a = make_key(app.store.as_ref(), &["events:read"]).await;
    let b = make_key(app.store.as_ref(), &["events:read"]).await;
    for _ in 0..3 {
        assert_eq!(events_with(&app, &a).await.status, 200);
    }
    let refused = events_with(&app, &a).await;
    let retry = over_limit(&refused);
    assert!(retry >= 15, "one request in 20 s comes back: {retry}");
    assert!(refused.body["detail"].as_str().unwrap().contains('3'));
    assert_eq!(events_with(&app, &b).await.status, 200, "another key has its own budget");

    // A key's own limit overrides the default, here downwards.
    let (text, mut record) = auth::new_key("slow", vec!["events:read".into()], None);
    record.rate_limit_per_minute = Some(1);
    app.store.insert_api_key(&record).await.unwrap();
    assert_eq!(events_with(&app, &text).await.status, 200);
    let retry = over_limit(&events_with(&app, &text).await);
    assert!(retry >= 59, "one a minute: {retry}");
}

#[tokio::test]
async fn keys_created_with_a_limit_are_limited_without_a_default() {
    let app = spawn_app_with(|_| {}).await;
    let created =
        app.post("/v1/keys", &json!({"name": "c", "scopes": ["events:read"], "rate_limit_per_minute": 2})).await;
    assert_eq!(created.body["key"]["rate_limit_per_minute"], 2);
    let key = secret_of(&created);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(events_with(&app, &key).await.status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 429, 429]);
    // The admin key (no limit of its own, no default) is not limited.
    for _ in 0..20 {
        assert_eq!(app.get("/v1/events").await.status, 200);
    }
}
