//! `crossdock serve`: the HTTP API and, in the same process, the dispatcher delivering events to the
//! configured systems and the inbound consumers (NATS, file inboxes) submitting their commands; all stop
//! gracefully on Ctrl-C or SIGTERM (requests and sends in flight finish).

use crate::config::{Checked, PiiSetting};
use anyhow::Context;
use crossdock_connect::dispatch::{DispatchOptions, Dispatcher, from_config};
use crossdock_connect::inbound::SubmitHandler;
use crossdock_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Opens the configured store with the `[pii]` master key (when one is configured).
pub async fn open_store(checked: &Checked) -> anyhow::Result<Arc<dyn Store>> {
    let options = checked.store_options().map_err(anyhow::Error::msg)?;
    open_store_with(&checked.store_url, options).await
}

/// [`open_store`] for the commands that work on an existing store (all but `serve`): a SQLite file that is
/// not there is an error naming `store.url`, not a new empty database.
pub async fn open_existing_store(checked: &Checked) -> anyhow::Result<Arc<dyn Store>> {
    let options = checked.store_options().map_err(anyhow::Error::msg)?;
    crate::store_url::require_existing(&checked.store_url, &checked.file).map_err(anyhow::Error::msg)?;
    open_store_with(&checked.store_url, options).await
}

/// Opens the store named by `url`, creating a SQLite file's folder first.
pub async fn open_store_with(url: &str, options: crossdock_store::StoreOptions) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(path) = url.strip_prefix("sqlite://")
        && let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).with_context(|| format!("creating the folder {}", parent.display()))?;
    }
    crossdock_store::open_with(url, options)
        .await
        .with_context(|| format!("opening the store {}", crossdock_store::redact_url(url)))
}

/// Builds the dispatcher of the configured systems and subscriptions (`None` when there are none or the
/// dispatcher is disabled).
pub fn dispatcher(
    checked: &Checked,
    loaded: &crossdock_connect::config::LoadedConnect,
    store: Arc<dyn Store>,
) -> anyhow::Result<Option<Dispatcher>> {
    if !checked.dispatch.enabled || loaded.subscriptions.is_empty() {
        return Ok(None);
    }
    // nats and file systems come from the transport registry; http ones are built by `from_config`.
    let (systems, subscriptions) = from_config(loaded, &crossdock_connect::transport::factory)?;
    let options = DispatchOptions {
        lease: Duration::from_secs(checked.dispatch.lease_secs),
        poll_interval: Duration::from_millis(checked.dispatch.poll_interval_ms),
        send_on_schedule: checked.dispatch.send_on_schedule,
        ..DispatchOptions::default()
    };
    Ok(Some(Dispatcher::new(store, systems, subscriptions, options)?))
}

