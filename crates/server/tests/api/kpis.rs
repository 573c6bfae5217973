//! `GET /v1/kpis`: the report from a known history, its scope, and the fold following the log.

use crate::helpers::{TestApp, location_body, make_key, order_body, read, spawn_app};
use axum::http::Method;
use chrono::Utc;
use crossdock_store::{DeliveryOutcome, DeliveryResult, NewDelivery, ScheduleBatch, SubscriptionStart};
use serde_json::{Value, json};

/// Places order `id` at `2026-01-01T00:00Z` with 2 units of SKU-1 and runs it to delivered `hours` later.
async fn deliver_order(app: &TestApp, id: &str, hours: u32) {
    deliver_order_on(app, id, 1, hours).await
}

/// Places order `id` on January `day` 2026 at midnight UTC with 2 units of SKU-1, ships it 2 hours later
/// and has it delivered `hours` after it was placed.
async fn deliver_order_on(app: &TestApp, id: &str, day: u32, hours: u32) {
    let mut body = order_body(&format!("ext-{id}"));
    body["id"] = json!(id);
    body["placed_at"] = json!(format!("2026-01-{day:02}T00:00:00Z"));
    body["sourcing"] = json!({"mode": "manual"});
    assert_eq!(app.post("/v1/orders", &body).await.status, 201);
    let delivered_at = format!("2026-01-{:02}T{:02}:00:00Z", day + hours / 24, hours % 24);
    let steps = [
        ("allocations", json!({"allocations": [{"line_id": "1", "location": "wh-east", "quantity": 2}]})),
        ("release", json!({})),
        (
            "shipments",
            json!({"shipment_id": format!("s-{id}"), "location": "wh-east", "carrier": "UPS",
                   "lines": [{"line_id": "1", "quantity": 2}], "shipped_at": format!("2026-01-{day:02}T02:00:00Z")}),
        ),
        ("deliveries", json!({"shipment_id": format!("s-{id}"), "delivered_at": delivered_at})),
    ];
    for (action, body) in steps {
        let reply = app.post(&format!("/v1/orders/{id}/{action}"), &body).await;
        assert_eq!(reply.status, 200, "{action}: {}", reply.body);
    }
}

async fn kpis(app: &TestApp, key: &str) -> (u16, Value) {
    let reply = read(app.client.get(app.url("/v1/kpis")).bearer_auth(key).send().await.expect("send")).await;
    (reply.status.as_u16(), reply.body)
}

#[tokio::test]
async fn kpis_need_their_scope() {
    let app = spawn_app().await;
    let reply = read(app.client.get(app.url("/v1/kpis")).send().await.expect("send")).await;
    reply.problem(401, "missing_api_key");
    let orders_only = make_key(app.store.as_ref(), &["orders:read"]).await;
    let (status, body) = kpis(&app, &orders_only).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "insufficient_scope", "{body}");
    let kpi_key = make_key(app.store.as_ref(), &["kpis:read"]).await;
    let (status, body) = kpis(&app, &kpi_key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["orders_placed"], 0);
    assert_eq!(body["order_accuracy"], Value::Null, "nothing measured yet");
    assert_eq!(body["systems"], json!([]));
    let bad = app.get("/v1/kpis?budget_ms=0").await;
    bad.problem(400, "invalid_parameter");
    app.get("/v1/kpis?from=x").await.problem(400, "invalid_parameter");
}

