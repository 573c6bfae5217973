//! What the demo simulates: the network's configuration for a number of orders and a seed, with stock
//! scaled to the orders (so the least popular skus run out and are backordered until the warehouse is
//! replenished), shopper cancellations, short and wrong picks (split shipments, returns), in-store returns
//! of online orders at the POS, one outage window of the ERP that the hub must ride out with retries, a B2B
//! partner sending a share of the orders as EDI 850s, and a 3PL running one warehouse over EDI 940/945/846.

use chrono::{TimeDelta, Utc};
use crossdock_sim::clock::hours;
use crossdock_sim::{EdiSetup, HubConfig, Outage, OutageMode, SimClock, SimConfig};
use std::path::Path;

/// Simulated hours set aside for starting up (seeding the hub takes real time, which the clock turns into
/// simulated hours); [`skip_prelude`] jumps over what is left of them, so that the traffic, and the outage
/// window placed after them, start at a known simulated time whatever the machine's speed.
pub const PRELUDE_HOURS: f64 = 1_000.0;
/// Shortest outage, in real seconds, so that deliveries are refused long enough to be retried.
const MIN_OUTAGE_REAL_SECS: f64 = 3.0;

/// Share of the orders that the B2B partner sends as EDI purchase orders.
pub const B2B_SHARE: f64 = 0.05;

/// The system taken down for a while.
pub const OUTAGE_SYSTEM: &str = "erp";

/// The outage window, in simulated hours after the traffic starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutagePlan {
    pub start_hour: f64,
    pub hours: f64,
}

/// The network's configuration and the outage in it.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub config: SimConfig,
    pub outage: OutagePlan,
}

/// The demo's scenario for `orders` orders with `seed`, on a clock running `time_factor` times real time,
/// with the hub's EDI folders under `edi_folder`.
pub fn scenario(hub: HubConfig, orders: u32, seed: u64, time_factor: f64, edi_folder: &Path) -> Scenario {
    let b2b = if orders >= 2 { ((f64::from(orders) * B2B_SHARE).round() as u32).max(1) } else { 0 };
    let mut config = SimConfig::new(hub, seed).with_orders(orders - b2b);
    config.time_factor = time_factor;
    // About 2,000 units per warehouse for 2,000 orders: the tail of the Zipf popularity gets a unit or none,
    // and those orders wait (backordered) for the daily replenishment.
    config.catalog.warehouse_units = orders.max(200);
    config.catalog.store_units = (orders / 10).max(20);
    config.web_store.cancel_share = 0.03;
    config.pos.return_rate = 0.05;
    config.pos.sales_per_hour = 2.0;
    config.wms.short_pick_rate = 0.04;
    let per_hour = config.web_store.orders_per_hour + config.marketplace.orders_per_hour;
    let span_hours = f64::from(orders - b2b) / per_hour.max(1.0);
    // The partner's POs spread over the same span as the channels' orders.
    config.edi = Some(EdiSetup::new(edi_folder));
    config.partner.orders = b2b;
    config.partner.orders_per_hour = (f64::from(b2b) / span_hours.max(1.0)).max(0.01);
    config.threepl.short_pick_rate = config.wms.short_pick_rate;
    let min_hours = MIN_OUTAGE_REAL_SECS * time_factor / 3600.0;
    let outage = OutagePlan { start_hour: span_hours * 0.3, hours: (span_hours * 0.2).max(min_hours).min(24.0) };
    config.start = Some(Utc::now() - hours(PRELUDE_HOURS));
    config.erp.faults.outages =
        vec![Outage { start_hour: PRELUDE_HOURS + outage.start_hour, hours: outage.hours, mode: OutageMode::Refuse }];
    Scenario { config, outage }
}

/// Moves the clock to the end of the prelude (now, in real terms) if it is not there yet.
pub fn skip_prelude(clock: &SimClock) {
    let left = hours(PRELUDE_HOURS) - clock.elapsed();
    if left > TimeDelta::zero() {
        clock.advance(left);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_are_valid_and_scale() {
        for orders in [1, 200, 2_000, 200_000] {
            let hub = HubConfig::new("http://127.0.0.1:1", "cdk_x");
            let s = scenario(hub, orders, 7, 20_000.0, Path::new("edi"));
            assert_eq!(s.config.problems(), Vec::<String>::new(), "{orders}");
            let c = &s.config;
            assert_eq!(c.web_store.orders + c.marketplace.orders + c.partner.orders, orders);
            assert_eq!(c.partner.orders > 0, orders > 1, "{orders}");
            assert!(s.outage.hours * 3600.0 / 20_000.0 >= 2.9 && s.outage.start_hour > 0.0);
            assert_eq!(s.config.erp.faults.outages.len(), 1);
        }
    }
}
