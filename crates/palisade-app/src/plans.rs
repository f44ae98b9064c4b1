//! Improvement plans: the organisation plans an action for everything Met still needs, its lead
//! records the SIRO's sign-off, and the national team approves (turning a published Standards
//! Not Met into Plan Agreed) or returns it.

use crate::assessments::AssessmentView;
use crate::{Actor, App, AppError, Result};
use palisade_domain::FieldErrors;
use palisade_domain::assessment::Status;
use palisade_domain::dates::{date_text, parse_date};
use palisade_domain::framework::Node;
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::people::ContactRole;
use palisade_domain::plan::{self, ActionInput, PlanState};
use palisade_domain::policy::{GlobalAction, OrgAction};
use palisade_store::{PlanActionRecord, PlanDecision, PlanFilter, PlanRecord, PlanSummary};

/// One line of a plan as shown: what it is for, and its action if planned.
#[derive(Debug, Clone)]
pub struct PlanLine {
    pub reference: String,
    /// The item's text or the outcome's title.
    pub text: String,
    /// Still needed for Standards Met today.
    pub needed: bool,
    pub action: Option<PlanActionRecord>,
    pub overdue: bool,
}

/// An assessment's plan with everything its page needs.
#[derive(Debug, Clone)]
pub struct PlanView {
    pub assessment: AssessmentView,
    pub plan: Option<PlanRecord>,
    pub lines: Vec<PlanLine>,
    /// Every reference Met still needs has an action.
    pub covers: bool,
    /// The organisation's SIRO, as its contacts name them.
    pub siro: Option<String>,
    pub may_edit: bool,
    /// Mark actions done (at any state, once a plan exists).
    pub may_progress: bool,
    pub may_sign_off: bool,
    pub may_review: bool,
}

impl PlanView {
    pub fn state(&self) -> PlanState {
        self.plan.as_ref().map_or(PlanState::Draft, |p| p.state)
    }
    pub fn revision(&self) -> i64 {
        self.plan.as_ref().map_or(0, |p| p.revision)
    }
    pub fn overdue(&self) -> usize {
        self.lines.iter().filter(|l| l.overdue).count()
    }
}

fn node_text(view: &AssessmentView, reference: &str) -> String {
    view.tree
        .node(reference)
        .map(Node::text)
        .unwrap_or_default()
        .to_string()
}

fn started(view: &AssessmentView) -> Result<i64> {
    view.record
        .as_ref()
        .map(|r| r.id)
        .ok_or_else(|| AppError::Conflict {
            field: "plan".into(),
            message: "the assessment has not been started; answer it first".into(),
        })
}

impl App {
    /// The plan of one organisation's assessment (empty until the first action is saved).
    pub async fn plan(&self, actor: &Actor, code: &str, year: i32) -> Result<PlanView> {
        let assessment = self.assessment(actor, code, year).await?;
        self.plan_view(actor, assessment).await
    }

    async fn plan_view(&self, actor: &Actor, assessment: AssessmentView) -> Result<PlanView> {
        let (plan, actions) = match &assessment.record {
            Some(r) => match self.store.plan(r.id).await? {
                Some(p) => {
                    let actions = self.store.plan_actions(p.id).await?;
                    (Some(p), actions)
                }
                None => (None, vec![]),
            },
            None => (None, vec![]),
        };
        let today = assessment.today;
        let needed = &assessment.evaluation.needed_for_met;
        let mut lines: Vec<PlanLine> = needed
            .iter()
            .map(|r| PlanLine {
                reference: r.clone(),
                text: node_text(&assessment, r),
                needed: true,
                action: None,
                overdue: false,
            })
            .collect();
        for a in actions {
            let overdue = parse_date("target_date", &a.target_date)
                .is_ok_and(|d| plan::overdue(d, a.done_on.is_some(), today));
            match lines.iter_mut().find(|l| l.reference == a.reference) {
                Some(l) => {
                    l.overdue = overdue;
                    l.action = Some(a);
                }
                None => lines.push(PlanLine {
                    text: node_text(&assessment, &a.reference),
                    reference: a.reference.clone(),
                    needed: false,
                    overdue,
                    action: Some(a),
                }),
            }
        }
        let covers = plan::covers(
            needed,
            lines
                .iter()
                .filter(|l| l.action.is_some())
                .map(|l| l.reference.as_str()),
        );
        let ancestry = &assessment.org.ancestry;
        let p = &actor.principal;
        let siro = if p.may(OrgAction::ViewContacts, ancestry) {
            self.store
                .list_contacts(assessment.org.org.id)
                .await?
                .into_iter()
                .find(|c| c.role == ContactRole::Siro)
                .map(|c| c.name)
        } else {
            None
        };
        let state = plan.as_ref().map_or(PlanState::Draft, |p| p.state);
        Ok(PlanView {
            may_edit: p.may(OrgAction::AnswerAssessment, ancestry) && state.editable(),
            may_progress: plan.is_some() && p.may(OrgAction::AnswerAssessment, ancestry),
            may_sign_off: p.may(OrgAction::SubmitAssessment, ancestry) && state.editable(),
            may_review: p.may_global(GlobalAction::ReviewPlans) && state == PlanState::SignedOff,
            assessment,
            plan,
            lines,
            covers,
            siro,
        })
    }

