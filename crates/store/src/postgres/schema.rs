//! The PostgreSQL schema as embedded migrations, and the runner that applies them at open.

use crate::StoreError;
use crate::codec::db;
use crate::migrate::{Migration, pending};
use sqlx::{PgPool, Row};

/// Advisory lock key held while migrating, so that hub processes starting together migrate once.
const MIGRATE_LOCK: i64 = 0x6364_6d69_6772_6174; // "cdmigrat"

/// JSON documents (event payloads, order and location states, receipts) are stored as `text`, byte for byte
/// as written, which keeps payloads exactly as hashed by a future audit chain.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "event log, projections, idempotency, api keys",
        sql: r#"
CREATE TABLE events (
    seq             BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    aggregate_kind  TEXT        NOT NULL,
    aggregate_id    TEXT        NOT NULL,
    version         BIGINT      NOT NULL,
    event_type      TEXT        NOT NULL,
    schema_version  INTEGER     NOT NULL,
    payload         TEXT        NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL,
    idempotency_key TEXT        NOT NULL,
    actor           TEXT        NOT NULL,
    UNIQUE (aggregate_kind, aggregate_id, version)
);

CREATE TABLE orders (
    id          TEXT        PRIMARY KEY,
    channel     TEXT        NOT NULL,
    external_id TEXT        NOT NULL,
    status      TEXT        NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    last_seq    BIGINT      NOT NULL,
    version     BIGINT      NOT NULL,
    state       TEXT        NOT NULL
);
CREATE INDEX orders_by_last_seq ON orders (last_seq);
CREATE INDEX orders_by_status ON orders (status, last_seq);
CREATE INDEX orders_by_channel ON orders (channel, last_seq);
CREATE INDEX orders_by_updated_at ON orders (updated_at);

CREATE TABLE inventory (
    sku          TEXT        NOT NULL,
    location     TEXT        NOT NULL,
    on_hand      BIGINT      NOT NULL,
    reserved     BIGINT      NOT NULL,
    safety_stock BIGINT      NOT NULL,
    in_transit   BIGINT      NOT NULL,
    version      BIGINT      NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sku, location)
);
CREATE INDEX inventory_by_location ON inventory (location, sku);

CREATE TABLE locations (
    id      TEXT   PRIMARY KEY,
    version BIGINT NOT NULL,
    state   TEXT   NOT NULL
);

CREATE TABLE idempotency (
    key          TEXT        PRIMARY KEY,
    request_hash TEXT        NOT NULL,
    receipt      TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT        PRIMARY KEY,
    name        TEXT        NOT NULL,
    secret_hash TEXT        NOT NULL,
    scopes      TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ
);
"#,
    },
    Migration { version: 2, name: "subscriptions and deliveries", sql: super::delivery_schema::DELIVERY_SCHEMA },
    // Version 3 is the engine's state loading; EDI is 4 (idempotent DDL, so the order they land in does not matter).
    Migration { version: 3, name: "backorder queue and sourcing load", sql: super::sourcing::SOURCING_SCHEMA },
    Migration { version: 4, name: "edi interchanges and control numbers", sql: super::edi::EDI_SCHEMA },
    Migration { version: 5, name: "api key rotation and rate limits", sql: API_KEYS_V5 },
    Migration { version: 6, name: "hash-chained audit trail", sql: super::audit::AUDIT_SCHEMA },
    // Version 7: orders by customer (PII export and erasure) and the PII data keys, wrapped by the master key.
    Migration {
        version: 7,
        name: "orders by customer, pii data keys",
        sql: "ALTER TABLE orders ADD COLUMN customer_id TEXT;
CREATE INDEX orders_by_customer ON orders (customer_id, last_seq);
CREATE TABLE pii_keys (
    key_id     TEXT        PRIMARY KEY,
    subject    TEXT        NOT NULL UNIQUE,
    wrapped    BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);",
    },
    // Version 8: the sender lease of a subscription that sends on schedule (`delivery` module).
    Migration {
        version: 8,
        name: "subscription sender lease",
        sql: "ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS sender TEXT;
ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS sender_until TIMESTAMPTZ;",
    },
    // Version 9: tombstones of erased PII subjects, so that no data key is created for them again.
    Migration {
        version: 9,
        name: "pii erasure tombstones",
        sql: "CREATE TABLE IF NOT EXISTS pii_erased (
    subject   TEXT        PRIMARY KEY,
    erased_at TIMESTAMPTZ NOT NULL
);",
    },
    // Version 10: each subscription's pending deliveries in sequence order, so that a claim takes a fair share
    // of every subscription's backlog without sorting it (`delivery` module). It replaces the index of all
    // pending deliveries by sequence, which planners would otherwise walk past another subscription's backlog.
    Migration {
        version: 10,
        name: "pending deliveries by subscription",
        sql: "CREATE INDEX IF NOT EXISTS deliveries_pending_by_subscription ON deliveries (subscription, seq) \
WHERE status = 'pending';
DROP INDEX IF EXISTS deliveries_pending;",
    },
    // Version 11: the short references EDI documents sent for longer order ids (a 945 echoing a 940's
    // W0502 resolves by lookup), and the received interchanges whose 997 is recorded but not yet written.
    Migration {
        version: 11,
        name: "edi references and unwritten acknowledgements",
        sql: super::edi::EDI_REFERENCES_SCHEMA,
    },
    // Version 12: idempotency records by age, so that retention deletes the oldest in bounded chunks
    // (`retention`) instead of scanning the whole table for each.
    Migration {
        version: 12,
        name: "idempotency records by age",
        sql: "CREATE INDEX IF NOT EXISTS idempotency_by_created_at ON idempotency (created_at);",
    },
];

/// Migration 5: a rotated key's previous secret (valid until the overlap ends) and a per-key rate limit.
const API_KEYS_V5: &str = r#"
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS previous_secret_hash TEXT;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS previous_valid_until TIMESTAMPTZ;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS rate_limit_per_minute INTEGER;
"#;

/// Applies the missing migrations in one transaction under an advisory lock (DDL is transactional in
/// PostgreSQL, so a failed migration leaves nothing behind).
pub(crate) async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(db)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATE_LOCK).execute(&mut *tx).await.map_err(db)?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    BIGINT      PRIMARY KEY,
            name       TEXT        NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
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
        tracing::info!(version = migration.version, name = migration.name, "applying postgres migration");
        sqlx::raw_sql(migration.sql).execute(&mut *tx).await.map_err(db)?;
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(migration.name)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)
}
