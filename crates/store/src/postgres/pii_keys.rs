//! The PostgreSQL key table `pii_keys` (migration 7): PII data keys wrapped by the master key. Back it up
//! separately from the event log (`pg_dump --exclude-table=pii_keys` for the log), or an old backup of
//! both would bring an erased customer's key back. Erased subjects keep a tombstone in `pii_erased`
//! (migration 9): keys are never created for them again, and a key that raced an erasure in is ignored.

use crate::StoreError;
use crate::codec::db;
use crate::pii::{KeyTable, WrappedKey};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

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

impl PgKeyTable {
    /// The keys whose `column` (`subject` or `key_id`, never input) is one of `values`.
    async fn select_any(&self, column: &'static str, values: &[String]) -> Result<Vec<WrappedKey>, StoreError> {
        let mut query = QueryBuilder::<Postgres>::new(
            "SELECT key_id, subject, wrapped, created_at FROM pii_keys k \
             WHERE NOT EXISTS (SELECT 1 FROM pii_erased e WHERE e.subject = k.subject) AND ",
        );
        query.push(column).push(" = ANY(").push_bind(values.to_vec()).push(")");
        query.build().fetch_all(&self.pool).await.map_err(db)?.iter().map(wrapped_key).collect()
    }
}

#[async_trait]
impl KeyTable for PgKeyTable {
    async fn by_subjects(&self, subjects: &[String]) -> Result<Vec<WrappedKey>, StoreError> {
        self.select_any("subject", subjects).await
    }

    async fn by_ids(&self, ids: &[String]) -> Result<Vec<WrappedKey>, StoreError> {
        self.select_any("key_id", ids).await
    }

    async fn insert(&self, keys: &[WrappedKey]) -> Result<Vec<String>, StoreError> {
        // One statement over arrays, whatever the number of keys: atomic on its own, with no BEGIN and COMMIT
        // round trips and no bind-parameter limit to split at.
        let rows = sqlx::query(
            "INSERT INTO pii_keys (key_id, subject, wrapped, created_at) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::bytea[], $4::timestamptz[]) \
             AS n(key_id, subject, wrapped, created_at) \
             WHERE NOT EXISTS (SELECT 1 FROM pii_erased e WHERE e.subject = n.subject) \
             ON CONFLICT (subject) DO NOTHING RETURNING key_id",
        )
        .bind(keys.iter().map(|k| k.key_id.clone()).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.subject.clone()).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.wrapped.clone()).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.created_at).collect::<Vec<_>>())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(|row| row.try_get("key_id").map_err(db)).collect()
    }

    async fn delete_subject(&self, subject: &str) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("INSERT INTO pii_erased (subject, erased_at) VALUES ($1, now()) ON CONFLICT (subject) DO NOTHING")
            .bind(subject.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let done = sqlx::query("DELETE FROM pii_keys WHERE subject = $1")
            .bind(subject.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn erased(&self, subjects: &[String]) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT subject FROM pii_erased WHERE subject = ANY($1)")
            .bind(subjects.to_vec())
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(|row| row.try_get("subject").map_err(db)).collect()
    }

    async fn lift_erasure(&self, subjects: &[String]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM pii_erased WHERE subject = ANY($1)")
            .bind(subjects.to_vec())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}
