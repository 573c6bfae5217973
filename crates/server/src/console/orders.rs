//! Orders: a filtered, paged list (by status, channel, or an order id), and one order's page with its
//! lines and quantities by state, its timeline of events, its sourcing decisions with their explanation,
//! and each connected system's deliveries of its events (a dead one can be retried from here).

use super::{ConsoleError, ConsoleUser, Layout, field, fields, render};
use crate::AppState;
use crate::routes::{DLQ_READ, ORDERS_READ, PII_READ};
use askama::Template;
use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use crossdock_model::{AggregateKind, Event, OrderId, OrderStatus};
use crossdock_store::{DeliveryStatus, OrderFilter};

/// Orders per page.
const PAGE: u32 = 50;
/// Most events, deliveries shown on one order's page.
const MAX_ROWS: u32 = 1_000;

pub struct OrderRow {
    pub id: String,
    pub channel: String,
    pub status: String,
    pub placed_at: String,
    pub lines: usize,
    pub ordered: u32,
    pub shipped: u32,
}

#[derive(Template)]
#[template(path = "console/orders.html")]
struct OrdersPage {
    layout: Layout,
    statuses: Vec<&'static str>,
    status: String,
    channel: String,
    q: String,
    message: Option<String>,
    rows: Vec<OrderRow>,
    next: Option<String>,
}

/// `GET /console/orders?status=&channel=&q=&after=`.
pub async fn list(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    user.require(ORDERS_READ)?;
    let query = fields(raw.as_deref().unwrap_or("").as_bytes());
    let mut message = None;
    if let Some(q) = field(&query, "q") {
        match OrderId::new(q) {
            Ok(id) if state.store.order(&id).await?.is_some() => {
                return Ok(Redirect::to(&format!("/console/orders/{}", urlencode(q))).into_response());
            }
            _ => message = Some(format!("no order has the id {q:?}")),
        }
    }
    let status = match field(&query, "status") {
        Some(s) => {
            Some(OrderStatus::parse(s).ok_or_else(|| ConsoleError::bad_request(format!("unknown status {s:?}")))?)
        }
        None => None,
    };
    let after_seq = match field(&query, "after") {
        Some(a) => {
            Some(a.parse::<i64>().map_err(|_| ConsoleError::bad_request(format!("after: {a:?} is not a number")))?)
        }
        None => None,
    };
    let channel = field(&query, "channel").map(str::to_string);
    let filter = OrderFilter { status, channel: channel.clone(), updated_since: None, after_seq, limit: PAGE + 1 };
    let mut found = state.store.list_orders(&filter).await?;
    let more = found.len() > PAGE as usize;
    found.truncate(PAGE as usize);
    let next = more.then(|| {
        let last = found.last().map_or(0, |r| r.last_seq);
        let mut link = format!("/console/orders?after={last}");
        if let Some(s) = status {
            link.push_str(&format!("&status={}", s.as_str()));
        }
        if let Some(c) = &channel {
            link.push_str(&format!("&channel={}", urlencode(c)));
        }
        link
    });
    let rows = found
        .into_iter()
        .map(|r| OrderRow {
            id: r.order.id.to_string(),
            channel: r.order.channel.to_string(),
            status: r.order.status.as_str().to_string(),
            placed_at: r.order.placed_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            lines: r.order.lines.len(),
            ordered: r.order.lines.iter().map(|l| l.quantities.ordered).sum(),
            shipped: r.order.lines.iter().map(|l| l.quantities.shipped).sum(),
        })
        .collect();
    let page = OrdersPage {
        layout: Layout::new(&user, "orders", "Orders"),
        statuses: OrderStatus::ALL.iter().map(|s| s.as_str()).collect(),
        status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        channel: channel.unwrap_or_default(),
        q: field(&query, "q").unwrap_or_default().to_string(),
        message,
        rows,
        next,
    };
    Ok(render(&page)?.into_response())
}

/// Percent-encodes a query or path value.
pub fn urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

pub struct LineRow {
    pub id: String,
    pub sku: String,
    pub q: [u32; 8],
    pub allocations: String,
}

pub struct TimelineRow {
    pub seq: i64,
    pub at: String,
    pub event_type: String,
    pub payload: String,
}

