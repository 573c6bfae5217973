//! The state rate table: each state's base sales-tax rate and whether separately stated shipping charges
//! are taxable.
//!
//! Source: state-level rates as published by the Tax Foundation, "State and Local Sales Tax Rates, 2024"
//! (rates in effect on 1 January 2024). This is the state base rate only — no county, city or special
//! district rates — so it is an approximation of what a sale actually owes. California (7.25%), Utah
//! (6.10%) and Virginia (5.30%) include their uniform statewide local add-ons, as in that source.
//! Shipping taxability is a simplification of each state's rules for delivery charges that are separately
//! stated and made by common carrier (several states have conditions this table does not model).

use serde::{Deserialize, Serialize};

/// The date the rates below were in effect.
pub const STATE_RATES_EFFECTIVE: &str = "2024-01-01";

/// A tax rate in hundredths of a basis point (1 = 0.0001%, 10_000 = 1%, 1_000_000 = 100%). Whole basis
/// points are not fine enough: Minnesota's 6.875% is 687.5 bp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaxRate(pub u32);

impl TaxRate {
    /// The denominator: a rate of `ONE` is 100%.
    pub const ONE: u32 = 1_000_000;

    /// A rate from whole basis points.
    pub const fn from_bp(bp: u32) -> Self {
        Self(bp.saturating_mul(100))
    }

    pub const fn hundredths_of_bp(self) -> u32 {
        self.0
    }

    /// The rate as a percentage with up to four decimals, e.g. `"6.875%"`.
    pub fn percent(self) -> String {
        let whole = self.0 / 10_000;
        let fraction = format!("{:04}", self.0 % 10_000);
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() { format!("{whole}%") } else { format!("{whole}.{fraction}%") }
    }
}

/// One state's row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRate {
    /// USPS two-letter code.
    pub state: &'static str,
    pub rate: TaxRate,
    /// Separately stated shipping charges are taxed (at the same rate) when the goods are.
    pub shipping_taxable: bool,
}

const fn row(state: &'static str, rate: u32, shipping_taxable: bool) -> StateRate {
    StateRate { state, rate: TaxRate(rate), shipping_taxable }
}

/// The 50 states and the District of Columbia, alphabetical by code.
pub const STATE_RATES: &[StateRate] = &[
    row("AK", 0, false),
    row("AL", 40_000, false),
    row("AR", 65_000, true),
    row("AZ", 56_000, false),
    row("CA", 72_500, false),
    row("CO", 29_000, false),
    row("CT", 63_500, true),
    row("DC", 60_000, true),
    row("DE", 0, false),
    row("FL", 60_000, false),
    row("GA", 40_000, true),
    row("HI", 40_000, true),
    row("IA", 60_000, false),
    row("ID", 60_000, false),
    row("IL", 62_500, true),
    row("IN", 70_000, true),
    row("KS", 65_000, true),
    row("KY", 60_000, true),
    row("LA", 44_500, false),
    row("MA", 62_500, false),
    row("MD", 60_000, false),
    row("ME", 55_000, false),
    row("MI", 60_000, true),
    row("MN", 68_750, true),
    row("MO", 42_250, false),
    row("MS", 70_000, true),
    row("MT", 0, false),
    row("NC", 47_500, true),
    row("ND", 50_000, true),
    row("NE", 55_000, true),
    row("NH", 0, false),
    row("NJ", 66_250, true),
    row("NM", 48_750, true),
    row("NV", 68_500, false),
    row("NY", 40_000, true),
    row("OH", 57_500, true),
    row("OK", 45_000, false),
    row("OR", 0, false),
    row("PA", 60_000, true),
    row("RI", 70_000, true),
    row("SC", 60_000, true),
    row("SD", 42_000, true),
    row("TN", 70_000, true),
    row("TX", 62_500, true),
    row("UT", 61_000, false),
    row("VA", 53_000, false),
    row("VT", 60_000, true),
    row("WA", 65_000, true),
    row("WI", 50_000, true),
    row("WV", 60_000, true),
    row("WY", 40_000, false),
];

/// The row of a state (case-insensitive two-letter code, surrounding spaces ignored).
pub fn state_rate(state: &str) -> Option<&'static StateRate> {
    let code = state.trim();
    STATE_RATES.iter().find(|r| r.state.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_every_state_once_in_order() {
        assert_eq!(STATE_RATES.len(), 51);
        assert!(STATE_RATES.windows(2).all(|w| w[0].state < w[1].state));
        assert!(STATE_RATES.iter().all(|r| r.rate.0 < 100_000));
        let no_tax: Vec<&str> = STATE_RATES.iter().filter(|r| r.rate.0 == 0).map(|r| r.state).collect();
        assert_eq!(no_tax, ["AK", "DE", "MT", "NH", "OR"]);
    }

    #[test]
    fn rates_print_as_percentages() {
        let shown: Vec<String> =
            ["MN", "mo", " ca ", "NY", "OR"].iter().filter_map(|s| state_rate(s)).map(|r| r.rate.percent()).collect();
        assert_eq!(shown, ["6.875%", "4.225%", "7.25%", "4%", "0%"]);
        assert_eq!(TaxRate::from_bp(625), TaxRate(62_500));
        assert!(state_rate("PR").is_none());
    }
}
