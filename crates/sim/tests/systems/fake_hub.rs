//! A small fake of the hub's API for testing systems in isolation: it records every request (method,
//! path, idempotency key, body), keeps orders as JSON with just enough state (allocations, release,
//! cancellation, shipments) for the sourcing stand-in, answers inventory look-ups from a configured stock,
//! and can fail the next requests with 500.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use crossdock_sim::HubConfig;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub key: Option<String>,
    pub body: Value,
}

#[derive(Default)]
struct FakeState {
    requests: Vec<Recorded>,
    orders: HashMap<String, Value>,
    /// Units on hand of every sku at each of these locations.
    stock: Vec<(String, i64)>,
    fail_next: u32,
}

pub struct FakeHub {
    pub base: String,
    state: Arc<Mutex<FakeState>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An order as the hub would answer it, from the body of `POST /v1/orders`.
pub fn order_from_body(body: &Value) -> Value {
    let lines: Vec<Value> = body["lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|l| {
                    json!({"id": l["id"], "sku": l["sku"], "unit_price": l["unit_price"], "quantities": {
                        "ordered": l["quantity"], "allocated": 0, "released": 0, "shipped": 0, "delivered": 0,
                        "returned": 0, "cancelled": 0}})
                })
                .collect()
        })
        .unwrap_or_default();
    let placed_at = body.get("placed_at").cloned().unwrap_or_else(|| json!("2025-01-06T08:00:00Z"));
    json!({
        "id": body["id"], "channel": body.get("channel").cloned().unwrap_or(json!("web")),
        "external_id": body.get("external_id").cloned().unwrap_or(json!("X1")),
        "customer": body.get("customer").cloned().unwrap_or(Value::Null),
        "ship_to": body["ship_to"], "currency": "USD", "shipping": body.get("shipping").cloned().unwrap_or(Value::Null),
        "lines": lines, "placed_at": placed_at, "status": "created", "shipments": [], "returns": [],
        "version": 1, "updated_at": placed_at,
    })
}

/// An order of `lines` (line id, sku, units) shipped to `postal_code`, with every unit allocated and
/// released at `location` when one is given.
pub fn released_order(id: &str, lines: &[(&str, &str, u32)], location: Option<&str>, postal_code: &str) -> Value {
    let body = json!({
        "id": id,
        "ship_to": {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Springfield", "region": "XX",
                    "postal_code": postal_code, "country": "US"},
        "lines": lines.iter().map(|(line, sku, q)| json!({"id": line, "sku": sku, "quantity": q,
                    "unit_price": {"amount_minor": 1000, "currency": "USD"}})).collect::<Vec<_>>(),
    });
    let mut order = order_from_body(&body);
    if let (Some(location), Some(lines)) = (location, order["lines"].as_array_mut()) {
        for line in lines {
            let q = line["quantities"]["ordered"].as_u64().unwrap_or(0);
            line["quantities"]["allocated"] = json!(q);
            line["quantities"]["released"] = json!(q);
            line["allocations"] = json!([{"location": location, "allocated": q, "released": q, "shipped": 0}]);
        }
        order["status"] = json!("released");
    }
    order
}

fn line_mut<'a>(order: &'a mut Value, line_id: &Value) -> Option<&'a mut Value> {
    order["lines"].as_array_mut()?.iter_mut().find(|l| &l["id"] == line_id)
}

fn add(value: &mut Value, units: u64) {
    *value = json!(value.as_u64().unwrap_or(0) + units);
}

