//! `[[subscriptions]]`: which events go to which system, filtered and mapped how; event-type patterns.

use serde::Deserialize;

/// A subscription as written under `[[subscriptions]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionConfig {
    /// Unique; lower-case letters, digits, `_` and `-`. Keys the subscription's cursor in the store.
    pub name: String,
    /// The `[[systems]]` entry that receives the events.
    pub system: String,
    /// Event-type patterns: `order.placed`, `order.*`, `*`.
    pub events: Vec<String>,
    /// jq expression over the event; the event is sent when its first output is neither false nor null.
    #[serde(default)]
    pub filter: Option<String>,
    /// jq file turning the event into the body sent (relative to the config file).
    #[serde(default)]
    pub mapping: Option<String>,
}

impl SubscriptionConfig {
    /// Whether any of the subscription's patterns matches `event_type`.
    pub fn selects(&self, event_type: &str) -> bool {
        self.events.iter().any(|p| pattern_matches(p, event_type))
    }
}

/// Whether an event type matches a pattern: `*` matches every type, a pattern ending in `*` every type
/// that starts with what precedes it (`order.*` matches `order.placed`), any other pattern only itself.
pub fn pattern_matches(pattern: &str, event_type: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => event_type.starts_with(prefix),
        None => pattern == event_type,
    }
}

/// Why a pattern is not valid, if it is not: lower-case letters, digits, `_` and `.`, with `*` only at the end.
pub(crate) fn pattern_problem(pattern: &str) -> Option<String> {
    if pattern.is_empty() {
        return Some("an event pattern is empty".into());
    }
    let body = pattern.strip_suffix('*').unwrap_or(pattern);
    if body.contains('*') {
        return Some(format!("{pattern:?}: '*' may only end a pattern (as in \"order.*\" or \"*\")"));
    }
    if let Some(c) = body.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '.')) {
        return Some(format!("{pattern:?} contains {c:?}; patterns use a-z, 0-9, '_', '.' and a final '*'"));
    }
    None
}
