//! Systems (health of each connected system), EDI (interchanges per partner, acknowledgement state,
//! overdue acknowledgements) and Inventory (ATP per sku across locations).

use super::{ConsoleError, ConsoleUser, Layout, field, fields, render};
use crate::AppState;
use crate::handlers::{DEFAULT_SYNC_BUDGET_MS, kpi_report};
use crate::routes::{EDI_READ, INVENTORY_READ, KPIS_READ, SYSTEMS_READ};
use askama::Template;
use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::Html;
use crossdock_model::Sku;
use crossdock_store::edi::{AckState, InterchangeFilter};
use std::collections::{BTreeMap, BTreeSet};

pub struct SystemRow {
    pub name: String,
    pub role: String,
    pub transport: String,
    pub target: String,
    pub circuit: String,
    pub uptime: String,
    pub lag: i64,
    pub oldest_undelivered: String,
    pub delivered: u64,
    pub pending: u64,
    pub dead_letters: u64,
    pub error_rate: String,
    pub last_success: String,
    pub last_error: String,
    pub last_error_at: String,
}

#[derive(Template)]
#[template(path = "console/systems.html")]
struct SystemsPage {
    layout: Layout,
    head_seq: i64,
    rows: Vec<SystemRow>,
}

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| "–".into())
}

/// `GET /console/systems`.
pub async fn systems(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
) -> Result<Html<String>, ConsoleError> {
    user.require(SYSTEMS_READ)?;
    let (views, head_seq) = crate::overview::systems(&state).await?;
    let kpis = if user.can(KPIS_READ) { Some(kpi_report(&state, DEFAULT_SYNC_BUDGET_MS).await?) } else { None };
    let rows = views
        .into_iter()
        .map(|v| {
            let uptime = kpis.as_ref().and_then(|k| k.systems.iter().find(|s| s.name == v.name)).map(|s| s.uptime);
            // Error rate: failed attempts over all attempts of this process (retried + dead over finished ones).
            let error_rate = v.attempts.map(|a| {
                let failed = a.retried + a.dead;
                let total = failed + a.delivered;
                if total == 0 { "–".to_string() } else { format!("{:.1} %", failed as f64 * 100.0 / total as f64) }
            });
            SystemRow {
                name: v.name,
                role: v.role.unwrap_or_else(|| "–".into()),
                transport: v.transport.unwrap_or_else(|| "–".into()),
                target: v.target.unwrap_or_else(|| "–".into()),
                circuit: v.circuit.unwrap_or_else(|| "–".into()),
                uptime: uptime.map_or_else(|| "–".into(), |u| format!("{:.1} %", u * 100.0)),
                lag: v.lag,
                oldest_undelivered: v.oldest_undelivered_age_secs.map_or_else(|| "–".into(), |s| format!("{s:.0} s")),
                delivered: v.delivered,
                pending: v.pending,
                dead_letters: v.dead_letters,
                error_rate: error_rate.unwrap_or_else(|| "–".into()),
                last_success: time(v.last_success_at),
                last_error: v.last_error.unwrap_or_default(),
                last_error_at: time(v.last_error_at),
            }
        })
        .collect();
    render(&SystemsPage { layout: Layout::new(&user, "systems", "Systems"), head_seq, rows })
}

pub struct PartnerRow {
    pub partner: String,
    pub inbound: usize,
    pub outbound: usize,
    pub expected: usize,
    pub overdue: usize,
    pub rejected: usize,
}

pub struct InterchangeRow {
    pub id: i64,
    pub partner: String,
    pub direction: &'static str,
    pub control: String,
    pub sets: String,
    pub status: &'static str,
    pub ack_state: &'static str,
    pub ack_due: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "console/edi.html")]
struct EdiPage {
    layout: Layout,
    partners: Vec<PartnerRow>,
    overdue: Vec<InterchangeRow>,
    recent: Vec<InterchangeRow>,
}

/// Interchanges read for the page (newest first).
const EDI_ROWS: u32 = 500;

