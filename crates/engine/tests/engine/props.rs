//! Property tests: random command sequences through decide + evolve keep every invariant, never oversell,
//! decide deterministically and leave refused commands without effect; random events never break evolve.

use crate::support::*;
use crossdock_engine::{State, decide, evolve};
use crossdock_model::{
    Command, Disposition, Event, InventoryPosition, LineMovement, LineQuantity, LocationId, ReturnId, ReturnLine,
    ReturnReason, ReturnRecord, Shipment, ShipmentId, Sku,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

const SKUS: [&str; 3] = ["A", "B", "C"];
const LOCS: [&str; 3] = ["W1", "W2", "W3"];
const DISPOSITIONS: [Disposition; 3] = [Disposition::Resellable, Disposition::Damaged, Disposition::ReturnToVendor];

/// A step of a scenario. Blind steps name lines, shipments and quantities at random (often invalid);
/// guided steps read the world to build a command likely to be accepted, so scenarios get far.
#[derive(Debug, Clone)]
enum Op {
    Place(Vec<(usize, u32)>),
    Allocate(Vec<(usize, usize, u32)>),
    AllocateEverything(usize),
    Release(Option<usize>),
    Ship(u8, usize, Vec<(usize, u32)>),
    ShipReleased(u8, usize, u32),
    Deliver(u8),
    DeliverNext,
    Return(u8, usize, Vec<(usize, u32, usize)>),
    ReturnDelivered(u8, usize, usize),
    Cancel(Option<Vec<(usize, u32)>>),
    Hold,
    ReleaseHold,
    Adjust(usize, usize, i64),
    Count(usize, usize, i64),
}

fn op() -> impl Strategy<Value = Op> {
    let line = 0usize..4;
    let (at, units) = (0usize..3, 1u32..6);
    prop_oneof![
        1 => prop::collection::vec((0usize..3, units.clone()), 0..4).prop_map(Op::Place),
        2 => prop::collection::vec((line.clone(), at.clone(), units.clone()), 0..4).prop_map(Op::Allocate),
        4 => at.clone().prop_map(Op::AllocateEverything),
        4 => prop::option::of(at.clone()).prop_map(Op::Release),
        1 => (0u8..4, at.clone(), prop::collection::vec((line.clone(), units.clone()), 0..3))
            .prop_map(|(s, a, ls)| Op::Ship(s, a, ls)),
        4 => (0u8..8, at.clone(), 1u32..4).prop_map(|(s, a, u)| Op::ShipReleased(s, a, u)),
        1 => (0u8..8).prop_map(Op::Deliver),
        4 => Just(Op::DeliverNext),
        1 => (0u8..4, at.clone(), prop::collection::vec((line.clone(), units.clone(), 0usize..3), 0..3))
            .prop_map(|(r, a, ls)| Op::Return(r, a, ls)),
        3 => (0u8..8, at.clone(), 0usize..3).prop_map(|(r, a, d)| Op::ReturnDelivered(r, a, d)),
        2 => prop::option::weighted(0.85, prop::collection::vec((line, 1u32..3), 0..3)).prop_map(Op::Cancel),
        1 => Just(Op::Hold),
        3 => Just(Op::ReleaseHold),
        2 => (0usize..3, at.clone(), -6i64..15).prop_map(|(s, a, d)| Op::Adjust(s, a, d)),
        1 => (0usize..3, at, -1i64..12).prop_map(|(s, a, c)| Op::Count(s, a, c)),
    ]
}

fn line_name(i: usize) -> String {
    format!("L{i}")
}

fn shipment_name(n: u8) -> String {
    format!("S{n}")
}

/// The command a step stands for, in the current world.
fn command(op: &Op, world: &World) -> Command {
    let order = world.order.as_ref();
    match op {
        Op::Place(ls) => {
            let ls: Vec<(String, &str, u32)> =
                ls.iter().enumerate().map(|(i, (s, q))| (line_name(i), SKUS[*s], *q)).collect();
            place(&ls.iter().map(|(l, s, q)| (l.as_str(), *s, *q)).collect::<Vec<_>>())
        }
        Op::Allocate(items) => {
            let items: Vec<(String, usize, u32)> = items.iter().map(|(l, a, q)| (line_name(*l), *a, *q)).collect();
            allocate(&items.iter().map(|(l, a, q)| (l.as_str(), LOCS[*a], *q)).collect::<Vec<_>>())
        }
        Op::AllocateEverything(first) => {
            // Each line goes where the most of its sku is free, trying locations from `first` on.
            let mut items = Vec::new();
            for line in order.iter().flat_map(|o| &o.lines) {
                let free = |at: &str| world.position(line.sku.as_str(), at).map_or(0, |p| p.on_hand - p.reserved);
                let at =
                    (0..LOCS.len()).map(|i| LOCS[(first + i) % LOCS.len()]).max_by_key(|at| free(at)).unwrap_or("W1");
                let units = i64::from(line.quantities.unallocated()).min(free(at));
                if units > 0 {
                    items.push((line.id.to_string(), at, u32::try_from(units).unwrap_or(1)));
                }
            }
            allocate(&items.iter().map(|(l, at, q)| (l.as_str(), *at, *q)).collect::<Vec<_>>())
        }
        Op::Release(at) => release(at.map(|a| LOCS[a])),
        Op::Ship(s, at, items) => {
            let items: Vec<(String, u32)> = items.iter().map(|(l, q)| (line_name(*l), *q)).collect();
            ship(&shipment_name(*s), LOCS[*at], &items.iter().map(|(l, q)| (l.as_str(), *q)).collect::<Vec<_>>())
        }
        Op::ShipReleased(s, at, cap) => {
            let mut items = Vec::new();
            for line in order.iter().flat_map(|o| &o.lines) {
                let room = line.allocation(&loc(LOCS[*at])).map_or(0, |a| a.released - a.shipped);
                if room > 0 {
                    items.push((line.id.to_string(), room.min(*cap)));
                }
            }
            ship(&shipment_name(*s), LOCS[*at], &items.iter().map(|(l, q)| (l.as_str(), *q)).collect::<Vec<_>>())
        }
        Op::Deliver(s) => deliver(&shipment_name(*s)),
        Op::DeliverNext => {
            let next = order.and_then(|o| o.shipments.iter().find(|s| s.delivered_at.is_none()));
            deliver(next.map_or("S0", |s| s.id.as_str()))
        }
        Op::Return(r, at, items) => {
            let items: Vec<(String, u32, Disposition)> =
                items.iter().map(|(l, q, d)| (line_name(*l), *q, DISPOSITIONS[*d])).collect();
            let items: Vec<(&str, u32, Disposition)> = items.iter().map(|(l, q, d)| (l.as_str(), *q, *d)).collect();
            record_return(&format!("R{r}"), LOCS[*at], &items)
        }
        Op::ReturnDelivered(r, at, d) => {
            let mut items = Vec::new();
            for line in order.iter().flat_map(|o| &o.lines) {
                let left = line.quantities.delivered - line.quantities.returned;
                if left > 0 {
                    items.push((line.id.to_string(), left.div_ceil(2), DISPOSITIONS[*d]));
                }
            }
            let items: Vec<(&str, u32, Disposition)> = items.iter().map(|(l, q, d)| (l.as_str(), *q, *d)).collect();
            record_return(&format!("R{r}"), LOCS[*at], &items)
        }
        Op::Cancel(items) => {
            let items: Option<Vec<(String, u32)>> =
                items.as_ref().map(|v| v.iter().map(|(l, q)| (line_name(*l), *q)).collect());
            let items: Option<Vec<(&str, u32)>> =
                items.as_ref().map(|v| v.iter().map(|(l, q)| (l.as_str(), *q)).collect());
            cancel(items.as_deref())
        }
        Op::Hold => hold("review"),
        Op::ReleaseHold => release_hold(),
        Op::Adjust(s, at, delta) => adjust(SKUS[*s], LOCS[*at], *delta),
        Op::Count(s, at, counted) => count(SKUS[*s], LOCS[*at], *counted),
    }
}

/// What the units at each position have been through, to check that nothing is promised twice.
#[derive(Default)]
struct Ledger {
    received: BTreeMap<(Sku, LocationId), i64>,
    shipped: BTreeMap<(Sku, LocationId), i64>,
    order_events: u64,
    position_events: BTreeMap<(Sku, LocationId), u64>,
}

impl Ledger {
    /// Records one event about to be applied to `state`; checks reservations against what is available.
    fn record(&mut self, state: &State, event: &Event) -> Result<(), TestCaseError> {
        let key = |s: &Sku, l: &LocationId| (s.clone(), l.clone());
        match event {
            Event::InventoryReserved { sku, location, quantity, .. } => {
                let p = &state.positions[&key(sku, location)];
                prop_assert!(*quantity <= p.on_hand - p.reserved - p.safety_stock, "reserved {quantity} beyond {p:?}");
            }
            Event::InventoryShipped { sku, location, quantity, .. } => {
                *self.shipped.entry(key(sku, location)).or_default() += quantity;
            }
            Event::InventoryRestocked { sku, location, quantity, .. } => {
                *self.received.entry(key(sku, location)).or_default() += quantity;
            }
            Event::InventoryAdjusted { sku, location, delta, .. } => {
                *self.received.entry(key(sku, location)).or_default() += (*delta).max(0);
            }
            Event::InventoryCounted { sku, location, counted, previous } => {
                *self.received.entry(key(sku, location)).or_default() += (counted - previous).max(0);
            }
            _ => {}
        }
        match event.aggregate().0 {
            crossdock_model::AggregateKind::Order => self.order_events += 1,
            crossdock_model::AggregateKind::Inventory => {
                let k = match event {
                    Event::InventoryReserved { sku, location, .. }
                    | Event::InventoryReservationReleased { sku, location, .. }
                    | Event::InventoryShipped { sku, location, .. }
                    | Event::InventoryRestocked { sku, location, .. }
                    | Event::InventoryAdjusted { sku, location, .. }
                    | Event::InventoryCounted { sku, location, .. } => key(sku, location),
                    _ => return Ok(()),
                };
                *self.position_events.entry(k).or_default() += 1;
            }
            crossdock_model::AggregateKind::Location | crossdock_model::AggregateKind::Availability => {}
        }
        Ok(())
    }
}

/// Every invariant of the world: order, positions, reservations matching allocations, no oversell, versions.
fn check_world(world: &World, ledger: &Ledger) -> Result<(), TestCaseError> {
    let mut expected_reserved: BTreeMap<(Sku, LocationId), i64> = BTreeMap::new();
    if let Some(order) = &world.order {
        prop_assert_eq!(order.check_invariants(), Ok(()));
        prop_assert_eq!(order.version, ledger.order_events);
        for line in &order.lines {
            for a in &line.allocations {
                *expected_reserved.entry((line.sku.clone(), a.location.clone())).or_default() +=
                    i64::from(a.allocated - a.shipped);
            }
        }
    }
    for (key, p) in &world.positions {
        prop_assert_eq!(p.check_invariants(), Ok(()));
        prop_assert_eq!(p.reserved, expected_reserved.remove(key).unwrap_or(0), "reserved at {:?}", key);
        let (received, shipped) =
            (ledger.received.get(key).copied().unwrap_or(0), ledger.shipped.get(key).copied().unwrap_or(0));
        prop_assert!(
            p.reserved + shipped <= received,
            "oversold at {key:?}: {} reserved + {shipped} shipped > {received}",
            p.reserved
        );
        prop_assert_eq!(Some(&p.version), ledger.position_events.get(key));
    }
    prop_assert!(expected_reserved.values().all(|r| *r == 0), "allocations without a position: {expected_reserved:?}");
    Ok(())
}

fn scenario() -> impl Strategy<Value = (Vec<Op>, Vec<Op>)> {
    let stock = prop::collection::vec((0usize..3, 0usize..3, 1i64..30).prop_map(|(s, a, d)| Op::Adjust(s, a, d)), 1..8);
    let lines = prop::collection::vec((0usize..3, 1u32..6), 1..4).prop_map(Op::Place);
    (
        (stock, lines).prop_map(|(mut s, p)| {
            s.push(p);
            s
        }),
        prop::collection::vec(op(), 1..60),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_commands_keep_every_invariant((setup, ops) in scenario()) {
        let mut world = World::default();
        let mut ledger = Ledger::default();
        for op in setup.iter().chain(&ops) {
            let command = command(op, &world);
            let (state, keys) = world.load(&command);
            let decided = decide(&state, &command, now());
            prop_assert_eq!(&decided, &decide(&state, &command, now()), "decide is deterministic");
            match decided {
                Ok(events) => {
                    let mut probe = state.clone();
                    for event in &events {
                        ledger.record(&probe, event)?;
                        evolve(&mut probe, event, now());
                    }
                    let evolved = world.evolve_all(state, &keys, &command, &events);
                    prop_assert_eq!(&evolved, &probe);
                    let mut next = world.clone();
                    prop_assert!(next.apply(&command).is_ok());
                    prop_assert_eq!(next.order.as_ref(), evolved.order.as_ref().or(world.order.as_ref()));
                    world = next;
                }
                Err(refused) => {
                    let before = world.clone();
                    prop_assert_eq!(world.apply(&command), Err(refused.clone()));
                    prop_assert_eq!(&world, &before, "a refused command changes nothing");
                    let pointer = refused.pointer().unwrap_or("");
                    prop_assert!(pointer.is_empty() || pointer.starts_with('/'), "{pointer}");
                    prop_assert!(!refused.code().is_empty());
                }
            }
            check_world(&world, &ledger)?;
        }
    }
}

/// A random event, built without regard to what the state allows.
fn wild_event() -> impl Strategy<Value = Event> {
    let movement = (0usize..4, 0usize..3, 0u32..8).prop_map(|(l, a, q)| LineMovement {
        line_id: line_id(&line_name(l)),
        location: loc(LOCS[a]),
        quantity: q,
    });
    let movements = prop::collection::vec(movement, 0..4);
    let quantities = prop::collection::vec((0usize..4, 1u32..8), 0..4).prop_map(|v| {
        v.into_iter()
            .map(|(l, q)| LineQuantity { line_id: line_id(&line_name(l)), quantity: qty(q) })
            .collect::<Vec<_>>()
    });
    let position = (0usize..3, 0usize..3, prop_oneof![-10i64..20, Just(i64::MAX), Just(i64::MIN)]);
    prop_oneof![
        movements.clone().prop_map(|m| Event::OrderLinesAllocated { order_id: order_id(), allocations: m }),
        movements.clone().prop_map(|m| Event::OrderReleased { order_id: order_id(), lines: m }),
        (quantities.clone(), movements).prop_map(|(l, m)| Event::OrderLinesCancelled {
            order_id: order_id(),
            lines: l,
            released: m,
            reason: String::new()
        }),
        (0u8..3, 0usize..3, quantities.clone()).prop_map(|(s, a, l)| Event::ShipmentConfirmed {
            order_id: order_id(),
            shipment: Shipment {
                id: ShipmentId::new(shipment_name(s)).unwrap(),
                location: loc(LOCS[a]),
                carrier: "X".into(),
                service: None,
                tracking_number: None,
                lines: l,
                shipped_at: now(),
                delivered_at: None,
            },
        }),
        (0u8..3).prop_map(|s| Event::DeliveryConfirmed {
            order_id: order_id(),
            shipment_id: ShipmentId::new(shipment_name(s)).unwrap(),
            delivered_at: now()
        }),
        (0u8..3, quantities).prop_map(|(r, l)| Event::ReturnRecorded {
            order_id: order_id(),
            record: ReturnRecord {
                id: ReturnId::new(format!("R{r}")).unwrap(),
                location: loc("W1"),
                received_at: now(),
                authorisation: None,
                lines: l
                    .into_iter()
                    .map(|q| ReturnLine {
                        line_id: q.line_id,
                        quantity: q.quantity,
                        reason: ReturnReason::Other,
                        disposition: Disposition::Damaged,
                    })
                    .collect(),
            },
        }),
        Just(Event::OrderHeld { order_id: order_id(), reason: "x".into() }),
        Just(Event::OrderHoldReleased { order_id: order_id() }),
        position.clone().prop_map(|(s, a, q)| Event::InventoryReserved {
            sku: sku(SKUS[s]),
            location: loc(LOCS[a]),
            order_id: order_id(),
            quantity: q
        }),
        position.clone().prop_map(|(s, a, q)| Event::InventoryReservationReleased {
            sku: sku(SKUS[s]),
            location: loc(LOCS[a]),
            order_id: order_id(),
            quantity: q
        }),
        position.clone().prop_map(|(s, a, q)| Event::InventoryShipped {
            sku: sku(SKUS[s]),
            location: loc(LOCS[a]),
            order_id: order_id(),
            quantity: q
        }),
        position.clone().prop_map(|(s, a, q)| Event::InventoryRestocked {
            sku: sku(SKUS[s]),
            location: loc(LOCS[a]),
            order_id: order_id(),
            quantity: q
        }),
        position.clone().prop_map(|(s, a, d)| Event::InventoryAdjusted {
            sku: sku(SKUS[s]),
            location: loc(LOCS[a]),
            delta: d,
            reason: String::new()
        }),
        position.prop_map(|(s, a, c)| Event::InventoryCounted {
            sku: sku(SKUS[s]),
            location: loc(LOCS[a]),
            counted: c,
            previous: 0
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn evolve_keeps_invariants_whatever_the_events(lines in prop::collection::vec((0usize..3, 1u32..6), 1..4),
                                                   events in prop::collection::vec(wild_event(), 0..30)) {
        let lines: Vec<(String, &str, u32)> = lines.iter().enumerate().map(|(i, (s, q))| (line_name(i), SKUS[*s], *q)).collect();
        let placed = place(&lines.iter().map(|(l, s, q)| (l.as_str(), *s, *q)).collect::<Vec<_>>());
        let mut state = State::default();
        for event in decide(&state, &placed, now()).unwrap_or_default().iter().chain(&events) {
            let version = state.order.as_ref().map_or(0, |o| o.version);
            evolve(&mut state, event, now());
            let order = state.order.as_ref().unwrap();
            prop_assert_eq!(order.check_invariants(), Ok(()));
            if matches!(event.aggregate().0, crossdock_model::AggregateKind::Order) {
                prop_assert_eq!(order.version, version + 1);
            }
            prop_assert!(state.positions.values().all(|p: &InventoryPosition| p.check_invariants().is_ok()));
            // Whatever evolve made of the events, deciding on it never panics.
            for probe in [cancel(None), allocate(&[("L0", "W1", 1)]), release(None), ship("S9", "W1", &[("L0", 1)])] {
                let _ = decide(&state, &probe, now());
            }
        }
    }
}
