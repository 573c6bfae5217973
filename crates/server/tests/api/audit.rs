//! `GET /v1/audit`: a placed order leaves an audit entry naming the key, the request id and the client's
//! address; the route needs `audit:read`, filters by aggregate and actor, and pages with a cursor.

use crate::helpers::{make_key, order_body, read, spawn_app};
use crossdock_server::auth::parse_key;
use serde_json::json;

#[tokio::test]
async fn a_placed_order_yields_an_audit_entry_with_key_id_and_request_id() {
    let app = spawn_app().await;
    let writer = make_key(app.store.as_ref(), &["orders:write"]).await;
    let auditor = make_key(app.store.as_ref(), &["audit:read"]).await;
    let (writer_id, _) = parse_key(&writer).unwrap();

    let mut body = order_body("ext-audit-1");
    body["id"] = json!("o-audit-1");
    let placed = app
        .client
        .post(app.url("/v1/orders"))
        .bearer_auth(&writer)
        .header("x-request-id", "req-audit-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status(), 201);
    let held = app.client.post(app.url("/v1/orders/o-404/hold")).bearer_auth(&writer).json(&json!({"reason": "x"}));
    assert_eq!(held.send().await.unwrap().status(), 404);

    let get = |path: &str, key: &str| app.client.get(app.url(path)).bearer_auth(key.to_string()).send();
    let page = read(get("/v1/audit?aggregate=order:o-audit-1", &auditor).await.unwrap()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let items = page.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", page.body);
    let entry = &items[0];
    assert_eq!(entry["actor"], writer_id);
    assert_eq!(entry["request_id"], "req-audit-1");
    assert!(entry["source"].as_str().unwrap().starts_with("127.0.0.1:"), "{entry}");
    assert_eq!(entry["command"], "place_order");
    assert_eq!((entry["version_before"].as_u64(), entry["version_after"].as_u64()), (Some(0), Some(1)));
    assert_eq!(entry["outcome"], "accepted");
    assert_eq!(entry["hash"].as_str().unwrap().len(), 64);

    // The refused hold is on record too, under the same key.
    let refused = read(get(&format!("/v1/audit?actor={writer_id}&aggregate=o-404"), &auditor).await.unwrap()).await;
    let items = refused.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", refused.body);
    assert_eq!(items[0]["outcome"], "refused:order_not_found");

    // Paging: one entry per page, the cursor continues after it.
    let first = read(get("/v1/audit?limit=1", &auditor).await.unwrap()).await;
    let cursor = first.body["next_cursor"].as_str().expect("a next page").to_string();
    let second = read(get(&format!("/v1/audit?limit=1&cursor={cursor}"), &auditor).await.unwrap()).await;
    assert!(second.body["items"][0]["seq"].as_i64() > first.body["items"][0]["seq"].as_i64(), "{}", second.body);

    // A key without audit:read is refused; a bad filter is named.
    assert_eq!(get("/v1/audit", &writer).await.unwrap().status(), 403);
    let bad = read(get("/v1/audit?from=yesterday", &auditor).await.unwrap()).await;
    bad.problem(400, "invalid_parameter");
    assert!(bad.body["detail"].as_str().unwrap_or_default().contains("from"), "{}", bad.body);
}
