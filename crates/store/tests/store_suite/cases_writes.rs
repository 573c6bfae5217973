//! Cases about `submit`: receipts, idempotency, refusals, batches, concurrency.

use crate::fixtures::*;
use crate::harness::TestDb;
use crossdock_engine::DecideError;
use crossdock_model::{AggregateKind, OrderStatus};
use crossdock_store::{CommandReceipt, CommandRequest, Store, SubmitError};
use std::sync::Arc;

pub async fn place_and_read_back(db: &TestDb) {
    let store = db.open_store().await;
    store.ping().await.unwrap();
    let receipt = store.submit(request("web:o-1:1", place("o-1", "web"))).await.unwrap();
    assert_eq!(receipt.aggregate_kind, AggregateKind::Order);
    assert_eq!(receipt.aggregate_id, "o-1");
    assert_eq!((receipt.version, receipt.event_count, receipt.replayed), (1, 1, false));
    assert!(receipt.first_seq > 0 && receipt.first_seq == receipt.last_seq, "{receipt:?}");

    let order = store.order(&order_id("o-1")).await.unwrap().expect("the order was stored");
    assert_eq!(order.status, OrderStatus::Created);
    assert_eq!(order.version, 1);
    assert_eq!(order.external_id.as_str(), "ext-o-1");
    assert_eq!(order.lines.len(), 1);
    assert_eq!(order.lines[0].quantities.ordered, 2);
    assert!(store.order(&order_id("o-404")).await.unwrap().is_none());
}

pub async fn idempotent_replay_returns_the_original_receipt(db: &TestDb) {
    let store = db.open_store().await;
    let first = store.submit(request("k-1", place("o-1", "web"))).await.unwrap();
    let again = store.submit(request("k-1", place("o-1", "web"))).await.unwrap();
    assert!(again.replayed);
    assert_eq!(CommandReceipt { replayed: false, ..again.clone() }, first);
    // An applied order command hands back the order as it left it (as stored); a replay does not.
    let stored = store.order(&order_id("o-1")).await.unwrap().expect("stored");
    assert_eq!(first.order.as_deref(), Some(&stored));
    assert!(again.order.is_none());
    assert_eq!(all_events(store.as_ref()).await.len(), 1);

    // The same request many times at once: one is applied, the others replay it (in or across batches).
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.spawn(async move { store.submit(request("k-2", place("o-2", "web"))).await.unwrap() });
    }
    let receipts = tasks.join_all().await;
    assert_eq!(receipts.iter().filter(|r| !r.replayed).count(), 1, "{receipts:?}");
    assert!(receipts.iter().all(|r| r.first_seq == receipts[0].first_seq && r.version == 1));
    assert_eq!(all_events(store.as_ref()).await.len(), 2);
}

pub async fn key_reuse_with_another_body_is_refused(db: &TestDb) {
    let store = db.open_store().await;
    store.submit(request("k", place("o-1", "web"))).await.unwrap();
    let reused = store.submit(request("k", place("o-2", "web"))).await.unwrap_err();
    assert!(matches!(&reused, SubmitError::KeyReused { key } if key == "k"), "{reused:?}");
    // The expected version is part of the request too.
    let versioned = CommandRequest { expected_version: Some(0), ..request("k", place("o-1", "web")) };
    assert!(matches!(store.submit(versioned).await, Err(SubmitError::KeyReused { .. })));
    assert!(store.order(&order_id("o-2")).await.unwrap().is_none());
    assert_eq!(all_events(store.as_ref()).await.len(), 1);
}

