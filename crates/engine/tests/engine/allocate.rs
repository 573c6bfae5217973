//! Allocating lines to locations (reserving stock) and releasing them to the warehouse.

use crate::support::*;

#[test]
fn allocate_reserves_stock_per_allocation() {
    check(
        &placed(),
        allocate(&[("L1", "W1", 1), ("L1", "W2", 1), ("L2", "W1", 1)]),
        "order.lines_allocated L1@W1×1,L1@W2×1,L2@W1×1
         inventory.reserved SKU-A@W1 1
         inventory.reserved SKU-A@W2 1
         inventory.reserved SKU-B@W1 1",
    );
    check_state(
        &then(&placed(), &[allocate(&[("L1", "W1", 1), ("L1", "W2", 1), ("L2", "W1", 1)])]),
        "order o-1 allocated v2
         L1 ord=2 alloc=2 rel=0 ship=0 deliv=0 ret=0 canc=0 W1:1/0/0 W2:1/0/0
         L2 ord=1 alloc=1 rel=0 ship=0 deliv=0 ret=0 canc=0 W1:1/0/0
         SKU-A@W1 on_hand=10 reserved=1 v2
         SKU-A@W2 on_hand=5 reserved=1 v2
         SKU-B@W1 on_hand=3 reserved=1 v2",
    );
}

#[test]
fn partial_allocation_backorders() {
    check_state(
        &then(&placed(), &[allocate(&[("L1", "W1", 1)]), allocate(&[("L1", "W1", 1)])]),
        "order o-1 backordered v3
         L1 ord=2 alloc=2 rel=0 ship=0 deliv=0 ret=0 canc=0 W1:2/0/0
         L2 ord=1 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=0
         SKU-A@W1 on_hand=10 reserved=2 v3
         SKU-A@W2 on_hand=5 reserved=0 v1
         SKU-B@W1 on_hand=3 reserved=0 v1",
    );
}

#[test]
fn allocate_refusals() {
    let big = then(&stock(), &[place(&[("L1", "SKU-A", 8), ("L2", "SKU-A", 4)])]);
    let cases = [
        (placed(), allocate(&[]), r#"error empty at "/allocations": at least one allocation is required"#),
        (
            placed(),
            allocate(&[("L9", "W1", 1)]),
            r#"error unknown_line at "/allocations/0/line_id": order o-1 has no line L9"#,
        ),
        (
            placed(),
            allocate(&[("L1", "W1", 3)]),
            r#"error exceeds_unallocated at "/allocations/0/quantity": line L1 has 2 units left to allocate; 3 requested"#,
        ),
        (
            placed(),
            allocate(&[("L1", "W1", 1), ("L1", "W2", 2)]),
            r#"error exceeds_unallocated at "/allocations/1/quantity": line L1 has 1 units left to allocate; 2 requested"#,
        ),
        (
            big.clone(),
            allocate(&[("L1", "W2", 6)]),
            r#"error insufficient_stock at "/allocations/0/quantity": not enough stock of SKU-A at W2: 6 requested, 5 available"#,
        ),
        (
            big.clone(),
            allocate(&[("L1", "W1", 8), ("L2", "W1", 4)]),
            r#"error insufficient_stock at "/allocations/1/quantity": not enough stock of SKU-A at W1: 4 requested, 2 available"#,
        ),
        (
            then(&big, &[allocate(&[("L1", "W1", 8)])]),
            allocate(&[("L2", "W1", 3)]),
            r#"error insufficient_stock at "/allocations/0/quantity": not enough stock of SKU-A at W1: 3 requested, 2 available"#,
        ),
        (
            placed(),
            allocate(&[("L2", "W2", 1)]),
            r#"error insufficient_stock at "/allocations/0/quantity": not enough stock of SKU-B at W2: 1 requested, 0 available"#,
        ),
        (
            then(&placed(), &[cancel(None)]),
            allocate(&[("L1", "W1", 1)]),
            "error invalid_transition: cannot allocate an order that is cancelled",
        ),
        (
            then(&placed(), &[allocate(&[("L1", "W1", 2), ("L2", "W1", 1)])]),
            allocate(&[("L1", "W1", 1)]),
            "error invalid_transition: cannot allocate an order that is allocated",
        ),
    ];
    for (setup, command, expect) in cases {
        check(&setup, command, expect);
    }
}

#[test]
fn allocation_respects_safety_stock() {
    let mut world = World::with(&placed());
    if let Some(p) = world.positions.get_mut(&(sku("SKU-A"), loc("W1"))) {
        p.safety_stock = 9;
    }
    let refused = world.apply(&allocate(&[("L1", "W1", 2)])).unwrap_err();
    assert_eq!(
        render_error(&refused),
        r#"error insufficient_stock at "/allocations/0/quantity": not enough stock of SKU-A at W1: 2 requested, 1 available"#
    );
    assert!(world.apply(&allocate(&[("L1", "W1", 1)])).is_ok());
}

#[test]
fn allocation_is_allowed_on_hold_but_release_is_not() {
    let held = then(&placed(), &[hold("fraud"), allocate(&[("L1", "W1", 2)])]);
    check(&held, release(None), "error invalid_transition: cannot release an order that is on_hold");
    check(&then(&held, &[release_hold()]), release(None), "order.released L1@W1×2");
}

#[test]
fn release_to_warehouse() {
    let allocated = then(&placed(), &[allocate(&[("L1", "W1", 1), ("L1", "W2", 1), ("L2", "W1", 1)])]);
    check(&allocated, release(None), "order.released L1@W1×1,L1@W2×1,L2@W1×1");
    check(&allocated, release(Some("W2")), "order.released L1@W2×1");
    check_state(
        &then(&allocated, &[release(Some("W1"))]),
        "order o-1 released v3
         L1 ord=2 alloc=2 rel=1 ship=0 deliv=0 ret=0 canc=0 W1:1/1/0 W2:1/0/0
         L2 ord=1 alloc=1 rel=1 ship=0 deliv=0 ret=0 canc=0 W1:1/1/0
         SKU-A@W1 on_hand=10 reserved=1 v2
         SKU-A@W2 on_hand=5 reserved=1 v2
         SKU-B@W1 on_hand=3 reserved=1 v2",
    );
}

#[test]
fn release_refusals() {
    let allocated = then(&placed(), &[allocate(&[("L1", "W1", 2)])]);
    let cases = [
        (
            placed(),
            release(None),
            r#"error nothing_to_release at "": order o-1 has no allocated units waiting to be released"#,
        ),
        (
            allocated.clone(),
            release(Some("W2")),
            r#"error nothing_to_release at "/location": order o-1 has no allocated units at W2 waiting to be released"#,
        ),
        (
            then(&allocated, &[release(None)]),
            release(None),
            r#"error nothing_to_release at "": order o-1 has no allocated units waiting to be released"#,
        ),
        (
            then(&placed(), &[cancel(None)]),
            release(None),
            "error invalid_transition: cannot release an order that is cancelled",
        ),
    ];
    for (setup, command, expect) in cases {
        check(&setup, command, expect);
    }
}
