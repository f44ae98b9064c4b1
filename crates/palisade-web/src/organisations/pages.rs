//! The organisation list, each organisation's page and its edit forms.

use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::views::{PageResult, Tag, *};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use palisade_app::orgs::OrgPatch;
use palisade_domain::org::{Category, OrgInput, OrgType};
use palisade_domain::page::PageRequest;
use palisade_domain::policy::{GlobalAction, OrgAction};
use palisade_store::{Contact, OrgFilter, Organisation};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub(crate) struct OrgListQuery {
    #[serde(default)]
    pub(crate) q: String,
    #[serde(rename = "type", default)]
    pub(crate) org_type: String,
    #[serde(default)]
    pub(crate) category: String,
    #[serde(default)]
    pub(crate) region: String,
    pub(crate) page: Option<u32>,
}

pub(crate) async fn orgs(
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

pub(crate) async fn org(
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
    let assessment = s
        .app
        .current_status(&u.actor, &view)
        .await?
        .map(|(year, status)| (year, palisade_domain::assessment::year_label(year), status));
    Ok(render(&OrgPage {
        assessment,
        l: Layout::for_session(&u),
        updated: when(view.org.updated_at),
        can_edit: p.may(OrgAction::Edit, &view.ancestry),
        can_estate: p.may(OrgAction::ViewInventory, &view.ancestry),
        can_incidents: p.may(OrgAction::ViewIncidents, &view.ancestry),
        can_charter: view.org.org_type == palisade_domain::org::OrgType::ItSupplier
            && p.may(OrgAction::ViewCharter, &view.ancestry),
        is_supplier: view.org.org_type == palisade_domain::org::OrgType::ItSupplier
            && view.org.active,
        can_suppliers: p.may(OrgAction::ViewSuppliers, &view.ancestry),
        can_contacts,
        can_manage_contacts: p.may(OrgAction::ManageContacts, &view.ancestry),
        contacts,
        can_people,
        people,
        children,
        org: view.org,
    }))
}

pub(crate) fn org_form(
    u: &PageUser,
    errors: Errors,
    is_new: bool,
    f: OrgFormValues,
    active: bool,
) -> OrgForm {
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

pub(crate) async fn new_org(u: PageUser) -> PageResult {
    u.0.actor.require(GlobalAction::CreateOrganisation)?;
    Ok(render(&org_form(
        &u,
        Errors::default(),
        true,
        OrgFormValues::default(),
        true,
    )))
}

pub(crate) async fn create_org(
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

pub(crate) async fn edit_org(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
) -> PageResult {
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

pub(crate) async fn update_org(
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
    pub can_incidents: bool,
    /// An IT supplier whose charter signature the person may read.
    pub can_charter: bool,
    /// An active IT supplier: its catalogue is linked for everyone.
    pub is_supplier: bool,
    /// The person may see which suppliers' products and services the organisation uses.
    pub can_suppliers: bool,
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
