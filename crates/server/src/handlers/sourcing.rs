//! Sourcing routes: every sourcing decision the hub made for an order, with its explanation, and the stock of a
//! sku available to promise per location and across the network.

use super::common::ReadProblems;
use crate::AppState;
use crate::params::{PathId, QueryParams};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::{RawQuery, State};
use chrono::{DateTime, Utc};
use crossdock_model::{Event, LineMovement, LocationId, OrderId, Sku, SourcingOptions};
use serde::Serialize;
use utoipa::ToSchema;

/// One sourcing decision: what it allocated where, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourcingDecisionResponse {
    /// Sequence number of the `order.sourced` event that records the decision.
    pub seq: i64,
    pub recorded_at: DateTime<Utc>,
    /// Units allocated by this decision (none when nothing was available).
    pub allocations: Vec<LineMovement>,
    /// Destination, every candidate location with its shipping and handling costs and status, the solver,
    /// the reason and a summary; `{"error": {code, message}}` when the order could not be sourced.
    #[schema(value_type = Object)]
    pub explanation: serde_json::Value,
}

/// `GET /v1/orders/{id}/sourcing`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourcingResponse {
    pub order_id: OrderId,
    /// The order's sourcing mode and rules.
    pub sourcing: SourcingOptions,
    /// Oldest first: the decision at placement, then each backorder refill.
    pub decisions: Vec<SourcingDecisionResponse>,
}

/// How an order was sourced: every decision with its candidates, costs and reason.
#[utoipa::path(
    get, path = "/v1/orders/{id}/sourcing", tag = "orders",
    params(("id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order's sourcing decisions", body = SourcingResponse),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        ReadProblems,
    ),
    security(("api_key" = ["orders:read"]))
)]
pub async fn get_sourcing(
    State(state): State<AppState>,
    PathId(id): PathId<OrderId>,
) -> Result<Json<SourcingResponse>, ApiError> {
    let order = state
        .store
        .order(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("order_not_found", format!("order {id} does not exist")))?;
    let decisions = state
        .store
        .sourcing_decisions(&id)
        .await?
        .into_iter()
        .filter_map(|recorded| match recorded.payload {
            Event::OrderSourced { allocations, explanation, .. } => Some(SourcingDecisionResponse {
                seq: recorded.seq,
                recorded_at: recorded.recorded_at,
                allocations,
                explanation,
            }),
            _ => None,
        })
        .collect();
    Ok(Json(SourcingResponse { order_id: order.id, sourcing: order.sourcing, decisions }))
}

/// A sku's stock at one location.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LocationAvailability {
    pub location: LocationId,
    pub on_hand: i64,
    pub reserved: i64,
    pub safety_stock: i64,
    pub in_transit: i64,
    /// On hand − reserved − safety stock, never below zero.
    pub available: i64,
}

/// `GET /v1/availability/{id}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AvailabilityResponse {
    pub sku: Sku,
    /// The channel asked for (`?channel=`), whose location group limits the locations counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub channel: Option<crossdock_model::ChannelId>,
    /// Available to promise across the locations counted: every location holding the sku, or the channel's
    /// location group when the channel is limited to one.
    pub available: i64,
    pub locations: Vec<LocationAvailability>,
}

/// Stock of a sku available to promise, per location and across the network, or (with `?channel=`) across
/// the channel's location group (configured in `[[channels]]`; a channel without a group sees every location).
#[utoipa::path(
    get, path = "/v1/availability/{id}", tag = "inventory",
    params(
        ("id" = String, Path, description = "Sku"),
        ("channel" = Option<String>, Query, description = "Only the locations this channel may sell from"),
    ),
    responses((status = 200, description = "The sku's ATP", body = AvailabilityResponse), ReadProblems),
    security(("api_key" = ["inventory:read"]))
)]
pub async fn get_availability(
    State(state): State<AppState>,
    PathId(sku): PathId<Sku>,
    RawQuery(raw): RawQuery,
) -> Result<Json<AvailabilityResponse>, ApiError> {
    let query = QueryParams::parse(raw.as_deref(), &["channel"])?;
    let channel = query.parsed("channel", |v| crossdock_model::ChannelId::new(v))?;
    let policy = state.store.policy();
    let group = channel.as_ref().and_then(|c| policy.channel_locations(c));
    let positions = state.store.inventory(Some(&sku), None).await?;
    let counted: Vec<_> = positions.iter().filter(|p| group.is_none_or(|g| g.contains(&p.location))).collect();
    let available = crossdock_engine::availability::channel_available(counted.iter().copied(), &sku, group);
    let locations: Vec<LocationAvailability> = counted
        .iter()
        .map(|p| LocationAvailability {
            location: p.location.clone(),
            on_hand: p.on_hand,
            reserved: p.reserved,
            safety_stock: p.safety_stock,
            in_transit: p.in_transit,
            available: p.available(),
        })
        .collect();
    Ok(Json(AvailabilityResponse { sku, channel, available, locations }))
}
