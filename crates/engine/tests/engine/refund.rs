//! Refunds for returns: price plus the returned units' share of tax, less the restocking fee where the
//! reason is not a fulfilment error.

use crate::support::*;
use crossdock_engine::refund::{RefundError, RestockingFeeRule, refund, refund_amount};
use crossdock_engine::tax::{TaxBreakdown, compute_tax, tax_input_for_order};
use crossdock_model::{Command, Currency, Disposition, Money, Order, ReturnLine, ReturnReason};

/// The usual order (L1 2 × 10.00, L2 1 × 10.00, shipping 5.00, to Illinois) shipped from W1 and delivered.
fn delivered() -> World {
    World::with(&then(
        &placed(),
        &[
            allocate(&[("L1", "W1", 2), ("L2", "W1", 1)]),
            release(None),
            ship("S1", "W1", &[("L1", 2), ("L2", 1)]),
            deliver("S1"),
        ],
    ))
}

/// IL 6.25%: L1 2000 → 125, L2 1000 → 63, shipping 500 → 31.
fn tax_of(order: &Order) -> TaxBreakdown {
    compute_tax(&tax_input_for_order(order, None).expect("US order")).expect("taxed")
}

fn returning(items: &[(&str, u32, ReturnReason)]) -> Vec<ReturnLine> {
    items
        .iter()
        .map(|(l, q, reason)| ReturnLine {
            line_id: line_id(l),
            quantity: qty(*q),
            reason: *reason,
            disposition: Disposition::Resellable,
        })
        .collect()
}

fn fifteen_percent() -> RestockingFeeRule {
    RestockingFeeRule { fee_bp: 1500, waived_for: vec![] }
}

/// `line×units reason: price + tax − fee = refund`, one a line, then the total (or the error).
fn render(
    order: &Order,
    tax: Option<&TaxBreakdown>,
    items: &[(&str, u32, ReturnReason)],
    rule: &RestockingFeeRule,
) -> String {
    match refund(order, tax, &returning(items), rule) {
        Ok(r) => {
            let mut out: Vec<String> = r
                .lines
                .iter()
                .map(|l| {
                    let reason = serde_json::to_value(l.reason).expect("serializable");
                    format!(
                        "{}×{} {}: {} + {} − {} = {}",
                        l.line_id,
                        l.quantity,
                        reason.as_str().unwrap_or("?"),
                        l.price.amount_minor,
                        l.tax.amount_minor,
                        l.restocking_fee.amount_minor,
                        l.refund.amount_minor
                    )
                })
                .collect();
            out.push(format!("total {}", r.total.amount_minor));
            out.join("\n")
        }
        Err(e) => format!("error: {e}"),
    }
}

use ReturnReason::*;

#[test]
fn a_refund_is_price_plus_tax_less_the_restocking_fee() {
    let world = delivered();
    let (order, tax) = (world.order(), tax_of(world.order()));
    let rule = fifteen_percent();
    assert_eq!(
        render(order, Some(&tax), &[("L1", 1, NoLongerNeeded)], &rule),
        normalize(
            "
        L1×1 no_longer_needed: 1000 + 63 − 150 = 913
        total 913
    "
        )
    );
    assert_eq!(
        render(order, Some(&tax), &[("L1", 2, WrongItem), ("L2", 1, DamagedInTransit)], &rule),
        normalize(
            "
        L1×2 wrong_item: 2000 + 125 − 0 = 2125
        L2×1 damaged_in_transit: 1000 + 63 − 0 = 1063
        total 3188
    "
        )
    );
    assert_eq!(
        render(order, Some(&tax), &[("L1", 1, Defective), ("L1", 1, NotAsDescribed)], &rule),
        normalize(
            "
        L1×1 defective: 1000 + 63 − 150 = 913
        L1×1 not_as_described: 1000 + 62 − 150 = 912
        total 1825
    "
        )
    );
    let kinder = RestockingFeeRule { fee_bp: 1500, waived_for: vec![Defective] };
    assert_eq!(
        render(order, Some(&tax), &[("L1", 1, Defective)], &kinder),
        normalize(
            "
        L1×1 defective: 1000 + 63 − 0 = 1063
        total 1063
    "
        )
    );
    assert_eq!(refund_amount(order, None, &returning(&[("L2", 1, Other)]), &rule), Ok(Money::new(850, Currency::USD)));
}

