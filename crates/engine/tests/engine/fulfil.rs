//! Shipments, deliveries and returns reported back by warehouses and carriers.

use crate::support::*;
use crossdock_model::{Command, Disposition::*};

/// The usual order, all allocated at W1 and released.
fn released() -> Vec<Command> {
    then(&placed(), &[allocate(&[("L1", "W1", 2), ("L2", "W1", 1)]), release(None)])
}

fn shipped() -> Vec<Command> {
    then(&released(), &[ship("S1", "W1", &[("L1", 2), ("L2", 1)])])
}

fn delivered() -> Vec<Command> {
    then(&shipped(), &[deliver("S1")])
}

#[test]
fn ship_consumes_stock_and_reservation() {
    check(
        &released(),
        ship("S1", "W1", &[("L1", 1), ("L2", 1), ("L1", 1)]),
        "order.shipment_confirmed S1@W1 UPS L1×2,L2×1
         inventory.shipped SKU-A@W1 2
         inventory.shipped SKU-B@W1 1",
    );
    check_state(
        &then(&released(), &[ship("S1", "W1", &[("L1", 1)])]),
        "order o-1 partially_shipped v4
         L1 ord=2 alloc=2 rel=2 ship=1 deliv=0 ret=0 canc=0 W1:2/2/1
         L2 ord=1 alloc=1 rel=1 ship=0 deliv=0 ret=0 canc=0 W1:1/1/0
         SKU-A@W1 on_hand=9 reserved=1 v3
         SKU-A@W2 on_hand=5 reserved=0 v1
         SKU-B@W1 on_hand=3 reserved=1 v2",
    );
    check_state(
        &shipped(),
        "order o-1 shipped v4
         L1 ord=2 alloc=2 rel=2 ship=2 deliv=0 ret=0 canc=0 W1:2/2/2
         L2 ord=1 alloc=1 rel=1 ship=1 deliv=0 ret=0 canc=0 W1:1/1/1
         SKU-A@W1 on_hand=8 reserved=0 v3
         SKU-A@W2 on_hand=5 reserved=0 v1
         SKU-B@W1 on_hand=2 reserved=0 v3",
    );
}

