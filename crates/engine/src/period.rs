//! A reporting period: what happened at or after `from` and before `to`, either bound optional. Reports
//! (tax, ERP reconciliation) select orders by their placement instant with [`Period::contains`].

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A period whose end is not after its start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("to ({to}) must be after from ({from})")]
pub struct EmptyPeriod {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Period {
    /// Every instant.
    pub const ALL: Period = Period { from: None, to: None };

    /// The period `[from, to)`; refused when both are given and `to` is not after `from`.
    pub fn new(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Result<Self, EmptyPeriod> {
        match (from, to) {
            (Some(from), Some(to)) if from >= to => Err(EmptyPeriod { from, to }),
            _ => Ok(Self { from, to }),
        }
    }

    /// Whether `at` falls in the period: at or after `from`, before `to`.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from.is_none_or(|f| at >= f) && self.to.is_none_or(|t| at < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_is_inclusive_to_is_exclusive_and_an_empty_period_is_refused() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let march = Period::new(Some(t("2026-03-01T00:00:00Z")), Some(t("2026-04-01T00:00:00Z"))).unwrap();
        assert!(march.contains(t("2026-03-01T00:00:00Z")));
        assert!(!march.contains(t("2026-04-01T00:00:00Z")));
        assert!(!march.contains(t("2026-02-28T23:59:59Z")));
        assert!(Period::ALL.contains(t("1999-01-01T00:00:00Z")));
        let err = Period::new(Some(t("2026-04-01T00:00:00Z")), Some(t("2026-03-01T00:00:00Z"))).unwrap_err();
        assert_eq!(err.to_string(), "to (2026-03-01 00:00:00 UTC) must be after from (2026-04-01 00:00:00 UTC)");
    }
}
