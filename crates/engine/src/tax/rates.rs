//! The rate table: each state's base sales-tax rate and shipping taxability, and local rates by ZIP
//! prefix, read from `crates/engine/data/us_sales_tax.csv` (kept as data in the repository, with its
//! effective date and sources in its header comments) and compiled into the binary.

use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// The table's text, embedded at build time.
const TABLE_CSV: &str = include_str!("../../data/us_sales_tax.csv");

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

    /// The rate as a percentage without trailing zeros, e.g. `6.875%`.
    pub fn percent(self) -> String {
        let whole = self.0 / 10_000;
        let fraction = format!("{:04}", self.0 % 10_000);
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() { format!("{whole}%") } else { format!("{whole}.{fraction}%") }
    }

    /// Parses a percentage with at most four decimals (`"6.875"` → 6.875%), exactly, below 100%.
    pub fn parse_percent(text: &str) -> Option<Self> {
        let text = text.trim();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (text.contains('.') && !digits(fraction)) || fraction.len() > 4 {
            return None;
        }
        let whole: u32 = whole.parse().ok().filter(|w| *w < 100)?;
        let fraction: u32 = if fraction.is_empty() { 0 } else { format!("{fraction:0<4}").parse().ok()? };
        Some(Self(whole * 10_000 + fraction))
    }
}

/// One state's row of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRate {
    /// USPS two-letter code.
    pub state: String,
    pub rate: TaxRate,
    /// Separately stated shipping charges are taxed (at the same rate) when the goods are.
    pub shipping_taxable: bool,
}

/// A local rate added to the state's for destinations whose ZIP code starts with `zip_prefix`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalRate {
    pub state: String,
    pub zip_prefix: String,
    pub rate: TaxRate,
    /// What the rate is (the jurisdiction it stands for).
    pub note: String,
}

/// The whole table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateTable {
    /// When the rates were in effect (`YYYY-MM-DD`).
    pub effective: String,
    /// Alphabetical by state code.
    pub states: Vec<StateRate>,
    /// Longest prefix first, so the first match is the most specific.
    pub locals: Vec<LocalRate>,
}

impl RateTable {
    /// The row of a state (case-insensitive two-letter code, surrounding spaces ignored).
    pub fn state(&self, state: &str) -> Option<&StateRate> {
        let code = state.trim();
        self.states.iter().find(|r| r.state.eq_ignore_ascii_case(code))
    }

    /// The most specific local rate of a destination in `state` with ZIP code `zip`, if any.
    pub fn local(&self, state: &str, zip: &str) -> Option<&LocalRate> {
        let zip = zip.trim();
        self.locals.iter().find(|l| l.state.eq_ignore_ascii_case(state.trim()) && zip.starts_with(&l.zip_prefix))
    }

    /// Parses the table's CSV (comment lines start with `#`; `# effective,<date>` gives the date).
    pub fn parse(text: &str) -> Result<Self, String> {
        let effective = text
            .lines()
            .find_map(|l| l.strip_prefix("# effective,"))
            .map(|d| d.trim().to_string())
            .ok_or("the table has no `# effective,<date>` line")?;
        let mut reader = csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(text.as_bytes());
        let (mut states, mut locals) = (Vec::<StateRate>::new(), Vec::<LocalRate>::new());
        for (index, record) in reader.records().enumerate() {
            let row = index + 1;
            let record = record.map_err(|e| format!("row {row}: {e}"))?;
            let field = |i: usize| record.get(i).unwrap_or("").trim();
            let rate = TaxRate::parse_percent(field(3))
                .ok_or_else(|| format!("row {row}: rate_percent {:?} is not a percentage below 100", field(3)))?;
            let state = field(1).to_ascii_uppercase();
            if state.len() != 2 || !state.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(format!("row {row}: state {:?} is not a two-letter code", field(1)));
            }
            match field(0) {
                "state" => {
                    let shipping_taxable = match field(4) {
                        "true" => true,
                        "false" => false,
                        other => return Err(format!("row {row}: shipping_taxable {other:?} is not true or false")),
                    };
                    if states.iter().any(|s| s.state == state) {
                        return Err(format!("row {row}: state {state} appears twice"));
                    }
                    states.push(StateRate { state, rate, shipping_taxable });
                }
                "local" => {
                    let zip_prefix = field(2).to_string();
                    if zip_prefix.is_empty() || zip_prefix.len() > 5 || !zip_prefix.bytes().all(|b| b.is_ascii_digit())
                    {
                        return Err(format!("row {row}: zip_prefix {zip_prefix:?} is not 1 to 5 digits"));
                    }
                    if locals.iter().any(|l| l.zip_prefix == zip_prefix) {
                        return Err(format!("row {row}: zip_prefix {zip_prefix} appears twice"));
                    }
                    locals.push(LocalRate { state, zip_prefix, rate, note: field(5).to_string() });
                }
                other => return Err(format!("row {row}: kind {other:?} is not state or local")),
            }
        }
        if let Some(l) = locals.iter().find(|l| !states.iter().any(|s| s.state == l.state)) {
            return Err(format!("local rate {} is in state {}, which has no state row", l.zip_prefix, l.state));
        }
        states.sort_by(|a, b| a.state.cmp(&b.state));
        locals.sort_by(|a, b| b.zip_prefix.len().cmp(&a.zip_prefix.len()).then(a.zip_prefix.cmp(&b.zip_prefix)));
        Ok(Self { effective, states, locals })
    }
}

