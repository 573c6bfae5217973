//! The hub as the demo runs it: the API and the dispatcher in this process over one store, the dispatcher
//! built from the `[[systems]]` and `[[subscriptions]]` the simulated network hands out, and, with the
//! network's `[edi]` section, the EDI loop (inboxes, outbound 855/856/810/940, overdue acknowledgements)
//! run every [`EDI_PASS`] rather than every `poll_seconds`, so that a real second does not become hours of
//! simulated EDI latency. When `serve` gets a
//! function that starts both from a configuration, [`start_hub_with_dispatcher`] should call it instead.

use anyhow::Context;
use crossdock_connect::config::ConnectConfig;
use crossdock_connect::dispatch::{DispatchError, DispatchOptions, Dispatcher, from_config};
use crossdock_connect::edi::{EdiConfig, OUTBOUND_SUBSCRIPTION};
use crossdock_server::AppState;
use crossdock_store::Store;
use figment::Figment;
use figment::providers::{Format, Toml};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The API and the dispatcher, running.
pub struct RunningHub {
    pub dispatcher: Dispatcher,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    dispatch: JoinHandle<Result<(), DispatchError>>,
    edi: Option<JoinHandle<()>>,
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

/// The EDI loop of the demo: a pass every [`EDI_PASS`] until `stop`.
async fn run_edi(store: Arc<dyn Store>, config: Arc<EdiConfig>, stop: watch::Receiver<bool>) {
    let root = config.folders.as_ref().map(PathBuf::from);
    let start = crossdock_store::SubscriptionStart::Head;
    if let Err(e) = store.register_subscription(OUTBOUND_SUBSCRIPTION, "edi", start).await {
        tracing::warn!(error = %e, "registering the outbound edi cursor failed");
    }
    while !*stop.borrow() {
        crossdock_connect::edi::pass(store.as_ref(), &config, root.as_ref()).await;
        tokio::time::sleep(EDI_PASS).await;
    }
}

/// A future that completes once `stop` turns true (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Parses and loads `systems_toml` (`[[systems]]`, `[[subscriptions]]`), builds the dispatcher, and serves
/// the API on `listener` with the dispatcher attached; both run until [`RunningHub::stop`].
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

    let (stop, stop_rx) = watch::channel(false);
    let mut state = AppState::new(store.clone());
    state.connect = Some(Arc::new(loaded));
    state.dispatcher = Some(dispatcher.clone());
    state.edi = edi_config.clone();
    let edi = edi_config.clone().map(|config| tokio::spawn(run_edi(store.clone(), config, stop_rx.clone())));
    let server = tokio::spawn(crossdock_server::serve(listener, state, stopped(stop_rx.clone())));
    let running = dispatcher.clone();
    let dispatch = tokio::spawn(async move { running.run(stopped(stop_rx)).await });
    Ok(RunningHub { dispatcher, stop, server, dispatch, edi, store, edi_config })
}

impl RunningHub {
    /// Stops the API (finishing requests in flight) and the dispatcher (recording sends in flight).
    /// Runs one EDI pass now (what the loop does every [`EDI_PASS`]), so that what the last events call for
    /// is in the outboxes before the partners' final pick-up.
    pub async fn edi_pass(&self) {
        if let Some(config) = &self.edi_config {
            let root = config.folders.as_ref().map(PathBuf::from);
            crossdock_connect::edi::pass(self.store.as_ref(), config, root.as_ref()).await;
        }
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        if let Some(edi) = self.edi {
            edi.await.context("the EDI task failed")?;
        }
        self.server.await.context("the API task failed")?.context("serving the API")?;
        self.dispatch.await.context("the dispatcher task failed")??;
        Ok(())
    }
}
