//! Nearest-rank percentiles over a sample.

use serde::{Deserialize, Serialize};

/// p50, p90 and p99 of a sample, in the sample's unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
}

/// Nearest-rank percentiles (the smallest value with at least p% of the sample at or below it); `None`
/// for an empty sample, which has none. NaN values are ignored.
pub fn percentiles(values: &[f64]) -> Option<Percentiles> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        let index = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[index.clamp(1, sorted.len()) - 1]
    };
    Some(Percentiles { p50: rank(50.0), p90: rank(90.0), p99: rank(99.0) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_on_one_to_hundred() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentiles(&values), Some(Percentiles { p50: 50.0, p90: 90.0, p99: 99.0 }));
    }

    #[test]
    fn small_and_empty_samples() {
        assert_eq!(percentiles(&[]), None);
        assert_eq!(percentiles(&[f64::NAN]), None);
        assert_eq!(percentiles(&[7.0]), Some(Percentiles { p50: 7.0, p90: 7.0, p99: 7.0 }));
        assert_eq!(percentiles(&[3.0, 1.0, f64::NAN]).map(|p| p.p50), Some(1.0));
    }
}
