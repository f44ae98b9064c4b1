//! Response playbooks: importing them (Palisade files or CACAO), exporting them as CACAO,
//! applying one to a case and marking its tasks.

use super::*;
use crate::auth::sha256_hex;
use palisade_domain::incident::playbook::{self, Playbook, StepActor, TaskState};
use palisade_formats::cacao;
use palisade_store::{NewPlaybook, PlaybookRecord, TaskRecord};

impl PlaybookView {
    /// The version as a CACAO 2.0 document, created when its first version was imported.
    pub fn cacao(&self) -> Value {
        cacao::export(
            &self.playbook,
            self.record.first_imported_at,
            self.record.imported_at,
        )
    }
}

/// A task on a case, and whether it is open past its due time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskView {
    pub task: TaskRecord,
    pub overdue: bool,
}

impl App {
    fn task_views(&self, tasks: Vec<TaskRecord>) -> Vec<TaskView> {
        let now = self.now();
        tasks
            .into_iter()
            .map(|task| TaskView {
                overdue: task.overdue(now),
                task,
            })
            .collect()
    }
}

/// A playbook version with its content.
#[derive(Debug, Clone)]
pub struct PlaybookView {
    pub record: PlaybookRecord,
    pub playbook: Playbook,
}

impl App {
    /// Keeps a playbook file (`docs/INCIDENTS.md`) or a CACAO 2.0 playbook; the same version
    /// again answers the one kept (`false`). A CACAO playbook from elsewhere, which carries no
    /// version, becomes the next version of its key when its content changed, and is the
    /// newest kept version again when it did not.
    pub async fn import_playbook(
        &self,
        actor: &Actor,
        text: &str,
    ) -> Result<(PlaybookRecord, bool)> {
        actor.require(GlobalAction::TriageIncidents)?;
        let Some(doc) = cacao::detect(text) else {
            return self.keep_playbook(actor, &playbook::parse(text)?).await;
        };
        let imported = cacao::import(&doc)?;
        let mut p = imported.playbook;
        if imported.versioned {
            return self.keep_playbook(actor, &p).await;
        }
        // Another import of the same key may take the version chosen before this one is kept:
        // choose again, a few times, rather than refuse a revision nobody else saw.
        let mut attempts = 0;
        loop {
            p.version = self.version_for(&p).await?;
            match self.keep_playbook(actor, &p).await {
                Err(AppError::Conflict { .. }) if attempts < 3 => attempts += 1,
                kept => return kept,
            }
        }
    }

    /// The version an unversioned playbook takes: the kept version with the same content (any
    /// of them, so re-importing an older revision changes nothing), else one past the newest.
    async fn version_for(&self, p: &Playbook) -> Result<u32> {
        let kept: Vec<PlaybookRecord> = self
            .store
            .list_playbooks(false)
            .await?
            .into_iter()
            .filter(|r| r.key == p.key)
            .collect();
        for r in &kept {
            let version = u32::try_from(r.version)
                .map_err(|_| AppError::Internal(format!("playbook {} version", p.key)))?;
            let same = Playbook {
                version,
                ..p.clone()
            };
            if sha256_hex(same.canonical_json()) == r.content_hash {
                return Ok(version);
            }
        }
        let newest = kept.iter().map(|r| r.version).max().unwrap_or(0);
        u32::try_from(newest + 1)
            .ok()
            .filter(|v| *v < u32::MAX)
            .ok_or_else(|| AppError::invalid("version", "the playbook has no versions left"))
    }

    async fn keep_playbook(&self, actor: &Actor, p: &Playbook) -> Result<(PlaybookRecord, bool)> {
        let document = p.canonical_json();
        let new = NewPlaybook {
            key: p.key.clone(),
            version: p.version,
            title: p.title.clone(),
            kinds: p.kinds.clone(),
            content_hash: sha256_hex(&document),
            document,
        };
        let audit = self.draft(
            actor,
            "playbook.import",
            "playbook",
            "",
            None,
            json!({"key": p.key, "version": p.version, "title": p.title,
                   "steps": p.steps().count(), "content_hash": new.content_hash}),
        );
        Ok(self.store.import_playbook(&new, audit).await?)
    }

