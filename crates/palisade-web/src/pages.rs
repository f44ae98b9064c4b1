//! The server-rendered pages. Forms post back to the same place; errors re-show the form with
//! an error summary, as the NHS design system prescribes.

use crate::AppState;
use crate::error::PageError;
use crate::identity::{
    CheckedMultipart, MaybeUser, PRESESSION_COOKIE, PageUser, SESSION_COOKIE, cookie, set_cookie,
};
use crate::views::*;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use palisade_app::AppError;
use palisade_app::auth::{SignInError, random_hex};
use palisade_app::orgs::OrgPatch;
use palisade_app::people::NewPersonInput;
use palisade_domain::org::{Category, OrgInput, OrgType};
use palisade_domain::page::PageRequest;
use palisade_domain::people::{AlertChannels, ContactInput, ContactRole, Role};
use palisade_domain::policy::{GlobalAction, OrgAction};
use palisade_store::{AuditFilter, OrgFilter};
use serde::Deserialize;

type PageResult = Result<Response, PageError>;

/// Where the register import form posts (it may be larger than other forms).
pub(crate) const IMPORT_PATH: &str = "/organisations/import";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/organisations", get(orgs).post(create_org))
        .route("/organisations/new", get(new_org))
        .route("/organisations/export.csv", get(export_orgs))
        .route(
            IMPORT_PATH,
            get(import_form)
                .post(import_orgs)
                .layer(axum::extract::DefaultBodyLimit::max(
                    palisade_app::import::MAX_IMPORT_BYTES,
                )),
        )
        .route("/organisations/{code}", get(org))
        .route("/organisations/{code}/edit", get(edit_org).post(update_org))
        .route("/organisations/{code}/contacts", post(create_contact))
        .route("/organisations/{code}/contacts/new", get(new_contact))
        .route(
            "/organisations/{code}/contacts/{id}/edit",
            get(edit_contact).post(update_contact),
        )
        .route(
            "/organisations/{code}/contacts/{id}/delete",
            post(delete_contact),
        )
        .route("/people", get(people).post(create_person))
        .route("/people/new", get(new_person))
        .route("/people/{id}", get(person))
        .route("/people/{id}/roles", post(grant_role))
        .route("/people/{id}/roles/remove", post(revoke_role))
        .route("/people/{id}/active", post(set_active))
        .route("/tokens", get(tokens).post(create_token))
        .route("/tokens/{id}/revoke", post(revoke_token))
        .route("/audit", get(audit))
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Only local paths may be a post-sign-in destination (no open redirects): a single leading `/`,
/// no backslash and no control character (browsers drop tabs and newlines, so `/\t/evil` would
/// become `//evil`).
fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.chars().any(|c| c == '\\' || c.is_control());
    if local { next } else { "/" }
}

#[cfg(test)]
mod tests {

