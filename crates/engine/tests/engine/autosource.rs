//! Automatic sourcing in `decide`: orders placed in auto mode are sourced against the loaded network,
//! backorders are recorded and refilled by `SourceOrder`, manual orders wait, and rules hold.

use crate::support::*;
use crossdock_model::{Command, Coordinates, Location, LocationKind, SourcingMode, SourcingOptions};

/// A location at (lat, lon).
fn site(id: &str, kind: LocationKind, lat: f64, lon: f64) -> Location {
    Location { kind, coordinates: Coordinates::new(lat, lon).unwrap(), ..location(id, id) }
}

/// Chicago (near the Springfield, IL ship-to) and Los Angeles warehouses, and a Springfield store.
fn network() -> Vec<Command> {
    let upsert = |location| Command::UpsertLocation { location };
    vec![
        upsert(site("CHI", LocationKind::Warehouse, 41.88, -87.63)),
        upsert(site("LAX", LocationKind::Warehouse, 34.05, -118.24)),
        upsert(site("SPI", LocationKind::Store, 39.80, -89.64)),
    ]
}

fn place_with(lines: &[(&str, &str, u32)], sourcing: SourcingOptions) -> Command {
    Command::PlaceOrder(crossdock_model::PlaceOrder { sourcing, ..new_order(lines) })
}

fn source() -> Command {
    Command::SourceOrder { order_id: order_id() }
}

#[test]
fn an_order_ships_from_the_cheapest_location_with_everything() {
    let setup = then(&network(), &[adjust("SKU-A", "CHI", 1), adjust("SKU-A", "LAX", 5)]);
    check(
        &setup,
        place(&[("L1", "SKU-A", 3)]),
        "order.placed o-1 created v0 L1:SKU-A×3
         order.sourced L1@LAX×3 reason=cheapest_single_location
         inventory.reserved SKU-A@LAX 3",
    );
    let nearer = then(&network(), &[adjust("SKU-A", "CHI", 3), adjust("SKU-A", "LAX", 5)]);
    check(
        &nearer,
        place(&[("L1", "SKU-A", 3)]),
        "order.placed o-1 created v0 L1:SKU-A×3
         order.sourced L1@CHI×3 reason=cheapest_single_location
         inventory.reserved SKU-A@CHI 3",
    );
}

#[test]
fn what_no_location_has_is_backordered_and_refilled_when_stock_arrives() {
    let setup = then(&network(), &[adjust("SKU-A", "CHI", 2)]);
    check(
        &setup,
        place(&[("L1", "SKU-A", 3), ("L2", "SKU-B", 1)]),
        "order.placed o-1 created v0 L1:SKU-A×3,L2:SKU-B×1
         order.sourced L1@CHI×2 reason=cheapest_single_location
         order.backordered L1×1,L2×1
         inventory.reserved SKU-A@CHI 2",
    );
    let placed = then(&setup, &[place(&[("L1", "SKU-A", 3), ("L2", "SKU-B", 1)])]);
    check_state(
        &placed,
        "order o-1 backordered v3
         L1 ord=3 alloc=2 rel=0 ship=0 deliv=0 ret=0 canc=0 back=1 CHI:2/0/0
         L2 ord=1 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=0 back=1
         SKU-A@CHI on_hand=2 reserved=2 v2
         location CHI \"CHI\" v1
         location LAX \"LAX\" v1
         location SPI \"SPI\" v1",
    );
    // Nothing arrived: sourcing again changes nothing and records nothing.
    check(&placed, source(), "");
    let arrived = then(&placed, &[adjust("SKU-B", "LAX", 4)]);
    check(
        &arrived,
        source(),
        "order.sourced L2@LAX×1 reason=cheapest_single_location
         inventory.reserved SKU-B@LAX 1",
    );
    let refilled = then(&arrived, &[source(), adjust("SKU-A", "SPI", 1), source()]);
    let world = World::with(&refilled);
    assert_eq!(world.order().status, crossdock_model::OrderStatus::Allocated);
    assert!(world.order().lines.iter().all(|l| l.quantities.backordered == 0));
}

#[test]
fn cancelling_backordered_units_empties_the_backorder() {
    let setup = then(&network(), &[place(&[("L1", "SKU-A", 3)]), cancel(Some(&[("L1", 2)]))]);
    let world = World::with(&setup);
    let q = world.order().lines[0].quantities;
    assert_eq!((q.cancelled, q.backordered), (2, 1));
    let world = World::with(&then(&setup, &[cancel(None)]));
    assert_eq!(world.order().lines[0].quantities.backordered, 0);
    assert_eq!(world.order().status, crossdock_model::OrderStatus::Cancelled);
}

