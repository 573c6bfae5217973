//! The availability feed: a task that follows the event log and, for every sku whose stock or reservations
//! moved, submits `RefreshAvailability` for each configured channel once the sku has settled (the engine's
//! [`Debouncer`]). The engine records `inventory.availability_changed` only when the channel's ATP differs
//! from the value last recorded (deltas only), inside the write transaction, so the change is in the log like
//! every other event and subscriptions deliver it; two processes running the feed never record a change twice.
//!
//! The feed keeps no position of its own: at start it reads from the head of the log and refreshes every sku
//! that has a stock position, so changes made while no process ran it are published then (deltas only: a
//! channel's ATP that did not change records nothing, so a restart costs reads, not events).

use crate::{CommandRequest, Store, StoreError, SubmitError};
use chrono::Utc;
use crossdock_engine::availability::{Debouncer, touched_sku};
use crossdock_model::{AggregateKind, Command};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Who the feed's commands are recorded as coming from.
pub const FEED_ACTOR: &str = "hub:availability-feed";
/// Events read per page of the log.
const PAGE: u32 = 1000;

/// How the feed debounces and how often it reads the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedSettings {
    /// A sku is published once it had no change for this long…
    pub window: Duration,
    /// …or at the latest this long after the first change of a burst.
    pub max_wait: Duration,
    /// How often the log is read.
    pub poll: Duration,
}

impl Default for FeedSettings {
    fn default() -> Self {
        Self { window: Duration::from_millis(500), max_wait: Duration::from_secs(10), poll: Duration::from_millis(100) }
    }
}

/// Runs the feed until `shutdown` completes. Storage errors are logged and retried at the next poll.
pub async fn run_availability_feed(store: Arc<dyn Store>, settings: FeedSettings, shutdown: impl Future<Output = ()>) {
    let to_chrono = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    let mut debouncer = Debouncer::new(to_chrono(settings.window), to_chrono(settings.max_wait));
    let mut cursor = None;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(settings.poll) => {}
        }
        if let Err(error) = step(store.as_ref(), &mut cursor, &mut debouncer).await {
            tracing::warn!(%error, "availability feed: the store failed; retrying");
        }
    }
}

/// One round: reads the log after `cursor` (starting at its head), notes the touched skus, and submits the
/// refreshes of the skus due.
async fn step(store: &dyn Store, cursor: &mut Option<i64>, debouncer: &mut Debouncer) -> Result<(), StoreError> {
    if store.policy().channels.is_empty() {
        // No channel to publish for: nothing to read.
        return Ok(());
    }
    let mut after = match *cursor {
        Some(after) => after,
        None => {
            let head = store.head_seq().await?;
            let now = Utc::now();
            for position in store.inventory(None, None).await? {
                debouncer.touch(&position.sku, now);
            }
            *cursor = Some(head);
            head
        }
    };
    loop {
        let page = store.events_of_kind_after(AggregateKind::Inventory, after, PAGE).await?;
        let now = Utc::now();
        for event in &page {
            if let Some(sku) = touched_sku(&event.payload) {
                debouncer.touch(sku, now);
            }
        }
        let Some(last) = page.last() else { break };
        after = last.seq;
        *cursor = Some(after);
        if page.len() < PAGE as usize {
            break;
        }
    }
    let due = debouncer.due(Utc::now());
    if due.is_empty() {
        return Ok(());
    }
    let policy = store.policy();
    let requests: Vec<CommandRequest> = due
        .iter()
        .flat_map(|sku| {
            policy.channels.iter().map(move |channel| CommandRequest {
                idempotency_key: format!("availability:{}:{sku}:{after}", channel.id),
                command: Command::RefreshAvailability { channel: channel.id.clone(), sku: sku.clone() },
                actor: FEED_ACTOR.to_string(),
                expected_version: None,
                origin: Default::default(),
            })
        })
        .collect();
    for (request, outcome) in requests.iter().zip(store.submit_batch(requests.clone()).await) {
        match outcome {
            Ok(_) => {}
            Err(SubmitError::Storage(error)) => {
                // Not applied: try the sku again at the next round.
                if let Command::RefreshAvailability { sku, .. } = &request.command {
                    debouncer.touch(sku, Utc::now() - chrono::Duration::days(1));
                }
                tracing::warn!(%error, key = %request.idempotency_key, "availability feed: a refresh failed");
            }
            Err(error) => tracing::warn!(%error, key = %request.idempotency_key, "availability feed: refused"),
        }
    }
    Ok(())
}
