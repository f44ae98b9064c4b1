use crate::audit::{append, append_many};
use crate::board::BoardDelta;
use crate::db::JsonCol::{Int, Text};
use crate::db::{Arg, IDS_PER_STATEMENT, Sql, Window, flag, json_rows, parse_rows, unpack_rows};
use crate::error::corrupt;
use crate::figures::{FiguresDelta, group_of};
use crate::model::*;
use crate::{Engine, OrgStore, Result, SqlStore, StoreError};
use async_trait::async_trait;
use palisade_domain::FieldErrors;
use palisade_domain::audit::AuditDraft;
use palisade_domain::org::{OrgCode, OrgFields, would_cycle};
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::people::ContactFields;
use palisade_domain::policy::{OrgId, Scope};
use palisade_domain::search::search_key;
use sqlx::{AnyConnection, FromRow};
use std::collections::HashMap;

/// Rows per multi-row statement in an import. Kept to about 250 parameters a statement: SQLite
/// looks up each bound parameter's name by scanning all of them, so binding cost grows with the
/// square of the parameter count (at 3,000 parameters a statement, binding was 72% of an import).
const IMPORT_BATCH: usize = 40;
/// Rows per parent-setting `CASE` update (three parameters each).
const PARENT_BATCH: usize = 80;

/// Past this many ids, [`OrgStore::org_page_by_code`] walks the register in code order.
const CODES_WHOLE: usize = 5_000;

/// The register's version (migration 0035), as a column of a statement that reads something
/// that stands only while the register does.
pub(crate) const REGISTER_VERSION: &str = "(SELECT version FROM register_version WHERE id = 1)";

pub(crate) const ORG_COLUMNS: &str = "o.id, o.code, o.name, o.org_type, o.category, o.region, o.parent_id, \
     p.code AS parent_code, o.active, o.created_at, o.updated_at \
     FROM organisations o LEFT JOIN organisations p ON p.id = o.parent_id";