#[tokio::test]
async fn what_was_not_measured_is_null_not_zero() {
    let app = spawn_app().await;
    let empty = app.get("/v1/kpis").await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    let b = &empty.body;
    for field in ["fulfilment_cycle_hours", "ship_cycle_hours", "share_under_24h", "order_accuracy"] {
        assert_eq!(b[field], Value::Null, "{field}: {b}");
    }
    // Placed but not shipped: still no cycle time.
    assert_eq!(app.send(Method::PUT, "/v1/locations/wh-east", Some(&location_body()), &[]).await.status, 200);
    let receipt = json!({"sku": "SKU-1", "location": "wh-east", "delta": 10, "reason": "receipt"});
    assert_eq!(app.post("/v1/inventory/adjustments", &receipt).await.status, 200);
    assert_eq!(app.post("/v1/orders", &order_body("o-1")).await.status, 201);
    let placed = app.get("/v1/kpis").await;
    assert_eq!(placed.body["orders_placed"], 1);
    assert_eq!(placed.body["fulfilment_cycle_hours"], Value::Null, "{}", placed.body);
    assert_eq!(placed.body["ship_cycle_hours"], Value::Null, "{}", placed.body);
    // And the OpenAPI document says so.
    let doc = app.get("/openapi.json").await.body;
    let schemas = &doc["components"]["schemas"];
    for property in [
        &schemas["KpiResponse"]["properties"]["fulfilment_cycle_hours"],
        &schemas["KpiResponse"]["properties"]["ship_cycle_hours"],
        &schemas["SystemKpi"]["properties"]["sync_latency_ms"],
    ] {
        assert_eq!(property["oneOf"][0], json!({"type": "null"}), "{property}");
    }
}

#[tokio::test]
async fn kpis_follow_the_event_log() {
    let app = spawn_app().await;
    assert_eq!(app.send(Method::PUT, "/v1/locations/wh-east", Some(&location_body()), &[]).await.status, 200);
    let receipt = json!({"sku": "SKU-1", "location": "wh-east", "delta": 10, "reason": "receipt"});
    assert_eq!(app.post("/v1/inventory/adjustments", &receipt).await.status, 200);
    deliver_order(&app, "o-1", 10).await;

    let first = app.get("/v1/kpis").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let b = &first.body;
    assert_eq!((b["orders_placed"].as_u64(), b["orders_delivered"].as_u64()), (Some(1), Some(1)));
    assert_eq!(b["fulfilment_cycle_hours"], json!({"p50": 10.0, "p90": 10.0, "p99": 10.0}));
    assert_eq!(b["share_under_24h"], 1.0);
    assert_eq!(b["order_accuracy"], 1.0);
    assert_eq!(b["oversold_units"], 0);
    assert_eq!(b["inventory_accuracy"], Value::Null, "no count yet");

    // Later events are folded on top of the earlier ones.
    deliver_order(&app, "o-2", 30).await;
    let count = json!({"sku": "SKU-1", "location": "wh-east", "counted": 5});
    assert_eq!(app.post("/v1/inventory/counts", &count).await.status, 200);
    let second = app.get("/v1/kpis").await;
    let b = &second.body;
    assert!(b["as_of_seq"].as_i64() > first.body["as_of_seq"].as_i64(), "{b}");
    assert_eq!((b["orders_placed"].as_u64(), b["orders_delivered"].as_u64()), (Some(2), Some(2)));
    assert_eq!(b["fulfilment_cycle_hours"], json!({"p50": 10.0, "p90": 30.0, "p99": 30.0}));
    assert_eq!(b["share_under_24h"], 0.5);
    // 10 received, 4 shipped: the hub had 6 where 5 were counted.
    assert_eq!(b["inventory_accuracy"], 0.0);
    assert_eq!(b["sku_locations_counted"], 1);
    assert_eq!(b["dead_letters"], 0);

    // Deliveries to a system: one acknowledged, one dead letter.
    let store = app.store.clone();
    let events = store.events_after(0, 100).await.unwrap();
    store.register_subscription("erp-events", "erp", SubscriptionStart::Beginning).await.unwrap();
    let now = Utc::now();
    let batch = ScheduleBatch {
        subscription: "erp-events".into(),
        system: "erp".into(),
        expected_cursor: 0,
        new_cursor: events[1].seq,
        deliveries: events[..2].iter().map(NewDelivery::pending).collect(),
        now,
    };
    assert!(store.schedule(&batch).await.unwrap());
    let claimed = store.claim("test", std::time::Duration::from_secs(30), now, 10).await.unwrap();
    assert_eq!(claimed.len(), 2, "two aggregates: the location and the position");
    let results = [
        DeliveryResult { id: claimed[0].id, outcome: DeliveryOutcome::Delivered { at: now, latency_ms: 1 } },
        DeliveryResult {
            id: claimed[1].id,
            outcome: DeliveryOutcome::Dead { error: "http 400".into(), request: None, response: None },
        },
    ];
    assert_eq!(store.complete("test", &results).await.unwrap(), 2);
    let third = app.get("/v1/kpis").await;
    let b = &third.body;
    assert_eq!(b["dead_letters"], 1, "{b}");
    let systems = b["systems"].as_array().expect("systems");
    assert_eq!(systems.len(), 1, "{b}");
    assert_eq!((systems[0]["name"].as_str(), systems[0]["deliveries"].as_u64()), (Some("erp"), Some(2)));
    let uptime = systems[0]["uptime"].as_f64().expect("uptime");
    assert!((0.0..1.0).contains(&uptime), "a dead letter fails its minute: {b}");
    // Over the one acknowledged delivery only.
    assert_eq!(systems[0]["sync_latency_ms"]["p50"], systems[0]["sync_latency_ms"]["p99"], "{b}");
    assert!(systems[0]["sync_latency_ms"]["p50"].as_f64().is_some_and(|ms| ms >= 0.0), "{b}");
}

