use crate::conns::{Conns, Tx};
use crate::{Result, StoreError};
use palisade_domain::page::PageRequest;
use palisade_domain::policy::Scope;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection};
use std::str::FromStr;
use std::time::Duration;

use palisade_domain::search::search_key;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Engine::Postgres)
        } else {
            Err(StoreError::Unsupported(
                "database URL must start with sqlite:// or postgres://".to_string(),
            ))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// The store over SQLite or PostgreSQL.
#[derive(Clone)]
pub struct SqlStore {
    pub(crate) engine: Engine,
    pub(crate) read: Conns,
    pub(crate) write: Conns,
    /// SQLite's connection that copies the write-ahead log back (`wal.rs`), closed with the
    /// store.
    checkpointer: Option<Conns>,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the URL: it may carry a password.
        f.debug_struct("SqlStore")
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

/// Adds `mode=rwc` to an SQLite URL so the file is created when missing.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// The file path of an SQLite URL (`sqlite://palisade.db` → `palisade.db`).
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

impl SqlStore {
    /// Opens an SQLite file read-only (to inspect a backup): no pragma that writes, one connection.
    pub async fn open_sqlite_read_only(path: &std::path::Path) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}?mode=ro", path.display());
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(AnyConnectOptions::from_str(&url)?)
            .await?;
        Ok(Self {
            engine: Engine::Sqlite,
            read: Conns::Pool(pool.clone()),
            write: Conns::Pool(pool),
            checkpointer: None,
        })
    }

    /// Connects (creating an SQLite file if missing). Does not migrate: call [`SqlStore::migrate`].
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let engine = Engine::of_url(url)?;
        match engine {
            Engine::Sqlite => {
                let opts = AnyConnectOptions::from_str(&sqlite_url(url))?;
                // The writer first, so the file and WAL mode exist before readers open it. Both
                // are lists of our own (see `conns`): one connection for the one writer.
                let write = Conns::local(opts.clone(), 1).await?;
                // A file the server may write to: a read-only one cannot be checkpointed.
                let checkpointer = match sqlite_path(url) {
                    Some(_) if !url.contains("mode=ro") => {
                        let checkpointer = Conns::local(opts.clone(), 1).await?;
                        crate::wal::start(&write, checkpointer.clone());
                        Some(checkpointer)
                    }
                    _ => None,
                };
                let read = Conns::local(opts, max_connections.max(1)).await?;
                Ok(Self {
                    engine,
                    read,
                    write,
                    checkpointer,
                })
            }
            Engine::Postgres => {
                let opts = AnyConnectOptions::from_str(url)?;
                let pool = AnyPoolOptions::new()
                    .max_connections(max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(opts)
                    .await?;
                Ok(Self {
                    engine,
                    read: Conns::Pool(pool.clone()),
                    write: Conns::Pool(pool),
                    checkpointer: None,
                })
            }
        }
    }

    /// Applies the engine's pending migrations, folds the names of rows written before search
    /// keys were kept, and counts the national figures and the response boards again. Safe to
    /// run at every start.
    pub async fn migrate(&self) -> Result<()> {
        let migrations = match self.engine {
            Engine::Sqlite => &SQLITE_MIGRATIONS,
            Engine::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrations.run(&mut *self.write.acquire().await?).await?;
        self.fill_search_keys().await?;
        self.recount_figures().await?;
        self.recount_boards().await
    }

    /// Folds the names of rows written before search keys were kept (the key is computed in
    /// Rust, so no SQL migration can fill it). Nothing to do after the first start.
    async fn fill_search_keys(&self) -> Result<()> {
        // (table, what names a row in the organisations' search index: their code)
        for (table, code) in [("organisations", "code"), ("users", "''")] {
            loop {
                let rows: Vec<(i64, String, String)> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT id, name, {code} FROM {table} WHERE search_name = '' \
                         AND name <> '' ORDER BY id LIMIT 1000"
                    )))
                    .fetch_all(&self.write)
                    .await?;
                if rows.is_empty() {
                    break;
                }
                let mut tx = self.begin_unserialised().await?;
                for (id, name, _) in &rows {
                    // A name that folds to nothing still gets a key, so it is not read again.
                    let key = match search_key(name) {
                        k if k.is_empty() => " ".to_string(),
                        k => k,
                    };
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "UPDATE {table} SET search_name = $1 WHERE id = $2"
                    )))
                    .bind(key)
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?;
                }
                if table == "organisations" {
                    let named: Vec<(i64, &str, &str)> = rows
                        .iter()
                        .map(|(id, name, code)| (*id, code.as_str(), name.as_str()))
                        .collect();
                    crate::orgs::index_for_search(&mut tx, self.engine, &named).await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
        // Last, so that SQLite's own checkpoint as the file's last connection closes is done
        // when this returns.
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.close().await;
        }
    }

    /// A write transaction that holds the database's one write lock until it ends, on both
    /// engines: `BEGIN IMMEDIATE` on SQLite; on PostgreSQL, a lock on the audit chain's head row,
    /// which an audited change appends to anyway. Read-check-write logic (parent loops, the last
    /// national administrator, duplicate grants, imports) therefore behaves the same on both.
    /// Unaudited bookkeeping uses [`SqlStore::begin_unserialised`] instead. The begin also reads
    /// the audit head, so an append in the transaction writes it without reading it again: on
    /// PostgreSQL in the lock's own statement, on SQLite in the begin's message.
    pub(crate) async fn begin(&self) -> Result<Tx> {
        let read = match self.engine {
            Engine::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
            Engine::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
        };
        let (mut tx, row) = self.write.begin_reading(read).await?;
        tx.audit_head = Some(<(i64, String) as sqlx::FromRow<_>>::from_row(&row)?);
        Ok(tx)
    }
}

