//! `evolve` on its own: versions, timestamps, created positions, and events that do not fit the state.

use crate::support::*;
use chrono::TimeDelta;
use crossdock_engine::{State, decide, evolve};
use crossdock_model::{Event, LineMovement, OrderId};

fn later() -> chrono::DateTime<chrono::Utc> {
    now() + TimeDelta::hours(1)
}

#[test]
fn versions_count_the_events_of_each_aggregate() {
    let world = World::with(&then(
        &placed(),
        &[
            allocate(&[("L1", "W1", 2), ("L2", "W1", 1)]),
            release(None),
            ship("S1", "W1", &[("L1", 2), ("L2", 1)]),
            deliver("S1"),
        ],
    ));
    assert_eq!(world.order().version, 5);
    assert_eq!(world.position("SKU-A", "W1").map(|p| p.version), Some(3));
    assert_eq!(world.position("SKU-A", "W2").map(|p| p.version), Some(1));
}

#[test]
fn evolve_sets_updated_at_and_creates_positions() {
    let mut state = State::default();
    let event = Event::InventoryRestocked { sku: sku("SKU-Z"), location: loc("W5"), order_id: order_id(), quantity: 2 };
    evolve(&mut state, &event, later());
    let p = &state.positions[&(sku("SKU-Z"), loc("W5"))];
    assert_eq!((p.on_hand, p.reserved, p.version, p.updated_at), (2, 0, 1, later()));

    let mut state = State::default();
    for event in decide(&state, &place_default(), now()).unwrap() {
        evolve(&mut state, &event, later());
    }
    let order = state.order.as_ref().unwrap();
    assert_eq!((order.version, order.updated_at), (1, later()));
}

#[test]
fn evolve_ignores_order_events_for_an_order_it_does_not_hold() {
    let mut state = State::default();
    evolve(&mut state, &Event::OrderHoldReleased { order_id: order_id() }, now());
    assert_eq!(state, State::default());

    let mut state = World::with(&placed()).load(&hold("x")).0;
    let before = state.clone();
    evolve(&mut state, &Event::OrderHeld { order_id: OrderId::new("o-2").unwrap(), reason: "x".into() }, now());
    assert_eq!(state, before);
}

#[test]
fn evolve_clamps_movements_that_do_not_fit() {
    let mut state = World::with(&placed()).load(&hold("x")).0;
    let too_many = LineMovement { line_id: line_id("L1"), location: loc("W1"), quantity: 100 };
    let unknown = LineMovement { line_id: line_id("L9"), location: loc("W1"), quantity: 1 };
    evolve(
        &mut state,
        &Event::OrderLinesAllocated { order_id: order_id(), allocations: vec![too_many.clone(), unknown] },
        now(),
    );
    evolve(&mut state, &Event::OrderReleased { order_id: order_id(), lines: vec![too_many.clone()] }, now());
    let order = state.order.as_ref().unwrap();
    let l1 = order.line(&line_id("L1")).unwrap();
    assert_eq!((l1.quantities.allocated, l1.quantities.released), (2, 2));
    assert_eq!(order.version, 3);
    assert_eq!(order.check_invariants(), Ok(()));

    let mut position = State::default();
    let shipped = Event::InventoryShipped { sku: sku("SKU-A"), location: loc("W1"), order_id: order_id(), quantity: 5 };
    evolve(&mut position, &shipped, now());
    let p = &position.positions[&(sku("SKU-A"), loc("W1"))];
    assert_eq!((p.on_hand, p.reserved), (0, 0));
}

#[test]
fn an_inconsistent_stored_order_is_refused_not_trusted() {
    let mut state = World::with(&placed()).load(&hold("x")).0;
    if let Some(order) = state.order.as_mut() {
        order.lines[0].quantities.shipped = 1;
    }
    let refused = decide(&state, &hold("x"), now()).unwrap_err();
    assert_eq!(
        render_error(&refused),
        r#"error inconsistent_state at "": the stored order is inconsistent: line L1: shipped 1 > released 0"#
    );
    if let Some(order) = state.order.as_mut() {
        order.lines[0].quantities = crossdock_model::LineQuantities { ordered: u32::MAX, ..Default::default() };
    }
    assert_eq!(decide(&state, &cancel(None), now()).unwrap_err().code(), "inconsistent_state");
}

#[test]
fn location_versions_restart_for_another_location() {
    let mut state = State::default();
    evolve(&mut state, &Event::LocationUpserted { location: location("W1", "A") }, now());
    evolve(&mut state, &Event::LocationUpserted { location: location("W1", "B") }, now());
    assert_eq!(state.location.as_ref().map(|(l, v)| (l.name.as_str(), *v)), Some(("B", 2)));
    evolve(&mut state, &Event::LocationUpserted { location: location("W2", "C") }, now());
    assert_eq!(state.location.as_ref().map(|(l, v)| (l.id.as_str(), *v)), Some(("W2", 1)));
}
