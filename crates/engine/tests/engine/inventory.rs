//! Stock adjustments, physical counts and location upserts.

use crate::support::*;
use crossdock_model::Command;

#[test]
fn adjust_changes_on_hand() {
    check(&[], adjust("SKU-A", "W1", 7), r#"inventory.adjusted SKU-A@W1 +7 "receipt""#);
    check(&stock(), adjust("SKU-A", "W1", -10), r#"inventory.adjusted SKU-A@W1 -10 "receipt""#);
    check_state(&[adjust("SKU-A", "W1", 7), adjust("SKU-A", "W1", -2)], "SKU-A@W1 on_hand=5 reserved=0 v2");
}

#[test]
fn adjust_refusals() {
    let no_reason = Command::AdjustInventory { sku: sku("SKU-A"), location: loc("W1"), delta: 1, reason: "".into() };
    let cases = [
        (vec![], adjust("SKU-A", "W1", 0), r#"error zero_delta at "/delta": an adjustment must change the stock"#),
        (vec![], no_reason, r#"error required at "/reason": reason must not be empty"#),
        (
            stock(),
            adjust("SKU-B", "W1", -4),
            r#"error negative_stock at "/delta": 3 of SKU-B on hand at W1: removing 4 would leave -1"#,
        ),
        (
            stock(),
            adjust("SKU-B", "W1", i64::MAX),
            r#"error out_of_range at "/delta": on hand 3 + 9223372036854775807 is out of range"#,
        ),
        (
            vec![],
            adjust("SKU-A", "W9", -1),
            r#"error negative_stock at "/delta": 0 of SKU-A on hand at W9: removing 1 would leave -1"#,
        ),
    ];
    for (setup, command, expect) in cases {
        check(&setup, command, expect);
    }
}

#[test]
fn adjust_may_leave_reserved_units_uncovered_but_shipping_then_refuses() {
    let setup = then(&placed(), &[allocate(&[("L2", "W1", 1)]), release(None), adjust("SKU-B", "W1", -3)]);
    check_state(
        &setup,
        "order o-1 released v3
         L1 ord=2 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=0
         L2 ord=1 alloc=1 rel=1 ship=0 deliv=0 ret=0 canc=0 W1:1/1/0
         SKU-A@W1 on_hand=10 reserved=0 v1
         SKU-A@W2 on_hand=5 reserved=0 v1
         SKU-B@W1 on_hand=0 reserved=1 v3",
    );
    check(
        &setup,
        ship("S1", "W1", &[("L2", 1)]),
        r#"error insufficient_stock at "/lines/0/quantity": not enough stock of SKU-B at W1: 1 requested, 0 available"#,
    );
}

#[test]
fn count_replaces_on_hand_and_keeps_the_previous_figure() {
    check(&stock(), count("SKU-A", "W1", 8), "inventory.counted SKU-A@W1 8 (was 10)");
    check(&stock(), count("SKU-A", "W1", 10), "inventory.counted SKU-A@W1 10 (was 10)");
    check(&[], count("SKU-C", "W1", 0), "inventory.counted SKU-C@W1 0 (was 0)");
    check(&[], count("SKU-C", "W1", -1), r#"error negative_count at "/counted": counted -1 is below zero"#);
    check_state(&[adjust("SKU-A", "W1", 4), count("SKU-A", "W1", 9)], "SKU-A@W1 on_hand=9 reserved=0 v2");
}

#[test]
fn upsert_location() {
    check(&[], Command::UpsertLocation { location: location("W1", "Main DC") }, r#"location.upserted W1 "Main DC""#);
    check_state(
        &[
            Command::UpsertLocation { location: location("W1", "Main DC") },
            Command::UpsertLocation { location: location("W1", "Main DC (north)") },
        ],
        r#"location W1 "Main DC (north)" v2"#,
    );
    check(
        &[],
        Command::UpsertLocation { location: location("W1", "  ") },
        r#"error required at "/location/name": location name must not be empty"#,
    );
    let mut bad = location("W1", "Main DC");
    if let Some(a) = bad.address.as_mut() {
        a.postal_code.clear();
    }
    check(
        &[],
        Command::UpsertLocation { location: bad },
        r#"error required at "/location/address/postal_code": address postal_code must not be empty"#,
    );
}
