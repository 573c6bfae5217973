//! `apply_batch`: settle every request of a batch (idempotency, decide, refill), then write what was
//! accepted and the audit entries.

use super::decide::{decide_one, refill};
use super::working::Working;
use super::{BatchTx, NewEvent, NewIdempotency, Outcome};
use crate::aggregates::addressed;
use crate::audit::{Settled, write_audit};
use crate::codec::to_json;
use crate::pii::{KeyRing, Pii};
use crate::writer::Submitted;
use crate::{CommandReceipt, CommandRequest, StoreError, SubmitError};
use chrono::{DateTime, Utc};
use crossdock_engine::Policy;
use crossdock_model::{
    AggregateKind, Command, InventoryPosition, Location, LocationId, Order, OrderId, RecordedEvent, Sku,
};
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Arc;

/// How a request of the batch was settled while deciding.
enum Slot {
    /// Accepted: index into `accepted`.
    Accepted(usize),
    /// A later request with the key of an accepted request of this batch and the same body.
    ReplayOf(usize),
    Done(Outcome),
}

/// An accepted command whose sequence numbers are known once its events are appended.
struct Accepted {
    receipt: CommandReceipt,
    events: Range<usize>,
    key: String,
    request_hash: String,
}

/// The data keys of the orders the batch places, created when new (one commit to the key table for the
/// batch). Backends call it before they take the store's write lock: the key table's commit then does not
/// hold up the store's other writers (the senders' schedule transactions), which measured a quarter of the
/// writer's cycle. A key created for a command that is then refused is unused, like a customer's key
/// before their first order; it is never used to seal anything that was not committed after it.
pub(crate) async fn placed_keys(pii: &Pii, submitted: &[&Submitted]) -> Result<KeyRing, StoreError> {
    let mut ring = pii.batch_ring();
    pii.ensure_placed(&mut ring, submitted.iter().map(|s| &s.request.command)).await?;
    Ok(ring)
}

