//! The console in process (`oneshot`): sign-in and its cookie flags, CSRF refusal, role refusal, sessions
//! ended by revocation, every page rendering, and the overview's numbers equal to `/v1/kpis`.

use crate::dead_letters::dead_letters;
use crate::helpers::{call, make_key, request, test_state};
use axum::body::Body;
use axum::http::{Method, Request, header};
use crossdock_server::AppState;
use serde_json::Value;
use tower::ServiceExt;

/// A console response: status, `Set-Cookie` values, `Location`, and the body as text.
struct Page {
    status: u16,
    cookies: Vec<String>,
    location: Option<String>,
    body: String,
}

async fn send(state: &AppState, request: Request<Body>) -> Page {
    let response = crossdock_server::app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let cookies =
        response.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect();
    let location = response.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_string());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Page { status, cookies, location, body: String::from_utf8_lossy(&bytes).into_owned() }
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().method(Method::GET).uri(path);
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(Body::empty()).unwrap()
}

fn post(path: &str, cookie: Option<&str>, csrf: Option<&str>, form: &str) -> Request<Body> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    if let Some(csrf) = csrf {
        builder = builder.header("x-csrf-token", csrf);
    }
    builder.body(Body::from(form.to_string())).unwrap()
}

/// The `name=value` part of the `Set-Cookie` for `name`, and the whole header.
fn set_cookie<'a>(page: &'a Page, name: &str) -> (&'a str, &'a str) {
    let whole = page.cookies.iter().find(|c| c.starts_with(&format!("{name}="))).expect("cookie set");
    (whole.split(';').next().unwrap(), whole)
}

/// The text between `start` and the next `end` in `body`.
fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body.find(start).unwrap_or_else(|| panic!("{start:?} not in page")) + start.len();
    &body[from..from + body[from..].find(end).unwrap()]
}

/// Signs in with `key`; returns the session cookie (`name=value`) and the page's CSRF token.
async fn sign_in(state: &AppState, key: &str) -> (String, String) {
    let session = open_session(state, key).await;
    let overview = send(state, get("/console", Some(&session))).await;
    assert_eq!(overview.status, 200, "{}", overview.body);
    let csrf = between(&overview.body, "\"X-CSRF-Token\": \"", "\"").to_string();
    (session, csrf)
}

/// Signs in with `key` through the form; returns the session cookie (`name=value`).
async fn open_session(state: &AppState, key: &str) -> String {
    let form = send(state, get("/console/login", None)).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let (login_cookie, _) = set_cookie(&form, "cdk_console_login");
    let token = between(&form.body, "name=\"csrf\" value=\"", "\"");
    let signed =
        send(state, post("/console/login", Some(login_cookie), None, &format!("csrf={token}&key={key}"))).await;
    assert_eq!((signed.status, signed.location.as_deref()), (303, Some("/console")), "{}", signed.body);
    set_cookie(&signed, "cdk_console").0.to_string()
}

/// Signs in with `key` and returns the body of page `path` (which must answer 200).
pub async fn page_as(state: &AppState, key: &str, path: &str) -> String {
    let session = open_session(state, key).await;
    let page = send(state, get(path, Some(&session))).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    page.body
}

#[tokio::test]
async fn sign_in_sets_an_http_only_strict_cookie_and_secure_with_tls() {
    let mut t = test_state().await;
    let form = send(&t.state, get("/console/login", None)).await;
    let (_, login) = set_cookie(&form, "cdk_console_login");
    assert!(login.contains("HttpOnly") && login.contains("SameSite=Strict") && !login.contains("Secure"), "{login}");

    let form = send(&t.state, get("/console/login", None)).await;
    let (login_cookie, _) = set_cookie(&form, "cdk_console_login");
    let token = between(&form.body, "name=\"csrf\" value=\"", "\"");
    let signed =
        send(&t.state, post("/console/login", Some(login_cookie), None, &format!("csrf={token}&key={}", t.admin)))
            .await;
    let (_, session) = set_cookie(&signed, "cdk_console");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age=43200"] {
        assert!(session.contains(flag), "{flag} missing in {session}");
    }
    assert!(!session.contains("Secure"), "no TLS here: {session}");
    assert!(!session.contains(&t.admin), "the key never goes in the cookie");

    let mut behind_tls = get("/console/login", None);
    behind_tls.headers_mut().insert("x-forwarded-proto", "https".parse().unwrap());
    let form = send(&t.state, behind_tls).await;
    assert!(set_cookie(&form, "cdk_console_login").1.contains("; Secure"), "TLS terminated by a proxy");

    t.state.console.secure_cookies = true;
    let form = send(&t.state, get("/console/login", None)).await;
    assert!(set_cookie(&form, "cdk_console_login").1.contains("; Secure"));
    let (login_cookie, _) = set_cookie(&form, "cdk_console_login");
    let token = between(&form.body, "name=\"csrf\" value=\"", "\"");
    let signed =
        send(&t.state, post("/console/login", Some(login_cookie), None, &format!("csrf={token}&key={}", t.admin)))
            .await;
    let (_, session) = set_cookie(&signed, "cdk_console");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("; Secure"));
}

