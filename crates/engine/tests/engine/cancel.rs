//! Cancelling an order, whole or in part, and giving its reservations back.

use crate::support::*;

/// L1 is 3 × SKU-A: 1 unallocated, 1 allocated at W1, 1 allocated and released at W2.
fn spread() -> Vec<crossdock_model::Command> {
    then(
        &stock(),
        &[
            place(&[("L1", "SKU-A", 3), ("L2", "SKU-B", 1)]),
            allocate(&[("L1", "W1", 1), ("L1", "W2", 1)]),
            release(Some("W2")),
        ],
    )
}

#[test]
fn cancel_whole_order_before_allocation() {
    check(&placed(), cancel(None), "order.lines_cancelled L1×2,L2×1 released=[]");
    check_state(
        &then(&placed(), &[cancel(None)]),
        "order o-1 cancelled v2
         L1 ord=2 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=2
         L2 ord=1 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=1
         SKU-A@W1 on_hand=10 reserved=0 v1
         SKU-A@W2 on_hand=5 reserved=0 v1
         SKU-B@W1 on_hand=3 reserved=0 v1",
    );
}

#[test]
fn cancel_takes_unallocated_then_unreleased_then_released_units() {
    check(&spread(), cancel(Some(&[("L1", 1)])), "order.lines_cancelled L1×1 released=[]");
    check(
        &spread(),
        cancel(Some(&[("L1", 2)])),
        "order.lines_cancelled L1×2 released=[L1@W1×1]
         inventory.reservation_released SKU-A@W1 1",
    );
    check(
        &spread(),
        cancel(Some(&[("L1", 3)])),
        r#"order.lines_cancelled L1×2 released=[L1@W1×1]
         order.cancel_requested #1 [L1@W2×1] "customer asked"
         inventory.reservation_released SKU-A@W1 1"#,
    );
    check_state(
        &then(&spread(), &[cancel(None), answer_cancel(true)]),
        "order o-1 cancelled v7
         L1 ord=3 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=3
         L2 ord=1 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=1
         SKU-A@W1 on_hand=10 reserved=0 v3
         SKU-A@W2 on_hand=5 reserved=0 v3
         SKU-B@W1 on_hand=3 reserved=0 v1",
    );
}

#[test]
fn cancel_released_units_shrinks_released_once_the_warehouse_accepts() {
    let released = then(&placed(), &[allocate(&[("L1", "W1", 2)]), release(None)]);
    check_state(
        &then(&released, &[cancel(Some(&[("L1", 1)]))]),
        "order o-1 released v4
         L1 ord=2 alloc=2 rel=2 ship=0 deliv=0 ret=0 canc=0 W1:2/2/0
         L2 ord=1 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=0
         SKU-A@W1 on_hand=10 reserved=2 v2
         SKU-A@W2 on_hand=5 reserved=0 v1
         SKU-B@W1 on_hand=3 reserved=0 v1",
    );
    check_state(
        &then(&released, &[cancel(Some(&[("L1", 1)])), answer_cancel(true)]),
        "order o-1 released v6
         L1 ord=2 alloc=1 rel=1 ship=0 deliv=0 ret=0 canc=1 W1:1/1/0
         L2 ord=1 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=0
         SKU-A@W1 on_hand=10 reserved=1 v3
         SKU-A@W2 on_hand=5 reserved=0 v1
         SKU-B@W1 on_hand=3 reserved=0 v1",
    );
}

/// L1 is 4 × SKU-A split over two locations, both released: W1 holds 2, W2 holds 2.
fn split_released() -> Vec<crossdock_model::Command> {
    then(&stock(), &[place(&[("L1", "SKU-A", 4)]), allocate(&[("L1", "W1", 2), ("L1", "W2", 2)]), release(None)])
}

#[test]
fn an_accepted_recall_removes_the_released_units_not_those_allocated_since() {
    // L1 ordered 10: 5 allocated at W1 and released; the warehouse is asked for them back; 3 more are
    // allocated at W1 meanwhile (not released yet); then the warehouse accepts.
    let setup = then(
        &stock(),
        &[
            place(&[("L1", "SKU-A", 10)]),
            allocate(&[("L1", "W1", 5)]),
            release(None),
            cancel_at("W1", None),
            allocate(&[("L1", "W1", 3)]),
        ],
    );
    check(
        &setup,
        answer_cancel(true),
        "order.cancel_answered #1 Accepted
         order.lines_cancelled L1×5 released=[L1@W1×5]
         inventory.reservation_released SKU-A@W1 5",
    );
    check_state(
        &then(&setup, &[answer_cancel(true)]),
        "order o-1 backordered v7
         L1 ord=10 alloc=3 rel=0 ship=0 deliv=0 ret=0 canc=5 W1:3/0/0
         SKU-A@W1 on_hand=10 reserved=3 v4
         SKU-A@W2 on_hand=5 reserved=0 v1
         SKU-B@W1 on_hand=3 reserved=0 v1",
    );
    // The three are still to be released to the warehouse.
    check(&then(&setup, &[answer_cancel(true)]), release(None), "order.released L1@W1×3");
}

