//! Serving a simulated system's router on 127.0.0.1:0 with its faults, and stopping it: gracefully, then
//! abandoning requests still held after a short grace period.

use crate::faults::{Faults, FaultyListener, apply_faults};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long stopping waits for requests in flight.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// A system's HTTP server, running.
pub struct Served {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Served {
    /// Binds 127.0.0.1 on a free port and serves `router` with `faults` applied to every request.
    pub async fn start(router: Router, faults: Arc<Faults>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = router.layer(axum::middleware::from_fn_with_state(faults.clone(), apply_faults));
        let (stop, stopped) = oneshot::channel::<()>();
        let listener = FaultyListener::new(listener, faults);
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                tracing::warn!(error = %e, "a simulated system's server stopped with an error");
            }
        });
        Ok(Self { addr, stop: Some(stop), task: Some(task) })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish for a moment, then drops the rest.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(STOP_GRACE, &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
