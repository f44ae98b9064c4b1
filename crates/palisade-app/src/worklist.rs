//! Each person's worklist: what the organisations they act for must do, most urgent first, each
//! item linking to the page that resolves it. Read for every organisation at once, so a care
//! group's lead with hundreds of homes costs a few statements, not a few per home.

use crate::assessments::facts_from;
use crate::{Actor, App, Result};
use palisade_domain::assessment::{self, year_label};
use palisade_domain::charter::SignatureState;
use palisade_domain::clock::uk_time;
use palisade_domain::org::OrgType;
use palisade_domain::policy::{OrgAction, OrgId, Scope};
use palisade_store::{Organisation, WorklistFacts, incident_reference};
use std::collections::{BTreeMap, HashMap, HashSet};
use time::{Date, Duration};

/// At most this many organisations are read for one worklist; more are said, not read.
pub const WORKLIST_ORGS: i64 = 500;

/// Plan actions due within this many days are listed (overdue ones always).
const PLAN_HORIZON_DAYS: i64 = 7;

/// What a worklist item asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkKind {
    AlertResponse,
    Assessment,
    PlanAction,
    UnsupportedSystem,
    Exposure,
    IncidentTask,
    Charter,
}

impl WorkKind {
    /// The stable machine name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkKind::AlertResponse => "alert_response",
            WorkKind::Assessment => "assessment",
            WorkKind::PlanAction => "plan_action",
            WorkKind::UnsupportedSystem => "unsupported_system",
            WorkKind::Exposure => "exposure",
            WorkKind::IncidentTask => "incident_task",
            WorkKind::Charter => "charter",
        }
    }

    /// The name people read on pages.
    pub fn label(self) -> &'static str {
        match self {
            WorkKind::AlertResponse => "Alert response",
            WorkKind::Assessment => "Assessment",
            WorkKind::PlanAction => "Improvement plan",
            WorkKind::UnsupportedSystem => "Unsupported systems",
            WorkKind::Exposure => "Exposure",
            WorkKind::IncidentTask => "Incident",
            WorkKind::Charter => "Supplier charter",
        }
    }
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    pub kind: WorkKind,
    pub org_code: String,
    pub org_name: String,
    pub title: String,
    /// What is wanted, in a sentence.
    pub detail: String,
    /// When it is due (Unix seconds), if it has a deadline.
    pub due_at: Option<i64>,
    /// Past its due time and not done.
    pub late: bool,
    /// The page that resolves it.
    pub url: String,
}

impl WorkItem {
    /// "late by 2 h 05 min", "due in 1 d 4 h 00 min", "due in 207 days": to the minute within
    /// two days, in whole days beyond; nothing without a deadline.
    pub fn timing(&self, now: i64) -> Option<String> {
        use palisade_domain::incident::duration_text;
        self.due_at.map(|due| {
            let secs = if self.late { now - due } else { due - now }.max(0);
            let span = match secs / 86_400 {
                days @ 2.. => format!("{days} days"),
                _ => duration_text(secs),
            };
            if self.late {
                format!("late by {span}")
            } else {
                format!("due in {span}")
            }
        })
    }
}

/// The worklist of the organisations a person acts for.
#[derive(Debug, Clone, Default)]
pub struct Worklist {
    /// Late first, then soonest due, then those without a deadline.
    pub items: Vec<WorkItem>,
    /// How many organisations it covers.
    pub organisations: usize,
    /// The person acts for more than [`WORKLIST_ORGS`] organisations; the first, by code, are
    /// covered.
    pub truncated: bool,
    /// The estate's exposure to published alerts and known exploited vulnerabilities is still
    /// being worked out (the server has just started): those items are missing for now.
    pub exposure_pending: bool,
    /// When it was worked out (Unix seconds), for "late by" and "due in".
    pub now: i64,
}

