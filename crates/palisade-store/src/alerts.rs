//! Cyber alerts on SQL: versioned alerts, one response row per in-scope organisation, their
//! remediation actions, and notifications queued in the outbox in the same transaction.

use crate::audit::append_many;
use crate::board::BoardDelta;
use crate::db::{Engine, Sql, Window, flag};
use crate::delivery::{OUTBOX_COLUMNS, tally_queued};
use crate::error::corrupt;
use crate::model::*;
use crate::{AlertStore, Result, SqlStore, StoreError};
use async_trait::async_trait;
use palisade_domain::alert::{AlertFields, AlertState, Closure};
use palisade_domain::audit::AuditDraft;
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::people::ContactRole;
use palisade_domain::policy::{OrgId, Scope};
use sqlx::{AnyConnection, FromRow};

const ALERT_COLUMNS: &str = "a.id, a.reference, a.state, a.version, a.fields, a.created_at, \
     a.published_at, a.updated_at, \
     (SELECT CAST(COALESCE(SUM(x.responses), 0) AS BIGINT) FROM response_tally x \
      WHERE x.alert_id = a.id) AS responses";

const RESPONSE_COLUMNS: &str = "r.alert_id, r.org_id, o.code AS org_code, o.name AS org_name, \
     o.org_type, o.region, r.status, r.due_at, r.acknowledged_at, r.applies, r.reason, r.closure, \
     r.risk_owner, r.closed_at, r.escalated_at, r.revision, r.updated_at, \
     (SELECT COUNT(*) FROM response_actions x WHERE x.alert_id = r.alert_id \
      AND x.org_id = r.org_id) AS actions, \
     (SELECT COUNT(*) FROM response_actions x WHERE x.alert_id = r.alert_id \
      AND x.org_id = r.org_id AND x.done_on IS NULL) AS open_actions";

/// What a save writes: the content as a new version, and on publication the responses and
/// notifications it causes.
#[derive(Debug, Clone)]
pub struct AlertSave {
    pub fields: AlertFields,
    /// The fields that differ from the version before (empty for a new alert).
    pub changed: Vec<String>,
    pub publish: bool,
    /// Organisations in scope; those without a response get one, first due at `due_at`.
    pub targets: Vec<OrgId>,
    pub due_at: Option<i64>,
    /// Sent to the alert contacts of every organisation with a response.
    pub notice: Option<Notice>,
}

#[derive(FromRow)]
struct AlertRow {
    id: i64,
    reference: String,
    state: String,
    version: i64,
    fields: String,
    created_at: i64,
    published_at: Option<i64>,
    updated_at: i64,
    responses: i64,
}

impl TryFrom<AlertRow> for AlertRecord {
    type Error = StoreError;
    fn try_from(r: AlertRow) -> Result<Self> {
        Ok(AlertRecord {
            state: r
                .state
                .parse()
                .map_err(|_| corrupt("alert state", &r.state))?,
            fields: serde_json::from_str(&r.fields)
                .map_err(|e| corrupt("alert fields", &e.to_string()))?,
            id: r.id,
            reference: r.reference,
            version: r.version,
            created_at: r.created_at,
            published_at: r.published_at,
            updated_at: r.updated_at,
            responses: r.responses,
        })
    }
}

#[derive(FromRow)]
struct ResponseRow {
    alert_id: i64,
    org_id: i64,
    org_code: String,
    org_name: String,
    org_type: String,
    region: String,
    status: String,
    due_at: Option<i64>,
    acknowledged_at: Option<i64>,
    applies: Option<i64>,
    reason: Option<String>,
    closure: Option<String>,
    risk_owner: Option<String>,
    closed_at: Option<i64>,
    escalated_at: Option<i64>,
    revision: i64,
    updated_at: i64,
    actions: i64,
    open_actions: i64,
}

