//! One section's answer form. It sends the store only the fields that changed, each with the
//! version that was shown, so two people answering one section never overwrite each other.

use crate::AppState;
use crate::assessments::evidence::evidence_url;
use crate::assessments::overview::{assessment_url, section_url};
use crate::kit::error::PageError;
use crate::kit::identity::PageUser;
use crate::kit::params::year_param;
use crate::kit::views::{Errors, Layout, PageResult, Tag, render, render_status};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use palisade_app::AppError;
use palisade_app::assessments::{AnswerInput, AssessmentView};
use palisade_app::report::long_date;
use palisade_domain::assessment::year_label;
pub(crate) use palisade_domain::clock::day_of;
use palisade_domain::dates::date_text;
use palisade_domain::framework::{AnswerType, Item, Level, Node, Outcome};
use palisade_domain::org::OrgType;
use serde::Deserialize;
use std::collections::HashMap;

/// One answerable thing on a section page: an item, an IGP or an outcome's comment.
pub struct Field {
    pub reference: String,
    pub text: String,
    /// `yes_no`, `text`, `date`, `number`, `document`, `certificate`, `igp` or `comment`.
    pub kind: &'static str,
    pub value: String,
    /// The stored value when the page was drawn, to send only what this person changed.
    pub original: String,
    pub version: i64,
    /// "Mandatory", "Mandatory, in the Approaching set" or "Optional".
    pub need: String,
    pub met: bool,
    pub hint: String,
    pub error: Option<String>,
    pub documents: Vec<DocRow>,
}

/// An uploaded evidence document as a section page lists it.
pub struct DocRow {
    pub id: i64,
    pub filename: String,
    pub size: String,
    pub uploaded: String,
    pub sha256: String,
}

impl Field {
    /// The form field and element id: the API's error field names it too.
    pub fn id(&self) -> String {
        format!("answers.{}", self.reference)
    }
}

/// An assertion (ten-standard) or an outcome (CAF) with its fields.
pub struct Group {
    pub reference: String,
    pub title: String,
    /// CAF: the derived level against the target.
    pub level: Option<(Level, Level)>,
    pub fields: Vec<Field>,
    /// CAF: the IGPs by column (Not achieved, Partially achieved, Achieved).
    pub columns: Vec<(Level, Vec<Field>)>,
}

#[derive(Template)]
#[template(path = "assessment_section.html")]
pub struct SectionPage {
    pub l: Layout,
    pub errors: Errors,
    pub saved: Option<String>,
    pub code: String,
    pub org_name: String,
    pub year_label: String,
    pub back: String,
    pub action: String,
    /// Where documents are uploaded and fetched.
    pub evidence: String,
    /// "Deadline 30 June 2027: 218 days left".
    pub deadline: String,
    pub reference: String,
    pub title: String,
    pub editable: bool,
    pub submitted: bool,
    pub groups: Vec<Group>,
    pub prev: Option<(String, String)>,
    pub next: Option<(String, String)>,
}

pub(crate) fn item_need(item: &Item, t: OrgType) -> String {
    let a = item.applicability(t);
    match (a.is_mandatory(), a.in_approaching()) {
        (true, true) => "Mandatory, in the Approaching set",
        (true, false) => "Mandatory",
        _ => "Optional",
    }
    .to_string()
}

pub(crate) fn answer_kind(t: AnswerType) -> &'static str {
    match t {
        AnswerType::YesNo => "yes_no",
        AnswerType::Text => "text",
        AnswerType::Date => "date",
        AnswerType::Number => "number",
        AnswerType::Document => "document",
        AnswerType::Certificate => "certificate",
    }
}

/// What the person typed, for fields whose save was refused.
pub(crate) type Typed = HashMap<String, String>;

pub(crate) struct FieldSource<'a> {
    pub(crate) view: &'a AssessmentView,
    pub(crate) typed: &'a Typed,
    pub(crate) errors: &'a Errors,
}

