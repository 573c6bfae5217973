//! The 3PL's work: a shipment wave (pick with short and wrong picks, a 945 for what was picked, a later
//! wave for short units or, after the last, their cancellation), cycle counts sent as 846s, and
//! replenishment of low shelves.

use super::{Job, OrderedLine, ShipJob, ThreePl};
use crate::x12::{SetToWrite, seg};
use rand::Rng;
use rand::seq::SliceRandom;
use serde_json::json;
use std::sync::atomic::Ordering;

/// What was picked for one line.
struct Picked {
    line: OrderedLine,
    units: u32,
    wrong_item: Option<String>,
}

fn pick(tpl: &ThreePl, location: &str, line: &OrderedLine) -> Picked {
    let mut wanted = line.units;
    if tpl.roll(tpl.config.short_pick_rate) {
        wanted = tpl.dice.lock().map(|mut d| d.random_range(0..wanted)).unwrap_or(0);
    }
    let units = u32::try_from(tpl.shelves.take(location, &line.sku, i64::from(wanted))).unwrap_or(0);
    let mut wrong_item = None;
    if units > 0 && tpl.roll(tpl.config.wrong_pick_rate) {
        let others: Vec<String> =
            tpl.shelves.at(location).into_iter().filter(|(s, u)| *s != line.sku && *u > 0).map(|(s, _)| s).collect();
        let index = tpl.dice.lock().map(|mut d| d.random_range(0..others.len().max(1))).unwrap_or(0);
        if let Some(other) = others.get(index)
            && tpl.shelves.take(location, other, 1) == 1
        {
            tpl.shelves.add(location, &line.sku, 1);
            wrong_item = Some(other.clone());
        }
    }
    Picked { line: line.clone(), units, wrong_item }
}

fn put_back(tpl: &ThreePl, location: &str, picked: &[Picked]) {
    for p in picked {
        match &p.wrong_item {
            Some(other) => {
                tpl.shelves.add(location, other, 1);
                tpl.shelves.add(location, &p.line.sku, i64::from(p.units) - 1);
            }
            None => tpl.shelves.add(location, &p.line.sku, i64::from(p.units)),
        }
    }
}

/// The 945 for the picked units of `job`.
fn shipping_advice(tpl: &ThreePl, job: &ShipJob, picked: &[Picked], shipment_id: &str) -> SetToWrite {
    let now = tpl.context.clock.now();
    let (date, time) = (now.format("%Y%m%d").to_string(), now.format("%H%M").to_string());
    let tracking = format!("1K{shipment_id}");
    let mut body = vec![
        seg(&["W06", "F", &job.order_id, &date, shipment_id, "", &job.purchase_order]),
        seg(&["N1", "SF", &job.location, "92", &job.location]),
        seg(&["N9", "2I", &tracking]),
        seg(&["G62", "11", &date, "8", &time]),
        seg(&["W27", "M", "", &tpl.config.carrier]),
    ];
    let mut total = 0;
    for (n, p) in picked.iter().filter(|p| p.units > 0).enumerate() {
        total += p.units;
        let status = if p.units >= p.line.units { "CC" } else { "CP" };
        let (ordered, shipped) = (p.line.units.to_string(), p.units.to_string());
        let short = (p.line.units - p.units.min(p.line.units)).to_string();
        body.push(seg(&["LX", &(n + 1).to_string()]));
        body.push(seg(&["W12", status, &ordered, &shipped, &short, "EA", "", "VN", &p.line.sku]));
        body.push(seg(&["N9", "LI", &p.line.line_id]));
    }
    body.push(seg(&["W03", &total.to_string(), &total.to_string(), "LB"]));
    SetToWrite { id: "945".into(), body }
}

