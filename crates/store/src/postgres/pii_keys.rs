//! The PostgreSQL key table `pii_keys` (migration 7): PII data keys wrapped by the master key. Back it up
//! separately from the event log (`pg_dump --exclude-table=pii_keys` for the log), or an old backup of
//! both would bring an erased customer's key back.

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
        let mut query =
            QueryBuilder::<Postgres>::new("SELECT key_id, subject, wrapped, created_at FROM pii_keys WHERE ");
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
        let mut tx = self.pool.begin().await.map_err(db)?;
        let mut inserted = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(crate::codec::rows_per_statement(4)) {
            let mut query =
                QueryBuilder::<Postgres>::new("INSERT INTO pii_keys (key_id, subject, wrapped, created_at) ");
            query.push_values(chunk, |mut row, key| {
                row.push_bind(key.key_id.clone())
                    .push_bind(key.subject.clone())
                    .push_bind(key.wrapped.clone())
                    .push_bind(key.created_at);
            });
            query.push(" ON CONFLICT (subject) DO NOTHING RETURNING key_id");
            for row in query.build().fetch_all(&mut *tx).await.map_err(db)? {
                inserted.push(row.try_get("key_id").map_err(db)?);
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(inserted)
    }

    async fn delete_subject(&self, subject: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM pii_keys WHERE subject = $1")
            .bind(subject.to_string())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }
}