/// `GET /console/edi`.
pub async fn edi(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
) -> Result<Html<String>, ConsoleError> {
    user.require(EDI_READ)?;
    let records = state.store.list_interchanges(&InterchangeFilter { limit: EDI_ROWS, ..Default::default() }).await?;
    let mut partners: BTreeMap<String, PartnerRow> = BTreeMap::new();
    for r in &records {
        let row = partners.entry(r.partner.clone()).or_insert_with(|| PartnerRow {
            partner: r.partner.clone(),
            inbound: 0,
            outbound: 0,
            expected: 0,
            overdue: 0,
            rejected: 0,
        });
        match r.direction.as_str() {
            "inbound" => row.inbound += 1,
            _ => row.outbound += 1,
        }
        match r.ack_state {
            AckState::Expected => row.expected += 1,
            AckState::Overdue => row.overdue += 1,
            _ => {}
        }
        if r.status.as_str() == "rejected" {
            row.rejected += 1;
        }
    }
    let row = |r: &crossdock_store::edi::InterchangeRecord| InterchangeRow {
        id: r.id,
        partner: r.partner.clone(),
        direction: r.direction.as_str(),
        control: r.isa_control.clone(),
        sets: r.set_ids().join(", "),
        status: r.status.as_str(),
        ack_state: r.ack_state.as_str(),
        ack_due: time(r.ack_due_at),
        at: time(Some(r.created_at)),
    };
    let overdue = records.iter().filter(|r| r.ack_state == AckState::Overdue).map(row).collect();
    let recent = records.iter().take(100).map(row).collect();
    render(&EdiPage {
        layout: Layout::new(&user, "edi", "EDI"),
        partners: partners.into_values().collect(),
        overdue,
        recent,
    })
}

pub struct AtpRow {
    pub sku: String,
    /// ATP at each location of the header, in order ("–" where the sku has no position).
    pub cells: Vec<String>,
    pub total: i64,
    pub on_hand: i64,
    pub reserved: i64,
}

#[derive(Template)]
#[template(path = "console/inventory.html")]
struct InventoryPage {
    layout: Layout,
    sku: String,
    locations: Vec<String>,
    rows: Vec<AtpRow>,
}

/// `GET /console/inventory?sku=`: available to promise per sku and location, and across the network.
pub async fn inventory(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    RawQuery(raw): RawQuery,
) -> Result<Html<String>, ConsoleError> {
    user.require(INVENTORY_READ)?;
    let query = fields(raw.as_deref().unwrap_or("").as_bytes());
    let sku = match field(&query, "sku") {
        Some(s) => Some(Sku::new(s).map_err(|e| ConsoleError::bad_request(format!("sku {s:?}: {e}")))?),
        None => None,
    };
    let positions = state.store.inventory(sku.as_ref(), None).await?;
    let locations: Vec<String> =
        positions.iter().map(|p| p.location.to_string()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut by_sku: BTreeMap<String, AtpRow> = BTreeMap::new();
    for p in &positions {
        let row = by_sku.entry(p.sku.to_string()).or_insert_with(|| AtpRow {
            sku: p.sku.to_string(),
            cells: vec!["–".to_string(); locations.len()],
            total: 0,
            on_hand: 0,
            reserved: 0,
        });
        if let Some(i) = locations.iter().position(|l| *l == p.location.to_string()) {
            row.cells[i] = p.available().to_string();
        }
        // Saturating: counts come from outside (a WMS), and a sum past i64::MAX must not panic the page.
        row.total = row.total.saturating_add(p.available());
        row.on_hand = row.on_hand.saturating_add(p.on_hand);
        row.reserved = row.reserved.saturating_add(p.reserved);
    }
    render(&InventoryPage {
        layout: Layout::new(&user, "inventory", "Inventory"),
        sku: sku.map(|s| s.to_string()).unwrap_or_default(),
        locations,
        rows: by_sku.into_values().collect(),
    })
}