impl FieldSource<'_> {
    fn field(&self, reference: &str, text: &str, kind: &'static str) -> Field {
        let stored = self.view.answers.get(reference);
        let original = stored.map(|a| a.value.clone()).unwrap_or_default();
        let id = format!("answers.{reference}");
        Field {
            reference: reference.to_string(),
            text: text.to_string(),
            kind,
            value: self
                .typed
                .get(reference)
                .cloned()
                .unwrap_or_else(|| original.clone()),
            original,
            version: stored.map_or(0, |a| a.version),
            need: String::new(),
            met: false,
            hint: String::new(),
            error: self.errors.get(&id).map(str::to_string),
            documents: vec![],
        }
    }

    fn item(&self, item: &Item) -> Field {
        let v = self.view;
        let mut f = self.field(&item.reference, &item.text, answer_kind(item.answer_type));
        f.need = item_need(item, v.org.org.org_type);
        f.met = palisade_domain::assessment::item_met(item, &v.facts, v.today);
        f.hint = match item.answer_type {
            AnswerType::Number => item
                .min
                .map(|m| format!("A number; at least {m} to meet the item."))
                .unwrap_or_else(|| "A number.".into()),
            AnswerType::Date => "For example, 2027-03-31.".into(),
            AnswerType::Certificate => item
                .certificate
                .as_deref()
                .and_then(|k| v.tree.certificate(k))
                .map(|k| {
                    format!(
                        "Met by a valid {} certificate, recorded on the assessment's overview.",
                        k.name
                    )
                })
                .unwrap_or_default(),
            AnswerType::Document => "Met by uploading an evidence document.".into(),
            _ => String::new(),
        };
        f.documents = v
            .evidence
            .iter()
            .filter(|e| e.reference == item.reference)
            .map(|e| DocRow {
                id: e.id,
                filename: e.filename.clone(),
                size: palisade_app::evidence::size_text(usize::try_from(e.size).unwrap_or(0)),
                uploaded: format!(
                    "{}{}",
                    day_of(e.uploaded_at),
                    e.uploaded_by
                        .as_deref()
                        .map(|b| format!(" by {b}"))
                        .unwrap_or_default()
                ),
                sha256: e.sha256.clone(),
            })
            .collect();
        f
    }

    fn outcome(&self, o: &Outcome) -> Group {
        let result = self
            .view
            .evaluation
            .outcomes
            .iter()
            .find(|r| r.reference == o.reference);
        let columns = [
            Level::NotAchieved,
            Level::PartiallyAchieved,
            Level::Achieved,
        ]
        .into_iter()
        .map(|level| {
            let fields: Vec<Field> = o
                .igps
                .iter()
                .filter(|g| g.level == level)
                .map(|g| self.field(&g.reference, &g.text, "igp"))
                .collect();
            (level, fields)
        })
        .filter(|(_, f)| !f.is_empty())
        .collect();
        let mut comment = self.field(
            &o.reference,
            "Comment on this outcome (optional)",
            "comment",
        );
        comment.hint = "What you have in place, or what you plan. Up to 5,000 characters.".into();
        Group {
            reference: o.reference.clone(),
            title: o.title.clone(),
            level: result.map(|r| (r.level, r.target)),
            fields: vec![comment],
            columns,
        }
    }
}

pub(crate) fn section_page(
    u: &PageUser,
    view: &AssessmentView,
    reference: &str,
    typed: &Typed,
    errors: Errors,
    saved: Option<String>,
) -> Result<SectionPage, PageError> {
    let src = FieldSource {
        view,
        typed,
        errors: &errors,
    };
    let org_type = view.org.org.org_type;
    let code = &view.org.org.code;
    let mut titles: Vec<(String, String)> = Vec::new();
    let mut found: Option<(String, Vec<Group>)> = None;
    for s in view.tree.standards() {
        titles.push((s.reference.clone(), s.title.clone()));
        if s.reference == reference {
            let groups = s
                .assertions
                .iter()
                .map(|a| Group {
                    reference: a.reference.clone(),
                    title: a.text.clone(),
                    level: None,
                    fields: a
                        .items
                        .iter()
                        .filter(|i| i.applicability(org_type).applies())
                        .map(|i| src.item(i))
                        .collect(),
                    columns: vec![],
                })
                .filter(|g| !g.fields.is_empty())
                .collect();
            found = Some((s.title.clone(), groups));
        }
    }
    for o in view.tree.objectives() {
        titles.push((o.reference.clone(), o.title.clone()));
        if o.reference == reference {
            let groups = o
                .principles
                .iter()
                .flat_map(|p| p.outcomes.iter())
                .map(|oc| src.outcome(oc))
                .collect();
            found = Some((o.title.clone(), groups));
        }
    }
    let (title, groups) = found.ok_or(AppError::NotFound)?;
    let at = titles.iter().position(|(r, _)| r == reference).unwrap_or(0);
    let link = |(r, t): &(String, String)| (section_url(code, view.year, r), format!("{r} {t}"));
    Ok(SectionPage {
        l: Layout::for_session(&u.0),
        errors,
        saved,
        code: code.clone(),
        org_name: view.org.org.name.clone(),
        year_label: year_label(view.year),
        back: assessment_url(code, view.year),
        action: section_url(code, view.year, reference),
        evidence: evidence_url(code, view.year),
        deadline: format!(
            "Deadline {}: {}",
            long_date(&date_text(view.tree.deadline)),
            view.days_left_text()
        ),
        reference: reference.to_string(),
        title,
        editable: view.editable(),
        submitted: view.submitted(),
        groups,
        prev: at.checked_sub(1).and_then(|i| titles.get(i)).map(link),
        next: titles.get(at + 1).map(link),
    })
}

