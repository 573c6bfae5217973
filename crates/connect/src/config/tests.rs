//! Config tests: parsing `crossdock.toml` fragments, validation collecting every error, secrets, loading.

use super::*;
use crate::signature::{SigningKey, sign, sign_body_base64};
use std::path::Path;

fn parse(text: &str) -> Result<ConnectConfig, String> {
    toml::from_str(text).map_err(|e| e.to_string())
}

const EXAMPLE: &str = r#"
[[systems]]
name = "shop"
role = "channel"
transport = { type = "http", url = "https://shop.example.com/admin/hooks" }
auth = { type = "bearer", token = "${SHOP_TOKEN}" }
inbound = { signature = { type = "body_hmac_base64", header = "X-Shopify-Hmac-Sha256" }, secret = "file:secrets/shop", mapping = "mappings/in.jq" }

[[systems]]
name = "erp"
role = "erp"
timeout_ms = 5000
max_in_flight = 4
transport = { type = "http", url = "http://127.0.0.1:9000/orders" }
auth = { type = "hmac", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }
inbound = {}
retry = { max_attempts = 10, max_age_hours = 24 }

[[systems]]
name = "wms-east"
role = "wms"
transport = { type = "nats", url = "nats://127.0.0.1:4222" }

[[systems]]
name = "edi_drop"
role = "partner"
transport = { type = "file", folder = "outbox/partner" }

[[subscriptions]]
name = "erp-orders"
system = "erp"
events = ["order.placed", "order.lines_cancelled"]
filter = '.payload.order.channel == "web"'
mapping = "mappings/out.jq"

[[subscriptions]]
name = "wms-all"
system = "wms-east"
events = ["*"]
"#;

#[test]
fn a_full_example_parses_with_defaults() {
    let config = parse(EXAMPLE).unwrap();
    assert_eq!(config.validate("crossdock.toml"), Ok(()));
    let erp = &config.systems[1];
    assert_eq!((erp.role, erp.timeout_ms, erp.max_in_flight, erp.in_flight_limit()), (Role::Erp, 5000, Some(4), 4));
    assert_eq!(erp.transport.batch_max(), 1, "one message per POST unless batch_max says otherwise");
    assert_eq!(erp.retry, RetryConfig { max_attempts: 10, max_age_hours: 24, ..RetryConfig::default() });
    assert_eq!(erp.inbound.as_ref().unwrap().signature, SignatureStyle::Standard);
    let wms = &config.systems[2];
    assert_eq!(
        wms.transport,
        TransportConfig::Nats {
            url: "nats://127.0.0.1:4222".into(),
            subject_prefix: "crossdock".into(),
            stream: None,
            create_stream: false,
            consumer: None,
        }
    );
    assert_eq!((wms.auth.clone(), wms.timeout_ms, wms.in_flight_limit()), (AuthConfig::None, 10_000, 16));
    assert_eq!(config.systems[3].transport.type_name(), "file");
    assert!(config.subscriptions[0].selects("order.placed"));
    assert!(!config.subscriptions[0].selects("order.released"));
    assert!(config.subscriptions[1].selects("inventory.counted"));
}

#[test]
fn an_unknown_transport_type_lists_the_known_ones() {
    let e = parse(
        r#"[[systems]]
name = "x"
role = "erp"
transport = { type = "kafka", url = "x" }"#,
    )
    .unwrap_err();
    assert!(e.contains("unknown variant `kafka`, expected one of `http`, `nats`, `file`"), "{e}");
    assert_eq!(TransportConfig::KNOWN_TYPES, ["http", "nats", "file"]);
    let e = parse("[[systems]]\nname = \"x\"\nrole = \"bank\"\ntransport = { type = \"file\", folder = \"o\" }")
        .unwrap_err();
    assert!(
        e.contains("unknown variant `bank`, expected one of `erp`, `wms`, `tms`, `pos`, `crm`, `channel`, `partner`"),
        "{e}"
    );
}

#[test]
fn unknown_keys_are_refused() {
    let base = "[[systems]]\nname = \"x\"\nrole = \"erp\"\n";
    let e = parse(&format!("{base}transport = {{ type = \"http\", uri = \"http://a\" }}")).unwrap_err();
    assert!(e.contains("unknown field `uri`, expected one of `url`, `ca_file`, `batch_max`"), "{e}");
    let e = parse(&format!("{base}transport = {{ type = \"file\", folder = \"o\" }}\ntimeout = 5")).unwrap_err();
    assert!(e.contains("unknown field `timeout`"), "{e}");
    let e = parse(&format!(
        "{base}transport = {{ type = \"file\", folder = \"o\" }}\nauth = {{ type = \"hmac\", key = \"k\" }}"
    ))
    .unwrap_err();
    assert!(e.contains("unknown field `key`, expected `secret`"), "{e}");
    assert!(parse("[[system]]\nname = \"x\"").unwrap_err().contains("unknown field `system`"));
}

