//! Template data for the pages. Each page struct carries a [`Layout`] for the shared header.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use palisade_app::auth::SessionContext;
use palisade_domain::FieldErrors;
use palisade_domain::policy::{GlobalAction, OrgAction};
use palisade_store::{Contact, GrantRecord, Organisation, User};

/// What the header needs: who is signed in, their form token, which menu items they may use.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub user_name: Option<String>,
    pub csrf: String,
    pub can_people: bool,
    pub can_audit: bool,
    pub can_national: bool,
    pub can_estate: bool,
    pub can_review_plans: bool,
}

impl Layout {
    pub fn for_session(s: &SessionContext) -> Self {
        let p = &s.actor.principal;
        Self {
            user_name: Some(s.user.name.clone()),
            csrf: s.csrf_token.clone(),
            can_people: p.may_global(GlobalAction::ManageAllPeople)
                || !p.scope(OrgAction::ViewPeople).is_empty(),
            can_audit: p.may_global(GlobalAction::ViewWholeAuditLog)
                || !p.scope(OrgAction::ViewAudit).is_empty(),
            can_national: p.may_global(GlobalAction::ViewNationalReport),
            can_estate: p.may_global(GlobalAction::ViewNationalEstate),
            can_review_plans: p.may_global(GlobalAction::ReviewPlans),
        }
    }
}

/// Field errors by field id, for templates.
#[derive(Debug, Clone, Default)]
pub struct Errors(pub Vec<ShownError>);

#[derive(Debug, Clone)]
pub struct ShownError {
    pub field: String,
    pub message: String,
}

impl ShownError {
    /// "Email address is required"-style text for the error summary.
    pub fn message_for_people(&self) -> String {
        if let Some(reference) = self.field.strip_prefix("answers.") {
            return format!("The answer to {reference} {}", self.message);
        }
        // Per-item fields (`actions.1.2.owner`, `findings.A1.b.comment`): the part, then the item.
        // (prefix, the item as a whole, (part, its name)...)
        type Named = (&'static str, &'static str);
        const PER_ITEM: [(&str, &str, &[Named]); 2] = [
            (
                "actions.",
                "The plan",
                &[
                    ("action", "The action"),
                    ("owner", "The owner"),
                    ("target_date", "The target date"),
                ],
            ),
            ("findings.", "The finding", &[("comment", "The comment")]),
        ];
        for (prefix, whole, parts) in PER_ITEM {
            if let Some(rest) = self.field.strip_prefix(prefix) {
                let (reference, part) = rest
                    .rsplit_once('.')
                    .and_then(|(r, p)| parts.iter().find(|(k, _)| *k == p).map(|(_, n)| (r, *n)))
                    .unwrap_or((rest, whole));
                return format!("{part} for {reference} {}", self.message);
            }
        }
        let name = self.field.replace('_', " ");
        let mut s = name[..1.min(name.len())].to_uppercase();
        s.push_str(name.get(1..).unwrap_or(""));
        format!("{s} {}", self.message)
    }
}

