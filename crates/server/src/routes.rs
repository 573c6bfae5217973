//! The route table: every route with the scope it needs. The router is built from this table, so a
//! route cannot be served without its authentication, and tests walk the same table.

use crate::AppState;
use crate::auth::require_scope;
use crate::handlers;
use crate::problem::ApiError;
use axum::http::{Method, StatusCode};
use axum::routing::{MethodRouter, delete, get, post, put};
use axum::{Router, middleware};

// The scopes routes need (see `auth::SCOPES`; `admin` grants them all).
pub const ORDERS_READ: &str = "orders:read";
pub const ORDERS_WRITE: &str = "orders:write";
pub const INVENTORY_READ: &str = "inventory:read";
pub const INVENTORY_WRITE: &str = "inventory:write";
pub const EVENTS_READ: &str = "events:read";
pub const DLQ_READ: &str = "dlq:read";
pub const DLQ_REPLAY: &str = "dlq:replay";
pub const SYSTEMS_READ: &str = "systems:read";
pub const METRICS_READ: &str = "metrics:read";
pub const KPIS_READ: &str = "kpis:read";
pub const EDI_READ: &str = "edi:read";
pub const EDI_WRITE: &str = "edi:write";
pub const AUDIT_READ: &str = "audit:read";
pub const PII_READ: &str = crate::pii::PII_READ;
pub const PII_ERASE: &str = crate::pii::PII_ERASE;
pub const ADMIN: &str = "admin";

/// Every route: method, path (axum 0.8 syntax), and the scope a key needs (`None`: no key needed).
pub const ROUTES: &[(Method, &str, Option<&str>)] = &[
    (Method::GET, "/healthz", None),
    (Method::GET, "/readyz", None),
    (Method::GET, "/openapi.json", None),
    (Method::POST, "/v1/orders", Some(ORDERS_WRITE)),
    (Method::GET, "/v1/orders", Some(ORDERS_READ)),
    (Method::GET, "/v1/orders/{id}", Some(ORDERS_READ)),
    (Method::GET, "/v1/orders/{id}/sourcing", Some(ORDERS_READ)),
    (Method::POST, "/v1/orders/{id}/cancel", Some(ORDERS_WRITE)),
    (Method::POST, "/v1/orders/{id}/hold", Some(ORDERS_WRITE)),
    (Method::POST, "/v1/orders/{id}/release-hold", Some(ORDERS_WRITE)),
    (Method::POST, "/v1/orders/{id}/allocations", Some(ORDERS_WRITE)),
    (Method::POST, "/v1/orders/{id}/release", Some(ORDERS_WRITE)),
    (Method::POST, "/v1/orders/{id}/shipments", Some(ORDERS_WRITE)),
    (Method::POST, "/v1/orders/{id}/deliveries", Some(ORDERS_WRITE)),
    (Method::POST, "/v1/orders/{id}/returns", Some(ORDERS_WRITE)),
    (Method::POST, "/v1/orders/{id}/return-authorisations", Some(ORDERS_WRITE)),
    (Method::POST, "/v1/orders/{id}/cancel-answer", Some(ORDERS_WRITE)),
    (Method::POST, "/v1/inventory/adjustments", Some(INVENTORY_WRITE)),
    (Method::POST, "/v1/inventory/counts", Some(INVENTORY_WRITE)),
    (Method::GET, "/v1/inventory", Some(INVENTORY_READ)),
    (Method::GET, "/v1/availability/{id}", Some(INVENTORY_READ)),
    (Method::PUT, "/v1/locations/{id}", Some(INVENTORY_WRITE)),
    (Method::GET, "/v1/events", Some(EVENTS_READ)),
    (Method::GET, "/v1/dead-letters", Some(DLQ_READ)),
    (Method::GET, "/v1/dead-letters/{id}", Some(DLQ_READ)),
    (Method::POST, "/v1/dead-letters/{id}/replay", Some(DLQ_REPLAY)),
    (Method::POST, "/v1/dead-letters/{id}/discard", Some(DLQ_REPLAY)),
    (Method::POST, "/v1/dead-letters/replay", Some(DLQ_REPLAY)),
    (Method::POST, "/v1/dead-letters/discard", Some(DLQ_REPLAY)),
    (Method::GET, "/v1/systems", Some(SYSTEMS_READ)),
    (Method::GET, "/metrics", Some(METRICS_READ)),
    (Method::GET, "/v1/kpis", Some(KPIS_READ)),
    (Method::GET, "/v1/tax/report", Some(ORDERS_READ)),
    (Method::POST, "/v1/reconciliation/erp", Some(ORDERS_READ)),
    (Method::POST, "/v1/inventory/snapshots", Some(INVENTORY_WRITE)),
    (Method::POST, "/v1/edi/{partner}", Some(EDI_WRITE)),
    (Method::GET, "/v1/edi/interchanges", Some(EDI_READ)),
    (Method::GET, "/v1/edi/interchanges/{id}", Some(EDI_READ)),
    (Method::GET, "/v1/audit", Some(AUDIT_READ)),
    (Method::DELETE, "/v1/customers/{id}/pii", Some(PII_ERASE)),
    (Method::GET, "/v1/customers/{id}/export", Some(PII_READ)),
    (Method::GET, "/v1/keys", Some(ADMIN)),
    (Method::POST, "/v1/keys", Some(ADMIN)),
    (Method::POST, "/v1/keys/{id}/rotate", Some(ADMIN)),
    (Method::POST, "/v1/keys/{id}/revoke", Some(ADMIN)),
    // Authenticated by the system's webhook signature (see `handlers::receive_inbound`); a key, when one is
    // presented as well, must carry `inbound:<system>`.
    (Method::POST, "/v1/inbound/{system}", None),
];