impl SqlStore {
    /// A write transaction for bookkeeping that appends no audit entry and relies on nothing it
    /// read (replacing a session): on PostgreSQL it does not queue behind the audit head's lock,
    /// so sign-ins and session rotation never wait for a long import.
    pub(crate) async fn begin_unserialised(&self) -> Result<Tx> {
        self.write.begin().await
    }
}

/// A row lock that lets PostgreSQL's servers and workers skip each other's rows; SQLite has one
/// writer at a time and needs none.
pub(crate) fn skip_locked(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => " FOR UPDATE SKIP LOCKED",
        Engine::Sqlite => "",
    }
}

/// A value to bind in a query built at run time.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    I64(i64),
    OptI64(Option<i64>),
    Text(String),
    OptText(Option<String>),
}

/// Ids a statement when a read asks for many by an `IN` list: about 250, since SQLite's
/// handling of a long list of parameters grows faster than the list.
pub(crate) const IDS_PER_STATEMENT: usize = 250;

/// The type of a column in rows passed as one JSON parameter (see [`unpack_rows`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum JsonCol {
    Int,
    Text,
}

/// `SELECT` of the rows in the JSON array parameter `$n`, each row an array of `cols` named `c0`,
/// `c1`, ..., followed by `extra` (such as `$1, $2`; may be empty), on either engine. Many rows
/// take one parameter, where a multi-row `VALUES` takes one a value and pays for them with the
/// square of their number.
pub(crate) fn unpack_rows(engine: Engine, cols: &[JsonCol], extra: &str, n: usize) -> String {
    let mut columns: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, col)| match (engine, col) {
            (Engine::Sqlite, _) => format!("json_extract(value, '$[{i}]') AS c{i}"),
            (Engine::Postgres, JsonCol::Int) => format!("(e->>{i})::bigint AS c{i}"),
            (Engine::Postgres, JsonCol::Text) => format!("e->>{i} AS c{i}"),
        })
        .collect();
    if !extra.is_empty() {
        columns.push(extra.to_string());
    }
    let from = match engine {
        // Each row as binary JSON, so that reading its columns does not parse its text again
        // for each one. `WHERE true` keeps SQLite from reading an upsert's ON as a join
        // constraint.
        Engine::Sqlite => format!("jsonb_each(${n}) WHERE true"),
        Engine::Postgres => format!("json_array_elements(${n}::json) AS e"),
    };
    format!("SELECT {} FROM {from}", columns.join(", "))
}

/// A scalar subquery that gives the rows of `from` (its `FROM`, joins and `WHERE`) as one JSON
/// array of arrays of `columns`, in `order`, as text (`[]` when there are none), on either engine:
/// the reverse of [`unpack_rows`]. On SQLite every statement and every row is a hand-off to a
/// connection's thread, so a read of several small lists costs one hand-off, not one a list.
/// Read the value back with [`parse_rows`].
pub(crate) fn json_rows(engine: Engine, columns: &str, from: &str, order: &str) -> String {
    match engine {
        Engine::Sqlite => {
            format!("(SELECT json_group_array(json_array({columns}) ORDER BY {order}) {from})")
        }
        Engine::Postgres => format!(
            "(SELECT COALESCE(json_agg(json_build_array({columns}) ORDER BY {order}), '[]')::text \
             {from})"
        ),
    }
}

