//! The orchestration sections of `crossdock.toml`, validated without IO with every error at once (each naming
//! file and key): `[sourcing]` (rate table per carrier service, split penalty, rules, solver budget; any key
//! left out keeps the built-in standard policy's value), `[[channels]]` (each channel and the locations it may
//! sell from), `[returns]` (the restocking fee) and `[availability]` (the availability feed's debounce).

use crossdock_engine::sourcing::{CarrierService, RateModel, SolverBudget, SourcingConfig, SourcingRules};
use crossdock_engine::{ChannelGroup, Policy, ReleaseMode, RestockingFeeRule};
use crossdock_model::{Currency, ReturnReason};
use crossdock_store::feed::FeedSettings;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::time::Duration;

/// The orchestration sections as read (checked by [`check_policy`]).
#[derive(Debug, Clone, Default)]
pub struct PolicySections<'a> {
    pub sourcing: Option<&'a Value>,
    pub channels: &'a [Value],
    pub returns: Option<&'a Value>,
    pub availability: Option<&'a Value>,
}

/// The policy and the feed's settings (`None`: the feed is disabled), or every problem found.
pub fn check_policy(s: &PolicySections<'_>, file: &str) -> Result<(Policy, Option<FeedSettings>), Vec<String>> {
    let mut errors = Vec::new();
    let (sourcing, release) = sourcing(s.sourcing, file, &mut errors);
    let channels = channels(s.channels, file, &mut errors);
    let restocking = returns(s.returns, file, &mut errors);
    let feed = availability(s.availability, file, &mut errors);
    if errors.is_empty() { Ok((Policy { sourcing, channels, restocking, release }, feed)) } else { Err(errors) }
}

/// The table at `key`, with an error for anything else; `None` when absent.
fn table<'a>(
    value: Option<&'a Value>,
    key: &str,
    file: &str,
    errors: &mut Vec<String>,
) -> Option<&'a Map<String, Value>> {
    match value {
        None => None,
        Some(Value::Object(map)) => Some(map),
        Some(_) => {
            errors.push(format!("{file}: {key}: must be a table"));
            None
        }
    }
}

/// Reports keys of `map` not in `known`.
fn unknown_keys(map: &Map<String, Value>, known: &[&str], key: &str, file: &str, errors: &mut Vec<String>) {
    for name in map.keys().filter(|k| !known.contains(&k.as_str())) {
        errors.push(format!("{file}: {key}.{name}: unknown key; known: {}", known.join(", ")));
    }
}

/// `map[name]` parsed as `T`, or `default` when absent; a parse error is reported under `key.name`.
fn field<T: DeserializeOwned>(
    map: &Map<String, Value>,
    name: &str,
    default: T,
    key: &str,
    file: &str,
    errors: &mut Vec<String>,
) -> T {
    match map.get(name) {
        None => default,
        Some(value) => serde_json::from_value(value.clone()).unwrap_or_else(|e| {
            errors.push(format!("{file}: {key}.{name}: {e}"));
            default
        }),
    }
}

/// The sourcing cost model and the release mode (`release = "manual" | "on_sourcing"`).
fn sourcing(value: Option<&Value>, file: &str, errors: &mut Vec<String>) -> (SourcingConfig, ReleaseMode) {
    let standard = SourcingConfig::standard();
    let Some(map) = table(value, "sourcing", file, errors) else { return (standard, ReleaseMode::Manual) };
    let known = ["currency", "rates", "split_penalty_minor", "rules", "budget", "release"];
    unknown_keys(map, &known, "sourcing", file, errors);
    let release: ReleaseMode = field(map, "release", ReleaseMode::Manual, "sourcing", file, errors);
    let currency: Currency = field(map, "currency", standard.currency, "sourcing", file, errors);
    let split_penalty_minor = field(map, "split_penalty_minor", standard.split_penalty_minor, "sourcing", file, errors);
    let rules: SourcingRules = field(map, "rules", standard.rules.clone(), "sourcing", file, errors);
    let budget: SolverBudget = field(map, "budget", standard.budget, "sourcing", file, errors);
    let rates = match map.get("rates") {
        None => standard.rates.clone(),
        Some(Value::Array(services)) => {
            let before = errors.len();
            let parsed: Vec<CarrierService> = services
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    serde_json::from_value(s.clone())
                        .map_err(|e| errors.push(format!("{file}: sourcing.rates[{i}]: {e}")))
                        .ok()
                })
                .collect();
            match RateModel::try_from(parsed) {
                Ok(model) if errors.len() == before => model,
                Ok(_) => standard.rates.clone(),
                Err(e) => {
                    errors.push(format!("{file}: sourcing.rates: {e}"));
                    standard.rates.clone()
                }
            }
        }
        Some(_) => {
            errors.push(format!("{file}: sourcing.rates: must be a list of carrier services ([[sourcing.rates]])"));
            standard.rates.clone()
        }
    };
    let config = SourcingConfig { currency, rates, split_penalty_minor, rules, budget };
    if let Err(e) = config.check() {
        errors.push(format!("{file}: sourcing.split_penalty_minor: {e}"));
    }
    (config, release)
}

