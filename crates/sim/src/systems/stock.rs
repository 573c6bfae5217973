//! Stock a site system reports to the hub: the opening stock of its sites as adjustments, sent a bounded
//! number at a time, and kept on its shelves.

use super::Context;
use crate::catalog::Catalog;
use crate::hub::HubError;
use crate::world::Shelves;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Requests in flight at once while reporting opening stock.
const OPENING_CONCURRENCY: usize = 16;

/// Puts `units` (spread over the catalog by popularity) on the shelves of each location and reports each
/// sku-location to the hub as an `opening stock` adjustment. Returns how many adjustments were sent; the
/// first error ends it.
pub async fn report_opening_stock(
    context: &Context,
    shelves: &Arc<Shelves>,
    catalog: &Catalog,
    locations: &[String],
    units: u32,
) -> Result<u32, HubError> {
    let permits = Arc::new(Semaphore::new(OPENING_CONCURRENCY));
    let mut tasks = JoinSet::new();
    let mut sent = 0;
    for location in locations {
        for (product, stock) in catalog.initial_stock(units) {
            shelves.set(location, &product.sku, i64::from(stock));
            let Ok(permit) = permits.clone().acquire_owned().await else { break };
            let hub = context.hub.clone();
            let (sku, location) = (product.sku.clone(), location.clone());
            let key = format!("{}:opening:{location}:{sku}", context.name);
            tasks.spawn(async move {
                let result = hub.adjust_inventory(&sku, &location, i64::from(stock), "opening stock", &key).await;
                drop(permit);
                result
            });
            while let Some(done) = tasks.try_join_next() {
                if let Ok(result) = done {
                    result?;
                    sent += 1;
                }
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        if let Ok(result) = done {
            result?;
            sent += 1;
        }
    }
    Ok(sent)
}
