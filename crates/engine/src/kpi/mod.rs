//! KPIs computed from the event log, never entered by hand: fulfilment cycle time, order accuracy,
//! inventory accuracy, oversold units ([`KpiFold`]), and integration uptime and sync latency per connected
//! system ([`integration_kpis`], from delivery outcomes). Pure: the caller feeds events and samples in.

mod fold;
mod percentile;
mod uptime;

pub use crate::period::Period;
pub use fold::{CycleTimes, KpiFold, KpiReport};
pub use percentile::{Percentiles, percentiles};
pub use uptime::{DeliverySample, SystemKpis, integration_kpis};
