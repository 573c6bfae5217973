//! What the tests that run the real binary share: the command with a config (and a run of it with its
//! output), `serve` on a free port, and an admin key. Each test binary uses a part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// `crossdock --config <config>`, logging at `warn` (or `CROSSDOCK_TEST_LOG`).
pub fn crossdock(config: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crossdock"));
    let log = std::env::var("CROSSDOCK_TEST_LOG").unwrap_or_else(|_| "warn".into());
    cmd.arg("--config").arg(config).env("CROSSDOCK_LOG", log);
    cmd
}

/// Runs `crossdock --config <config> <args>` to completion.
pub fn run(config: &Path, args: &[&str]) -> Output {
    crossdock(config).args(args).output().expect("run crossdock")
}

/// Everything a run printed: its stdout, then its stderr.
pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Starts `serve` on a free port; returns the child and its base URL (its first stdout line).
pub fn start(config: &Path) -> (Child, String) {
    let mut child =
        crossdock(config).args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).spawn().expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read the listening line");
    let url = line.trim().rsplit(' ').next().expect("url").to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "unexpected first line {line:?}");
    (child, url)
}

/// Creates the configured store the way an operator does: `serve` runs once (until it listens), then stops.
/// The other commands refuse a SQLite file that is not there.
pub fn create_store(config: &Path) {
    let mut child = crossdock(config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read the listening line");
    let _ = child.kill();
    let out = child.wait_with_output().expect("wait for serve");
    assert!(line.contains("listening"), "serve did not start: {line}{}", String::from_utf8_lossy(&out.stderr));
}

/// Creates the store (see [`create_store`]) and an admin key named `name` with `keys create`; returns its text.
pub fn create_key(config: &Path, name: &str) -> String {
    create_store(config);
    let out = crossdock(config).args(["keys", "create", "--name", name, "--scopes", "admin"]).output().unwrap();
    assert!(out.status.success(), "keys create failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
