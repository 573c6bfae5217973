//! The dispatcher: a sender per subscription that sends new events as it reads them and records them with
//! their outcomes (`sender`; or, with `send_on_schedule` off, one scheduling task that only records them
//! pending), and a delivery task that claims due pending deliveries (retries, queued events, another
//! process's leftovers), sends them and records the outcomes. All state is in the store,
//! so a restart resumes where it stopped and several processes share one database.

use super::breaker::{CircuitBreaker, CircuitState};
use super::latency::{LatencyHistogram, LatencySnapshot};
use super::setup::{DispatchError, DispatchOptions, DispatchSubscription, DispatchSystem, validate};
use super::{scheduler, sender, worker};
use crossdock_store::Store;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{Notify, Semaphore, watch};

/// A system and its live state in this process.
pub(crate) struct SystemRuntime {
    pub spec: DispatchSystem,
    pub breaker: Mutex<CircuitBreaker>,
    pub permits: Arc<Semaphore>,
    pub counters: Counters,
}

/// Attempts by how they ended, since the process started.
#[derive(Default)]
pub(crate) struct Counters {
    pub delivered: AtomicU64,
    pub retried: AtomicU64,
    pub dead: AtomicU64,
    pub deferred: AtomicU64,
    /// Commit-to-acknowledgement latency of the delivered ones.
    pub latency: LatencyHistogram,
}

pub(crate) struct Inner {
    pub store: Arc<dyn Store>,
    pub systems: HashMap<String, SystemRuntime>,
    pub subscriptions: Vec<DispatchSubscription>,
    pub by_name: HashMap<String, usize>,
    pub options: DispatchOptions,
    /// Rung by whoever commits events (the API, the inbound paths): the log has something new.
    pub new_events: Arc<Notify>,
    /// Rung internally when deliveries may have become claimable (scheduled, completed).
    pub work: Notify,
}

impl Inner {
    pub fn subscription(&self, name: &str) -> Option<&DispatchSubscription> {
        self.by_name.get(name).map(|&i| &self.subscriptions[i])
    }
}

/// The state of one system in this process, for `/metrics` and `GET /v1/systems`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemStatus {
    pub name: String,
    pub kind: &'static str,
    pub target: String,
    pub circuit: CircuitState,
    pub in_flight: usize,
    /// Attempts since this process started: acknowledged, failed and retried, failed for good (dead
    /// letters), held back by the open circuit.
    pub delivered: u64,
    pub retried: u64,
    pub dead: u64,
    pub deferred: u64,
    /// Commit-to-acknowledgement latency of the deliveries acknowledged since this process started.
    pub latency: LatencySnapshot,
}

/// Cheap to clone: clones share the same running state.
#[derive(Clone)]
pub struct Dispatcher {
    pub(super) inner: Arc<Inner>,
}

