//! Incidents on SQL: one row per incident holding its fields as they stand, and its timeline of
//! entries. Every change is written at the revision its author read, with its audit entry, in one
//! transaction.

use crate::audit::append;
use crate::db::{Arg, Sql};
use crate::error::corrupt;
use crate::{Notice, Result, SqlStore, Stamp, StoreError};
use async_trait::async_trait;
use palisade_domain::audit::AuditDraft;
use palisade_domain::incident::{
    IncidentFields, IncidentKind, IncidentStatus, ReportStage, Severity,
};
use palisade_domain::org::{Category, OrgType};
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::{OrgId, Scope};
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

/// What an incident holds besides its identity: the whole state a change writes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentState {
    pub status: IncidentStatus,
    pub fields: IncidentFields,
    pub regulator_reportable: bool,
    pub nis_reportable: bool,
    pub notified_at: Option<i64>,
    pub full_report_at: Option<i64>,
    pub final_report_at: Option<i64>,
    pub contained_at: Option<i64>,
    pub triaged_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub next_due_at: Option<i64>,
    pub reported_late: bool,
    /// When the next clock warning falls due.
    pub next_warn_at: Option<i64>,
    pub severity: Option<Severity>,
    pub assignee_id: Option<i64>,
    /// The cyber alert drafted from the case.
    pub alert_reference: Option<String>,
    pub shared_with: Vec<String>,
    pub warnings_sent: Vec<String>,
}

/// An incident as stored, with its organisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentRecord {
    pub id: i64,
    pub org_id: OrgId,
    pub org_code: String,
    pub org_name: String,
    pub org_type: OrgType,
    pub category: Category,
    pub region: String,
    pub state: IncidentState,
    /// The assignee's email.
    pub assignee: Option<String>,
    pub revision: i64,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `INC-` and the id, six digits at least.
pub fn incident_reference(id: i64) -> String {
    format!("INC-{id:06}")
}

/// The id a reference names (`INC-000042`, or the bare number).
pub fn incident_id(reference: &str) -> Option<i64> {
    let t = reference.trim();
    let digits = t
        .strip_prefix("INC-")
        .or_else(|| t.strip_prefix("inc-"))
        .unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

/// A kind of timeline entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// The notification itself.
    Notification,
    /// The organisation's appended update.
    Update,
    /// A national triage decision.
    Triage,
    /// A message between the national team and the organisation.
    Message,
    /// A national note the organisation never sees.
    Note,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Notification => "notification",
            EntryKind::Update => "update",
            EntryKind::Triage => "triage",
            EntryKind::Message => "message",
            EntryKind::Note => "note",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "notification" => EntryKind::Notification,
            "update" => EntryKind::Update,
            "triage" => EntryKind::Triage,
            "message" => EntryKind::Message,
            "note" => EntryKind::Note,
            other => return Err(corrupt("incident entry kind", other)),
        })
    }
}

/// A new timeline entry.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub text: String,
    /// Each changed field with `[before, after]`.
    pub changes: serde_json::Map<String, serde_json::Value>,
    pub report: Option<ReportStage>,
    pub shared: bool,
    /// Written by the national team (a triage, a note, or a message from its side).
    pub from_national: bool,
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentEntry {
    pub id: i64,
    pub at: i64,
    /// The author's email.
    pub by: Option<String>,
    pub kind: EntryKind,
    pub text: String,
    pub changes: serde_json::Map<String, serde_json::Value>,
    pub report: Option<ReportStage>,
    pub shared: bool,
}

/// What the national figures are counted from: one notified incident.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct IncidentFacts {
    pub kind: String,
    pub impact: Option<i64>,
    pub org_type: String,
    pub region: String,
    pub regulator_reportable: i64,
    pub nis_reportable: i64,
    pub reported_late: i64,
    pub aware_at: i64,
    pub notified_at: i64,
    pub triaged_at: Option<i64>,
    pub contained_at: Option<i64>,
    pub closed_at: Option<i64>,
}

