//! An online, consistent copy of a SQLite store while hub processes keep writing to it: the store's file
//! and then its PII key file, each copied with `VACUUM INTO` (one read transaction: a snapshot, compacted,
//! without the WAL). A PostgreSQL store is backed up with its own tools (`pg_dump`).
//!
//! Why the store's file is copied first. A data key is committed to the key file before any transaction
//! that seals PII under it (`batch::apply::placed_keys`), and erasure deletes keys from the key file only.
//! - Every key the store's copy refers to was committed before that copy's snapshot, so the key file's later
//!   snapshot holds it, unless the key was erased in between; then its PII reads as erased in the copy, as it
//!   does in the store. (Copying the key file first would miss the keys of orders placed between the two
//!   copies: their PII would be lost in the backup.)
//! - An erasure committed before the key file's snapshot is in the copy: the key is not there, whether the
//!   erasure came before or after the store's snapshot. (Copying the key file first would undo an erasure
//!   made between the two copies: the key copy would still hold the key the store's copy no longer needs.)
//! - `VACUUM INTO` rebuilds the file, so the copy of the key file holds no free pages with erased keys' bytes.
//!
//! Restoring a backup brings back what was erased after it was taken: the audit trail of the live store
//! lists those erasures (`erase_customer_pii`) to apply again.

use crate::codec::db;
use crate::sqlite::pii_keys::key_file_for;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Why a backup was not made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "the store is on PostgreSQL: back it up with pg_dump (for example `pg_dump --format=custom --file \
         crossdock.dump DATABASE_URL`); crossdock backup copies SQLite stores only"
    )]
    Postgres,
    #[error("{path}: the store file does not exist")]
    MissingStore { path: PathBuf },
    #[error("{path}: already exists; a backup never overwrites a file (choose an empty folder)")]
    Exists { path: PathBuf },
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Copy { path: PathBuf, source: crate::StoreError },
}

/// Copies the SQLite store of `url` (and its PII key file, when there is one) into `dir`, created if
/// missing, under the same file names; returns the files written, the store's first.
pub async fn backup(url: &str, dir: &Path) -> Result<Vec<PathBuf>, BackupError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Err(BackupError::Postgres);
    }
    let options = if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url).map_err(|e| BackupError::Io { path: url.into(), message: e.to_string() })?
    } else {
        SqliteConnectOptions::new().filename(url)
    };
    let store = options.get_filename().to_path_buf();
    if !store.is_file() {
        return Err(BackupError::MissingStore { path: store });
    }
    let name = store.file_name().ok_or_else(|| BackupError::MissingStore { path: store.clone() })?;
    let keys = key_file_for(&store);
    let mut copies = vec![(store.clone(), dir.join(name))];
    if keys.is_file() {
        copies.push((keys, key_file_for(&dir.join(name))));
    }
    // Both targets are checked before anything is written: no half backup beside an older one.
    for (_, target) in &copies {
        if target.exists() {
            return Err(BackupError::Exists { path: target.clone() });
        }
    }
    create_private_dir(dir)?;
    let mut written = Vec::new();
    for (source, target) in copies {
        vacuum_into(&source, &target).await?;
        written.push(target);
    }
    sync_folder(dir)?;
    Ok(written)
}

/// One `VACUUM INTO` on a connection of its own, then the copy flushed to disk (SQLite does not sync it).
async fn vacuum_into(source: &Path, target: &Path) -> Result<(), BackupError> {
    let failed = |e: sqlx::Error| BackupError::Copy { path: source.to_path_buf(), source: db(e) };
    // Journal mode stated, so that opening never switches a live store out of WAL; nothing else is written.
    let mut conn = SqliteConnectOptions::new()
        .filename(source)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await
        .map_err(failed)?;
    let target_text = target
        .to_str()
        .ok_or_else(|| BackupError::Io { path: target.to_path_buf(), message: "the path is not valid UTF-8".into() })?;
    // Created here, empty, and only if absent (VACUUM INTO writes into an empty file): a file that appeared
    // since the check is refused, never overwritten, and a failed copy removes only its own output.
    // Owner-only (0600 on Unix): the copies hold everything the store does, the key file its PII keys.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(target) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(BackupError::Exists { path: target.to_path_buf() });
        }
        Err(e) => return Err(io(target, e)),
    }
    let copied = sqlx::query("VACUUM INTO ?").bind(target_text.to_string()).execute(&mut conn).await;
    let _ = conn.close().await;
    if let Err(e) = copied {
        let _ = std::fs::remove_file(target);
        return Err(BackupError::Copy { path: target.to_path_buf(), source: db(e) });
    }
    std::fs::File::open(target).and_then(|f| f.sync_all()).map_err(|e| io(target, e))
}

/// Creates `dir` and missing parents; the folders it creates are owner-only (0700 on Unix). An existing
/// folder keeps its mode: the operator chose it.
fn create_private_dir(dir: &Path) -> Result<(), BackupError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| io(dir, e))
}

/// Makes the new files' names durable too (on Unix a folder is synced like a file).
fn sync_folder(dir: &Path) -> Result<(), BackupError> {
    #[cfg(unix)]
    std::fs::File::open(dir).and_then(|f| f.sync_all()).map_err(|e| io(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn io(path: &Path, error: std::io::Error) -> BackupError {
    BackupError::Io { path: path.to_path_buf(), message: error.to_string() }
}