    /// Replaces the plan's actions. Each must be for something Met still needs (or already
    /// planned), with an owner and a target date within the framework's horizon.
    pub async fn save_plan(
        &self,
        actor: &Actor,
        code: &str,
        year: i32,
        expected_revision: i64,
        inputs: &[ActionInput],
    ) -> Result<PlanView> {
        let current = self.plan(actor, code, year).await?;
        let ancestry = &current.assessment.org.ancestry;
        if !actor.principal.may(OrgAction::AnswerAssessment, ancestry) {
            return Err(AppError::Forbidden);
        }
        let assessment_id = started(&current.assessment)?;
        if inputs.len() > 500 {
            return Err(AppError::invalid("actions", "at most 500 actions"));
        }
        let plannable: Vec<String> = current.lines.iter().map(|l| l.reference.clone()).collect();
        let checked = plan::check_actions(
            inputs,
            &plannable,
            current.assessment.today,
            current.assessment.tree.plan_horizon_months,
        )?;
        let done_on = |r: &str| {
            current
                .lines
                .iter()
                .find(|l| l.reference == r)
                .and_then(|l| l.action.as_ref())
                .and_then(|a| a.done_on.clone())
        };
        let records: Vec<PlanActionRecord> = checked
            .into_iter()
            .map(|a| PlanActionRecord {
                done_on: done_on(&a.reference),
                reference: a.reference,
                action: a.action,
                owner: a.owner,
                target_date: date_text(a.target_date),
            })
            .collect();
        let org = &current.assessment.org.org;
        let draft = self.draft(
            actor,
            "plan.save",
            "plan",
            "",
            Some(org.id),
            serde_json::json!({
                "year": year,
                "actions": records.iter().map(|a| serde_json::json!({"ref": a.reference, "target_date": a.target_date})).collect::<Vec<_>>(),
            }),
        );
        self.store
            .save_plan(
                assessment_id,
                expected_revision,
                &records,
                self.stamp(actor),
                draft,
            )
            .await?;
        self.plan(actor, code, year).await
    }

    /// Marks actions done today (or not done), whatever the plan's state.
    pub async fn mark_plan_actions(
        &self,
        actor: &Actor,
        code: &str,
        year: i32,
        done: &[(String, bool)],
    ) -> Result<PlanView> {
        let current = self.plan(actor, code, year).await?;
        let Some(plan) = &current.plan else {
            return Err(AppError::NotFound);
        };
        if !current.may_progress {
            return Err(AppError::Forbidden);
        }
        let today = date_text(current.assessment.today);
        let changes: Vec<(String, Option<String>)> = done
            .iter()
            .filter_map(|(r, d)| {
                let line = current.lines.iter().find(|l| &l.reference == r)?;
                let was = line.action.as_ref()?.done_on.is_some();
                (was != *d).then(|| (r.clone(), d.then(|| today.clone())))
            })
            .collect();
        let unknown: Vec<&String> = done
            .iter()
            .map(|(r, _)| r)
            .filter(|r| {
                !current
                    .lines
                    .iter()
                    .any(|l| &l.reference == *r && l.action.is_some())
            })
            .collect();
        if !unknown.is_empty() {
            let mut errs = FieldErrors::default();
            for r in unknown {
                errs.push(format!("actions.{r}"), "is not an action of this plan");
            }
            return Err(errs.into());
        }
        if changes.is_empty() {
            return Ok(current);
        }
        let draft = self.draft(
            actor,
            "plan.progress",
            "plan",
            plan.id.to_string(),
            Some(current.assessment.org.org.id),
            serde_json::json!({"year": year, "done": changes.iter().map(|(r, d)| serde_json::json!({"ref": r, "done_on": d})).collect::<Vec<_>>()}),
        );
        self.store
            .mark_actions(plan.id, &changes, self.stamp(actor), draft)
            .await?;
        self.plan(actor, code, year).await
    }

