//! Where statements go. On PostgreSQL, sqlx's pool. On SQLite, connections of this process kept
//! in a small pool of our own, which gives a connection back without testing it.
//!
//! sqlx's pool pings every connection it is given back. On SQLite a ping is a round trip to the
//! connection's thread, as much as the statement itself: every read paid twice, and the one
//! writer paid while every other write waited. An SQLite connection is a thread over a local
//! file, with no peer to lose, and its thread runs what it is sent in order, so the next user
//! of a connection always finds the last one's statement finished. The one thing a ping also
//! settled, a transaction left open by a write that stopped half-way, is settled here instead
//! (see [`Tx`]).

use crate::Result;
use futures_util::TryStreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::any::{AnyConnectOptions, AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Execute, Executor, SqlStr, Transaction};
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a statement waits for a connection before it gives up (as a pool's acquire timeout).
const WAIT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub(crate) enum Conns {
    Pool(AnyPool),
    Local(Arc<Local>),
}

/// Up to `size` SQLite connections, opened when first needed.
pub(crate) struct Local {
    options: AnyConnectOptions,
    permits: Arc<Semaphore>,
    size: u32,
    free: Mutex<Vec<Slot>>,
}

impl Local {
    /// Whether [`Conns::close`] has let the last connection out.
    pub(crate) fn is_closed(&self) -> bool {
        self.permits.is_closed()
    }
}

/// A connection and whether a write left a transaction open on it.
struct Slot {
    conn: AnyConnection,
    open: bool,
}

/// A connection for one statement or transaction; given back when dropped.
pub(crate) enum Conn {
    Pool(sqlx::pool::PoolConnection<Any>),
    Local(LocalConn),
}

pub(crate) struct LocalConn {
    slot: Option<Slot>,
    home: Arc<Local>,
    _permit: OwnedSemaphorePermit,
}

impl Local {
    async fn open(&self) -> Result<Slot> {
        let mut conn = AnyConnection::connect_with(&self.options).await?;
        // WAL (readers never block the writer), a generous busy timeout, NORMAL sync (durable
        // at checkpoints, safe with WAL) and enforced foreign keys.
        conn.execute("PRAGMA journal_mode = WAL").await?;
        conn.execute("PRAGMA busy_timeout = 10000").await?;
        conn.execute("PRAGMA synchronous = NORMAL").await?;
        conn.execute("PRAGMA foreign_keys = ON").await?;
        // 64 MiB of page cache per connection (the default is 2 MiB): large imports touch many
        // index pages in one transaction, and spilling them to the WAL mid-transaction is slow.
        conn.execute("PRAGMA cache_size = -65536").await?;
        conn.execute("PRAGMA temp_store = MEMORY").await?;
        conn.execute(sqlx::AssertSqlSafe(format!(
            "PRAGMA wal_autocheckpoint = {}",
            crate::wal::WRITER_AUTOCHECKPOINT
        )))
        .await?;
        Ok(Slot { conn, open: false })
    }
}

impl LocalConn {
    /// Notes an error from this connection: one whose thread has stopped is closed when given
    /// back, not kept (a new one is opened when next needed), as the pool's ping would have.
    fn note(&mut self, e: &sqlx::Error) {
        if matches!(e, sqlx::Error::WorkerCrashed) {
            self.slot = None;
        }
    }
}

impl Conn {
    /// [`LocalConn::note`]: a connection whose thread has stopped is not given back.
    pub(crate) fn note(&mut self, e: &sqlx::Error) {
        if let Conn::Local(c) = self {
            c.note(e);
        }
    }
}

impl Conns {
    /// Up to `size` SQLite connections from `options`, each with Palisade's settings. The first
    /// is opened now, so that a wrong path fails here.
    pub(crate) async fn local(options: AnyConnectOptions, size: u32) -> Result<Self> {
        let local = Arc::new(Local {
            options,
            permits: Arc::new(Semaphore::new(size as usize)),
            size,
            free: Mutex::new(Vec::new()),
        });
        drop(Conns::Local(local.clone()).acquire().await?);
        Ok(Conns::Local(local))
    }

    /// A connection, once whatever its last user began has ended: a transaction left open by a
    /// write that stopped early is rolled back first.
    pub(crate) async fn acquire(&self) -> Result<Conn> {
        let local = match self {
            Conns::Pool(pool) => return Ok(Conn::Pool(pool.acquire().await?)),
            Conns::Local(local) => local,
        };
        let permit = tokio::time::timeout(WAIT, local.permits.clone().acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let kept = local.free.lock().expect("connection list lock").pop();
        let mut slot = match kept {
            Some(slot) => slot,
            None => local.open().await?,
        };
        if slot.open {
            // Fails harmlessly when the transaction never began; a stopped thread is replaced.
            match slot.conn.execute("ROLLBACK").await {
                Err(sqlx::Error::WorkerCrashed) => slot = local.open().await?,
                _ => slot.open = false,
            }
        }
        Ok(Conn::Local(LocalConn {
            slot: Some(slot),
            home: local.clone(),
            _permit: permit,
        }))
    }

    /// A transaction: on SQLite's list with `BEGIN IMMEDIATE`, which takes the write lock at
    /// once, so a transaction that reads and then writes never fails on upgrading its lock.
    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(self.begin_with(None).await?.0)
    }

    /// [`Conns::begin`], then the first row `read` (one statement) returns inside the
    /// transaction: on SQLite's list in the same message as the begin, one round trip.
    pub(crate) async fn begin_reading(&self, read: &str) -> Result<(Tx, AnyRow)> {
        let (tx, row) = self.begin_with(Some(read)).await?;
        Ok((tx, row.ok_or(sqlx::Error::RowNotFound)?))
    }

    async fn begin_with(&self, read: Option<&str>) -> Result<(Tx, Option<AnyRow>)> {
        match self {
            Conns::Pool(pool) => {
                let mut tx = pool.begin().await?;
                let row = match read {
                    Some(read) => Some(
                        sqlx::query(sqlx::AssertSqlSafe(read))
                            .fetch_one(&mut *tx)
                            .await?,
                    ),
                    None => None,
                };
                Ok((Tx::new(TxConn::Pool(tx)), row))
            }
            Conns::Local(_) => {
                let Conn::Local(mut conn) = self.acquire().await? else {
                    unreachable!("local connections come from a local list");
                };
                let slot = conn.slot.as_mut().expect("a connection in use");
                // Marked open before it is sent: if this future is dropped mid-way, the next
                // user rolls back whatever began.
                slot.open = true;
                let begun = match read {
                    Some(read) => {
                        let text = format!("BEGIN IMMEDIATE; {read}");
                        // To the end of the text: sqlx's single-row reads stop at the first
                        // statement's end, before the read has run.
                        sqlx::query(sqlx::AssertSqlSafe(text))
                            .fetch_all(&mut slot.conn)
                            .await
                            .map(|rows| rows.into_iter().next())
                    }
                    None => slot.conn.execute("BEGIN IMMEDIATE").await.map(|_| None),
                };
                match begun {
                    Ok(row) => Ok((Tx::new(TxConn::Local(conn)), row)),
                    Err(e) => {
                        conn.note(&e);
                        Err(e.into())
                    }
                }
            }
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Conns::Pool(pool) => pool.close().await,
            Conns::Local(local) => {
                // Waits for every connection to come back, then lets no more out.
                if let Ok(all) = local.permits.acquire_many(local.size).await {
                    all.forget();
                }
                local.permits.close();
                let slots = std::mem::take(&mut *local.free.lock().expect("connection list lock"));
                for mut slot in slots {
                    if slot.open {
                        slot.conn.execute("ROLLBACK").await.ok();
                    }
                    slot.conn.close().await.ok();
                }
            }
        }
    }
}

impl Drop for LocalConn {
    fn drop(&mut self) {
        // Back on the list before the permit goes, so the next user finds it.
        if let Some(slot) = self.slot.take() {
            self.home
                .free
                .lock()
                .expect("connection list lock")
                .push(slot);
        }
    }
}

impl Deref for Conn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            Conn::Pool(c) => c,
            Conn::Local(c) => &c.slot.as_ref().expect("a connection in use").conn,
        }
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Conn::Pool(c) => c,
            Conn::Local(c) => &mut c.slot.as_mut().expect("a connection in use").conn,
        }
    }
}

