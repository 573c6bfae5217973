//! `crossdock prune`: deletes settled deliveries and idempotency records older than a number of days (the
//! flags, else `[retention]`), in chunks, while `serve` may be running; `--dry-run` only counts them.

use crossdock_store::Store;
use crossdock_store::retention::{PRUNE_CHUNK_ROWS, PruneTarget, RetentionSettings};

#[derive(clap::Args)]
pub struct PruneArgs {
    /// Delete deliveries delivered or discarded more than this many days ago (default: [retention]
    /// deliveries_days). Pending and dead deliveries are never deleted.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    deliveries_older_than_days: Option<u32>,
    /// Delete idempotency records older than this many days (default: [retention] idempotency_days): a
    /// client retrying with an older key is then a new request.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    idempotency_older_than_days: Option<u32>,
    /// Count what would be deleted; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// What to prune: each flag, else the configuration's value; an error when that leaves nothing.
pub fn settings(
    args: &PruneArgs,
    configured: Option<&RetentionSettings>,
    file: &str,
) -> anyhow::Result<RetentionSettings> {
    let days = |flag: Option<u32>| flag.map(|n| chrono::TimeDelta::days(i64::from(n)));
    let settings = RetentionSettings {
        deliveries: days(args.deliveries_older_than_days).or(configured.and_then(|c| c.deliveries)),
        idempotency: days(args.idempotency_older_than_days).or(configured.and_then(|c| c.idempotency)),
        interval: configured.map_or(std::time::Duration::ZERO, |c| c.interval),
    };
    if settings.deliveries.is_none() && settings.idempotency.is_none() {
        anyhow::bail!(
            "nothing to prune: give --deliveries-older-than-days or --idempotency-older-than-days, or set \
             [retention] deliveries_days or idempotency_days in {file}"
        );
    }
    Ok(settings)
}

pub async fn run(store: &dyn Store, settings: &RetentionSettings, dry_run: bool) -> anyhow::Result<()> {
    for (target, before) in settings.cutoffs(chrono::Utc::now()) {
        let what = match target {
            PruneTarget::Deliveries => "deliveries delivered or discarded (last attempted)",
            PruneTarget::Idempotency => "idempotency records created",
        };
        let before_text = before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if dry_run {
            let n = store.prunable(target, before).await?;
            println!("{}: {n} would be pruned ({what} before {before_text})", target.as_str());
        } else {
            let pruned = store.prune(target, before, PRUNE_CHUNK_ROWS).await?;
            println!(
                "{}: {} pruned ({what} before {before_text}) in {} transaction(s)",
                target.as_str(),
                pruned.rows,
                pruned.chunks
            );
        }
    }
    Ok(())
}
