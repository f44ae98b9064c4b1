//! SQLite's write-ahead log copied back into the database file beside the one writer, not in its
//! way.
//!
//! Left to itself, SQLite checkpoints in the connection that commits once the log passes a
//! thousand pages: every few dozen writes, the one writer stopped to copy a thousand pages and
//! sync two files while every other write waited. Here the writer's own checkpoint is only a
//! backstop ([`WRITER_AUTOCHECKPOINT`]), and a connection of its own copies the log every
//! [`EVERY`] while writes go on (a passive checkpoint needs no write lock). It copies only what
//! no reader still needs and never what was written after it began, so the log would not start
//! again from its beginning while writes keep coming: once the log passes [`CATCH_UP_FRAMES`],
//! the copy finishes holding the writer, for the frames written since the last pass, so that
//! the next write can start the log again.

use crate::conns::{Conns, Local};
use crate::{Result, StoreError};
use sqlx::Executor;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the log is copied back.
const EVERY: Duration = Duration::from_millis(100);

/// The log's length (in pages) past which a pass finishes under the writer.
const CATCH_UP_FRAMES: i64 = 4_000;

/// The writer's own checkpoint, in pages: a backstop for when the passes fall behind (about
/// 80 MB of log with 4 KiB pages).
pub(crate) const WRITER_AUTOCHECKPOINT: u32 = 20_000;

/// At most one warning this often while the passes keep failing.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// Starts the passes for the writer `write` on a connection of their own (`checkpointer`). They
/// stop when the store is closed (which closes `checkpointer`) or dropped.
pub(crate) fn start(write: &Conns, checkpointer: Conns) {
    let Conns::Local(writer) = write else {
        return;
    };
    let writer = Arc::downgrade(writer);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut warned: Option<Instant> = None;
        let mut last = 0;
        loop {
            tick.tick().await;
            let Some(writer) = writer.upgrade().filter(|w| !w.is_closed()) else {
                break;
            };
            match pass(&checkpointer, writer, &mut last).await {
                Ok(()) => warned = None,
                Err(StoreError::Db(sqlx::Error::PoolClosed)) => break,
                Err(e) => {
                    if warned.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
                        tracing::warn!(error = %e, "copying the write-ahead log back failed");
                        warned = Some(Instant::now());
                    }
                }
            }
        }
        checkpointer.close().await;
    });
}

/// One pass: the log copied back as far as readers allow, then, when it is long, the rest under
/// the writer, which is waited for in turn with the writes (a pass's own count of pages copied
/// does not tell whether writes came during it, and a pass that waited a tenth of a second at
/// most gave up behind a busy deadline week's queue, letting the log reach the writer's own
/// checkpoint). A log that has not moved since the last pass and is all copied needs no writer:
/// an idle server is left alone. One held for longer than a statement may wait (an import, a
/// backup) is left until a later pass. `last` is the log's length at the last pass.
async fn pass(checkpointer: &Conns, writer: Arc<Local>, last: &mut i64) -> Result<()> {
    let (frames, copied) = checkpoint(checkpointer).await?;
    let unmoved = std::mem::replace(last, frames) == frames;
    if frames < CATCH_UP_FRAMES || (unmoved && copied >= frames) {
        return Ok(());
    }
    let mut held = match Conns::Local(writer).acquire().await {
        Ok(held) => held,
        // Held too long, or closed since the pass began.
        Err(StoreError::Db(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed)) => {
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    match checkpoint(&mut *held).await {
        Ok(_) => Ok(()),
        Err(StoreError::Db(e)) => {
            held.note(&e);
            Err(StoreError::Db(e))
        }
        Err(e) => Err(e),
    }
}

/// A passive checkpoint: the log's length in pages, and how many of them are in the file.
async fn checkpoint<'e>(exec: impl Executor<'e, Database = sqlx::Any>) -> Result<(i64, i64)> {
    let (_busy, frames, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(exec)
        .await?;
    Ok((frames, copied))
}

#[cfg(test)]
mod tests {
    use crate::testkit::TestDb;
    use sqlx::Connection;
    use std::time::{Duration, Instant};

    /// The rows in the database file itself, the log left aside (`immutable=1`): `None` while
    /// the table has not reached it.
    async fn rows_in_the_file(url: &str) -> Option<i64> {
        let alone = format!("{url}?mode=ro&immutable=1");
        let mut conn = sqlx::AnyConnection::connect(&alone).await.ok()?;
        let n = sqlx::query_scalar("SELECT COUNT(*) FROM copied")
            .fetch_one(&mut conn)
            .await
            .ok();
        conn.close().await.ok();
        n
    }

    /// A committed write reaches the database file while the store stays open, far below the
    /// writer's own checkpoint.
    #[tokio::test]
    async fn the_log_is_copied_back_while_the_store_is_open() {
        let db = TestDb::sqlite().await.unwrap();
        db.execute("CREATE TABLE copied (n BIGINT NOT NULL)")
            .await
            .unwrap();
        db.execute("INSERT INTO copied (n) VALUES (1), (2)")
            .await
            .unwrap();
        let waited = Instant::now();
        loop {
            if rows_in_the_file(&db.url).await == Some(2) {
                break;
            }
            assert!(
                waited.elapsed() < Duration::from_secs(10),
                "the rows never reached the database file"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        db.cleanup().await;
    }

    /// Closing the store closes the passes' connection too: SQLite's own checkpoint as the
    /// file's last connection closes has removed the log when `close` returns.
    #[tokio::test]
    async fn closing_the_store_leaves_no_log_behind() {
        let db = TestDb::sqlite().await.unwrap();
        db.execute("CREATE TABLE copied (n BIGINT NOT NULL)")
            .await
            .unwrap();
        let log = format!("{}-wal", db.url.trim_start_matches("sqlite://"));
        assert!(std::path::Path::new(&log).exists(), "a log while open");
        db.store.close().await;
        assert!(!std::path::Path::new(&log).exists(), "no log once closed");
        db.cleanup().await;
    }
}