#[test]
fn partial_returns_refund_exactly_the_tax_charged() {
    let mut world = delivered();
    let tax = tax_of(world.order());
    let rule = RestockingFeeRule::default();
    let first = refund_amount(world.order(), Some(&tax), &returning(&[("L1", 1, Other)]), &rule).expect("refund");
    world.apply(&record_return("R1", "W1", &[("L1", 1, Disposition::Resellable)])).expect("recorded");
    let second = refund_amount(world.order(), Some(&tax), &returning(&[("L1", 1, Other)]), &rule).expect("refund");
    assert_eq!((first.amount_minor, second.amount_minor), (1063, 1062));
    assert_eq!(first.amount_minor + second.amount_minor, 2000 + 125);
    world.apply(&record_return("R2", "W1", &[("L1", 1, Disposition::Resellable)])).expect("recorded");
    let third = refund(world.order(), Some(&tax), &returning(&[("L1", 1, Other)]), &rule);
    assert!(matches!(third, Err(RefundError::ExceedsReturnable { left: 0, requested: 1, .. })));
}

#[test]
fn the_restocking_fee_rounds_half_up() {
    let world = World::with(&then(
        &[adjust("SKU-A", "W1", 9)],
        &[
            Command::PlaceOrder(crossdock_model::PlaceOrder {
                lines: vec![crossdock_model::NewOrderLine {
                    id: line_id("L1"),
                    sku: sku("SKU-A"),
                    quantity: qty(3),
                    unit_price: Money::new(999, Currency::USD),
                }],
                ..new_order(&[])
            }),
            allocate(&[("L1", "W1", 3)]),
            release(None),
            ship("S1", "W1", &[("L1", 3)]),
            deliver("S1"),
        ],
    ));
    let fee = |bp: u32, units: u32| {
        let rule = RestockingFeeRule { fee_bp: bp, waived_for: vec![] };
        refund(world.order(), None, &returning(&[("L1", units, Other)]), &rule).map(|r| r.restocking_fee.amount_minor)
    };
    // 999 × 15% = 149.85 → 150; 999 × 0.05% = 0.4995 → 0; 1998 × 0.25% = 4.995 → 5; 2997 × 0.5% = 14.985 → 15.
    assert_eq!([fee(1500, 1), fee(5, 1), fee(25, 2), fee(50, 3)], [Ok(150), Ok(0), Ok(5), Ok(15)]);
    assert_eq!(fee(10_000, 1), Ok(999));
}

#[test]
fn impossible_returns_are_refused() {
    let world = delivered();
    let (order, tax) = (world.order(), tax_of(world.order()));
    let rule = fifteen_percent();
    assert_eq!(
        render(order, Some(&tax), &[("L1", 3, Other)], &rule),
        "error: line L1 has 2 delivered units not yet returned; 3 given (/lines/0/quantity)"
    );
    assert_eq!(
        render(order, Some(&tax), &[("L1", 2, Other), ("L1", 1, Other)], &rule),
        "error: line L1 has 0 delivered units not yet returned; 1 given (/lines/1/quantity)"
    );
    assert_eq!(render(order, Some(&tax), &[("L9", 1, Other)], &rule), "error: order has no line L9 (/lines/0/line_id)");
    assert_eq!(render(order, Some(&tax), &[], &rule), "error: a return needs at least one line");
    let too_much = RestockingFeeRule { fee_bp: 10_001, waived_for: vec![] };
    assert_eq!(
        render(order, Some(&tax), &[("L1", 1, Other)], &too_much),
        "error: a restocking fee of 10001 basis points is more than 100%"
    );
    let mut partial = tax.clone();
    partial.lines.retain(|l| l.line_id == line_id("L1"));
    assert_eq!(render(order, Some(&partial), &[("L2", 1, Other)], &rule), "error: the tax breakdown has no line L2");
    let undelivered = World::with(&placed());
    assert_eq!(
        render(undelivered.order(), None, &[("L1", 1, Other)], &rule),
        "error: line L1 has 0 delivered units not yet returned; 1 given (/lines/0/quantity)"
    );
}