    #[test]
    fn long_summaries_are_cut_on_a_character_boundary() {
        assert_eq!(super::shortened("abc", 3), "abc");
        assert_eq!(super::shortened("abcd", 3), "abc…");
        assert_eq!(super::shortened("ééé€", 3), "ééé…");
        assert_eq!(super::shortened("", 0), "");
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
        let p = crate::views::Pager::new(&page, &base);
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

fn role_options(selected: &str) -> Options {
    options(
        Role::ALL
            .iter()
            .map(|r| (r.as_str().to_string(), r.label().to_string())),
        selected,
    )
}

fn channel_options(selected: &str) -> Options {
    let automatic = (
        String::new(),
        "Email, and text messages when a mobile number is given".to_string(),
    );
    options(
        std::iter::once(automatic).chain(
            AlertChannels::ALL
                .iter()
                .map(|c| (c.as_str().to_string(), c.label().to_string())),
        ),
        selected,
    )
}

fn contact_role_options(selected: &str) -> Options {
    options(
        ContactRole::ALL
            .iter()
            .map(|r| (r.as_str().to_string(), r.label().to_string())),
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

// ---------- sign-in ----------

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn sign_in_page(
    status: StatusCode,
    errors: Errors,
    email: String,
    next: String,
    presession: String,
    state: &AppState,
) -> Response {
    let mut res = render_status(
        status,
        &SignIn {
            l: Layout::default(),
            errors,
            email,
            next,
            presession: presession.clone(),
        },
    );
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, PRESESSION_COOKIE, &presession, Some(3600)),
    );
    res
}

async fn sign_in_form(
    State(s): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<NextQuery>,
) -> Response {
    if user.is_some() {
        return see_other("/");
    }
    sign_in_page(
        StatusCode::OK,
        Errors::default(),
        String::new(),
        q.next.unwrap_or_default(),
        random_hex(32),
        &s,
    )
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn sign_in(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> PageResult {
    let presession = cookie(&headers, PRESESSION_COOKIE).unwrap_or_else(|| random_hex(32));
    let mut errors = Vec::new();
    if f.email.trim().is_empty() {
        errors.push(ShownError {
            field: "email".into(),
            message: "Enter your email address".into(),
        });
    }
    if f.password.is_empty() {
        errors.push(ShownError {
            field: "password".into(),
            message: "Enter your password".into(),
        });
    }
    if !errors.is_empty() {
        return Ok(sign_in_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            Errors(errors),
            f.email,
            f.next,
            presession,
            &s,
        ));
    }
    match s.app.sign_in(&f.email, &f.password).await? {
        Ok(signed) => {
            let mut res = see_other(safe_next(&f.next));
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(&s, SESSION_COOKIE, &signed.session_token, None),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(&s, PRESESSION_COOKIE, "", Some(0)),
            );
            Ok(res)
        }
        Err(e) => {
            let msg = e.to_string();
            let status = if matches!(e, SignInError::Locked(_)) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            Ok(sign_in_page(
                status,
                Errors::one("email", &msg),
                f.email,
                f.next,
                presession,
                &s,
            ))
        }
    }
}

async fn sign_out(
    State(s): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
) -> PageResult {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        s.app.sign_out(&token, &u.actor).await?;
    }
    let mut res = see_other("/sign-in");
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&s, SESSION_COOKIE, "", Some(0)),
    );
    Ok(res)
}

// ---------- home ----------

async fn home(State(s): State<AppState>, PageUser(u): PageUser) -> PageResult {
    let grants = s
        .app
        .store
        .grants_of(u.user.id, &palisade_domain::policy::Scope::All)
        .await
        .map_err(AppError::from)?;
    let roles = grants
        .into_iter()
        .map(|g| {
            (
                g.role.label().to_string(),
                g.org_code,
                g.org_name.unwrap_or_default(),
            )
        })
        .collect();
    let counts: Vec<(String, String, i64)> = s
        .app
        .org_counts(&u.actor)
        .await?
        .into_iter()
        .map(|(t, n)| {
            let label = t
                .parse::<OrgType>()
                .map(|t| t.label().to_string())
                .unwrap_or_else(|_| t.clone());
            (t, label, n)
        })
        .collect();
    let total = counts.iter().map(|c| c.2).sum();
    Ok(render(&Home {
        l: Layout::for_session(&u),
        name: u.user.name.clone(),
        roles,
        counts,
        total,
    }))
}

// ---------- organisations ----------

#[derive(Deserialize, Default)]
struct OrgListQuery {
    #[serde(default)]
    q: String,
    #[serde(rename = "type", default)]
    org_type: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    region: String,
    page: Option<u32>,
}