impl Dispatcher {
    /// Checks the setup (every error at once) and builds a dispatcher; nothing runs until [`Self::run`].
    pub fn new(
        store: Arc<dyn Store>,
        systems: Vec<DispatchSystem>,
        subscriptions: Vec<DispatchSubscription>,
        options: DispatchOptions,
    ) -> Result<Self, DispatchError> {
        validate(&systems, &subscriptions, &options)?;
        let systems = systems
            .into_iter()
            .map(|spec| {
                let runtime = SystemRuntime {
                    breaker: Mutex::new(CircuitBreaker::new(spec.breaker.clone())),
                    permits: Arc::new(Semaphore::new(spec.max_in_flight)),
                    counters: Counters::default(),
                    spec,
                };
                (runtime.spec.name.clone(), runtime)
            })
            .collect();
        let by_name = subscriptions.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect();
        let inner = Inner {
            store,
            systems,
            subscriptions,
            by_name,
            options,
            new_events: Arc::new(Notify::new()),
            work: Notify::new(),
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Ring it after committing events so that they go out without waiting for the next poll.
    pub fn waker(&self) -> Arc<Notify> {
        self.inner.new_events.clone()
    }

    pub fn owner(&self) -> &str {
        &self.inner.options.owner
    }

    pub fn systems(&self) -> Vec<SystemStatus> {
        let now = Instant::now();
        let mut out: Vec<SystemStatus> = self
            .inner
            .systems
            .values()
            .map(|system| SystemStatus {
                name: system.spec.name.clone(),
                kind: system.spec.transport.kind(),
                target: system.spec.transport.target(),
                circuit: system.breaker.lock().map(|b| b.state(now)).unwrap_or(CircuitState::Closed),
                in_flight: system.spec.max_in_flight.saturating_sub(system.permits.available_permits()),
                delivered: system.counters.delivered.load(Ordering::Relaxed),
                retried: system.counters.retried.load(Ordering::Relaxed),
                dead: system.counters.dead.load(Ordering::Relaxed),
                deferred: system.counters.deferred.load(Ordering::Relaxed),
                latency: system.counters.latency.snapshot(),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// Registers the subscriptions, then schedules and delivers until `shutdown` completes; in-flight sends
    /// are finished and recorded before it returns. Fails only if the subscriptions cannot be registered.
    pub async fn run(&self, shutdown: impl Future<Output = ()> + Send) -> Result<(), DispatchError> {
        let mut cursors = Vec::with_capacity(self.inner.subscriptions.len());
        for subscription in &self.inner.subscriptions {
            let cursor = self
                .inner
                .store
                .register_subscription(&subscription.name, &subscription.system, subscription.start)
                .await?;
            cursors.push(cursor);
        }
        for system in self.inner.systems.values() {
            if let Err(error) = system.spec.transport.connect().await {
                tracing::warn!(system = %system.spec.name, %error, "system not reachable at start; will retry");
            }
        }
        tracing::info!(owner = %self.inner.options.owner, subscriptions = cursors.len(), "dispatcher started");
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        if self.inner.options.send_on_schedule {
            let mut wakes = Vec::with_capacity(cursors.len());
            let (recorder, queue) = tokio::sync::mpsc::channel(cursors.len().max(1));
            for (index, cursor) in cursors.into_iter().enumerate() {
                let wake = Arc::new(Notify::new());
                wakes.push(wake.clone());
                let task = sender::run(self.inner.clone(), index, cursor, wake, recorder.clone(), stopped.clone());
                tasks.push(("sender", tokio::spawn(task)));
            }
            drop(recorder);
            tasks.push(("recorder", tokio::spawn(sender::record(self.inner.clone(), queue))));
            tasks.push(("wake-up", tokio::spawn(fan_out_wake_ups(self.inner.clone(), wakes, stopped.clone()))));
        } else {
            tasks.push(("scheduler", tokio::spawn(scheduler::run(self.inner.clone(), cursors, stopped.clone()))));
        }
        tasks.push(("delivery", tokio::spawn(worker::run(self.inner.clone(), stopped))));
        shutdown.await;
        let _ = stop.send(true);
        for (name, task) in tasks {
            if let Err(error) = task.await {
                tracing::error!(task = name, %error, "dispatcher task failed");
            }
        }
        for system in self.inner.systems.values() {
            system.spec.transport.close().await;
        }
        tracing::info!(owner = %self.inner.options.owner, "dispatcher stopped");
        Ok(())
    }
}

/// Passes each "new events" wake-up on to every subscription's sender (a `Notify` wakes only one waiter).
async fn fan_out_wake_ups(inner: Arc<Inner>, wakes: Vec<Arc<Notify>>, mut stopped: watch::Receiver<bool>) {
    while !*stopped.borrow() {
        tokio::select! {
            _ = inner.new_events.notified() => {
                for wake in &wakes {
                    wake.notify_one();
                }
            }
            _ = stopped.changed() => {}
        }
    }
}
