//! Deciding one command against a batch's working state, and the backorder refills a command that raised
//! stock triggers.

use super::working::Working;
use super::{BatchTx, NewEvent};
use crate::aggregates::{addressed, position_key, version_in};
use crate::codec::request_hash;
use crate::sourcing::{REFILL_MAX_ORDERS, network_available, raised_skus, waits_for};
use crate::{CommandReceipt, CommandRequest, StoreError, SubmitError};
use chrono::{DateTime, Utc};
use crossdock_engine::State;
use crossdock_model::{AggregateKind, Command, Event, InventoryPosition, LocationId, OrderId, Sku};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// What deciding one command came to, with the version of its aggregate before it.
pub(super) struct Decided {
    pub(super) before: u64,
    pub(super) outcome: Result<(CommandReceipt, Range<usize>), SubmitError>,
}

/// Decides one command against the working state; on success its events are appended to `events` and the
/// working state is advanced. Sequence numbers in the receipt are filled in later.
pub(super) async fn decide_one(
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
            event,
            recorded_at: now,
            idempotency_key: request.idempotency_key.clone(),
            actor: request.actor.clone(),
        });
    }

    let version = version_in(&state, kind, &id).unwrap_or(0);
    w.availability.keep(state.availability.take());
    let mut order_after = None;
    if let Some(order) = state.order {
        if w.orders.get(&order.id).map(|o| o.version) != Some(order.version) {
            w.dirty_orders.insert(order.id.clone());
        }
        if kind == AggregateKind::Order {
            order_after = Some(std::sync::Arc::new(order.clone()));
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
        order: order_after,
    };
    Ok(Decided { before, outcome: Ok((receipt, start..events.len())) })
}

/// Who the events and audit entry of a backorder refill are recorded as coming from (the hub itself).
const REFILL_ACTOR: &str = "hub:backorder-refill";

/// Sources the backordered orders of `sku`, first backordered first, while the network has units of it: a
/// `SourceOrder` for each, decided in this batch and recorded under the key of the command that raised the
/// stock. A refusal or an order that gets nothing writes nothing.
pub(super) async fn refill(
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
