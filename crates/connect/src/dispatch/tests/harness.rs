//! Databases, orders and dispatchers for the dispatcher tests.

use crate::dispatch::{DispatchOptions, DispatchSubscription, DispatchSystem, Dispatcher, RetryPolicy};
use crate::transport::{HttpTransport, HttpTransportConfig};
use crossdock_model::{Command, OrderId};
use crossdock_store::{CommandRequest, Store};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub use crossdock_store::testing::TestDb;

pub fn sqlite() -> TestDb {
    crossdock_store::testing::sqlite().expect("temporary folder")
}

/// `None` (the test is skipped) unless `CROSSDOCK_TEST_PG_URL` is set.
pub async fn postgres() -> Option<TestDb> {
    let db = crossdock_store::testing::postgres().await.expect("a fresh schema on CROSSDOCK_TEST_PG_URL");
    if db.is_none() {
        println!("skipping: CROSSDOCK_TEST_PG_URL not set");
    }
    db
}

fn place(id: &str) -> Command {
    Command::PlaceOrder(crossdock_store::testing::sample_order(id, &[("SKU-1", 1)]))
}

/// Per order: placed, then `holds` × (held, hold released): `1 + 2·holds` events.
pub async fn seed_orders(store: &dyn Store, prefix: &str, orders: usize, holds: usize) {
    let mut requests = Vec::new();
    let request = |key: String, command| CommandRequest {
        idempotency_key: key,
        command,
        actor: "test".into(),
        expected_version: None,
        origin: Default::default(),
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
        Self::start_with(store, systems, subscriptions, options(owner))
    }

    pub fn start_with(
        store: Arc<dyn Store>,
        systems: Vec<DispatchSystem>,
        subscriptions: Vec<DispatchSubscription>,
        options: DispatchOptions,
    ) -> Self {
        let dispatcher = Dispatcher::new(store, systems, subscriptions, options).unwrap();
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
