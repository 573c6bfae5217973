//! PostgreSQL EDI state (schema version 4): interchange records and per-partner control-number counters;
//! version 11 adds the short references sent and the markers of acknowledgements not yet written.

use crate::StoreError;
use crate::codec::{db, from_json, page_size, to_json};
use crate::edi::{
    AckState, ControlBlock, EdiDirection, InterchangeAckUpdate, InterchangeFilter, InterchangeRecord,
    InterchangeStatus, NewInterchange, UnwrittenAck,
};
use chrono::{DateTime, Utc};
use crossdock_model::OrderId;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

/// `groups` and `errors` are JSON text; `raw` the bytes as received.
pub(crate) const EDI_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS edi_interchanges (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner     TEXT        NOT NULL,
    direction   TEXT        NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    isa_control TEXT        NOT NULL,
    groups      TEXT        NOT NULL,
    set_ids     TEXT        NOT NULL,
    status      TEXT        NOT NULL CHECK (status IN ('sent', 'accepted', 'partially_accepted', 'rejected')),
    ack_state   TEXT        NOT NULL CHECK (ack_state IN ('expected', 'received', 'overdue', 'not_expected')),
    ack_due_at  TIMESTAMPTZ,
    ack_control TEXT,
    file        TEXT,
    size        BIGINT      NOT NULL,
    raw         BYTEA       NOT NULL,
    errors      TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS edi_interchanges_by_partner ON edi_interchanges (partner, direction, id);
CREATE INDEX IF NOT EXISTS edi_interchanges_by_control ON edi_interchanges (partner, isa_control);
CREATE INDEX IF NOT EXISTS edi_interchanges_expected ON edi_interchanges (ack_due_at) WHERE ack_state = 'expected';

CREATE TABLE IF NOT EXISTS edi_control_numbers (
    partner TEXT   NOT NULL,
    kind    TEXT   NOT NULL CHECK (kind IN ('interchange', 'group')),
    last    BIGINT NOT NULL,
    PRIMARY KEY (partner, kind)
);
"#;

/// Version 11: the short references sent for longer order ids (`SentReference`), and the received
/// interchanges whose acknowledgement is recorded but not yet written (`UnwrittenAck`), by a hash of the
/// bytes received.
pub(crate) const EDI_REFERENCES_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS edi_references (
    partner    TEXT        NOT NULL,
    reference  TEXT        NOT NULL,
    order_id   TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partner, reference)
);

CREATE TABLE IF NOT EXISTS edi_unwritten_acks (
    inbound_id BIGINT      PRIMARY KEY,
    ack_id     BIGINT      NOT NULL,
    partner    TEXT        NOT NULL,
    input_hash TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (partner, input_hash)
);
"#;

const COLUMNS: &str = "SELECT id, partner, direction, isa_control, groups, status, ack_state, ack_due_at, ack_control, \
    file, size, errors, created_at, updated_at";

fn time(row: &PgRow, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    row.try_get(column).map_err(db)
}

fn record(row: &PgRow, raw: bool) -> Result<InterchangeRecord, StoreError> {
    let text = |c: &str| -> Result<String, StoreError> { row.try_get(c).map_err(db) };
    let corrupt = |what: &str, v: &str| StoreError::Corrupt(format!("unknown interchange {what} {v:?}"));
    let required = |c: &str| time(row, c)?.ok_or_else(|| StoreError::Corrupt(format!("interchange {c} is missing")));
    let (direction, status, ack_state) = (text("direction")?, text("status")?, text("ack_state")?);
    Ok(InterchangeRecord {
        id: row.try_get("id").map_err(db)?,
        partner: text("partner")?,
        direction: EdiDirection::parse(&direction).ok_or_else(|| corrupt("direction", &direction))?,
        isa_control: text("isa_control")?,
        groups: from_json("interchange groups", &text("groups")?)?,
        status: InterchangeStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        ack_state: AckState::parse(&ack_state).ok_or_else(|| corrupt("ack state", &ack_state))?,
        ack_due_at: time(row, "ack_due_at")?,
        ack_control: row.try_get("ack_control").map_err(db)?,
        file: row.try_get("file").map_err(db)?,
        size: row.try_get("size").map_err(db)?,
        raw: if raw { row.try_get("raw").map_err(db)? } else { Vec::new() },
        errors: from_json("interchange errors", &text("errors")?)?,
        created_at: required("created_at")?,
        updated_at: required("updated_at")?,
    })
}

