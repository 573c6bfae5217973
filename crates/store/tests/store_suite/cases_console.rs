//! Cases about the console's reads: one aggregate's events (an order's timeline) and its deliveries.

use crate::fixtures::*;
use crate::harness::TestDb;
use chrono::Utc;
use crossdock_model::AggregateKind;
use crossdock_store::{DeliveryOutcome, DeliveryResult, DeliveryStatus};

pub async fn one_aggregate_has_its_events_and_deliveries(db: &TestDb) {
    let store = db.open_store().await;
    for (key, command) in
        [("p1", place("t-1", "web")), ("p2", place("t-2", "web")), ("h1", hold("t-1")), ("r1", release_hold("t-1"))]
    {
        store.submit(request(key, command)).await.unwrap();
    }
    let timeline = store.aggregate_events(AggregateKind::Order, "t-1", 100).await.unwrap();
    let types: Vec<&str> = timeline.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types.first(), Some(&"order.placed"), "{types:?}");
    assert!(types.contains(&"order.held") && types.contains(&"order.hold_released"), "{types:?}");
    assert!(timeline.iter().all(|e| e.aggregate_id == "t-1"));
    assert!(timeline.windows(2).all(|w| w[0].version + 1 == w[1].version));
    assert_eq!(store.aggregate_events(AggregateKind::Order, "t-1", 1).await.unwrap().len(), 1);
    assert!(store.aggregate_events(AggregateKind::Order, "nope", 100).await.unwrap().is_empty());

    let events = all_events(store.as_ref()).await;
    let now = Utc::now();
    let batch = schedule_all("to-erp", "erp", 0, &events, now);
    store.register_subscription("to-erp", "erp", crossdock_store::SubscriptionStart::Beginning).await.unwrap();
    assert!(store.schedule(&batch).await.unwrap());
    let claimed = store.claim("c", std::time::Duration::from_secs(30), now, 100).await.unwrap();
    let first_t1 = claimed.iter().find(|c| c.event.aggregate_id == "t-1").unwrap().id;
    let result = DeliveryResult {
        id: first_t1,
        outcome: DeliveryOutcome::Dead { error: "http 400".into(), request: None, response: None },
    };
    store.complete("c", &[result]).await.unwrap();
    let deliveries = store.aggregate_deliveries("t-1", 100).await.unwrap();
    assert_eq!(deliveries.len(), timeline.len(), "one delivery per event of t-1");
    assert!(deliveries.iter().all(|d| d.aggregate_id == "t-1" && d.system == "erp"));
    assert!(deliveries.windows(2).all(|w| w[0].id < w[1].id));
    let dead = deliveries.iter().find(|d| d.id == first_t1).unwrap();
    assert_eq!((dead.status, dead.last_error.as_deref()), (DeliveryStatus::Dead, Some("http 400")));
    assert!(dead.last_request.is_none(), "listing leaves requests out");
    assert!(store.aggregate_deliveries("nope", 100).await.unwrap().is_empty());
}
