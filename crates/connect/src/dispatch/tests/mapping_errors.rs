//! Mapping and filter failures: a time-out (or a failed worker) may pass next time and is retried through
//! the retry policy; an error of the program itself goes to the dead-letter queue.

use super::harness::{Running, eventually, http_system, seed_orders, sqlite};
use super::receiver::{Behaviour, Receiver};
use crate::dispatch::scheduler::select_decided;
use crate::dispatch::send::{Refilter, send};
use crate::dispatch::{DispatchSubscription, Dispatcher, JqShape, Shape};
use crate::mapping::{Limits, Mapping, MappingError};
use chrono::Utc;
use crossdock_store::{ClaimedDelivery, DeliveryOutcome};
use std::sync::Arc;
use std::time::Duration;

/// Runs until its 100 ms limit stops it.
fn slow() -> Mapping {
    let limits = Limits { timeout: Duration::from_millis(100), max_steps: u64::MAX, ..Limits::default() };
    Mapping::compile("last(range(infinite))", "slow.jq").unwrap().with_limits(limits)
}

fn failing() -> Mapping {
    Mapping::compile("error(\"no sku\")", "bad.jq").unwrap()
}

#[test]
fn only_time_outs_and_worker_failures_are_retryable() {
    let timeout = slow().run(serde_json::json!(null)).unwrap_err();
    assert!(matches!(timeout, MappingError::Timeout { .. }) && timeout.is_retryable(), "{timeout:?}");
    assert!(MappingError::Worker { origin: "m.jq".into(), message: "gone".into() }.is_retryable());
    let runtime = failing().run(serde_json::json!(null)).unwrap_err();
    assert!(!runtime.is_retryable(), "{runtime:?}");
}

#[tokio::test]
async fn a_mapping_that_times_out_is_retried_and_one_that_errs_is_dead() {
    let db = sqlite();
    let store = db.open_store().await;
    seed_orders(store.as_ref(), "map", 1, 0).await;
    let event = Arc::new(store.events_after(0, 1).await.unwrap().remove(0));
    let shape =
        |filter: Option<Mapping>, mapping: Option<Mapping>| -> Arc<dyn Shape> { Arc::new(JqShape { filter, mapping }) };
    let subscription = |name: &str, shape: Arc<dyn Shape>| DispatchSubscription {
        shape,
        ..DispatchSubscription::new(name, "erp", &["*"])
    };
    let subscriptions = vec![
        subscription("slow-mapping", shape(None, Some(slow()))),
        subscription("slow-filter", shape(Some(slow()), None)),
        subscription("bad-mapping", shape(None, Some(failing()))),
    ];
    // Nothing reaches the system: shaping fails before any request.
    let system = http_system("erp", "http://127.0.0.1:1/", Duration::from_secs(1));
    let dispatcher =
        Dispatcher::new(store.clone(), vec![system], subscriptions.clone(), super::harness::options("a")).unwrap();

    // A filter that timed out does not make the delivery a dead letter when scheduling.
    let (scheduled, decided) = select_decided(&subscriptions[1], &event).expect("scheduled");
    assert_eq!((scheduled.dead_error, decided), (None, false), "left to be decided at sending");

    let claimed = |subscription: &str| ClaimedDelivery {
        id: 1,
        subscription: subscription.into(),
        system: "erp".into(),
        idempotency_key: format!("{subscription}:{}", event.seq),
        attempts: 0,
        queued_at: Utc::now(),
        lease_expires_at: Utc::now() + chrono::Duration::seconds(60),
        event: event.clone(),
    };
    let deliveries = vec![claimed("slow-mapping"), claimed("slow-filter"), claimed("bad-mapping")];
    let outcomes = send(dispatcher.inner.clone(), "erp", deliveries, Refilter::Yes).await;
    let by_subscription: Vec<(&str, &DeliveryOutcome)> =
        outcomes.iter().map(|(d, o)| (d.subscription.as_str(), o)).collect();
    assert_eq!(by_subscription.len(), 3);
    for (name, outcome) in &by_subscription[..2] {
        let DeliveryOutcome::Retry { error, .. } = outcome else { panic!("{name}: {outcome:?}") };
        assert!(error.contains("time limit exceeded"), "{name}: {error}");
    }
    let DeliveryOutcome::Dead { error, .. } = by_subscription[2].1 else { panic!("{:?}", by_subscription[2]) };
    assert!(error.contains("no sku"), "{error}");

    // Sent on schedule, the filter has just decided: it is not run again (the send itself fails instead).
    let outcomes = send(dispatcher.inner.clone(), "erp", vec![claimed("slow-filter")], Refilter::No).await;
    let DeliveryOutcome::Retry { error, .. } = &outcomes[0].1 else { panic!("{:?}", outcomes[0]) };
    assert!(!error.contains("time limit exceeded"), "the filter ran again: {error}");
}

/// Sending on schedule, an event whose filter timed out is not sent unfiltered: it is recorded pending and
/// the claim path decides it before sending (here it times out again, so it is retried, never sent).
#[tokio::test]
async fn an_undecided_filter_on_the_schedule_path_leaves_the_event_to_the_claim_path() {
    let db = sqlite();
    let store = db.open_store().await;
    let receiver = Receiver::start(Behaviour::default(), 7).await;
    let system = http_system("erp", &receiver.url, Duration::from_secs(1));
    let shape: Arc<dyn Shape> = Arc::new(JqShape { filter: Some(slow()), mapping: None });
    let subscription = DispatchSubscription { shape, ..DispatchSubscription::new("slow-filter", "erp", &["*"]) };
    let running = Running::start(store.clone(), vec![system], vec![subscription], "a");
    seed_orders(store.as_ref(), "undecided", 1, 0).await;
    eventually(Duration::from_secs(20), "the claim path decided the filter", || {
        let store = store.clone();
        async move {
            let rows = store.aggregate_deliveries("undecided-0", 10).await.unwrap();
            rows.iter().any(|r| r.last_error.as_deref().is_some_and(|e| e.contains("time limit exceeded")))
        }
    })
    .await;
    running.stop().await;
    assert!(receiver.keys().is_empty(), "sent without its filter: {:?}", receiver.keys());
}