/// The table compiled into the binary. Its text is checked by this module's tests, so parsing it cannot
/// fail in a build whose tests passed.
pub fn rate_table() -> &'static RateTable {
    static TABLE: LazyLock<RateTable> =
        LazyLock::new(|| RateTable::parse(TABLE_CSV).expect("crates/engine/data/us_sales_tax.csv is checked by tests"));
    &TABLE
}

/// The row of a state in the compiled table.
pub fn state_rate(state: &str) -> Option<&'static StateRate> {
    rate_table().state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_every_state_once_and_its_date() {
        let table = RateTable::parse(TABLE_CSV).expect("the embedded table parses");
        assert_eq!(table.effective, "2024-01-01");
        assert_eq!(table.states.len(), 51);
        assert!(table.states.windows(2).all(|w| w[0].state < w[1].state));
        assert!(table.states.iter().all(|r| r.rate.0 < 100_000));
        let no_tax: Vec<&str> = table.states.iter().filter(|r| r.rate.0 == 0).map(|r| r.state.as_str()).collect();
        assert_eq!(no_tax, ["AK", "DE", "MT", "NH", "OR"]);
        assert!(table.locals.len() >= 20);
        assert!(table.locals.iter().all(|l| l.rate.0 > 0 && l.rate.0 < 100_000));
    }

    #[test]
    fn rates_print_as_percentages() {
        let shown: Vec<String> =
            ["MN", "mo", " ca ", "NY", "OR"].iter().filter_map(|s| state_rate(s)).map(|r| r.rate.percent()).collect();
        assert_eq!(shown, ["6.875%", "4.225%", "7.25%", "4%", "0%"]);
        assert_eq!(TaxRate::from_bp(625), TaxRate(62_500));
        assert!(state_rate("PR").is_none());
    }

    #[test]
    fn percentages_parse_exactly_or_not_at_all() {
        assert_eq!(TaxRate::parse_percent("6.875"), Some(TaxRate(68_750)));
        assert_eq!(TaxRate::parse_percent("4"), Some(TaxRate(40_000)));
        assert_eq!(TaxRate::parse_percent("0.0001"), Some(TaxRate(1)));
        for bad in ["", ".5", "5.", "6.87501", "-1", "100", "1e2", "4,5", "abc"] {
            assert_eq!(TaxRate::parse_percent(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_longest_zip_prefix_wins_and_states_must_match() {
        let text = "# effective,2025-07-01\nkind,state,zip_prefix,rate_percent,shipping_taxable,note\n\
                    state,NY,,4,true,\nlocal,NY,100,4.875,,NYC\nlocal,NY,10001,5,,a block\n";
        let table = RateTable::parse(text).unwrap();
        assert_eq!(table.local("NY", "10001").unwrap().rate, TaxRate(50_000));
        assert_eq!(table.local("ny", "10002-1234").unwrap().rate, TaxRate(48_750));
        assert!(table.local("NJ", "10002").is_none());
        assert!(table.local("NY", "12201").is_none());
    }

    #[test]
    fn a_bad_table_names_the_row_and_column() {
        let head = "# effective,2024-01-01\nkind,state,zip_prefix,rate_percent,shipping_taxable,note\n";
        for (body, expect) in [
            ("state,NY,,four,true,\n", "row 1: rate_percent"),
            ("state,NY,,4,yes,\n", "row 1: shipping_taxable"),
            ("state,NY,,4,true,\nstate,ny,,4,true,\n", "row 2: state NY appears twice"),
            ("state,NY,,4,true,\nlocal,NY,1x0,1,,\n", "row 2: zip_prefix"),
            ("state,N1,,4,true,\n", "row 1: state"),
            ("county,NY,,4,true,\n", "row 1: kind"),
            ("state,NY,,4,true,\nlocal,NJ,070,1,,\n", "state NJ, which has no state row"),
        ] {
            let err = RateTable::parse(&format!("{head}{body}")).unwrap_err();
            assert!(err.contains(expect), "{body:?}: {err}");
        }
        assert!(RateTable::parse("kind,state\n").unwrap_err().contains("effective"));
    }
}