    /// The lead records the SIRO's sign-off. The plan must cover everything Met still needs,
    /// and the organisation must name its SIRO among its contacts.
    pub async fn sign_off_plan(
        &self,
        actor: &Actor,
        code: &str,
        year: i32,
        expected_revision: i64,
    ) -> Result<PlanView> {
        let current = self.plan(actor, code, year).await?;
        if !actor.principal.may(
            OrgAction::SubmitAssessment,
            &current.assessment.org.ancestry,
        ) {
            return Err(AppError::Forbidden);
        }
        let Some(plan) = &current.plan else {
            return Err(AppError::invalid("plan", "add the plan's actions first"));
        };
        if !current.covers {
            let missing: Vec<&str> = current
                .lines
                .iter()
                .filter(|l| l.needed && l.action.is_none())
                .map(|l| l.reference.as_str())
                .collect();
            return Err(AppError::invalid(
                "plan",
                format!("has no action yet for: {}", missing.join(", ")),
            ));
        }
        let Some(siro) = &current.siro else {
            return Err(AppError::invalid(
                "plan",
                "needs the organisation's SIRO: add them to its contacts first",
            ));
        };
        let draft = self.draft(
            actor,
            "plan.sign_off",
            "plan",
            plan.id.to_string(),
            Some(current.assessment.org.org.id),
            serde_json::json!({"year": year, "siro": siro}),
        );
        self.store
            .sign_off_plan(plan.id, expected_revision, siro, self.stamp(actor), draft)
            .await?;
        self.plan(actor, code, year).await
    }

    /// The national team approves or returns a signed-off plan. Approval of a plan covering
    /// everything Met still needs turns a published Standards Not Met into Plan Agreed.
    pub async fn review_plan(
        &self,
        actor: &Actor,
        code: &str,
        year: i32,
        expected_revision: i64,
        approve: bool,
        note: &str,
    ) -> Result<PlanView> {
        actor.require(GlobalAction::ReviewPlans)?;
        let current = self.plan(actor, code, year).await?;
        let Some(plan) = &current.plan else {
            return Err(AppError::NotFound);
        };
        let note = note.trim();
        if note.chars().count() > 2000 {
            return Err(AppError::invalid("note", "must be at most 2000 characters"));
        }
        if !approve && note.is_empty() {
            return Err(AppError::invalid(
                "note",
                "say what the organisation must change",
            ));
        }
        let agree = approve
            && current.covers
            && current.assessment.submitted()
            && current.assessment.status() == Status::StandardsNotMet;
        let draft = self.draft(
            actor,
            if approve {
                "plan.approve"
            } else {
                "plan.return"
            },
            "plan",
            plan.id.to_string(),
            Some(current.assessment.org.org.id),
            serde_json::json!({"year": year, "note": note, "plan_agreed": agree}),
        );
        self.store
            .review_plan(
                plan.id,
                expected_revision,
                &PlanDecision {
                    approve,
                    note: note.to_string(),
                    agree,
                },
                self.stamp(actor),
                draft,
            )
            .await?;
        self.plan(actor, code, year).await
    }

    /// Plans of the organisations the actor may see: for national review, or a lead's overview.
    pub async fn plans(
        &self,
        actor: &Actor,
        filter: &PlanFilter,
        page: PageRequest,
    ) -> Result<Page<PlanSummary>> {
        let scope = actor.principal.scope(OrgAction::ViewAssessment);
        let today = palisade_domain::dates::date_text(self.today());
        Ok(self.store.list_plans(&scope, filter, &today, page).await?)
    }
}
