//! A quick check of the group-commit writer's throughput: many tasks place orders through one store.
//!
//! `cargo run --release -p crossdock-store --example ingest -- [URL|sqlite] [ORDERS] [CONCURRENCY]`

use chrono::Utc;
use crossdock_model::{
    ChannelId, Command, Currency, ExternalId, LineId, Money, NewOrderLine, OrderId, PlaceOrder, Quantity, Sku,
};
use crossdock_store::CommandRequest;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

fn order(n: usize) -> Command {
    let line = |i: usize, sku: &str| NewOrderLine {
        id: LineId::new(i.to_string()).unwrap(),
        sku: Sku::new(sku).unwrap(),
        quantity: Quantity::new(2).unwrap(),
        unit_price: Money::new(1999, Currency::USD),
    };
    Command::PlaceOrder(PlaceOrder {
        id: OrderId::new(format!("bench-{n}")).unwrap(),
        channel: ChannelId::new("web").unwrap(),
        external_id: ExternalId::new(format!("ext-{n}")).unwrap(),
        customer: None,
        ship_to: crossdock_store::testing::sample_address(),
        bill_to: None,
        currency: Currency::USD,
        shipping: None,
        tax_exempt_certificate: None,
        lines: vec![line(1, "SKU-1"), line(2, "SKU-2")],
        placed_at: Utc::now(),
        sourcing: Default::default(),
    })
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = tempfile::tempdir().unwrap();
    let url = match args.first().map(String::as_str) {
        None | Some("sqlite") => format!("sqlite://{}", dir.path().join("ingest.db").display()),
        Some(url) => url.to_string(),
    };
    let orders: usize = args.get(1).map_or(20_000, |a| a.parse().unwrap());
    let concurrency: usize = args.get(2).map_or(256, |a| a.parse().unwrap());
    let store = crossdock_store::open(&url).await.unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let run = Utc::now().timestamp_micros();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (store, next) = (store.clone(), next.clone());
        tasks.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= orders {
                    return;
                }
                let key = format!("bench:{run}:{n}");
                let request = CommandRequest {
                    idempotency_key: key,
                    command: order(n),
                    actor: "bench".into(),
                    expected_version: None,
                    origin: Default::default(),
                };
                store.submit(request).await.unwrap();
            }
        });
    }
    tasks.join_all().await;
    let elapsed = started.elapsed();
    println!(
        "{orders} orders, concurrency {concurrency}: {:.2} s, {:.0} orders/s",
        elapsed.as_secs_f64(),
        orders as f64 / elapsed.as_secs_f64()
    );
}
