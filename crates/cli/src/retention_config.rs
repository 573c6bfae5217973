//! `[retention]` of `crossdock.toml`: how many days settled deliveries and idempotency records are kept, and
//! how often `serve` prunes them. Without the section nothing is pruned. Checked without IO, every error at
//! once, each naming file and key.

use crossdock_store::retention::RetentionSettings;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Longest retention accepted: a century (also keeps the day count far from any overflow).
const MAX_DAYS: u32 = 36_500;
/// Longest interval between two prunes: a week.
const MAX_INTERVAL_MINUTES: u64 = 7 * 24 * 60;

/// `[retention]` as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// Deliveries delivered or discarded more than this many days ago are deleted (pending and dead ones
    /// never are); absent: kept for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliveries_days: Option<u32>,
    /// Idempotency records older than this many days are deleted: a client retrying with an older key is
    /// then a new request. Absent: kept for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_days: Option<u32>,
    /// Minutes between two prunes in `serve` (the first runs at start).
    #[serde(default = "default_interval_minutes")]
    pub interval_minutes: u64,
}

fn default_interval_minutes() -> u64 {
    60
}

/// The settings of `[retention]`: `None` when the section is absent (nothing is pruned).
pub fn check_retention(config: Option<&RetentionConfig>, file: &str) -> Result<Option<RetentionSettings>, Vec<String>> {
    let Some(config) = config else { return Ok(None) };
    let mut errors = Vec::new();
    let mut days = |key: &str, value: Option<u32>| match value {
        Some(n) if !(1..=MAX_DAYS).contains(&n) => {
            errors.push(format!("{file}: retention.{key}: {n} is outside 1..={MAX_DAYS}"));
            None
        }
        other => other.map(|n| chrono::TimeDelta::days(i64::from(n))),
    };
    let deliveries = days("deliveries_days", config.deliveries_days);
    let idempotency = days("idempotency_days", config.idempotency_days);
    if config.deliveries_days.is_none() && config.idempotency_days.is_none() {
        errors.push(format!(
            "{file}: retention: set deliveries_days or idempotency_days (or leave the section out to keep everything)"
        ));
    }
    if !(1..=MAX_INTERVAL_MINUTES).contains(&config.interval_minutes) {
        errors.push(format!(
            "{file}: retention.interval_minutes: {} is outside 1..={MAX_INTERVAL_MINUTES}",
            config.interval_minutes
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Some(RetentionSettings { deliveries, idempotency, interval: Duration::from_secs(config.interval_minutes * 60) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        deliveries: Option<u32>,
        idempotency: Option<u32>,
        interval: u64,
    ) -> Result<Option<RetentionSettings>, Vec<String>> {
        let config =
            RetentionConfig { deliveries_days: deliveries, idempotency_days: idempotency, interval_minutes: interval };
        check_retention(Some(&config), "hub.toml")
    }

    #[test]
    fn no_section_prunes_nothing_and_a_valid_one_gives_its_settings() {
        assert_eq!(check_retention(None, "hub.toml"), Ok(None));
        let settings = check(Some(30), None, 15).unwrap().unwrap();
        assert_eq!(settings.deliveries, Some(chrono::TimeDelta::days(30)));
        assert_eq!((settings.idempotency, settings.interval), (None, Duration::from_secs(900)));
    }

    #[test]
    fn every_bad_value_is_named_at_once() {
        let errors = check(Some(0), Some(40_000), 0).unwrap_err();
        assert_eq!(
            errors,
            [
                "hub.toml: retention.deliveries_days: 0 is outside 1..=36500",
                "hub.toml: retention.idempotency_days: 40000 is outside 1..=36500",
                "hub.toml: retention.interval_minutes: 0 is outside 1..=10080",
            ]
        );
        let empty = check(None, None, 60).unwrap_err();
        assert!(empty[0].starts_with("hub.toml: retention: set deliveries_days or idempotency_days"), "{empty:?}");
    }
}
