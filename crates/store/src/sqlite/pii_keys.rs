//! The SQLite key table: PII data keys in a database file of their own next to the store's
//! (`hub.db` → `hub.pii-keys.db`), so that a copy of the store's file never carries the keys that open it.

use crate::StoreError;
use crate::codec::{db, parse_time_text, time_text};
use crate::pii::{KeyTable, WrappedKey};
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};
use std::path::{Path, PathBuf};

/// Idempotent: a key file written before tombstones existed gains `pii_erased` when it is opened.
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS pii_keys (
    key_id     TEXT PRIMARY KEY,
    subject    TEXT NOT NULL UNIQUE,
    wrapped    BLOB NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS pii_erased (
    subject   TEXT PRIMARY KEY,
    erased_at TEXT NOT NULL
) STRICT;";

/// Where the key file of the store file `store` lives.
pub fn key_file_for(store: &Path) -> PathBuf {
    let stem = store.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "store".into());
    store.with_file_name(format!("{stem}.pii-keys.db"))
}

pub(crate) struct SqliteKeyTable {
    pool: SqlitePool,
}

impl SqliteKeyTable {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(30))
            // A destroyed key's bytes are overwritten in the file, not merely unlinked from the b-tree.
            .pragma("secure_delete", "ON");
        let pool = SqlitePoolOptions::new().max_connections(2).connect_with(options).await.map_err(db)?;
        sqlx::raw_sql(SCHEMA).execute(&pool).await.map_err(db)?;
        Ok(Self { pool })
    }
}

fn wrapped_key(row: &SqliteRow) -> Result<WrappedKey, StoreError> {
    let created_at: String = row.try_get("created_at").map_err(db)?;
    Ok(WrappedKey {
        key_id: row.try_get("key_id").map_err(db)?,
        subject: row.try_get("subject").map_err(db)?,
        wrapped: row.try_get("wrapped").map_err(db)?,
        created_at: parse_time_text(&created_at)?,
    })
}

impl SqliteKeyTable {
    async fn select_in(&self, column: &'static str, values: &[String]) -> Result<Vec<WrappedKey>, StoreError> {
        let mut out = Vec::new();
        for chunk in values.chunks(crate::codec::rows_per_statement(1)) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT key_id, subject, wrapped, created_at FROM pii_keys \
                 WHERE subject NOT IN (SELECT subject FROM pii_erased) AND ",
            );
            query.push(column).push(" IN (");
            let mut list = query.separated(", ");
            for value in chunk {
                list.push_bind(value.clone());
            }
            query.push(")");
            for row in query.build().fetch_all(&self.pool).await.map_err(db)? {
                out.push(wrapped_key(&row)?);
            }
        }
        Ok(out)
    }
}

/// Inserts the keys whose subject has none yet and was not erased; returns the ids of those inserted.
async fn insert_chunk(conn: &mut SqliteConnection, keys: &[WrappedKey]) -> Result<Vec<String>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(
        "INSERT INTO pii_keys (key_id, subject, wrapped, created_at) \
         SELECT column1, column2, column3, column4 FROM (",
    );
    query.push_values(keys, |mut row, key| {
        row.push_bind(key.key_id.clone())
            .push_bind(key.subject.clone())
            .push_bind(key.wrapped.clone())
            .push_bind(time_text(key.created_at));
    });
    // The WHERE also keeps SQLite from reading `ON CONFLICT` as a join constraint of the SELECT.
    query.push(
        ") WHERE column2 NOT IN (SELECT subject FROM pii_erased) \
         ON CONFLICT (subject) DO NOTHING RETURNING key_id",
    );
    query.build().fetch_all(conn).await.map_err(db)?.iter().map(|row| row.try_get("key_id").map_err(db)).collect()
}

#[async_trait]
impl KeyTable for SqliteKeyTable {
    async fn by_subjects(&self, subjects: &[String]) -> Result<Vec<WrappedKey>, StoreError> {
        self.select_in("subject", subjects).await
    }

    async fn by_ids(&self, ids: &[String]) -> Result<Vec<WrappedKey>, StoreError> {
        self.select_in("key_id", ids).await
    }

    async fn insert(&self, keys: &[WrappedKey]) -> Result<Vec<String>, StoreError> {
        let chunks: Vec<&[WrappedKey]> = keys.chunks(crate::codec::rows_per_statement(4)).collect();
        let mut conn = self.pool.acquire().await.map_err(db)?;
        if let [chunk] = chunks.as_slice() {
            // One statement commits on its own: one round trip to the connection's thread instead of three.
            return insert_chunk(&mut conn, chunk).await;
        }
        let mut tx = conn.begin().await.map_err(db)?;
        let mut inserted = Vec::with_capacity(keys.len());
        for chunk in chunks {
            inserted.extend(insert_chunk(&mut tx, chunk).await?);
        }
        tx.commit().await.map_err(db)?;
        Ok(inserted)
    }

    async fn delete_subject(&self, subject: &str) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("INSERT INTO pii_erased (subject, erased_at) VALUES (?, ?) ON CONFLICT (subject) DO NOTHING")
            .bind(subject.to_string())
            .bind(time_text(chrono::Utc::now()))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let done = sqlx::query("DELETE FROM pii_keys WHERE subject = ?")
            .bind(subject.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        // Checkpoint so the deleted row does not linger in the WAL file either.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await.map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn erased(&self, subjects: &[String]) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for chunk in subjects.chunks(crate::codec::rows_per_statement(1)) {
            let mut query = QueryBuilder::<Sqlite>::new("SELECT subject FROM pii_erased WHERE subject IN (");
            let mut list = query.separated(", ");
            for subject in chunk {
                list.push_bind(subject.clone());
            }
            query.push(")");
            for row in query.build().fetch_all(&self.pool).await.map_err(db)? {
                out.push(row.try_get("subject").map_err(db)?);
            }
        }
        Ok(out)
    }

    async fn lift_erasure(&self, subjects: &[String]) -> Result<(), StoreError> {
        for chunk in subjects.chunks(crate::codec::rows_per_statement(1)) {
            let mut query = QueryBuilder::<Sqlite>::new("DELETE FROM pii_erased WHERE subject IN (");
            let mut list = query.separated(", ");
            for subject in chunk {
                list.push_bind(subject.clone());
            }
            query.push(")");
            query.build().execute(&self.pool).await.map_err(db)?;
        }
        Ok(())
    }
}
