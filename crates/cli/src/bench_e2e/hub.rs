//! The crossdock peer of `bench e2e`: `crossdock serve` started as a child process (this binary, the serve
//! wiring, a fresh SQLite file, the dispatcher) with the five receivers as its systems, then stocked over the
//! API so that orders are sourced automatically; `[sourcing] release = "on_sourcing"` hands what is sourced to
//! the warehouse in the same transaction, so one `POST /v1/orders` carries an order through to the WMS.

use super::receivers::SYSTEMS;
use anyhow::{Context, bail};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// Units received per sku and location: enough that no order is backordered.
const STOCK: i64 = 10_000_000;
/// Warehouses of the network: id, latitude, longitude.
const LOCATIONS: [(&str, f64, f64); 3] =
    [("wh-east", 40.7, -74.0), ("wh-central", 41.9, -87.6), ("wh-west", 34.0, -118.2)];

/// Which events each system subscribes to: the ERP and CRM get the order, the finance system its sourcing,
/// the WMS and TMS its release to the warehouse; so each order makes one delivery to each system.
fn events_of(system: &str) -> &'static str {
    match system {
        "erp" | "crm" => "order.placed",
        "finance" => "order.sourced",
        _ => "order.released",
    }
}

/// A running hub.
pub struct Hub {
    child: Child,
    pub base: String,
    pub key: String,
    pub pid: u32,
}

impl Hub {
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// How the hub's webhook systems send: deliveries in flight per system, and messages per POST (`batch_max`).
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    pub max_in_flight: u32,
    pub batch_max: u32,
}

fn config_text(listen: &str, store_url: &str, key_file: &Path, receivers: &[String], delivery: Delivery) -> String {
    let Delivery { max_in_flight, batch_max } = delivery;
    let mut text = format!(
        "listen = \"{listen}\"\n[store]\nurl = \"{store_url}\"\n[pii]\nmaster_key_file = \"{}\"\n\
         [sourcing]\nrelease = \"on_sourcing\"\n[dispatch]\npoll_interval_ms = 20\n",
        key_file.display()
    );
    for (system, url) in SYSTEMS.iter().zip(receivers) {
        let role = if *system == "finance" { "erp" } else { system };
        text.push_str(&format!(
            "\n[[systems]]\nname = \"{system}\"\nrole = \"{role}\"\ntransport = {{ type = \"http\", url = \"{url}\", batch_max = {batch_max} }}\n\
             timeout_ms = 10000\nmax_in_flight = {max_in_flight}\n\n[[subscriptions]]\nname = \"{system}-orders\"\n\
             system = \"{system}\"\nevents = [\"{}\"]\n",
            events_of(system)
        ));
    }
    text
}

