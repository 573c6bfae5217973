//! Checkpoints off the write path, and a WAL that stays bounded under continuous load.
//!
//! SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold, on the one writer
//! connection, so every few hundred batches one commit copied the WAL back into the database file and synced
//! it (under `bench e2e`, 15% of the writer connection's time and commits of over 20 ms). The writer
//! connection has it turned off (`wal_autocheckpoint = 0`); this task runs a PASSIVE checkpoint on a
//! connection of its own every [`INTERVAL`], which copies what no reader still needs without blocking the
//! writer or the readers.
//!
//! SQLite starts the WAL over only when a write transaction begins while every frame has been copied. Under
//! continuous load that never happens: by the time the background checkpoint has copied the WAL, the writer
//! has appended more. The WAL then grew without end (470 MB beside a 101 MB database after 8 s of
//! `bench e2e`). So once the WAL file is longer than the limit, the writer runs a PASSIVE checkpoint
//! itself, on its own connection, just before it begins its next batch ([`restart_if_long`]): no one can
//! append in between, so it copies what is left (the background one has copied the rest) and the batch's
//! first write starts the WAL over, unless a reader still holds a snapshot of it, in which case the next
//! batch tries again. `journal_size_limit` then truncates the file.

use crate::StoreError;
use crate::codec::db;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Time between two checkpoints.
const INTERVAL: Duration = Duration::from_millis(250);

/// WAL length past which the writer checkpoints before its next batch: 64 MiB.
pub(crate) const WAL_LIMIT_BYTES: u64 = 64 << 20;

/// Where the WAL is and how long it may grow; also the store's `journal_size_limit`, so that the file is cut
/// back to this length when it starts over.
#[derive(Debug, Clone)]
pub(crate) struct WalLimit {
    pub path: std::path::PathBuf,
    pub bytes: u64,
}

impl WalLimit {
    /// The limit for the database file at `database`.
    pub(crate) fn new(database: &std::path::Path, bytes: u64) -> Self {
        let mut path = database.as_os_str().to_owned();
        path.push("-wal");
        Self { path: path.into(), bytes }
    }

    /// Whether the WAL file is longer than the limit. Its length is a stat of a local file, a few
    /// microseconds, so it is read in place rather than on a blocking thread.
    fn exceeded(&self) -> bool {
        std::fs::metadata(&self.path).is_ok_and(|m| m.len() > self.bytes)
    }
}

/// Alive while its store is: the checkpointer stops once the store is dropped.
pub(crate) type Alive = Arc<()>;

/// Opens the checkpointer's connection and starts it; it ends (with a last checkpoint) once `alive`'s store
/// is gone.
pub(crate) async fn start(options: &SqliteConnectOptions) -> Result<Alive, StoreError> {
    // A checkpoint copies the WAL into the database file and syncs it, off the write path: taking seconds
    // under load is expected, so sqlx's slow-statement warning would only be noise here. A failed checkpoint
    // is still logged.
    let connection = options.clone().disable_statement_logging().connect().await.map_err(db)?;
    let alive = Arc::new(());
    tokio::spawn(run(connection, Arc::downgrade(&alive)));
    Ok(alive)
}

async fn run(mut connection: SqliteConnection, alive: Weak<()>) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let last = alive.strong_count() == 0;
        if let Err(error) = checkpoint(&mut connection).await {
            tracing::warn!(%error, "a WAL checkpoint failed; the next one retries");
        }
        if last {
            let _ = connection.close().await;
            return;
        }
    }
}

/// One PASSIVE checkpoint (its row of counts is not needed: the next one takes up whatever is left; when
/// another checkpoint holds the lock, this one does nothing and says so in that row).
async fn checkpoint(connection: &mut SqliteConnection) -> Result<(), StoreError> {
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut *connection).await.map_err(db)?;
    Ok(())
}

/// The writer's part (see the module): when the WAL is longer than the limit, a checkpoint on the writer's
/// connection, which the caller then begins its batch on.
pub(crate) async fn restart_if_long(connection: &mut SqliteConnection, limit: &WalLimit) -> Result<(), StoreError> {
    if limit.exceeded() {
        checkpoint(connection).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
