//! The warehouse's periodic work: cycle counts of some shelves (after a configurable drift: shrinkage and
//! damage the books do not know of) reported with `POST /v1/inventory/counts`, and replenishment of low
//! shelves reported as `receipt` adjustments. Each round schedules the next one.

use super::{Wms, WmsJob};
use rand::Rng;
use rand::seq::SliceRandom;

pub(super) async fn cycle_count(wms: &Wms, location: &str, round: u32) {
    let mut skus: Vec<String> = wms.shelves.at(location).into_iter().map(|(sku, _)| sku).collect();
    let counted = if let Ok(mut dice) = wms.dice.lock() {
        skus.shuffle(&mut *dice);
        skus.truncate(wms.config.count_skus as usize);
        skus.into_iter()
            .map(|sku| {
                if wms.config.drift_rate > 0.0
                    && wms.config.max_drift > 0
                    && dice.random::<f64>() < wms.config.drift_rate
                {
                    let size = i64::from(dice.random_range(1..=wms.config.max_drift));
                    let drift = if dice.random::<bool>() { size } else { -size };
                    wms.shelves.add(location, &sku, drift);
                }
                let units = wms.shelves.get(location, &sku);
                (sku, units)
            })
            .collect::<Vec<_>>()
    } else {
        Vec::new()
    };
    for (sku, units) in counted {
        let key = format!("wms:count:{location}:{round}:{sku}");
        if let Err(e) = wms.context.hub.count_inventory(&sku, location, units, &key).await {
            wms.context.warn("a cycle count", &e);
        }
    }
    let next = wms.context.clock.in_hours(wms.config.count_every_hours);
    wms.schedule(next, WmsJob::Count { location: location.to_string(), round: round + 1 });
}

pub(super) async fn replenish(wms: &Wms, round: u32) {
    let reorder_point = i64::from(wms.config.reorder_point);
    let units = i64::from(wms.config.reorder_units);
    for location in &wms.warehouses {
        let low: Vec<String> = wms
            .catalog
            .products()
            .iter()
            .filter(|p| wms.shelves.get(location, &p.sku) < reorder_point)
            .map(|p| p.sku.clone())
            .collect();
        for sku in low {
            if units == 0 {
                break;
            }
            let key = format!("wms:receipt:{location}:{round}:{sku}");
            match wms.context.hub.adjust_inventory(&sku, location, units, "receipt", &key).await {
                Ok(()) => wms.shelves.add(location, &sku, units),
                Err(e) => wms.context.warn("a receipt", &e),
            }
        }
    }
    let next = wms.context.clock.in_hours(wms.config.replenish_every_hours);
    wms.schedule(next, WmsJob::Replenish { round: round + 1 });
}