/// Starts the hub in `dir` (which must outlive it) with the receivers as systems, and stocks it for `skus`
/// skus (`SKU-00001`…) at three warehouses.
pub async fn start(dir: &Path, receivers: &[String], skus: usize, delivery: Delivery) -> anyhow::Result<Hub> {
    let store_url = format!("sqlite://{}", dir.join("hub.db").display());
    // PII sealed as in production: serve refuses to run without a master key.
    let key_file = dir.join("pii-master.key");
    let master = crossdock_store::MasterKey::load_or_create(&key_file)?;
    let options = crossdock_store::StoreOptions { pii: Some(std::sync::Arc::new(master)) };
    let store = crossdock_store::open_with(&store_url, options).await.context("creating the hub's store")?;
    let scopes = ["orders:write", "inventory:write", "kpis:read"].map(String::from).to_vec();
    let (key, record) = crossdock_server::auth::new_key("bench-e2e", scopes, None);
    store.insert_api_key(&record).await.context("creating the bench's API key")?;
    drop(store);

    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let listen = format!("127.0.0.1:{port}");
    let config = dir.join("crossdock.toml");
    std::fs::write(&config, config_text(&listen, &store_url, &key_file, receivers, delivery))
        .with_context(|| format!("writing {}", config.display()))?;
    let exe = std::env::current_exe().context("finding the crossdock binary")?;
    let inherited = std::env::vars_os().map(|(name, _)| name);
    let child = serve_command(&exe, &config, inherited).spawn().context("starting crossdock serve")?;
    let pid = child.id().context("the hub exited at once")?;
    let hub = Hub { child, base: format!("http://{listen}"), key, pid };

    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let up = client.get(format!("{}/healthz", hub.base)).send().await.is_ok_and(|r| r.status().is_success());
        if up {
            break;
        }
        if Instant::now() > deadline {
            bail!("crossdock serve did not answer /healthz within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stock(&client, &hub, skus).await?;
    Ok(hub)
}

/// `crossdock --config <config> serve`, with none of the `CROSSDOCK_*` variables among `inherited` (the
/// names of this process's environment): the hub measured is the one `config` describes, not one with the
/// user's overrides (a rate limit would measure 429s). Only its log level is set.
fn serve_command(exe: &Path, config: &Path, inherited: impl Iterator<Item = std::ffi::OsString>) -> Command {
    let mut command = Command::new(exe);
    command.arg("--config").arg(config).arg("serve");
    for name in inherited.filter(|n| n.to_str().is_some_and(|n| n.starts_with("CROSSDOCK_"))) {
        command.env_remove(name);
    }
    command.env("CROSSDOCK_LOG", "warn").stdout(std::process::Stdio::null()).kill_on_drop(true);
    command
}

async fn stock(client: &reqwest::Client, hub: &Hub, skus: usize) -> anyhow::Result<()> {
    for (id, lat, lon) in LOCATIONS {
        let body = serde_json::json!({"name": id, "kind": "warehouse", "coordinates": {"lat": lat, "lon": lon}});
        let r = client.put(format!("{}/v1/locations/{id}", hub.base)).bearer_auth(&hub.key).json(&body).send().await?;
        if !r.status().is_success() {
            bail!("creating location {id}: {} {}", r.status(), r.text().await.unwrap_or_default());
        }
    }
    let adjustments: Vec<serde_json::Value> = (1..=skus)
        .flat_map(|n| {
            LOCATIONS.iter().map(move |(location, _, _)| {
                serde_json::json!({"sku": format!("SKU-{n:05}"), "location": location, "delta": STOCK, "reason": "receipt"})
            })
        })
        .collect();
    let url = format!("{}/v1/inventory/adjustments", hub.base);
    for chunk in adjustments.chunks(32) {
        let sends = chunk.iter().map(|body| client.post(&url).bearer_auth(&hub.key).json(body).send());
        for r in futures::future::join_all(sends).await {
            let r = r?;
            if !r.status().is_success() {
                bail!("stocking the hub: {} {}", r.status(), r.text().await.unwrap_or_default());
            }
        }
    }
    Ok(())
}

/// Sync latency (event committed → acknowledged) p50 and p99 per system, from the hub's `GET /v1/kpis`.
pub async fn sync_latencies(hub: &Hub) -> anyhow::Result<Vec<(String, f64, f64)>> {
    let report: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/kpis", hub.base))
        .bearer_auth(&hub.key)
        .timeout(Duration::from_secs(120))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let systems = report["systems"].as_array().context("the KPI report has no systems")?;
    // A system with no acknowledged delivery has no latency (null) and is left out.
    Ok(systems
        .iter()
        .filter_map(|s| {
            let ms = |q: &str| s["sync_latency_ms"][q].as_f64();
            Some((s["name"].as_str().unwrap_or("?").to_string(), ms("p50")?, ms("p99")?))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_child_hub_gets_no_crossdock_variable_but_its_log_level() {
        let inherited = ["CROSSDOCK_API__RATE_LIMIT_PER_MINUTE", "CROSSDOCK_STORE__URL", "CROSSDOCK_LOG", "PATH"];
        let command =
            serve_command(Path::new("crossdock"), Path::new("hub.toml"), inherited.map(Into::into).into_iter());
        let envs: Vec<_> = command
            .as_std()
            .get_envs()
            .map(|(k, v)| (k.to_string_lossy().into_owned(), v.map(|v| v.to_string_lossy().into_owned())))
            .collect();
        let set = |name: &str| envs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        assert_eq!(set("CROSSDOCK_API__RATE_LIMIT_PER_MINUTE"), Some(None), "{envs:?}");
        assert_eq!(set("CROSSDOCK_STORE__URL"), Some(None), "{envs:?}");
        assert_eq!(set("CROSSDOCK_LOG"), Some(Some("warn".to_string())), "{envs:?}");
        assert_eq!(set("PATH"), None, "other variables are inherited untouched: {envs:?}");
    }
}
