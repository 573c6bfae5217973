//! The file behind a SQLite `store.url`: resolving a relative one against the configuration's folder, and
//! refusing a missing one for commands that must not create a store.

use std::path::Path;

/// The scheme prefixes of a SQLite store URL, longest first (a bare path has none).
const SQLITE_PREFIXES: [&str; 2] = ["sqlite://", "sqlite:"];

/// Splits a SQLite store URL into its prefix, file path and `?query`; `None` for any other store.
fn split(url: &str) -> Option<(&str, &str, &str)> {
    let (prefix, rest) = match SQLITE_PREFIXES.iter().find(|p| url.starts_with(*p)) {
        Some(p) => (*p, &url[p.len()..]),
        None if !url.contains("://") => ("", url),
        None => return None,
    };
    let (path, query) = rest.split_at(rest.find('?').unwrap_or(rest.len()));
    Some((prefix, path, query))
}

/// The file of a SQLite store URL (`sqlite://path`, `sqlite:path` or a bare path); `None` for other stores.
pub fn sqlite_file(url: &str) -> Option<&Path> {
    split(url).map(|(_, path, _)| Path::new(path))
}

/// `url` with a relative SQLite file joined to `base` (the configuration file's folder); other URLs as
/// they are.
pub fn resolve(url: &str, base: &Path) -> String {
    match split(url) {
        Some((prefix, path, query)) if !path.is_empty() && Path::new(path).is_relative() => {
            format!("{prefix}{}{query}", base.join(path).display())
        }
        _ => url.to_string(),
    }
}

/// Fails, naming `store.url` and the file, when `url` is a SQLite file that does not exist: every command
/// but `serve` (which creates the store) works on an existing one, not on a fresh empty database.
pub fn require_existing(url: &str, config_file: &str) -> Result<(), String> {
    match sqlite_file(url) {
        Some(path) if !path.exists() => Err(format!(
            "{config_file}: store.url: the SQLite file {} does not exist (`crossdock serve` creates it)",
            path.display()
        )),
        _ => Ok(()),
    }
}

/// Fails when the store `url` names (resolved against the config's folder) does not exist but the file
/// `as_written` names from the current folder does: versions before 2026-11-29 took a relative SQLite file
/// from the current folder, and `serve` must not start on a new empty database beside an existing one.
pub fn refuse_moved(url: &str, as_written: Option<&str>, config_file: &str) -> Result<(), String> {
    let (Some(resolved), Some(earlier)) = (sqlite_file(url), as_written.and_then(sqlite_file)) else { return Ok(()) };
    if resolved.exists() || !earlier.exists() {
        return Ok(());
    }
    Err(format!(
        "{config_file}: store.url: a relative SQLite file is now taken from the configuration's folder ({}), \
         where there is none, but {} exists in the current folder (where earlier versions put it): move it \
         there, or make store.url absolute",
        resolved.display(),
        earlier.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_sqlite_files_are_joined_to_the_base_and_the_rest_is_kept() {
        let base = Path::new("/srv/hub");
        for (url, expect) in [
            ("sqlite://data/hub.db", "sqlite:///srv/hub/data/hub.db"),
            ("sqlite:hub.db?mode=rwc", "sqlite:/srv/hub/hub.db?mode=rwc"),
            ("hub.db", "/srv/hub/hub.db"),
            ("sqlite:///var/lib/hub.db", "sqlite:///var/lib/hub.db"),
            ("postgres://u@h/db", "postgres://u@h/db"),
        ] {
            assert_eq!(resolve(url, base), expect, "{url}");
        }
    }

    #[test]
    fn a_store_left_in_the_current_folder_by_an_earlier_version_is_not_replaced_by_a_new_one() {
        let config_dir = tempfile::tempdir().unwrap();
        let cwd = tempfile::tempdir().unwrap();
        let written = format!("sqlite://{}/hub.db", cwd.path().display());
        let resolved = format!("sqlite://{}/hub.db", config_dir.path().display());
        assert!(refuse_moved(&resolved, Some(&written), "hub.toml").is_ok(), "neither exists: a new store");
        std::fs::write(cwd.path().join("hub.db"), "").unwrap();
        let err = refuse_moved(&resolved, Some(&written), "hub.toml").unwrap_err();
        assert!(err.starts_with("hub.toml: store.url:") && err.contains("current folder"), "{err}");
        std::fs::write(config_dir.path().join("hub.db"), "").unwrap();
        assert!(refuse_moved(&resolved, Some(&written), "hub.toml").is_ok(), "the resolved one exists");
        assert!(refuse_moved(&resolved, None, "hub.toml").is_ok(), "nothing was resolved");
    }

    #[test]
    fn a_missing_sqlite_file_is_refused_with_key_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = format!("sqlite://{}/none.db", dir.path().display());
        let err = require_existing(&missing, "hub.toml").unwrap_err();
        assert!(err.starts_with("hub.toml: store.url:") && err.contains("none.db"), "{err}");
        std::fs::write(dir.path().join("there.db"), "").unwrap();
        assert!(require_existing(&format!("sqlite://{}/there.db", dir.path().display()), "hub.toml").is_ok());
        assert!(require_existing("postgres://u@h/db", "hub.toml").is_ok());
    }
}
