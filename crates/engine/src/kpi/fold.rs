//! Order and inventory KPIs folded from events: fulfilment cycle time, order accuracy, inventory accuracy
//! and oversold units, over the whole log or over a period ([`Period`]).

use super::percentile::{Percentiles, percentiles};
use crate::period::Period;
use chrono::{DateTime, Utc};
use crossdock_model::{AggregateKind, CancelOutcome, Event, LineId, LocationId, OrderId, ShipmentId, Sku};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Fulfilment cycle times of the orders that completed that step, in hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CycleTimes {
    /// Orders measured.
    pub orders: u64,
    /// `None` when none were measured.
    pub hours: Option<Percentiles>,
    /// Share of the measured orders that took under 24 hours; `None` when none were measured.
    pub share_under_24h: Option<f64>,
}

/// The KPIs of the events folded so far. Shares are in 0..=1 and `None` when nothing was measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KpiReport {
    pub orders_placed: u64,
    /// Orders whose every line was shipped or cancelled, with at least one unit shipped.
    pub orders_shipped: u64,
    /// Shipped orders whose every shipment was delivered.
    pub orders_delivered: u64,
    /// Orders cancelled entirely.
    pub orders_cancelled: u64,
    /// Placed → every shipment delivered.
    pub placed_to_delivered: CycleTimes,
    /// Placed → last unit shipped.
    pub placed_to_shipped: CycleTimes,
    /// Delivered orders shipped exactly as ordered (no units cancelled after release to the warehouse, such
    /// as a short pick) and with no return for a fulfilment-error reason, over delivered orders.
    pub order_accuracy: Option<f64>,
    /// Sku-locations whose last count equalled the hub's on-hand just before it, over counted sku-locations.
    pub inventory_accuracy: Option<f64>,
    /// `1 − Σ|hub − count| / Σ count` over the last count of each sku-location.
    pub inventory_unit_accuracy: Option<f64>,
    pub sku_locations_counted: u64,
    /// Units reserved beyond the stock on hand at the moment of reservation; must stay zero.
    pub oversold_units: u64,
}

#[derive(Default)]
struct LineTrack {
    ordered: u32,
    cancelled: u32,
    shipped: u32,
}

struct OrderTrack {
    placed_at: DateTime<Utc>,
    lines: HashMap<LineId, LineTrack>,
    shipments: HashMap<ShipmentId, (DateTime<Utc>, Option<DateTime<Utc>>)>,
    /// Units cancelled out of allocations already released to a warehouse (short picks and the like).
    cancelled_after_release: u32,
    fulfilment_error_return: bool,
}

impl OrderTrack {
    fn all_lines_settled(&self) -> bool {
        self.lines.values().all(|l| l.shipped + l.cancelled >= l.ordered)
    }

    fn shipped_units(&self) -> u32 {
        self.lines.values().map(|l| l.shipped).sum()
    }

    fn last_shipped(&self) -> Option<DateTime<Utc>> {
        self.shipments.values().map(|(shipped, _)| *shipped).max()
    }

    /// When every shipment is delivered, the last delivery time.
    fn last_delivered(&self) -> Option<DateTime<Utc>> {
        self.shipments.values().map(|(_, delivered)| *delivered).collect::<Option<Vec<_>>>()?.into_iter().max()
    }
}

/// Whether a record time is in `period`; one fed without a time (see [`KpiFold::apply`]) only in the
/// unbounded period.
fn holds(period: &Period, at: Option<DateTime<Utc>>) -> bool {
    match at {
        Some(at) => period.contains(at),
        None => *period == Period::ALL,
    }
}

/// One count of a sku-location: when it was recorded, the hub's on-hand just before it, and the count.
#[derive(Clone, Copy)]
struct CountTrack {
    at: Option<DateTime<Utc>>,
    hub: i64,
    counted: i64,
}

#[derive(Default, Clone, Copy)]
struct PositionTrack {
    on_hand: i64,
    reserved: i64,
}

impl PositionTrack {
    fn excess(&self) -> i64 {
        self.reserved.saturating_sub(self.on_hand.max(0)).max(0)
    }
}

