//! The file inbox: a folder polled for JSON-lines files. Each line goes to the handler in order; a file whose
//! lines were all accepted moves to `processed/`, one with a refused line to `failed/` (with a
//! `<name>.errors.json` beside it); a transient error leaves the file for the next poll. Moves are renames
//! inside the inbox, so atomic.
//!
//! Files whose names start with `.` or end with `.tmp` or `.part` are still being written and are skipped;
//! writers should write under such a name and rename.
//!
//! A line without an `idempotency_key` field is keyed on the file's name, content and line number
//! (`<name>:<16 hex digits of the SHA-256 of the file>:<line>`): a partner dropping a new `orders.jsonl`
//! every hour gets new keys each time, while the same file read again (after a crash) replays.
//!
//! Shutdown is honoured between lines: the line in hand is settled (its command committed or refused)
//! before the inbox stops, and the rest of its file is left in place, to be read again at the next start
//! (the lines already handled come back as replays, through their idempotency keys).

use super::{InboundError, InboundHandler, InboundMessage, InboundRunError};
use crate::config::{SystemConfig, TransportConfig};
use serde_json::{Value, json};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Largest file read; a larger one is moved to `failed/` unread.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
pub const PROCESSED: &str = "processed";
pub const FAILED: &str = "failed";

/// Everything the inbox needs, from the system's `transport.inbox`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInboundConfig {
    pub system: String,
    pub folder: PathBuf,
    pub poll_interval: Duration,
}

impl FileInboundConfig {
    /// The inbox of a file system with `transport.inbox`; `None` otherwise.
    pub fn from_system(system: &SystemConfig) -> Option<Self> {
        let TransportConfig::File { inbox: Some(inbox), .. } = &system.transport else { return None };
        Some(Self {
            system: system.name.clone(),
            folder: PathBuf::from(&inbox.folder),
            poll_interval: Duration::from_millis(inbox.poll_interval_ms.max(10)),
        })
    }
}

/// How one file ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Every line accepted: moved to `processed/`.
    Processed { lines: usize },
    /// Some line refused: moved to `failed/`, the refusals listed in `<name>.errors.json`.
    Failed { refused: Vec<(usize, String)> },
    /// A transient error: left in place for the next poll.
    Retry { error: String },
}

/// Polls the inbox until `shutdown` resolves. Creates `processed/` and `failed/` inside it; an inbox
/// that cannot be read is logged and polled again.
pub async fn run<H: InboundHandler>(
    config: FileInboundConfig,
    handler: H,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), InboundRunError> {
    let mut shutdown = std::pin::pin!(shutdown);
    let stopping = AtomicBool::new(false);
    loop {
        let poll = poll_until(&config, &handler, &stopping);
        let mut poll = std::pin::pin!(poll);
        let polled = tokio::select! {
            polled = &mut poll => polled,
            () = &mut shutdown => {
                // Settle the line in hand; the poll then stops before the next one.
                stopping.store(true, Ordering::Relaxed);
                let _ = poll.await;
                return Ok(());
            }
        };
        if let Err(error) = polled {
            tracing::warn!(system = %config.system, %error, "cannot poll the inbox");
        }
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            () = tokio::time::sleep(config.poll_interval) => {}
        }
    }
}

/// Handles every ready file once, in name order; returns each file's name and outcome.
pub async fn poll_once<H: InboundHandler>(
    config: &FileInboundConfig,
    handler: &H,
) -> Result<Vec<(String, FileOutcome)>, InboundRunError> {
    poll_until(config, handler, &AtomicBool::new(false)).await
}

/// [`poll_once`], stopping between two lines once `stopping` is set.
async fn poll_until<H: InboundHandler>(
    config: &FileInboundConfig,
    handler: &H,
    stopping: &AtomicBool,
) -> Result<Vec<(String, FileOutcome)>, InboundRunError> {
    let io =
        |e: std::io::Error| InboundRunError::Io { target: config.folder.display().to_string(), reason: e.to_string() };
    let folder = config.folder.clone();
    let names = tokio::task::spawn_blocking(move || ready_files(&folder))
        .await
        .map_err(|e| io(std::io::Error::other(e)))?
        .map_err(io)?;
    let mut outcomes = Vec::with_capacity(names.len());
    for name in names {
        if stopping.load(Ordering::Relaxed) {
            break;
        }
        // None: the inbox is stopping, and the file stays in place for the next start.
        let Some(outcome) = handle_file(config, handler, &name, stopping).await else { break };
        match &outcome {
            FileOutcome::Processed { .. } => {}
            FileOutcome::Failed { refused } => {
                tracing::warn!(system = %config.system, file = %name, refused = refused.len(), "inbox file failed");
            }
            FileOutcome::Retry { error } => {
                tracing::warn!(system = %config.system, file = %name, %error, "inbox file left for the next poll");
            }
        }
        outcomes.push((name, outcome));
    }
    Ok(outcomes)
}

/// Names of regular files ready to read, sorted; creates `processed/` and `failed/`.
fn ready_files(folder: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(folder.join(PROCESSED))?;
    std::fs::create_dir_all(folder.join(FAILED))?;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let Ok(name) = entry.file_name().into_string() else { continue };
        if still_written(&name) {
            continue;
        }
        names.push(name);
    }
    names.sort();
    Ok(names)
}

