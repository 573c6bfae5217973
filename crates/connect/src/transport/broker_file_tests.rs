//! Tests of the NATS and file transports beyond the conformance suite: subjects and headers, duplicates,
//! a missing stream, refused messages, the JSON-lines layout; and the transport factory.

use super::conformance::nats_url;
use super::*;
use crate::config::ConnectConfig;
use crate::dispatch::from_config;
use chrono::Utc;
use futures::StreamExt;
use std::path::Path;
use std::time::Duration;

fn message(key: &str, event_type: &str, body: &str) -> OutboundMessage {
    OutboundMessage {
        idempotency_key: key.into(),
        event_type: event_type.into(),
        seq: 3,
        aggregate_id: "o-1".into(),
        body: body.as_bytes().to_vec(),
        timestamp: Utc::now(),
    }
}

fn unique() -> String {
    format!("{}x{}", std::process::id(), rand::random::<u32>())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_publishes_to_the_event_subject_with_the_key_as_message_id() {
    let Some(url) = nats_url() else { return };
    let id = unique();
    let mut config = NatsTransportConfig::new(url.clone());
    config.subject_prefix = format!("cdt{id}");
    config.timeout = Duration::from_secs(1);
    // No stream captures the subjects: retried, not refused.
    let transport = NatsTransport::new(config.clone()).unwrap();
    let outcome = transport.send_one(&message("s:1", "order.placed", "{}")).await;
    assert!(matches!(&outcome, SendOutcome::Retry { error, .. } if error.contains("no stream")), "{outcome:?}");
    assert!(transport.connect().await.is_err(), "connect reports the missing stream");

    config.stream = Some(format!("CDT_{id}"));
    config.create_stream = true;
    let transport = NatsTransport::new(config).unwrap();
    assert_eq!(transport.target(), format!("{} cdt{id}.events.>", crossdock_store::redact_url(&url)));
    // The first publish creates the stream (no connect needed), the second is a duplicate.
    let first = message("s:1", "order.placed", "{\"a\":1}");
    assert_eq!(transport.send_one(&first).await, SendOutcome::Delivered);
    transport.connect().await.unwrap();
    assert_eq!(transport.send_batch(&[first]).await, [SendOutcome::Delivered]);
    let refused = transport.send_one(&message("s:2", "order.*", "{}")).await;
    assert!(matches!(refused, SendOutcome::Reject { .. }), "{refused:?}");

    let js = async_nats::jetstream::new(async_nats::connect(url.as_str()).await.unwrap());
    let mut stream = js.get_stream(format!("CDT_{id}")).await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 1, "the duplicate was dropped by its Nats-Msg-Id");
    let consumer = stream.create_consumer(async_nats::jetstream::consumer::pull::Config::default()).await.unwrap();
    let mut messages = consumer.fetch().max_messages(10).messages().await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), messages.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(got.subject.as_str(), format!("cdt{id}.events.order.placed"));
    let header = |name: &str| got.headers.as_ref().and_then(|h| h.get(name)).map(|v| v.as_str().to_string());
    assert_eq!(header("Nats-Msg-Id").as_deref(), Some("s:1"));
    assert_eq!(header("Crossdock-Seq").as_deref(), Some("3"));
    assert_eq!(got.payload.as_ref(), b"{\"a\":1}");
    transport.close().await;
    let _ = js.delete_stream(format!("CDT_{id}")).await;
}

#[test]
fn nats_configuration_errors_and_redacted_targets() {
    assert!(NatsTransport::new(NatsTransportConfig::new("http://127.0.0.1:4222")).is_err());
    let mut config = NatsTransportConfig::new("nats://127.0.0.1:4222");
    config.create_stream = true;
    assert!(NatsTransport::new(config).is_err(), "create_stream without a stream");
    let transport = NatsTransport::new(NatsTransportConfig::new("nats://user:secret@127.0.0.1:4222")).unwrap();
    assert!(!transport.target().contains("secret"), "{}", transport.target());
    assert_eq!(transport.kind(), "nats");
}

