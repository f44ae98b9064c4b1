//! Response playbooks on SQL: every imported version, and the tasks applying one made on a
//! case. Each change is written with its audit entry in one transaction.

use crate::audit::append;
use crate::error::corrupt;
use crate::{Result, SqlStore, Stamp, StoreError};
use async_trait::async_trait;
use palisade_domain::audit::AuditDraft;
use palisade_domain::incident::IncidentKind;
use palisade_domain::incident::playbook::{NewTask, StepActor, TaskState};
use serde::Serialize;
use sqlx::FromRow;

/// A playbook version to keep.
#[derive(Debug, Clone)]
pub struct NewPlaybook {
    pub key: String,
    pub version: u32,
    pub title: String,
    pub kinds: Vec<IncidentKind>,
    pub document: String,
    pub content_hash: String,
}

/// One imported version of a playbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaybookRecord {
    pub id: i64,
    pub key: String,
    pub version: i64,
    pub title: String,
    /// The incident kinds it answers.
    pub kinds: Vec<IncidentKind>,
    pub content_hash: String,
    pub imported_at: i64,
    /// When the playbook's first version was imported (CACAO's `created`).
    pub first_imported_at: i64,
    pub imported_by: Option<String>,
}

/// A playbook step on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskRecord {
    pub id: i64,
    pub incident_id: i64,
    pub playbook_key: String,
    pub playbook_version: i64,
    pub playbook_title: String,
    pub position: i64,
    pub phase: String,
    pub step_key: String,
    pub title: String,
    pub guidance: String,
    pub actor: StepActor,
    pub due_at: Option<i64>,
    pub state: TaskState,
    pub note: String,
    pub done_by: Option<String>,
    pub done_at: Option<i64>,
}

impl TaskRecord {
    /// Open past its due time.
    pub fn overdue(&self, now: i64) -> bool {
        self.state == TaskState::Open && self.due_at.is_some_and(|d| d < now)
    }
}

#[async_trait]
pub trait PlaybookStore: Send + Sync {
    /// Keeps a playbook version: the same content again answers the kept one (`false`); other
    /// content under a version already kept is a conflict.
    async fn import_playbook(
        &self,
        new: &NewPlaybook,
        audit: AuditDraft,
    ) -> Result<(PlaybookRecord, bool)>;

    /// Every version of every playbook (or only the newest of each), by key, newest version
    /// first.
    async fn list_playbooks(&self, newest_only: bool) -> Result<Vec<PlaybookRecord>>;

    /// A version of a playbook (the newest without one) with its document.
    async fn playbook(
        &self,
        key: &str,
        version: Option<u32>,
    ) -> Result<Option<(PlaybookRecord, String)>>;

