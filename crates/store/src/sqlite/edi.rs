//! SQLite EDI state (schema version 4): interchange records and per-partner control-number counters;
//! version 10 adds the short references sent and the markers of acknowledgements not yet written.

use crate::StoreError;
use crate::codec::{db, from_json, page_size, parse_time_text, time_text, to_json};
use crate::edi::{
    AckState, ControlBlock, EdiDirection, InterchangeAckUpdate, InterchangeFilter, InterchangeRecord,
    InterchangeStatus, NewInterchange, UnwrittenAck,
};
use chrono::{DateTime, Utc};
use crossdock_model::OrderId;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

/// Timestamps are fixed-width RFC 3339 text; `groups` and `errors` are JSON text; `raw` the bytes as received.
pub(crate) const EDI_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS edi_interchanges (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    partner     TEXT    NOT NULL,
    direction   TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    isa_control TEXT    NOT NULL,
    groups      TEXT    NOT NULL,
    set_ids     TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('sent', 'accepted', 'partially_accepted', 'rejected')),
    ack_state   TEXT    NOT NULL CHECK (ack_state IN ('expected', 'received', 'overdue', 'not_expected')),
    ack_due_at  TEXT,
    ack_control TEXT,
    file        TEXT,
    size        INTEGER NOT NULL,
    raw         BLOB    NOT NULL,
    errors      TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS edi_interchanges_by_partner ON edi_interchanges (partner, direction, id);
CREATE INDEX IF NOT EXISTS edi_interchanges_by_control ON edi_interchanges (partner, isa_control);
CREATE INDEX IF NOT EXISTS edi_interchanges_expected ON edi_interchanges (ack_due_at) WHERE ack_state = 'expected';

CREATE TABLE IF NOT EXISTS edi_control_numbers (
    partner TEXT    NOT NULL,
    kind    TEXT    NOT NULL CHECK (kind IN ('interchange', 'group')),
    last    INTEGER NOT NULL,
    PRIMARY KEY (partner, kind)
) STRICT, WITHOUT ROWID;
"#;

