//! The hub as the demo runs it: the API and the dispatcher in this process over one store, the dispatcher
//! built from the `[[systems]]` and `[[subscriptions]]` the simulated network hands out. When `serve` gets a
//! function that starts both from a configuration, [`start_hub_with_dispatcher`] should call it instead.

use anyhow::Context;
use crossdock_connect::config::ConnectConfig;
use crossdock_connect::dispatch::{DispatchError, DispatchOptions, Dispatcher, from_config};
use crossdock_server::AppState;
use crossdock_store::Store;
use figment::Figment;
use figment::providers::{Format, Toml};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The API and the dispatcher, running.
pub struct RunningHub {
    pub dispatcher: Dispatcher,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    dispatch: JoinHandle<Result<(), DispatchError>>,
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
    base_dir: &Path,
) -> anyhow::Result<RunningHub> {
    let config: ConnectConfig =
        Figment::from(Toml::string(systems_toml)).extract().context("reading the simulated systems' configuration")?;
    let loaded = config
        .load("simulated systems", base_dir)
        .map_err(|problems| anyhow::anyhow!("the simulated systems' configuration: {}", problems.join("; ")))?;
    let (systems, subscriptions) = from_config(&loaded, &|_| None)?;
    let dispatcher = Dispatcher::new(store.clone(), systems, subscriptions, DispatchOptions::default())?;

    let (stop, stop_rx) = watch::channel(false);
    let mut state = AppState::new(store);
    state.connect = Some(Arc::new(loaded));
    state.dispatcher = Some(dispatcher.clone());
    let server = tokio::spawn(crossdock_server::serve(listener, state, stopped(stop_rx.clone())));
    let running = dispatcher.clone();
    let dispatch = tokio::spawn(async move { running.run(stopped(stop_rx)).await });
    Ok(RunningHub { dispatcher, stop, server, dispatch })
}

impl RunningHub {
    /// Stops the API (finishing requests in flight) and the dispatcher (recording sends in flight).
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.server.await.context("the API task failed")?.context("serving the API")?;
        self.dispatch.await.context("the dispatcher task failed")??;
        Ok(())
    }
}
