//! What the incident API reads and answers.

use palisade_app::incidents::{IncidentPatch, IncidentView, UpdateInput};
use palisade_domain::clock::{rfc3339_millis, rfc3339_opt};
use palisade_domain::incident::{Clock, Grade, IncidentInput};
use palisade_store::{IncidentEntry, IncidentRecord, incident_reference};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn time(t: i64) -> String {
    palisade_domain::clock::rfc3339(palisade_domain::clock::from_unix(t))
}

/// A new incident. `notify: false` (the default) keeps a draft the organisation can still
/// change; `true` notifies at once.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReportBody {
    pub title: String,
    pub description: String,
    /// `ransomware`, `malware`, `phishing`, `account_compromise`, `denial_of_service`,
    /// `supplier_compromise`, `unsupported_system_exploited`, `lost_or_stolen_device`,
    /// `misdirected_data`, `unauthorised_access` or `other`.
    pub kind: String,
    /// RFC 3339.
    pub started_at: String,
    /// When the organisation became aware (RFC 3339): the clocks run from here.
    pub aware_at: String,
    #[serde(default)]
    pub contained: bool,
    /// Any of `confidentiality`, `integrity`, `availability`.
    #[serde(default)]
    pub cia: Vec<String>,
    #[serde(default)]
    pub personal_data: bool,
    #[serde(default)]
    pub vulnerable_groups: bool,
    /// For information only: it does not change the grade.
    #[serde(default)]
    pub people_affected: Option<i64>,
    /// `not_occurred`, `not_likely`, `likely`, `highly_likely` or `occurred`.
    #[serde(default)]
    pub likelihood: Option<String>,
    /// `no_adverse_effect`, `minor`, `adverse`, `serious` or `catastrophic`.
    #[serde(default)]
    pub impact: Option<String>,
    /// The services and systems affected.
    #[serde(default)]
    pub systems: Vec<String>,
    /// Required to notify when the grade makes the incident reportable to no one.
    #[serde(default)]
    pub not_reported_reason: Option<String>,
    #[serde(default)]
    pub notify: bool,
}

impl From<&ReportBody> for IncidentInput {
    fn from(b: &ReportBody) -> Self {
        IncidentInput {
            title: b.title.clone(),
            description: b.description.clone(),
            kind: b.kind.clone(),
            started_at: b.started_at.clone(),
            aware_at: b.aware_at.clone(),
            contained: b.contained,
            cia: b.cia.clone(),
            personal_data: b.personal_data,
            vulnerable_groups: b.vulnerable_groups,
            people_affected: b.people_affected,
            likelihood: b.likelihood.clone().unwrap_or_default(),
            impact: b.impact.clone().unwrap_or_default(),
            systems: b.systems.clone(),
            not_reported_reason: b.not_reported_reason.clone().unwrap_or_default(),
        }
    }
}

/// A change to a draft: the fields given replace the draft's.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PatchBody {
    pub title: Option<String>,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub started_at: Option<String>,
    pub aware_at: Option<String>,
    pub contained: Option<bool>,
    pub cia: Option<Vec<String>>,
    pub personal_data: Option<bool>,
    pub vulnerable_groups: Option<bool>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::kit::extract::present")]
    #[schema(value_type = Option<i64>)]
    pub people_affected: Option<Option<i64>>,
    pub likelihood: Option<String>,
    pub impact: Option<String>,
    pub systems: Option<Vec<String>>,
    pub not_reported_reason: Option<String>,
    /// The revision the change was made against: a stale one is 409.
    pub revision: Option<i64>,
}

impl PatchBody {
    pub(crate) fn split(self) -> (IncidentPatch, Option<i64>) {
        (
            IncidentPatch {
                title: self.title,
                description: self.description,
                kind: self.kind,
                started_at: self.started_at,
                aware_at: self.aware_at,
                contained: self.contained,
                cia: self.cia,
                personal_data: self.personal_data,
                vulnerable_groups: self.vulnerable_groups,
                people_affected: self.people_affected,
                likelihood: self.likelihood,
                impact: self.impact,
                systems: self.systems,
                not_reported_reason: self.not_reported_reason,
            },
            self.revision,
        )
    }
}

/// Notifying a draft (send `{}` when there is nothing to add).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NotifyBody {
    /// Why the incident is not reported, when the grade makes it reportable to no one.
    pub not_reported_reason: Option<String>,
    pub revision: Option<i64>,
}

