//! Test fixtures: command builders, a one-order `World` that loads state the way the store does, and a
//! compact text rendering of events, errors and state for data-driven expectations.

use chrono::{DateTime, Utc};
use crossdock_engine::sourcing::SourcingConfig;
use crossdock_engine::{DecideError, SourcingState, State, decide, evolve, inventory_keys, sourcing_skus};
use crossdock_model::{
    Address, AggregateKind, Allocation, AuthorisedLine, CancelOutcome, ChannelId, Command, Country, Currency,
    Disposition, Event, ExternalId, InventoryPosition, LineId, LineQuantity, Location, LocationId, Money, NewOrderLine,
    Order, OrderId, PlaceOrder, Quantity, ReturnAuthorisationId, ReturnId, ReturnLine, ReturnReason, ShipmentId, Sku,
};
use std::collections::BTreeMap;

pub const ORDER: &str = "o-1";

pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
}

pub fn qty(units: u32) -> Quantity {
    Quantity::new(units).unwrap()
}

pub fn sku(s: &str) -> Sku {
    Sku::new(s).unwrap()
}

pub fn loc(s: &str) -> LocationId {
    LocationId::new(s).unwrap()
}

pub fn line_id(s: &str) -> LineId {
    LineId::new(s).unwrap()
}

pub fn order_id() -> OrderId {
    OrderId::new(ORDER).unwrap()
}

pub fn address() -> Address {
    Address {
        name: "Ada Lovelace".into(),
        line1: "1 Main St".into(),
        line2: None,
        city: "Springfield".into(),
        region: Some("IL".into()),
        postal_code: "62701".into(),
        country: Country::US,
    }
}

/// A new order `o-1` in USD; each line is (id, sku, quantity) at 10.00 a unit.
pub fn new_order(lines: &[(&str, &str, u32)]) -> PlaceOrder {
    PlaceOrder {
        id: order_id(),
        channel: ChannelId::new("web").unwrap(),
        external_id: ExternalId::new("W-1001").unwrap(),
        customer: None,
        ship_to: address(),
        bill_to: None,
        currency: Currency::USD,
        shipping: Some(Money::new(500, Currency::USD)),
        tax_exempt_certificate: None,
        lines: lines
            .iter()
            .map(|(id, s, q)| NewOrderLine {
                id: line_id(id),
                sku: sku(s),
                quantity: qty(*q),
                unit_price: Money::new(1000, Currency::USD),
            })
            .collect(),
        placed_at: now(),
        sourcing: Default::default(),
    }
}

pub fn place(lines: &[(&str, &str, u32)]) -> Command {
    Command::PlaceOrder(new_order(lines))
}

/// The usual order: L1 is 2 × SKU-A, L2 is 1 × SKU-B.
pub fn place_default() -> Command {
    place(&[("L1", "SKU-A", 2), ("L2", "SKU-B", 1)])
}

/// The usual stock: 10 SKU-A at W1, 5 SKU-A at W2, 3 SKU-B at W1.
pub fn stock() -> Vec<Command> {
    vec![adjust("SKU-A", "W1", 10), adjust("SKU-A", "W2", 5), adjust("SKU-B", "W1", 3)]
}

pub fn hold(reason: &str) -> Command {
    Command::HoldOrder { order_id: order_id(), reason: reason.into() }
}

pub fn release_hold() -> Command {
    Command::ReleaseHold { order_id: order_id() }
}

pub fn lines(items: &[(&str, u32)]) -> Vec<LineQuantity> {
    items.iter().map(|(l, q)| LineQuantity { line_id: line_id(l), quantity: qty(*q) }).collect()
}

pub fn cancel(items: Option<&[(&str, u32)]>) -> Command {
    Command::CancelOrder {
        order_id: order_id(),
        lines: items.map(lines),
        reason: "customer asked".into(),
        location: None,
    }
}

/// A cancel of units held at one location (a site that cannot find them).
pub fn cancel_at(at: &str, items: Option<&[(&str, u32)]>) -> Command {
    Command::CancelOrder {
        order_id: order_id(),
        lines: items.map(lines),
        reason: "not found".into(),
        location: Some(loc(at)),
    }
}

/// The warehouse's answer to the open cancel request.
pub fn answer_cancel(accepted: bool) -> Command {
    let outcome = if accepted { CancelOutcome::Accepted } else { CancelOutcome::Refused };
    Command::AnswerCancelRequest { order_id: order_id(), outcome, reason: None }
}

pub fn allocate(items: &[(&str, &str, u32)]) -> Command {
    Command::AllocateLines {
        order_id: order_id(),
        allocations: items
            .iter()
            .map(|(l, at, q)| Allocation { line_id: line_id(l), location: loc(at), quantity: qty(*q) })
            .collect(),
    }
}

