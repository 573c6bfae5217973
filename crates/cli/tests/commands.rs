//! The operator commands on a real binary: `map test`, `dlq`, `replay`, and `config check` with the
//! connectivity check of each system (secrets never printed).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::{run, text};

fn mappings() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../connect/mappings")
}

#[test]
fn map_test_compares_with_the_expected_output() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crossdock.toml");
    std::fs::write(&config, format!("[store]\nurl = \"sqlite://{}/hub.db\"\n", dir.path().display())).unwrap();
    let mapping = mappings().join("shopify_order_to_place_order.jq");
    let fixtures = mappings().join("fixtures/shopify_order_to_place_order");
    let input = fixtures.join("usd_order.input.json");
    let args = |expect: &Path| {
        vec![
            "map".to_string(),
            "test".into(),
            mapping.display().to_string(),
            "--input".into(),
            input.display().to_string(),
            "--expect".into(),
            expect.display().to_string(),
        ]
    };
    let good = args(&fixtures.join("usd_order.output.json"));
    let out = run(&config, &good.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("matches the expected output"));

    let wrong = dir.path().join("wrong.json");
    std::fs::write(&wrong, "{\"id\": \"other\"}").unwrap();
    let bad = args(&wrong);
    let out = run(&config, &bad.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!out.status.success());
    assert!(text(&out).contains("/id: expected \"other\""), "{}", text(&out));
}

#[test]
fn dlq_and_replay_work_on_the_store_and_refuse_unclear_selections() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crossdock.toml");
    std::fs::write(
        &config,
        format!("[store]\nurl = \"sqlite://{}/hub.db\"\n[pii]\nplaintext_dev_mode = true\n", dir.path().display()),
    )
    .unwrap();
    support::create_store(&config);
    let out = run(&config, &["dlq", "list"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("0 dead letter(s)"));
    let out = run(&config, &["dlq", "replay"]);
    assert!(!out.status.success() && text(&out).contains("--all"), "{}", text(&out));
    let out = run(&config, &["dlq", "discard", "--all"]);
    assert!(out.status.success() && text(&out).contains("0 dead letter(s) discarded"), "{}", text(&out));
    let out = run(&config, &["dlq", "show", "42"]);
    assert!(!out.status.success() && text(&out).contains("delivery 42 does not exist"));
    let out = run(&config, &["replay", "--subscription", "nope", "--from-seq", "1"]);
    assert!(!out.status.success() && text(&out).contains("\"nope\""), "{}", text(&out));
}

#[test]
fn config_check_reports_each_system_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crossdock.toml");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let secret = "whsec_dG9wLXNlY3JldC10b3Atc2VjcmV0LXRvcC1zZWNyZXQ=";
    let store_only =
        format!("[store]\nurl = \"sqlite://{}/hub.db\"\n[pii]\nplaintext_dev_mode = true\n", dir.path().display());
    std::fs::write(&config, store_only).unwrap();
    support::create_store(&config);
    std::fs::write(
        &config,
        format!(
            "[store]\nurl = \"sqlite://{}/hub.db\"\n\
             [[systems]]\nname = \"erp\"\nrole = \"erp\"\ntimeout_ms = 2000\n\
             transport = {{ type = \"http\", url = \"http://{open}/hook\" }}\nauth = {{ type = \"hmac\", secret = \"{secret}\" }}\n\
             [[systems]]\nname = \"wms\"\nrole = \"wms\"\ntimeout_ms = 2000\n\
             transport = {{ type = \"http\", url = \"http://{closed}/hook\" }}\nauth = {{ type = \"bearer\", token = \"${{WMS_TOKEN}}\" }}\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_crossdock"))
        .args(["--config", config.to_str().unwrap(), "config", "check"])
        .env("WMS_TOKEN", "bearer-token-value")
        .output()
        .unwrap();
    let shown = text(&out);
    assert!(!out.status.success(), "{shown}");
    assert!(shown.contains("system erp (http http://") && shown.contains("reachable in"), "{shown}");
    assert!(shown.contains("system wms (http): unreachable"), "{shown}");
    assert!(shown.contains("1 of 2 system(s) could not be reached"), "{shown}");
    assert!(
        !shown.contains("dG9wLXNlY3JldC") && !shown.contains("bearer-token-value"),
        "a secret was printed: {shown}"
    );

    // A missing environment variable is reported with file and key before anything is contacted.
    let out = run(&config, &["config", "check"]);
    assert!(
        text(&out).contains("crossdock.toml: systems[1].auth.token: environment variable WMS_TOKEN is not set"),
        "{}",
        text(&out)
    );
    drop(listener);
}