#[test]
fn ship_refusals() {
    let mut no_carrier = ship("S2", "W1", &[("L1", 1)]);
    if let Command::ConfirmShipment { carrier, .. } = &mut no_carrier {
        carrier.clear();
    }
    let mut long_tracking = ship("S2", "W1", &[("L1", 1)]);
    if let Command::ConfirmShipment { tracking_number, .. } = &mut long_tracking {
        *tracking_number = Some("9".repeat(513));
    }
    let partly = then(&released(), &[ship("S1", "W1", &[("L1", 1)])]);
    let cases = [
        (placed(), ship("S1", "W1", &[("L1", 1)]), "error invalid_transition: cannot ship an order that is created"),
        (
            shipped(),
            ship("S1", "W1", &[("L1", 2), ("L2", 1)]),
            r#"error duplicate_shipment at "/shipment_id": order o-1 already has shipment S1"#,
        ),
        (
            then(&placed(), &[allocate(&[("L1", "W1", 2)])]),
            ship("S1", "W1", &[("L1", 1)]),
            "error invalid_transition: cannot ship an order that is backordered",
        ),
        (
            partly.clone(),
            ship("S1", "W1", &[("L1", 1)]),
            r#"error duplicate_shipment at "/shipment_id": order o-1 already has shipment S1"#,
        ),
        (released(), no_carrier, r#"error required at "/carrier": carrier must not be empty"#),
        (
            released(),
            long_tracking,
            r#"error too_long at "/tracking_number": tracking number is 513 bytes long; the limit is 512"#,
        ),
        (released(), ship("S1", "W1", &[]), r#"error empty at "/lines": at least one line is required"#),
        (
            released(),
            ship("S1", "W1", &[("L3", 1)]),
            r#"error unknown_line at "/lines/0/line_id": order o-1 has no line L3"#,
        ),
        (
            partly,
            ship("S2", "W1", &[("L1", 2)]),
            r#"error exceeds_released at "/lines/0/quantity": line L1 has 1 released units to ship from W1; 2 given"#,
        ),
        (
            released(),
            ship("S1", "W1", &[("L1", 1), ("L1", 2)]),
            r#"error exceeds_released at "/lines/1/quantity": line L1 has 1 released units to ship from W1; 2 given"#,
        ),
        (
            released(),
            ship("S1", "W2", &[("L1", 1)]),
            r#"error exceeds_released at "/lines/0/quantity": line L1 has 0 released units to ship from W2; 1 given"#,
        ),
        (
            then(&released(), &[count("SKU-A", "W1", 1)]),
            ship("S1", "W1", &[("L1", 2)]),
            r#"error insufficient_stock at "/lines/0/quantity": not enough stock of SKU-A at W1: 2 requested, 1 available"#,
        ),
    ];
    for (setup, command, expect) in cases {
        check(&setup, command, expect);
    }
}

#[test]
fn deliver_marks_the_shipment_delivered() {
    check(&shipped(), deliver("S1"), "order.delivery_confirmed S1");
    check_state(
        &then(&released(), &[ship("S1", "W1", &[("L1", 2)]), deliver("S1")]),
        "order o-1 partially_shipped v5
         L1 ord=2 alloc=2 rel=2 ship=2 deliv=2 ret=0 canc=0 W1:2/2/2
         L2 ord=1 alloc=1 rel=1 ship=0 deliv=0 ret=0 canc=0 W1:1/1/0
         SKU-A@W1 on_hand=8 reserved=0 v3
         SKU-A@W2 on_hand=5 reserved=0 v1
         SKU-B@W1 on_hand=3 reserved=1 v2",
    );
    let order = World::with(&delivered()).order().clone();
    assert_eq!(order.status.as_str(), "delivered");
    assert_eq!(order.shipments[0].delivered_at, Some(now()));
}

#[test]
fn deliver_refusals() {
    check(&shipped(), deliver("S9"), r#"error unknown_shipment at "/shipment_id": order o-1 has no shipment S9"#);
    check(
        &delivered(),
        deliver("S1"),
        r#"error already_delivered at "/shipment_id": shipment S1 of order o-1 is already delivered"#,
    );
}

#[test]
fn return_restocks_resellable_units() {
    check(
        &delivered(),
        record_return("R1", "W2", &[("L1", 1, Resellable), ("L1", 1, Damaged), ("L2", 1, Resellable)]),
        "order.return_recorded R1@W2 L1×1:Resellable,L1×1:Damaged,L2×1:Resellable
         order.refund_due R1 price=3000 tax=188 fee=0 total=3188
         inventory.restocked SKU-A@W2 1
         inventory.restocked SKU-B@W2 1",
    );
    check(
        &delivered(),
        record_return("R1", "W1", &[("L2", 1, ReturnToVendor)]),
        "order.return_recorded R1@W1 L2×1:ReturnToVendor
         order.refund_due R1 price=1000 tax=63 fee=0 total=1063",
    );
    check_state(
        &then(&delivered(), &[record_return("R1", "W2", &[("L1", 1, Resellable), ("L2", 1, Resellable)])]),
        "order o-1 partially_returned v7
         L1 ord=2 alloc=2 rel=2 ship=2 deliv=2 ret=1 canc=0 W1:2/2/2
         L2 ord=1 alloc=1 rel=1 ship=1 deliv=1 ret=1 canc=0 W1:1/1/1
         SKU-A@W1 on_hand=8 reserved=0 v3
         SKU-A@W2 on_hand=6 reserved=0 v2
         SKU-B@W1 on_hand=2 reserved=0 v3
         SKU-B@W2 on_hand=1 reserved=0 v1",
    );
    let all_back = then(&delivered(), &[record_return("R1", "W1", &[("L1", 2, Damaged), ("L2", 1, Damaged)])]);
    assert_eq!(World::with(&all_back).order().status.as_str(), "returned");
}

#[test]
fn return_refusals() {
    let returned = then(&delivered(), &[record_return("R1", "W1", &[("L1", 1, Damaged)])]);
    let all_back = then(&delivered(), &[record_return("R1", "W1", &[("L1", 2, Damaged), ("L2", 1, Damaged)])]);
    let cases = [
        (
            all_back,
            record_return("R1", "W1", &[("L1", 2, Damaged)]),
            r#"error duplicate_return at "/return_id": order o-1 already has return R1"#,
        ),
        (
            shipped(),
            record_return("R1", "W1", &[("L1", 1, Damaged)]),
            "error invalid_transition: cannot record a return of an order that is shipped",
        ),
        (
            returned.clone(),
            record_return("R1", "W1", &[("L1", 1, Damaged)]),
            r#"error duplicate_return at "/return_id": order o-1 already has return R1"#,
        ),
        (delivered(), record_return("R1", "W1", &[]), r#"error empty at "/lines": at least one line is required"#),
        (
            delivered(),
            record_return("R1", "W1", &[("LX", 1, Damaged)]),
            r#"error unknown_line at "/lines/0/line_id": order o-1 has no line LX"#,
        ),
        (
            returned,
            record_return("R2", "W1", &[("L1", 2, Damaged)]),
            r#"error exceeds_delivered at "/lines/0/quantity": line L1 has 1 delivered units not yet returned; 2 given"#,
        ),
        (
            delivered(),
            record_return("R2", "W1", &[("L2", 1, Damaged), ("L2", 1, Resellable)]),
            r#"error exceeds_delivered at "/lines/1/quantity": line L2 has 0 delivered units not yet returned; 1 given"#,
        ),
    ];
    for (setup, command, expect) in cases {
        check(&setup, command, expect);
    }
}
