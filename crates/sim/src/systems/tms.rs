//! The carrier (TMS): on `order.shipment_confirmed` for a parcel it carries it looks up the destination,
//! works out the zone from the origin site and the ship-to ZIP3, and after the simulated transit time
//! confirms delivery with `POST /v1/orders/{id}/deliveries` (delivered_at in simulated time). It keeps a
//! tracking history per parcel and quotes rates by zone on `GET /rates?from=&to=&weight_grams=`.

use super::{Context, SimSystem};
use crate::agenda::{Agenda, MAX_JOB_RETRIES, spawn_runner};
use crate::catalog::Site;
use crate::clock::{hours, later};
use crate::faults::FaultConfig;
use crate::geo::{distance_km, ground_transit_days, zip3_of, zone_for_km};
use crate::hub::{HubError, OrderAction};
use crate::webhook::{EventHandler, Handled};
use crate::world::Seen;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use crossdock_model::{Event, RecordedEvent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How the carrier moves parcels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TmsConfig {
    /// Carriers whose parcels this TMS tracks (others, such as store pickups, are not its business).
    pub carriers: Vec<String>,
    /// Simulated hours from shipment to first scan.
    pub pickup_hours: f64,
    /// Share of parcels delayed by a day.
    pub delay_rate: f64,
    /// Deliveries confirmed at once.
    pub concurrency: usize,
    pub faults: FaultConfig,
}

impl Default for TmsConfig {
    fn default() -> Self {
        Self {
            carriers: vec!["SimParcel".into()],
            pickup_hours: 4.0,
            delay_rate: 0.05,
            concurrency: 32,
            faults: FaultConfig::default(),
        }
    }
}

impl TmsConfig {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.faults.problems("tms.faults");
        if !self.pickup_hours.is_finite() || self.pickup_hours < 0.0 {
            problems.push("tms.pickup_hours must be finite and at least 0".into());
        }
        if !self.delay_rate.is_finite() || !(0.0..=1.0).contains(&self.delay_rate) {
            problems.push("tms.delay_rate must be from 0 to 1".into());
        }
        if !(1..=1024).contains(&self.concurrency) {
            problems.push("tms.concurrency must be 1 to 1024".into());
        }
        problems
    }
}

/// A rate quote for one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateOption {
    pub service: String,
    pub price_minor: i64,
    pub currency: String,
    pub transit_days: u32,
}

/// Rate quotes between two ZIP codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub zone: u8,
    pub options: Vec<RateOption>,
}

/// Quotes ground, two-day and overnight service for a parcel, priced by zone and weight.
pub fn quote(from_postal: &str, to_postal: &str, weight_grams: u32) -> Result<Quote, String> {
    let from = zip3_of(from_postal).ok_or_else(|| format!("{from_postal:?} is not a known US ZIP code"))?;
    let to = zip3_of(to_postal).ok_or_else(|| format!("{to_postal:?} is not a known US ZIP code"))?;
    if weight_grams == 0 || weight_grams > 70_000 {
        return Err(format!("weight {weight_grams} g is outside 1 to 70000"));
    }
    let zone = zone_for_km(distance_km((from.lat, from.lon), (to.lat, to.lon)));
    let pounds = i64::from(weight_grams.div_ceil(454));
    let ground = 750 + 85 * i64::from(zone) + 40 * pounds * i64::from(zone);
    let option = |service: &str, price_minor: i64, transit_days: u32| RateOption {
        service: service.into(),
        price_minor,
        currency: "USD".into(),
        transit_days,
    };
    Ok(Quote {
        zone,
        options: vec![
            option("ground", ground, ground_transit_days(zone)),
            option("2day", ground * 2 + 500, 2),
            option("overnight", ground * 4 + 1500, 1),
        ],
    })
}

