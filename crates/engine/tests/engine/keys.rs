//! `inventory_keys`: the positions each command reads or changes.

use crate::support::*;
use crossdock_engine::inventory_keys;
use crossdock_model::{Command, Disposition::*};

#[track_caller]
fn check_keys(setup: &[Command], command: Command, expect: &str) {
    let world = World::with(setup);
    let keys = inventory_keys(&command, world.order.as_ref());
    let actual = keys.iter().map(|(s, l)| format!("{s}@{l}")).collect::<Vec<_>>().join(" ");
    assert_eq!(actual, expect, "{}", command.type_name());
}

#[test]
fn keys_per_command() {
    let allocated = then(&placed(), &[allocate(&[("L1", "W1", 1), ("L1", "W2", 1), ("L2", "W1", 1)])]);
    let cases = [
        (vec![], place_default(), ""),
        (placed(), hold("x"), ""),
        (placed(), release_hold(), ""),
        (placed(), release(None), ""),
        (placed(), deliver("S1"), ""),
        (vec![], Command::UpsertLocation { location: location("W1", "DC") }, ""),
        (vec![], adjust("SKU-A", "W1", 1), "SKU-A@W1"),
        (vec![], count("SKU-A", "W1", 1), "SKU-A@W1"),
        (
            placed(),
            allocate(&[("L2", "W2", 1), ("L1", "W1", 1), ("L9", "W1", 1), ("L1", "W1", 1)]),
            "SKU-A@W1 SKU-B@W2",
        ),
        (vec![], allocate(&[("L1", "W1", 1)]), ""),
        (placed(), cancel(None), ""),
        (allocated.clone(), cancel(None), "SKU-A@W1 SKU-A@W2 SKU-B@W1"),
        (allocated.clone(), cancel(Some(&[("L2", 1)])), "SKU-B@W1"),
        (allocated.clone(), cancel_at("W2", None), "SKU-A@W2"),
        (allocated, ship("S1", "W2", &[("L1", 1), ("L2", 1)]), "SKU-A@W2 SKU-B@W2"),
        (placed(), record_return("R1", "W3", &[("L1", 1, Resellable), ("L2", 1, Damaged)]), "SKU-A@W3"),
    ];
    for (setup, command, expect) in cases {
        check_keys(&setup, command, expect);
    }
}

#[test]
fn keys_ignore_another_order() {
    let world = World::with(&then(&placed(), &[allocate(&[("L1", "W1", 1)])]));
    let other = Command::CancelOrder {
        order_id: crossdock_model::OrderId::new("o-2").unwrap(),
        lines: None,
        reason: String::new(),
        location: None,
    };
    assert!(inventory_keys(&other, world.order.as_ref()).is_empty());
}
