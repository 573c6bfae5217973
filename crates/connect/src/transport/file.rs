//! The file transport: each batch becomes one JSON-lines file in the system's folder, written under a
//! temporary dot-name, synced, and renamed into place, so a reader never sees half a file.
//!
//! Each line is one message: `{"idempotency_key", "event_type", "seq", "aggregate_id", "timestamp",
//! "body"}`. A folder that is missing or not writable is retried; the transport never creates it (a missing
//! mount must not fill the local disk underneath).

use super::api::{OutboundMessage, SendOutcome, Transport, TransportError};
use async_trait::async_trait;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where files go.
#[derive(Debug, Clone)]
pub struct FileTransportConfig {
    pub folder: PathBuf,
}

/// Writes batches as files into one folder.
#[derive(Debug)]
pub struct FileTransport {
    folder: PathBuf,
    /// Makes names unique among the batches of this process.
    counter: AtomicU64,
}

/// The JSON-lines record of one message; `None` when the body is not JSON.
pub fn record(message: &OutboundMessage) -> Option<Value> {
    let body: Value = serde_json::from_slice(&message.body).ok()?;
    Some(json!({
        "idempotency_key": message.idempotency_key,
        "event_type": message.event_type,
        "seq": message.seq,
        "aggregate_id": message.aggregate_id,
        "timestamp": message.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "body": body,
    }))
}

impl FileTransport {
    pub fn new(config: FileTransportConfig) -> Result<Self, TransportError> {
        if config.folder.as_os_str().is_empty() {
            return Err(TransportError::Config("file transport needs a folder".into()));
        }
        Ok(Self { folder: config.folder, counter: AtomicU64::new(0) })
    }

    /// `<UTC time>-<first seq>-<pid>-<n>.jsonl`: names sort by write time.
    fn file_name(&self, first_seq: i64) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let time = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
        format!("{time}-{first_seq}-{}-{n}.jsonl", std::process::id())
    }
}

/// Writes `content` to `folder/.name.tmp`, syncs it, renames it to `folder/name` and syncs the folder.
fn write_atomically(folder: &Path, name: &str, content: &[u8]) -> std::io::Result<()> {
    if !folder.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "the folder does not exist"));
    }
    let temporary = folder.join(format!(".{name}.tmp"));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temporary)?;
        file.write_all(content)?;
        file.sync_all()?;
        std::fs::rename(&temporary, folder.join(name))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written?;
    // The rename is durable once the folder's entry is.
    if let Ok(dir) = std::fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[async_trait]
impl Transport for FileTransport {
    fn kind(&self) -> &'static str {
        "file"
    }

    fn target(&self) -> String {
        self.folder.display().to_string()
    }

    /// Checks that the folder exists and that a file can be created in it.
    async fn connect(&self) -> Result<(), TransportError> {
        let folder = self.folder.clone();
        let probe = format!(".crossdock-probe-{}-{}", std::process::id(), self.counter.fetch_add(1, Ordering::Relaxed));
        let checked = tokio::task::spawn_blocking(move || {
            write_atomically(&folder, &probe, b"")?;
            std::fs::remove_file(folder.join(&probe))
        })
        .await;
        match checked {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(TransportError::Unreachable { target: self.target(), reason: e.to_string() }),
            Err(e) => Err(TransportError::Unreachable { target: self.target(), reason: e.to_string() }),
        }
    }

    /// One file for the batch; a message whose body is not JSON is refused, the others written together.
    async fn send_batch(&self, batch: &[OutboundMessage]) -> Vec<SendOutcome> {
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut content = Vec::new();
        for message in batch {
            match record(message) {
                Some(line) => {
                    // A Value always serialises.
                    let _ = serde_json::to_writer(&mut content, &line);
                    content.push(b'\n');
                    outcomes.push(SendOutcome::Delivered);
                }
                None => outcomes.push(SendOutcome::Reject { error: "the body is not JSON".into(), response: None }),
            }
        }
        let Some(first) = batch.iter().zip(&outcomes).find(|(_, o)| **o == SendOutcome::Delivered) else {
            return outcomes;
        };
        let name = self.file_name(first.0.seq);
        let folder = self.folder.clone();
        let written = tokio::task::spawn_blocking(move || write_atomically(&folder, &name, &content)).await;
        let error = match written {
            Ok(Ok(())) => return outcomes,
            Ok(Err(e)) => format!("cannot write to {}: {e}", self.target()),
            Err(e) => format!("the write was interrupted: {e}"),
        };
        for outcome in &mut outcomes {
            if *outcome == SendOutcome::Delivered {
                *outcome = SendOutcome::Retry { after: None, error: error.clone(), response: None };
            }
        }
        outcomes
    }

    async fn close(&self) {}
}