/// The kinds of work, each with the permission that lets a person do it.
const ACTING: [(WorkKind, OrgAction); 7] = [
    (WorkKind::AlertResponse, OrgAction::RespondToAlerts),
    (WorkKind::Assessment, OrgAction::AnswerAssessment),
    (WorkKind::PlanAction, OrgAction::AnswerAssessment),
    (WorkKind::UnsupportedSystem, OrgAction::ManageInventory),
    (WorkKind::Exposure, OrgAction::ManageInventory),
    (WorkKind::IncidentTask, OrgAction::ReportIncidents),
    (WorkKind::Charter, OrgAction::SignCharter),
];

/// Which organisations each kind of work is shown for.
struct Permitted(HashMap<WorkKind, HashSet<OrgId>>);

impl Permitted {
    /// From the person's grants and each organisation's place beneath them.
    fn of(actor: &Actor, orgs: &[Organisation]) -> Self {
        let parents: HashMap<OrgId, Option<OrgId>> =
            orgs.iter().map(|o| (o.id, o.parent_id)).collect();
        let ancestry = |id: OrgId| {
            let mut chain = vec![id];
            let mut at = id;
            while let Some(Some(p)) = parents.get(&at) {
                if chain.contains(p) {
                    break;
                }
                chain.push(*p);
                at = *p;
            }
            chain
        };
        let chains: Vec<(OrgId, Vec<OrgId>)> =
            orgs.iter().map(|o| (o.id, ancestry(o.id))).collect();
        Permitted(
            ACTING
                .iter()
                .map(|(kind, action)| {
                    let ids = chains
                        .iter()
                        .filter(|(_, chain)| actor.principal.may(*action, chain))
                        .map(|(id, _)| *id)
                        .collect();
                    (*kind, ids)
                })
                .collect(),
        )
    }

    fn may(&self, kind: WorkKind, org: OrgId) -> bool {
        self.0.get(&kind).is_some_and(|ids| ids.contains(&org))
    }

    fn ids(&self, kind: WorkKind) -> Vec<OrgId> {
        let mut ids: Vec<OrgId> = self.0.get(&kind).into_iter().flatten().copied().collect();
        ids.sort_unstable();
        ids
    }
}

/// What each assessment still needs for Standards Met, as last worked out, by
/// assessment id. An entry holds for the assessment's revision (bumped by every answer,
/// document and certificate), the day (certificates expire) and the organisation's type and
/// category (the rules depend on both): it is used only while all four match.
#[derive(Default)]
pub(crate) struct NeededCache(std::sync::Mutex<HashMap<i64, Needed>>);

/// What an assessment needed: (revision, day, organisation type, category, what it needed).
type Needed = (
    i64,
    Date,
    OrgType,
    palisade_domain::org::Category,
    assessment::Needs,
);

impl NeededCache {
    fn get(
        &self,
        a: &palisade_store::AssessmentRecord,
        org: &Organisation,
        today: Date,
    ) -> Option<assessment::Needs> {
        let held = self.0.lock().ok()?;
        held.get(&a.id)
            .filter(|(rev, day, t, c, _)| {
                (*rev, *day, *t, *c) == (a.revision, today, org.org_type, org.category)
            })
            .map(|e| e.4)
    }

    fn put(
        &self,
        a: &palisade_store::AssessmentRecord,
        org: &Organisation,
        today: Date,
        n: assessment::Needs,
    ) {
        if let Ok(mut held) = self.0.lock() {
            held.insert(a.id, (a.revision, today, org.org_type, org.category, n));
        }
    }
}

/// The last second of a UK day, as a due time: every day Palisade keeps is the UK's, so a
/// deadline of 30 June is due at 23:59:59 BST.
fn end_of(day: Date) -> i64 {
    palisade_domain::clock::from_uk_local(day.next_day().unwrap_or(day).midnight()) - 1
}

