//! Databases, orders and dispatchers for the dispatcher tests.

use crate::dispatch::{DispatchOptions, DispatchSubscription, DispatchSystem, Dispatcher, RetryPolicy};
use crate::transport::{HttpTransport, HttpTransportConfig};
use crossdock_model::{
    Address, ChannelId, Command, Country, Currency, ExternalId, LineId, Money, NewOrderLine, OrderId, PlaceOrder,
    Quantity, Sku,
};
use crossdock_store::{CommandRequest, Store};
use sqlx::Connection;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A database for one test: a temporary SQLite file, or a fresh PostgreSQL schema dropped at the end.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn open(&self) -> Arc<dyn Store> {
        crossdock_store::open(&self.url).await.unwrap_or_else(|e| panic!("opening {}: {e}", self.url))
    }
}

pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("hub.db").display());
    TestDb { url, _dir: Some(dir), pg: None }
}

/// `None` (the test is skipped) unless `CROSSDOCK_TEST_PG_URL` is set.
pub async fn postgres() -> Option<TestDb> {
    let Ok(base) = std::env::var("CROSSDOCK_TEST_PG_URL") else {
        println!("skipping: CROSSDOCK_TEST_PG_URL not set");
        return None;
    };
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let schema = format!("d_{}_{}_{}", std::process::id(), nanos, COUNTER.fetch_add(1, Ordering::Relaxed));
    let mut conn = sqlx::PgConnection::connect(&base).await.expect("connect to CROSSDOCK_TEST_PG_URL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut conn).await.unwrap();
    conn.close().await.ok();
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
    Some(TestDb { url, _dir: None, pg: Some((base, schema)) })
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, schema)) = self.pg.take() else { return };
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&base).await {
                    let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

fn place(id: &str) -> Command {
    Command::PlaceOrder(PlaceOrder {
        id: OrderId::new(id).unwrap(),
        channel: ChannelId::new("web").unwrap(),
        external_id: ExternalId::new(format!("ext-{id}")).unwrap(),
        customer: None,
        ship_to: Address {
            name: "Ada Lovelace".into(),
            line1: "1 Main St".into(),
            line2: None,
            city: "Springfield".into(),
            region: Some("IL".into()),
            postal_code: "62701".into(),
            country: Country::US,
        },
        bill_to: None,
        currency: Currency::USD,
        shipping: None,
        lines: vec![NewOrderLine {
            id: LineId::new("1").unwrap(),
            sku: Sku::new("SKU-1").unwrap(),
            quantity: Quantity::new(1).unwrap(),
            unit_price: Money::new(1999, Currency::USD),
        }],
        placed_at: chrono::Utc::now(),
        sourcing: Default::default(),
    })
}

/// Per order: placed, then `holds` × (held, hold released): `1 + 2·holds` events.
pub async fn seed_orders(store: &dyn Store, prefix: &str, orders: usize, holds: usize) {
    let mut requests = Vec::new();
    let request = |key: String, command| CommandRequest {
        idempotency_key: key,
        command,
        actor: "test".into(),
        expected_version: None,
    };
    for o in 0..orders {
        let id = format!("{prefix}-{o}");
        requests.push(request(format!("{id}:place"), place(&id)));
    }
    for h in 0..holds {
        for o in 0..orders {
            let id = OrderId::new(format!("{prefix}-{o}")).unwrap();
            let hold = Command::HoldOrder { order_id: id.clone(), reason: "check".into() };
            requests.push(request(format!("{prefix}-{o}:hold:{h}"), hold));
            requests.push(request(format!("{prefix}-{o}:release:{h}"), Command::ReleaseHold { order_id: id }));
        }
    }
    for outcome in store.submit_batch(requests).await {
        outcome.unwrap();
    }
}

/// A signed webhook system with fast retries.
pub fn http_system(name: &str, url: &str, timeout: Duration) -> DispatchSystem {
    let mut config = HttpTransportConfig::new(url);
    config.timeout = timeout;
    config.signing_key = Some(crate::signature::SigningKey::parse(SECRET).unwrap());
    let mut system = DispatchSystem::new(name, Arc::new(HttpTransport::new(config).unwrap()));
    system.retry = RetryPolicy {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(100),
        max_attempts: 1_000,
        max_age: None,
    };
    system.breaker.failure_threshold = 1_000;
    system
}

pub fn options(owner: &str) -> DispatchOptions {
    DispatchOptions { owner: owner.into(), poll_interval: Duration::from_millis(20), ..DispatchOptions::default() }
}

/// A dispatcher running on its own task until the returned sender is used (or dropped).
pub struct Running {
    pub dispatcher: Dispatcher,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Running {
    pub fn start(
        store: Arc<dyn Store>,
        systems: Vec<DispatchSystem>,
        subscriptions: Vec<DispatchSubscription>,
        owner: &str,
    ) -> Self {
        let dispatcher = Dispatcher::new(store, systems, subscriptions, options(owner)).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let runner = dispatcher.clone();
        let task = tokio::spawn(async move {
            runner
                .run(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self { dispatcher, stop: Some(stop), task }
    }

    /// Stops it and waits (at most 10 s) for in-flight work to be recorded.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(10), &mut self.task).await.expect("dispatcher stops").unwrap();
    }
}

/// Polls `check` every 20 ms until it holds; panics with `what` after `limit`.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out after {limit:?} waiting until {what}");
}
