//! `crossdock keys create|list|rotate|revoke`: API keys are printed once and stored only as a hash.

use anyhow::{Context, bail};
use clap::Subcommand;
use crossdock_store::Store;

/// The latest expiry `keys create` accepts: a hundred years (past it, "never" is the honest setting).
const MAX_EXPIRY_DAYS: i64 = 36_500;

#[derive(Subcommand)]
pub enum KeysAction {
    /// Create a key; its text is printed once and never stored.
    Create {
        #[arg(long)]
        name: String,
        /// Comma-separated scopes, e.g. orders:write,orders:read (admin grants all).
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// Days until the key expires, 1 to 36500 (never by default).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_EXPIRY_DAYS))]
        expires_in_days: Option<u32>,
        /// This key's own requests-per-minute limit (default: `api.rate_limit_per_minute`).
        #[arg(long)]
        rate_limit_per_minute: Option<u32>,
    },
    /// List keys (ids, names, scopes, state, rate limit; never secrets).
    List,
    /// Give a key a new secret (printed once); the old one keeps working for the overlap.
    Rotate {
        id: String,
        /// Seconds the old secret stays valid (default one day; 0 ends it at once).
        #[arg(long, default_value_t = crossdock_server::DEFAULT_ROTATION_OVERLAP_SECS)]
        overlap_secs: u64,
    },
    /// Revoke a key by id. A running `serve` refuses it within its key cache time (under a second).
    Revoke { id: String },
}

pub async fn run(store: &dyn Store, action: KeysAction) -> anyhow::Result<()> {
    match action {
        KeysAction::Create { name, scopes, expires_in_days, rate_limit_per_minute } => {
            if name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            if rate_limit_per_minute == Some(0) {
                bail!("--rate-limit-per-minute must be at least 1");
            }
            crossdock_server::auth::validate_scopes(&scopes).map_err(anyhow::Error::msg)?;
            let expires = match expires_in_days {
                Some(days) => Some(
                    chrono::Duration::try_days(i64::from(days))
                        .and_then(|span| chrono::Utc::now().checked_add_signed(span))
                        .with_context(|| format!("--expires-in-days {days} is too far in the future"))?,
                ),
                None => None,
            };
            let (text, mut record) = crossdock_server::auth::new_key(&name, scopes, expires);
            record.rate_limit_per_minute = rate_limit_per_minute;
            store.insert_api_key(&record).await?;
            eprintln!("key {} created; this is the only time its text is shown:", record.id);
            println!("{text}");
        }
        KeysAction::List => {
            for k in store.list_api_keys().await? {
                let state = match (k.revoked_at, k.expires_at) {
                    (Some(at), _) => format!("revoked {at}"),
                    (None, Some(at)) if at < chrono::Utc::now() => format!("expired {at}"),
                    (None, Some(at)) => format!("expires {at}"),
                    (None, None) => "active".to_string(),
                };
                let limit = k.rate_limit_per_minute.map_or_else(|| "default".to_string(), |n| format!("{n}/min"));
                println!("{}\t{}\t{}\t{}\t{}", k.id, k.name, k.scopes.join(","), state, limit);
            }
        }
        KeysAction::Rotate { id, overlap_secs } => {
            if overlap_secs > crossdock_server::MAX_ROTATION_OVERLAP_SECS {
                bail!("--overlap-secs is at most {}", crossdock_server::MAX_ROTATION_OVERLAP_SECS);
            }
            let until = chrono::Utc::now() + chrono::Duration::seconds(i64::try_from(overlap_secs)?);
            let (text, hash) = crossdock_server::auth::new_secret(&id);
            if !store.rotate_api_key(&id, &hash, until).await? {
                bail!("no unrevoked key with id {id:?}");
            }
            eprintln!(
                "key {id} rotated; the old text works until {until}; this is the only time the new one is shown:"
            );
            println!("{text}");
        }
        KeysAction::Revoke { id } => {
            if !store.revoke_api_key(&id, chrono::Utc::now()).await? {
                bail!("no key with id {id:?}");
            }
            println!("key {id} revoked");
        }
    }
    Ok(())
}
