//! What happened in a demo run besides the KPIs, read from the hub's event log and the dispatcher: split
//! shipments, cancellations, backorders filled later, buy-online-return-in-store returns, store shipments, counts,
//! how the hub rode out the outage, and the B2B partner's orders and the 3PL's shipments (with what each of
//! them reports having received over EDI).

use super::scenario::{OUTAGE_SYSTEM, OutagePlan};
use crossdock_connect::dispatch::Dispatcher;
use crossdock_model::Event;
use crossdock_sim::systems::partner::PartnerReport;
use crossdock_sim::systems::threepl::ThreePlReport;
use crossdock_store::Store;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// Events read per page.
const PAGE: u32 = 10_000;

/// The outage and what the hub did about it.
#[derive(Debug, Clone, Serialize)]
pub struct OutageStory {
    pub system: &'static str,
    pub start_hour: f64,
    pub hours: f64,
    /// Deliveries to the system that failed and were tried again.
    pub retried: u64,
    pub delivered: u64,
    pub dead_letters: u64,
}

/// The B2B partner's orders: as the hub's log has them, and as the partner saw them over EDI.
#[derive(Debug, Clone, Default, Serialize)]
pub struct B2bStory {
    /// Orders placed on an `edi:` channel, and of them delivered and cancelled (in full).
    pub orders: u64,
    pub delivered: u64,
    pub cancelled: u64,
    /// What the partner sent and received (997, 855, 856, 810) and what it found overdue.
    pub partner: Option<PartnerReport>,
}

/// The 3PL's side: shipments from its warehouses and inventory counts there, per the hub's log, and
/// what the 3PL reports having exchanged (940 in; 945 and 846 out).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ThreePlStory {
    pub shipments: u64,
    pub counts: u64,
    pub report: Option<ThreePlReport>,
}

/// The run's facts.
#[derive(Debug, Clone, Serialize)]
pub struct Story {
    pub seed: u64,
    pub time_factor: f64,
    pub wall_seconds: f64,
    pub simulated_hours: f64,
    /// Orders the channels could not place after retries.
    pub orders_failed: u64,
    pub events: u64,
    /// Orders shipped in two or more shipments (from two sites, or a short pick sent later).
    pub split_shipments: u64,
    pub cancelled_orders: u64,
    pub partly_cancelled_orders: u64,
    /// Orders that waited for stock and were allocated later (backorder filled).
    pub backorders_filled: u64,
    /// Online orders returned at a store's POS.
    pub returns_in_store: u64,
    /// Shipments from a store: ship-from-store parcels and pickups in store.
    pub store_shipments: u64,
    pub inventory_counts: u64,
    /// Webhook deliveries acknowledged and retried, all systems.
    pub webhooks_delivered: u64,
    pub webhooks_retried: u64,
    pub outage: OutageStory,
    pub b2b: B2bStory,
    pub threepl: ThreePlStory,
}

#[derive(Default)]
struct OrderFacts {
    b2b: bool,
    delivered: bool,
    ordered: u32,
    cancelled: u32,
    shipments: u32,
    allocations: u32,
    waited: bool,
}

/// Run facts, apart from timing, which the caller fills in.
pub struct Facts<'a> {
    pub store: &'a dyn Store,
    pub dispatcher: &'a Dispatcher,
    pub stores: BTreeSet<String>,
    /// The warehouses the 3PL runs.
    pub third_party: BTreeSet<String>,
    pub outage: OutagePlan,
}

/// Reads the whole log and the dispatcher's counters.
pub async fn collect(facts: Facts<'_>, seed: u64, time_factor: f64) -> anyhow::Result<Story> {
    let mut orders: HashMap<String, OrderFacts> = HashMap::new();
    let (mut after, mut events, mut returns_in_store, mut pickups, mut counts) = (0i64, 0u64, 0u64, 0u64, 0u64);
    let mut threepl = ThreePlStory::default();
    loop {
        let page = facts.store.events_after(after, PAGE).await?;
        for recorded in &page {
            after = recorded.seq;
            events += 1;
            match &recorded.payload {
                Event::OrderPlaced { order } => {
                    let entry = orders.entry(order.id.to_string()).or_default();
                    entry.ordered = order.lines.iter().map(|l| l.quantities.ordered).sum();
                    entry.b2b = order.channel.as_str().starts_with("edi:");
                }
                Event::OrderLinesAllocated { order_id, allocations }
                | Event::OrderSourced { order_id, allocations, .. }
                    if !allocations.is_empty() =>
                {
                    orders.entry(order_id.to_string()).or_default().allocations += 1;
                }
                Event::OrderBackordered { order_id, .. } => {
                    orders.entry(order_id.to_string()).or_default().waited = true
                }
                Event::OrderLinesCancelled { order_id, lines, .. } => {
                    let cancelled: u32 = lines.iter().map(|l| l.quantity.get()).sum();
                    orders.entry(order_id.to_string()).or_default().cancelled += cancelled;
                }
                Event::ShipmentConfirmed { order_id, shipment } => {
                    orders.entry(order_id.to_string()).or_default().shipments += 1;
                    if facts.stores.contains(shipment.location.as_str()) {
                        pickups += 1;
                    }
                    if facts.third_party.contains(shipment.location.as_str()) {
                        threepl.shipments += 1;
                    }
                }
                Event::ReturnRecorded { record, .. } if facts.stores.contains(record.location.as_str()) => {
                    returns_in_store += 1;
                }
                Event::DeliveryConfirmed { order_id, .. } => {
                    orders.entry(order_id.to_string()).or_default().delivered = true
                }
                Event::InventoryCounted { location, .. } => {
                    counts += 1;
                    if facts.third_party.contains(location.as_str()) {
                        threepl.counts += 1;
                    }
                }
                _ => {}
            }
        }
        if page.len() < PAGE as usize {
            break;
        }
    }
    let count = |f: &dyn Fn(&OrderFacts) -> bool| orders.values().filter(|o| f(o)).count() as u64;
    let systems = facts.dispatcher.systems();
    let outage_system = systems.iter().find(|s| s.name == OUTAGE_SYSTEM);
    Ok(Story {
        seed,
        time_factor,
        wall_seconds: 0.0,
        simulated_hours: 0.0,
        orders_failed: 0,
        events,
        split_shipments: count(&|o| o.shipments >= 2),
        cancelled_orders: count(&|o| o.ordered > 0 && o.cancelled >= o.ordered),
        partly_cancelled_orders: count(&|o| o.cancelled > 0 && o.cancelled < o.ordered),
        backorders_filled: count(&|o| o.allocations >= 2 || (o.waited && o.allocations >= 1)),
        returns_in_store,
        store_shipments: pickups,
        inventory_counts: counts,
        webhooks_delivered: systems.iter().map(|s| s.delivered).sum(),
        webhooks_retried: systems.iter().map(|s| s.retried).sum(),
        outage: OutageStory {
            system: OUTAGE_SYSTEM,
            start_hour: facts.outage.start_hour,
            hours: facts.outage.hours,
            retried: outage_system.map_or(0, |s| s.retried),
            delivered: outage_system.map_or(0, |s| s.delivered),
            dead_letters: outage_system.map_or(0, |s| s.dead),
        },
        b2b: B2bStory {
            orders: count(&|o| o.b2b),
            delivered: count(&|o| o.b2b && o.delivered),
            cancelled: count(&|o| o.b2b && o.ordered > 0 && o.cancelled >= o.ordered),
            partner: None,
        },
        threepl,
    })
}
