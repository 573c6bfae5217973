//! `Retry-After` and the circuit breaker, end to end against a loopback receiver.

use super::harness::{Running, eventually, http_system, seed_orders, sqlite};
use super::receiver::{Behaviour, Receiver};
use crate::dispatch::{CircuitState, DispatchSubscription};
use std::collections::HashMap;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retry_after_is_honoured() {
    let db = sqlite();
    let store = db.open_store().await;
    seed_orders(store.as_ref(), "ra", 3, 0).await;
    let receiver = Receiver::start(Behaviour { retry_after_first: Some(1), ..Behaviour::default() }, 5).await;
    // Backoff alone would retry after 10–100 ms.
    let systems = vec![http_system("erp", &receiver.url, Duration::from_secs(2))];
    let running = Running::start(store.clone(), systems, vec![DispatchSubscription::new("erp", "erp", &["*"])], "ra");
    eventually(Duration::from_secs(15), "all three are delivered", || async { receiver.keys().len() == 3 }).await;
    running.stop().await;
    let log = receiver.log.lock().unwrap();
    let mut attempts: HashMap<&str, Vec<Instant>> = HashMap::new();
    for (key, at) in &log.requests {
        attempts.entry(key.as_str()).or_default().push(*at);
    }
    assert_eq!(attempts.len(), 3);
    for (key, times) in attempts {
        assert_eq!(times.len(), 2, "{key}: one refusal, one success");
        let waited = times[1] - times[0];
        assert!(waited >= Duration::from_millis(950) && waited < Duration::from_secs(4), "{key} waited {waited:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_circuit_opens_then_half_opens_with_one_probe() {
    let db = sqlite();
    let store = db.open_store().await;
    seed_orders(store.as_ref(), "cb", 20, 0).await;
    let receiver = Receiver::start(Behaviour { down: true, ..Behaviour::default() }, 6).await;
    let mut system = http_system("wms", &receiver.url, Duration::from_secs(1));
    system.breaker.failure_threshold = 3;
    system.breaker.cool_down = Duration::from_millis(400);
    system.max_in_flight = 4;
    system.batch_size = 1;
    let running =
        Running::start(store.clone(), vec![system], vec![DispatchSubscription::new("wms", "wms", &["*"])], "cb");
    eventually(Duration::from_secs(10), "the circuit opens", || async {
        running.dispatcher.systems()[0].circuit == CircuitState::Open
    })
    .await;
    let opened = receiver.log.lock().unwrap().requests.len();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let during = receiver.log.lock().unwrap().requests.len() - opened;
    // Without the breaker, 20 deliveries retried every 10–100 ms would make hundreds of requests; open, it
    // lets one probe through per 400 ms cool-down.
    assert!((1..=8).contains(&during), "{during} requests while the circuit was open");
    assert_eq!(receiver.keys().len(), 0);
    receiver.set(|b| b.down = false);
    // The receiver notes a request as it arrives, the dispatcher counts it once the answer is back: wait for
    // both, or the last answers may still be on their way.
    eventually(Duration::from_secs(15), "a probe succeeds and everything is delivered", || async {
        receiver.keys().len() == 20 && running.dispatcher.systems()[0].delivered >= 20
    })
    .await;
    let status = &running.dispatcher.systems()[0];
    assert_eq!((status.circuit, status.name.as_str(), status.kind), (CircuitState::Closed, "wms", "http"));
    assert!(status.retried >= 3 && status.deferred > 0 && status.delivered >= 20, "{status:?}");
    eventually(Duration::from_secs(10), "every outcome is recorded", || async {
        store.delivery_stats().await.unwrap()[0].pending == 0
    })
    .await;
    let stats = &store.delivery_stats().await.unwrap()[0];
    assert_eq!((stats.delivered, stats.dead, stats.pending), (20, 0, 0));
    assert!(stats.last_error.as_deref().is_some_and(|e| e.contains("500")), "{stats:?}");
    running.stop().await;
}
