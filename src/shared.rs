//! The local server's connections, which concurrent requests share (`DB_PIPELINE_DEPTH` of
//! them on each). Handlers never open a transaction: every statement is its own, so requests
//! can take turns on one connection, and tokio-postgres pipelines them. Statements queued in
//! one turn of the event loop leave in one write, and a PostgreSQL backend answers the next one
//! without sleeping in between (the README's Benchmark section compares both). A Lambda
//! instance serves one request at a time, so the functions take plain pooled connections and
//! never link this.
//!
//! deadpool still makes, checks and replaces the connections; this only decides which request
//! goes to which of them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::AppState;
use common::config::{Config, ConfigError, Source};
use common::db::query::{Connections, Lease, Pooled};
use common::db::{Conn, Pool};
use common::error::PoolUnavailable;
use futures_util::future::BoxFuture;
use tokio::sync::{Mutex, MutexGuard, OwnedSemaphorePermit, Semaphore};

/// The local server's state from `source`: requests take turns on its connections,
/// `DB_PIPELINE_DEPTH` of them at a time on each (1, each request a connection of its own, if
/// unset).
pub fn state(source: &dyn Source) -> Result<AppState, ConfigError> {
    let depth = (source.get("DB_PIPELINE_DEPTH").as_deref().map(str::trim))
        .map_or(Some(1), |raw| raw.parse::<usize>().ok().filter(|d| *d >= 1))
        .ok_or("DB_PIPELINE_DEPTH must be a number of at least 1")?;
    let config = Config::from_source(source)?;
    let wait = config.db.pool_wait_timeout;
    AppState::with_connections(config, |pool| match depth {
        1 => Arc::new(pool),
        _ => Arc::new(SharedConnections::new(pool, depth, wait)),
    })
}

/// No turn on a connection came free, or none could be made, within the pool's wait timeout.
#[derive(Debug, thiserror::Error)]
#[error("no turn on a database connection within {0:?}")]
pub struct NoTurn(Duration);

/// One pooled connection, when it last answered, and whether it stopped answering.
#[derive(Debug)]
pub struct Shared {
    conn: Pooled,
    since: Instant,
    /// Nanoseconds after `since` of the last reply on this connection, to any request.
    last_reply: AtomicU64,
}

impl Shared {
    fn new(conn: Conn) -> Self {
        Self {
            conn: Pooled::new(conn),
            since: Instant::now(),
            last_reply: AtomicU64::new(0),
        }
    }

    /// Notes that the server answered a request on this connection.
    fn replied(&self) {
        let at = u64::try_from(self.since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last_reply.fetch_max(at, Ordering::Relaxed);
    }

    /// A request waited `waited` for its reply in vain. When nothing at all came back on this
    /// connection in that time, the server or the network is stuck: no request gets the
    /// connection again, and it leaves the pool when the last one drops it. A reply to another
    /// request meanwhile means it is only busy (a statement ahead waiting on a lock), and kept.
    fn no_reply_within(&self, waited: Duration) {
        let last = Duration::from_nanos(self.last_reply.load(Ordering::Relaxed));
        if self.since.elapsed().saturating_sub(last) >= waited {
            self.conn.no_reply_within(waited);
        }
    }

    fn usable(&self) -> bool {
        !self.conn.is_broken() && !self.conn.client().is_closed()
    }
}

type Slot = Mutex<Option<Arc<Shared>>>;
type SlotGuard<'a> = MutexGuard<'a, Option<Arc<Shared>>>;

/// A request's turn on one connection; the permit bounds how many requests are in flight.
/// Fields drop in order: the connection is let go before the permit frees a turn.
struct Turn {
    shared: Arc<Shared>,
    _permit: OwnedSemaphorePermit,
}

impl Lease for Turn {
    fn client(&self) -> &Conn {
        self.shared.conn.client()
    }

    fn replied(&self) {
        self.shared.replied();
    }

    fn no_reply_within(&self, waited: Duration) {
        self.shared.no_reply_within(waited);
    }
}

#[derive(Debug)]
pub struct SharedConnections {
    pool: Pool,
    /// One per pooled connection. A slot's lock is held while it is looked at or filled.
    slots: Box<[Slot]>,
    /// Pool size x depth: the requests in flight on all connections together. Each request
    /// goes to the least busy connection, so each carries about `depth` at most.
    permits: Arc<Semaphore>,
    wait: Duration,
    /// Where the next scan starts, so equally loaded connections take turns.
    next: AtomicUsize,
}

impl Connections for SharedConnections {
    fn lease(&self) -> BoxFuture<'_, Result<Box<dyn Lease>, PoolUnavailable>> {
        Box::pin(async move { Ok(Box::new(self.turn().await?) as Box<dyn Lease>) })
    }
}

