//! The hub as the demo runs it: `serve::start` over the demo's store, with the dispatcher built from the
//! `[[systems]]` and `[[subscriptions]]` the simulated network hands out and, with the network's `[edi]`
//! section, the EDI loop (inboxes, outbound 855/856/810/940, overdue acknowledgements) run every
//! [`EDI_PASS`] rather than every `poll_seconds`, so that a real second does not become hours of simulated
//! EDI latency.

use crate::serve::{Extras, Running, start};
use anyhow::Context;
use crossdock_connect::config::ConnectConfig;
use crossdock_connect::dispatch::{DispatchOptions, Dispatcher, from_config};
use crossdock_connect::edi::EdiConfig;
use crossdock_server::AppState;
use crossdock_store::Store;
use figment::Figment;
use figment::providers::{Format, Toml};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The API and the dispatcher, running.
pub struct RunningHub {
    pub dispatcher: Dispatcher,
    running: Running,
    store: Arc<dyn Store>,
    edi_config: Option<Arc<EdiConfig>>,
}

/// Real time between two passes of the demo's EDI loop.
pub const EDI_PASS: Duration = Duration::from_millis(100);

#[derive(serde::Deserialize)]
struct EdiSection {
    edi: EdiConfig,
}

/// Parses and validates an `[edi]` section.
fn edi_config(edi_toml: &str) -> anyhow::Result<EdiConfig> {
    let section: EdiSection =
        Figment::from(Toml::string(edi_toml)).extract().context("reading the simulated partners' [edi] section")?;
    section.edi.validate().map_err(|problems| {
        let shown: Vec<String> = problems.iter().map(|p| format!("edi.{p}")).collect();
        anyhow::anyhow!("the simulated partners' [edi] section: {}", shown.join("; "))
    })?;
    Ok(section.edi)
}

/// Parses and loads `systems_toml` (`[[systems]]`, `[[subscriptions]]`), builds the dispatcher, and starts
/// the hub on `listener`; it runs until [`RunningHub::stop`].
pub async fn start_hub_with_dispatcher(
    store: Arc<dyn Store>,
    listener: tokio::net::TcpListener,
    systems_toml: &str,
    edi_toml: Option<&str>,
    base_dir: &Path,
) -> anyhow::Result<RunningHub> {
    let edi_config = edi_toml.map(edi_config).transpose()?.map(Arc::new);
    let config: ConnectConfig =
        Figment::from(Toml::string(systems_toml)).extract().context("reading the simulated systems' configuration")?;
    let loaded = config
        .load("simulated systems", base_dir)
        .map_err(|problems| anyhow::anyhow!("the simulated systems' configuration: {}", problems.join("; ")))?;
    let (systems, subscriptions) = from_config(&loaded, &|_| None)?;
    let dispatcher = Dispatcher::new(store.clone(), systems, subscriptions, DispatchOptions::default())?;

    let mut state = AppState::new(store.clone());
    state.connect = Some(Arc::new(loaded));
    state.dispatcher = Some(dispatcher.clone());
    state.edi = edi_config.clone();
    let running = start(listener, state, Extras { tls: None, feed: None, edi_every: Some(EDI_PASS), retention: None });
    Ok(RunningHub { dispatcher, running, store, edi_config })
}

impl RunningHub {
    /// Runs one EDI pass now (what the loop does every [`EDI_PASS`]), so that what the last events call for
    /// is in the outboxes before the partners' final pick-up.
    pub async fn edi_pass(&self) {
        if let Some(config) = &self.edi_config {
            let root = config.folders.as_ref().map(PathBuf::from);
            crossdock_connect::edi::pass(self.store.as_ref(), config, root.as_ref()).await;
        }
    }

    /// Stops the API (finishing requests in flight), the dispatcher (recording sends in flight) and the EDI
    /// loop.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.running.stop().await
    }
}
