//! The PostgreSQL side of the audit trail: its tables, the head row locked `FOR UPDATE` by each batch (so
//! processes sharing the database extend one chain), bulk inserts with `UNNEST`, and the filtered reads.

use super::tx::PgTx;
use crate::audit::{AuditEntry, AuditFields, AuditTx, aggregate_keys};
use crate::codec::{db, page_size, to_i64, to_u64};
use crate::{AuditFilter, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

/// Migration 6. The head row holds the last entry's seq and hash: a chain cut short at its end is caught
/// against it, and it is the row writers serialise on.
pub(crate) const AUDIT_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS audit_log (
    seq             BIGINT      PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL,
    actor           TEXT        NOT NULL,
    source          TEXT,
    request_id      TEXT,
    command         TEXT        NOT NULL,
    idempotency_key TEXT        NOT NULL,
    digest          TEXT        NOT NULL,
    aggregate       TEXT        NOT NULL,
    version_before  BIGINT      NOT NULL,
    version_after   BIGINT      NOT NULL,
    outcome         TEXT        NOT NULL,
    prev_hash       TEXT        NOT NULL,
    hash            TEXT        NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_aggregate ON audit_log (aggregate, seq);
CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_log (actor, seq);
CREATE TABLE IF NOT EXISTS audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
    ON CONFLICT (id) DO NOTHING;
"#;

#[async_trait]
impl AuditTx for PgTx {
    async fn lock_audit_head(&mut self) -> Result<(i64, String), StoreError> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
            .fetch_optional(&mut *self.0)
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::Corrupt("the audit head row is missing".into()))?;
        Ok((row.try_get("seq").map_err(db)?, row.try_get("hash").map_err(db)?))
    }

    async fn append_audit(&mut self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let Some(last) = entries.last() else { return Ok(()) };
        let column = |get: fn(&AuditEntry) -> String| entries.iter().map(get).collect::<Vec<String>>();
        let optional = |get: fn(&AuditEntry) -> Option<String>| entries.iter().map(get).collect::<Vec<_>>();
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, source, request_id, command, idempotency_key, digest, aggregate, \
             version_before, version_after, outcome, prev_hash, hash) \
             SELECT * FROM UNNEST($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], \
             $7::text[], $8::text[], $9::text[], $10::bigint[], $11::bigint[], $12::text[], $13::text[], $14::text[])",
        )
        .bind(entries.iter().map(|e| e.seq).collect::<Vec<i64>>())
        .bind(entries.iter().map(|e| e.fields.at).collect::<Vec<DateTime<Utc>>>())
        .bind(column(|e| e.fields.actor.clone()))
        .bind(optional(|e| e.fields.source.clone()))
        .bind(optional(|e| e.fields.request_id.clone()))
        .bind(column(|e| e.fields.command.clone()))
        .bind(column(|e| e.fields.idempotency_key.clone()))
        .bind(column(|e| e.fields.digest.clone()))
        .bind(column(|e| e.fields.aggregate.clone()))
        .bind(entries.iter().map(|e| to_i64(e.fields.version_before)).collect::<Vec<i64>>())
        .bind(entries.iter().map(|e| to_i64(e.fields.version_after)).collect::<Vec<i64>>())
        .bind(column(|e| e.fields.outcome.clone()))
        .bind(column(|e| e.prev_hash.clone()))
        .bind(column(|e| e.hash.clone()))
        .execute(&mut *self.0)
        .await
        .map_err(db)?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(last.seq)
            .bind(last.hash.clone())
            .execute(&mut *self.0)
            .await
            .map_err(db)?;
        Ok(())
    }
}

fn entry(row: &PgRow) -> Result<AuditEntry, StoreError> {
    let get_text = |column: &str| -> Result<String, StoreError> { row.try_get(column).map_err(db) };
    let get_int = |column: &str| -> Result<i64, StoreError> { row.try_get(column).map_err(db) };
    let fields = AuditFields {
        at: row.try_get("at").map_err(db)?,
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

pub(super) async fn entries(pool: &PgPool, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
    let mut query = QueryBuilder::<Postgres>::new(
        "SELECT seq, at, actor, source, request_id, command, idempotency_key, digest, aggregate, version_before, \
         version_after, outcome, prev_hash, hash FROM audit_log WHERE TRUE",
    );
    if let Some(aggregate) = &filter.aggregate {
        query.push(" AND aggregate = ANY(").push_bind(aggregate_keys(aggregate)).push(")");
    }
    if let Some(actor) = &filter.actor {
        query.push(" AND actor = ").push_bind(actor.clone());
    }
    if let Some(from) = filter.from {
        query.push(" AND at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" AND at < ").push_bind(to);
    }
    if let Some(after) = filter.after_seq {
        query.push(" AND seq > ").push_bind(after);
    }
    query.push(" ORDER BY seq LIMIT ").push_bind(page_size(filter.limit));
    query.build().fetch_all(pool).await.map_err(db)?.iter().map(entry).collect()
}

pub(super) async fn head(pool: &PgPool) -> Result<(i64, String), StoreError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(pool)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::Corrupt("the audit head row is missing".into()))?;
    Ok((row.try_get("seq").map_err(db)?, row.try_get("hash").map_err(db)?))
}

/// Appends one entry in a transaction of its own (an erasure request, which runs outside the batches).
pub(super) async fn append_standalone(pool: &PgPool, fields: AuditFields) -> Result<(), StoreError> {
    let mut tx = PgTx(pool.begin().await.map_err(db)?);
    crate::audit::append_one(&mut tx, fields).await?;
    tx.0.commit().await.map_err(db)
}
