//! Fresh databases for tests: an SQLite file in a temporary folder always, and a new PostgreSQL
//! database when `PALISADE_TEST_POSTGRES_URL` is set (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).
//! Databases made here are named `palisade_test_<random>` and dropped when the [`TestDb`] is: at
//! the end of a test, and also when a failing test unwinds, so no database is left behind.
//! [`TestDb::cleanup`] does the same from async code, closing the pool first.

use crate::{Engine, Result, SqlStore};
use sqlx::{Connection, Executor};

pub const POSTGRES_ENV: &str = "PALISADE_TEST_POSTGRES_URL";

pub struct TestDb {
    pub store: SqlStore,
    pub url: String,
    admin_url: Option<String>,
    name: String,
    /// Set once [`TestDb::cleanup`] has removed the database, so that dropping does nothing more.
    removed: bool,
}

fn random_suffix() -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("random bytes");
    hex::encode(b)
}

/// Replaces the database name in a PostgreSQL URL.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{db}?{q}"),
        None => format!("{root}/{db}"),
    }
}

impl TestDb {
    pub async fn sqlite() -> Result<Self> {
        let name = format!("palisade_test_{}", random_suffix());
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).map_err(|e| crate::StoreError::Unsupported(e.to_string()))?;
        let url = format!("sqlite://{}", dir.join("palisade.db").display());
        let store = SqlStore::connect(&url, 4)
            .await
            .inspect_err(|_| remove_sqlite(&name))?;
        // From here on the folder goes with `db`, even if migrating fails.
        let db = Self {
            store,
            url,
            admin_url: None,
            name,
            removed: false,
        };
        db.store.migrate().await?;
        Ok(db)
    }

    /// A new PostgreSQL database, or `None` when the environment names no server.
    pub async fn postgres() -> Result<Option<Self>> {
        let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
            // CI runs every store and API test on PostgreSQL too: a missing server there is a
            // failure, not a skip.
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but {POSTGRES_ENV} is not: the PostgreSQL half of the tests would be skipped"
            );
            return Ok(None);
        };
        sqlx::any::install_default_drivers();
        let name = format!("palisade_test_{}", random_suffix());
        let mut admin = sqlx::AnyConnection::connect(&admin_url).await?;
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        admin.close().await?;
        let url = with_database(&admin_url, &name);
        // Dropped here if connecting fails, and from then on with `db`, even if migrating fails.
        let store = match SqlStore::connect(&url, 4).await {
            Ok(store) => store,
            Err(e) => {
                drop_postgres(&admin_url, &name).await;
                return Err(e);
            }
        };
        let db = Self {
            store,
            url,
            admin_url: Some(admin_url),
            name,
            removed: false,
        };
        db.store.migrate().await?;
        Ok(Some(db))
    }

    /// SQLite, plus PostgreSQL when configured: the engines every store test runs on.
    pub async fn all() -> Vec<Self> {
        let mut v = vec![Self::sqlite().await.expect("sqlite test database")];
        if let Some(pg) = Self::postgres().await.expect("postgres test database") {
            v.push(pg);
        }
        v
    }

    pub fn engine(&self) -> Engine {
        crate::AdminStore::engine(&self.store)
    }

    /// Runs one statement as it is, for a test that must break something the product never
    /// would (a table gone, to make a job fail).
    pub async fn execute(&self, statement: &str) -> Result<()> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
            .execute(&self.store.write)
            .await?;
        Ok(())
    }

    /// The plan the engine chooses for `sql` (each parameter given as the literal `'0'`, which
    /// either engine reads as a number or a text as its place needs), a line per step:
    /// SQLite's `EXPLAIN QUERY PLAN` details (`SCAN t`, `SEARCH t USING INDEX i (...)`), or
    /// PostgreSQL's `EXPLAIN` with sequential scans discouraged, so that an empty test table
    /// still shows whether an index could serve the statement (`Seq Scan on t` when none can).
    pub async fn plan(&self, sql: &str) -> Result<Vec<String>> {
        use sqlx::Row;
        let mut sql = sql.to_string();
        for n in (1..=32).rev() {
            sql = sql.replace(&format!("${n}"), "'0'");
        }
        let mut tx = self.store.begin_unserialised().await?;
        let lines = match self.engine() {
            Engine::Sqlite => sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>("detail"))
                .collect::<std::result::Result<Vec<_>, _>>()?,
            Engine::Postgres => {
                sqlx::query("SET LOCAL enable_seqscan = off")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get::<String, _>(0))
                    .collect::<std::result::Result<Vec<_>, _>>()?
            }
        };
        tx.rollback().await?;
        Ok(lines)
    }

    /// Closes the pool, then removes the database. Dropping a `TestDb` removes it too (without
    /// waiting for the pool to close); this is for tests that want it gone at a given point.
    pub async fn cleanup(mut self) {
        self.store.close().await;
        match &self.admin_url {
            Some(admin_url) => drop_postgres(admin_url, &self.name).await,
            None => remove_sqlite(&self.name),
        }
        self.removed = true;
    }
}

/// Drops a test database: `WITH (FORCE)` (PostgreSQL 13 and later) ends the connections a pool
/// still holds, as when a test panicked with its server's pool open.
async fn drop_postgres(admin_url: &str, name: &str) {
    if let Ok(mut admin) = sqlx::AnyConnection::connect(admin_url).await {
        let _ = admin
            .execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .await;
        let _ = admin.close().await;
    }
}

/// [`drop_postgres`] on a runtime of its own, for a thread of its own.
fn drop_postgres_blocking(admin_url: &str, name: &str) {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(drop_postgres(admin_url, name)),
        Err(e) => eprintln!("test database {name} left behind: {e}"),
    }
}

fn remove_sqlite(name: &str) {
    let _ = std::fs::remove_dir_all(std::env::temp_dir().join(name));
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        match &self.admin_url {
            // Drop may run inside the test's runtime (even a single-threaded one, which must not
            // be blocked on its own futures) or while a panic unwinds: so on a thread of its own,
            // with a small runtime and a fresh connection of its own, waited for here.
            Some(admin_url) => {
                let (admin_url, name) = (admin_url.clone(), self.name.clone());
                if std::thread::spawn(move || drop_postgres_blocking(&admin_url, &name))
                    .join()
                    .is_err()
                {
                    eprintln!("test database {} may be left behind", self.name);
                }
            }
            None => remove_sqlite(&self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_database_name() {
        assert_eq!(
            super::with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            super::with_database("postgres://h/db?sslmode=disable", "y"),
            "postgres://h/y?sslmode=disable"
        );
        assert_eq!(super::with_database("postgres://h", "z"), "postgres://h/z");
    }
}