/// `serve` warms the fold at start: it reaches the head of the log with no request, and the next call
/// reports from there (and on top of what came after).
#[tokio::test]
async fn the_fold_is_warmed_up_to_the_head_of_the_log() {
    let mut state = None;
    let app = crate::helpers::spawn_app_with(|s| state = Some(s.clone())).await;
    let state = state.expect("configured");
    assert_eq!(crossdock_server::warm_kpis(&state).await.unwrap(), 0, "an empty log");
    assert_eq!(app.send(Method::PUT, "/v1/locations/wh-east", Some(&location_body()), &[]).await.status, 200);
    let receipt = json!({"sku": "SKU-1", "location": "wh-east", "delta": 10, "reason": "receipt"});
    assert_eq!(app.post("/v1/inventory/adjustments", &receipt).await.status, 200);
    deliver_order(&app, "o-1", 10).await;
    let head = app.store.head_seq().await.unwrap();
    assert!(head > 0);
    assert_eq!(crossdock_server::warm_kpis(&state).await.unwrap(), head);

    deliver_order(&app, "o-2", 30).await;
    let b = app.get("/v1/kpis").await.body;
    assert_eq!(b["as_of_seq"].as_i64(), Some(app.store.head_seq().await.unwrap()));
    assert_eq!((b["orders_placed"].as_u64(), b["orders_delivered"].as_u64()), (Some(2), Some(2)));
    assert_eq!(b["fulfilment_cycle_hours"], json!({"p50": 10.0, "p90": 30.0, "p99": 30.0}));
}

