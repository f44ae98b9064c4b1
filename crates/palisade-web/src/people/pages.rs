//! The people pages: the list, each person, their roles and whether they may sign in.

use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::views::{PageResult, *};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use palisade_app::AppError;
use palisade_app::people::NewPersonInput;
use palisade_domain::page::PageRequest;
use palisade_domain::people::Role;
use palisade_domain::policy::{GlobalAction, OrgAction};
use palisade_store::{GrantRecord, User};
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct PeopleQuery {
    #[serde(default)]
    pub(crate) q: String,
    pub(crate) page: Option<u32>,
}

pub(crate) async fn people(
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

pub(crate) async fn new_person(u: PageUser) -> PageResult {
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

pub(crate) async fn create_person(
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

pub(crate) async fn person_page(
    s: &AppState,
    u: &PageUser,
    id: i64,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let (user, grants) = s.app.get_person(&u.0.actor, id).await?;
    let manages_all =
        u.0.actor
            .principal
            .may_global(GlobalAction::ManageAllPeople);
    let can_deactivate = manages_all && u.0.actor.user_id != Some(id);
    // Single sign-on links are the national administrators' to see and change.
    let sso = if manages_all {
        Some(s.app.identities_of(&u.0.actor, id).await?)
    } else {
        None
    };
    Ok(render_status(
        status,
        &PersonPage {
            l: Layout::for_session(&u.0),
            errors,
            user,
            grants,
            role_options: role_options(""),
            can_deactivate,
            sso,
        },
    ))
}

pub(crate) async fn person(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    person_page(&s, &u, id, Errors::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub(crate) struct RoleForm {
    #[serde(default)]
    pub(crate) role: String,
    #[serde(default)]
    pub(crate) org_code: String,
}

pub(crate) async fn change_role(
    s: AppState,
    u: PageUser,
    id: i64,
    f: RoleForm,
    grant: bool,
) -> PageResult {
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
    after_change(&s, &u, id, result).await
}

pub(crate) async fn grant_role(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<RoleForm>,
) -> PageResult {
    change_role(s, u, id, f, true).await
}

pub(crate) async fn revoke_role(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<RoleForm>,
) -> PageResult {
    change_role(s, u, id, f, false).await
}

#[derive(Deserialize)]
pub(crate) struct ActiveForm {
    pub(crate) active: String,
}

pub(crate) async fn set_active(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ActiveForm>,
) -> PageResult {
    let result = s
        .app
        .set_person_active(&u.0.actor, id, f.active == "true")
        .await;
    after_change(&s, &u, id, result).await
}

pub(crate) async fn invite_identity(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    let result = s.app.invite_identity(&u.0.actor, id).await;
    after_change(&s, &u, id, result).await
}

pub(crate) async fn unlink_identity(
    State(s): State<AppState>,
    u: PageUser,
    Path((id, identity)): Path<(i64, i64)>,
) -> PageResult {
    let result = s.app.unlink_identity(&u.0.actor, id, identity).await;
    after_change(&s, &u, id, result).await
}

/// Back to the person's page after a change, or the page again with the refusal on it.
async fn after_change(
    s: &AppState,
    u: &PageUser,
    id: i64,
    result: Result<(), AppError>,
) -> PageResult {
    match result {
        Ok(()) => Ok(see_other(&format!("/people/{id}"))),
        Err(e) => person_page(s, u, id, form_errors(e)?, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

pub(crate) fn role_options(selected: &str) -> Options {
    options(
        Role::ALL
            .iter()
            .map(|r| (r.as_str().to_string(), r.label().to_string())),
        selected,
    )
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
    /// The person's single sign-on identities and invitation, for national administrators.
    pub sso: Option<palisade_app::sso::PersonIdentities>,
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