    /// Keeps each playbook Palisade ships whose version is not kept yet, at start-up. A
    /// shipped version kept with other content (an operator's own import) stays as it is.
    pub async fn install_shipped_playbooks(&self) -> Result<usize> {
        let system = Actor::system();
        let mut added = 0;
        for text in playbook::SHIPPED {
            let p = playbook::parse(text).map_err(|e| {
                AppError::Internal(format!("a shipped playbook does not check: {e:?}"))
            })?;
            match self.keep_playbook(&system, &p).await {
                Ok((_, true)) => added += 1,
                Ok((_, false)) | Err(AppError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(added)
    }

    /// Every version of every playbook, for the national team.
    pub async fn list_playbooks(&self, actor: &Actor) -> Result<Vec<PlaybookRecord>> {
        actor.require(GlobalAction::ViewAllIncidents)?;
        Ok(self.store.list_playbooks(false).await?)
    }

    /// A version of a playbook (the newest without one).
    pub async fn playbook(
        &self,
        actor: &Actor,
        key: &str,
        version: Option<u32>,
    ) -> Result<PlaybookView> {
        actor.require(GlobalAction::ViewAllIncidents)?;
        let (record, document) = self
            .store
            .playbook(key, version)
            .await?
            .ok_or(AppError::NotFound)?;
        let playbook = serde_json::from_str(&document)
            .map_err(|e| AppError::Internal(format!("stored playbook {key}: {e}")))?;
        Ok(PlaybookView { record, playbook })
    }

    /// Applies the newest version of playbook `key` to a notified case: each step becomes a
    /// task, due from the case's awareness or from now as the step says.
    pub async fn apply_playbook(&self, actor: &Actor, id: i64, key: &str) -> Result<Vec<TaskView>> {
        actor.require(GlobalAction::TriageIncidents)?;
        let (org, record) = self.national_incident(actor, id).await?;
        let key = key.trim();
        if key.is_empty() {
            return Err(AppError::invalid(
                "key",
                "is required: the playbook to apply",
            ));
        }
        let v = match self.playbook(actor, key, None).await {
            Err(AppError::NotFound) => {
                return Err(AppError::invalid(
                    "key",
                    format!("no playbook `{key}`: see GET /api/v1/playbooks"),
                ));
            }
            other => other?,
        };
        let now = self.now();
        let tasks = v.playbook.tasks(record.state.fields.aware_at, now);
        let audit = self.incident_audit(
            actor,
            "incident.playbook",
            Some(record.id),
            org.org.id,
            json!({"playbook": v.record.key, "version": v.record.version}),
        );
        let made = self
            .store
            .apply_playbook(
                record.id,
                &v.record,
                &tasks,
                Stamp {
                    at: now,
                    user_id: actor.user_id,
                },
                audit,
            )
            .await?;
        Ok(self.task_views(made))
    }

    /// Marks a case's task done (a note optional), not applicable (a reason required) or open
    /// again.
    pub async fn set_task(
        &self,
        actor: &Actor,
        id: i64,
        task_id: i64,
        state: &str,
        note: &str,
    ) -> Result<TaskView> {
        actor.require(GlobalAction::TriageIncidents)?;
        let (org, record) = self.national_incident(actor, id).await?;
        let state: TaskState = state.parse().map_err(|m| AppError::invalid("state", m))?;
        let note = message_text("note", note, state == TaskState::NotApplicable)?;
        let audit = self.draft(
            actor,
            "incident.task",
            "incident",
            format!("{}/tasks/{task_id}", incident_reference(record.id)),
            Some(org.org.id),
            // The organisation reads its audit log but not the national team's steps: the
            // note's length only, as for a note on the case.
            json!({"state": state, "length": note.chars().count()}),
        );
        let task = self
            .store
            .set_task(
                record.id,
                task_id,
                state,
                &note,
                Stamp {
                    at: self.now(),
                    user_id: actor.user_id,
                },
                audit,
            )
            .await?;
        Ok(self.task_views(vec![task]).remove(0))
    }

    /// The case's tasks the caller may see: all for the national team, the organisation's own
    /// steps for the organisation.
    pub(super) async fn visible_tasks(
        &self,
        national: bool,
        incident_id: i64,
    ) -> Result<Vec<TaskView>> {
        let side = (!national).then_some(StepActor::Organisation);
        let tasks = self.store.incident_tasks(incident_id, side).await?;
        Ok(self.task_views(tasks))
    }

    /// The newest version of each playbook, those answering `kind` first, for a triage form.
    pub(super) async fn playbook_choices(
        &self,
        kind: palisade_domain::incident::IncidentKind,
    ) -> Result<Vec<PlaybookRecord>> {
        let mut all = self.store.list_playbooks(true).await?;
        all.sort_by_key(|p| (!p.kinds.contains(&kind), p.title.clone()));
        Ok(all)
    }
}
