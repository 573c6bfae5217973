//! A quick throughput figure, not a test of correctness: fan-out of N one-event orders to 5 webhook
//! receivers on loopback. Run with
//! `cargo test --release -p crossdock-connect --lib throughput -- --ignored --nocapture`
//! (`CROSSDOCK_BENCH_EVENTS`, `CROSSDOCK_BENCH_PG_URL` to use PostgreSQL instead of SQLite).

use super::harness::{Running, TestDb, http_system, seed_orders, sqlite};
use crate::dispatch::DispatchSubscription;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

async fn counting_receiver(count: Arc<AtomicUsize>) -> String {
    let router = Router::new().route(
        "/hook",
        post(move || {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::Relaxed);
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    url
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark; run on demand in release mode"]
async fn throughput_to_five_receivers() {
    let events: usize = std::env::var("CROSSDOCK_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let db = match std::env::var("CROSSDOCK_BENCH_PG_URL") {
        Ok(_) => {
            // SAFETY: set before any other thread of this test reads the environment.
            unsafe { std::env::set_var("CROSSDOCK_TEST_PG_URL", std::env::var("CROSSDOCK_BENCH_PG_URL").unwrap()) };
            super::harness::postgres().await.unwrap()
        }
        Err(_) => sqlite(),
    };
    run(db, events).await;
}

async fn run(db: TestDb, events: usize) {
    let store = db.open_store().await;
    let seeding = Instant::now();
    for chunk in 0..events.div_ceil(5_000) {
        seed_orders(store.as_ref(), &format!("b{chunk}"), 5_000.min(events - chunk * 5_000), 0).await;
    }
    println!("seeded {events} events in {:?}", seeding.elapsed());
    let count = Arc::new(AtomicUsize::new(0));
    let mut systems = Vec::new();
    let mut subscriptions = Vec::new();
    for i in 0..5 {
        let url = counting_receiver(count.clone()).await;
        let mut system = http_system(&format!("s{i}"), &url, Duration::from_secs(5));
        system.max_in_flight = 256;
        system.batch_size = 32;
        systems.push(system);
        subscriptions.push(DispatchSubscription::new(format!("sub{i}"), format!("s{i}"), &["*"]));
    }
    let started = Instant::now();
    let running = Running::start(store.clone(), systems, subscriptions, "bench");
    let total = events * 5;
    let deadline = Instant::now() + Duration::from_secs(600);
    while count.load(Ordering::Relaxed) < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sent = started.elapsed();
    // Then until every outcome is recorded.
    loop {
        let stats = store.delivery_stats().await.unwrap();
        let delivered: u64 = stats.iter().map(|s| s.delivered).sum();
        if delivered as usize >= total || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed();
    println!("all requests answered after {sent:.2?}");
    running.stop().await;
    let received = count.load(Ordering::Relaxed);
    println!(
        "{total} deliveries ({received} requests) to 5 receivers in {elapsed:.2?}: {:.0} deliveries/s",
        total as f64 / elapsed.as_secs_f64()
    );
    assert!(received >= total);
}

/// The store alone: claim and complete as fast as possible (no sends), to see where time goes.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark; run on demand in release mode"]
async fn store_claim_complete_rate() {
    let db = match std::env::var("CROSSDOCK_BENCH_PG_URL") {
        Ok(url) => {
            // SAFETY: set before any other thread of this test reads the environment.
            unsafe { std::env::set_var("CROSSDOCK_TEST_PG_URL", url) };
            super::harness::postgres().await.unwrap()
        }
        Err(_) => sqlite(),
    };
    let store = db.open_store().await;
    seed_orders(store.as_ref(), "c", 20_000, 0).await;
    let events = store.events_after(0, 10_000).await.unwrap();
    let mut all = events.clone();
    all.extend(store.events_after(events.last().unwrap().seq, 10_000).await.unwrap());
    let t = Instant::now();
    let deliveries: Vec<crossdock_store::NewDelivery> = all.iter().map(crossdock_store::NewDelivery::pending).collect();
    for i in 0..5 {
        let batch = crossdock_store::ScheduleBatch {
            subscription: format!("s{i}"),
            system: "x".into(),
            expected_cursor: 0,
            new_cursor: all.last().unwrap().seq,
            deliveries: deliveries.clone(),
            now: chrono::Utc::now(),
        };
        assert!(store.schedule(&batch).await.unwrap());
    }
    println!("scheduled 100000 in {:?}", t.elapsed());
    let (mut claim_time, mut complete_time, mut done) = (Duration::ZERO, Duration::ZERO, 0);
    loop {
        let t = Instant::now();
        let claimed = store.claim("me", Duration::from_secs(60), chrono::Utc::now(), 512).await.unwrap();
        claim_time += t.elapsed();
        if claimed.is_empty() {
            break;
        }
        let results: Vec<crossdock_store::DeliveryResult> = claimed
            .iter()
            .map(|c| crossdock_store::DeliveryResult {
                id: c.id,
                outcome: crossdock_store::DeliveryOutcome::Delivered { at: chrono::Utc::now(), latency_ms: 1 },
            })
            .collect();
        let t = Instant::now();
        done += store.complete("me", &results).await.unwrap();
        complete_time += t.elapsed();
    }
    println!("{done} claimed in {claim_time:?}, completed in {complete_time:?}");
}