/// An update appended to a notified incident.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateBody {
    pub text: String,
    pub contained: Option<bool>,
    /// A changed grade.
    pub likelihood: Option<String>,
    pub impact: Option<String>,
    /// Services and systems newly found affected.
    #[serde(default)]
    pub systems: Vec<String>,
    /// `full` or `final`: this update is that report (meets the NIS clock of that name).
    pub report: Option<String>,
    /// The organisation considers the incident over.
    #[serde(default)]
    pub closed: bool,
    /// Required when a changed grade makes the incident reportable to no one.
    pub not_reported_reason: Option<String>,
    pub revision: Option<i64>,
}

impl From<UpdateBody> for UpdateInput {
    fn from(b: UpdateBody) -> Self {
        UpdateInput {
            text: b.text,
            contained: b.contained,
            likelihood: b.likelihood,
            impact: b.impact,
            systems: b.systems,
            report: b.report,
            closed: b.closed,
            not_reported_reason: b.not_reported_reason,
            expected_revision: b.revision,
        }
    }
}

/// A national triage decision; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TriageBody {
    /// `low`, `medium`, `high` or `critical`.
    pub severity: Option<String>,
    /// A national team member's email; empty to unassign.
    pub assignee: Option<String>,
    /// `notified`, `triaged`, `investigating`, `contained`, `closed` or `reopened`.
    pub status: Option<String>,
    /// Organisation codes amber indicators are shared with.
    pub shared_with: Option<Vec<String>>,
    /// Kept on the case for the national team only.
    #[serde(default)]
    pub note: String,
    pub revision: Option<i64>,
}

/// A message on the case.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MessageBody {
    pub text: String,
    /// National team only: a note the organisation never sees.
    #[serde(default)]
    pub internal: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GradeDto {
    pub likelihood: String,
    pub impact: String,
    pub regulator_reportable: bool,
    pub nis_reportable: bool,
}

impl From<Grade> for GradeDto {
    fn from(g: Grade) -> Self {
        Self {
            likelihood: g.likelihood.as_str().into(),
            impact: g.impact.as_str().into(),
            regulator_reportable: g.regulator_reportable,
            nis_reportable: g.nis_reportable,
        }
    }
}

/// A deadline the grade runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockDto {
    /// `regulator`, `nis_initial`, `nis_full` or `nis_final`.
    pub name: String,
    /// Null while the clock has not started (the final report's, before the full report).
    pub due_at: Option<String>,
    pub met_at: Option<String>,
    /// Met after its due time, or its due time passed unmet.
    pub late: bool,
    /// How far past the due time, in seconds.
    pub late_by_seconds: Option<i64>,
}

impl From<&Clock> for ClockDto {
    fn from(c: &Clock) -> Self {
        Self {
            name: c.name.as_str().into(),
            due_at: rfc3339_opt(c.due_at),
            met_at: rfc3339_opt(c.met_at),
            late: c.late,
            late_by_seconds: c.late_by,
        }
    }
}

/// One entry of the case's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryDto {
    pub id: i64,
    pub at: String,
    pub by: Option<String>,
    /// `notification`, `update`, `triage`, `message` or `note` (national team only).
    pub kind: String,
    pub text: String,
    /// Each changed field with `[before, after]`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Map<String, serde_json::Value>,
    /// `full` or `final` when the update is that report.
    pub report: Option<String>,
}

impl From<IncidentEntry> for EntryDto {
    fn from(e: IncidentEntry) -> Self {
        Self {
            id: e.id,
            at: rfc3339_millis(e.at),
            by: e.by,
            kind: e.kind.as_str().into(),
            text: e.text,
            changes: e.changes,
            report: e.report.map(|r| r.as_str().into()),
        }
    }
}

