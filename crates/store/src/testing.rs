//! Test databases for this and other crates' tests: a temporary SQLite file, or a fresh PostgreSQL schema
//! (from `CROSSDOCK_TEST_PG_URL`) that is dropped when the test ends, so tests never share tables.

use crate::{MasterKey, Store, StoreError, StoreOptions};
use crossdock_model::{
    Address, ChannelId, Country, Currency, ExternalId, LineId, Money, NewOrderLine, OrderId, PlaceOrder, Quantity, Sku,
};
use sqlx::Connection;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// An order of channel `web` placed now, shipped to [`sample_address`], one line per `(sku, quantity)` at
/// 19.99 USD each, lines numbered from 1.
pub fn sample_order(id: &str, lines: &[(&str, u32)]) -> PlaceOrder {
    PlaceOrder {
        id: OrderId::new(id).expect("a test order id"),
        channel: ChannelId::new("web").expect("a channel id"),
        external_id: ExternalId::new(format!("ext-{id}")).expect("an external id"),
        customer: None,
        ship_to: sample_address(),
        bill_to: None,
        currency: Currency::USD,
        shipping: None,
        tax_exempt_certificate: None,
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (sku, quantity))| NewOrderLine {
                id: LineId::new((i + 1).to_string()).expect("a line id"),
                sku: Sku::new(*sku).expect("a test sku"),
                quantity: Quantity::new(*quantity).expect("a positive quantity"),
                unit_price: Money::new(1999, Currency::USD),
            })
            .collect(),
        placed_at: chrono::Utc::now(),
        sourcing: Default::default(),
    }
}

/// The ship-to address of the orders tests place.
pub fn sample_address() -> Address {
    Address {
        name: "Ada Lovelace".into(),
        line1: "1 Main St".into(),
        line2: None,
        city: "Springfield".into(),
        region: Some("IL".into()),
        postal_code: "62701".into(),
        country: Country::US,
    }
}

/// The variable naming the PostgreSQL server that tests may use.
pub const PG_URL_VAR: &str = "CROSSDOCK_TEST_PG_URL";

/// A database for one test; `open` may be called several times (two stores, reopen).
/// Every store it opens seals PII under one master key made for the test (see [`TestDb::options`]).
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
    master: Arc<MasterKey>,
}

impl TestDb {
    fn new(url: String, dir: Option<tempfile::TempDir>, pg_schema: Option<(String, String)>) -> Self {
        let master = MasterKey::from_hex(&MasterKey::generate_hex(), "test master key").expect("a generated key");
        Self { url, _dir: dir, pg_schema, master: Arc::new(master) }
    }

    /// The options stores of this database open with: the test's master key.
    pub fn options(&self) -> StoreOptions {
        StoreOptions { pii: Some(self.master.clone()) }
    }

    pub async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        crate::open_with(&self.url, self.options()).await
    }

    /// The temporary folder holding a SQLite database (and its PII key file).
    pub fn sqlite_dir(&self) -> Option<&std::path::Path> {
        self._dir.as_ref().map(|d| d.path())
    }

    /// The server URL and schema name of a PostgreSQL database.
    pub fn pg_schema(&self) -> Option<(&str, &str)> {
        self.pg_schema.as_ref().map(|(base, schema)| (base.as_str(), schema.as_str()))
    }

    /// [`TestDb::open`] for tests: a store that does not open is the test's failure, named with its url.
    pub async fn open_store(&self) -> Arc<dyn Store> {
        self.open().await.unwrap_or_else(|e| panic!("opening {}: {e}", self.url))
    }

    /// Runs `sql` (one or more statements) on the database behind the store's back, as an intruder with
    /// write access would: for tests that tamper with stored rows.
    pub async fn execute_raw(&self, sql: &str) -> Result<(), StoreError> {
        let db_error = |e: sqlx::Error| StoreError::Database(e.to_string());
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        if self.pg_schema.is_some() {
            let mut conn = sqlx::PgConnection::connect(&self.url).await.map_err(db_error)?;
            sqlx::raw_sql(sql).execute(&mut conn).await.map_err(db_error)?;
            conn.close().await.map_err(db_error)
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&self.url).await.map_err(db_error)?;
            sqlx::raw_sql(sql).execute(&mut conn).await.map_err(db_error)?;
            conn.close().await.map_err(db_error)
        }
    }
}

/// A fresh SQLite file in a temporary folder removed with the `TestDb`.
pub fn sqlite() -> std::io::Result<TestDb> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    Ok(TestDb::new(url, Some(dir), None))
}

/// A fresh schema on the PostgreSQL server named by `CROSSDOCK_TEST_PG_URL`; `Ok(None)` when the variable is unset.
pub async fn postgres() -> Result<Option<TestDb>, StoreError> {
    let Ok(base) = std::env::var(PG_URL_VAR) else { return Ok(None) };
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
    let schema = format!("t_{}_{}_{}", std::process::id(), nanos, COUNTER.fetch_add(1, Ordering::Relaxed));
    let db_error = |e: sqlx::Error| StoreError::Database(e.to_string());
    let mut conn = sqlx::PgConnection::connect(&base).await.map_err(db_error)?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut conn).await.map_err(db_error)?;
    conn.close().await.ok();
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
    Ok(Some(TestDb::new(url, None, Some((base, schema)))))
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, schema)) = self.pg_schema.take() else { return };
        // Drop the schema from a thread of its own: Drop cannot await, and we may be inside a runtime.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
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
