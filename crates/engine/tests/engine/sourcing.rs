//! Sourcing on a hand-made network around New York (see `sourcing_support`): one expectation per rule,
//! reason and error. Package costs to New York: PHL 7.50, BKN 8.00, NWK 8.00, CHI 10.50, LAX 13.50; a split
//! costs 3.00 per extra location.

use crate::sourcing_support::*;
use crate::support::{World, address, adjust, loc, normalize, place};
use crossdock_engine::sourcing::{
    AtpTable, DestinationSource, Fulfilment, Network, NetworkLocation, SolverBudget, SolverKind, SourcingConfig,
    SourcingDecision, SourcingOrder, nearest_with_everything_else_nearest_per_line, source_order,
};
use crossdock_model::{Command, Country, LocationKind};

#[track_caller]
fn check(order: &SourcingOrder, network: &Network, atp: &AtpTable, config: &SourcingConfig, expect: &str) {
    let actual = match source_order(order, network, atp, config) {
        Ok(d) => render(&d),
        Err(e) => format!("error {}: {e}", e.code()),
    };
    assert_eq!(actual, normalize(expect));
}

#[track_caller]
fn check_baseline(order: &SourcingOrder, atp: &AtpTable, expect: &str) {
    let d = nearest_with_everything_else_nearest_per_line(order, &network(), atp, &config()).expect("sourced");
    assert_eq!(render(&d), normalize(expect));
}

fn decide(order: &SourcingOrder, network: &Network, atp: &AtpTable, config: &SourcingConfig) -> SourcingDecision {
    source_order(order, network, atp, config).expect("sourced")
}

fn with(change: impl Fn(&mut NetworkLocation)) -> Network {
    let sites = sites().into_iter().map(|mut s| {
        if s.id == loc("PHL") {
            change(&mut s);
        }
        s
    });
    Network::new(sites.collect()).expect("valid")
}

/// LAX with a handling cost of 10.00, so a split beats it; no split penalty.
fn costly_lax() -> (Network, SourcingConfig) {
    let sites = sites().into_iter().map(|mut s| {
        if s.id == loc("LAX") {
            s.handling_minor = 1000;
        }
        s
    });
    (Network::new(sites.collect()).expect("valid"), SourcingConfig { split_penalty_minor: 0, ..config() })
}

#[test]
fn the_cheapest_location_with_everything_wins_over_the_nearest() {
    let order = order(&[("L1", "A", 2), ("L2", "B", 1)]);
    let stock = atp(&[("A", "BKN", 5), ("B", "BKN", 5), ("A", "PHL", 5), ("B", "PHL", 5)]);
    check(
        &order,
        &network(),
        &stock,
        &config(),
        "
        ship PHL: L1×2 L2×1 (600+150)
        cost 750 = 600+150+0
        cheapest_single_location (exact)
    ",
    );
    check_baseline(
        &order,
        &stock,
        "
        ship BKN: L1×2 L2×1 (400+400)
        cost 800 = 400+400+0
        nearest_with_everything (baseline)
    ",
    );
}

#[test]
fn lines_split_when_no_location_has_everything() {
    let order = order(&[("L1", "A", 2), ("L2", "B", 1)]);
    check(
        &order,
        &network(),
        &atp(&[("A", "BKN", 2), ("B", "PHL", 1), ("B", "LAX", 9)]),
        &config(),
        "
        ship PHL: L2×1 (600+150)
        ship BKN: L1×2 (400+400)
        cost 1850 = 1000+550+300
        split_no_location_has_everything (exact)
    ",
    );
}

#[test]
fn a_split_is_chosen_when_cheaper_than_the_only_complete_location() {
    let (network, config) = costly_lax();
    let order = order(&[("L1", "A", 1), ("L2", "B", 1)]);
    let stock = atp(&[("A", "LAX", 1), ("B", "LAX", 1), ("A", "PHL", 1), ("B", "BKN", 1)]);
    check(
        &order,
        &network,
        &stock,
        &config,
        "
        ship PHL: L1×1 (600+150)
        ship BKN: L2×1 (400+400)
        cost 1550 = 1000+550+0
        split_cheaper_than_single (exact)
    ",
    );
    let d = decide(&order, &network, &stock, &config);
    assert_eq!(d.explanation.best_single_location, Some((loc("LAX"), 2200)));
}