/// Folds events into KPIs. Feed every event of the log in sequence order, then call [`KpiFold::report`].
/// Order times are the business times the events carry (placed, shipped, delivered), so a simulated clock
/// gives simulated cycle times.
#[derive(Default)]
pub struct KpiFold {
    orders: HashMap<OrderId, OrderTrack>,
    positions: HashMap<(Sku, LocationId), PositionTrack>,
    /// Per sku-location, its counts in log order.
    counts: HashMap<(Sku, LocationId), Vec<CountTrack>>,
    /// Units oversold, by the reservation that oversold them: (recorded at, units).
    oversells: Vec<(Option<DateTime<Utc>>, u64)>,
    /// Orders whose last event was a warehouse's acceptance of a cancel request: the cancellation that
    /// follows it (in the same decision) recalls released units.
    recalls: HashSet<OrderId>,
}

impl KpiFold {
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds one event without its record time: counts and reservations fed this way are reported only for
    /// an unbounded period. Prefer [`KpiFold::apply_at`].
    pub fn apply(&mut self, event: &Event) {
        self.fold(event, None);
    }

    /// Folds one event recorded (committed to the log) at `recorded_at`.
    pub fn apply_at(&mut self, event: &Event, recorded_at: DateTime<Utc>) {
        self.fold(event, Some(recorded_at));
    }

    fn fold(&mut self, event: &Event, recorded_at: Option<DateTime<Utc>>) {
        let recall = self.take_recall(event);
        match event {
            Event::OrderPlaced { order } => {
                let lines = order
                    .lines
                    .iter()
                    .map(|l| (l.id.clone(), LineTrack { ordered: l.quantities.ordered, ..LineTrack::default() }))
                    .collect();
                self.orders.insert(
                    order.id.clone(),
                    OrderTrack {
                        placed_at: order.placed_at,
                        lines,
                        shipments: HashMap::new(),
                        cancelled_after_release: 0,
                        fulfilment_error_return: false,
                    },
                );
            }
            Event::OrderLinesCancelled { order_id, lines, released, .. } => {
                if let Some(track) = self.orders.get_mut(order_id) {
                    for cancelled in lines {
                        if let Some(line) = track.lines.get_mut(&cancelled.line_id) {
                            line.cancelled += cancelled.quantity.get();
                        }
                    }
                    // Only a recall the warehouse accepted takes back released units: a customer's
                    // cancellation gives back reservations (`released`) of units never handed over.
                    if recall {
                        track.cancelled_after_release += released.iter().map(|m| m.quantity).sum::<u32>();
                    }
                }
            }
            Event::OrderCancelAnswered { order_id, outcome: CancelOutcome::Accepted, .. } => {
                self.recalls.insert(order_id.clone());
            }
            Event::ShipmentConfirmed { order_id, shipment } => {
                if let Some(track) = self.orders.get_mut(order_id) {
                    for shipped in &shipment.lines {
                        if let Some(line) = track.lines.get_mut(&shipped.line_id) {
                            line.shipped += shipped.quantity.get();
                        }
                    }
                    track.shipments.insert(shipment.id.clone(), (shipment.shipped_at, shipment.delivered_at));
                }
            }
            Event::DeliveryConfirmed { order_id, shipment_id, delivered_at } => {
                if let Some((_, delivered)) =
                    self.orders.get_mut(order_id).and_then(|t| t.shipments.get_mut(shipment_id))
                {
                    *delivered = Some(*delivered_at);
                }
            }
            Event::ReturnRecorded { order_id, record } => {
                if let Some(track) = self.orders.get_mut(order_id)
                    && record.lines.iter().any(|l| l.reason.is_fulfilment_error())
                {
                    track.fulfilment_error_return = true;
                }
            }
            Event::InventoryReserved { sku, location, quantity, .. } => {
                let position = self.position(sku, location);
                let before = position.excess();
                position.reserved = position.reserved.saturating_add(*quantity);
                let added = position.excess().saturating_sub(before);
                if added > 0 {
                    self.oversells.push((recorded_at, added as u64));
                }
            }
            Event::InventoryReservationReleased { sku, location, quantity, .. } => {
                let position = self.position(sku, location);
                position.reserved = position.reserved.saturating_sub(*quantity);
            }
            Event::InventoryShipped { sku, location, quantity, .. } => {
                let position = self.position(sku, location);
                position.on_hand = position.on_hand.saturating_sub(*quantity);
                position.reserved = position.reserved.saturating_sub(*quantity);
            }
            Event::InventoryRestocked { sku, location, quantity, .. } => {
                let position = self.position(sku, location);
                position.on_hand = position.on_hand.saturating_add(*quantity);
            }
            Event::InventoryAdjusted { sku, location, delta, .. } => {
                let position = self.position(sku, location);
                position.on_hand = position.on_hand.saturating_add(*delta);
            }
            Event::InventoryCounted { sku, location, counted, previous } => {
                self.position(sku, location).on_hand = *counted;
                let count = CountTrack { at: recorded_at, hub: *previous, counted: *counted };
                self.counts.entry((sku.clone(), location.clone())).or_default().push(count);
            }
            _ => {}
        }
    }

