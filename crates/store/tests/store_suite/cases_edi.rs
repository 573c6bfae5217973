//! Cases about EDI state: interchange records (insert, read back, filter, page, acknowledge, overdue) and
//! control-number counters that never hand out a number twice, even to concurrent callers; short references
//! sent, resolved per partner; acknowledgements recorded but not yet written, found again by their input.

use crate::harness::TestDb;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use crossdock_model::OrderId;
use crossdock_store::{
    AckState, EdiDirection, InterchangeAckUpdate, InterchangeFilter, InterchangeGroup, InterchangeSet,
    InterchangeStatus, NewInterchange, SentReference, input_hash,
};
use serde_json::json;
use std::collections::BTreeSet;

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn new(partner: &str, direction: EdiDirection, control: &str, at: DateTime<Utc>) -> NewInterchange {
    NewInterchange {
        partner: partner.into(),
        direction,
        isa_control: control.into(),
        groups: vec![InterchangeGroup {
            functional_id: "PO".into(),
            control: "7".into(),
            sets: vec![
                InterchangeSet { id: "850".into(), control: "0001".into() },
                InterchangeSet { id: "850".into(), control: "0002".into() },
            ],
        }],
        status: if direction == EdiDirection::Inbound { InterchangeStatus::Accepted } else { InterchangeStatus::Sent },
        ack_state: if direction == EdiDirection::Inbound { AckState::NotExpected } else { AckState::Expected },
        ack_due_at: (direction == EdiDirection::Outbound).then(|| at + Duration::hours(1)),
        ack_control: None,
        file: Some(format!("inbox/{control}.x12")),
        raw: format!("ISA*{control}~\r\n\0\u{ff}").into_bytes(),
        pii_subjects: Vec::new(),
        errors: json!([]),
        references: Vec::new(),
        created_at: at,
    }
}