impl TryFrom<ResponseRow> for ResponseRecord {
    type Error = StoreError;
    fn try_from(r: ResponseRow) -> Result<Self> {
        let closure = r
            .closure
            .as_deref()
            .map(|c| c.parse::<Closure>().map_err(|_| corrupt("closure", c)))
            .transpose()?;
        Ok(ResponseRecord {
            org_type: r
                .org_type
                .parse()
                .map_err(|_| corrupt("organisation type", &r.org_type))?,
            status: r
                .status
                .parse()
                .map_err(|_| corrupt("response status", &r.status))?,
            closure,
            applies: r.applies.map(|a| a != 0),
            alert_id: r.alert_id,
            org_id: r.org_id,
            org_code: r.org_code,
            org_name: r.org_name,
            region: r.region,
            due_at: r.due_at,
            acknowledged_at: r.acknowledged_at,
            reason: r.reason,
            risk_owner: r.risk_owner,
            closed_at: r.closed_at,
            escalated_at: r.escalated_at,
            revision: r.revision,
            updated_at: r.updated_at,
            actions: r.actions,
            open_actions: r.open_actions,
        })
    }
}

/// The conflict when an alert changed since the version its editor read.
pub fn stale_alert(current: &AlertRecord) -> StoreError {
    StoreError::conflict(
        "version",
        format!(
            "{} was changed by someone else (now version {}); review it and try again",
            current.reference, current.version
        ),
    )
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Unsupported(e.to_string()))
}

async fn alert_by(conn: &mut AnyConnection, id: i64) -> Result<AlertRecord> {
    let row: Option<AlertRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ALERT_COLUMNS} FROM alerts a WHERE a.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.ok_or(StoreError::NotFound)?.try_into()
}

/// `SELECT` of the ids in a JSON array parameter `$n`, one row each, on either engine.
fn unpack_ids(engine: Engine, n: usize) -> String {
    match engine {
        Engine::Sqlite => format!("SELECT value AS id FROM json_each(${n}) WHERE true"),
        Engine::Postgres => {
            format!("SELECT e::bigint AS id FROM json_array_elements_text(${n}::json) AS e")
        }
    }
}

impl SqlStore {
    /// Writes `save` as version `version` of the alert inside `tx`.
    async fn write_version(
        &self,
        conn: &mut AnyConnection,
        alert_id: i64,
        reference: &str,
        version: i64,
        save: &AlertSave,
        stamp: Stamp,
    ) -> Result<()> {
        let fields = to_json(&save.fields)?;
        let published_at = if save.publish { Some(stamp.at) } else { None };
        sqlx::query(
            "UPDATE alerts SET version = $1, title = $2, severity = $3, fields = $4, \
             updated_at = $5, state = CASE WHEN $6 = 1 THEN 'published' ELSE state END, \
             published_at = COALESCE(published_at, $7) WHERE id = $8",
        )
        .bind(version)
        .bind(&save.fields.title)
        .bind(save.fields.severity.as_str())
        .bind(&fields)
        .bind(stamp.at)
        .bind(flag(save.publish))
        .bind(published_at)
        .bind(alert_id)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO alert_versions (alert_id, version, fields, changed, published, at, by_user) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(alert_id)
        .bind(version)
        .bind(&fields)
        .bind(to_json(&save.changed)?)
        .bind(flag(save.publish))
        .bind(stamp.at)
        .bind(stamp.user_id)
        .execute(&mut *conn)
        .await?;
        if !save.publish {
            return Ok(());
        }
        // One statement for every new response, whatever the number of organisations.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO alert_responses (alert_id, org_id, status, due_at, ack_due_at, \
             updated_at) SELECT $1, t.id, 'awaiting_acknowledgement', $2, $2, $3 FROM ({}) t \
             WHERE true \
             ON CONFLICT (alert_id, org_id) DO NOTHING",
            unpack_ids(self.engine, 4)
        )))
        .bind(alert_id)
        .bind(save.due_at)
        .bind(stamp.at)
        .bind(to_json(&save.targets)?)
        .execute(&mut *conn)
        .await?;
        crate::board::recount(conn, Some(alert_id)).await?;
        if let Some(notice) = &save.notice {
            queue_notice(
                conn,
                alert_id,
                &notice.for_alert(reference),
                &Recipients::alert_contacts(),
                stamp.at,
            )
            .await?;
        }
        Ok(())
    }
}

/// `audit` noting how many messages the change queued (none: nobody was there to tell).
fn with_messages(mut audit: AuditDraft, queued: u64) -> AuditDraft {
    if let serde_json::Value::Object(m) = &mut audit.summary {
        m.insert("messages".into(), queued.into());
    }
    audit
}