pub fn release(at: Option<&str>) -> Command {
    Command::ReleaseToWarehouse { order_id: order_id(), location: at.map(loc) }
}

pub fn ship(id: &str, at: &str, items: &[(&str, u32)]) -> Command {
    Command::ConfirmShipment {
        order_id: order_id(),
        shipment_id: ShipmentId::new(id).unwrap(),
        location: loc(at),
        carrier: "UPS".into(),
        service: Some("ground".into()),
        tracking_number: Some("1Z999".into()),
        lines: lines(items),
        shipped_at: now(),
    }
}

pub fn deliver(id: &str) -> Command {
    Command::ConfirmDelivery { order_id: order_id(), shipment_id: ShipmentId::new(id).unwrap(), delivered_at: now() }
}

pub fn return_lines(items: &[(&str, u32, Disposition)]) -> Vec<ReturnLine> {
    items
        .iter()
        .map(|(l, q, d)| ReturnLine {
            line_id: line_id(l),
            quantity: qty(*q),
            reason: ReturnReason::NoLongerNeeded,
            disposition: *d,
        })
        .collect()
}

pub fn record_return(id: &str, at: &str, items: &[(&str, u32, Disposition)]) -> Command {
    Command::RecordReturn {
        order_id: order_id(),
        return_id: ReturnId::new(id).unwrap(),
        location: loc(at),
        lines: return_lines(items),
        received_at: now(),
        authorisation: None,
    }
}

/// An RMA for (line, units, reason) items.
pub fn authorise(id: &str, items: &[(&str, u32, ReturnReason)], expected: Option<&str>) -> Command {
    Command::AuthoriseReturn {
        order_id: order_id(),
        authorisation_id: ReturnAuthorisationId::new(id).unwrap(),
        lines: items
            .iter()
            .map(|(l, q, reason)| AuthorisedLine { line_id: line_id(l), quantity: qty(*q), reason: *reason })
            .collect(),
        expected_location: expected.map(loc),
        authorised_at: now(),
    }
}

/// A return received against an RMA; each item is (line, units, reason, disposition).
pub fn return_against(
    id: &str,
    at: &str,
    rma: Option<&str>,
    items: &[(&str, u32, ReturnReason, Disposition)],
) -> Command {
    Command::RecordReturn {
        order_id: order_id(),
        return_id: ReturnId::new(id).unwrap(),
        location: loc(at),
        lines: items
            .iter()
            .map(|(l, q, reason, d)| ReturnLine {
                line_id: line_id(l),
                quantity: qty(*q),
                reason: *reason,
                disposition: *d,
            })
            .collect(),
        received_at: now(),
        authorisation: rma.map(|r| ReturnAuthorisationId::new(r).unwrap()),
    }
}

pub fn adjust(s: &str, at: &str, delta: i64) -> Command {
    Command::AdjustInventory { sku: sku(s), location: loc(at), delta, reason: "receipt".into() }
}

pub fn count(s: &str, at: &str, counted: i64) -> Command {
    Command::CountInventory { sku: sku(s), location: loc(at), counted }
}

pub fn location(id: &str, name: &str) -> Location {
    Location {
        id: loc(id),
        name: name.into(),
        kind: crossdock_model::LocationKind::Warehouse,
        coordinates: crossdock_model::Coordinates::new(41.9, -87.6).unwrap(),
        address: Some(address()),
        active: true,
        ships: true,
        pickup: false,
        capacity_per_day: None,
        handling_minor: 0,
    }
}

/// Everything the store would hold for one order: the order, every position, every location.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct World {
    pub order: Option<Order>,
    pub positions: BTreeMap<(Sku, LocationId), InventoryPosition>,
    pub locations: BTreeMap<LocationId, (Location, u64)>,
    /// The policy's channel groups and restocking rule, as the store would pass them.
    pub channels: Vec<crossdock_engine::ChannelGroup>,
    pub restocking: crossdock_engine::RestockingFeeRule,
    /// The policy's release mode (`[sourcing] release`).
    pub release: crossdock_engine::ReleaseMode,
}

impl World {
    /// A world built by commands that must all be accepted.
    pub fn with(setup: &[Command]) -> World {
        let mut world = World::default();
        for command in setup {
            if let Err(e) = world.apply(command) {
                panic!("setup command {} refused: {e:?}", command.type_name());
            }
        }
        world
    }

    /// Loads the state the command needs as the store does (positions named by `inventory_keys`, absent
    /// ones empty), decides, checks that every event belongs to a loaded aggregate, evolves, and writes back.
    pub fn apply(&mut self, command: &Command) -> Result<Vec<Event>, DecideError> {
        let (state, keys) = self.load(command);
        let events = decide(&state, command, now())?;
        let state = self.evolve_all(state, &keys, command, &events);
        self.store(state);
        Ok(events)
    }