impl SharedConnections {
    /// About `depth` requests per connection of `pool`; a request beyond that waits up to
    /// `wait` for one to finish.
    pub fn new(pool: Pool, depth: usize, wait: Duration) -> Self {
        let size = pool.status().max_size.max(1);
        Self {
            pool,
            slots: (0..size).map(|_| Mutex::new(None)).collect(),
            permits: Arc::new(Semaphore::new(size * depth.max(1))),
            wait,
            next: AtomicUsize::new(0),
        }
    }

    /// A turn on an idle connection, else on a new one while the pool has room, else on the
    /// least busy one.
    async fn turn(&self) -> Result<Turn, PoolUnavailable> {
        let no_turn = || PoolUnavailable(Box::new(NoTurn(self.wait)));
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            // Only a request that has to wait pays for a timer.
            Err(_) => tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
                .await
                .ok()
                .and_then(Result::ok)
                .ok_or_else(no_turn)?,
        };
        let shared = match self.pick() {
            Pick::Ready(shared) => shared,
            Pick::Fill(slot) => self.fill(slot).await?,
            // Every slot is locked: another request is making its connection. Wait for it,
            // and if that fails try once more, all within the wait timeout, so requests that
            // arrive during an outage do not queue one connect timeout after another.
            Pick::Busy(index) => tokio::time::timeout(self.wait, async {
                let slot = self.slots[index].lock().await;
                match slot.as_ref().filter(|s| s.usable()) {
                    Some(shared) => Ok(shared.clone()),
                    None => self.fill(slot).await,
                }
            })
            .await
            .map_err(|_| no_turn())??,
        };
        Ok(Turn {
            shared,
            _permit: permit,
        })
    }

    fn pick(&self) -> Pick<'_> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut least: Option<(usize, Arc<Shared>)> = None;
        // Empty, or holding a dead connection that no request uses any more.
        let mut vacant: Option<SlotGuard<'_>> = None;
        // Holding a dead connection that requests still use: the pool counts it until they
        // finish, so making a new one there waits for them.
        let mut stale: Option<SlotGuard<'_>> = None;
        for i in 0..self.slots.len() {
            let Ok(slot) = self.slots[(start + i) % self.slots.len()].try_lock() else {
                continue;
            };
            if let Some(shared) = slot.as_ref().filter(|s| s.usable()) {
                // The slot holds one reference; every other is a request in flight.
                let load = Arc::strong_count(shared);
                if load == 1 {
                    return Pick::Ready(shared.clone());
                }
                if least.as_ref().is_none_or(|(l, _)| load < *l) {
                    least = Some((load, shared.clone()));
                }
                continue;
            }
            let in_use = slot.as_ref().is_some_and(|s| Arc::strong_count(s) > 1);
            let keep = if in_use { &mut stale } else { &mut vacant };
            if keep.is_none() {
                *keep = Some(slot);
            }
        }
        match (vacant, least, stale) {
            (Some(slot), _, _) => Pick::Fill(slot),
            (None, Some((_, shared)), _) => Pick::Ready(shared),
            (None, None, Some(slot)) => Pick::Fill(slot),
            (None, None, None) => Pick::Busy(start % self.slots.len()),
        }
    }

    async fn fill(&self, mut slot: SlotGuard<'_>) -> Result<Arc<Shared>, PoolUnavailable> {
        // Let go of the dead connection first: the pool counts it until its last user drops it.
        drop(slot.take());
        let conn = self
            .pool
            .get()
            .await
            .map_err(|e| PoolUnavailable(Box::new(e)))?;
        let shared = Arc::new(Shared::new(conn));
        *slot = Some(shared.clone());
        Ok(shared)
    }
}

enum Pick<'a> {
    Ready(Arc<Shared>),
    /// This slot needs a connection; its lock is held so that no other request makes one too.
    Fill(SlotGuard<'a>),
    /// Every slot was locked; wait on this one.
    Busy(usize),
}
