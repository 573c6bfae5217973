//! Test databases: a temporary SQLite file, or a fresh PostgreSQL schema dropped when the test ends.

use crossdock_store::Store;
use sqlx::Connection;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// A database for one test; `open` may be called several times (two stores, reopen).
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl TestDb {
    pub async fn open(&self) -> Arc<dyn Store> {
        crossdock_store::open(&self.url).await.unwrap_or_else(|e| panic!("opening {}: {e}", self.url))
    }
}

pub async fn sqlite() -> Option<TestDb> {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    Some(TestDb { url, _dir: Some(dir), pg_schema: None })
}

pub async fn postgres() -> Option<TestDb> {
    let Ok(base) = std::env::var("CROSSDOCK_TEST_PG_URL") else {
        println!("skipping PostgreSQL store suite: CROSSDOCK_TEST_PG_URL not set");
        return None;
    };
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let schema = format!("t_{}_{}_{}", std::process::id(), nanos, COUNTER.fetch_add(1, Ordering::Relaxed));
    let mut conn = sqlx::PgConnection::connect(&base).await.expect("connect to CROSSDOCK_TEST_PG_URL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .expect("create schema");
    conn.close().await.ok();
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
    Some(TestDb { url, _dir: None, pg_schema: Some((base, schema)) })
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, schema)) = self.pg_schema.take() else { return };
        // Drop the schema from a thread of its own: Drop cannot await, and we may be inside a runtime.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&base).await {
                    let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}
