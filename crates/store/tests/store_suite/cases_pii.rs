//! Cases about PII at rest: nothing personal is readable in the raw database, erasure destroys a customer's
//! data key (also for an old copy of the log), exports gather a customer's orders and events.

use crate::fixtures::*;
use crate::harness::TestDb;
use crossdock_model::{Address, Command, Country, Customer, CustomerId, Email, Event, Order};
use crossdock_store::pii::ERASED;
use crossdock_store::{Erasure, Store, SubscriptionStart};
use std::path::Path;

/// A customer's distinctive PII: none of these strings may appear in the raw database.
pub(crate) struct Person {
    pub customer: &'static str,
    pub email: &'static str,
    pub name: &'static str,
    pub phone: &'static str,
    pub line1: &'static str,
    pub line2: &'static str,
    pub city: &'static str,
    pub postal_code: &'static str,
    pub bill_line1: &'static str,
}

pub(crate) const ZEB: Person = Person {
    customer: "cust-zeb",
    email: "zebulon.quixotic@example.com",
    name: "Zebulon Quixotic",
    phone: "+1-555-867-5309",
    line1: "742 Evergreen Terrace Xq",
    line2: "Apartment Zq-99",
    city: "Quahogville",
    postal_code: "62701-4477",
    bill_line1: "19 Billing Boulevard Wx",
};

pub(crate) const ADA: Person = Person {
    customer: "cust-ada",
    email: "ada.byronesque@example.org",
    name: "Ada Byronesque",
    phone: "+44 20 7946 0958",
    line1: "12 Analytical Engine Row",
    line2: "Flat Kv-3",
    city: "Marylebonia",
    postal_code: "62702-1815",
    bill_line1: "3 Difference Lane Qz",
};

impl Person {
    pub(crate) fn plaintexts(&self) -> Vec<&'static str> {
        vec![self.email, self.name, self.phone, self.line1, self.line2, self.city, self.postal_code, self.bill_line1]
    }

    fn address(&self, line1: &str) -> Address {
        Address {
            name: self.name.into(),
            line1: line1.into(),
            line2: Some(self.line2.into()),
            city: self.city.into(),
            region: Some("IL".into()),
            postal_code: self.postal_code.into(),
            country: Country::US,
        }
    }

    fn place(&self, order: &str) -> Command {
        let Command::PlaceOrder(mut place) = place(order, "web") else { unreachable!("place builds PlaceOrder") };
        place.customer = Some(Customer {
            id: Some(CustomerId::new(self.customer).unwrap()),
            email: Some(Email::new(self.email).unwrap()),
            name: Some(self.name.into()),
            phone: Some(self.phone.into()),
        });
        place.ship_to = self.address(self.line1);
        place.bill_to = Some(self.address(self.bill_line1));
        Command::PlaceOrder(place)
    }

    pub(crate) fn assert_readable(&self, order: &Order) {
        let customer = order.customer.as_ref().expect("a customer");
        assert_eq!(customer.email.as_ref().map(|e| e.as_str()), Some(self.email));
        assert_eq!(customer.name.as_deref(), Some(self.name));
        assert_eq!(customer.phone.as_deref(), Some(self.phone));
        assert_eq!(order.ship_to, self.address(self.line1));
        assert_eq!(order.bill_to, Some(self.address(self.bill_line1)));
    }
}

pub(crate) fn assert_erased(order: &Order, customer: &str) {
    let c = order.customer.as_ref().expect("a customer");
    assert_eq!(c.id.as_ref().map(|id| id.as_str()), Some(customer), "the customer id stays");
    assert_eq!((c.email.as_ref(), c.name.as_deref(), c.phone.as_deref()), (None, Some(ERASED), Some(ERASED)));
    for address in [Some(&order.ship_to), order.bill_to.as_ref()].into_iter().flatten() {
        assert_eq!(
            [&address.name, &address.line1, &address.city, &address.postal_code],
            [ERASED, ERASED, ERASED, ERASED].map(String::from).each_ref()
        );
        assert_eq!(address.line2.as_deref(), Some(ERASED));
        assert_eq!((address.region.as_deref(), address.country), (Some("IL"), Country::US), "tax fields stay");
    }
}

pub(crate) async fn place_people(store: &dyn Store) {
    for (person, order) in [(&ZEB, "o-zeb-1"), (&ZEB, "o-zeb-2"), (&ADA, "o-ada-1")] {
        store.submit(request(&format!("k-{order}"), person.place(order))).await.unwrap();
    }
    // A later command rewrites the projection (sealed again).
    store.submit(request("k-hold", hold("o-zeb-1"))).await.unwrap();
}

