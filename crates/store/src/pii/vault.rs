//! The key vault: data keys wrapped by the master key in their own table (`pii_keys`), unwrapped on first
//! use and cached, created the first time a subject needs one, and destroyed by erasure.
//!
//! Erasure leaves a tombstone next to the keys (`pii_erased`): no key is created again for an erased subject,
//! so a write that still holds plaintext read before the erasure (a batch in flight, a delivery result)
//! cannot seal it under a fresh, readable key; it is written as erased instead. Only a new order of the
//! customer lifts the tombstone: the customer gave their data again, and the order must reach the warehouse.

use super::cipher::{DataKey, sealed_key_ids};
use super::provider::{KEY_LEN, KeyProvider};
use super::ring::KeyRing;
use crate::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an unwrapped key is trusted before the table is read again, so that an erasure made by another
/// hub process on the same database takes effect here within this time (at once in the erasing process).
const CACHE_TTL: Duration = Duration::from_secs(30);
/// Most cached keys; past it the cache starts over.
const MAX_CACHED: usize = 100_000;

/// A data key as stored: wrapped under the master key.
#[derive(Debug, Clone)]
pub(crate) struct WrappedKey {
    pub key_id: String,
    pub subject: String,
    pub wrapped: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

/// The key table, implemented by each backend (outside batch transactions: a key row is committed before
/// any event sealed under it, and a key created for a batch that then fails is harmless).
#[async_trait]
pub(crate) trait KeyTable: Send + Sync + 'static {
    async fn by_subjects(&self, subjects: &[String]) -> Result<Vec<WrappedKey>, StoreError>;
    async fn by_ids(&self, ids: &[String]) -> Result<Vec<WrappedKey>, StoreError>;
    /// Inserts the keys (in one transaction) except those whose subject has one already; returns the ids of
    /// the keys it inserted.
    async fn insert(&self, keys: &[WrappedKey]) -> Result<Vec<String>, StoreError>;
    /// Records the subject as erased (a tombstone) and deletes its keys, in one transaction; returns how many
    /// key rows went. `by_subjects`, `by_ids` and `insert` ignore the keys of a subject with a tombstone (one
    /// that raced the erasure in).
    async fn delete_subject(&self, subject: &str) -> Result<u64, StoreError>;
    /// Those of `subjects` that have a tombstone.
    async fn erased(&self, subjects: &[String]) -> Result<Vec<String>, StoreError>;
    /// Removes the tombstones of `subjects` (a new order of an erased customer).
    async fn lift_erasure(&self, subjects: &[String]) -> Result<(), StoreError>;
}

#[derive(Default)]
struct Cache {
    by_subject: HashMap<String, (Instant, Arc<DataKey>)>,
    /// `None`: the key is gone (destroyed keys never come back, ids are never reused).
    by_id: HashMap<String, (Instant, Option<Arc<DataKey>>)>,
}

pub(crate) struct Vault {
    provider: Arc<dyn KeyProvider>,
    table: Box<dyn KeyTable>,
    cache: Mutex<Cache>,
}

