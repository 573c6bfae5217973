//! `crossdock dlq list|show|replay|discard` and `crossdock replay`: the dead-letter queue and subscription
//! replay, working directly on the store (the same operations as `/v1/dead-letters`).

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Args, Subcommand};
use crossdock_store::{DeadLetterFilter, DeliverySelector, Store};

/// Which dead letters: every given filter must match.
#[derive(Debug, Clone, Default, Args)]
pub struct Filters {
    /// Only dead letters of this system.
    #[arg(long)]
    pub system: Option<String>,
    /// Only dead letters of this subscription.
    #[arg(long)]
    pub subscription: Option<String>,
    /// Only dead letters of this event type (e.g. order.placed).
    #[arg(long)]
    pub event_type: Option<String>,
    /// Only dead letters whose last error contains this text.
    #[arg(long)]
    pub error: Option<String>,
}

impl Filters {
    fn is_empty(&self) -> bool {
        self.system.is_none() && self.subscription.is_none() && self.event_type.is_none() && self.error.is_none()
    }

    fn to_filter(&self) -> DeadLetterFilter {
        DeadLetterFilter {
            system: self.system.clone(),
            subscription: self.subscription.clone(),
            event_type: self.event_type.clone(),
            error_contains: self.error.clone(),
            after_id: None,
            limit: 0,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum DlqAction {
    /// List dead letters, oldest first.
    List {
        #[command(flatten)]
        filters: Filters,
        /// Only dead letters with an id above this (to page).
        #[arg(long)]
        after: Option<i64>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one dead letter with its last request and response.
    Show { id: i64 },
    /// Queue dead letters again (same idempotency keys, a fresh retry budget): by id, by filter, or --all.
    Replay {
        ids: Vec<i64>,
        #[command(flatten)]
        filters: Filters,
        /// Every dead letter.
        #[arg(long)]
        all: bool,
    },
    /// Drop dead letters for good: by id, by filter, or --all.
    Discard {
        ids: Vec<i64>,
        #[command(flatten)]
        filters: Filters,
        #[arg(long)]
        all: bool,
    },
}

pub async fn run(store: &dyn Store, action: DlqAction) -> anyhow::Result<()> {
    match action {
        DlqAction::List { filters, after, limit, json } => {
            let mut filter = filters.to_filter();
            filter.after_id = after;
            filter.limit = limit.clamp(1, 10_000);
            let rows = store.dead_letters(&filter).await?;
            if json {
                for row in &rows {
                    println!("{}", serde_json::to_string(row)?);
                }
                return Ok(());
            }
            println!(
                "{:>8}  {:<20}  {:<16}  {:<22}  {:>8}  {:>4}  last error",
                "id", "subscription", "system", "event", "seq", "att"
            );
            for r in &rows {
                let error = r.last_error.as_deref().unwrap_or("-").replace('\n', " ");
                let error: String = error.chars().take(80).collect();
                println!(
                    "{:>8}  {:<20}  {:<16}  {:<22}  {:>8}  {:>4}  {error}",
                    r.id, r.subscription, r.system, r.event_type, r.seq, r.attempts
                );
            }
            println!("{} dead letter(s)", rows.len());
            Ok(())
        }
        DlqAction::Show { id } => {
            let record = store.delivery(id).await?.with_context(|| format!("delivery {id} does not exist"))?;
            println!("{}", serde_json::to_string_pretty(&record)?);
            Ok(())
        }
        DlqAction::Replay { ids, filters, all } => {
            let selector = selector(ids, &filters, all)?;
            let n = store.replay_dead_letters(&selector, Utc::now()).await?;
            println!("{n} dead letter(s) queued again");
            Ok(())
        }
        DlqAction::Discard { ids, filters, all } => {
            let selector = selector(ids, &filters, all)?;
            let n = store.discard_dead_letters(&selector).await?;
            println!("{n} dead letter(s) discarded");
            Ok(())
        }
    }
}

/// Ids, a filter or `--all`: exactly one of them, so that nothing acts on the whole queue by accident.
fn selector(ids: Vec<i64>, filters: &Filters, all: bool) -> anyhow::Result<DeliverySelector> {
    match (ids.is_empty(), filters.is_empty(), all) {
        (false, true, false) => Ok(DeliverySelector::Ids(ids)),
        (true, false, false) => Ok(DeliverySelector::Filter(filters.to_filter())),
        (true, true, true) => Ok(DeliverySelector::Filter(DeadLetterFilter::default())),
        (true, true, false) => {
            bail!("name dead letters by id, by --system/--subscription/--event-type/--error, or --all")
        }
        _ => bail!("give ids, filters or --all, not several of them"),
    }
}

/// `crossdock replay --subscription S --from-seq N`: deliveries of S at or after N go back to pending (same
/// idempotency keys) and S's cursor moves back, so a running dispatcher sends that history again.
pub async fn replay_subscription(store: &dyn Store, subscription: &str, from_seq: i64) -> anyhow::Result<()> {
    if from_seq < 1 {
        bail!("--from-seq must be at least 1");
    }
    let replay = store
        .replay_subscription(subscription, from_seq, Utc::now())
        .await?
        .with_context(|| format!("no subscription is named {subscription:?} in the store (has serve run with it?)"))?;
    println!(
        "subscription {subscription}: {} delivery(ies) queued again, cursor now {}; a running serve sends them",
        replay.requeued, replay.cursor
    );
    Ok(())
}
