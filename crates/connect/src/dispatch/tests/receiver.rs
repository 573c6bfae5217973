//! A webhook receiver on 127.0.0.1 that misbehaves on demand: fails a share of requests with 500, answers
//! some too slowly (after recording them, as a real system that is slow to acknowledge does), refuses one
//! event type with 400, or asks to come back later. It checks every signature.

use super::harness::SECRET;
use crate::signature::{DEFAULT_TOLERANCE, SigningKey, WebhookHeaders, unix_now, verify};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the receiver behaves; changed while it runs.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// Share of requests answered 500 (before recording anything).
    pub fail_rate: f64,
    /// Share of requests recorded, then answered only after `slow_for` (longer than the hub's timeout).
    pub slow_rate: f64,
    pub slow_for: Duration,
    /// Event type refused with 400.
    pub reject_type: Option<String>,
    /// When set, the first attempt of every message gets 503 with this `Retry-After` (seconds).
    pub retry_after_first: Option<u64>,
    /// Answer every request 500.
    pub down: bool,
}

/// One accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub key: String,
    pub event_type: String,
    pub aggregate_id: String,
    pub version: u64,
    pub at: Instant,
}

#[derive(Default)]
pub struct Log {
    pub accepted: Vec<Received>,
    /// Every request, accepted or not: (idempotency key, when).
    pub requests: Vec<(String, Instant)>,
    pub bad_signatures: usize,
    /// Requests recorded, then answered too late for the hub's timeout.
    pub slow: usize,
}

pub struct Receiver {
    pub url: String,
    pub behaviour: Arc<Mutex<Behaviour>>,
    pub log: Arc<Mutex<Log>>,
}

#[derive(Clone)]
struct Shared {
    behaviour: Arc<Mutex<Behaviour>>,
    log: Arc<Mutex<Log>>,
    rng: Arc<Mutex<StdRng>>,
}

impl Receiver {
    pub async fn start(behaviour: Behaviour, seed: u64) -> Self {
        let shared = Shared {
            behaviour: Arc::new(Mutex::new(behaviour)),
            log: Arc::default(),
            rng: Arc::new(Mutex::new(StdRng::seed_from_u64(seed))),
        };
        let router = Router::new().route("/hook", post(receive)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.ok() });
        Self { url, behaviour: shared.behaviour, log: shared.log }
    }

    pub fn set(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.behaviour.lock().unwrap());
    }

    /// Distinct idempotency keys accepted.
    pub fn keys(&self) -> HashSet<String> {
        self.log.lock().unwrap().accepted.iter().map(|r| r.key.clone()).collect()
    }

    /// The first acceptance of each key, per aggregate, in arrival order: versions must increase.
    pub fn first_arrivals_by_aggregate(&self) -> BTreeMap<String, Vec<u64>> {
        let log = self.log.lock().unwrap();
        let mut seen = HashSet::new();
        let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for r in &log.accepted {
            if seen.insert(r.key.clone()) {
                out.entry(r.aggregate_id.clone()).or_default().push(r.version);
            }
        }
        out
    }
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let key = get("idempotency-key").unwrap_or_default().to_string();
    let signing_key = SigningKey::parse(SECRET).unwrap();
    let verified = WebhookHeaders::from_lookup(|name| get(name))
        .and_then(|signed| verify(&signing_key, &signed, &body, unix_now(), DEFAULT_TOLERANCE));
    let first_attempt = {
        let mut log = shared.log.lock().unwrap();
        let first = !log.requests.iter().any(|(k, _)| *k == key);
        log.requests.push((key.clone(), Instant::now()));
        if verified.is_err() || get("webhook-id") != Some(key.as_str()) {
            log.bad_signatures += 1;
            return StatusCode::UNAUTHORIZED.into_response();
        }
        first
    };
    let Ok(envelope) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "not json").into_response();
    };
    let event_type = envelope["type"].as_str().unwrap_or_default().to_string();
    let behaviour = shared.behaviour.lock().unwrap().clone();
    let (fail, slow) = {
        let mut rng = shared.rng.lock().unwrap();
        (rng.random_bool(behaviour.fail_rate.clamp(0.0, 1.0)), rng.random_bool(behaviour.slow_rate.clamp(0.0, 1.0)))
    };
    if behaviour.down || fail {
        return (StatusCode::INTERNAL_SERVER_ERROR, "try again").into_response();
    }
    if let (Some(seconds), true) = (behaviour.retry_after_first, first_attempt) {
        return (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", seconds.to_string())], "later").into_response();
    }
    if behaviour.reject_type.as_deref() == Some(event_type.as_str()) {
        return (StatusCode::BAD_REQUEST, format!("unsupported event type {event_type}")).into_response();
    }
    {
        let mut log = shared.log.lock().unwrap();
        log.slow += usize::from(slow);
        log.accepted.push(Received {
            key,
            event_type,
            aggregate_id: envelope["aggregate_id"].as_str().unwrap_or_default().to_string(),
            version: envelope["version"].as_u64().unwrap_or_default(),
            at: Instant::now(),
        });
    }
    if slow {
        tokio::time::sleep(behaviour.slow_for).await;
    }
    StatusCode::OK.into_response()
}
