//! The operator console under `/console`: server-rendered pages (askama templates in
//! `crates/server/templates/console`) made live with htmx polling, charts drawn by uPlot; both scripts are
//! vendored and embedded. Sign-in turns an API key into a session cookie; every page reuses the API's store
//! queries and handler logic, and checks the same scopes as the API routes it mirrors.

mod assets;
mod dead_letters;
mod error;
mod history;
mod operations;
mod orders;
mod overview;
mod session;
mod signin;

pub use error::ConsoleError;
pub use history::{History, Point, Series};
pub use session::{
    CSRF_HEADER, ConsoleUser, LOGIN_CSRF_COOKIE, Role, SESSION_COOKIE, SESSION_TTL, Sessions, set_cookie,
};

use crate::AppState;
use askama::Template;
use axum::Router;
use axum::middleware;
use axum::response::Html;
use axum::routing::{get, post};
use std::collections::HashMap;
use std::sync::Arc;

/// What the console keeps in the app state: this process's sessions, the KPI history, cookie settings.
#[derive(Clone, Default)]
pub struct ConsoleState {
    pub sessions: Arc<Sessions>,
    pub history: Arc<History>,
    /// Mark cookies `Secure` (set it when the console is served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
}

/// What every page's frame shows: the title, the active tab, who is signed in, and the CSRF token htmx
/// sends with every state-changing request.
pub struct Layout {
    pub title: String,
    pub active: &'static str,
    pub key_name: String,
    pub role: &'static str,
    pub csrf: String,
    /// The user may replay and discard dead letters (and retry deliveries).
    pub can_replay: bool,
}

impl Layout {
    pub fn new(user: &ConsoleUser, active: &'static str, title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            active,
            key_name: user.key_name.clone(),
            role: user.role.as_str(),
            csrf: user.csrf.clone(),
            can_replay: user.can(crate::routes::DLQ_REPLAY),
        }
    }
}

/// Renders a template as an HTML response.
pub fn render(template: &impl Template) -> Result<Html<String>, ConsoleError> {
    Ok(Html(template.render()?))
}

/// The fields of a URL-encoded form or query string (the last value of a repeated name wins).
pub fn fields(raw: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(raw).into_owned().collect()
}

/// A non-empty, trimmed field.
pub fn field<'a>(fields: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Every console route. Pages need a session; state-changing ones also its CSRF token.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/console", get(overview::page))
        .route("/console/series.json", get(overview::series))
        .route("/console/orders", get(orders::list))
        .route("/console/orders/{id}", get(orders::show))
        .route("/console/systems", get(operations::systems))
        .route("/console/dead-letters", get(dead_letters::list))
        .route("/console/dead-letters/replay", post(dead_letters::replay_selected))
        .route("/console/dead-letters/discard", post(dead_letters::discard_selected))
        .route("/console/dead-letters/{id}", get(dead_letters::show))
        .route("/console/dead-letters/{id}/replay", post(dead_letters::replay_one))
        .route("/console/dead-letters/{id}/discard", post(dead_letters::discard_one))
        .route("/console/edi", get(operations::edi))
        .route("/console/inventory", get(operations::inventory))
        .route("/console/logout", post(signin::sign_out))
        .route_layer(middleware::from_fn_with_state(state.clone(), session::require_session));
    Router::new()
        .route("/console/login", get(signin::form).post(signin::sign_in))
        .route("/console/assets/{name}", get(assets::asset))
        .merge(pages)
        .with_state(state)
}
