//! Order orchestration through the store: a cancel request after release and its answer, a return
//! authorisation received at a store with its refund, and a channel's availability recorded only on change.

use crate::fixtures::*;
use crate::harness::TestDb;
use crossdock_engine::{ChannelGroup, DecideError, Policy};
use crossdock_model::{
    AuthorisedLine, CancelOutcome, ChannelId, Command, Disposition, Event, LineId, LineQuantity, Location,
    LocationKind, OrderStatus, Quantity, ReturnAuthorisationId, ReturnId, ReturnLine, ReturnReason, ShipmentId,
};
use crossdock_store::{Store, SubmitError};

async fn submit(store: &dyn Store, key: &str, command: Command) -> crossdock_store::CommandReceipt {
    store.submit(request(key, command)).await.unwrap_or_else(|e| panic!("{key} refused: {e}"))
}

async fn network(store: &dyn Store) {
    submit(store, "w1", Command::UpsertLocation { location: location("W1", "Warehouse") }).await;
    let shop = Location { kind: LocationKind::Store, ..location("STORE-1", "Main Street store") };
    submit(store, "store", Command::UpsertLocation { location: shop }).await;
    submit(store, "stock", adjust("SKU-1", "W1", 10)).await;
}

async fn reserved_at(store: &dyn Store, at: &str) -> (i64, i64) {
    let p = store.inventory(Some(&sku("SKU-1")), Some(&loc(at))).await.unwrap();
    p.first().map_or((0, 0), |p| (p.on_hand, p.reserved))
}

fn line(quantity: u32) -> Vec<LineQuantity> {
    vec![LineQuantity { line_id: LineId::new("1").unwrap(), quantity: Quantity::new(quantity).unwrap() }]
}

pub async fn cancel_after_release_waits_for_the_warehouse(db: &TestDb) {
    let store = db.open_store().await;
    let store = store.as_ref();
    network(store).await;
    submit(store, "place", place("o-1", "web")).await;
    submit(store, "release", Command::ReleaseToWarehouse { order_id: order_id("o-1"), location: None }).await;
    let cancel = |key: &str| {
        request(
            key,
            Command::CancelOrder { order_id: order_id("o-1"), lines: None, reason: "customer".into(), location: None },
        )
    };
    let asked = store.submit(cancel("cancel-1")).await.expect("requested");
    assert_eq!(asked.event_count, 1);
    let order = store.order(&order_id("o-1")).await.unwrap().unwrap();
    assert_eq!(order.open_cancel_request().map(|r| r.id), Some(1));
    assert_eq!(reserved_at(store, "W1").await, (10, 2), "reservations are held while the warehouse decides");
    match store.submit(cancel("cancel-2")).await {
        Err(SubmitError::Rejected(DecideError::Conflict { code: "cancel_request_open", .. })) => {}
        other => panic!("a second request while one is open must conflict: {other:?}"),
    }
    // The same request again is an idempotent replay.
    assert!(store.submit(cancel("cancel-1")).await.expect("replayed").replayed);
    let answer =
        Command::AnswerCancelRequest { order_id: order_id("o-1"), outcome: CancelOutcome::Accepted, reason: None };
    submit(store, "wms:cancel-ack:1", answer).await;
    let order = store.order(&order_id("o-1")).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Cancelled);
    assert_eq!(reserved_at(store, "W1").await, (10, 0));
    let types: Vec<String> = all_events(store).await.iter().map(|e| e.event_type.clone()).collect();
    for expected in ["order.cancel_requested", "order.cancel_answered", "order.lines_cancelled"] {
        assert!(types.iter().any(|t| t == expected), "{expected} missing from {types:?}");
    }
    assert_consecutive_versions(&all_events(store).await);
}