impl App {
    /// What the organisations the actor acts for must do. National roles act for none (their
    /// home shows the national posture instead), so theirs is empty.
    pub async fn worklist(&self, actor: &Actor) -> Result<Worklist> {
        let mut granted: Vec<OrgId> = Vec::new();
        for (_, action) in ACTING {
            if let Scope::Within(ids) = actor.principal.scope(action) {
                granted.extend(ids);
            }
        }
        granted.sort_unstable();
        granted.dedup();
        let now = self.now();
        if granted.is_empty() {
            return Ok(Worklist {
                now,
                ..Worklist::default()
            });
        }
        let mut orgs = self
            .store
            .acting_orgs(&Scope::Within(granted), WORKLIST_ORGS + 1)
            .await?;
        let truncated = orgs.len() as i64 > WORKLIST_ORGS;
        orgs.truncate(WORKLIST_ORGS as usize);
        let permitted = Permitted::of(actor, &orgs);
        let by_id: HashMap<OrgId, &Organisation> = orgs.iter().map(|o| (o.id, o)).collect();
        let today = self.today();
        let year = self.current_year();
        let horizon = today + Duration::days(PLAN_HORIZON_DAYS);
        let ids: Vec<OrgId> = orgs.iter().map(|o| o.id).collect();
        let facts = self
            .store
            .worklist_facts(&ids, year, &palisade_domain::dates::date_text(horizon))
            .await?;
        let mut items = Vec::new();
        let mut item =
            |kind: WorkKind, org: OrgId, title: String, detail: String, due, late, url| {
                if let (true, Some(o)) = (permitted.may(kind, org), by_id.get(&org)) {
                    items.push(WorkItem {
                        kind,
                        org_code: o.code.clone(),
                        org_name: o.name.clone(),
                        title,
                        detail,
                        due_at: due,
                        late,
                        url,
                    });
                }
            };
        let code = |org: OrgId| by_id.get(&org).map(|o| o.code.clone()).unwrap_or_default();

        // Alerts: every response still asking something (an acknowledgement, or an update
        // where the response has a deadline).
        let mut responded: HashSet<(OrgId, &str)> = HashSet::new();
        for r in &facts.responses {
            responded.insert((r.org_id, r.reference.as_str()));
            let waiting = r.status == "awaiting_acknowledgement";
            if r.status == "closed" || (!waiting && r.due_at.is_none()) {
                continue;
            }
            let (title, detail) = if waiting {
                (
                    format!("Acknowledge {}", r.reference),
                    format!(
                        "{} ({} severity) awaits your acknowledgement.",
                        r.title, r.severity
                    ),
                )
            } else {
                (
                    format!("Update your response to {}", r.reference),
                    format!("{}: an update on your response is due.", r.title),
                )
            };
            let late = r.due_at.is_some_and(|d| now > d);
            let url = format!("/alerts/{}/responses/{}", r.reference, code(r.org_id));
            item(
                WorkKind::AlertResponse,
                r.org_id,
                title,
                detail,
                r.due_at,
                late,
                url,
            );
        }

        // This year's assessment, until it is submitted.
        self.assessment_items(&orgs, &by_id, &facts, year, today, &mut item)
            .await?;

        // Improvement-plan actions due within the horizon or overdue, one item per plan.
        let mut plans: BTreeMap<(OrgId, i64), (Vec<&str>, usize, Date)> = BTreeMap::new();
        for a in &facts.actions {
            let Ok(due) = palisade_domain::dates::parse_date("target_date", &a.target_date) else {
                continue;
            };
            let e = plans
                .entry((a.org_id, a.year))
                .or_insert((Vec::new(), 0, due));
            e.0.push(a.reference.as_str());
            e.1 += usize::from(due < today);
            e.2 = e.2.min(due);
        }
        for ((org, plan_year), (refs, overdue, soonest)) in plans {
            let n = refs.len();
            let title = match (n, overdue) {
                (1, 1) => "1 improvement-plan action overdue".to_string(),
                (1, _) => "1 improvement-plan action due this week".to_string(),
                (_, 0) => format!("{n} improvement-plan actions due this week"),
                _ => format!("{n} improvement-plan actions due, {overdue} overdue"),
            };
            item(
                WorkKind::PlanAction,
                org,
                title,
                format!(
                    "The plan for {}: {}. Mark each done when it is.",
                    year_label(i32::try_from(plan_year).unwrap_or(year)),
                    refs.join(", ")
                ),
                Some(end_of(soonest)),
                overdue > 0,
                format!("/organisations/{}/assessments/{plan_year}/plan", code(org)),
            );
        }

        // Unsupported systems without a mitigation.
        let estates = self
            .unmitigated_counts(&permitted.ids(WorkKind::UnsupportedSystem), today)
            .await?;
        let mut estates: Vec<(OrgId, usize)> =
            estates.into_iter().map(|(org, (_, n))| (org, n)).collect();
        estates.sort_unstable();
        for (org, n) in estates.into_iter().filter(|(_, n)| *n > 0) {
            let systems = if n == 1 { "system" } else { "systems" };
            item(
                WorkKind::UnsupportedSystem,
                org,
                format!("{n} unsupported {systems} without a mitigation"),
                "Replace them, or record what keeps each one safe until it is replaced."
                    .to_string(),
                None,
                false,
                format!("/organisations/{}/estate", code(org)),
            );
        }

        // Published alerts the estate runs that the organisation was not asked to answer.
        let exposed: HashSet<OrgId> = permitted.ids(WorkKind::Exposure).into_iter().collect();
        let exposure = self.estate_exposure(&exposed).await?;
        let exposure_pending = exposure.is_none();
        let exposure = exposure.unwrap_or_default();
        for (org, reference, title) in exposure.alerts {
            if responded.contains(&(org, reference.as_str())) {
                continue;
            }
            item(
                WorkKind::Exposure,
                org,
                format!("Your estate runs what {reference} names"),
                format!("{title}: check the components it names and act on the alert."),
                None,
                false,
                format!("/alerts/{reference}"),
            );
        }

        // Known exploited vulnerabilities naming what the estate runs, one item per organisation.
        for (org, n) in exposure.exploited {
            let title = if n == 1 {
                "A known exploited vulnerability names".to_string()
            } else {
                format!("{n} known exploited vulnerabilities name")
            };
            item(
                WorkKind::Exposure,
                org,
                format!("{title} what your estate runs"),
                "Attackers are exploiting these now: see the components named under Exposure, \
                 then update, replace or mitigate them."
                    .to_string(),
                None,
                false,
                format!("/organisations/{}/estate#exposure", code(org)),
            );
        }

        // Open playbook tasks, one item per incident.
        let mut tasks: BTreeMap<(OrgId, i64), (usize, Option<i64>, &str)> = BTreeMap::new();
        for t in &facts.tasks {
            let e = tasks
                .entry((t.org_id, t.incident_id))
                .or_insert((0, None, t.title.as_str()));
            e.0 += 1;
            if let Some(d) = t.due_at
                && e.1.is_none_or(|soonest| d < soonest)
            {
                e.1 = Some(d);
                e.2 = t.title.as_str();
            }
        }
        for ((org, incident), (open, due, next)) in tasks {
            let reference = incident_reference(incident);
            let tasks = if open == 1 { "task" } else { "tasks" };
            item(
                WorkKind::IncidentTask,
                org,
                format!("{reference}: {open} open {tasks}"),
                format!("Next: {next}."),
                due,
                due.is_some_and(|d| now > d),
                format!("/organisations/{}/incidents/{reference}", code(org)),
            );
        }

        // Messages from the national team not yet answered, one item per incident.
        let mut asked: BTreeMap<(OrgId, i64), (usize, &palisade_store::UnansweredMessage)> =
            BTreeMap::new();
        for m in &facts.messages {
            let e = asked.entry((m.org_id, m.incident_id)).or_insert((0, m));
            e.0 += 1;
            e.1 = m;
        }
        for ((org, incident), (n, latest)) in asked {
            let reference = incident_reference(incident);
            let snippet: String = latest.text.chars().take(140).collect();
            let more = if latest.text.chars().count() > 140 {
                "..."
            } else {
                ""
            };
            let waiting = if n == 1 {
                "Their message".to_string()
            } else {
                format!("{n} messages unanswered; the latest")
            };
            item(
                WorkKind::IncidentTask,
                org,
                format!("{reference}: the national team is waiting for your reply"),
                format!("{waiting}, {}: \"{snippet}{more}\"", uk_time(latest.at)),
                None,
                false,
                format!("/organisations/{}/incidents/{reference}", code(org)),
            );
        }

        // Suppliers: the charter, when it is not signed or its signature needs renewing.
        let suppliers: Vec<Organisation> = orgs
            .iter()
            .filter(|o| o.org_type == OrgType::ItSupplier && permitted.may(WorkKind::Charter, o.id))
            .cloned()
            .collect();
        if !suppliers.is_empty()
            && let Ok(current) = self.charter().await
        {
            let standings = self.standings(&suppliers, Some(&current.charter)).await?;
            for (org, standing) in suppliers.iter().zip(standings) {
                let due = standing
                    .expires_on
                    .filter(|_| standing.state != SignatureState::Withdrawn)
                    .map(end_of);
                let (title, late) = match standing.state {
                    SignatureState::Signed => continue,
                    SignatureState::ReaffirmationDue => ("Reaffirm the supplier charter", false),
                    SignatureState::Lapsed => ("Sign the supplier charter again: it lapsed", true),
                    SignatureState::NotSigned => ("Sign the supplier charter", false),
                    SignatureState::Withdrawn => ("The supplier charter is withdrawn", false),
                };
                item(
                    WorkKind::Charter,
                    org.id,
                    title.to_string(),
                    format!(
                        "{} (version {}): signed by a board-level lead, renewed every 12 months.",
                        current.charter.title, current.charter.version
                    ),
                    due,
                    late,
                    format!("/organisations/{}/charter", org.code),
                );
            }
        }

        items.sort_by(|a, b| {
            (!a.late, a.due_at.is_none(), a.due_at, &a.org_code, &a.title).cmp(&(
                !b.late,
                b.due_at.is_none(),
                b.due_at,
                &b.org_code,
                &b.title,
            ))
        });
        Ok(Worklist {
            items,
            organisations: orgs.len(),
            truncated,
            exposure_pending,
            now,
        })
    }

