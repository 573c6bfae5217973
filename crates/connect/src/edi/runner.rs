//! The EDI loop of `crossdock serve`: every `poll_seconds` (the demo: more often, see [`run`]), receive what
//! is in the partners' inboxes, send the documents the new events call for, and turn expected
//! acknowledgements overdue.

use super::{OUTBOUND_SUBSCRIPTION, mark_overdue, poll_inboxes, send_from_events};
use crossdock_edi::EdiConfig;
use crossdock_store::{Store, SubscriptionStart};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Events examined per pass when sending.
const EVENTS_PER_PASS: u32 = 1000;

/// The time between two passes that `poll_seconds` asks for (at least a second).
pub fn configured_interval(config: &EdiConfig) -> Duration {
    Duration::from_secs(u64::from(config.poll_seconds.max(1)))
}

/// Runs a pass every `every` until `stop` completes (a pass in progress finishes first). Without `folders`
/// only overdue acknowledgements are marked: HTTP receives through the API, and outbound documents need an
/// outbox.
pub async fn run(store: Arc<dyn Store>, config: Arc<EdiConfig>, every: Duration, stop: impl Future<Output = ()>) {
    let root = config.folders.as_ref().map(PathBuf::from);
    tokio::pin!(stop);
    // Start the outbound cursor (at the head of the log, the first time) before anything is received.
    if root.is_some()
        && let Err(e) = store.register_subscription(OUTBOUND_SUBSCRIPTION, "edi", SubscriptionStart::Head).await
    {
        tracing::warn!(error = %e, "registering the outbound edi cursor failed");
    }
    loop {
        pass(store.as_ref(), &config, root.as_ref()).await;
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// One pass; failures are logged and retried on the next pass.
pub async fn pass(store: &dyn Store, config: &EdiConfig, root: Option<&PathBuf>) {
    let now = chrono::Utc::now();
    if let Some(root) = root {
        for file in poll_inboxes(store, config, root, now).await {
            match &file.result {
                Ok(o) => tracing::info!(
                    partner = %file.partner, file = %file.file.display(), status = o.status.as_str(),
                    interchange = o.interchange_id, commands = o.commands, "edi file received"
                ),
                Err(e) => {
                    tracing::warn!(partner = %file.partner, file = %file.file.display(), error = %e, "edi file not received")
                }
            }
        }
        loop {
            match send_from_events(store, config, root, EVENTS_PER_PASS, now).await {
                Ok(report) => {
                    // Skipped documents were logged by `send_from_events`.
                    if let Some(blocked) = &report.blocked {
                        tracing::warn!(%blocked, "sending edi documents stopped; retried next pass");
                        break;
                    }
                    if report.events < EVENTS_PER_PASS as usize {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sending edi documents failed");
                    break;
                }
            }
        }
    }
    match mark_overdue(store, now).await {
        Ok(ids) if !ids.is_empty() => tracing::warn!(interchanges = ?ids, "edi acknowledgements overdue"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "marking overdue edi acknowledgements failed"),
    }
}
