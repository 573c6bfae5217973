//! DISPATCHER STAND-IN. Until the hub's dispatcher delivers webhooks, this reads the hub's change feed
//! (`GET /v1/events`, over the wire like everything else) and hands each event to the systems subscribed
//! to its type through their public `handle_event`, in order. A system that is busy stops the page there;
//! the next poll starts again at that event (the systems ignore what they already handled).

use crate::hub::{HubClient, HubError};
use crate::stats::bump;
use crate::systems::SimSystem;
use crate::webhook::Handled;
use crossdock_model::RecordedEvent;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Events asked for per page.
const PAGE: u32 = 500;

/// Hands events to the systems subscribed to them.
#[derive(Clone)]
pub struct EventRouter {
    systems: Vec<Arc<dyn SimSystem>>,
}

impl EventRouter {
    pub fn new(systems: Vec<Arc<dyn SimSystem>>) -> Self {
        Self { systems }
    }

    /// Gives `event` to each subscribed system; returns what each did.
    pub fn deliver(&self, event: &RecordedEvent) -> Vec<(&'static str, Handled)> {
        let mut handled = Vec::new();
        for system in self.systems.iter().filter(|s| s.wants(&event.event_type)) {
            let outcome = system.handle_event(event);
            if outcome == Handled::Accepted {
                bump(&system.context().stats.events_handled);
            }
            handled.push((system.context().name, outcome));
        }
        handled
    }
}

/// A reader of the hub's change feed that delivers to an [`EventRouter`].
pub struct ChangeFeed {
    client: HubClient,
    router: EventRouter,
    after: i64,
}

impl ChangeFeed {
    /// Reads events after sequence number `after` with `client` (its key needs `events:read`).
    pub fn new(client: HubClient, router: EventRouter, after: i64) -> Self {
        Self { client, router, after }
    }

    /// The sequence number delivered up to.
    pub fn position(&self) -> i64 {
        self.after
    }

    /// Reads and delivers up to `max_pages` pages; returns how many events were delivered. Stops early at
    /// the end of the feed or at an event some system is too busy to take.
    pub async fn poll(&mut self, max_pages: u32) -> Result<usize, HubError> {
        let mut delivered = 0;
        for _ in 0..max_pages {
            let (events, next) = self.client.events(self.after, PAGE).await?;
            let full_page = events.len() == PAGE as usize;
            for event in &events {
                if self.router.deliver(event).iter().any(|(_, h)| *h == Handled::Busy) {
                    return Ok(delivered);
                }
                self.after = event.seq;
                delivered += 1;
            }
            self.after = self.after.max(next.min(events.last().map_or(self.after, |e| e.seq)));
            if !full_page {
                break;
            }
        }
        Ok(delivered)
    }
}

/// Polls `feed` every `every` (real time), at most 20 pages a poll, until `stop` turns true.
pub fn spawn_change_feed(mut feed: ChangeFeed, mut stop: watch::Receiver<bool>, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        while !*stop.borrow() {
            if let Err(e) = feed.poll(20).await {
                tracing::debug!(error = %e, "change-feed stand-in could not read the feed");
            }
            crate::clock::pause(every, &mut stop).await;
        }
    })
}
