//! Cancelling after release: a cancel request to the warehouse, and its answer coming back as a command.

use crate::support::*;

/// L1 (2 × SKU-A) and L2 (1 × SKU-B) allocated at W1 and released to its warehouse.
fn released() -> Vec<crossdock_model::Command> {
    then(&placed(), &[allocate(&[("L1", "W1", 2), ("L2", "W1", 1)]), release(None)])
}

#[test]
fn a_refused_request_is_closed_and_the_order_continues() {
    let asked = then(&released(), &[cancel(None)]);
    check(&asked, answer_cancel(false), "order.cancel_answered #1 Refused");
    let refused = then(&asked, &[answer_cancel(false)]);
    check_state(
        &refused,
        "order o-1 released v5
         L1 ord=2 alloc=2 rel=2 ship=0 deliv=0 ret=0 canc=0 W1:2/2/0
         L2 ord=1 alloc=1 rel=1 ship=0 deliv=0 ret=0 canc=0 W1:1/1/0
         SKU-A@W1 on_hand=10 reserved=2 v2
         SKU-A@W2 on_hand=5 reserved=0 v1
         SKU-B@W1 on_hand=3 reserved=1 v2",
    );
    let order = World::with(&refused).order().clone();
    assert_eq!(order.open_cancel_request(), None);
    assert_eq!(order.cancel_requests[0].outcome, Some(crossdock_model::CancelOutcome::Refused));
    // The warehouse ships what it could not pull back.
    check(
        &refused,
        ship("S1", "W1", &[("L1", 2), ("L2", 1)]),
        "order.shipment_confirmed S1@W1 UPS L1×2,L2×1
         inventory.shipped SKU-A@W1 2
         inventory.shipped SKU-B@W1 1",
    );
}

#[test]
fn a_second_request_while_one_is_open_is_a_conflict() {
    let asked = then(&released(), &[cancel(Some(&[("L1", 1)]))]);
    check(
        &asked,
        cancel(Some(&[("L2", 1)])),
        "error cancel_request_open: order o-1 already has cancel request 1 waiting for the warehouse's answer; \
         released units can be cancelled again once it is answered",
    );
    // Once answered, another request may go out; it is numbered 2.
    check(
        &then(&asked, &[answer_cancel(false)]),
        cancel(Some(&[("L2", 1)])),
        r#"order.cancel_requested #2 [L2@W1×1] "customer asked""#,
    );
}

#[test]
fn units_not_yet_released_are_cancelled_at_once_even_while_a_request_is_open() {
    let setup =
        then(&placed(), &[allocate(&[("L1", "W1", 2), ("L2", "W1", 1)]), release(None), cancel(Some(&[("L1", 1)]))]);
    // L2 is released too: it needs a request, refused while #1 is open; an unallocated unit does not.
    let mixed = then(&stock(), &[place(&[("L1", "SKU-A", 2), ("L3", "SKU-A", 1)]), allocate(&[("L1", "W1", 2)])]);
    let mixed = then(&mixed, &[release(None), cancel(Some(&[("L1", 1)]))]);
    check(&mixed, cancel(Some(&[("L3", 1)])), "order.lines_cancelled L3×1 released=[]");
    check(
        &setup,
        cancel(Some(&[("L2", 1)])),
        "error cancel_request_open: order o-1 already has cancel request 1 waiting for the warehouse's answer; released units can be cancelled again once it is answered",
    );
}

#[test]
fn answers_are_idempotent_and_need_a_request() {
    check(&released(), answer_cancel(true), "error no_open_cancel_request: order o-1 has no cancel request to answer");
    let accepted = then(&released(), &[cancel(Some(&[("L2", 1)])), answer_cancel(true)]);
    // The same answer again (a retried webhook with a new message id) changes nothing.
    check(&accepted, answer_cancel(true), "");
    check(
        &accepted,
        answer_cancel(false),
        "error no_open_cancel_request: order o-1 has no open cancel request; request 1 was already answered accepted",
    );
}

#[test]
fn an_accepted_request_cancels_only_what_was_not_shipped_meanwhile() {
    let asked = then(&released(), &[cancel(Some(&[("L1", 2)]))]);
    let shipped_one = then(&asked, &[ship("S1", "W1", &[("L1", 1)])]);
    check(
        &shipped_one,
        answer_cancel(true),
        "order.cancel_answered #1 Accepted
         order.lines_cancelled L1×1 released=[L1@W1×1]
         inventory.reservation_released SKU-A@W1 1",
    );
    check_state(
        &then(&shipped_one, &[answer_cancel(true)]),
        "order o-1 partially_shipped v7
         L1 ord=2 alloc=1 rel=1 ship=1 deliv=0 ret=0 canc=1 W1:1/1/1
         L2 ord=1 alloc=1 rel=1 ship=0 deliv=0 ret=0 canc=0 W1:1/1/0
         SKU-A@W1 on_hand=9 reserved=0 v4
         SKU-A@W2 on_hand=5 reserved=0 v1
         SKU-B@W1 on_hand=3 reserved=1 v2",
    );
}
