//! The PostgreSQL key table `pii_keys` (migration 7): PII data keys wrapped by the master key. Back it up
//! separately from the event log (`pg_dump --exclude-table=pii_keys` for the log), or an old backup of
//! both would bring an erased customer's key back.

use crate::StoreError;
use crate::codec::db;
use crate::pii::{KeyTable, WrappedKey};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};

pub(crate) struct PgKeyTable {
    pub pool: PgPool,
}

fn wrapped_key(row: &PgRow) -> Result<WrappedKey, StoreError> {
    Ok(WrappedKey {
        key_id: row.try_get("key_id").map_err(db)?,
        subject: row.try_get("subject").map_err(db)?,
        wrapped: row.try_get("wrapped").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

#[async_trait]
impl KeyTable for PgKeyTable {
    async fn by_subjects(&self, subjects: &[String]) -> Result<Vec<WrappedKey>, StoreError> {
        sqlx::query("SELECT key_id, subject, wrapped, created_at FROM pii_keys WHERE subject = ANY($1)")
            .bind(subjects.to_vec())
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(wrapped_key)
            .collect()
    }

    async fn by_ids(&self, ids: &[String]) -> Result<Vec<WrappedKey>, StoreError> {
        sqlx::query("SELECT key_id, subject, wrapped, created_at FROM pii_keys WHERE key_id = ANY($1)")
            .bind(ids.to_vec())
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(wrapped_key)
            .collect()
    }

    async fn insert(&self, key: &WrappedKey) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO pii_keys (key_id, subject, wrapped, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (subject) DO NOTHING",
        )
        .bind(key.key_id.clone())
        .bind(key.subject.clone())
        .bind(key.wrapped.clone())
        .bind(key.created_at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn delete_subject(&self, subject: &str) -> Result<u64, StoreError> {
        let done =
            sqlx::query("DELETE FROM pii_keys WHERE subject = $1").bind(subject.to_string()).execute(&self.pool).await.map_err(db)?;
        Ok(done.rows_affected())
    }
}
