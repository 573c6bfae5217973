//! Cases about queries: order listing with filters and cursors, inventory, locations, API keys.

use crate::fixtures::*;
use crate::harness::TestDb;
use chrono::{Duration, SubsecRound, Utc};
use crossdock_model::{AggregateKind, Command, OrderStatus};
use crossdock_store::{ApiKeyRecord, OrderFilter, Store};

async fn ids(store: &dyn Store, filter: OrderFilter) -> Vec<String> {
    store.list_orders(&filter).await.unwrap().into_iter().map(|row| row.order.id.to_string()).collect()
}

pub async fn list_orders_filters_and_pages(db: &TestDb) {
    let store = db.open_store().await;
    for i in 0..10 {
        let channel = if i % 2 == 0 { "web" } else { "pos" };
        store.submit(request(&format!("p-{i}"), place(&format!("q-{i}"), channel))).await.unwrap();
    }
    let before_holds = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    for i in [1, 4, 7] {
        store.submit(request(&format!("h-{i}"), hold(&format!("q-{i}")))).await.unwrap();
    }
    let all = || OrderFilter { limit: 100, ..OrderFilter::default() };
    let everything = ids(store.as_ref(), all()).await;
    assert_eq!(everything, ["q-0", "q-2", "q-3", "q-5", "q-6", "q-8", "q-9", "q-1", "q-4", "q-7"], "by last event");
    assert_eq!(
        ids(store.as_ref(), OrderFilter { status: Some(OrderStatus::OnHold), ..all() }).await,
        ["q-1", "q-4", "q-7"]
    );
    assert_eq!(ids(store.as_ref(), OrderFilter { channel: Some("pos".into()), ..all() }).await.len(), 5);
    let held_pos = OrderFilter { status: Some(OrderStatus::OnHold), channel: Some("pos".into()), ..all() };
    assert_eq!(ids(store.as_ref(), held_pos).await, ["q-1", "q-7"]);
    let since = |at| OrderFilter { updated_since: Some(at), ..all() };
    assert_eq!(ids(store.as_ref(), since(before_holds)).await, ["q-1", "q-4", "q-7"]);
    assert_eq!(ids(store.as_ref(), since(before_holds - Duration::days(1))).await.len(), 10);
    assert!(ids(store.as_ref(), since(before_holds + Duration::days(1))).await.is_empty());
    assert!(ids(store.as_ref(), OrderFilter { status: Some(OrderStatus::Shipped), ..all() }).await.is_empty());

    // Cursor pagination visits every order once, in the same order.
    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let page =
            store.list_orders(&OrderFilter { after_seq: cursor, limit: 3, ..OrderFilter::default() }).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        assert!(page.windows(2).all(|w| w[0].last_seq < w[1].last_seq));
        cursor = page.last().map(|row| row.last_seq);
        paged.extend(page.into_iter().map(|row| row.order.id.to_string()));
    }
    assert_eq!(paged, everything);
    let first_two =
        store.list_orders(&OrderFilter { status: Some(OrderStatus::OnHold), limit: 2, ..all() }).await.unwrap();
    let rest = OrderFilter { status: Some(OrderStatus::OnHold), after_seq: Some(first_two[1].last_seq), ..all() };
    assert_eq!(ids(store.as_ref(), rest).await, ["q-7"]);
}

