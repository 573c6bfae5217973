//! Inbound consumer tests: the file inbox (order, moves, refusals, transient errors, shutdown) and the NATS
//! durable consumer (ack after the handler, term, nak and redelivery, nothing redelivered after a restart).

use super::file::{FileInboundConfig, FileOutcome, poll_once};
use super::nats::NatsInboundConfig;
use super::*;
use crate::config::NatsConsumerConfig;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Seen = Arc<Mutex<Vec<InboundMessage>>>;

/// Refuses bodies containing `bad`; fails bodies containing `flaky` on their first attempt (per external id).
fn handler(seen: Seen) -> impl InboundHandler {
    let attempts: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    move |message: InboundMessage| {
        let (seen, attempts) = (seen.clone(), attempts.clone());
        async move {
            let body = String::from_utf8_lossy(&message.body).into_owned();
            let attempt = {
                let mut attempts = attempts.lock().unwrap();
                let n = attempts.entry(message.external_id.clone()).or_default();
                *n += 1;
                *n
            };
            seen.lock().unwrap().push(message);
            if body.contains("bad") {
                Err(InboundError::Permanent("not a command".into()))
            } else if body.contains("flaky") && attempt == 1 {
                Err(InboundError::Transient("store busy".into()))
            } else {
                Ok(())
            }
        }
    }
}

/// A consumer of `<subject>.>` on `stream`, which it creates, with the crate's default durable name.
pub(super) fn created_stream_consumer(
    stream: &str,
    subject: &str,
    ack_wait_ms: u64,
    max_deliver: Option<u32>,
) -> NatsConsumerConfig {
    NatsConsumerConfig {
        stream: stream.to_string(),
        subject: format!("{subject}.>"),
        durable: None,
        create_stream: true,
        ack_wait_ms,
        nak_delay_ms: 100,
        max_deliver,
        batch: 16,
    }
}

/// The external id of line `line` of a file `name` holding `text`, when the line has no idempotency key.
fn line_key(name: &str, text: &str, line: usize) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{name}:{}:{line}", &hex[..16])
}

fn ids(seen: &Seen) -> Vec<String> {
    seen.lock().unwrap().iter().map(|m| m.external_id.clone()).collect()
}

fn inbox(dir: &Path) -> FileInboundConfig {
    FileInboundConfig { poll_interval: Duration::from_millis(20), ..inbox_of("partner", dir) }
}

/// The file inbox of `system` in `dir`, polled every 10 ms.
pub(super) fn inbox_of(system: &str, dir: &Path) -> FileInboundConfig {
    FileInboundConfig { system: system.into(), folder: dir.into(), poll_interval: Duration::from_millis(10) }
}

