//! `/metrics` in the Prometheus text format (version 0.0.4): per connected system, deliveries by state,
//! attempts and a latency histogram of this process, lag, age of the oldest undelivered event, circuit
//! state and dead letters. Rendered from [`crate::overview`] on each scrape; no global registry.

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

#[cfg(test)]
mod tests {
    #[test]
    fn label_values_are_escaped() {
        assert_eq!(super::label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
