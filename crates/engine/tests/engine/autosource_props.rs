//! Property test of automatic sourcing: random orders, receipts, counts, cancellations and refills over a
//! small network, each decided against the state a store would load, never reserve beyond the stock available
//! to promise, and the reservations always equal what the orders hold.

use crate::support::{address, loc, location, now, qty, sku};
use crossdock_engine::sourcing::SourcingConfig;
use crossdock_engine::{SourcingState, State, decide, evolve, inventory_keys, sourcing_skus};
use crossdock_model::{
    ChannelId, Command, Coordinates, Currency, Event, ExternalId, InventoryPosition, LineId, Location, LocationId,
    Money, NewOrderLine, Order, OrderId, PlaceOrder, Sku, SourcingMode, SourcingOptions,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

const SKUS: [&str; 3] = ["A", "B", "C"];
const SITES: [(&str, f64, f64); 3] = [("CHI", 41.88, -87.63), ("ATL", 33.75, -84.39), ("LAX", 34.05, -118.24)];

#[derive(Debug, Clone)]
enum Op {
    Place { lines: Vec<(usize, u32)>, manual: bool, ship_complete: bool },
    Adjust(usize, usize, i64),
    Count(usize, usize, i64),
    Cancel(usize),
    Source(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (prop::collection::vec((0usize..3, 1u32..5), 1..4), prop::bool::weighted(0.1), prop::bool::weighted(0.2))
            .prop_map(|(lines, manual, ship_complete)| Op::Place { lines, manual, ship_complete }),
        3 => (0usize..3, 0usize..3, -3i64..8).prop_map(|(s, l, d)| Op::Adjust(s, l, d)),
        1 => (0usize..3, 0usize..3, 0i64..6).prop_map(|(s, l, c)| Op::Count(s, l, c)),
        1 => (0usize..20).prop_map(Op::Cancel),
        2 => (0usize..20).prop_map(Op::Source),
    ]
}

/// Many orders, every position, the network: what a store holds.
struct Net {
    orders: Vec<Order>,
    positions: BTreeMap<(Sku, LocationId), InventoryPosition>,
    locations: Vec<Location>,
}

impl Net {
    fn new(safety: &[i64]) -> Net {
        let locations = SITES
            .iter()
            .map(|(id, lat, lon)| Location { coordinates: Coordinates::new(*lat, *lon).unwrap(), ..location(id, id) })
            .collect();
        let mut positions = BTreeMap::new();
        for (i, s) in SKUS.iter().enumerate() {
            for (j, (l, _, _)) in SITES.iter().enumerate() {
                let mut p = InventoryPosition::empty(sku(s), loc(l), now());
                p.safety_stock = safety[(i * 3 + j) % safety.len()];
                positions.insert((sku(s), loc(l)), p);
            }
        }
        Net { orders: Vec::new(), positions, locations }
    }

    fn command(&self, op: &Op) -> Option<Command> {
        let order_at = |k: usize| self.orders.get(k % self.orders.len().max(1)).map(|o| o.id.clone());
        Some(match op {
            Op::Place { lines, manual, ship_complete } => Command::PlaceOrder(PlaceOrder {
                id: OrderId::new(format!("o-{}", self.orders.len())).unwrap(),
                channel: ChannelId::new("web").unwrap(),
                external_id: ExternalId::new(format!("x-{}", self.orders.len())).unwrap(),
                customer: None,
                ship_to: address(),
                bill_to: None,
                currency: Currency::USD,
                shipping: None,
                tax_exempt_certificate: None,
                lines: lines
                    .iter()
                    .enumerate()
                    .map(|(i, (s, q))| NewOrderLine {
                        id: LineId::new(i.to_string()).unwrap(),
                        sku: sku(SKUS[*s]),
                        quantity: qty(*q),
                        unit_price: Money::new(100, Currency::USD),
                    })
                    .collect(),
                placed_at: now(),
                sourcing: SourcingOptions {
                    mode: if *manual { SourcingMode::Manual } else { SourcingMode::Auto },
                    ship_complete: *ship_complete,
                    ..SourcingOptions::default()
                },
            }),
            Op::Adjust(s, l, delta) => Command::AdjustInventory {
                sku: sku(SKUS[*s]),
                location: loc(SITES[*l].0),
                delta: *delta,
                reason: "receipt".into(),
            },
            Op::Count(s, l, counted) => {
                Command::CountInventory { sku: sku(SKUS[*s]), location: loc(SITES[*l].0), counted: *counted }
            }
            Op::Cancel(k) => {
                Command::CancelOrder { order_id: order_at(*k)?, lines: None, reason: String::new(), location: None }
            }
            Op::Source(k) => Command::SourceOrder { order_id: order_at(*k)? },
        })
    }

    /// Loads, decides and (when accepted) applies `command`, checking every reservation against ATP.
    fn apply(&mut self, command: &Command) -> Result<(), TestCaseError> {
        let order = command.order_id().and_then(|id| self.orders.iter().find(|o| &o.id == id)).cloned();
        let mut state = State { order: order.clone(), ..State::default() };
        for key in inventory_keys(command, order.as_ref()) {
            state.positions.insert(key.clone(), self.positions[&key].clone());
        }
        let skus = sourcing_skus(command, order.as_ref());
        for ((s, l), p) in &self.positions {
            if skus.contains(s) {
                state.positions.insert((s.clone(), l.clone()), p.clone());
            }
        }
        if !skus.is_empty() {
            let config = SourcingConfig::standard();
            let locations = self.locations.clone();
            state.sourcing = Some(SourcingState {
                locations,
                sourced_today: BTreeMap::new(),
                config,
                channels: Vec::new(),
                release: Default::default(),
            });
        }
        let Ok(events) = decide(&state, command, now()) else { return Ok(()) };
        let mut promised: BTreeMap<(Sku, LocationId), i64> = BTreeMap::new();
        for event in &events {
            if let Event::InventoryReserved { sku, location, quantity, .. } = event {
                *promised.entry((sku.clone(), location.clone())).or_default() += quantity;
            }
        }
        for (key, units) in promised {
            let atp = self.positions[&key].available();
            prop_assert!(units <= atp, "{units} of {key:?} promised with {atp} available to promise");
        }
        for event in &events {
            evolve(&mut state, event, now());
        }
        if let Some(order) = state.order {
            order.check_invariants().map_err(TestCaseError::fail)?;
            match self.orders.iter_mut().find(|o| o.id == order.id) {
                Some(held) => *held = order,
                None => self.orders.push(order),
            }
        }
        self.positions.extend(state.positions);
        Ok(())
    }

    /// Reserved units at each position equal the allocated, unshipped units orders hold there.
    fn check_reservations(&self) -> Result<(), TestCaseError> {
        let mut held: BTreeMap<(Sku, LocationId), i64> = BTreeMap::new();
        for order in &self.orders {
            for line in &order.lines {
                for a in &line.allocations {
                    *held.entry((line.sku.clone(), a.location.clone())).or_default() += i64::from(a.allocated);
                }
            }
        }
        for (key, p) in &self.positions {
            prop_assert_eq!(p.reserved, held.get(key).copied().unwrap_or(0), "reservations at {:?}", key);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn automatic_sourcing_never_promises_beyond_atp(
        safety in prop::collection::vec(0i64..3, 1..9),
        ops in prop::collection::vec(op(), 1..40),
    ) {
        let mut net = Net::new(&safety);
        for op in &ops {
            if let Some(command) = net.command(op) {
                net.apply(&command)?;
                net.check_reservations()?;
            }
        }
    }
}

/// The harness itself sources: a fixed scenario reserves, backorders and refills.
#[test]
fn the_scenario_harness_sources_and_refills() {
    let mut net = Net::new(&[1]);
    let ops = [
        Op::Adjust(0, 0, 4),
        Op::Place { lines: vec![(0, 2)], manual: false, ship_complete: false },
        Op::Place { lines: vec![(0, 3)], manual: false, ship_complete: false },
        Op::Adjust(0, 2, 3),
        Op::Source(1),
    ];
    for op in &ops {
        let command = net.command(op).expect("a command");
        net.apply(&command).expect("within ATP");
        net.check_reservations().expect("reservations agree");
    }
    let allocated: Vec<u32> = net.orders.iter().map(|o| o.lines[0].quantities.allocated).collect();
    // 4 at CHI less 1 of safety stock: 2 to the first order, 1 to the second; 2 more once LAX has 3 (less 1).
    assert_eq!(allocated, [2, 3]);
}