async fn orgs(
    State(s): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<OrgListQuery>,
) -> PageResult {
    let mut errors = Vec::new();
    let org_type = match q.org_type.as_str() {
        "" => None,
        t => t
            .parse::<OrgType>()
            .map_err(|m| {
                errors.push(ShownError {
                    field: "type".into(),
                    message: m,
                })
            })
            .ok(),
    };
    let category = match q.category.as_str() {
        "" => None,
        c => c
            .parse::<Category>()
            .map_err(|m| {
                errors.push(ShownError {
                    field: "category".into(),
                    message: m,
                })
            })
            .ok(),
    };
    let filter = OrgFilter {
        q: Some(q.q.clone()),
        org_type,
        category,
        region: Some(q.region.clone()).filter(|r| !r.is_empty()),
        active: None,
    };
    let page = s
        .app
        .list_orgs(&u.actor, &filter, PageRequest::new(q.page, Some(50)))
        .await?;
    let base = list_url(
        "/organisations",
        &[
            ("q", &q.q),
            ("type", &q.org_type),
            ("category", &q.category),
            ("region", &q.region),
        ],
    );
    let regions = s
        .app
        .regions(&u.actor)
        .await?
        .into_iter()
        .map(|r| (r.clone(), r));
    let any = std::iter::once((String::new(), "Any region".to_string()));
    let region_options = options(any.chain(regions), &q.region);
    let pager = Pager::new(&page, &base);
    Ok(render(&Orgs {
        l: Layout::for_session(&u),
        errors: Errors(errors),
        q: q.q,
        type_options: type_options(true, &q.org_type),
        category_options: category_options(true, &q.category),
        region_options,
        rows: page.items,
        pager,
        can_create: u
            .actor
            .principal
            .may_global(GlobalAction::CreateOrganisation),
    }))
}

async fn org(
    State(s): State<AppState>,
    PageUser(u): PageUser,
    Path(code): Path<String>,
) -> PageResult {
    let view = s.app.org_for(&u.actor, &code, OrgAction::View).await?;
    let p = &u.actor.principal;
    let can_contacts = p.may(OrgAction::ViewContacts, &view.ancestry);
    let contacts = if can_contacts {
        s.app.list_contacts(&u.actor, &code).await?.1
    } else {
        vec![]
    };
    let can_people = p.may(OrgAction::ViewPeople, &view.ancestry);
    let people = if can_people {
        s.app
            .people_of_org(&u.actor, &code)
            .await?
            .into_iter()
            .map(|(u, r)| (u.id, u.name, r.label().to_string()))
            .collect()
    } else {
        vec![]
    };
    let children = s.app.children(&view).await?;
    let assessment = if p.may(OrgAction::ViewAssessment, &view.ancestry) {
        let year = s.app.current_year();
        let status = s
            .app
            .store
            .get_assessment(view.org.id, year)
            .await
            .map_err(AppError::from)?
            .map_or(palisade_domain::assessment::Status::NotPublished, |r| {
                r.status
            });
        Some((year, palisade_domain::assessment::year_label(year), status))
    } else {
        None
    };
    Ok(render(&OrgPage {
        assessment,
        l: Layout::for_session(&u),
        updated: when(view.org.updated_at),
        can_edit: p.may(OrgAction::Edit, &view.ancestry),
        can_estate: p.may(OrgAction::ViewInventory, &view.ancestry),
        can_contacts,
        can_manage_contacts: p.may(OrgAction::ManageContacts, &view.ancestry),
        contacts,
        can_people,
        people,
        children,
        org: view.org,
    }))
}

fn org_form(u: &PageUser, errors: Errors, is_new: bool, f: OrgFormValues, active: bool) -> OrgForm {
    OrgForm {
        l: Layout::for_session(&u.0),
        errors,
        heading: if is_new {
            "Add an organisation".into()
        } else {
            format!("Edit {}", f.name)
        },
        action: if is_new {
            "/organisations".into()
        } else {
            format!("/organisations/{}/edit", f.code)
        },
        is_new,
        type_options: type_options(false, &f.org_type),
        category_options: category_options(false, &f.category),
        f,
        active,
    }
}

