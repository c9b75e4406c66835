//! Pooled connections that concurrent requests may share. Handlers never open a transaction:
//! every statement is its own, so requests can take turns on one connection, and tokio-postgres
//! pipelines them. Statements queued in one turn of the event loop leave in one write, and a
//! PostgreSQL backend answers the next one without sleeping in between. With a depth of 1 each
//! connection serves one request at a time, as a plain pool does (a Lambda function's case).
//!
//! deadpool still makes, checks and replaces the connections; this only decides which request
//! goes to which of them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use deadpool::managed::Object;
use tokio::sync::{Mutex, MutexGuard, OwnedSemaphorePermit, Semaphore};

use super::pool::{Conn, Pool};
use crate::error::PoolUnavailable;

/// No permit came free within the pool's wait timeout: every connection is at its depth.
#[derive(Debug, thiserror::Error)]
#[error("every database connection had {depth} requests in flight for {waited:?}")]
pub struct Saturated {
    depth: usize,
    waited: Duration,
}

/// One pooled connection, and whether a request saw it stop answering.
#[derive(Debug)]
pub struct Shared {
    /// Always `Some` until drop.
    conn: Option<Conn>,
    broken: AtomicBool,
}

impl Shared {
    pub fn conn(&self) -> &Conn {
        self.conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("connection used after drop"))
    }

    /// Marks the connection as mid-exchange with a server that stopped answering: no request
    /// gets it again, and it leaves the pool when the last one drops it.
    pub fn mark_broken(&self) {
        self.broken.store(true, Ordering::Relaxed);
    }

    fn usable(&self) -> bool {
        !self.broken.load(Ordering::Relaxed) && !self.conn().is_closed()
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if self.broken.load(Ordering::Relaxed)
            && let Some(conn) = self.conn.take()
        {
            // Detached from the pool and dropped: the socket closes, a fresh one replaces it.
            drop(Object::take(conn));
        }
    }
}

type Slot = Mutex<Option<Arc<Shared>>>;

/// A request's turn on one connection; the permit bounds how many requests are in flight.
pub struct Lease {
    pub shared: Arc<Shared>,
    _permit: OwnedSemaphorePermit,
}

#[derive(Debug)]
pub struct Connections {
    pool: Pool,
    /// One per pooled connection. A slot's lock is held only while it is being filled.
    slots: Box<[Slot]>,
    permits: Arc<Semaphore>,
    depth: usize,
    wait: Duration,
    /// Where the next scan starts, so equally loaded connections take turns.
    next: AtomicUsize,
}

impl Connections {
    /// Up to `depth` requests per connection of `pool`; a request beyond that waits up to
    /// `wait` for one to finish.
    pub fn new(pool: Pool, depth: usize, wait: Duration) -> Self {
        let size = pool.status().max_size.max(1);
        let depth = depth.max(1);
        Self {
            pool,
            slots: (0..size).map(|_| Mutex::new(None)).collect(),
            permits: Arc::new(Semaphore::new(size * depth)),
            depth,
            wait,
            next: AtomicUsize::new(0),
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// A turn on the least busy connection, making one if a slot is empty or its connection
    /// is gone.
    pub async fn lease(&self) -> Result<Lease, PoolUnavailable> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            // Only a request that has to wait pays for a timer.
            Err(_) => tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
                .await
                .ok()
                .and_then(Result::ok)
                .ok_or_else(|| {
                    PoolUnavailable(Box::new(Saturated {
                        depth: self.depth,
                        waited: self.wait,
                    }))
                })?,
        };
        let shared = self.pick().await?;
        Ok(Lease {
            shared,
            _permit: permit,
        })
    }

    async fn pick(&self) -> Result<Arc<Shared>, PoolUnavailable> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut least: Option<(usize, Arc<Shared>)> = None;
        for i in 0..self.slots.len() {
            // A slot that is locked is being filled by another request.
            let Ok(guard) = self.slots[(start + i) % self.slots.len()].try_lock() else {
                continue;
            };
            match guard.as_ref().filter(|s| s.usable()) {
                Some(shared) => {
                    // The slot holds one reference; every other is a request in flight.
                    let load = Arc::strong_count(shared);
                    if load == 1 {
                        return Ok(shared.clone());
                    }
                    if least.as_ref().is_none_or(|(l, _)| load < *l) {
                        least = Some((load, shared.clone()));
                    }
                }
                None => return self.fill(guard).await,
            }
        }
        if let Some((_, shared)) = least {
            return Ok(shared);
        }
        // Every slot is being filled: wait for one of them.
        let guard = self.slots[start % self.slots.len()].lock().await;
        match guard.as_ref().filter(|s| s.usable()) {
            Some(shared) => Ok(shared.clone()),
            None => self.fill(guard).await,
        }
    }

    async fn fill(
        &self,
        mut slot: MutexGuard<'_, Option<Arc<Shared>>>,
    ) -> Result<Arc<Shared>, PoolUnavailable> {
        // Let go of the dead connection first: the pool counts it until its last user drops it.
        drop(slot.take());
        let conn = self
            .pool
            .get()
            .await
            .map_err(|e| PoolUnavailable(Box::new(e)))?;
        let shared = Arc::new(Shared {
            conn: Some(conn),
            broken: AtomicBool::new(false),
        });
        *slot = Some(shared.clone());
        Ok(shared)
    }
}
