//! A request's turn on a pooled connection (see `shared`). Statements go through
//! `prepare_cached`, so a warm function never re-plans a query, and each execution is counted so
//! tests can hold handlers to their round-trip budget.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::pool::Conn;
use super::shared::{Connections, Lease};
use crate::error::{ApiError, DbError, DbResultExt, NoReply};

pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Runs of one statement before a deadlock is reported (as a 503).
const TRANSIENT_ATTEMPTS: u32 = 4;

/// Counts statements sent to the database (shared by every request of one state).
#[derive(Debug, Default, Clone)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn bump(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

pub struct Db {
    lease: Lease,
    counter: StatementCounter,
    reply_timeout: Option<Duration>,
}

impl Db {
    /// A connection from the pool, or 503 when the database cannot be reached in time.
    /// `reply_timeout` bounds every statement on our side too: a frozen server or a dead
    /// network never answers, and PostgreSQL's own statement_timeout cannot fire then.
    pub async fn acquire(
        connections: &Connections,
        counter: &StatementCounter,
        reply_timeout: Option<Duration>,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            lease: connections.lease().await?,
            counter: counter.clone(),
            reply_timeout,
        })
    }

    fn client(&self) -> &Conn {
        self.lease.shared.conn()
    }

    /// Runs one exchange with the server within the reply timeout.
    async fn bounded<T>(
        &self,
        what: &'static str,
        exchange: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, DbError> {
        let Some(after) = self.reply_timeout else {
            return exchange.await.context(what);
        };
        match tokio::time::timeout(after, exchange).await {
            Ok(result) => {
                self.lease.shared.replied();
                result.context(what)
            }
            Err(_) => {
                self.lease.shared.no_reply_within(after);
                Err(DbError::NoReply(NoReply {
                    context: what,
                    after,
                }))
            }
        }
    }

    async fn statement(
        &self,
        sql: &str,
        what: &'static str,
    ) -> Result<tokio_postgres::Statement, DbError> {
        self.bounded(what, self.client().prepare_cached(sql)).await
    }

    /// Runs one statement, again (a few times, after a short random pause) when PostgreSQL
    /// rolled it back for a deadlock or serialization failure. Safe because handlers never
    /// open transactions: each statement is its own, and a failed one left nothing behind.
    async fn run<T, F, Fut>(&self, what: &'static str, exchange: F) -> Result<T, DbError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, tokio_postgres::Error>>,
    {
        let mut attempt = 1;
        loop {
            self.counter.bump();
            match self.bounded(what, exchange()).await {
                Err(err) if err.is_transient() && attempt < TRANSIENT_ATTEMPTS => {
                    attempt += 1;
                    let jitter = (uuid::Uuid::new_v4().as_u128() % 20) as u64;
                    tokio::time::sleep(Duration::from_millis(5 + jitter)).await;
                }
                other => return other,
            }
        }
    }

    pub async fn query(
        &self,
        sql: &str,
        params: Params<'_>,
        what: &'static str,
    ) -> Result<Vec<Row>, DbError> {
        let stmt = self.statement(sql, what).await?;
        self.run(what, || self.client().query(&stmt, params)).await
    }

    pub async fn query_opt(
        &self,
        sql: &str,
        params: Params<'_>,
        what: &'static str,
    ) -> Result<Option<Row>, DbError> {
        let stmt = self.statement(sql, what).await?;
        self.run(what, || self.client().query_opt(&stmt, params))
            .await
    }

    pub async fn execute(
        &self,
        sql: &str,
        params: Params<'_>,
        what: &'static str,
    ) -> Result<u64, DbError> {
        let stmt = self.statement(sql, what).await?;
        self.run(what, || self.client().execute(&stmt, params))
            .await
    }
}
