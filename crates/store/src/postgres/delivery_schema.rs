//! The PostgreSQL tables of delivery state (schema version 2): subscription cursors and one row per (event,
//! subscription) the dispatcher scheduled.

/// Request and response records are JSON text (kept as written). `aggregate_id` orders deliveries per
/// aggregate; `idempotency_key` is `{subscription}:{seq}`. There is deliberately no index on
/// `(subscription, status)`: before statistics exist the planner would use it for the claim's anti-join.
pub(crate) const DELIVERY_SCHEMA: &str = r#"
CREATE TABLE subscriptions (
    name            TEXT        PRIMARY KEY,
    system          TEXT        NOT NULL,
    cursor          BIGINT      NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    last_success_at TIMESTAMPTZ,
    last_error      TEXT,
    last_error_at   TIMESTAMPTZ
);

CREATE TABLE deliveries (
    id               BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription     TEXT        NOT NULL,
    system           TEXT        NOT NULL,
    seq              BIGINT      NOT NULL,
    aggregate_id     TEXT        NOT NULL,
    event_type       TEXT        NOT NULL,
    status           TEXT        NOT NULL CHECK (status IN ('pending', 'delivered', 'dead', 'discarded')),
    attempts         INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TIMESTAMPTZ,
    idempotency_key  TEXT        NOT NULL,
    last_error       TEXT,
    last_request     TEXT,
    last_response    TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    queued_at        TIMESTAMPTZ NOT NULL,
    first_attempt_at TIMESTAMPTZ,
    last_attempt_at  TIMESTAMPTZ,
    delivered_at     TIMESTAMPTZ,
    latency_ms       BIGINT,
    UNIQUE (subscription, seq)
);
CREATE INDEX deliveries_pending ON deliveries (seq) WHERE status = 'pending';
CREATE INDEX deliveries_pending_by_aggregate ON deliveries (subscription, aggregate_id, seq) WHERE status = 'pending';
CREATE INDEX deliveries_dead ON deliveries (id) WHERE status = 'dead';
-- A queue table: rows churn, so vacuum and re-analyse it far more often than the default 10-20%.
ALTER TABLE deliveries SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
"#;
