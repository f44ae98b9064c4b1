use crate::conns::{Conns, Tx};
use crate::db::{Arg, Sql};
use crate::model::{AuditFilter, AuditRecord};
use crate::{AuditStore, Result, SqlStore, StoreError};
use async_trait::async_trait;
use palisade_domain::audit::{AuditDraft, AuditEntry, chain_hash};
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::Scope;
use sqlx::FromRow;

/// Appends `draft` to the chain inside the caller's transaction; returns its sequence number.
pub(crate) async fn append(conn: &mut Tx, d: &AuditDraft) -> Result<i64> {
    Ok(append_many_then(conn, std::slice::from_ref(d), &[])
        .await?
        .0)
}

/// A statement that follows an audit entry in the same transaction, written by the caller into
/// the entries' text (see [`append_then`]).
pub(crate) type Then<'a> = &'a (dyn Fn(&mut Sql) + Sync);

/// [`append`], then the statements `then` writes, in order, in the same round trip as the entry.
/// Each is one plain `INSERT`, `UPDATE` or `DELETE` with no `WITH` of its own and no rows to
/// return (but the last, with [`append_then_returning`]), that leaves the audit tables alone,
/// its values bound through the [`Sql`] it is given (which numbers them after those before
/// it). On PostgreSQL the entry's writes and every statement but the last become `WITH` clauses
/// of the last, which all see the database as it was before the text: no statement may depend
/// on what another of them writes.
pub(crate) async fn append_then(conn: &mut Tx, d: &AuditDraft, then: &[Then<'_>]) -> Result<i64> {
    Ok(append_many_then(conn, std::slice::from_ref(d), then)
        .await?
        .0)
}

/// [`append_then`] whose last statement may return rows (`RETURNING`): how many it returned.
pub(crate) async fn append_then_returning(
    conn: &mut Tx,
    d: &AuditDraft,
    then: &[Then<'_>],
) -> Result<usize> {
    Ok(append_many_then(conn, std::slice::from_ref(d), then)
        .await?
        .1)
}

pub(crate) async fn append_many(conn: &mut Tx, drafts: &[AuditDraft]) -> Result<i64> {
    Ok(append_many_then(conn, drafts, &[]).await?.0)
}

/// Rows per multi-row `INSERT` (11 values each): about 220 parameters a statement, because
/// SQLite's parameter binding cost grows with the square of the parameter count.
const AUDIT_BATCH: usize = 20;

/// Appends drafts in order inside the caller's transaction; returns the last sequence number and
/// how many rows the last round trip returned (only a caller's last statement returns any).
/// The transaction's begin ([`SqlStore::begin`]) locked the head row and read it (a row lock
/// on PostgreSQL, the write lock on SQLite), so concurrent appends queue up and every entry
/// links to exactly one predecessor. The chain is computed in memory and written in batches,
/// so a large import appends quickly.
async fn append_many_then(
    conn: &mut Tx,
    drafts: &[AuditDraft],
    then: &[Then<'_>],
) -> Result<(i64, usize)> {
    // Next statements come with their one entry (`append_then`), in whose text they are written.
    debug_assert!(then.is_empty() || !drafts.is_empty());
    let n = i64::try_from(drafts.len()).unwrap_or(i64::MAX);
    let (mut seq, mut prev_hash) = conn.audit_head.take().ok_or_else(|| {
        StoreError::Unsupported(
            "an audited change must begin with SqlStore::begin, which reads the audit head".into(),
        )
    })?;
    let last = seq + n;
    // The head's new hash and the caller's next statements go in the last batch's text, so the
    // last round trip writes them all (and every change appends here). SQLite's thread runs
    // statements separated by `;`; PostgreSQL prepares one statement at a time, so there the
    // batch's `INSERT`, the head's `UPDATE` and all but the caller's last statement become
    // data-modifying `WITH` clauses of that last one, or of the head's own `UPDATE` when there
    // is none.
    let sqlite = conn.backend_name() == <sqlx::Sqlite as sqlx::Database>::NAME;
    let mut returned = 0;
    let mut chunks = drafts.chunks(AUDIT_BATCH).peekable();
    while let Some(chunk) = chunks.next() {
        let final_chunk = chunks.peek().is_none();
        let mut sql = Sql::new(if final_chunk && !sqlite {
            "WITH logged AS ("
        } else {
            ""
        });
        sql.push(
            "INSERT INTO audit_log (seq, at, actor_user_id, actor, action, entity_type, entity_id, org_id, summary, prev_hash, hash) VALUES ",
        );
        for (i, d) in chunk.iter().enumerate() {
            seq += 1;
            let summary = d.summary.to_string();
            let hash = chain_hash(&prev_hash, seq, &d.fields(&summary));
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.i64(seq)
                .push(", ")
                .i64(d.at)
                .push(", ")
                .arg(Arg::OptI64(d.actor_user_id))
                .push(", ");
            sql.text(&d.actor)
                .push(", ")
                .text(&d.action)
                .push(", ")
                .text(&d.entity_type)
                .push(", ");
            sql.text(&d.entity_id)
                .push(", ")
                .arg(Arg::OptI64(d.org_id))
                .push(", ")
                .text(&summary)
                .push(", ");
            sql.text(&prev_hash).push(", ").text(&hash).push(")");
            prev_hash = hash;
        }
        if final_chunk {
            let head = |sql: &mut Sql| {
                sql.push("UPDATE audit_head SET seq = ")
                    .i64(last)
                    .push(", hash = ")
                    .text(&prev_hash)
                    .push(" WHERE id = 1");
            };
            if sqlite {
                sql.push("; ");
                head(&mut sql);
                for statement in then {
                    sql.push("; ");
                    statement(&mut sql);
                }
            } else if let Some((last_statement, before)) = then.split_last() {
                sql.push("), head AS (");
                head(&mut sql);
                sql.push(")");
                for (i, statement) in before.iter().enumerate() {
                    sql.push(&format!(", then{i} AS ("));
                    statement(&mut sql);
                    sql.push(")");
                }
                sql.push(" ");
                last_statement(&mut sql);
            } else {
                sql.push(") ");
                head(&mut sql);
            }
        }
        if final_chunk {
            returned = sql.returned(conn).await?;
        } else {
            sql.execute(conn).await?;
        }
    }
    conn.audit_head = Some((last, prev_hash));
    Ok((last, returned))
}

/// On PostgreSQL: appends `d` and writes `then`, all in one statement sent outside any
/// transaction, provided the statement `guard` changes a row; returns whether it did (when it
/// does not, nothing is written). An audited write in a transaction ([`SqlStore::begin`]) holds
/// the audit head's lock across its round trips (`BEGIN`, the lock, its statements, `COMMIT`);
/// here the lock is held for this statement and its commit alone, so concurrent changes queue
/// for far less time. The entry's hash is worked out by PostgreSQL from the head it locked: the
/// previous hash and the sequence number length-prefixed as
/// [`palisade_domain::audit::entry_fields`] describes, then the entry's own fields, hashed with
/// `sha256`.
///
/// The statement names the locked head `head` and the guard's rows `guard`, and locks the head
/// before any row it changes, as every [`SqlStore::begin`] does (so the two never deadlock):
/// `guard` is one `UPDATE ... RETURNING` whose `WHERE` ends in `AND EXISTS (SELECT 1 FROM head)`,
/// so it changes its row only once the head is locked; each of `then` is one plain `INSERT ...
/// SELECT`, `UPDATE` or `DELETE` that leaves the audit tables alone and changes nothing unless
/// the guard returned a row (`EXISTS (SELECT 1 FROM guard)` in its `WHERE`). As in
/// [`append_then`], all of them see the database as it was before the statement.
pub(crate) async fn append_guarded(
    conns: &Conns,
    d: &AuditDraft,
    guard: Then<'_>,
    then: &[Then<'_>],
) -> Result<bool> {
    let summary = d.summary.to_string();
    let fields = d.fields(&summary);
    let mut sql = Sql::new(
        "WITH head AS (SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE), guard AS (",
    );
    let start = sql.text.len();
    guard(&mut sql);
    debug_assert!(
        sql.text[start..].contains("EXISTS (SELECT 1 FROM head)"),
        "the guard changes its row only once the head is locked"
    );
    sql.push(
        "), entry AS (SELECT seq + 1 AS seq, hash AS prev_hash, encode(sha256(\
         int8send(octet_length(hash)::bigint) || convert_to(hash, 'UTF8') || \
         int8send(octet_length((seq + 1)::text)::bigint) || convert_to((seq + 1)::text, 'UTF8') \
         || decode(",
    )
    .text(&hex::encode(fields))
    .push(
        ", 'hex')), 'hex') AS hash FROM head WHERE EXISTS (SELECT 1 FROM guard)), \
         logged AS (INSERT INTO audit_log (seq, at, actor_user_id, actor, action, entity_type, \
         entity_id, org_id, summary, prev_hash, hash) SELECT seq, ",
    )
    .i64(d.at)
    .push(", ")
    .arg(Arg::OptI64(d.actor_user_id))
    .push(", ")
    .text(&d.actor)
    .push(", ")
    .text(&d.action)
    .push(", ")
    .text(&d.entity_type)
    .push(", ")
    .text(&d.entity_id)
    .push(", ")
    .arg(Arg::OptI64(d.org_id))
    .push(", ")
    .text(&summary)
    .push(
        ", prev_hash, hash FROM entry), moved AS (UPDATE audit_head SET seq = entry.seq, \
         hash = entry.hash FROM entry WHERE audit_head.id = 1)",
    );
    for (i, statement) in then.iter().enumerate() {
        sql.push(&format!(", then{i} AS ("));
        let start = sql.text.len();
        statement(&mut sql);
        debug_assert!(
            sql.text[start..].contains("EXISTS (SELECT 1 FROM guard)"),
            "every statement writes only when the guard did"
        );
        sql.push(")");
    }
    sql.push(" SELECT COUNT(*) FROM guard");
    let mut conn = conns.acquire().await?;
    let changed: i64 = sql.query_scalar().fetch_one(&mut *conn).await?;
    Ok(changed > 0)
}

#[derive(FromRow)]
struct EntryRow {
    seq: i64,
    at: i64,
    actor_user_id: Option<i64>,
    actor: String,
    action: String,
    entity_type: String,
    entity_id: String,
    org_id: Option<i64>,
    summary: String,
    prev_hash: String,
    hash: String,
}

#[derive(FromRow)]
struct RecordRow {
    seq: i64,
    at: i64,
    actor: String,
    action: String,
    entity_type: String,
    entity_id: String,
    org_code: Option<String>,
    summary: String,
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, draft: AuditDraft) -> Result<i64> {
        let mut tx = self.begin().await?;
        let seq = append(&mut tx, &draft).await?;
        tx.commit().await?;
        Ok(seq)
    }

    async fn list_audit(
        &self,
        scope: &Scope,
        f: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>> {
        let build = |select: &str| {
            let mut sql = Sql::default();
            let scoped = sql.scope_cte(scope);
            sql.push(select).push(" WHERE 1 = 1");
            if scoped {
                sql.push(" AND a.org_id IN (SELECT id FROM visible)");
            }
            if let Some(v) = f.action.as_deref().filter(|v| !v.is_empty()) {
                sql.push(" AND a.action = ").text(v);
            }
            if let Some(v) = f.actor.as_deref().filter(|v| !v.is_empty()) {
                sql.push(" AND a.actor = ").text(&v.to_lowercase());
            }
            if let Some(v) = f.entity_type.as_deref().filter(|v| !v.is_empty()) {
                sql.push(" AND a.entity_type = ").text(v);
            }
            if let Some(v) = f.org_id {
                sql.push(" AND a.org_id = ").i64(v);
            }
            sql
        };
        let total = build("SELECT COUNT(*) FROM audit_log a")
            .query_scalar::<i64>()
            .fetch_one(&self.read)
            .await?;
        let mut sql = build(
            "SELECT a.seq, a.at, a.actor, a.action, a.entity_type, a.entity_id, o.code AS org_code, a.summary \
             FROM audit_log a LEFT JOIN organisations o ON o.id = a.org_id",
        );
        sql.push(" ORDER BY a.seq DESC LIMIT ")
            .i64(page.limit())
            .push(" OFFSET ")
            .i64(page.offset());
        let items = sql
            .query_as::<RecordRow>()
            .fetch_all(&self.read)
            .await?
            .into_iter()
            .map(|r| AuditRecord {
                seq: r.seq,
                at: r.at,
                actor: r.actor,
                action: r.action,
                entity_type: r.entity_type,
                entity_id: r.entity_id,
                org_code: r.org_code,
                summary: r.summary,
            })
            .collect();
        Ok(Page::of(items, total, page))
    }

    async fn audit_batch(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        Ok(sqlx::query_as::<_, EntryRow>(
            "SELECT seq, at, actor_user_id, actor, action, entity_type, entity_id, org_id, summary, prev_hash, hash \
             FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.read)
        .await?
        .into_iter()
        .map(|r| AuditEntry {
            seq: r.seq,
            at: r.at,
            actor_user_id: r.actor_user_id,
            actor: r.actor,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            org_id: r.org_id,
            summary: r.summary,
            prev_hash: r.prev_hash,
            hash: r.hash,
        })
        .collect())
    }

    async fn audit_head(&self) -> Result<(i64, String)> {
        Ok(
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(&self.read)
                .await?,
        )
    }
}
