//! Sales tax: worked cases per state (rates, shipping taxability, B2B exemption, half-up rounding per line)
//! and the refusals.

use crate::support::{World, line_id, place};
use crossdock_engine::tax::{
    TaxExemption, TaxInput, TaxLineInput, TaxRate, compute_tax, round_half_up, tax_input_for_order,
};
use crossdock_model::{Currency, Money};

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

fn input(state: &str, lines: &[i64], shipping: i64) -> TaxInput {
    TaxInput {
        state: state.into(),
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
            format!(
                "{} {}: {} | shipping {}→{} {taxed} | total {}{exempt}",
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