#[test]
fn baseline_takes_each_line_from_its_nearest_location() {
    let order = order(&[("L1", "A", 1), ("L2", "B", 1), ("L3", "C", 1)]);
    let stock = atp(&[("A", "BKN", 1), ("A", "PHL", 1), ("B", "NWK", 1), ("C", "PHL", 1)]);
    check(
        &order,
        &network(),
        &stock,
        &config(),
        "
        ship PHL: L1×1 L3×1 (600+150)
        ship NWK: L2×1 (400+400)
        cost 1850 = 1000+550+300
        split_no_location_has_everything (exact)
    ",
    );
    check_baseline(
        &order,
        &stock,
        "
        ship PHL: L3×1 (600+150)
        ship BKN: L1×1 (400+400)
        ship NWK: L2×1 (400+400)
        cost 2950 = 1400+950+600
        nearest_per_line (baseline)
    ",
    );
}

#[test]
fn missing_units_are_backordered() {
    check(
        &order(&[("L1", "A", 3)]),
        &network(),
        &atp(&[("A", "PHL", 2)]),
        &config(),
        "
        ship PHL: L1×2 (600+150)
        backorder L1×1
        cost 750 = 600+150+0
        cheapest_single_location (exact)
    ",
    );
    check(
        &order(&[("L1", "A", 3), ("L2", "B", 1)]),
        &network(),
        &atp(&[("A", "PHL", 1), ("A", "CHI", 1)]),
        &config(),
        "
        ship PHL: L1×1 (600+150)
        ship CHI: L1×1 (900+150)
        backorder L1×1
        backorder L2×1
        cost 2100 = 1500+300+300
        split_no_location_has_everything (exact)
    ",
    );
    check(
        &order(&[("L1", "A", 1)]),
        &network(),
        &atp(&[("B", "PHL", 4)]),
        &config(),
        "
        backorder L1×1
        cost 0 = 0+0+0
        nothing_available (exact)
    ",
    );
}

#[test]
fn lines_of_the_same_sku_share_its_stock() {
    check(
        &order(&[("L1", "A", 2), ("L2", "A", 2)]),
        &network(),
        &atp(&[("A", "PHL", 3)]),
        &config(),
        "
        ship PHL: L1×2 L2×1 (600+150)
        backorder L2×1
        cost 750 = 600+150+0
        cheapest_single_location (exact)
    ",
    );
}

#[test]
fn excluded_inactive_and_full_locations_are_not_used() {
    let order = order(&[("L1", "A", 1)]);
    let stock = atp(&[("A", "PHL", 5), ("A", "BKN", 5)]);
    let expect = "
        ship BKN: L1×1 (400+400)
        cost 800 = 400+400+0
        cheapest_single_location (exact)
    ";
    let mut rule = config();
    rule.rules.excluded.insert(loc("PHL"));
    check(&order, &network(), &stock, &rule, expect);
    check(&order, &with(|s| s.excluded = true), &stock, &config(), expect);
    check(&order, &with(|s| s.active = false), &stock, &config(), expect);
    check(&order, &with(|s| s.capacity_today = 0), &stock, &config(), expect);
    let d = decide(&order, &with(|s| s.capacity_today = 0), &stock, &config());
    assert_eq!(
        render_candidates(&d),
        normalize(
            "
        BKN candidate 8mi 400+400 units 1 all used
        PHL no_capacity 81mi 600+150 units 1 all
    "
        )
    );
    assert_eq!(d.explanation.locations_without_stock, 3);
}

#[test]
fn ship_complete_ships_from_one_location_or_waits() {
    let (network, config) = costly_lax();
    let mut order = order(&[("L1", "A", 1), ("L2", "B", 1)]);
    order.ship_complete = true;
    let stock = atp(&[("A", "LAX", 1), ("B", "LAX", 1), ("A", "PHL", 1), ("B", "BKN", 1)]);
    check(
        &order,
        &network,
        &stock,
        &config,
        "
        ship LAX: L1×1 L2×1 (1200+1000)
        cost 2200 = 1200+1000+0
        cheapest_single_location (exact)
    ",
    );
    check(
        &order,
        &network,
        &atp(&[("A", "PHL", 1), ("B", "BKN", 1)]),
        &config,
        "
        backorder L1×1
        backorder L2×1
        cost 0 = 0+0+0
        ship_complete_unavailable (exact)
    ",
    );
}

