//! The webhook endpoint of a simulated system: verify the signature (401 when it does not match), answer a
//! `webhook-id` seen before with 200 and do nothing, parse the event envelope (400 when it is not one), and
//! hand it to the system's [`EventHandler`] (503 when the system's work queue is full, so the hub retries).

use super::verify::{DEFAULT_TOLERANCE_SECS, WebhookSecret, unix_now, verify};
use crate::stats::{Stats, bump};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use crossdock_model::RecordedEvent;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// Path of every system's webhook endpoint.
pub const WEBHOOK_PATH: &str = "/webhooks/crossdock";
/// How many webhook ids a system remembers for dedupe.
const SEEN_CAPACITY: usize = 200_000;

/// What a system did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Recorded, or work scheduled.
    Accepted,
    /// Not an event this system cares about.
    Ignored,
    /// The system's work queue is full; try again later.
    Busy,
}

/// A system's reaction to an event from the hub. Must return quickly: the work itself runs elsewhere.
pub trait EventHandler: Send + Sync + 'static {
    fn handle_event(&self, event: &RecordedEvent) -> Handled;
}

/// Webhook ids seen, oldest forgotten first.
#[derive(Debug, Default)]
struct SeenIds {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl SeenIds {
    /// Remembers `id`; false when it was already there.
    fn insert(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() >= SEEN_CAPACITY
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        self.set.insert(id.to_string());
        self.order.push_back(id.to_string());
        true
    }

    fn forget(&mut self, id: &str) {
        if self.set.remove(id) {
            self.order.retain(|seen| seen != id);
        }
    }
}

/// The receiving side of one system.
pub struct Inbox {
    secret: WebhookSecret,
    tolerance_secs: i64,
    seen: Mutex<SeenIds>,
    handler: Arc<dyn EventHandler>,
    stats: Arc<Stats>,
}

impl Inbox {
    pub fn new(secret: WebhookSecret, handler: Arc<dyn EventHandler>, stats: Arc<Stats>) -> Self {
        Self { secret, tolerance_secs: DEFAULT_TOLERANCE_SECS, seen: Mutex::default(), handler, stats }
    }

    /// Receives one webhook and answers it.
    pub fn receive(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let id = match verify(&self.secret, headers, body, unix_now(), self.tolerance_secs) {
            Ok(id) => id,
            Err(e) => {
                bump(&self.stats.webhooks_bad_signature);
                return (StatusCode::UNAUTHORIZED, Json(serde_json::json!({"error": e.to_string()}))).into_response();
            }
        };
        let fresh = self.seen.lock().map(|mut seen| seen.insert(&id)).unwrap_or(true);
        if !fresh {
            bump(&self.stats.webhooks_duplicate);
            return (StatusCode::OK, Json(serde_json::json!({"duplicate": true}))).into_response();
        }
        let event: RecordedEvent = match super::envelope::parse_event(body) {
            Ok(event) => event,
            Err(e) => {
                bump(&self.stats.webhooks_bad_body);
                self.forget(&id);
                let error = format!("not a crossdock event envelope: {e}");
                return (StatusCode::BAD_REQUEST, Json(serde_json::json!({"error": error}))).into_response();
            }
        };
        match self.handler.handle_event(&event) {
            Handled::Busy => {
                bump(&self.stats.webhooks_busy);
                self.forget(&id);
                (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"error": "busy; retry later"})))
                    .into_response()
            }
            handled => {
                bump(&self.stats.webhooks_accepted);
                if handled == Handled::Accepted {
                    bump(&self.stats.events_handled);
                }
                (StatusCode::OK, Json(serde_json::json!({"received": true}))).into_response()
            }
        }
    }

    fn forget(&self, id: &str) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.forget(id);
        }
    }
}

async fn receive(State(inbox): State<Arc<Inbox>>, headers: HeaderMap, body: Bytes) -> Response {
    inbox.receive(&headers, &body)
}

/// The route `POST /webhooks/crossdock` of a system.
pub fn webhook_routes(inbox: Arc<Inbox>) -> Router {
    Router::new().route(WEBHOOK_PATH, post(receive)).with_state(inbox)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_ids_forget_the_oldest() {
        let mut seen = SeenIds::default();
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"));
        seen.forget("a");
        assert!(seen.insert("a"));
        for i in 0..SEEN_CAPACITY {
            seen.insert(&i.to_string());
        }
        assert!(seen.insert("a"), "the oldest id was forgotten");
        assert_eq!(seen.order.len(), SEEN_CAPACITY);
    }
}