/// Applies an order command to the stored JSON, roughly as the hub would.
fn apply(order: &mut Value, action: &str, body: &Value) {
    match action {
        "allocations" => {
            for a in body["allocations"].as_array().into_iter().flatten() {
                let q = a["quantity"].as_u64().unwrap_or(0);
                if let Some(line) = line_mut(order, &a["line_id"]) {
                    add(&mut line["quantities"]["allocated"], q);
                    let mut allocations = line["allocations"].as_array().cloned().unwrap_or_default();
                    match allocations.iter_mut().find(|x| x["location"] == a["location"]) {
                        Some(existing) => add(&mut existing["allocated"], q),
                        None => allocations
                            .push(json!({"location": a["location"], "allocated": q, "released": 0, "shipped": 0})),
                    }
                    line["allocations"] = Value::Array(allocations);
                }
            }
        }
        "release" => {
            for line in order["lines"].as_array_mut().into_iter().flatten() {
                let mut released = 0;
                for a in line["allocations"].as_array_mut().into_iter().flatten() {
                    a["released"] = a["allocated"].clone();
                    released += a["allocated"].as_u64().unwrap_or(0);
                }
                line["quantities"]["released"] = json!(released);
            }
        }
        "cancel" => {
            for c in body["lines"].as_array().into_iter().flatten() {
                if let Some(line) = line_mut(order, &c["line_id"]) {
                    add(&mut line["quantities"]["cancelled"], c["quantity"].as_u64().unwrap_or(0));
                }
            }
        }
        "shipments" => {
            for s in body["lines"].as_array().into_iter().flatten() {
                let q = s["quantity"].as_u64().unwrap_or(0);
                if let Some(line) = line_mut(order, &s["line_id"]) {
                    add(&mut line["quantities"]["shipped"], q);
                    for a in line["allocations"].as_array_mut().into_iter().flatten() {
                        if a["location"] == body["location"] {
                            add(&mut a["shipped"], q);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

async fn handle(
    State(state): State<Arc<Mutex<FakeState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    let path = uri.path().to_string();
    let mut state = state.lock().unwrap();
    state.requests.push(Recorded { method: method.to_string(), path: path.clone(), key, body: body.clone() });
    if state.fail_next > 0 {
        state.fail_next -= 1;
        return (StatusCode::INTERNAL_SERVER_ERROR, "injected").into_response();
    }
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer cdk_test") {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"code": "unauthorized"}))).into_response();
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let reply = |v: Value| axum::Json(v).into_response();
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["v1", "orders"]) => {
            let order = order_from_body(&body);
            let id = order["id"].as_str().unwrap_or_default().to_string();
            state.orders.entry(id.clone()).or_insert(order);
            (StatusCode::CREATED, axum::Json(json!({"order": state.orders[&id]}))).into_response()
        }
        ("GET", ["v1", "orders", id]) => match state.orders.get(*id) {
            Some(order) => reply(order.clone()),
            None => (StatusCode::NOT_FOUND, axum::Json(json!({"code": "order_not_found"}))).into_response(),
        },
        ("POST", ["v1", "orders", id, action]) => match state.orders.get_mut(*id) {
            Some(order) => {
                apply(order, action, &body);
                reply(json!({"order": order}))
            }
            None => (StatusCode::NOT_FOUND, axum::Json(json!({"code": "order_not_found"}))).into_response(),
        },
        ("GET", ["v1", "inventory"]) => {
            let sku = uri.query().and_then(|q| q.strip_prefix("sku=")).unwrap_or("SKU");
            let items: Vec<Value> = state
                .stock
                .iter()
                .map(|(location, units)| {
                    json!({"sku": sku, "location": location, "on_hand": units, "reserved": 0,
                    "safety_stock": 0, "in_transit": 0, "version": 1, "updated_at": "2025-01-06T08:00:00Z"})
                })
                .collect();
            reply(json!({"items": items}))
        }
        _ => reply(json!({})),
    }
}

impl FakeHub {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(FakeState::default()));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, state, task }
    }

    /// A client configuration for this fake: its key, 3 attempts, short timeouts.
    pub fn config(&self) -> HubConfig {
        HubConfig { timeout_ms: 2_000, max_attempts: 3, deadline_ms: 5_000, ..HubConfig::new(&self.base, "cdk_test") }
    }

    pub fn put_order(&self, order: Value) {
        let id = order["id"].as_str().unwrap().to_string();
        self.state.lock().unwrap().orders.insert(id, order);
    }

    pub fn order(&self, id: &str) -> Option<Value> {
        self.state.lock().unwrap().orders.get(id).cloned()
    }

    pub fn set_stock(&self, locations: &[(&str, i64)]) {
        self.state.lock().unwrap().stock = locations.iter().map(|(l, u)| (l.to_string(), *u)).collect();
    }

    pub fn fail_next(&self, n: u32) {
        self.state.lock().unwrap().fail_next = n;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Requests with `method` whose path ends with `suffix`.
    pub fn requests_to(&self, method: &str, suffix: &str) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.method == method && r.path.ends_with(suffix)).collect()
    }

    /// Waits (at most `within`) until `count` requests match, and returns them.
    pub async fn wait_for(&self, method: &str, suffix: &str, count: usize, within: Duration) -> Vec<Recorded> {
        let started = Instant::now();
        loop {
            let found = self.requests_to(method, suffix);
            if found.len() >= count || started.elapsed() > within {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
