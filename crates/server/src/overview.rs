//! The state of each connected system at a glance, for `GET /v1/systems` and `/metrics`: configuration
//! (role, target), the durable delivery state of its subscriptions (all processes, from the store) and the
//! live state of this process's dispatcher (circuit, attempts, latency).

use crate::AppState;
use chrono::{DateTime, Utc};
use crossdock_connect::config::TransportConfig;
use crossdock_connect::dispatch::{LatencySnapshot, SystemStatus};
use crossdock_store::{StoreError, SubscriptionStats};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One connected system.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SystemView {
    pub name: String,
    /// `erp`, `wms`, `tms`, `pos`, `crm`, `channel` or `partner`; null for a system that has delivery
    /// state but is no longer configured.
    pub role: Option<String>,
    /// `http`, `nats` or `file`.
    pub transport: Option<String>,
    /// Where messages go (URL, subject prefix, folder); never holds a secret.
    pub target: Option<String>,
    /// `closed`, `open` or `half_open`; null when no dispatcher runs in this process.
    pub circuit: Option<String>,
    /// Deliveries acknowledged (all processes).
    pub delivered: u64,
    /// Deliveries waiting for a first attempt or a retry.
    pub pending: u64,
    /// Deliveries that failed for good and wait in the dead-letter queue.
    pub dead_letters: u64,
    pub discarded: u64,
    /// Attempts by this process since it started; null when no dispatcher runs here.
    pub attempts: Option<Attempts>,
    /// Events in the log not yet examined by the system's slowest subscription (head sequence minus cursor).
    pub lag: i64,
    /// Age in seconds of the oldest event not yet delivered (pending, or not yet examined).
    pub oldest_undelivered_age_secs: Option<f64>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub subscriptions: Vec<SubscriptionView>,
    /// Commit-to-acknowledgement latency since this process started (for `/metrics`).
    #[serde(skip)]
    pub latency: Option<LatencySnapshot>,
}

/// Attempts of this process, by how they ended.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct Attempts {
    pub delivered: u64,
    /// Failed and to be retried.
    pub retried: u64,
    /// Failed for good (dead letters).
    pub dead: u64,
    /// Held back by the open circuit, not sent.
    pub deferred: u64,
    pub in_flight: u64,
}

/// One subscription of a system.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionView {
    pub name: String,
    pub cursor: i64,
    pub lag: i64,
    pub pending: u64,
    pub delivered: u64,
    pub dead_letters: u64,
    pub discarded: u64,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// Every system known to the config, the dispatcher or the store, by name, and the head of the log.
pub async fn systems(state: &AppState) -> Result<(Vec<SystemView>, i64), StoreError> {
    let stats = state.store.delivery_stats().await?;
    let head = match stats.first() {
        Some(s) => s.head_seq,
        None => state.store.head_seq().await?,
    };
    let mut views: BTreeMap<String, SystemView> = BTreeMap::new();
    if let Some(connect) = &state.connect {
        for system in &connect.systems {
            let view = entry(&mut views, &system.config.name);
            view.role = Some(system.config.role.as_str().to_string());
            let (kind, target) = configured_target(&system.config.transport);
            view.transport = Some(kind.to_string());
            view.target = Some(target);
        }
    }
    if let Some(dispatcher) = &state.dispatcher {
        for status in dispatcher.systems() {
            apply_status(entry(&mut views, &status.name), status);
        }
    }
    let now = Utc::now();
    let mut oldest: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    for sub in &stats {
        let mut candidates: Vec<DateTime<Utc>> = sub.oldest_pending_recorded_at.into_iter().collect();
        if sub.cursor < head
            && let Some(event) = state.store.events_after(sub.cursor, 1).await?.first()
        {
            candidates.push(event.recorded_at);
        }
        if let Some(at) = candidates.into_iter().min() {
            let slot = oldest.entry(sub.system.clone()).or_insert(at);
            *slot = (*slot).min(at);
        }
        add_subscription(entry(&mut views, &sub.system), sub);
    }
    for (system, at) in oldest {
        if let Some(view) = views.get_mut(&system) {
            view.oldest_undelivered_age_secs = Some(((now - at).num_milliseconds().max(0) as f64) / 1000.0);
        }
    }
    Ok((views.into_values().collect(), head))
}

fn entry<'a>(views: &'a mut BTreeMap<String, SystemView>, name: &str) -> &'a mut SystemView {
    views.entry(name.to_string()).or_insert_with(|| SystemView {
        name: name.to_string(),
        role: None,
        transport: None,
        target: None,
        circuit: None,
        delivered: 0,
        pending: 0,
        dead_letters: 0,
        discarded: 0,
        attempts: None,
        lag: 0,
        oldest_undelivered_age_secs: None,
        last_success_at: None,
        last_error: None,
        last_error_at: None,
        subscriptions: Vec::new(),
        latency: None,
    })
}

/// The transport type and target as configured. URLs with credentials are refused when the config is
/// validated, and secrets live under `auth`, so nothing here is secret.
fn configured_target(transport: &TransportConfig) -> (&'static str, String) {
    let target = match transport {
        TransportConfig::Http { url, .. } => url.clone(),
        TransportConfig::Nats { url, subject_prefix, .. } => format!("{url} {subject_prefix}.events.>"),
        TransportConfig::File { folder, .. } => folder.clone(),
    };
    (transport.type_name(), target)
}

fn apply_status(view: &mut SystemView, status: SystemStatus) {
    view.transport = Some(status.kind.to_string());
    view.target = Some(status.target);
    view.circuit = Some(status.circuit.as_str().to_string());
    view.attempts = Some(Attempts {
        delivered: status.delivered,
        retried: status.retried,
        dead: status.dead,
        deferred: status.deferred,
        in_flight: status.in_flight as u64,
    });
    view.latency = Some(status.latency);
}

fn add_subscription(view: &mut SystemView, sub: &SubscriptionStats) {
    let lag = (sub.head_seq - sub.cursor).max(0);
    view.delivered += sub.delivered;
    view.pending += sub.pending;
    view.dead_letters += sub.dead;
    view.discarded += sub.discarded;
    view.lag = view.lag.max(lag);
    view.last_success_at = view.last_success_at.max(sub.last_success_at);
    if sub.last_error_at.is_some() && sub.last_error_at >= view.last_error_at {
        view.last_error = sub.last_error.clone();
        view.last_error_at = sub.last_error_at;
    }
    view.subscriptions.push(SubscriptionView {
        name: sub.subscription.clone(),
        cursor: sub.cursor,
        lag,
        pending: sub.pending,
        delivered: sub.delivered,
        dead_letters: sub.dead,
        discarded: sub.discarded,
        last_success_at: sub.last_success_at,
        last_error: sub.last_error.clone(),
    });
}
