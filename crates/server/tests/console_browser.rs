//! The console end to end in a real headless Chromium driven over WebDriver (chromedriver + fantoccini):
//! the hub serves the API, the console and a dispatcher delivering to a local ERP stand-in that refuses
//! everything at first (so deliveries become dead letters) and accepts once switched. The test signs in,
//! compares the overview's numbers with `/v1/kpis`, opens an order and its timeline, replays a dead letter
//! and sees it delivered, and checks that a viewer gets no replay button and a 403. It saves a screenshot
//! of each page under `$CARGO_TARGET_TMPDIR/console-screenshots`. Without Chromium or chromedriver it
//! prints why and passes without running.

use axum::http::StatusCode;
use axum::routing::post;
use crossdock_connect::config::ConnectConfig;
use crossdock_connect::dispatch::{DispatchOptions, Dispatcher, from_config};
use crossdock_server::{AppState, auth};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Longest wait for anything the browser or the dispatcher does.
const PATIENCE: Duration = Duration::from_secs(30);

/// The browser and driver to use, or why there are none.
fn browser() -> Result<(PathBuf, PathBuf), String> {
    let chromium = std::env::var_os("CROSSDOCK_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| CHROMIUM.into());
    let driver = std::env::var_os("CROSSDOCK_CHROMEDRIVER").map(PathBuf::from).unwrap_or_else(|| CHROMEDRIVER.into());
    for (path, what) in [(&chromium, "Chromium"), (&driver, "chromedriver")] {
        if !path.exists() {
            return Err(format!(
                "{what} not found at {} (install the chromium and chromium-driver packages)",
                path.display()
            ));
        }
    }
    Ok((chromium, driver))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// chromedriver in a process group of its own, with the Chromium it starts: dropping it (also when the
/// test panics before the session is closed) kills the whole group, so no browser is left running.
struct DriverProcess {
    _child: tokio::process::Child,
    group: u32,
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-KILL", "--", &format!("-{}", self.group)]).status();
    }
}

/// Starts chromedriver on a free loopback port and waits until it answers.
async fn start_driver(driver: &Path) -> Result<(DriverProcess, String), String> {
    let port = free_port();
    let child = tokio::process::Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", driver.display()))?;
    let group = child.id().ok_or("chromedriver exited at once")?;
    let child = DriverProcess { _child: child, group };
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if reqwest::get(format!("{url}/status")).await.is_ok_and(|r| r.status().is_success()) {
            return Ok((child, url));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("chromedriver did not answer within 15 s".into())
}

async fn open_browser(chromium: &Path, driver_url: &str) -> Result<Client, String> {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium.display().to_string(),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1100", "--no-first-run"],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver_url)
        .await
        .map_err(|e| format!("chromedriver could not open Chromium: {e}"))
}

/// A stand-in ERP: refuses every webhook with 400 until `accept` is set, then acknowledges with 200.
async fn start_erp(accept: Arc<AtomicBool>, received: Arc<AtomicU64>) -> String {
    let app = axum::Router::new().route(
        "/erp",
        post(move || {
            let (accept, received) = (accept.clone(), received.clone());
            async move {
                if accept.load(Ordering::SeqCst) {
                    received.fetch_add(1, Ordering::SeqCst);
                    (StatusCode::OK, "ok")
                } else {
                    (StatusCode::BAD_REQUEST, "unknown customer account")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/erp")
}

struct Screens {
    dir: PathBuf,
}

impl Screens {
    fn new() -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    async fn save(&self, client: &Client, name: &str) {
        let png = client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(self.dir.join(format!("{name}.png")), png).unwrap();
    }
}

/// Waits until `selector` is on the page.
async fn wait_for(client: &Client, selector: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector} never appeared: {e}"))
}

/// The text of the first element `selector` matches, read in one script so that a live region the page
/// swaps every few seconds cannot turn the element stale between finding it and reading it. Waits for
/// the element first.
async fn text_of(client: &Client, selector: &str) -> String {
    read_live(client, selector, "e.innerText").await
}

/// An attribute of the first element `selector` matches, read like `text_of`.
async fn attr_of(client: &Client, selector: &str, name: &str) -> String {
    read_live(client, selector, &format!("e.getAttribute({})", json!(name))).await
}

async fn read_live(client: &Client, selector: &str, read: &str) -> String {
    wait_for(client, selector).await;
    let script = format!("const e = document.querySelector(arguments[0]); return e ? {read} : null;");
    let value = client.execute(&script, vec![json!(selector)]).await.unwrap();
    match value {
        Value::String(text) => text.trim().to_string(),
        other => panic!("{selector}: read {other}"),
    }
}

/// Clicks what `locator` finds, finding it again when a live region swapped it out between the find and
/// the click (a stale element), within `PATIENCE`.
async fn click(client: &Client, locator: Locator<'_>) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let clicked = match client.wait().at_most(PATIENCE).for_element(locator).await {
            Ok(element) => element.click().await,
            Err(e) => Err(e),
        };
        match clicked {
            Ok(()) => return,
            Err(e) if e.is_stale_element_reference() && Instant::now() < deadline => continue,
            Err(e) => panic!("{locator:?}: {e}"),
        }
    }
}

/// Clicks a button that asks for confirmation and returns the question, which must come at the first click.
async fn click_to_confirm(client: &Client, locator: Locator<'_>) -> String {
    click(client, locator).await;
    let asked = Instant::now() + PATIENCE;
    loop {
        match client.get_alert_text().await {
            Ok(question) => return question,
            Err(e) if e.is_no_such_alert() && Instant::now() < asked => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("{locator:?} asked for no confirmation: {e}"),
        }
    }
}

/// Waits for the live region's next swap and clicks `selector` in the browser's very next task, with
/// `confirm` answering no; returns the question asked, or null if the click did nothing (a button swapped
/// in but not yet wired by htmx).
async fn click_right_after_a_swap(client: &Client, selector: &str) -> Value {
    let script = r#"
        const [selector, done] = arguments;
        document.body.addEventListener('htmx:afterSwap', () => setTimeout(() => {
            const real = window.confirm;
            let asked = null;
            window.confirm = (question) => { asked = question; return false; };
            try { document.querySelector(selector).click(); } finally { window.confirm = real; }
            done(asked);
        }, 0), {once: true});
    "#;
    client.execute_async(script, vec![json!(selector)]).await.unwrap()
}

async fn sign_in(client: &Client, base: &str, key: &str) {
    client.goto(&format!("{base}/console")).await.unwrap();
    let field = wait_for(client, "#key").await;
    assert!(client.current_url().await.unwrap().as_str().ends_with("/console/login"), "redirected to sign in");
    field.send_keys(key).await.unwrap();
    click(client, Locator::Css("#sign-in")).await;
    wait_for(client, "#kpi-orders_placed").await;
}

async fn api(base: &str, key: &str, path: &str) -> Value {
    let response = reqwest::Client::new().get(format!("{base}{path}")).bearer_auth(key).send().await.unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn console_in_a_real_browser() {
    // reqwest is built without a TLS provider of its own: the process installs ring before any client.
    crossdock_connect::transport::install_default_crypto_provider();
    let (chromium, driver) = match browser() {
        Ok(found) => found,
        Err(reason) => {
            eprintln!("skipped: {reason}");
            return;
        }
    };
    let (_driver_process, driver_url) = match start_driver(&driver).await {
        Ok(started) => started,
        Err(reason) => {
            eprintln!("skipped: {reason}");
            return;
        }
    };

    // The hub: a temporary store, the API and console, and a dispatcher to the stand-in ERP.
    let dir = tempfile::tempdir().unwrap();
    let store = crossdock_store::open(&format!("sqlite://{}", dir.path().join("hub.db").display())).await.unwrap();
    let accept = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicU64::new(0));
    let erp_url = start_erp(accept.clone(), received.clone()).await;
    let config: ConnectConfig = serde_json::from_value(json!({
        "systems": [{"name": "erp", "role": "erp", "transport": {"type": "http", "url": erp_url}}],
        "subscriptions": [{"name": "to-erp", "system": "erp", "events": ["order.placed"]}]
    }))
    .unwrap();
    let loaded = config.load_with_env("test.toml", Path::new("."), &|_| None).unwrap();
    let (systems, subscriptions) = from_config(&loaded, &|_| None).unwrap();
    let options = DispatchOptions { poll_interval: Duration::from_millis(100), ..DispatchOptions::default() };
    let dispatcher = Dispatcher::new(store.clone(), systems, subscriptions, options).unwrap();
    let mut state = AppState::new(store.clone());
    state.connect = Some(Arc::new(loaded));
    state.dispatcher = Some(dispatcher.clone());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut stop_dispatcher = stopped.clone();
    let running = tokio::spawn(async move {
        dispatcher
            .run(async move {
                let _ = stop_dispatcher.changed().await;
            })
            .await
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut stop_server = stopped.clone();
    tokio::spawn(crossdock_server::serve(listener, state, async move {
        let _ = stop_server.changed().await;
    }));

    let key = |scopes: &[&str]| {
        let (text, record) = auth::new_key("console-test", scopes.iter().map(|s| s.to_string()).collect(), None);
        (text, record)
    };
    let (admin, record) = key(&["admin"]);
    store.insert_api_key(&record).await.unwrap();
    let viewer_scopes = ["orders:read", "inventory:read", "dlq:read", "systems:read", "kpis:read", "edi:read"];
    let (viewer, record) = key(&viewer_scopes);
    store.insert_api_key(&record).await.unwrap();

    // A warehouse with stock, and three orders; the ERP refuses their `order.placed` webhooks.
    let http = reqwest::Client::new();
    let location = json!({"name": "East DC", "kind": "warehouse", "coordinates": {"lat": 40.7, "lon": -74.0}});
    let put =
        http.put(format!("{base}/v1/locations/wh-east")).bearer_auth(&admin).json(&location).send().await.unwrap();
    assert!(put.status().is_success());
    let stock = json!({"sku": "SKU-1", "location": "wh-east", "delta": 50, "reason": "receipt"});
    let adj =
        http.post(format!("{base}/v1/inventory/adjustments")).bearer_auth(&admin).json(&stock).send().await.unwrap();
    assert!(adj.status().is_success());
    for n in 0..3 {
        let order = json!({
            "id": format!("web-{n}"), "channel": "web", "external_id": format!("ext-{n}"),
            "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
            "ship_to": {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Springfield", "region": "IL",
                        "postal_code": "62701", "country": "US"},
            "currency": "USD",
            "lines": [{"id": "1", "sku": "SKU-1", "quantity": 2, "unit_price": {"amount_minor": 1999, "currency": "USD"}}]
        });
        let placed = http.post(format!("{base}/v1/orders")).bearer_auth(&admin).json(&order).send().await.unwrap();
        assert_eq!(placed.status(), 201);
    }
    let deadline = Instant::now() + PATIENCE;
    let dead = loop {
        let list = api(&base, &admin, "/v1/dead-letters").await;
        let items = list["items"].as_array().unwrap().clone();
        if items.len() == 3 {
            break items;
        }
        assert!(Instant::now() < deadline, "the refused webhooks never became dead letters: {list}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let replayed_id = dead.iter().find(|d| d["aggregate_id"] == "web-1").unwrap()["id"].as_i64().unwrap();
    accept.store(true, Ordering::SeqCst);

    let (chromium_ok, client) = match open_browser(&chromium, &driver_url).await {
        Ok(client) => (true, Some(client)),
        Err(reason) => {
            eprintln!("skipped: {reason}");
            (false, None)
        }
    };
    if !chromium_ok {
        let _ = stop.send(true);
        return;
    }
    let client = client.unwrap();
    let screens = Screens::new();

    // Sign in; the overview's numbers are those of /v1/kpis.
    sign_in(&client, &base, &admin).await;
    let kpis = api(&base, &admin, "/v1/kpis").await;
    for field in
        ["orders_placed", "orders_shipped", "orders_delivered", "order_accuracy", "oversold_units", "dead_letters"]
    {
        let shown: Value =
            serde_json::from_str(&attr_of(&client, &format!("#kpi-{field}"), "data-value").await).unwrap();
        assert_eq!(shown, kpis[field], "{field} on the overview");
    }
    assert_eq!(kpis["orders_placed"], 3);
    assert_eq!(text_of(&client, "#kpi-orders_placed").await, "3");
    assert_eq!(text_of(&client, "#kpi-dead_letters").await, "3");
    assert!(text_of(&client, "#health tr[data-system=erp]").await.contains("erp"));
    client.wait().at_most(PATIENCE).for_element(Locator::Css("body[data-charts-drawn]")).await.unwrap();
    assert!(client.find_all(Locator::Css(".chart canvas")).await.unwrap().len() >= 5, "the five charts are drawn");
    screens.save(&client, "1-overview").await;

    // Orders: the list, then one order with its timeline, lines, sourcing and its dead delivery.
    client.goto(&format!("{base}/console/orders")).await.unwrap();
    wait_for(&client, "#orders a.order-link").await;
    assert_eq!(client.find_all(Locator::Css("#orders a.order-link")).await.unwrap().len(), 3);
    screens.save(&client, "2-orders").await;
    click(&client, Locator::LinkText("web-1")).await;
    wait_for(&client, "#timeline li").await;
    let timeline = text_of(&client, "#timeline").await;
    assert!(timeline.contains("order.placed") && timeline.contains("order.sourced"), "{timeline}");
    let lines = text_of(&client, "#lines").await;
    assert!(lines.contains("SKU-1") && lines.contains("wh-east"), "{lines}");
    assert!(text_of(&client, &format!("#deliveries tr[data-delivery='{replayed_id}']")).await.contains("dead"));
    screens.save(&client, "3-order").await;

    // Dead letters: inspect one, replay it (after confirming), and see it delivered.
    client.goto(&format!("{base}/console/dead-letters")).await.unwrap();
    wait_for(&client, "#dead-letters tr[data-delivery]").await;
    screens.save(&client, "4-dead-letters").await;
    client.goto(&format!("{base}/console/dead-letters/{replayed_id}")).await.unwrap();
    let response = text_of(&client, "#last-response").await;
    assert!(response.contains("400") && response.contains("unknown customer account"), "{response}");
    // A click just after the live region swapped the button in is not lost.
    let asked = click_right_after_a_swap(&client, "#replay").await;
    assert!(asked.as_str().is_some_and(|q| q.contains("Replay delivery")), "no confirmation was asked: {asked}");
    let question = click_to_confirm(&client, Locator::Css("#replay")).await;
    assert!(question.contains(&format!("Replay delivery {replayed_id}")), "{question}");
    client.accept_alert().await.unwrap();
    let flash = text_of(&client, "#flash-message").await;
    assert!(flash.contains("queued again"), "{flash}");
    let deadline = Instant::now() + PATIENCE;
    loop {
        let status = text_of(&client, "#delivery-status").await;
        if status == "delivered" {
            break;
        }
        assert!(Instant::now() < deadline, "the replayed delivery is still {status}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(received.load(Ordering::SeqCst), 1, "the ERP received the replayed webhook once");
    screens.save(&client, "5-dead-letter-delivered").await;
    client.goto(&format!("{base}/console/orders/web-1")).await.unwrap();
    assert!(text_of(&client, &format!("#deliveries tr[data-delivery='{replayed_id}']")).await.contains("delivered"));

    // The other pages render.
    for (path, selector, name) in [
        ("/console/systems", "#systems tr[data-system=erp]", "6-systems"),
        ("/console/edi", "#partners", "7-edi"),
        ("/console/inventory", "#atp tr[data-sku='SKU-1']", "8-inventory"),
    ] {
        client.goto(&format!("{base}{path}")).await.unwrap();
        wait_for(&client, selector).await;
        screens.save(&client, name).await;
    }
    let atp = text_of(&client, "#atp tr[data-sku='SKU-1'] td.total").await;
    assert_eq!(atp, "44", "50 received, 3 × 2 reserved");

    // A viewer sees the dead letters but no replay button, and a forged replay is refused with 403.
    click(&client, Locator::Css("header .who button")).await;
    wait_for(&client, "#key").await;
    sign_in(&client, &base, &viewer).await;
    assert_eq!(text_of(&client, "#role").await, "viewer");
    client.goto(&format!("{base}/console/dead-letters")).await.unwrap();
    wait_for(&client, "#dead-letters tr[data-delivery]").await;
    assert!(
        client.find_all(Locator::Css("button.replay, #replay-all")).await.unwrap().is_empty(),
        "no replay for a viewer"
    );
    let still_dead = dead.iter().find(|d| d["id"].as_i64() != Some(replayed_id)).unwrap()["id"].as_i64().unwrap();
    let status = client
        .execute_async(
            "const [id, done] = arguments;
             const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
             fetch('/console/dead-letters/' + id + '/replay', {method: 'POST', headers: {'X-CSRF-Token': token}})
               .then(r => done(r.status));",
            vec![json!(still_dead)],
        )
        .await
        .unwrap();
    assert_eq!(status, json!(403), "a viewer's replay is refused");
    assert_eq!(api(&base, &admin, &format!("/v1/dead-letters/{still_dead}")).await["status"], "dead");
    screens.save(&client, "9-viewer-dead-letters").await;

    client.close().await.unwrap();
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), running).await;
    println!("screenshots in {}", screens.dir.display());
}