fn channels(values: &[Value], file: &str, errors: &mut Vec<String>) -> Vec<ChannelGroup> {
    let mut out: Vec<ChannelGroup> = Vec::new();
    for (i, value) in values.iter().enumerate() {
        match serde_json::from_value::<ChannelGroup>(value.clone()) {
            Ok(group) if out.iter().any(|g| g.id == group.id) => {
                errors.push(format!("{file}: channels[{i}].id: channel {} is listed twice", group.id));
            }
            Ok(group) => out.push(group),
            Err(e) => errors.push(format!("{file}: channels[{i}]: {e}")),
        }
    }
    out
}

fn returns(value: Option<&Value>, file: &str, errors: &mut Vec<String>) -> RestockingFeeRule {
    let Some(map) = table(value, "returns", file, errors) else { return RestockingFeeRule::default() };
    unknown_keys(map, &["restocking_fee_bp", "fee_waived_for"], "returns", file, errors);
    let fee_bp: u32 = field(map, "restocking_fee_bp", 0, "returns", file, errors);
    if fee_bp > 10_000 {
        errors.push(format!("{file}: returns.restocking_fee_bp: {fee_bp} is more than 10000 (100 %)"));
    }
    let waived_for: Vec<ReturnReason> = field(map, "fee_waived_for", Vec::new(), "returns", file, errors);
    RestockingFeeRule { fee_bp, waived_for }
}