#[tokio::test]
async fn kpis_over_a_period_hold_the_orders_placed_in_it() {
    let app = spawn_app().await;
    assert_eq!(app.send(Method::PUT, "/v1/locations/wh-east", Some(&location_body()), &[]).await.status, 200);
    let receipt = json!({"sku": "SKU-1", "location": "wh-east", "delta": 20, "reason": "receipt"});
    assert_eq!(app.post("/v1/inventory/adjustments", &receipt).await.status, 200);
    deliver_order_on(&app, "o-1", 1, 10).await;
    // Placed on the 2nd, delivered on the 4th: in the 2nd's period although delivered after it.
    deliver_order_on(&app, "o-2", 2, 50).await;
    deliver_order_on(&app, "o-3", 2, 6).await;
    deliver_order_on(&app, "o-4", 3, 4).await;

    let day_two = app.get("/v1/kpis?from=2026-01-02T00:00:00Z&to=2026-01-03T00:00:00Z").await;
    assert_eq!(day_two.status, 200, "{}", day_two.body);
    let b = &day_two.body;
    assert_eq!((b["from"].as_str(), b["to"].as_str()), (Some("2026-01-02T00:00:00Z"), Some("2026-01-03T00:00:00Z")));
    assert_eq!((b["orders_placed"].as_u64(), b["orders_delivered"].as_u64()), (Some(2), Some(2)), "{b}");
    assert_eq!(b["fulfilment_cycle_hours"], json!({"p50": 6.0, "p90": 50.0, "p99": 50.0}));
    assert_eq!(b["share_under_24h"], 0.5);

    // Open-ended periods, and offsets other than Z.
    let from_two = app.get("/v1/kpis?from=2026-01-02T01:00:00%2B01:00").await;
    assert_eq!(from_two.body["orders_placed"], 3, "{}", from_two.body);
    let before_two = app.get("/v1/kpis?to=2026-01-02T00:00:00Z").await;
    assert_eq!(before_two.body["orders_placed"], 1, "{}", before_two.body);
    assert_eq!(before_two.body["fulfilment_cycle_hours"]["p50"], 10.0);
    let everything = app.get("/v1/kpis").await;
    assert_eq!(everything.body["orders_placed"], 4);
    assert_eq!(everything.body["from"], Value::Null);
    let empty = app.get("/v1/kpis?from=2027-01-01T00:00:00Z").await;
    assert_eq!((empty.body["orders_placed"].as_u64(), &empty.body["order_accuracy"]), (Some(0), &Value::Null));

    // Bad values name the parameter.
    let bad_from = app.get("/v1/kpis?from=yesterday").await;
    bad_from.problem(400, "invalid_parameter");
    assert_eq!(bad_from.body["parameter"], "from", "{}", bad_from.body);
    let bad_to = app.get("/v1/kpis?to=2026-13-01T00:00:00Z").await;
    bad_to.problem(400, "invalid_parameter");
    assert_eq!(bad_to.body["parameter"], "to", "{}", bad_to.body);
    let reversed = app.get("/v1/kpis?from=2026-01-03T00:00:00Z&to=2026-01-02T00:00:00Z").await;
    reversed.problem(400, "invalid_parameter");
    assert_eq!(reversed.body["parameter"], "to", "{}", reversed.body);
}

