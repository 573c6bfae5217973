//! Prints the EDI benchmark for `--size-mb N` (default 50): `cargo run --release --example bench_edi`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let size = args.iter().position(|a| a == "--size-mb").and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(50);
    let report = crossdock_edi::bench(size);
    println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
}
