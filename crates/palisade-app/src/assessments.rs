//! Frameworks and the annual assessment: import, answer, certify, submit, reopen, and the public
//! and national views of the statuses that result.

use crate::auth::sha256_hex;
use crate::exports::{Chunks, Download, csv_in_chunks, in_chunks};
use crate::orgs::OrgView;
use crate::{Actor, App, AppError, Result};
use palisade_domain::assessment::{
    self, CertificateFact, Evaluation, Facts, Status, StatusInputs, canonical_answer, current_year,
    decide_status,
};
use palisade_domain::dates::parse_date;
use palisade_domain::framework::{self, Framework};
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::{GlobalAction, OrgAction, Scope};
use palisade_domain::{FieldError, FieldErrors};
use palisade_formats::catalogs::{self, CatalogParams, SourceFormat};
use palisade_store::{
    AnswerChange, AnswerRecord, AssessmentKey, AssessmentParts, AssessmentRecord,
    CertificateRecord, EvidenceRecord, FrameworkRecord, NewCertificate, NewFramework, PublicStatus,
    PublicationRecord, Stamp, StatusFilter,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use time::Date;

/// Most answers one bulk call may carry.
pub const MAX_ANSWERS_PER_CALL: usize = 1000;
/// Most certificates one assessment may hold.
pub const MAX_CERTIFICATES: usize = 20;

/// Parsed frameworks by id. Frameworks never change once imported, so entries never go stale.
#[derive(Default)]
pub struct FrameworkCache(RwLock<HashMap<i64, (FrameworkRecord, Arc<Framework>)>>);

/// One answer as a caller sends it: the value as JSON (`null` clears it).
#[derive(Debug, Clone)]
pub struct AnswerInput {
    pub reference: String,
    pub value: serde_json::Value,
    /// The version the caller last saw (0 when unanswered); omitted, the answer is written
    /// whatever its current version.
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct CertificateInput {
    pub kind: String,
    pub reference: String,
    pub expires_on: String,
}

/// An assessment about to change: its organisation, its row (if started) and its framework.
pub(crate) struct Context {
    pub(crate) org: OrgView,
    pub(crate) year: i32,
    pub(crate) record: Option<AssessmentRecord>,
    pub(crate) framework: FrameworkRecord,
    pub(crate) tree: Arc<Framework>,
}

impl Context {
    fn submitted(&self) -> bool {
        self.record.as_ref().is_some_and(|r| r.submitted)
    }

    pub(crate) fn refuse_if_locked(&self) -> Result<()> {
        if self.submitted() {
            Err(locked())
        } else {
            Ok(())
        }
    }

    pub(crate) fn key(&self) -> AssessmentKey {
        AssessmentKey {
            org_id: self.org.org.id,
            year: self.year,
            framework_id: self.framework.id,
        }
    }
}

/// Why a submitted assessment refuses a change.
pub(crate) fn locked() -> AppError {
    AppError::Conflict {
        field: "assessment".into(),
        message: "the assessment has been submitted and is locked; reopen it to make changes"
            .into(),
    }
}

fn past_deadline(ctx: &Context, consequence: &str) -> AppError {
    AppError::Conflict {
        field: "assessment".into(),
        message: format!(
            "the deadline ({}) has passed: {consequence}",
            palisade_domain::dates::date_text(ctx.tree.deadline)
        ),
    }
}

/// Everything a page or the API shows about one organisation's assessment for one year.
#[derive(Debug, Clone)]
pub struct AssessmentView {
    pub org: OrgView,
    pub year: i32,
    pub framework: FrameworkRecord,
    pub tree: Arc<Framework>,
    /// `None` until the first answer is saved.
    pub record: Option<AssessmentRecord>,
    pub answers: BTreeMap<String, AnswerRecord>,
    pub certificates: Vec<CertificateRecord>,
    pub evidence: Vec<EvidenceRecord>,
    pub publications: Vec<PublicationRecord>,
    pub evaluation: Evaluation,
    /// The answers, documents and certificates as the rules read them.
    pub facts: Facts,
    pub today: Date,
    pub may_answer: bool,
    pub may_submit: bool,
}

impl AssessmentView {
    pub fn status(&self) -> Status {
        self.record
            .as_ref()
            .map(|r| r.status)
            .unwrap_or(Status::NotPublished)
    }
    pub fn submitted(&self) -> bool {
        self.record.as_ref().is_some_and(|r| r.submitted)
    }
    pub fn published_at(&self) -> Option<i64> {
        self.record.as_ref().and_then(|r| r.published_at)
    }
    pub fn days_left(&self) -> i64 {
        assessment::days_left(self.tree.deadline, self.today)
    }
    pub fn days_left_text(&self) -> String {
        assessment::days_left_text(self.tree.deadline, self.today)
    }
    /// The actor may reopen it: submitted, the deadline not passed, and the actor may submit.
    /// `reopen` applies the same rule, so a page never offers what the use-case refuses.
    pub fn may_reopen(&self) -> bool {
        self.may_submit
            && self.submitted()
            && assessment::before_deadline(self.tree.deadline, self.today)
    }
    /// Answers can change: open (not submitted) and the actor may answer.
    pub fn editable(&self) -> bool {
        self.may_answer && !self.submitted()
    }

    /// Whether a recorded certificate is valid today (the same rule Exceeded uses).
    pub fn certificate_valid(&self, c: &CertificateRecord) -> bool {
        certificate_fact(c).is_some_and(|f| f.valid_on(self.today))
    }
}

impl App {
    /// Today as the UK calendar has it. Every day Palisade keeps (deadlines, plan actions,
    /// certificates, a charter's days) is one people in England write, so at 00:30 BST on
    /// 1 July the 30 June deadline has passed, although it is still 30 June in UTC.
    pub fn today(&self) -> Date {
        palisade_domain::clock::uk_local(self.now()).0.date()
    }

    /// The assessment year running today.
    pub fn current_year(&self) -> i32 {
        current_year(self.today())
    }

    /// The organisation's status for the current year, or `None` when the actor may not see its
    /// assessment.
    pub async fn current_status(
        &self,
        actor: &Actor,
        view: &OrgView,
    ) -> Result<Option<(i32, Status)>> {
        if !actor
            .principal
            .may(OrgAction::ViewAssessment, &view.ancestry)
        {
            return Ok(None);
        }
        let year = self.current_year();
        let status = self
            .store
            .get_assessment(view.org.id, year)
            .await?
            .map_or(Status::NotPublished, |r| r.status);
        Ok(Some((year, status)))
    }

    /// Imports a framework file: Palisade's own format, or (with `params`) an OSCAL catalog or a
    /// CISO Assistant library. Returns the stored version and whether it was new.
    pub async fn import_framework(
        &self,
        actor: &Actor,
        text: &str,
        params: Option<CatalogParams>,
    ) -> Result<(FrameworkRecord, bool)> {
        actor.require(GlobalAction::ManageFrameworks)?;
        let fw = match (SourceFormat::detect(text), params) {
            (SourceFormat::Palisade, _) => framework::parse(text)?,
            (SourceFormat::OscalCatalog, Some(p)) => catalogs::from_oscal(text, &p)?,
            (SourceFormat::CisoAssistant, Some(p)) => catalogs::from_ciso_assistant(text, &p)?,
            (_, None) => {
                return Err(AppError::invalid(
                    "file",
                    "an OSCAL catalog or CISO Assistant library needs a key, year, categories and deadline",
                ));
            }
        };
        self.import_parsed(actor, &fw).await
    }

    /// Stores a framework already read and validated (see [`App::import_framework`]).
    pub(crate) async fn import_parsed(
        &self,
        actor: &Actor,
        fw: &Framework,
    ) -> Result<(FrameworkRecord, bool)> {
        actor.require(GlobalAction::ManageFrameworks)?;
        let document = fw.canonical_json();
        let new = NewFramework {
            key: fw.key.clone(),
            year: fw.year,
            version: fw.version.clone(),
            kind: fw.kind,
            name: fw.name.clone(),
            deadline: palisade_domain::dates::date_text(fw.deadline),
            categories: fw.categories.clone(),
            content_hash: sha256_hex(&document),
            document,
        };
        let draft = self.draft(
            actor,
            "framework.import",
            "framework",
            "",
            None,
            serde_json::json!({
                "key": fw.key, "year": fw.year, "version": fw.version, "kind": fw.kind.as_str(),
                "content_hash": new.content_hash,
            }),
        );
        Ok(self.store.import_framework(&new, draft).await?)
    }

    /// Frameworks are published material: any signed-in person may read them.
    pub async fn list_frameworks(&self) -> Result<Vec<FrameworkRecord>> {
        Ok(self.store.list_frameworks().await?)
    }

    pub async fn framework(&self, id: i64) -> Result<(FrameworkRecord, Arc<Framework>)> {
        if let Some(hit) = self
            .frameworks
            .0
            .read()
            .expect("framework cache lock")
            .get(&id)
        {
            return Ok(hit.clone());
        }
        let (record, doc) = self
            .store
            .framework_document(id)
            .await?
            .ok_or(AppError::NotFound)?;
        let tree = Arc::new(framework::parse(&doc).map_err(|e| {
            AppError::Internal(format!("stored framework {id} no longer parses: {e}"))
        })?);
        self.frameworks
            .0
            .write()
            .expect("framework cache lock")
            .insert(id, (record.clone(), tree.clone()));
        Ok((record, tree))
    }

    /// The framework an assessment uses: its own once started, else the newest for the year and
    /// the organisation's category.
    async fn framework_for(
        &self,
        org: &OrgView,
        year: i32,
        record: Option<&AssessmentRecord>,
    ) -> Result<(FrameworkRecord, Arc<Framework>)> {
        let id = match record {
            Some(r) => r.framework_id,
            None => {
                self.store
                    .current_framework(year, org.org.category)
                    .await?
                    .ok_or_else(|| {
                        AppError::invalid(
                            "year",
                            format!(
                                "no framework is published for {} and category {}",
                                assessment::year_label(year),
                                org.org.category.number()
                            ),
                        )
                    })?
                    .id
            }
        };
        self.framework(id).await
    }

    pub async fn assessment(&self, actor: &Actor, code: &str, year: i32) -> Result<AssessmentView> {
        let org = self.org_for(actor, code, OrgAction::ViewAssessment).await?;
        check_year(year)?;
        // The row and its parts in one read.
        let (record, parts) = match self.store.assessment_with_parts(org.org.id, year).await? {
            Some((record, parts)) => (Some(record), parts),
            None => (None, AssessmentParts::default()),
        };
        let ctx = self.context_of(org, year, record).await?;
        Ok(self.view_with(actor, ctx, parts))
    }

    /// What a change needs to know: the assessment row (if started) and its framework. Reads
    /// neither the answers nor the evaluation, which only the view after the change needs.
    pub(crate) async fn context(&self, org: OrgView, year: i32) -> Result<Context> {
        check_year(year)?;
        let record = self.store.get_assessment(org.org.id, year).await?;
        self.context_of(org, year, record).await
    }

    /// The context around `record`, the assessment of `org` in `year` as the caller read it.
    async fn context_of(
        &self,
        org: OrgView,
        year: i32,
        record: Option<AssessmentRecord>,
    ) -> Result<Context> {
        let (framework, tree) = self.framework_for(&org, year, record.as_ref()).await?;
        Ok(Context {
            org,
            year,
            record,
            framework,
            tree,
        })
    }

    /// The whole picture: answers, certificates, evidence and publications, and the evaluation
    /// on today's date.
    pub(crate) async fn view(&self, actor: &Actor, ctx: Context) -> Result<AssessmentView> {
        let parts = match &ctx.record {
            Some(r) => self.store.assessment_parts(r.id).await?,
            None => AssessmentParts::default(),
        };
        Ok(self.view_with(actor, ctx, parts))
    }

    /// [`Self::view`] of `parts`, read with the context's row.
    fn view_with(&self, actor: &Actor, ctx: Context, parts: AssessmentParts) -> AssessmentView {
        let AssessmentParts {
            answers,
            certificates,
            evidence,
            publications,
        } = parts;
        let today = self.today();
        let facts = facts_of(&answers, &certificates, &evidence);
        let org = &ctx.org;
        let evaluation =
            assessment::evaluate(&ctx.tree, org.org.org_type, org.org.category, &facts, today);
        let may_answer = actor
            .principal
            .may(OrgAction::AnswerAssessment, &org.ancestry);
        let may_submit = actor
            .principal
            .may(OrgAction::SubmitAssessment, &org.ancestry);
        AssessmentView {
            org: ctx.org,
            year: ctx.year,
            framework: ctx.framework,
            tree: ctx.tree,
            record: ctx.record,
            answers: answers
                .into_iter()
                .map(|a| (a.reference.clone(), a))
                .collect(),
            certificates,
            evidence,
            publications,
            evaluation,
            facts,
            today,
            may_answer,
            may_submit,
        }
    }

    pub(crate) fn stamp(&self, actor: &Actor) -> Stamp {
        Stamp {
            at: self.now(),
            user_id: actor.user_id,
        }
    }

    /// Saves many answers in one transaction. Every answer is checked first; one bad answer
    /// refuses the whole call, naming each problem. Returns the assessment as it now stands and
    /// the references changed.
    pub async fn save_answers(
        &self,
        actor: &Actor,
        code: &str,
        year: i32,
        inputs: &[AnswerInput],
    ) -> Result<(AssessmentView, Vec<String>)> {
        let (ctx, changed) = self.write_answers(actor, code, year, inputs).await?;
        Ok((self.view(actor, ctx).await?, changed))
    }

    /// [`Self::save_answers`] for a caller that shows the assessment by reading it again (a
    /// page's redirect): the references changed, without reading the assessment's parts and
    /// evaluating them for a view no one would see.
    pub async fn save_answers_without_view(
        &self,
        actor: &Actor,
        code: &str,
        year: i32,
        inputs: &[AnswerInput],
    ) -> Result<Vec<String>> {
        Ok(self.write_answers(actor, code, year, inputs).await?.1)
    }

    /// The save of [`Self::save_answers`]: the context after it, and the references changed.
    async fn write_answers(
        &self,
        actor: &Actor,
        code: &str,
        year: i32,
        inputs: &[AnswerInput],
    ) -> Result<(Context, Vec<String>)> {
        let org = self
            .org_for(actor, code, OrgAction::AnswerAssessment)
            .await?;
        if inputs.is_empty() {
            return Err(AppError::invalid("answers", "send at least one answer"));
        }
        if inputs.len() > MAX_ANSWERS_PER_CALL {
            return Err(AppError::invalid(
                "answers",
                format!("at most {MAX_ANSWERS_PER_CALL} answers per call"),
            ));
        }
        check_year(year)?;
        // The assessment and the answers the save touches, in one read that the store's save
        // plans against (it reads again if the assessment changes before it writes).
        let refs: Vec<&str> = inputs.iter().map(|i| i.reference.as_str()).collect();
        let read = self.store.read_for_save(org.org.id, year, &refs).await?;
        let record = read.as_ref().map(|r| r.record.clone());
        let mut ctx = self.context_of(org, year, record).await?;
        ctx.refuse_if_locked()?;
        let mut errs = FieldErrors::default();
        let mut seen = std::collections::HashSet::new();
        let mut changes = Vec::with_capacity(inputs.len());
        for input in inputs {
            if !seen.insert(input.reference.as_str()) {
                errs.push(
                    format!("answers.{}", input.reference),
                    "is answered twice in one call",
                );
                continue;
            }
            match canonical_answer(
                &ctx.tree,
                ctx.org.org.org_type,
                &input.reference,
                &input.value,
            ) {
                Ok(value) => changes.push(AnswerChange {
                    reference: input.reference.clone(),
                    value,
                    expected_version: input.expected_version,
                }),
                Err(e) => errs.0.push(e),
            }
        }
        errs.into_result()?;
        let draft = self.draft(
            actor,
            "assessment.answers",
            "assessment",
            "",
            Some(ctx.org.org.id),
            serde_json::Value::Null,
        );
        let (record, changed) = self
            .store
            .save_answers(ctx.key(), &changes, read, self.stamp(actor), draft)
            .await?;
        ctx.record = Some(record);
        Ok((ctx, changed))
    }

    /// Replaces the assessment's certificates (Cyber Essentials Plus and the like).
    pub async fn set_certificates(
        &self,
        actor: &Actor,
        code: &str,
        year: i32,
        inputs: &[CertificateInput],
    ) -> Result<AssessmentView> {
        let org = self
            .org_for(actor, code, OrgAction::AnswerAssessment)
            .await?;
        let mut ctx = self.context(org, year).await?;
        ctx.refuse_if_locked()?;
        if inputs.len() > MAX_CERTIFICATES {
            return Err(AppError::invalid(
                "certificates",
                format!("at most {MAX_CERTIFICATES} certificates"),
            ));
        }
        let mut errs = FieldErrors::default();
        let mut certs = Vec::new();
        for (i, c) in inputs.iter().enumerate() {
            let field = format!("certificates[{i}]");
            if ctx.tree.certificate(&c.kind).is_none() {
                let known: Vec<&str> = ctx
                    .tree
                    .certificates
                    .iter()
                    .map(|k| k.key.as_str())
                    .collect();
                errs.push(
                    format!("{field}.kind"),
                    format!("'{}' is not one of: {}", c.kind, known.join(", ")),
                );
            }
            let reference = errs.take(palisade_domain::error::bounded_text(
                &format!("{field}.reference"),
                &c.reference,
                1,
                100,
            ));
            let expires = errs.take(parse_date(&format!("{field}.expires_on"), &c.expires_on));
            if let (Some(reference), Some(expires)) = (reference, expires) {
                certs.push(NewCertificate {
                    kind: c.kind.clone(),
                    reference,
                    expires_on: palisade_domain::dates::date_text(expires),
                });
            }
        }
        errs.into_result()?;
        let draft = self.draft(
            actor,
            "assessment.certificates",
            "assessment",
            "",
            Some(ctx.org.org.id),
            serde_json::json!({
                "year": year,
                "certificates": certs.iter().map(|c| serde_json::json!({"kind": c.kind, "expires_on": c.expires_on})).collect::<Vec<_>>(),
            }),
        );
        let record = self
            .store
            .set_certificates(ctx.key(), &certs, self.stamp(actor), draft)
            .await?;
        ctx.record = Some(record);
        self.view(actor, ctx).await
    }

    /// Submits the assessment: decides its status from the answers as they stand, locks it and
    /// publishes the status. A first submission after the deadline is accepted and marked late;
    /// re-publishing is allowed until the deadline (inclusive) only.
    pub async fn submit(&self, actor: &Actor, code: &str, year: i32) -> Result<AssessmentView> {
        let org = self
            .org_for(actor, code, OrgAction::SubmitAssessment)
            .await?;
        let ctx = self.context(org, year).await?;
        if ctx.submitted() {
            return Err(AppError::Conflict {
                field: "assessment".into(),
                message: "the assessment is already submitted; reopen it to change and resubmit"
                    .into(),
            });
        }
        let today = self.today();
        let late = today > ctx.tree.deadline;
        let republish = ctx
            .record
            .as_ref()
            .is_some_and(|r| r.published_at.is_some());
        if republish && late {
            return Err(past_deadline(&ctx, "the published status stands"));
        }
        let revision = ctx.record.as_ref().map_or(0, |r| r.revision);
        let key = ctx.key();
        // The status is decided from the view read here and published only if the assessment
        // is still at this revision.
        let view = self.view(actor, ctx).await?;
        let (status, _) = self.status_if_submitted(&view).await?;
        let e = &view.evaluation;
        let draft = self.draft(
            actor,
            if republish {
                "assessment.republish"
            } else {
                "assessment.submit"
            },
            "assessment",
            "",
            Some(view.org.org.id),
            serde_json::json!({
                "year": year, "status": status.as_str(), "late": late,
                "framework_id": view.framework.id, "still_needed_for_met": e.needed_for_met.len(),
            }),
        );
        let record = self
            .store
            .publish(key, revision, status, late, self.stamp(actor), draft)
            .await?;
        // The assessment as the publication left it; its parts are read again for the new
        // publication.
        let ctx = self.context_of(view.org, year, Some(record)).await?;
        self.view(actor, ctx).await
    }

    /// The status the assessment would publish if submitted now: its evaluation today and the
    /// previous year's published status (Approaching is never allowed two years running); with
    /// the state of the improvement plan it took into account, if there is one.
    pub async fn status_if_submitted(
        &self,
        view: &AssessmentView,
    ) -> Result<(Status, Option<palisade_domain::plan::PlanState>)> {
        let previous = self
            .store
            .get_assessment(view.org.org.id, view.year - 1)
            .await?
            .map(|r| r.status)
            .filter(|s| *s != Status::NotPublished);
        let e = &view.evaluation;
        // A plan counts once the SIRO has signed it off, and only if it covers what Met needs.
        let plan = match &view.record {
            Some(r) => self.store.plan(r.id).await?,
            None => None,
        };
        let (plan_covers_unmet, plan_approved) = match &plan {
            Some(p) if p.state.signed() => {
                let actions = self.store.plan_actions(p.id).await?;
                let covers = palisade_domain::plan::covers(
                    &e.needed_for_met,
                    actions.iter().map(|a| a.reference.as_str()),
                );
                (
                    covers,
                    covers && p.state == palisade_domain::plan::PlanState::Approved,
                )
            }
            _ => (false, false),
        };
        let status = decide_status(StatusInputs {
            met: e.met,
            approaching_met: e.approaching_met,
            exceeding_certificate: e.exceeding_certificate,
            plan_covers_unmet,
            plan_approved,
            previous,
        });
        Ok((status, plan.map(|p| p.state)))
    }

    /// Reopens a submitted assessment for changes until the deadline (inclusive). The published
    /// status stands until the assessment is submitted again.
    pub async fn reopen(&self, actor: &Actor, code: &str, year: i32) -> Result<AssessmentView> {
        let org = self
            .org_for(actor, code, OrgAction::SubmitAssessment)
            .await?;
        let mut ctx = self.context(org, year).await?;
        let Some(record) = ctx.record.as_ref().filter(|r| r.submitted) else {
            return Err(AppError::Conflict {
                field: "assessment".into(),
                message: "the assessment is not submitted".into(),
            });
        };
        if !assessment::before_deadline(ctx.tree.deadline, self.today()) {
            return Err(past_deadline(
                &ctx,
                "a published assessment can no longer be reopened",
            ));
        }
        let draft = self.draft(
            actor,
            "assessment.reopen",
            "assessment",
            "",
            Some(ctx.org.org.id),
            serde_json::json!({"year": year, "status": record.status.as_str()}),
        );
        let record = self
            .store
            .reopen(record.id, self.stamp(actor), draft)
            .await?;
        ctx.record = Some(record);
        self.view(actor, ctx).await
    }

    /// The public register: code, name, type, published status and date, nothing else. Needs no
    /// sign-in; inactive organisations are left out.
    pub async fn public_statuses(
        &self,
        year: i32,
        q: Option<String>,
        page: PageRequest,
    ) -> Result<Page<PublicStatus>> {
        check_year(year)?;
        let filter = StatusFilter {
            q,
            ..StatusFilter::default()
        };
        Ok(self
            .store
            .list_statuses(&Scope::All, year, &filter, Some(page))
            .await?)
    }

    /// The public register as CSV: `code,name,type,status,published_at` for every match, read
    /// as the download is sent.
    pub async fn public_statuses_csv(&self, year: i32, q: Option<String>) -> Result<Download> {
        Ok(csv_in_chunks(
            &["code", "name", "type", "status", "published_at"],
            self.public_status_chunks(year, q).await?,
            |p| {
                vec![
                    p.code.clone(),
                    p.name.clone(),
                    p.org_type.as_str().to_string(),
                    p.status.as_str().to_string(),
                    palisade_domain::clock::rfc3339_opt(p.published_at).unwrap_or_default(),
                ]
            },
        ))
    }

    /// Every match of the public register, a chunk at a time (for downloads).
    pub(crate) async fn public_status_chunks(
        &self,
        year: i32,
        q: Option<String>,
    ) -> Result<Chunks<PublicStatus>> {
        check_year(year)?;
        let store = self.store.clone();
        let filter = StatusFilter {
            q,
            ..StatusFilter::default()
        };
        let next = move |after: Option<String>, limit| {
            let (store, filter) = (store.clone(), filter.clone());
            async move {
                store
                    .statuses_after(&Scope::All, year, &filter, after.as_deref(), limit)
                    .await
            }
        };
        in_chunks(next, |p: &PublicStatus| &p.code).await
    }

    /// Statuses of the organisations the actor may see (national drill-down, lead overview).
    pub async fn statuses(
        &self,
        actor: &Actor,
        year: i32,
        filter: &StatusFilter,
        page: PageRequest,
    ) -> Result<Page<PublicStatus>> {
        check_year(year)?;
        let scope = actor.principal.scope(OrgAction::ViewAssessment);
        Ok(self
            .store
            .list_statuses(&scope, year, filter, Some(page))
            .await?)
    }
}

pub fn check_year(year: i32) -> Result<()> {
    if framework::YEARS.contains(&year) {
        Ok(())
    } else {
        Err(FieldError::new("year", "must be between 2000 and 2100").into())
    }
}

fn facts_of(
    answers: &[AnswerRecord],
    certificates: &[CertificateRecord],
    evidence: &[EvidenceRecord],
) -> Facts {
    facts_from(
        answers
            .iter()
            .map(|a| (a.reference.as_str(), a.value.as_str())),
        evidence.iter().map(|e| e.reference.as_str()),
        certificates,
    )
}

/// The rules' view of an assessment from its answers (reference, value), the item reference of
/// each document held, and its certificates.
pub(crate) fn facts_from<'a>(
    answers: impl Iterator<Item = (&'a str, &'a str)>,
    documents: impl Iterator<Item = &'a str>,
    certificates: &[CertificateRecord],
) -> Facts {
    let mut counts = BTreeMap::new();
    for reference in documents {
        *counts.entry(reference.to_string()).or_insert(0) += 1;
    }
    Facts {
        answers: answers
            .map(|(r, v)| (r.to_string(), v.to_string()))
            .collect(),
        documents: counts,
        certificates: certificates.iter().filter_map(certificate_fact).collect(),
    }
}

/// A stored certificate as the rules see it (stored dates are always valid `YYYY-MM-DD`).
fn certificate_fact(c: &CertificateRecord) -> Option<CertificateFact> {
    parse_date("expires_on", &c.expires_on)
        .ok()
        .map(|expires_on| CertificateFact {
            kind: c.kind.clone(),
            expires_on,
        })
}