/// Applies a batch inside `tx` and returns one outcome per request, in order, and the events written (to keep
/// in `recent` once committed). `ring` holds the data keys of the orders it places ([`placed_keys`]).
/// Commands refused by the engine (or by idempotency or version checks) write nothing; the others are
/// written. An `Err` means the transaction must be rolled back.
pub(crate) async fn apply_batch(
    tx: &mut dyn BatchTx,
    submitted: &[&Submitted],
    ring: KeyRing,
    now: DateTime<Utc>,
    policy: Arc<Policy>,
    pii: &Pii,
) -> Result<(Vec<Outcome>, Vec<RecordedEvent>), StoreError> {
    let requests: Vec<&CommandRequest> = submitted.iter().map(|s| &s.request).collect();
    let requests = requests.as_slice();
    let hashes: Vec<&String> = submitted.iter().map(|s| &s.hash).collect();
    let keys: Vec<String> =
        requests.iter().map(|r| r.idempotency_key.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let stored = tx.idempotency(&keys).await?;

    let mut w = Working { policy, ring, pii: pii.clone(), ..Working::default() };
    let order_ids: Vec<OrderId> =
        requests.iter().filter_map(|r| r.command.order_id().cloned()).collect::<BTreeSet<_>>().into_iter().collect();
    if !order_ids.is_empty() {
        w.load_orders(tx, &order_ids).await?;
    }
    let location_ids: Vec<LocationId> = requests
        .iter()
        .filter_map(|r| match &r.command {
            Command::UpsertLocation { location } => Some(location.id.clone()),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !location_ids.is_empty() {
        for (location, version) in tx.locations(&location_ids).await? {
            w.locations.insert(location.id.clone(), (location, version));
        }
    }
    let position_keys: Vec<(Sku, LocationId)> = requests
        .iter()
        .flat_map(|r| {
            crossdock_engine::inventory_keys(&r.command, r.command.order_id().and_then(|id| w.orders.get(id)))
        })
        .collect();
    w.ensure_positions(tx, &position_keys, now).await?;
    let sourcing_skus: Vec<Sku> = requests
        .iter()
        .flat_map(|r| crossdock_engine::sourcing_skus(&r.command, r.command.order_id().and_then(|id| w.orders.get(id))))
        .collect();
    w.network.load_skus(tx, &mut w.positions, &sourcing_skus).await?;

    let mut events: Vec<NewEvent> = Vec::new();
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut in_batch: HashMap<&str, usize> = HashMap::new();
    let mut slots: Vec<Slot> = Vec::with_capacity(requests.len());
    // Version of each request's aggregate before it, for the audit trail.
    let mut befores: Vec<u64> = Vec::with_capacity(requests.len());
    for (request, hash) in requests.iter().zip(hashes.iter().copied()) {
        let key = request.idempotency_key.as_str();
        if let Some(&index) = in_batch.get(key) {
            befores.push(w.current_version(&request.command));
            slots.push(if accepted[index].request_hash == *hash {
                Slot::ReplayOf(index)
            } else {
                Slot::Done(Err(SubmitError::KeyReused { key: key.to_string() }))
            });
            continue;
        }
        if let Some(record) = stored.get(key) {
            befores.push(w.current_version(&request.command));
            slots.push(Slot::Done(if record.request_hash == *hash {
                Ok(CommandReceipt { replayed: true, order: None, ..record.receipt.clone() })
            } else {
                Err(SubmitError::KeyReused { key: key.to_string() })
            }));
            continue;
        }
        let decided = decide_one(tx, &mut w, request, now, &mut events).await?;
        befores.push(decided.before);
        match decided.outcome {
            Ok((receipt, range)) => {
                in_batch.insert(key, accepted.len());
                slots.push(Slot::Accepted(accepted.len()));
                accepted.push(Accepted { receipt, events: range, key: key.to_string(), request_hash: hash.clone() });
                for sku in std::mem::take(&mut w.raised) {
                    refill(tx, &mut w, &sku, request, now, &mut events).await?;
                }
                w.raised.clear();
            }
            Err(refused) => slots.push(Slot::Done(Err(refused))),
        }
    }

    let seqs =
        if accepted.is_empty() { Vec::new() } else { write_batch(tx, &mut w, &events, &mut accepted, now).await? };
    let outcomes: Vec<Outcome> = slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Accepted(i) => Ok(accepted[i].receipt.clone()),
            Slot::ReplayOf(i) => Ok(CommandReceipt { replayed: true, order: None, ..accepted[i].receipt.clone() }),
            Slot::Done(outcome) => outcome,
        })
        .collect();
    let refills = std::mem::take(&mut w.refills);
    let settled = (requests.iter().copied().zip(hashes.iter().copied()).zip(befores).zip(&outcomes))
        .chain(refills.iter().map(|(request, digest, before, outcome)| (((request, digest), *before), outcome)))
        .map(|(((request, digest), version_before), outcome)| {
            let (kind, id) = addressed(&request.command);
            let aggregate = format!("{}:{id}", kind.as_str());
            Settled { request, digest, aggregate, version_before, outcome }
        })
        .collect();
    write_audit(tx, settled, now).await?;
    let written = events.into_iter().zip(seqs).map(|(e, seq)| e.recorded(seq)).collect();
    Ok((outcomes, written))
}

/// Appends the batch's events, fills in the receipts' sequence numbers, and writes projections and
/// idempotency records; returns the events' sequence numbers.
async fn write_batch(
    tx: &mut dyn BatchTx,
    w: &mut Working,
    events: &[NewEvent],
    accepted: &mut [Accepted],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    let seqs = if events.is_empty() { Vec::new() } else { tx.append_events(events).await? };
    let mut last_seq: HashMap<(AggregateKind, &str), i64> = HashMap::new();
    for (event, &seq) in events.iter().zip(&seqs) {
        let slot = last_seq.entry((event.aggregate_kind, event.aggregate_id.as_str())).or_insert(seq);
        *slot = (*slot).max(seq);
    }
    for a in accepted.iter_mut() {
        if !a.events.is_empty() {
            a.receipt.first_seq = seqs[a.events.start];
            a.receipt.last_seq = seqs[a.events.end - 1];
        }
    }

    let dirty: Vec<&Order> = w.dirty_orders.iter().map(|id| &w.orders[id]).collect();
    w.pii.ensure_orders(&mut w.ring, dirty).await?;
    let w = &*w;
    let orders = w
        .dirty_orders
        .iter()
        .map(|id| {
            let order = &w.orders[id];
            let seq = last_seq
                .get(&(AggregateKind::Order, id.as_str()))
                .copied()
                .ok_or_else(|| StoreError::Corrupt(format!("order {id} changed without an event")))?;
            Ok((order, seq))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    if !orders.is_empty() {
        let states = orders.iter().map(|(order, _)| w.ring.seal_order(order)).collect::<Result<Vec<_>, _>>()?;
        tx.upsert_orders(&orders, &states).await?;
        tx.sync_backorders(&orders).await?;
    }
    w.network.save(tx).await?;
    let positions: Vec<&InventoryPosition> = w.dirty_positions.iter().map(|k| &w.positions[k]).collect();
    if !positions.is_empty() {
        tx.upsert_positions(&positions).await?;
    }
    let locations: Vec<(&Location, u64)> =
        w.dirty_locations.iter().map(|id| (&w.locations[id].0, w.locations[id].1)).collect();
    if !locations.is_empty() {
        tx.upsert_locations(&locations).await?;
    }
    let records = accepted
        .iter()
        .map(|a| {
            Ok(NewIdempotency {
                key: a.key.clone(),
                request_hash: a.request_hash.clone(),
                receipt: to_json(&a.receipt)?,
                created_at: now,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    tx.insert_idempotency(&records).await?;
    Ok(seqs)
}
