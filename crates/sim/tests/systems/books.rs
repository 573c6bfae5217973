//! The ERP and the CRM in isolation: document numbers, invoices and credit notes, the reconciliation
//! export; the customer timeline. Neither calls the hub for events.

use super::fake_hub::{FakeHub, released_order};
use super::{clock, context, envelope, post_signed, secret};
use crossdock_sim::catalog::default_sites;
use crossdock_sim::faults::FaultConfig;
use crossdock_sim::systems::crm::Crm;
use crossdock_sim::systems::erp::{Erp, Reconciliation};
use crossdock_sim::systems::start_system;
use serde_json::{Value, json};
use std::sync::Arc;

fn placed(seq: i64, id: &str, customer: &str) -> Value {
    let mut order = released_order(id, &[("1", "SKU-A", 2), ("2", "SKU-B", 1)], None, "10001");
    order["customer"] = json!({"id": customer, "email": format!("{customer}@example.com")});
    order["shipping"] = json!({"amount_minor": 599, "currency": "USD"});
    envelope(seq, id, json!({"type": "order.placed", "order": order}))
}

fn life_of(order_id: &str, first_seq: i64) -> Vec<Value> {
    vec![
        envelope(
            first_seq,
            order_id,
            json!({"type": "order.lines_cancelled", "order_id": order_id,
            "lines": [{"line_id": "2", "quantity": 1}], "released": [], "reason": "customer asked"}),
        ),
        envelope(
            first_seq + 1,
            order_id,
            json!({"type": "order.shipment_confirmed", "order_id": order_id,
            "shipment": {"id": format!("{order_id}-s1"), "location": "wh-east", "carrier": "SimParcel",
                "lines": [{"line_id": "1", "quantity": 2}], "shipped_at": "2025-01-07T10:00:00Z"}}),
        ),
        envelope(
            first_seq + 2,
            order_id,
            json!({"type": "order.delivery_confirmed", "order_id": order_id,
            "shipment_id": format!("{order_id}-s1"), "delivered_at": "2025-01-09T15:00:00Z"}),
        ),
        envelope(
            first_seq + 3,
            order_id,
            json!({"type": "order.return_recorded", "order_id": order_id,
            "return": {"id": format!("{order_id}-r1"), "location": "store-nyc", "received_at": "2025-01-12T12:00:00Z",
                "lines": [{"line_id": "1", "quantity": 1, "reason": "no_longer_needed", "disposition": "resellable"}]}}),
        ),
    ]
}

#[tokio::test]
async fn the_erp_numbers_documents_and_reconciles() {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let erp = Arc::new(Erp::new(context("erp", &hub, &clock, FaultConfig::default()), Arc::new(default_sites())));
    let running = start_system(erp.clone(), secret(7)).await.unwrap();
    let url = running.webhook_url();
    let mut events = vec![placed(1, "o1", "c1"), placed(2, "o2", "c2")];
    events.extend(life_of("o1", 3));
    for (i, event) in events.iter().enumerate() {
        assert_eq!(post_signed(&url, &running.secret, &format!("w{i}"), event).await.status(), 200);
    }
    // The same event under another webhook id (a replay) is booked once.
    assert_eq!(post_signed(&url, &running.secret, "replayed", &events[3]).await.status(), 200);

    assert_eq!(erp.document_number("o1").as_deref(), Some("SO-0000001"));
    assert_eq!(erp.document_number("o2").as_deref(), Some("SO-0000002"));
    let export: Reconciliation =
        reqwest::get(format!("{}/reconciliation", running.base_url())).await.unwrap().json().await.unwrap();
    let direct = erp.reconciliation();
    assert_eq!(serde_json::to_value(&export.orders).unwrap(), serde_json::to_value(&direct.orders).unwrap());
    let o1 = export.orders.iter().find(|o| o.order_id == "o1").unwrap();
    assert_eq!((o1.ordered_minor, o1.shipping_minor, o1.cancelled_minor), (3000, 599, 1000));
    assert_eq!(o1.invoices.len(), 1);
    assert_eq!((o1.invoices[0].number.as_str(), o1.invoices[0].amount_minor), ("INV-0000001", 2000));
    assert_eq!((o1.credit_notes[0].number.as_str(), o1.credited_minor), ("CN-0000001", 1000));
    assert_eq!((o1.deliveries, o1.status.as_str()), (1, "order.return_recorded"));
    assert_eq!(export.totals.orders, 2);
    assert_eq!(export.totals.ordered_minor, 6000);
    assert_eq!(export.totals.invoiced_minor, 2000);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reconciliation.json");
    erp.export_reconciliation(&path).unwrap();
    let file: Reconciliation = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(file.totals, export.totals);

    // As master of locations, the ERP puts every site on the hub.
    assert_eq!(erp.put_locations().await.unwrap(), default_sites().len());
    let puts = hub.requests_to("PUT", "");
    assert_eq!(puts.len(), default_sites().len());
    assert_eq!(puts[0].path, "/v1/locations/wh-east");
    assert_eq!(puts[0].body["kind"], "warehouse");
    running.stop().await;
}

#[tokio::test]
async fn the_crm_keeps_a_timeline_per_customer() {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let crm = Arc::new(Crm::new(context("crm", &hub, &clock, FaultConfig::default())));
    let running = start_system(crm.clone(), secret(8)).await.unwrap();
    let url = running.webhook_url();
    let mut events = vec![placed(1, "o1", "c1"), placed(2, "o2", "c1"), placed(3, "o3", "c2")];
    events.extend(life_of("o1", 4));
    for (i, event) in events.iter().enumerate() {
        assert_eq!(post_signed(&url, &running.secret, &format!("w{i}"), event).await.status(), 200);
    }
    let timeline = crm.timeline("c1");
    let types: Vec<&str> = timeline.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "order.placed",
            "order.placed",
            "order.lines_cancelled",
            "order.shipment_confirmed",
            "order.delivery_confirmed",
            "order.return_recorded"
        ]
    );
    assert!(timeline[3].summary.contains("SimParcel"));
    assert_eq!(crm.customer_count(), 2);
    assert_eq!(crm.customer_of("o3").as_deref(), Some("c2"));
    let served: Value =
        reqwest::get(format!("{}/customers/c1/timeline", running.base_url())).await.unwrap().json().await.unwrap();
    assert_eq!(served["entries"].as_array().map(Vec::len), Some(6));
    let missing = reqwest::get(format!("{}/customers/nobody/timeline", running.base_url())).await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(hub.requests().is_empty());
    running.stop().await;
}