/// The TLS configuration of `[server]` (`None`: plain HTTP); errors name the file, the key and the PEM file.
pub fn tls_config(checked: &Checked) -> anyhow::Result<Option<Arc<crossdock_server::tls::ServerConfig>>> {
    let Some((cert, key)) = &checked.tls else { return Ok(None) };
    let at = |p: &std::path::Path| if p.is_absolute() { p.to_path_buf() } else { checked.base_dir.join(p) };
    let config = crossdock_server::tls::server_config(&at(cert), &at(key))
        .map_err(|e| anyhow::anyhow!("{}: {e}", checked.file))?;
    Ok(Some(config))
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub async fn serve(checked: Checked) -> anyhow::Result<()> {
    let loaded = checked.load_connect()?;
    match checked.pii {
        PiiSetting::Missing { dev_mode: false } => anyhow::bail!(
            "{}: pii: no master key configured: set pii.master_key_file (a file of 64 hex characters) or \
             pii.master_key_env (a variable holding them); pii.plaintext_dev_mode = true runs without \
             encrypting PII, for development only",
            checked.file
        ),
        PiiSetting::Missing { dev_mode: true } => {
            tracing::warn!("pii.plaintext_dev_mode: customer PII is stored unencrypted (development only)")
        }
        _ => {}
    }
    crate::store_url::refuse_moved(&checked.store_url, checked.store_url_as_written.as_deref(), &checked.file)
        .map_err(anyhow::Error::msg)?;
    let store = open_store(&checked).await?;
    store.set_policy(checked.policy.clone());
    let dispatcher = dispatcher(&checked, &loaded, store.clone())?;
    let listener = tokio::net::TcpListener::bind(checked.listen)
        .await
        .with_context(|| format!("listening on {}", checked.listen))?;
    let addr = listener.local_addr()?;
    let tls = tls_config(&checked)?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(
        %addr,
        store = %crossdock_store::redact_url(&checked.store_url),
        systems = loaded.systems.len(),
        subscriptions = loaded.subscriptions.len(),
        "crossdock serving"
    );
    println!("crossdock listening on {scheme}://{addr}");
    let mut state = crossdock_server::AppState::new(store);
    state.body_limit = checked.body_limit_bytes;
    state.rate_limit_per_minute = checked.rate_limit_per_minute;
    state.connect = Some(Arc::new(loaded));
    state.dispatcher = dispatcher;
    state.edi = checked.edi.clone().map(Arc::new);
    state.console.secure_cookies = tls.is_some();
    let extras = Extras { tls, feed: checked.feed, edi_every: None, retention: checked.retention };
    let running = start(listener, state, extras);
    let on_signal = running.stopper();
    let signals = tokio::spawn(async move {
        stop_signal().await;
        tracing::info!("stopping: finishing requests and deliveries in flight");
        let _ = on_signal.send(true);
    });
    let ended = running.wait().await;
    signals.abort();
    ended
}

/// What [`start`] runs beside the API and the state's dispatcher, EDI loop and inbound consumers.
pub struct Extras {
    /// HTTPS (rustls) instead of plain HTTP.
    pub tls: Option<Arc<crossdock_server::tls::ServerConfig>>,
    /// The availability feed (`[feed]`).
    pub feed: Option<crossdock_store::feed::FeedSettings>,
    /// Time between two passes of the EDI loop, when the state has an `[edi]` configuration (`None`: its
    /// `poll_seconds`).
    pub edi_every: Option<Duration>,
    /// Pruning of settled deliveries and idempotency records (`[retention]`; `None`: nothing is pruned).
    pub retention: Option<crossdock_store::retention::RetentionSettings>,
}

/// The API and what runs beside it, started by [`start`], until [`Running::stop`] or the API ends.
pub struct Running {
    stop: Arc<watch::Sender<bool>>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
    delivering: Option<tokio::task::JoinHandle<Result<(), crossdock_connect::dispatch::DispatchError>>>,
    edi: Option<tokio::task::JoinHandle<()>>,
    feed: Option<tokio::task::JoinHandle<()>>,
    retention: Option<tokio::task::JoinHandle<()>>,
    consumers: Vec<tokio::task::JoinHandle<Result<(), crossdock_connect::inbound::InboundRunError>>>,
    /// The KPI fold's catch-up at start (see `crossdock_server::warm_kpis`).
    warm: tokio::task::JoinHandle<()>,
}

/// Starts the API on `listener` and, beside it, the state's dispatcher, the EDI loop of its `[edi]`
/// configuration, the inbound consumers (NATS pull consumers, file inboxes) of its systems, the
/// availability feed and the retention pruning; `serve` and the demo both run the hub through it.
pub fn start(listener: tokio::net::TcpListener, state: crossdock_server::AppState, extras: Extras) -> Running {
    let (stop, stopped) = watch::channel(false);
    let until_stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let delivering = state.dispatcher.clone().map(|d| {
        let shutdown = until_stopped(stopped.clone());
        tokio::spawn(async move { d.run(shutdown).await })
    });
    let edi = state.edi.clone().map(|config| {
        let every = extras.edi_every.unwrap_or_else(|| crossdock_connect::edi::configured_interval(&config));
        tokio::spawn(crossdock_connect::edi::run(state.store.clone(), config, every, until_stopped(stopped.clone())))
    });
    let feed = extras.feed.map(|settings| {
        let run =
            crossdock_store::feed::run_availability_feed(state.store.clone(), settings, until_stopped(stopped.clone()));
        tokio::spawn(run)
    });
    let retention = extras.retention.map(|settings| {
        let shutdown = until_stopped(stopped.clone());
        tokio::spawn(crossdock_store::retention::run_retention(state.store.clone(), settings, shutdown))
    });
    // Inbound consumers: each message's command is submitted as its system (`system:<name>` in the audit trail).
    let consumers = state
        .connect
        .iter()
        .flat_map(|c| c.systems.iter())
        .filter(|s| crossdock_connect::inbound::has_consumer(&s.config))
        .map(|s| {
            let mapping = s.inbound.as_ref().and_then(|i| i.mapping.clone());
            let waker = state.dispatcher.as_ref().map(|d| d.waker());
            let handler = SubmitHandler::new(state.store.clone(), &s.config.name, mapping, waker);
            let (config, shutdown) = (s.config.clone(), until_stopped(stopped.clone()));
            tokio::spawn(async move { crossdock_connect::inbound::run(&config, handler, shutdown).await })
        })
        .collect();
    // The KPI fold catches up with the log beside the API, so the first `GET /v1/kpis` after a restart (or
    // the console's first poll, or a scrape of /metrics) does not read the whole log while its caller waits.
    let warm = {
        let (state, shutdown) = (state.clone(), until_stopped(stopped.clone()));
        tokio::spawn(async move {
            tokio::select! {
                folded = crossdock_server::warm_kpis(&state) => match folded {
                    Ok(seq) => tracing::info!(seq, "KPIs folded up to the head of the log"),
                    Err(e) => tracing::warn!(error = %e.detail, "KPI warm-up failed; the first GET /v1/kpis folds the log"),
                },
                () = shutdown => {}
            }
        })
    };
    let shutdown = until_stopped(stopped);
    let served = match extras.tls {
        Some(tls) => tokio::spawn(crossdock_server::serve_tls(listener, tls, state, shutdown)),
        None => tokio::spawn(crossdock_server::serve(listener, state, shutdown)),
    };
    Running { stop: Arc::new(stop), served, delivering, edi, feed, retention, consumers, warm }
}

impl Running {
    /// Sending true stops everything (requests and sends in flight finish).
    pub fn stopper(&self) -> Arc<watch::Sender<bool>> {
        self.stop.clone()
    }

    /// Stops everything and waits for it to finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.wait().await
    }

    /// Waits for the API to end (stopped, or on an error), then stops the rest and waits for it.
    pub async fn wait(self) -> anyhow::Result<()> {
        let served = self.served.await.context("the API task failed")?;
        // The API may also end on an error: the dispatcher stops with it.
        let _ = self.stop.send(true);
        if let Some(task) = self.delivering {
            task.await.context("the dispatcher task failed")?.context("the dispatcher stopped on an error")?;
        }
        if let Some(task) = self.edi {
            task.await.context("the EDI task failed")?;
        }
        if let Some(task) = self.feed {
            task.await.context("the availability feed task failed")?;
        }
        if let Some(task) = self.retention {
            task.await.context("the retention task failed")?;
        }
        self.warm.await.context("the KPI warm-up task failed")?;
        for task in self.consumers {
            task.await
                .context("an inbound consumer task failed")?
                .context("an inbound consumer stopped on an error")?;
        }
        served.context("serving the API")
    }
}
