//! `crossdock keys create|list|revoke`: API keys are printed once and stored only as a hash.

use anyhow::bail;
use clap::Subcommand;
use crossdock_store::Store;

#[derive(Subcommand)]
pub enum KeysAction {
    /// Create a key; its text is printed once and never stored.
    Create {
        #[arg(long)]
        name: String,
        /// Comma-separated scopes, e.g. orders:write,orders:read (admin grants all).
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// Days until the key expires (never by default).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List keys (ids, names, scopes; never secrets).
    List,
    /// Revoke a key by id; effective at once.
    Revoke { id: String },
}

pub async fn run(store: &dyn Store, action: KeysAction) -> anyhow::Result<()> {
    match action {
        KeysAction::Create { name, scopes, expires_in_days } => {
            if name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            crossdock_server::auth::validate_scopes(&scopes).map_err(anyhow::Error::msg)?;
            let expires = expires_in_days.map(|d| chrono::Utc::now() + chrono::Duration::days(i64::from(d)));
            let (text, record) = crossdock_server::auth::new_key(&name, scopes, expires);
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
                println!("{}\t{}\t{}\t{}", k.id, k.name, k.scopes.join(","), state);
            }
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