async fn new_org(u: PageUser) -> PageResult {
    u.0.actor.require(GlobalAction::CreateOrganisation)?;
    Ok(render(&org_form(
        &u,
        Errors::default(),
        true,
        OrgFormValues::default(),
        true,
    )))
}

async fn create_org(
    State(s): State<AppState>,
    u: PageUser,
    Form(f): Form<OrgFormValues>,
) -> PageResult {
    let input = OrgInput {
        code: f.code.clone(),
        name: f.name.clone(),
        org_type: f.org_type.clone(),
        category: f.category.clone(),
        region: f.region.clone(),
        parent_code: f.parent_code.clone(),
    };
    match s.app.create_org(&u.0.actor, &input).await {
        Ok(o) => Ok(see_other(&format!("/organisations/{}", o.code))),
        Err(e) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &org_form(&u, form_errors(e)?, true, f, true),
        )),
    }
}

async fn edit_org(State(s): State<AppState>, u: PageUser, Path(code): Path<String>) -> PageResult {
    let v = s.app.org_for(&u.0.actor, &code, OrgAction::Edit).await?;
    let o = v.org;
    let f = OrgFormValues {
        code: o.code,
        name: o.name,
        org_type: o.org_type.as_str().into(),
        category: o.category.number().to_string(),
        region: o.region,
        parent_code: o.parent_code.unwrap_or_default(),
        active: None,
    };
    Ok(render(&org_form(&u, Errors::default(), false, f, o.active)))
}

async fn update_org(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(f): Form<OrgFormValues>,
) -> PageResult {
    let active = f.active.as_deref() == Some("true");
    let patch = OrgPatch {
        name: Some(f.name.clone()),
        org_type: Some(f.org_type.clone()),
        category: Some(f.category.clone()),
        region: Some(f.region.clone()),
        parent_code: Some(Some(f.parent_code.clone())),
        active: Some(active),
    };
    match s.app.update_org(&u.0.actor, &code, &patch).await {
        Ok(o) => Ok(see_other(&format!("/organisations/{}", o.code))),
        Err(e) => {
            let mut f = f;
            f.code = code.to_uppercase();
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &org_form(&u, form_errors(e)?, false, f, active),
            ))
        }
    }
}

// ---------- contacts ----------

fn contact_form(
    u: &PageUser,
    errors: Errors,
    org_code: &str,
    org_name: &str,
    id: Option<i64>,
    f: ContactFormValues,
) -> ContactForm {
    ContactForm {
        l: Layout::for_session(&u.0),
        errors,
        heading: if id.is_some() {
            format!("Change {}", f.name)
        } else {
            "Add a contact".into()
        },
        action: match id {
            Some(id) => format!("/organisations/{org_code}/contacts/{id}/edit"),
            None => format!("/organisations/{org_code}/contacts"),
        },
        delete_action: id.map(|id| format!("/organisations/{org_code}/contacts/{id}/delete")),
        org_code: org_code.into(),
        org_name: org_name.into(),
        role_options: contact_role_options(&f.role),
        channel_options: channel_options(&f.alert_channels),
        f,
    }
}

async fn new_contact(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
) -> PageResult {
    let v = s
        .app
        .org_for(&u.0.actor, &code, OrgAction::ManageContacts)
        .await?;
    Ok(render(&contact_form(
        &u,
        Errors::default(),
        &v.org.code,
        &v.org.name,
        None,
        ContactFormValues::default(),
    )))
}

fn contact_input(f: &ContactFormValues) -> ContactInput {
    ContactInput {
        name: f.name.clone(),
        role: f.role.clone(),
        email: f.email.clone(),
        mobile: f.mobile.clone(),
        alert_channels: f.alert_channels.clone(),
    }
}

