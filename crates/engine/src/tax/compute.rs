//! Computing an order's sales tax: per line, and on shipping where the state taxes it, each amount rounded
//! half-up to the minor unit on its own (a half minor unit rounds up: 0.5¢ → 1¢), in integer arithmetic.
//! The rate is the destination state's plus the local rate of the destination's ZIP prefix, if the table
//! has one; shipping, where taxable, is taxed at the same combined rate. A B2B order with an exemption
//! certificate owes nothing.

use super::rates::{TaxRate, rate_table};
use crossdock_model::{Currency, LineId, Money, Order};
use serde::{Deserialize, Serialize};

/// A B2B customer's exemption: the certificate on file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxExemption {
    pub certificate_id: String,
}

impl TaxExemption {
    /// The exemption of an order carrying `certificate` (its `tax_exempt_certificate`), if any.
    pub fn of_certificate(certificate: Option<&String>) -> Option<Self> {
        certificate.map(|id| Self { certificate_id: id.clone() })
    }
}

/// One line to tax: its extended price (unit price × units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxLineInput {
    pub line_id: LineId,
    pub amount: Money,
    /// False for lines that are not taxable goods (gift cards, say).
    #[serde(default = "yes")]
    pub taxable: bool,
}

fn yes() -> bool {
    true
}

/// What tax is computed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxInput {
    /// Destination state, two letters.
    pub state: String,
    /// Destination ZIP code, for the local rate; without it only the state rate applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    pub currency: Currency,
    pub lines: Vec<TaxLineInput>,
    pub shipping: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption: Option<TaxExemption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineTax {
    pub line_id: LineId,
    pub taxable_amount: Money,
    pub tax: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingTax {
    pub amount: Money,
    pub taxable_amount: Money,
    pub tax: Money,
}

/// The tax of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxBreakdown {
    pub state: String,
    /// The combined rate applied: state plus local.
    pub rate: TaxRate,
    pub state_rate: TaxRate,
    pub local_rate: TaxRate,
    /// The ZIP prefix whose local rate applied, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_zip_prefix: Option<String>,
    pub shipping_taxable: bool,
    /// The certificate that exempted the order, if it is exempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exempt_certificate: Option<String>,
    pub lines: Vec<LineTax>,
    pub shipping: ShippingTax,
    pub total_tax: Money,
    /// When the rate table was in effect.
    pub rates_effective: String,
}

impl TaxBreakdown {
    /// The tax charged on a line, if the breakdown has it.
    pub fn line_tax(&self, line_id: &LineId) -> Option<Money> {
        self.lines.iter().find(|l| &l.line_id == line_id).map(|l| l.tax)
    }
}

/// Why tax could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxError {
    #[error("{0:?} is not a US state or the District of Columbia")]
    UnknownState(String),
    #[error("destination country {0} is not the US")]
    NotUs(String),
    #[error("{pointer} is in {found}; the order is in {expected}")]
    CurrencyMismatch { pointer: String, expected: Currency, found: Currency },
    #[error("{pointer} is negative")]
    NegativeAmount { pointer: String },
    #[error("an exemption needs a certificate id")]
    MissingCertificate,
    #[error("{pointer} is too large to tax")]
    Overflow { pointer: String },
}

/// `amount × rate`, rounded half-up to the minor unit. `None` for a negative amount or on overflow.
pub fn round_half_up(amount_minor: i64, rate: TaxRate) -> Option<i64> {
    if amount_minor < 0 {
        return None;
    }
    let exact = i128::from(amount_minor) * i128::from(rate.hundredths_of_bp());
    let one = i128::from(TaxRate::ONE);
    i64::try_from((exact + one / 2) / one).ok()
}