#[test]
fn a_pickup_store_with_everything_ships_nothing() {
    let mut order = order(&[("L1", "A", 1)]);
    order.fulfilment = Fulfilment::Pickup { store: Some(loc("NWK")) };
    check(
        &order,
        &network(),
        &atp(&[("A", "NWK", 1), ("A", "PHL", 1)]),
        &config(),
        "
        ship NWK: L1×1 (0+400)
        cost 400 = 0+400+0
        pickup_store_has_everything (exact)
    ",
    );
}

#[test]
fn pickup_orders_prefer_stores_when_stores_can_supply_them() {
    let mut order = order(&[("L1", "A", 1)]);
    order.fulfilment = Fulfilment::Pickup { store: Some(loc("NWK")) };
    let stock = atp(&[("A", "PHL", 1), ("A", "BKN", 1)]);
    check(
        &order,
        &network(),
        &stock,
        &config(),
        "
        ship BKN: L1×1 (400+400)
        cost 800 = 400+400+0
        cheapest_single_location (exact)
    ",
    );
    let d = decide(&order, &network(), &stock, &config());
    assert_eq!(
        render_candidates(&d),
        normalize(
            "
        BKN candidate 14mi 400+400 units 1 all used
        PHL not_a_store_for_pickup 72mi 600+150 units 1 all
    "
        )
    );
    let mut indifferent = config();
    indifferent.rules.prefer_stores_for_pickup = false;
    check(
        &order,
        &network(),
        &stock,
        &indifferent,
        "
        ship PHL: L1×1 (600+150)
        cost 750 = 600+150+0
        cheapest_single_location (exact)
    ",
    );
    check(
        &order,
        &network(),
        &atp(&[("A", "PHL", 1)]),
        &config(),
        "
        ship PHL: L1×1 (600+150)
        cost 750 = 600+150+0
        cheapest_single_location (exact)
    ",
    );
}

#[test]
fn a_pickup_without_a_store_goes_to_the_nearest_store() {
    let mut order = order(&[("L1", "A", 1)]);
    order.fulfilment = Fulfilment::Pickup { store: None };
    let d = decide(&order, &network(), &atp(&[("A", "BKN", 1)]), &config());
    assert_eq!(d.explanation.destination.pickup_store, Some(loc("BKN")));
    assert_eq!(d.explanation.destination.resolved_by, DestinationSource::PickupStore);
    assert_eq!(d.plan.cost.total_minor, 400);
}

#[test]
fn orders_sourcing_cannot_work_with_are_refused() {
    let stock = atp(&[("A", "PHL", 1)]);
    let mut unknown = order(&[("L1", "A", 1)]);
    unknown.postal_code = "ZZ-9".into();
    let d = decide(&unknown, &network(), &stock, &config());
    assert_eq!(d.explanation.destination.resolved_by, DestinationSource::StateCentroid);
    unknown.region = None;
    check(
        &unknown,
        &network(),
        &stock,
        &config(),
        r#"
        error unknown_destination: no position known for the ship-to address (only US ZIP3 areas and states are mapped)
    "#,
    );
    let mut abroad = order(&[("L1", "A", 1)]);
    abroad.country = Country::new("DE").expect("country");
    check(
        &abroad,
        &network(),
        &stock,
        &config(),
        r#"
        error unknown_destination: no position known for the ship-to address (only US ZIP3 areas and states are mapped)
    "#,
    );
    check(
        &order(&[("L1", "A", 1), ("L1", "B", 1)]),
        &network(),
        &stock,
        &config(),
        "
        error duplicate_line: line L1 is listed twice
    ",
    );
    check(
        &order(&[("L1", "A", 0)]),
        &network(),
        &stock,
        &config(),
        "
        error empty_line: line L1 has no units to source
    ",
    );
    check(&order(&[]), &network(), &stock, &config(), "error no_lines: the order has no lines to source");
    let mut pickup = order(&[("L1", "A", 1)]);
    pickup.fulfilment = Fulfilment::Pickup { store: Some(loc("PHL")) };
    check(
        &pickup,
        &network(),
        &stock,
        &config(),
        "
        error unknown_pickup_store: pickup location PHL is not a store of the network
    ",
    );
    let bad = SourcingConfig { split_penalty_minor: -1, ..config() };
    check(
        &order(&[("L1", "A", 1)]),
        &network(),
        &stock,
        &bad,
        "
        error invalid_config: invalid sourcing configuration: the split penalty must be between 0 and 100000000
    ",
    );
    let twice = Network::new(vec![site("X", LocationKind::Store, "100", 1), site("X", LocationKind::Store, "100", 1)]);
    assert_eq!(twice.map_err(|e| e.code()).err(), Some("invalid_network"));
}

