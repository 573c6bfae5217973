//! Hostile input: SQL-shaped and script-shaped strings are stored and returned literally (both backends:
//! `literal_strings_round_trip` also runs from `postgres.rs`), and names from the URL cannot reach outside
//! the EDI folders (path traversal).

use crate::helpers::{TestApp, call, order_body, request, spawn_app, test_state};
use axum::http::Method;
use serde_json::json;
use std::sync::Arc;

/// Strings an injection would change, each stored in a free-text field and read back.
pub const HOSTILE: [&str; 5] = [
    "Robert'); DROP TABLE orders;--",
    "' OR '1'='1",
    "<script>alert('x')</script>",
    "\"><img src=x onerror=alert(1)>",
    "50% off_\\; $1 ?? :name",
];

/// Places an order whose free-text fields hold [`HOSTILE`] strings, reads it back, and checks every string
/// came back byte for byte and that the tables are intact (the same store still takes orders).
pub async fn literal_strings_round_trip(app: &TestApp, run: &str) {
    for (n, text) in HOSTILE.iter().enumerate() {
        let mut body = order_body(&format!("hostile-{run}-{n}"));
        body["id"] = json!(format!("h-{run}-{n}"));
        body["sourcing"] = json!({"mode": "manual"});
        body["customer"]["name"] = json!(text);
        body["ship_to"]["name"] = json!(text);
        body["ship_to"]["line1"] = json!(text);
        let placed = app.post("/v1/orders", &body).await;
        assert_eq!(placed.status, 201, "{text}: {}", placed.body);
        let held = app.post(&format!("/v1/orders/h-{run}-{n}/hold"), &json!({"reason": text})).await;
        assert_eq!(held.status, 200, "{text}: {}", held.body);

        let order = app.get(&format!("/v1/orders/h-{run}-{n}")).await;
        assert_eq!(order.status, 200, "{}", order.body);
        let order = &order.body;
        assert_eq!(order["customer"]["name"], *text, "{}", order);
        assert_eq!((order["ship_to"]["name"].as_str(), order["ship_to"]["line1"].as_str()), (Some(*text), Some(*text)));
        assert_eq!(order["hold"], *text, "{}", order);
    }
    // The same strings as query values are parameters, never SQL: refused or matched literally.
    for text in HOSTILE {
        let encoded: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
        let reply = app.get(&format!("/v1/orders?channel={encoded}")).await;
        assert!(reply.status == 200 || reply.status == 400, "{text}: {}", reply.body);
        if reply.status == 200 {
            assert_eq!(reply.body["items"].as_array().map(Vec::len), Some(0), "{text}");
        }
    }
    let after = app.post("/v1/orders", &order_body(&format!("after-{run}"))).await;
    assert_eq!(after.status, 201, "the orders table is intact: {}", after.body);
}

#[tokio::test]
async fn sql_and_script_shaped_strings_are_stored_and_returned_literally() {
    let app = spawn_app().await;
    literal_strings_round_trip(&app, "sqlite").await;
}

#[tokio::test]
async fn edi_partner_names_cannot_leave_the_folder_root() {
    let mut t = test_state().await;
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("edi");
    std::fs::create_dir(&root).unwrap();
    let mut config: crossdock_connect::edi::EdiConfig = serde_json::from_value(json!({
        "local": { "isa_qualifier": "ZZ", "isa_id": "CROSSDOCK", "gs_id": "CROSSDOCK" },
        "partners": [{ "id": "acme", "isa_qualifier": "ZZ", "isa_id": "BUYER", "gs_id": "BUYER" }]
    }))
    .unwrap();
    config.folders = Some(root.display().to_string());
    t.state.edi = Some(Arc::new(config));
    for partner in ["..%2F..%2Fescape", "..", "%2E%2E", "acme%2F..%2F..%2Fescape", "..%5Cescape"] {
        let mut req = request(Method::POST, &format!("/v1/edi/{partner}"), Some(&t.admin), None);
        *req.body_mut() = axum::body::Body::from("ISA*00*");
        let reply = call(&t.state, req).await;
        assert_eq!(reply.status, 404, "{partner}: {}", reply.body);
    }
    let outside: Vec<_> = std::fs::read_dir(outer.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(outside, ["edi"], "nothing written beside the root");
    assert!(crossdock_connect::edi::is_plain_folder_name("acme"));
    for bad in ["", ".", "..", "a/b", "a\\b", "a\0b"] {
        assert!(!crossdock_connect::edi::is_plain_folder_name(bad), "{bad:?}");
    }
}

/// Path parameters that do not decode to UTF-8 and bodies over the limit on the routes that take raw text
/// (X12, CSV) or a plain id: problem documents naming what is wrong, like every other refusal.
#[tokio::test]
async fn bad_path_bytes_and_oversize_raw_bodies_are_problems() {
    let mut t = test_state().await;
    t.state.body_limit = 64;
    let config = serde_json::from_value(json!({
        "local": { "isa_qualifier": "ZZ", "isa_id": "CROSSDOCK", "gs_id": "CROSSDOCK" },
        "partners": [{ "id": "acme", "isa_qualifier": "ZZ", "isa_id": "BUYER", "gs_id": "BUYER" }]
    }))
    .unwrap();
    t.state.edi = Some(Arc::new(config));
    for (method, path, parameter) in [
        (Method::GET, "/v1/dead-letters/%FF", "id"),
        (Method::POST, "/v1/dead-letters/%FF/replay", "id"),
        (Method::POST, "/v1/dead-letters/%FF/discard", "id"),
        (Method::POST, "/v1/keys/%FF/rotate", "id"),
        (Method::POST, "/v1/keys/%FF/revoke", "id"),
        (Method::GET, "/v1/edi/interchanges/%FF", "id"),
        (Method::POST, "/v1/edi/%FF", "partner"),
        (Method::POST, "/v1/inbound/%FF", "system"),
        (Method::GET, "/v1/orders/%FF", "id"),
    ] {
        let reply = call(&t.state, request(method, path, Some(&t.admin), None)).await;
        assert_eq!(reply.problem(400, "invalid_parameter")["parameter"], parameter, "{path}: {}", reply.body);
    }
    let big = "x".repeat(65);
    for path in ["/v1/edi/acme", "/v1/reconciliation/erp"] {
        let mut req = request(Method::POST, path, Some(&t.admin), None);
        *req.body_mut() = axum::body::Body::from(big.clone());
        call(&t.state, req).await.problem(413, "body_too_large");
    }
}
