//! The conformance peers: a webhook receiver behind a [`TcpProxy`], a JetStream stream reached through a
//! [`TcpProxy`], and a folder. Each can fail some deliveries, stop and start.

use super::Peer;
use super::proxy::TcpProxy;
use crate::transport::{
    FileTransport, FileTransportConfig, HttpTransport, HttpTransportConfig, NatsTransport, NatsTransportConfig,
    Transport,
};
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures::StreamExt;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;

/// Flips a fault on and off every 15 ms (at most 2,000 times) until aborted.
fn toggler<F, Fut>(flip: F) -> JoinHandle<()>
where
    F: Fn(bool) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        for i in 0..2_000u32 {
            flip(i % 2 == 0).await;
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
    })
}

async fn abort(task: &Mutex<Option<JoinHandle<()>>>) {
    let task = task.lock().expect("lock").take();
    if let Some(task) = task {
        task.abort();
        let _ = task.await;
    }
}

fn unique() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{}x{}x{}", std::process::id(), nanos % 1_000_000_000, COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// An axum receiver that records every request (each element of a batch on its own); when flaky, every
/// second request is answered 500 after it was recorded (so the retry is a duplicate with the same key).
pub struct HttpPeer {
    proxy: TcpProxy,
    received: Arc<Mutex<Vec<(String, Value)>>>,
    flaky: Arc<AtomicBool>,
    transport: Arc<dyn Transport>,
}

/// What one request carried: its elements for a batch, else the `Idempotency-Key` header and the body.
fn http_messages(headers: &HeaderMap, body: &[u8]) -> Vec<(String, Value)> {
    if headers.contains_key(crate::transport::BATCH_SIZE_HEADER) {
        let elements: Vec<Value> = serde_json::from_slice(body).unwrap_or_default();
        return elements
            .into_iter()
            .map(|mut e| {
                let key = e.get("idempotency_key").and_then(Value::as_str).unwrap_or("").to_string();
                (key, e.get_mut("body").map(Value::take).unwrap_or(Value::Null))
            })
            .collect();
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    vec![(key, serde_json::from_slice(body).unwrap_or(Value::Null))]
}

impl HttpPeer {
    /// A webhook receiver and a transport sending one message per request.
    pub async fn start() -> Option<Self> {
        Self::start_batching(1).await
    }

    /// A webhook receiver and a transport sending up to `batch_max` messages per request.
    pub async fn start_batching(batch_max: usize) -> Option<Self> {
        let received = Arc::new(Mutex::new(Vec::new()));
        let flaky = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicU64::new(0));
        let (r, f) = (received.clone(), flaky.clone());
        let router = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| async move {
                r.lock().expect("lock").extend(http_messages(&headers, &body));
                if f.load(Ordering::SeqCst) && count.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.ok()?;
        let upstream = listener.local_addr().ok()?;
        tokio::spawn(async move { axum::serve(listener, router).await.ok() });
        let proxy = TcpProxy::start(upstream).await;
        let mut config = HttpTransportConfig::new(format!("http://127.0.0.1:{}/hook", proxy.port()));
        config.timeout = Duration::from_secs(2);
        config.batch_max = batch_max;
        let transport = Arc::new(HttpTransport::new(config).ok()?);
        Some(Self { proxy, received, flaky, transport })
    }
}

#[async_trait]
impl Peer for HttpPeer {
    fn transport(&self) -> Arc<dyn Transport> {
        self.transport.clone()
    }
    async fn set_flaky(&self, on: bool) {
        self.flaky.store(on, Ordering::SeqCst);
    }
    async fn stop(&self) {
        self.proxy.stop().await;
    }
    async fn start(&self) {
        self.proxy.restart().await;
    }
    async fn received(&self) -> Vec<(String, Value)> {
        self.received.lock().expect("lock").clone()
    }
}

/// A stream of its own on the test server (`CROSSDOCK_TEST_NATS_URL`), created by the transport, reached
/// through a proxy. When flaky, the stream stops capturing the subjects every other 15 ms.
pub struct NatsPeer {
    proxy: TcpProxy,
    context: async_nats::jetstream::Context,
    stream: String,
    subjects: String,
    transport: Arc<dyn Transport>,
    flaky: Mutex<Option<JoinHandle<()>>>,
}

/// The test server's URL, or `None` (and a note that the test is skipped).
pub fn nats_url() -> Option<String> {
    let url = std::env::var("CROSSDOCK_TEST_NATS_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("skipped: CROSSDOCK_TEST_NATS_URL is not set");
    }
    url
}

/// Points the stream at `subjects`, keeping the rest of its configuration.
async fn capture(context: &async_nats::jetstream::Context, stream: &str, subjects: &str) {
    if let Ok(found) = context.get_stream(stream).await {
        let mut config = found.cached_info().config.clone();
        config.subjects = vec![subjects.to_string()];
        let _ = context.update_stream(config).await;
    }
}

impl NatsPeer {
    pub async fn start() -> Option<Self> {
        let url = nats_url()?;
        let address = url::Url::parse(&url).ok()?;
        let upstream: SocketAddr =
            tokio::net::lookup_host((address.host_str()?, address.port().unwrap_or(4222))).await.ok()?.next()?;
        let client = async_nats::connect(url.as_str()).await.expect("connect to the test NATS server");
        let context = async_nats::jetstream::new(client);
        let id = unique();
        let proxy = TcpProxy::start(upstream).await;
        let mut config = NatsTransportConfig::new(format!("nats://127.0.0.1:{}", proxy.port()));
        config.subject_prefix = format!("cdconf{id}");
        config.stream = Some(format!("CDCONF_{id}"));
        config.create_stream = true;
        config.timeout = Duration::from_secs(1);
        let subjects = format!("cdconf{id}.events.>");
        let transport = Arc::new(NatsTransport::new(config).ok()?);
        Some(Self { proxy, context, stream: format!("CDCONF_{id}"), subjects, transport, flaky: Mutex::new(None) })
    }
}

#[async_trait]
impl Peer for NatsPeer {
    fn transport(&self) -> Arc<dyn Transport> {
        self.transport.clone()
    }
    async fn set_flaky(&self, on: bool) {
        abort(&self.flaky).await;
        if on {
            let (context, stream, subjects) = (self.context.clone(), self.stream.clone(), self.subjects.clone());
            let task = toggler(move |fail| {
                let (context, stream) = (context.clone(), stream.clone());
                let subjects = if fail { subjects.replace(".events.>", ".nowhere") } else { subjects.clone() };
                async move { capture(&context, &stream, &subjects).await }
            });
            *self.flaky.lock().expect("lock") = Some(task);
        } else {
            capture(&self.context, &self.stream, &self.subjects).await;
        }
    }
    async fn stop(&self) {
        self.proxy.stop().await;
    }
    async fn start(&self) {
        self.proxy.restart().await;
    }
    async fn received(&self) -> Vec<(String, Value)> {
        let Ok(stream) = self.context.get_stream(&self.stream).await else { return Vec::new() };
        let config =
            pull::Config { deliver_policy: DeliverPolicy::All, ack_policy: AckPolicy::None, ..Default::default() };
        let Ok(consumer) = stream.create_consumer(config).await else { return Vec::new() };
        let Ok(mut messages) = consumer.fetch().max_messages(10_000).messages().await else { return Vec::new() };
        let mut received = Vec::new();
        while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(2), messages.next()).await {
            let key = message.headers.as_ref().and_then(|h| h.get("Nats-Msg-Id")).map(|v| v.as_str().to_string());
            received.push((key.unwrap_or_default(), serde_json::from_slice(&message.payload).unwrap_or(Value::Null)));
        }
        received
    }
    async fn cleanup(&self) {
        abort(&self.flaky).await;
        let _ = self.context.delete_stream(&self.stream).await;
    }
}

