//! What the incident pages show: the case (for the organisation and the national team alike),
//! the grade's meaning and clocks, in UK time.

use crate::kit::views::{Opt, Options, options};
use palisade_app::incidents::IncidentView;
use palisade_domain::clock::uk_time;
use palisade_domain::incident::playbook::TaskState;
use palisade_domain::incident::{
    Cia, Clock, Grade, Impact, IncidentKind, IncidentStatus, Likelihood, Severity, duration_text,
};
use palisade_store::{IncidentEntry, IncidentRecord, incident_reference};

/// One clock as a table row.
pub struct ClockRow {
    pub name: String,
    pub due: String,
    pub met: String,
    /// `late by 2 h 05 min`, or empty.
    pub late: String,
}

pub(crate) fn clock_rows(clocks: &[Clock]) -> Vec<ClockRow> {
    clocks
        .iter()
        .map(|c| ClockRow {
            name: c.name.label().into(),
            due: c
                .due_at
                .map_or_else(|| "Starts with the full report".into(), uk_time),
            met: c.met_at.map_or_else(|| "Waiting".into(), uk_time),
            late: c
                .late_by
                .map(|s| format!("Late by {}", duration_text(s)))
                .unwrap_or_default(),
        })
        .collect()
}

/// What the grade means, in words.
pub struct Meaning {
    pub grade: String,
    pub regulator: bool,
    pub nis: bool,
}

pub(crate) fn meaning(grade: Option<&Grade>) -> Option<Meaning> {
    grade.map(|g| Meaning {
        grade: format!("{} × {}", g.likelihood.label(), g.impact.label()),
        regulator: g.regulator_reportable,
        nis: g.nis_reportable,
    })
}

pub struct EntryRow {
    pub at: String,
    pub by: String,
    pub kind: String,
    pub text: String,
    pub changes: Vec<String>,
    pub internal: bool,
}

fn entry_row(e: &IncidentEntry) -> EntryRow {
    let kind = match (e.kind, e.report) {
        (_, Some(r)) => r.label().to_string(),
        (k, None) => match k {
            palisade_store::EntryKind::Notification => "Notification",
            palisade_store::EntryKind::Update => "Update",
            palisade_store::EntryKind::Triage => "Triage (national team only)",
            palisade_store::EntryKind::Message => "Message",
            palisade_store::EntryKind::Note => "Note (national team only)",
        }
        .to_string(),
    };
    let show = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "none".into(),
        other => other.to_string(),
    };
    EntryRow {
        at: uk_time(e.at),
        by: e.by.clone().unwrap_or_else(|| "system".into()),
        kind,
        text: e.text.clone(),
        changes: e
            .changes
            .iter()
            .map(|(k, v)| {
                let from = v.get(0).map(show).unwrap_or_default();
                let to = v.get(1).map(show).unwrap_or_default();
                format!("{}: {from} → {to}", k.replace('_', " "))
            })
            .collect(),
        internal: !e.shared,
    }
}

/// The case as every incident page shows it.
pub struct Case {
    pub reference: String,
    pub org_name: String,
    pub status: String,
    pub status_tag: &'static str,
    pub title: String,
    pub description: String,
    pub kind: String,
    pub started: String,
    pub aware: String,
    pub notified: String,
    pub contained: String,
    pub cia: String,
    pub personal_data: bool,
    pub vulnerable_groups: bool,
    pub people_affected: String,
    pub systems: Vec<String>,
    pub not_reported_reason: String,
    pub meaning: Option<Meaning>,
    pub clocks: Vec<ClockRow>,
    pub entries: Vec<EntryRow>,
    pub severity: String,
    pub assignee: String,
    pub shared_with: String,
    /// The alert drafted from the case (national team only), or empty.
    pub alert: String,
    /// Indicators the caller may see: type, value, TLP label, description.
    pub indicators: Vec<(String, String, String, String)>,
    /// Playbook tasks the caller may see, in order.
    pub tasks: Vec<TaskRow>,
}

