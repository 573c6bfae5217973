//! Embedded schema migrations and the bookkeeping both backends share.
//!
//! Each backend keeps an ordered list of migrations compiled into the binary and applies the missing ones at
//! open, recording them in a `schema_migrations` table. We do not use `sqlx::migrate!`: it needs sqlx's
//! `macros` feature, which this workspace leaves off (runtime queries only), and a dozen lines do the job.

use crate::StoreError;

/// One step of a backend's schema, applied once, in `version` order, inside a transaction.
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The migrations of `known` not yet in `applied`; refuses a database migrated by a newer build.
pub(crate) fn pending<'m>(known: &'m [Migration], applied: &[i64]) -> Result<Vec<&'m Migration>, StoreError> {
    let newest_known = known.iter().map(|m| m.version).max().unwrap_or(0);
    if let Some(&newer) = applied.iter().find(|&&v| v > newest_known) {
        return Err(StoreError::Database(format!(
            "the database has schema version {newer}, newer than this build knows ({newest_known}); upgrade crossdock"
        )));
    }
    Ok(known.iter().filter(|m| !applied.contains(&m.version)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[Migration] =
        &[Migration { version: 1, name: "a", sql: "" }, Migration { version: 2, name: "b", sql: "" }];

    #[test]
    fn pending_lists_what_is_missing_and_refuses_newer_databases() {
        let names = |applied: &[i64]| pending(KNOWN, applied).unwrap().iter().map(|m| m.name).collect::<Vec<_>>();
        assert_eq!(names(&[]), ["a", "b"]);
        assert_eq!(names(&[1]), ["b"]);
        assert!(names(&[1, 2]).is_empty());
        let err = pending(KNOWN, &[1, 2, 3]).err().unwrap();
        assert!(err.to_string().contains("schema version 3"), "{err}");
    }
}
