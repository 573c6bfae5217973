//! Cases about the KPI reads: deliveries as samples of their systems' uptime and sync latency, and the same
//! KPIs counted in SQL (`Store::integration_kpis`) against the engine's computation over the samples.

use crate::fixtures::*;
use crate::harness::TestDb;
use chrono::{DateTime, Duration, SubsecRound, TimeDelta, Utc};
use crossdock_engine::kpi::{Period, integration_kpis};
use crossdock_store::{DeliveryOutcome, DeliveryResult};

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
        let batch = schedule_all(subscription, system, 0, &events[..=2], t);
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

/// A hand-built mix over three systems: acknowledged within and beyond a 60 s budget (with sub-millisecond
/// latencies), dead-lettered, and left pending; the SQL counts must equal the engine's fold of the samples
/// for the whole log and for periods, at several budgets and `now`s.
pub async fn integration_kpis_in_sql_equal_the_engines_over_the_samples(db: &TestDb) {
    let store = db.open_store().await;
    let systems: Vec<String> = ["crm", "erp", "wms", "idle"].map(String::from).to_vec();
    let none = store.integration_kpis(&Period::ALL, &systems, TimeDelta::seconds(60), Utc::now()).await.unwrap();
    assert_eq!(none, integration_kpis(&[], &systems, TimeDelta::seconds(60), Utc::now()));
    for i in 0..40 {
        store.submit(request(&format!("p{i}"), place(&format!("k-{i}"), "web"))).await.unwrap();
    }
    let events = all_events(store.as_ref()).await;
    let t: DateTime<Utc> = Utc::now().trunc_subsecs(6);
    for system in ["crm", "erp", "wms"] {
        let batch = schedule_all(&format!("{system}-events"), system, 0, &events, t);
        assert!(store.schedule(&batch).await.unwrap());
    }
    let mut n: i64 = 0;
    loop {
        let claimed = store.claim("a", LEASE, t, 50).await.unwrap();
        if claimed.is_empty() {
            break;
        }
        let results: Vec<DeliveryResult> = claimed
            .iter()
            .map(|c| {
                n += 1;
                let latency = Duration::milliseconds((n * 7_919) % 150_000) + Duration::microseconds((n * 13) % 1_000);
                let outcome = match (c.system.as_str(), n % 7, n % 5) {
                    (_, 0, _) => DeliveryOutcome::Dead { error: "http 400".into(), request: None, response: None },
                    ("wms", _, 0) => DeliveryOutcome::Retry {
                        at: t + Duration::hours(1),
                        error: "http 503".into(),
                        request: None,
                        response: None,
                    },
                    _ => DeliveryOutcome::Delivered {
                        at: c.event.recorded_at + latency,
                        latency_ms: latency.num_milliseconds(),
                    },
                };
                DeliveryResult { id: c.id, outcome }
            })
            .collect();
        store.complete("a", &results).await.unwrap();
    }
    let samples = store.delivery_samples(None).await.unwrap();
    assert_eq!(samples.len(), 3 * events.len());
    assert!(samples.iter().any(|s| s.acknowledged_at.is_none() && !s.dead_lettered), "some are left pending");
    let middle = events[events.len() / 2].recorded_at;
    let periods = [Period::ALL, Period { from: Some(middle), to: None }, Period { from: None, to: Some(middle) }];
    let nows = [Utc::now(), Utc::now() + Duration::minutes(10) + Duration::nanoseconds(1)];
    for period in periods {
        let in_period: Vec<_> = samples.iter().filter(|s| period.contains(s.committed_at)).cloned().collect();
        for budget in [TimeDelta::seconds(60), TimeDelta::milliseconds(1_500), TimeDelta::days(1)] {
            for now in nows {
                let fast = store.integration_kpis(&period, &systems, budget, now).await.unwrap();
                let direct = integration_kpis(&in_period, &systems, budget, now);
                assert_eq!(fast, direct, "period {period:?}, budget {budget}, now {now}");
            }
        }
    }
    let whole = store.integration_kpis(&Period::ALL, &systems, TimeDelta::seconds(60), nows[0]).await.unwrap();
    assert!(
        whole
            .iter()
            .any(|s| s.uptime < 1.0 && s.dead_letters > 0 && s.sync_latency_ms.is_some_and(|q| q.p99 > 60_000.0))
    );
}

/// A period's reads start at the deliveries created about when it begins (an hour of slack), found by a
/// binary search of the ids: rows created long before are not read, rows created since all are.
pub async fn reads_of_a_recent_period_start_near_its_first_deliveries(db: &TestDb) {
    let store = db.open_store().await;
    for i in 0..30 {
        store.submit(request(&format!("p{i}"), place(&format!("k-{i}"), "web"))).await.unwrap();
    }
    let events = all_events(store.as_ref()).await;
    let t: DateTime<Utc> = Utc::now().trunc_subsecs(6);
    // The ERP's rows claim to have been created three hours ago, the CRM's now (ids after the ERP's).
    let old = schedule_all("erp-events", "erp", 0, &events, t - Duration::hours(3));
    assert!(store.schedule(&old).await.unwrap());
    let new = schedule_all("crm-events", "crm", 0, &events, t);
    assert!(store.schedule(&new).await.unwrap());

    let everything = store.delivery_samples(None).await.unwrap();
    assert_eq!(everything.len(), 2 * events.len());
    let since = events[0].recorded_at;
    let recent = store.delivery_samples(Some(since)).await.unwrap();
    assert_eq!(recent.len(), events.len(), "only the CRM's rows are read");
    assert!(recent.iter().all(|s| s.system == "crm"));

    let systems: Vec<String> = ["crm", "erp"].map(String::from).to_vec();
    let period = Period { from: Some(since), to: None };
    let kpis = store.integration_kpis(&period, &systems, TimeDelta::seconds(60), t).await.unwrap();
    let deliveries: Vec<(String, u64)> = kpis.iter().map(|s| (s.name.clone(), s.deliveries)).collect();
    assert_eq!(deliveries, [("crm".to_string(), events.len() as u64), ("erp".to_string(), 0)]);
    // Over the whole log, both.
    let whole = store.integration_kpis(&Period::ALL, &systems, TimeDelta::seconds(60), t).await.unwrap();
    assert!(whole.iter().all(|s| s.deliveries == events.len() as u64), "{whole:?}");
}