    /// Makes a playbook's tasks on a case, unless a version of it was applied there already.
    async fn apply_playbook(
        &self,
        incident_id: i64,
        playbook: &PlaybookRecord,
        tasks: &[NewTask],
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<Vec<TaskRecord>>;

    /// A case's tasks, by playbook and step order: all, or only those for one side to act on.
    async fn incident_tasks(
        &self,
        incident_id: i64,
        actor: Option<StepActor>,
    ) -> Result<Vec<TaskRecord>>;

    /// Marks a case's task; `NotFound` when the task is not on that case.
    async fn set_task(
        &self,
        incident_id: i64,
        task_id: i64,
        state: TaskState,
        note: &str,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<TaskRecord>;
}

/// A playbook version's record (add `, p.document` for its document), then where it is read.
const PLAYBOOK_COLUMNS: &str = "SELECT p.id, p.key, p.version, p.title, p.kinds, \
     p.content_hash, p.imported_at, (SELECT MIN(f.imported_at) FROM playbooks f WHERE \
     f.key = p.key) AS first_imported_at, u.email AS imported_by";
const PLAYBOOK_FROM: &str = " FROM playbooks p LEFT JOIN users u ON u.id = p.imported_by";

const TASK_SELECT: &str = "SELECT t.id, t.incident_id, p.key AS playbook_key, \
     p.version AS playbook_version, p.title AS playbook_title, t.position, t.phase, t.step_key, \
     t.title, t.guidance, t.actor, t.due_at, t.state, t.note, u.email AS done_by, t.done_at \
     FROM incident_tasks t JOIN playbooks p ON p.id = t.playbook_id \
     LEFT JOIN users u ON u.id = t.done_by";

#[derive(FromRow)]
struct PlaybookRow {
    id: i64,
    key: String,
    version: i64,
    title: String,
    kinds: String,
    content_hash: String,
    imported_at: i64,
    first_imported_at: i64,
    imported_by: Option<String>,
}

impl TryFrom<PlaybookRow> for PlaybookRecord {
    type Error = StoreError;
    fn try_from(r: PlaybookRow) -> Result<Self> {
        Ok(PlaybookRecord {
            kinds: r
                .kinds
                .split_whitespace()
                .map(|k| k.parse().map_err(|_| corrupt("playbook kind", k)))
                .collect::<Result<_>>()?,
            id: r.id,
            key: r.key,
            version: r.version,
            title: r.title,
            content_hash: r.content_hash,
            imported_at: r.imported_at,
            first_imported_at: r.first_imported_at,
            imported_by: r.imported_by,
        })
    }
}

#[derive(FromRow)]
struct TaskRow {
    id: i64,
    incident_id: i64,
    playbook_key: String,
    playbook_version: i64,
    playbook_title: String,
    position: i64,
    phase: String,
    step_key: String,
    title: String,
    guidance: String,
    actor: String,
    due_at: Option<i64>,
    state: String,
    note: String,
    done_by: Option<String>,
    done_at: Option<i64>,
}

impl TryFrom<TaskRow> for TaskRecord {
    type Error = StoreError;
    fn try_from(r: TaskRow) -> Result<Self> {
        Ok(TaskRecord {
            actor: r
                .actor
                .parse()
                .map_err(|_| corrupt("task actor", &r.actor))?,
            state: r
                .state
                .parse()
                .map_err(|_| corrupt("task state", &r.state))?,
            id: r.id,
            incident_id: r.incident_id,
            playbook_key: r.playbook_key,
            playbook_version: r.playbook_version,
            playbook_title: r.playbook_title,
            position: r.position,
            phase: r.phase,
            step_key: r.step_key,
            title: r.title,
            guidance: r.guidance,
            due_at: r.due_at,
            note: r.note,
            done_by: r.done_by,
            done_at: r.done_at,
        })
    }
}

async fn tasks_where(
    conn: &mut sqlx::AnyConnection,
    condition: &str,
    incident_id: i64,
    other: i64,
) -> Result<Vec<TaskRecord>> {
    let rows: Vec<TaskRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TASK_SELECT} WHERE t.incident_id = $1 AND {condition} ORDER BY t.applied_at, \
         t.playbook_id, t.position"
    )))
    .bind(incident_id)
    .bind(other)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

async fn playbook_by_id(
    conn: &mut sqlx::AnyConnection,
    id: i64,
) -> Result<Option<(PlaybookRecord, String)>> {
    let row: Option<DocumentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PLAYBOOK_COLUMNS}, p.document{PLAYBOOK_FROM} WHERE p.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(TryInto::try_into).transpose()
}

#[derive(FromRow)]
struct DocumentRow {
    #[sqlx(flatten)]
    record: PlaybookRow,
    document: String,
}

impl TryFrom<DocumentRow> for (PlaybookRecord, String) {
    type Error = StoreError;
    fn try_from(r: DocumentRow) -> Result<Self> {
        Ok((r.record.try_into()?, r.document))
    }
}

