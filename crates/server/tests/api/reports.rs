//! Finance and reconciliation routes over a real socket: the tax report (JSON and CSV), an ERP export
//! compared with the hub's orders, and a WMS count snapshot applied with its accuracy.

use crate::helpers::{Reply, TestApp, location_body, order_body, read, spawn_app};
use axum::http::Method;
use serde_json::{Value, json};

/// Places order `id` (manual sourcing) shipped to `state`/`zip` on `day` of January 2026.
async fn place(app: &TestApp, id: &str, state: &str, zip: &str, day: u32, certificate: Option<&str>) {
    let mut body = order_body(&format!("ext-{id}"));
    body["id"] = json!(id);
    body["sourcing"] = json!({"mode": "manual"});
    body["ship_to"]["region"] = json!(state);
    body["ship_to"]["postal_code"] = json!(zip);
    body["shipping"] = json!({"amount_minor": 500, "currency": "USD"});
    body["placed_at"] = json!(format!("2026-01-{day:02}T12:00:00Z"));
    if let Some(c) = certificate {
        body["tax_exempt_certificate"] = json!(c);
    }
    let reply = app.post("/v1/orders", &body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

async fn post_text(app: &TestApp, path: &str, body: &str) -> Reply {
    let response =
        app.client.post(app.url(path)).bearer_auth(&app.admin).body(body.to_string()).send().await.expect("send");
    read(response).await
}

#[tokio::test]
async fn the_tax_report_sums_per_state_as_json_and_csv() {
    let app = spawn_app().await;
    // Each order: 2 × 19.99 and 5.00 shipping. IL 6.25% (Springfield), NY 8.875% (Manhattan), IL exempt.
    place(&app, "a", "IL", "62701", 5, None).await;
    place(&app, "b", "NY", "10001", 6, None).await;
    place(&app, "c", "IL", "60601", 7, Some("IL-RESALE-7")).await;
    place(&app, "d", "IL", "62701", 20, None).await;
    let reply = app.get("/v1/tax/report?from=2026-01-01T00:00:00Z&to=2026-01-10T00:00:00Z").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let states = reply.body["states"].as_array().expect("states");
    let il = &states[0];
    assert_eq!(
        (il["state"].as_str(), il["orders"].as_u64(), il["exempt_orders"].as_u64()),
        (Some("IL"), Some(2), Some(1))
    );
    // 3998 × 6.25% = 249.875 → 250; shipping 500 × 6.25% = 31.25 → 31.
    assert_eq!(il["tax_minor"], 281);
    assert_eq!((il["taxable_sales_minor"].as_i64(), il["exempt_sales_minor"].as_i64()), (Some(3998), Some(3998)));
    // 3998 × 8.875% = 354.8225 → 355; 500 × 8.875% = 44.375 → 44.
    assert_eq!((states[1]["state"].as_str(), states[1]["tax_minor"].as_i64()), (Some("NY"), Some(399)));
    assert_eq!(reply.body["rates_effective"], "2024-01-01");

    let response = app
        .client
        .get(app.url("/v1/tax/report?to=2026-01-10T00:00:00Z&format=csv"))
        .bearer_auth(&app.admin)
        .send()
        .await
        .expect("send");
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = response.text().await.expect("text");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("state,currency,orders,"));
    assert_eq!(lines[2], "NY,USD,1,0,3998,3998,0,500,500,399,0");

    for (query, parameter) in [
        ("from=yesterday", "from"),
        ("format=xml", "format"),
        ("to=2026-01-01T00:00:00Z&from=2026-02-01T00:00:00Z", "to"),
    ] {
        let reply = app.get(&format!("/v1/tax/report?{query}")).await;
        assert_eq!(reply.problem(400, "invalid_parameter")["parameter"], parameter, "{query}");
    }
}

#[tokio::test]
async fn an_erp_export_is_compared_with_the_hubs_orders() {
    let app = spawn_app().await;
    for (i, id) in ["o-1", "o-2", "o-3"].iter().enumerate() {
        place(&app, id, "IL", "62701", 3 + i as u32, None).await;
    }
    // The ERP has o-1 right, o-2 with another goods total, not o-3, and x-9 that the hub never had.
    let export = "order_id,document_number,currency,ordered_minor,shipping_minor\n\
                  o-1,SO-1,USD,3998,500\n\
                  o-2,SO-2,USD,4000,500\n\
                  x-9,SO-9,USD,100,0\n";
    let reply = post_text(&app, "/v1/reconciliation/erp", export).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!((reply.body["hub_orders"].as_u64(), reply.body["matched"].as_u64()), (Some(3), Some(1)));
    let findings: Vec<(String, String, Value)> = reply.body["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (f["kind"].as_str().unwrap().to_string(), f["order_id"].as_str().unwrap().to_string(), f["field"].clone())
        })
        .collect();
    assert_eq!(
        findings,
        [
            ("missing_in_erp".to_string(), "o-3".to_string(), Value::Null),
            ("missing_in_hub".to_string(), "x-9".to_string(), Value::Null),
            ("amount_differs".to_string(), "o-2".to_string(), json!("ordered_minor")),
        ]
    );
    // The same comparison from JSON, in a period holding o-1 and o-2 only.
    let json_export = json!({"orders": [
        {"order_id": "o-1", "ordered_minor": 3998}, {"order_id": "o-2", "ordered_minor": 3998}
    ]});
    let reply = post_text(
        &app,
        "/v1/reconciliation/erp?from=2026-01-01T00:00:00Z&to=2026-01-05T00:00:00Z",
        &json_export.to_string(),
    )
    .await;
    assert_eq!((reply.body["matched"].as_u64(), reply.body["findings"].as_array().map(Vec::len)), (Some(2), Some(0)));
    // A bad export names where it is wrong.
    let reply =
        post_text(&app, "/v1/reconciliation/erp", r#"{"orders":[{"order_id":"o-1","ordered_minor":"many"}]}"#).await;
    assert_eq!(reply.problem(422, "invalid_export")["pointer"], "/orders/0/ordered_minor");
    let reply = post_text(&app, "/v1/reconciliation/erp", "order_id,shipping_minor\no-1,5.00\n").await;
    let detail = reply.problem(422, "invalid_export")["detail"].as_str().unwrap().to_string();
    assert!(detail.starts_with("row 2, column shipping_minor"), "{detail}");
}

#[tokio::test]
async fn a_count_snapshot_adjusts_on_hand_and_reports_accuracy() {
    let app = spawn_app().await;
    let reply = app.send(Method::PUT, "/v1/locations/wh-east", Some(&location_body()), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    for (sku, units) in [("SKU-1", 10), ("SKU-2", 5), ("SKU-3", 3)] {
        let adjust = json!({"sku": sku, "location": "wh-east", "delta": units, "reason": "receipt"});
        assert_eq!(app.post("/v1/inventory/adjustments", &adjust).await.status, 200);
    }
    let snapshot = json!({"location": "wh-east", "snapshot_id": "cc-1",
        "counts": [{"sku": "SKU-1", "counted": 10}, {"sku": "SKU-2", "counted": 4}]});
    let reply = app.post("/v1/inventory/snapshots", &snapshot).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!((reply.body["skus"].as_u64(), reply.body["matched"].as_u64()), (Some(3), Some(1)));
    let adjustments: Vec<(String, i64)> = reply.body["adjustments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["sku"].as_str().unwrap().to_string(), a["difference"].as_i64().unwrap()))
        .collect();
    assert_eq!(adjustments, [("SKU-2".to_string(), -1), ("SKU-3".to_string(), -3)]);
    let on_hand = |body: &Value, sku: &str| {
        body["items"].as_array().unwrap().iter().find(|p| p["sku"] == sku).map(|p| p["on_hand"].as_i64().unwrap())
    };
    let positions = app.get("/v1/inventory?location=wh-east").await;
    assert_eq!(
        [on_hand(&positions.body, "SKU-1"), on_hand(&positions.body, "SKU-2"), on_hand(&positions.body, "SKU-3")],
        [Some(10), Some(4), Some(0)]
    );
    // The counts feed the inventory accuracy KPI: 1 of 3 sku-locations matched.
    let kpis = app.get("/v1/kpis").await;
    let accuracy = kpis.body["inventory_accuracy"].as_f64().expect("inventory accuracy");
    assert!((accuracy - 1.0 / 3.0).abs() < 1e-9, "{}", kpis.body);
    // The same snapshot again changes nothing; a bad one is refused whole.
    let again = app.post("/v1/inventory/snapshots", &snapshot).await;
    assert_eq!(again.status, 200);
    let bad =
        json!({"location": "wh-east", "counts": [{"sku": "SKU-1", "counted": 1}, {"sku": "SKU-2", "counted": -1}]});
    let reply = app.post("/v1/inventory/snapshots", &bad).await;
    assert_eq!(reply.problem(422, "invalid_snapshot")["pointer"], "/counts/1/counted");
    let positions = app.get("/v1/inventory?location=wh-east").await;
    assert_eq!(on_hand(&positions.body, "SKU-1"), Some(10), "nothing of a refused snapshot is applied");
}