pub struct SourcingRow {
    pub seq: i64,
    pub at: String,
    pub allocations: String,
    pub summary: String,
    pub explanation: String,
}

pub struct DeliveryRow {
    pub id: i64,
    pub system: String,
    pub subscription: String,
    pub seq: i64,
    pub event_type: String,
    pub status: String,
    pub attempts: u32,
    pub last_error: String,
    pub dead: bool,
}

#[derive(Template)]
#[template(path = "console/order.html")]
struct OrderPage {
    layout: Layout,
    id: String,
    channel: String,
    external_id: String,
    status: String,
    placed_at: String,
    hold: String,
    lines: Vec<LineRow>,
    timeline: Vec<TimelineRow>,
    sourcing: Vec<SourcingRow>,
    can_deliveries: bool,
    deliveries: Vec<DeliveryRow>,
}

/// `GET /console/orders/{id}`.
pub async fn show(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    user.require(ORDERS_READ)?;
    let order_id = OrderId::new(&id).map_err(|e| ConsoleError::bad_request(format!("order id {id:?}: {e}")))?;
    let order = state
        .store
        .order(&order_id)
        .await?
        .ok_or_else(|| ConsoleError::not_found(format!("order {id} does not exist")))?;
    let lines = order
        .lines
        .iter()
        .map(|l| {
            let q = &l.quantities;
            LineRow {
                id: l.id.to_string(),
                sku: l.sku.to_string(),
                q: [q.ordered, q.allocated, q.released, q.shipped, q.delivered, q.returned, q.cancelled, q.backordered],
                allocations: l
                    .allocations
                    .iter()
                    .map(|a| {
                        format!(
                            "{}: {} allocated, {} released, {} shipped",
                            a.location, a.allocated, a.released, a.shipped
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        })
        .collect();
    let mut events = state.store.aggregate_events(AggregateKind::Order, order_id.as_str(), MAX_ROWS).await?;
    // The timeline shows payloads: without `pii:read` the customer's details are masked, as in the API.
    if !user.can(PII_READ) {
        events.iter_mut().for_each(crate::pii::mask_event);
    }
    let timeline = events
        .iter()
        .map(|e| TimelineRow {
            seq: e.seq,
            at: e.recorded_at.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
            event_type: e.event_type.clone(),
            payload: serde_json::to_string(&e.payload).unwrap_or_default(),
        })
        .collect();
    let sourcing = state
        .store
        .sourcing_decisions(&order_id)
        .await?
        .into_iter()
        .filter_map(|e| match e.payload {
            Event::OrderSourced { allocations, explanation, .. } => Some(SourcingRow {
                seq: e.seq,
                at: e.recorded_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                allocations: serde_json::to_string(&allocations).unwrap_or_default(),
                summary: explanation
                    .get("summary")
                    .and_then(|s| s.as_str())
                    .or_else(|| explanation.pointer("/error/message").and_then(|s| s.as_str()))
                    .unwrap_or("")
                    .to_string(),
                explanation: serde_json::to_string_pretty(&explanation).unwrap_or_default(),
            }),
            _ => None,
        })
        .collect();
    let can_deliveries = user.can(DLQ_READ);
    let deliveries = if can_deliveries {
        state
            .store
            .aggregate_deliveries(order_id.as_str(), MAX_ROWS)
            .await?
            .into_iter()
            .map(|d| DeliveryRow {
                id: d.id,
                system: d.system,
                subscription: d.subscription,
                seq: d.seq,
                event_type: d.event_type,
                status: d.status.as_str().to_string(),
                attempts: d.attempts,
                last_error: d.last_error.unwrap_or_default(),
                dead: d.status == DeliveryStatus::Dead,
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = OrderPage {
        layout: Layout::new(&user, "orders", format!("Order {id}")),
        id: order.id.to_string(),
        channel: order.channel.to_string(),
        external_id: order.external_id.to_string(),
        status: order.status.as_str().to_string(),
        placed_at: order.placed_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        hold: order.hold.clone().unwrap_or_default(),
        lines,
        timeline,
        sourcing,
        can_deliveries,
        deliveries,
    };
    render(&page)
}
