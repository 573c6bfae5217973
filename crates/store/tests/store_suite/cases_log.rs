//! Cases about the event log: order, versions, paging, and what survives a reopen.

use crate::fixtures::*;
use crate::harness::TestDb;
use chrono::{SubsecRound, Utc};
use crossdock_model::{AggregateKind, Command};
use crossdock_store::ApiKeyRecord;

pub async fn event_log_keeps_order_and_versions(db: &TestDb) {
    let store = db.open_store().await;
    let mut receipts = Vec::new();
    for (key, command) in [
        ("r1", place("o-1", "web")),
        ("r2", hold("o-1")),
        ("r3", release_hold("o-1")),
        ("r4", adjust("S", "L", 5)),
        ("r5", adjust("S", "L", -2)),
        ("r6", place("o-2", "pos")),
    ] {
        receipts.push(store.submit(request(key, command)).await.unwrap());
    }
    let events = all_events(store.as_ref()).await;
    assert_consecutive_versions(&events);
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "order.placed",
            "order.held",
            "order.hold_released",
            "inventory.adjusted",
            "inventory.adjusted",
            "order.placed"
        ]
    );
    let versions: Vec<(AggregateKind, &str, u64)> =
        events.iter().map(|e| (e.aggregate_kind, e.aggregate_id.as_str(), e.version)).collect();
    assert_eq!(
        versions,
        [
            (AggregateKind::Order, "o-1", 1),
            (AggregateKind::Order, "o-1", 2),
            (AggregateKind::Order, "o-1", 3),
            (AggregateKind::Inventory, "L/S", 1),
            (AggregateKind::Inventory, "L/S", 2),
            (AggregateKind::Order, "o-2", 1),
        ]
    );
    for (i, (event, receipt)) in events.iter().zip(&receipts).enumerate() {
        assert_eq!((receipt.first_seq, receipt.last_seq), (event.seq, event.seq), "receipt {i}");
        assert_eq!(receipt.version, event.version);
        assert_eq!(event.idempotency_key, format!("r{}", i + 1));
        assert_eq!(event.payload.type_name(), event.event_type);
        assert_eq!(event.schema_version, event.payload.schema_version());
    }
    let position = &store.inventory(None, None).await.unwrap()[0];
    assert_eq!((position.on_hand, position.version), (3, 2));
    assert_eq!(Some(position), replay(&events).positions.get(&(sku("S"), loc("L"))));
}

pub async fn events_after_pages_through_the_log(db: &TestDb) {
    let store = db.open_store().await;
    for i in 0..25 {
        store.submit(request(&format!("adj-{i}"), adjust("S", "L", 1))).await.unwrap();
    }
    let everything = store.events_after(0, 0).await.unwrap();
    assert_eq!(everything.len(), 25, "limit 0 means the default page");
    let mut pages = Vec::new();
    let mut after = 0;
    loop {
        let page = store.events_after(after, 7).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().unwrap().seq;
        pages.push(page);
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [7, 7, 7, 4]);
    assert_eq!(pages.concat(), everything);
    let middle = everything[9].seq;
    assert_eq!(store.events_after(middle, 3).await.unwrap(), everything[10..13]);
}

pub async fn heads_and_kind_pages_match_the_full_log(db: &TestDb) {
    let store = db.open_store().await;
    for i in 0..6 {
        store.submit(request(&format!("adj-{i}"), adjust("S", "L", 1))).await.unwrap();
        store.submit(request(&format!("p-{i}"), place(&format!("o-{i}"), "web"))).await.unwrap();
    }
    let everything = store.events_after(0, 0).await.unwrap();
    let heads = store.event_heads_after(everything[2].seq, 5).await.unwrap();
    let expected: Vec<(i64, AggregateKind, &str, &str)> = everything[3..8]
        .iter()
        .map(|e| (e.seq, e.aggregate_kind, e.aggregate_id.as_str(), e.event_type.as_str()))
        .collect();
    let got: Vec<(i64, AggregateKind, &str, &str)> =
        heads.iter().map(|h| (h.seq, h.aggregate_kind, h.aggregate_id.as_str(), h.event_type.as_str())).collect();
    assert_eq!(got, expected);
    let inventory: Vec<_> =
        everything.iter().filter(|e| e.aggregate_kind == AggregateKind::Inventory).cloned().collect();
    assert_eq!(inventory.len(), 6);
    let first = store.events_of_kind_after(AggregateKind::Inventory, 0, 4).await.unwrap();
    assert_eq!(first, inventory[..4]);
    let rest = store.events_of_kind_after(AggregateKind::Inventory, first[3].seq, 0).await.unwrap();
    assert_eq!(rest, inventory[4..]);
    assert!(store.events_of_kind_after(AggregateKind::Location, 0, 0).await.unwrap().is_empty());
}

pub async fn reopened_store_has_everything(db: &TestDb) {
    let created_at = Utc::now().trunc_subsecs(6);
    let key = ApiKeyRecord {
        id: "ck_reopen".into(),
        name: "ops".into(),
        secret_hash: "00".repeat(32),
        scopes: vec!["admin".into()],
        created_at,
        expires_at: None,
        revoked_at: None,
        previous_secret_hash: Some("11".repeat(32)),
        previous_valid_until: Some(created_at + chrono::Duration::hours(1)),
        rate_limit_per_minute: Some(60),
    };
    let placed = {
        let store = db.open_store().await;
        let placed = store.submit(request("p", place("o-1", "web"))).await.unwrap();
        store.submit(request("s", adjust("S", "L1", 4))).await.unwrap();
        store.submit(request("l", Command::UpsertLocation { location: location("L1", "Main") })).await.unwrap();
        store.insert_api_key(&key).await.unwrap();
        placed
    };
    let store = db.open_store().await;
    assert!(store.order(&order_id("o-1")).await.unwrap().is_some());
    assert_eq!(store.inventory(None, None).await.unwrap()[0].on_hand, 4);
    assert_eq!(store.location(&loc("L1")).await.unwrap(), Some(location("L1", "Main")));
    assert_eq!(store.api_key("ck_reopen").await.unwrap(), Some(key));
    assert_eq!(all_events(store.as_ref()).await.len(), 3);
    let again = store.submit(request("p", place("o-1", "web"))).await.unwrap();
    assert!(again.replayed && again.first_seq == placed.first_seq);
    let next = store.submit(request("p2", place("o-2", "web"))).await.unwrap();
    assert!(next.first_seq > placed.first_seq);
}