#[tokio::test]
async fn sign_in_refuses_bad_keys_and_forms_without_their_token() {
    let t = test_state().await;
    let form = send(&t.state, get("/console/login", None)).await;
    let (login_cookie, _) = set_cookie(&form, "cdk_console_login");
    let token = between(&form.body, "name=\"csrf\" value=\"", "\"").to_string();
    // No token, a wrong one, or no cookie: refused before the key is even looked at.
    for (cookie, body) in [
        (Some(login_cookie), format!("key={}", t.admin)),
        (Some(login_cookie), format!("csrf={}&key={}", "0".repeat(64), t.admin)),
        (None, format!("csrf={token}&key={}", t.admin)),
    ] {
        let refused = send(&t.state, post("/console/login", cookie, None, &body)).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused.cookies.iter().all(|c| !c.starts_with("cdk_console=")));
    }
    let wrong_key = format!("csrf={token}&key=cdk_000000000000_{}", "0".repeat(64));
    let refused = send(&t.state, post("/console/login", Some(login_cookie), None, &wrong_key)).await;
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("id=\"login-error\""), "{}", refused.body);
    let writer = make_key(t.state.store.as_ref(), &["orders:write"]).await;
    let no_read =
        send(&t.state, post("/console/login", Some(login_cookie), None, &format!("csrf={token}&key={writer}"))).await;
    assert_eq!(no_read.status, 403, "a key without a read scope cannot sign in");
}

#[tokio::test]
async fn pages_need_a_session_and_actions_need_the_csrf_token() {
    let t = test_state().await;
    let ids = dead_letters(t.state.store.as_ref(), "to-erp", "erp", 3).await;
    let unsigned = send(&t.state, get("/console/orders", None)).await;
    assert_eq!((unsigned.status, unsigned.location.as_deref()), (303, Some("/console/login")));
    let forged = send(&t.state, post(&format!("/console/dead-letters/{}/replay", ids[0]), None, None, "")).await;
    assert_eq!(forged.status, 401);

    let (session, csrf) = sign_in(&t.state, &t.admin).await;
    let path = format!("/console/dead-letters/{}/replay", ids[0]);
    let without = send(&t.state, post(&path, Some(&session), None, "")).await;
    assert_eq!(without.status, 403, "{}", without.body);
    assert!(without.body.contains("CSRF"), "{}", without.body);
    let wrong = send(&t.state, post(&path, Some(&session), Some(&"f".repeat(64)), "")).await;
    assert_eq!(wrong.status, 403);
    let still_dead = t.state.store.delivery(ids[0]).await.unwrap().unwrap();
    assert_eq!(still_dead.status.as_str(), "dead", "refused requests change nothing");

    let done = send(&t.state, post(&path, Some(&session), Some(&csrf), "")).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("queued again"), "{}", done.body);
    assert_eq!(t.state.store.delivery(ids[0]).await.unwrap().unwrap().status.as_str(), "pending");
    let again = send(&t.state, post(&path, Some(&session), Some(&csrf), "")).await;
    assert_eq!(again.status, 409, "no longer a dead letter");

    // A bulk action needs a filter or an explicit `all`.
    let bulk = send(&t.state, post("/console/dead-letters/discard", Some(&session), Some(&csrf), "")).await;
    assert_eq!(bulk.status, 400);
    let bulk = send(&t.state, post("/console/dead-letters/discard", Some(&session), Some(&csrf), "system=erp")).await;
    assert_eq!(bulk.status, 200, "{}", bulk.body);
    assert!(bulk.body.contains(&format!("{} dead letters discarded", ids.len() - 1)), "{}", bulk.body);

    // Signing out ends the session (it also needs the token).
    assert_eq!(send(&t.state, post("/console/logout", Some(&session), None, "")).await.status, 403);
    assert_eq!(send(&t.state, post("/console/logout", Some(&session), Some(&csrf), "")).await.status, 200);
    assert_eq!(send(&t.state, get("/console", Some(&session))).await.status, 303);
}

