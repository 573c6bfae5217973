//! Authentication and scopes, checked for every route of `ROUTES` so no route is forgotten.

use crate::helpers::{call, concrete, make_key, request, spawn_app, spawn_app_with, test_state};
use axum::body::Body;
use axum::http::{Method, Request};
use chrono::{Duration, Utc};
use crossdock_server::{ROUTES, auth};
use serde_json::json;
use std::time::Duration as StdDuration;

/// A scope that does not grant `required` (and is not admin).
fn other_scope(required: &str) -> &'static str {
    auth::SCOPES.iter().copied().find(|s| *s != required && *s != "admin").expect("another scope")
}

fn body_for(method: &Method) -> Option<serde_json::Value> {
    (method == Method::POST || method == Method::PUT).then(|| json!({}))
}

#[tokio::test]
async fn every_keyed_route_refuses_missing_bad_revoked_and_expired_keys() {
    let t = test_state().await;
    let store = t.state.store.clone();
    let (revoked_text, revoked) = auth::new_key("revoked", vec!["admin".into()], None);
    store.insert_api_key(&revoked).await.unwrap();
    assert!(store.revoke_api_key(&revoked.id, Utc::now()).await.unwrap());
    let (expired_text, expired) =
        auth::new_key("expired", vec!["admin".into()], Some(Utc::now() - Duration::minutes(1)));
    store.insert_api_key(&expired).await.unwrap();
    let (unknown_text, _) = auth::new_key("never stored", vec!["admin".into()], None);
    let wrong_secret = format!("{}{}", &t.admin[..t.admin.len() - 1], if t.admin.ends_with('0') { '1' } else { '0' });

    let cases: [(Option<&str>, &str); 6] = [
        (None, "missing_api_key"),
        (Some("not-a-key"), "invalid_api_key"),
        (Some(&unknown_text), "invalid_api_key"),
        (Some(&wrong_secret), "invalid_api_key"),
        (Some(&revoked_text), "api_key_revoked"),
        (Some(&expired_text), "api_key_expired"),
    ];
    let mut checked = 0;
    for (method, path, scope) in ROUTES {
        if scope.is_none() {
            continue;
        }
        let path = concrete(path, "o-1");
        for (key, code) in cases {
            let reply = call(&t.state, request(method.clone(), &path, key, body_for(method).as_ref())).await;
            reply.problem(401, code);
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked >= 16 * cases.len(), "every keyed route was checked");
}

#[tokio::test]
async fn every_keyed_route_needs_its_scope_and_admin_grants_all() {
    let t = test_state().await;
    for (method, path, scope) in ROUTES {
        let path = concrete(path, "o-1");
        let Some(scope) = scope else {
            if path.starts_with("/v1/inbound/") {
                continue; // authenticated by the system's signature: see `inbound.rs`
            }
            let reply = call(&t.state, request(method.clone(), &path, None, None)).await;
            assert_eq!(reply.status, 200, "{method} {path} needs no key");
            continue;
        };
        let wrong = make_key(t.state.store.as_ref(), &[other_scope(scope)]).await;
        let reply = call(&t.state, request(method.clone(), &path, Some(&wrong), body_for(method).as_ref())).await;
        reply.problem(403, "insufficient_scope");
        assert!(reply.header("www-authenticate").unwrap().contains(scope), "{method} {path}");
        assert!(reply.body["detail"].as_str().unwrap().contains(scope));

        for key in [make_key(t.state.store.as_ref(), &[scope]).await, t.admin.clone()] {
            let reply = call(&t.state, request(method.clone(), &path, Some(&key), body_for(method).as_ref())).await;
            assert!(![401, 403].contains(&reply.status.as_u16()), "{method} {path} with {scope}: {}", reply.body);
        }
    }
}

#[tokio::test]
async fn x_api_key_header_is_accepted_and_other_schemes_are_not() {
    let t = test_state().await;
    let req = Request::get("/v1/events").header("x-api-key", &t.admin).body(Body::empty()).unwrap();
    assert_eq!(call(&t.state, req).await.status, 200);
    let req =
        Request::get("/v1/events").header("authorization", format!("bearer {}", t.admin)).body(Body::empty()).unwrap();
    assert_eq!(call(&t.state, req).await.status, 200, "the scheme is case-insensitive");
    let req = Request::get("/v1/events").header("authorization", "Basic YTpi").body(Body::empty()).unwrap();
    call(&t.state, req).await.problem(401, "invalid_api_key");
}

#[tokio::test]
async fn revocation_takes_effect_at_once_without_cache() {
    let app = spawn_app_with(|s| s.key_cache_ttl = StdDuration::ZERO).await;
    let (text, record) = auth::new_key("short-lived", vec!["events:read".into()], None);
    app.store.insert_api_key(&record).await.unwrap();
    let get = || app.client.get(app.url("/v1/events")).bearer_auth(&text).send();
    assert_eq!(get().await.unwrap().status(), 200);
    app.store.revoke_api_key(&record.id, Utc::now()).await.unwrap();
    let reply = crate::helpers::read(get().await.unwrap()).await;
    reply.problem(401, "api_key_revoked");
}

#[tokio::test]
async fn revocation_takes_effect_within_the_cache_ttl() {
    let app = spawn_app().await;
    let (text, record) = auth::new_key("cached", vec!["events:read".into()], None);
    app.store.insert_api_key(&record).await.unwrap();
    let get = || app.client.get(app.url("/v1/events")).bearer_auth(&text).send();
    assert_eq!(get().await.unwrap().status(), 200);
    app.store.revoke_api_key(&record.id, Utc::now()).await.unwrap();
    assert!(crossdock_server::DEFAULT_KEY_CACHE_TTL < StdDuration::from_secs(1));
    tokio::time::sleep(crossdock_server::DEFAULT_KEY_CACHE_TTL + StdDuration::from_millis(50)).await;
    assert_eq!(get().await.unwrap().status(), 401);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let t = test_state().await;
    call(&t.state, request(Method::GET, "/v1/nothing", Some(&t.admin), None)).await.problem(404, "not_found");
    call(&t.state, request(Method::DELETE, "/v1/orders", Some(&t.admin), None))
        .await
        .problem(405, "method_not_allowed");
}

#[tokio::test]
async fn openapi_lists_every_route_with_its_method_and_schemas() {
    let t = test_state().await;
    let reply = call(&t.state, request(Method::GET, "/openapi.json", None, None)).await;
    assert_eq!(reply.status, 200);
    let doc = &reply.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (method, path, scope) in ROUTES {
        let operation = &doc["paths"][*path][method.as_str().to_lowercase()];
        assert!(operation.is_object(), "{method} {path} is missing from /openapi.json");
        if let Some(scope) = scope {
            assert_eq!(operation["security"][0]["api_key"][0], *scope, "{method} {path}");
            assert!(operation["responses"]["401"].is_object(), "{method} {path} documents 401");
        }
    }
    let schemas = &doc["components"]["schemas"];
    for name in
        ["Order", "Problem", "PlaceOrderBody", "OrderResponse", "RecordedEvent", "InventoryPosition", "Location"]
    {
        assert!(schemas[name].is_object(), "schema {name} is missing");
    }
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
}