    pub fn load(&self, command: &Command) -> (State, Vec<(Sku, LocationId)>) {
        let order = command.order_id().and_then(|id| self.order.clone().filter(|o| &o.id == id));
        let mut keys = inventory_keys(command, order.as_ref());
        let skus = sourcing_skus(command, order.as_ref());
        for s in &skus {
            keys.extend(self.locations.keys().map(|l| (s.clone(), l.clone())));
        }
        keys.sort();
        keys.dedup();
        let sourcing = (!skus.is_empty()).then(|| SourcingState {
            locations: self.locations.values().map(|(l, _)| l.clone()).collect(),
            sourced_today: BTreeMap::new(),
            config: SourcingConfig::standard(),
            channels: self.channels.clone(),
            release: self.release,
        });
        let positions = keys
            .iter()
            .map(|(s, l)| {
                let p = self.positions.get(&(s.clone(), l.clone())).cloned();
                ((s.clone(), l.clone()), p.unwrap_or_else(|| InventoryPosition::empty(s.clone(), l.clone(), now())))
            })
            .collect();
        let location = match command {
            Command::UpsertLocation { location } => self.locations.get(&location.id).cloned(),
            _ => None,
        };
        let state =
            State { order, positions, location, sourcing, restocking: self.restocking.clone(), availability: None };
        (state, keys)
    }

    pub fn evolve_all(
        &self,
        mut state: State,
        keys: &[(Sku, LocationId)],
        command: &Command,
        events: &[Event],
    ) -> State {
        for event in events {
            let (kind, id) = event.aggregate();
            match kind {
                AggregateKind::Order => assert_eq!(Some(id.as_str()), command.order_id().map(OrderId::as_str)),
                AggregateKind::Inventory => assert!(
                    keys.iter().any(|(s, l)| InventoryPosition::aggregate_id(s, l) == id),
                    "{} names position {id}, not among {keys:?}",
                    event.type_name()
                ),
                AggregateKind::Location => assert!(matches!(command, Command::UpsertLocation { .. })),
                AggregateKind::Availability => assert!(matches!(command, Command::RefreshAvailability { .. })),
            }
            evolve(&mut state, event, now());
        }
        state
    }

    fn store(&mut self, state: State) {
        if state.order.is_some() {
            self.order = state.order;
        }
        for (key, position) in state.positions {
            if position.version > 0 {
                self.positions.insert(key, position);
            }
        }
        if let Some((location, version)) = state.location {
            self.locations.insert(location.id.clone(), (location, version));
        }
    }

    pub fn order(&self) -> &Order {
        self.order.as_ref().expect("the world holds an order")
    }

    pub fn position(&self, s: &str, at: &str) -> Option<&InventoryPosition> {
        self.positions.get(&(sku(s), loc(at)))
    }
}

/// Applies `setup`, then `command`, and compares the rendered events (or error) with `expect`.
#[track_caller]
pub fn check(setup: &[Command], command: Command, expect: &str) {
    let mut world = World::with(setup);
    let actual = match world.apply(&command) {
        Ok(events) => events.iter().map(render_event).collect::<Vec<_>>().join("\n"),
        Err(e) => render_error(&e),
    };
    assert_eq!(actual, normalize(expect), "\ncommand: {}", command.type_name());
}

/// Applies `setup` and compares the rendered state with `expect`.
#[track_caller]
pub fn check_state(setup: &[Command], expect: &str) {
    assert_eq!(render_world(&World::with(setup)), normalize(expect));
}