pub async fn refused_command_stores_nothing(db: &TestDb) {
    let store = db.open_store().await;
    let refused = store.submit(request("x", hold("o-404"))).await.unwrap_err();
    assert!(matches!(refused, SubmitError::Rejected(DecideError::OrderNotFound(_))), "{refused:?}");
    assert!(all_events(store.as_ref()).await.is_empty());
    // No idempotency record was kept: the key is free for another request.
    let receipt = store.submit(request("x", place("o-1", "web"))).await.unwrap();
    assert!(!receipt.replayed);

    let short = store.submit(request("a", allocate("o-1", "1", "L1", 2))).await.unwrap_err();
    assert!(matches!(short, SubmitError::Rejected(DecideError::InsufficientStock { .. })), "{short:?}");
    assert!(store.inventory(None, None).await.unwrap().is_empty());
    assert_eq!(all_events(store.as_ref()).await.len(), 1);
    assert_eq!(store.order(&order_id("o-1")).await.unwrap().unwrap().version, 1);
}

pub async fn version_conflict_stores_nothing(db: &TestDb) {
    let store = db.open_store().await;
    let placed = CommandRequest { expected_version: Some(0), ..request("p", place("o-1", "web")) };
    assert_eq!(store.submit(placed).await.unwrap().version, 1);
    let stale = CommandRequest { expected_version: Some(5), ..request("h", hold("o-1")) };
    let conflict = store.submit(stale).await.unwrap_err();
    assert!(matches!(conflict, SubmitError::VersionConflict { expected: 5, actual: 1 }), "{conflict:?}");
    assert_eq!(store.order(&order_id("o-1")).await.unwrap().unwrap().status, OrderStatus::Created);
    let fresh = CommandRequest { expected_version: Some(1), ..request("h", hold("o-1")) };
    let held = store.submit(fresh).await.unwrap();
    assert_eq!((held.version, held.replayed), (2, false));
    assert_eq!(store.order(&order_id("o-1")).await.unwrap().unwrap().status, OrderStatus::OnHold);
}

pub async fn batch_with_refused_commands_commits_the_others(db: &TestDb) {
    let store = db.open_store().await;
    let outcomes = store
        .submit_batch(vec![
            request("a", place("A", "web")),
            request("x", hold("X")),
            request("a", place("A", "web")),
            request("a2", place("A", "web")),
            request("h", hold("A")),
            request("a", place("B", "web")),
            request("adj", adjust("SKU-1", "L1", 5)),
            request("rel", release_hold("A")),
            request("al", allocate("A", "1", "L1", 2)),
            request("al2", allocate("A", "1", "L1", 1)),
        ])
        .await;
    assert_eq!(outcomes.len(), 10);
    let ok = |i: usize| outcomes[i].as_ref().unwrap_or_else(|e| panic!("request {i} failed: {e:?}"));
    let placed = ok(0);
    assert!(matches!(outcomes[1], Err(SubmitError::Rejected(DecideError::OrderNotFound(_)))));
    assert!(ok(2).replayed && ok(2).first_seq == placed.first_seq, "an in-batch duplicate replays the first");
    assert!(matches!(outcomes[3], Err(SubmitError::Rejected(DecideError::OrderExists(_)))));
    assert_eq!(ok(4).version, 2);
    assert!(matches!(outcomes[5], Err(SubmitError::KeyReused { .. })));
    assert_eq!(
        (ok(6).aggregate_kind, ok(6).aggregate_id.as_str(), ok(6).version),
        (AggregateKind::Inventory, "L1/SKU-1", 1)
    );
    assert_eq!(ok(7).version, 3);
    assert_eq!((ok(8).version, ok(8).event_count), (4, 2), "allocation: one order event, one reservation");
    assert!(matches!(outcomes[9], Err(SubmitError::Rejected(_))), "{:?}", outcomes[9]);

    let events = all_events(store.as_ref()).await;
    assert_consecutive_versions(&events);
    let keys: Vec<&str> = events.iter().map(|e| e.idempotency_key.as_str()).collect();
    assert_eq!(keys, ["a", "h", "adj", "rel", "al", "al"]);
    for i in [0, 4, 6, 7, 8] {
        let r = ok(i);
        let covered: Vec<_> = events.iter().filter(|e| e.seq >= r.first_seq && e.seq <= r.last_seq).collect();
        assert_eq!(covered.len() as u32, r.event_count, "receipt {i}");
    }
    let replayed = replay(&events);
    assert_eq!(Some(&store.order(&order_id("A")).await.unwrap().unwrap()), replayed.orders.get("A"));
    let position = store.inventory(Some(&sku("SKU-1")), Some(&loc("L1"))).await.unwrap();
    assert_eq!((position[0].on_hand, position[0].reserved, position[0].version), (5, 2, 2));
    assert_eq!(Some(&position[0]), replayed.positions.get(&(sku("SKU-1"), loc("L1"))));
    // The refused requests left their keys free.
    assert!(!store.submit(request("x", place("X", "web"))).await.unwrap().replayed);
}