    /// An item for each organisation whose assessment for `year` is not yet submitted: what it
    /// still needs for Standards Met, and the deadline. What an assessment needs is worked out
    /// once per change: only those changed since (or new today) have their answers read.
    async fn assessment_items(
        &self,
        orgs: &[Organisation],
        by_id: &HashMap<OrgId, &Organisation>,
        facts: &WorklistFacts,
        year: i32,
        today: Date,
        item: &mut impl FnMut(WorkKind, OrgId, String, String, Option<i64>, bool, String),
    ) -> Result<()> {
        let started: HashMap<OrgId, &palisade_store::AssessmentRecord> =
            facts.assessments.iter().map(|a| (a.org_id, a)).collect();
        let mut needed: HashMap<i64, assessment::Needs> = HashMap::new();
        let mut missing = Vec::new();
        for a in facts.assessments.iter().filter(|a| !a.submitted) {
            let Some(org) = by_id.get(&a.org_id) else {
                continue;
            };
            match self.needed_cache.get(a, org, today) {
                Some(n) => {
                    needed.insert(a.id, n);
                }
                None => missing.push(a.clone()),
            }
        }
        for held in self.store.assessment_facts(missing).await? {
            let Some(org) = by_id.get(&held.record.org_id) else {
                continue;
            };
            let (_, tree) = self.framework(held.record.framework_id).await?;
            let facts = facts_from(
                held.answers.iter().map(|(r, v)| (r.as_str(), v.as_str())),
                held.documents.iter().map(String::as_str),
                &held.certificates,
            );
            let n = assessment::evaluate(&tree, org.org_type, org.category, &facts, today).needs;
            self.needed_cache.put(&held.record, org, today, n);
            needed.insert(held.record.id, n);
        }
        // Not started: what a framework needs of nothing answered, by type and category.
        let mut current = HashMap::new();
        let mut untouched: HashMap<
            (i64, OrgType, palisade_domain::org::Category),
            assessment::Needs,
        > = HashMap::new();
        for org in orgs {
            let held = started.get(&org.id);
            if held.is_some_and(|a| a.submitted) {
                continue;
            }
            let framework_id = match held {
                Some(a) => a.framework_id,
                None => {
                    let id = match current.get(&org.category) {
                        Some(known) => *known,
                        None => {
                            let found = self.store.current_framework(year, org.category).await?;
                            let id = found.map(|f| f.id);
                            current.insert(org.category, id);
                            id
                        }
                    };
                    match id {
                        Some(id) => id,
                        None => continue,
                    }
                }
            };
            let (_, tree) = self.framework(framework_id).await?;
            let needed = match held {
                Some(a) => match needed.get(&a.id) {
                    Some(n) => *n,
                    None => continue,
                },
                None => *untouched
                    .entry((framework_id, org.org_type, org.category))
                    .or_insert_with(|| {
                        let nothing = facts_from(std::iter::empty(), std::iter::empty(), &[]);
                        assessment::evaluate(&tree, org.org_type, org.category, &nothing, today)
                            .needs
                    }),
            };
            let mut detail = match needed.total() {
                0 => "Everything Standards Met asks for is in: submit it.".to_string(),
                _ => format!("Standards Met still needs: {}.", needed.text()),
            };
            if let Some(baseline) = tree
                .interim_baseline_for(org.category)
                .filter(|b| *b >= today)
            {
                detail.push_str(&format!(
                    " Interim baseline: {}.",
                    assessment::days_left_text(baseline, today)
                ));
            }
            let state = if held.is_some() {
                "not submitted"
            } else {
                "not started"
            };
            item(
                WorkKind::Assessment,
                org.id,
                format!(
                    "Assessment {} {state}: {}",
                    year_label(year),
                    assessment::days_left_text(tree.deadline, today)
                ),
                detail,
                Some(end_of(tree.deadline)),
                today > tree.deadline,
                format!("/organisations/{}/assessments/{year}", org.code),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(due_at: Option<i64>, late: bool) -> WorkItem {
        WorkItem {
            kind: WorkKind::AlertResponse,
            org_code: "R41".into(),
            org_name: "Trust".into(),
            title: String::new(),
            detail: String::new(),
            due_at,
            late,
            url: String::new(),
        }
    }

    #[test]
    fn timing_is_to_the_minute_within_two_days_and_in_days_beyond() {
        let now = 1_000_000;
        assert_eq!(due(None, false).timing(now), None);
        let almost = now + 2 * 86_400 - 60;
        assert_eq!(
            due(Some(almost), false).timing(now).unwrap(),
            "due in 1 d 23 h 59 min"
        );
        assert_eq!(
            due(Some(now + 2 * 86_400), false).timing(now).unwrap(),
            "due in 2 days"
        );
        assert_eq!(
            due(Some(now - 125 * 60), true).timing(now).unwrap(),
            "late by 2 h 05 min"
        );
        assert_eq!(
            due(Some(now - 9 * 86_400 - 5), true).timing(now).unwrap(),
            "late by 9 days"
        );
    }

    #[test]
    fn a_due_day_ends_at_its_last_second() {
        // 23:59:59 UTC on 30 June 2027 is 1_814_399_999; in British Summer Time the UK day
        // ends an hour before the UTC one, in winter with it.
        let day = time::macros::date!(2027 - 06 - 30);
        assert_eq!(end_of(day), 1_814_399_999 - 3600);
        let winter = time::macros::date!(2027 - 01 - 15);
        assert_eq!(end_of(winter), 1_800_057_599);
    }
}
