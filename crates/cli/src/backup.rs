//! `crossdock backup DIR`: an online, consistent copy of the configured SQLite store and its PII key file
//! into DIR (see `crossdock_store::backup` for why the two files are copied in that order), while `serve`
//! keeps running. It never overwrites a file; a PostgreSQL store is backed up with pg_dump.

use crate::config::Checked;
use std::path::Path;

pub async fn run(checked: &Checked, dir: &Path) -> anyhow::Result<()> {
    crate::store_url::require_existing(&checked.store_url, &checked.file).map_err(anyhow::Error::msg)?;
    let written = crossdock_store::backup::backup(&checked.store_url, dir).await?;
    for file in &written {
        println!("backed up: {}", file.display());
    }
    if written.len() == 1 {
        println!("(no PII key file beside the store: PII was never sealed in it)");
    } else {
        println!("keep the PII master key apart from these files: the key file opens only with it");
    }
    Ok(())
}