#[test]
fn serve_refuses_to_start_without_a_pii_master_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crossdock.toml");
    std::fs::write(&config, format!("[store]\nurl = \"sqlite://{}/hub.db\"\n", dir.path().display())).unwrap();
    let out = run(&config, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains("crossdock.toml: pii: no master key") && said.contains("pii.master_key_file"), "{said}");

    // A key file that is not there, or not a key, is named with the configuration key.
    let key = dir.path().join("master.key");
    std::fs::write(
        &config,
        format!(
            "[store]\nurl = \"sqlite://{}/hub.db\"\n[pii]\nmaster_key_file = \"master.key\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let out = run(&config, &["serve", "--listen", "127.0.0.1:0"]);
    let said = text(&out);
    assert!(!out.status.success() && said.contains("pii.master_key_file") && said.contains("master.key"), "{said}");
    std::fs::write(&key, "not a key").unwrap();
    let said = text(&run(&config, &["config", "check"]));
    assert!(said.contains("pii.master_key_file") && said.contains("64 hex characters"), "{said}");
    assert!(!said.contains("not a key"), "the file's text is never echoed: {said}");
    std::fs::write(&key, "0f".repeat(32)).unwrap();
    support::create_store(&config);
    let said = text(&run(&config, &["config", "check"]));
    assert!(said.contains("pii: master key read from") && !said.contains(&"0f".repeat(32)), "{said}");
}

#[test]
fn admin_commands_refuse_a_missing_store_and_relative_files_are_from_the_config_folder() {
    let hub = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let config = hub.path().join("crossdock.toml");
    std::fs::write(&config, "[store]\nurl = \"sqlite://missing/hub.db\"\n[pii]\nplaintext_dev_mode = true\n").unwrap();
    let in_elsewhere =
        |args: &[&str]| support::crossdock(&config).args(args).current_dir(elsewhere.path()).output().unwrap();
    let expected = hub.path().join("missing/hub.db");
    // A check of a fresh install passes and says the store is still to be made, making nothing.
    let checked = in_elsewhere(&["config", "check"]);
    let said = text(&checked);
    assert!(checked.status.success() && said.contains("does not exist yet"), "{said}");
    assert!(said.contains(&expected.display().to_string()), "{said}");
    for args in [&["audit", "verify"][..], &["keys", "create", "--name", "ops", "--scopes", "admin"]] {
        let out = in_elsewhere(args);
        let said = text(&out);
        assert!(!out.status.success(), "{args:?}: {said}");
        assert!(
            said.contains("crossdock.toml: store.url:") && said.contains(&expected.display().to_string()),
            "{args:?}: {said}"
        );
    }
    assert!(!expected.exists() && !elsewhere.path().join("missing").exists(), "a refused command created a store");

    // `serve` creates it beside the config, whatever the current folder; then the others find it there.
    let mut serve = support::crossdock(&config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(elsewhere.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(serve.stdout.take().unwrap()), &mut line).unwrap();
    serve.kill().unwrap();
    serve.wait().unwrap();
    assert!(expected.exists(), "serve did not create {}: {line}", expected.display());
    let out = in_elsewhere(&["audit", "verify"]);
    assert!(out.status.success() && text(&out).contains("0 entries verified"), "{}", text(&out));
}

#[test]
fn out_of_range_numbers_are_refused_with_a_message_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crossdock.toml");
    std::fs::write(&config, format!("[store]\nurl = \"sqlite://{}/hub.db\"\n", dir.path().display())).unwrap();
    let key = ["keys", "create", "--name", "ops", "--scopes", "admin", "--expires-in-days"];
    for args in [
        [&key[..], &["4294967295"]].concat(),
        [&key[..], &["0"]].concat(),
        vec!["bench", "ingest", "--rate", "0"],
        vec!["bench", "deliver", "--rate", "0"],
        vec!["bench", "sourcing", "--locations", "0"],
        vec!["bench", "sourcing", "--skus", "0"],
    ] {
        let out = run(&config, &args);
        let said = text(&out);
        assert!(matches!(out.status.code(), Some(1 | 2)), "{args:?}: {:?} {said}", out.status);
        assert!(!said.contains("panicked") && said.contains("is not in 1.."), "{args:?}: {said}");
    }
}

#[test]
fn config_check_fails_for_a_config_that_serve_refuses_for_want_of_a_pii_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crossdock.toml");
    let store = format!("[store]\nurl = \"sqlite://{}/hub.db\"\n", dir.path().display());
    std::fs::write(&config, format!("{store}[pii]\nplaintext_dev_mode = true\n")).unwrap();
    support::create_store(&config);
    let out = run(&config, &["config", "check"]);
    assert!(out.status.success(), "{}", text(&out));

    std::fs::write(&config, &store).unwrap();
    let out = run(&config, &["config", "check"]);
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("store: ok") && said.contains("crossdock.toml: pii: no master key configured"), "{said}");
}

#[test]
fn a_bad_environment_override_is_named_by_its_variable_not_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crossdock.toml");
    std::fs::write(&config, "[pii]\nplaintext_dev_mode = true\n").unwrap();
    let out = support::crossdock(&config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CROSSDOCK_API__BODY_LIMIT_BYTES", "abc")
        .output()
        .unwrap();
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("CROSSDOCK_API__BODY_LIMIT_BYTES: api.body_limit_bytes: invalid type"), "{said}");
    assert!(!said.contains("crossdock.toml:"), "{said}");
}