async fn create_contact(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(f): Form<ContactFormValues>,
) -> PageResult {
    let v = s
        .app
        .org_for(&u.0.actor, &code, OrgAction::ManageContacts)
        .await?;
    match s
        .app
        .create_contact(&u.0.actor, &code, &contact_input(&f))
        .await
    {
        Ok(_) => Ok(see_other(&format!("/organisations/{}", v.org.code))),
        Err(e) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &contact_form(&u, form_errors(e)?, &v.org.code, &v.org.name, None, f),
        )),
    }
}

async fn edit_contact(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, i64)>,
) -> PageResult {
    let v = s
        .app
        .org_for(&u.0.actor, &code, OrgAction::ManageContacts)
        .await?;
    let (_, c) = s.app.get_contact(&u.0.actor, &code, id).await?;
    let f = ContactFormValues {
        name: c.name,
        role: c.role.as_str().into(),
        email: c.email,
        mobile: c.mobile.unwrap_or_default(),
        alert_channels: c.alert_channels.as_str().into(),
    };
    Ok(render(&contact_form(
        &u,
        Errors::default(),
        &v.org.code,
        &v.org.name,
        Some(id),
        f,
    )))
}

async fn update_contact(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, i64)>,
    Form(f): Form<ContactFormValues>,
) -> PageResult {
    let v = s
        .app
        .org_for(&u.0.actor, &code, OrgAction::ManageContacts)
        .await?;
    match s
        .app
        .update_contact(&u.0.actor, &code, id, &contact_input(&f))
        .await
    {
        Ok(_) => Ok(see_other(&format!("/organisations/{}", v.org.code))),
        Err(e) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &contact_form(&u, form_errors(e)?, &v.org.code, &v.org.name, Some(id), f),
        )),
    }
}

async fn delete_contact(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, i64)>,
) -> PageResult {
    s.app.delete_contact(&u.0.actor, &code, id).await?;
    Ok(see_other(&format!(
        "/organisations/{}",
        code.to_uppercase()
    )))
}

// ---------- people ----------

#[derive(Deserialize)]
struct PeopleQuery {
    #[serde(default)]
    q: String,
    page: Option<u32>,
}

async fn people(
    State(s): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<PeopleQuery>,
) -> PageResult {
    let page = s
        .app
        .list_people(&u.actor, &q.q, PageRequest::new(q.page, Some(50)))
        .await?;
    let base = list_url("/people", &[("q", &q.q)]);
    let pager = Pager::new(&page, &base);
    Ok(render(&People {
        l: Layout::for_session(&u),
        errors: Errors::default(),
        q: q.q,
        rows: page.items,
        pager,
    }))
}

async fn new_person(u: PageUser) -> PageResult {
    // The form is for those who may add someone somewhere: national admins and leads.
    if u.0
        .actor
        .principal
        .scope(OrgAction::ManagePeople)
        .is_empty()
    {
        return Err(AppError::Forbidden.into());
    }
    Ok(render(&PersonForm {
        l: Layout::for_session(&u.0),
        errors: Errors::default(),
        f: PersonFormValues::default(),
        role_options: role_options(""),
    }))
}

async fn create_person(
    State(s): State<AppState>,
    u: PageUser,
    Form(f): Form<PersonFormValues>,
) -> PageResult {
    let result = match f.role.parse::<Role>() {
        Ok(role) => {
            let input = NewPersonInput {
                email: f.email.clone(),
                name: f.name.clone(),
                password: f.password.clone(),
            };
            s.app
                .create_person(&u.0.actor, &input, role, Some(f.org_code.as_str()))
                .await
        }
        Err(m) => Err(AppError::invalid("role", m)),
    };
    match result {
        Ok(p) => Ok(see_other(&format!("/people/{}", p.id))),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &PersonForm {
                    l: Layout::for_session(&u.0),
                    errors,
                    role_options: role_options(&f.role),
                    f,
                },
            ))
        }
    }
}

