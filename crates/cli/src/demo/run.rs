//! The demo's course: working folder and store, hub (API and dispatcher), keys, simulated network, seed,
//! traffic until every order has finished and every event reached its systems, the report, then the API
//! until Ctrl-C (or not, with `--exit`).

use super::args::DemoArgs;
use super::hub::start_hub_with_dispatcher;
use super::progress::Progress;
use super::report::{fetch_kpis, print_tables, to_json};
use super::scenario::{scenario, skip_prelude};
use super::story::{Facts, collect};
use anyhow::Context;
use crossdock_server::{KpiResponse, auth};
use crossdock_sim::catalog::SiteKind;
use crossdock_sim::{HubConfig, SimNetwork};
use crossdock_store::Store;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the run's state is looked at.
const TICK: Duration = Duration::from_millis(250);
/// The demo database's file name in the working folder.
const DB_FILE: &str = "crossdock.db";

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    if !args.time_factor.is_finite() || args.time_factor <= 0.0 || args.time_factor > 1_000_000.0 {
        anyhow::bail!("--time-factor must be above 0 and at most 1000000");
    }
    let started = Instant::now();
    let store = open_fresh_store(&args.dir).await?;
    let (user_key, record) = auth::new_key("demo", vec!["admin".into()], None);
    store.insert_api_key(&record).await?;
    let (sim_key, record) = auth::new_key("demo-simulated-systems", vec!["admin".into()], None);
    store.insert_api_key(&record).await?;

    let listener = bind(&args.listen).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let edi_folder = fresh_edi_folder(&args.dir)?;
    let scenario = scenario(HubConfig::new(&base, &sim_key), args.orders, args.seed, args.time_factor, &edi_folder);
    let outage = scenario.outage;
    let mut network = SimNetwork::start(scenario.config).await.context("starting the simulated systems")?;
    let edi_toml = network.edi_toml();
    let hub =
        start_hub_with_dispatcher(store.clone(), listener, &network.systems_toml(), edi_toml.as_deref(), &args.dir)
            .await?;
    network.seed_hub().await.context("putting locations and opening stock on the hub")?;
    eprintln!("{}", key_line(&base, &user_key));
    skip_prelude(network.clock());
    let traffic_start = network.clock().now();
    network.start_traffic();

    let client = reqwest::Client::builder().no_proxy().build()?;
    let progress = Progress::new(u64::from(args.orders), std::io::stderr().is_terminal());
    let deadline = started + Duration::from_secs(args.timeout_secs);
    let finished_in_time =
        wait_until_done(&network, store.as_ref(), &client, &base, &user_key, &progress, deadline, traffic_start)
            .await?;
    let sim_hours = (network.clock().now() - traffic_start).num_milliseconds() as f64 / 3_600_000.0;
    progress.finish(format!("done: {sim_hours:.0} simulated hours in {:.1} s", started.elapsed().as_secs_f64()));
    if !finished_in_time {
        eprintln!("warning: not every order finished within {} s; reporting what there is", args.timeout_secs);
    }

    // What the last events called for reaches the outboxes, and the partners count it.
    hub.edi_pass().await;
    network.pick_up_edi().await;
    let kpis = fetch_kpis(&client, &base, &user_key).await?;
    let stores = network.sites().iter().filter(|s| s.kind == SiteKind::Store).map(|s| s.id.clone()).collect();
    let third_party = network.threepl.as_ref().map(|t| t.warehouses().iter().cloned().collect()).unwrap_or_default();
    let facts = Facts { store: store.as_ref(), dispatcher: &hub.dispatcher, stores, third_party, outage };
    let mut story = collect(facts, args.seed, args.time_factor).await?;
    let report = network.report();
    story.orders_failed = report.orders_failed;
    story.b2b.partner = report.partner;
    story.threepl.report = report.threepl;
    story.simulated_hours = sim_hours;
    story.wall_seconds = started.elapsed().as_secs_f64();
    network.stop().await;

    if args.json {
        println!("{}", serde_json::to_string_pretty(&to_json(&kpis, &story)?)?);
    } else {
        print_tables(&kpis, &story);
    }
    if !args.exit {
        eprintln!();
        for line in closing_lines(&base, &args.dir.join(DB_FILE)) {
            eprintln!("{line}");
        }
        let _ = tokio::signal::ctrl_c().await;
    }
    hub.stop().await
}

/// The one line that shows the key meant for the user (its hash alone is stored): printed once, as soon as
/// the console can be used, so that it is not repeated on the terminal (and in its scrollback or logs).
fn key_line(base: &str, user_key: &str) -> String {
    format!("console (live while the demo runs): {base}/console  sign in with the admin API key {user_key}")
}

/// What the demo says when it keeps serving after the report: where things are, referring to the key above.
fn closing_lines(base: &str, store: &Path) -> Vec<String> {
    vec![
        format!("the hub is running at {base} (store: {})", store.display()),
        format!("console: {base}/console (sign in with the admin API key printed when the demo started)"),
        format!("try: curl -s {base}/v1/kpis -H \"authorization: Bearer $KEY\"    (KEY: that key; Ctrl-C to stop)"),
    ]
}