#[async_trait]
impl PlaybookStore for SqlStore {
    async fn import_playbook(
        &self,
        new: &NewPlaybook,
        mut audit: AuditDraft,
    ) -> Result<(PlaybookRecord, bool)> {
        let mut tx = self.begin().await?;
        let kept: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, content_hash FROM playbooks WHERE key = $1 AND version = $2",
        )
        .bind(new.key.clone())
        .bind(i64::from(new.version))
        .fetch_optional(&mut *tx)
        .await?;
        let (id, created) = match kept {
            Some((id, hash)) if hash == new.content_hash => (id, false),
            Some(_) => {
                return Err(StoreError::conflict(
                    "version",
                    format!(
                        "version {} of {} is already imported with other content: raise the \
                         version",
                        new.version, new.key
                    ),
                ));
            }
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO playbooks (key, version, title, kinds, document, content_hash, \
                     imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     RETURNING id",
                )
                .bind(new.key.clone())
                .bind(i64::from(new.version))
                .bind(new.title.clone())
                .bind(
                    new.kinds
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                )
                .bind(new.document.clone())
                .bind(new.content_hash.clone())
                .bind(audit.at)
                .bind(audit.actor_user_id)
                .fetch_one(&mut *tx)
                .await?;
                audit.entity_id = format!("{}/{}", new.key, new.version);
                append(&mut tx, &audit).await?;
                (id, true)
            }
        };
        let (record, _) = playbook_by_id(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok((record, created))
    }

    async fn list_playbooks(&self, newest_only: bool) -> Result<Vec<PlaybookRecord>> {
        let newest = if newest_only {
            " WHERE p.version = (SELECT MAX(n.version) FROM playbooks n WHERE n.key = p.key)"
        } else {
            ""
        };
        let rows: Vec<PlaybookRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PLAYBOOK_COLUMNS}{PLAYBOOK_FROM}{newest} ORDER BY p.key, p.version DESC"
        )))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn playbook(
        &self,
        key: &str,
        version: Option<u32>,
    ) -> Result<Option<(PlaybookRecord, String)>> {
        let row: Option<DocumentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PLAYBOOK_COLUMNS}, p.document{PLAYBOOK_FROM} WHERE p.key = $1 AND ($2 < 0 OR p.version = $2) \
             ORDER BY p.version DESC LIMIT 1"
        )))
        .bind(key.to_string())
        .bind(version.map_or(-1, i64::from))
        .fetch_optional(&self.read)
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn apply_playbook(
        &self,
        incident_id: i64,
        playbook: &PlaybookRecord,
        tasks: &[NewTask],
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<Vec<TaskRecord>> {
        let mut tx = self.begin().await?;
        let applied: Option<i64> = sqlx::query_scalar(
            "SELECT p.version FROM incident_tasks t JOIN playbooks p ON p.id = t.playbook_id \
             WHERE t.incident_id = $1 AND p.key = $2 LIMIT 1",
        )
        .bind(incident_id)
        .bind(playbook.key.clone())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(v) = applied {
            return Err(StoreError::conflict(
                "key",
                format!(
                    "version {v} of {} is already applied to this case",
                    playbook.key
                ),
            ));
        }
        for t in tasks {
            sqlx::query(
                "INSERT INTO incident_tasks (incident_id, playbook_id, position, phase, step_key, \
                 title, guidance, actor, due_at, applied_by, applied_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(incident_id)
            .bind(playbook.id)
            .bind(i64::from(t.position))
            .bind(t.phase.clone())
            .bind(t.step_key.clone())
            .bind(t.title.clone())
            .bind(t.guidance.clone())
            .bind(t.actor.as_str())
            .bind(t.due_at)
            .bind(stamp.user_id)
            .bind(stamp.at)
            .execute(&mut *tx)
            .await?;
        }
        if let serde_json::Value::Object(m) = &mut audit.summary {
            m.insert("tasks".into(), tasks.len().into());
        }
        append(&mut tx, &audit).await?;
        let made = tasks_where(&mut tx, "t.playbook_id = $2", incident_id, playbook.id).await?;
        tx.commit().await?;
        Ok(made)
    }

    async fn incident_tasks(
        &self,
        incident_id: i64,
        actor: Option<StepActor>,
    ) -> Result<Vec<TaskRecord>> {
        let mut conn = self.read.acquire().await?;
        // The side is one of the enum's own spellings, never input.
        let condition = match actor {
            Some(a) => format!("t.actor = '{}' AND t.id > $2", a.as_str()),
            None => "t.id > $2".to_string(),
        };
        tasks_where(&mut conn, &condition, incident_id, 0).await
    }

    async fn set_task(
        &self,
        incident_id: i64,
        task_id: i64,
        state: TaskState,
        note: &str,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<TaskRecord> {
        let open = state == TaskState::Open;
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE incident_tasks SET state = $1, note = $2, done_by = $3, done_at = $4 \
             WHERE id = $5 AND incident_id = $6",
        )
        .bind(state.as_str())
        .bind(note.to_string())
        .bind(if open { None } else { stamp.user_id })
        .bind((!open).then_some(stamp.at))
        .bind(task_id)
        .bind(incident_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        append(&mut tx, &audit).await?;
        let task = tasks_where(&mut tx, "t.id = $2", incident_id, task_id)
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(task)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_is_overdue_from_the_second_after_its_due_time_while_open() {
        let task = TaskRecord {
            id: 1,
            incident_id: 1,
            playbook_key: "ransomware".into(),
            playbook_version: 1,
            playbook_title: "Ransomware".into(),
            position: 0,
            phase: "Contain".into(),
            step_key: "isolate".into(),
            title: "Isolate".into(),
            guidance: String::new(),
            actor: StepActor::Organisation,
            due_at: Some(1_000),
            state: TaskState::Open,
            note: String::new(),
            done_by: None,
            done_at: None,
        };
        assert!(!task.overdue(999));
        assert!(!task.overdue(1_000), "due this second is on time");
        assert!(task.overdue(1_001));
        let done = TaskRecord {
            state: TaskState::Done,
            ..task.clone()
        };
        assert!(!done.overdue(1_001));
        let undated = TaskRecord {
            due_at: None,
            ..task
        };
        assert!(!undated.overdue(i64::MAX));
    }
}
