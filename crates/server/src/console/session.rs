//! Console sessions: an API key signs in once and becomes an opaque session cookie (HttpOnly,
//! SameSite=Strict, Secure when TLS is on). Sessions live in this process's memory (one process serves the
//! console; a restart signs everyone out). Each session has a CSRF token that every state-changing request
//! must echo in `X-CSRF-Token`; the key is looked up again on every request, so a revoked key, or a rotation
//! that retires the secret signed in with (once its overlap ends), ends its sessions at once.

use super::error::ConsoleError;
use crate::AppState;
use crate::auth::{grants, hash_secret, parse_key, verify_key};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use crossdock_store::ApiKeyRecord;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "cdk_console";
/// Name of the cookie holding the sign-in form's CSRF token (before a session exists).
pub const LOGIN_CSRF_COOKIE: &str = "cdk_console_login";
/// Header carrying the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts after sign-in.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// At most this many sessions; past it the oldest are dropped.
const MAX_SESSIONS: usize = 10_000;

/// What a signed-in user may do, derived from the key's scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Read scopes only: sees every page it has a scope for, changes nothing.
    Viewer,
    /// `dlq:replay`: also replays and discards dead letters and retries deliveries.
    Operator,
    /// `admin`: everything.
    Admin,
}

impl Role {
    /// The role of a key's scopes; `None` when the key has no read scope at all.
    pub fn of(scopes: &[String]) -> Option<Self> {
        if scopes.iter().any(|s| s == "admin") {
            Some(Self::Admin)
        } else if scopes.iter().any(|s| s == crate::routes::DLQ_REPLAY) {
            Some(Self::Operator)
        } else if scopes.iter().any(|s| s.ends_with(":read")) {
            Some(Self::Viewer)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }
}

/// One signed-in session.
#[derive(Debug, Clone)]
struct Session {
    key_id: String,
    /// The stored hash of the secret signed in with: the session ends once that secret no longer works for
    /// the key (rotated away, after any overlap).
    secret_hash: String,
    csrf: String,
    created: Instant,
}

/// The sessions of this process, by the SHA-256 of their cookie value.
#[derive(Debug, Default)]
pub struct Sessions {
    by_hash: Mutex<HashMap<[u8; 32], Session>>,
}

/// A random token: 32 bytes, hex.
pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Sessions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens a session for `key_id` signed in with the secret whose stored hash is `secret_hash`; returns
    /// its cookie value and CSRF token.
    pub fn open(&self, key_id: &str, secret_hash: &str) -> (String, String) {
        let token = random_token();
        let csrf = random_token();
        let mut map = self.by_hash.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, s| s.created.elapsed() < SESSION_TTL);
        if map.len() >= MAX_SESSIONS {
            let oldest = map.iter().min_by_key(|(_, s)| s.created).map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                map.remove(&oldest);
            }
        }
        map.insert(
            token_hash(&token),
            Session {
                key_id: key_id.to_string(),
                secret_hash: secret_hash.to_string(),
                csrf: csrf.clone(),
                created: Instant::now(),
            },
        );
        (token, csrf)
    }

    /// The key id and CSRF token of a live session.
    fn get(&self, token: &str) -> Option<Session> {
        let mut map = self.by_hash.lock().unwrap_or_else(|e| e.into_inner());
        let hash = token_hash(token);
        match map.get(&hash) {
            Some(s) if s.created.elapsed() < SESSION_TTL => Some(s.clone()),
            Some(_) => {
                map.remove(&hash);
                None
            }
            None => None,
        }
    }

    pub fn close(&self, token: &str) {
        self.by_hash.lock().unwrap_or_else(|e| e.into_inner()).remove(&token_hash(token));
    }
}

/// The signed-in user of a console request (put in the request's extensions by [`require_session`]).
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    pub key_id: String,
    pub key_name: String,
    pub scopes: Vec<String>,
    pub role: Role,
    pub csrf: String,
}

impl ConsoleUser {
    /// Whether the user's key carries `scope` (or admin).
    pub fn can(&self, scope: &str) -> bool {
        grants(&self.scopes, scope)
    }

