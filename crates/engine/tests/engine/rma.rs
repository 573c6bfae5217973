//! Return authorisations (RMA): limits, receipt at any location against them, walk-ins beside them, and
//! the refund each return records.

use crate::support::*;
use crossdock_engine::RestockingFeeRule;
use crossdock_model::Disposition::{Damaged, Resellable};
use crossdock_model::ReturnReason::{Defective, NoLongerNeeded, WrongItem};

/// L1 (2 × SKU-A at 10.00) and L2 (1 × SKU-B at 10.00), shipped from W1 to Illinois (6.25 %) and delivered.
fn delivered() -> Vec<crossdock_model::Command> {
    then(
        &placed(),
        &[
            allocate(&[("L1", "W1", 2), ("L2", "W1", 1)]),
            release(None),
            ship("S1", "W1", &[("L1", 2), ("L2", 1)]),
            deliver("S1"),
        ],
    )
}

#[test]
fn an_authorisation_is_limited_to_shipped_units_not_returned_nor_authorised() {
    check(
        &delivered(),
        authorise("RMA-1", &[("L1", 1, NoLongerNeeded)], Some("STORE-1")),
        "order.return_authorised RMA-1 L1×1:NoLongerNeeded",
    );
    let one_out = then(&delivered(), &[authorise("RMA-1", &[("L1", 1, NoLongerNeeded)], None)]);
    check(
        &one_out,
        authorise("RMA-2", &[("L1", 2, Defective)], None),
        r#"error exceeds_returnable at "/lines/0/quantity": line L1 has 1 units shipped and neither returned nor authorised for return; 2 given"#,
    );
    check(
        &one_out,
        authorise("RMA-1", &[("L2", 1, Defective)], None),
        "error duplicate_authorisation: order o-1 already has return authorisation RMA-1",
    );
    check(
        &placed(),
        authorise("RMA-1", &[("L1", 1, Defective)], None),
        r#"error exceeds_returnable at "/lines/0/quantity": line L1 has 0 units shipped and neither returned nor authorised for return; 1 given"#,
    );
}

#[test]
fn a_return_against_an_authorisation_restocks_the_receiving_store_and_records_the_refund() {
    let authorised = then(&delivered(), &[authorise("RMA-1", &[("L1", 2, NoLongerNeeded)], Some("W1"))]);
    let mut world = World::with(&authorised);
    world.restocking = RestockingFeeRule { fee_bp: 1500, waived_for: vec![] };
    let events = world
        .apply(&return_against("R1", "W2", Some("RMA-1"), &[("L1", 1, NoLongerNeeded, Resellable)]))
        .expect("accepted");
    let rendered: Vec<String> = events.iter().map(render_event).collect();
    // 10.00 + 6.25 % of it (0.625, half up: 0.63), less 15 % of the price (1.50).
    assert_eq!(
        rendered,
        [
            "order.return_recorded R1@W2 L1×1:Resellable",
            "order.refund_due R1 price=1000 tax=63 fee=150 total=913",
            "inventory.restocked SKU-A@W2 1",
        ]
    );
    let order = world.order().clone();
    assert_eq!(order.return_authorisations[0].received, vec![1]);
    assert_eq!(order.authorised_open(&line_id("L1")), 1);
    // The second unit: the rest of the line's tax (1.25 − 0.63), damaged, so nothing is restocked.
    let events = world
        .apply(&return_against("R2", "W2", Some("RMA-1"), &[("L1", 1, NoLongerNeeded, Damaged)]))
        .expect("accepted");
    let rendered: Vec<String> = events.iter().map(render_event).collect();
    assert_eq!(
        rendered,
        ["order.return_recorded R2@W2 L1×1:Damaged", "order.refund_due R2 price=1000 tax=62 fee=150 total=912"]
    );
    assert!(!world.order().return_authorisations[0].is_open());
}

#[test]
fn fulfilment_errors_pay_no_restocking_fee() {
    let authorised = then(&delivered(), &[authorise("RMA-1", &[("L2", 1, WrongItem)], None)]);
    let mut world = World::with(&authorised);
    world.restocking = RestockingFeeRule { fee_bp: 1500, waived_for: vec![] };
    let events =
        world.apply(&return_against("R1", "W1", Some("RMA-1"), &[("L2", 1, WrongItem, Resellable)])).expect("ok");
    assert_eq!(render_event(&events[1]), "order.refund_due R1 price=1000 tax=63 fee=0 total=1063");
}

#[test]
fn returns_are_checked_against_their_authorisation_and_walk_ins_against_open_ones() {
    let authorised = then(&delivered(), &[authorise("RMA-1", &[("L1", 1, Defective)], None)]);
    let cases = [
        (
            return_against("R1", "W1", Some("RMA-9"), &[("L1", 1, Defective, Damaged)]),
            r#"error unknown_authorisation at "/authorisation": order o-1 has no return authorisation RMA-9"#,
        ),
        (
            return_against("R1", "W1", Some("RMA-1"), &[("L1", 2, Defective, Damaged)]),
            r#"error exceeds_authorised at "/lines/0/quantity": return authorisation RMA-1 has 1 units of line L1 still expected; 2 given"#,
        ),
        (
            return_against("R1", "W1", Some("RMA-1"), &[("L2", 1, Defective, Damaged)]),
            r#"error exceeds_authorised at "/lines/0/quantity": return authorisation RMA-1 has 0 units of line L2 still expected; 1 given"#,
        ),
        (
            // A walk-in may take the unit no authorisation holds, not the held one.
            return_against("R1", "W1", None, &[("L1", 2, Defective, Damaged)]),
            r#"error authorisation_required at "/lines/0/quantity": 1 units of line L1 are held by an open return authorisation; give its id in /authorisation (units free for a walk-in return: 1)"#,
        ),
    ];
    for (command, expect) in cases {
        check(&authorised, command, expect);
    }
    check(
        &authorised,
        return_against("R1", "W1", None, &[("L1", 1, Defective, Damaged)]),
        "order.return_recorded R1@W1 L1×1:Damaged
         order.refund_due R1 price=1000 tax=63 fee=0 total=1063",
    );
}
