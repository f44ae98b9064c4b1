//! Incidents: an organisation reports (a draft first, if it likes), notifies, and then appends
//! updates; the national team triages, assigns, writes notes and messages. The grade and its
//! clocks come from `palisade_domain::incident`; this module decides who may do what and keeps
//! the stored state (the reportable flags, the next due time, lateness) in step with the rules.

use crate::orgs::OrgView;
use crate::{Actor, App, AppError, Result};
use palisade_domain::FieldErrors;
use palisade_domain::incident::{
    self, Clock, Grade, Impact, IncidentFields, IncidentInput, IncidentStatus, Likelihood,
    ReportStage, Reports, Severity,
};
use palisade_domain::org::OrgCode;
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::{GlobalAction, OrgAction, Scope};
use palisade_store::{
    EntryKind, IncidentEntry, IncidentFilter, IncidentRecord, IncidentState, NewEntry, Stamp,
    incident_reference,
};
use serde_json::{Map, Value, json};

mod figures;
mod indicators;
mod national;
mod playbooks;
mod taxii;
mod warnings;

pub use playbooks::{PlaybookView, TaskView};

pub use figures::{Count, Duration, IncidentFigures};
pub use indicators::IndicatorMatch;
pub use national::{BoardQuery, MessageTarget, TriageInput};
pub use taxii::new_stix_id;

/// An incident with everything its page and the API show.
#[derive(Debug, Clone)]
pub struct IncidentView {
    pub record: IncidentRecord,
    pub reference: String,
    /// None until both scales are given.
    pub grade: Option<Grade>,
    pub clocks: Vec<Clock>,
    /// The timeline the caller may see (national notes for the national team only).
    pub entries: Vec<IncidentEntry>,
    /// The case's indicators of compromise the caller may see under TLP.
    pub indicators: Vec<palisade_store::IndicatorRecord>,
    /// The organisation may still change the draft and notify it.
    pub may_edit: bool,
    /// The organisation may append updates and answer messages.
    pub may_update: bool,
    /// The caller is the national team (reads notes; triages when `may_triage`).
    pub national: bool,
    pub may_triage: bool,
    /// The playbook tasks the caller may see (the organisation sees its own steps).
    pub tasks: Vec<TaskView>,
    /// For a triager: the newest version of each playbook, those for the case's kind first.
    pub playbooks: Vec<palisade_store::PlaybookRecord>,
}

impl IncidentView {
    pub fn fields(&self) -> &IncidentFields {
        &self.record.state.fields
    }
}

/// An organisation's incidents, and whether the caller may report one.
#[derive(Debug, Clone)]
pub struct OrgIncidents {
    pub org: OrgView,
    pub page: Page<IncidentRecord>,
    pub may_report: bool,
}

/// A partial change to a draft: absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct IncidentPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub started_at: Option<String>,
    pub aware_at: Option<String>,
    pub contained: Option<bool>,
    pub cia: Option<Vec<String>>,
    pub personal_data: Option<bool>,
    pub vulnerable_groups: Option<bool>,
    pub people_affected: Option<Option<i64>>,
    pub likelihood: Option<String>,
    pub impact: Option<String>,
    pub systems: Option<Vec<String>>,
    pub not_reported_reason: Option<String>,
}

impl From<IncidentInput> for IncidentPatch {
    /// Every field replaced: a draft's form submitted whole.
    fn from(i: IncidentInput) -> Self {
        IncidentPatch {
            title: Some(i.title),
            description: Some(i.description),
            kind: Some(i.kind),
            started_at: Some(i.started_at),
            aware_at: Some(i.aware_at),
            contained: Some(i.contained),
            cia: Some(i.cia),
            personal_data: Some(i.personal_data),
            vulnerable_groups: Some(i.vulnerable_groups),
            people_affected: Some(i.people_affected),
            likelihood: Some(i.likelihood),
            impact: Some(i.impact),
            systems: Some(i.systems),
            not_reported_reason: Some(i.not_reported_reason),
        }
    }
}

