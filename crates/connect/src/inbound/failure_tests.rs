//! Inbound failures that must not lose a message: a NATS message failing for now however often (growing
//! nak delay, no delivery limit), a file name reused by a partner, a mapping that timed out.

use super::file::{FileOutcome, poll_once};
use super::nats::NatsInboundConfig;
use super::tests::{created_stream_consumer, inbox_of, publish_kept, wait_for};
use super::*;
use crate::config::NatsConsumerConfig;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn the_nak_delay_doubles_per_attempt_up_to_the_cap() {
    let consumer = created_stream_consumer("S", "s", 30_000, None);
    let config = NatsInboundConfig::new("erp", "nats://127.0.0.1:4222", &consumer, Duration::from_secs(2));
    let config = NatsInboundConfig { nak_delay: Duration::from_secs(5), ..config };
    let delays: Vec<u64> =
        [1, 2, 3, 6, 7, 1_000, u64::MAX].iter().map(|a| config.nak_delay_after(*a).as_secs()).collect();
    assert_eq!(delays, [5, 10, 20, 160, 300, 300, 300]);
    assert_eq!(config.max_deliver, None, "no delivery limit unless configured");
}

/// A store outage longer than any delivery limit loses nothing: a consumer created earlier with
/// `max_deliver = 3` is updated to no limit, and a message failing for now 5 times is handled on the 6th.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_do_not_exhaust_deliveries_of_an_existing_consumer() {
    let Some(url) = crate::transport::conformance::nats_url() else { return };
    let id = format!("{}t{}", std::process::id(), rand::random::<u32>());
    let (stream, subject) = (format!("CDTR_{id}"), format!("cdtr{id}.commands"));
    let js = async_nats::jetstream::new(async_nats::connect(url.as_str()).await.unwrap());
    let created = js
        .create_stream(async_nats::jetstream::stream::Config {
            name: stream.clone(),
            subjects: vec![format!("{subject}.>")],
            ..Default::default()
        })
        .await
        .unwrap();
    let old = async_nats::jetstream::consumer::pull::Config {
        durable_name: Some("crossdock-erp".into()),
        filter_subject: format!("{subject}.>"),
        ack_policy: async_nats::jetstream::consumer::AckPolicy::Explicit,
        max_deliver: 3,
        ..Default::default()
    };
    created.create_consumer(old).await.unwrap();
    let consumer = NatsConsumerConfig { nak_delay_ms: 50, ..created_stream_consumer(&stream, &subject, 2_000, None) };
    let config = NatsInboundConfig {
        max_nak_delay: Duration::from_millis(200),
        ..NatsInboundConfig::new("erp", &url, &consumer, Duration::from_secs(2))
    };
    let attempts: Arc<Mutex<Vec<u64>>> = Arc::default();
    let seen = attempts.clone();
    let failing = move |message: InboundMessage| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push(message.attempt);
            if message.attempt <= 5 { Err(InboundError::Transient("store down".into())) } else { Ok(()) }
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(nats::run(config, failing, async {
        let _ = stopped.await;
    }));
    publish_kept(&js, format!("{subject}.a"), async_nats::HeaderMap::new(), "{\"n\":1}").await;
    let handled = wait_for(Duration::from_secs(20), || attempts.lock().unwrap().len() >= 6).await;
    let _ = stop.send(());
    assert!(tokio::time::timeout(Duration::from_secs(5), running).await.expect("stops").unwrap().is_ok());
    assert!(handled, "attempts {:?}", attempts.lock().unwrap());
    assert_eq!(*attempts.lock().unwrap(), [1, 2, 3, 4, 5, 6]);
    let info = js.get_stream(&stream).await.unwrap().consumer_info("crossdock-erp").await.unwrap();
    assert_eq!(info.config.max_deliver, -1, "the existing consumer was updated");
    let _ = js.delete_stream(&stream).await;
}

/// Partners drop a file under the same name again and again: each new file's lines are new commands,
/// while the same file read again (after a crash) replays.
#[tokio::test]
async fn a_new_file_under_a_reused_name_is_applied_and_the_same_file_again_replays() {
    let db = crossdock_store::testing::sqlite().expect("temporary folder");
    let store = db.open_store().await;
    let folder = tempfile::tempdir().unwrap();
    let config = inbox_of("wms", folder.path());
    let handler = SubmitHandler::new(store.clone(), "wms", None, None);
    let adjust = |delta: i64| {
        let line = serde_json::json!({"type": "adjust_inventory", "sku": "SKU-1", "location": "CHI", "delta": delta,
                                      "reason": "receipt"});
        format!("{line}\n")
    };
    for (delta, on_hand) in [(5, 5), (2, 7)] {
        std::fs::write(folder.path().join("orders.jsonl"), adjust(delta)).unwrap();
        let outcomes = poll_once(&config, &handler).await.unwrap();
        assert_eq!(outcomes, [("orders.jsonl".to_string(), FileOutcome::Processed { lines: 1 })]);
        assert_eq!(store.inventory(None, None).await.unwrap()[0].on_hand, on_hand);
    }
    std::fs::write(folder.path().join("orders.jsonl"), adjust(2)).unwrap();
    let outcomes = poll_once(&config, &handler).await.unwrap();
    assert_eq!(outcomes, [("orders.jsonl".to_string(), FileOutcome::Processed { lines: 1 })]);
    assert_eq!(store.inventory(None, None).await.unwrap()[0].on_hand, 7, "the same file replays");
}

/// A mapping that timed out (its limit counts the wait for a worker) is a failure for now, retried later;
/// a mapping that raises an error is a refusal.
#[tokio::test]
async fn a_mapping_time_out_is_transient_and_a_mapping_error_permanent() {
    use crate::mapping::{Limits, Mapping};
    let db = crossdock_store::testing::sqlite().expect("temporary folder");
    let store = db.open_store().await;
    let limits = Limits { timeout: Duration::from_millis(100), max_steps: u64::MAX, ..Limits::default() };
    let slow = Mapping::compile("last(range(infinite))", "slow.jq").unwrap().with_limits(limits);
    let bad = Mapping::compile("error(\"no sku\")", "bad.jq").unwrap();
    let message = InboundMessage {
        system: "wms".into(),
        source: "wms.commands".into(),
        external_id: "m-1".into(),
        headers: Vec::new(),
        body: b"{}".to_vec(),
        attempt: 1,
    };
    let slow = SubmitHandler::new(store.clone(), "wms", Some(slow), None).handle(message.clone()).await;
    assert!(matches!(&slow, Err(InboundError::Transient(e)) if e.contains("time limit exceeded")), "{slow:?}");
    let bad = SubmitHandler::new(store.clone(), "wms", Some(bad), None).handle(message).await;
    assert!(matches!(&bad, Err(InboundError::Permanent(e)) if e.contains("no sku")), "{bad:?}");
}