#[derive(Deserialize, Default)]
pub(crate) struct SavedQuery {
    pub(crate) saved: Option<usize>,
    pub(crate) uploaded: Option<u8>,
}

pub(crate) async fn section(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year, reference)): Path<(String, String, String)>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let year = year_param(&year)?;
    let view = s.app.assessment(&u.0.actor, &code, year).await?;
    let saved = match (q.saved, q.uploaded) {
        (_, Some(_)) => Some("The document is uploaded.".to_string()),
        (Some(0), _) => Some("Nothing had changed, so nothing was saved.".to_string()),
        (Some(1), _) => Some("1 answer saved.".to_string()),
        (Some(n), _) => Some(format!("{n} answers saved.")),
        (None, None) => None,
    };
    Ok(render(&section_page(
        &u,
        &view,
        &reference,
        &Typed::new(),
        Errors::default(),
        saved,
    )?))
}

/// The answers a section form changed. Each field carries its value (`a:REF`), the value shown
/// when the page was drawn (`o:REF`) and that answer's version (`v:REF`). Only changed fields are
/// sent, each with the version seen, so two people saving different items of one section never
/// overwrite each other, and a stale item is refused rather than lost. An unticked indicator
/// sends nothing; it becomes "no" only if it was ticked before.
pub(crate) fn changed_answers(
    view: &AssessmentView,
    form: &[(String, String)],
) -> Result<(Vec<AnswerInput>, Typed), AppError> {
    let mut values: HashMap<&str, &str> = HashMap::new();
    let mut originals: Vec<(&str, &str)> = Vec::new();
    let mut versions: HashMap<&str, i64> = HashMap::new();
    for (k, v) in form {
        if let Some(r) = k.strip_prefix("a:") {
            values.insert(r, v);
        } else if let Some(r) = k.strip_prefix("o:") {
            originals.push((r, v));
        } else if let Some(r) = k.strip_prefix("v:") {
            let n = v.parse().map_err(|_| {
                AppError::invalid(
                    &format!("answers.{r}"),
                    "has a broken version; reload the page",
                )
            })?;
            versions.insert(r, n);
        }
    }
    let mut inputs = Vec::new();
    let mut typed = Typed::new();
    for (r, original) in originals {
        let is_indicator = matches!(view.tree.node(r), Some(Node::Igp(..)));
        let now = match values.get(r) {
            Some(v) => Some(v.trim()),
            None if is_indicator && original == "yes" => Some("no"),
            None => None,
        };
        let Some(now) = now else { continue };
        if now == original.trim() {
            continue;
        }
        typed.insert(r.to_string(), now.to_string());
        inputs.push(AnswerInput {
            reference: r.to_string(),
            value: if now.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::Value::String(now.to_string())
            },
            expected_version: Some(versions.get(r).copied().unwrap_or(0)),
        });
    }
    Ok((inputs, typed))
}

pub(crate) async fn save_section(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year, reference)): Path<(String, String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let year = year_param(&year)?;
    let view = s.app.assessment(&u.0.actor, &code, year).await?;
    let (inputs, typed) = changed_answers(&view, &form)?;
    let url = section_url(&code, year, &reference);
    if inputs.is_empty() {
        return Ok(crate::kit::views::see_other(&format!("{url}?saved=0")));
    }
    let saved = s
        .app
        .save_answers_without_view(&u.0.actor, &code, year, &inputs);
    match saved.await {
        Ok(changed) => Ok(crate::kit::views::see_other(&format!(
            "{url}?saved={}",
            changed.len()
        ))),
        Err(AppError::Invalid(errs)) => {
            let page = section_page(&u, &view, &reference, &typed, errs.into(), None)?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(AppError::Stale(errs)) => {
            // Show what is stored now, keeping this person's other changes to save again.
            let fresh = s.app.assessment(&u.0.actor, &code, year).await?;
            let mut typed = typed;
            for e in &errs.0 {
                typed.remove(e.field.trim_start_matches("answers."));
            }
            let errors = Errors::from(errs);
            let page = section_page(&u, &fresh, &reference, &typed, errors, None)?;
            Ok(render_status(StatusCode::CONFLICT, &page))
        }
        Err(e) => Err(e.into()),
    }
}
