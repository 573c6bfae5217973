//! The demo's command-line options.

use std::path::PathBuf;

/// Options of `crossdock demo`.
#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Orders to run through their whole life (70% web store, 30% marketplace).
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..=200_000))]
    pub orders: u32,
    /// Seed of the simulation: the same seed gives the same catalog, customers and orders.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Working folder for the hub's SQLite file (its earlier demo database is replaced).
    #[arg(long, default_value = "crossdock-demo")]
    pub dir: PathBuf,
    /// Address of the API; when it is taken, a free port on 127.0.0.1 is used instead.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 10_000.0)]
    pub time_factor: f64,
    /// Real seconds to wait for every order to finish before reporting what there is.
    #[arg(long, default_value_t = 600)]
    pub timeout_secs: u64,
    /// Stop after the report instead of keeping the API running.
    #[arg(long)]
    pub exit: bool,
    /// Print the report as JSON on standard output (progress stays on standard error).
    #[arg(long)]
    pub json: bool,
}
