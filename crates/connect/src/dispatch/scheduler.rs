//! The scheduling task: reads the log once per round from the slowest subscription's cursor and, in one
//! transaction, schedules for each subscription the events it selects while moving its cursor (compare-and-set,
//! so that several processes may schedule at once without loss or duplicates).

use super::dispatcher::Inner;
use super::setup::DispatchSubscription;
use super::shape::any_pattern_matches;
use chrono::Utc;
use crossdock_model::RecordedEvent;
use crossdock_store::{EventHead, NewDelivery, ScheduleBatch, StoreError};
use std::sync::Arc;
use tokio::sync::watch;

pub(crate) async fn run(inner: Arc<Inner>, mut cursors: Vec<i64>, mut stopped: watch::Receiver<bool>) {
    let mut failures = 0u32;
    while !*stopped.borrow() {
        let wait = match schedule_round(&inner, &mut cursors).await {
            Ok(true) => {
                failures = 0;
                continue;
            }
            Ok(false) => {
                failures = 0;
                inner.options.poll_interval
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                tracing::warn!(%error, "scheduling failed; retrying");
                inner.options.poll_interval.saturating_mul(failures.min(40))
            }
        };
        tokio::select! {
            _ = inner.new_events.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => {}
        }
    }
}

/// One round over every subscription, scheduled in one transaction; true when the log had more than a page
/// (go again at once). Only the events' heads are read unless a subscription filters on payloads.
async fn schedule_round(inner: &Inner, cursors: &mut [i64]) -> Result<bool, StoreError> {
    let Some(&from) = cursors.iter().min() else { return Ok(false) };
    let page_size = inner.options.schedule_page;
    let page: Arc<Page> = if inner.subscriptions.iter().any(|s| s.shape.filters()) {
        Arc::new(Page::Events(inner.store.events_after(from, page_size).await?))
    } else {
        Arc::new(Page::Heads(inner.store.event_heads_after(from, page_size).await?))
    };
    let Some(last) = page.last_seq() else { return Ok(false) };
    let mut batches = Vec::new();
    let mut behind = Vec::new();
    for (i, (subscription, cursor)) in inner.subscriptions.iter().zip(cursors.iter()).enumerate() {
        if *cursor >= last {
            continue;
        }
        // Filters may take a while (jq runs on its own threads with a deadline): keep them off the runtime.
        let (events, selector, after) = (page.clone(), subscription.clone(), *cursor);
        let selected = tokio::task::spawn_blocking(move || events.select(&selector, after)).await;
        let deliveries: Vec<NewDelivery> =
            selected.map_err(|e| StoreError::Database(format!("selecting events failed: {e}")))?;
        batches.push(ScheduleBatch {
            subscription: subscription.name.clone(),
            system: subscription.system.clone(),
            expected_cursor: *cursor,
            new_cursor: last,
            deliveries,
            now: Utc::now(),
        });
        behind.push(i);
    }
    if batches.is_empty() {
        return Ok(page.len() >= page_size as usize);
    }
    let applied = inner.store.schedule_many(&batches).await?;
    let mut scheduled_any = false;
    for ((i, batch), moved) in behind.into_iter().zip(&batches).zip(applied) {
        if moved {
            cursors[i] = last;
            scheduled_any |= !batch.deliveries.is_empty();
        } else {
            // Another process (or a replay) moved the cursor: continue from where it is now.
            cursors[i] = inner.store.subscription_cursor(&batch.subscription).await?.unwrap_or(0);
        }
    }
    if scheduled_any {
        inner.work.notify_one();
    }
    Ok(page.len() >= page_size as usize)
}

/// A page of the log: heads only, or whole events when some subscription filters on payloads.
enum Page {
    Heads(Vec<EventHead>),
    Events(Vec<RecordedEvent>),
}

impl Page {
    fn len(&self) -> usize {
        match self {
            Page::Heads(heads) => heads.len(),
            Page::Events(events) => events.len(),
        }
    }

    fn last_seq(&self) -> Option<i64> {
        match self {
            Page::Heads(heads) => heads.last().map(|h| h.seq),
            Page::Events(events) => events.last().map(|e| e.seq),
        }
    }

    /// The deliveries `subscription` gets from the events after `after`.
    fn select(&self, subscription: &DispatchSubscription, after: i64) -> Vec<NewDelivery> {
        match self {
            Page::Heads(heads) => {
                heads.iter().filter(|h| h.seq > after).filter_map(|h| select_head(subscription, h)).collect()
            }
            Page::Events(events) => {
                events.iter().filter(|e| e.seq > after).filter_map(|e| select(subscription, e)).collect()
            }
        }
    }
}

fn delivery(seq: i64, aggregate_id: &str, event_type: &str, dead_error: Option<String>) -> NewDelivery {
    NewDelivery {
        seq,
        aggregate_id: aggregate_id.to_string(),
        event_type: event_type.to_string(),
        dead_error,
        sent: None,
    }
}

/// The delivery to schedule for an event known by its head, if the subscription selects its type (for a
/// subscription that does not filter on payloads).
pub(crate) fn select_head(subscription: &DispatchSubscription, head: &EventHead) -> Option<NewDelivery> {
    any_pattern_matches(&subscription.event_types, &head.event_type)
        .then(|| delivery(head.seq, &head.aggregate_id, &head.event_type, None))
}

/// The delivery to schedule for an event, if the subscription selects it. A filter that fails for good
/// records the delivery straight as a dead letter, with the error; one that failed for now (timed out)
/// schedules it, and the claim path runs the filter again before sending (see `send`).
pub(crate) fn select(subscription: &DispatchSubscription, event: &RecordedEvent) -> Option<NewDelivery> {
    select_decided(subscription, event).map(|(delivery, _)| delivery)
}

/// [`select`], and whether the filter decided (false: it failed for now, to be decided at sending).
pub(crate) fn select_decided(
    subscription: &DispatchSubscription,
    event: &RecordedEvent,
) -> Option<(NewDelivery, bool)> {
    if !any_pattern_matches(&subscription.event_types, &event.event_type) {
        return None;
    }
    let (dead_error, decided) = match subscription.shape.selects(event) {
        Ok(true) => (None, true),
        Ok(false) => return None,
        Err(error) if error.retryable => {
            tracing::debug!(subscription = %subscription.name, seq = event.seq, %error, "filter decided at sending");
            (None, false)
        }
        Err(error) => (Some(format!("filter failed: {error}")), true),
    };
    Some((delivery(event.seq, &event.aggregate_id, &event.event_type, dead_error), decided))
}