/// The demo's PII master key, in its working folder.
const PII_KEY_FILE: &str = "pii-master.key";

/// Creates the working folder and opens a new SQLite store in it, replacing an earlier demo's database.
async fn open_fresh_store(dir: &Path) -> anyhow::Result<Arc<dyn Store>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating the working folder {}", dir.display()))?;
    let stem = DB_FILE.trim_end_matches(".db");
    let key_table = format!("{stem}.pii-keys.db");
    for name in ["", "-wal", "-shm"]
        .map(|suffix| format!("{DB_FILE}{suffix}"))
        .into_iter()
        .chain(["", "-wal", "-shm"].map(|suffix| format!("{key_table}{suffix}")))
    {
        let path = dir.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing the earlier demo database {}", path.display())),
        }
    }
    // The demo's PII master key: made once in the working folder (a real hub reads it from `[pii]`).
    let key_path = dir.join(PII_KEY_FILE);
    let master = crossdock_store::MasterKey::load_or_create(&key_path)?;
    let options = crossdock_store::StoreOptions { pii: Some(Arc::new(master)) };
    let url = format!("sqlite://{}", dir.join(DB_FILE).display());
    crossdock_store::open_with(&url, options).await.with_context(|| format!("opening {url}"))
}

/// `<dir>/edi`, emptied of an earlier demo's files: the hub's EDI folders for the partner and the 3PL.
fn fresh_edi_folder(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    let folder = dir.join("edi");
    match std::fs::remove_dir_all(&folder) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("removing the earlier demo's {}", folder.display())),
    }
    std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    Ok(folder)
}

/// Binds `listen`, or a free loopback port when it is taken.
async fn bind(listen: &str) -> anyhow::Result<tokio::net::TcpListener> {
    match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => Ok(listener),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            eprintln!("{listen} is taken; using a free port instead");
            Ok(tokio::net::TcpListener::bind("127.0.0.1:0").await?)
        }
        Err(e) => Err(e).with_context(|| format!("listening on {listen}")),
    }
}

/// Whether the hub has nothing left to do: every order placed is delivered or cancelled, and every event
/// scheduled for a system has been delivered (or dead-lettered).
async fn hub_settled(store: &dyn Store, kpis: &KpiResponse) -> anyhow::Result<bool> {
    if kpis.orders_delivered + kpis.orders_cancelled < kpis.orders_placed {
        return Ok(false);
    }
    let stats = store.delivery_stats().await?;
    Ok(stats.iter().all(|s| s.pending == 0 && s.cursor >= s.head_seq))
}

#[allow(clippy::too_many_arguments)]
/// Follows the run until it is done (true) or `deadline` passes (false), updating the progress bars.
async fn wait_until_done(
    network: &SimNetwork,
    store: &dyn Store,
    client: &reqwest::Client,
    base: &str,
    key: &str,
    progress: &Progress,
    deadline: Instant,
    traffic_start: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<bool> {
    let mut finished = 0;
    let mut last_kpis = Instant::now() - Duration::from_secs(1);
    let mut kpis: Option<KpiResponse> = None;
    while Instant::now() < deadline {
        tokio::time::sleep(TICK).await;
        if last_kpis.elapsed() >= Duration::from_millis(750) {
            last_kpis = Instant::now();
            let fresh = fetch_kpis(client, base, key).await?;
            finished = fresh.orders_delivered + fresh.orders_cancelled;
            kpis = Some(fresh);
        }
        let elapsed = network.clock().now() - traffic_start;
        let status = format!(
            "simulated day {} {:02}:{:02}   pending: {} picks, {} at the 3PL, {} parcels, {} store jobs, {} to source",
            elapsed.num_days() + 1,
            elapsed.num_hours() % 24,
            elapsed.num_minutes() % 60,
            network.wms.pending_picks(),
            network.threepl.as_ref().map_or(0, |t| t.pending_shipments()),
            network.tms.pending(),
            network.pos.pending(),
            network.sourcing.pending(),
        );
        progress.update(network.all_orders_placed(), finished, status);
        if network.is_idle()
            && let Some(k) = &kpis
            && hub_settled(store, k).await?
        {
            // Confirm with a fresh read: the fold may be a tick behind.
            let fresh = fetch_kpis(client, base, key).await?;
            if hub_settled(store, &fresh).await? {
                progress.update(
                    network.all_orders_placed(),
                    fresh.orders_delivered + fresh.orders_cancelled,
                    String::new(),
                );
                return Ok(true);
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_key_is_printed_once() {
        let key = "cdk_demo_0123456789abcdef";
        let base = "http://127.0.0.1:8080";
        let mut printed = vec![key_line(base, key)];
        printed.extend(closing_lines(base, Path::new("crossdock-demo/crossdock.db")));
        let all = printed.join("\n");
        assert_eq!(all.matches(key).count(), 1, "{all}");
        assert!(all.contains("/console"), "{all}");
    }
}