/// A response late before the value that follows (the domain's `ResponseState::late`): open,
/// with a due time passed. `alias` is the table's alias with its dot, or empty.
pub(crate) fn late(alias: &str) -> String {
    format!("{alias}status <> 'closed' AND {alias}due_at <")
}

/// Queues `notice` for the `recipients` of an alert: an email to each who takes email, a text
/// to each with a mobile number who takes texts (only to those who take texts alone unless the
/// notice is for every texter; every one with a mobile when the channels are overridden). Returns how many messages were queued; a message already queued under the same
/// key is not queued again.
async fn queue_notice(
    conn: &mut AnyConnection,
    alert_id: i64,
    notice: &Notice,
    recipients: &Recipients,
    at: i64,
) -> Result<u64> {
    let mut queued = 0;
    for (channel, body) in [("email", &notice.email_body), ("sms", &notice.sms_body)] {
        let Some(body) = body else { continue };
        let mut sql = Sql::new(
            "INSERT INTO outbox (key, channel, recipient, subject, body, org_id, alert_id, created_at, next_attempt_at) SELECT CAST(",
        );
        sql.text(&notice.key)
            .push(" AS TEXT) || ':' || CAST(c.id AS TEXT) || ':")
            .push(channel)
            .push("', '")
            .push(channel)
            .push("', ")
            .push(if channel == "email" { "c.email" } else { "c.mobile" })
            .push(", ")
            .text(&notice.subject)
            .push(", ")
            .text(body)
            .push(", c.org_id, ")
            .i64(alert_id)
            .push(", ")
            .i64(at)
            .push(", ")
            .i64(at)
            .push(
                " FROM alert_responses r JOIN contacts c ON c.org_id = r.org_id WHERE r.alert_id = ",
            )
            .i64(alert_id)
            .push(" AND c.role = ")
            .text(recipients.role.as_str());
        match channel {
            "email" => {
                sql.push(" AND c.alert_channels <> 'sms'");
            }
            _ => {
                sql.push(" AND c.mobile IS NOT NULL AND c.mobile <> ''");
                if !recipients.override_channels {
                    sql.push(if notice.sms_to_all {
                        " AND c.alert_channels <> 'email'"
                    } else {
                        " AND c.alert_channels = 'sms'"
                    });
                }
            }
        }
        if let Some(org) = recipients.org {
            sql.push(" AND r.org_id = ").i64(org);
        }
        if let Some(now) = recipients.late_at {
            sql.push(" AND ").push(&late("r.")).i64(now);
        }
        sql.push(" ON CONFLICT (key) DO NOTHING");
        queued += sql.execute(&mut *conn).await?;
    }
    tally_queued(conn, at, queued).await?;
    Ok(queued)
}

const LATE_COLUMNS: &str = "r.alert_id, a.reference, a.title, a.severity, r.org_id, \
     o.code AS org_code, o.name AS org_name, r.status, r.due_at, r.escalated_at, r.chased_at";

