//! `/metrics` in the Prometheus text format (version 0.0.4): per connected system, deliveries by state,
//! attempts and a latency histogram of this process, lag, age of the oldest undelivered event, circuit
//! state and dead letters; and the KPIs of `GET /v1/kpis` over the whole log (gauges, and a histogram of the
//! fulfilment cycle time). Rendered from [`crate::overview`] and the KPI fold on each scrape; no global
//! registry, so every app (and every test in one process) exposes its own figures.

use crate::handlers::KpiResponse;
use crate::overview::SystemView;
use std::fmt::Write;

/// The media type of the exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A label value with `\`, `"` and line breaks escaped.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The whole exposition for `systems` and the head of the event log.
pub fn render(systems: &[SystemView], head_seq: i64) -> String {
    let mut out = String::with_capacity(4096);
    header(&mut out, "crossdock_event_log_head_seq", "gauge", "Sequence number of the last event in the log.");
    let _ = writeln!(out, "crossdock_event_log_head_seq {head_seq}");

    header(
        &mut out,
        "crossdock_deliveries",
        "gauge",
        "Deliveries per system by state (pending, delivered, dead, discarded), all processes.",
    );
    for s in systems {
        let name = label(&s.name);
        for (state, n) in
            [("pending", s.pending), ("delivered", s.delivered), ("dead", s.dead_letters), ("discarded", s.discarded)]
        {
            let _ = writeln!(out, "crossdock_deliveries{{system=\"{name}\",state=\"{state}\"}} {n}");
        }
    }

    header(&mut out, "crossdock_dead_letters", "gauge", "Dead letters waiting per system.");
    for s in systems {
        let _ = writeln!(out, "crossdock_dead_letters{{system=\"{}\"}} {}", label(&s.name), s.dead_letters);
    }

    header(
        &mut out,
        "crossdock_delivery_attempts_total",
        "counter",
        "Delivery attempts by this process since it started, by outcome (delivered = succeeded; retried and dead = failed).",
    );
    for s in systems {
        let Some(a) = s.attempts else { continue };
        let name = label(&s.name);
        for (outcome, n) in
            [("delivered", a.delivered), ("retried", a.retried), ("dead", a.dead), ("deferred", a.deferred)]
        {
            let _ = writeln!(out, "crossdock_delivery_attempts_total{{system=\"{name}\",outcome=\"{outcome}\"}} {n}");
        }
    }

    header(&mut out, "crossdock_deliveries_in_flight", "gauge", "Deliveries being sent by this process.");
    for s in systems {
        if let Some(a) = s.attempts {
            let _ = writeln!(out, "crossdock_deliveries_in_flight{{system=\"{}\"}} {}", label(&s.name), a.in_flight);
        }
    }

    header(
        &mut out,
        "crossdock_delivery_latency_seconds",
        "histogram",
        "Sync latency, event committed to acknowledged by the system, of deliveries by this process.",
    );
    for s in systems {
        let Some(latency) = &s.latency else { continue };
        let name = label(&s.name);
        for (bound_ms, count) in &latency.buckets {
            let le = *bound_ms as f64 / 1000.0;
            let _ = writeln!(out, "crossdock_delivery_latency_seconds_bucket{{system=\"{name}\",le=\"{le}\"}} {count}");
        }
        let _ = writeln!(
            out,
            "crossdock_delivery_latency_seconds_bucket{{system=\"{name}\",le=\"+Inf\"}} {}",
            latency.count
        );
        let _ = writeln!(
            out,
            "crossdock_delivery_latency_seconds_sum{{system=\"{name}\"}} {}",
            latency.sum_ms as f64 / 1000.0
        );
        let _ = writeln!(out, "crossdock_delivery_latency_seconds_count{{system=\"{name}\"}} {}", latency.count);
    }

    header(
        &mut out,
        "crossdock_system_lag_events",
        "gauge",
        "Events not yet examined by the system's slowest subscription (head sequence minus cursor).",
    );
    for s in systems {
        let _ = writeln!(out, "crossdock_system_lag_events{{system=\"{}\"}} {}", label(&s.name), s.lag);
    }

    header(
        &mut out,
        "crossdock_oldest_undelivered_age_seconds",
        "gauge",
        "Age of the oldest event not yet delivered to the system (0 when none).",
    );
    for s in systems {
        let age = s.oldest_undelivered_age_secs.unwrap_or(0.0);
        let _ = writeln!(out, "crossdock_oldest_undelivered_age_seconds{{system=\"{}\"}} {age}", label(&s.name));
    }

    header(
        &mut out,
        "crossdock_circuit_state",
        "gauge",
        "1 for the system's current circuit state (closed, open, half_open) in this process.",
    );
    for s in systems {
        let Some(circuit) = &s.circuit else { continue };
        let name = label(&s.name);
        for state in ["closed", "open", "half_open"] {
            let on = u8::from(circuit == state);
            let _ = writeln!(out, "crossdock_circuit_state{{system=\"{name}\",state=\"{state}\"}} {on}");
        }
    }

    header(
        &mut out,
        "crossdock_last_success_timestamp_seconds",
        "gauge",
        "Unix time of the system's last acknowledged delivery.",
    );
    for s in systems {
        if let Some(at) = s.last_success_at {
            let secs = at.timestamp_millis() as f64 / 1000.0;
            let _ = writeln!(out, "crossdock_last_success_timestamp_seconds{{system=\"{}\"}} {secs}", label(&s.name));
        }
    }
    out
}

