//! One pooled connection for one request. Statements go through `prepare_cached`, so a warm
//! function never re-plans a query, and each execution is counted so tests can hold handlers to
//! their round-trip budget.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::pool::{Conn, Pool};
use crate::error::{ApiError, DbError, DbResultExt, PoolUnavailable};

pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

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
    conn: Conn,
    counter: StatementCounter,
}

impl Db {
    /// A connection from the pool, or 503 when the database cannot be reached in time.
    pub async fn acquire(pool: &Pool, counter: &StatementCounter) -> Result<Self, ApiError> {
        let conn = pool.get().await.map_err(|e| PoolUnavailable(Box::new(e)))?;
        Ok(Self {
            conn,
            counter: counter.clone(),
        })
    }

    async fn statement(
        &self,
        sql: &str,
        what: &'static str,
    ) -> Result<tokio_postgres::Statement, DbError> {
        self.conn.prepare_cached(sql).await.context(what)
    }

    pub async fn query(
        &self,
        sql: &str,
        params: Params<'_>,
        what: &'static str,
    ) -> Result<Vec<Row>, DbError> {
        let stmt = self.statement(sql, what).await?;
        self.counter.bump();
        self.conn.query(&stmt, params).await.context(what)
    }

    pub async fn query_opt(
        &self,
        sql: &str,
        params: Params<'_>,
        what: &'static str,
    ) -> Result<Option<Row>, DbError> {
        let stmt = self.statement(sql, what).await?;
        self.counter.bump();
        self.conn.query_opt(&stmt, params).await.context(what)
    }

    pub async fn execute(
        &self,
        sql: &str,
        params: Params<'_>,
        what: &'static str,
    ) -> Result<u64, DbError> {
        let stmt = self.statement(sql, what).await?;
        self.counter.bump();
        self.conn.execute(&stmt, params).await.context(what)
    }
}
