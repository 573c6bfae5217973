//! The scheduling task: reads the log once per round from the slowest subscription's cursor and, for each
//! subscription, schedules the events it selects while moving its cursor (compare-and-set, so that several
//! processes may schedule at once without loss or duplicates).

use super::dispatcher::Inner;
use super::shape::any_pattern_matches;
use chrono::Utc;
use crossdock_model::RecordedEvent;
use crossdock_store::{NewDelivery, ScheduleBatch, StoreError};
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

/// One round over every subscription; true when the log had more than a page (go again at once).
async fn schedule_round(inner: &Inner, cursors: &mut [i64]) -> Result<bool, StoreError> {
    let Some(&from) = cursors.iter().min() else { return Ok(false) };
    let page = Arc::new(inner.store.events_after(from, inner.options.schedule_page).await?);
    let Some(last) = page.last().map(|e| e.seq) else { return Ok(false) };
    let mut scheduled_any = false;
    for (subscription, cursor) in inner.subscriptions.iter().zip(cursors.iter_mut()) {
        if *cursor >= last {
            continue;
        }
        // Filters may take a while (jq runs on its own threads with a deadline): keep them off the runtime.
        let (events, selector, after) = (page.clone(), subscription.clone(), *cursor);
        let selected = tokio::task::spawn_blocking(move || {
            events.iter().filter(|e| e.seq > after).filter_map(|e| select(&selector, e)).collect::<Vec<_>>()
        })
        .await;
        let deliveries: Vec<NewDelivery> =
            selected.map_err(|e| StoreError::Database(format!("selecting events failed: {e}")))?;
        let count = deliveries.len();
        let batch = ScheduleBatch {
            subscription: subscription.name.clone(),
            system: subscription.system.clone(),
            expected_cursor: *cursor,
            new_cursor: last,
            deliveries,
            now: Utc::now(),
        };
        if inner.store.schedule(&batch).await? {
            *cursor = last;
            scheduled_any |= count > 0;
        } else {
            // Another process (or a replay) moved the cursor: continue from where it is now.
            *cursor = inner.store.subscription_cursor(&subscription.name).await?.unwrap_or(0);
        }
    }
    if scheduled_any {
        inner.work.notify_one();
    }
    Ok(page.len() >= inner.options.schedule_page as usize)
}

/// The delivery to schedule for an event, if the subscription selects it. A filter that fails records the
/// delivery straight as a dead letter, with the error.
fn select(subscription: &super::setup::DispatchSubscription, event: &RecordedEvent) -> Option<NewDelivery> {
    if !any_pattern_matches(&subscription.event_types, &event.event_type) {
        return None;
    }
    let dead_error = match subscription.shape.selects(event) {
        Ok(true) => None,
        Ok(false) => return None,
        Err(error) => Some(format!("filter failed: {error}")),
    };
    Some(NewDelivery {
        seq: event.seq,
        aggregate_id: event.aggregate_id.clone(),
        event_type: event.event_type.clone(),
        dead_error,
    })
}