impl IncidentPatch {
    fn apply(self, mut i: IncidentInput) -> IncidentInput {
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = self.$f { i.$f = v; } )* };
        }
        set!(
            title,
            description,
            kind,
            started_at,
            aware_at,
            contained,
            cia,
            personal_data,
            vulnerable_groups,
            people_affected,
            likelihood,
            impact,
            systems,
            not_reported_reason
        );
        i
    }
}

/// The fields as they would be typed again (to patch a draft).
fn as_input(f: &IncidentFields) -> IncidentInput {
    let time = |t: i64| palisade_domain::clock::rfc3339(palisade_domain::clock::from_unix(t));
    IncidentInput {
        title: f.title.clone(),
        description: f.description.clone(),
        kind: f.kind.as_str().into(),
        started_at: time(f.started_at),
        aware_at: time(f.aware_at),
        contained: f.contained,
        cia: f.cia.iter().map(|c| c.as_str().to_string()).collect(),
        personal_data: f.personal_data,
        vulnerable_groups: f.vulnerable_groups,
        people_affected: f.people_affected,
        likelihood: f.likelihood.map(|l| l.as_str().into()).unwrap_or_default(),
        impact: f.impact.map(|l| l.as_str().into()).unwrap_or_default(),
        systems: f.systems.clone(),
        not_reported_reason: f.not_reported_reason.clone().unwrap_or_default(),
    }
}

/// What an organisation appends to a notified incident.
#[derive(Debug, Clone, Default)]
pub struct UpdateInput {
    pub text: String,
    pub contained: Option<bool>,
    pub likelihood: Option<String>,
    pub impact: Option<String>,
    /// Systems newly found affected, added to the list.
    pub systems: Vec<String>,
    /// `full` or `final`: the update is that report.
    pub report: Option<String>,
    /// The organisation considers the incident over.
    pub closed: bool,
    /// Why it is not reported, when a changed grade makes it reportable to no one.
    pub not_reported_reason: Option<String>,
    pub expected_revision: Option<i64>,
}

const MAX_MESSAGE: usize = incident::MAX_TEXT;

fn conflict(field: &str, message: &str) -> AppError {
    AppError::Conflict {
        field: field.into(),
        message: message.into(),
    }
}

fn message_text(field: &str, raw: &str, required: bool) -> Result<String> {
    let t = raw.trim();
    if required && t.is_empty() {
        return Err(AppError::invalid(field, "is required"));
    }
    if t.chars().count() > MAX_MESSAGE {
        return Err(AppError::invalid(
            field,
            format!("is longer than {MAX_MESSAGE} characters"),
        ));
    }
    Ok(t.to_string())
}

impl App {
    /// Whether the organisation falls under the NIS rules.
    fn nis_scope(org: &palisade_store::Organisation) -> bool {
        incident::nis_scope(org.org_type, org.category)
    }

    /// The stored state for `fields` at `status`, with the grade's flags and clocks worked out.
    fn derive(&self, mut state: IncidentState, nis: bool, now: i64) -> IncidentState {
        let grade = state.fields.grade(&self.incident_rules, nis);
        let clocks = self.clocks_of(&state, grade.as_ref(), now);
        state.regulator_reportable = grade.is_some_and(|g| g.regulator_reportable);
        state.nis_reportable = grade.is_some_and(|g| g.nis_reportable);
        state.next_due_at = if state.status == IncidentStatus::Closed {
            None
        } else {
            clocks
                .iter()
                .filter(|c| c.running())
                .filter_map(|c| c.due_at)
                .min()
        };
        // A closed incident keeps the lateness of a report it never made.
        let closed = state.status == IncidentStatus::Closed;
        state.reported_late = clocks
            .iter()
            .any(|c| c.late && (c.met_at.is_some() || closed));
        state.next_warn_at = if state.status == IncidentStatus::Closed {
            None
        } else {
            self.incident_rules
                .next_warning_at(&clocks, &state.warnings_sent)
        };
        state
    }