pub async fn interchanges_insert_filter_page_and_acknowledge(db: &TestDb) {
    let store = db.open_store().await;
    let t0 = now();
    let inbound = store.insert_interchanges(&[new("acme", EdiDirection::Inbound, "000000001", t0)]).await.unwrap()[0];
    let out_acme = store.insert_interchanges(&[new("acme", EdiDirection::Outbound, "000000002", t0)]).await.unwrap()[0];
    let out_bolt = store.insert_interchanges(&[new("bolt", EdiDirection::Outbound, "000000003", t0)]).await.unwrap()[0];
    assert!(inbound < out_acme && out_acme < out_bolt);
    let mut ack = new("cafe", EdiDirection::Outbound, "2", t0);
    (ack.ack_state, ack.ack_due_at) = (AckState::NotExpected, None);
    let pair = [new("cafe", EdiDirection::Inbound, "1", t0), ack];
    let ids = store.insert_interchanges(&pair).await.unwrap();
    assert_eq!(ids.len(), 2);
    assert!(ids[0] > out_bolt && ids[1] == ids[0] + 1, "one transaction, in order: {ids:?}");

    let full = store.interchange(inbound).await.unwrap().expect("recorded");
    let expected = new("acme", EdiDirection::Inbound, "000000001", t0);
    assert_eq!(full.raw, expected.raw, "raw bytes are kept byte for byte");
    assert_eq!(full.size, expected.raw.len() as i64);
    assert_eq!((full.groups.clone(), full.file.clone()), (expected.groups, expected.file));
    assert_eq!(full.set_ids(), ["850", "850"]);
    assert_eq!((full.created_at, full.updated_at), (t0, t0));
    assert!(store.interchange(out_bolt + 100).await.unwrap().is_none());

    let ids = |rows: Vec<crossdock_store::InterchangeRecord>| rows.iter().map(|r| r.id).collect::<Vec<_>>();
    let acme_or_bolt = |r: &crossdock_store::InterchangeRecord| r.partner != "cafe";
    let all: Vec<_> = store
        .list_interchanges(&InterchangeFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(acme_or_bolt)
        .collect();
    assert!(all.iter().all(|r| r.raw.is_empty()), "lists leave raw bytes out");
    assert_eq!(ids(all), [out_bolt, out_acme, inbound], "newest first");
    let acme = InterchangeFilter { partner: Some("acme".into()), ..Default::default() };
    assert_eq!(ids(store.list_interchanges(&acme).await.unwrap()), [out_acme, inbound]);
    let outbound = InterchangeFilter {
        direction: Some(EdiDirection::Outbound),
        limit: 1,
        before_id: Some(out_bolt + 1),
        ..Default::default()
    };
    assert_eq!(ids(store.list_interchanges(&outbound).await.unwrap()), [out_bolt]);
    let next = InterchangeFilter { before_id: Some(out_bolt), ..outbound.clone() };
    assert_eq!(ids(store.list_interchanges(&next).await.unwrap()), [out_acme]);
    let by_control = InterchangeFilter { isa_control: Some("000000003".into()), ..Default::default() };
    assert_eq!(ids(store.list_interchanges(&by_control).await.unwrap()), [out_bolt]);

    let at = t0 + Duration::minutes(5);
    let update = InterchangeAckUpdate {
        id: out_acme,
        status: InterchangeStatus::PartiallyAccepted,
        ack_state: AckState::Received,
        ack_control: Some("000000077".into()),
        errors: json!([{"set": "0002", "code": "5"}]),
        at,
    };
    assert!(store.update_interchange_ack(&update).await.unwrap());
    assert!(!store.update_interchange_ack(&InterchangeAckUpdate { id: -1, ..update.clone() }).await.unwrap());
    let acked = store.interchange(out_acme).await.unwrap().unwrap();
    assert_eq!((acked.status, acked.ack_state), (InterchangeStatus::PartiallyAccepted, AckState::Received));
    assert_eq!((acked.ack_control.as_deref(), acked.updated_at), (Some("000000077"), at));
    assert_eq!(acked.errors, update.errors);
    let partial = InterchangeFilter { status: Some(InterchangeStatus::PartiallyAccepted), ..Default::default() };
    assert_eq!(ids(store.list_interchanges(&partial).await.unwrap()), [out_acme]);

    // Only the bolt interchange still expects an ack; it turns overdue once its hour has passed, once.
    assert!(store.mark_overdue_acks(t0 + Duration::minutes(59)).await.unwrap().is_empty());
    assert_eq!(store.mark_overdue_acks(t0 + Duration::minutes(61)).await.unwrap(), [out_bolt]);
    assert!(store.mark_overdue_acks(t0 + Duration::minutes(62)).await.unwrap().is_empty());
    let overdue = InterchangeFilter { ack_state: Some(AckState::Overdue), ..Default::default() };
    assert_eq!(ids(store.list_interchanges(&overdue).await.unwrap()), [out_bolt]);
}

pub async fn control_numbers_are_never_reused(db: &TestDb) {
    let store = db.open_store().await;
    let first = store.allocate_control_numbers("acme", 1, 2).await.unwrap();
    assert_eq!((first.first_interchange, first.first_group), (1, 1));
    let second = store.allocate_control_numbers("acme", 3, 1).await.unwrap();
    assert_eq!((second.first_interchange, second.first_group), (2, 3));
    let other = store.allocate_control_numbers("bolt", 1, 1).await.unwrap();
    assert_eq!((other.first_interchange, other.first_group), (1, 1), "counters are per partner");

    // Two stores on one database, many concurrent callers: every block is distinct.
    let (a, b) = (db.open_store().await, store.clone());
    let mut tasks = Vec::new();
    for n in 0..24 {
        let s = if n % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move { s.allocate_control_numbers("acme", 2, 1).await.unwrap() }));
    }
    let mut interchanges = BTreeSet::new();
    let mut groups = BTreeSet::new();
    for t in tasks {
        let block = t.await.unwrap();
        assert!(interchanges.insert(block.first_interchange) && interchanges.insert(block.first_interchange + 1));
        assert!(groups.insert(block.first_group));
    }
    assert_eq!(interchanges.len(), 48);
    assert_eq!(*interchanges.iter().next().unwrap(), 5);
    assert_eq!(*interchanges.iter().last().unwrap(), 52, "no gaps and no overlaps");

    drop((a, b, store));
    let reopened = db.open_store().await;
    let after = reopened.allocate_control_numbers("acme", 1, 1).await.unwrap();
    assert_eq!((after.first_interchange, after.first_group), (53, 28), "the counters survive a reopen");
}

