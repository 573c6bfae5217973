//! Units: backoff bounds, how outcomes settle, the breaker's states, event-type patterns, setup checks.

use crate::dispatch::setup::validate;
use crate::dispatch::{
    Admission, BreakerPolicy, CircuitBreaker, CircuitState, DispatchError, DispatchOptions, DispatchSubscription,
    DispatchSystem, RetryPolicy, pattern_matches, settle,
};
use crate::transport::{HttpTransport, HttpTransportConfig, ResponseRecord, SendOutcome};
use chrono::{Duration as Span, Utc};
use crossdock_store::DeliveryOutcome;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn policy() -> RetryPolicy {
    RetryPolicy {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(5),
        max_attempts: 5,
        max_age: Some(Duration::from_secs(60)),
    }
}

#[test]
fn backoff_grows_exponentially_with_full_jitter_between_initial_and_max() {
    let p = policy();
    let ceilings: Vec<u128> = (1..=8).map(|a| p.ceiling(a).as_millis()).collect();
    assert_eq!(ceilings, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    assert_eq!(p.ceiling(u32::MAX), Duration::from_secs(5));
    let mut rng = StdRng::seed_from_u64(7);
    for attempt in 1..=10 {
        let waits: Vec<Duration> = (0..200).map(|_| p.backoff(attempt, &mut rng)).collect();
        assert!(waits.iter().all(|w| *w >= p.initial && *w <= p.ceiling(attempt)), "attempt {attempt}");
        if attempt > 2 {
            let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
            assert!(distinct.len() > 50, "jitter spreads the waits");
        }
    }
}

#[test]
fn outcomes_settle_into_delivered_retry_or_dead() {
    let now = Utc::now();
    let recorded = now - Span::milliseconds(250);
    let request = json!({"body": 1});
    let kept = Some(ResponseRecord { status: 503, body: "busy".into(), truncated: false });
    let settle_with =
        |outcome, before, queued| settle(outcome, &policy(), before, queued, now, recorded, request.clone());
    assert_eq!(settle_with(SendOutcome::Delivered, 0, now), DeliveryOutcome::Delivered { at: now, latency_ms: 250 });
    let retry =
        SendOutcome::Retry { after: Some(Duration::from_secs(30)), error: "http 503".into(), response: kept.clone() };
    let DeliveryOutcome::Retry { at, error, response, .. } = settle_with(retry.clone(), 1, now) else { panic!() };
    assert_eq!((at, error.as_str()), (now + Span::seconds(30), "http 503"));
    assert_eq!(response, Some(json!({"status": 503, "body": "busy"})));
    let backoff = SendOutcome::Retry { after: None, error: "timed out".into(), response: None };
    let DeliveryOutcome::Retry { at, .. } = settle_with(backoff.clone(), 2, now) else { panic!() };
    assert!(at >= now + Span::milliseconds(100) && at <= now + Span::milliseconds(400));
    // The fifth failed attempt is the last.
    let DeliveryOutcome::Dead { error, request: kept_request, .. } = settle_with(backoff.clone(), 4, now) else {
        panic!()
    };
    assert_eq!((error.as_str(), kept_request), ("gave up after 5 attempts: timed out", Some(json!({"body": 1}))));
    // So is one whose next try would fall past the maximum age.
    assert!(matches!(settle_with(retry, 1, now - Span::seconds(40)), DeliveryOutcome::Dead { .. }));
    let reject = SendOutcome::Reject { error: "http 400".into(), response: None };
    assert!(matches!(settle_with(reject, 0, now), DeliveryOutcome::Dead { error, .. } if error == "http 400"));
}

#[test]
fn the_breaker_opens_after_consecutive_failures_and_probes_once() {
    let mut breaker = CircuitBreaker::new(BreakerPolicy {
        failure_threshold: 3,
        cool_down: Duration::from_secs(10),
        max_cool_down: Duration::from_secs(10),
    });
    let t0 = Instant::now();
    for _ in 0..2 {
        breaker.record(true, t0);
    }
    breaker.record(false, t0);
    breaker.record(true, t0);
    breaker.record(true, t0);
    assert_eq!((breaker.state(t0), breaker.admit(t0)), (CircuitState::Closed, Admission::All), "a success resets");
    breaker.record(true, t0);
    assert_eq!(breaker.state(t0), CircuitState::Open);
    assert_eq!(breaker.admit(t0 + Duration::from_secs(4)), Admission::Blocked(Duration::from_secs(6)));
    breaker.record(false, t0 + Duration::from_secs(5));
    assert_eq!(breaker.state(t0 + Duration::from_secs(5)), CircuitState::Open, "late results change nothing");
    let t1 = t0 + Duration::from_secs(10);
    assert_eq!(breaker.state(t1), CircuitState::HalfOpen);
    assert_eq!(breaker.admit(t1), Admission::Probe);
    assert_eq!(breaker.admit(t1), Admission::Blocked(Duration::from_secs(1)), "one probe at a time");
    breaker.record(true, t1);
    assert_eq!(breaker.admit(t1 + Duration::from_secs(1)), Admission::Blocked(Duration::from_secs(9)), "probe failed");
    let t2 = t1 + Duration::from_secs(10);
    assert_eq!(breaker.admit(t2), Admission::Probe);
    breaker.record(false, t2);
    assert_eq!((breaker.state(t2), breaker.admit(t2)), (CircuitState::Closed, Admission::All));

    let mut disabled = CircuitBreaker::new(BreakerPolicy { failure_threshold: 0, ..BreakerPolicy::default() });
    for _ in 0..100 {
        disabled.record(true, t0);
    }
    assert_eq!(disabled.admit(t0), Admission::All);
}

#[test]
fn each_failed_probe_doubles_the_cool_down_up_to_the_maximum() {
    let policy = BreakerPolicy {
        failure_threshold: 1,
        cool_down: Duration::from_secs(2),
        max_cool_down: Duration::from_secs(5),
    };
    let mut breaker = CircuitBreaker::new(policy);
    let mut t = Instant::now();
    breaker.record(true, t);
    for expected in [2, 4, 5, 5] {
        assert_eq!(breaker.admit(t), Admission::Blocked(Duration::from_secs(expected)));
        t += Duration::from_secs(expected);
        assert_eq!(breaker.admit(t), Admission::Probe);
        breaker.record(true, t);
    }
    breaker.record(false, t + Duration::from_secs(5));
    assert_eq!(breaker.admit(t + Duration::from_secs(5)), Admission::Probe, "late results change nothing");
    breaker.record(false, t + Duration::from_secs(5));
    assert_eq!(breaker.admit(t + Duration::from_secs(5)), Admission::All, "a good probe closes it");
    // Opened again later, it starts from the first cool-down.
    breaker.record(true, t + Duration::from_secs(6));
    assert_eq!(breaker.admit(t + Duration::from_secs(6)), Admission::Blocked(Duration::from_secs(2)));
}

#[test]
fn the_envelope_bytes_are_the_envelope_serialised() {
    use crate::dispatch::{envelope, envelope_bytes};
    let event = crossdock_model::RecordedEvent {
        seq: 42,
        aggregate_kind: crossdock_model::AggregateKind::Order,
        aggregate_id: "o-1".into(),
        version: 3,
        event_type: "order.placed".into(),
        schema_version: 1,
        payload: crossdock_model::Event::OrderHeld {
            order_id: crossdock_model::OrderId::new("o-1").unwrap(),
            reason: "fraud \"check\" é".into(),
        },
        recorded_at: chrono::Utc::now(),
        idempotency_key: "k".into(),
    };
    let written: serde_json::Value = serde_json::from_slice(&envelope_bytes(&event)).unwrap();
    assert_eq!(written, envelope(&event));
    assert_eq!(written["data"]["reason"], "fraud \"check\" é");
}

#[test]
fn event_type_patterns() {
    for (pattern, event_type, expected) in [
        ("*", "order.placed", true),
        ("order.*", "order.placed", true),
        ("order.*", "inventory.adjusted", false),
        ("order.placed", "order.placed", true),
        ("order.placed", "order.placed_again", false),
        ("order.", "order.placed", false),
    ] {
        assert_eq!(pattern_matches(pattern, event_type), expected, "{pattern} ~ {event_type}");
    }
}

#[test]
fn setup_errors_are_collected_at_once() {
    let transport = Arc::new(HttpTransport::new(HttpTransportConfig::new("http://127.0.0.1:1/")).unwrap());
    let mut erp = DispatchSystem::new("erp", transport.clone());
    erp.max_in_flight = 0;
    let systems = vec![erp, DispatchSystem::new("erp", transport)];
    let subscriptions = vec![DispatchSubscription::new("a", "wms", &["*"]), DispatchSubscription::new("a", "erp", &[])];
    let Err(DispatchError::Setup(errors)) = validate(&systems, &subscriptions, &DispatchOptions::default()) else {
        panic!("invalid setup accepted")
    };
    let text = errors.join("\n");
    for needle in ["defined twice", "max_in_flight", "unknown system \"wms\" (known: erp)", "no event types"] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert_eq!(errors.len(), 5, "{text}");
}