/// A parcel on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parcel {
    order_id: String,
    shipment_id: String,
    origin: String,
    shipped_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TmsJob {
    /// Look up the destination and plan the delivery.
    Route(Parcel),
    Deliver {
        parcel: Parcel,
        delivered_at: DateTime<Utc>,
    },
}

/// A scan of a parcel: when, and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackingEvent {
    pub at: DateTime<Utc>,
    pub status: String,
}

/// The carrier.
pub struct Tms {
    context: Context,
    config: TmsConfig,
    sites: Arc<Vec<Site>>,
    agenda: Arc<Agenda<(TmsJob, u32)>>,
    seen: Seen<String>,
    dice: Mutex<StdRng>,
    tracking: Mutex<HashMap<String, Vec<TrackingEvent>>>,
}

impl Tms {
    pub fn new(context: Context, config: TmsConfig, sites: Arc<Vec<Site>>) -> Self {
        let dice = Mutex::new(StdRng::seed_from_u64(context.seed ^ 0x7375));
        Self {
            context,
            config,
            sites,
            agenda: Arc::new(Agenda::new(1_000_000)),
            seen: Seen::new(1_000_000),
            dice,
            tracking: Mutex::default(),
        }
    }

    /// Parcels not yet delivered.
    pub fn pending(&self) -> usize {
        self.agenda.pending()
    }

    /// The scans of a shipment.
    pub fn tracking(&self, shipment_id: &str) -> Vec<TrackingEvent> {
        self.tracking.lock().ok().and_then(|t| t.get(shipment_id).cloned()).unwrap_or_default()
    }

    fn scan(&self, shipment_id: &str, at: DateTime<Utc>, status: &str) {
        if let Ok(mut tracking) = self.tracking.lock() {
            tracking.entry(shipment_id.to_string()).or_default().push(TrackingEvent { at, status: status.into() });
        }
    }

    async fn run(&self, (job, retries): (TmsJob, u32)) {
        let result = match &job {
            TmsJob::Route(parcel) => self.route(parcel).await,
            TmsJob::Deliver { parcel, delivered_at } => self.deliver(parcel, *delivered_at).await,
        };
        if let Err(e) = result {
            self.context.warn("a delivery", &e);
            if !matches!(e, HubError::Unavailable { .. }) {
                return;
            }
            if retries >= MAX_JOB_RETRIES {
                self.context.stats.note_error(format!("tms gave up on {job:?}"));
            } else if self.agenda.schedule(self.context.clock.in_hours(1.0), (job, retries + 1)).is_err() {
                self.context.stats.note_error("tms agenda full; a parcel is dropped".into());
            }
        }
    }

    /// Plans a parcel's delivery: transit by zone from the origin site to the ship-to ZIP3.
    async fn route(&self, parcel: &Parcel) -> Result<(), HubError> {
        let Some(order) = self.context.hub.order(&parcel.order_id).await? else { return Ok(()) };
        let origin = self.sites.iter().find(|s| s.id == parcel.origin).map(|s| s.coordinates());
        let destination = zip3_of(&order.ship_to.postal_code).map(|z| (z.lat, z.lon));
        let zone = match (origin, destination) {
            (Some(o), Some(d)) => zone_for_km(distance_km(o, d)),
            _ => 5,
        };
        let delayed = self.dice.lock().map(|mut d| d.random::<f64>() < self.config.delay_rate).unwrap_or(false);
        let days = ground_transit_days(zone) + u32::from(delayed);
        let picked_up = later(parcel.shipped_at, hours(self.config.pickup_hours));
        // Delivered in the afternoon of the last transit day.
        let delivered_at = later(picked_up, hours(f64::from(days) * 24.0 - 8.0).max(hours(6.0)));
        self.scan(&parcel.shipment_id, picked_up, &format!("picked up (zone {zone})"));
        let job = TmsJob::Deliver { parcel: parcel.clone(), delivered_at };
        if self.agenda.schedule(delivered_at, (job, 0)).is_err() {
            self.context.stats.note_error("tms agenda full; a parcel is dropped".into());
        }
        Ok(())
    }

