//! Automatic sourcing under concurrency: orders racing for scarce stock are never promised more than there is,
//! the rest are backordered, and backorders are filled first-come first-served when stock arrives.

use crate::fixtures::*;
use crate::harness::TestDb;
use crossdock_model::{Command, Coordinates, Event, Location, LocationKind, OrderStatus};
use crossdock_store::Store;
use std::collections::HashMap;
use std::sync::Arc;

const SKU: &str = "SKU-HOT";

fn site(id: &str, lat: f64, lon: f64) -> Command {
    let location = Location { coordinates: Coordinates::new(lat, lon).unwrap(), ..location(id, id) };
    Command::UpsertLocation { location: Location { kind: LocationKind::Warehouse, ..location } }
}

/// Units allocated and backordered over every order, and the positions of the sku, read back from `store`.
async fn totals(store: &dyn Store, orders: usize) -> (u32, u32, i64, i64) {
    let (mut allocated, mut backordered) = (0, 0);
    for i in 0..orders {
        let order = store.order(&order_id(&format!("race-{i}"))).await.unwrap().expect("every order is stored");
        order.check_invariants().unwrap();
        allocated += order.lines[0].quantities.allocated;
        backordered += order.lines[0].quantities.backordered;
        let q = order.lines[0].quantities;
        assert_eq!(q.allocated + q.backordered + q.cancelled, 1, "{order:?}");
    }
    let positions = store.inventory(Some(&sku(SKU)), None).await.unwrap();
    for p in &positions {
        assert!(p.on_hand >= 0 && p.reserved >= 0 && p.reserved <= p.on_hand, "oversold: {p:?}");
    }
    let on_hand = positions.iter().map(|p| p.on_hand).sum();
    let reserved = positions.iter().map(|p| p.reserved).sum();
    (allocated, backordered, on_hand, reserved)
}

/// 200 orders of one unit race (through two stores on one database) for 50 units at three locations.
pub async fn concurrent_orders_never_oversell_and_backorders_fill_in_order(db: &TestDb) {
    let a = db.open_store().await;
    let b = db.open_store().await;
    let setup = [
        site("CHI", 41.88, -87.63),
        site("ATL", 33.75, -84.39),
        site("LAX", 34.05, -118.24),
        adjust(SKU, "CHI", 20),
        adjust(SKU, "ATL", 20),
        adjust(SKU, "LAX", 10),
    ];
    for (i, command) in setup.into_iter().enumerate() {
        a.submit(request(&format!("setup-{i}"), command)).await.unwrap();
    }
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let store: Arc<dyn Store> = if i % 2 == 0 { a.clone() } else { b.clone() };
        let command = place_lines(&format!("race-{i}"), "web", &[(SKU, 1)]);
        tasks.spawn(async move { store.submit(request(&format!("place-{i}"), command)).await });
    }
    let outcomes = tasks.join_all().await;
    assert!(outcomes.iter().all(|o| o.is_ok()), "{:?}", outcomes.iter().find(|o| o.is_err()));

    assert_eq!(totals(a.as_ref(), 200).await, (50, 150, 50, 50), "allocated, backordered, on hand, reserved");
    let events = all_events(a.as_ref()).await;
    assert_consecutive_versions(&events);
    let reserved: i64 = events
        .iter()
        .filter_map(|e| match &e.payload {
            Event::InventoryReserved { quantity, .. } => Some(*quantity),
            _ => None,
        })
        .sum();
    assert_eq!(reserved, 50, "units promised in the log");
    let replayed = replay(&events);
    for p in b.inventory(Some(&sku(SKU)), None).await.unwrap() {
        assert_eq!(Some(&p), replayed.positions.get(&(p.sku.clone(), p.location.clone())));
    }
    let sourced = a.sourcing_decisions(&order_id("race-0")).await.unwrap();
    assert_eq!(sourced.len(), 1);
    assert!(
        matches!(&sourced[0].payload, Event::OrderSourced { explanation, .. } if explanation.get("reason").is_some())
    );

    // The oldest backorders, in the order they were backordered.
    let queue: Vec<String> =
        events.iter().filter(|e| e.event_type == "order.backordered").map(|e| e.aggregate_id.clone()).collect();
    assert_eq!(queue.len(), 150);

    // Stock arrives: 30 units, taken by the 30 oldest backorders, in the arrival command's transaction.
    let receipt = b.submit(request("receipt", adjust(SKU, "ATL", 30))).await.unwrap();
    assert_eq!(totals(b.as_ref(), 200).await, (80, 120, 80, 80));
    let after = a.events_after(receipt.last_seq, 0).await.unwrap();
    let filled: Vec<String> =
        after.iter().filter(|e| e.event_type == "order.sourced").map(|e| e.aggregate_id.clone()).collect();
    assert_eq!(filled, queue[..30].to_vec(), "backorders are filled first come, first served");
    assert!(after.iter().all(|e| e.idempotency_key == "receipt"));

    // A cancellation gives its unit back, and the next backorder takes it.
    let allocated = |store: Arc<dyn Store>, id: String| async move {
        store.order(&order_id(&id)).await.unwrap().map(|o| o.lines[0].quantities.allocated)
    };
    let first = queue[0].clone();
    assert_eq!(allocated(a.clone(), first.clone()).await, Some(1));
    let cancel =
        Command::CancelOrder { order_id: order_id(&first), lines: None, reason: "changed mind".into(), location: None };
    a.submit(request("cancel", cancel)).await.unwrap();
    assert_eq!(allocated(a.clone(), queue[30].clone()).await, Some(1));
    assert_eq!(totals(a.as_ref(), 200).await, (80, 119, 80, 80));
    let statuses: HashMap<OrderStatus, usize> =
        a.list_orders(&crossdock_store::OrderFilter { limit: 1000, ..Default::default() }).await.unwrap().iter().fold(
            HashMap::new(),
            |mut m, r| {
                *m.entry(r.order.status).or_default() += 1;
                m
            },
        );
    assert_eq!(statuses.get(&OrderStatus::Backordered), Some(&119));
    assert_eq!(statuses.get(&OrderStatus::Cancelled), Some(&1));
    let replayed = replay(&all_events(a.as_ref()).await);
    for (id, order) in &replayed.orders {
        assert_eq!(Some(order), a.order(&order_id(id)).await.unwrap().as_ref(), "order {id} replays");
    }
}