#[test]
fn validation_reports_every_error_with_file_and_key() {
    let config = parse(
        r#"
[[systems]]
name = "Shop"
role = "channel"
transport = { type = "http", url = "ftp://shop.example.com" }
auth = { type = "hmac", secret = "short" }
timeout_ms = 0
retry = { initial_backoff_ms = 5000, max_backoff_ms = 1000 }

[[systems]]
name = "erp"
role = "erp"
transport = { type = "http", url = "https://user:pw@erp.example.com" }
auth = { type = "bearer", token = "${1BAD}" }
inbound = { signature = { type = "body_hmac_base64", header = "X Sig" } }

[[systems]]
name = "erp"
role = "wms"
transport = { type = "nats", url = "not a url", subject_prefix = "a..b", create_stream = true, consumer = { stream = "a.b", subject = "x.>.y", ack_wait_ms = 5, batch = 0 } }

[[systems]]
name = "files"
role = "partner"
transport = { type = "file", folder = " " }

[[systems]]
name = "files2"
role = "partner"
transport = { type = "file", folder = "out/", inbox = { folder = "out", poll_interval_ms = 1 } }

[[subscriptions]]
name = "s"
system = "crm"
events = []
filter = " "

[[subscriptions]]
name = "s"
system = "erp"
events = ["order.*", "*.placed", "Order.Placed"]
"#,
    )
    .unwrap();
    let errors = config.validate("crossdock.toml").unwrap_err();
    assert_eq!(
        errors,
        [
            "crossdock.toml: systems[0].name: \"Shop\" may contain only a-z, 0-9, '_' and '-'",
            "crossdock.toml: systems[0].transport.url: \"ftp://shop.example.com\" is not a http://, https:// URL",
            "crossdock.toml: systems[0].auth.secret: the key is 5 bytes long; at least 16 are needed",
            "crossdock.toml: systems[0].timeout_ms: 0 is outside 1..=300000",
            "crossdock.toml: systems[0].retry.max_backoff_ms: 1000 is below initial_backoff_ms (5000)",
            "crossdock.toml: systems[1].transport.url: must not contain credentials; put them under auth",
            "crossdock.toml: systems[1].auth.token: ${1BAD} does not name an environment variable (letters, digits and '_', not starting with a digit)",
            "crossdock.toml: systems[1].inbound.signature.header: \"X Sig\" is not an HTTP header name",
            "crossdock.toml: systems[1].inbound.secret: is needed to verify inbound signatures (it defaults to auth.secret only when auth.type is \"hmac\")",
            "crossdock.toml: systems[2].name: \"erp\" is already the name of systems[1]",
            "crossdock.toml: systems[2].transport.url: \"not a url\" is not a URL: relative URL without a base",
            "crossdock.toml: systems[2].transport.subject_prefix: \"a..b\" has an empty token (two dots, or a dot at either end)",
            "crossdock.toml: systems[2].transport.stream: is needed when create_stream is true",
            "crossdock.toml: systems[2].transport.consumer.stream: \"a.b\" contains '.', which a stream or consumer name may not",
            "crossdock.toml: systems[2].transport.consumer.subject: \"x.>.y\" has a misplaced wildcard",
            "crossdock.toml: systems[2].transport.consumer.ack_wait_ms: 5 is outside 1000..=3600000",
            "crossdock.toml: systems[2].transport.consumer.batch: 0 is outside 1..=1000",
            "crossdock.toml: systems[3].transport.folder: is empty",
            "crossdock.toml: systems[4].transport.inbox.folder: is the outbound folder; the hub would read what it writes",
            "crossdock.toml: systems[4].transport.inbox.poll_interval_ms: 1 is outside 10..=3600000",
            "crossdock.toml: subscriptions[0].system: no system is named \"crm\" (systems: Shop, erp, erp, files, files2)",
            "crossdock.toml: subscriptions[0].events: lists no event pattern; use [\"*\"] for every event",
            "crossdock.toml: subscriptions[0].filter: is empty; leave it out to send every matching event",
            "crossdock.toml: subscriptions[1].name: \"s\" is already the name of subscriptions[0]",
            "crossdock.toml: subscriptions[1].events[1]: \"*.placed\": '*' may only end a pattern (as in \"order.*\" or \"*\")",
            "crossdock.toml: subscriptions[1].events[2]: \"Order.Placed\" contains 'O'; patterns use a-z, 0-9, '_', '.' and a final '*'",
        ]
    );
}

