//! `crossdock demo`: one command, no setup. It starts the hub (API and dispatcher) on a SQLite file in a
//! working folder, starts the simulated commerce systems, runs orders through their whole life on a
//! simulated clock, prints the KPI report from `GET /v1/kpis`, and keeps the API running until Ctrl-C.

mod args;
mod hub;
mod progress;
mod report;
mod run;
mod scenario;
mod story;

pub use args::DemoArgs;
pub use run::run;
