//! crossdock's HTTP API (axum): parses and authenticates requests, turns them into `CommandRequest`s for
//! the store, and maps the outcome to HTTP. It holds no business rules: the engine decides, the store
//! commits. Errors are RFC 9457 problem documents; `/openapi.json` describes every route.

pub mod auth;
mod bodies;
mod bodies_returns;
pub mod console;
mod defaults;
mod handlers;
mod json;
pub mod openapi;
mod overview;
mod params;
pub mod pii;
pub mod problem;
mod prometheus;
mod responses;
pub mod routes;
pub mod tls;

pub use bodies::{
    AdjustmentBody, AllocateBody, CancelBody, CountBody, DeliveryBody, HoldBody, LocationBody, PlaceOrderBody,
    ReleaseBody, ReleaseHoldBody, ReturnBody, ShipmentBody,
};
pub use handlers::{
    DEFAULT_ROTATION_OVERLAP_SECS, DeadLetter, DeadLetterAction, DeadLetterList, IDEMPOTENT_REPLAYED, KpiResponse,
    MAX_ROTATION_OVERLAP_SECS, Quantiles, SystemKpi, SystemList, warm_kpis,
};
pub use overview::{Attempts, SubscriptionView, SystemView};
pub use problem::{ApiError, Problem};
pub use responses::{
    EventList, Health, LocationResponse, OrderList, OrderResponse, PositionList, PositionResponse, Receipt,
};
pub use routes::ROUTES;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use crossdock_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Default largest request body: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Default time a looked-up API key record is reused: short, so a revocation takes effect within it.
pub const DEFAULT_KEY_CACHE_TTL: Duration = Duration::from_millis(500);

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Largest request body in bytes; larger ones are refused with 413 before they are read.
    pub body_limit: usize,
    /// How long a looked-up API key record is reused (zero: look it up on every request).
    /// Keep it under a second: a revoked key keeps working for at most this long.
    pub key_cache_ttl: Duration,
    pub(crate) keys: Arc<auth::KeyCache>,
    /// Requests per minute a key may make unless its record sets its own (`None`: no default limit).
    pub rate_limit_per_minute: Option<std::num::NonZeroU32>,
    rate_limits: Arc<auth::KeyRateLimits>,
    /// The connected systems of `crossdock.toml` (inbound webhooks, `GET /v1/systems`); none by default.
    pub connect: Option<Arc<crossdock_connect::config::LoadedConnect>>,
    /// The dispatcher running in this process, if any: woken after each commit, and its live state
    /// (circuits, attempts, latency) shown on `GET /v1/systems` and `/metrics`.
    pub dispatcher: Option<crossdock_connect::dispatch::Dispatcher>,
    /// Trading partners (`[edi]`), for `POST /v1/edi/{partner}`; none by default.
    pub edi: Option<Arc<crossdock_connect::edi::EdiConfig>>,
    /// The KPI fold of the event log, advanced by each `GET /v1/kpis` from where the last one stopped.
    kpis: Arc<handlers::KpiCache>,
    /// The console's sessions, KPI history and cookie settings (`/console`).
    pub console: console::ConsoleState,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            body_limit: DEFAULT_BODY_LIMIT,
            key_cache_ttl: DEFAULT_KEY_CACHE_TTL,
            keys: Arc::new(auth::KeyCache::new()),
            rate_limit_per_minute: None,
            rate_limits: Arc::new(auth::KeyRateLimits::new()),
            connect: None,
            dispatcher: None,
            edi: None,
            kpis: Arc::new(handlers::KpiCache::new()),
            console: console::ConsoleState::default(),
        }
    }

    /// Tells the dispatcher (if one runs here) that new events are in the log. Call after every commit
    /// that wrote events; the dispatcher also polls, so a missed call only delays delivery.
    pub fn notify_committed(&self) {
        if let Some(dispatcher) = &self.dispatcher {
            dispatcher.waker().notify_one();
        }
    }
}

/// The whole API: every route of [`ROUTES`] and the console (`/console`), with request ids, tracing, panic
/// catching and the body limit.
pub fn app(state: AppState) -> Router {
    let body_limit = state.body_limit;
    let x_api_key = HeaderName::from_static("x-api-key");
    let layers = ServiceBuilder::new()
        .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION, x_api_key]))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(DefaultBodyLimit::max(body_limit));
    let api = routes::router(state.clone()).layer(SetResponseHeaderLayer::if_not_present(
        // API answers may carry PII (orders, events, exports): no cache keeps them, unless a handler
        // chose its own caching.
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ));
    let nosniff =
        SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    api.merge(console_headers(console::router(state))).layer(layers).layer(nosniff)
}

/// Console pages are never framed (clickjacking on the replay buttons) and never cached (they show orders
/// and dead letters); the assets keep their own `Cache-Control`. The CSP only forbids framing: htmx inserts
/// an inline style of its own, so a `style-src` or `script-src` policy needs more care than a header here.
fn console_headers(console: Router) -> Router {
    let set = |name, value| SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value));
    console
        .layer(set(header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

/// The span of one request: method, path and request id; never headers (keys travel in them).
fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
        key_id = tracing::field::Empty,
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "an internal error occurred; it has been logged")
        .into_response()
}

/// Serves the API on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Connect info gives handlers the client's address, recorded in the audit trail.
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await
}

/// Like [`serve`], but HTTPS only: each connection's TLS handshake (with `tls`, see [`tls::server_config`])
/// completes before its requests reach the API.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // `tap_io` (here doing nothing) is the listener wrapper axum gives connect info for any address type:
    // handlers then see the client's address as over plain HTTP, and the audit trail records it.
    let listener = tls::TlsListener::new(listener, tls)?.tap_io(|_| {});
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await
}