#[async_trait]
impl AlertStore for SqlStore {
    async fn create_alert(
        &self,
        prefix: &str,
        first_seq: i64,
        save: &AlertSave,
        stamp: Stamp,
        audit: Vec<AuditDraft>,
    ) -> Result<AlertRecord> {
        let mut tx = self.begin().await?;
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM alerts")
            .fetch_one(&mut *tx)
            .await?;
        let seq = last.map_or(first_seq, |s| (s + 1).max(first_seq));
        let reference = palisade_domain::alert::alert_reference(prefix, seq);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO alerts (seq, reference, state, version, title, severity, fields, \
             created_at, updated_at) VALUES ($1, $2, $3, 0, $4, $5, '{}', $6, $6) RETURNING id",
        )
        .bind(seq)
        .bind(&reference)
        .bind(AlertState::Draft.as_str())
        .bind(&save.fields.title)
        .bind(save.fields.severity.as_str())
        .bind(stamp.at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::conflict("reference", format!("{reference} exists already"))
            } else {
                e.into()
            }
        })?;
        self.write_version(&mut tx, id, &reference, 1, save, stamp)
            .await?;
        let audit: Vec<AuditDraft> = audit
            .into_iter()
            .map(|mut d| {
                d.entity_id = reference.clone();
                d
            })
            .collect();
        append_many(&mut tx, &audit).await?;
        let alert = alert_by(&mut tx, id).await?;
        tx.commit().await?;
        Ok(alert)
    }

    async fn save_alert(
        &self,
        alert_id: i64,
        expected_version: i64,
        save: &AlertSave,
        stamp: Stamp,
        audit: Vec<AuditDraft>,
    ) -> Result<AlertRecord> {
        let mut tx = self.begin().await?;
        let current = alert_by(&mut tx, alert_id).await?;
        if current.version != expected_version {
            return Err(stale_alert(&current));
        }
        self.write_version(
            &mut tx,
            alert_id,
            &current.reference,
            current.version + 1,
            save,
            stamp,
        )
        .await?;
        append_many(&mut tx, &audit).await?;
        let alert = alert_by(&mut tx, alert_id).await?;
        tx.commit().await?;
        Ok(alert)
    }

    async fn find_alert(&self, reference: &str) -> Result<Option<AlertRecord>> {
        let row: Option<AlertRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ALERT_COLUMNS} FROM alerts a WHERE a.reference = $1"
        )))
        .bind(reference.trim().to_ascii_uppercase())
        .fetch_optional(&self.read)
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn alert_titles(&self, cve: Option<&str>) -> Result<Vec<AlertTitle>> {
        // A CVE id is letters, digits and hyphens: nothing a LIKE pattern treats specially.
        let mut sql = Sql::new(
            "SELECT id, reference, title, severity, state, published_at, CASE WHEN fields LIKE ",
        );
        sql.text(&format!("%\"{}\"%", cve.unwrap_or("")))
            .push(" THEN 1 ELSE 0 END FROM alerts ORDER BY id DESC");
        let rows: Vec<(i64, String, String, String, String, Option<i64>, i64)> =
            sql.query_as().fetch_all(&self.read).await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, reference, title, severity, state, published_at, names)| AlertTitle {
                    id,
                    reference,
                    title,
                    severity,
                    state,
                    published_at,
                    names_cve: cve.is_some() && names != 0,
                },
            )
            .collect())
    }

    async fn list_alerts(
        &self,
        filter: &AlertFilter,
        page: PageRequest,
    ) -> Result<Page<AlertListItem>> {
        let build = |count: bool| {
            let mut sql = Sql::default();
            let scoped = filter.responding.as_ref().is_some_and(|s| sql.scope_cte(s));
            let responding = filter.responding.is_some();
            if count {
                sql.push("SELECT COUNT(*) ");
            } else {
                sql.push("SELECT ").push(ALERT_COLUMNS).push(if responding {
                    ", r.org_id AS response_org "
                } else {
                    ", NULL AS response_org "
                });
            }
            sql.push("FROM alerts a");
            if responding {
                sql.push(" JOIN alert_responses r ON r.alert_id = a.id");
            }
            sql.push(" WHERE 1 = 1");
            if scoped {
                sql.push(" AND r.org_id IN (SELECT id FROM visible)");
            }
            if responding {
                sql.push(" AND a.state = 'published'");
            }
            if let Some(s) = filter.state {
                sql.push(" AND a.state = ").text(s.as_str());
            }
            if let Some(s) = filter.severity {
                sql.push(" AND a.severity = ").text(s.as_str());
            }
            if !count {
                // Open responses first, then the newest; drafts (national view) at the top.
                if responding {
                    sql.push(" ORDER BY CASE WHEN r.status = 'closed' THEN 1 ELSE 0 END,");
                } else {
                    sql.push(" ORDER BY CASE WHEN a.state = 'draft' THEN 0 ELSE 1 END,");
                }
                sql.push(
                    " COALESCE(a.published_at, a.created_at) DESC, \
                     CASE a.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 \
                     ELSE 3 END, a.id DESC",
                );
                if responding {
                    sql.push(", r.org_id");
                }
                sql.push(" LIMIT ")
                    .i64(page.limit())
                    .push(" OFFSET ")
                    .i64(page.offset());
            }
            sql
        };
        let total: i64 = build(true).query_scalar().fetch_one(&self.read).await?;
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            alert: AlertRow,
            response_org: Option<i64>,
        }
        let rows = build(false).query_as::<Row>().fetch_all(&self.read).await?;
        // The page's responses in one query, not one per row.
        let pairs: Vec<(i64, i64)> = rows
            .iter()
            .filter_map(|r| r.response_org.map(|o| (r.alert.id, o)))
            .collect();
        let mut responses = std::collections::HashMap::new();
        if !pairs.is_empty() {
            let mut sql = Sql::new(&format!(
                "SELECT {RESPONSE_COLUMNS} FROM alert_responses r \
                 JOIN organisations o ON o.id = r.org_id WHERE "
            ));
            for (i, (alert, org)) in pairs.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { " OR (" })
                    .push("r.alert_id = ")
                    .i64(*alert)
                    .push(" AND r.org_id = ")
                    .i64(*org)
                    .push(")");
            }
            for row in sql.query_as::<ResponseRow>().fetch_all(&self.read).await? {
                let record = ResponseRecord::try_from(row)?;
                responses.insert((record.alert_id, record.org_id), record);
            }
        }
        let items = rows
            .into_iter()
            .map(|row| {
                let response = row
                    .response_org
                    .and_then(|o| responses.remove(&(row.alert.id, o)));
                Ok(AlertListItem {
                    alert: row.alert.try_into()?,
                    response,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::of(items, total, page))
    }

    async fn alert_versions(&self, alert_id: i64) -> Result<Vec<AlertVersionRecord>> {
        let rows: Vec<(i64, i64, Option<String>, i64, String)> = sqlx::query_as(
            "SELECT v.version, v.at, u.email, v.published, v.changed FROM alert_versions v \
             LEFT JOIN users u ON u.id = v.by_user WHERE v.alert_id = $1 ORDER BY v.version DESC",
        )
        .bind(alert_id)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(version, at, by, published, changed)| {
                Ok(AlertVersionRecord {
                    version,
                    at,
                    by,
                    published: published != 0,
                    changed: serde_json::from_str(&changed)
                        .map_err(|_| corrupt("alert version changes", &changed))?,
                })
            })
            .collect()
    }

    async fn response(&self, alert_id: i64, org_id: OrgId) -> Result<Option<ResponseRecord>> {
        let mut conn = self.read.acquire().await?;
        response_by(&mut conn, alert_id, org_id).await
    }

    async fn responses(
        &self,
        alert_id: i64,
        scope: &Scope,
        filter: &ResponseFilter,
        page: Option<PageRequest>,
    ) -> Result<Page<ResponseRecord>> {
        let build = |w: Window| responses_sql(self.engine, alert_id, scope, filter, w);
        let total: i64 = build(Window::Count)
            .query_scalar()
            .fetch_one(&self.read)
            .await?;
        let rows = build(Window::Page(page))
            .query_as::<ResponseRow>()
            .fetch_all(&self.read)
            .await?;
        let page = page.unwrap_or(PageRequest {
            page: 1,
            per_page: u32::try_from(total.max(1)).unwrap_or(u32::MAX),
        });
        let items = rows
            .into_iter()
            .map(TryInto::try_into)
            .collect::<Result<_>>()?;
        Ok(Page::of(items, total, page))
    }

    async fn responses_after(
        &self,
        alert_id: i64,
        scope: &Scope,
        filter: &ResponseFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ResponseRecord>> {
        responses_sql(
            self.engine,
            alert_id,
            scope,
            filter,
            Window::After(after, limit),
        )
        .query_as::<ResponseRow>()
        .fetch_all(&self.read)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
    }

    async fn response_counts(&self, alert_id: i64, now: i64) -> Result<Vec<ResponseCount>> {
        let mut conn = self.read.acquire().await?;
        crate::board::counts(&mut conn, alert_id, now).await
    }

    async fn response_actions(
        &self,
        alert_id: i64,
        org_id: OrgId,
    ) -> Result<Vec<ResponseActionRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, action, owner, due_on, progress, done_on, updated_at FROM response_actions \
             WHERE alert_id = $1 AND org_id = $2 ORDER BY id",
        )
        .bind(alert_id)
        .bind(org_id)
        .fetch_all(&self.read)
        .await?)
    }

    async fn record_responses(
        &self,
        alert_id: i64,
        writes: &[ResponseWrite],
        stamp: Stamp,
        audit: Vec<AuditDraft>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let orgs: Vec<i64> = writes.iter().map(|w| w.org_id).collect();
        let mut board = BoardDelta::default();
        board.responses(&mut tx, Some(alert_id), &orgs, -1).await?;
        for w in writes {
            let mut sql = Sql::new("UPDATE alert_responses SET status = ");
            sql.text(w.status.as_str())
                .push(", due_at = ")
                .arg(crate::db::Arg::OptI64(w.due_at))
                .push(", updated_at = ")
                .i64(stamp.at)
                .push(", revision = revision + 1");
            if w.acknowledged {
                sql.push(", acknowledged_at = ").i64(stamp.at);
            }
            if let Some((applies, reason)) = &w.applicability {
                sql.push(", applies = ")
                    .i64(flag(*applies))
                    .push(", reason = ")
                    .arg(crate::db::Arg::OptText(reason.clone()));
            }
            if let Some((closure, owner)) = &w.closure {
                sql.push(", closure = ")
                    .text(closure.as_str())
                    .push(", closed_at = ")
                    .i64(stamp.at);
                if let Some(owner) = owner {
                    sql.push(", risk_owner = ").text(owner);
                }
            }
            sql.push(" WHERE alert_id = ")
                .i64(alert_id)
                .push(" AND org_id = ")
                .i64(w.org_id)
                .push(" AND revision = ")
                .i64(w.expected_revision);
            if sql.execute(&mut tx).await? != 1 {
                return Err(StoreError::conflict(
                    "response",
                    "the response was changed by someone else since you opened it; review it and try again",
                ));
            }
            match &w.action {
                None => {}
                Some(ActionWrite::Add {
                    action,
                    owner,
                    due_on,
                }) => {
                    sqlx::query(
                        "INSERT INTO response_actions (alert_id, org_id, action, owner, due_on, \
                         updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(alert_id)
                    .bind(w.org_id)
                    .bind(action)
                    .bind(owner)
                    .bind(due_on)
                    .bind(stamp.at)
                    .execute(&mut *tx)
                    .await?;
                }
                Some(ActionWrite::Update {
                    id,
                    progress,
                    done_on,
                }) => {
                    let n = sqlx::query(
                        "UPDATE response_actions SET progress = COALESCE($1, progress), \
                         done_on = $2, updated_at = $3 WHERE id = $4 AND alert_id = $5 AND org_id = $6",
                    )
                    .bind(progress.as_deref())
                    .bind(done_on.as_deref())
                    .bind(stamp.at)
                    .bind(id)
                    .bind(alert_id)
                    .bind(w.org_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n != 1 {
                        return Err(StoreError::NotFound);
                    }
                }
            }
        }
        board.responses(&mut tx, Some(alert_id), &orgs, 1).await?;
        board.apply(&mut tx).await?;
        append_many(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn late_unescalated(&self, now: i64, limit: i64) -> Result<Vec<LateResponse>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {LATE_COLUMNS} FROM alert_responses r JOIN alerts a ON a.id = r.alert_id \
             JOIN organisations o ON o.id = r.org_id WHERE r.escalated_at IS NULL AND {} $1 \
             ORDER BY r.due_at, r.alert_id, r.org_id LIMIT $2",
            late("r.")
        )))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    async fn escalate(&self, batch: &[Escalation], now: i64) -> Result<usize> {
        let mut tx = self.begin().await?;
        let mut audit = Vec::with_capacity(batch.len());
        for e in batch {
            let marked = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE alert_responses SET escalated_at = $1 WHERE alert_id = $2 AND org_id = $3 \
                 AND escalated_at IS NULL AND {} $1",
                late("")
            )))
            .bind(now)
            .bind(e.late.alert_id)
            .bind(e.late.org_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if marked == 0 {
                continue; // answered, or escalated by another worker, since it was read
            }
            let siro = Recipients {
                role: ContactRole::Siro,
                org: Some(e.late.org_id),
                late_at: None,
                override_channels: false,
            };
            let queued = queue_notice(&mut tx, e.late.alert_id, &e.notice, &siro, now).await?;
            audit.push(with_messages(e.audit.clone(), queued));
        }
        append_many(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(audit.len())
    }

    async fn chase_list(
        &self,
        alert_id: Option<i64>,
        now: i64,
        page: PageRequest,
    ) -> Result<Page<LateResponse>> {
        let build = |count: bool| {
            let mut sql = Sql::new(if count { "SELECT COUNT(*)" } else { "SELECT " });
            if !count {
                sql.push(LATE_COLUMNS);
            }
            sql.push(
                " FROM alert_responses r JOIN alerts a ON a.id = r.alert_id \
                 JOIN organisations o ON o.id = r.org_id WHERE r.escalated_at IS NOT NULL AND ",
            )
            .push(&late("r."))
            .i64(now);
            if let Some(id) = alert_id {
                sql.push(" AND r.alert_id = ").i64(id);
            }
            if !count {
                sql.push(" ORDER BY r.due_at, a.reference, o.code LIMIT ")
                    .i64(page.limit())
                    .push(" OFFSET ")
                    .i64(page.offset());
            }
            sql
        };
        let total: i64 = build(true).query_scalar().fetch_one(&self.read).await?;
        let items = build(false)
            .query_as::<LateResponse>()
            .fetch_all(&self.read)
            .await?;
        Ok(Page::of(items, total, page))
    }

    async fn notify(
        &self,
        alert_id: i64,
        notice: &Notice,
        recipients: &Recipients,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let queued = queue_notice(&mut tx, alert_id, notice, recipients, stamp.at).await?;
        if let Some(now) = recipients.late_at {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE alert_responses SET chased_at = $1 WHERE alert_id = $2 AND {} $1",
                late("")
            )))
            .bind(now)
            .bind(alert_id)
            .execute(&mut *tx)
            .await?;
        }
        crate::audit::append(&mut tx, &with_messages(audit, queued)).await?;
        tx.commit().await?;
        Ok(queued)
    }

    async fn outbox(&self, pending_only: bool, limit: i64) -> Result<Vec<OutboxMessage>> {
        let filter = if pending_only {
            "WHERE sent_at IS NULL AND gave_up_at IS NULL "
        } else {
            ""
        };
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox {filter}ORDER BY id LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }
}

