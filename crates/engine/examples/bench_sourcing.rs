//! Runs the sourcing benchmark once and prints its report as JSON:
//! `cargo run --release -p crossdock-engine --example bench_sourcing [locations skus orders seed]`.

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let arg = |i: usize, default: u64| args.get(i).copied().unwrap_or(default);
    let report = crossdock_engine::bench_sourcing(
        arg(0, 50) as usize,
        arg(1, 10_000) as usize,
        arg(2, 100_000) as usize,
        arg(3, 42),
    );
    match serde_json::to_string_pretty(&report) {
        Ok(json) => println!("{json}"),
        Err(e) => eprintln!("cannot print the report: {e}"),
    }
}