/// A playbook task as the case page shows it.
pub struct TaskRow {
    pub id: i64,
    pub playbook: String,
    pub phase: String,
    pub title: String,
    pub guidance: String,
    pub actor: &'static str,
    pub due: String,
    pub state: &'static str,
    pub state_tag: &'static str,
    /// Who marked it and when, with the note or reason.
    pub outcome: String,
}

fn task_row(t: &palisade_app::incidents::TaskView) -> TaskRow {
    let r = &t.task;
    let outcome = match (&r.done_by, r.done_at) {
        (by, Some(at)) => {
            let by = by.as_deref().unwrap_or("system");
            let mut out = format!("{} by {by}, {}", r.state.label(), uk_time(at));
            if !r.note.is_empty() {
                out.push_str(": ");
                out.push_str(&r.note);
            }
            out
        }
        _ => String::new(),
    };
    TaskRow {
        id: r.id,
        playbook: format!("{} (version {})", r.playbook_title, r.playbook_version),
        phase: r.phase.clone(),
        title: r.title.clone(),
        guidance: r.guidance.clone(),
        actor: r.actor.label(),
        due: r.due_at.map_or_else(|| "No due time".into(), uk_time),
        state: if t.overdue {
            "Overdue"
        } else {
            r.state.label()
        },
        state_tag: match r.state {
            TaskState::Done => "nhsuk-tag--green",
            TaskState::NotApplicable => "nhsuk-tag--grey",
            TaskState::Open if t.overdue => "nhsuk-tag--red",
            TaskState::Open => "nhsuk-tag--blue",
        },
        outcome,
    }
}

pub(crate) fn status_tag(s: IncidentStatus) -> &'static str {
    match s {
        IncidentStatus::Draft => "nhsuk-tag--grey",
        IncidentStatus::Notified | IncidentStatus::Reopened => "nhsuk-tag--red",
        IncidentStatus::Triaged | IncidentStatus::Investigating => "nhsuk-tag--orange",
        IncidentStatus::Contained => "nhsuk-tag--yellow",
        IncidentStatus::Closed => "nhsuk-tag--green",
    }
}

pub(crate) fn case(v: &IncidentView) -> Case {
    let r = &v.record;
    let s = &r.state;
    let f = &s.fields;
    let opt_time = |t: Option<i64>, none: &str| t.map_or_else(|| none.to_string(), uk_time);
    Case {
        reference: v.reference.clone(),
        org_name: r.org_name.clone(),
        status: s.status.label().into(),
        status_tag: status_tag(s.status),
        title: f.title.clone(),
        description: f.description.clone(),
        kind: f.kind.label().into(),
        started: uk_time(f.started_at),
        aware: uk_time(f.aware_at),
        notified: opt_time(s.notified_at, "Not yet notified"),
        contained: if f.contained {
            opt_time(s.contained_at, "Yes")
        } else {
            "Not yet".into()
        },
        cia: if f.cia.is_empty() {
            "None given".into()
        } else {
            f.cia
                .iter()
                .map(|c| c.label())
                .collect::<Vec<_>>()
                .join(", ")
        },
        personal_data: f.personal_data,
        vulnerable_groups: f.vulnerable_groups,
        people_affected: f
            .people_affected
            .map_or_else(|| "Not known".into(), |n| n.to_string()),
        systems: f.systems.clone(),
        not_reported_reason: f.not_reported_reason.clone().unwrap_or_default(),
        meaning: meaning(v.grade.as_ref()),
        clocks: clock_rows(&v.clocks),
        entries: v.entries.iter().map(entry_row).collect(),
        severity: s
            .severity
            .map(|x| x.label().to_string())
            .unwrap_or_default(),
        assignee: r.assignee.clone().unwrap_or_default(),
        shared_with: s.shared_with.join(", "),
        alert: if v.national {
            s.alert_reference.clone().unwrap_or_default()
        } else {
            String::new()
        },
        indicators: v
            .indicators
            .iter()
            .map(|i| {
                (
                    i.indicator_type.label().to_string(),
                    i.value.clone(),
                    i.tlp.label().to_string(),
                    i.description.clone(),
                )
            })
            .collect(),
        tasks: v.tasks.iter().map(task_row).collect(),
    }
}

