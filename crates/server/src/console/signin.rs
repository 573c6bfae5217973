//! Signing in and out. The sign-in form is protected against cross-site posting by a token kept in a
//! short-lived cookie and echoed in the form (double submit); a valid key opens a session whose cookie is
//! HttpOnly, SameSite=Strict, and Secure when TLS is on.

use super::session::{LOGIN_CSRF_COOKIE, SESSION_COOKIE, check_key, cookie, current_user, random_token, same_token};
use super::{ConsoleError, SESSION_TTL, field, fields, render, set_cookie};
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::time::Duration;

/// How long the sign-in form stays usable.
const LOGIN_TTL: Duration = Duration::from_secs(3600);

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    csrf: String,
    error: Option<String>,
}

/// The sign-in form with a fresh token (also set as a cookie).
fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let csrf = random_token();
    let html = render(&LoginPage { csrf: csrf.clone(), error })?;
    let cookie = set_cookie(LOGIN_CSRF_COOKIE, &csrf, LOGIN_TTL, secure(state, headers));
    let mut response = (status, html).into_response();
    response.headers_mut().append(header::SET_COOKIE, header_value(&cookie)?);
    Ok(response)
}

/// Whether cookies get `Secure`: the console is configured for TLS, or a TLS-terminating proxy in front
/// says the request came over HTTPS (`X-Forwarded-Proto: https`; a client faking it only hardens its own
/// cookie).
fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.console.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

fn header_value(text: &str) -> Result<HeaderValue, ConsoleError> {
    HeaderValue::from_str(text).map_err(|_| ConsoleError::new(StatusCode::INTERNAL_SERVER_ERROR, "bad header value"))
}

/// `GET /console/login`: the form, or the overview when already signed in.
pub async fn form(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ConsoleError> {
    if current_user(&state, &headers).await?.is_some() {
        return Ok(Redirect::to("/console").into_response());
    }
    login_page(&state, &headers, StatusCode::OK, None)
}

/// `POST /console/login` (form: `key`, `csrf`): opens a session and goes to the overview.
pub async fn sign_in(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ConsoleError> {
    let form = fields(&body);
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    let presented = field(&form, "csrf").unwrap_or("");
    if expected.is_empty() || !same_token(presented, expected) {
        return Err(ConsoleError::new(
            StatusCode::FORBIDDEN,
            "the sign-in form expired or was not sent from this console; open /console/login again",
        ));
    }
    let Some(key) = field(&form, "key") else {
        return login_page(&state, &headers, StatusCode::UNPROCESSABLE_ENTITY, Some("enter an API key".into()));
    };
    let (key_id, secret_hash) = match check_key(&state, key).await {
        Ok(checked) => checked,
        Err(error) if error.status.is_client_error() => {
            return login_page(&state, &headers, error.status, Some(error.message));
        }
        Err(error) => return Err(error),
    };
    let (token, _) = state.console.sessions.open(&key_id, &secret_hash);
    tracing::info!(key_id = %key_id, "console: signed in");
    let mut response = Redirect::to("/console").into_response();
    let secure = secure(&state, &headers);
    let out = response.headers_mut();
    out.append(header::SET_COOKIE, header_value(&set_cookie(SESSION_COOKIE, &token, SESSION_TTL, secure))?);
    out.append(header::SET_COOKIE, header_value(&set_cookie(LOGIN_CSRF_COOKIE, "", Duration::ZERO, secure))?);
    Ok(response)
}

/// `POST /console/logout`: ends the session and clears its cookie.
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ConsoleError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.console.sessions.close(token);
    }
    let cleared = set_cookie(SESSION_COOKIE, "", Duration::ZERO, secure(&state, &headers));
    // htmx follows `HX-Redirect`; an answer to a redirect would be followed inside the request instead.
    let mut response = (StatusCode::OK, "signed out").into_response();
    response.headers_mut().append(header::SET_COOKIE, header_value(&cleared)?);
    response.headers_mut().insert("hx-redirect", HeaderValue::from_static("/console/login"));
    Ok(response)
}