impl Errors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn one(field: &str, message: &str) -> Self {
        Self(vec![ShownError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// An optional list filter from the query string: nothing when empty; when it does not
    /// parse, nothing either, and the reason is added to the page's errors.
    pub fn filter<T: std::str::FromStr<Err = String>>(
        &mut self,
        field: &str,
        raw: &str,
    ) -> Option<T> {
        if raw.is_empty() {
            return None;
        }
        raw.parse()
            .map_err(|m: String| {
                self.0.push(ShownError {
                    field: field.into(),
                    message: m,
                })
            })
            .ok()
    }
}

impl From<FieldErrors> for Errors {
    fn from(e: FieldErrors) -> Self {
        Self(
            e.0.into_iter()
                .map(|e| ShownError {
                    field: e.field,
                    message: e.message,
                })
                .collect(),
        )
    }
}

/// Links for the previous and next pages of a list.
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: u32,
    pub total_pages: u32,
    pub total: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base` is the list's path with its filters as a query string (without `page`).
    pub fn new<T>(p: &palisade_domain::page::Page<T>, base: &str) -> Self {
        let link = |n: u32| {
            format!(
                "{base}{}page={n}",
                if base.contains('?') { "&" } else { "?" }
            )
        };
        Self {
            page: p.page,
            total_pages: p.total_pages(),
            total: p.total,
            prev: (p.page > 1).then(|| link(p.page - 1)),
            next: p.has_next().then(|| link(p.page + 1)),
        }
    }
}

pub fn render(t: &impl Template) -> Response {
    render_status(StatusCode::OK, t)
}

pub fn render_status(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service.",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub l: Layout,
    pub title: &'a str,
    pub message: &'a str,
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    render_status(
        status,
        &ErrorPage {
            l: Layout::default(),
            title,
            message,
        },
    )
}

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignIn {
    pub l: Layout,
    pub errors: Errors,
    pub email: String,
    pub next: String,
    pub presession: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct Home {
    pub l: Layout,
    pub name: String,
    /// (role label, org code, org name)
    pub roles: Vec<(String, Option<String>, String)>,
    /// (type value, type label, count)
    pub counts: Vec<(String, String, i64)>,
    pub total: i64,
}

/// A `<select>` option, with whether it is the chosen one.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub text: String,
    pub selected: bool,
}

pub type Options = Vec<Opt>;

/// Options from (value, text) pairs, marking `selected`.
pub fn options(pairs: impl IntoIterator<Item = (String, String)>, selected: &str) -> Options {
    pairs
        .into_iter()
        .map(|(value, text)| Opt {
            selected: value == selected,
            value,
            text,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "orgs.html")]
pub struct Orgs {
    pub l: Layout,
    pub errors: Errors,
    pub q: String,
    pub type_options: Options,
    pub category_options: Options,
    pub region_options: Options,
    pub rows: Vec<Organisation>,
    pub pager: Pager,
    pub can_create: bool,
}

#[derive(Template)]
#[template(path = "org.html")]
pub struct OrgPage {
    pub l: Layout,
    pub org: Organisation,
    pub updated: String,
    pub can_edit: bool,
    pub can_contacts: bool,
    pub can_manage_contacts: bool,
    pub contacts: Vec<Contact>,
    pub can_people: bool,
    /// (user id, name, role label)
    pub people: Vec<(i64, String, String)>,
    pub children: Vec<Organisation>,
    /// The current year's assessment: (year, year label, status), when the person may read it.
    pub assessment: Option<(i32, String, palisade_domain::assessment::Status)>,
    /// The person may see the organisation's inventory and unsupported systems.
    pub can_estate: bool,
}

/// Organisation form values as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct OrgFormValues {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default)]
    pub org_type: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub parent_code: String,
    #[serde(default)]
    pub active: Option<String>,
}

#[derive(Template)]
#[template(path = "org_form.html")]
pub struct OrgForm {
    pub l: Layout,
    pub errors: Errors,
    pub heading: String,
    pub action: String,
    pub is_new: bool,
    pub f: OrgFormValues,
    pub active: bool,
    pub type_options: Options,
    pub category_options: Options,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ContactFormValues {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub mobile: String,
    #[serde(default)]
    pub alert_channels: String,
}

#[derive(Template)]
#[template(path = "contact_form.html")]
pub struct ContactForm {
    pub l: Layout,
    pub errors: Errors,
    pub heading: String,
    pub action: String,
    pub delete_action: Option<String>,
    pub org_code: String,
    pub org_name: String,
    pub f: ContactFormValues,
    pub role_options: Options,
    pub channel_options: Options,
}

#[derive(Template)]
#[template(path = "people.html")]
pub struct People {
    pub l: Layout,
    pub errors: Errors,
    pub q: String,
    pub rows: Vec<User>,
    pub pager: Pager,
}

#[derive(Template)]
#[template(path = "person.html")]
pub struct PersonPage {
    pub l: Layout,
    pub errors: Errors,
    pub user: User,
    pub grants: Vec<GrantRecord>,
    pub role_options: Options,
    pub can_deactivate: bool,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PersonFormValues {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub org_code: String,
}

#[derive(Template)]
#[template(path = "person_form.html")]
pub struct PersonForm {
    pub l: Layout,
    pub errors: Errors,
    pub f: PersonFormValues,
    pub role_options: Options,
}

#[derive(Template)]
#[template(path = "import.html")]
pub struct ImportPage {
    pub l: Layout,
    pub errors: Errors,
    pub total_errors: usize,
    pub report: Option<palisade_store::ImportReport>,
}

pub struct TokenRow {
    pub id: i64,
    pub label: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
pub struct Tokens {
    pub l: Layout,
    pub errors: Errors,
    pub tokens: Vec<TokenRow>,
    pub new_token: Option<String>,
}

pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub org: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct Audit {
    pub l: Layout,
    pub errors: Errors,
    pub f_action: String,
    pub f_actor: String,
    pub f_org: String,
    pub rows: Vec<AuditRow>,
    pub pager: Pager,
}

/// The NHS tag colour class for a status or a level.
pub trait Tag {
    fn tag(&self) -> &'static str;
}

impl Tag for palisade_domain::assessment::Status {
    fn tag(&self) -> &'static str {
        match self {
            palisade_domain::assessment::Status::StandardsExceeded => "nhsuk-tag--blue",
            palisade_domain::assessment::Status::StandardsMet => "nhsuk-tag--green",
            palisade_domain::assessment::Status::ApproachingStandards => "nhsuk-tag--yellow",
            palisade_domain::assessment::Status::StandardsNotMet => "nhsuk-tag--red",
            palisade_domain::assessment::Status::PlanAgreed => "nhsuk-tag--orange",
            palisade_domain::assessment::Status::NotPublished => "nhsuk-tag--grey",
        }
    }
}

impl Tag for palisade_domain::framework::Level {
    fn tag(&self) -> &'static str {
        match self {
            palisade_domain::framework::Level::Achieved => "nhsuk-tag--green",
            palisade_domain::framework::Level::PartiallyAchieved => "nhsuk-tag--yellow",
            palisade_domain::framework::Level::NotAchieved => "nhsuk-tag--red",
        }
    }
}

impl Tag for palisade_domain::alert::Severity {
    fn tag(&self) -> &'static str {
        use palisade_domain::alert::Severity::*;
        match self {
            High => "nhsuk-tag--red",
            Medium => "nhsuk-tag--orange",
            Low => "nhsuk-tag--yellow",
            InformationOnly => "nhsuk-tag--grey",
        }
    }
}

impl Tag for palisade_domain::plan::PlanState {
    fn tag(&self) -> &'static str {
        use palisade_domain::plan::PlanState::*;
        match self {
            Draft => "nhsuk-tag--grey",
            SignedOff => "nhsuk-tag--blue",
            Approved => "nhsuk-tag--green",
            Returned => "nhsuk-tag--orange",
        }
    }
}

/// `2024-07-14 09:30` for pages.
pub fn when(t: i64) -> String {
    palisade_domain::clock::rfc3339(palisade_domain::clock::from_unix(t))
        .replace('T', " ")
        .trim_end_matches(":00Z")
        .trim_end_matches('Z')
        .to_string()
}

#[cfg(test)]
mod error_text_tests {
    use super::ShownError;

    fn shown(field: &str, message: &str) -> String {
        ShownError {
            field: field.into(),
            message: message.into(),
        }
        .message_for_people()
    }

    #[test]
    fn per_item_errors_name_the_part_and_the_item() {
        assert_eq!(
            shown("actions.1.1.2.owner", "is required"),
            "The owner for 1.1.2 is required"
        );
        assert_eq!(
            shown("actions.1.1.2", "is not a gap"),
            "The plan for 1.1.2 is not a gap"
        );
        assert_eq!(
            shown("findings.A1.b.comment", "say why you disagree"),
            "The comment for A1.b say why you disagree"
        );
        assert_eq!(
            shown("findings.A1.b", "choose agree or disagree"),
            "The finding for A1.b choose agree or disagree"
        );
        assert_eq!(
            shown("answers.1.1", "is required"),
            "The answer to 1.1 is required"
        );
        assert_eq!(shown("due_on", "is required"), "Due on is required");
    }
}