async fn response_by(
    conn: &mut AnyConnection,
    alert_id: i64,
    org_id: OrgId,
) -> Result<Option<ResponseRecord>> {
    let row: Option<ResponseRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {RESPONSE_COLUMNS} FROM alert_responses r JOIN organisations o ON o.id = r.org_id \
         WHERE r.alert_id = $1 AND r.org_id = $2"
    )))
    .bind(alert_id)
    .bind(org_id)
    .fetch_optional(conn)
    .await?;
    row.map(TryInto::try_into).transpose()
}

/// Responses to an alert from organisations in `scope` that pass `filter`, by code.
pub(crate) fn responses_sql(
    engine: Engine,
    alert_id: i64,
    scope: &Scope,
    filter: &ResponseFilter,
    w: Window,
) -> Sql {
    let mut sql = Sql::default();
    let scoped = sql.scope_cte(scope);
    if w.counts() {
        sql.push("SELECT COUNT(*) ");
    } else {
        sql.push("SELECT ").push(RESPONSE_COLUMNS).push(" ");
    }
    sql.push(if matches!(w, Window::After(..)) {
        // A chunk walks the organisations in code order from the last one sent and looks up
        // each one's response: without the sort of every response a page reads, so an
        // alert to every organisation costs what its chunk does, not what the whole list
        // does, each of the chunks. SQLite takes the left table of a CROSS JOIN as the
        // outer loop; PostgreSQL plans it as any other join.
        "FROM organisations o CROSS JOIN alert_responses r WHERE r.org_id = o.id AND r.alert_id = "
    } else {
        "FROM alert_responses r JOIN organisations o ON o.id = r.org_id WHERE r.alert_id = "
    })
    .i64(alert_id);
    if scoped {
        sql.push(" AND r.org_id IN (SELECT id FROM visible)");
    }
    if let Some(s) = filter.status {
        sql.push(" AND r.status = ").text(s.as_str());
    }
    if let Some(now) = filter.late_at {
        sql.push(" AND ").push(&late("r.")).i64(now);
    }
    if let Some(t) = filter.org_type {
        sql.push(" AND o.org_type = ").text(t.as_str());
    }
    if let Some(r) = &filter.region {
        sql.push(" AND o.region = ").text(r);
    }
    if !filter.q.trim().is_empty() {
        sql.org_code_or_name(engine, &filter.q);
    }
    w.finish(&mut sql, "o.code");
    sql
}