/// A temporary folder; stopping (and flakiness) renames it away, so writes find no folder.
pub struct FilePeer {
    _dir: tempfile::TempDir,
    folder: PathBuf,
    transport: Arc<dyn Transport>,
    flaky: Mutex<Option<JoinHandle<()>>>,
}

fn set_present(folder: &std::path::Path, present: bool) {
    let away = folder.with_extension("away");
    let _ = if present { std::fs::rename(&away, folder) } else { std::fs::rename(folder, &away) };
}

impl FilePeer {
    pub async fn start() -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let folder = dir.path().join("outbox");
        std::fs::create_dir(&folder).ok()?;
        let transport = Arc::new(FileTransport::new(FileTransportConfig { folder: folder.clone() }).ok()?);
        Some(Self { _dir: dir, folder, transport, flaky: Mutex::new(None) })
    }
}

#[async_trait]
impl Peer for FilePeer {
    fn transport(&self) -> Arc<dyn Transport> {
        self.transport.clone()
    }
    async fn set_flaky(&self, on: bool) {
        abort(&self.flaky).await;
        if on {
            let folder = self.folder.clone();
            let task = toggler(move |fail| {
                set_present(&folder, !fail);
                async {}
            });
            *self.flaky.lock().expect("lock") = Some(task);
        } else {
            set_present(&self.folder, true);
        }
    }
    async fn stop(&self) {
        set_present(&self.folder, false);
    }
    async fn start(&self) {
        set_present(&self.folder, true);
    }
    async fn received(&self) -> Vec<(String, Value)> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.folder)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        names.retain(|p| p.extension().is_some_and(|e| e == "jsonl"));
        names.sort();
        let mut received = Vec::new();
        for path in names {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for line in text.lines() {
                let record: Value = serde_json::from_str(line).expect("every line is JSON");
                let key = record["idempotency_key"].as_str().unwrap_or_default().to_string();
                received.push((key, record["body"].clone()));
            }
        }
        received
    }
    async fn cleanup(&self) {
        abort(&self.flaky).await;
    }
}
