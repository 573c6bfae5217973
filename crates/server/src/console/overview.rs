//! The overview: the KPIs of `/v1/kpis` (same function, same numbers), their history as charts, and every
//! connected system's health at a glance.

use super::{ConsoleError, ConsoleUser, Layout, Series, render};
use crate::AppState;
use crate::handlers::{DEFAULT_SYNC_BUDGET_MS, KpiResponse, kpi_report};
use crate::routes::{KPIS_READ, SYSTEMS_READ};
use askama::Template;
use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::response::Html;
use serde::Serialize;

/// One KPI tile: its id (the `/v1/kpis` field), label, shown text, and the raw JSON value.
pub struct Tile {
    pub id: &'static str,
    pub label: &'static str,
    pub text: String,
    pub raw: String,
}

/// One system in the health table.
pub struct Health {
    pub name: String,
    pub role: String,
    pub circuit: String,
    /// `ok`, `warn` or `bad`.
    pub level: &'static str,
    pub lag: i64,
    pub pending: u64,
    pub dead_letters: u64,
    pub uptime: String,
    pub last_error: String,
}

#[derive(Template)]
#[template(path = "console/overview.html")]
struct OverviewPage {
    layout: Layout,
    tiles: Vec<Tile>,
    systems: Vec<Health>,
    can_systems: bool,
}

fn share(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{:.1} %", v * 100.0))
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The tiles of a KPI report.
pub fn tiles(k: &KpiResponse) -> Vec<Tile> {
    let hours = |h: Option<f64>| h.map_or_else(|| "–".to_string(), |h| format!("{h:.1} h"));
    let cycle = k.fulfilment_cycle_hours;
    let delivered = k.orders_delivered;
    let mean_uptime =
        (!k.systems.is_empty()).then(|| k.systems.iter().map(|s| s.uptime).sum::<f64>() / k.systems.len() as f64);
    vec![
        Tile {
            id: "orders_placed",
            label: "Orders placed",
            text: k.orders_placed.to_string(),
            raw: json(&k.orders_placed),
        },
        Tile {
            id: "orders_shipped",
            label: "Shipped",
            text: k.orders_shipped.to_string(),
            raw: json(&k.orders_shipped),
        },
        Tile { id: "orders_delivered", label: "Delivered", text: delivered.to_string(), raw: json(&delivered) },
        Tile {
            id: "orders_cancelled",
            label: "Cancelled",
            text: k.orders_cancelled.to_string(),
            raw: json(&k.orders_cancelled),
        },
        Tile {
            id: "fulfilment_cycle_p50",
            label: "Cycle time p50 (placed → delivered)",
            text: hours(cycle.map(|q| q.p50)),
            raw: json(&cycle.map(|q| q.p50)),
        },
        Tile {
            id: "fulfilment_cycle_p90",
            label: "Cycle time p90",
            text: hours(cycle.map(|q| q.p90)),
            raw: json(&cycle.map(|q| q.p90)),
        },
        Tile {
            id: "order_accuracy",
            label: "Order accuracy",
            text: share(k.order_accuracy),
            raw: json(&k.order_accuracy),
        },
        Tile {
            id: "inventory_accuracy",
            label: "Inventory accuracy",
            text: share(k.inventory_accuracy),
            raw: json(&k.inventory_accuracy),
        },
        Tile {
            id: "integration_uptime",
            label: "Integration uptime (mean, 24 h)",
            text: share(mean_uptime),
            raw: json(&mean_uptime),
        },
        Tile {
            id: "oversold_units",
            label: "Oversold units",
            text: k.oversold_units.to_string(),
            raw: json(&k.oversold_units),
        },
        Tile {
            id: "dead_letters",
            label: "Dead letters",
            text: k.dead_letters.to_string(),
            raw: json(&k.dead_letters),
        },
    ]
}

/// `GET /console`.
pub async fn page(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
) -> Result<Html<String>, ConsoleError> {
    user.require(KPIS_READ)?;
    let kpis = kpi_report(&state, DEFAULT_SYNC_BUDGET_MS).await?;
    let can_systems = user.can(SYSTEMS_READ);
    let mut systems = Vec::new();
    if can_systems {
        let (views, _) = crate::overview::systems(&state).await?;
        for view in views {
            let uptime = kpis.systems.iter().find(|s| s.name == view.name).map(|s| s.uptime);
            let circuit = view.circuit.clone().unwrap_or_else(|| "–".into());
            let level = if circuit == "open" || view.dead_letters > 0 {
                "bad"
            } else if circuit == "half_open" || view.pending > 0 || view.lag > 0 {
                "warn"
            } else {
                "ok"
            };
            systems.push(Health {
                name: view.name,
                role: view.role.unwrap_or_else(|| "–".into()),
                circuit,
                level,
                lag: view.lag,
                pending: view.pending,
                dead_letters: view.dead_letters,
                uptime: share(uptime),
                last_error: view.last_error.unwrap_or_default(),
            });
        }
    }
    render(&OverviewPage {
        layout: Layout::new(&user, "overview", "Overview"),
        tiles: tiles(&kpis),
        systems,
        can_systems,
    })
}

/// `GET /console/series.json`: the KPIs per minute for the charts.
pub async fn series(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
) -> Result<Json<Series>, ConsoleError> {
    user.require(KPIS_READ)?;
    Ok(Json(state.console.history.series(&state).await?))
}