#[test]
fn batch_max_is_checked_and_raises_the_default_in_flight_limit() {
    let system = |transport: &str, extra: &str| {
        format!(
            "[[systems]]\nname = \"erp\"\nrole = \"erp\"\ntransport = {{ type = \"http\", url = \"http://127.0.0.1:9/h\"{transport} }}\n{extra}"
        )
    };
    let config = parse(&system(", batch_max = 100", "")).unwrap();
    assert_eq!(config.validate("c.toml"), Ok(()));
    let erp = &config.systems[0];
    assert_eq!((erp.transport.batch_max(), erp.max_in_flight, erp.in_flight_limit()), (100, None, 400));
    let small = parse(&system(", batch_max = 2", "")).unwrap();
    assert_eq!(small.systems[0].in_flight_limit(), 16, "never below the plain default");
    assert_eq!(parse(&system(", batch_max = 100", "max_in_flight = 100")).unwrap().validate("c.toml"), Ok(()));

    let check =
        |transport: &str, extra: &str| parse(&system(transport, extra)).unwrap().validate("c.toml").unwrap_err();
    assert_eq!(check(", batch_max = 0", ""), ["c.toml: systems[0].transport.batch_max: 0 is outside 1..=1000"]);
    assert_eq!(check(", batch_max = 1001", ""), ["c.toml: systems[0].transport.batch_max: 1001 is outside 1..=1000"]);
    assert_eq!(
        check(", batch_max = 100", "max_in_flight = 16"),
        ["c.toml: systems[0].max_in_flight: 16 is below transport.batch_max (100): each message of a batch holds \
          one in-flight slot, so no batch could fill; raise it or leave it out (it then defaults to 4 × batch_max)"]
    );
    assert_eq!(check("", "max_in_flight = 0"), ["c.toml: systems[0].max_in_flight: 0 is outside 1..=10000"]);
    let e = parse(
        "[[systems]]\nname = \"x\"\nrole = \"erp\"\ntransport = { type = \"nats\", url = \"nats://a\", batch_max = 5 }",
    )
    .unwrap_err();
    assert!(e.contains("unknown field `batch_max`"), "only webhooks batch: {e}");
}

#[test]
fn event_patterns() {
    for (pattern, event_type, expected) in [
        ("*", "order.placed", true),
        ("*", "inventory.counted", true),
        ("order.*", "order.placed", true),
        ("order.*", "order.shipment_confirmed", true),
        ("order.*", "inventory.reserved", false),
        ("order.*", "order", false),
        ("inventory.counted", "inventory.counted", true),
        ("inventory.counted", "inventory.counted_again", false),
        ("inventory.count*", "inventory.counted", true),
        ("order.placed", "order.held", false),
    ] {
        assert_eq!(pattern_matches(pattern, event_type), expected, "{pattern} {event_type}");
    }
}