#[tokio::test]
async fn the_file_inbox_hands_lines_in_order_and_moves_each_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    let (a, b, c) = (
        "{\"idempotency_key\":\"po-1\",\"n\":1}\n\n{\"n\":2}\n{\"n\":3}\n",
        "{\"n\":1}\n{\"bad\":true}\n{\"n\":3}\n",
        "{\"flaky\":true}\n",
    );
    write("a.jsonl", a);
    write("b.jsonl", b);
    write("c.jsonl", c);
    write(".d.jsonl.tmp", "{\"n\":1}\n");
    write("e.part", "{\"n\":1}\n");
    let seen = Seen::default();
    let handler = handler(seen.clone());
    let outcomes = poll_once(&inbox(dir.path()), &handler).await.unwrap();
    assert_eq!(
        outcomes,
        [
            ("a.jsonl".to_string(), FileOutcome::Processed { lines: 3 }),
            ("b.jsonl".to_string(), FileOutcome::Failed { refused: vec![(2, "not a command".into())] }),
            ("c.jsonl".to_string(), FileOutcome::Retry { error: "line 1: store busy".into() }),
        ]
    );
    let keys = [
        "po-1".to_string(),
        line_key("a.jsonl", a, 3),
        line_key("a.jsonl", a, 4),
        line_key("b.jsonl", b, 1),
        line_key("b.jsonl", b, 2),
        line_key("b.jsonl", b, 3),
        line_key("c.jsonl", c, 1),
    ];
    assert_eq!(ids(&seen), keys);
    let first = seen.lock().unwrap()[0].clone();
    assert_eq!(
        (first.source.as_str(), first.body.as_slice()),
        ("a.jsonl:1", &b"{\"idempotency_key\":\"po-1\",\"n\":1}"[..])
    );
    let exists = |path: &str| dir.path().join(path).exists();
    assert!(exists("processed/a.jsonl") && !exists("a.jsonl"));
    assert!(exists("failed/b.jsonl") && exists("failed/b.jsonl.errors.json") && !exists("b.jsonl"));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("failed/b.jsonl.errors.json")).unwrap()).unwrap();
    assert_eq!(report["errors"], serde_json::json!([{ "line": 2, "error": "not a command" }]));
    assert!(exists("c.jsonl") && exists(".d.jsonl.tmp") && exists("e.part"), "left in place");

    // The next poll takes the file that failed for now; a name already used in processed/ gets a suffix.
    write("a.jsonl", "{\"n\":9}\n");
    let outcomes = poll_once(&inbox(dir.path()), &handler).await.unwrap();
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.iter().all(|(_, o)| matches!(o, FileOutcome::Processed { lines: 1 })), "{outcomes:?}");
    assert!(exists("processed/a.jsonl.1") && exists("processed/c.jsonl"));
    assert!(poll_once(&inbox(dir.path()), &handler).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_file_inbox_runs_until_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let seen = Seen::default();
    let seen_by_run = seen.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // Through the entry point `serve` uses, from the system's configuration.
    let system: crate::config::SystemConfig = toml::from_str(&format!(
        "name = \"partner\"\nrole = \"partner\"\ntransport = {{ type = \"file\", folder = \"/nonexistent\", inbox = {{ folder = {:?}, poll_interval_ms = 20 }} }}",
        dir.path().display().to_string()
    ))
    .unwrap();
    assert!(has_consumer(&system));
    let running = tokio::spawn(async move {
        run(&system, handler(seen_by_run), async {
            let _ = stopped.await;
        })
        .await
    });
    std::fs::write(dir.path().join(".x.jsonl.tmp"), "{\"n\":1}\n").unwrap();
    std::fs::rename(dir.path().join(".x.jsonl.tmp"), dir.path().join("x.jsonl")).unwrap();
    for _ in 0..250 {
        if dir.path().join("processed/x.jsonl").exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(dir.path().join("processed/x.jsonl").exists());
    let _ = stop.send(());
    let ended = tokio::time::timeout(Duration::from_secs(5), running).await.expect("stops on shutdown");
    assert!(ended.unwrap().is_ok());
    assert_eq!(ids(&seen), [line_key("x.jsonl", "{\"n\":1}\n", 1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_settles_the_line_in_hand_and_leaves_the_rest_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.jsonl"), "{\"n\":1}\n{\"n\":2}\n").unwrap();
    let (started, mut handling) = tokio::sync::mpsc::unbounded_channel::<String>();
    let release = Arc::new(tokio::sync::Notify::new());
    let gate = release.clone();
    let settled = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = settled.clone();
    let slow = move |message: InboundMessage| {
        let (started, gate, counted) = (started.clone(), gate.clone(), counted.clone());
        async move {
            let _ = started.send(message.external_id);
            gate.notified().await;
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<(), InboundError>(())
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(file::run(inbox(dir.path()), slow, async {
        let _ = stopped.await;
    }));
    let first = tokio::time::timeout(Duration::from_secs(10), handling.recv()).await.expect("handed to the handler");
    assert_eq!(first, Some(line_key("x.jsonl", "{\"n\":1}\n{\"n\":2}\n", 1)));
    let _ = stop.send(());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!running.is_finished(), "it waits for the line in hand");
    release.notify_one();
    assert!(tokio::time::timeout(Duration::from_secs(5), running).await.expect("stops").unwrap().is_ok());
    assert_eq!(settled.load(std::sync::atomic::Ordering::SeqCst), 1, "the line in hand was settled");
    assert!(handling.try_recv().is_err(), "no line after the shutdown");
    assert!(dir.path().join("x.jsonl").exists(), "the file stays in the inbox for the next start");
    assert!(!dir.path().join("processed/x.jsonl").exists());
}

#[tokio::test]
async fn systems_without_a_consumer_return_at_once() {
    let system: crate::config::SystemConfig = toml::from_str(
        "name = \"erp\"\nrole = \"erp\"\ntransport = { type = \"http\", url = \"http://127.0.0.1:1/\" }",
    )
    .unwrap();
    assert!(!has_consumer(&system));
    let ran =
        tokio::time::timeout(Duration::from_secs(1), run(&system, handler(Seen::default()), std::future::pending()));
    assert!(ran.await.expect("returns at once").is_ok());
}

/// Waits (at most `limit`) until `done` holds.
pub(super) async fn wait_for(limit: Duration, done: impl Fn() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    done()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nats_consumer_acks_after_the_handler_terms_refusals_and_redelivers_transient_failures() {
    let Some(url) = crate::transport::conformance::nats_url() else { return };
    let id = format!("{}x{}", std::process::id(), Instant::now().elapsed().as_nanos() ^ rand::random::<u64>() as u128);
    let (stream, subject) = (format!("CDIN_{id}"), format!("cdin{id}.commands"));
    let consumer = created_stream_consumer(&stream, &subject, 2_000, Some(10));
    let config = NatsInboundConfig::new("erp", &url, &consumer, Duration::from_secs(2));
    assert_eq!(config.durable, "crossdock-erp");
    let client = async_nats::connect(url.as_str()).await.unwrap();
    let js = async_nats::jetstream::new(client);

    let seen = Seen::default();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(nats::run(config.clone(), handler(seen.clone()), async {
        let _ = stopped.await;
    }));
    // The consumer creates the stream; publishing waits until it is there.
    for (n, body, msg_id) in
        [(1, "{\"n\":1}", Some("order-1")), (2, "{\"bad\":1}", None), (3, "{\"flaky\":1}", Some("order-3"))]
    {
        let mut headers = async_nats::HeaderMap::new();
        if let Some(msg_id) = msg_id {
            headers.insert("Nats-Msg-Id", msg_id);
        }
        publish_kept(&js, format!("{subject}.order.{n}"), headers, body).await;
    }
    let all_settled = || {
        let ids = ids(&seen);
        ids.len() >= 4 && ids.iter().filter(|i| *i == "order-3").count() == 2
    };
    assert!(wait_for(Duration::from_secs(15), all_settled).await, "seen {:?}", ids(&seen));
    let _ = stop.send(());
    assert!(tokio::time::timeout(Duration::from_secs(5), running).await.expect("stops").unwrap().is_ok());
    assert_eq!(ids(&seen), ["order-1", format!("{stream}:2").as_str(), "order-3", "order-3"]);
    let flaky: Vec<u64> =
        seen.lock().unwrap().iter().filter(|m| m.external_id == "order-3").map(|m| m.attempt).collect();
    assert_eq!(flaky, [1, 2]);
    assert_eq!(seen.lock().unwrap()[0].source, format!("{subject}.order.1"));

    // Durable: a new run of the same consumer gets nothing back (acked and termed messages stay settled).
    let mut info = js.get_stream(&stream).await.unwrap().consumer_info("crossdock-erp").await.unwrap();
    for _ in 0..40 {
        if info.num_ack_pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        info = js.get_stream(&stream).await.unwrap().consumer_info("crossdock-erp").await.unwrap();
    }
    assert_eq!((info.num_pending, info.num_ack_pending), (0, 0));
    let again = Seen::default();
    let rerun = nats::run(config, handler(again.clone()), tokio::time::sleep(Duration::from_millis(2_500)));
    assert!(rerun.await.is_ok());
    assert!(ids(&again).is_empty(), "redelivered {:?}", ids(&again));
    let _ = js.delete_stream(&stream).await;
}

/// Shutdown while the handler works on a message: the consumer settles that message (acks it) before it
/// returns, so a command already committed is not delivered again after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_the_message_in_hand_to_be_settled() {
    let Some(url) = crate::transport::conformance::nats_url() else { return };
    let id = format!("{}z{}", std::process::id(), rand::random::<u32>());
    let (stream, subject) = (format!("CDSD_{id}"), format!("cdsd{id}.commands"));
    let consumer = created_stream_consumer(&stream, &subject, 30_000, Some(5));
    let config = NatsInboundConfig::new("erp", &url, &consumer, Duration::from_secs(2));
    let (started, mut handling) = tokio::sync::mpsc::unbounded_channel::<()>();
    let release = Arc::new(tokio::sync::Notify::new());
    let gate = release.clone();
    let slow = move |_: InboundMessage| {
        let (started, gate) = (started.clone(), gate.clone());
        async move {
            let _ = started.send(());
            gate.notified().await;
            Ok::<(), InboundError>(())
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(nats::run(config, slow, async {
        let _ = stopped.await;
    }));
    let js = async_nats::jetstream::new(async_nats::connect(url.as_str()).await.unwrap());
    publish_kept(&js, format!("{subject}.a"), async_nats::HeaderMap::new(), "{\"n\":1}").await;
    tokio::time::timeout(Duration::from_secs(10), handling.recv()).await.expect("handed to the handler");
    let _ = stop.send(());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!running.is_finished(), "it waits for the handler");
    release.notify_one();
    assert!(tokio::time::timeout(Duration::from_secs(5), running).await.expect("stops").unwrap().is_ok());
    let info = js.get_stream(&stream).await.unwrap().consumer_info("crossdock-erp").await.unwrap();
    assert_eq!((info.num_pending, info.num_ack_pending), (0, 0), "acked before it stopped");
    let _ = js.delete_stream(&stream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nats_consumer_resumes_after_the_server_comes_back() {
    let Some(url) = crate::transport::conformance::nats_url() else { return };
    let upstream = url::Url::parse(&url).unwrap();
    let upstream = tokio::net::lookup_host((upstream.host_str().unwrap(), upstream.port().unwrap_or(4222)))
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = crate::transport::conformance::TcpProxy::start(upstream).await;
    let id = format!("{}x{}", std::process::id(), rand::random::<u32>());
    let (stream, subject) = (format!("CDRE_{id}"), format!("cdre{id}.commands"));
    let js = async_nats::jetstream::new(async_nats::connect(url.as_str()).await.unwrap());
    js.create_stream(async_nats::jetstream::stream::Config {
        name: stream.clone(),
        subjects: vec![format!("{subject}.>")],
        ..Default::default()
    })
    .await
    .unwrap();
    let consumer = NatsConsumerConfig {
        stream: stream.clone(),
        subject: format!("{subject}.>"),
        durable: Some("resume".into()),
        create_stream: false,
        ack_wait_ms: 2_000,
        nak_delay_ms: 100,
        max_deliver: Some(10),
        batch: 16,
    };
    let via_proxy = format!("nats://127.0.0.1:{}", proxy.port());
    let config = NatsInboundConfig::new("wms", &via_proxy, &consumer, Duration::from_secs(1));
    let seen = Seen::default();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(nats::run(config, handler(seen.clone()), async {
        let _ = stopped.await;
    }));
    publish_kept(&js, format!("{subject}.a"), async_nats::HeaderMap::new(), "{\"n\":1}").await;
    assert!(wait_for(Duration::from_secs(10), || ids(&seen).len() == 1).await, "first message handled");
    proxy.stop().await;
    publish_kept(&js, format!("{subject}.b"), async_nats::HeaderMap::new(), "{\"n\":2}").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(ids(&seen).len(), 1, "nothing arrives while the server is away");
    proxy.restart().await;
    assert!(wait_for(Duration::from_secs(30), || ids(&seen).len() >= 2).await, "resumed: {:?}", ids(&seen));
    assert_eq!(ids(&seen), [format!("{stream}:1"), format!("{stream}:2")]);
    let _ = stop.send(());
    assert!(tokio::time::timeout(Duration::from_secs(5), running).await.expect("stops").unwrap().is_ok());
    let _ = js.delete_stream(&stream).await;
}

/// A file-inbox line becomes a command submitted as its system: the audit entry names `system:<name>` and
/// the line it came from; a line that is not a command is refused and the file moves to `failed/`.
#[tokio::test]
async fn inbox_commands_are_submitted_and_audited_as_the_system() {
    let db = crossdock_store::testing::sqlite().expect("temporary folder");
    let store = db.open_store().await;
    let folder = tempfile::tempdir().unwrap();
    let config = inbox_of("wms", folder.path());
    let receipt = serde_json::json!({"type": "adjust_inventory", "sku": "SKU-1", "location": "CHI", "delta": 5,
                                     "reason": "receipt"});
    let adjust = serde_json::json!({"type": "adjust_inventory", "sku": "SKU-1", "location": "CHI", "delta": -2,
                                    "reason": "damage", "idempotency_key": "count-1"});
    let a = format!("{receipt}\n{adjust}\n");
    std::fs::write(folder.path().join("a.jsonl"), &a).unwrap();
    std::fs::write(folder.path().join("b.jsonl"), "{\"type\": \"no_such_command\"}\n").unwrap();
    let handler = SubmitHandler::new(store.clone(), "wms", None, None);
    let outcomes = poll_once(&config, &handler).await.unwrap();
    assert_eq!(outcomes[0], ("a.jsonl".to_string(), FileOutcome::Processed { lines: 2 }), "{outcomes:?}");
    assert!(matches!(&outcomes[1].1, FileOutcome::Failed { refused } if refused[0].1.contains("invalid command")));

    let filter = crossdock_store::AuditFilter { actor: Some("system:wms".into()), ..Default::default() };
    let entries = store.audit_entries(&filter).await.unwrap();
    let summary: Vec<_> = entries
        .iter()
        .map(|e| {
            let f = &e.fields;
            (f.command.as_str(), f.idempotency_key.as_str(), f.source.as_deref(), f.outcome.as_str())
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "adjust_inventory",
                format!("inbound:wms:{}", line_key("a.jsonl", &a, 1)).as_str(),
                Some("a.jsonl:1"),
                "accepted"
            ),
            ("adjust_inventory", "inbound:wms:count-1", Some("a.jsonl:2"), "accepted"),
        ]
    );
    assert_eq!(store.inventory(None, None).await.unwrap()[0].on_hand, 3);
}

/// Path traversal through the inbox: a symbolic link to a file outside the inbox (or to a folder) is never
/// read, and nothing outside the inbox is moved or written.
#[cfg(unix)]
#[tokio::test]
async fn inbox_links_to_files_outside_are_not_followed() {
    let outer = tempfile::tempdir().unwrap();
    let inbox = outer.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let secret = outer.path().join("secret.jsonl");
    std::fs::write(&secret, "{\"n\": 1}\n").unwrap();
    std::os::unix::fs::symlink(&secret, inbox.join("link.jsonl")).unwrap();
    std::os::unix::fs::symlink(outer.path(), inbox.join("up")).unwrap();
    let config = inbox_of("wms", &inbox);
    let seen: Seen = Arc::default();
    assert_eq!(poll_once(&config, &handler(seen.clone())).await.unwrap(), []);
    assert!(seen.lock().unwrap().is_empty(), "the link was not read");
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "{\"n\": 1}\n", "the target is untouched");
    assert!(
        inbox.join("link.jsonl").exists()
            && std::fs::read_dir(inbox.join(super::file::PROCESSED)).unwrap().next().is_none()
    );
}

/// The NATS consumer with the submitting handler: a command published by the system is submitted once, as
/// `system:<name>`, under its `Nats-Msg-Id`, with the subject as its source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_commands_are_submitted_and_audited_as_the_system() {
    let Some(url) = crate::transport::conformance::nats_url() else { return };
    let id = format!("{}y{}", std::process::id(), rand::random::<u32>());
    let (stream, subject) = (format!("CDSUB_{id}"), format!("cdsub{id}.commands"));
    let consumer = created_stream_consumer(&stream, &subject, 2_000, Some(5));
    let config = NatsInboundConfig::new("erp", &url, &consumer, Duration::from_secs(2));
    let db = crossdock_store::testing::sqlite().expect("temporary folder");
    let store = db.open_store().await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handler = SubmitHandler::new(store.clone(), "erp", None, None);
    let running = tokio::spawn(nats::run(config, handler, async {
        let _ = stopped.await;
    }));
    let js = async_nats::jetstream::new(async_nats::connect(url.as_str()).await.unwrap());
    let body = r#"{"type": "adjust_inventory", "sku": "SKU-9", "location": "W1", "delta": 6, "reason": "receipt"}"#;
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", "erp-receipt-1");
    publish_kept(&js, format!("{subject}.receipt"), headers, body).await;

    let filter = crossdock_store::AuditFilter { actor: Some("system:erp".into()), ..Default::default() };
    let started = Instant::now();
    let entries = loop {
        let entries = store.audit_entries(&filter).await.unwrap();
        if !entries.is_empty() || started.elapsed() > Duration::from_secs(15) {
            break entries;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = stop.send(());
    assert!(tokio::time::timeout(Duration::from_secs(5), running).await.expect("stops").unwrap().is_ok());
    let summary: Vec<_> = entries
        .iter()
        .map(|e| (e.fields.command.as_str(), e.fields.idempotency_key.as_str(), e.fields.source.clone()))
        .collect();
    assert_eq!(
        summary,
        [("adjust_inventory", "inbound:erp:erp-receipt-1", Some(format!("{subject}.receipt")))],
        "{entries:?}"
    );
}

/// Publishes to JetStream and waits for the ack, trying again (at most 10 s) while no stream answers for the
/// subject: the consumer creates its stream concurrently, and a server under load can answer "no responders"
/// for a moment even after the stream is listed.
pub(super) async fn publish_kept(
    js: &async_nats::jetstream::Context,
    subject: String,
    headers: async_nats::HeaderMap,
    body: &'static str,
) {
    use async_nats::jetstream::context::PublishErrorKind;
    for _ in 0..200 {
        let sent = js.publish_with_headers(subject.clone(), headers.clone(), body.into()).await.unwrap();
        match sent.await {
            Ok(_) => return,
            Err(e) if e.kind() == PublishErrorKind::StreamNotFound => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("publish to {subject}: {e}"),
        }
    }
    panic!("no stream kept {subject} within 10 s");
}
