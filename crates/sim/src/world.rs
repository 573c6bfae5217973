//! The physical world behind the simulated systems, which the hub never sees directly: units on shelves
//! (what a count would find), which parcels held a wrong item (what the customer finds on opening it), and
//! which events a system has already acted on.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Mutex;

/// Units physically on the shelves of some sites, by (location, sku).
#[derive(Debug, Default)]
pub struct Shelves {
    units: Mutex<BTreeMap<(String, String), i64>>,
}

impl Shelves {
    pub fn set(&self, location: &str, sku: &str, units: i64) {
        if let Ok(mut shelves) = self.units.lock() {
            shelves.insert((location.to_string(), sku.to_string()), units.max(0));
        }
    }

    pub fn get(&self, location: &str, sku: &str) -> i64 {
        self.units.lock().ok().and_then(|s| s.get(&(location.to_string(), sku.to_string())).copied()).unwrap_or(0)
    }

    /// Takes up to `wanted` units off the shelf; returns how many were there to take.
    pub fn take(&self, location: &str, sku: &str, wanted: i64) -> i64 {
        let Ok(mut shelves) = self.units.lock() else { return 0 };
        let units = shelves.entry((location.to_string(), sku.to_string())).or_default();
        let taken = wanted.clamp(0, (*units).max(0));
        *units -= taken;
        taken
    }

    /// Puts units on the shelf (receipts, resellable returns).
    pub fn add(&self, location: &str, sku: &str, units: i64) {
        if let Ok(mut shelves) = self.units.lock() {
            let on_shelf = shelves.entry((location.to_string(), sku.to_string())).or_default();
            *on_shelf = on_shelf.saturating_add(units).max(0);
        }
    }

    /// The skus held at a location, with their units.
    pub fn at(&self, location: &str) -> Vec<(String, i64)> {
        let Ok(shelves) = self.units.lock() else { return Vec::new() };
        shelves.iter().filter(|((l, _), _)| l == location).map(|((_, sku), units)| (sku.clone(), *units)).collect()
    }

    /// Total units at a location.
    pub fn total_at(&self, location: &str) -> i64 {
        self.at(location).iter().map(|(_, units)| units).sum()
    }
}

/// What really went into the parcels: lines picked with a wrong item, by order.
#[derive(Debug, Default)]
pub struct GroundTruth {
    wrong_picks: Mutex<HashMap<String, Vec<(String, u32)>>>,
}

impl GroundTruth {
    /// Records that `units` of line `line_id` of an order were shipped as a wrong item.
    pub fn record_wrong_pick(&self, order_id: &str, line_id: &str, units: u32) {
        if let Ok(mut picks) = self.wrong_picks.lock() {
            picks.entry(order_id.to_string()).or_default().push((line_id.to_string(), units));
        }
    }

    /// The wrongly picked lines of an order.
    pub fn wrong_picks(&self, order_id: &str) -> Vec<(String, u32)> {
        self.wrong_picks.lock().ok().and_then(|p| p.get(order_id).cloned()).unwrap_or_default()
    }

    /// Orders shipped with at least one wrong item.
    pub fn wrongly_picked_orders(&self) -> usize {
        self.wrong_picks.lock().map(|p| p.len()).unwrap_or(0)
    }
}

/// Keys of work already done (event sequence numbers and the like), remembering the most recent ones.
#[derive(Debug)]
pub struct Seen<K> {
    inner: Mutex<(HashSet<K>, VecDeque<K>)>,
    capacity: usize,
}

impl<K: std::hash::Hash + Eq + Clone> Seen<K> {
    pub fn new(capacity: usize) -> Self {
        Self { inner: Mutex::new((HashSet::new(), VecDeque::new())), capacity: capacity.max(1) }
    }

    /// Remembers `key`; false when it was seen before.
    pub fn first_time(&self, key: K) -> bool {
        let Ok(mut guard) = self.inner.lock() else { return true };
        let (set, order) = &mut *guard;
        if set.contains(&key) {
            return false;
        }
        if order.len() >= self.capacity
            && let Some(old) = order.pop_front()
        {
            set.remove(&old);
        }
        set.insert(key.clone());
        order.push_back(key);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shelves_never_go_negative() {
        let shelves = Shelves::default();
        shelves.set("wh", "A", 3);
        assert_eq!(shelves.take("wh", "A", 5), 3);
        assert_eq!(shelves.get("wh", "A"), 0);
        assert_eq!(shelves.take("wh", "B", 1), 0);
        assert_eq!(shelves.take("wh", "A", -4), 0);
        shelves.add("wh", "A", 2);
        shelves.add("wh", "A", -9);
        assert_eq!(shelves.get("wh", "A"), 0);
        shelves.add("wh", "C", 4);
        assert_eq!(shelves.total_at("wh"), 4);
    }

    #[test]
    fn seen_keys_are_bounded() {
        let seen = Seen::new(2);
        assert!(seen.first_time(1));
        assert!(!seen.first_time(1));
        assert!(seen.first_time(2));
        assert!(seen.first_time(3));
        assert!(seen.first_time(1), "1 was forgotten");
    }

    #[test]
    fn wrong_picks_are_kept_per_order() {
        let truth = GroundTruth::default();
        truth.record_wrong_pick("o1", "2", 1);
        assert_eq!(truth.wrong_picks("o1"), vec![("2".to_string(), 1)]);
        assert!(truth.wrong_picks("o2").is_empty());
        assert_eq!(truth.wrongly_picked_orders(), 1);
    }
}
