//! The Node-RED peer of `bench e2e`: Node-RED 4.1 installed with npm into a cache folder on first use, run
//! with a flow doing the same fan-out as the hub, minus durability, sourcing and ordering: HTTP in → 202,
//! and five HTTP requests out (keep-alive) to the same receivers.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The npm version range installed.
const VERSION: &str = "~4.1.0";

/// A running Node-RED.
pub struct NodeRed {
    child: Child,
    /// Where orders are posted.
    pub url: String,
    pub pid: u32,
    pub version: String,
}

impl NodeRed {
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// `~/.cache/crossdock-bench/node-red` (or under `$XDG_CACHE_HOME`).
fn cache_folder() -> anyhow::Result<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME").context("neither XDG_CACHE_HOME nor HOME is set")?).join(".cache"),
    };
    Ok(base.join("crossdock-bench").join("node-red"))
}

/// The version of Node-RED installed in `folder`, if any.
fn installed_version(folder: &Path) -> Option<String> {
    let text = std::fs::read_to_string(folder.join("node_modules/node-red/package.json")).ok()?;
    let package: Value = serde_json::from_str(&text).ok()?;
    package["version"].as_str().map(str::to_string)
}

/// Why Node-RED cannot be run here, or the folder it is installed in (installing it when missing).
pub async fn ensure_installed() -> anyhow::Result<Result<(PathBuf, String), String>> {
    for tool in ["node", "npm"] {
        let found = Command::new(tool).arg("--version").output().await.is_ok_and(|o| o.status.success());
        if !found {
            return Ok(Err(format!("`{tool}` is not available on PATH")));
        }
    }
    let folder = cache_folder()?;
    if let Some(version) = installed_version(&folder).filter(|v| v.starts_with("4.1.")) {
        return Ok(Ok((folder, version)));
    }
    std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    println!("installing node-red@{VERSION} with npm into {} …", folder.display());
    let install = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--omit=dev", "--prefix"])
        .arg(&folder)
        .arg(format!("node-red@{VERSION}"))
        .kill_on_drop(true)
        .output();
    let output = match tokio::time::timeout(Duration::from_secs(600), install).await {
        Ok(output) => output.context("running npm install")?,
        Err(_) => return Ok(Err("npm install did not finish within 10 minutes".into())),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Ok(Err(format!("npm install failed: {}", stderr.lines().last().unwrap_or("no output"))));
    }
    match installed_version(&folder) {
        Some(version) => Ok(Ok((folder, version))),
        None => Ok(Err(format!("npm install left no node-red in {}", folder.display()))),
    }
}

/// The flow: `POST /orders` answered 202 at once, the order posted to each receiver; `GET /ready` for the
/// start-up check.
pub fn flow(receivers: &[String]) -> Value {
    let requests: Vec<String> = (0..receivers.len()).map(|i| format!("out{i}")).collect();
    let mut nodes = vec![
        json!({"id": "bench", "type": "tab", "label": "crossdock bench e2e"}),
        json!({"id": "in", "type": "http in", "z": "bench", "url": "/orders", "method": "post", "upload": false,
               "wires": [["ack", "fan"]]}),
        json!({"id": "ack", "type": "function", "z": "bench", "outputs": 1,
               "func": "msg.statusCode = 202; msg.payload = ''; return msg;", "wires": [["reply"]]}),
        json!({"id": "reply", "type": "http response", "z": "bench", "statusCode": "", "headers": {}, "wires": []}),
        json!({"id": "fan", "type": "function", "z": "bench", "outputs": 1,
               "func": "delete msg.req; delete msg.res; msg.headers = {'content-type': 'application/json'}; return msg;",
               "wires": [requests]}),
        json!({"id": "ready", "type": "http in", "z": "bench", "url": "/ready", "method": "get", "wires": [["ok"]]}),
        json!({"id": "ok", "type": "http response", "z": "bench", "statusCode": "200", "headers": {}, "wires": []}),
    ];
    for (i, url) in receivers.iter().enumerate() {
        nodes.push(json!({"id": format!("out{i}"), "type": "http request", "z": "bench", "method": "POST",
                          "ret": "txt", "paytoqs": "ignore", "url": url, "persist": true, "wires": [[]]}));
    }
    Value::Array(nodes)
}

/// Starts Node-RED from `installed` with the flow, its user folder in `dir`.
pub async fn start(installed: &Path, version: String, dir: &Path, receivers: &[String]) -> anyhow::Result<NodeRed> {
    let user_dir = dir.join("node-red-user");
    std::fs::create_dir_all(&user_dir)?;
    let flows = user_dir.join("flows.json");
    std::fs::write(&flows, serde_json::to_vec_pretty(&flow(receivers))?)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new("node")
        .arg(installed.join("node_modules/node-red/red.js"))
        .arg("--userDir")
        .arg(&user_dir)
        .arg("--port")
        .arg(port.to_string())
        .arg(&flows)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting node-red")?;
    let pid = child.id().context("node-red exited at once")?;
    let node_red = NodeRed { child, url: format!("http://127.0.0.1:{port}/orders"), pid, version };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = format!("http://127.0.0.1:{port}/ready");
        if client.get(ready).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(node_red);
        }
        if Instant::now() > deadline {
            node_red.stop().await;
            bail!("node-red did not answer GET /ready within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_flow_fans_out_to_every_receiver() {
        let receivers: Vec<String> = (0..5).map(|i| format!("http://127.0.0.1:{}/hook", 9000 + i)).collect();
        let flow = super::flow(&receivers);
        let nodes = flow.as_array().unwrap();
        let requests: Vec<&str> =
            nodes.iter().filter(|n| n["type"] == "http request").map(|n| n["url"].as_str().unwrap()).collect();
        assert_eq!(requests, receivers.iter().map(String::as_str).collect::<Vec<_>>());
        let fan = nodes.iter().find(|n| n["id"] == "fan").unwrap();
        assert_eq!(fan["wires"][0].as_array().unwrap().len(), 5);
        assert!(nodes.iter().all(|n| n["type"] != "http request" || n["persist"] == true), "keep-alive");
    }
}