fn files(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(folder).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn file_batches_are_one_json_lines_file_each_and_bad_bodies_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let transport = FileTransport::new(FileTransportConfig { folder: dir.path().into() }).unwrap();
    transport.connect().await.unwrap();
    let batch = [message("s:1", "order.placed", "{\"a\":1}"), message("s:2", "order.held", "not json")];
    let outcomes = transport.send_batch(&batch).await;
    assert_eq!(outcomes[0], SendOutcome::Delivered);
    assert!(matches!(outcomes[1], SendOutcome::Reject { .. }));
    let names = files(dir.path());
    assert_eq!(names.len(), 1, "no temporary or probe file left: {names:?}");
    assert!(names[0].contains("-3-") && names[0].ends_with(".jsonl"), "{names:?}");
    let text = std::fs::read_to_string(dir.path().join(&names[0])).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["idempotency_key"], "s:1");
    assert_eq!(lines[0]["event_type"], "order.placed");
    assert_eq!(lines[0]["body"], serde_json::json!({ "a": 1 }));

    let missing = FileTransport::new(FileTransportConfig { folder: dir.path().join("gone") }).unwrap();
    assert!(missing.connect().await.is_err());
    let outcome = missing.send_batch(&batch[..1]).await;
    assert!(matches!(&outcome[0], SendOutcome::Retry { error, .. } if error.contains("does not exist")), "{outcome:?}");
    assert!(!dir.path().join("gone").exists(), "the folder is never created");
}

const CONFIG: &str = r#"
[[systems]]
name = "erp"
role = "erp"
transport = { type = "http", url = "http://127.0.0.1:1/hook" }

[[systems]]
name = "wms"
role = "wms"
transport = { type = "nats", url = "nats://127.0.0.1:4222", stream = "CROSSDOCK_EVENTS", create_stream = true, consumer = { stream = "WMS_COMMANDS", subject = "wms.commands.>" } }

[[systems]]
name = "partner"
role = "partner"
transport = { type = "file", folder = "outbox", inbox = { folder = "inbox" } }

[[subscriptions]]
name = "all-wms"
system = "wms"
events = ["*"]
"#;

#[test]
fn the_factory_builds_every_known_type_and_names_them_for_an_unknown_one() {
    let config: ConnectConfig = toml::from_str(CONFIG).unwrap();
    let loaded = config.load_with_env("crossdock.toml", Path::new("."), &|_| None).unwrap();
    let kinds: Vec<Option<&str>> = loaded.systems.iter().map(|s| factory(s).map(|t| t.kind())).collect();
    assert_eq!(kinds, [None, Some("nats"), Some("file")], "http is left to the dispatcher");
    let built: Vec<&str> = loaded.systems.iter().map(|s| build(s).unwrap().kind()).collect();
    assert_eq!(built, ["http", "nats", "file"]);
    let (systems, subscriptions) = from_config(&loaded, &factory).unwrap();
    assert_eq!((systems.len(), subscriptions.len()), (3, 1));
    assert!(check_transport_type("nats").is_ok());
    let error = check_transport_type("kafka").unwrap_err().to_string();
    assert_eq!(
        error,
        "invalid transport configuration: unknown transport type \"kafka\"; known types: http, nats, file"
    );

    let wms = &loaded.systems[1].config;
    let inbound = crate::inbound::nats::NatsInboundConfig::from_system(wms).unwrap();
    assert_eq!((inbound.durable.as_str(), inbound.subject.as_str()), ("crossdock-wms", "wms.commands.>"));
    let partner = &loaded.systems[2].config;
    assert!(crate::inbound::has_consumer(partner) && crate::inbound::has_consumer(wms));
    assert!(!crate::inbound::has_consumer(&loaded.systems[0].config));
}