/// A write transaction. Dropped without [`Tx::commit`], it is rolled back: by sqlx on the pool;
/// on SQLite by a task that keeps the connection until it is done (or, with no runtime left to
/// run one, by the connection's next user).
pub(crate) struct Tx {
    conn: Option<TxConn>,
    /// The audit chain's head (sequence number and hash), read under its lock as an audited
    /// transaction began ([`crate::SqlStore::begin`]) and kept current by the appends.
    pub(crate) audit_head: Option<(i64, String)>,
}

enum TxConn {
    Pool(Transaction<'static, Any>),
    Local(LocalConn),
}

impl Tx {
    fn new(conn: TxConn) -> Self {
        Self {
            conn: Some(conn),
            audit_head: None,
        }
    }

    pub(crate) async fn commit(mut self) -> Result<()> {
        match self.conn.take().expect("a transaction ends once") {
            TxConn::Pool(tx) => tx.commit().await?,
            TxConn::Local(mut conn) => end(&mut conn, "COMMIT").await?,
        }
        Ok(())
    }

    pub(crate) async fn rollback(mut self) -> Result<()> {
        match self.conn.take().expect("a transaction ends once") {
            TxConn::Pool(tx) => tx.rollback().await?,
            TxConn::Local(mut conn) => end(&mut conn, "ROLLBACK").await?,
        }
        Ok(())
    }
}

/// Ends a transaction on an SQLite connection. On failure it stays marked open, so its next
/// user rolls back.
async fn end(conn: &mut LocalConn, sql: &'static str) -> Result<()> {
    let slot = conn.slot.as_mut().expect("a connection in use");
    if let Err(e) = slot.conn.execute(sql).await {
        conn.note(&e);
        return Err(e.into());
    }
    slot.open = false;
    Ok(())
}

impl Drop for Tx {
    fn drop(&mut self) {
        if let Some(TxConn::Local(mut conn)) = self.conn.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move { end(&mut conn, "ROLLBACK").await.ok() });
        }
    }
}