    fn clocks_of(&self, s: &IncidentState, grade: Option<&Grade>, now: i64) -> Vec<Clock> {
        let Some(g) = grade else { return Vec::new() };
        let reports = Reports {
            aware_at: s.fields.aware_at,
            notified_at: s.notified_at,
            full_at: s.full_report_at,
            final_at: s.final_report_at,
        };
        self.incident_rules.clocks(g, &reports, now)
    }

    async fn view_of(
        &self,
        actor: &Actor,
        record: IncidentRecord,
        org: &OrgView,
    ) -> Result<IncidentView> {
        let p = &actor.principal;
        let national = p.may_global(GlobalAction::ViewAllIncidents);
        let reporter = p.may(OrgAction::ReportIncidents, &org.ancestry);
        let entries = self.store.incident_entries(record.id, national).await?;
        let indicators = self.visible_indicators(actor, &record, org).await?;
        let grade = record
            .state
            .fields
            .grade(&self.incident_rules, Self::nis_scope(&org.org));
        let clocks = self.clocks_of(&record.state, grade.as_ref(), self.now());
        let status = record.state.status;
        let tasks = self.visible_tasks(national, record.id).await?;
        let may_triage =
            p.may_global(GlobalAction::TriageIncidents) && status != IncidentStatus::Draft;
        let playbooks = if may_triage {
            self.playbook_choices(record.state.fields.kind).await?
        } else {
            Vec::new()
        };
        Ok(IncidentView {
            reference: incident_reference(record.id),
            grade,
            clocks,
            entries,
            indicators,
            may_edit: reporter && status == IncidentStatus::Draft,
            may_update: reporter && status != IncidentStatus::Draft,
            national,
            may_triage,
            tasks,
            playbooks,
            record,
        })
    }

    /// The organisation's incident `id`: a draft only for those who may report for it; another
    /// organisation's incident is not found.
    pub(crate) async fn org_incident(
        &self,
        actor: &Actor,
        code: &str,
        id: i64,
        action: OrgAction,
    ) -> Result<(OrgView, IncidentRecord)> {
        let org = self.org_for(actor, code, OrgAction::ViewIncidents).await?;
        let record = self
            .store
            .incident(id)
            .await?
            .filter(|r| r.org_id == org.org.id)
            .ok_or(AppError::NotFound)?;
        let reporter = actor
            .principal
            .may(OrgAction::ReportIncidents, &org.ancestry);
        if record.state.status == IncidentStatus::Draft && !reporter {
            return Err(AppError::NotFound);
        }
        if !actor.principal.may(action, &org.ancestry) {
            return Err(AppError::Forbidden);
        }
        Ok((org, record))
    }

    /// A notified incident, for the national team's routes.
    async fn national_incident(&self, actor: &Actor, id: i64) -> Result<(OrgView, IncidentRecord)> {
        actor.require(GlobalAction::ViewAllIncidents)?;
        let record = self
            .store
            .incident(id)
            .await?
            .filter(|r| r.state.status != IncidentStatus::Draft)
            .ok_or(AppError::NotFound)?;
        let code = OrgCode::parse("code", &record.org_code).map_err(|_| AppError::NotFound)?;
        let (org, ancestry) = self
            .store
            .find_org(&code)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok((OrgView { org, ancestry }, record))
    }

    fn incident_audit(
        &self,
        actor: &Actor,
        action: &str,
        id: Option<i64>,
        org_id: i64,
        summary: Value,
    ) -> palisade_domain::audit::AuditDraft {
        self.draft(
            actor,
            action,
            "incident",
            id.map(incident_reference).unwrap_or_default(),
            Some(org_id),
            summary,
        )
    }