    /// Whether `event` is the cancellation that follows an accepted cancel request of its order; any event of
    /// the order ends the wait for it (an accepted request whose units had all shipped cancels nothing).
    fn take_recall(&mut self, event: &Event) -> bool {
        if self.recalls.is_empty() {
            return false;
        }
        let (kind, id) = event.aggregate();
        if kind != AggregateKind::Order {
            return false;
        }
        let Ok(order_id) = OrderId::new(id) else { return false };
        self.recalls.remove(&order_id) && matches!(event, Event::OrderLinesCancelled { .. })
    }

    fn position(&mut self, sku: &Sku, location: &LocationId) -> &mut PositionTrack {
        self.positions.entry((sku.clone(), location.clone())).or_default()
    }

    /// Placed → every shipment delivered, in hours, of the delivered orders placed in `period` (the sample
    /// behind [`KpiReport::placed_to_delivered`], for a histogram).
    pub fn delivered_cycle_hours(&self, period: &Period) -> Vec<f64> {
        self.orders
            .values()
            .filter(|t| period.contains(t.placed_at) && t.all_lines_settled() && t.shipped_units() > 0)
            .filter_map(|t| t.last_delivered().map(|d| hours(d - t.placed_at)))
            .collect()
    }

    /// The KPIs of everything folded.
    pub fn report(&self) -> KpiReport {
        self.report_for(&Period::ALL)
    }

    /// The KPIs of `period`: orders *placed* in it (business time) whatever happened to them later, the last count of each sku-location recorded in it, and
    /// units oversold by reservations recorded in it.
    pub fn report_for(&self, period: &Period) -> KpiReport {
        let mut report = KpiReport::default();
        let (mut to_shipped, mut to_delivered) = (Vec::new(), Vec::new());
        let mut accurate = 0u64;
        for track in self.orders.values().filter(|t| period.contains(t.placed_at)) {
            report.orders_placed += 1;
            if !track.all_lines_settled() {
                continue;
            }
            if track.shipped_units() == 0 {
                report.orders_cancelled += 1;
                continue;
            }
            report.orders_shipped += 1;
            if let Some(shipped) = track.last_shipped() {
                to_shipped.push(hours(shipped - track.placed_at));
            }
            if let Some(delivered) = track.last_delivered() {
                report.orders_delivered += 1;
                to_delivered.push(hours(delivered - track.placed_at));
                if track.cancelled_after_release == 0 && !track.fulfilment_error_return {
                    accurate += 1;
                }
            }
        }
        report.placed_to_shipped = cycle_times(&to_shipped);
        report.placed_to_delivered = cycle_times(&to_delivered);
        report.order_accuracy = share(accurate, report.orders_delivered);

        let last_counts: Vec<CountTrack> = self
            .counts
            .values()
            .filter_map(|counts| counts.iter().rev().find(|c| holds(period, c.at)).copied())
            .collect();
        report.sku_locations_counted = last_counts.len() as u64;
        let matching = last_counts.iter().filter(|c| c.hub == c.counted).count() as u64;
        report.inventory_accuracy = share(matching, report.sku_locations_counted);
        // In i128: counts come from outside, and a few near i64::MAX must not overflow the sums.
        let counted: i128 = last_counts.iter().map(|c| i128::from(c.counted)).sum();
        let off: i128 = last_counts.iter().map(|c| (i128::from(c.hub) - i128::from(c.counted)).abs()).sum();
        report.inventory_unit_accuracy = (counted > 0).then(|| (1.0 - off as f64 / counted as f64).max(0.0));
        report.oversold_units = self.oversells.iter().filter(|(at, _)| holds(period, *at)).map(|(_, n)| n).sum();
        report
    }
}

fn hours(d: chrono::TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 3_600_000.0
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn cycle_times(hours: &[f64]) -> CycleTimes {
    let under = hours.iter().filter(|h| **h < 24.0).count() as u64;
    CycleTimes {
        orders: hours.len() as u64,
        hours: percentiles(hours),
        share_under_24h: share(under, hours.len() as u64),
    }
}