pub async fn short_references_sent_resolve_to_their_order_per_partner(db: &TestDb) {
    let store = db.open_store().await;
    let order = |id: &str| OrderId::new(id).unwrap();
    let reference = "edi-acme--0123456789AB";
    let mut sent = new("tpl", EdiDirection::Outbound, "000000010", now());
    sent.references = vec![SentReference { reference: reference.into(), order_id: order("edi-acme-PO2026000123456") }];
    assert!(store.referenced_order("tpl", reference).await.unwrap().is_none());
    store.insert_interchanges(&[sent.clone()]).await.unwrap();
    assert_eq!(store.referenced_order("tpl", reference).await.unwrap(), Some(order("edi-acme-PO2026000123456")));
    assert!(store.referenced_order("other", reference).await.unwrap().is_none(), "references are per partner");
    assert!(store.referenced_order("tpl", "edi-acme--000000000000").await.unwrap().is_none());

    // Sent again (a resent 940), or claimed by another order: the first record stands.
    sent.references[0].order_id = order("edi-acme-PO2026000999999");
    store.insert_interchanges(&[sent]).await.unwrap();
    assert_eq!(store.referenced_order("tpl", reference).await.unwrap(), Some(order("edi-acme-PO2026000123456")));
}

pub async fn an_unwritten_acknowledgement_is_found_by_the_input_until_written(db: &TestDb) {
    let store = db.open_store().await;
    let t0 = now();
    let inbound = new("acme", EdiDirection::Inbound, "000000042", t0);
    let mut ack = new("acme", EdiDirection::Outbound, "000000001", t0);
    (ack.ack_state, ack.ack_due_at, ack.file) = (AckState::NotExpected, None, Some("outbox/acme-1-ack.x12".into()));
    let hash = input_hash(&inbound.raw);
    assert!(store.unwritten_ack("acme", &hash).await.unwrap().is_none());

    let recorded = store.insert_received(&inbound, &ack, &hash).await.unwrap();
    assert_eq!(recorded.ack_id, recorded.inbound_id + 1, "one transaction, in order");
    assert_eq!(store.unwritten_ack("acme", &hash).await.unwrap(), Some(recorded));
    assert!(store.unwritten_ack("bolt", &hash).await.unwrap().is_none(), "per partner");
    let mut other = inbound.raw.clone();
    other.push(b'\n');
    assert!(store.unwritten_ack("acme", &input_hash(&other)).await.unwrap().is_none(), "the same bytes only");
    let written = store.interchange(recorded.ack_id).await.unwrap().expect("the ack is recorded");
    assert_eq!((written.raw, written.file), (ack.raw.clone(), ack.file.clone()), "read back to be written");

    // The same input recorded again while its acknowledgement is unwritten: refused whole.
    let before = store.list_interchanges(&InterchangeFilter::default()).await.unwrap().len();
    assert!(store.insert_received(&inbound, &ack, &hash).await.is_err());
    assert_eq!(store.list_interchanges(&InterchangeFilter::default()).await.unwrap().len(), before);

    store.ack_written(recorded.inbound_id).await.unwrap();
    assert!(store.unwritten_ack("acme", &hash).await.unwrap().is_none());
    store.ack_written(recorded.inbound_id).await.unwrap();
    let again = store.insert_received(&inbound, &ack, &hash).await.unwrap();
    assert!(again.inbound_id > recorded.ack_id, "received again once written: recorded again");
}