impl Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self
            .conn
            .as_ref()
            .expect("a transaction in use has not ended")
        {
            TxConn::Pool(tx) => tx,
            TxConn::Local(c) => &c.slot.as_ref().expect("a connection in use").conn,
        }
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self
            .conn
            .as_mut()
            .expect("a transaction in use has not ended")
        {
            TxConn::Pool(tx) => tx,
            TxConn::Local(c) => &mut c.slot.as_mut().expect("a connection in use").conn,
        }
    }
}

impl std::fmt::Debug for Conns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conns::Pool(pool) => pool.fmt(f),
            Conns::Local(local) => f
                .debug_struct("Local")
                .field("size", &local.size)
                .finish_non_exhaustive(),
        }
    }
}

/// A statement on `&conns` takes a connection for as long as it runs, as on a pool.
impl<'p> Executor<'p> for &'_ Conns {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<sqlx::Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Any>,
    {
        let conns = self.clone();
        Box::pin(async_stream::try_stream! {
            let mut conn = conns.acquire_for_sqlx().await?;
            let mut rows = conn.fetch_many(query);
            loop {
                match rows.try_next().await {
                    Ok(Some(row)) => yield row,
                    Ok(None) => break,
                    Err(e) => {
                        drop(rows);
                        conn.note(&e);
                        Err(e)?;
                        break;
                    }
                }
            }
        })
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Any>,
    {
        let conns = self.clone();
        Box::pin(async move {
            let mut conn = conns.acquire_for_sqlx().await?;
            let row = conn.fetch_optional(query).await;
            if let Err(e) = &row {
                conn.note(e);
            }
            row
        })
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement, sqlx::Error>>
    where
        'p: 'e,
    {
        let conns = self.clone();
        Box::pin(async move {
            conns
                .acquire_for_sqlx()
                .await?
                .prepare_with(sql, parameters)
                .await
        })
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<sqlx::Describe<Any>, sqlx::Error>> {
        let conns = self.clone();
        Box::pin(async move { conns.acquire_for_sqlx().await?.describe(sql).await })
    }
}

impl Conns {
    /// [`Conns::acquire`] with sqlx's error, as an executor must give (acquiring fails only
    /// with one).
    async fn acquire_for_sqlx(&self) -> Result<Conn, sqlx::Error> {
        self.acquire().await.map_err(|e| match e {
            crate::StoreError::Db(e) => e,
            other => sqlx::Error::Protocol(other.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::TestDb;
    use sqlx::Executor;

    async fn count(db: &TestDb) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&db.store.read)
            .await
            .unwrap()
    }

    async fn insert(tx: &mut super::Tx, n: i64) {
        sqlx::query("INSERT INTO t (n) VALUES ($1)")
            .bind(n)
            .execute(&mut **tx)
            .await
            .unwrap();
    }

    /// On both engines: a commit keeps its rows; a transaction dropped or rolled back keeps none
    /// and leaves the writer free for the next; a write whose future was dropped half-way does
    /// not hold the writer or leak its rows into the next write's commit.
    #[tokio::test]
    async fn the_writer_is_given_back_clean_however_a_write_ends() {
        for db in TestDb::all().await {
            let engine = db.engine().name();
            db.execute("CREATE TABLE t (n BIGINT NOT NULL)")
                .await
                .unwrap();

            let mut tx = db.store.begin().await.unwrap();
            insert(&mut tx, 1).await;
            tx.commit().await.unwrap();
            assert_eq!(count(&db).await, 1, "{engine}: committed");

            let mut tx = db.store.begin().await.unwrap();
            insert(&mut tx, 2).await;
            drop(tx);
            let mut tx = db.store.begin().await.unwrap();
            insert(&mut tx, 3).await;
            tx.rollback().await.unwrap();
            assert_eq!(count(&db).await, 1, "{engine}: dropped and rolled back");

            // Stopped after its insert, before the commit, as when a client goes away.
            let store = db.store.clone();
            let (inserted, on_insert) = tokio::sync::oneshot::channel();
            let stopped = tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                insert(&mut tx, 4).await;
                inserted.send(()).unwrap();
                std::future::pending::<()>().await;
            });
            on_insert.await.expect("the insert ran");
            stopped.abort();
            let _ = stopped.await;
            let mut tx = tokio::time::timeout(std::time::Duration::from_secs(5), db.store.begin())
                .await
                .expect("the writer is free again")
                .unwrap();
            insert(&mut tx, 5).await;
            tx.commit().await.unwrap();
            let kept: Vec<i64> = sqlx::query_scalar("SELECT n FROM t ORDER BY n")
                .fetch_all(&db.store.read)
                .await
                .unwrap();
            assert_eq!(kept, vec![1, 5], "{engine}: only committed rows");

            // A plain statement on the writer after all that.
            let mut conn = db.store.write.acquire().await.unwrap();
            conn.execute("DELETE FROM t").await.unwrap();
            drop(conn);
            assert_eq!(count(&db).await, 0, "{engine}: a plain write");
            db.cleanup().await;
        }
    }

    /// On both engines a write transaction holds the one write lock until it ends: a second
    /// waits (on PostgreSQL, for the audit head's row taken as the transaction begins).
    #[tokio::test]
    async fn a_write_transaction_holds_the_write_lock_until_it_ends() {
        for db in TestDb::all().await {
            let engine = db.engine().name();
            let first = db.store.begin().await.unwrap();
            let store = db.store.clone();
            let mut second = tokio::spawn(async move { store.begin().await.map(drop) });
            let waited =
                tokio::time::timeout(std::time::Duration::from_millis(300), &mut second).await;
            assert!(waited.is_err(), "{engine}: a second writer waits");
            first.commit().await.unwrap();
            tokio::time::timeout(std::time::Duration::from_secs(5), second)
                .await
                .expect("then it goes")
                .unwrap()
                .unwrap();
            db.cleanup().await;
        }
    }
}