/// The board's filters. Lists hold notified incidents only unless `drafts` (an organisation's
/// own list).
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub org_id: Option<OrgId>,
    pub drafts: bool,
    pub status: Option<IncidentStatus>,
    pub kind: Option<IncidentKind>,
    pub severity: Option<Severity>,
    /// At least this impact score.
    pub min_impact: Option<u8>,
    /// Reportable to the regulator or under NIS.
    pub reportable: Option<bool>,
    /// Reported late, or a clock's time passed without its report, as at `now`.
    pub late_at: Option<i64>,
    pub region: Option<String>,
    pub org_type: Option<OrgType>,
    pub assignee_id: Option<i64>,
    /// Only cases linked to this alert.
    pub alert_reference: Option<String>,
    /// Open ones only (not closed).
    pub open: bool,
}

#[async_trait]
pub trait IncidentStore: Send + Sync {
    /// Records a new incident (a draft, or notified at once) with its first entry.
    async fn create_incident(
        &self,
        org_id: OrgId,
        state: &IncidentState,
        entry: Option<NewEntry>,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<IncidentRecord>;

    /// Writes the incident's new state, refused unless it is still at `expected_revision`,
    /// with a timeline entry when one is given.
    async fn save_incident(
        &self,
        id: i64,
        expected_revision: i64,
        state: &IncidentState,
        entry: Option<NewEntry>,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<IncidentRecord>;

    async fn incident(&self, id: i64) -> Result<Option<IncidentRecord>>;

    /// The timeline, oldest first; national entries only when `all`.
    async fn incident_entries(&self, id: i64, all: bool) -> Result<Vec<IncidentEntry>>;

    async fn list_incidents(
        &self,
        scope: &Scope,
        filter: &IncidentFilter,
        page: PageRequest,
    ) -> Result<Page<IncidentRecord>>;

    /// Adds an entry to the timeline (a message or a note) with its audit entry, leaving the
    /// incident itself, and so its revision, as it is.
    async fn add_incident_entry(
        &self,
        incident_id: i64,
        entry: &NewEntry,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<()>;

    /// Queues `notice` as texts to every contact with a mobile number of these organisations,
    /// whatever channels they chose (the national relay), with its audit entry.
    async fn queue_incident_texts(
        &self,
        org_ids: &[OrgId],
        notice: &Notice,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<u64>;

    /// The facts of every incident notified in `[from, to)`, for the national figures.
    async fn incident_facts(&self, from: i64, to: i64) -> Result<Vec<IncidentFacts>>;

    /// Incidents with a clock warning due at `now`, the earliest first (the worker's list).
    async fn incidents_to_warn(&self, now: i64, limit: i64) -> Result<Vec<IncidentRecord>>;

    /// Writes the warnings sent and the next warning time (nothing else, and not the revision)
    /// and queues each notice to the organisation's contacts, provided the incident is still at
    /// `expected_revision`; the audit entry, written when there were notices, notes how many
    /// messages were queued.
    async fn warn_incident(
        &self,
        id: i64,
        expected_revision: i64,
        state: &IncidentState,
        notices: &[Notice],
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<u64>;
}

const SELECT: &str = "SELECT i.id, i.org_id, o.code AS org_code, o.name AS org_name, \
     o.org_type, o.category, o.region, i.status, i.fields, i.regulator_reportable, i.nis_reportable, \
     i.notified_at, i.full_report_at, i.final_report_at, i.contained_at, i.triaged_at, \
     i.closed_at, i.next_due_at, i.reported_late, i.next_warn_at, i.severity, i.assignee_id, \
     i.alert_reference, u.email AS assignee, i.shared_with, i.warnings_sent, i.revision, c.email AS created_by, \
     i.created_at, i.updated_at \
     FROM incidents i JOIN organisations o ON o.id = i.org_id \
     LEFT JOIN users u ON u.id = i.assignee_id LEFT JOIN users c ON c.id = i.created_by";

#[derive(FromRow)]
struct Row {
    id: i64,
    org_id: i64,
    org_code: String,
    org_name: String,
    org_type: String,
    category: i64,
    region: String,
    status: String,
    fields: String,
    regulator_reportable: i64,
    nis_reportable: i64,
    notified_at: Option<i64>,
    full_report_at: Option<i64>,
    final_report_at: Option<i64>,
    contained_at: Option<i64>,
    triaged_at: Option<i64>,
    closed_at: Option<i64>,
    next_due_at: Option<i64>,
    reported_late: i64,
    next_warn_at: Option<i64>,
    severity: Option<String>,
    assignee_id: Option<i64>,
    alert_reference: Option<String>,
    assignee: Option<String>,
    shared_with: String,
    warnings_sent: String,
    revision: i64,
    created_by: Option<String>,
    created_at: i64,
    updated_at: i64,
}

fn json<T: serde::de::DeserializeOwned>(what: &str, raw: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(|_| corrupt(what, raw))
}

impl TryFrom<Row> for IncidentRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self> {
        let parse = |what: &str, s: &str| -> Result<_> { Err(corrupt(what, s)) };
        Ok(IncidentRecord {
            id: r.id,
            org_id: r.org_id,
            org_type: match r.org_type.parse() {
                Ok(t) => t,
                Err(_) => return parse("organisation type", &r.org_type),
            },
            category: u8::try_from(r.category)
                .ok()
                .and_then(|c| Category::try_from(c).ok())
                .ok_or_else(|| corrupt("category", &r.category.to_string()))?,
            org_code: r.org_code,
            org_name: r.org_name,
            region: r.region,
            state: IncidentState {
                status: r
                    .status
                    .parse()
                    .map_err(|_| corrupt("incident status", &r.status))?,
                fields: json("incident fields", &r.fields)?,
                regulator_reportable: r.regulator_reportable != 0,
                nis_reportable: r.nis_reportable != 0,
                notified_at: r.notified_at,
                full_report_at: r.full_report_at,
                final_report_at: r.final_report_at,
                contained_at: r.contained_at,
                triaged_at: r.triaged_at,
                closed_at: r.closed_at,
                next_due_at: r.next_due_at,
                reported_late: r.reported_late != 0,
                next_warn_at: r.next_warn_at,
                severity: r
                    .severity
                    .map(|s| s.parse().map_err(|_| corrupt("incident severity", &s)))
                    .transpose()?,
                assignee_id: r.assignee_id,
                alert_reference: r.alert_reference,
                shared_with: json("incident sharing", &r.shared_with)?,
                warnings_sent: json("incident warnings", &r.warnings_sent)?,
            },
            assignee: r.assignee,
            revision: r.revision,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

async fn read(conn: &mut AnyConnection, id: i64) -> Result<Option<IncidentRecord>> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE i.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(TryInto::try_into).transpose()
}

fn text_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serialises")
}

/// The columns a state writes, in order, with their values.
fn columns(s: &IncidentState) -> Vec<(&'static str, Arg)> {
    let f = &s.fields;
    let flag = |b: bool| Arg::I64(i64::from(b));
    vec![
        ("status", Arg::Text(s.status.as_str().into())),
        ("fields", Arg::Text(text_json(f))),
        ("title", Arg::Text(f.title.clone())),
        ("kind", Arg::Text(f.kind.as_str().into())),
        (
            "likelihood",
            Arg::OptI64(
                f.likelihood
                    .map(|l| i64::from(palisade_domain::incident::Scale::score(l))),
            ),
        ),
        (
            "impact",
            Arg::OptI64(
                f.impact
                    .map(|i| i64::from(palisade_domain::incident::Scale::score(i))),
            ),
        ),
        ("regulator_reportable", flag(s.regulator_reportable)),
        ("nis_reportable", flag(s.nis_reportable)),
        ("aware_at", Arg::I64(f.aware_at)),
        ("notified_at", Arg::OptI64(s.notified_at)),
        ("full_report_at", Arg::OptI64(s.full_report_at)),
        ("final_report_at", Arg::OptI64(s.final_report_at)),
        ("contained_at", Arg::OptI64(s.contained_at)),
        ("triaged_at", Arg::OptI64(s.triaged_at)),
        ("closed_at", Arg::OptI64(s.closed_at)),
        ("next_due_at", Arg::OptI64(s.next_due_at)),
        ("reported_late", flag(s.reported_late)),
        ("next_warn_at", Arg::OptI64(s.next_warn_at)),
        (
            "severity",
            Arg::OptText(s.severity.map(|v| v.as_str().to_string())),
        ),
        ("assignee_id", Arg::OptI64(s.assignee_id)),
        ("alert_reference", Arg::OptText(s.alert_reference.clone())),
        ("shared_with", Arg::Text(text_json(&s.shared_with))),
        ("warnings_sent", Arg::Text(text_json(&s.warnings_sent))),
    ]
}

async fn add_entry(
    conn: &mut AnyConnection,
    incident_id: i64,
    e: &NewEntry,
    at: i64,
    user_id: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO incident_entries (incident_id, at, by_user, kind, text, changes, report, \
         shared, from_national) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(incident_id)
    .bind(at)
    .bind(user_id)
    .bind(e.kind.as_str())
    .bind(e.text.clone())
    .bind(text_json(&e.changes))
    .bind(e.report.map(|r| r.as_str().to_string()))
    .bind(i64::from(e.shared))
    .bind(i64::from(e.from_national))
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl IncidentStore for SqlStore {
    async fn create_incident(
        &self,
        org_id: OrgId,
        state: &IncidentState,
        entry: Option<NewEntry>,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<IncidentRecord> {
        let Stamp { at, user_id } = stamp;
        let mut tx = self.begin().await?;
        let cols = columns(state);
        let mut sql = Sql::new("INSERT INTO incidents (org_id, created_by, created_at, updated_at");
        for (name, _) in &cols {
            sql.push(", ").push(name);
        }
        sql.push(") VALUES (")
            .i64(org_id)
            .push(", ")
            .arg(Arg::OptI64(user_id))
            .push(", ")
            .i64(at)
            .push(", ")
            .i64(at);
        for (_, value) in cols {
            sql.push(", ").arg(value);
        }
        sql.push(") RETURNING id");
        let id: i64 = sql.query_scalar().fetch_one(&mut *tx).await?;
        if let Some(e) = &entry {
            add_entry(&mut tx, id, e, at, user_id).await?;
        }
        audit.entity_id = incident_reference(id);
        append(&mut tx, &audit).await?;
        let record = read(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(record)
    }

    async fn save_incident(
        &self,
        id: i64,
        expected_revision: i64,
        state: &IncidentState,
        entry: Option<NewEntry>,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<IncidentRecord> {
        let Stamp { at, user_id } = stamp;
        let mut tx = self.begin().await?;
        let before = read(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        if before.revision != expected_revision {
            return Err(StoreError::conflict(
                "revision",
                "the incident was changed by someone else since you opened it; review it and try again",
            ));
        }
        let mut sql = Sql::new("UPDATE incidents SET revision = revision + 1, updated_at = ");
        sql.i64(at);
        // The warnings sent are the warning worker's to write: a change read before a warning
        // went out must not forget it.
        for (name, value) in columns(state)
            .into_iter()
            .filter(|(name, _)| *name != "warnings_sent")
        {
            sql.push(", ").push(name).push(" = ").arg(value);
        }
        sql.push(" WHERE id = ").i64(id);
        sql.execute(&mut tx).await?;
        if let Some(e) = &entry {
            add_entry(&mut tx, id, e, at, user_id).await?;
        }
        append(&mut tx, &audit).await?;
        let record = read(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(record)
    }

    async fn incident(&self, id: i64) -> Result<Option<IncidentRecord>> {
        let mut conn = self.read.acquire().await?;
        read(&mut conn, id).await
    }

    async fn incident_entries(&self, id: i64, all: bool) -> Result<Vec<IncidentEntry>> {
        type EntryRow = (
            i64,
            i64,
            Option<String>,
            String,
            String,
            String,
            Option<String>,
            i64,
        );
        let rows: Vec<EntryRow> = sqlx::query_as(
            "SELECT e.id, e.at, u.email, e.kind, e.text, e.changes, e.report, e.shared \
             FROM incident_entries e LEFT JOIN users u ON u.id = e.by_user \
             WHERE e.incident_id = $1 AND (e.shared = 1 OR $2 = 1) ORDER BY e.id",
        )
        .bind(id)
        .bind(i64::from(all))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(id, at, by, kind, text, changes, report, shared)| {
                Ok(IncidentEntry {
                    id,
                    at,
                    by,
                    kind: EntryKind::parse(&kind)?,
                    text,
                    changes: json("incident entry changes", &changes)?,
                    report: report
                        .map(|r| r.parse().map_err(|_| corrupt("incident report", &r)))
                        .transpose()?,
                    shared: shared != 0,
                })
            })
            .collect()
    }

    async fn list_incidents(
        &self,
        scope: &Scope,
        filter: &IncidentFilter,
        page: PageRequest,
    ) -> Result<Page<IncidentRecord>> {
        // The count reads organisations only when a filter needs them; with the board's
        // indexes it then never reads an incident's row.
        let by_org = filter.region.is_some() || filter.org_type.is_some();
        // Both the count and the page's ids come from the indexes alone; only the page's own
        // rows are read whole, so sorting never carries an incident's fields.
        let build = |count: bool| {
            let mut sql = Sql::default();
            let scoped = sql.scope_cte(scope);
            sql.push(if count {
                "SELECT COUNT(*) FROM incidents i"
            } else {
                "SELECT i.id FROM incidents i"
            });
            if by_org {
                sql.push(" JOIN organisations o ON o.id = i.org_id");
            }
            sql.push(" WHERE 1 = 1");
            if scoped {
                sql.push(" AND i.org_id IN (SELECT id FROM visible)");
            }
            if !filter.drafts {
                sql.push(" AND i.notified_at IS NOT NULL");
            }
            if let Some(id) = filter.org_id {
                sql.push(" AND i.org_id = ").i64(id);
            }
            if let Some(s) = filter.status {
                sql.push(" AND i.status = ").text(s.as_str());
            }
            if filter.open {
                sql.push(" AND i.status <> 'closed'");
            }
            if let Some(k) = filter.kind {
                sql.push(" AND i.kind = ").text(k.as_str());
            }
            if let Some(s) = filter.severity {
                sql.push(" AND i.severity = ").text(s.as_str());
            }
            if let Some(n) = filter.min_impact {
                sql.push(" AND i.impact >= ").i64(i64::from(n));
            }
            match filter.reportable {
                Some(true) => {
                    sql.push(" AND (i.regulator_reportable = 1 OR i.nis_reportable = 1)");
                }
                Some(false) => {
                    sql.push(" AND i.regulator_reportable = 0 AND i.nis_reportable = 0");
                }
                None => {}
            }
            if let Some(now) = filter.late_at {
                sql.push(" AND (i.reported_late = 1 OR i.next_due_at < ")
                    .i64(now)
                    .push(")");
            }
            if let Some(r) = &filter.region {
                sql.push(" AND o.region = ").text(r);
            }
            if let Some(t) = filter.org_type {
                sql.push(" AND o.org_type = ").text(t.as_str());
            }
            if let Some(a) = filter.assignee_id {
                sql.push(" AND i.assignee_id = ").i64(a);
            }
            if let Some(a) = &filter.alert_reference {
                sql.push(" AND i.alert_reference = ").text(a);
            }
            if !count {
                // Newest first; drafts (not yet notified) by when they were started. Without
                // drafts the order is the notification index's, so a page reads only its rows.
                sql.push(if filter.drafts {
                    " ORDER BY COALESCE(i.notified_at, i.created_at) DESC, i.id DESC LIMIT "
                } else {
                    " ORDER BY i.notified_at DESC, i.id DESC LIMIT "
                })
                .i64(page.limit())
                .push(" OFFSET ")
                .i64(page.offset());
            }
            sql
        };
        let total: i64 = build(true).query_scalar().fetch_one(&self.read).await?;
        let ids: Vec<i64> = build(false).query_scalar().fetch_all(&self.read).await?;
        let mut items = Vec::with_capacity(ids.len());
        if !ids.is_empty() {
            let mut sql = Sql::new(SELECT);
            sql.push(" WHERE i.id IN (");
            for (n, id) in ids.iter().enumerate() {
                if n > 0 {
                    sql.push(", ");
                }
                sql.i64(*id);
            }
            sql.push(")");
            let rows: Vec<Row> = sql.query_as().fetch_all(&self.read).await?;
            let mut by_id: std::collections::HashMap<i64, Row> =
                rows.into_iter().map(|r| (r.id, r)).collect();
            for id in ids {
                if let Some(r) = by_id.remove(&id) {
                    items.push(IncidentRecord::try_from(r)?);
                }
            }
        }
        Ok(Page::of(items, total, page))
    }

    async fn add_incident_entry(
        &self,
        incident_id: i64,
        entry: &NewEntry,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        add_entry(&mut tx, incident_id, entry, stamp.at, stamp.user_id).await?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn queue_incident_texts(
        &self,
        org_ids: &[OrgId],
        notice: &Notice,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let mut queued = 0;
        for org in org_ids {
            queued += queue_to_org(&mut tx, *org, notice, stamp.at, true).await?;
        }
        if let serde_json::Value::Object(m) = &mut audit.summary {
            m.insert("messages".into(), queued.into());
        }
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(queued)
    }

    async fn incident_facts(&self, from: i64, to: i64) -> Result<Vec<IncidentFacts>> {
        Ok(sqlx::query_as(
            "SELECT i.kind, i.impact, o.org_type, o.region, i.regulator_reportable, \
             i.nis_reportable, i.reported_late, i.aware_at, i.notified_at, i.triaged_at, \
             i.contained_at, i.closed_at FROM incidents i JOIN organisations o ON o.id = i.org_id \
             WHERE i.notified_at >= $1 AND i.notified_at < $2 ORDER BY i.notified_at, i.id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.read)
        .await?)
    }

    async fn incidents_to_warn(&self, now: i64, limit: i64) -> Result<Vec<IncidentRecord>> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE i.next_warn_at <= $1 ORDER BY i.next_warn_at, i.id LIMIT $2"
        )))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(IncidentRecord::try_from).collect()
    }

    async fn warn_incident(
        &self,
        id: i64,
        expected_revision: i64,
        state: &IncidentState,
        notices: &[Notice],
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let at: Option<(i64, i64)> =
            sqlx::query_as("SELECT revision, org_id FROM incidents WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((revision, org_id)) = at else {
            return Err(StoreError::NotFound);
        };
        if revision != expected_revision {
            // Changed since it was read: the next round reads it again.
            return Ok(0);
        }
        // Bookkeeping, not a change to the case: the revision people edit against stays, so a
        // warning going out never makes someone's open form stale.
        sqlx::query("UPDATE incidents SET warnings_sent = $1, next_warn_at = $2 WHERE id = $3")
            .bind(text_json(&state.warnings_sent))
            .bind(state.next_warn_at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let mut queued = 0;
        for n in notices {
            queued += queue_to_org(&mut tx, org_id, n, stamp.at, false).await?;
        }
        if let serde_json::Value::Object(m) = &mut audit.summary {
            m.insert("messages".into(), queued.into());
        }
        if !notices.is_empty() {
            append(&mut tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(queued)
    }
}

/// Queues `notice` to every contact of the organisation: an email to each who takes email, a
/// text to each with a mobile number who takes texts (every one with a mobile number when
/// `override_channels`, the relay). A message already queued under its key is not queued again.
async fn queue_to_org(
    conn: &mut AnyConnection,
    org_id: OrgId,
    notice: &Notice,
    at: i64,
    override_channels: bool,
) -> Result<u64> {
    let mut queued = 0;
    for (channel, body) in [("email", &notice.email_body), ("sms", &notice.sms_body)] {
        let Some(body) = body else { continue };
        let (to, only) = if channel == "email" {
            ("c.email", " AND c.alert_channels <> 'sms'")
        } else {
            (
                "c.mobile",
                if override_channels {
                    " AND c.mobile IS NOT NULL AND c.mobile <> ''"
                } else {
                    " AND c.mobile IS NOT NULL AND c.mobile <> '' AND c.alert_channels <> 'email'"
                },
            )
        };
        let mut sql = Sql::new(
            "INSERT INTO outbox (key, channel, recipient, subject, body, org_id, created_at, \
             next_attempt_at) SELECT CAST(",
        );
        sql.text(&notice.key)
            .push(" AS TEXT) || ':' || CAST(c.id AS TEXT) || ':")
            .push(channel)
            .push("', '")
            .push(channel)
            .push("', ")
            .push(to)
            .push(", ")
            .text(&notice.subject)
            .push(", ")
            .text(body)
            .push(", c.org_id, ")
            .i64(at)
            .push(", ")
            .i64(at)
            .push(" FROM contacts c WHERE c.org_id = ")
            .i64(org_id)
            .push(only)
            .push(" ON CONFLICT (key) DO NOTHING");
        queued += sql.execute(&mut *conn).await?;
    }
    crate::delivery::tally_queued(conn, at, queued).await?;
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_inc_and_the_id() {
        assert_eq!(incident_reference(42), "INC-000042");
        assert_eq!(incident_reference(1_234_567), "INC-1234567");
        assert_eq!(incident_id("INC-000042"), Some(42));
        assert_eq!(incident_id("42"), Some(42));
        for bad in [
            "INC-",
            "INC-4a",
            "INC-0",
            "",
            "INC--1",
            "INC-99999999999999999999",
        ] {
            assert_eq!(incident_id(bad), None, "{bad}");
        }
    }
}
