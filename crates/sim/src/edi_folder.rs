//! The hub's EDI folders as a trading partner sees them: the hub drops the files it sends into
//! `<root>/<partner>/outbox`; the partner picks each one up once, moving it to `<root>/<partner>/picked`
//! (a rename, so a file is never read twice). Hidden names (the hub's half-written `.name.tmp`) are left.

use std::path::{Path, PathBuf};

/// One partner's view of the folders.
#[derive(Debug, Clone)]
pub struct PartnerFolder {
    outbox: PathBuf,
    picked: PathBuf,
}

impl PartnerFolder {
    pub fn new(root: &Path, partner: &str) -> Self {
        let base = root.join(partner);
        Self { outbox: base.join("outbox"), picked: base.join("picked") }
    }

    /// Where the hub writes what it sends this partner.
    pub fn outbox(&self) -> &Path {
        &self.outbox
    }

    /// The files waiting in the outbox, oldest name first, each moved to `picked` as it is read; files that
    /// cannot be read stay for the next pick-up.
    pub fn pick_up(&self) -> std::io::Result<Vec<(String, Vec<u8>)>> {
        let entries = match std::fs::read_dir(&self.outbox) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|name| !name.starts_with('.'))
            .collect();
        names.sort();
        std::fs::create_dir_all(&self.picked)?;
        let mut files = Vec::with_capacity(names.len());
        for name in names {
            let from = self.outbox.join(&name);
            let Ok(bytes) = std::fs::read(&from) else { continue };
            if std::fs::rename(&from, self.picked.join(&name)).is_ok() {
                files.push((name, bytes));
            }
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_picked_up_once_and_hidden_ones_left() {
        let root = std::env::temp_dir().join(format!("crossdock-sim-folder-{}", std::process::id()));
        let folder = PartnerFolder::new(&root, "acme");
        assert!(folder.pick_up().expect("no outbox yet").is_empty());
        std::fs::create_dir_all(folder.outbox()).expect("outbox");
        std::fs::write(folder.outbox().join("b.x12"), b"B").expect("write");
        std::fs::write(folder.outbox().join("a.x12"), b"A").expect("write");
        std::fs::write(folder.outbox().join(".c.x12.tmp"), b"C").expect("write");
        let files = folder.pick_up().expect("pick up");
        assert_eq!(files, vec![("a.x12".to_string(), b"A".to_vec()), ("b.x12".to_string(), b"B".to_vec())]);
        assert!(folder.pick_up().expect("again").is_empty(), "each file once");
        assert!(root.join("acme/picked/a.x12").exists());
        let _ = std::fs::remove_dir_all(&root);
    }
}
