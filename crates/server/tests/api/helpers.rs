//! Test helpers: a fresh SQLite store per test, keys, the app in process (`oneshot`) and on a real socket
//! (`spawn_app`), and sample request bodies.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use crossdock_server::{AppState, app, auth};
use crossdock_store::Store;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::ServiceExt;

/// A fresh store in a temporary folder (removed when the `TempDir` drops).
pub async fn temp_store() -> (Arc<dyn Store>, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    // PII sealed at rest, as `serve` runs (every API test reads it back through the store's decryption).
    let master = crossdock_store::MasterKey::from_hex(&crossdock_store::MasterKey::generate_hex(), "test").unwrap();
    let options = crossdock_store::StoreOptions { pii: Some(Arc::new(master)) };
    let store = crossdock_store::open_with(&url, options).await.expect("open a temporary SQLite store");
    (store, dir)
}

/// Creates and stores a key with `scopes`; returns its text.
pub async fn make_key(store: &dyn Store, scopes: &[&str]) -> String {
    let (text, record) = auth::new_key("test", scopes.iter().map(|s| s.to_string()).collect(), None);
    store.insert_api_key(&record).await.expect("insert key");
    text
}

/// The app in process, over a fresh store, with an admin key.
pub struct TestState {
    pub state: AppState,
    pub admin: String,
    _dir: TempDir,
}

pub async fn test_state() -> TestState {
    let (store, dir) = temp_store().await;
    let admin = make_key(store.as_ref(), &["admin"]).await;
    TestState { state: AppState::new(store), admin, _dir: dir }
}

/// A response read whole: status, headers, and the body as JSON (`Value::Null` when empty or not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem response: status, `code`, content type; returns the body.
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["status"], status, "{}", self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"));
        for member in ["type", "title", "detail"] {
            assert!(self.body[member].is_string(), "problem lacks {member}: {}", self.body);
        }
        &self.body
    }
}

/// Sends one request to the app in process.
pub async fn call(state: &AppState, request: Request<Body>) -> Reply {
    let response = app(state.clone()).oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    Reply { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// A request with an optional key and JSON body.
pub fn request(method: Method, path: &str, key: Option<&str>, body: Option<&Value>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    match body {
        Some(body) => builder.header("content-type", "application/json").body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    }
    .expect("request")
}

/// The app on a real socket (127.0.0.1, port 0) over a fresh store, stopped when dropped.
pub struct TestApp {
    pub base: String,
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    pub client: reqwest::Client,
    pub admin: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    _dir: Option<TempDir>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with the state adjusted by `configure` first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut AppState)) -> TestApp {
    let (store, dir) = temp_store().await;
    spawn_on(store, Some(dir), configure).await
}

/// Serves over a given store (used for PostgreSQL).
pub async fn spawn_on(store: Arc<dyn Store>, dir: Option<TempDir>, configure: impl FnOnce(&mut AppState)) -> TestApp {
    let admin = make_key(store.as_ref(), &["admin"]).await;
    let mut state = AppState::new(store.clone());
    configure(&mut state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(crossdock_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    TestApp {
        base: format!("http://{addr}"),
        addr,
        store,
        client: {
            crossdock_connect::transport::install_default_crypto_provider();
            reqwest::Client::new()
        },
        admin,
        stop: Some(stop),
        server: Some(server),
        _dir: dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request with the admin key and an optional JSON body and extra headers.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>, headers: &[(&str, &str)]) -> Reply {
        let mut builder = self.client.request(method, self.url(path)).bearer_auth(&self.admin);
        if let Some(body) = body {
            builder = builder.json(body);
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        read(builder.send().await.expect("send")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(body), &[]).await
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.take().expect("server running").await.expect("server task")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Reads a reqwest response whole.
pub async fn read(response: reqwest::Response) -> Reply {
    let status = StatusCode::from_u16(response.status().as_u16()).expect("status");
    let mut headers = HeaderMap::new();
    for (name, value) in response.headers() {
        headers.append(name.clone(), value.clone());
    }
    let bytes = response.bytes().await.expect("body");
    Reply { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// A valid order body with one line of `SKU-1` (2 units at 19.99 USD); no id, no placed_at.
pub fn order_body(external_id: &str) -> Value {
    json!({
        "channel": "web",
        "external_id": external_id,
        "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
        "ship_to": {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Springfield", "region": "IL",
                    "postal_code": "62701", "country": "US"},
        "currency": "USD",
        "lines": [{"id": "1", "sku": "SKU-1", "quantity": 2, "unit_price": {"amount_minor": 1999, "currency": "USD"}}]
    })
}

/// A valid location body.
pub fn location_body() -> Value {
    json!({"name": "East DC", "kind": "warehouse", "coordinates": {"lat": 40.7, "lon": -74.0}})
}

/// The path of a route with `{id}` (and `{system}`) replaced.
pub fn concrete(path: &str, id: &str) -> String {
    path.replace("{id}", id).replace("{system}", id)
}