    /// Refuses with 403 unless the key carries `scope`.
    pub fn require(&self, scope: &str) -> Result<(), ConsoleError> {
        if self.can(scope) {
            Ok(())
        } else {
            Err(ConsoleError::new(
                StatusCode::FORBIDDEN,
                format!("your key ({} role) lacks the scope {scope:?} this needs", self.role.as_str()),
            ))
        }
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: path `/console`, HttpOnly, SameSite=Strict, Secure when `secure`.
pub fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/console; Max-Age={}; HttpOnly; SameSite=Strict{secure}", max_age.as_secs())
}

/// Constant-time equality of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Looks up the session of the request and checks its key again: a revoked or expired key, or a secret
/// rotated away (once its overlap ends), ends it.
pub async fn current_user(state: &AppState, headers: &HeaderMap) -> Result<Option<ConsoleUser>, ConsoleError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else { return Ok(None) };
    let Some(session) = state.console.sessions.get(token) else { return Ok(None) };
    let Some(record) = state.keys.get(state.store.as_ref(), &session.key_id, state.key_cache_ttl).await? else {
        state.console.sessions.close(token);
        return Ok(None);
    };
    let now = Utc::now();
    let ended = record.revoked_at.is_some_and(|at| at <= now) || record.expires_at.is_some_and(|at| at <= now);
    if ended || !secret_still_valid(&record, &session.secret_hash, now) {
        state.console.sessions.close(token);
        return Ok(None);
    }
    let Some(role) = Role::of(&record.scopes) else { return Ok(None) };
    Ok(Some(ConsoleUser { key_id: record.id, key_name: record.name, scopes: record.scopes, role, csrf: session.csrf }))
}

/// Whether the secret with stored hash `secret_hash` still works for the key: it is the current secret, or
/// the previous one before `previous_valid_until`.
fn secret_still_valid(record: &ApiKeyRecord, secret_hash: &str, now: DateTime<Utc>) -> bool {
    record.secret_hash == secret_hash
        || (record.previous_secret_hash.as_deref() == Some(secret_hash)
            && record.previous_valid_until.is_some_and(|until| now < until))
}

/// Checks key text typed on the sign-in form; returns the key id and the stored hash of its secret when it
/// is valid and may sign in.
pub async fn check_key(state: &AppState, text: &str) -> Result<(String, String), ConsoleError> {
    let refused = || ConsoleError::new(StatusCode::UNAUTHORIZED, "that API key is not valid");
    let (id, secret) = parse_key(text.trim()).map_err(|_| refused())?;
    let record = state.keys.get(state.store.as_ref(), id, state.key_cache_ttl).await?.ok_or_else(refused)?;
    verify_key(&record, secret, Utc::now()).map_err(|e| ConsoleError::new(StatusCode::UNAUTHORIZED, e.to_string()))?;
    if Role::of(&record.scopes).is_none() {
        return Err(ConsoleError::new(StatusCode::FORBIDDEN, "this API key has no read scope; the console needs one"));
    }
    Ok((record.id, hash_secret(secret)))
}

/// Middleware of every console page but sign-in and assets: a session is required (pages redirect to the
/// sign-in form without one), and every request other than GET or HEAD must carry the session's CSRF token
/// in `X-CSRF-Token`.
pub async fn require_session(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let user = match current_user(&state, request.headers()).await {
        Ok(Some(user)) => user,
        Ok(None) if request.method() == Method::GET => return Redirect::to("/console/login").into_response(),
        Ok(None) => return ConsoleError::new(StatusCode::UNAUTHORIZED, "sign in first").into_response(),
        Err(error) => return error.into_response(),
    };
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let presented = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !same_token(presented, &user.csrf) {
            return ConsoleError::new(StatusCode::FORBIDDEN, "missing or wrong CSRF token; reload the page")
                .into_response();
        }
    }
    request.extensions_mut().insert(user);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_scopes() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(Role::of(&s(&["orders:read", "kpis:read"])), Some(Role::Viewer));
        assert_eq!(Role::of(&s(&["dlq:read", "dlq:replay"])), Some(Role::Operator));
        assert_eq!(Role::of(&s(&["admin"])), Some(Role::Admin));
        assert_eq!(Role::of(&s(&["orders:write"])), None);
    }

    #[test]
    fn sessions_open_find_and_close() {
        let sessions = Sessions::new();
        let (token, csrf) = sessions.open("abc", "hash");
        let found = sessions.get(&token).unwrap();
        assert_eq!((found.key_id.as_str(), found.csrf.as_str()), ("abc", csrf.as_str()));
        assert!(sessions.get(&random_token()).is_none());
        sessions.close(&token);
        assert!(sessions.get(&token).is_none());
    }

    #[test]
    fn cookies_are_read_and_written_with_their_flags() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; cdk_console=xyz; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, "c"), None);
        let plain = set_cookie("n", "v", Duration::from_secs(60), false);
        assert_eq!(plain, "n=v; Path=/console; Max-Age=60; HttpOnly; SameSite=Strict");
        assert!(set_cookie("n", "v", Duration::from_secs(60), true).ends_with("; Secure"));
        assert!(same_token("abc", "abc") && !same_token("abc", "abd") && !same_token("abc", "ab"));
    }
}