/// Computes the tax of every line and of shipping, each rounded half-up on its own. Shipping is taxed only
/// where the state taxes delivery charges and at least one line is taxable.
pub fn compute_tax(input: &TaxInput) -> Result<TaxBreakdown, TaxError> {
    let table = rate_table();
    let row = table.state(&input.state).ok_or_else(|| TaxError::UnknownState(input.state.clone()))?;
    let local = input.postal_code.as_deref().and_then(|zip| table.local(&row.state, zip));
    let local_rate = local.map_or(TaxRate(0), |l| l.rate);
    let rate = TaxRate(row.rate.0 + local_rate.0);
    let exempt = match &input.exemption {
        Some(e) if e.certificate_id.trim().is_empty() => return Err(TaxError::MissingCertificate),
        Some(e) => Some(e.certificate_id.trim().to_string()),
        None => None,
    };
    let currency = input.currency;
    let checked = |pointer: String, amount: Money| -> Result<i64, TaxError> {
        if amount.currency != currency {
            return Err(TaxError::CurrencyMismatch { pointer, expected: currency, found: amount.currency });
        }
        if amount.amount_minor < 0 {
            return Err(TaxError::NegativeAmount { pointer });
        }
        Ok(amount.amount_minor)
    };
    let tax_on = |pointer: String, taxable: i64| -> Result<i64, TaxError> {
        if exempt.is_some() {
            return Ok(0);
        }
        round_half_up(taxable, rate).ok_or(TaxError::Overflow { pointer })
    };
    let mut total: i64 = 0;
    let mut lines = Vec::with_capacity(input.lines.len());
    for (i, line) in input.lines.iter().enumerate() {
        let pointer = format!("/lines/{i}/amount");
        let amount = checked(pointer.clone(), line.amount)?;
        let taxable = if line.taxable { amount } else { 0 };
        let tax = tax_on(pointer.clone(), taxable)?;
        total = total.checked_add(tax).ok_or(TaxError::Overflow { pointer })?;
        lines.push(LineTax {
            line_id: line.line_id.clone(),
            taxable_amount: Money::new(taxable, currency),
            tax: Money::new(tax, currency),
        });
    }
    let shipping = checked("/shipping".into(), input.shipping)?;
    let shipping_taxable = row.shipping_taxable && rate.0 > 0;
    let taxable_shipping = if shipping_taxable && input.lines.iter().any(|l| l.taxable) { shipping } else { 0 };
    let shipping_tax = tax_on("/shipping".into(), taxable_shipping)?;
    total = total.checked_add(shipping_tax).ok_or(TaxError::Overflow { pointer: "/shipping".into() })?;
    Ok(TaxBreakdown {
        state: row.state.clone(),
        rate,
        state_rate: row.rate,
        local_rate,
        local_zip_prefix: local.map(|l| l.zip_prefix.clone()),
        shipping_taxable,
        exempt_certificate: exempt,
        lines,
        shipping: ShippingTax {
            amount: Money::new(shipping, currency),
            taxable_amount: Money::new(taxable_shipping, currency),
            tax: Money::new(shipping_tax, currency),
        },
        total_tax: Money::new(total, currency),
        rates_effective: table.effective.clone(),
    })
}

/// The tax of an order as it stands (live units), exempt when it carries an exemption certificate.
pub fn order_tax(order: &Order) -> Result<TaxBreakdown, TaxError> {
    compute_tax(&tax_input_for_order(order, TaxExemption::of_certificate(order.tax_exempt_certificate.as_ref()))?)
}

/// The tax input of an order: each line's live units (ordered − cancelled) at its unit price, the order's
/// shipping charge, shipped to its ship-to state and ZIP code. A postal code that is no ZIP code any more
/// (erased with the customer's PII) gives way to the ZIP3 recorded at placement, so the tax stays the same.
pub fn tax_input_for_order(order: &Order, exemption: Option<TaxExemption>) -> Result<TaxInput, TaxError> {
    if order.ship_to.country.as_str() != "US" {
        return Err(TaxError::NotUs(order.ship_to.country.as_str().to_string()));
    }
    let state = order.ship_to.region.clone().ok_or_else(|| TaxError::UnknownState(String::new()))?;
    let mut lines = Vec::with_capacity(order.lines.len());
    for (i, line) in order.lines.iter().enumerate() {
        let units = line.quantities.ordered.saturating_sub(line.quantities.cancelled);
        let amount = line.unit_price.checked_mul(units).ok_or(TaxError::Overflow { pointer: format!("/lines/{i}") })?;
        lines.push(TaxLineInput { line_id: line.id.clone(), amount, taxable: true });
    }
    Ok(TaxInput {
        state,
        postal_code: match order.ship_to.us_zip3() {
            Some(_) => Some(order.ship_to.postal_code.to_string()),
            None => order.tax_zip3.clone().or_else(|| Some(order.ship_to.postal_code.to_string())),
        },
        currency: order.currency,
        lines,
        shipping: order.shipping.unwrap_or(Money::zero(order.currency)),
        exemption,
    })
}
