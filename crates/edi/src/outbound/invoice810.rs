//! 810 Invoice: BIG, the ship-to and bill-to, an IT1 per billed line, TDS with the total in two
//! implied decimals, TXI per tax, SAC per charge (freight from the order's shipping), and CTT.

use super::view::{OrderView, money_r, party, seg};
use super::{OutboundError, OutboundOptions, OutboundSet};
use crate::map::value::minor_to_n2;
use chrono::NaiveDate;
use crossdock_model::{LineQuantity, Money};
use serde::{Deserialize, Serialize};

/// A tax on the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tax {
    /// TXI01 tax type code, e.g. `ST` (state sales tax), `LS` (state and local), `VA` (VAT).
    pub kind: String,
    pub amount: Money,
    /// TXI03 rate in percent as a decimal, e.g. `8.25`.
    #[serde(default)]
    pub percent: Option<String>,
}

/// A charge (or, with a negative amount, an allowance) on the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// SAC02 service/charge code, e.g. `D240` freight.
    pub code: String,
    pub amount: Money,
}

/// What an invoice bills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceInput {
    pub invoice_number: String,
    pub invoice_date: NaiveDate,
    pub order: OrderView,
    /// The units billed per line; empty bills every order line in full.
    #[serde(default)]
    pub lines: Vec<LineQuantity>,
    #[serde(default)]
    pub taxes: Vec<Tax>,
    /// Charges besides freight; the order's shipping is billed as a D240 freight charge.
    #[serde(default)]
    pub charges: Vec<Charge>,
}

fn err(message: String) -> OutboundError {
    OutboundError::new("810", message)
}

/// An amount as TDS/SAC N2 text.
fn n2(m: Money) -> Result<String, OutboundError> {
    minor_to_n2(m.amount_minor, m.currency.minor_digits())
        .map(|v| v.to_string())
        .ok_or_else(|| err(format!("{m} cannot be written with two decimals")))
}

/// An 810 for `input`; the total is the sum of billed lines, charges and taxes.
pub fn invoice_810(input: &InvoiceInput, opts: &OutboundOptions) -> Result<OutboundSet, OutboundError> {
    let order = &input.order;
    let currency = order.currency;
    let billed: Vec<(String, u32)> = if input.lines.is_empty() {
        order.lines.iter().map(|l| (l.id.to_string(), l.quantity)).collect()
    } else {
        input.lines.iter().map(|l| (l.line_id.to_string(), l.quantity.get())).collect()
    };
    let mut total = Money::zero(currency);
    let add = |total: Money, m: Money| {
        total.checked_add(m).ok_or_else(|| err(format!("{m} does not add to a {currency} total")))
    };
    let invoice_date = input.invoice_date.format("%Y%m%d").to_string();
    let po_date = order.placed_at.format("%Y%m%d").to_string();
    let mut body = vec![seg("BIG", &[&invoice_date, &input.invoice_number, &po_date, order.external_id.as_str()])];
    if currency.as_str() != "USD" {
        body.push(seg("CUR", &["SE", currency.as_str()]));
    }
    body.extend(party("ST", &order.ship_to, None));
    if let Some(bill_to) = &order.bill_to {
        body.extend(party("BT", bill_to, None));
    }
    for (id, quantity) in &billed {
        let line = order
            .lines
            .iter()
            .find(|l| l.id.as_str() == id)
            .ok_or_else(|| err(format!("line {id} is not on order {}", order.id)))?;
        let amount = line.unit_price.checked_mul(*quantity).ok_or_else(|| err(format!("line {id} total overflows")))?;
        total = add(total, amount)?;
        body.push(seg(
            "IT1",
            &[
                id,
                &quantity.to_string(),
                &opts.unit,
                &money_r(line.unit_price),
                "",
                &opts.sku_qualifier,
                line.sku.as_str(),
            ],
        ));
    }
    let mut charges: Vec<Charge> =
        order.shipping.map(|amount| Charge { code: "D240".into(), amount }).into_iter().collect();
    charges.extend(input.charges.iter().cloned());
    for c in &charges {
        total = add(total, c.amount)?;
    }
    for t in &input.taxes {
        total = add(total, t.amount)?;
    }
    let mut summary = vec![seg("TDS", &[&n2(total)?])];
    for t in &input.taxes {
        summary.push(seg("TXI", &[&t.kind, &money_r(t.amount), t.percent.as_deref().unwrap_or("")]));
    }
    for c in &charges {
        let (indicator, amount) = if c.amount.amount_minor < 0 {
            ("A", Money::new(-c.amount.amount_minor, c.amount.currency))
        } else {
            ("C", c.amount)
        };
        summary.push(seg("SAC", &[indicator, &c.code, "", "", &n2(amount)?]));
    }
    body.extend(summary);
    body.push(seg("CTT", &[&billed.len().to_string()]));
    Ok(OutboundSet { id: "810", functional_id: "IN", body })
}