#[test]
fn cancel_at_a_location_takes_only_that_locations_units() {
    // Without a location the first allocation (W1) is asked back; W2 reporting its units missing must not.
    check(&split_released(), cancel(Some(&[("L1", 1)])), r#"order.cancel_requested #1 [L1@W1×1] "customer asked""#);
    check(&split_released(), cancel_at("W2", Some(&[("L1", 1)])), r#"order.cancel_requested #1 [L1@W2×1] "not found""#);
    check_state(
        &then(&split_released(), &[cancel_at("W2", Some(&[("L1", 2)])), answer_cancel(true)]),
        "order o-1 released v6
         L1 ord=4 alloc=2 rel=2 ship=0 deliv=0 ret=0 canc=2 W1:2/2/0
         SKU-A@W1 on_hand=10 reserved=2 v2
         SKU-A@W2 on_hand=5 reserved=0 v3
         SKU-B@W1 on_hand=3 reserved=0 v1",
    );
    // With no lines, everything open at the location (and nothing elsewhere).
    check(&split_released(), cancel_at("W2", None), r#"order.cancel_requested #1 [L1@W2×2] "not found""#);
    // Unreleased units at the location are cancelled at once; the unallocated ones are left to sourcing.
    check(
        &spread(),
        cancel_at("W1", Some(&[("L1", 1)])),
        "order.lines_cancelled L1×1 released=[L1@W1×1]
         inventory.reservation_released SKU-A@W1 1",
    );
    check(&spread(), cancel_at("W2", Some(&[("L1", 1)])), r#"order.cancel_requested #1 [L1@W2×1] "not found""#);
}

#[test]
fn cancel_at_a_location_refusals() {
    check(
        &spread(),
        cancel_at("W1", Some(&[("L1", 2)])),
        r#"error exceeds_open at "/lines/0/quantity": line L1 has 1 open units at location W1; 2 requested"#,
    );
    check(
        &spread(),
        cancel_at("W1", Some(&[("L2", 1)])),
        r#"error exceeds_open at "/lines/0/quantity": line L2 has 0 open units at location W1; 1 requested"#,
    );
    check(
        &spread(),
        cancel_at("W3", None),
        r#"error nothing_open_at_location at "/location": order o-1 has no units allocated and unshipped at location W3"#,
    );
}

#[test]
fn cancel_the_rest_of_a_partially_shipped_order() {
    let partly = then(
        &placed(),
        &[allocate(&[("L1", "W1", 2), ("L2", "W1", 1)]), release(None), ship("S1", "W1", &[("L1", 1)])],
    );
    check(&partly, cancel(None), r#"order.cancel_requested #1 [L1@W1×1,L2@W1×1] "customer asked""#);
    check(
        &then(&partly, &[cancel(None)]),
        answer_cancel(true),
        "order.cancel_answered #1 Accepted
         order.lines_cancelled L1×1,L2×1 released=[L1@W1×1,L2@W1×1]
         inventory.reservation_released SKU-A@W1 1
         inventory.reservation_released SKU-B@W1 1",
    );
    check_state(
        &then(&partly, &[cancel(None), answer_cancel(true)]),
        "order o-1 shipped v7
         L1 ord=2 alloc=1 rel=1 ship=1 deliv=0 ret=0 canc=1 W1:1/1/1
         L2 ord=1 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=1
         SKU-A@W1 on_hand=9 reserved=0 v4
         SKU-A@W2 on_hand=5 reserved=0 v1
         SKU-B@W1 on_hand=3 reserved=0 v3",
    );
}

#[test]
fn cancel_refusals() {
    let shipped = then(
        &placed(),
        &[allocate(&[("L1", "W1", 2), ("L2", "W1", 1)]), release(None), ship("S1", "W1", &[("L1", 2), ("L2", 1)])],
    );
    let cases = [
        (vec![], cancel(None), "error order_not_found: order o-1 does not exist".to_string()),
        (placed(), cancel(Some(&[])), r#"error empty at "/lines": at least one line is required"#.into()),
        (
            placed(),
            cancel(Some(&[("L1", 1), ("L7", 1)])),
            r#"error unknown_line at "/lines/1/line_id": order o-1 has no line L7"#.into(),
        ),
        (
            placed(),
            cancel(Some(&[("L1", 3)])),
            r#"error exceeds_open at "/lines/0/quantity": line L1 has 2 open units; 3 requested"#.into(),
        ),
        (
            placed(),
            cancel(Some(&[("L1", 1), ("L2", 1), ("L1", 2)])),
            r#"error exceeds_open at "/lines/2/quantity": line L1 has 1 open units; 2 requested"#.into(),
        ),
        (
            then(&placed(), &[cancel(None)]),
            cancel(None),
            "error invalid_transition: cannot cancel an order that is cancelled".into(),
        ),
        (shipped.clone(), cancel(None), "error invalid_transition: cannot cancel an order that is shipped".into()),
        (
            then(&shipped, &[deliver("S1")]),
            cancel(Some(&[("L1", 1)])),
            "error invalid_transition: cannot cancel an order that is delivered".into(),
        ),
    ];
    for (setup, command, expect) in cases {
        check(&setup, command, &expect);
    }
    let long_reason = crossdock_model::Command::CancelOrder {
        order_id: order_id(),
        lines: None,
        reason: "r".repeat(600),
        location: None,
    };
    check(&placed(), long_reason, r#"error too_long at "/reason": reason is 600 bytes long; the limit is 512"#);
}
