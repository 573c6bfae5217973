//! The folder transport: per partner `<root>/<partner>/inbox` (polled), `processed` and `failed` (inputs
//! are renamed there, atomically, once received) and `outbox` (written to a hidden temporary name, synced,
//! then renamed, so a partner's pickup never sees half a file).
//!
//! As in the file inbox (`inbound::file`): inbox files whose names start with `.` or end with `.tmp` or
//! `.part` are still being written and are skipped (partners upload under such a name and rename), and a
//! file over [`MAX_FILE_BYTES`] is moved to `failed` unread.

use super::receive::{Source, receive};
use super::{EdiError, ReceiveOutcome};
use crate::inbound::file::{MAX_FILE_BYTES, still_written};
use chrono::{DateTime, Utc};
use crossdock_edi::EdiConfig;
use crossdock_store::{InterchangeStatus, Store};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Whether `name` can be used as one folder name under a root without leaving it: not empty, not `.` or
/// `..`, no separator, no NUL.
pub fn is_plain_folder_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// The four folders of one partner.
#[derive(Debug, Clone)]
pub struct PartnerFolders {
    pub inbox: PathBuf,
    pub processed: PathBuf,
    pub failed: PathBuf,
    pub outbox: Outbox,
}

impl PartnerFolders {
    /// The folders of `partner` under `root`; callers with a name from outside check it with
    /// [`is_plain_folder_name`] first.
    pub fn new(root: &Path, partner: &str) -> Self {
        let base = root.join(partner);
        PartnerFolders {
            inbox: base.join("inbox"),
            processed: base.join("processed"),
            failed: base.join("failed"),
            outbox: Outbox(base.join("outbox")),
        }
    }

    /// Creates the folders that are missing.
    pub fn create(&self) -> Result<(), EdiError> {
        for dir in [&self.inbox, &self.processed, &self.failed, &self.outbox.0] {
            std::fs::create_dir_all(dir).map_err(|source| io(dir, source))?;
        }
        Ok(())
    }
}

/// A folder that outbound files are dropped into.
#[derive(Debug, Clone)]
pub struct Outbox(pub PathBuf);

fn io(path: &Path, source: std::io::Error) -> EdiError {
    EdiError::Io { path: path.display().to_string(), source }
}

impl Outbox {
    /// Writes `bytes` as `name` (made unique with `-1`, `-2`… when taken): first to `.name.tmp`, synced,
    /// then renamed. Returns the final path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, EdiError> {
        let target = self.free_path(name);
        self.write_at(&target, bytes)?;
        Ok(target)
    }

    /// Where [`Self::write`] would put `name` now: `name`, or `name` made unique.
    pub fn free_path(&self, name: &str) -> PathBuf {
        free_name(&self.0, name)
    }

    /// Writes `bytes` to `target` (a path in this outbox, from [`Self::free_path`]) through a synced hidden
    /// temporary file and a rename.
    pub fn write_at(&self, target: &Path, bytes: &[u8]) -> Result<(), EdiError> {
        std::fs::create_dir_all(&self.0).map_err(|e| io(&self.0, e))?;
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = self.0.join(format!(".{name}.tmp"));
        let mut file = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
        file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| io(&tmp, e))?;
        drop(file);
        std::fs::rename(&tmp, target).map_err(|e| io(target, e))
    }
}

/// `dir/name`, or `dir/<stem>-<n>.<ext>` for the first `n` not taken.
fn free_name(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = name.rsplit_once('.').map_or((name, String::new()), |(s, e)| (s, format!(".{e}")));
    (1..).map(|n| dir.join(format!("{stem}-{n}{ext}"))).find(|p| !p.exists()).unwrap_or(first)
}

/// What became of one inbox file.
#[derive(Debug)]
pub struct FileOutcome {
    pub partner: String,
    pub file: PathBuf,
    /// Where it was moved; `None` when it stays in the inbox to be tried again (a storage failure, or an
    /// outbox its 997 could not be written to: the 997 recorded then is the one written next time).
    pub moved_to: Option<PathBuf>,
    pub result: Result<ReceiveOutcome, EdiError>,
}

