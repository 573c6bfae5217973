//! The engine's test suite: one binary, plain data in, rendered events or errors out.

mod allocate;
mod autosource;
mod autosource_props;
mod availability;
mod cancel;
mod cancel_request;
mod evolve;
mod fulfil;
mod inventory;
mod keys;
mod kpi;
mod place;
mod props;
mod reconcile;
mod refund;
mod rma;
mod serde_round_trip;
mod sourcing;
mod sourcing_props;
mod sourcing_support;
mod support;
mod tax;
