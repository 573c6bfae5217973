//! Each simulated system in isolation: signed webhooks in, the expected API calls out to a fake hub that
//! records them; bad signatures refused, duplicates deduped, error rates and outages as configured.

mod books;
mod channel;
mod fake_hub;
mod network;
mod pos;
mod tms;
mod webhooks;
mod wms;

use chrono::{DateTime, Utc};
use crossdock_sim::faults::FaultConfig;
use crossdock_sim::systems::Context;
use crossdock_sim::{SimClock, WebhookSecret};
use fake_hub::FakeHub;
use rand::SeedableRng;
use serde_json::{Value, json};

/// A simulated clock at a fixed origin running `factor` times real time.
pub fn clock(factor: f64) -> SimClock {
    let origin: DateTime<Utc> = "2025-01-06T08:00:00Z".parse().unwrap();
    SimClock::new(origin, factor).unwrap()
}

/// A system context talking to `hub`.
pub fn context(name: &'static str, hub: &FakeHub, clock: &SimClock, faults: FaultConfig) -> Context {
    Context::new(name, clock.clone(), &hub.config(), faults, 11).unwrap()
}

pub fn secret(seed: u64) -> WebhookSecret {
    WebhookSecret::generate(&mut rand::rngs::StdRng::seed_from_u64(seed))
}

/// The hub's event envelope around `payload` (which holds `type`).
pub fn envelope(seq: i64, order_id: &str, payload: Value) -> Value {
    json!({
        "seq": seq, "aggregate_kind": "order", "aggregate_id": order_id, "version": seq,
        "event_type": payload["type"], "schema_version": 1, "recorded_at": "2025-01-06T08:00:00Z",
        "idempotency_key": format!("test:{seq}"), "payload": payload,
    })
}

/// Posts `body` to `url` signed with `secret` as webhook `id`.
pub async fn post_signed(url: &str, secret: &WebhookSecret, id: &str, body: &Value) -> reqwest::Response {
    let bytes = body.to_string().into_bytes();
    let mut request = crossdock_sim::new_http_client().post(url).header("content-type", "application/json");
    for (name, value) in secret.headers(id, crossdock_sim::webhook::unix_now(), &bytes) {
        request = request.header(name, value);
    }
    request.body(bytes).send().await.unwrap()
}

/// Waits until `check` holds, at most `seconds`.
pub async fn eventually(seconds: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    check()
}
