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