pub async fn orders_placed_and_allocated_in_one_batch(db: &TestDb) {
    let store = db.open_store().await;
    let outcomes = store
        .submit_batch(vec![
            request("s", adjust("SKU-9", "L2", 3)),
            request("p", place_lines("P", "web", &[("SKU-9", 3)])),
            request("al", allocate("P", "1", "L2", 3)),
        ])
        .await;
    for (i, outcome) in outcomes.iter().enumerate() {
        assert!(outcome.is_ok(), "request {i}: {outcome:?}");
    }
    let order = store.order(&order_id("P")).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Allocated);
    let position = &store.inventory(Some(&sku("SKU-9")), Some(&loc("L2"))).await.unwrap()[0];
    assert_eq!((position.on_hand, position.reserved, position.version), (3, 3, 2));
    assert_consecutive_versions(&all_events(store.as_ref()).await);
}

pub async fn concurrent_submits_are_all_durable_and_answered(db: &TestDb) {
    let store = db.open_store().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let store = store.clone();
        tasks.spawn(async move { store.submit(request(&format!("c-{i}"), place(&format!("c-{i}"), "web"))).await });
    }
    let receipts: Vec<CommandReceipt> = tasks.join_all().await.into_iter().map(|r| r.unwrap()).collect();
    let mut seqs: Vec<i64> = receipts.iter().map(|r| r.first_seq).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 200);
    drop(store);
    // Durable: a fresh store over the same database sees every answered order.
    let reopened = db.open_store().await;
    let events = all_events(reopened.as_ref()).await;
    assert_eq!(events.len(), 200);
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), seqs);
    for i in [0, 99, 199] {
        assert!(reopened.order(&order_id(&format!("c-{i}"))).await.unwrap().is_some());
    }
}

pub async fn two_stores_racing_on_one_order_lose_no_update(db: &TestDb) {
    let a = db.open_store().await;
    let b = db.open_store().await;
    a.submit(request("stock", adjust("SKU-R", "L1", 1000))).await.unwrap();
    b.submit(request("place", place_lines("race", "web", &[("SKU-R", 100)]))).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..100 {
        let store: Arc<dyn Store> = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.spawn(async move { store.submit(request(&format!("alloc-{i}"), allocate("race", "1", "L1", 1))).await });
    }
    let outcomes = tasks.join_all().await;
    let accepted = outcomes.iter().filter(|o| o.is_ok()).count() as u32;
    assert_eq!(accepted, 100, "{:?}", outcomes.iter().find(|o| o.is_err()));

    for store in [&a, &b] {
        let order = store.order(&order_id("race")).await.unwrap().unwrap();
        assert_eq!(order.lines[0].quantities.allocated, accepted);
        assert_eq!(order.version, 1 + u64::from(accepted));
    }
    let events = all_events(a.as_ref()).await;
    assert_consecutive_versions(&events);
    let allocations = events.iter().filter(|e| e.event_type == "order.lines_allocated").count() as u32;
    assert_eq!(allocations, accepted);
    let replayed = replay(&events);
    assert_eq!(Some(&a.order(&order_id("race")).await.unwrap().unwrap()), replayed.orders.get("race"));
    let position = &b.inventory(Some(&sku("SKU-R")), Some(&loc("L1"))).await.unwrap()[0];
    assert_eq!(position.reserved, i64::from(accepted));
    assert_eq!(Some(position), replayed.positions.get(&(sku("SKU-R"), loc("L1"))));
}
