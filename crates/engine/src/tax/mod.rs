//! US sales tax, destination-based: a rate table kept as data (state base rates, shipping taxability,
//! local rates by ZIP prefix, with its effective date), B2B exemption by certificate, per-line half-up
//! rounding in integer minor units, and the tax report per state and period.

mod compute;
mod rates;
mod report;

pub use compute::{
    LineTax, ShippingTax, TaxBreakdown, TaxError, TaxExemption, TaxInput, TaxLineInput, compute_tax, order_tax,
    round_half_up, tax_input_for_order,
};
pub use rates::{LocalRate, RateTable, StateRate, TaxRate, rate_table, state_rate};
pub use report::{
    SkippedOrder, StateTaxRow, TAX_REPORT_COLUMNS, TaxReport, TaxReportBuilder, tax_report, tax_report_csv,
};