#[tokio::test]
async fn a_viewer_sees_no_replay_button_and_is_refused_with_403() {
    let t = test_state().await;
    let ids = dead_letters(t.state.store.as_ref(), "to-erp", "erp", 1).await;
    let viewer = make_key(t.state.store.as_ref(), &["dlq:read", "orders:read", "kpis:read"]).await;
    let (session, csrf) = sign_in(&t.state, &viewer).await;
    let list = send(&t.state, get("/console/dead-letters", Some(&session))).await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&format!("data-delivery=\"{}\"", ids[0])), "the viewer sees the dead letters");
    assert!(!list.body.contains("/replay"), "no replay button for a viewer");
    assert!(list.body.contains("<span id=\"role\">viewer</span>"));
    let one = send(&t.state, get(&format!("/console/dead-letters/{}", ids[0]), Some(&session))).await;
    assert!(one.status == 200 && !one.body.contains("/replay"));
    // Without pii:read the order's timeline shows the customer masked; an admin sees the plaintext.
    let masked = send(&t.state, get("/console/orders/to-erp-o0", Some(&session))).await;
    assert_eq!(masked.status, 200, "{}", masked.body);
    assert!(masked.body.contains("order.placed") && masked.body.contains("A** L*******"), "{}", masked.body);
    assert!(!masked.body.contains("Ada Lovelace") && !masked.body.contains("ada@example.com"));
    let (admin_session, _) = sign_in(&t.state, &t.admin).await;
    let plain = send(&t.state, get("/console/orders/to-erp-o0", Some(&admin_session))).await;
    assert!(plain.body.contains("Ada Lovelace"), "an admin reads the PII");
    let refused =
        send(&t.state, post(&format!("/console/dead-letters/{}/replay", ids[0]), Some(&session), Some(&csrf), ""))
            .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("dlq:replay"));
    let refused = send(&t.state, post("/console/dead-letters/replay", Some(&session), Some(&csrf), "all=true")).await;
    assert_eq!(refused.status, 403);
    assert_eq!(t.state.store.delivery(ids[0]).await.unwrap().unwrap().status.as_str(), "dead");
    // Pages its key has no scope for are refused too.
    assert_eq!(send(&t.state, get("/console/systems", Some(&session))).await.status, 403);

    let operator = make_key(t.state.store.as_ref(), &["dlq:read", "dlq:replay", "kpis:read"]).await;
    let (session, _) = sign_in(&t.state, &operator).await;
    let list = send(&t.state, get("/console/dead-letters", Some(&session))).await;
    assert!(list.body.contains(&format!("/console/dead-letters/{}/replay", ids[0])), "an operator gets the button");
    assert!(list.body.contains("<span id=\"role\">operator</span>"));
}

#[tokio::test]
async fn a_revoked_key_ends_its_sessions() {
    let t = test_state().await;
    let key = make_key(t.state.store.as_ref(), &["kpis:read"]).await;
    let (session, _) = sign_in(&t.state, &key).await;
    let id = crossdock_server::auth::parse_key(&key).unwrap().0.to_string();
    assert!(t.state.store.revoke_api_key(&id, chrono::Utc::now()).await.unwrap());
    tokio::time::sleep(t.state.key_cache_ttl).await;
    let page = send(&t.state, get("/console", Some(&session))).await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/console/login")));
}