fn placed_order<E: std::borrow::Borrow<crossdock_model::RecordedEvent>>(events: &[E], id: &str) -> Order {
    events
        .iter()
        .find_map(|e| match &e.borrow().payload {
            Event::OrderPlaced { order } if order.id.as_str() == id => Some((**order).clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no order.placed for {id}"))
}

/// Every byte the database holds: the SQLite folder's files, or a `pg_dump` of the test schema.
/// `None` (with the reason printed) when `pg_dump` cannot run.
pub(crate) fn raw_bytes(db: &TestDb) -> Option<Vec<u8>> {
    if let Some(dir) = db.sqlite_dir() {
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        return Some(bytes);
    }
    let (base, schema) = db.pg_schema()?;
    match std::process::Command::new("pg_dump").args(["--schema", schema, "--dbname", base]).output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("CREATE TABLE"), "pg_dump printed no schema: {text}");
            Some(out.stdout)
        }
        Ok(out) => panic!("pg_dump failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            println!("skipping the PostgreSQL dump search: pg_dump cannot run ({e})");
            None
        }
    }
}

pub(crate) fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

pub async fn pii_is_sealed_at_rest_and_read_back_in_plaintext(db: &TestDb) {
    let store = db.open_store().await;
    place_people(store.as_ref()).await;
    ZEB.assert_readable(&store.order(&order_id("o-zeb-1")).await.unwrap().unwrap());
    ADA.assert_readable(&store.order(&order_id("o-ada-1")).await.unwrap().unwrap());
    let events = all_events(store.as_ref()).await;
    ZEB.assert_readable(&placed_order(&events, "o-zeb-2"));

    let Some(raw) = raw_bytes(db) else { return };
    assert!(contains(&raw, "o-zeb-1") && contains(&raw, ZEB.customer), "the dump holds the orders");
    for value in ZEB.plaintexts().into_iter().chain(ADA.plaintexts()) {
        assert!(!contains(&raw, value), "{value:?} is stored in plaintext");
    }
}

/// Copies the SQLite files of the store (not its key file), as a backup of the log would.
fn copy_store_files(from: &Path, to: &Path) {
    for name in ["store.db", "store.db-wal"] {
        if from.join(name).exists() {
            std::fs::copy(from.join(name), to.join(name)).unwrap();
        }
    }
}

