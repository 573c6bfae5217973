//! Sales tax: worked cases per state and ZIP prefix (state and local rates, shipping taxability, B2B
//! exemption, half-up rounding per line), the tax report per state and period, and the refusals.

use crate::support::{World, line_id, new_order, place};
use crossdock_engine::period::Period;
use crossdock_engine::tax::{
    TaxExemption, TaxInput, TaxLineInput, TaxRate, compute_tax, order_tax, round_half_up, tax_input_for_order,
    tax_report, tax_report_csv,
};
use crossdock_model::{Command, Country, Currency, Money, Order, OrderId};

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

fn input(state: &str, lines: &[i64], shipping: i64) -> TaxInput {
    TaxInput {
        state: state.into(),
        postal_code: None,
        currency: Currency::USD,
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, a)| TaxLineInput { line_id: line_id(&format!("L{}", i + 1)), amount: usd(*a), taxable: true })
            .collect(),
        shipping: usd(shipping),
        exemption: None,
    }
}

/// `STATE rate: L1 amount→tax … | shipping amount→tax (taxed or not) | total`.
fn render(input: &TaxInput) -> String {
    match compute_tax(input) {
        Ok(t) => {
            let lines: Vec<String> = t
                .lines
                .iter()
                .map(|l| format!("{} {}→{}", l.line_id, l.taxable_amount.amount_minor, l.tax.amount_minor))
                .collect();
            let taxed = if t.shipping_taxable { "taxed" } else { "untaxed" };
            let exempt = t.exempt_certificate.map(|c| format!(" | exempt {c}")).unwrap_or_default();
            let local = match &t.local_zip_prefix {
                Some(p) => format!(" ({} + {} local {p})", t.state_rate.percent(), t.local_rate.percent()),
                None => String::new(),
            };
            format!(
                "{} {}{local}: {} | shipping {}→{} {taxed} | total {}{exempt}",
                t.state,
                t.rate.percent(),
                lines.join(" "),
                t.shipping.amount.amount_minor,
                t.shipping.tax.amount_minor,
                t.total_tax.amount_minor
            )
        }
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn worked_cases_per_state() {
    let cases: &[(TaxInput, &str)] = &[
        (input("CA", &[10_000], 999), "CA 7.25%: L1 10000→725 | shipping 999→0 untaxed | total 725"),
        (input("NY", &[1999], 500), "NY 4%: L1 1999→80 | shipping 500→20 taxed | total 100"),
        (input("TX", &[1000], 800), "TX 6.25%: L1 1000→63 | shipping 800→50 taxed | total 113"),
        (input("MN", &[1000, 400], 1000), "MN 6.875%: L1 1000→69 L2 400→28 | shipping 1000→69 taxed | total 166"),
        (input("MO", &[2000], 700), "MO 4.225%: L1 2000→85 | shipping 700→0 untaxed | total 85"),
        (input("NJ", &[800, 1, 8], 0), "NJ 6.625%: L1 800→53 L2 1→0 L3 8→1 | shipping 0→0 taxed | total 54"),
        (input("CO", &[1724], 500), "CO 2.9%: L1 1724→50 | shipping 500→0 untaxed | total 50"),
        (input("WA", &[12_345], 1000), "WA 6.5%: L1 12345→802 | shipping 1000→65 taxed | total 867"),
        (input("fl", &[5000], 1000), "FL 6%: L1 5000→300 | shipping 1000→0 untaxed | total 300"),
        (input("OR", &[5000], 1000), "OR 0%: L1 5000→0 | shipping 1000→0 untaxed | total 0"),
        (input("DC", &[0], 250), "DC 6%: L1 0→0 | shipping 250→15 taxed | total 15"),
    ];
    for (case, expect) in cases {
        assert_eq!(render(case), *expect, "{}", case.state);
    }
}

fn at(state: &str, zip: &str, lines: &[i64], shipping: i64) -> TaxInput {
    TaxInput { postal_code: Some(zip.into()), ..input(state, lines, shipping) }
}

#[test]
fn worked_cases_with_local_rates_by_zip_prefix() {
    let cases: &[(TaxInput, &str)] = &[
        (
            at("NY", "10001", &[1999], 500),
            "NY 8.875% (4% + 4.875% local 100): L1 1999→177 | shipping 500→44 taxed | total 221",
        ),
        (at("NY", "12207", &[1999], 500), "NY 4%: L1 1999→80 | shipping 500→20 taxed | total 100"),
        (
            at("IL", "60601", &[1000], 800),
            "IL 10.25% (6.25% + 4% local 606): L1 1000→103 | shipping 800→82 taxed | total 185",
        ),
        (
            at("CA", "94103", &[10_000], 999),
            "CA 8.625% (7.25% + 1.375% local 941): L1 10000→863 | shipping 999→0 untaxed | total 863",
        ),
        (
            at("TX", "77002", &[1000], 800),
            "TX 8.25% (6.25% + 2% local 770): L1 1000→83 | shipping 800→66 taxed | total 149",
        ),
        (
            at("WA", "98101-1234", &[12_345], 1000),
            "WA 10.25% (6.5% + 3.75% local 981): L1 12345→1265 | shipping 1000→103 taxed | total 1368",
        ),
        // A ZIP prefix of another state's local rate does not apply.
        (at("NJ", "10001", &[800], 0), "NJ 6.625%: L1 800→53 | shipping 0→0 taxed | total 53"),
    ];
    for (case, expect) in cases {
        assert_eq!(render(case), *expect, "{} {:?}", case.state, case.postal_code);
    }
    let mut exempt = at("IL", "60601", &[1000], 800);
    exempt.exemption = Some(TaxExemption { certificate_id: "IL-RESALE-7".into() });
    assert_eq!(
        render(&exempt),
        "IL 10.25% (6.25% + 4% local 606): L1 1000→0 | shipping 800→0 taxed | total 0 | exempt IL-RESALE-7"
    );
}

#[test]
fn rounding_is_half_up_per_line() {
    // 6.25% of 10.00 is 62.5¢: each line rounds up on its own, so two such lines owe 1.26, not 1.25.
    assert_eq!(
        render(&input("TX", &[1000, 1000], 0)),
        "TX 6.25%: L1 1000→63 L2 1000→63 | shipping 0→0 taxed | total 126"
    );
    let rate = TaxRate(62_500);
    assert_eq!([7, 8, 9, 24, 25].map(|a| round_half_up(a, rate)), [Some(0), Some(1), Some(1), Some(2), Some(2)]);
    assert_eq!(round_half_up(-1, rate), None);
    assert_eq!(round_half_up(i64::MAX, TaxRate(TaxRate::ONE)), Some(i64::MAX));
}

#[test]
fn an_exempt_b2b_order_owes_nothing() {
    let mut exempt = input("TX", &[100_000], 2000);
    exempt.exemption = Some(TaxExemption { certificate_id: " TX-RESALE-0042 ".into() });
    assert_eq!(render(&exempt), "TX 6.25%: L1 100000→0 | shipping 2000→0 taxed | total 0 | exempt TX-RESALE-0042");
    exempt.exemption = Some(TaxExemption { certificate_id: " ".into() });
    assert_eq!(render(&exempt), "error: an exemption needs a certificate id");
}

#[test]
fn shipping_of_untaxable_goods_is_not_taxed() {
    let mut gift_card = input("NY", &[5000], 500);
    gift_card.lines[0].taxable = false;
    assert_eq!(render(&gift_card), "NY 4%: L1 0→0 | shipping 500→0 taxed | total 0");
}

#[test]
fn bad_inputs_are_refused() {
    assert_eq!(render(&input("ZZ", &[1], 0)), r#"error: "ZZ" is not a US state or the District of Columbia"#);
    assert_eq!(render(&input("TX", &[-1], 0)), "error: /lines/0/amount is negative");
    assert_eq!(render(&input("TX", &[1], -5)), "error: /shipping is negative");
    let mut euros = input("TX", &[1], 0);
    euros.lines[0].amount = Money::new(1, Currency::new("EUR").expect("EUR"));
    assert_eq!(render(&euros), "error: /lines/0/amount is in EUR; the order is in USD");
}

#[test]
fn an_orders_tax_input_comes_from_its_lines_and_ship_to() {
    let world = World::with(&[place(&[("L1", "SKU-A", 2), ("L2", "SKU-B", 1)])]);
    let input = tax_input_for_order(world.order(), None).expect("a US order");
    assert_eq!(render(&input), "IL 6.25%: L1 2000→125 L2 1000→63 | shipping 500→31 taxed | total 219");
}

/// A copy of the world's order (L1 2 × 10.00, L2 1 × 10.00, shipping 5.00) with another id, date and place.
fn variant(base: &Order, id: &str, day: &str, state: &str, zip: &str) -> Order {
    let mut order = base.clone();
    order.id = OrderId::new(id).unwrap();
    order.placed_at = format!("{day}T12:00:00Z").parse().unwrap();
    order.ship_to.region = Some(state.into());
    order.ship_to.postal_code = zip.into();
    order
}

#[test]
fn the_tax_report_sums_per_state_over_the_period() {
    let world = World::with(&[place(&[("L1", "SKU-A", 2), ("L2", "SKU-B", 1)])]);
    let base = world.order();
    let springfield = variant(base, "a", "2026-01-10", "IL", "62701");
    let mut manhattan = variant(base, "b", "2026-01-15", "NY", "10001");
    let l1 = &mut manhattan.lines[0].quantities;
    (l1.shipped, l1.delivered, l1.returned) = (2, 2, 1);
    let mut exempt = variant(base, "c", "2026-01-20", "IL", "60601");
    exempt.tax_exempt_certificate = Some("IL-RESALE-7".into());
    let february = variant(base, "d", "2026-02-05", "IL", "62701");
    let mut toronto = variant(base, "e", "2026-01-12", "ON", "M5V");
    toronto.ship_to.country = Country::new("CA").unwrap();
    let orders = [springfield, manhattan, exempt, february, toronto];
    let january =
        Period::new(Some("2026-01-01T00:00:00Z".parse().unwrap()), Some("2026-02-01T00:00:00Z".parse().unwrap()));
    let report = tax_report(&orders, january.unwrap());
    assert_eq!(report.rates_effective, "2024-01-01");
    let csv = tax_report_csv(&report).unwrap();
    // IL: a (219 tax) and the exempt c; NY: b at 8.875% (L1 2000→178, L2 1000→89, shipping 500→44), one of
    // L1's two units returned: 89 of its tax refunded.
    assert_eq!(
        csv,
        "state,currency,orders,exempt_orders,sales_minor,taxable_sales_minor,exempt_sales_minor,shipping_minor,taxable_shipping_minor,tax_minor,refunded_tax_minor\n\
         IL,USD,2,1,6000,3000,3000,1000,500,219,0\n\
         NY,USD,1,0,3000,3000,0,500,500,311,89\n"
    );
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].order_id, "e");
    assert_eq!(report.skipped[0].reason, "destination country CA is not the US");
    let everything = tax_report(&orders, Period::ALL);
    assert_eq!(everything.states.iter().map(|r| r.orders).sum::<u64>(), 4);
}

#[test]
fn an_orders_tax_is_the_same_once_its_postal_code_is_erased() {
    let mut chicago = new_order(&[("L1", "SKU-A", 10)]);
    chicago.shipping = None;
    chicago.ship_to.postal_code = "60601".into();
    let world = World::with(&[Command::PlaceOrder(chicago)]);
    let placed = world.order().clone();
    assert_eq!(placed.tax_zip3.as_deref(), Some("606"), "recorded at placement");
    let before = order_tax(&placed).expect("a US order").total_tax.amount_minor;
    assert_eq!(before, 1025, "IL 6.25% and Chicago 4%");
    // What the store reads back once the customer's PII is erased.
    let mut erased = placed.clone();
    erased.ship_to.postal_code = "[erased]".into();
    erased.ship_to.city = "[erased]".into();
    assert_eq!(order_tax(&erased).expect("still a US order").total_tax.amount_minor, before);
    assert_eq!(tax_report(&[placed], Period::ALL), tax_report(&[erased], Period::ALL));
}