impl Vault {
    pub fn new(provider: Arc<dyn KeyProvider>, table: Box<dyn KeyTable>) -> Self {
        Self { provider, table, cache: Mutex::new(Cache::default()) }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn unwrap(&self, row: &WrappedKey) -> Result<Arc<DataKey>, StoreError> {
        let key: [u8; KEY_LEN] = self.provider.unwrap(&row.key_id, &row.wrapped).await.map_err(|e| {
            tracing::error!(error = %e, provider = %self.provider.describe(), "a PII data key cannot be unwrapped");
            StoreError::Corrupt(e.to_string())
        })?;
        Ok(Arc::new(DataKey::new(row.key_id.clone(), row.subject.clone(), &key)))
    }

    fn remember(&self, subject: &str, key: &Arc<DataKey>) {
        let mut cache = self.cache();
        if cache.by_subject.len() >= MAX_CACHED || cache.by_id.len() >= MAX_CACHED {
            *cache = Cache::default();
        }
        let now = Instant::now();
        cache.by_subject.insert(subject.to_string(), (now, key.clone()));
        cache.by_id.insert(key.id.clone(), (now, Some(key.clone())));
    }

    /// Adds the data keys of `subjects` to the ring, creating (and storing) those that do not exist yet; an
    /// erased subject gets none and is noted in the ring's `erased` (its values are written as erased).
    pub async fn ensure_subjects(&self, ring: &mut KeyRing, subjects: &[String]) -> Result<(), StoreError> {
        self.ensure(ring, subjects, |_| false, false).await
    }

    /// [`Vault::ensure_subjects`] for orders being placed: the key of an order that names no customer
    /// (`order:<id>`) is new unless the order was placed before (a replay, rare), so it is inserted without
    /// looking first, and read back only if it was there. A customer erased before gets a new key: placing an
    /// order lifts the tombstone.
    pub async fn ensure_placed(&self, ring: &mut KeyRing, subjects: &[String]) -> Result<(), StoreError> {
        self.ensure(ring, subjects, super::ring::is_own_order_subject, true).await
    }

    async fn ensure(
        &self,
        ring: &mut KeyRing,
        subjects: &[String],
        likely_new: impl Fn(&str) -> bool,
        placing: bool,
    ) -> Result<(), StoreError> {
        let mut missing: Vec<String> = Vec::new();
        // A batch may name a subject many times (one customer's orders): dedup in a set, not by scanning.
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        {
            let cache = self.cache();
            for subject in subjects {
                if ring.by_subject.contains_key(subject) || ring.erased.contains(subject) {
                    continue;
                }
                match cache.by_subject.get(subject) {
                    Some((at, key)) if at.elapsed() < CACHE_TTL => {
                        ring.by_subject.insert(subject.clone(), key.clone());
                    }
                    _ if seen.insert(subject.as_str()) => missing.push(subject.clone()),
                    _ => {}
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let known: Vec<String> = missing.iter().filter(|s| !likely_new(s)).cloned().collect();
        let mut found: HashMap<String, WrappedKey> = if known.is_empty() {
            HashMap::new()
        } else {
            self.table.by_subjects(&known).await?.into_iter().map(|k| (k.subject.clone(), k)).collect()
        };
        let absent: Vec<&String> = missing.iter().filter(|s| !found.contains_key(*s)).collect();
        // Own-order subjects are never erased (erasure is by customer): no need to look for their tombstones.
        let maybe_erased: Vec<String> = absent.iter().filter(|s| !likely_new(s)).map(|s| (*s).clone()).collect();
        let mut erased: HashSet<String> = if maybe_erased.is_empty() {
            HashSet::new()
        } else {
            self.table.erased(&maybe_erased).await?.into_iter().collect()
        };
        if placing && !erased.is_empty() {
            let lifted: Vec<String> = erased.drain().collect();
            self.table.lift_erasure(&lifted).await?;
        }
        let absent: Vec<&String> = absent.into_iter().filter(|s| !erased.contains(*s)).collect();
        let mut created = HashMap::new();
        if !absent.is_empty() {
            let raced;
            (created, raced) = self.create(&absent).await?;
            if !raced.is_empty() {
                found.extend(self.table.by_subjects(&raced).await?.into_iter().map(|k| (k.subject.clone(), k)));
                // Neither inserted nor found: erased meanwhile (by another process).
                let lost: Vec<String> = raced.into_iter().filter(|s| !found.contains_key(s)).collect();
                if !lost.is_empty() {
                    erased.extend(self.table.erased(&lost).await?);
                }
            }
        }
        for subject in missing {
            if erased.contains(&subject) {
                ring.erased.insert(subject);
                continue;
            }
            let key = match created.remove(&subject) {
                Some(key) => key,
                None => {
                    let row = found
                        .get(&subject)
                        .ok_or_else(|| StoreError::Corrupt(format!("the data key of {subject} was not stored")))?;
                    self.unwrap(row).await?
                }
            };
            self.remember(&subject, &key);
            ring.by_subject.insert(subject, key);
        }
        Ok(())
    }

    /// Makes and stores a key for each subject; returns the keys stored, by subject (usable as they are: no
    /// need to unwrap what was just wrapped), and the subjects whose key was stored before (by another
    /// process, or by an earlier placing of the order), to read back.
    async fn create(&self, subjects: &[&String]) -> Result<(HashMap<String, Arc<DataKey>>, Vec<String>), StoreError> {
        let mut rows = Vec::with_capacity(subjects.len());
        let mut fresh = HashMap::with_capacity(subjects.len());
        for subject in subjects {
            let key_id = DataKey::new_id();
            let data_key = rand::random::<[u8; KEY_LEN]>();
            let wrapped = self.provider.wrap(&key_id, &data_key).await.map_err(|e| {
                tracing::error!(error = %e, provider = %self.provider.describe(), "a PII data key cannot be wrapped");
                StoreError::Corrupt(e.to_string())
            })?;
            fresh.insert(key_id.clone(), Arc::new(DataKey::new(key_id.clone(), (*subject).clone(), &data_key)));
            rows.push(WrappedKey { key_id, subject: (*subject).clone(), wrapped, created_at: Utc::now() });
        }
        let mut created = HashMap::with_capacity(subjects.len());
        for id in self.table.insert(&rows).await? {
            if let Some(key) = fresh.remove(&id) {
                created.insert(key.subject.clone(), key);
            }
        }
        let raced = subjects.iter().filter(|s| !created.contains_key(s.as_str())).map(|s| (*s).clone()).collect();
        Ok((created, raced))
    }

    /// Adds to the ring the keys of every sealed value found in `texts` (`None` for destroyed ones).
    pub async fn resolve_texts<'a>(
        &self,
        ring: &mut KeyRing,
        texts: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), StoreError> {
        let mut missing: Vec<String> = Vec::new();
        // Many values may be sealed under one key (one customer's orders): dedup in a set, not by scanning.
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        {
            let cache = self.cache();
            for text in texts {
                for id in sealed_key_ids(text) {
                    if ring.by_id.contains_key(id) {
                        continue;
                    }
                    match cache.by_id.get(id) {
                        Some((at, key)) if key.is_none() || at.elapsed() < CACHE_TTL => {
                            ring.by_id.insert(id.to_string(), key.clone());
                        }
                        _ if seen.insert(id) => missing.push(id.to_string()),
                        _ => {}
                    }
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let rows = self.table.by_ids(&missing).await?;
        for row in &rows {
            let key = self.unwrap(row).await?;
            self.remember(&row.subject, &key);
            ring.by_id.insert(row.key_id.clone(), Some(key));
        }
        let mut cache = self.cache();
        for id in missing {
            ring.by_id.entry(id.clone()).or_insert_with(|| {
                cache.by_id.insert(id, (Instant::now(), None));
                None
            });
        }
        Ok(())
    }

    /// Destroys the subject's data keys; true when there was one.
    pub async fn erase(&self, subject: &str) -> Result<bool, StoreError> {
        let deleted = self.table.delete_subject(subject).await?;
        let mut cache = self.cache();
        if let Some((_, key)) = cache.by_subject.remove(subject) {
            cache.by_id.insert(key.id.clone(), (Instant::now(), None));
        }
        let now = Instant::now();
        for entry in cache.by_id.values_mut() {
            if entry.1.as_ref().is_some_and(|key| key.subject == subject) {
                *entry = (now, None);
            }
        }
        Ok(deleted > 0)
    }

    pub fn describe(&self) -> String {
        self.provider.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::MasterKey;

    /// A key table in memory; `preempt` is a row "another process" inserts just before this one's insert.
    #[derive(Default)]
    struct Table {
        rows: Mutex<Vec<WrappedKey>>,
        preempt: Mutex<Option<WrappedKey>>,
        /// Calls of `by_subjects`.
        lookups: std::sync::atomic::AtomicUsize,
        /// Keys given to `insert`.
        offered: std::sync::atomic::AtomicUsize,
        /// Tombstones of erased subjects.
        erased: Mutex<Vec<String>>,
    }

    impl Table {
        fn is_erased(&self, subject: &str) -> bool {
            self.erased.lock().unwrap().iter().any(|s| s == subject)
        }
    }

    #[async_trait]
    impl KeyTable for Arc<Table> {
        async fn by_subjects(&self, subjects: &[String]) -> Result<Vec<WrappedKey>, StoreError> {
            self.lookups.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let rows = self.rows.lock().unwrap();
            Ok(rows.iter().filter(|r| subjects.contains(&r.subject) && !self.is_erased(&r.subject)).cloned().collect())
        }

        async fn by_ids(&self, ids: &[String]) -> Result<Vec<WrappedKey>, StoreError> {
            let rows = self.rows.lock().unwrap();
            Ok(rows.iter().filter(|r| ids.contains(&r.key_id) && !self.is_erased(&r.subject)).cloned().collect())
        }

        async fn insert(&self, keys: &[WrappedKey]) -> Result<Vec<String>, StoreError> {
            self.offered.fetch_add(keys.len(), std::sync::atomic::Ordering::Relaxed);
            let mut rows = self.rows.lock().unwrap();
            rows.extend(self.preempt.lock().unwrap().take());
            let mut inserted = Vec::new();
            for key in keys {
                if !rows.iter().any(|r| r.subject == key.subject) && !self.is_erased(&key.subject) {
                    rows.push(key.clone());
                    inserted.push(key.key_id.clone());
                }
            }
            Ok(inserted)
        }

        async fn delete_subject(&self, subject: &str) -> Result<u64, StoreError> {
            if !self.is_erased(subject) {
                self.erased.lock().unwrap().push(subject.to_string());
            }
            let mut rows = self.rows.lock().unwrap();
            let before = rows.len();
            rows.retain(|r| r.subject != subject);
            Ok((before - rows.len()) as u64)
        }

        async fn erased(&self, subjects: &[String]) -> Result<Vec<String>, StoreError> {
            Ok(subjects.iter().filter(|s| self.is_erased(s)).cloned().collect())
        }

        async fn lift_erasure(&self, subjects: &[String]) -> Result<(), StoreError> {
            self.erased.lock().unwrap().retain(|s| !subjects.contains(s));
            Ok(())
        }
    }

    fn vault(master: &Arc<MasterKey>, table: &Arc<Table>) -> Vault {
        Vault::new(master.clone(), Box::new(table.clone()))
    }

    /// Seals with the ring's key for `subject` and opens with a vault whose cache is cold (reading the table).
    async fn round_trip(master: &Arc<MasterKey>, table: &Arc<Table>, ring: &KeyRing, subject: &str) -> Option<String> {
        let sealed = ring.by_subject[subject].seal("Zeb Ramirez")?;
        let mut opened = KeyRing::default();
        vault(master, table).resolve_texts(&mut opened, [sealed.as_str()]).await.ok()?;
        let key = opened.by_id.values().next()?.clone()?;
        key.open(&sealed)
    }

    #[tokio::test]
    async fn a_new_subject_gets_the_key_it_stored() {
        let master = Arc::new(MasterKey::from_bytes(&[7; KEY_LEN], "test"));
        let table = Arc::new(Table::default());
        let mut ring = KeyRing::default();
        vault(&master, &table).ensure_subjects(&mut ring, &["customer:c1".into()]).await.unwrap();
        let stored: Vec<String> = table.rows.lock().unwrap().iter().map(|r| r.key_id.clone()).collect();
        assert_eq!(stored, [ring.by_subject["customer:c1"].id.clone()]);
        assert_eq!(round_trip(&master, &table, &ring, "customer:c1").await.as_deref(), Some("Zeb Ramirez"));
    }

    #[tokio::test]
    async fn a_subject_whose_key_another_process_stored_first_uses_that_key() {
        let master = Arc::new(MasterKey::from_bytes(&[7; KEY_LEN], "test"));
        let table = Arc::new(Table::default());
        let theirs = rand::random::<[u8; KEY_LEN]>();
        let their_id = DataKey::new_id();
        let wrapped = master.wrap(&their_id, &theirs).await.unwrap();
        *table.preempt.lock().unwrap() = Some(WrappedKey {
            key_id: their_id.clone(),
            subject: "customer:c1".into(),
            wrapped,
            created_at: Utc::now(),
        });
        let mut ring = KeyRing::default();
        vault(&master, &table).ensure_subjects(&mut ring, &["customer:c1".into(), "customer:c2".into()]).await.unwrap();
        assert_eq!(ring.by_subject["customer:c1"].id, their_id);
        assert_eq!(table.rows.lock().unwrap().len(), 2, "one key per subject");
        for subject in ["customer:c1", "customer:c2"] {
            assert_eq!(round_trip(&master, &table, &ring, subject).await.as_deref(), Some("Zeb Ramirez"), "{subject}");
        }
    }

    #[tokio::test]
    async fn placing_an_order_stores_its_own_key_without_looking_first_and_a_replay_keeps_the_stored_one() {
        let master = Arc::new(MasterKey::from_bytes(&[7; KEY_LEN], "test"));
        let table = Arc::new(Table::default());
        let lookups = || table.lookups.load(std::sync::atomic::Ordering::Relaxed);
        let mut first = KeyRing::default();
        vault(&master, &table).ensure_placed(&mut first, &["order:o1".into()]).await.unwrap();
        assert_eq!(lookups(), 0, "a new order's key is inserted without a lookup");
        // A replay placing the same order, from a vault with a cold cache: the stored key is kept.
        let mut replay = KeyRing::default();
        vault(&master, &table).ensure_placed(&mut replay, &["order:o1".into(), "customer:c9".into()]).await.unwrap();
        assert_eq!(replay.by_subject["order:o1"].id, first.by_subject["order:o1"].id);
        assert_eq!(table.rows.lock().unwrap().len(), 2);
        assert_eq!(round_trip(&master, &table, &replay, "order:o1").await.as_deref(), Some("Zeb Ramirez"));
    }

    #[tokio::test]
    async fn a_subject_named_many_times_in_a_batch_gets_one_key() {
        let master = Arc::new(MasterKey::from_bytes(&[7; KEY_LEN], "test"));
        let table = Arc::new(Table::default());
        let subjects: Vec<String> =
            ["customer:c1", "customer:c2", "customer:c1", "customer:c1", "customer:c2"].map(String::from).to_vec();
        let mut ring = KeyRing::default();
        vault(&master, &table).ensure_subjects(&mut ring, &subjects).await.unwrap();
        assert_eq!(table.offered.load(std::sync::atomic::Ordering::Relaxed), 2, "each subject offered once");
        assert_eq!(ring.by_subject.len(), 2);
        for subject in ["customer:c1", "customer:c2"] {
            assert_eq!(round_trip(&master, &table, &ring, subject).await.as_deref(), Some("Zeb Ramirez"), "{subject}");
        }
    }

    #[tokio::test]
    async fn an_erased_subject_gets_no_new_key_until_a_new_order_of_it_is_placed() {
        let master = Arc::new(MasterKey::from_bytes(&[7; KEY_LEN], "test"));
        let table = Arc::new(Table::default());
        let vault = vault(&master, &table);
        let c1 = || vec!["customer:c1".to_string()];
        vault.ensure_subjects(&mut KeyRing::default(), &c1()).await.unwrap();
        assert!(vault.erase("customer:c1").await.unwrap());

        // A write after the erasure (a batch or a delivery result holding plaintext read before it).
        let mut ring = KeyRing::default();
        vault.ensure_subjects(&mut ring, &[c1(), vec!["customer:c2".into()]].concat()).await.unwrap();
        assert!(ring.is_erased("customer:c1") && !ring.by_subject.contains_key("customer:c1"));
        assert!(ring.by_subject.contains_key("customer:c2"), "other subjects get their keys");
        assert!(table.rows.lock().unwrap().iter().all(|r| r.subject != "customer:c1"), "no key created");
        // The same from a vault with a cold cache (another process).
        let mut cold = KeyRing::default();
        super::Vault::new(master.clone(), Box::new(table.clone())).ensure_subjects(&mut cold, &c1()).await.unwrap();
        assert!(cold.is_erased("customer:c1"));

        // The customer places a new order: the tombstone is lifted and a new key made.
        let mut placing = KeyRing::default();
        vault.ensure_placed(&mut placing, &c1()).await.unwrap();
        assert!(!placing.is_erased("customer:c1"));
        assert_eq!(round_trip(&master, &table, &placing, "customer:c1").await.as_deref(), Some("Zeb Ramirez"));
    }
}