fn availability(value: Option<&Value>, file: &str, errors: &mut Vec<String>) -> Option<FeedSettings> {
    let default = FeedSettings::default();
    let Some(map) = table(value, "availability", file, errors) else { return Some(default) };
    unknown_keys(map, &["enabled", "window_ms", "max_wait_ms", "poll_ms"], "availability", file, errors);
    let enabled: bool = field(map, "enabled", true, "availability", file, errors);
    let mut millis = |name: &str, default: Duration, range: std::ops::RangeInclusive<u64>| {
        let ms: u64 =
            field(map, name, u64::try_from(default.as_millis()).unwrap_or(u64::MAX), "availability", file, errors);
        if !range.contains(&ms) {
            errors.push(format!("{file}: availability.{name}: {ms} is outside {}..={}", range.start(), range.end()));
        }
        Duration::from_millis(ms)
    };
    let window = millis("window_ms", default.window, 10..=600_000);
    let max_wait = millis("max_wait_ms", default.max_wait, 10..=3_600_000);
    let poll = millis("poll_ms", default.poll, 10..=60_000);
    if max_wait < window {
        errors.push(format!("{file}: availability.max_wait_ms: must be at least window_ms"));
    }
    enabled.then_some(FeedSettings { window, max_wait, poll })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(
        sourcing: Value,
        channels: Value,
        returns: Value,
        availability: Value,
    ) -> Result<(Policy, Option<FeedSettings>), Vec<String>> {
        let channels = channels.as_array().cloned().unwrap_or_default();
        let sections = PolicySections {
            sourcing: Some(&sourcing).filter(|v| !v.is_null()),
            channels: &channels,
            returns: Some(&returns).filter(|v| !v.is_null()),
            availability: Some(&availability).filter(|v| !v.is_null()),
        };
        check_policy(&sections, "hub.toml")
    }

    #[test]
    fn absent_sections_give_the_standard_policy() {
        let (policy, feed) = check(Value::Null, Value::Null, Value::Null, Value::Null).unwrap();
        assert_eq!(policy, Policy::default());
        assert_eq!(feed, Some(FeedSettings::default()));
    }

    #[test]
    fn a_full_policy_is_read() {
        let sourcing = json!({
            "currency": "USD", "split_penalty_minor": 450,
            "rates": [
                {"carrier": "UPS", "service": "ground", "rates": {"basis": "zone", "costs_minor": [800, 850, 900, 950, 1000, 1100, 1200, 1300]}},
                {"carrier": "Courier", "service": "local", "rates": {"basis": "distance", "bands": [{"up_to_miles": 30, "cost_minor": 600}]}}
            ],
            "rules": {"excluded": ["DC-OLD"], "prefer_stores_for_pickup": false},
            "budget": {"exact_max_skus": 8, "exact_max_nodes": 5000},
            "release": "on_sourcing"
        });
        let channels = json!([{"id": "web", "locations": ["DC-1", "DC-2"]}, {"id": "pos"}]);
        let returns = json!({"restocking_fee_bp": 1500, "fee_waived_for": ["defective"]});
        let (policy, feed) =
            check(sourcing, channels, returns, json!({"window_ms": 250, "max_wait_ms": 5000, "poll_ms": 50})).unwrap();
        assert_eq!(policy.sourcing.split_penalty_minor, 450);
        assert_eq!(policy.sourcing.rates.services().len(), 2);
        assert!(!policy.sourcing.rules.prefer_stores_for_pickup);
        assert_eq!(policy.sourcing.budget.exact_max_nodes, 5000);
        assert_eq!(policy.release, ReleaseMode::OnSourcing);
        assert_eq!(policy.channels.len(), 2);
        assert_eq!(policy.channel_locations(&crossdock_model::ChannelId::new("pos").unwrap()), None);
        assert_eq!(policy.restocking, RestockingFeeRule { fee_bp: 1500, waived_for: vec![ReturnReason::Defective] });
        assert_eq!(feed.map(|f| f.window), Some(Duration::from_millis(250)));
        let (_, off) = check(Value::Null, Value::Null, Value::Null, json!({"enabled": false})).unwrap();
        assert_eq!(off, None);
    }

    #[test]
    fn every_error_is_reported_at_once_with_file_and_key() {
        let sourcing = json!({
            "split_penalty_minor": -5, "colour": "red",
            "rates": [
                {"carrier": "UPS", "service": "ground", "rates": {"basis": "zone", "costs_minor": [1, 2]}},
                {"carrier": "UPS", "service": "air", "rates": {"basis": "teleport"}}
            ],
            "budget": {"exact_max_skus": "many"},
            "release": "whenever"
        });
        let channels = json!([{"id": "web"}, {"id": "web"}, {"id": "pos", "locations": "DC-1"}]);
        let returns = json!({"restocking_fee_bp": 20000, "fee_waived_for": ["bored"]});
        let errors = check(sourcing, channels, returns, json!({"window_ms": 0, "max_wait_ms": 20})).unwrap_err();
        for expected in [
            "hub.toml: sourcing.colour: unknown key",
            "hub.toml: sourcing.budget:",
            "hub.toml: sourcing.release: unknown variant `whenever`",
            "hub.toml: sourcing.rates[1]:",
            "hub.toml: sourcing.split_penalty_minor:",
            "hub.toml: channels[1].id: channel web is listed twice",
            "hub.toml: channels[2]:",
            "hub.toml: returns.restocking_fee_bp: 20000",
            "hub.toml: returns.fee_waived_for:",
            "hub.toml: availability.window_ms: 0 is outside",
        ] {
            assert!(errors.iter().any(|e| e.starts_with(expected)), "{expected} missing from {errors:#?}");
        }
        // The zone table with 2 costs is reported once the other service parses.
        let one_bad = json!({"rates": [{"carrier": "UPS", "service": "ground", "rates": {"basis": "zone", "costs_minor": [1, 2]}}]});
        let errors = check(one_bad, Value::Null, Value::Null, Value::Null).unwrap_err();
        assert!(errors[0].starts_with("hub.toml: sourcing.rates:") && errors[0].contains("8 are needed"), "{errors:?}");
    }

    #[test]
    fn the_sections_are_read_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.toml");
        let text = r#"
[sourcing]
split_penalty_minor = 250
[[sourcing.rates]]
carrier = "UPS"
service = "ground"
rates = { basis = "zone", costs_minor = [800, 850, 900, 950, 1000, 1100, 1200, 1300] }
[sourcing.rules]
excluded = ["DC-OLD"]

[[channels]]
id = "web"
locations = ["DC-1"]

[returns]
restocking_fee_bp = 1000

[availability]
window_ms = 300
"#;
        std::fs::write(&path, text).unwrap();
        let checked = crate::config::load(Some(&path)).unwrap();
        assert_eq!(checked.policy.sourcing.split_penalty_minor, 250);
        assert_eq!(checked.policy.sourcing.rates.services()[0].carrier, "UPS");
        assert_eq!(checked.policy.channels[0].locations, vec![crossdock_model::LocationId::new("DC-1").unwrap()]);
        assert_eq!(checked.policy.restocking.fee_bp, 1000);
        assert_eq!(checked.feed.map(|f| f.window), Some(Duration::from_millis(300)));

        std::fs::write(&path, "[sourcing]\nsplit_penalty_minor = \"high\"\n[returns]\nrestocking_fee_bp = 99999\n")
            .unwrap();
        let err = crate::config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("hub.toml: sourcing.split_penalty_minor:"), "{err}");
        assert!(err.contains("hub.toml: returns.restocking_fee_bp: 99999"), "{err}");
    }
}
