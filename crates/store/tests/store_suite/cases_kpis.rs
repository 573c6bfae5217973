//! Cases about the KPI reads: deliveries as samples of their systems' uptime and sync latency.

use crate::fixtures::*;
use crate::harness::TestDb;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use crossdock_store::{DeliveryOutcome, DeliveryResult, NewDelivery, ScheduleBatch};

const LEASE: std::time::Duration = std::time::Duration::from_secs(30);

pub async fn delivery_samples_carry_commit_acknowledgement_and_dead_letters(db: &TestDb) {
    let store = db.open_store().await;
    assert!(store.delivery_samples(None).await.unwrap().is_empty());
    for i in 0..3 {
        store.submit(request(&format!("p{i}"), place(&format!("k-{i}"), "web"))).await.unwrap();
    }
    let events = all_events(store.as_ref()).await;
    let t: DateTime<Utc> = Utc::now().trunc_subsecs(6);
    for (subscription, system) in [("erp-events", "erp"), ("wms-events", "wms")] {
        let batch = ScheduleBatch {
            subscription: subscription.into(),
            system: system.into(),
            expected_cursor: 0,
            new_cursor: events[2].seq,
            deliveries: events
                .iter()
                .map(|e| NewDelivery {
                    seq: e.seq,
                    aggregate_id: e.aggregate_id.clone(),
                    event_type: e.event_type.clone(),
                    dead_error: None,
                })
                .collect(),
            now: t,
        };
        assert!(store.schedule(&batch).await.unwrap());
    }
    let claimed = store.claim("a", LEASE, t, 10).await.unwrap();
    assert_eq!(claimed.len(), 6);
    let acked = t + Duration::milliseconds(250);
    let results: Vec<DeliveryResult> = claimed
        .iter()
        .map(|c| {
            let outcome = match (c.system.as_str(), c.event.seq == events[0].seq) {
                ("wms", true) => DeliveryOutcome::Dead { error: "http 400".into(), request: None, response: None },
                ("wms", false) => DeliveryOutcome::Retry {
                    at: t + Duration::seconds(5),
                    error: "http 503".into(),
                    request: None,
                    response: None,
                },
                _ => DeliveryOutcome::Delivered { at: acked, latency_ms: 250 },
            };
            DeliveryResult { id: c.id, outcome }
        })
        .collect();
    assert_eq!(store.complete("a", &results).await.unwrap(), 6);

    let samples = store.delivery_samples(None).await.unwrap();
    assert_eq!(samples.len(), 6);
    let of = |system: &str| samples.iter().filter(|s| s.system == system).collect::<Vec<_>>();
    let (erp, wms) = (of("erp"), of("wms"));
    assert_eq!(erp.len(), 3);
    for (sample, event) in erp.iter().zip(&events) {
        assert_eq!(sample.committed_at, event.recorded_at);
        assert_eq!(sample.acknowledged_at, Some(acked));
        assert!(!sample.dead_lettered);
    }
    assert_eq!(
        wms.iter().map(|s| (s.acknowledged_at, s.dead_lettered)).collect::<Vec<_>>(),
        [(None, true), (None, false), (None, false)]
    );
    // Only events committed at or after `since`.
    let since = events[2].recorded_at;
    let recent = store.delivery_samples(Some(since)).await.unwrap();
    assert!(recent.iter().all(|s| s.committed_at >= since));
    assert!(recent.len() >= 2 && recent.len() <= 6, "{recent:?}");
    let future = store.delivery_samples(Some(Utc::now() + Duration::hours(1))).await.unwrap();
    assert!(future.is_empty());
}
