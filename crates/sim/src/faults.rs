//! Injected faults of a simulated system, as the hub sees them: latency on every answer, an error rate
//! (answered 500), and outage windows on the simulated clock in which the system refuses connections or
//! holds requests until the caller times out. During an outage the system also stops its own work.

use crate::clock::{SimClock, hours};
use crate::stats::{Stats, bump};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// Longest added latency accepted, in milliseconds.
pub const MAX_LATENCY_MS: u64 = 60_000;
/// Longest a request is held during a timing-out outage (real time); the caller has given up long before.
pub const MAX_HOLD: Duration = Duration::from_secs(30);

/// How a system misbehaves. All zero by default: a perfect system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Real milliseconds added before every answer.
    pub latency_ms: u64,
    /// Up to this many more milliseconds, uniformly.
    pub jitter_ms: u64,
    /// Share of requests (0 to 1) answered 500.
    pub error_rate: f64,
    pub outages: Vec<Outage>,
}

/// A window of simulated time in which the system is down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outage {
    /// Simulated hours after the clock's origin when the outage starts.
    pub start_hour: f64,
    /// How many simulated hours it lasts.
    pub hours: f64,
    pub mode: OutageMode,
}

/// What the system does while down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutageMode {
    /// New connections are closed at once; requests on open connections get 503 and `Connection: close`.
    Refuse,
    /// Requests are held (up to the outage's end, at most [`MAX_HOLD`]) and then answered 504.
    Timeout,
}

impl FaultConfig {
    /// Every problem of the configuration, prefixed with `at` (e.g. `wms.faults`).
    pub fn problems(&self, at: &str) -> Vec<String> {
        let mut problems = Vec::new();
        if self.latency_ms > MAX_LATENCY_MS || self.jitter_ms > MAX_LATENCY_MS {
            problems.push(format!("{at}: latency_ms and jitter_ms may be at most {MAX_LATENCY_MS}"));
        }
        if !self.error_rate.is_finite() || !(0.0..=1.0).contains(&self.error_rate) {
            problems.push(format!("{at}.error_rate is {}; a share from 0 to 1 is needed", self.error_rate));
        }
        for (i, o) in self.outages.iter().enumerate() {
            if !o.start_hour.is_finite() || o.start_hour < 0.0 || !o.hours.is_finite() || o.hours <= 0.0 {
                problems.push(format!("{at}.outages[{i}]: start_hour must be ≥ 0 and hours > 0"));
            }
        }
        problems
    }
}

/// The faults of one running system: its configuration, the simulated clock and a seeded dice.
#[derive(Debug)]
pub struct Faults {
    config: FaultConfig,
    clock: SimClock,
    dice: Mutex<StdRng>,
    stats: Arc<Stats>,
}

impl Faults {
    pub fn new(config: FaultConfig, clock: SimClock, seed: u64, stats: Arc<Stats>) -> Self {
        Self { config, clock, dice: Mutex::new(StdRng::seed_from_u64(seed)), stats }
    }

    /// No faults at all.
    pub fn none(clock: SimClock, stats: Arc<Stats>) -> Self {
        Self::new(FaultConfig::default(), clock, 0, stats)
    }

    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// The outage in force at simulated time `at`, with its end.
    pub fn outage_at(&self, at: DateTime<Utc>) -> Option<(OutageMode, DateTime<Utc>)> {
        let origin = self.clock.origin();
        self.config.outages.iter().find_map(|o| {
            let start = origin.checked_add_signed(hours(o.start_hour))?;
            let end = start.checked_add_signed(hours(o.hours))?;
            (start <= at && at < end).then_some((o.mode, end))
        })
    }

    /// The outage in force now.
    pub fn outage_now(&self) -> Option<(OutageMode, DateTime<Utc>)> {
        self.outage_at(self.clock.now())
    }

