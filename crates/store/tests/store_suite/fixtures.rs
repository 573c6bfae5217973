//! Commands, requests and log helpers shared by the suite's cases.

use chrono::{DateTime, Utc};
use crossdock_engine::State;
use crossdock_model::{
    AggregateKind, Allocation, ChannelId, Command, Coordinates, Currency, ExternalId, LineId, Location, LocationId,
    LocationKind, Money, NewOrderLine, Order, OrderId, PlaceOrder, Quantity, RecordedEvent, Sku,
};
use crossdock_store::{CommandRequest, Store};
use std::collections::BTreeMap;

pub fn order_id(id: &str) -> OrderId {
    OrderId::new(id).unwrap()
}

pub fn sku(id: &str) -> Sku {
    Sku::new(id).unwrap()
}

pub fn loc(id: &str) -> LocationId {
    LocationId::new(id).unwrap()
}

pub fn request(key: &str, command: Command) -> CommandRequest {
    CommandRequest {
        idempotency_key: key.to_string(),
        command,
        actor: "suite".into(),
        expected_version: None,
        origin: Default::default(),
    }
}

/// An order with one line per `(sku, quantity)`, lines numbered from 1.
pub fn place_lines(id: &str, channel: &str, lines: &[(&str, u32)]) -> Command {
    Command::PlaceOrder(PlaceOrder {
        id: order_id(id),
        channel: ChannelId::new(channel).unwrap(),
        external_id: ExternalId::new(format!("ext-{id}")).unwrap(),
        customer: None,
        ship_to: crossdock_store::testing::sample_address(),
        bill_to: None,
        currency: Currency::USD,
        shipping: None,
        tax_exempt_certificate: None,
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (s, q))| NewOrderLine {
                id: LineId::new((i + 1).to_string()).unwrap(),
                sku: sku(s),
                quantity: Quantity::new(*q).unwrap(),
                unit_price: Money::new(1999, Currency::USD),
            })
            .collect(),
        placed_at: DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z").unwrap().with_timezone(&Utc),
        sourcing: Default::default(),
    })
}

pub fn place(id: &str, channel: &str) -> Command {
    place_lines(id, channel, &[("SKU-1", 2)])
}

pub fn hold(id: &str) -> Command {
    Command::HoldOrder { order_id: order_id(id), reason: "fraud check".into() }
}

pub fn release_hold(id: &str) -> Command {
    Command::ReleaseHold { order_id: order_id(id) }
}

pub fn adjust(s: &str, l: &str, delta: i64) -> Command {
    Command::AdjustInventory { sku: sku(s), location: loc(l), delta, reason: "receipt".into() }
}

pub fn allocate(order: &str, line: &str, location: &str, quantity: u32) -> Command {
    Command::AllocateLines {
        order_id: order_id(order),
        allocations: vec![Allocation {
            line_id: LineId::new(line).unwrap(),
            location: loc(location),
            quantity: Quantity::new(quantity).unwrap(),
        }],
    }
}

pub fn location(id: &str, name: &str) -> Location {
    Location {
        id: loc(id),
        name: name.into(),
        kind: LocationKind::Warehouse,
        coordinates: Coordinates::new(41.88, -87.63).unwrap(),
        address: None,
        active: true,
        ships: true,
        pickup: false,
        capacity_per_day: None,
        handling_minor: 0,
    }
}

/// The whole log, read in pages.
pub async fn all_events(store: &dyn Store) -> Vec<RecordedEvent> {
    let mut out: Vec<RecordedEvent> = Vec::new();
    loop {
        let after = out.last().map_or(0, |e| e.seq);
        let page = store.events_after(after, 500).await.unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// Current state rebuilt from the log alone with the engine's `evolve`.
#[derive(Default)]
pub struct Replayed {
    pub orders: BTreeMap<String, Order>,
    pub positions: BTreeMap<(Sku, LocationId), crossdock_model::InventoryPosition>,
}

pub fn replay(events: &[RecordedEvent]) -> Replayed {
    let mut states: BTreeMap<(String, String), State> = BTreeMap::new();
    for e in events {
        let state = states.entry((e.aggregate_kind.as_str().to_string(), e.aggregate_id.clone())).or_default();
        crossdock_engine::evolve(state, &e.payload, e.recorded_at);
    }
    let mut out = Replayed::default();
    for ((kind, id), state) in states {
        if kind == AggregateKind::Order.as_str() {
            out.orders.insert(id, state.order.expect("an order aggregate holds its order"));
        } else {
            out.positions.extend(state.positions);
        }
    }
    out
}

/// Per aggregate, the versions in the log must be 1, 2, 3, … in sequence order.
pub fn assert_consecutive_versions(events: &[RecordedEvent]) {
    let mut last: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut last_seq = 0;
    for e in events {
        assert!(e.seq > last_seq, "sequence numbers must increase: {} after {last_seq}", e.seq);
        last_seq = e.seq;
        let version = last.entry((e.aggregate_kind.as_str().to_string(), e.aggregate_id.clone())).or_insert(0);
        assert_eq!(
            e.version,
            *version + 1,
            "version of {} {} at seq {}",
            e.aggregate_kind.as_str(),
            e.aggregate_id,
            e.seq
        );
        *version = e.version;
    }
}

/// A batch scheduling every one of `events` for `subscription` (to `system`), moving its cursor from
/// `expected` to the last of them.
pub fn schedule_all(
    subscription: &str,
    system: &str,
    expected: i64,
    events: &[RecordedEvent],
    now: DateTime<Utc>,
) -> crossdock_store::ScheduleBatch {
    crossdock_store::ScheduleBatch {
        subscription: subscription.into(),
        system: system.into(),
        expected_cursor: expected,
        new_cursor: events.last().map_or(expected, |e| e.seq),
        deliveries: events.iter().map(crossdock_store::NewDelivery::pending).collect(),
        now,
    }
}