#[test]
fn manual_orders_and_orders_without_a_network_wait_for_explicit_allocation() {
    let manual = SourcingOptions { mode: SourcingMode::Manual, ..SourcingOptions::default() };
    let setup = then(&network(), &[adjust("SKU-A", "CHI", 5)]);
    check(&setup, place_with(&[("L1", "SKU-A", 1)], manual), "order.placed o-1 created v0 L1:SKU-A×1");
    check(&[adjust("SKU-A", "CHI", 5)], place(&[("L1", "SKU-A", 1)]), "order.placed o-1 created v0 L1:SKU-A×1");
    check(
        &[adjust("SKU-A", "CHI", 5), place(&[("L1", "SKU-A", 1)])],
        source(),
        r#"error no_locations at "": no active location is known to source the order from"#,
    );
}

#[test]
fn rules_exclusions_ship_complete_capacity_and_pickup_are_followed() {
    let setup = then(&network(), &[adjust("SKU-A", "CHI", 1), adjust("SKU-A", "LAX", 1)]);
    let exclude = SourcingOptions { exclude: vec![loc("CHI")], ..SourcingOptions::default() };
    check(
        &setup,
        place_with(&[("L1", "SKU-A", 2)], exclude),
        "order.placed o-1 created v0 L1:SKU-A×2
         order.sourced L1@LAX×1 reason=cheapest_single_location
         order.backordered L1×1
         inventory.reserved SKU-A@LAX 1",
    );
    let complete = SourcingOptions { ship_complete: true, ..SourcingOptions::default() };
    check(
        &setup,
        place_with(&[("L1", "SKU-A", 2)], complete),
        "order.placed o-1 created v0 L1:SKU-A×2
         order.sourced  reason=ship_complete_unavailable
         order.backordered L1×2",
    );
    let full = Command::UpsertLocation {
        location: Location { capacity_per_day: Some(0), ..site("CHI", LocationKind::Warehouse, 41.88, -87.63) },
    };
    check(
        &then(&setup, &[full]),
        place(&[("L1", "SKU-A", 1)]),
        "order.placed o-1 created v0 L1:SKU-A×1
         order.sourced L1@LAX×1 reason=cheapest_single_location
         inventory.reserved SKU-A@LAX 1",
    );
    let stores = then(&network(), &[adjust("SKU-A", "CHI", 1), adjust("SKU-A", "SPI", 1)]);
    let pickup = SourcingOptions { pickup: true, ..SourcingOptions::default() };
    check(
        &stores,
        place_with(&[("L1", "SKU-A", 1)], pickup),
        "order.placed o-1 created v0 L1:SKU-A×1
         order.sourced L1@SPI×1 reason=pickup_store_has_everything
         inventory.reserved SKU-A@SPI 1",
    );
}

#[test]
fn a_warehouse_with_pickup_serves_pickup_orders_and_one_that_does_not_ship_is_skipped() {
    let counter = Location { pickup: true, ..site("PKW", LocationKind::Warehouse, 39.80, -89.64) };
    let setup = then(&network(), &[Command::UpsertLocation { location: counter }, adjust("SKU-A", "PKW", 1)]);
    let pickup = SourcingOptions { pickup_store: Some(loc("PKW")), ..SourcingOptions::default() };
    check(
        &setup,
        place_with(&[("L1", "SKU-A", 1)], pickup),
        "order.placed o-1 created v0 L1:SKU-A×1
         order.sourced L1@PKW×1 reason=pickup_store_has_everything
         inventory.reserved SKU-A@PKW 1",
    );
    let closed = Location { ships: false, ..site("CHI", LocationKind::Warehouse, 41.88, -87.63) };
    let setup = then(
        &network(),
        &[Command::UpsertLocation { location: closed }, adjust("SKU-A", "CHI", 5), adjust("SKU-A", "LAX", 5)],
    );
    check(
        &setup,
        place(&[("L1", "SKU-A", 1)]),
        "order.placed o-1 created v0 L1:SKU-A×1
         order.sourced L1@LAX×1 reason=cheapest_single_location
         inventory.reserved SKU-A@LAX 1",
    );
}