/// The value of the sample `name` (with its labels, as printed) in a Prometheus exposition.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_expose_the_kpis_of_the_report() {
    let app = spawn_app().await;
    assert_eq!(app.send(Method::PUT, "/v1/locations/wh-east", Some(&location_body()), &[]).await.status, 200);
    let receipt = json!({"sku": "SKU-1", "location": "wh-east", "delta": 10, "reason": "receipt"});
    assert_eq!(app.post("/v1/inventory/adjustments", &receipt).await.status, 200);
    deliver_order(&app, "o-1", 10).await;
    deliver_order(&app, "o-2", 30).await;
    deliver_order(&app, "o-3", 3).await;
    let count = json!({"sku": "SKU-1", "location": "wh-east", "counted": 5});
    assert_eq!(app.post("/v1/inventory/counts", &count).await.status, 200);

    let report = app.get("/v1/kpis").await.body;
    let scraper = make_key(app.store.as_ref(), &["metrics:read"]).await;
    let response = app.client.get(app.url("/metrics")).bearer_auth(&scraper).send().await.expect("send");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("text");

    assert_eq!(sample(&text, "crossdock_kpi_orders{state=\"placed\"}"), report["orders_placed"].as_f64());
    assert_eq!(sample(&text, "crossdock_kpi_orders{state=\"delivered\"}"), report["orders_delivered"].as_f64());
    assert_eq!(sample(&text, "crossdock_kpi_order_accuracy"), report["order_accuracy"].as_f64());
    assert_eq!(sample(&text, "crossdock_kpi_inventory_accuracy"), report["inventory_accuracy"].as_f64());
    assert_eq!(sample(&text, "crossdock_kpi_inventory_unit_accuracy"), report["inventory_unit_accuracy"].as_f64());
    assert_eq!(sample(&text, "crossdock_kpi_share_under_24h"), report["share_under_24h"].as_f64());
    assert_eq!(sample(&text, "crossdock_kpi_oversold_units"), Some(0.0));
    // Cycle times 3, 10 and 30 hours: two under 12 h, all three under 36 h; sum 43 h.
    assert_eq!(sample(&text, "crossdock_kpi_fulfilment_cycle_seconds_bucket{le=\"7200\"}"), Some(0.0));
    assert_eq!(sample(&text, "crossdock_kpi_fulfilment_cycle_seconds_bucket{le=\"43200\"}"), Some(2.0));
    assert_eq!(sample(&text, "crossdock_kpi_fulfilment_cycle_seconds_bucket{le=\"129600\"}"), Some(3.0));
    assert_eq!(sample(&text, "crossdock_kpi_fulfilment_cycle_seconds_bucket{le=\"+Inf\"}"), Some(3.0));
    assert_eq!(sample(&text, "crossdock_kpi_fulfilment_cycle_seconds_count"), report["orders_delivered"].as_f64());
    assert_eq!(sample(&text, "crossdock_kpi_fulfilment_cycle_seconds_sum"), Some(43.0 * 3600.0));
    assert!(text.contains("# TYPE crossdock_kpi_fulfilment_cycle_seconds histogram"), "{text}");

    // Per-system uptime and sync latency agree with the report once a system has deliveries.
    let store = app.store.clone();
    let events = store.events_after(0, 100).await.unwrap();
    store.register_subscription("crm-events", "crm", SubscriptionStart::Beginning).await.unwrap();
    let now = Utc::now();
    let batch = ScheduleBatch {
        subscription: "crm-events".into(),
        system: "crm".into(),
        expected_cursor: 0,
        new_cursor: events[0].seq,
        deliveries: vec![NewDelivery::pending(&events[0])],
        now,
    };
    assert!(store.schedule(&batch).await.unwrap());
    let claimed = store.claim("test", std::time::Duration::from_secs(30), now, 10).await.unwrap();
    let acked = DeliveryResult { id: claimed[0].id, outcome: DeliveryOutcome::Delivered { at: now, latency_ms: 1 } };
    assert_eq!(store.complete("test", &[acked]).await.unwrap(), 1);
    let report = app.get("/v1/kpis").await.body;
    let crm = &report["systems"][0];
    assert_eq!(crm["name"], "crm", "{report}");
    let text = app.client.get(app.url("/metrics")).bearer_auth(&scraper).send().await.unwrap().text().await.unwrap();
    assert_eq!(sample(&text, "crossdock_kpi_system_uptime{system=\"crm\"}"), crm["uptime"].as_f64());
    let p99_secs = crm["sync_latency_ms"]["p99"].as_f64().unwrap() / 1000.0;
    assert_eq!(sample(&text, "crossdock_kpi_sync_latency_seconds{system=\"crm\",quantile=\"0.99\"}"), Some(p99_secs));
    assert!(p99_secs > 0.0, "the event was committed before it was acknowledged: {report}");

    // A system whose only delivery is a dead letter has an uptime but no latency sample.
    store.register_subscription("erp-events", "erp", SubscriptionStart::Beginning).await.unwrap();
    let batch = ScheduleBatch { subscription: "erp-events".into(), system: "erp".into(), ..batch };
    assert!(store.schedule(&batch).await.unwrap());
    let claimed = store.claim("test", std::time::Duration::from_secs(30), now, 10).await.unwrap();
    let dead = DeliveryOutcome::Dead { error: "http 400".into(), request: None, response: None };
    assert_eq!(store.complete("test", &[DeliveryResult { id: claimed[0].id, outcome: dead }]).await.unwrap(), 1);
    let report = app.get("/v1/kpis").await.body;
    assert_eq!(report["systems"][1]["name"], "erp", "{report}");
    assert_eq!(report["systems"][1]["sync_latency_ms"], Value::Null, "{report}");
    let text = app.client.get(app.url("/metrics")).bearer_auth(&scraper).send().await.unwrap().text().await.unwrap();
    assert_eq!(sample(&text, "crossdock_kpi_system_uptime{system=\"erp\"}"), Some(0.0), "{text}");
    assert!(!text.contains("crossdock_kpi_sync_latency_seconds{system=\"erp\""), "{text}");
}
