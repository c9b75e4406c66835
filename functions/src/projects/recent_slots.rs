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
use serde_json::value::RawValue;
use uuid::Uuid;

/// At most this many windows are kept,
const WINDOWS: NonZeroUsize = NonZeroUsize::new(64).unwrap();
/// and at most this many slots in all: a slot takes 47 bytes here (its instant, its JSON, its
/// offset), so about 4.7 MB. One window holds up to 46,048 (32 days of 1-minute slots, open
/// 00:00-23:59), so an owner's hours cannot make an instance hold more.
const SLOTS: usize = 100_000;

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
    pub slots: Arc<SlotList>,
}

/// Slots in ascending order, with their JSON written once: the slots a request lists are a
/// run of them (those in its window and after now), so its answer copies that run's text
/// instead of formatting each slot again (a third of the route's CPU for a 31-day window).
#[derive(Debug)]
pub struct SlotList {
    starts: Vec<DateTime<Utc>>,
    /// `"2030-03-04T09:00:00.000Z","2030-03-04T09:30:00.000Z",...`
    json: String,
    /// Where each slot's text begins in `json`, and where the text would go on after the last.
    offsets: Vec<usize>,
}

impl SlotList {
    /// `starts` must be ascending, as the statement orders them.
    pub fn new(starts: Vec<DateTime<Utc>>) -> Self {
        let mut json = String::with_capacity(starts.len() * 27);
        let mut offsets = Vec::with_capacity(starts.len() + 1);
        for start in &starts {
            offsets.push(json.len());
            json.push('"');
            json.push_str(&common::time::format(start));
            json.push_str("\",");
        }
        offsets.push(json.len());
        Self {
            starts,
            json,
            offsets,
        }
    }

    pub fn count(&self) -> usize {
        self.starts.len()
    }

    /// The JSON array of the slots in `[from, to)` that start after `now`.
    pub fn json_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Box<RawValue>, serde_json::Error> {
        let first = self
            .starts
            .partition_point(|&start| start < from || start <= now);
        let end = self.starts.partition_point(|&start| start < to).max(first);
        let run = &self.json[self.offsets[first]..self.offsets[end]];
        let array = format!("[{}]", run.strip_suffix(',').unwrap_or(run));
        RawValue::from_string(array)
    }
}

#[derive(Clone)]
pub struct RecentSlots(Arc<Mutex<Kept>>);

struct Kept {
    windows: LruCache<Key, Entry>,
    /// The slots of all `windows`.
    slots: usize,
}

impl Default for RecentSlots {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Kept {
            windows: LruCache::new(WINDOWS),
            slots: 0,
        })))
    }
}

impl RecentSlots {
    pub fn get(&self, key: &Key) -> Option<Entry> {
        self.lock().windows.get(key).cloned()
    }

    /// Keeps `entry`, dropping the least recently used windows beyond either limit.
    pub fn put(&self, key: Key, entry: Entry) {
        let mut kept = self.lock();
        kept.slots += entry.slots.count();
        // The window `key` replaces, or the one the count limit pushes out.
        if let Some((_, out)) = kept.windows.push(key, entry) {
            kept.slots -= out.slots.count();
        }
        while kept.slots > SLOTS {
            let Some((_, out)) = kept.windows.pop_lru() else {
                break;
            };
            kept.slots -= out.slots.count();
        }
    }

    // A panic elsewhere cannot leave the map half-written (no call here panics between its
    // changes), so a poisoned lock is still good to use.
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// The window of the `day`-th day of 2030.
    fn key(day: u64) -> Key {
        let from = at("2030-01-01T00:00:00Z") + Days::new(day);
        Key::around(Uuid::nil(), Uuid::nil(), from, from + Days::new(1))
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
        let entry = |n: i64| Entry {
            version: vec![n],
            slots: Arc::new(SlotList::new(Vec::new())),
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

    #[test]
    fn the_slots_kept_in_all_stay_within_their_limit() {
        let cache = RecentSlots::default();
        let minutes = |n: usize| {
            let start = at("2030-01-01T00:00:00Z");
            let starts = (0..n as i64).map(|m| start + chrono::Duration::minutes(m));
            Arc::new(SlotList::new(starts.collect()))
        };
        let big = SLOTS * 2 / 5;
        let entry = |version: i64| Entry {
            version: vec![version],
            slots: minutes(big),
        };
        for day in 0..3 {
            cache.put(key(day), entry(day as i64));
        }
        assert!(cache.get(&key(0)).is_none(), "three would pass the limit");
        assert!(cache.get(&key(1)).is_some() && cache.get(&key(2)).is_some());
        // Replacing a window counts its old slots out.
        for _ in 0..3 {
            cache.put(key(2), entry(9));
        }
        assert!(
            cache.get(&key(1)).is_some(),
            "{} slots kept",
            cache.lock().slots
        );
        assert_eq!(cache.lock().slots, 2 * big);
    }

    #[test]
    fn a_window_lists_its_run_of_slots_after_now() {
        let slots = SlotList::new(
            ["09:00", "09:30", "10:00", "10:30"]
                .iter()
                .map(|t| at(&format!("2030-03-04T{t}:00Z")))
                .collect(),
        );
        let listed = |from: &str, to: &str, now: &str| {
            let (from, to, now) = (at(from), at(to), at(now));
            let json = slots.json_between(from, to, now).unwrap();
            serde_json::from_str::<Vec<String>>(json.get()).unwrap()
        };
        let long_ago = "2000-01-01T00:00:00Z";
        assert_eq!(
            listed("2030-03-04T00:00:00Z", "2030-03-05T00:00:00Z", long_ago),
            [
                "2030-03-04T09:00:00.000Z",
                "2030-03-04T09:30:00.000Z",
                "2030-03-04T10:00:00.000Z",
                "2030-03-04T10:30:00.000Z"
            ]
        );
        assert_eq!(
            listed("2030-03-04T09:30:00Z", "2030-03-04T10:30:00Z", long_ago),
            ["2030-03-04T09:30:00.000Z", "2030-03-04T10:00:00.000Z"],
            "from is inclusive, to exclusive"
        );
        assert_eq!(
            listed(
                "2030-03-04T00:00:00Z",
                "2030-03-05T00:00:00Z",
                "2030-03-04T09:30:00Z"
            ),
            ["2030-03-04T10:00:00.000Z", "2030-03-04T10:30:00.000Z"],
            "a slot starting now is past"
        );
        assert!(listed("2030-03-04T11:00:00Z", "2030-03-05T00:00:00Z", long_ago).is_empty());
        assert!(
            listed(
                "2030-03-04T10:00:00Z",
                "2030-03-05T00:00:00Z",
                "2031-01-01T00:00:00Z"
            )
            .is_empty()
        );
        let none = SlotList::new(Vec::new());
        let json = none.json_between(at(long_ago), at(long_ago), at(long_ago));
        assert_eq!(json.unwrap().get(), "[]");
    }
}