/// Trims every line and drops blank ones, so expectations can be indented.
pub fn normalize(text: &str) -> String {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

pub fn render_error(e: &DecideError) -> String {
    match e.pointer() {
        Some(pointer) => format!("error {} at {pointer:?}: {e}", e.code()),
        None => format!("error {}: {e}", e.code()),
    }
}

fn movements(ms: &[crossdock_model::LineMovement]) -> String {
    ms.iter().map(|m| format!("{}@{}×{}", m.line_id, m.location, m.quantity)).collect::<Vec<_>>().join(",")
}

fn quantities(ls: &[LineQuantity]) -> String {
    ls.iter().map(|l| format!("{}×{}", l.line_id, l.quantity.get())).collect::<Vec<_>>().join(",")
}

pub fn render_event(event: &Event) -> String {
    let name = event.type_name();
    let detail = match event {
        Event::OrderPlaced { order } => {
            let ls = order.lines.iter().map(|l| format!("{}:{}×{}", l.id, l.sku, l.quantities.ordered));
            format!("{} {} v{} {}", order.id, order.status.as_str(), order.version, ls.collect::<Vec<_>>().join(","))
        }
        Event::OrderHeld { reason, .. } => format!("{reason:?}"),
        Event::OrderHoldReleased { .. } => String::new(),
        Event::OrderLinesCancelled { lines, released, .. } => {
            format!("{} released=[{}]", quantities(lines), movements(released))
        }
        Event::OrderLinesAllocated { allocations, .. } => movements(allocations),
        Event::OrderSourced { allocations, explanation, .. } => {
            let reason = explanation.pointer("/reason/code").or_else(|| explanation.pointer("/error/code"));
            format!("{} reason={}", movements(allocations), reason.and_then(|r| r.as_str()).unwrap_or("-"))
        }
        Event::OrderBackordered { lines, .. } => quantities(lines),
        Event::OrderReleased { lines, .. } => movements(lines),
        Event::ShipmentConfirmed { shipment, .. } => {
            format!("{}@{} {} {}", shipment.id, shipment.location, shipment.carrier, quantities(&shipment.lines))
        }
        Event::DeliveryConfirmed { shipment_id, .. } => shipment_id.to_string(),
        Event::ReturnRecorded { record, .. } => {
            let ls = record.lines.iter().map(|l| format!("{}×{}:{:?}", l.line_id, l.quantity.get(), l.disposition));
            format!("{}@{} {}", record.id, record.location, ls.collect::<Vec<_>>().join(","))
        }
        Event::InventoryReserved { sku, location, quantity, .. }
        | Event::InventoryReservationReleased { sku, location, quantity, .. }
        | Event::InventoryShipped { sku, location, quantity, .. }
        | Event::InventoryRestocked { sku, location, quantity, .. } => format!("{sku}@{location} {quantity}"),
        Event::InventoryAdjusted { sku, location, delta, reason } => format!("{sku}@{location} {delta:+} {reason:?}"),
        Event::InventoryCounted { sku, location, counted, previous } => {
            format!("{sku}@{location} {counted} (was {previous})")
        }
        Event::LocationUpserted { location } => format!("{} {:?}", location.id, location.name),
        Event::OrderCancelRequested { request, .. } => {
            format!("#{} [{}] {:?}", request.id, movements(&request.lines), request.reason)
        }
        Event::OrderCancelAnswered { request_id, outcome, .. } => format!("#{request_id} {outcome:?}"),
        Event::ReturnAuthorised { authorisation, .. } => {
            let ls = authorisation.lines.iter().map(|l| format!("{}×{}:{:?}", l.line_id, l.quantity.get(), l.reason));
            format!("{} {}", authorisation.id, ls.collect::<Vec<_>>().join(","))
        }
        Event::RefundDue { refund, .. } => format!(
            "{} price={} tax={} fee={} total={}",
            refund.return_id,
            refund.price.amount_minor,
            refund.tax.amount_minor,
            refund.restocking_fee.amount_minor,
            refund.total.amount_minor
        ),
        Event::AvailabilityChanged { channel, sku, previous, available } => {
            format!("{channel}/{sku} {previous} -> {available}")
        }
    };
    format!("{name} {detail}").trim_end().to_string()
}

pub fn render_world(world: &World) -> String {
    let mut out = Vec::new();
    if let Some(order) = &world.order {
        let hold = order.hold.as_ref().map(|h| format!(" hold={h:?}")).unwrap_or_default();
        out.push(format!("order {} {} v{}{hold}", order.id, order.status.as_str(), order.version));
        for line in &order.lines {
            let q = &line.quantities;
            let at = line
                .allocations
                .iter()
                .map(|a| format!(" {}:{}/{}/{}", a.location, a.allocated, a.released, a.shipped));
            out.push(format!(
                "{} ord={} alloc={} rel={} ship={} deliv={} ret={} canc={}{}{}",
                line.id,
                q.ordered,
                q.allocated,
                q.released,
                q.shipped,
                q.delivered,
                q.returned,
                q.cancelled,
                if q.backordered > 0 { format!(" back={}", q.backordered) } else { String::new() },
                at.collect::<String>()
            ));
        }
    }
    for p in world.positions.values() {
        out.push(format!("{}@{} on_hand={} reserved={} v{}", p.sku, p.location, p.on_hand, p.reserved, p.version));
    }
    for (l, v) in world.locations.values() {
        out.push(format!("location {} {:?} v{v}", l.id, l.name));
    }
    out.join("\n")
}

/// `setup` followed by more commands.
pub fn then(setup: &[Command], more: &[Command]) -> Vec<Command> {
    setup.iter().chain(more).cloned().collect()
}

/// The usual stock and the usual order.
pub fn placed() -> Vec<Command> {
    then(&stock(), &[place_default()])
}
