//! The tax report: per destination state (and currency), over the orders placed in a period, what was
//! sold, what of it was taxable or exempt, and the tax charged and refunded, as the orders stand when the
//! report is made (cancelled units are out; returned units' share of tax is reported as refunded).

use super::compute::{TaxError, order_tax};
use crate::period::Period;
use crate::refund::share;
use chrono::{DateTime, Utc};
use crossdock_model::Order;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One state's figures, in minor units of `currency`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StateTaxRow {
    pub state: String,
    pub currency: String,
    pub orders: u64,
    /// Orders exempt by certificate (B2B).
    pub exempt_orders: u64,
    /// Goods sold: live units (ordered − cancelled) at their prices.
    pub sales_minor: i64,
    pub taxable_sales_minor: i64,
    pub exempt_sales_minor: i64,
    pub shipping_minor: i64,
    pub taxable_shipping_minor: i64,
    /// Tax charged on goods and shipping.
    pub tax_minor: i64,
    /// The returned units' share of the tax charged.
    pub refunded_tax_minor: i64,
}

/// An order in the period that the report could not tax, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SkippedOrder {
    pub order_id: String,
    pub reason: String,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaxReport {
    /// Orders placed at or after this instant (all when absent).
    pub from: Option<DateTime<Utc>>,
    /// Orders placed before this instant (all when absent).
    pub to: Option<DateTime<Utc>>,
    /// When the rate table used was in effect.
    pub rates_effective: String,
    /// By state, then currency.
    pub states: Vec<StateTaxRow>,
    /// Orders in the period outside the report (not shipped to the US, unknown state).
    pub skipped: Vec<SkippedOrder>,
}

/// Accumulates orders into a report; feed it every order (it keeps those placed in the period).
#[derive(Debug)]
pub struct TaxReportBuilder {
    period: Period,
    rows: BTreeMap<(String, String), StateTaxRow>,
    skipped: Vec<SkippedOrder>,
}

impl TaxReportBuilder {
    pub fn new(period: Period) -> Self {
        Self { period, rows: BTreeMap::new(), skipped: Vec::new() }
    }

    /// Whether `order` was placed in the period.
    pub fn in_period(&self, order: &Order) -> bool {
        self.period.contains(order.placed_at)
    }

    /// Adds one order, if it was placed in the period.
    pub fn add(&mut self, order: &Order) {
        if !self.in_period(order) {
            return;
        }
        let skip = |reason: String| SkippedOrder { order_id: order.id.to_string(), reason };
        let tax = match order_tax(order) {
            Ok(tax) => tax,
            Err(e @ (TaxError::NotUs(_) | TaxError::UnknownState(_))) => return self.skipped.push(skip(e.to_string())),
            Err(e) => return self.skipped.push(skip(format!("tax could not be computed: {e}"))),
        };
        let refunded = match refunded_tax(order, &tax) {
            Some(r) => r,
            None => return self.skipped.push(skip("the refunded tax is too large to compute".into())),
        };
        let row = self.rows.entry((tax.state.clone(), order.currency.to_string())).or_insert_with(|| StateTaxRow {
            state: tax.state.clone(),
            currency: order.currency.to_string(),
            ..StateTaxRow::default()
        });
        let sales: i64 = tax.lines.iter().map(|l| l.taxable_amount.amount_minor).sum();
        row.orders += 1;
        row.sales_minor = row.sales_minor.saturating_add(sales);
        if tax.exempt_certificate.is_some() {
            row.exempt_orders += 1;
            row.exempt_sales_minor = row.exempt_sales_minor.saturating_add(sales);
        } else {
            row.taxable_sales_minor = row.taxable_sales_minor.saturating_add(sales);
        }
        row.shipping_minor = row.shipping_minor.saturating_add(tax.shipping.amount.amount_minor);
        if tax.exempt_certificate.is_none() {
            row.taxable_shipping_minor =
                row.taxable_shipping_minor.saturating_add(tax.shipping.taxable_amount.amount_minor);
        }
        row.tax_minor = row.tax_minor.saturating_add(tax.total_tax.amount_minor);
        row.refunded_tax_minor = row.refunded_tax_minor.saturating_add(refunded);
    }

    pub fn finish(self) -> TaxReport {
        TaxReport {
            from: self.period.from,
            to: self.period.to,
            rates_effective: super::rates::rate_table().effective.clone(),
            states: self.rows.into_values().collect(),
            skipped: self.skipped,
        }
    }
}

/// The returned units' share of each line's tax, summed.
fn refunded_tax(order: &Order, tax: &super::TaxBreakdown) -> Option<i64> {
    let mut total: i64 = 0;
    for line in &order.lines {
        let q = &line.quantities;
        let live = q.ordered.saturating_sub(q.cancelled);
        let returned = q.returned.min(live);
        if returned == 0 {
            continue;
        }
        let charged = tax.line_tax(&line.id)?.amount_minor;
        total = total.checked_add(share(charged, returned, live).ok()?)?;
    }
    Some(total)
}

/// The report over `orders` for the period.
pub fn tax_report<'a>(orders: impl IntoIterator<Item = &'a Order>, period: Period) -> TaxReport {
    let mut builder = TaxReportBuilder::new(period);
    orders.into_iter().for_each(|o| builder.add(o));
    builder.finish()
}

/// The CSV columns, in order: the fields of [`StateTaxRow`].
pub const TAX_REPORT_COLUMNS: &[&str] = &[
    "state",
    "currency",
    "orders",
    "exempt_orders",
    "sales_minor",
    "taxable_sales_minor",
    "exempt_sales_minor",
    "shipping_minor",
    "taxable_shipping_minor",
    "tax_minor",
    "refunded_tax_minor",
];

/// The report's state rows as CSV (a header, then one row per state and currency; amounts in minor units).
pub fn tax_report_csv(report: &TaxReport) -> Result<String, csv::Error> {
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    writer.write_record(TAX_REPORT_COLUMNS)?;
    for row in &report.states {
        writer.serialize(row)?;
    }
    let bytes = writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8(bytes).unwrap_or_default())
}