    /// Whether this request is to fail on purpose.
    pub fn roll_error(&self) -> bool {
        let rate = self.config.error_rate;
        if rate.is_nan() || rate <= 0.0 {
            return false;
        }
        self.dice.lock().map(|mut d| d.random::<f64>() < rate).unwrap_or(false)
    }

    /// The latency to add to one answer.
    pub fn latency(&self) -> Duration {
        let jitter = match self.config.jitter_ms {
            0 => 0,
            j => self.dice.lock().map(|mut d| d.random_range(0..=j)).unwrap_or(0),
        };
        Duration::from_millis(self.config.latency_ms.min(MAX_LATENCY_MS) + jitter.min(MAX_LATENCY_MS))
    }
}

/// Middleware applying the faults to every request of a system's router.
pub async fn apply_faults(State(faults): State<Arc<Faults>>, request: Request, next: Next) -> Response {
    if let Some((mode, end)) = faults.outage_now() {
        return match mode {
            OutageMode::Refuse => {
                bump(&faults.stats.outage_refused);
                let mut response = (StatusCode::SERVICE_UNAVAILABLE, "down for an outage").into_response();
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
                response
            }
            OutageMode::Timeout => {
                bump(&faults.stats.outage_timeouts);
                tokio::time::sleep(faults.clock.real_until(end).min(MAX_HOLD)).await;
                (StatusCode::GATEWAY_TIMEOUT, "timed out during an outage").into_response()
            }
        };
    }
    let latency = faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if faults.roll_error() {
        bump(&faults.stats.injected_errors);
        return (StatusCode::INTERNAL_SERVER_ERROR, "injected error").into_response();
    }
    next.run(request).await
}

/// A TCP listener that closes new connections at once while a refusing outage is in force.
pub struct FaultyListener {
    inner: TcpListener,
    faults: Arc<Faults>,
}

impl FaultyListener {
    pub fn new(inner: TcpListener, faults: Arc<Faults>) -> Self {
        Self { inner, faults }
    }
}

impl axum::serve::Listener for FaultyListener {
    type Io = TcpStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    if matches!(self.faults.outage_now(), Some((OutageMode::Refuse, _))) {
                        bump(&self.faults.stats.outage_refused);
                        drop(stream);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    return (stream, addr);
                }
                // Out of file descriptors and the like: back off briefly, as axum's own listener does.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(config: FaultConfig) -> Faults {
        let clock = SimClock::new(DateTime::UNIX_EPOCH, 1.0).unwrap();
        Faults::new(config, clock, 1, Arc::new(Stats::default()))
    }

    #[test]
    fn outage_windows_follow_the_simulated_clock() {
        let f = faults(FaultConfig {
            outages: vec![Outage { start_hour: 2.0, hours: 1.0, mode: OutageMode::Timeout }],
            ..Default::default()
        });
        let at = |h: i64| DateTime::UNIX_EPOCH + chrono::TimeDelta::minutes(h);
        assert!(f.outage_at(at(119)).is_none());
        assert_eq!(f.outage_at(at(150)).map(|o| o.0), Some(OutageMode::Timeout));
        assert!(f.outage_at(at(180)).is_none());
        assert!(f.outage_now().is_none());
        f.clock().advance(chrono::TimeDelta::minutes(130));
        assert!(f.outage_now().is_some());
    }

    #[test]
    fn error_rate_is_roughly_kept() {
        let f = faults(FaultConfig { error_rate: 0.3, ..Default::default() });
        let errors = (0..10_000).filter(|_| f.roll_error()).count();
        assert!((2700..3300).contains(&errors), "{errors}");
        assert!(!faults(FaultConfig::default()).roll_error());
    }

    #[test]
    fn bad_configs_are_named() {
        let config = FaultConfig {
            error_rate: 1.5,
            latency_ms: MAX_LATENCY_MS + 1,
            outages: vec![Outage { start_hour: -1.0, hours: 0.0, mode: OutageMode::Refuse }],
            ..Default::default()
        };
        let problems = config.problems("wms.faults");
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[1].starts_with("wms.faults.error_rate"));
    }
}