    async fn deliver(&self, parcel: &Parcel, delivered_at: DateTime<Utc>) -> Result<(), HubError> {
        let body = json!({"shipment_id": parcel.shipment_id, "delivered_at": delivered_at});
        let key = format!("tms:deliver:{}", parcel.shipment_id);
        match self.context.hub.order_command(&parcel.order_id, OrderAction::Deliver, &key, &body).await {
            Ok(_) => {
                self.scan(&parcel.shipment_id, delivered_at, "delivered");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

impl EventHandler for Tms {
    fn handle_event(&self, event: &RecordedEvent) -> Handled {
        let Event::ShipmentConfirmed { order_id, shipment } = &event.payload else { return Handled::Ignored };
        if !self.config.carriers.iter().any(|c| c.eq_ignore_ascii_case(&shipment.carrier)) {
            return Handled::Ignored;
        }
        if !self.seen.first_time(shipment.id.to_string()) {
            return Handled::Accepted;
        }
        let parcel = Parcel {
            order_id: order_id.to_string(),
            shipment_id: shipment.id.to_string(),
            origin: shipment.location.to_string(),
            shipped_at: shipment.shipped_at,
        };
        self.scan(&parcel.shipment_id, shipment.shipped_at, "label created");
        match self.agenda.schedule(self.context.clock.now(), (TmsJob::Route(parcel), 0)) {
            Ok(()) => Handled::Accepted,
            Err(_) => Handled::Busy,
        }
    }
}

#[derive(Debug, Deserialize)]
struct RateQuery {
    from: String,
    to: String,
    #[serde(default = "default_weight")]
    weight_grams: u32,
}

fn default_weight() -> u32 {
    1000
}

async fn rates(query: Result<Query<RateQuery>, axum::extract::rejection::QueryRejection>) -> Response {
    let Ok(Query(query)) = query else {
        let error = "query needs from and to (ZIP codes) and may give weight_grams";
        return (StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response();
    };
    match quote(&query.from, &query.to, query.weight_grams) {
        Ok(quote) => Json(quote).into_response(),
        Err(error) => (StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response(),
    }
}

async fn tracking(State(tms): State<Arc<Tms>>, axum::extract::Path(id): axum::extract::Path<String>) -> Response {
    let events = tms.tracking(&id);
    if events.is_empty() {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "no such parcel"}))).into_response();
    }
    Json(json!({"shipment_id": id, "events": events})).into_response()
}

impl SimSystem for Tms {
    fn context(&self) -> &Context {
        &self.context
    }

    fn role(&self) -> &'static str {
        "tms"
    }

    fn subscribes_to(&self) -> &'static [&'static str] {
        &["order.shipment_confirmed"]
    }

    fn routes(self: Arc<Self>) -> Router {
        Router::new().route("/rates", get(rates)).route("/tracking/{shipment_id}", get(tracking)).with_state(self)
    }

    fn spawn_tasks(self: Arc<Self>, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        let this = self.clone();
        vec![spawn_runner(
            self.agenda.clone(),
            self.context.faults.clone(),
            stop,
            self.config.concurrency,
            move |job| {
                let this = this.clone();
                async move { this.run(job).await }
            },
        )]
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_grow_with_distance_and_refuse_nonsense() {
        let near = super::quote("10001", "10010", 1000).unwrap();
        let far = super::quote("10001", "94103", 1000).unwrap();
        assert_eq!((near.zone, far.zone), (2, 8));
        assert!(far.options[0].price_minor > near.options[0].price_minor);
        assert!(far.options[0].transit_days > near.options[0].transit_days);
        assert!(super::quote("00000", "10001", 1).is_err());
        assert!(super::quote("10001", "x", 1).is_err());
        assert!(super::quote("10001", "10001", 0).is_err());
    }
}
