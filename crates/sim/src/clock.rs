//! The simulated clock: simulated time runs `factor` times faster than real time (3,600: one simulated
//! hour per real second), so days of fulfilment pass in seconds. Every timestamp the simulated systems
//! send (placed_at, shipped_at, delivered_at, received_at) is read from it; tests may jump it ahead.

use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

/// Largest time factor accepted: beyond it one real millisecond is more than a simulated day.
pub const MAX_FACTOR: f64 = 100_000_000.0;
/// Longest real wait the clock converts to (longer simulated spans are capped).
const MAX_REAL_WAIT: Duration = Duration::from_secs(24 * 3600);

/// A simulated clock shared by all systems of a network. Clones share the same time.
#[derive(Debug, Clone)]
pub struct SimClock {
    origin_real: Instant,
    origin_sim: DateTime<Utc>,
    factor: f64,
    /// Milliseconds of simulated time added by [`SimClock::advance`].
    skipped_ms: Arc<AtomicI64>,
}

impl SimClock {
    /// A clock that reads `origin` now and runs `factor` times faster than real time. A factor that is not
    /// a finite number in (0, [`MAX_FACTOR`]] is refused.
    pub fn new(origin: DateTime<Utc>, factor: f64) -> Result<Self, String> {
        if !factor.is_finite() || factor <= 0.0 || factor > MAX_FACTOR {
            return Err(format!("time factor {factor} is not a number in (0, {MAX_FACTOR}]"));
        }
        Ok(Self { origin_real: Instant::now(), origin_sim: origin, factor, skipped_ms: Arc::new(AtomicI64::new(0)) })
    }

    /// A clock starting at the current real time.
    pub fn starting_now(factor: f64) -> Result<Self, String> {
        Self::new(Utc::now(), factor)
    }

    /// Simulated seconds per real second.
    pub fn factor(&self) -> f64 {
        self.factor
    }

    /// The simulated time when the clock was made.
    pub fn origin(&self) -> DateTime<Utc> {
        self.origin_sim
    }

    /// Simulated time elapsed since the origin.
    pub fn elapsed(&self) -> TimeDelta {
        let real_ms = self.origin_real.elapsed().as_secs_f64() * 1000.0;
        let sim_ms = (real_ms * self.factor).min(i64::MAX as f64 / 2.0) as i64;
        TimeDelta::milliseconds(sim_ms.saturating_add(self.skipped_ms.load(Ordering::Relaxed)))
    }

    /// The simulated time now.
    pub fn now(&self) -> DateTime<Utc> {
        self.origin_sim.checked_add_signed(self.elapsed()).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Moves simulated time ahead by `span` at once (for tests and fast-forwarding); negative spans are ignored.
    pub fn advance(&self, span: TimeDelta) {
        if span > TimeDelta::zero() {
            self.skipped_ms.fetch_add(span.num_milliseconds(), Ordering::Relaxed);
        }
    }

    /// The real time a simulated span takes (zero for negative spans, capped at a day).
    pub fn to_real(&self, span: TimeDelta) -> Duration {
        let sim_secs = span.num_milliseconds() as f64 / 1000.0;
        if sim_secs <= 0.0 {
            return Duration::ZERO;
        }
        Duration::try_from_secs_f64(sim_secs / self.factor).unwrap_or(MAX_REAL_WAIT).min(MAX_REAL_WAIT)
    }

    /// The simulated span a real duration amounts to.
    pub fn to_sim(&self, real: Duration) -> TimeDelta {
        let ms = (real.as_secs_f64() * 1000.0 * self.factor).min(i64::MAX as f64 / 2.0);
        TimeDelta::milliseconds(ms as i64)
    }

    /// Real time left until simulated time `when` (zero when it has passed).
    pub fn real_until(&self, when: DateTime<Utc>) -> Duration {
        self.to_real(when.signed_duration_since(self.now()))
    }

    /// The simulated time `h` hours from now.
    pub fn in_hours(&self, h: f64) -> DateTime<Utc> {
        later(self.now(), hours(h))
    }

    /// Sleeps for a simulated span.
    pub async fn sleep(&self, span: TimeDelta) {
        tokio::time::sleep(self.to_real(span)).await;
    }
}

/// Longest simulated span [`hours`] gives: a hundred years.
const MAX_HOURS: f64 = 100.0 * 365.25 * 24.0;

/// A simulated span of `hours` (fractions allowed; not finite or negative: zero; at most a hundred years).
pub fn hours(hours: f64) -> TimeDelta {
    if !hours.is_finite() || hours <= 0.0 {
        return TimeDelta::zero();
    }
    TimeDelta::milliseconds((hours.min(MAX_HOURS) * 3_600_000.0) as i64)
}

/// `at` plus `span`, saturating at the last representable time instead of overflowing.
pub fn later(at: DateTime<Utc>, span: TimeDelta) -> DateTime<Utc> {
    at.checked_add_signed(span).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Sleeps `wait` (real time) or until `stop` changes, whichever comes first; true when the simulation is
/// stopping.
pub(crate) async fn pause(wait: std::time::Duration, stop: &mut tokio::sync::watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = stop.changed() => {}
    }
    *stop.borrow()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_is_validated() {
        assert!(SimClock::starting_now(3600.0).is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, MAX_FACTOR * 2.0] {
            assert!(SimClock::starting_now(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn simulated_spans_convert_to_real_time() {
        let clock = SimClock::starting_now(3600.0).unwrap();
        assert_eq!(clock.to_real(TimeDelta::hours(2)), Duration::from_secs(2));
        assert_eq!(clock.to_real(TimeDelta::hours(-2)), Duration::ZERO);
        assert_eq!(clock.to_sim(Duration::from_secs(3)), TimeDelta::hours(3));
        assert_eq!(hours(1.5), TimeDelta::minutes(90));
        assert_eq!(hours(f64::NAN), TimeDelta::zero());
    }

    #[test]
    fn advance_moves_every_clone() {
        let clock = SimClock::new(DateTime::UNIX_EPOCH, 1.0).unwrap();
        let other = clock.clone();
        clock.advance(TimeDelta::days(2));
        assert!(other.now() >= DateTime::UNIX_EPOCH + TimeDelta::days(2));
        assert!(other.now() < DateTime::UNIX_EPOCH + TimeDelta::days(2) + TimeDelta::minutes(1));
    }
}
