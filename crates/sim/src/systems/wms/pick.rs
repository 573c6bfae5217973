//! One pick wave: read the order, pick what is released and on the shelf (short picks and wrong items at
//! the configured rates), confirm the shipment, and schedule a later wave for short units or cancel them.

use super::{PickJob, Wms, WmsJob};
use crate::hub::{HubError, OrderAction};
use crossdock_model::Order;
use rand::Rng;
use serde_json::json;
use std::sync::atomic::Ordering;

/// What was picked for one line.
struct Picked {
    line_id: String,
    sku: String,
    units: u32,
    missing: u32,
    wrong_item: Option<String>,
}

fn roll(wms: &Wms, share: f64) -> bool {
    share > 0.0 && wms.dice.lock().map(|mut d| d.random::<f64>() < share).unwrap_or(false)
}

/// Picks the lines of `job` that the order still has released and unshipped at the warehouse.
fn pick_lines(wms: &Wms, job: &PickJob, order: &Order) -> Vec<Picked> {
    let mut picked = Vec::new();
    for (line_id, units) in &job.lines {
        let Some(line) = order.lines.iter().find(|l| l.id.as_str() == line_id) else { continue };
        let room = line.allocation_at(&job.location);
        let wanted = (*units).min(room);
        if wanted == 0 {
            continue;
        }
        let sku = line.sku.to_string();
        let mut units = wanted;
        if roll(wms, wms.config.short_pick_rate) {
            let short = wms.dice.lock().map(|mut d| d.random_range(1..=wanted)).unwrap_or(wanted);
            units -= short;
        }
        let on_shelf = wms.shelves.take(&job.location, &sku, i64::from(units));
        units = u32::try_from(on_shelf).unwrap_or(0);
        let mut wrong_item = None;
        if units > 0 && roll(wms, wms.config.wrong_pick_rate) {
            // One unit of another sku goes into the parcel instead: its shelf loses it, this one keeps it.
            let others: Vec<(String, i64)> =
                wms.shelves.at(&job.location).into_iter().filter(|(s, u)| *s != sku && *u > 0).collect();
            if !others.is_empty() {
                let index = wms.dice.lock().map(|mut d| d.random_range(0..others.len())).unwrap_or(0);
                let other = others[index].0.clone();
                if wms.shelves.take(&job.location, &other, 1) == 1 {
                    wms.shelves.add(&job.location, &sku, 1);
                    wrong_item = Some(other);
                }
            }
        }
        picked.push(Picked { line_id: line_id.clone(), sku, units, missing: wanted - units, wrong_item });
    }
    picked
}

/// Puts picked units back on the shelf when the shipment was not recorded.
fn put_back(wms: &Wms, location: &str, picked: &[Picked]) {
    for p in picked {
        match &p.wrong_item {
            Some(other) => {
                wms.shelves.add(location, other, 1);
                wms.shelves.add(location, &p.sku, i64::from(p.units) - 1);
            }
            None => wms.shelves.add(location, &p.sku, i64::from(p.units)),
        }
    }
}

pub(super) async fn run(wms: &Wms, job: PickJob, retries: u32) {
    if let Err(e) = pick_and_ship(wms, &job).await {
        wms.context.warn("a pick", &e);
        if matches!(e, HubError::Unavailable { .. }) {
            // The hub did not answer: the same wave again later, with the same keys.
            wms.retry_later(WmsJob::Pick(job), retries);
        }
    }
}

async fn pick_and_ship(wms: &Wms, job: &PickJob) -> Result<(), HubError> {
    let hub = &wms.context.hub;
    let Some(order) = hub.order(&job.order_id).await? else { return Ok(()) };
    let mut picked = pick_lines(wms, job, &order);
    let lines: Vec<_> =
        picked.iter().filter(|p| p.units > 0).map(|p| json!({"line_id": p.line_id, "quantity": p.units})).collect();
    if !lines.is_empty() {
        let shipment_id = format!("{}-{}-r{}-w{}", job.order_id, job.location, job.release, job.wave);
        let tracking = wms.tracking.fetch_add(1, Ordering::Relaxed) + 1;
        let body = json!({
            "shipment_id": shipment_id,
            "location": job.location,
            "carrier": wms.config.carrier,
            "service": wms.config.service,
            "tracking_number": format!("SP{:04}{tracking:08}", wms.context.seed % 10_000),
            "lines": lines,
            "shipped_at": wms.context.clock.now(),
        });
        let key = format!("wms:ship:{shipment_id}");
        match hub.order_command(&job.order_id, OrderAction::Ship, &key, &body).await {
            Ok(_) => {
                for p in picked.iter().filter(|p| p.wrong_item.is_some()) {
                    wms.truth.record_wrong_pick(&job.order_id, &p.line_id, 1);
                }
            }
            // The hub's books hold fewer units than the shelf (a count lowered them): all of it is short.
            Err(e) if e.code() == Some("insufficient_stock") => {
                put_back(wms, &job.location, &picked);
                for p in &mut picked {
                    p.missing += std::mem::take(&mut p.units);
                }
            }
            Err(e) => {
                put_back(wms, &job.location, &picked);
                return Err(e);
            }
        }
    }
    let missing: Vec<(String, u32)> =
        picked.iter().filter(|p| p.missing > 0).map(|p| (p.line_id.clone(), p.missing)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if job.wave < wms.config.max_waves {
        let due = wms.context.clock.in_hours(wms.config.short_pick_retry_hours);
        let next = PickJob { lines: missing, wave: job.wave + 1, ..job.clone() };
        if !wms.schedule(due, WmsJob::Pick(next)) {
            wms.context.stats.note_error("wms agenda full; short units are dropped".into());
        }
        return Ok(());
    }
    let lines: Vec<_> = missing.iter().map(|(id, q)| json!({"line_id": id, "quantity": q})).collect();
    let body = json!({"lines": lines, "reason": "short pick: not found in the warehouse"});
    // Per release: a backorder filled later at the same warehouse may come up short again.
    let key = format!("wms:cancel-short:{}:{}:r{}", job.order_id, job.location, job.release);
    hub.cancel_missing(&job.order_id, &job.location, &key, &body).await.map(drop)
}

/// Released and unshipped units of a line at a location.
trait AllocationAt {
    fn allocation_at(&self, location: &str) -> u32;
}

impl AllocationAt for crossdock_model::OrderLine {
    fn allocation_at(&self, location: &str) -> u32 {
        self.allocations
            .iter()
            .find(|a| a.location.as_str() == location)
            .map_or(0, |a| a.released.saturating_sub(a.shipped))
    }
}