/// One line of an incident list.
pub struct ListRow {
    pub reference: String,
    pub href: String,
    pub org_name: String,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub status_tag: &'static str,
    pub grade: String,
    pub reportable: bool,
    pub notified: String,
    pub next_due: String,
    pub late: bool,
    pub severity: String,
    pub assignee: String,
}

pub(crate) fn list_row(r: &IncidentRecord, href: String, now: i64) -> ListRow {
    let s = &r.state;
    let f = &s.fields;
    ListRow {
        reference: incident_reference(r.id),
        href,
        org_name: r.org_name.clone(),
        title: f.title.clone(),
        kind: f.kind.label().into(),
        status: s.status.label().into(),
        status_tag: status_tag(s.status),
        grade: match (f.likelihood, f.impact) {
            (Some(l), Some(i)) => format!("{} × {}", l.label(), i.label()),
            _ => "Not graded".into(),
        },
        reportable: s.regulator_reportable || s.nis_reportable,
        notified: s.notified_at.map(uk_time).unwrap_or_else(|| "Draft".into()),
        next_due: s.next_due_at.map(uk_time).unwrap_or_default(),
        late: s.reported_late || s.next_due_at.is_some_and(|d| d < now),
        severity: s
            .severity
            .map(|x| x.label().to_string())
            .unwrap_or_default(),
        assignee: r.assignee.clone().unwrap_or_default(),
    }
}

/// Options for a scale or kind, with a first "choose" entry.
fn with_blank<T: Copy>(
    all: &[T],
    first: &str,
    value: impl Fn(T) -> (&'static str, &'static str),
    selected: &str,
) -> Options {
    options(
        std::iter::once((String::new(), first.to_string())).chain(all.iter().map(|x| {
            let (v, t) = value(*x);
            (v.to_string(), t.to_string())
        })),
        selected,
    )
}

pub(crate) fn kind_options(first: &str, selected: &str) -> Options {
    with_blank(
        IncidentKind::ALL,
        first,
        |k| (k.as_str(), k.label()),
        selected,
    )
}

pub(crate) fn likelihood_options(first: &str, selected: &str) -> Options {
    with_blank(
        Likelihood::ALL,
        first,
        |k| (k.as_str(), k.label()),
        selected,
    )
}

pub(crate) fn impact_options(first: &str, selected: &str) -> Options {
    with_blank(Impact::ALL, first, |k| (k.as_str(), k.label()), selected)
}

pub(crate) fn severity_options(first: &str, selected: &str) -> Options {
    with_blank(Severity::ALL, first, |k| (k.as_str(), k.label()), selected)
}

pub(crate) fn status_options(first: &str, all: &[IncidentStatus], selected: &str) -> Options {
    with_blank(all, first, |k| (k.as_str(), k.label()), selected)
}

pub(crate) fn cia_options(chosen: &[String]) -> Vec<Opt> {
    Cia::ALL
        .iter()
        .map(|c| Opt {
            value: c.as_str().into(),
            text: c.label().into(),
            selected: chosen.iter().any(|x| x == c.as_str()),
        })
        .collect()
}

pub(crate) fn indicator_type_options() -> Options {
    with_blank(
        palisade_domain::indicator::IndicatorType::ALL,
        "Choose the type",
        |k| (k.as_str(), k.label()),
        "",
    )
}

pub(crate) fn tlp_options() -> Options {
    with_blank(
        palisade_domain::indicator::Tlp::ALL,
        "Choose the marking",
        |k| (k.as_str(), k.label()),
        "",
    )
}

/// The playbooks a triager may apply, those for the case's kind first.
pub(crate) fn playbook_options(v: &IncidentView) -> Options {
    options(
        std::iter::once((String::new(), "Choose a playbook".to_string())).chain(
            v.playbooks.iter().map(|p| {
                (
                    p.key.clone(),
                    format!("{} (version {})", p.title, p.version),
                )
            }),
        ),
        "",
    )
}

pub(crate) fn task_state_options() -> Options {
    with_blank(TaskState::ALL, "Choose", |k| (k.as_str(), k.label()), "")
}
