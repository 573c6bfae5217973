//! Cases about the audit trail: one chained entry per command in the command's transaction, filtered reads,
//! one chain from two stores writing at once, and tampering by raw SQL caught at the first bad entry.

use crate::fixtures::*;
use crate::harness::TestDb;
use crossdock_store::audit::{GENESIS_HASH, TamperKind, verify};
use crossdock_store::{AuditFilter, CommandRequest, Origin, Store};
use std::sync::Arc;

fn from_client(key: &str, command: crossdock_model::Command, actor: &str, request_id: &str) -> CommandRequest {
    let origin = Origin { source: Some("192.0.2.7:51000".into()), request_id: Some(request_id.into()) };
    CommandRequest { actor: actor.into(), origin, ..request(key, command) }
}

async fn entries(store: &dyn Store, filter: AuditFilter) -> Vec<crossdock_store::audit::AuditEntry> {
    store.audit_entries(&AuditFilter { limit: 1000, ..filter }).await.unwrap()
}

pub async fn every_command_is_audited_with_who_where_what_and_versions(db: &TestDb) {
    let store = db.open_store().await;
    assert_eq!(store.audit_head().await.unwrap(), (0, GENESIS_HASH.to_string()));
    assert_eq!(verify(store.as_ref()).await.unwrap(), Ok(0));

    store.submit(from_client("k-place", place("o-1", "web"), "key_a", "req-1")).await.unwrap();
    store.submit(from_client("k-hold", hold("o-1"), "key_b", "req-2")).await.unwrap();
    store.submit(from_client("k-hold", hold("o-1"), "key_b", "req-3")).await.unwrap();
    store.submit(from_client("k-missing", hold("o-404"), "key_a", "req-4")).await.unwrap_err();

    let all = entries(store.as_ref(), AuditFilter::default()).await;
    let summary: Vec<(i64, &str, &str, &str, u64, u64, &str)> = all
        .iter()
        .map(|e| {
            let f = &e.fields;
            let request_id = f.request_id.as_deref().unwrap_or("-");
            (
                e.seq,
                f.actor.as_str(),
                request_id,
                f.aggregate.as_str(),
                f.version_before,
                f.version_after,
                f.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "key_a", "req-1", "order:o-1", 0, 1, "accepted"),
            (2, "key_b", "req-2", "order:o-1", 1, 2, "accepted"),
            (3, "key_b", "req-3", "order:o-1", 2, 2, "replayed"),
            (4, "key_a", "req-4", "order:o-404", 0, 0, "refused:order_not_found"),
        ]
    );
    let first = &all[0].fields;
    assert_eq!((first.command.as_str(), first.source.as_deref()), ("place_order", Some("192.0.2.7:51000")));
    assert_eq!(first.digest, crossdock_store::request_hash(&place("o-1", "web"), None));
    assert_eq!(all[0].prev_hash, GENESIS_HASH);
    assert!(all.windows(2).all(|w| w[1].prev_hash == w[0].hash));
    assert_eq!(store.audit_head().await.unwrap(), (4, all[3].hash.clone()));
    assert_eq!(verify(store.as_ref()).await.unwrap(), Ok(4));

    // Filters: aggregate (with or without its kind), actor, time, and the cursor.
    let seqs = |found: Vec<crossdock_store::audit::AuditEntry>| found.iter().map(|e| e.seq).collect::<Vec<_>>();
    let by = |aggregate: &str, actor: Option<&str>| AuditFilter {
        aggregate: Some(aggregate.into()),
        actor: actor.map(str::to_string),
        ..AuditFilter::default()
    };
    assert_eq!(seqs(entries(store.as_ref(), by("order:o-1", None)).await), [1, 2, 3]);
    assert_eq!(seqs(entries(store.as_ref(), by("o-1", Some("key_b"))).await), [2, 3]);
    assert!(entries(store.as_ref(), by("inventory:o-1", None)).await.is_empty());
    let after = AuditFilter { after_seq: Some(1), limit: 2, ..AuditFilter::default() };
    assert_eq!(seqs(store.audit_entries(&after).await.unwrap()), [2, 3]);
    let at = all[0].fields.at;
    let window = AuditFilter { from: Some(at), to: Some(at + chrono::Duration::days(1)), ..AuditFilter::default() };
    assert_eq!(seqs(entries(store.as_ref(), window).await), [1, 2, 3, 4]);
    let before = AuditFilter { to: Some(at), ..AuditFilter::default() };
    assert!(entries(store.as_ref(), before).await.is_empty());
}