pub async fn erasure_shreds_a_customers_pii_and_keeps_the_orders(db: &TestDb) {
    let store = db.open_store().await;
    // A reader (as the senders are) makes the store keep what it commits from then on.
    assert!(store.events_at(&[]).await.unwrap().is_empty());
    place_people(store.as_ref()).await;
    let before = store.order(&order_id("o-zeb-1")).await.unwrap().unwrap();
    // What the senders read (`events_at`) of events this process has just committed is kept opened in memory.
    let placed: Vec<i64> =
        all_events(store.as_ref()).await.iter().filter(|e| e.event_type == "order.placed").map(|e| e.seq).collect();
    ZEB.assert_readable(&placed_order(&store.events_at(&placed).await.unwrap(), "o-zeb-1"));
    let backup = tempfile::tempdir().unwrap();
    if let Some(dir) = db.sqlite_dir() {
        copy_store_files(dir, backup.path());
    }

    let zeb = CustomerId::new(ZEB.customer).unwrap();
    assert_eq!(store.erase_customer_pii(&zeb, "key-admin", &Default::default()).await.unwrap(), Erasure::Erased);
    assert_eq!(store.erase_customer_pii(&zeb, "key-admin", &Default::default()).await.unwrap(), Erasure::NoKey);

    let after = store.order(&order_id("o-zeb-1")).await.unwrap().unwrap();
    assert_erased(&after, ZEB.customer);
    assert_eq!((&after.lines, after.status, after.version), (&before.lines, before.status, before.version));
    assert_eq!((after.subtotal(), &after.hold), (before.subtotal(), &before.hold), "non-personal data stays");
    assert_erased(&store.order(&order_id("o-zeb-2")).await.unwrap().unwrap(), ZEB.customer);
    ADA.assert_readable(&store.order(&order_id("o-ada-1")).await.unwrap().unwrap());
    let events = all_events(store.as_ref()).await;
    assert_erased(&placed_order(&events, "o-zeb-1"), ZEB.customer);
    ADA.assert_readable(&placed_order(&events, "o-ada-1"));
    // The erasure drops what was kept, so the senders read the erased events too.
    let to_send = store.events_at(&placed).await.unwrap();
    assert_erased(&placed_order(&to_send, "o-zeb-1"), ZEB.customer);
    ADA.assert_readable(&placed_order(&to_send, "o-ada-1"));

    // Outbound: a delivery claimed after the erasure carries no PII (another customer's still does).
    store.register_subscription("crm", "crm", SubscriptionStart::Beginning).await.unwrap();
    let now = chrono::Utc::now();
    let batch = schedule_all("crm", "crm", 0, &events, now);
    assert!(store.schedule(&batch).await.unwrap());
    let claimed = store.claim("worker", std::time::Duration::from_secs(30), now, 100).await.unwrap();
    let outbound: Vec<_> = claimed.into_iter().map(|c| c.event).collect();
    assert_erased(&placed_order(&outbound, "o-zeb-1"), ZEB.customer);
    ADA.assert_readable(&placed_order(&outbound, "o-ada-1"));

    // The erased order still takes commands; its PII stays erased.
    store.submit(request("k-release", release_hold("o-zeb-1"))).await.unwrap();
    assert_erased(&store.order(&order_id("o-zeb-1")).await.unwrap().unwrap(), ZEB.customer);
    // A store opened afresh (no cache) agrees.
    let reopened = db.open_store().await;
    assert_erased(&reopened.order(&order_id("o-zeb-2")).await.unwrap().unwrap(), ZEB.customer);

    // An old backup of the log, taken before the erasure and restored beside the current key file.
    let Some(dir) = db.sqlite_dir() else { return };
    std::fs::copy(dir.join("store.pii-keys.db"), backup.path().join("store.pii-keys.db")).unwrap();
    let url = format!("sqlite://{}", backup.path().join("store.db").display());
    let restored = crossdock_store::open_with(&url, db.options()).await.unwrap();
    let old = restored.order(&order_id("o-zeb-1")).await.unwrap().unwrap();
    assert_eq!(old.version, before.version, "the backup is from before the erasure");
    assert_erased(&old, ZEB.customer);
    assert_erased(&placed_order(&all_events(restored.as_ref()).await, "o-zeb-2"), ZEB.customer);
    ADA.assert_readable(&restored.order(&order_id("o-ada-1")).await.unwrap().unwrap());
}

pub async fn export_gathers_a_customers_orders_and_events(db: &TestDb) {
    let store = db.open_store().await;
    place_people(store.as_ref()).await;
    let export = store.customer_export(&CustomerId::new(ZEB.customer).unwrap()).await.unwrap();
    let ids: Vec<&str> = export.orders.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["o-zeb-2", "o-zeb-1"], "ordered by last change");
    export.orders.iter().for_each(|o| ZEB.assert_readable(o));
    let types: Vec<(&str, &str)> =
        export.events.iter().map(|e| (e.aggregate_id.as_str(), e.event_type.as_str())).collect();
    assert_eq!(types, [("o-zeb-1", "order.placed"), ("o-zeb-2", "order.placed"), ("o-zeb-1", "order.held")]);
    ZEB.assert_readable(&placed_order(&export.events, "o-zeb-1"));
    let nobody = store.customer_export(&CustomerId::new("cust-nobody").unwrap()).await.unwrap();
    assert!(nobody.orders.is_empty() && nobody.events.is_empty());
}

pub async fn a_store_without_a_master_key_never_shows_sealed_values(db: &TestDb) {
    let sealed = db.open_store().await;
    sealed.submit(request("k-1", ZEB.place("o-zeb-1"))).await.unwrap();
    let plain = crossdock_store::open(&db.url).await.unwrap();
    let order = plain.order(&order_id("o-zeb-1")).await.unwrap().unwrap();
    let customer = order.customer.unwrap();
    assert_eq!((customer.email, customer.name.as_deref()), (None, Some(crossdock_store::pii::SEALED)));
    assert_eq!(order.ship_to.line1, crossdock_store::pii::SEALED);
    assert_eq!(
        plain
            .erase_customer_pii(&CustomerId::new(ZEB.customer).unwrap(), "key-admin", &Default::default())
            .await
            .unwrap(),
        Erasure::NotConfigured
    );
}

