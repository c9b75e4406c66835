//! The slots availability computed last, per project, service and window of whole UTC days,
//! with the version PostgreSQL gave them. A request sends the version it holds, and
//! PostgreSQL computes the slots again only when the calendar has changed since (see
//! `queries::availability`); a voice agent asking about the next days again and again, or
//! anyone calling the public route in a loop, then costs a version check. Per process: each
//! Lambda instance keeps its own, and the version makes a copy from any time safe to offer.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Days, NaiveTime, Utc};
use lru::LruCache;
use uuid::Uuid;

/// At most this many windows are kept. A 31-day window of 5-minute slots, open all day, is
/// 9,216 slots (74 kB), so the worst case stays under 5 MB.
const WINDOWS: NonZeroUsize = NonZeroUsize::new(64).unwrap();

/// Which slots: a service of a project, over whole UTC days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub project: Uuid,
    pub service: Uuid,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Key {
    /// The whole UTC days around `[from, to)`: every window within the same days shares them,
    /// as `from = now` does all day.
    pub fn around(project: Uuid, service: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        let midnight = |t: DateTime<Utc>| t.date_naive().and_time(NaiveTime::MIN).and_utc();
        let to = match midnight(to) {
            start if start == to => to,
            start => start.checked_add_days(Days::new(1)).unwrap_or(to),
        };
        Self {
            project,
            service,
            from: midnight(from),
            to,
        }
    }
}

/// Slots as PostgreSQL computed them, and the version they were computed at.
#[derive(Debug, Clone)]
pub struct Entry {
    pub version: Vec<i64>,
    pub slots: Arc<[DateTime<Utc>]>,
}

#[derive(Clone)]
pub struct RecentSlots(Arc<Mutex<LruCache<Key, Entry>>>);

impl Default for RecentSlots {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(LruCache::new(WINDOWS))))
    }
}

impl RecentSlots {
    pub fn get(&self, key: &Key) -> Option<Entry> {
        self.lock().get(key).cloned()
    }

    pub fn put(&self, key: Key, entry: Entry) {
        self.lock().put(key, entry);
    }

    // A panic elsewhere cannot leave the map half-written (each call is one map operation),
    // so a poisoned lock is still good to use.
    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Key, Entry>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_window_is_widened_to_the_utc_days_it_touches() {
        let key = Key::around(
            Uuid::nil(),
            Uuid::nil(),
            at("2030-03-04T13:02:00Z"),
            at("2030-03-11T13:02:00Z"),
        );
        assert_eq!(key.from, at("2030-03-04T00:00:00Z"));
        assert_eq!(key.to, at("2030-03-12T00:00:00Z"));
    }

    #[test]
    fn a_window_on_midnights_stays_as_it_is() {
        let key = Key::around(
            Uuid::nil(),
            Uuid::nil(),
            at("2030-03-04T00:00:00Z"),
            at("2030-04-04T00:00:00Z"),
        );
        assert_eq!(
            (key.from, key.to),
            (at("2030-03-04T00:00:00Z"), at("2030-04-04T00:00:00Z"))
        );
    }

    #[test]
    fn the_least_recently_used_window_goes_first() {
        let cache = RecentSlots::default();
        let key = |day: u64| {
            let from = at("2030-01-01T00:00:00Z") + Days::new(day);
            Key::around(Uuid::nil(), Uuid::nil(), from, from + Days::new(1))
        };
        let entry = |n: i64| Entry {
            version: vec![n],
            slots: Arc::from([]),
        };
        for day in 0..WINDOWS.get() as u64 {
            cache.put(key(day), entry(day as i64));
        }
        assert!(cache.get(&key(0)).is_some(), "day 0 is now the most recent");
        cache.put(key(1_000), entry(1_000));
        assert!(cache.get(&key(1)).is_none(), "day 1 was the least recent");
        assert_eq!(cache.get(&key(0)).map(|e| e.version), Some(vec![0]));
        assert_eq!(cache.get(&key(1_000)).map(|e| e.version), Some(vec![1_000]));
    }
}
