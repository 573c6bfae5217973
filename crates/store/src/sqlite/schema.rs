//! The SQLite schema as embedded migrations, and the runner that applies them at open.

use crate::StoreError;
use crate::codec::{db, now_micros, time_text};
use crate::migrate::{Migration, pending};
use sqlx::{Row, SqlitePool};

/// Timestamps are fixed-width RFC 3339 text in UTC (see `codec::time_text`), so comparing text compares time.
/// JSON documents (event payloads, order and location states, receipts) are stored as text, byte for byte.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "event log, projections, idempotency, api keys",
        sql: r#"
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    aggregate_kind  TEXT    NOT NULL,
    aggregate_id    TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    event_type      TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL,
    payload         TEXT    NOT NULL,
    recorded_at     TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    UNIQUE (aggregate_kind, aggregate_id, version)
) STRICT;

CREATE TABLE orders (
    id          TEXT    PRIMARY KEY,
    channel     TEXT    NOT NULL,
    external_id TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    last_seq    INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    state       TEXT    NOT NULL
) STRICT;
CREATE INDEX orders_by_last_seq ON orders (last_seq);
CREATE INDEX orders_by_status ON orders (status, last_seq);
CREATE INDEX orders_by_channel ON orders (channel, last_seq);
CREATE INDEX orders_by_updated_at ON orders (updated_at);

CREATE TABLE inventory (
    sku          TEXT    NOT NULL,
    location     TEXT    NOT NULL,
    on_hand      INTEGER NOT NULL,
    reserved     INTEGER NOT NULL,
    safety_stock INTEGER NOT NULL,
    in_transit   INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    updated_at   TEXT    NOT NULL,
    PRIMARY KEY (sku, location)
) STRICT, WITHOUT ROWID;
CREATE INDEX inventory_by_location ON inventory (location, sku);

CREATE TABLE locations (
    id      TEXT    PRIMARY KEY,
    version INTEGER NOT NULL,
    state   TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE idempotency (
    key          TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    receipt      TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT
) STRICT, WITHOUT ROWID;
"#,
    },
    Migration { version: 2, name: "subscriptions and deliveries", sql: super::delivery_schema::DELIVERY_SCHEMA },
    // Version 3 is the engine's state loading; EDI is 4 (idempotent DDL, so the order they land in does not matter).
    Migration { version: 3, name: "backorder queue and sourcing load", sql: super::sourcing::SOURCING_SCHEMA },
    Migration { version: 4, name: "edi interchanges and control numbers", sql: super::edi::EDI_SCHEMA },
    Migration { version: 5, name: "api key rotation and rate limits", sql: API_KEYS_V5 },
    Migration { version: 6, name: "hash-chained audit trail", sql: super::audit::AUDIT_SCHEMA },
    // Version 7: orders by customer, for PII export and erasure. The data keys themselves live in a file of
    // their own (`pii_keys.rs`), never in this one.
    Migration {
        version: 7,
        name: "orders by customer",
        sql: "ALTER TABLE orders ADD COLUMN customer_id TEXT;
CREATE INDEX orders_by_customer ON orders (customer_id, last_seq);",
    },
    // Version 8: the sender lease of a subscription that sends on schedule (`delivery` module).
    Migration {
        version: 8,
        name: "subscription sender lease",
        sql: "ALTER TABLE subscriptions ADD COLUMN sender TEXT;
ALTER TABLE subscriptions ADD COLUMN sender_until TEXT;",
    },
    // Version 9: each subscription's pending deliveries in sequence order, so that a claim takes a fair share
    // of every subscription's backlog without sorting it (`delivery` module). It replaces the index of all
    // pending deliveries by sequence, which planners would otherwise walk past another subscription's backlog.
    Migration {
        version: 9,
        name: "pending deliveries by subscription",
        sql: "CREATE INDEX IF NOT EXISTS deliveries_pending_by_subscription ON deliveries (subscription, seq) \
WHERE status = 'pending';
DROP INDEX IF EXISTS deliveries_pending;",
    },
    // Version 10: the short references EDI documents sent for longer order ids (a 945 echoing a 940's
    // W0502 resolves by lookup), and the received interchanges whose 997 is recorded but not yet written.
    Migration {
        version: 10,
        name: "edi references and unwritten acknowledgements",
        sql: super::edi::EDI_REFERENCES_SCHEMA,
    },
    // Version 11: idempotency records by age, so that retention deletes the oldest in bounded chunks
    // (`retention`) instead of scanning the whole table for each.
    Migration {
        version: 11,
        name: "idempotency records by age",
        sql: "CREATE INDEX IF NOT EXISTS idempotency_by_created_at ON idempotency (created_at);",
    },
];

/// Migration 5: a rotated key's previous secret (valid until the overlap ends) and a per-key rate limit.
const API_KEYS_V5: &str = r#"
ALTER TABLE api_keys ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE api_keys ADD COLUMN previous_valid_until TEXT;
ALTER TABLE api_keys ADD COLUMN rate_limit_per_minute INTEGER;
"#;

/// Applies the missing migrations in one `BEGIN IMMEDIATE` transaction, so that two processes opening the
/// same file do not both apply them.
pub(crate) async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TEXT NOT NULL
        ) STRICT",
    )
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?
        .iter()
        .map(|row| row.try_get("version"))
        .collect::<Result<_, _>>()
        .map_err(db)?;
    for migration in pending(MIGRATIONS, &applied)? {
        tracing::info!(version = migration.version, name = migration.name, "applying sqlite migration");
        sqlx::raw_sql(migration.sql).execute(&mut *tx).await.map_err(db)?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(time_text(now_micros()))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)
}