#[test]
fn an_unknown_destination_is_explained_and_allocates_nothing() {
    let mut order = new_order(&[("L1", "SKU-A", 1)]);
    order.ship_to.country = crossdock_model::Country::new("DE").unwrap();
    check(
        &then(&network(), &[adjust("SKU-A", "CHI", 1)]),
        Command::PlaceOrder(order),
        "order.placed o-1 created v0 L1:SKU-A×1
         order.sourced  reason=unknown_destination",
    );
}

#[test]
fn an_unknown_destination_is_explained_without_the_address() {
    let mut order = new_order(&[("L1", "SKU-A", 1)]);
    order.ship_to.postal_code = "SW1A 1AA".into();
    order.ship_to.region = Some("Westminster".into());
    order.ship_to.country = crossdock_model::Country::new("GB").unwrap();
    let mut world = World::with(&then(&network(), &[adjust("SKU-A", "CHI", 1)]));
    let events = world.apply(&Command::PlaceOrder(order)).expect("accepted");
    let explanation = events
        .iter()
        .find_map(|e| match e {
            crossdock_model::Event::OrderSourced { explanation, .. } => Some(explanation.to_string()),
            _ => None,
        })
        .expect("an order.sourced event");
    assert!(explanation.contains("unknown_destination"), "{explanation}");
    for address_data in ["SW1A", "Westminster", "GB"] {
        assert!(!explanation.contains(address_data), "{address_data} in {explanation}");
    }
}

/// Applies `setup` in a world whose policy releases on sourcing, then `command`; the rendered events.
fn on_sourcing(setup: &[Command], command: &Command) -> (World, String) {
    let mut world = World { release: crossdock_engine::ReleaseMode::OnSourcing, ..World::default() };
    for c in setup {
        world.apply(c).unwrap_or_else(|e| panic!("setup command {} refused: {e:?}", c.type_name()));
    }
    let events = world.apply(command).expect("accepted");
    (world, events.iter().map(render_event).collect::<Vec<_>>().join("\n"))
}

#[test]
fn with_release_on_sourcing_what_sourcing_allocates_is_released_at_once() {
    let setup = then(&network(), &[adjust("SKU-A", "CHI", 2), adjust("SKU-B", "LAX", 1)]);
    let (world, events) = on_sourcing(&setup, &place(&[("L1", "SKU-A", 3), ("L2", "SKU-B", 1)]));
    let allocated = events.lines().find(|l| l.starts_with("order.sourced")).expect("sourced").to_string();
    assert!(allocated.contains("L1@CHI×2") && allocated.contains("L2@LAX×1"), "{allocated}");
    let released = events.lines().find(|l| l.starts_with("order.released")).expect("released");
    assert!(released.contains("L1@CHI×2") && released.contains("L2@LAX×1"), "{released}");
    // Order events first (the release after the backorder), then the reservations.
    let kinds: Vec<&str> = events.lines().map(|l| l.split(' ').next().unwrap_or_default()).collect();
    assert_eq!(
        kinds,
        [
            "order.placed",
            "order.sourced",
            "order.backordered",
            "order.released",
            "inventory.reserved",
            "inventory.reserved"
        ]
    );
    let line = |id: &str| world.order().lines.iter().find(|l| l.id.as_str() == id).unwrap().quantities;
    assert_eq!((line("L1").released, line("L1").allocated, line("L2").released), (2, 2, 1));

    // The backordered unit, refilled, is released too; on hold, it waits for the hold's release.
    let mut refill = then(&setup, &[place(&[("L1", "SKU-A", 3), ("L2", "SKU-B", 1)]), adjust("SKU-A", "LAX", 1)]);
    let (_, events) = on_sourcing(&refill, &source());
    assert!(events.lines().any(|l| l.starts_with("order.released") && l.contains("L1@LAX×1")), "{events}");
    // An order on hold (here one wholly backordered, so that it may be held) keeps what is refilled.
    refill = then(&network(), &[place(&[("L1", "SKU-C", 1)]), hold("fraud check"), adjust("SKU-C", "CHI", 1)]);
    let (world, events) = on_sourcing(&refill, &source());
    assert!(events.contains("order.sourced L1@CHI×1") && !events.contains("order.released"), "{events}");
    assert_eq!(world.order().lines[0].quantities.released, 0);
}

#[test]
fn with_release_manual_sourcing_releases_nothing() {
    let setup = then(&network(), &[adjust("SKU-A", "CHI", 5)]);
    let mut world = World::with(&setup);
    assert_eq!(world.release, crossdock_engine::ReleaseMode::Manual);
    let events = world.apply(&place(&[("L1", "SKU-A", 1)])).unwrap();
    assert!(!events.iter().any(|e| e.type_name() == "order.released"));
}