#[test]
fn secrets_never_print_and_resolve_from_env_or_file() {
    let literal = Secret::new("hunter2-hunter2-hunter2");
    assert_eq!((format!("{literal:?}"), literal.to_string()), ("***".to_string(), "***".to_string()));
    let config = parse(EXAMPLE).unwrap();
    assert!(!format!("{config:?}").contains("MfKQ9r8"), "the config's Debug hides secrets");
    assert_eq!(Secret::new("${A_B}").source(), SecretSource::Env("A_B"));
    assert_eq!(Secret::new("file:/run/s").source(), SecretSource::File("/run/s"));
    assert_eq!(Secret::new("x${A}").source(), SecretSource::Literal("x${A}"));
    assert_eq!(Secret::new("").check(), Err("is empty".into()));
    assert_eq!(Secret::new("file:").check(), Err("file: needs a path".into()));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.txt"), "from-a-file\n").unwrap();
    let env = |name: &str| (name == "A_B").then(|| "from-env".to_string());
    let resolve = |s: &str| Secret::new(s).resolve(dir.path(), &env).map(|r| r.expose().to_string());
    assert_eq!(resolve("${A_B}"), Ok("from-env".into()));
    assert_eq!(resolve("${NOPE}"), Err("environment variable NOPE is not set".into()));
    assert_eq!(resolve("file:s.txt"), Ok("from-a-file".into()));
    assert!(resolve("file:missing.txt").unwrap_err().starts_with("cannot read "));
    assert_eq!(resolve("literal"), Ok("literal".into()));
    assert_eq!(format!("{:?}", Secret::new("x").resolve(dir.path(), &env).unwrap()), "***");
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn loading_resolves_secrets_and_compiles_jq() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "secrets/shop", "shopify-app-secret-0123456789\n");
    write(dir.path(), "mappings/in.jq", "{type: \"place_order\", id: .id}");
    write(dir.path(), "mappings/out.jq", "{number: .payload.order.id}");
    let env = |name: &str| (name == "SHOP_TOKEN").then(|| "token-1".to_string());
    let loaded = parse(EXAMPLE).unwrap().load_with_env("crossdock.toml", dir.path(), &env).unwrap();

    let shop = loaded.system("shop").unwrap();
    assert!(matches!(&shop.auth, ResolvedAuth::Bearer(t) if t.expose() == "token-1"));
    let inbound = shop.inbound.as_ref().unwrap();
    let body = br#"{"id": 1}"#;
    let signature = sign_body_base64(&SigningKey::parse("shopify-app-secret-0123456789").unwrap(), body);
    let headers = |name: &str| (name == "X-Shopify-Hmac-Sha256").then_some(signature.as_str());
    assert_eq!(inbound.verify(headers, body, 0), Ok(()));
    assert!(inbound.verify(headers, b"{}", 0).is_err());
    assert_eq!(inbound.verify(|_| None, body, 0).unwrap_err().to_string(), "missing header x-shopify-hmac-sha256");
    let command = inbound.mapping.as_ref().unwrap().run_one(serde_json::json!({"id": 7})).unwrap();
    assert_eq!(command, serde_json::json!({"type": "place_order", "id": 7}));

    // The ERP's inbound key defaults to its outbound HMAC secret, with the Standard Webhooks scheme.
    let erp = loaded.system("erp").unwrap();
    let ResolvedAuth::Hmac(key) = &erp.auth else { panic!("hmac auth expected") };
    let now = 1_700_000_000;
    let signature = sign(key, "msg_1", now, body);
    let now_text = now.to_string();
    let headers = |name: &str| match name {
        "webhook-id" => Some("msg_1"),
        "webhook-timestamp" => Some(now_text.as_str()),
        "webhook-signature" => Some(signature.as_str()),
        _ => None,
    };
    assert_eq!(erp.inbound.as_ref().unwrap().verify(headers, body, now + 10), Ok(()));
    assert!(erp.inbound.as_ref().unwrap().verify(headers, body, now + 301).is_err());

    let subscription = &loaded.subscriptions[0];
    let event = serde_json::json!({"payload": {"order": {"id": "o-1", "channel": "web"}}});
    assert!(subscription.filter.as_ref().unwrap().matches(event.clone()).unwrap());
    assert_eq!(subscription.mapping.as_ref().unwrap().run_one(event).unwrap(), serde_json::json!({"number": "o-1"}));
    assert!(loaded.subscriptions[1].filter.is_none() && loaded.subscriptions[1].mapping.is_none());
}

#[test]
fn loading_reports_every_error_at_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "mappings/out.jq", "{number:\n  .payload.order.id");
    let config =
        parse(&EXAMPLE.replace(r#"filter = '.payload.order.channel == "web"'"#, "filter = 'def f: f; f'")).unwrap();
    let errors = config.load_with_env("crossdock.toml", dir.path(), &|_| None).unwrap_err();
    let shown = dir.path().display();
    assert_eq!(errors, [
        "crossdock.toml: systems[0].auth.token: environment variable SHOP_TOKEN is not set".to_string(),
        format!("crossdock.toml: systems[0].inbound.secret: cannot read {shown}/secrets/shop: No such file or directory (os error 2)"),
        format!("crossdock.toml: systems[0].inbound.mapping: {shown}/mappings/in.jq: cannot read the mapping: No such file or directory (os error 2)"),
        "crossdock.toml: subscriptions[0].filter:1:5: `f/0` is defined recursively (f/0 → f/0); recursion is not allowed in mappings, as it could run forever".to_string(),
        format!("crossdock.toml: subscriptions[0].mapping: {shown}/mappings/out.jq:2:20: expected a closing delimiter for `{{`"),
    ]);
    // Validation errors come first and stop loading.
    let invalid = parse("[[subscriptions]]\nname = \"s\"\nsystem = \"x\"\nevents = [\"*\"]").unwrap();
    assert_eq!(
        invalid.load_with_env("c.toml", dir.path(), &|_| None).unwrap_err(),
        ["c.toml: subscriptions[0].system: no system is named \"x\" (systems: none are configured)"]
    );
}