/// One wave of a shipment.
pub(super) async fn ship(tpl: &ThreePl, job: ShipJob) {
    let guard = tpl.floor.read().await;
    let mut picked: Vec<Picked> = job.lines.iter().map(|l| pick(tpl, &job.location, l)).collect();
    if picked.iter().any(|p| p.units > 0) {
        let number = tpl.shipment_numbers.fetch_add(1, Ordering::Relaxed) + 1;
        let shipment_id = format!("KS{number:08}");
        let set = shipping_advice(tpl, &job, &picked, &shipment_id);
        let bytes = tpl.link.interchange(&tpl.context, "SW", &[set]);
        match tpl.link.send(&tpl.context, &bytes).await {
            Ok(receipt) if receipt.fully_accepted() => {
                tpl.shipments_sent.fetch_add(1, Ordering::Relaxed);
                for p in picked.iter().filter(|p| p.wrong_item.is_some()) {
                    tpl.truth.record_wrong_pick(&job.order_id, &p.line.line_id, 1);
                }
            }
            outcome => {
                // Refused (the order changed, or the hub's books hold fewer units) or unanswered: the
                // units go back on the shelf and the whole wave counts as short.
                match outcome {
                    Ok(receipt) => tpl.context.stats.note_error(format!(
                        "945 {shipment_id} was not accepted: {} {}",
                        receipt.status, receipt.issues
                    )),
                    Err(e) => tpl.context.warn("a 945", &e),
                }
                put_back(tpl, &job.location, &picked);
                for p in &mut picked {
                    p.units = 0;
                }
            }
        }
    }
    drop(guard);
    let missing: Vec<OrderedLine> = picked
        .iter()
        .filter(|p| p.units < p.line.units)
        .map(|p| OrderedLine { units: p.line.units - p.units, ..p.line.clone() })
        .collect();
    if missing.is_empty() {
        return;
    }
    if job.wave < tpl.config.max_waves {
        let next = ShipJob { lines: missing, wave: job.wave + 1, ..job };
        if !tpl.schedule(tpl.context.clock.in_hours(tpl.config.short_pick_retry_hours), Job::Ship(next)) {
            tpl.context.stats.note_error("3pl agenda full; short units are dropped".into());
        }
        return;
    }
    let lines: Vec<_> = missing.iter().map(|l| json!({"line_id": l.line_id, "quantity": l.units})).collect();
    let body = json!({"lines": lines, "reason": "short pick: not found at the 3PL"});
    // Per shipping order (940): a backorder filled later at the same warehouse may come up short again.
    let key = format!("{}:cancel-short:{}:{}:{}", tpl.config.id, job.order_id, job.location, job.shipping_order);
    if let Err(e) = tpl.context.hub.cancel_missing(&job.order_id, &job.location, &key, &body).await {
        tpl.context.warn("cancelling short units", &e);
    }
}

/// Counts some shelves of `location` (after drift) and reports them as an 846.
pub(super) async fn cycle_count(tpl: &ThreePl, location: &str, round: u32) {
    let guard = tpl.floor.write().await;
    let mut skus: Vec<String> = tpl.shelves.at(location).into_iter().map(|(sku, _)| sku).collect();
    let counted: Vec<(String, i64)> = match tpl.dice.lock() {
        Ok(mut dice) => {
            skus.shuffle(&mut *dice);
            skus.truncate(tpl.config.count_skus as usize);
            skus.into_iter()
                .map(|sku| {
                    if tpl.config.max_drift > 0 && dice.random::<f64>() < tpl.config.drift_rate {
                        let size = i64::from(dice.random_range(1..=tpl.config.max_drift));
                        tpl.shelves.add(location, &sku, if dice.random::<bool>() { size } else { -size });
                    }
                    let units = tpl.shelves.get(location, &sku);
                    (sku, units)
                })
                .collect()
        }
        Err(_) => Vec::new(),
    };
    if !counted.is_empty() {
        let now = tpl.context.clock.now();
        let mut body = vec![
            seg(&["BIA", "00", "MM", &format!("{location}-{round}"), &now.format("%Y%m%d").to_string()]),
            seg(&["N1", "WH", location, "92", location]),
        ];
        for (sku, units) in &counted {
            body.push(seg(&["LIN", "", "VN", sku]));
            body.push(seg(&["QTY", "17", &units.to_string(), "EA"]));
        }
        body.push(seg(&["CTT", &counted.len().to_string()]));
        let bytes = tpl.link.interchange(&tpl.context, "IB", &[SetToWrite { id: "846".into(), body }]);
        match tpl.link.send(&tpl.context, &bytes).await {
            Ok(receipt) if receipt.fully_accepted() => {
                tpl.counts_sent.fetch_add(1, Ordering::Relaxed);
            }
            Ok(receipt) => tpl.context.stats.note_error(format!("846 was not accepted: {}", receipt.issues)),
            Err(e) => tpl.context.warn("an 846", &e),
        }
    }
    drop(guard);
    let next = tpl.context.clock.in_hours(tpl.config.count_every_hours);
    tpl.schedule(next, Job::Count { location: location.to_string(), round: round + 1 });
}

/// Receives replenishment for low shelves, reported as `receipt` adjustments.
pub(super) async fn replenish(tpl: &ThreePl, round: u32) {
    let units = i64::from(tpl.config.reorder_units);
    for location in &tpl.config.warehouses {
        let low: Vec<String> = tpl
            .catalog
            .products()
            .iter()
            .filter(|p| tpl.shelves.get(location, &p.sku) < i64::from(tpl.config.reorder_point))
            .map(|p| p.sku.clone())
            .collect();
        for sku in low.into_iter().take_while(|_| units > 0) {
            let key = format!("{}:receipt:{location}:{round}:{sku}", tpl.config.id);
            match tpl.context.hub.adjust_inventory(&sku, location, units, "receipt", &key).await {
                Ok(()) => tpl.shelves.add(location, &sku, units),
                Err(e) => tpl.context.warn("a receipt", &e),
            }
        }
    }
    let next = tpl.context.clock.in_hours(tpl.config.replenish_every_hours);
    tpl.schedule(next, Job::Replenish { round: round + 1 });
}