#[derive(FromRow)]
pub(crate) struct OrgRow {
    id: i64,
    code: String,
    name: String,
    org_type: String,
    category: i64,
    region: String,
    parent_id: Option<i64>,
    parent_code: Option<String>,
    active: i64,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<OrgRow> for Organisation {
    type Error = StoreError;
    fn try_from(r: OrgRow) -> Result<Self> {
        Ok(Organisation {
            org_type: r
                .org_type
                .parse()
                .map_err(|_| corrupt("organisation type", &r.org_type))?,
            category: u8::try_from(r.category)
                .ok()
                .and_then(|c| c.try_into().ok())
                .ok_or_else(|| corrupt("category", &r.category.to_string()))?,
            id: r.id,
            code: r.code,
            name: r.name,
            region: r.region,
            parent_id: r.parent_id,
            parent_code: r.parent_code,
            active: r.active != 0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const CONTACT_COLUMNS: &str =
    "id, org_id, name, role, email, mobile, alert_channels, reminders, created_at, updated_at";

#[derive(FromRow)]
struct ContactRow {
    id: i64,
    org_id: i64,
    name: String,
    role: String,
    email: String,
    mobile: Option<String>,
    alert_channels: String,
    reminders: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ContactRow> for Contact {
    type Error = StoreError;
    fn try_from(r: ContactRow) -> Result<Self> {
        Ok(Contact {
            role: r
                .role
                .parse()
                .map_err(|_| corrupt("contact role", &r.role))?,
            id: r.id,
            org_id: r.org_id,
            name: r.name,
            email: r.email,
            mobile: r.mobile,
            alert_channels: r
                .alert_channels
                .parse()
                .map_err(|_| corrupt("alert channels", &r.alert_channels))?,
            reminders: r
                .reminders
                .parse()
                .map_err(|_| corrupt("reminder delivery", &r.reminders))?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

async fn org_by_id(conn: &mut AnyConnection, id: OrgId) -> Result<Option<Organisation>> {
    let mut sql = Sql::new(&format!("SELECT {ORG_COLUMNS} WHERE o.id = "));
    sql.i64(id);
    sql.query_as::<OrgRow>()
        .fetch_optional(conn)
        .await?
        .map(Organisation::try_from)
        .transpose()
}

/// Runs an organisation query (selecting `ORG_COLUMNS`) and converts every row.
pub(crate) async fn fetch_orgs<'c, E>(sql: &Sql, executor: E) -> Result<Vec<Organisation>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sql.query_as::<OrgRow>()
        .fetch_all(executor)
        .await?
        .into_iter()
        .map(Organisation::try_from)
        .collect()
}

async fn org_id_by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<OrgId>> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT id FROM organisations WHERE code = $1")
            .bind(code.to_string())
            .fetch_optional(conn)
            .await?,
    )
}

/// The organisation's id followed by its ancestors' ids, nearest first.
async fn ancestry(conn: &mut AnyConnection, id: OrgId) -> Result<Vec<OrgId>> {
    Ok(sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE {} SELECT id FROM anc ORDER BY depth",
        ancestry_from("id = $1")
    )))
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// `anc`: the organisation that meets `start` (depth 0), its parent (1), and so on up, at most
/// 64 levels (the register refuses loops; this bounds a corrupt one).
fn ancestry_from(start: &str) -> String {
    format!(
        "anc(id, parent_id, depth) AS ( \
           SELECT id, parent_id, 0 FROM organisations WHERE {start} \
           UNION ALL \
           SELECT o.id, o.parent_id, a.depth + 1 FROM organisations o JOIN anc a ON o.id = a.parent_id \
           WHERE a.depth < 64)"
    )
}

/// Resolves a parent code to an id, refusing unknown parents and loops.
async fn resolve_parent(
    conn: &mut AnyConnection,
    this: Option<OrgId>,
    parent: Option<&OrgCode>,
) -> Result<Option<OrgId>> {
    let Some(code) = parent else { return Ok(None) };
    let Some(pid) = org_id_by_code(conn, code.as_str()).await? else {
        return Err(StoreError::Invalid(
            palisade_domain::FieldError::new(
                "parent_code",
                format!("no organisation has code '{code}'"),
            )
            .into(),
        ));
    };
    if let Some(this) = this
        && ancestry(conn, pid).await?.contains(&this)
    {
        return Err(StoreError::Invalid(
            palisade_domain::FieldError::new(
                "parent_code",
                format!("'{code}' is beneath this organisation: that would make a loop"),
            )
            .into(),
        ));
    }
    Ok(Some(pid))
}

fn org_summary(f: &OrgFields) -> serde_json::Value {
    serde_json::json!({
        "code": f.code.as_str(), "name": f.name, "type": f.org_type.as_str(),
        "category": f.category.number(), "region": f.region,
        "parent_code": f.parent_code.as_ref().map(OrgCode::as_str),
    })
}

fn fields_of(o: &Organisation) -> Option<OrgFields> {
    Some(OrgFields {
        code: parse_code(&o.code)?,
        name: o.name.clone(),
        org_type: o.org_type,
        category: o.category,
        region: o.region.clone(),
        parent_code: o.parent_code.as_deref().and_then(parse_code),
    })
}

#[async_trait]
impl OrgStore for SqlStore {
    async fn find_org_as_of(&self, code: &OrgCode) -> Result<Option<FoundOrg>> {
        // The organisation, its chain and the register's version in one statement: a request
        // about an organisation starts here unless it holds them at its version already, and on
        // SQLite each statement is a round trip to a connection's thread.
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            org: OrgRow,
            chain: String,
            register_version: i64,
        }
        let chain = json_rows(self.engine, "anc.id", "FROM anc", "anc.depth");
        let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "WITH RECURSIVE {} \
             SELECT q.*, {chain} AS chain, {REGISTER_VERSION} AS register_version \
             FROM (SELECT {ORG_COLUMNS} WHERE o.code = $1) q",
            ancestry_from("code = $1")
        )))
        .bind(code.as_str())
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let ancestry = parse_rows::<(i64,)>("ancestry", &row.chain)?
            .into_iter()
            .map(|(id,)| id)
            .collect();
        Ok(Some(FoundOrg {
            org: Organisation::try_from(row.org)?,
            ancestry,
            register_version: row.register_version,
        }))
    }

    async fn get_org(&self, id: OrgId) -> Result<Option<Organisation>> {
        let mut conn = self.read.acquire().await?;
        org_by_id(&mut conn, id).await
    }

    async fn list_orgs(
        &self,
        scope: &Scope,
        f: &OrgFilter,
        page: PageRequest,
    ) -> Result<Page<Organisation>> {
        let build = |select: &str| {
            let mut sql = Sql::default();
            let scoped = sql.scope_cte(scope);
            sql.push(select).push(" WHERE 1 = 1");
            if scoped {
                sql.push(" AND o.id IN (SELECT id FROM visible)");
            }
            if let Some(q) = f.q.as_deref().filter(|q| !q.trim().is_empty()) {
                sql.org_code_or_name(self.engine, q);
            }
            if let Some(t) = f.org_type {
                sql.push(" AND o.org_type = ").text(t.as_str());
            }
            if let Some(c) = f.category {
                sql.push(" AND o.category = ").i64(i64::from(c.number()));
            }
            if let Some(r) = f.region.as_deref().filter(|r| !r.is_empty()) {
                sql.push(" AND o.region = ").text(r);
            }
            if let Some(a) = f.active {
                sql.push(" AND o.active = ").i64(flag(a));
            }
            sql
        };
        let mut conn = self.read.acquire().await?;
        let total = build("SELECT COUNT(*) FROM organisations o")
            .query_scalar::<i64>()
            .fetch_one(&mut *conn)
            .await?;
        let mut sql = build(&format!("SELECT {ORG_COLUMNS}"));
        sql.push(" ORDER BY o.search_name, o.code LIMIT ")
            .i64(page.limit())
            .push(" OFFSET ")
            .i64(page.offset());
        let items = fetch_orgs(&sql, &mut *conn).await?;
        Ok(Page::of(items, total, page))
    }

    async fn children_of(&self, id: OrgId) -> Result<Vec<Organisation>> {
        let mut sql = Sql::new(&format!("SELECT {ORG_COLUMNS} WHERE o.parent_id = "));
        sql.i64(id)
            .push(" ORDER BY o.search_name, o.code LIMIT 500");
        fetch_orgs(&sql, &self.read).await
    }

    async fn orgs_by_codes(&self, codes: &[OrgCode]) -> Result<Vec<Organisation>> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::default();
        sql.push(&format!("SELECT {ORG_COLUMNS} WHERE o.code IN ("));
        for (i, c) in codes.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.text(c.as_str());
        }
        sql.push(") ORDER BY o.code");
        fetch_orgs(&sql, &self.read).await
    }