pub async fn two_stores_writing_at_once_extend_one_chain(db: &TestDb) {
    let (a, b) = (db.open_store().await, db.open_store().await);
    let mut tasks = tokio::task::JoinSet::new();
    for (name, store) in [("a", a.clone()), ("b", b.clone())] {
        for n in 0..60 {
            let store: Arc<dyn Store> = store.clone();
            tasks.spawn(async move {
                let id = format!("o-{name}-{n}");
                store.submit(from_client(&id, place(&id, "web"), name, &id)).await.unwrap();
            });
        }
    }
    tasks.join_all().await;
    assert_eq!(verify(a.as_ref()).await.unwrap(), Ok(120));
    assert_eq!(verify(b.as_ref()).await.unwrap(), Ok(120));
    let all = entries(a.as_ref(), AuditFilter::default()).await;
    assert_eq!(all.iter().filter(|e| e.fields.actor == "a").count(), 60);
    assert_eq!(all.iter().filter(|e| e.fields.actor == "b").count(), 60);
}

/// What verify says, as (first bad seq, kind).
async fn broken_at(store: &dyn Store) -> (i64, TamperKind) {
    let tamper = verify(store).await.unwrap().expect_err("the tampered chain verified");
    (tamper.seq, tamper.kind)
}

pub async fn tampering_by_raw_sql_is_caught_at_the_first_bad_entry(db: &TestDb) {
    let store = db.open_store().await;
    for n in 1..=8 {
        let key = format!("k-{n}");
        store.submit(from_client(&key, place(&format!("o-{n}"), "web"), "key_a", &key)).await.unwrap();
    }
    assert_eq!(verify(store.as_ref()).await.unwrap(), Ok(8));

    // Each step breaks the chain earlier than the last, so each report must name the new first break.
    db.execute_raw("DELETE FROM audit_log WHERE seq = 8").await.unwrap();
    assert_eq!(broken_at(store.as_ref()).await, (8, TamperKind::Removed), "the last entry removed");

    db.execute_raw(
        "UPDATE audit_log SET seq = -6 WHERE seq = 6; UPDATE audit_log SET seq = 6 WHERE seq = 7; \
         UPDATE audit_log SET seq = 7 WHERE seq = -6;",
    )
    .await
    .unwrap();
    assert_eq!(broken_at(store.as_ref()).await, (6, TamperKind::Reordered), "entries 6 and 7 swapped");

    db.execute_raw("DELETE FROM audit_log WHERE seq = 4").await.unwrap();
    assert_eq!(broken_at(store.as_ref()).await, (4, TamperKind::Removed), "entry 4 removed");

    db.execute_raw("UPDATE audit_log SET actor = 'someone_else' WHERE seq = 2").await.unwrap();
    assert_eq!(broken_at(store.as_ref()).await, (2, TamperKind::Changed), "entry 2 changed");

    db.execute_raw("UPDATE audit_log SET version_after = 9 WHERE seq = 1").await.unwrap();
    assert_eq!(broken_at(store.as_ref()).await, (1, TamperKind::Changed), "entry 1 changed");
}

/// A backorder filled by the hub when stock arrives is a command of its own in the trail: actor
/// `hub:backorder-refill`, under the key and origin of the command that raised the stock.
pub async fn backorder_refills_are_audited_as_the_hub(db: &TestDb) {
    let store = db.open_store().await;
    let site =
        crossdock_model::Location { kind: crossdock_model::LocationKind::Warehouse, ..location("CHI", "Chicago") };
    store.submit(request("k-site", crossdock_model::Command::UpsertLocation { location: site })).await.unwrap();
    store.submit(request("k-place", place_lines("o-wait", "web", &[("SKU-R", 1)]))).await.unwrap();
    let waiting = store.order(&order_id("o-wait")).await.unwrap().unwrap();
    assert_eq!(waiting.lines[0].quantities.backordered, 1, "no stock yet: backordered");
    store.submit(from_client("k-receive", adjust("SKU-R", "CHI", 5), "key_wms", "req-9")).await.unwrap();
    assert_eq!(store.order(&order_id("o-wait")).await.unwrap().unwrap().lines[0].quantities.allocated, 1);

    let all = entries(store.as_ref(), AuditFilter::default()).await;
    let last: Vec<_> = all[all.len() - 2..]
        .iter()
        .map(|e| {
            let f = &e.fields;
            (f.actor.as_str(), f.command.as_str(), f.aggregate.as_str(), f.idempotency_key.as_str(), f.outcome.as_str())
        })
        .collect();
    assert_eq!(
        last,
        [
            ("key_wms", "adjust_inventory", "inventory:CHI/SKU-R", "k-receive", "accepted"),
            ("hub:backorder-refill", "source_order", "order:o-wait", "k-receive", "accepted"),
        ]
    );
    assert_eq!(all.last().unwrap().fields.request_id.as_deref(), Some("req-9"), "the trigger's origin");
    assert_eq!(verify(store.as_ref()).await.unwrap(), Ok(all.len() as u64));
}