    /// What a report as typed would mean, without saving it: its grade and the clocks that
    /// would run (notified now). The report form shows it before anything is sent.
    pub async fn incident_preview(
        &self,
        actor: &Actor,
        code: &str,
        input: &IncidentInput,
    ) -> Result<(Option<Grade>, Vec<Clock>)> {
        let org = self
            .org_for(actor, code, OrgAction::ReportIncidents)
            .await?;
        let now = self.now();
        let fields = incident::check(input, now)?;
        let grade = fields.grade(&self.incident_rules, Self::nis_scope(&org.org));
        let state = fresh_state(fields);
        let clocks = self.clocks_of(&state, grade.as_ref(), now);
        Ok((grade, clocks))
    }

    /// Reports an incident: kept as a draft, or notified at once when `notify`.
    pub async fn report_incident(
        &self,
        actor: &Actor,
        code: &str,
        input: &IncidentInput,
        notify: bool,
    ) -> Result<IncidentView> {
        let org = self
            .org_for(actor, code, OrgAction::ReportIncidents)
            .await?;
        let now = self.now();
        let fields = incident::check(input, now)?;
        let nis = Self::nis_scope(&org.org);
        if notify {
            fields.check_notifiable(&self.incident_rules, nis)?;
        }
        let state = IncidentState {
            status: if notify {
                IncidentStatus::Notified
            } else {
                IncidentStatus::Draft
            },
            contained_at: fields.contained.then_some(now),
            notified_at: notify.then_some(now),
            ..fresh_state(fields)
        };
        let state = self.derive(state, nis, now);
        let entry = notify.then(|| notification_entry(&state));
        let audit = self.incident_audit(
            actor,
            if notify { "incident.notify" } else { "incident.draft" },
            None,
            org.org.id,
            json!({ "title": state.fields.title, "kind": state.fields.kind, "status": state.status }),
        );
        let record = self
            .store
            .create_incident(
                org.org.id,
                &state,
                entry,
                Stamp {
                    at: now,
                    user_id: actor.user_id,
                },
                audit,
            )
            .await?;
        self.view_of(actor, record, &org).await
    }

    /// Changes a draft; a notified incident's fields never change (409): updates are appended.
    pub async fn patch_incident(
        &self,
        actor: &Actor,
        code: &str,
        id: i64,
        patch: IncidentPatch,
        expected_revision: Option<i64>,
    ) -> Result<IncidentView> {
        let (org, record) = self
            .org_incident(actor, code, id, OrgAction::ReportIncidents)
            .await?;
        if record.state.status != IncidentStatus::Draft {
            return Err(conflict(
                "status",
                "the incident has been notified: its fields no longer change; append an update instead",
            ));
        }
        let now = self.now();
        let fields = incident::check(&patch.apply(as_input(&record.state.fields)), now)?;
        let changes = changed_fields(&record.state.fields, &fields);
        let state = IncidentState {
            contained_at: fields
                .contained
                .then_some(record.state.contained_at.unwrap_or(now)),
            fields,
            ..record.state.clone()
        };
        let state = self.derive(state, Self::nis_scope(&org.org), now);
        let audit = self.incident_audit(
            actor,
            "incident.edit",
            Some(id),
            org.org.id,
            Value::Object(changes),
        );
        self.save(
            actor,
            &org,
            Save {
                record: &record,
                expected: expected_revision,
                state,
                entry: None,
                audit,
                at: now,
            },
        )
        .await
    }

