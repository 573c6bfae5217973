//! US sales tax, destination-based, at the state level: a table of state base rates and shipping
//! taxability, B2B exemption by certificate, and per-line half-up rounding in integer minor units.

mod compute;
mod rates;

pub use compute::{
    LineTax, ShippingTax, TaxBreakdown, TaxError, TaxExemption, TaxInput, TaxLineInput, compute_tax, round_half_up,
    tax_input_for_order,
};
pub use rates::{STATE_RATES, STATE_RATES_EFFECTIVE, StateRate, TaxRate, state_rate};