/// Inserts every record and the references it sent in one transaction: all of them or none. With
/// `unwritten` (the hash of the first record's bytes), the first record is a received interchange and the
/// second its acknowledgement, still to be written.
pub(crate) async fn insert(
    pool: &PgPool,
    records: &[NewInterchange],
    raws: &[Vec<u8>],
    unwritten: Option<&str>,
) -> Result<Vec<i64>, StoreError> {
    let mut tx = pool.begin().await.map_err(db)?;
    let mut ids = Vec::with_capacity(records.len());
    for (new, raw) in records.iter().zip(raws) {
        let set_ids: Vec<&str> = new.groups.iter().flat_map(|g| g.sets.iter().map(|s| s.id.as_str())).collect();
        let row = sqlx::query(
            "INSERT INTO edi_interchanges (partner, direction, isa_control, groups, set_ids, status, ack_state, \
         ack_due_at, ack_control, file, size, raw, errors, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        )
        .bind(new.partner.clone())
        .bind(new.direction.as_str())
        .bind(new.isa_control.clone())
        .bind(to_json(&new.groups)?)
        .bind(set_ids.join(","))
        .bind(new.status.as_str())
        .bind(new.ack_state.as_str())
        .bind(new.ack_due_at)
        .bind(new.ack_control.clone())
        .bind(new.file.clone())
        .bind(i64::try_from(new.raw.len()).unwrap_or(i64::MAX))
        .bind(raw.clone())
        .bind(to_json(&new.errors)?)
        .bind(new.created_at)
        .bind(new.created_at)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        ids.push(row.try_get("id").map_err(db)?);
        for sent in &new.references {
            sqlx::query(
                "INSERT INTO edi_references (partner, reference, order_id, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (partner, reference) DO NOTHING",
            )
            .bind(new.partner.clone())
            .bind(sent.reference.clone())
            .bind(sent.order_id.as_str().to_string())
            .bind(new.created_at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
    }
    if let (Some(hash), [inbound, ..], [inbound_id, ack_id, ..]) = (unwritten, records, ids.as_slice()) {
        sqlx::query(
            "INSERT INTO edi_unwritten_acks (inbound_id, ack_id, partner, input_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(*inbound_id)
        .bind(*ack_id)
        .bind(inbound.partner.clone())
        .bind(hash.to_string())
        .bind(inbound.created_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(ids)
}

/// The marker of `partner`'s received interchange whose bytes hash to `hash`.
pub(crate) async fn unwritten_ack(
    pool: &PgPool,
    partner: &str,
    hash: &str,
) -> Result<Option<UnwrittenAck>, StoreError> {
    let row = sqlx::query("SELECT inbound_id, ack_id FROM edi_unwritten_acks WHERE partner = $1 AND input_hash = $2")
        .bind(partner.to_string())
        .bind(hash.to_string())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(|r| {
        Ok(UnwrittenAck { inbound_id: r.try_get("inbound_id").map_err(db)?, ack_id: r.try_get("ack_id").map_err(db)? })
    })
    .transpose()
}

pub(crate) async fn ack_written(pool: &PgPool, inbound_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM edi_unwritten_acks WHERE inbound_id = $1")
        .bind(inbound_id)
        .execute(pool)
        .await
        .map_err(db)
        .map(drop)
}

pub(crate) async fn referenced_order(
    pool: &PgPool,
    partner: &str,
    reference: &str,
) -> Result<Option<OrderId>, StoreError> {
    let row = sqlx::query("SELECT order_id FROM edi_references WHERE partner = $1 AND reference = $2")
        .bind(partner.to_string())
        .bind(reference.to_string())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(|r| crate::codec::parse_id("referenced order id", r.try_get("order_id").map_err(db)?, OrderId::new))
        .transpose()
}

pub(crate) async fn get(pool: &PgPool, id: i64) -> Result<Option<InterchangeRecord>, StoreError> {
    let mut query = QueryBuilder::<Postgres>::new(COLUMNS);
    query.push(", raw FROM edi_interchanges WHERE id = ").push_bind(id);
    query.build().fetch_optional(pool).await.map_err(db)?.as_ref().map(|row| record(row, true)).transpose()
}

pub(crate) async fn list(pool: &PgPool, filter: &InterchangeFilter) -> Result<Vec<InterchangeRecord>, StoreError> {
    let mut query = QueryBuilder::<Postgres>::new(COLUMNS);
    query.push(" FROM edi_interchanges WHERE 1 = 1");
    if let Some(partner) = &filter.partner {
        query.push(" AND partner = ").push_bind(partner.clone());
    }
    if let Some(direction) = filter.direction {
        query.push(" AND direction = ").push_bind(direction.as_str());
    }
    if let Some(status) = filter.status {
        query.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(ack_state) = filter.ack_state {
        query.push(" AND ack_state = ").push_bind(ack_state.as_str());
    }
    if let Some(control) = &filter.isa_control {
        query.push(" AND isa_control = ").push_bind(control.clone());
    }
    if let Some(before) = filter.before_id {
        query.push(" AND id < ").push_bind(before);
    }
    query.push(" ORDER BY id DESC LIMIT ").push_bind(page_size(filter.limit));
    query.build().fetch_all(pool).await.map_err(db)?.iter().map(|row| record(row, false)).collect()
}

pub(crate) async fn update_ack(pool: &PgPool, update: &InterchangeAckUpdate) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE edi_interchanges SET status = $1, ack_state = $2, ack_control = COALESCE($3, ack_control), \
         errors = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(update.status.as_str())
    .bind(update.ack_state.as_str())
    .bind(update.ack_control.clone())
    .bind(to_json(&update.errors)?)
    .bind(update.at)
    .bind(update.id)
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn mark_overdue(pool: &PgPool, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
    let rows = sqlx::query(
        "UPDATE edi_interchanges SET ack_state = 'overdue', updated_at = $1 \
         WHERE ack_state = 'expected' AND ack_due_at < $2 RETURNING id",
    )
    .bind(now)
    .bind(now)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let mut ids: Vec<i64> = rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>().map_err(db)?;
    ids.sort_unstable();
    Ok(ids)
}

/// Bumps both counters of `partner` in one transaction (each upsert locks its row).
pub(crate) async fn allocate(
    pool: &PgPool,
    partner: &str,
    interchanges: u32,
    groups: u32,
) -> Result<ControlBlock, StoreError> {
    let mut tx = pool.begin().await.map_err(db)?;
    let mut firsts = [0i64; 2];
    for (slot, (kind, count)) in firsts.iter_mut().zip([("interchange", interchanges), ("group", groups)]) {
        let row = sqlx::query(
            "INSERT INTO edi_control_numbers (partner, kind, last) VALUES ($1, $2, $3) \
             ON CONFLICT (partner, kind) DO UPDATE SET last = edi_control_numbers.last + excluded.last RETURNING last",
        )
        .bind(partner.to_string())
        .bind(kind)
        .bind(i64::from(count))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let last: i64 = row.try_get("last").map_err(db)?;
        *slot = last - i64::from(count) + 1;
    }
    tx.commit().await.map_err(db)?;
    Ok(ControlBlock { first_interchange: firsts[0], first_group: firsts[1] })
}