    /// Notifies a draft: the report to the regulators, meeting their first clocks.
    pub async fn notify_incident(
        &self,
        actor: &Actor,
        code: &str,
        id: i64,
        not_reported_reason: Option<String>,
        expected_revision: Option<i64>,
    ) -> Result<IncidentView> {
        let (org, record) = self
            .org_incident(actor, code, id, OrgAction::ReportIncidents)
            .await?;
        if record.state.status != IncidentStatus::Draft {
            return Err(conflict("status", "the incident has already been notified"));
        }
        let now = self.now();
        let mut fields = record.state.fields.clone();
        if let Some(r) = not_reported_reason.filter(|r| !r.trim().is_empty()) {
            fields.not_reported_reason = Some(message_text("not_reported_reason", &r, true)?);
        }
        let nis = Self::nis_scope(&org.org);
        fields.check_notifiable(&self.incident_rules, nis)?;
        let state = IncidentState {
            status: IncidentStatus::Notified,
            notified_at: Some(now),
            fields,
            ..record.state.clone()
        };
        let state = self.derive(state, nis, now);
        let audit = self.incident_audit(
            actor,
            "incident.notify",
            Some(id),
            org.org.id,
            json!({ "regulator_reportable": state.regulator_reportable, "nis_reportable": state.nis_reportable }),
        );
        self.save(
            actor,
            &org,
            Save {
                record: &record,
                expected: expected_revision,
                entry: Some(notification_entry(&state)),
                state,
                audit,
                at: now,
            },
        )
        .await
    }

    /// Appends the organisation's update to a notified incident.
    pub async fn add_incident_update(
        &self,
        actor: &Actor,
        code: &str,
        id: i64,
        u: UpdateInput,
    ) -> Result<IncidentView> {
        let (org, record) = self
            .org_incident(actor, code, id, OrgAction::ReportIncidents)
            .await?;
        if record.state.status == IncidentStatus::Draft {
            return Err(conflict(
                "status",
                "the incident is a draft: change it, or notify it first",
            ));
        }
        let now = self.now();
        let text = message_text("text", &u.text, true)?;
        let mut e = FieldErrors::default();
        let likelihood: Option<Likelihood> =
            e.optional("likelihood", u.likelihood.as_deref().unwrap_or(""));
        let impact: Option<Impact> = e.optional("impact", u.impact.as_deref().unwrap_or(""));
        let report: Option<ReportStage> = e.optional("report", u.report.as_deref().unwrap_or(""));
        let added = incident::check_systems(&mut e, &u.systems);
        let s = &record.state;
        match report {
            Some(ReportStage::Full) if s.full_report_at.is_some() => {
                e.push("report", "the full report has already been given")
            }
            Some(ReportStage::Final) if s.full_report_at.is_none() => {
                e.push("report", "the final report follows the full report")
            }
            Some(ReportStage::Final) if s.final_report_at.is_some() => {
                e.push("report", "the final report has already been given")
            }
            _ => {}
        }
        if u.closed && s.status == IncidentStatus::Closed {
            e.push("closed", "the incident is already closed");
        }
        e.into_result()?;
        let mut state = s.clone();
        let before = state.fields.clone();
        let f = &mut state.fields;
        if let Some(c) = u.contained {
            f.contained = c;
        }
        if likelihood.is_some() {
            f.likelihood = likelihood;
        }
        if impact.is_some() {
            f.impact = impact;
        }
        for system in added {
            if !f.systems.contains(&system) {
                f.systems.push(system);
            }
        }
        state.contained_at = if state.fields.contained {
            state.contained_at.or(Some(now))
        } else {
            None
        };
        match report {
            Some(ReportStage::Full) => state.full_report_at = Some(now),
            Some(ReportStage::Final) => state.final_report_at = Some(now),
            None => {}
        }
        if let Some(r) = u
            .not_reported_reason
            .as_deref()
            .filter(|r| !r.trim().is_empty())
        {
            state.fields.not_reported_reason = Some(message_text("not_reported_reason", r, true)?);
        }
        // A grade lowered until no one must hear still needs its reason on the record, as it
        // does to notify.
        let nis = Self::nis_scope(&org.org);
        state.fields.check_notifiable(&self.incident_rules, nis)?;
        let mut changes = changed_fields(&before, &state.fields);
        if u.closed {
            changes.insert(
                "status".into(),
                json!([state.status, IncidentStatus::Closed]),
            );
            state.status = IncidentStatus::Closed;
            state.closed_at = Some(now);
        }
        let state = self.derive(state, nis, now);
        let audit = self.incident_audit(
            actor,
            "incident.update",
            Some(id),
            org.org.id,
            json!({ "changes": changes, "report": report }),
        );
        let entry = NewEntry {
            kind: EntryKind::Update,
            text,
            changes,
            report,
            shared: true,
            from_national: false,
        };
        self.save(
            actor,
            &org,
            Save {
                record: &record,
                expected: u.expected_revision,
                state,
                entry: Some(entry),
                audit,
                at: now,
            },
        )
        .await
    }

