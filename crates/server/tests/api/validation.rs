//! Every shape of refused input: unknown and invalid fields with their pointers, malformed JSON, the
//! content type, the body limit, bad query and path parameters.

use crate::helpers::{call, order_body, request, spawn_app, spawn_app_with, test_state};
use axum::body::{Body, Bytes};
use axum::http::{Method, Request};
use serde_json::{Value, json};

/// A change made to a valid body to break it.
type Change = &'static dyn Fn(&mut Value);

async fn post_order(body: &Value) -> crate::helpers::Reply {
    let t = test_state().await;
    call(&t.state, request(Method::POST, "/v1/orders", Some(&t.admin), Some(body))).await
}

#[tokio::test]
async fn unknown_fields_are_named_by_pointer() {
    let cases: [(&str, Change); 4] = [
        ("/lines/0/colour", &|b| b["lines"][0]["colour"] = json!("red")),
        ("/colour", &|b| b["colour"] = json!("red")),
        ("/ship_to/planet", &|b| b["ship_to"]["planet"] = json!("Mars")),
        ("/lines/0/unit_price/cents", &|b| b["lines"][0]["unit_price"]["cents"] = json!(1)),
    ];
    for (pointer, change) in cases {
        let mut body = order_body("x");
        change(&mut body);
        let reply = post_order(&body).await;
        assert_eq!(reply.body["pointer"], pointer, "{}", reply.body);
        reply.problem(400, "unknown_field");
    }
}

#[tokio::test]
async fn invalid_values_are_named_by_pointer() {
    let cases: [(&str, Change); 6] = [
        ("/currency", &|b| b["currency"] = json!("usd")),
        ("/lines/0/unit_price/currency", &|b| b["lines"][0]["unit_price"]["currency"] = json!("XYZ")),
        ("/lines/0/sku", &|b| b["lines"][0]["sku"] = json!("")),
        ("/lines/0/quantity", &|b| b["lines"][0]["quantity"] = json!(0)),
        ("/customer/email", &|b| b["customer"]["email"] = json!("not an email")),
        ("/ship_to/country", &|b| b["ship_to"]["country"] = json!("XX")),
    ];
    for (pointer, change) in cases {
        let mut body = order_body("x");
        change(&mut body);
        let reply = post_order(&body).await;
        assert_eq!(reply.body["pointer"], pointer, "{}", reply.body);
        reply.problem(422, "invalid_field");
    }
    let mut body = order_body("x");
    body.as_object_mut().unwrap().remove("currency");
    let reply = post_order(&body).await;
    assert_eq!(reply.body["pointer"], "/currency");
    reply.problem(422, "missing_field");
    let mut body = order_body("x");
    body["ship_to"]["city"] = json!(" ");
    let reply = post_order(&body).await;
    assert_eq!(reply.body["pointer"], "/ship_to/city", "the engine's refusals carry pointers too");
    assert_eq!(reply.status, 422);
}

#[tokio::test]
async fn malformed_json_and_wrong_content_type() {
    let t = test_state().await;
    for text in ["{\"channel\":", "not json", "{} {}"] {
        let req = Request::post("/v1/orders")
            .header("authorization", format!("Bearer {}", t.admin))
            .header("content-type", "application/json")
            .body(Body::from(text))
            .unwrap();
        call(&t.state, req).await.problem(400, "malformed_json");
    }
    for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
        let mut req = Request::post("/v1/orders").header("authorization", format!("Bearer {}", t.admin));
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let reply = call(&t.state, req.body(Body::from(order_body("x").to_string())).unwrap()).await;
        reply.problem(415, "unsupported_media_type");
    }
}

#[tokio::test]
async fn oversize_bodies_are_refused_with_413() {
    let t = test_state().await;
    let big = json!({"reason": "x".repeat(crossdock_server::DEFAULT_BODY_LIMIT)});
    let reply = call(&t.state, request(Method::POST, "/v1/orders/o-1/hold", Some(&t.admin), Some(&big))).await;
    reply.problem(413, "body_too_large");

    // Without Content-Length (a stream), the limit is enforced while reading.
    let mut state = t.state.clone();
    state.body_limit = 64;
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..10).map(|_| Ok(Bytes::from(vec![b' '; 16]))).collect();
    let req = Request::post("/v1/orders/o-1/hold")
        .header("authorization", format!("Bearer {}", t.admin))
        .header("content-type", "application/json")
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap();
    call(&state, req).await.problem(413, "body_too_large");
}

#[tokio::test]
async fn oversize_bodies_are_refused_over_a_real_socket() {
    let app = spawn_app_with(|s| s.body_limit = 1024).await;
    let big = json!({"reason": "x".repeat(4096)});
    let reply = app.post("/v1/orders/o-1/hold", &big).await;
    reply.problem(413, "body_too_large");
    assert!(reply.body["detail"].as_str().unwrap().contains("1024"));
}

#[tokio::test]
async fn bad_query_and_path_parameters_are_named() {
    let app = spawn_app().await;
    let cases = [
        ("/v1/orders?status=lost", "status"),
        ("/v1/orders?limit=0", "limit"),
        ("/v1/orders?limit=501", "limit"),
        ("/v1/orders?cursor=garbage", "cursor"),
        ("/v1/orders?updated_since=yesterday", "updated_since"),
        ("/v1/orders?colour=red", "colour"),
        ("/v1/events?after=-1", "after"),
        ("/v1/events?limit=abc", "limit"),
        ("/v1/inventory?sku=a%20b", "sku"),
        ("/v1/orders/a%20b", "id"),
    ];
    for (path, parameter) in cases {
        let reply = app.get(path).await;
        assert_eq!(reply.body["parameter"], parameter, "{path}: {}", reply.body);
        reply.problem(400, "invalid_parameter");
    }
    let reply = app.get("/v1/orders?status=lost").await;
    assert!(reply.body["detail"].as_str().unwrap().contains("on_hold"), "the detail lists the known statuses");
    let reply = app.send(Method::POST, "/v1/orders", Some(&order_body("x")), &[("idempotency-key", "has space")]).await;
    reply.problem(400, "invalid_parameter");
}

#[tokio::test]
async fn a_body_over_the_default_limit_is_refused_over_a_real_socket() {
    let app = spawn_app().await;
    let big = json!({"reason": "x".repeat(2 * crossdock_server::DEFAULT_BODY_LIMIT)});
    let reply = app.post("/v1/orders/o-1/hold", &big).await;
    reply.problem(413, "body_too_large");
}

/// Refused before it is read whole: a client declares a 1 GiB body, sends a few bytes of it and waits; the
/// 413 comes at once, without the rest.
#[tokio::test]
async fn a_declared_oversize_body_is_refused_before_it_is_sent() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /v1/orders/o-1/hold HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: 1073741824\r\n\r\n{{\"reason\": \"",
        app.addr, app.admin
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 512];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), socket.read(&mut answer))
        .await
        .expect("an answer while the body is still owed")
        .unwrap();
    let status = String::from_utf8_lossy(&answer[..read]).lines().next().unwrap_or_default().to_string();
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
}
