//! Placing, holding and releasing the hold of an order.

use crate::support::*;
use crossdock_model::{Command, Currency, Customer, Money, PlaceOrder};

fn check_place(change: impl FnOnce(&mut PlaceOrder), expect: &str) {
    let mut order = new_order(&[("L1", "SKU-A", 2), ("L2", "SKU-B", 1)]);
    change(&mut order);
    check(&[], Command::PlaceOrder(order), expect);
}

#[test]
fn place_order_records_a_created_order() {
    check_place(|_| {}, "order.placed o-1 created v0 L1:SKU-A×2,L2:SKU-B×1");
    check_state(
        &[place_default()],
        "order o-1 created v1
         L1 ord=2 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=0
         L2 ord=1 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=0",
    );
}

#[test]
fn place_order_twice_is_refused() {
    check(&[place_default()], place_default(), "error order_exists: order o-1 already exists");
}

#[test]
fn place_order_validates_lines_money_and_addresses() {
    let eur = Currency::new("EUR").unwrap();
    type Change = Box<dyn FnOnce(&mut PlaceOrder)>;
    let cases: Vec<(Change, &str)> = vec![
        (Box::new(|o| o.lines.clear()), r#"error empty at "/lines": at least one line is required"#),
        (
            Box::new(|o| {
                let line = o.lines[0].clone();
                o.lines = vec![line; 1001];
            }),
            r#"error too_many at "/lines": 1001 lines given; the limit is 1000"#,
        ),
        (
            Box::new(|o| o.lines[1].id = o.lines[0].id.clone()),
            r#"error duplicate_line at "/lines/1/id": line id L1 is used more than once"#,
        ),
        (
            Box::new(move |o| o.lines[1].unit_price = Money::new(100, eur)),
            r#"error currency_mismatch at "/lines/1/unit_price/currency": EUR differs from the order currency USD"#,
        ),
        (
            Box::new(|o| o.lines[0].unit_price.amount_minor = -1),
            r#"error negative_amount at "/lines/0/unit_price/amount_minor": amount -0.01 USD is negative"#,
        ),
        (
            Box::new(|o| o.lines[0].unit_price.amount_minor = i64::MAX / 2 + 1),
            r#"error amount_too_large at "/lines/0/unit_price/amount_minor": the order total is too large"#,
        ),
        (
            Box::new(move |o| o.shipping = Some(Money::new(5, eur))),
            r#"error currency_mismatch at "/shipping/currency": EUR differs from the order currency USD"#,
        ),
        (
            Box::new(|o| o.ship_to.city = " ".into()),
            r#"error required at "/ship_to/city": address city must not be empty"#,
        ),
        (
            Box::new(|o| {
                let mut bill_to = address();
                bill_to.line1 = "x".repeat(513);
                o.bill_to = Some(bill_to);
            }),
            r#"error too_long at "/bill_to/line1": address line1 is longer than 512 bytes"#,
        ),
        (
            Box::new(|o| {
                o.customer = Some(Customer { id: None, email: None, name: Some("n".repeat(600)), phone: None });
            }),
            r#"error too_long at "/customer/name": customer name is 600 bytes long; the limit is 512"#,
        ),
    ];
    for (change, expect) in cases {
        check_place(change, expect);
    }
}

#[test]
fn hold_order_before_release() {
    check(&placed(), hold("fraud review"), r#"order.held "fraud review""#);
    check(&then(&placed(), &[allocate(&[("L1", "W1", 1)])]), hold("fraud review"), r#"order.held "fraud review""#);
    check_state(
        &then(&placed(), &[hold("fraud review")]),
        r#"order o-1 on_hold v2 hold="fraud review"
           L1 ord=2 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=0
           L2 ord=1 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=0
           SKU-A@W1 on_hand=10 reserved=0 v1
           SKU-A@W2 on_hand=5 reserved=0 v1
           SKU-B@W1 on_hand=3 reserved=0 v1"#,
    );
}

#[test]
fn hold_order_refusals() {
    let released = then(&placed(), &[allocate(&[("L1", "W1", 2), ("L2", "W1", 1)]), release(None)]);
    let cases = [
        (vec![], hold("x"), "error order_not_found: order o-1 does not exist"),
        (placed(), hold(" "), r#"error required at "/reason": reason must not be empty"#),
        (
            placed(),
            hold(&"r".repeat(513)),
            r#"error too_long at "/reason": reason is 513 bytes long; the limit is 512"#,
        ),
        (
            then(&placed(), &[hold("x")]),
            hold("again"),
            "error invalid_transition: cannot hold an order that is on_hold",
        ),
        (released, hold("late"), "error invalid_transition: cannot hold an order that is released"),
        (
            then(&placed(), &[cancel(None)]),
            hold("x"),
            "error invalid_transition: cannot hold an order that is cancelled",
        ),
    ];
    for (setup, command, expect) in cases {
        check(&setup, command, expect);
    }
}

#[test]
fn release_hold_only_when_on_hold() {
    check(&then(&placed(), &[hold("x")]), release_hold(), "order.hold_released");
    check(&placed(), release_hold(), "error invalid_transition: cannot release the hold of an order that is created");
    check_state(
        &then(&placed(), &[allocate(&[("L1", "W1", 2)]), hold("x"), release_hold()]),
        "order o-1 backordered v4
         L1 ord=2 alloc=2 rel=0 ship=0 deliv=0 ret=0 canc=0 W1:2/0/0
         L2 ord=1 alloc=0 rel=0 ship=0 deliv=0 ret=0 canc=0
         SKU-A@W1 on_hand=10 reserved=2 v2
         SKU-A@W2 on_hand=5 reserved=0 v1
         SKU-B@W1 on_hand=3 reserved=0 v1",
    );
}

#[test]
fn order_commands_need_the_order() {
    let other = crossdock_model::OrderId::new("o-2").unwrap();
    check(&placed(), Command::ReleaseHold { order_id: other }, "error order_not_found: order o-2 does not exist");
}