pub async fn a_return_authorised_online_is_received_in_a_store_with_its_refund(db: &TestDb) {
    let store = db.open_store().await;
    let store = store.as_ref();
    network(store).await;
    submit(store, "place", place("o-2", "web")).await;
    submit(store, "release", Command::ReleaseToWarehouse { order_id: order_id("o-2"), location: None }).await;
    let shipped_at = chrono::Utc::now();
    let ship = Command::ConfirmShipment {
        order_id: order_id("o-2"),
        shipment_id: ShipmentId::new("S1").unwrap(),
        location: loc("W1"),
        carrier: "UPS".into(),
        service: None,
        tracking_number: None,
        lines: line(2),
        shipped_at,
    };
    submit(store, "ship", ship).await;
    let deliver = Command::ConfirmDelivery {
        order_id: order_id("o-2"),
        shipment_id: ShipmentId::new("S1").unwrap(),
        delivered_at: shipped_at,
    };
    submit(store, "deliver", deliver).await;
    let rma = ReturnAuthorisationId::new("RMA-1").unwrap();
    let authorise = Command::AuthoriseReturn {
        order_id: order_id("o-2"),
        authorisation_id: rma.clone(),
        lines: vec![AuthorisedLine {
            line_id: LineId::new("1").unwrap(),
            quantity: Quantity::new(1).unwrap(),
            reason: ReturnReason::NoLongerNeeded,
        }],
        expected_location: Some(loc("STORE-1")),
        authorised_at: shipped_at,
    };
    submit(store, "rma", authorise).await;
    let receive = Command::RecordReturn {
        order_id: order_id("o-2"),
        return_id: ReturnId::new("R1").unwrap(),
        location: loc("STORE-1"),
        lines: vec![ReturnLine {
            line_id: LineId::new("1").unwrap(),
            quantity: Quantity::new(1).unwrap(),
            reason: ReturnReason::NoLongerNeeded,
            disposition: Disposition::Resellable,
        }],
        received_at: shipped_at,
        authorisation: Some(rma),
    };
    submit(store, "pos:return:1", receive).await;
    assert_eq!(reserved_at(store, "STORE-1").await, (1, 0), "the store restocked the unit");
    let refund = all_events(store)
        .await
        .into_iter()
        .find_map(|e| match e.payload {
            Event::RefundDue { refund, .. } => Some(refund),
            _ => None,
        })
        .expect("a refund_due event");
    // 19.99 plus half of the line's 6.25 % Illinois tax (2.50, from 39.98 × 6.25 % = 2.49875).
    assert_eq!((refund.price.amount_minor, refund.tax.amount_minor, refund.total.amount_minor), (1999, 125, 2124));
    assert_eq!(refund.location, loc("STORE-1"));
    let order = store.order(&order_id("o-2")).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::PartiallyReturned);
    assert!(!order.return_authorisations[0].is_open());
}

pub async fn channel_availability_is_recorded_only_when_it_changes(db: &TestDb) {
    let store = db.open_store().await;
    let store = store.as_ref();
    network(store).await;
    let web = ChannelId::new("web").unwrap();
    store.set_policy(Policy {
        channels: vec![ChannelGroup { id: web.clone(), locations: vec![loc("W1")] }],
        ..Policy::default()
    });
    let refresh = || Command::RefreshAvailability { channel: web.clone(), sku: sku("SKU-1") };
    assert_eq!(submit(store, "r1", refresh()).await.event_count, 1);
    assert_eq!(submit(store, "r2", refresh()).await.event_count, 0, "unchanged: no event");
    submit(store, "outside", adjust("SKU-1", "STORE-1", 5)).await;
    assert_eq!(submit(store, "r3", refresh()).await.event_count, 0, "stock outside the group does not count");
    submit(store, "inside", adjust("SKU-1", "W1", -3)).await;
    // Two refreshes in one batch: the second sees the first's result.
    let outcomes = store.submit_batch(vec![request("r4", refresh()), request("r5", refresh())]).await;
    let counts: Vec<u32> = outcomes.into_iter().map(|o| o.expect("accepted").event_count).collect();
    assert_eq!(counts, [1, 0]);
    let events = all_events(store).await;
    let changes: Vec<(i64, i64, u64)> = events
        .iter()
        .filter_map(|e| match &e.payload {
            Event::AvailabilityChanged { previous, available, .. } => Some((*previous, *available, e.version)),
            _ => None,
        })
        .collect();
    assert_eq!(changes, [(0, 10, 1), (10, 7, 2)]);
    assert_consecutive_versions(&events);
}

