//! `crossdock audit verify`: walks the store's hash-chained audit trail and reports the first entry that was
//! changed, removed or reordered (a non-zero exit when the chain is broken).

use clap::Subcommand;
use crossdock_store::Store;

#[derive(Subcommand)]
pub enum AuditAction {
    /// Check every entry's hash and link against the one before it, and the chain's end against its head.
    Verify,
}

pub async fn run(store: &dyn Store, action: AuditAction) -> anyhow::Result<()> {
    match action {
        AuditAction::Verify => verify(store).await,
    }
}

async fn verify(store: &dyn Store) -> anyhow::Result<()> {
    match crossdock_store::audit::verify(store).await? {
        Ok(checked) => {
            println!("audit chain intact: {checked} entries verified");
            Ok(())
        }
        Err(tamper) => {
            let kind = serde_json::to_value(tamper.kind).ok();
            let kind = kind.as_ref().and_then(|k| k.as_str()).unwrap_or("broken");
            anyhow::bail!("audit chain broken at entry {}: {kind} ({})", tamper.seq, tamper.detail)
        }
    }
}