/// Whether an inbox file's name says it is still being written (a dot-name, or `.tmp` / `.part`): partners
/// upload under such a name and rename. The EDI inbox keeps the same convention.
pub(crate) fn still_written(name: &str) -> bool {
    name.starts_with('.') || name.ends_with(".tmp") || name.ends_with(".part")
}

/// The file's bytes, or `None` when it holds more than `max` bytes: checked before reading, and again while
/// reading, so that a file still growing (a partner appending under its final name) cannot fill memory.
/// Both inboxes read through it.
pub(crate) fn read_capped(path: &Path, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut opened = std::fs::File::open(path)?;
    if opened.metadata()?.len() > max {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    (&mut opened).take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= max).then_some(bytes))
}

/// How the file `name` ended, or `None` when `stopping` was set before its last line.
async fn handle_file<H: InboundHandler>(
    config: &FileInboundConfig,
    handler: &H,
    name: &str,
    stopping: &AtomicBool,
) -> Option<FileOutcome> {
    let path = config.folder.join(name);
    let read = tokio::task::spawn_blocking(move || -> std::io::Result<Option<(String, String)>> {
        let Some(bytes) = read_capped(&path, MAX_FILE_BYTES)? else { return Ok(None) };
        Ok(Some((String::from_utf8_lossy(&bytes).into_owned(), content_tag(&bytes))))
    })
    .await;
    let (text, tag) = match read {
        Ok(Ok(Some(read))) => read,
        Ok(Ok(None)) => {
            return Some(
                finish(config, name, vec![(0, format!("the file is larger than {MAX_FILE_BYTES} bytes"))]).await,
            );
        }
        Ok(Err(e)) => return Some(FileOutcome::Retry { error: format!("cannot read: {e}") }),
        Err(e) => return Some(FileOutcome::Retry { error: format!("cannot read: {e}") }),
    };
    let mut refused = Vec::new();
    let mut lines = 0;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if stopping.load(Ordering::Relaxed) {
            return None;
        }
        lines += 1;
        let external_id = serde_json::from_str::<Value>(line)
            .ok()
            .and_then(|v| v.get("idempotency_key").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| format!("{name}:{tag}:{number}"));
        let message = InboundMessage {
            system: config.system.clone(),
            source: format!("{name}:{number}"),
            external_id,
            headers: Vec::new(),
            body: line.as_bytes().to_vec(),
            attempt: 1,
        };
        match handler.handle(message).await {
            Ok(()) => {}
            Err(InboundError::Permanent(error)) => refused.push((number, error)),
            // Lines already handled are deduped by their idempotency keys next time.
            Err(InboundError::Transient(error)) => {
                return Some(FileOutcome::Retry { error: format!("line {number}: {error}") });
            }
        }
    }
    Some(if refused.is_empty() {
        match move_file(&config.folder, name, PROCESSED).await {
            Ok(()) => FileOutcome::Processed { lines },
            Err(e) => FileOutcome::Retry { error: format!("cannot move to {PROCESSED}/: {e}") },
        }
    } else {
        finish(config, name, refused).await
    })
}

/// The first 16 hex digits of the SHA-256 of a file's bytes: tells apart files dropped under one name.
fn content_tag(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Moves a file to `failed/` with its refusals in `<name>.errors.json`.
async fn finish(config: &FileInboundConfig, name: &str, refused: Vec<(usize, String)>) -> FileOutcome {
    let errors: Vec<Value> = refused.iter().map(|(line, error)| json!({ "line": line, "error": error })).collect();
    let report = serde_json::to_vec_pretty(&json!({ "file": name, "errors": errors })).unwrap_or_default();
    let failed = config.folder.join(FAILED);
    let report_name = format!("{name}.errors.json");
    let written = tokio::task::spawn_blocking(move || {
        let temporary = failed.join(format!(".{report_name}.tmp"));
        std::fs::write(&temporary, report)?;
        std::fs::rename(&temporary, failed.join(report_name))
    })
    .await;
    if let Ok(Err(e)) = written {
        tracing::warn!(system = %config.system, file = %name, error = %e, "cannot write the error report");
    }
    match move_file(&config.folder, name, FAILED).await {
        Ok(()) => FileOutcome::Failed { refused },
        Err(e) => FileOutcome::Retry { error: format!("cannot move to {FAILED}/: {e}") },
    }
}

/// Renames `folder/name` to `folder/to/name`, or `name.1`, `name.2`, … when that is taken.
async fn move_file(folder: &Path, name: &str, to: &str) -> std::io::Result<()> {
    let from = folder.join(name);
    let dir = folder.join(to);
    let name = name.to_string();
    tokio::task::spawn_blocking(move || {
        for n in 0..1_000u32 {
            let target = if n == 0 { dir.join(&name) } else { dir.join(format!("{name}.{n}")) };
            if !target.exists() {
                return std::fs::rename(&from, &target);
            }
        }
        Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "1000 files of that name already moved"))
    })
    .await
    .map_err(std::io::Error::other)?
}

#[cfg(test)]
mod read_tests {
    use super::read_capped;

    #[test]
    fn a_file_is_read_up_to_the_cap_and_refused_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.jsonl");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_capped(&path, 10).unwrap().as_deref(), Some(&b"0123456789"[..]));
        assert_eq!(read_capped(&path, 9).unwrap(), None, "one byte over the cap");
        assert!(read_capped(&dir.path().join("gone"), 10).is_err(), "a missing file is an error, not empty");
    }
}
