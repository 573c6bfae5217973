//! Receiving the hub's webhooks: Standard Webhooks signature checks, dedupe by `webhook-id`, a fast 2xx,
//! and the hand-over of each event to the system's handler, which only records or schedules work.

mod envelope;
mod inbox;
mod verify;

pub use envelope::parse_event;
pub use inbox::{EventHandler, Handled, Inbox, WEBHOOK_PATH, webhook_routes};
pub use verify::{DEFAULT_TOLERANCE_SECS, SECRET_PREFIX, VerifyError, WebhookSecret, unix_now, verify};
