//! The SQLite tables of delivery state (schema version 2): subscription cursors and one row per (event,
//! subscription) the dispatcher scheduled.

/// Timestamps are fixed-width RFC 3339 text (see `codec::time_text`); request and response records are JSON
/// text. `aggregate_id` orders deliveries per aggregate; `idempotency_key` is `{subscription}:{seq}`.
pub(crate) const DELIVERY_SCHEMA: &str = r#"
CREATE TABLE subscriptions (
    name            TEXT    PRIMARY KEY,
    system          TEXT    NOT NULL,
    cursor          INTEGER NOT NULL,
    created_at      TEXT    NOT NULL,
    last_success_at TEXT,
    last_error      TEXT,
    last_error_at   TEXT
) STRICT, WITHOUT ROWID;

CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription     TEXT    NOT NULL,
    system           TEXT    NOT NULL,
    seq              INTEGER NOT NULL,
    aggregate_id     TEXT    NOT NULL,
    event_type       TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'dead', 'discarded')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT    NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    idempotency_key  TEXT    NOT NULL,
    last_error       TEXT,
    last_request     TEXT,
    last_response    TEXT,
    created_at       TEXT    NOT NULL,
    queued_at        TEXT    NOT NULL,
    first_attempt_at TEXT,
    last_attempt_at  TEXT,
    delivered_at     TEXT,
    latency_ms       INTEGER,
    UNIQUE (subscription, seq)
) STRICT;
CREATE INDEX deliveries_pending ON deliveries (seq) WHERE status = 'pending';
CREATE INDEX deliveries_pending_by_aggregate ON deliveries (subscription, aggregate_id, seq) WHERE status = 'pending';
CREATE INDEX deliveries_dead ON deliveries (id) WHERE status = 'dead';
CREATE INDEX deliveries_by_status ON deliveries (subscription, status);
"#;
