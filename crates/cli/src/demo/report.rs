//! The demo's report: the KPIs read from `GET /v1/kpis` over the wire, printed as tables (comfy-table) or
//! as JSON with the keys, with what happened in the run.

use super::story::Story;
use anyhow::Context;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};
use crossdock_server::KpiResponse;

/// `GET /v1/kpis` with `key`.
pub async fn fetch_kpis(client: &reqwest::Client, base: &str, key: &str) -> anyhow::Result<KpiResponse> {
    let response = client.get(format!("{base}/v1/kpis")).bearer_auth(key).send().await.context("GET /v1/kpis")?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        anyhow::bail!("GET /v1/kpis answered {status}: {body}");
    }
    response.json().await.context("reading the KPI report")
}

/// The report as JSON: the KPI report's keys at the top, and the run's facts under `demo`.
pub fn to_json(kpis: &KpiResponse, story: &Story) -> anyhow::Result<serde_json::Value> {
    let mut value = serde_json::to_value(kpis)?;
    if let Some(object) = value.as_object_mut() {
        object.insert("demo".into(), serde_json::to_value(story)?);
    }
    Ok(value)
}

fn share(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".into(), |v| format!("{:.1}%", v * 100.0))
}

/// Hours, or "–" when none were measured.
fn hours(h: Option<f64>) -> String {
    h.map_or_else(|| "–".to_string(), |h| format!("{h:.1} h"))
}

/// A latency, or "–" when none was measured.
fn ms(v: Option<f64>) -> String {
    match v {
        None => "–".to_string(),
        Some(v) if v >= 1000.0 => format!("{:.2} s", v / 1000.0),
        Some(v) => format!("{v:.0} ms"),
    }
}

fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(header.iter().map(|h| Cell::new(*h)));
    table
}

/// Prints the KPI tables and the run's facts.
pub fn print_tables(kpis: &KpiResponse, story: &Story) {
    let mut orders = table(&["KPI (from the event log)", "value"]);
    let cycle = kpis.fulfilment_cycle_hours;
    let rows: Vec<(&str, String)> = vec![
        ("orders placed", kpis.orders_placed.to_string()),
        ("orders delivered", kpis.orders_delivered.to_string()),
        ("orders cancelled", kpis.orders_cancelled.to_string()),
        (
            "fulfilment cycle p50 / p90 / p99",
            format!(
                "{} / {} / {}",
                hours(cycle.map(|q| q.p50)),
                hours(cycle.map(|q| q.p90)),
                hours(cycle.map(|q| q.p99))
            ),
        ),
        ("delivered within 24 h", share(kpis.share_under_24h)),
        ("order accuracy", share(kpis.order_accuracy)),
        (
            "inventory accuracy (sku-locations / units)",
            format!("{} / {}", share(kpis.inventory_accuracy), share(kpis.inventory_unit_accuracy)),
        ),
        ("oversold units", kpis.oversold_units.to_string()),
        ("dead letters", kpis.dead_letters.to_string()),
    ];
    for (name, value) in rows {
        orders.add_row(vec![Cell::new(name), Cell::new(value).set_alignment(CellAlignment::Right)]);
    }
    println!("{orders}");
    println!("cycle times in simulated hours (placed → delivered); shares over delivered orders");
    println!();

    let mut systems = table(&["system", "uptime", "sync p50", "sync p99", "deliveries", "dead letters"]);
    for s in &kpis.systems {
        let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
        systems.add_row(vec![
            Cell::new(&s.name),
            right(format!("{:.1}%", s.uptime * 100.0)),
            right(ms(s.sync_latency_ms.map(|q| q.p50))),
            right(ms(s.sync_latency_ms.map(|q| q.p99))),
            right(s.deliveries.to_string()),
            right(s.dead_letters.to_string()),
        ]);
    }
    println!("{systems}");
    println!(
        "sync latency: event committed → acknowledged (real time); uptime: one-minute windows with every delivery \
         acknowledged within {}",
        ms(Some(kpis.sync_budget_ms as f64))
    );
    println!();

    let o = &story.outage;
    println!(
        "run: {} events, {:.0} simulated hours in {:.1} s (seed {}, time factor {}); {} split shipments, {} orders \
         cancelled ({} in part), {} backorders filled later, {} returns in store, {} shipments from stores, {} cycle counts",
        story.events,
        story.simulated_hours,
        story.wall_seconds,
        story.seed,
        story.time_factor,
        story.split_shipments,
        story.cancelled_orders,
        story.partly_cancelled_orders,
        story.backorders_filled,
        story.returns_in_store,
        story.store_shipments,
        story.inventory_counts,
    );
    println!(
        "outage: {} down from simulated hour {:.1} for {:.1} h; the hub retried {} deliveries to it, delivered {}, \
         dead-lettered {}; {} webhooks delivered in all",
        o.system, o.start_hour, o.hours, o.retried, o.delivered, o.dead_letters, story.webhooks_delivered
    );
    let b = &story.b2b;
    if let Some(p) = &b.partner {
        println!(
            "B2B partner (EDI): {} purchase orders sent as 850s ({} refused); back: {} 997s, {} 855s; {} orders \
             shipped ({} in full) in {} 856s, {} invoiced in {} 810s; overdue: {} 855, {} 856, {} 810; on the hub: \
             {} orders, {} delivered, {} cancelled",
            p.purchase_orders_sent,
            p.purchase_orders_refused,
            p.acknowledged_997,
            p.acknowledged_855,
            p.shipped,
            p.shipped_complete,
            p.ship_notices,
            p.invoiced,
            p.invoices,
            p.overdue_855,
            p.overdue_856,
            p.overdue_810,
            b.orders,
            b.delivered,
            b.cancelled,
        );
    }
    let t = &story.threepl;
    if let Some(r) = &t.report {
        println!(
            "3PL (EDI): {} 940s received, {} 945s and {} 846s accepted by the hub; {} shipments and {} counts \
             from its warehouse on the hub",
            r.shipping_orders, r.shipping_advices, r.inventory_advices, t.shipments, t.counts
        );
    }
    if story.orders_failed > 0 {
        println!("{} orders could not be placed", story.orders_failed);
    }
}