/// Upper bounds of the fulfilment cycle-time histogram buckets, in hours.
const CYCLE_BUCKET_HOURS: [f64; 12] = [1.0, 2.0, 4.0, 8.0, 12.0, 24.0, 36.0, 48.0, 72.0, 120.0, 168.0, 336.0];

fn optional_gauge(out: &mut String, name: &str, help: &str, value: Option<f64>) {
    header(out, name, "gauge", help);
    if let Some(v) = value {
        let _ = writeln!(out, "{name} {v}");
    }
}

/// The KPI section: `kpis` is the report over the whole log (its systems over the last hour) and
/// `cycle_hours` the placed → delivered hours of its delivered orders. Shares that measured nothing (null in
/// the report) have no sample, nor do the latencies of a system without deliveries.
pub fn render_kpis(kpis: &KpiResponse, cycle_hours: &[f64]) -> String {
    let mut out = String::with_capacity(2048);
    header(
        &mut out,
        "crossdock_kpi_orders",
        "gauge",
        "Orders by how far they got (placed, shipped, delivered, cancelled).",
    );
    for (state, n) in [
        ("placed", kpis.orders_placed),
        ("shipped", kpis.orders_shipped),
        ("delivered", kpis.orders_delivered),
        ("cancelled", kpis.orders_cancelled),
    ] {
        let _ = writeln!(out, "crossdock_kpi_orders{{state=\"{state}\"}} {n}");
    }

    header(
        &mut out,
        "crossdock_kpi_fulfilment_cycle_seconds",
        "histogram",
        "Fulfilment cycle time, order placed to every shipment delivered (business time), of delivered orders.",
    );
    for bound in CYCLE_BUCKET_HOURS {
        let n = cycle_hours.iter().filter(|h| **h <= bound).count();
        let _ = writeln!(out, "crossdock_kpi_fulfilment_cycle_seconds_bucket{{le=\"{}\"}} {n}", bound * 3600.0);
    }
    let _ = writeln!(out, "crossdock_kpi_fulfilment_cycle_seconds_bucket{{le=\"+Inf\"}} {}", cycle_hours.len());
    let _ = writeln!(out, "crossdock_kpi_fulfilment_cycle_seconds_sum {}", cycle_hours.iter().sum::<f64>() * 3600.0);
    let _ = writeln!(out, "crossdock_kpi_fulfilment_cycle_seconds_count {}", cycle_hours.len());

    optional_gauge(
        &mut out,
        "crossdock_kpi_share_under_24h",
        "Share of delivered orders delivered within 24 hours of being placed.",
        kpis.share_under_24h,
    );
    optional_gauge(
        &mut out,
        "crossdock_kpi_order_accuracy",
        "Delivered orders shipped exactly as ordered with no return for a fulfilment error, over delivered orders.",
        kpis.order_accuracy,
    );
    optional_gauge(
        &mut out,
        "crossdock_kpi_inventory_accuracy",
        "Counted sku-locations whose last count equalled the hub's on-hand, over counted sku-locations.",
        kpis.inventory_accuracy,
    );
    optional_gauge(
        &mut out,
        "crossdock_kpi_inventory_unit_accuracy",
        "One minus the units the hub was off by over the units counted, at the last count of each sku-location.",
        kpis.inventory_unit_accuracy,
    );
    header(&mut out, "crossdock_kpi_oversold_units", "gauge", "Units reserved beyond the stock on hand.");
    let _ = writeln!(out, "crossdock_kpi_oversold_units {}", kpis.oversold_units);

    header(
        &mut out,
        "crossdock_kpi_system_uptime",
        "gauge",
        "Share of one-minute windows of the last hour in which every due delivery to the system was acknowledged \
         within the budget (1 when none was due).",
    );
    for s in &kpis.systems {
        let _ = writeln!(out, "crossdock_kpi_system_uptime{{system=\"{}\"}} {}", label(&s.name), s.uptime);
    }
    header(
        &mut out,
        "crossdock_kpi_sync_latency_seconds",
        "gauge",
        "Sync latency quantiles, event committed to acknowledged by the system, over the deliveries of events \
         committed in the last hour (no sample without an acknowledged one).",
    );
    for s in &kpis.systems {
        let Some(q) = s.sync_latency_ms else { continue };
        let name = label(&s.name);
        for (quantile, ms) in [("0.5", q.p50), ("0.9", q.p90), ("0.99", q.p99)] {
            let secs = ms / 1000.0;
            let _ =
                writeln!(out, "crossdock_kpi_sync_latency_seconds{{system=\"{name}\",quantile=\"{quantile}\"}} {secs}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn label_values_are_escaped() {
        assert_eq!(super::label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