pub async fn order_ids_with_a_prefix(db: &TestDb) {
    let store = db.open_store().await;
    for id in ["ab-1", "ab-2", "abc", "a", "b-1", "ab\u{e9}"] {
        store.submit(request(&format!("k-{id}"), place(id, "web"))).await.unwrap();
    }
    let with = |prefix: &'static str, limit| {
        let store = store.clone();
        async move {
            let found = store.order_ids_with_prefix(prefix, limit).await.unwrap();
            found.into_iter().map(|id| id.to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(with("ab", 10).await, ["ab-1", "ab-2", "abc", "ab\u{e9}"], "in id order, bytes compared");
    assert_eq!(with("ab-", 10).await, ["ab-1", "ab-2"]);
    assert_eq!(with("ab", 2).await, ["ab-1", "ab-2"], "at most the limit");
    assert!(with("zz", 10).await.is_empty());
}

pub async fn inventory_and_locations(db: &TestDb) {
    let store = db.open_store().await;
    store.submit(request("a", adjust("S1", "L1", 5))).await.unwrap();
    store.submit(request("b", adjust("S1", "L2", 7))).await.unwrap();
    store.submit(request("c", adjust("S2", "L1", 1))).await.unwrap();
    let all = store.inventory(None, None).await.unwrap();
    let keys: Vec<(String, String)> = all.iter().map(|p| (p.sku.to_string(), p.location.to_string())).collect();
    assert_eq!(keys, [("S1".into(), "L1".into()), ("S1".into(), "L2".into()), ("S2".into(), "L1".into())]);
    assert_eq!(store.inventory(Some(&sku("S1")), None).await.unwrap().len(), 2);
    assert_eq!(store.inventory(None, Some(&loc("L1"))).await.unwrap().len(), 2);
    let one = store.inventory(Some(&sku("S1")), Some(&loc("L2"))).await.unwrap();
    assert_eq!((one.len(), one[0].on_hand, one[0].version), (1, 7, 1));
    let counted = Command::CountInventory { sku: sku("S1"), location: loc("L1"), counted: 3 };
    assert_eq!(store.submit(request("count", counted)).await.unwrap().version, 2);
    assert_eq!(store.inventory(Some(&sku("S1")), Some(&loc("L1"))).await.unwrap()[0].on_hand, 3);

    let upsert = |name: &str| Command::UpsertLocation { location: location("L1", name) };
    let first = store.submit(request("l1", upsert("Main"))).await.unwrap();
    assert_eq!((first.aggregate_kind, first.aggregate_id.as_str(), first.version), (AggregateKind::Location, "L1", 1));
    assert_eq!(store.location(&loc("L1")).await.unwrap(), Some(location("L1", "Main")));
    assert_eq!(store.submit(request("l2", upsert("Main DC"))).await.unwrap().version, 2);
    assert_eq!(store.location(&loc("L1")).await.unwrap().unwrap().name, "Main DC");
    assert!(store.location(&loc("L9")).await.unwrap().is_none());
}

pub async fn api_keys_insert_get_list_revoke(db: &TestDb) {
    let store = db.open_store().await;
    let now = Utc::now().trunc_subsecs(6);
    let key = |id: &str, offset: i64| ApiKeyRecord {
        id: id.into(),
        name: format!("{id} name"),
        secret_hash: "ab".repeat(32),
        scopes: vec!["orders:write".into(), "orders:read".into()],
        created_at: now + Duration::seconds(offset),
        expires_at: Some(now + Duration::days(30)),
        revoked_at: None,
        previous_secret_hash: None,
        previous_valid_until: None,
        rate_limit_per_minute: (id == "ck_a").then_some(120),
    };
    store.insert_api_key(&key("ck_b", 0)).await.unwrap();
    store.insert_api_key(&key("ck_a", 1)).await.unwrap();
    assert_eq!(store.api_key("ck_b").await.unwrap(), Some(key("ck_b", 0)));
    assert!(store.api_key("ck_zz").await.unwrap().is_none());
    assert!(store.insert_api_key(&key("ck_b", 5)).await.is_err(), "ids are unique");
    let listed: Vec<String> = store.list_api_keys().await.unwrap().into_iter().map(|k| k.id).collect();
    assert_eq!(listed, ["ck_b", "ck_a"], "oldest first");

    let revoked_at = now + Duration::minutes(1);
    assert!(store.revoke_api_key("ck_b", revoked_at).await.unwrap());
    assert_eq!(store.api_key("ck_b").await.unwrap().unwrap().revoked_at, Some(revoked_at));
    assert!(store.revoke_api_key("ck_b", revoked_at + Duration::minutes(1)).await.unwrap());
    assert_eq!(store.api_key("ck_b").await.unwrap().unwrap().revoked_at, Some(revoked_at), "first revocation kept");
    assert!(!store.revoke_api_key("ck_zz", revoked_at).await.unwrap());
    assert!(store.api_key("ck_a").await.unwrap().unwrap().revoked_at.is_none());
    assert_eq!(store.api_key("ck_a").await.unwrap().unwrap().rate_limit_per_minute, Some(120));

    // Rotation: the new hash replaces the current one, which stays as the previous one until the overlap ends.
    let overlap_end = now + Duration::hours(1);
    assert!(store.rotate_api_key("ck_a", &"cd".repeat(32), overlap_end).await.unwrap());
    let rotated = store.api_key("ck_a").await.unwrap().unwrap();
    assert_eq!(rotated.secret_hash, "cd".repeat(32));
    assert_eq!(rotated.previous_secret_hash, Some("ab".repeat(32)));
    assert_eq!(rotated.previous_valid_until, Some(overlap_end));
    assert_eq!((rotated.scopes, rotated.rate_limit_per_minute), (key("ck_a", 1).scopes, Some(120)));
    assert!(store.rotate_api_key("ck_a", &"ef".repeat(32), overlap_end).await.unwrap());
    let twice = store.api_key("ck_a").await.unwrap().unwrap();
    assert_eq!(twice.previous_secret_hash, Some("cd".repeat(32)), "only the latest previous secret is kept");
    assert!(!store.rotate_api_key("ck_b", &"ef".repeat(32), overlap_end).await.unwrap(), "revoked keys stay revoked");
    assert_eq!(store.api_key("ck_b").await.unwrap().unwrap().secret_hash, "ab".repeat(32));
    assert!(!store.rotate_api_key("ck_zz", &"ef".repeat(32), overlap_end).await.unwrap());
}

/// Ids may contain `/`: the position (`WH/1`, `X`) and the position (`WH`, `1/X`) are two aggregates, as are
/// the availability of `X` on channel `web/1` and of `1/X` on channel `web`.
pub async fn ids_with_slashes_name_separate_aggregates(db: &TestDb) {
    let store = db.open_store().await;
    let first = store.submit(request("a", adjust("X", "WH/1", 5))).await.unwrap();
    let second = store.submit(request("b", adjust("1/X", "WH", 7))).await.unwrap();
    assert_ne!(first.aggregate_id, second.aggregate_id);
    assert_eq!((first.version, second.version), (1, 1));
    let again = store.submit(request("c", adjust("1/X", "WH", 1))).await.unwrap();
    assert_eq!((again.aggregate_id.as_str(), again.version), (second.aggregate_id.as_str(), 2));
    let one = store.inventory(Some(&sku("X")), Some(&loc("WH/1"))).await.unwrap();
    assert_eq!((one.len(), one[0].on_hand, one[0].version), (1, 5, 1));
    let other = store.inventory(Some(&sku("1/X")), Some(&loc("WH"))).await.unwrap();
    assert_eq!((other.len(), other[0].on_hand, other[0].version), (1, 8, 2));
    // Ids without `/` or `%` keep the plain `location/sku` form.
    assert_eq!(store.submit(request("d", adjust("S1", "L1", 1))).await.unwrap().aggregate_id, "L1/S1");

    let refresh = |channel: &str, s: &str| Command::RefreshAvailability {
        channel: crossdock_model::ChannelId::new(channel).unwrap(),
        sku: sku(s),
    };
    let web_1 = store.submit(request("r1", refresh("web/1", "X"))).await.unwrap();
    let web = store.submit(request("r2", refresh("web", "1/X"))).await.unwrap();
    assert_ne!(web_1.aggregate_id, web.aggregate_id);
    assert_consecutive_versions(&all_events(store.as_ref()).await);
}
