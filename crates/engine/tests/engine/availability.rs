//! Channel location groups in sourcing, a channel's ATP, `RefreshAvailability` (deltas only) and the feed's
//! debounce.

use crate::support::*;
use chrono::Duration;
use crossdock_engine::ChannelGroup;
use crossdock_engine::availability::{Debouncer, channel_available};
use crossdock_model::{ChannelId, Command, Coordinates, Location, LocationKind};

fn site(id: &str, lat: f64, lon: f64) -> Command {
    let location = Location {
        kind: LocationKind::Warehouse,
        coordinates: Coordinates::new(lat, lon).unwrap(),
        ..location(id, id)
    };
    Command::UpsertLocation { location }
}

/// Chicago (near the Springfield, IL ship-to) and Los Angeles, with SKU-A at both.
fn network() -> Vec<Command> {
    vec![site("CHI", 41.88, -87.63), site("LAX", 34.05, -118.24), adjust("SKU-A", "CHI", 4), adjust("SKU-A", "LAX", 6)]
}

fn web() -> ChannelId {
    ChannelId::new("web").unwrap()
}

fn world(groups: &[(&str, &[&str])]) -> World {
    let mut world = World::with(&network());
    world.channels = groups
        .iter()
        .map(|(id, ls)| ChannelGroup {
            id: ChannelId::new(*id).unwrap(),
            locations: ls.iter().map(|l| loc(l)).collect(),
        })
        .collect();
    world
}

fn refresh() -> Command {
    Command::RefreshAvailability { channel: web(), sku: sku("SKU-A") }
}

#[test]
fn a_channel_limited_to_a_group_is_sourced_only_from_it() {
    // Unrestricted, the order ships from Chicago, near the customer.
    let mut open = world(&[]);
    let events = open.apply(&place(&[("L1", "SKU-A", 2)])).expect("placed");
    assert_eq!(render_event(&events[1]), "order.sourced L1@CHI×2 reason=cheapest_single_location");
    // The order's channel (web) may sell only from Los Angeles.
    let mut limited = world(&[("web", &["LAX"])]);
    let events = limited.apply(&place(&[("L1", "SKU-A", 2)])).expect("placed");
    assert_eq!(render_event(&events[1]), "order.sourced L1@LAX×2 reason=cheapest_single_location");
    // Beyond the group's stock, the rest waits rather than coming from outside it.
    let mut limited = world(&[("web", &["LAX"])]);
    let events = limited.apply(&place(&[("L1", "SKU-A", 8)])).expect("placed");
    let rendered: Vec<String> = events.iter().map(render_event).collect();
    assert_eq!(rendered[1], "order.sourced L1@LAX×6 reason=cheapest_single_location");
    assert_eq!(rendered[2], "order.backordered L1×2");
}

#[test]
fn a_channels_atp_sums_its_group() {
    let w = world(&[]);
    let positions: Vec<_> = w.positions.values().cloned().collect();
    assert_eq!(channel_available(&positions, &sku("SKU-A"), None), 10);
    assert_eq!(channel_available(&positions, &sku("SKU-A"), Some(&[loc("LAX")])), 6);
    assert_eq!(channel_available(&positions, &sku("SKU-B"), None), 0);
}

#[test]
fn refresh_records_only_changes() {
    let mut w = world(&[("web", &["LAX"])]);
    let first = w.apply(&refresh()).expect("refreshed");
    assert_eq!(first.iter().map(render_event).collect::<Vec<_>>(), ["inventory.availability_changed web/SKU-A 0 -> 6"]);
    // The support world does not keep the availability aggregate between commands; hand it the recorded one.
    let (mut state, _) = w.load(&refresh());
    crossdock_engine::evolve(&mut state, &first[0], now());
    assert_eq!(crossdock_engine::decide(&state, &refresh(), now()).expect("decided"), vec![]);
    // Stock outside the group does not change the channel's ATP; stock inside it does.
    w.apply(&adjust("SKU-A", "CHI", 5)).expect("adjusted");
    let (mut state, _) = w.load(&refresh());
    crossdock_engine::evolve(&mut state, &first[0], now());
    assert_eq!(crossdock_engine::decide(&state, &refresh(), now()).expect("decided"), vec![]);
    w.apply(&adjust("SKU-A", "LAX", -2)).expect("adjusted");
    let (mut state, _) = w.load(&refresh());
    crossdock_engine::evolve(&mut state, &first[0], now());
    let events = crossdock_engine::decide(&state, &refresh(), now()).expect("decided");
    assert_eq!(
        events.iter().map(render_event).collect::<Vec<_>>(),
        ["inventory.availability_changed web/SKU-A 6 -> 4"]
    );
    crossdock_engine::evolve(&mut state, &events[0], now());
    assert_eq!(state.availability.map(|a| (a.available, a.version)), Some((4, 2)));
}

#[test]
fn a_burst_of_touches_is_due_once_after_the_window() {
    let mut d = Debouncer::new(Duration::milliseconds(200), Duration::seconds(5));
    let t0 = now();
    for i in 0..100 {
        d.touch(&sku("SKU-A"), t0 + Duration::milliseconds(i * 10));
    }
    d.touch(&sku("SKU-B"), t0);
    let last = t0 + Duration::milliseconds(990);
    // SKU-B settled long ago; SKU-A was touched 10 ms before.
    assert_eq!(d.due(last + Duration::milliseconds(10)), vec![sku("SKU-B")]);
    assert_eq!(d.next_due(), Some(last + Duration::milliseconds(200)));
    assert_eq!(d.due(last + Duration::milliseconds(199)), vec![]);
    assert_eq!(d.due(last + Duration::milliseconds(200)), vec![sku("SKU-A")]);
    assert!(d.is_empty());
    // A sku that never settles is due at the latest max_wait after its first touch.
    for i in 0..60 {
        d.touch(&sku("SKU-C"), t0 + Duration::milliseconds(i * 100));
    }
    assert_eq!(d.due(t0 + Duration::seconds(5)), vec![sku("SKU-C")]);
}
