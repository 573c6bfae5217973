//! The network as the demo uses it: every system served with a published URL and secret that the hub can
//! sign with, events routed by subscription, the same seed giving the same secrets, and a clean stop.

use super::fake_hub::{FakeHub, released_order};
use super::{envelope, post_signed};
use crossdock_sim::{Handled, SimConfig, SimNetwork, WebhookSecret};
use serde_json::json;
use std::time::{Duration, Instant};

fn config(hub: &FakeHub, seed: u64) -> SimConfig {
    SimConfig::new(hub.config(), seed).with_orders(0)
}

#[tokio::test]
async fn endpoints_take_events_signed_with_their_published_secrets() {
    let hub = FakeHub::start().await;
    let network = SimNetwork::start(config(&hub, 5)).await.unwrap();
    let endpoints = network.endpoints();
    let names: Vec<&str> = endpoints.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["web_store", "marketplace", "pos", "erp", "wms", "tms", "crm"]);
    let urls: std::collections::BTreeSet<_> = endpoints.iter().map(|e| e.webhook_url.clone()).collect();
    assert_eq!(urls.len(), 7, "one port per system");
    assert!(endpoints.iter().all(|e| e.webhook_url.starts_with("http://127.0.0.1:") && !e.events.is_empty()));
    let toml = network.systems_toml();
    assert!(toml.contains("name = \"wms\"\nrole = \"wms\"\ntransport = { type = \"http\", url = \"http://127.0.0.1:"));
    assert!(toml.contains("events = [\"order.released\"]"));

    let erp = network.endpoint("erp").unwrap();
    let secret = WebhookSecret::parse(&erp.secret).unwrap();
    let event = envelope(
        1,
        "o1",
        json!({"type": "order.placed", "order": released_order("o1", &[("1", "SKU-A", 1)], None, "10001")}),
    );
    assert_eq!(post_signed(&erp.webhook_url, &secret, "w1", &event).await.status(), 200);
    assert_eq!(network.erp.document_number("o1").as_deref(), Some("SO-0000001"));
    let other = WebhookSecret::parse(&network.endpoint("crm").unwrap().secret).unwrap();
    assert_eq!(post_signed(&erp.webhook_url, &other, "w2", &event).await.status(), 401, "another system's secret");

    let same_seed = SimNetwork::start(config(&hub, 5)).await.unwrap();
    let secrets = |n: &SimNetwork| n.endpoints().into_iter().map(|e| e.secret).collect::<Vec<_>>();
    assert_eq!(secrets(&network), secrets(&same_seed));
    same_seed.stop().await;

    let started = Instant::now();
    network.stop().await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(crossdock_sim::new_http_client().post(&erp.webhook_url).send().await.is_err(), "stopped");
}

#[tokio::test]
async fn events_are_routed_by_subscription() {
    let hub = FakeHub::start().await;
    let network = SimNetwork::start(config(&hub, 6)).await.unwrap();
    let released: crossdock_model::RecordedEvent = serde_json::from_value(envelope(
        3,
        "o1",
        json!({"type": "order.released", "order_id": "o1", "lines": [{"line_id": "1", "location": "wh-east", "quantity": 1}]}),
    ))
    .unwrap();
    let handled = network.deliver(&released);
    assert_eq!(handled, [("pos", Handled::Ignored), ("wms", Handled::Accepted), ("crm", Handled::Ignored)]);
    assert_eq!(network.wms.pending_picks(), 1);
    let report = network.report();
    let wms = report.systems.iter().find(|s| s.name == "wms").unwrap();
    assert_eq!(wms.stats.events_handled, 1);
    network.stop().await;
}