/// Receives every file in every partner's inbox (oldest name first), then moves it to `processed` when
/// accepted or partially accepted and to `failed` when rejected or refused, with a `.error` note beside
/// it. A file that hit a storage failure or an unwritable outbox stays where it is.
pub async fn poll_inboxes(store: &dyn Store, config: &EdiConfig, root: &Path, now: DateTime<Utc>) -> Vec<FileOutcome> {
    let mut out = Vec::new();
    for partner in &config.partners {
        let folders = PartnerFolders::new(root, &partner.id);
        if let Err(e) = folders.create() {
            out.push(FileOutcome {
                partner: partner.id.clone(),
                file: folders.inbox.clone(),
                moved_to: None,
                result: Err(e),
            });
            continue;
        }
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&folders.inbox) {
            Ok(entries) => entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter(|e| !still_written(&e.file_name().to_string_lossy()))
                .map(|e| e.path())
                .collect(),
            Err(e) => {
                let result = Err(io(&folders.inbox, e));
                out.push(FileOutcome {
                    partner: partner.id.clone(),
                    file: folders.inbox.clone(),
                    moved_to: None,
                    result,
                });
                continue;
            }
        };
        files.sort();
        for file in files {
            out.push(receive_file(store, config, &partner.id, &folders, file, now).await);
        }
    }
    out
}

async fn receive_file(
    store: &dyn Store,
    config: &EdiConfig,
    partner: &str,
    folders: &PartnerFolders,
    file: PathBuf,
    now: DateTime<Utc>,
) -> FileOutcome {
    let result = match read_capped(&file) {
        Ok(bytes) => {
            let source = Source { partner: Some(partner), file: Some(file.display().to_string()) };
            receive(store, config, &bytes, source, Some(&folders.outbox), now).await
        }
        Err(e) => Err(e),
    };
    let (target_dir, note) = match &result {
        Ok(o) if o.status == InterchangeStatus::Rejected => (Some(&folders.failed), Some(rejection_note(o))),
        Ok(_) => (Some(&folders.processed), None),
        Err(EdiError::Refused(e)) => (Some(&folders.failed), Some(format!("refused: {e}\n"))),
        Err(e @ EdiError::TooLarge { .. }) => (Some(&folders.failed), Some(format!("{e}\n"))),
        Err(_) => (None, None),
    };
    let moved_to = target_dir.and_then(|dir| {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "input.x12".into());
        let target = free_name(dir, &name);
        if let Some(note) = note {
            let note_path = target.with_file_name(format!("{}.error", target.file_name()?.to_string_lossy()));
            if let Err(e) = std::fs::write(&note_path, note) {
                tracing::warn!(path = %note_path.display(), error = %e, "cannot write the error note");
            }
        }
        match std::fs::rename(&file, &target) {
            Ok(()) => Some(target),
            Err(e) => {
                tracing::warn!(file = %file.display(), error = %e, "cannot move a received file out of the inbox");
                None
            }
        }
    });
    FileOutcome { partner: partner.into(), file, moved_to, result }
}

/// The file's bytes, or [`EdiError::TooLarge`] when it holds more than [`MAX_FILE_BYTES`] (checked before
/// reading, and again while reading in case it grew).
fn read_capped(file: &Path) -> Result<Vec<u8>, EdiError> {
    crate::inbound::file::read_capped(file, MAX_FILE_BYTES)
        .map_err(|e| io(file, e))?
        .ok_or_else(|| EdiError::TooLarge { path: file.display().to_string(), limit: MAX_FILE_BYTES })
}

fn rejection_note(o: &ReceiveOutcome) -> String {
    let mut note = format!("interchange {} rejected (record {})\n", o.isa_control, o.interchange_id);
    for issue in &o.issues {
        note.push_str(&serde_json::to_string(issue).unwrap_or_default());
        note.push('\n');
    }
    note
}