#[tokio::test]
async fn responses_carry_the_security_headers() {
    let t = test_state().await;
    let login = call(&t.state, get("/console/login", None)).await;
    assert_eq!(login.status, 200);
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("content-security-policy", "frame-ancestors 'none'"),
        ("x-frame-options", "DENY"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(login.header(name), Some(value), "{name} on the sign-in page");
    }
    let asset = call(&t.state, get("/console/assets/htmx.min.js", None)).await;
    assert_eq!(asset.header("cache-control"), Some("public, max-age=3600"), "assets keep their caching");
    assert_eq!(asset.header("x-content-type-options"), Some("nosniff"));

    let orders = call(&t.state, request(Method::GET, "/v1/orders", Some(&t.admin), None)).await;
    assert_eq!(orders.status, 200);
    assert_eq!(orders.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(orders.header("cache-control"), Some("no-store"), "API answers may carry PII");
    let refused = call(&t.state, request(Method::GET, "/v1/orders", None, None)).await;
    assert_eq!((refused.status.as_u16(), refused.header("x-content-type-options")), (401, Some("nosniff")));
}

#[tokio::test]
async fn the_inventory_page_sums_huge_counts_without_overflow() {
    let t = test_state().await;
    for location in ["wh-1", "wh-2"] {
        let count = serde_json::json!({"sku": "SKU-MAX", "location": location, "counted": i64::MAX});
        let reply = call(&t.state, request(Method::POST, "/v1/inventory/counts", Some(&t.admin), Some(&count))).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    // A key that cannot read the KPIs: the overview sums the counts in the engine (not this page's concern).
    let viewer = make_key(t.state.store.as_ref(), &["inventory:read"]).await;
    let page = page_as(&t.state, &viewer, "/console/inventory").await;
    assert!(page.contains("SKU-MAX") && page.contains(&i64::MAX.to_string()), "{page}");
}

#[tokio::test]
async fn a_rotation_ends_the_sessions_of_the_retired_secret() {
    let t = test_state().await;
    let key = make_key(t.state.store.as_ref(), &["kpis:read"]).await;
    let id = crossdock_server::auth::parse_key(&key).unwrap().0.to_string();
    let rotate = |overlap: u64| {
        let body = serde_json::json!({"overlap_secs": overlap});
        call(&t.state, request(Method::POST, &format!("/v1/keys/{id}/rotate"), Some(&t.admin), Some(&body)))
    };
    // With an overlap the old secret still works, and so does its session.
    let (session, _) = sign_in(&t.state, &key).await;
    let rotated = rotate(3600).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    assert_eq!(send(&t.state, get("/console", Some(&session))).await.status, 200, "within the overlap");
    // The new secret signs in; rotating again with no overlap retires both older secrets at once.
    let newer = rotated.body["secret"].as_str().unwrap().to_string();
    let (newer_session, _) = sign_in(&t.state, &newer).await;
    assert_eq!(rotate(0).await.status, 200);
    for session in [&session, &newer_session] {
        let page = send(&t.state, get("/console", Some(session))).await;
        assert_eq!((page.status, page.location.as_deref()), (303, Some("/console/login")));
    }
}

#[tokio::test]
async fn every_page_renders_and_the_overview_matches_the_kpis() {
    let t = test_state().await;
    let ids = dead_letters(t.state.store.as_ref(), "to-erp", "erp", 2).await;
    let (session, _) = sign_in(&t.state, &t.admin).await;
    let overview = send(&t.state, get("/console", Some(&session))).await;
    let kpis = call(&t.state, request(Method::GET, "/v1/kpis", Some(&t.admin), None)).await.body;
    for field in ["orders_placed", "orders_delivered", "order_accuracy", "inventory_accuracy", "dead_letters"] {
        let shown = between(&overview.body, &format!("id=\"kpi-{field}\" data-value=\""), "\"");
        let shown: Value = serde_json::from_str(&shown.replace("&quot;", "\"")).unwrap();
        assert_eq!(shown, kpis[field], "{field}");
    }
    assert_eq!(kpis["orders_placed"], 2);
    assert!(overview.body.contains("data-system=\"erp\""), "the health table lists erp");

    let order = "to-erp-o0";
    let order_page = send(&t.state, get(&format!("/console/orders/{order}"), Some(&session))).await;
    assert_eq!(order_page.status, 200, "{}", order_page.body);
    assert!(order_page.body.contains("order.placed") && order_page.body.contains("id=\"timeline\""));
    assert!(order_page.body.contains(&format!("data-delivery=\"{}\"", ids[0])), "its deliveries are listed");
    let series = send(&t.state, get("/console/series.json", Some(&session))).await;
    let series: Value = serde_json::from_str(&series.body).unwrap();
    let rates: Vec<f64> = series["orders_per_hour"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(rates.len(), series["t"].as_array().unwrap().len(), "{series}");
    assert_eq!(rates.iter().sum::<f64>(), 120.0, "2 orders placed, each minute's count times 60: {series}");
    for path in [
        "/console/orders",
        "/console/orders?status=created&channel=web",
        "/console/systems",
        "/console/dead-letters",
        "/console/dead-letters?system=erp&error=400",
        &format!("/console/dead-letters/{}", ids[1]),
        "/console/edi",
        "/console/inventory",
        "/console/assets/htmx.min.js",
        "/console/assets/uPlot.iife.min.js",
    ] {
        let page = send(&t.state, get(path, Some(&session))).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
    }
    let search = send(&t.state, get(&format!("/console/orders?q={order}"), Some(&session))).await;
    assert_eq!(search.location.as_deref(), Some(format!("/console/orders/{order}").as_str()));
    assert_eq!(send(&t.state, get("/console/orders/nope", Some(&session))).await.status, 404);
    assert_eq!(send(&t.state, get("/console/orders?status=lost", Some(&session))).await.status, 400);
    assert_eq!(send(&t.state, get("/console/assets/nope.js", None)).await.status, 404);
}