/// The availability changes of channel `web` (limited to W1) in the log: (previous, available).
async fn web_changes(store: &dyn Store) -> Vec<(i64, i64)> {
    all_events(store)
        .await
        .iter()
        .filter_map(|e| match &e.payload {
            Event::AvailabilityChanged { channel, previous, available, .. } if channel.as_str() == "web" => {
                Some((*previous, *available))
            }
            _ => None,
        })
        .collect()
}

/// Waits until `web_changes` has `n` entries (or gives up after 15 s), then one more debounce window.
async fn wait_for_changes(store: &dyn Store, n: usize, window: std::time::Duration) -> Vec<(i64, i64)> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while web_changes(store).await.len() < n && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(window * 2).await;
    web_changes(store).await
}

pub async fn the_feed_publishes_one_debounced_change_per_burst_and_none_without_a_change(db: &TestDb) {
    let store = db.open_store().await;
    network(store.as_ref()).await;
    let web = ChannelId::new("web").unwrap();
    store.set_policy(Policy {
        channels: vec![ChannelGroup { id: web, locations: vec![loc("W1")] }],
        ..Policy::default()
    });
    let settings = crossdock_store::feed::FeedSettings {
        window: std::time::Duration::from_millis(1000),
        max_wait: std::time::Duration::from_secs(60),
        poll: std::time::Duration::from_millis(20),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let feed = tokio::spawn(crossdock_store::feed::run_availability_feed(store.clone(), settings, async move {
        let _ = stopped.await;
    }));
    // At start the feed refreshes every sku with stock: the 10 units set before it ran are published.
    assert_eq!(wait_for_changes(store.as_ref(), 1, settings.window).await, [(0, 10)]);

    // A burst of 100 adjustments at W1 (+1 each): one change, carrying the final value.
    for i in 0..100 {
        submit(store.as_ref(), &format!("burst-{i}"), adjust("SKU-1", "W1", 1)).await;
    }
    assert_eq!(wait_for_changes(store.as_ref(), 2, settings.window).await, [(0, 10), (10, 110)]);

    // Stock outside the channel's group, and a change undone within the window: the ATP did not change.
    submit(store.as_ref(), "outside", adjust("SKU-1", "STORE-1", 7)).await;
    submit(store.as_ref(), "out", adjust("SKU-1", "W1", -4)).await;
    submit(store.as_ref(), "back", adjust("SKU-1", "W1", 4)).await;
    tokio::time::sleep(settings.window * 3).await;
    assert_eq!(
        web_changes(store.as_ref()).await,
        [(0, 10), (10, 110)],
        "no event when the channel's ATP did not change"
    );

    // A real change afterwards is published.
    submit(store.as_ref(), "sold", adjust("SKU-1", "W1", -10)).await;
    assert_eq!(wait_for_changes(store.as_ref(), 3, settings.window).await, [(0, 10), (10, 110), (110, 100)]);
    let _ = stop.send(());
    feed.await.expect("the feed stops");
    // Its commands are audited as the hub's own.
    let filter = crossdock_store::AuditFilter {
        actor: Some(crossdock_store::feed::FEED_ACTOR.into()),
        aggregate: Some("availability:web/SKU-1".into()),
        ..Default::default()
    };
    let refreshes = store.audit_entries(&filter).await.unwrap();
    assert_eq!(crossdock_store::feed::FEED_ACTOR, "hub:availability-feed");
    assert!(refreshes.len() >= 3, "{refreshes:?}");
    assert!(refreshes.iter().all(|e| e.fields.command == "refresh_availability"), "{refreshes:?}");

    // Stock changed while no feed ran is published when one starts again; unchanged skus record nothing.
    submit(store.as_ref(), "offline", adjust("SKU-1", "W1", -25)).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let feed = tokio::spawn(crossdock_store::feed::run_availability_feed(store.clone(), settings, async move {
        let _ = stopped.await;
    }));
    let expected = [(0, 10), (10, 110), (110, 100), (100, 75)];
    assert_eq!(wait_for_changes(store.as_ref(), 4, settings.window).await, expected);
    let _ = stop.send(());
    feed.await.expect("the feed stops");
}