/// Version 10: the short references sent for longer order ids (`SentReference`), and the received
/// interchanges whose acknowledgement is recorded but not yet written (`UnwrittenAck`), by a hash of the
/// bytes received.
pub(crate) const EDI_REFERENCES_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS edi_references (
    partner    TEXT NOT NULL,
    reference  TEXT NOT NULL,
    order_id   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (partner, reference)
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS edi_unwritten_acks (
    inbound_id INTEGER PRIMARY KEY,
    ack_id     INTEGER NOT NULL,
    partner    TEXT    NOT NULL,
    input_hash TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    UNIQUE (partner, input_hash)
) STRICT;
"#;

const COLUMNS: &str = "SELECT id, partner, direction, isa_control, groups, status, ack_state, ack_due_at, ack_control, \
    file, size, errors, created_at, updated_at";

fn time(row: &SqliteRow, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    let text: Option<String> = row.try_get(column).map_err(db)?;
    text.as_deref().map(parse_time_text).transpose()
}

fn record(row: &SqliteRow, raw: bool) -> Result<InterchangeRecord, StoreError> {
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

/// Inserts every record and the references it sent in one transaction, storing `raws[i]` (sealed or not)
/// as the bytes of `records[i]`. With `unwritten` (the hash of the first record's bytes), the first record
/// is a received interchange and the second its acknowledgement, still to be written.
pub(crate) async fn insert(
    pool: &SqlitePool,
    records: &[NewInterchange],
    raws: &[Vec<u8>],
    unwritten: Option<&str>,
) -> Result<Vec<i64>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    let mut ids = Vec::with_capacity(records.len());
    for (new, raw) in records.iter().zip(raws) {
        let set_ids: Vec<&str> = new.groups.iter().flat_map(|g| g.sets.iter().map(|s| s.id.as_str())).collect();
        let row = sqlx::query(
            "INSERT INTO edi_interchanges (partner, direction, isa_control, groups, set_ids, status, ack_state, \
         ack_due_at, ack_control, file, size, raw, errors, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(new.partner.clone())
        .bind(new.direction.as_str())
        .bind(new.isa_control.clone())
        .bind(to_json(&new.groups)?)
        .bind(set_ids.join(","))
        .bind(new.status.as_str())
        .bind(new.ack_state.as_str())
        .bind(new.ack_due_at.map(time_text))
        .bind(new.ack_control.clone())
        .bind(new.file.clone())
        .bind(i64::try_from(new.raw.len()).unwrap_or(i64::MAX))
        .bind(raw.clone())
        .bind(to_json(&new.errors)?)
        .bind(time_text(new.created_at))
        .bind(time_text(new.created_at))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        ids.push(row.try_get("id").map_err(db)?);
        for sent in &new.references {
            sqlx::query(
                "INSERT INTO edi_references (partner, reference, order_id, created_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (partner, reference) DO NOTHING",
            )
            .bind(new.partner.clone())
            .bind(sent.reference.clone())
            .bind(sent.order_id.as_str().to_string())
            .bind(time_text(new.created_at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
    }
    if let (Some(hash), [inbound, ..], [inbound_id, ack_id, ..]) = (unwritten, records, ids.as_slice()) {
        sqlx::query(
            "INSERT INTO edi_unwritten_acks (inbound_id, ack_id, partner, input_hash, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(*inbound_id)
        .bind(*ack_id)
        .bind(inbound.partner.clone())
        .bind(hash.to_string())
        .bind(time_text(inbound.created_at))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(ids)
}

/// The marker of `partner`'s received interchange whose bytes hash to `hash`.
pub(crate) async fn unwritten_ack(
    pool: &SqlitePool,
    partner: &str,
    hash: &str,
) -> Result<Option<UnwrittenAck>, StoreError> {
    let row = sqlx::query("SELECT inbound_id, ack_id FROM edi_unwritten_acks WHERE partner = ? AND input_hash = ?")
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

pub(crate) async fn ack_written(pool: &SqlitePool, inbound_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM edi_unwritten_acks WHERE inbound_id = ?")
        .bind(inbound_id)
        .execute(pool)
        .await
        .map_err(db)
        .map(drop)
}

pub(crate) async fn referenced_order(
    pool: &SqlitePool,
    partner: &str,
    reference: &str,
) -> Result<Option<OrderId>, StoreError> {
    let row = sqlx::query("SELECT order_id FROM edi_references WHERE partner = ? AND reference = ?")
        .bind(partner.to_string())
        .bind(reference.to_string())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(|r| crate::codec::parse_id("referenced order id", r.try_get("order_id").map_err(db)?, OrderId::new))
        .transpose()
}

pub(crate) async fn get(pool: &SqlitePool, id: i64) -> Result<Option<InterchangeRecord>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(COLUMNS);
    query.push(", raw FROM edi_interchanges WHERE id = ").push_bind(id);
    query.build().fetch_optional(pool).await.map_err(db)?.as_ref().map(|row| record(row, true)).transpose()
}

pub(crate) async fn list(pool: &SqlitePool, filter: &InterchangeFilter) -> Result<Vec<InterchangeRecord>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(COLUMNS);
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

pub(crate) async fn update_ack(pool: &SqlitePool, update: &InterchangeAckUpdate) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE edi_interchanges SET status = ?, ack_state = ?, ack_control = COALESCE(?, ack_control), \
         errors = ?, updated_at = ? WHERE id = ?",
    )
    .bind(update.status.as_str())
    .bind(update.ack_state.as_str())
    .bind(update.ack_control.clone())
    .bind(to_json(&update.errors)?)
    .bind(time_text(update.at))
    .bind(update.id)
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn mark_overdue(pool: &SqlitePool, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
    let rows = sqlx::query(
        "UPDATE edi_interchanges SET ack_state = 'overdue', updated_at = ? \
         WHERE ack_state = 'expected' AND ack_due_at < ? RETURNING id",
    )
    .bind(time_text(now))
    .bind(time_text(now))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let mut ids: Vec<i64> = rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>().map_err(db)?;
    ids.sort_unstable();
    Ok(ids)
}

/// Bumps both counters of `partner` in one `BEGIN IMMEDIATE` transaction.
pub(crate) async fn allocate(
    pool: &SqlitePool,
    partner: &str,
    interchanges: u32,
    groups: u32,
) -> Result<ControlBlock, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    let mut firsts = [0i64; 2];
    for (slot, (kind, count)) in firsts.iter_mut().zip([("interchange", interchanges), ("group", groups)]) {
        let row = sqlx::query(
            "INSERT INTO edi_control_numbers (partner, kind, last) VALUES (?, ?, ?) \
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
