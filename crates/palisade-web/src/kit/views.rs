//! What every page shares: the layout, error summaries, paging, options, tags and redirects.
//! Forms post back to the same place; errors re-show the form with an error summary, as the NHS
//! design system prescribes.

use crate::kit::error::PageError;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use palisade_app::AppError;
use palisade_app::auth::SessionContext;
use palisade_domain::FieldErrors;
use palisade_domain::org::{Category, OrgType};
use palisade_domain::policy::{GlobalAction, OrgAction};

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
    pub can_incidents: bool,
    pub can_search: bool,
    pub can_jobs: bool,
    /// The one organisation the person holds roles at, for the menu's links to its pages.
    pub own: Option<OwnLinks>,
}

/// The menu's links to the person's own organisation: its page (contacts and people), and its
/// assessment and estate where the person's role there may see them.
#[derive(Debug, Clone, Default)]
pub struct OwnLinks {
    pub code: String,
    pub assessment: bool,
    pub estate: bool,
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
            can_incidents: p.may_global(GlobalAction::ViewAllIncidents),
            can_search: p.may_global(GlobalAction::SearchEverything),
            can_jobs: p.may_global(GlobalAction::ManageJobs),
            own: own_links(s),
        }
    }
}

/// Links to the person's own organisation when they hold roles at exactly one (someone acting
/// for several finds each from the organisations list).
fn own_links(s: &SessionContext) -> Option<OwnLinks> {
    let [code] = s.organisations.as_slice() else {
        return None;
    };
    let p = &s.actor.principal;
    let id = p.grants.iter().find_map(|g| g.org_id)?;
    Some(OwnLinks {
        code: code.clone(),
        assessment: p.may(OrgAction::ViewAssessment, &[id]),
        estate: p.may(OrgAction::ViewInventory, &[id]),
    })
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
        // A case's task (`task-12-note`): its id, then the part.
        if let Some((id, part)) = self
            .field
            .strip_prefix("task-")
            .and_then(|r| r.split_once('-'))
        {
            return format!("The {part} for task {id} {}", self.message);
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

impl Tag for palisade_domain::charter::SignatureState {
    fn tag(&self) -> &'static str {
        use palisade_domain::charter::SignatureState::*;
        match self {
            Signed => "nhsuk-tag--green",
            ReaffirmationDue => "nhsuk-tag--yellow",
            Lapsed => "nhsuk-tag--red",
            Withdrawn => "nhsuk-tag--orange",
            NotSigned => "nhsuk-tag--grey",
        }
    }
}

impl Tag for palisade_domain::charter::CommitmentState {
    fn tag(&self) -> &'static str {
        use palisade_domain::charter::CommitmentState::*;
        match self {
            Evidenced | LiveMet => "nhsuk-tag--green",
            LiveNotMet => "nhsuk-tag--red",
            Expired => "nhsuk-tag--orange",
            Missing => "nhsuk-tag--grey",
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

/// A 303 to `to`, every redirect's one builder. What cannot stand in a header (a control
/// character or other byte a request's path carried, echoed into the address) is
/// percent-encoded, so a redirect never fails, and never splits a header, on what was asked.
pub(crate) fn see_other(to: &str) -> Response {
    let mut safe = String::with_capacity(to.len());
    for b in to.bytes() {
        if (0x21..=0x7e).contains(&b) {
            safe.push(char::from(b));
        } else {
            safe.push_str(&format!("%{b:02X}"));
        }
    }
    Redirect::to(&safe).into_response()
}

/// Only local paths may be a post-sign-in destination (no open redirects): a single leading `/`,
/// no backslash and no control character (browsers drop tabs and newlines, so `/\t/evil` would
/// become `//evil`).
pub(crate) fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.chars().any(|c| c == '\\' || c.is_control());
    if local { next } else { "/" }
}

/// A list's path with its filters as a query string, for paging links.
pub(crate) fn list_url(path: &str, params: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    format!("{path}?{}", q.finish())
}

pub(crate) fn type_options(with_any: bool, selected: &str) -> Options {
    let any = with_any.then(|| (String::new(), "Any type".to_string()));
    let types = OrgType::ALL
        .iter()
        .map(|t| (t.as_str().to_string(), t.label().to_string()));
    options(any.into_iter().chain(types), selected)
}

pub(crate) fn category_options(with_any: bool, selected: &str) -> Options {
    let first = if with_any {
        "Any category"
    } else {
        "From the type"
    };
    let cats = Category::ALL
        .iter()
        .map(|c| (c.number().to_string(), format!("Category {}", c.number())));
    options(
        std::iter::once((String::new(), first.to_string())).chain(cats),
        selected,
    )
}

/// A form error re-shown on its page, or any other error as an error page.
pub(crate) fn form_errors(e: AppError) -> Result<Errors, PageError> {
    match e {
        AppError::Invalid(errs) | AppError::Stale(errs) => Ok(errs.into()),
        AppError::Conflict { field, message } => Ok(Errors::one(&field, &message)),
        other => Err(PageError(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_never_carries_a_byte_a_header_cannot() {
        let res = see_other("/organisations/A\r\nX/é");
        let to = res.headers()[axum::http::header::LOCATION]
            .to_str()
            .unwrap();
        assert_eq!(to, "/organisations/A%0D%0AX/%C3%A9");
    }

    #[test]
    fn paging_links_keep_the_filters() {
        let base = super::list_url("/people", &[("q", "a b&c")]);
        assert_eq!(base, "/people?q=a+b%26c");
        let page = palisade_domain::page::Page::<u8> {
            items: vec![],
            total: 120,
            page: 2,
            per_page: 50,
        };
        let p = crate::kit::views::Pager::new(&page, &base);
        assert_eq!(p.prev.as_deref(), Some("/people?q=a+b%26c&page=1"));
        assert_eq!(p.next.as_deref(), Some("/people?q=a+b%26c&page=3"));
        assert_eq!(p.total_pages, 3);
    }

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(super::safe_next("/organisations?q=x"), "/organisations?q=x");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil",
            "https://evil.example",
            "evil",
            "",
        ] {
            assert_eq!(super::safe_next(bad), "/", "{bad:?}");
        }
    }
}

pub(crate) type PageResult = Result<axum::response::Response, crate::kit::error::PageError>;
