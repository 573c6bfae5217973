//! The conformance suite every transport passes (the Benthos connector lifecycle): open and close, a
//! batch, at-least-once under injected failures, reconnect after the peer restarts. Each transport is run
//! against a [`Peer`] on loopback that records what it receives and can fail, stop and start.

mod peers;
mod proxy;

pub(crate) use peers::nats_url;
pub(crate) use proxy::TcpProxy;

use super::{OutboundMessage, SendOutcome, Transport};
use async_trait::async_trait;
use chrono::Utc;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest a single conformance case may run.
const CASE_LIMIT: Duration = Duration::from_secs(90);

/// The far side of a transport, under the test's control.
#[async_trait]
pub trait Peer: Send + Sync {
    fn transport(&self) -> Arc<dyn Transport>;
    /// From now on, fail some of what arrives (`true`) or nothing (`false`).
    async fn set_flaky(&self, on: bool);
    /// Goes away: nothing arrives until [`Peer::start`].
    async fn stop(&self);
    async fn start(&self);
    /// Every message received so far, duplicates included: (idempotency key, body).
    async fn received(&self) -> Vec<(String, Value)>;
    /// Removes what the peer made outside the test's temporary folders (streams).
    async fn cleanup(&self) {}
}

fn messages(tag: &str, count: usize) -> Vec<OutboundMessage> {
    (0..count)
        .map(|i| {
            let body = json!({ "tag": tag, "n": i, "order": format!("o-{}", i % 4) });
            OutboundMessage {
                idempotency_key: format!("conformance-{tag}:{i}"),
                event_type: "order.placed".into(),
                seq: i as i64 + 1,
                aggregate_id: format!("o-{}", i % 4),
                body: serde_json::to_vec(&body).expect("json"),
                timestamp: Utc::now(),
            }
        })
        .collect()
}

