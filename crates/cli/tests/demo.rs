//! The real binary: `crossdock demo --orders 200 --exit --json --seed 7` in a temporary folder, within a
//! bounded time, and the JSON report it prints.

use serde_json::Value;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest the demo may take on a loaded machine.
const LIMIT: Duration = Duration::from_secs(300);
/// The demo's own timeout: it reports what there is after this long.
const TIMEOUT_SECS: u64 = 240;

/// Runs the demo in `dir`; returns its exit status, stdout and stderr, or panics after [`LIMIT`].
fn run_demo(dir: &std::path::Path, seed: &str) -> (std::process::ExitStatus, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crossdock"))
        .current_dir(dir)
        .args(["demo", "--orders", "200", "--exit", "--json", "--seed", seed, "--listen", "127.0.0.1:0"])
        // The demo reports what there is after this long, before the test gives up on it.
        .args(["--timeout-secs", &TIMEOUT_SECS.to_string()])
        .env("CROSSDOCK_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn crossdock demo");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("crossdock demo took longer than {LIMIT:?}; stderr:\n{}", err.join().unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    (status, out.join().unwrap_or_default(), err.join().unwrap_or_default())
}

fn share(report: &Value, key: &str) -> f64 {
    let value = report[key].as_f64().unwrap_or_else(|| panic!("{key} is not a number: {report}"));
    assert!((0.0..=1.0).contains(&value), "{key} = {value}");
    value
}

#[test]
fn demo_runs_orders_through_their_whole_life_and_reports_kpis() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (status, stdout, stderr) = run_demo(dir.path(), "7");
    assert!(status.success(), "demo failed: {status}\nstderr:\n{stderr}\nstdout:\n{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"));
    let context = format!("{report:#}\nstderr:\n{stderr}");

    assert_eq!(report["orders_placed"], 200, "{context}");
    let delivered = report["orders_delivered"].as_u64().expect("orders_delivered");
    assert!(delivered > 0, "{context}");
    let finished = delivered + report["orders_cancelled"].as_u64().unwrap_or(0);
    assert_eq!(finished, 200, "every order is delivered or cancelled: {context}");
    assert!(!stderr.contains("not every order finished"), "{context}");
    // The demo ends when the last order does, well before the timeout it was given.
    let wall = report["demo"]["wall_seconds"].as_f64().expect("wall_seconds");
    assert!(wall < TIMEOUT_SECS as f64 / 2.0, "took {wall:.0} s of its {TIMEOUT_SECS} s: {context}");
    assert_eq!(report["oversold_units"], 0, "{context}");
    let accuracy = share(&report, "order_accuracy");
    assert!(accuracy > 0.5, "{context}");
    share(&report, "inventory_accuracy");
    share(&report, "share_under_24h");
    let cycle = &report["fulfilment_cycle_hours"];
    let (p50, p90, p99) = (cycle["p50"].as_f64(), cycle["p90"].as_f64(), cycle["p99"].as_f64());
    let (p50, p90, p99) = (p50.expect("p50"), p90.expect("p90"), p99.expect("p99"));
    assert!(0.0 < p50 && p50 <= p90 && p90 <= p99, "{context}");
    assert!(p50 > 1.0, "cycle times are in simulated hours: {context}");
    assert!(report["dead_letters"].as_u64().is_some(), "{context}");

    let systems = report["systems"].as_array().expect("systems");
    let names: Vec<&str> = systems.iter().filter_map(|s| s["name"].as_str()).collect();
    for expected in ["crm", "erp", "marketplace", "pos", "tms", "web_store", "wms"] {
        assert!(names.contains(&expected), "{expected} is listed: {context}");
    }
    for system in systems {
        let uptime = system["uptime"].as_f64().expect("uptime");
        assert!((0.0..=1.0).contains(&uptime), "{context}");
        let latency = &system["sync_latency_ms"];
        if system["deliveries"] == 0 {
            assert_eq!(*latency, Value::Null, "no delivery, no latency: {context}");
            continue;
        }
        assert!(latency["p50"].as_f64().is_some_and(|ms| ms >= 0.0), "{context}");
        assert!(latency["p99"].as_f64() >= latency["p50"].as_f64(), "{context}");
    }
    let demo = &report["demo"];
    assert_eq!(demo["seed"], 7, "{context}");
    assert_eq!(demo["outage"]["system"], "erp", "{context}");
    assert!(demo["outage"]["retried"].as_u64().is_some_and(|n| n > 0), "the hub retried through the outage: {context}");
    // The B2B partner: 5% of the orders as 850s, each acknowledged by a 997 and an 855; what shipped came
    // with 856s and 810s; the hub's log has the orders on the partner's channel.
    let b2b = &demo["b2b"];
    let partner = &b2b["partner"];
    let n = |v: &Value, key: &str| v[key].as_u64().unwrap_or_else(|| panic!("{key} is not a count: {context}"));
    assert_eq!(n(partner, "purchase_orders_sent"), 10, "{context}");
    assert_eq!(n(partner, "purchase_orders_refused"), 0, "{context}");
    assert_eq!(n(partner, "acknowledged_997"), 10, "{context}");
    assert_eq!(n(partner, "acknowledged_855"), 10, "{context}");
    assert_eq!(n(b2b, "orders"), 10, "{context}");
    let shipped_on_hub = n(b2b, "orders") - n(b2b, "cancelled");
    assert!(shipped_on_hub > 0 && n(partner, "shipped") >= shipped_on_hub, "an 856 per shipped order: {context}");
    assert_eq!(n(partner, "invoices"), n(partner, "ship_notices"), "an 810 per 856: {context}");
    assert_eq!(n(partner, "overdue_855") + n(partner, "overdue_810"), 0, "{context}");
    // The 3PL: 940s in, 945s back that the hub recorded as shipments from its warehouse, 846 counts.
    let threepl = &demo["threepl"];
    assert!(n(&threepl["report"], "shipping_orders") > 0, "{context}");
    assert!(n(&threepl["report"], "shipping_advices") > 0, "{context}");
    assert_eq!(n(threepl, "shipments"), n(&threepl["report"], "shipping_advices"), "{context}");
    assert!(n(&threepl["report"], "inventory_advices") > 0 && n(threepl, "counts") > 0, "{context}");
    assert!(dir.path().join("crossdock-demo").join("crossdock.db").exists(), "the working folder holds the store");
    assert!(!stdout.contains("cdk_"), "with --exit no key is printed");
}
