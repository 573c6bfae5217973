//! Refunds for returns: the price and tax of the returned units, less a restocking fee (basis points of
//! the returned price) for reasons that are not fulfilment errors. Integer minor units throughout.
//!
//! Tax is refunded in proportion to units: after `n` of a line's `N` live units (ordered − cancelled) have
//! come back, `round_half_up(T × n / N)` of its tax `T` has been refunded, so partial returns add up to
//! exactly `T` once every unit is back. The restocking fee is rounded half-up per return line. Shipping is
//! not refunded.

use crate::tax::TaxBreakdown;
use crossdock_model::{LineId, Money, Order, RefundLine, ReturnLine, ReturnReason};
use serde::{Deserialize, Serialize};

/// The restocking fee: `fee_bp` basis points of the returned units' price, waived for fulfilment errors
/// (wrong item, damaged in transit) and for the reasons listed in `waived_for`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestockingFeeRule {
    pub fee_bp: u32,
    #[serde(default)]
    pub waived_for: Vec<ReturnReason>,
}

impl RestockingFeeRule {
    /// Whether a return for this reason pays the fee.
    pub fn applies_to(&self, reason: ReturnReason) -> bool {
        self.fee_bp > 0 && !reason.is_fulfilment_error() && !self.waived_for.contains(&reason)
    }
}

/// The refund of a return, line by line (the `RefundLine`s an `order.refund_due` event carries) and in total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub lines: Vec<RefundLine>,
    pub price: Money,
    pub tax: Money,
    pub restocking_fee: Money,
    pub total: Money,
}

/// Why a refund could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error("a return needs at least one line")]
    NoLines,
    #[error("order has no line {line_id} (/lines/{index}/line_id)")]
    UnknownLine { index: usize, line_id: LineId },
    #[error("line {line_id} has {left} delivered units not yet returned; {requested} given (/lines/{index}/quantity)")]
    ExceedsReturnable { index: usize, line_id: LineId, left: u32, requested: u32 },
    #[error("the tax breakdown has no line {0}")]
    MissingLineTax(LineId),
    #[error("the tax breakdown or a price is not in the order's currency")]
    CurrencyMismatch,
    #[error("a restocking fee of {0} basis points is more than 100%")]
    FeeTooHigh(u32),
    #[error("the refund is too large to compute")]
    Overflow,
}

/// The amount refunded for returned units (see [`refund`]).
pub fn refund_amount(
    order: &Order,
    tax: Option<&TaxBreakdown>,
    returned: &[ReturnLine],
    rule: &RestockingFeeRule,
) -> Result<Money, RefundError> {
    refund(order, tax, returned, rule).map(|r| r.total)
}

/// The refund for `returned` units of `order`, as the order stands before the return is recorded (its
/// lines' `returned` counts earlier returns). `tax` is the order's tax breakdown (`None` if no tax was
/// charged); it must cover the lines' live units, as `tax::tax_input_for_order` does.
pub fn refund(
    order: &Order,
    tax: Option<&TaxBreakdown>,
    returned: &[ReturnLine],
    rule: &RestockingFeeRule,
) -> Result<Refund, RefundError> {
    if returned.is_empty() {
        return Err(RefundError::NoLines);
    }
    if rule.fee_bp > 10_000 {
        return Err(RefundError::FeeTooHigh(rule.fee_bp));
    }
    let currency = order.currency;
    let money = |minor: i64| Money::new(minor, currency);
    let mut earlier: Vec<(&LineId, u32)> = Vec::new();
    let (mut price_sum, mut tax_sum, mut fee_sum) = (0i64, 0i64, 0i64);
    let mut lines = Vec::with_capacity(returned.len());
    for (index, r) in returned.iter().enumerate() {
        let Some(line) = order.line(&r.line_id) else {
            return Err(RefundError::UnknownLine { index, line_id: r.line_id.clone() });
        };
        if line.unit_price.currency != currency {
            return Err(RefundError::CurrencyMismatch);
        }
        let q = &line.quantities;
        let in_this_return = earlier.iter().filter(|(id, _)| *id == &line.id).map(|(_, n)| n).sum::<u32>();
        let before = q.returned.saturating_add(in_this_return);
        let left = q.delivered.saturating_sub(before);
        let quantity = r.quantity.get();
        if quantity > left {
            return Err(RefundError::ExceedsReturnable { index, line_id: line.id.clone(), left, requested: quantity });
        }
        earlier.push((&line.id, quantity));
        let price = line.unit_price.amount_minor.checked_mul(i64::from(quantity)).ok_or(RefundError::Overflow)?;
        let line_tax = match tax {
            None => 0,
            Some(t) => {
                let charged = t.line_tax(&line.id).ok_or_else(|| RefundError::MissingLineTax(line.id.clone()))?;
                if charged.currency != currency {
                    return Err(RefundError::CurrencyMismatch);
                }
                let live = q.ordered.saturating_sub(q.cancelled);
                share(charged.amount_minor, before + quantity, live)? - share(charged.amount_minor, before, live)?
            }
        };
        let fee = if rule.applies_to(r.reason) { bp_half_up(price, rule.fee_bp)? } else { 0 };
        let refund = price.checked_add(line_tax).and_then(|s| s.checked_sub(fee)).ok_or(RefundError::Overflow)?;
        price_sum = price_sum.checked_add(price).ok_or(RefundError::Overflow)?;
        tax_sum = tax_sum.checked_add(line_tax).ok_or(RefundError::Overflow)?;
        fee_sum = fee_sum.checked_add(fee).ok_or(RefundError::Overflow)?;
        lines.push(RefundLine {
            line_id: line.id.clone(),
            quantity,
            reason: r.reason,
            price: money(price),
            tax: money(line_tax),
            restocking_fee: money(fee),
            refund: money(refund),
        });
    }
    let total = price_sum.checked_add(tax_sum).and_then(|s| s.checked_sub(fee_sum)).ok_or(RefundError::Overflow)?;
    Ok(Refund {
        lines,
        price: money(price_sum),
        tax: money(tax_sum),
        restocking_fee: money(fee_sum),
        total: money(total),
    })
}

/// `round_half_up(total × part / whole)`; the whole of `total` once `part ≥ whole`.
pub(crate) fn share(total: i64, part: u32, whole: u32) -> Result<i64, RefundError> {
    if whole == 0 || part >= whole {
        return Ok(total);
    }
    let (total, part, whole) = (i128::from(total), i128::from(part), i128::from(whole));
    let scaled = total * part;
    let rounded = if scaled >= 0 { (2 * scaled + whole) / (2 * whole) } else { -((-2 * scaled + whole) / (2 * whole)) };
    i64::try_from(rounded).map_err(|_| RefundError::Overflow)
}

/// `amount × bp / 10_000`, rounded half-up (half away from zero).
fn bp_half_up(amount: i64, bp: u32) -> Result<i64, RefundError> {
    let scaled = i128::from(amount) * i128::from(bp);
    let rounded = if scaled >= 0 { (scaled + 5_000) / 10_000 } else { -((-scaled + 5_000) / 10_000) };
    i64::try_from(rounded).map_err(|_| RefundError::Overflow)
}
