//! PII in records other than orders and events: a dead letter's last request and response and a stored EDI
//! interchange are sealed at rest, read back in plaintext, and read as erased (without breaking listings)
//! once a customer they carry is erased; the erasure itself is in the audit chain.

use crate::cases_pii::{ADA, ZEB, contains, place_people, raw_bytes};
use crate::fixtures::*;
use crate::harness::TestDb;
use chrono::Utc;
use crossdock_model::{Command, Customer, CustomerId};
use crossdock_store::audit::verify;
use crossdock_store::pii::{ERASED, customer_subject};
use crossdock_store::{
    AckState, AuditFilter, DeadLetterFilter, DeliveryOutcome, DeliveryResult, EdiDirection, Erasure, InterchangeStatus,
    NewDelivery, NewInterchange, Origin, ScheduleBatch, Store, SubscriptionStart,
};
use serde_json::{Value, json};

/// A failed delivery of Zeb's `order.placed` whose request and response echo Zeb's PII: its id.
async fn dead_letter_of_zeb(store: &dyn Store) -> i64 {
    let id = claim_zebs_delivery(store).await;
    fail_zebs_delivery(store, id).await;
    id
}

/// Schedules and claims a delivery of Zeb's `order.placed`: its id.
async fn claim_zebs_delivery(store: &dyn Store) -> i64 {
    let events = all_events(store).await;
    let placed = events.iter().find(|e| e.aggregate_id == "o-zeb-1" && e.event_type == "order.placed").unwrap();
    store.register_subscription("crm", "crm", SubscriptionStart::Beginning).await.unwrap();
    let now = Utc::now();
    let batch = ScheduleBatch {
        subscription: "crm".into(),
        system: "crm".into(),
        expected_cursor: 0,
        new_cursor: events.last().unwrap().seq,
        deliveries: vec![NewDelivery::pending(placed)],
        now,
    };
    assert!(store.schedule(&batch).await.unwrap());
    let claimed = store.claim("worker", std::time::Duration::from_secs(30), now, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    claimed[0].id
}

/// Records the claimed delivery `id` as dead, its request and response echoing Zeb's PII.
async fn fail_zebs_delivery(store: &dyn Store, id: i64) {
    let dead = DeliveryOutcome::Dead {
        error: "http 422".into(),
        request: Some(request_body()),
        response: Some(json!({"status": 422, "body": format!("unknown customer {}", ZEB.email)})),
    };
    assert_eq!(store.complete("worker", &[DeliveryResult { id, outcome: dead }]).await.unwrap(), 1);
}

fn request_body() -> Value {
    json!({"transport": "http", "body": {"name": ZEB.name, "address": {"line1": ZEB.line1, "city": ZEB.city}}})
}

/// An interchange carrying both customers' PII, one carrying Ada's only, and one naming no customer.
fn interchanges() -> Vec<NewInterchange> {
    let new = |control: &str, raw: String, subjects: Vec<String>| NewInterchange {
        partner: "acme".into(),
        direction: EdiDirection::Inbound,
        isa_control: control.into(),
        groups: Vec::new(),
        status: InterchangeStatus::Accepted,
        ack_state: AckState::NotExpected,
        ack_due_at: None,
        ack_control: None,
        file: None,
        raw: raw.into_bytes(),
        pii_subjects: subjects,
        errors: json!([]),
        references: Vec::new(),
        created_at: Utc::now(),
    };
    vec![
        new(
            "000000001",
            format!("ISA*00~N1*ST*{}~N3*{}~N1*ST*{}~N3*{}~", ZEB.name, ZEB.line1, ADA.name, ADA.line1),
            vec![customer_subject(ZEB.customer), customer_subject(ADA.customer)],
        ),
        new("000000002", format!("ISA*00~N1*ST*{}~N4*{}~", ADA.name, ADA.city), vec![customer_subject(ADA.customer)]),
        new("000000003", format!("ISA*00~N1*ST*{}~", ZEB.phone), Vec::new()),
    ]
}

pub async fn dead_letters_and_interchanges_are_sealed_at_rest(db: &TestDb) {
    let store = db.open_store().await;
    place_people(store.as_ref()).await;
    let letter = dead_letter_of_zeb(store.as_ref()).await;
    let ids = store.insert_interchanges(&interchanges()).await.unwrap();

    let shown = store.delivery(letter).await.unwrap().unwrap();
    assert_eq!(shown.last_request, Some(request_body()), "read back in plaintext");
    assert_eq!(shown.last_response.unwrap()["body"], format!("unknown customer {}", ZEB.email));
    for (id, new) in ids.iter().zip(interchanges()) {
        assert_eq!(store.interchange(*id).await.unwrap().unwrap().raw, new.raw, "interchange {id} reads back");
    }

    let Some(raw) = raw_bytes(db) else { return };
    assert!(contains(&raw, "000000002") && contains(&raw, "http 422"), "the dump holds the records");
    for value in ZEB.plaintexts().into_iter().chain(ADA.plaintexts()) {
        assert!(!contains(&raw, value), "{value:?} is stored in plaintext");
    }
}

pub async fn erasure_shreds_dead_letters_and_interchanges_and_is_audited(db: &TestDb) {
    let store = db.open_store().await;
    place_people(store.as_ref()).await;
    let letter = dead_letter_of_zeb(store.as_ref()).await;
    let ids = store.insert_interchanges(&interchanges()).await.unwrap();
    let zeb = CustomerId::new(ZEB.customer).unwrap();
    let origin = Origin { source: Some("192.0.2.9:4100".into()), request_id: Some("req-erase".into()) };
    assert_eq!(store.erase_customer_pii(&zeb, "key_dpo", &origin).await.unwrap(), Erasure::Erased);

    let shown = store.delivery(letter).await.unwrap().unwrap();
    assert_eq!(shown.last_request, Some(Value::String(ERASED.into())));
    assert_eq!(shown.last_response, Some(Value::String(ERASED.into())));
    assert_eq!((shown.last_error.as_deref(), shown.aggregate_id.as_str()), (Some("http 422"), "o-zeb-1"));
    let listed = store.dead_letters(&DeadLetterFilter::default()).await.unwrap();
    assert_eq!(listed.iter().map(|d| d.id).collect::<Vec<_>>(), [letter], "listing still works");
    let read = |i: usize| {
        let store = store.clone();
        let id = ids[i];
        async move { store.interchange(id).await.unwrap().unwrap().raw }
    };
    assert_eq!(read(0).await, ERASED.as_bytes(), "erasing one customer it carries shreds it");
    assert_eq!(read(1).await, interchanges()[1].raw, "Ada's own interchange stays readable");
    assert_eq!(read(2).await, interchanges()[2].raw, "one without customers is under the partner's key");
    let listed = store.list_interchanges(&Default::default()).await.unwrap();
    assert_eq!(listed.len(), 3, "listing interchanges still works");

    // The erasure is in the audit chain: who, from where, what, outcome; a repeat is audited too.
    assert_eq!(store.erase_customer_pii(&zeb, "key_dpo", &Origin::default()).await.unwrap(), Erasure::NoKey);
    let filter = AuditFilter { aggregate: Some(format!("customer:{}", ZEB.customer)), ..AuditFilter::default() };
    let entries = store.audit_entries(&filter).await.unwrap();
    let summary: Vec<_> = entries
        .iter()
        .map(|e| {
            let f = &e.fields;
            (f.actor.as_str(), f.command.as_str(), f.source.as_deref(), f.request_id.as_deref(), f.outcome.as_str())
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("key_dpo", "erase_customer_pii", Some("192.0.2.9:4100"), Some("req-erase"), "erased"),
            ("key_dpo", "erase_customer_pii", None, None, "no_key"),
        ]
    );
    let (head, _) = store.audit_head().await.unwrap();
    assert_eq!(entries[1].seq, head, "the last entry of the chain");
    assert_eq!(verify(store.as_ref()).await.unwrap(), Ok(head as u64), "the chain verifies after erasures");
}

/// Erasure leaves a tombstone: PII written after it for the erased customer (a delivery sent before the
/// erasure and recorded after it, an interchange) is stored erased, never under a fresh readable key; a new
/// order of the customer is readable again (it lifts the tombstone), the old ones stay erased.
pub async fn pii_recorded_after_erasure_stays_erased(db: &TestDb) {
    let store = db.open_store().await;
    place_people(store.as_ref()).await;
    let in_flight = claim_zebs_delivery(store.as_ref()).await;
    let zeb = CustomerId::new(ZEB.customer).unwrap();
    assert_eq!(store.erase_customer_pii(&zeb, "key_dpo", &Origin::default()).await.unwrap(), Erasure::Erased);

    fail_zebs_delivery(store.as_ref(), in_flight).await;
    let shown = store.delivery(in_flight).await.unwrap().unwrap();
    assert_eq!(shown.last_request, Some(Value::String(ERASED.into())));
    assert_eq!(shown.last_response, Some(Value::String(ERASED.into())));
    let ids = store.insert_interchanges(&interchanges()).await.unwrap();
    assert_eq!(store.interchange(ids[0]).await.unwrap().unwrap().raw, ERASED.as_bytes());
    assert_eq!(store.interchange(ids[1]).await.unwrap().unwrap().raw, interchanges()[1].raw, "Ada's is readable");
    // A store opened afresh (no key cache) agrees.
    let reopened = db.open_store().await;
    assert_eq!(reopened.delivery(in_flight).await.unwrap().unwrap().last_request, Some(Value::String(ERASED.into())));
    if let Some(raw) = raw_bytes(db) {
        for value in [ZEB.name, ZEB.line1, ZEB.city, ZEB.email] {
            assert!(!contains(&raw, value), "{value:?} is stored in plaintext");
        }
    }

    // Zeb comes back and orders again: the new order is readable; the erased ones stay erased.
    let Command::PlaceOrder(mut again) = place("o-zeb-3", "web") else { unreachable!("place builds PlaceOrder") };
    let old = store.order(&order_id("o-zeb-1")).await.unwrap().unwrap();
    again.customer = old.customer.clone().map(|c| Customer { name: Some("Zeb Again".into()), ..c });
    store.submit(request("k-o-zeb-3", Command::PlaceOrder(again))).await.unwrap();
    let new = db.open_store().await.order(&order_id("o-zeb-3")).await.unwrap().unwrap();
    assert_eq!(new.customer.and_then(|c| c.name).as_deref(), Some("Zeb Again"));
    let old = db.open_store().await.order(&order_id("o-zeb-1")).await.unwrap().unwrap();
    assert_eq!(old.customer.and_then(|c| c.name).as_deref(), Some(ERASED));
}

/// A key file written before erasure tombstones existed (no `pii_erased` table) opens, and erasure works.
pub async fn a_key_file_without_tombstones_opens(db: &TestDb) {
    let Some(dir) = db.sqlite_dir() else { return };
    let store = db.open_store().await;
    place_people(store.as_ref()).await;
    drop(store);
    let keys = dir.join("store.pii-keys.db");
    let url = format!("sqlite://{}", keys.display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
    sqlx::query("DROP TABLE pii_erased").execute(&mut conn).await.unwrap();
    sqlx::Connection::close(conn).await.unwrap();

    let store = db.open_store().await;
    let order = store.order(&order_id("o-zeb-1")).await.unwrap().unwrap();
    assert_eq!(order.customer.and_then(|c| c.name).as_deref(), Some(ZEB.name), "read back with the old key file");
    let zeb = CustomerId::new(ZEB.customer).unwrap();
    assert_eq!(store.erase_customer_pii(&zeb, "key_dpo", &Origin::default()).await.unwrap(), Erasure::Erased);
    let order = store.order(&order_id("o-zeb-1")).await.unwrap().unwrap();
    assert_eq!(order.customer.and_then(|c| c.name).as_deref(), Some(ERASED));
}