/// An incident as it stands, with its grade, clocks and timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentDto {
    pub id: i64,
    /// `INC-` and digits.
    pub reference: String,
    pub org_code: String,
    pub org_name: String,
    /// `draft`, `notified`, `triaged`, `investigating`, `contained`, `closed` or `reopened`.
    pub status: String,
    pub title: String,
    pub description: String,
    pub kind: String,
    pub started_at: String,
    pub aware_at: String,
    pub contained: bool,
    pub contained_at: Option<String>,
    pub cia: Vec<String>,
    pub personal_data: bool,
    pub vulnerable_groups: bool,
    pub people_affected: Option<i64>,
    pub systems: Vec<String>,
    pub not_reported_reason: Option<String>,
    /// As reported (null until given).
    pub likelihood: Option<String>,
    pub impact: Option<String>,
    /// Null until both likelihood and impact are given. The grade counts an incident involving
    /// vulnerable groups as at least `not_likely` x `minor`, so it may be above what was reported.
    pub grade: Option<GradeDto>,
    pub clocks: Vec<ClockDto>,
    pub notified_at: Option<String>,
    pub full_report_at: Option<String>,
    pub final_report_at: Option<String>,
    pub closed_at: Option<String>,
    /// The national team's: severity, assignee and sharing.
    pub severity: Option<String>,
    pub assignee: Option<String>,
    pub shared_with: Vec<String>,
    /// The cyber alert drafted from the case (national team only).
    pub alert: Option<String>,
    pub revision: i64,
    pub created_at: String,
    pub updated_at: String,
    /// The timeline, oldest first.
    pub updates: Vec<EntryDto>,
    /// The indicators of compromise the caller may see under TLP.
    pub indicators: Vec<IndicatorDto>,
    /// The playbook tasks the caller may see (the organisation sees its own steps).
    pub tasks: Vec<super::playbooks::TaskDto>,
}

impl From<IncidentView> for IncidentDto {
    fn from(v: IncidentView) -> Self {
        let r = v.record;
        let s = r.state;
        let f = s.fields;
        Self {
            id: r.id,
            reference: v.reference,
            org_code: r.org_code,
            org_name: r.org_name,
            status: s.status.as_str().into(),
            title: f.title,
            description: f.description,
            kind: f.kind.as_str().into(),
            started_at: time(f.started_at),
            aware_at: time(f.aware_at),
            contained: f.contained,
            contained_at: rfc3339_opt(s.contained_at),
            cia: f.cia.iter().map(|c| c.as_str().to_string()).collect(),
            personal_data: f.personal_data,
            vulnerable_groups: f.vulnerable_groups,
            people_affected: f.people_affected,
            systems: f.systems,
            not_reported_reason: f.not_reported_reason,
            likelihood: f.likelihood.map(|l| l.as_str().into()),
            impact: f.impact.map(|i| i.as_str().into()),
            grade: v.grade.map(Into::into),
            clocks: v.clocks.iter().map(Into::into).collect(),
            notified_at: rfc3339_opt(s.notified_at),
            full_report_at: rfc3339_opt(s.full_report_at),
            final_report_at: rfc3339_opt(s.final_report_at),
            closed_at: rfc3339_opt(s.closed_at),
            severity: s.severity.map(|x| x.as_str().into()),
            assignee: r.assignee,
            shared_with: s.shared_with,
            alert: if v.national { s.alert_reference } else { None },
            revision: r.revision,
            created_at: time(r.created_at),
            updated_at: time(r.updated_at),
            updates: v.entries.into_iter().map(Into::into).collect(),
            indicators: v.indicators.into_iter().map(Into::into).collect(),
            tasks: v.tasks.into_iter().map(Into::into).collect(),
        }
    }
}

/// One line of an incident list.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentSummaryDto {
    pub id: i64,
    pub reference: String,
    pub org_code: String,
    pub org_name: String,
    pub org_type: String,
    pub region: String,
    pub status: String,
    pub title: String,
    pub kind: String,
    pub likelihood: Option<String>,
    pub impact: Option<String>,
    pub regulator_reportable: bool,
    pub nis_reportable: bool,
    pub notified_at: Option<String>,
    /// The earliest due time of a clock still waiting for its report.
    pub next_due_at: Option<String>,
    /// A report was made late, or a clock's time has passed without it.
    pub late: bool,
    pub severity: Option<String>,
    pub assignee: Option<String>,
    pub updated_at: String,
}