#[test]
fn the_solver_budget_hands_over_to_the_heuristic() {
    let order = order(&[("L1", "A", 2), ("L2", "B", 1)]);
    let stock = atp(&[("A", "BKN", 2), ("B", "PHL", 1)]);
    let wide = SourcingConfig { budget: SolverBudget { exact_max_skus: 1, exact_max_nodes: 1000 }, ..config() };
    let d = decide(&order, &network(), &stock, &wide);
    assert_eq!(d.explanation.solver.kind, SolverKind::Heuristic);
    assert_eq!(d.explanation.solver.note.as_deref(), Some("2 distinct skus; the exact solver takes at most 1"));
    let tight = SourcingConfig { budget: SolverBudget { exact_max_skus: 12, exact_max_nodes: 1 }, ..config() };
    let d = decide(&order, &network(), &stock, &tight);
    assert_eq!(d.explanation.solver.kind, SolverKind::Heuristic);
    assert!(!d.explanation.solver.proved_optimal);
    assert_eq!(d.plan.cost.total_minor, 1850);
}

#[test]
fn the_decision_round_trips_through_json_with_its_explanation() {
    let order = order(&[("L1", "A", 2), ("L2", "B", 1)]);
    let d = decide(&order, &network(), &atp(&[("A", "BKN", 2), ("B", "PHL", 1)]), &config());
    let json = serde_json::to_value(&d).expect("serializable");
    assert_eq!(json["explanation"]["reason"]["code"], "split_no_location_has_everything");
    assert_eq!(
        json["explanation"]["summary"],
        "split: no location has all lines: 2 location(s), total cost 1850 minor units (exact)"
    );
    assert_eq!(json["explanation"]["destination"]["zip3"], "100");
    assert_eq!(json["explanation"]["candidates"][0]["carrier"], "Test");
    let back: SourcingDecision = serde_json::from_value(json).expect("deserializable");
    assert_eq!(back, d);
}

#[test]
fn a_plan_is_accepted_by_decide_as_an_allocation() {
    let mut world = World::with(&[
        place(&[("L1", "SKU-A", 2), ("L2", "SKU-B", 1)]),
        adjust("SKU-A", "W1", 1),
        adjust("SKU-A", "W2", 5),
        adjust("SKU-B", "W2", 3),
    ]);
    let network = Network::new(vec![
        site("W1", LocationKind::Warehouse, "627", 100),
        site("W2", LocationKind::Warehouse, "606", 100),
    ])
    .expect("valid");
    let request = SourcingOrder::from_order(world.order());
    assert_eq!(request.postal_code, address().postal_code);
    let stock = AtpTable::from_positions(world.positions.values());
    let d = decide(&request, &network, &stock, &config());
    assert_eq!(
        render(&d),
        normalize(
            "
        ship W2: L1×2 L2×1 (900+100)
        cost 1000 = 900+100+0
        cheapest_single_location (exact)
    "
        )
    );
    let allocate = Command::AllocateLines { order_id: world.order().id.clone(), allocations: d.plan.allocations() };
    assert!(world.apply(&allocate).is_ok());
    assert_eq!(world.position("SKU-A", "W2").map(|p| p.reserved), Some(2));
}

#[test]
fn networks_too_wide_for_the_exact_solver_use_the_heuristic() {
    let sites: Vec<NetworkLocation> =
        (0..130).map(|i| site(&format!("S{i}"), LocationKind::Store, "100", 400 + i64::from(i % 7))).collect();
    let stock: Vec<(String, String, i64)> = (0..130).map(|i| ("A".to_string(), format!("S{i}"), 1)).collect();
    let stock: Vec<(&str, &str, i64)> = stock.iter().map(|(s, l, u)| (s.as_str(), l.as_str(), *u)).collect();
    let network = Network::new(sites).expect("valid");
    let d = decide(&order(&[("L1", "A", 3)]), &network, &atp(&stock), &config());
    assert_eq!(d.explanation.solver.kind, SolverKind::Heuristic);
    assert_eq!(d.explanation.solver.note.as_deref(), Some("130 candidate locations; too many for the exact solver"));
    assert_eq!((d.plan.allocated_units, d.plan.shipments.len(), d.plan.cost.total_minor), (3, 3, 3 * 800 + 600));
}