/// The rows of a [`json_rows`] value, each a tuple (or other type) of its columns.
pub(crate) fn parse_rows<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> Result<Vec<T>> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Unsupported(format!("stored {what} could not be read back: {e}")))
}

/// Adds `rows` to the kept counts in `table`: each row is its key's values (the columns `keys`)
/// and then the amounts to add (the columns `amounts`), written in multi-row upserts of about
/// 250 parameters (see `IMPORT_BATCH` in orgs.rs) in the order given. Every tally (the national
/// figures', the response board's) is written through this.
pub(crate) async fn add_to_tally(
    conn: &mut AnyConnection,
    table: &str,
    keys: &[&str],
    amounts: &[&str],
    rows: Vec<Vec<Arg>>,
) -> Result<()> {
    let per_statement = (250 / (keys.len() + amounts.len())).max(1);
    let added: Vec<String> = amounts
        .iter()
        .map(|a| format!("{a} = {table}.{a} + excluded.{a}"))
        .collect();
    let head = format!(
        "INSERT INTO {table} ({}, {}) VALUES ",
        keys.join(", "),
        amounts.join(", ")
    );
    let tail = format!(
        " ON CONFLICT ({}) DO UPDATE SET {}",
        keys.join(", "),
        added.join(", ")
    );
    for chunk in rows.chunks(per_statement) {
        let mut sql = Sql::new(&head);
        for (i, row) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            for (j, value) in row.iter().enumerate() {
                if j > 0 {
                    sql.push(", ");
                }
                sql.arg(value.clone());
            }
            sql.push(")");
        }
        sql.push(&tail);
        sql.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A query built piece by piece, numbering its `$n` placeholders so the same text runs on both
/// engines.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `arg`.
    pub fn arg(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        let n = self.args.len();
        self.text.push_str(&format!("${n}"));
        self
    }

    /// ` AND` the organisation `o`'s code or folded name contains `q` (folded as names are).
    /// Three characters or more are looked up in the trigram index of codes and names: on
    /// SQLite the FTS5 table `organisations_search`, whose phrase query matches a part of either
    /// column regardless of case; on PostgreSQL the `LIKE`s below, which its pg_trgm index
    /// serves. Shorter searches compare every organisation. SQLite's LIKE ignores ASCII case as
    /// its LOWER folds it (codes are ASCII), so the code is compared as stored there, sparing a
    /// LOWER per organisation; PostgreSQL's LIKE heeds case.
    pub fn org_code_or_name(&mut self, engine: Engine, q: &str) -> &mut Self {
        // No name holds a NUL; PostgreSQL refuses one in text, and FTS5 reads a phrase only up
        // to one: it is left out.
        let q = &q.replace('\0', "");
        let key = search_key(q);
        if engine == Engine::Sqlite && key.chars().count() >= 3 {
            // A phrase in double quotes, any double quote in it doubled: nothing in it is syntax.
            let phrase = format!("\"{}\"", key.replace('"', "\"\""));
            return self
                .push(" AND o.id IN (SELECT rowid FROM organisations_search WHERE organisations_search MATCH ")
                .text(&phrase)
                .push(")");
        }
        let p = like_pattern(q);
        let code = match engine {
            Engine::Sqlite => "o.code",
            Engine::Postgres => "LOWER(o.code)",
        };
        self.push(" AND (")
            .push(code)
            .push(" LIKE ")
            .text(&p)
            .push(" ESCAPE '\\' OR o.search_name LIKE ")
            .text(&p)
            .push(" ESCAPE '\\')")
    }

    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.arg(Arg::I64(v))
    }

    /// [`unpack_rows`] of the JSON array `json`, each row followed by the values `extra`, all
    /// bound as parameters numbered after those already here.
    pub fn unpack_rows(
        &mut self,
        engine: Engine,
        cols: &[JsonCol],
        extra: Vec<Arg>,
        json: String,
    ) -> &mut Self {
        let first = self.args.len() + 1;
        let extra_text: Vec<String> = (first..first + extra.len())
            .map(|n| format!("${n}"))
            .collect();
        let n = first + extra.len();
        self.args.extend(extra);
        self.args.push(Arg::Text(json));
        self.push(&unpack_rows(engine, cols, &extra_text.join(", "), n))
    }

    /// `head`, the ids as a list of parameters, then `tail`: the start of a statement about
    /// many rows at once (at most [`IDS_PER_STATEMENT`] ids a statement).
    pub fn with_ids(head: &str, ids: &[i64], tail: &str) -> Self {
        let mut sql = Sql::new(head);
        sql.i64_list(ids).push(tail);
        sql
    }

    /// Placeholders for `ids`, comma-separated (`NULL` for none, which matches nothing).
    pub fn i64_list(&mut self, ids: &[i64]) -> &mut Self {
        if ids.is_empty() {
            self.push("NULL");
        }
        for (i, id) in ids.iter().enumerate() {
            self.push(if i > 0 { ", " } else { "" }).i64(*id);
        }
        self
    }

    /// Texts separated by commas, each bound (for `IN (...)`; `NULL` for none, which matches
    /// nothing).
    pub fn text_list(&mut self, values: &[impl AsRef<str>]) -> &mut Self {
        if values.is_empty() {
            self.push("NULL");
        }
        for (i, v) in values.iter().enumerate() {
            self.push(if i > 0 { ", " } else { "" }).text(v.as_ref());
        }
        self
    }

    pub fn text(&mut self, v: &str) -> &mut Self {
        self.arg(Arg::Text(v.to_string()))
    }

    /// A `WITH RECURSIVE visible(id)` prefix for a scope, or nothing for [`Scope::All`]. Returns
    /// whether a prefix was written; then `id IN (SELECT id FROM visible)` limits a query.
    pub fn scope_cte(&mut self, scope: &Scope) -> bool {
        match scope {
            Scope::All => false,
            Scope::Within(ids) => {
                self.push(
                    "WITH RECURSIVE visible(id) AS (SELECT id FROM organisations WHERE id IN (",
                );
                if ids.is_empty() {
                    self.push("NULL");
                }
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.i64(*id);
                }
                self.push(") UNION SELECT o.id FROM organisations o JOIN visible v ON o.parent_id = v.id) ");
                true
            }
        }
    }

    /// The bound values, in placeholder order: one place for every way the query is run.
    fn arguments(&self) -> sqlx::any::AnyArguments {
        use sqlx::Arguments;
        let mut out = sqlx::any::AnyArguments::default();
        for a in &self.args {
            let added = match a {
                Arg::I64(v) => out.add(*v),
                Arg::OptI64(v) => out.add(*v),
                Arg::Text(v) => out.add(v.clone()),
                Arg::OptText(v) => out.add(v.clone()),
            };
            added.expect("integers and text always encode");
        }
        out
    }

    pub fn query_as<'q, T>(&'q self) -> sqlx::query::QueryAs<'q, Any, T, sqlx::any::AnyArguments>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as_with(sqlx::AssertSqlSafe(self.text.clone()), self.arguments())
    }

    /// Runs the statement (or, on SQLite, the statements) and counts the rows returned.
    pub async fn returned(&self, conn: &mut sqlx::AnyConnection) -> Result<usize> {
        let q = sqlx::query_with(sqlx::AssertSqlSafe(self.text.clone()), self.arguments());
        Ok(q.fetch_all(conn).await?.len())
    }

    pub async fn execute(&self, conn: &mut sqlx::AnyConnection) -> Result<u64> {
        let q = sqlx::query_with(sqlx::AssertSqlSafe(self.text.clone()), self.arguments());
        Ok(q.execute(conn).await?.rows_affected())
    }

    pub fn query_scalar<'q, T>(
        &'q self,
    ) -> sqlx::query::QueryScalar<'q, Any, T, sqlx::any::AnyArguments>
    where
        T: sqlx::Type<Any> + for<'r> sqlx::Decode<'r, Any> + Send + Unpin,
        (T,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_scalar_with(sqlx::AssertSqlSafe(self.text.clone()), self.arguments())
    }
}