impl IncidentSummaryDto {
    pub(crate) fn new(r: IncidentRecord, now: i64) -> Self {
        let s = r.state;
        Self {
            id: r.id,
            reference: incident_reference(r.id),
            org_code: r.org_code,
            org_name: r.org_name,
            org_type: r.org_type.as_str().into(),
            region: r.region,
            status: s.status.as_str().into(),
            title: s.fields.title,
            kind: s.fields.kind.as_str().into(),
            likelihood: s.fields.likelihood.map(|l| l.as_str().into()),
            impact: s.fields.impact.map(|i| i.as_str().into()),
            regulator_reportable: s.regulator_reportable,
            nis_reportable: s.nis_reportable,
            notified_at: rfc3339_opt(s.notified_at),
            next_due_at: rfc3339_opt(s.next_due_at),
            late: s.reported_late || s.next_due_at.is_some_and(|d| d < now),
            severity: s.severity.map(|x| x.as_str().into()),
            assignee: r.assignee,
            updated_at: time(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentList {
    pub items: Vec<IncidentSummaryDto>,
    pub meta: crate::kit::envelope::ListMeta,
}

/// What a regulator's notification form asks, ready to copy into its own portal: who, what,
/// when aware, when contained, data and people involved, the grade, actions taken, updates.
/// National notes and triage are never in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegulatorReportDto {
    pub reference: String,
    pub organisation: RegulatorOrgDto,
    /// Who reported it (an email), when known.
    pub reported_by: Option<String>,
    pub title: String,
    pub kind: String,
    pub description: String,
    pub started_at: String,
    pub aware_at: String,
    pub notified_at: Option<String>,
    pub contained: bool,
    pub contained_at: Option<String>,
    /// Confidentiality, integrity, availability: which were affected.
    pub cia: Vec<String>,
    pub personal_data: bool,
    pub vulnerable_groups: bool,
    pub people_affected: Option<i64>,
    pub systems: Vec<String>,
    pub grade: Option<GradeDto>,
    pub not_reported_reason: Option<String>,
    pub clocks: Vec<ClockDto>,
    /// The organisation's updates in order: what it has done and learned.
    pub updates: Vec<RegulatorUpdateDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegulatorOrgDto {
    pub code: String,
    pub name: String,
    pub org_type: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegulatorUpdateDto {
    pub at: String,
    pub by: Option<String>,
    pub text: String,
    /// `full` or `final` when the update is that report.
    pub report: Option<String>,
}

impl From<IncidentView> for RegulatorReportDto {
    fn from(v: IncidentView) -> Self {
        let updates = v
            .entries
            .iter()
            .filter(|e| e.shared && matches!(e.kind, palisade_store::EntryKind::Update))
            .map(|e| RegulatorUpdateDto {
                at: rfc3339_millis(e.at),
                by: e.by.clone(),
                text: e.text.clone(),
                report: e.report.map(|r| r.as_str().into()),
            })
            .collect();
        let clocks = v.clocks.iter().map(Into::into).collect();
        let r = v.record;
        let s = r.state;
        let f = s.fields;
        Self {
            reference: v.reference,
            organisation: RegulatorOrgDto {
                code: r.org_code,
                name: r.org_name,
                org_type: r.org_type.as_str().into(),
            },
            reported_by: r.created_by,
            title: f.title,
            kind: f.kind.as_str().into(),
            description: f.description,
            started_at: time(f.started_at),
            aware_at: time(f.aware_at),
            notified_at: rfc3339_opt(s.notified_at),
            contained: f.contained,
            contained_at: rfc3339_opt(s.contained_at),
            cia: f.cia.iter().map(|c| c.as_str().to_string()).collect(),
            personal_data: f.personal_data,
            vulnerable_groups: f.vulnerable_groups,
            people_affected: f.people_affected,
            systems: f.systems,
            grade: v.grade.map(Into::into),
            not_reported_reason: f.not_reported_reason,
            clocks,
            updates,
        }
    }
}

/// An indicator to add to a case.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IndicatorBody {
    /// `ipv4`, `ipv6`, `domain`, `url`, `email`, `sha256`, `sha1` or `md5`.
    #[serde(rename = "type")]
    pub indicator_type: String,
    pub value: String,
    /// TLP 2.0: `clear`, `green`, `amber`, `amber+strict` or `red`.
    pub tlp: String,
    #[serde(default)]
    pub description: String,
}

/// An indicator of compromise.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorDto {
    pub id: i64,
    #[serde(rename = "type")]
    pub indicator_type: String,
    /// In canonical form (lower case where case does not matter).
    pub value: String,
    pub tlp: String,
    pub description: String,
    pub added_at: String,
    pub added_by: Option<String>,
}

impl From<palisade_store::IndicatorRecord> for IndicatorDto {
    fn from(i: palisade_store::IndicatorRecord) -> Self {
        Self {
            id: i.id,
            indicator_type: i.indicator_type.as_str().into(),
            value: i.value,
            tlp: i.tlp.as_str().into(),
            description: i.description,
            added_at: time(i.created_at),
            added_by: i.created_by,
        }
    }
}

/// A case holding the indicator searched for.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorMatchDto {
    pub incident: String,
    pub org_code: String,
    pub org_name: String,
    pub indicator: IndicatorDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorMatches {
    pub items: Vec<IndicatorMatchDto>,
}
