//! One group-commit batch, whatever the backend: load the state the batch needs in a few queries, decide and
//! evolve every command in memory, then write events, projections and idempotency records in bulk.

use crate::aggregates::{addressed, position_key, version_in};
use crate::audit::{AuditTx, Settled, write_audit};
use crate::availability::{AvailabilityTx, AvailabilityWork};
use crate::codec::{request_hash, to_json};
use crate::pii::{KeyRing, Pii};
use crate::sourcing::{NetworkWork, REFILL_MAX_ORDERS, SourcingTx, network_available, raised_skus, waits_for};
use crate::{CommandReceipt, CommandRequest, StoreError, SubmitError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crossdock_engine::{Policy, State};
use crossdock_model::{AggregateKind, Command, Event, InventoryPosition, Location, LocationId, Order, OrderId, Sku};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Arc;

/// What one request of a batch came to.
pub(crate) type Outcome = Result<CommandReceipt, SubmitError>;

/// An event to append, with the version of its aggregate after it.
pub(crate) struct NewEvent {
    pub aggregate_kind: AggregateKind,
    pub aggregate_id: String,
    pub version: u64,
    pub event_type: &'static str,
    pub schema_version: u32,
    pub payload: String,
    pub recorded_at: DateTime<Utc>,
    pub idempotency_key: String,
    pub actor: String,
}

/// An idempotency record as stored.
pub(crate) struct StoredIdempotency {
    pub request_hash: String,
    pub receipt: CommandReceipt,
}

/// An idempotency record to insert; `receipt` is the receipt's JSON.
pub(crate) struct NewIdempotency {
    pub key: String,
    pub request_hash: String,
    pub receipt: String,
    pub created_at: DateTime<Utc>,
}

/// The statements a batch needs, inside one open transaction that holds the store's write lock.
/// Every method is one round trip (or a few, when a bulk statement is split below the bind-parameter limit).
#[async_trait]
pub(crate) trait BatchTx: SourcingTx + AvailabilityTx + AuditTx + Send {
    async fn idempotency(&mut self, keys: &[String]) -> Result<HashMap<String, StoredIdempotency>, StoreError>;
    /// The stored states (JSON, PII sealed) of these orders.
    async fn orders(&mut self, ids: &[OrderId]) -> Result<Vec<String>, StoreError>;
    async fn positions(&mut self, keys: &[(Sku, LocationId)]) -> Result<Vec<InventoryPosition>, StoreError>;
    async fn locations(&mut self, ids: &[LocationId]) -> Result<Vec<(Location, u64)>, StoreError>;
    /// Appends the events in order and returns their sequence numbers, aligned with `events`.
    async fn append_events(&mut self, events: &[NewEvent]) -> Result<Vec<i64>, StoreError>;
    /// Upserts orders with the sequence number of each one's last event and the state to store (`states`,
    /// aligned with `orders`: the order's JSON with its PII sealed).
    async fn upsert_orders(&mut self, orders: &[(&Order, i64)], states: &[String]) -> Result<(), StoreError>;
    async fn upsert_positions(&mut self, positions: &[&InventoryPosition]) -> Result<(), StoreError>;
    async fn upsert_locations(&mut self, locations: &[(&Location, u64)]) -> Result<(), StoreError>;
    async fn insert_idempotency(&mut self, records: &[NewIdempotency]) -> Result<(), StoreError>;
}

/// The aggregates of a batch as they stand after the commands decided so far.
#[derive(Default)]
struct Working {
    orders: HashMap<OrderId, Order>,
    /// Every position looked up so far; one that does not exist yet is held as empty at version 0.
    positions: BTreeMap<(Sku, LocationId), InventoryPosition>,
    locations: HashMap<LocationId, (Location, u64)>,
    dirty_orders: BTreeSet<OrderId>,
    dirty_positions: BTreeSet<(Sku, LocationId)>,
    dirty_locations: BTreeSet<LocationId>,
    /// Locations, today's orders per location and backorders, for automatic sourcing.
    network: NetworkWork,
    /// Skus whose stock the last accepted command raised (their backorders are refilled next).
    raised: BTreeSet<Sku>,
    availability: AvailabilityWork,
    policy: Arc<Policy>,
    /// The store's PII handle and the data keys this batch has used.
    pii: Pii,
    ring: KeyRing,
    /// Backorder refills decided in this batch (each gets its own audit entry, after the requests'):
    /// the `SourceOrder` request, its digest, the order's version before it and its outcome.
    refills: Vec<(CommandRequest, String, u64, Outcome)>,
}

impl Working {
    /// The version of the aggregate `command` addresses as the batch stands, without loading anything
    /// (0 when the batch has not looked it up).
    fn current_version(&self, command: &Command) -> u64 {
        match command {
            Command::AdjustInventory { sku, location, .. } | Command::CountInventory { sku, location, .. } => {
                self.positions.get(&(sku.clone(), location.clone())).map_or(0, |p| p.version)
            }
            Command::UpsertLocation { location } => self.locations.get(&location.id).map_or(0, |l| l.1),
            Command::RefreshAvailability { channel, sku } => self.availability.version_of(channel, sku),
            other => other.order_id().and_then(|id| self.orders.get(id)).map_or(0, |o| o.version),
        }
    }

    /// Reads orders, opening their sealed PII.
    async fn load_orders(&mut self, tx: &mut dyn BatchTx, ids: &[OrderId]) -> Result<(), StoreError> {
        let states = tx.orders(ids).await?;
        self.pii.open_into(&mut self.ring, states.iter().map(String::as_str)).await?;
        for state in &states {
            let order = self.ring.open_order("order state", state)?;
            self.orders.insert(order.id.clone(), order);
        }
        Ok(())
    }

    /// Loads the positions among `keys` not looked up yet (one query, and only when some are missing).
    async fn ensure_positions(
        &mut self,
        tx: &mut dyn BatchTx,
        keys: &[(Sku, LocationId)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let missing: Vec<(Sku, LocationId)> = keys
            .iter()
            .filter(|k| !self.positions.contains_key(*k))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        for found in tx.positions(&missing).await? {
            self.positions.insert((found.sku.clone(), found.location.clone()), found);
        }
        for (sku, location) in missing {
            self.positions
                .entry((sku.clone(), location.clone()))
                .or_insert_with(|| InventoryPosition::empty(sku, location, now));
        }
        Ok(())
    }
}

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

/// Applies a batch inside `tx` and returns one outcome per request, in order. Commands refused by the engine
/// (or by idempotency or version checks) write nothing; the others are written. An `Err` means the
/// transaction must be rolled back.
pub(crate) async fn apply_batch(
    tx: &mut dyn BatchTx,
    requests: &[&CommandRequest],
    now: DateTime<Utc>,
    policy: Arc<Policy>,
    pii: &Pii,
) -> Result<Vec<Outcome>, StoreError> {
    let hashes: Vec<String> = requests.iter().map(|r| request_hash(&r.command, r.expected_version)).collect();
    let keys: Vec<String> =
        requests.iter().map(|r| r.idempotency_key.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let stored = tx.idempotency(&keys).await?;

    let mut w = Working { policy, ring: pii.batch_ring(), pii: pii.clone(), ..Working::default() };
    pii.ensure_placed(&mut w.ring, requests.iter().map(|r| &r.command)).await?;
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

    let mut events: Vec<NewEvent> = Vec::new();
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut in_batch: HashMap<&str, usize> = HashMap::new();
    let mut slots: Vec<Slot> = Vec::with_capacity(requests.len());
    // Version of each request's aggregate before it, for the audit trail.
    let mut befores: Vec<u64> = Vec::with_capacity(requests.len());
    for (request, hash) in requests.iter().zip(&hashes) {
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
                Ok(CommandReceipt { replayed: true, ..record.receipt.clone() })
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

    if !accepted.is_empty() {
        write_batch(tx, &mut w, &events, &mut accepted, now).await?;
    }
    let outcomes: Vec<Outcome> = slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Accepted(i) => Ok(accepted[i].receipt.clone()),
            Slot::ReplayOf(i) => Ok(CommandReceipt { replayed: true, ..accepted[i].receipt.clone() }),
            Slot::Done(outcome) => outcome,
        })
        .collect();
    let refills = std::mem::take(&mut w.refills);
    let settled = (requests.iter().copied().zip(&hashes).zip(befores).zip(&outcomes))
        .chain(refills.iter().map(|(request, digest, before, outcome)| (((request, digest), *before), outcome)))
        .map(|(((request, digest), version_before), outcome)| {
            let (kind, id) = addressed(&request.command);
            let aggregate = format!("{}:{id}", kind.as_str());
            Settled { request, digest, aggregate, version_before, outcome }
        })
        .collect();
    write_audit(tx, settled, now).await?;
    Ok(outcomes)
}

/// What deciding one command came to, with the version of its aggregate before it.
struct Decided {
    before: u64,
    outcome: Result<(CommandReceipt, Range<usize>), SubmitError>,
}

/// Decides one command against the working state; on success its events are appended to `events` and the
/// working state is advanced. Sequence numbers in the receipt are filled in later.
async fn decide_one(
    tx: &mut dyn BatchTx,
    w: &mut Working,
    request: &CommandRequest,
    now: DateTime<Utc>,
    events: &mut Vec<NewEvent>,
) -> Result<Decided, StoreError> {
    let command = &request.command;
    let order = command.order_id().and_then(|id| w.orders.get(id)).cloned();
    let keys = crossdock_engine::inventory_keys(command, order.as_ref());
    w.ensure_positions(tx, &keys, now).await?;
    let mut positions: BTreeMap<(Sku, LocationId), InventoryPosition> =
        keys.iter().map(|k| (k.clone(), w.positions[k].clone())).collect();
    let skus = crossdock_engine::sourcing_skus(command, order.as_ref());
    let mut sourcing = None;
    if !skus.is_empty() {
        let upserted = w.locations.values().map(|(l, _)| l);
        sourcing = Some(w.network.load(tx, &mut w.positions, upserted, &skus, &w.policy, now).await?);
        let wanted: BTreeSet<&Sku> = skus.iter().collect();
        positions
            .extend(w.positions.iter().filter(|(k, _)| wanted.contains(&k.0)).map(|(k, p)| (k.clone(), p.clone())));
    }
    let location = match command {
        Command::UpsertLocation { location } => w.locations.get(&location.id).cloned(),
        _ => None,
    };
    let availability = match command {
        Command::RefreshAvailability { channel, sku } => w.availability.load(tx, channel, sku).await?,
        _ => None,
    };
    let restocking = w.policy.restocking.clone();
    let mut state = State { order, positions, location, sourcing, restocking, availability };

    let (kind, id) = addressed(command);
    let before = version_in(&state, kind, &id).unwrap_or(0);
    if let Some(expected) = request.expected_version
        && before != expected
    {
        return Ok(Decided { before, outcome: Err(SubmitError::VersionConflict { expected, actual: before }) });
    }
    let decided = match crossdock_engine::decide(&state, command, now) {
        Ok(decided) => decided,
        Err(refused) => return Ok(Decided { before, outcome: Err(SubmitError::Rejected(refused)) }),
    };

    w.network.note(&decided);
    w.raised.extend(raised_skus(&decided));
    let start = events.len();
    for event in decided {
        if let Some(key) = position_key(&event)
            && !state.positions.contains_key(&key)
        {
            w.ensure_positions(tx, std::slice::from_ref(&key), now).await?;
            state.positions.insert(key.clone(), w.positions[&key].clone());
        }
        crossdock_engine::evolve(&mut state, &event, now);
        if let Event::OrderPlaced { order } = &event {
            w.pii.ensure_orders(&mut w.ring, [order.as_ref()]).await?;
        }
        let (event_kind, event_id) = event.aggregate();
        let version = version_in(&state, event_kind, &event_id).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "no {} {event_id} in the state after applying {}",
                event_kind.as_str(),
                event.type_name()
            ))
        })?;
        events.push(NewEvent {
            aggregate_kind: event_kind,
            aggregate_id: event_id,
            version,
            event_type: event.type_name(),
            schema_version: event.schema_version(),
            payload: w.ring.seal_event(&event)?,
            recorded_at: now,
            idempotency_key: request.idempotency_key.clone(),
            actor: request.actor.clone(),
        });
    }

    let version = version_in(&state, kind, &id).unwrap_or(0);
    w.availability.keep(state.availability.take());
    if let Some(order) = state.order {
        if w.orders.get(&order.id).map(|o| o.version) != Some(order.version) {
            w.dirty_orders.insert(order.id.clone());
        }
        w.orders.insert(order.id.clone(), order);
    }
    for (key, position) in state.positions {
        if w.positions.get(&key).map(|p| p.version) != Some(position.version) {
            w.dirty_positions.insert(key.clone());
        }
        w.positions.insert(key, position);
    }
    if let Some((location, version)) = state.location {
        if w.locations.get(&location.id).map(|l| l.1) != Some(version) {
            w.dirty_locations.insert(location.id.clone());
        }
        w.locations.insert(location.id.clone(), (location, version));
    }
    let event_count = u32::try_from(events.len() - start).unwrap_or(u32::MAX);
    let receipt = CommandReceipt {
        aggregate_kind: kind,
        aggregate_id: id,
        version,
        first_seq: 0,
        last_seq: 0,
        event_count,
        replayed: false,
    };
    Ok(Decided { before, outcome: Ok((receipt, start..events.len())) })
}