/// Which rows of a list ordered by a unique key a read returns.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Window<'a> {
    /// How many match, and no rows.
    Count,
    /// One page of the matches, or every match with none.
    Page(Option<PageRequest>),
    /// The next `limit` matches after this key (from the first with none): a long list read in
    /// chunks, each its own short statement, so an export holds neither a connection nor the
    /// whole list while it is sent.
    After(Option<&'a str>, i64),
}

impl Window<'_> {
    /// Ends a statement whose `WHERE` clause is still open: the bound on `key`, the order and
    /// the limit (nothing for a count).
    pub fn finish(self, sql: &mut Sql, key: &str) {
        match self {
            Window::Count => {}
            Window::Page(page) => {
                sql.push(" ORDER BY ").push(key);
                if let Some(page) = page {
                    sql.push(" LIMIT ")
                        .i64(page.limit())
                        .push(" OFFSET ")
                        .i64(page.offset());
                }
            }
            Window::After(after, limit) => {
                if let Some(after) = after {
                    sql.push(" AND ").push(key).push(" > ").text(after);
                }
                sql.push(" ORDER BY ").push(key).push(" LIMIT ").i64(limit);
            }
        }
    }

    pub fn counts(self) -> bool {
        matches!(self, Window::Count)
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern and wraps it in `%...%`.
pub(crate) fn like_pattern(q: &str) -> String {
    let mut s = String::from("%");
    for c in search_key(q).chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

#[async_trait::async_trait]
impl crate::AdminStore for SqlStore {
    fn engine(&self) -> Engine {
        self.engine
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.read)
            .await?;
        Ok(())
    }

    async fn close(&self) {
        SqlStore::close(self).await;
    }

    async fn backup_to(&self, path: &std::path::Path) -> Result<()> {
        if self.engine != Engine::Sqlite {
            return Err(StoreError::Unsupported(
                "online backup here is for SQLite; back up PostgreSQL with pg_dump (see docs/OPERATIONS.md)".into(),
            ));
        }
        if path.exists() {
            return Err(StoreError::Unsupported(format!(
                "{} exists already: choose a new file",
                path.display()
            )));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Unsupported("backup path must be UTF-8".into()))?;
        // VACUUM INTO writes a consistent, compacted copy while readers and writers carry on.
        sqlx::query("VACUUM INTO $1")
            .bind(target.to_string())
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bundled SQLite is built without memory statistics and memory management (both take
    /// process-wide locks every connection thread contends for; see `.cargo/config.toml`). A
    /// build that lost `LIBSQLITE3_FLAGS` fails here rather than in a load test.
    #[tokio::test]
    async fn sqlite_is_built_without_its_global_locks() {
        let store = SqlStore::connect("sqlite::memory:", 1).await.unwrap();
        let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
            .fetch_all(&store.read)
            .await
            .unwrap();
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "{options:?}"
        );
        assert!(options.iter().any(|o| o == "ENABLE_FTS5"), "{options:?}");
    }

    #[test]
    fn sqlite_urls() {
        assert_eq!(
            sqlite_url("sqlite://palisade.db"),
            "sqlite://palisade.db?mode=rwc"
        );
        assert_eq!(sqlite_url("sqlite://x.db?mode=ro"), "sqlite://x.db?mode=ro");
        assert_eq!(
            sqlite_path("sqlite://data/p.db?mode=rwc").unwrap(),
            std::path::PathBuf::from("data/p.db")
        );
        assert!(Engine::of_url("mysql://x").is_err());
    }

    #[test]
    fn like_escapes_wildcards() {
        assert_eq!(like_pattern(" 50%_A\\ "), "%50\\%\\_a\\\\%");
    }

    #[test]
    fn an_empty_list_matches_nothing() {
        let mut s = Sql::new("x IN (");
        s.text_list(&[] as &[&str])
            .push(") OR y IN (")
            .i64_list(&[])
            .push(")");
        assert_eq!(s.text, "x IN (NULL) OR y IN (NULL)");
        let mut s = Sql::new("x IN (");
        s.text_list(&["a", "b"]).push(")");
        assert_eq!(s.text, "x IN ($1, $2)");
    }

    #[test]
    fn placeholders_are_numbered() {
        let mut s = Sql::new("SELECT 1 WHERE a = ");
        s.i64(1).push(" AND b = ").text("x");
        assert_eq!(s.text, "SELECT 1 WHERE a = $1 AND b = $2");
        let mut s = Sql::default();
        assert!(s.scope_cte(&Scope::Within(vec![])));
        assert!(s.text.contains("IN (NULL)"));
    }
}
