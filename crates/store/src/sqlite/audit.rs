//! The SQLite side of the audit trail: its tables, the head row locked by `BEGIN IMMEDIATE`, the inserts
//! inside a batch, and the filtered reads of `GET /v1/audit` and `audit verify`.

use super::tx::{SqliteTx, lite};
use crate::audit::{AuditEntry, AuditFields, AuditTx, aggregate_keys};
use crate::codec::{db, page_size, parse_time_text, time_text, to_i64, to_u64};
use crate::{AuditFilter, StoreError};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

/// Migration 6. The head row holds the last entry's seq and hash: a chain cut short at its end is caught
/// against it, and it is the row writers serialise on.
pub(crate) const AUDIT_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS audit_log (
    seq             INTEGER PRIMARY KEY,
    at              TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    source          TEXT,
    request_id      TEXT,
    command         TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    digest          TEXT    NOT NULL,
    aggregate       TEXT    NOT NULL,
    version_before  INTEGER NOT NULL,
    version_after   INTEGER NOT NULL,
    outcome         TEXT    NOT NULL,
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS audit_by_aggregate ON audit_log (aggregate, seq);
CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_log (actor, seq);
CREATE TABLE IF NOT EXISTS audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
) STRICT;
INSERT OR IGNORE INTO audit_head (id, seq, hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
"#;

/// The columns of `audit_log`, as a literal (SQL text must be `'static`).
macro_rules! columns {
    () => {
        "seq, at, actor, source, request_id, command, idempotency_key, digest, aggregate, version_before, \
         version_after, outcome, prev_hash, hash"
    };
}

#[async_trait]
impl AuditTx for SqliteTx<'_> {
    async fn lock_audit_head(&mut self) -> Result<(i64, String), StoreError> {
        // The transaction began IMMEDIATE: it already holds the database's write lock.
        self.conn
            .prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")
            .and_then(|mut select| select.query_row([], |row| Ok((row.get(0)?, row.get(1)?))).optional())
            .map_err(lite)?
            .ok_or_else(|| StoreError::Corrupt("the audit head row is missing".into()))
    }

    async fn append_audit(&mut self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let mut insert = self
            .conn
            .prepare_cached(concat!(
                "INSERT INTO audit_log (",
                columns!(),
                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
            ))
            .map_err(lite)?;
        for e in entries {
            let f = &e.fields;
            insert
                .execute(params![
                    e.seq,
                    time_text(f.at),
                    f.actor,
                    f.source,
                    f.request_id,
                    f.command,
                    f.idempotency_key,
                    f.digest,
                    f.aggregate,
                    to_i64(f.version_before),
                    to_i64(f.version_after),
                    f.outcome,
                    e.prev_hash,
                    e.hash,
                ])
                .map_err(lite)?;
        }
        if let Some(last) = entries.last() {
            self.conn
                .prepare_cached("UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1")
                .and_then(|mut update| update.execute(params![last.seq, last.hash]))
                .map_err(lite)?;
        }
        Ok(())
    }
}

fn entry(row: &SqliteRow) -> Result<AuditEntry, StoreError> {
    let get_text = |column: &str| -> Result<String, StoreError> { row.try_get(column).map_err(db) };
    let get_int = |column: &str| -> Result<i64, StoreError> { row.try_get(column).map_err(db) };
    let fields = AuditFields {
        at: parse_time_text(&get_text("at")?)?,
        actor: get_text("actor")?,
        source: row.try_get("source").map_err(db)?,
        request_id: row.try_get("request_id").map_err(db)?,
        command: get_text("command")?,
        idempotency_key: get_text("idempotency_key")?,
        digest: get_text("digest")?,
        aggregate: get_text("aggregate")?,
        version_before: to_u64("audit version_before", get_int("version_before")?)?,
        version_after: to_u64("audit version_after", get_int("version_after")?)?,
        outcome: get_text("outcome")?,
    };
    Ok(AuditEntry { seq: get_int("seq")?, fields, prev_hash: get_text("prev_hash")?, hash: get_text("hash")? })
}

pub(super) async fn entries(pool: &SqlitePool, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(concat!("SELECT ", columns!(), " FROM audit_log WHERE 1 = 1"));
    if let Some(aggregate) = &filter.aggregate {
        query.push(" AND aggregate IN (");
        let mut list = query.separated(", ");
        for key in aggregate_keys(aggregate) {
            list.push_bind(key);
        }
        query.push(")");
    }
    if let Some(actor) = &filter.actor {
        query.push(" AND actor = ").push_bind(actor.clone());
    }
    if let Some(from) = filter.from {
        query.push(" AND at >= ").push_bind(time_text(from));
    }
    if let Some(to) = filter.to {
        query.push(" AND at < ").push_bind(time_text(to));
    }
    if let Some(after) = filter.after_seq {
        query.push(" AND seq > ").push_bind(after);
    }
    query.push(" ORDER BY seq LIMIT ").push_bind(page_size(filter.limit));
    query.build().fetch_all(pool).await.map_err(db)?.iter().map(entry).collect()
}

pub(super) async fn head(pool: &SqlitePool) -> Result<(i64, String), StoreError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(pool)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::Corrupt("the audit head row is missing".into()))?;
    Ok((row.try_get("seq").map_err(db)?, row.try_get("hash").map_err(db)?))
}

/// Appends one entry in a transaction of its own (an erasure request, which runs outside the batches).
pub(super) async fn append_standalone(pool: &SqlitePool, fields: AuditFields) -> Result<(), StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    {
        let mut handle = tx.lock_handle().await.map_err(db)?;
        crate::audit::append_one(&mut SqliteTx::new(&mut handle)?, fields).await?;
    }
    tx.commit().await.map_err(db)
}