/// The handler serving `method path`. Panics for a route of the table without a handler here, which
/// every test that builds the app would show.
fn handler(method: &Method, path: &str) -> MethodRouter<AppState> {
    match (method.as_str(), path) {
        ("GET", "/healthz") => get(handlers::healthz),
        ("GET", "/readyz") => get(handlers::readyz),
        ("GET", "/openapi.json") => get(handlers::openapi_document),
        ("POST", "/v1/orders") => post(handlers::place_order),
        ("GET", "/v1/orders") => get(handlers::list_orders),
        ("GET", "/v1/orders/{id}") => get(handlers::get_order),
        ("GET", "/v1/orders/{id}/sourcing") => get(handlers::get_sourcing),
        ("POST", "/v1/orders/{id}/cancel") => post(handlers::cancel_order),
        ("POST", "/v1/orders/{id}/hold") => post(handlers::hold_order),
        ("POST", "/v1/orders/{id}/release-hold") => post(handlers::release_hold),
        ("POST", "/v1/orders/{id}/allocations") => post(handlers::allocate_lines),
        ("POST", "/v1/orders/{id}/release") => post(handlers::release_to_warehouse),
        ("POST", "/v1/orders/{id}/shipments") => post(handlers::confirm_shipment),
        ("POST", "/v1/orders/{id}/deliveries") => post(handlers::confirm_delivery),
        ("POST", "/v1/orders/{id}/returns") => post(handlers::record_return),
        ("POST", "/v1/orders/{id}/return-authorisations") => post(handlers::authorise_return),
        ("POST", "/v1/orders/{id}/cancel-answer") => post(handlers::answer_cancel_request),
        ("POST", "/v1/inventory/adjustments") => post(handlers::adjust_inventory),
        ("POST", "/v1/inventory/counts") => post(handlers::count_inventory),
        ("GET", "/v1/inventory") => get(handlers::list_inventory),
        ("GET", "/v1/availability/{id}") => get(handlers::get_availability),
        ("PUT", "/v1/locations/{id}") => put(handlers::put_location),
        ("GET", "/v1/events") => get(handlers::list_events),
        ("GET", "/v1/dead-letters") => get(handlers::list_dead_letters),
        ("GET", "/v1/dead-letters/{id}") => get(handlers::get_dead_letter),
        ("POST", "/v1/dead-letters/{id}/replay") => post(handlers::replay_dead_letter),
        ("POST", "/v1/dead-letters/{id}/discard") => post(handlers::discard_dead_letter),
        ("POST", "/v1/dead-letters/replay") => post(handlers::replay_dead_letters),
        ("POST", "/v1/dead-letters/discard") => post(handlers::discard_dead_letters),
        ("GET", "/v1/systems") => get(handlers::list_systems),
        ("GET", "/metrics") => get(handlers::metrics),
        ("GET", "/v1/kpis") => get(handlers::get_kpis),
        ("GET", "/v1/tax/report") => get(handlers::get_tax_report),
        ("POST", "/v1/reconciliation/erp") => post(handlers::reconcile_erp_export),
        ("POST", "/v1/inventory/snapshots") => post(handlers::apply_snapshot),
        ("POST", "/v1/edi/{partner}") => post(handlers::receive_edi),
        ("GET", "/v1/edi/interchanges") => get(handlers::list_edi_interchanges),
        ("GET", "/v1/edi/interchanges/{id}") => get(handlers::get_edi_interchange),
        ("GET", "/v1/audit") => get(handlers::list_audit),
        ("DELETE", "/v1/customers/{id}/pii") => delete(handlers::erase_customer_pii),
        ("GET", "/v1/customers/{id}/export") => get(handlers::export_customer),
        ("GET", "/v1/keys") => get(handlers::list_keys),
        ("POST", "/v1/keys") => post(handlers::create_key),
        ("POST", "/v1/keys/{id}/rotate") => post(handlers::rotate_key),
        ("POST", "/v1/keys/{id}/revoke") => post(handlers::revoke_key),
        ("POST", "/v1/inbound/{system}") => post(handlers::receive_inbound),
        _ => panic!("route {method} {path} is in ROUTES but has no handler in routes::handler"),
    }
}

/// The router of every route in [`ROUTES`], each guarded by its scope.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (method, path, scope) in ROUTES {
        let mut route = handler(method, path);
        if let Some(scope) = scope {
            route = route.route_layer(middleware::from_fn_with_state((state.clone(), *scope), require_scope));
        }
        router = router.route(path, route);
    }
    router.fallback(not_found).method_not_allowed_fallback(method_not_allowed).with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such route; see /openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take this method")
}
