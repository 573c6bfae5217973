//! Checkpoints off the write path. SQLite's automatic checkpoint runs inside the COMMIT that crosses its
//! threshold, on the one writer connection, so every few hundred batches one commit copied the WAL back into
//! the database file and synced it (under `bench e2e`, 15% of the writer connection's time and commits of
//! over 20 ms). The writer connection has it turned off (`wal_autocheckpoint = 0`); this task runs a PASSIVE
//! checkpoint on a connection of its own every [`INTERVAL`], which copies what no reader still needs without
//! blocking the writer or the readers. The next write transaction after a complete checkpoint starts the WAL
//! over, so the file stays bounded.

use crate::StoreError;
use crate::codec::db;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Time between two checkpoints.
const INTERVAL: Duration = Duration::from_millis(250);

/// Alive while its store is: the checkpointer stops once the store is dropped.
pub(crate) type Alive = Arc<()>;

/// Opens the checkpointer's connection and starts it; it ends (with a last checkpoint) once `alive`'s store
/// is gone.
pub(crate) async fn start(options: &SqliteConnectOptions) -> Result<Alive, StoreError> {
    let connection = options.connect().await.map_err(db)?;
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

/// One PASSIVE checkpoint (its row of counts is not needed: the next one takes up whatever is left).
async fn checkpoint(connection: &mut SqliteConnection) -> Result<(), StoreError> {
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut *connection).await.map_err(db)?;
    Ok(())
}