async fn person_page(
    s: &AppState,
    u: &PageUser,
    id: i64,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let (user, grants) = s.app.get_person(&u.0.actor, id).await?;
    let can_deactivate =
        u.0.actor
            .principal
            .may_global(GlobalAction::ManageAllPeople)
            && u.0.actor.user_id != Some(id);
    Ok(render_status(
        status,
        &PersonPage {
            l: Layout::for_session(&u.0),
            errors,
            user,
            grants,
            role_options: role_options(""),
            can_deactivate,
        },
    ))
}

async fn person(State(s): State<AppState>, u: PageUser, Path(id): Path<i64>) -> PageResult {
    person_page(&s, &u, id, Errors::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    org_code: String,
}

async fn change_role(s: AppState, u: PageUser, id: i64, f: RoleForm, grant: bool) -> PageResult {
    let result = match f.role.parse::<Role>() {
        Ok(role) if grant => {
            s.app
                .grant_role(&u.0.actor, id, role, Some(&f.org_code))
                .await
        }
        Ok(role) => {
            s.app
                .revoke_role(&u.0.actor, id, role, Some(&f.org_code))
                .await
        }
        Err(m) => Err(AppError::invalid("role", m)),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/people/{id}"))),
        Err(e) => {
            person_page(
                &s,
                &u,
                id,
                form_errors(e)?,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn grant_role(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<RoleForm>,
) -> PageResult {
    change_role(s, u, id, f, true).await
}

async fn revoke_role(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<RoleForm>,
) -> PageResult {
    change_role(s, u, id, f, false).await
}

#[derive(Deserialize)]
struct ActiveForm {
    active: String,
}

async fn set_active(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ActiveForm>,
) -> PageResult {
    match s
        .app
        .set_person_active(&u.0.actor, id, f.active == "true")
        .await
    {
        Ok(()) => Ok(see_other(&format!("/people/{id}"))),
        Err(e) => {
            person_page(
                &s,
                &u,
                id,
                form_errors(e)?,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

// ---------- tokens ----------

async fn tokens_page(
    s: &AppState,
    u: &PageUser,
    errors: Errors,
    new_token: Option<String>,
    status: StatusCode,
) -> PageResult {
    let tokens = s
        .app
        .list_api_tokens(&u.0.actor)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            label: t.label,
            prefix: t.prefix,
            created: when(t.created_at),
            last_used: t.last_used_at.map(when).unwrap_or_else(|| "Never".into()),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    Ok(render_status(
        status,
        &Tokens {
            l: Layout::for_session(&u.0),
            errors,
            tokens,
            new_token,
        },
    ))
}

async fn tokens(State(s): State<AppState>, u: PageUser) -> PageResult {
    tokens_page(&s, &u, Errors::default(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    label: String,
}

async fn create_token(
    State(s): State<AppState>,
    u: PageUser,
    Form(f): Form<TokenForm>,
) -> PageResult {
    match s.app.create_api_token(&u.0.actor, &f.label).await {
        Ok((_, plain)) => {
            tokens_page(&s, &u, Errors::default(), Some(plain), StatusCode::CREATED).await
        }
        Err(e) => {
            tokens_page(
                &s,
                &u,
                form_errors(e)?,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn revoke_token(State(s): State<AppState>, u: PageUser, Path(id): Path<i64>) -> PageResult {
    s.app.revoke_api_token(&u.0.actor, id).await?;
    Ok(see_other("/tokens"))
}

// ---------- audit ----------

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    org_code: String,
    page: Option<u32>,
}

async fn audit(
    State(s): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let mut errors = Errors::default();
    let org_id = if q.org_code.trim().is_empty() {
        None
    } else {
        match s.app.org_for(&u.actor, &q.org_code, OrgAction::View).await {
            Ok(v) => Some(v.org.id),
            Err(AppError::NotFound) => {
                errors = Errors::one("org_code", "is not an organisation you can see");
                Some(-1)
            }
            Err(e) => return Err(e.into()),
        }
    };
    let filter = AuditFilter {
        action: Some(q.action.trim().to_string()),
        actor: Some(q.actor.trim().to_string()),
        org_id,
        entity_type: None,
    };
    let page = s
        .app
        .list_audit(&u.actor, &filter, PageRequest::new(q.page, Some(50)))
        .await?;
    let base = list_url(
        "/audit",
        &[
            ("action", &q.action),
            ("actor", &q.actor),
            ("org_code", &q.org_code),
        ],
    );
    let pager = Pager::new(&page, &base);
    let rows = page
        .items
        .into_iter()
        .map(|r| AuditRow {
            seq: r.seq,
            at: when(r.at),
            actor: r.actor,
            action: r.action,
            org: r.org_code.unwrap_or_default(),
            summary: shortened(&r.summary, AUDIT_SUMMARY_CHARS),
        })
        .collect();
    Ok(render(&Audit {
        l: Layout::for_session(&u),
        errors,
        f_action: q.action,
        f_actor: q.actor,
        f_org: q.org_code,
        rows,
        pager,
    }))
}

// ---------- register import ----------

fn import_page(
    u: &PageUser,
    errors: Errors,
    total_errors: usize,
    report: Option<palisade_store::ImportReport>,
) -> ImportPage {
    ImportPage {
        l: Layout::for_session(&u.0),
        errors,
        total_errors,
        report,
    }
}

async fn import_form(u: PageUser) -> PageResult {
    u.0.actor.require(GlobalAction::ImportOrganisations)?;
    Ok(render(&import_page(&u, Errors::default(), 0, None)))
}

/// An audit summary longer than this is cut on the page (a bulk answer lists every reference it
/// changed); `GET /api/v1/audit` returns every entry whole.
const AUDIT_SUMMARY_CHARS: usize = 160;

/// `text`, cut to `max` characters with an ellipsis when longer.
fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

/// At most this many problems are listed on the page; the count says how many there were.
const SHOWN_ERRORS: usize = 100;

async fn import_orgs(
    State(s): State<AppState>,
    u: PageUser,
    CheckedMultipart(form): CheckedMultipart,
) -> PageResult {
    // Permission before the file is read: a refused upload is never buffered.
    u.0.actor.require(GlobalAction::ImportOrganisations)?;
    let upload =
        crate::files::read_upload(form, "the file is larger than the import limit").await?;
    let data = upload.file.map(|(_, bytes)| bytes);
    let data = match data {
        Some(d) if !d.is_empty() => d,
        _ => {
            let errors = Errors::one("file", "Select a CSV file to import");
            return Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &import_page(&u, errors, 1, None),
            ));
        }
    };
    match s.app.import_orgs_csv(&u.0.actor, &data, |_| {}).await {
        Ok(report) => Ok(render(&import_page(&u, Errors::default(), 0, Some(report)))),
        Err(e) => {
            // Line problems and conflicts alike are shown on the form; anything else is an
            // error page. Each links to the file field: the line number is in the message.
            let errs = form_errors(e)?;
            let total = errs.0.len();
            let shown = on_file_field(errs, SHOWN_ERRORS);
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &import_page(&u, shown, total, None),
            ))
        }
    }
}

/// Problems with an uploaded file, at most `max` of them, each linked to the file field and
/// naming the part of the file it is about.
pub(crate) fn on_file_field(errors: Errors, max: usize) -> Errors {
    Errors(
        errors
            .0
            .into_iter()
            .take(max)
            .map(|e| ShownError {
                message: if e.field == "file" {
                    e.message
                } else {
                    format!("{}: {}", e.field, e.message)
                },
                field: "file".into(),
            })
            .collect(),
    )
}

async fn export_orgs(State(s): State<AppState>, u: PageUser) -> PageResult {
    let csv = s.app.export_orgs_csv(&u.0.actor).await?;
    Ok(crate::csv_download(csv, "organisations.csv"))
}