/// Two stores on one database create the data key of the same new customer at the same moment: one key is
/// stored, and both seal under that one (the other store's key lost the insert), so every order reads back
/// in plaintext from a third store with a cold key cache.
pub async fn two_stores_creating_a_customers_key_at_once_both_seal_under_the_stored_one(db: &TestDb) {
    let (a, b) = (db.open_store().await, db.open_store().await);
    let people: Vec<Person> =
        (0..12).map(|i| Person { customer: Box::leak(format!("cust-race-{i}").into_boxed_str()), ..ZEB }).collect();
    let mut orders = Vec::new();
    for (i, person) in people.iter().enumerate() {
        let (on_a, on_b) = (format!("o-race-a-{i}"), format!("o-race-b-{i}"));
        let (placed_a, placed_b) = tokio::join!(
            a.submit(request(&format!("k-{on_a}"), person.place(&on_a))),
            b.submit(request(&format!("k-{on_b}"), person.place(&on_b)))
        );
        placed_a.unwrap();
        placed_b.unwrap();
        orders.push((on_a, on_b));
    }
    let reader = db.open_store().await;
    for (person, (on_a, on_b)) in people.iter().zip(&orders) {
        person.assert_readable(&reader.order(&order_id(on_a)).await.unwrap().unwrap());
        person.assert_readable(&reader.order(&order_id(on_b)).await.unwrap().unwrap());
    }
}

/// An order sourced automatically to a destination sourcing cannot place on the map (a British postcode):
/// the `order.sourced` event explains the failure without the address, so no postal code is stored outside
/// the sealed fields.
pub async fn a_failed_sourcing_stores_no_postal_code(db: &TestDb) {
    let store = db.open_store().await;
    let site = Command::UpsertLocation { location: crate::fixtures::location("CHI", "Chicago") };
    store.submit(request("k-site", site)).await.unwrap();
    store.submit(request("k-stock", adjust("SKU-1", "CHI", 5))).await.unwrap();
    let Command::PlaceOrder(mut place) = place("o-gb", "web") else { unreachable!("place builds PlaceOrder") };
    place.ship_to.postal_code = "SW1A 1AA".into();
    place.ship_to.region = None;
    place.ship_to.country = Country::new("GB").unwrap();
    store.submit(request("k-gb", Command::PlaceOrder(place))).await.unwrap();

    let events = all_events(store.as_ref()).await;
    let sourced = events.iter().find(|e| e.event_type == "order.sourced").expect("the order was sourced");
    let Event::OrderSourced { explanation, allocations, .. } = &sourced.payload else { unreachable!("sourced") };
    assert!(allocations.is_empty());
    assert_eq!(explanation["error"]["code"], "unknown_destination");
    assert!(!explanation.to_string().contains("SW1A"), "{explanation}");
    let Some(raw) = raw_bytes(db) else { return };
    assert!(contains(&raw, "unknown_destination"), "the dump holds the explanation");
    assert!(!contains(&raw, "SW1A"), "the postal code is stored in plaintext");
}

/// The tax report of an order to Chicago (state and city rate, found by the ZIP code) is the same after the
/// customer's PII is erased: the ZIP3 the local rate needs is kept readable with the order.
pub async fn the_tax_report_is_the_same_after_erasure(db: &TestDb) {
    let store = db.open_store().await;
    let chicagoan = Person { customer: "cust-chicago", postal_code: "60601-4477", ..ZEB };
    store.submit(request("k-chi", chicagoan.place("o-chi"))).await.unwrap();
    let report = |store: std::sync::Arc<dyn Store>| async move {
        let mut builder = crossdock_engine::tax::TaxReportBuilder::new(crossdock_engine::period::Period::ALL);
        let filter = crossdock_store::OrderFilter { limit: 100, ..Default::default() };
        store.list_orders(&filter).await.unwrap().iter().for_each(|row| builder.add(&row.order));
        builder.finish()
    };
    let before = report(store.clone()).await;
    assert_eq!(before.states.len(), 1);
    // 2 × 19.99 in Chicago: 6.25% state and 4% city on each line.
    assert_eq!((before.states[0].state.as_str(), before.states[0].tax_minor), ("IL", 410));
    let customer = CustomerId::new(chicagoan.customer).unwrap();
    assert_eq!(store.erase_customer_pii(&customer, "key-admin", &Default::default()).await.unwrap(), Erasure::Erased);
    let order = db.open_store().await.order(&order_id("o-chi")).await.unwrap().unwrap();
    assert_erased(&order, chicagoan.customer);
    assert_eq!(report(db.open_store().await).await, before);
}
