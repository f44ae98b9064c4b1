//! Fresh databases for tests: an SQLite file in a temporary folder always, and a new PostgreSQL
//! database when `PALISADE_TEST_POSTGRES_URL` is set (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).
//! Databases made here are named `palisade_test_<random>` and dropped by [`TestDb::cleanup`].

use crate::{Engine, Result, SqlStore};
use sqlx::{Connection, Executor};

pub const POSTGRES_ENV: &str = "PALISADE_TEST_POSTGRES_URL";

pub struct TestDb {
    pub store: SqlStore,
    pub url: String,
    admin_url: Option<String>,
    name: String,
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
        let store = SqlStore::connect(&url, 4).await?;
        store.migrate().await?;
        Ok(Self {
            store,
            url,
            admin_url: None,
            name,
        })
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
        let store = SqlStore::connect(&url, 4).await?;
        store.migrate().await?;
        Ok(Some(Self {
            store,
            url,
            admin_url: Some(admin_url),
            name,
        }))
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

    pub async fn cleanup(self) {
        self.store.close().await;
        match self.admin_url {
            Some(admin_url) => {
                if let Ok(mut admin) = sqlx::AnyConnection::connect(&admin_url).await {
                    let _ = admin
                        .execute(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                            self.name
                        )))
                        .await;
                }
            }
            None => {
                let _ = std::fs::remove_dir_all(std::env::temp_dir().join(&self.name));
            }
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
