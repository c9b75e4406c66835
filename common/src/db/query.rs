//! A request's connection. Statements go through `prepare_cached`, so a warm function never
//! re-plans a query, and each execution is counted so tests can hold handlers to their
//! round-trip budget.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use postgres_from_row::FromRow;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use deadpool::managed::Object;
use futures_util::future::BoxFuture;

use super::pool::{Conn, Pool};
use crate::error::{ApiError, DbError, DbResultExt, NoReply, PoolUnavailable};

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

/// Where requests get their connections: the pool itself (a Lambda function, one request at
/// a time), or the local server's connections shared by concurrent requests.
pub trait Connections: Send + Sync + std::fmt::Debug {
    fn lease(&self) -> BoxFuture<'_, Result<Box<dyn Lease>, PoolUnavailable>>;
}

/// A request's use of one connection.
pub trait Lease: Send + Sync {
    fn client(&self) -> &Conn;

    /// The server answered a statement on this connection.
    fn replied(&self) {}

    /// A statement got no reply within `waited`: the server is frozen or the network gone.
    fn no_reply_within(&self, waited: Duration);
}

impl Connections for Pool {
    fn lease(&self) -> BoxFuture<'_, Result<Box<dyn Lease>, PoolUnavailable>> {
        Box::pin(async move {
            let conn = self.get().await.map_err(|e| PoolUnavailable(Box::new(e)))?;
            Ok(Box::new(Pooled::new(conn)) as Box<dyn Lease>)
        })
    }
}

/// A pooled connection. One marked broken (it got no reply in time) is not given back to the
/// pool but closed, and a fresh one replaces it.
#[derive(Debug)]
pub struct Pooled {
    /// Always `Some` until drop.
    conn: Option<Conn>,
    broken: AtomicBool,
}

impl Pooled {
    pub fn new(conn: Conn) -> Self {
        Self {
            conn: Some(conn),
            broken: AtomicBool::new(false),
        }
    }

    pub fn is_broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }
}

impl Lease for Pooled {
    fn client(&self) -> &Conn {
        self.conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("connection used after drop"))
    }

    fn no_reply_within(&self, _: Duration) {
        self.broken.store(true, Ordering::Relaxed);
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if self.is_broken()
            && let Some(conn) = self.conn.take()
        {
            // Detached from the pool and dropped: the socket closes, a fresh one replaces it.
            drop(Object::take(conn));
        }
    }
}

pub struct Db {
    lease: Box<dyn Lease>,
    counter: StatementCounter,
    reply_timeout: Option<Duration>,
}

impl Db {
    /// A connection for one request, or 503 when the database cannot be reached in time.
    /// `reply_timeout` bounds every statement on our side too: a frozen server or a dead
    /// network never answers, and PostgreSQL's own statement_timeout cannot fire then.
    pub async fn acquire(
        connections: &dyn Connections,
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
        self.lease.client()
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
                self.lease.replied();
                result.context(what)
            }
            Err(_) => {
                self.lease.no_reply_within(after);
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

    /// Every row of `sql` as a `T`.
    pub async fn rows<T: FromRow>(
        &self,
        sql: &str,
        params: Params<'_>,
        what: &'static str,
    ) -> Result<Vec<T>, DbError> {
        let rows = self.query(sql, params, what).await?;
        rows.iter()
            .map(T::try_from_row)
            .collect::<Result<_, _>>()
            .context(what)
    }

    /// The one row of `sql` as a `T`, if it returned one.
    pub async fn row<T: FromRow>(
        &self,
        sql: &str,
        params: Params<'_>,
        what: &'static str,
    ) -> Result<Option<T>, DbError> {
        let row = self.query_opt(sql, params, what).await?;
        row.as_ref().map(T::try_from_row).transpose().context(what)
    }
}

/// The item a row may carry, if a `LEFT JOIN` found one: `None` when its `id` column is NULL.
#[derive(Debug)]
pub struct Found<T>(pub Option<T>);

impl<T: FromRow> FromRow for Found<T> {
    /// The trait's panicking variant; [`Db::rows`] and [`Db::row`] use `try_from_row` only.
    fn from_row(row: &Row) -> Self {
        Self::try_from_row(row).unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_from_row(row: &Row) -> Result<Self, tokio_postgres::Error> {
        match row.try_get::<_, Option<uuid::Uuid>>("id")? {
            Some(_) => Ok(Self(Some(T::try_from_row(row)?))),
            None => Ok(Self(None)),
        }
    }
}

/// The row of a statement run for a signed-in caller (`caller_role` from `live_caller`): the
/// caller's current role (the database's, not the token's: a demoted admin loses admin rights
/// at once), and the item the statement looked for. The statement returns no row at all when
/// the caller's session is gone.
#[derive(Debug, FromRow)]
pub struct ForCaller<T: FromRow> {
    #[from_row(rename = "caller_role")]
    pub role: crate::auth::Role,
    #[from_row(flatten)]
    pub item: Found<T>,
}