/// Appends the batch's events, fills in the receipts' sequence numbers, and writes projections and
/// idempotency records.
async fn write_batch(
    tx: &mut dyn BatchTx,
    w: &mut Working,
    events: &[NewEvent],
    accepted: &mut [Accepted],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
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
    tx.insert_idempotency(&records).await
}

/// Who the events and audit entry of a backorder refill are recorded as coming from (the hub itself).
const REFILL_ACTOR: &str = "hub:backorder-refill";

/// Sources the backordered orders of `sku`, first backordered first, while the network has units of it: a
/// `SourceOrder` for each, decided in this batch and recorded under the key of the command that raised the
/// stock. A refusal or an order that gets nothing writes nothing.
async fn refill(
    tx: &mut dyn BatchTx,
    w: &mut Working,
    sku: &Sku,
    trigger: &CommandRequest,
    now: DateTime<Utc>,
    events: &mut Vec<NewEvent>,
) -> Result<(), StoreError> {
    let mut queue = tx.backorders_of(sku, REFILL_MAX_ORDERS).await?;
    for id in &w.network.backordered_in_batch {
        if !queue.contains(id) {
            queue.push(id.clone());
        }
    }
    if queue.is_empty() {
        return Ok(());
    }
    let unknown: Vec<OrderId> = queue.iter().filter(|id| !w.orders.contains_key(*id)).cloned().collect();
    if !unknown.is_empty() {
        w.load_orders(tx, &unknown).await?;
    }
    let upserted = w.locations.values().map(|(l, _)| l);
    w.network.load(tx, &mut w.positions, upserted, std::slice::from_ref(sku), &w.policy, now).await?;
    for order_id in queue {
        if network_available(&w.positions, sku) <= 0 {
            break;
        }
        if !w.orders.get(&order_id).is_some_and(|o| waits_for(o, sku)) {
            continue;
        }
        let request = CommandRequest {
            idempotency_key: trigger.idempotency_key.clone(),
            command: Command::SourceOrder { order_id },
            actor: REFILL_ACTOR.to_string(),
            expected_version: None,
            origin: trigger.origin.clone(),
        };
        // A refusal (the order changed in between, say) writes nothing and is no error of the trigger's.
        let decided = decide_one(tx, w, &request, now, events).await?;
        if let Ok((receipt, _)) = decided.outcome {
            let digest = request_hash(&request.command, None);
            w.refills.push((request, digest, decided.before, Ok(receipt)));
        }
    }
    Ok(())
}