    /// One of the organisation's incidents.
    pub async fn incident(&self, actor: &Actor, code: &str, id: i64) -> Result<IncidentView> {
        let (org, record) = self
            .org_incident(actor, code, id, OrgAction::ViewIncidents)
            .await?;
        self.view_of(actor, record, &org).await
    }

    /// A notified incident, for the national team.
    pub async fn national_incident_view(&self, actor: &Actor, id: i64) -> Result<IncidentView> {
        let (org, record) = self.national_incident(actor, id).await?;
        self.view_of(actor, record, &org).await
    }

    /// The organisation's incidents, newest first (drafts for those who may report).
    pub async fn org_incidents(
        &self,
        actor: &Actor,
        code: &str,
        page: PageRequest,
    ) -> Result<OrgIncidents> {
        let org = self.org_for(actor, code, OrgAction::ViewIncidents).await?;
        let may_report = actor
            .principal
            .may(OrgAction::ReportIncidents, &org.ancestry);
        let filter = IncidentFilter {
            org_id: Some(org.org.id),
            drafts: may_report,
            ..IncidentFilter::default()
        };
        let page = self
            .store
            .list_incidents(&Scope::All, &filter, page)
            .await?;
        Ok(OrgIncidents {
            org,
            page,
            may_report,
        })
    }
}

/// One change to an incident, as it is written.
pub(super) struct Save<'a> {
    pub record: &'a IncidentRecord,
    /// The revision its author read; the one just read when none is given.
    pub expected: Option<i64>,
    pub state: IncidentState,
    pub entry: Option<NewEntry>,
    pub audit: palisade_domain::audit::AuditDraft,
    pub at: i64,
}

impl App {
    /// Writes the change with its timeline and audit entries, then answers the case as the
    /// caller now sees it.
    pub(super) async fn save(
        &self,
        actor: &Actor,
        org: &OrgView,
        s: Save<'_>,
    ) -> Result<IncidentView> {
        let saved = self
            .store
            .save_incident(
                s.record.id,
                s.expected.unwrap_or(s.record.revision),
                &s.state,
                s.entry,
                Stamp {
                    at: s.at,
                    user_id: actor.user_id,
                },
                s.audit,
            )
            .await?;
        self.view_of(actor, saved, org).await
    }
}

/// A draft of these fields, nothing else yet.
fn fresh_state(fields: IncidentFields) -> IncidentState {
    IncidentState {
        status: IncidentStatus::Draft,
        fields,
        regulator_reportable: false,
        nis_reportable: false,
        notified_at: None,
        full_report_at: None,
        final_report_at: None,
        contained_at: None,
        triaged_at: None,
        closed_at: None,
        next_due_at: None,
        reported_late: false,
        next_warn_at: None,
        severity: None,
        assignee_id: None,
        alert_reference: None,
        shared_with: Vec::new(),
        warnings_sent: Vec::new(),
    }
}

fn notification_entry(state: &IncidentState) -> NewEntry {
    NewEntry {
        kind: EntryKind::Notification,
        text: state.fields.description.clone(),
        changes: Map::new(),
        report: None,
        shared: true,
        from_national: false,
    }
}

/// Each field that differs, with `[before, after]`.
fn changed_fields(before: &IncidentFields, after: &IncidentFields) -> Map<String, Value> {
    let (Value::Object(b), Value::Object(a)) = (json!(before), json!(after)) else {
        return Map::new();
    };
    a.into_iter()
        .filter_map(|(k, v)| {
            let old = b.get(&k).cloned().unwrap_or(Value::Null);
            (old != v).then(|| (k, json!([old, v])))
        })
        .collect()
}