    async fn orgs_by_ids(&self, ids: &[OrgId]) -> Result<Vec<Organisation>> {
        let mut out = Vec::with_capacity(ids.len());
        for batch in ids.chunks(crate::db::IDS_PER_STATEMENT) {
            let mut sql = Sql::default();
            sql.push(&format!("SELECT {ORG_COLUMNS} WHERE o.id IN ("))
                .i64_list(batch)
                .push(")");
            out.extend(fetch_orgs(&sql, &self.read).await?);
        }
        Ok(out)
    }

    async fn org_page_by_code(
        &self,
        ids: &std::collections::HashSet<OrgId>,
        page: PageRequest,
    ) -> Result<Vec<OrgId>> {
        let (skip, take) = (page.offset() as usize, page.limit() as usize);
        if ids.len() <= CODES_WHOLE {
            let wanted: Vec<OrgId> = ids.iter().copied().collect();
            let mut codes: Vec<(i64, String)> = Vec::with_capacity(wanted.len());
            for batch in wanted.chunks(crate::db::IDS_PER_STATEMENT) {
                let mut sql = Sql::new("SELECT id, code FROM organisations WHERE id IN (");
                sql.i64_list(batch).push(")");
                codes.extend(
                    sql.query_as::<(i64, String)>()
                        .fetch_all(&self.read)
                        .await?,
                );
            }
            codes.sort_by(|a, b| a.1.cmp(&b.1));
            return Ok(codes
                .into_iter()
                .skip(skip)
                .take(take)
                .map(|(id, _)| id)
                .collect());
        }
        // Most of the register: walk it in code order, a thousand at a time along its unique
        // index, until the page is full, rather than reading thousands of codes to sort them.
        // (Without a limit PostgreSQL sorts the whole table first.)
        let (mut seen, mut out, mut after) = (0, Vec::with_capacity(take), String::new());
        while out.len() < take {
            let rows: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, code FROM organisations WHERE code > $1 ORDER BY code LIMIT 1000",
            )
            .bind(after.clone())
            .fetch_all(&self.read)
            .await?;
            let Some((_, last)) = rows.last() else { break };
            after = last.clone();
            for (id, _) in rows {
                if ids.contains(&id) {
                    if seen >= skip && out.len() < take {
                        out.push(id);
                    }
                    seen += 1;
                }
            }
        }
        Ok(out)
    }

    async fn inactive_orgs(&self) -> Result<Vec<OrgId>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM organisations WHERE active = 0")
                .fetch_all(&self.read)
                .await?,
        )
    }

    async fn export_orgs(&self, scope: &Scope) -> Result<Vec<Organisation>> {
        fetch_orgs(&export_sql(scope, Window::Page(None)), &self.read).await
    }

    async fn export_orgs_after(
        &self,
        scope: &Scope,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Organisation>> {
        fetch_orgs(&export_sql(scope, Window::After(after, limit)), &self.read).await
    }

    async fn regions(&self, scope: &Scope) -> Result<Vec<String>> {
        let mut sql = Sql::default();
        let scoped = sql.scope_cte(scope);
        sql.push("SELECT DISTINCT region FROM organisations");
        if scoped {
            sql.push(" WHERE id IN (SELECT id FROM visible)");
        }
        sql.push(" ORDER BY region");
        Ok(sql.query_scalar::<String>().fetch_all(&self.read).await?)
    }

    async fn count_orgs(&self, scope: &Scope) -> Result<Vec<(String, i64)>> {
        if matches!(scope, Scope::All) {
            // The whole register: its kept counts, rather than every organisation read again.
            let mut conn = self.read.acquire().await?;
            return crate::figures::active_by_type(&mut conn).await;
        }
        let mut sql = Sql::default();
        let scoped = sql.scope_cte(scope);
        sql.push("SELECT org_type, COUNT(*) AS n FROM organisations WHERE active = 1");
        if scoped {
            sql.push(" AND id IN (SELECT id FROM visible)");
        }
        sql.push(" GROUP BY org_type ORDER BY org_type");
        Ok(sql
            .query_as::<(String, i64)>()
            .fetch_all(&self.read)
            .await?)
    }

    async fn create_org(&self, fields: &OrgFields, mut audit: AuditDraft) -> Result<Organisation> {
        let mut tx = self.begin().await?;
        if org_id_by_code(&mut tx, fields.code.as_str())
            .await?
            .is_some()
        {
            return Err(StoreError::conflict(
                "code",
                format!("an organisation with code '{}' exists already", fields.code),
            ));
        }
        let parent_id = resolve_parent(&mut tx, None, fields.parent_code.as_ref()).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO organisations (code, name, org_type, category, region, parent_id, active, created_at, updated_at, search_name) \
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8) RETURNING id",
        )
        .bind(fields.code.as_str().to_string())
        .bind(fields.name.clone())
        .bind(fields.org_type.as_str())
        .bind(i64::from(fields.category.number()))
        .bind(fields.region.clone())
        .bind(parent_id)
        .bind(audit.at)
        .bind(search_key(&fields.name))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::conflict("code", format!("an organisation with code '{}' exists already", fields.code))
            } else {
                e.into()
            }
        })?;
        let mut figures = FiguresDelta::default();
        figures.add_organisation(group_of(fields), 1);
        figures.apply(&mut tx).await?;
        index_for_search(
            &mut tx,
            self.engine,
            &[(id, fields.code.as_str(), &fields.name)],
        )
        .await?;
        audit.org_id = Some(id);
        append(&mut tx, &audit).await?;
        let org = org_by_id(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(org)
    }

    async fn update_org(
        &self,
        id: OrgId,
        fields: &OrgFields,
        active: bool,
        audit: AuditDraft,
    ) -> Result<Organisation> {
        let mut tx = self.begin().await?;
        let current = org_by_id(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        if current.code != fields.code.as_str() {
            return Err(StoreError::Invalid(
                palisade_domain::FieldError::new(
                    "code",
                    "an organisation's code cannot be changed",
                )
                .into(),
            ));
        }
        let parent_id = resolve_parent(&mut tx, Some(id), fields.parent_code.as_ref()).await?;
        let mut figures = FiguresDelta::default();
        figures.organisations(&mut tx, &[id], -1).await?;
        // A change of type moves the organisation's responses on the alerts' boards.
        let retyped: &[OrgId] = if current.org_type == fields.org_type {
            &[]
        } else {
            &[id]
        };
        let mut board = BoardDelta::default();
        board.responses(&mut tx, None, retyped, -1).await?;
        sqlx::query(
            "UPDATE organisations SET name = $1, org_type = $2, category = $3, region = $4, parent_id = $5, \
             active = $6, updated_at = $7, search_name = $9 WHERE id = $8",
        )
        .bind(fields.name.clone())
        .bind(fields.org_type.as_str())
        .bind(i64::from(fields.category.number()))
        .bind(fields.region.clone())
        .bind(parent_id)
        .bind(flag(active))
        .bind(audit.at)
        .bind(id)
        .bind(search_key(&fields.name))
        .execute(&mut *tx)
        .await?;
        figures.organisations(&mut tx, &[id], 1).await?;
        figures.apply(&mut tx).await?;
        board.responses(&mut tx, None, retyped, 1).await?;
        board.apply(&mut tx).await?;
        index_for_search(
            &mut tx,
            self.engine,
            &[(id, fields.code.as_str(), &fields.name)],
        )
        .await?;
        append(&mut tx, &audit).await?;
        let org = org_by_id(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(org)
    }

    async fn import_orgs(&self, rows: &[ImportRow], who: ImportAudit) -> Result<ImportReport> {
        let mut tx = self.begin().await?;
        let mut existing: HashMap<String, Organisation> = HashMap::new();
        {
            let mut stream =
                sqlx::query_as::<_, OrgRow>(sqlx::AssertSqlSafe(format!("SELECT {ORG_COLUMNS}")))
                    .fetch_all(&mut *tx)
                    .await?;
            for r in stream.drain(..) {
                let o = Organisation::try_from(r)?;
                existing.insert(o.code.clone(), o);
            }
        }
        // Every parent must exist in the file or the register, and no loop may form.
        let mut final_parent: HashMap<String, Option<OrgCode>> = existing
            .values()
            .map(|o| {
                (
                    o.code.clone(),
                    o.parent_code.as_deref().and_then(parse_code),
                )
            })
            .collect();
        for r in rows {
            final_parent.insert(
                r.fields.code.as_str().to_string(),
                r.fields.parent_code.clone(),
            );
        }
        let mut errs = FieldErrors::default();
        for r in rows {
            if let Some(p) = &r.fields.parent_code {
                if !final_parent.contains_key(p.as_str()) {
                    errs.push(
                        format!("line {}: parent_code", r.line),
                        format!("'{p}' is not in this file or the register"),
                    );
                } else if would_cycle(&r.fields.code, p, |c| {
                    final_parent.get(c.as_str()).cloned().flatten()
                }) {
                    errs.push(
                        format!("line {}: parent_code", r.line),
                        format!("'{p}' would make a loop of parents"),
                    );
                }
            }
        }
        errs.into_result().map_err(StoreError::Invalid)?;

        let mut report = ImportReport::default();
        let mut ids: HashMap<String, OrgId> =
            existing.values().map(|o| (o.code.clone(), o.id)).collect();
        // (row, fields before) for every organisation the import creates (None) or changes.
        let mut changed: Vec<(&ImportRow, Option<OrgFields>)> = Vec::new();
        let mut figures = FiguresDelta::default();
        // Existing organisations the file changes, with their ids: their part in the national
        // figures is read for all of them before the updates and after, a few statements in all.
        let mut updates: Vec<(&ImportRow, OrgId)> = Vec::new();
        for r in rows {
            let f = &r.fields;
            match existing.get(f.code.as_str()) {
                None => {
                    report.created += 1;
                    if r.active {
                        figures.add_organisation(group_of(f), 1);
                    }
                    changed.push((r, None));
                }
                Some(o) => {
                    let before = fields_of(o);
                    if before.as_ref() == Some(f) && o.active == r.active {
                        report.unchanged += 1;
                        continue;
                    }
                    report.updated += 1;
                    updates.push((r, o.id));
                    changed.push((r, before));
                }
            }
        }
        let updated: Vec<OrgId> = updates.iter().map(|(_, id)| *id).collect();
        figures.organisations(&mut tx, &updated, -1).await?;
        let retyped: Vec<OrgId> = updates
            .iter()
            .filter(|(r, _)| {
                existing
                    .get(r.fields.code.as_str())
                    .is_some_and(|o| o.org_type != r.fields.org_type)
            })
            .map(|(_, id)| *id)
            .collect();
        let mut board = BoardDelta::default();
        board.responses(&mut tx, None, &retyped, -1).await?;
        for (r, id) in &updates {
            let f = &r.fields;
            sqlx::query(
                "UPDATE organisations SET name = $1, org_type = $2, category = $3, region = $4, updated_at = $5, active = $6, search_name = $8 WHERE id = $7",
            )
            .bind(f.name.clone())
            .bind(f.org_type.as_str())
            .bind(i64::from(f.category.number()))
            .bind(f.region.clone())
            .bind(who.at)
            .bind(flag(r.active))
            .bind(*id)
            .bind(search_key(&f.name))
            .execute(&mut *tx)
            .await?;
        }
        figures.organisations(&mut tx, &updated, 1).await?;
        board.responses(&mut tx, None, &retyped, 1).await?;
        board.apply(&mut tx).await?;
        let renamed: Vec<(OrgId, &str, &str)> = updates
            .iter()
            .map(|(r, id)| (*id, r.fields.code.as_str(), r.fields.name.as_str()))
            .collect();
        index_for_search(&mut tx, self.engine, &renamed).await?;
        // New organisations in multi-row inserts, parents left for the next step.
        let new_rows: Vec<&ImportRow> = changed
            .iter()
            .filter(|(_, b)| b.is_none())
            .map(|(r, _)| *r)
            .collect();
        for chunk in new_rows.chunks(IMPORT_BATCH) {
            let mut sql = Sql::new(
                "INSERT INTO organisations (code, name, org_type, category, region, parent_id, active, created_at, updated_at, search_name) VALUES ",
            );
            for (i, r) in chunk.iter().enumerate() {
                let f = &r.fields;
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.text(f.code.as_str())
                    .push(", ")
                    .text(&f.name)
                    .push(", ")
                    .text(f.org_type.as_str())
                    .push(", ");
                sql.i64(i64::from(f.category.number()))
                    .push(", ")
                    .text(&f.region)
                    .push(", NULL, ")
                    .i64(flag(r.active))
                    .push(", ");
                sql.i64(who.at)
                    .push(", ")
                    .i64(who.at)
                    .push(", ")
                    .text(&search_key(&f.name))
                    .push(")");
            }
            sql.push(" RETURNING id, code");
            for (id, code) in sql.query_as::<(i64, String)>().fetch_all(&mut *tx).await? {
                ids.insert(code, id);
            }
            let created: Vec<(OrgId, &str, &str)> = chunk
                .iter()
                .map(|r| {
                    let code = r.fields.code.as_str();
                    (ids[code], code, r.fields.name.as_str())
                })
                .collect();
            index_for_search(&mut tx, self.engine, &created).await?;
        }
        figures.apply(&mut tx).await?;
        // Parents second, once every organisation in the file has an id: one UPDATE per batch.
        let parents: Vec<(OrgId, Option<OrgId>)> = changed
            .iter()
            .filter(|(r, before)| match before {
                None => r.fields.parent_code.is_some(),
                Some(b) => b.parent_code != r.fields.parent_code,
            })
            .map(|(r, _)| {
                let parent = r
                    .fields
                    .parent_code
                    .as_ref()
                    .and_then(|p| ids.get(p.as_str()).copied());
                (ids[r.fields.code.as_str()], parent)
            })
            .collect();
        for chunk in parents.chunks(PARENT_BATCH) {
            let mut sql = Sql::new("UPDATE organisations SET parent_id = CASE id");
            for (id, parent) in chunk {
                sql.push(" WHEN ")
                    .i64(*id)
                    .push(" THEN ")
                    .arg(Arg::OptI64(*parent));
            }
            sql.push(" END WHERE id IN (");
            for (i, (id, _)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.i64(*id);
            }
            sql.push(")");
            sql.execute(&mut tx).await?;
        }
        let drafts: Vec<AuditDraft> = changed
            .iter()
            .map(|(r, before)| AuditDraft {
                at: who.at,
                actor_user_id: who.actor_user_id,
                actor: who.actor.clone(),
                action: if before.is_some() {
                    "organisation.import_update"
                } else {
                    "organisation.import_create"
                }
                .into(),
                entity_type: "organisation".into(),
                entity_id: r.fields.code.as_str().to_string(),
                org_id: ids.get(r.fields.code.as_str()).copied(),
                summary: serde_json::json!({
                    "line": r.line,
                    "before": before.as_ref().map(org_summary),
                    "after": org_summary(&r.fields),
                }),
            })
            .collect();
        append_many(&mut tx, &drafts).await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn list_contacts(&self, org_id: OrgId) -> Result<Vec<Contact>> {
        sqlx::query_as::<_, ContactRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE org_id = $1 ORDER BY role, name"
        )))
        .bind(org_id)
        .fetch_all(&self.read)
        .await?
        .into_iter()
        .map(Contact::try_from)
        .collect()
    }

    async fn get_contact(&self, org_id: OrgId, id: i64) -> Result<Option<Contact>> {
        sqlx::query_as::<_, ContactRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .map(Contact::try_from)
        .transpose()
    }

    async fn create_contact(
        &self,
        org_id: OrgId,
        f: &ContactFields,
        mut audit: AuditDraft,
    ) -> Result<Contact> {
        let mut tx = self.begin().await?;
        let row = sqlx::query_as::<_, ContactRow>(sqlx::AssertSqlSafe(format!(
            "INSERT INTO contacts (org_id, name, role, email, mobile, alert_channels, reminders, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             RETURNING {CONTACT_COLUMNS}"
        )))
        .bind(org_id)
        .bind(f.name.clone())
        .bind(f.role.as_str())
        .bind(f.email.as_str().to_string())
        .bind(f.mobile.as_ref().map(|m| m.as_str().to_string()))
        .bind(f.alert_channels.as_str())
        .bind(f.reminders.as_str())
        .bind(audit.at)
        .fetch_one(&mut *tx)
        .await?;
        audit.entity_id = row.id.to_string();
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Contact::try_from(row)
    }

    async fn seed_contacts(&self, batch: &[SeededContact]) -> Result<usize> {
        // One statement for the whole batch: the rows travel as one JSON array that the engine
        // unpacks, and only organisations without a contact get one.
        let mut drafts: HashMap<OrgId, &AuditDraft> = HashMap::new();
        let mut rows = Vec::with_capacity(batch.len());
        for c in batch {
            if drafts.insert(c.org_id, &c.audit).is_none() {
                let f = &c.fields;
                rows.push(serde_json::json!([
                    c.org_id,
                    f.name,
                    f.role.as_str(),
                    f.email.as_str(),
                    f.mobile.as_ref().map(|m| m.as_str()),
                    f.alert_channels.as_str(),
                    f.reminders.as_str(),
                    c.audit.at,
                    c.audit.at,
                ]));
            }
        }
        if rows.is_empty() {
            return Ok(0);
        }
        let unpack = unpack_rows(
            self.engine,
            &[Int, Text, Text, Text, Text, Text, Text, Int, Int],
            "",
            1,
        );
        let mut tx = self.begin().await?;
        let added: Vec<(i64, OrgId)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO contacts (org_id, name, role, email, mobile, alert_channels, reminders, \
             created_at, updated_at) SELECT * FROM ({unpack}) n WHERE NOT EXISTS \
             (SELECT 1 FROM contacts c WHERE c.org_id = n.c0) RETURNING id, org_id"
        )))
        .bind(serde_json::Value::Array(rows).to_string())
        .fetch_all(&mut *tx)
        .await?;
        let mut audit: Vec<AuditDraft> = Vec::with_capacity(added.len());
        for (id, org_id) in &added {
            let mut d = drafts
                .get(org_id)
                .map(|d| (*d).clone())
                .ok_or_else(|| corrupt("contact organisation", &org_id.to_string()))?;
            d.entity_id = id.to_string();
            audit.push(d);
        }
        append_many(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(audit.len())
    }

    async fn update_contact(
        &self,
        org_id: OrgId,
        id: i64,
        f: &ContactFields,
        audit: AuditDraft,
    ) -> Result<Contact> {
        let mut tx = self.begin().await?;
        let row = sqlx::query_as::<_, ContactRow>(sqlx::AssertSqlSafe(format!(
            "UPDATE contacts SET name = $1, role = $2, email = $3, mobile = $4, \
             alert_channels = $5, reminders = $6, updated_at = $7 WHERE org_id = $8 AND id = $9 \
             RETURNING {CONTACT_COLUMNS}"
        )))
        .bind(f.name.clone())
        .bind(f.role.as_str())
        .bind(f.email.as_str().to_string())
        .bind(f.mobile.as_ref().map(|m| m.as_str().to_string()))
        .bind(f.alert_channels.as_str())
        .bind(f.reminders.as_str())
        .bind(audit.at)
        .bind(org_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Contact::try_from(row)
    }

    async fn delete_contact(&self, org_id: OrgId, id: i64, audit: AuditDraft) -> Result<()> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM contacts WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Puts organisations (id, code, name) in SQLite's trigram index of codes and folded names
/// (`organisations_search`), replacing what it held for them. PostgreSQL indexes the table
/// itself, so there this does nothing.
pub(crate) async fn index_for_search(
    conn: &mut AnyConnection,
    engine: Engine,
    rows: &[(OrgId, &str, &str)],
) -> Result<()> {
    if engine != Engine::Sqlite {
        return Ok(());
    }
    for chunk in rows.chunks(IDS_PER_STATEMENT / 3) {
        let ids: Vec<i64> = chunk.iter().map(|(id, _, _)| *id).collect();
        Sql::with_ids(
            "DELETE FROM organisations_search WHERE rowid IN (",
            &ids,
            ")",
        )
        .execute(&mut *conn)
        .await?;
        let mut sql =
            Sql::new("INSERT INTO organisations_search (rowid, code, search_name) VALUES ");
        for (i, (id, code, name)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .i64(*id)
                .push(", ")
                .text(code)
                .push(", ")
                .text(&search_key(name))
                .push(")");
        }
        sql.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Every organisation in `scope`, active or not, by code.
pub(crate) fn export_sql(scope: &Scope, w: Window) -> Sql {
    let mut sql = Sql::default();
    let scoped = sql.scope_cte(scope);
    sql.push(&format!("SELECT {ORG_COLUMNS} WHERE "));
    sql.push(if scoped {
        "o.id IN (SELECT id FROM visible)"
    } else {
        "TRUE"
    });
    w.finish(&mut sql, "o.code");
    sql
}
