//! The webhook endpoint every system shares (exercised through the ERP): signatures, dedupe, bodies, and the
//! injected faults — error rate, latency, refusing and timing-out outages on the simulated clock.

use super::fake_hub::{FakeHub, released_order};
use super::{clock, context, envelope, post_signed, secret};
use crossdock_sim::catalog::default_sites;
use crossdock_sim::faults::{FaultConfig, Outage, OutageMode};
use crossdock_sim::systems::erp::Erp;
use crossdock_sim::systems::{RunningSystem, start_system};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn erp(hub: &FakeHub, clock: &crossdock_sim::SimClock, faults: FaultConfig) -> (Arc<Erp>, RunningSystem) {
    let erp = Arc::new(Erp::new(context("erp", hub, clock, faults), Arc::new(default_sites())));
    let running = start_system(erp.clone(), secret(1)).await.unwrap();
    (erp, running)
}

fn placed(seq: i64, id: &str) -> Value {
    envelope(seq, id, json!({"type": "order.placed", "order": released_order(id, &[("1", "SKU-1", 2)], None, "10001")}))
}

#[tokio::test]
async fn signed_events_are_taken_once_and_bad_ones_refused() {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let (erp, running) = erp(&hub, &clock, FaultConfig::default()).await;
    let url = running.webhook_url();
    let event = placed(1, "o1");

    let first = post_signed(&url, &running.secret, "evt-1", &event).await;
    assert_eq!(first.status(), 200);
    assert_eq!(erp.document_number("o1").as_deref(), Some("SO-0000001"));
    let again = post_signed(&url, &running.secret, "evt-1", &event).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["duplicate"], true);

    assert_eq!(post_signed(&url, &secret(2), "evt-2", &event).await.status(), 401, "signed with another secret");
    let unsigned = crossdock_sim::new_http_client().post(&url).json(&event).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    let body = event.to_string();
    let mut tampered = crossdock_sim::new_http_client().post(&url).header("content-type", "application/json");
    for (name, value) in running.secret.headers("evt-3", crossdock_sim::webhook::unix_now(), b"{}") {
        tampered = tampered.header(name, value);
    }
    assert_eq!(tampered.body(body).send().await.unwrap().status(), 401, "signature over another body");
    let stale_ts = crossdock_sim::webhook::unix_now() - 3600;
    let bytes = event.to_string().into_bytes();
    let mut stale = crossdock_sim::new_http_client().post(&url);
    for (name, value) in running.secret.headers("evt-4", stale_ts, &bytes) {
        stale = stale.header(name, value);
    }
    assert_eq!(stale.body(bytes).send().await.unwrap().status(), 401, "outside the replay window");

    let not_an_event = post_signed(&url, &running.secret, "evt-5", &json!({"hello": "world"})).await;
    assert_eq!(not_an_event.status(), 400);

    let stats = erp_stats(&running);
    assert_eq!(
        (stats.webhooks_accepted, stats.webhooks_duplicate, stats.webhooks_bad_signature, stats.webhooks_bad_body),
        (1, 1, 4, 1)
    );
    assert_eq!(erp.order_count(), 1);
    assert!(hub.requests().is_empty(), "the ERP sends nothing for a placed order");
    running.stop().await;
}

fn erp_stats(running: &RunningSystem) -> crossdock_sim::stats::StatsSnapshot {
    running.system.context().stats.snapshot()
}

#[tokio::test]
async fn the_error_rate_answers_500_and_the_event_is_not_taken() {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let (erp, running) = erp(&hub, &clock, FaultConfig { error_rate: 1.0, ..Default::default() }).await;
    let response = post_signed(&running.webhook_url(), &running.secret, "evt-1", &placed(1, "o1")).await;
    assert_eq!(response.status(), 500);
    assert_eq!(erp.order_count(), 0);
    assert_eq!(erp_stats(&running).injected_errors, 1);
    running.stop().await;

    let (erp, running) = erp_half(&hub, &clock).await;
    let mut errors = 0;
    for i in 0..200 {
        let r =
            post_signed(&running.webhook_url(), &running.secret, &format!("e{i}"), &placed(i, &format!("o{i}"))).await;
        if r.status() == 500 {
            errors += 1;
        }
    }
    assert!((60..140).contains(&errors), "{errors} of 200 failed at a 50% error rate");
    assert_eq!(erp.order_count(), 200 - errors);
    running.stop().await;
}

async fn erp_half(hub: &FakeHub, clock: &crossdock_sim::SimClock) -> (Arc<Erp>, RunningSystem) {
    erp(hub, clock, FaultConfig { error_rate: 0.5, ..Default::default() }).await
}

#[tokio::test]
async fn latency_is_added_to_every_answer() {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let (_erp, running) = erp(&hub, &clock, FaultConfig { latency_ms: 150, ..Default::default() }).await;
    let started = Instant::now();
    let response = post_signed(&running.webhook_url(), &running.secret, "evt-1", &placed(1, "o1")).await;
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    running.stop().await;
}

#[tokio::test]
async fn a_refusing_outage_closes_connections_until_it_ends() {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let outage = Outage { start_hour: 0.0, hours: 2.0, mode: OutageMode::Refuse };
    let (erp, running) = erp(&hub, &clock, FaultConfig { outages: vec![outage], ..Default::default() }).await;
    let during = crossdock_sim::new_http_client().post(running.webhook_url()).json(&placed(1, "o1")).send().await;
    assert!(during.is_err() || during.is_ok_and(|r| r.status() == 503), "refused during the outage");
    assert_eq!(erp.order_count(), 0);
    assert!(erp_stats(&running).outage_refused >= 1);
    clock.advance(chrono::TimeDelta::hours(3));
    let after = post_signed(&running.webhook_url(), &running.secret, "evt-1", &placed(1, "o1")).await;
    assert_eq!(after.status(), 200);
    assert_eq!(erp.order_count(), 1);
    running.stop().await;
}

#[tokio::test]
async fn a_timing_out_outage_holds_requests_past_the_callers_timeout() {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let outage = Outage { start_hour: 0.0, hours: 1.0, mode: OutageMode::Timeout };
    let (erp, running) = erp(&hub, &clock, FaultConfig { outages: vec![outage], ..Default::default() }).await;
    crossdock_sim::install_crypto_provider();
    let client = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    let during = client.post(running.webhook_url()).json(&placed(1, "o1")).send().await;
    assert!(during.is_err_and(|e| e.is_timeout()));
    assert_eq!(erp_stats(&running).outage_timeouts, 1);
    clock.advance(chrono::TimeDelta::hours(2));
    let after = post_signed(&running.webhook_url(), &running.secret, "evt-1", &placed(1, "o1")).await;
    assert_eq!(after.status(), 200);
    assert_eq!(erp.order_count(), 1);
    running.stop().await;
}