/// Sends until every message is delivered (bounded in rounds and time), in chunks of `chunk`; returns how
/// many sends failed on the way. A refusal fails the test.
async fn deliver_all(transport: &dyn Transport, sent: &[OutboundMessage], chunk: usize, rounds: usize) -> usize {
    let started = Instant::now();
    let mut pending: Vec<OutboundMessage> = sent.to_vec();
    let mut failures = 0;
    for _ in 0..rounds {
        let mut still = Vec::new();
        for batch in pending.chunks(chunk) {
            for (message, outcome) in batch.iter().zip(transport.send_batch(batch).await) {
                match outcome {
                    SendOutcome::Delivered => {}
                    SendOutcome::Retry { .. } => {
                        failures += 1;
                        still.push(message.clone());
                    }
                    SendOutcome::Reject { error, .. } => {
                        panic!("{} refused {}: {error}", transport.kind(), message.idempotency_key)
                    }
                }
            }
        }
        pending = still;
        if pending.is_empty() || started.elapsed() > Duration::from_secs(30) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(pending.is_empty(), "{}: {} messages never delivered", transport.kind(), pending.len());
    failures
}

/// Every sent message was received, and everything received (duplicates included) is a sent message with
/// its own body. Returns how many times each key arrived.
async fn check_received(peer: &dyn Peer, sent: &[OutboundMessage]) -> HashMap<String, usize> {
    let bodies: HashMap<&str, Value> =
        sent.iter().map(|m| (m.idempotency_key.as_str(), serde_json::from_slice(&m.body).expect("json"))).collect();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (key, body) in peer.received().await {
        let Some(expected) = bodies.get(key.as_str()) else { continue };
        assert_eq!(&body, expected, "a duplicate of {key} carries another body");
        *counts.entry(key).or_default() += 1;
    }
    for message in sent {
        assert!(counts.contains_key(&message.idempotency_key), "{} never arrived", message.idempotency_key);
    }
    counts
}

pub async fn open_and_close(peer: &dyn Peer) {
    let transport = peer.transport();
    transport.connect().await.expect("connect");
    assert!(["http", "nats", "file"].contains(&transport.kind()));
    assert!(!transport.target().is_empty());
    transport.close().await;
}

pub async fn batch(peer: &dyn Peer) {
    let transport = peer.transport();
    transport.connect().await.expect("connect");
    let sent = messages("batch", 25);
    let outcomes = transport.send_batch(&sent).await;
    assert_eq!(outcomes.len(), sent.len());
    assert!(outcomes.iter().all(|o| *o == SendOutcome::Delivered), "{outcomes:?}");
    let counts = check_received(peer, &sent).await;
    assert!(counts.values().all(|n| *n == 1), "duplicates without failures: {counts:?}");
    assert!(transport.send_batch(&[]).await.is_empty());
    transport.close().await;
}

pub async fn at_least_once(peer: &dyn Peer) {
    let transport = peer.transport();
    transport.connect().await.expect("connect");
    let sent = messages("flaky", 40);
    peer.set_flaky(true).await;
    // Small batches with pauses, so that some land while the peer fails and some while it does not.
    let mut failures = 0;
    let mut first_round = Vec::new();
    for batch in sent.chunks(2) {
        for (message, outcome) in batch.iter().zip(transport.send_batch(batch).await) {
            match outcome {
                SendOutcome::Delivered => {}
                SendOutcome::Retry { .. } => {
                    failures += 1;
                    first_round.push(message.clone());
                }
                SendOutcome::Reject { error, .. } => panic!("refused {}: {error}", message.idempotency_key),
            }
        }
        tokio::time::sleep(Duration::from_millis(7)).await;
    }
    peer.set_flaky(false).await;
    assert!(failures > 0, "{}: the flaky peer failed nothing", transport.kind());
    assert!(first_round.len() < sent.len(), "{}: the flaky peer failed everything", transport.kind());
    deliver_all(transport.as_ref(), &first_round, 5, 20).await;
    check_received(peer, &sent).await;
    transport.close().await;
}

pub async fn reconnect(peer: &dyn Peer) {
    let transport = peer.transport();
    transport.connect().await.expect("connect");
    let before = messages("before", 5);
    assert_eq!(deliver_all(transport.as_ref(), &before, 5, 1).await, 0);
    peer.stop().await;
    let during = messages("during", 5);
    let outcomes = transport.send_batch(&during).await;
    assert!(outcomes.iter().all(|o| matches!(o, SendOutcome::Retry { .. })), "sent to a stopped peer: {outcomes:?}");
    peer.start().await;
    deliver_all(transport.as_ref(), &during, 5, 40).await;
    let after = messages("after", 5);
    deliver_all(transport.as_ref(), &after, 5, 20).await;
    for sent in [&before, &during, &after] {
        check_received(peer, sent).await;
    }
    transport.close().await;
}

/// Runs one case against a fresh peer, bounded in time; a peer that is not available (no NATS server
/// configured) skips the case.
pub async fn run_case<P: Peer>(peer: Option<P>, case: impl AsyncFnOnce(&dyn Peer)) {
    let Some(peer) = peer else { return };
    let finished = tokio::time::timeout(CASE_LIMIT, case(&peer)).await;
    peer.cleanup().await;
    finished.expect("the conformance case finished in time");
}

macro_rules! conformance_suite {
    ($name:ident, $peer:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn open_and_close() {
                run_case($peer.await, super::open_and_close).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn batch() {
                run_case($peer.await, super::batch).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn at_least_once_under_failures() {
                run_case($peer.await, super::at_least_once).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn reconnect_after_the_peer_restarts() {
                run_case($peer.await, super::reconnect).await;
            }
        }
    };
}

conformance_suite!(http, peers::HttpPeer::start());
conformance_suite!(http_batching, peers::HttpPeer::start_batching(10));
conformance_suite!(nats, peers::NatsPeer::start());
conformance_suite!(file, peers::FilePeer::start());
