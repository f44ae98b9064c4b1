//! Contact forms on an organisation's page.

use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::views::{PageResult, *};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use palisade_domain::people::{AlertChannels, ContactInput, ContactRole, ReminderDelivery};
use palisade_domain::policy::OrgAction;

pub(crate) fn contact_form(
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
        reminder_options: reminder_options(&f.reminders),
        f,
    }
}

pub(crate) async fn new_contact(
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

pub(crate) fn contact_input(f: &ContactFormValues) -> ContactInput {
    ContactInput {
        name: f.name.clone(),
        role: f.role.clone(),
        email: f.email.clone(),
        mobile: f.mobile.clone(),
        alert_channels: f.alert_channels.clone(),
        reminders: f.reminders.clone(),
    }
}

pub(crate) async fn create_contact(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(f): Form<ContactFormValues>,
) -> PageResult {
    save_contact(&s, &u, &code, None, f).await
}

/// Creates the contact (`id` none) or updates it; the form again with its errors when refused.
async fn save_contact(
    s: &AppState,
    u: &PageUser,
    code: &str,
    id: Option<i64>,
    f: ContactFormValues,
) -> PageResult {
    let v = s
        .app
        .org_for(&u.0.actor, code, OrgAction::ManageContacts)
        .await?;
    let input = contact_input(&f);
    let saved = match id {
        None => s
            .app
            .create_contact(&u.0.actor, code, &input)
            .await
            .map(drop),
        Some(id) => s
            .app
            .update_contact(&u.0.actor, code, id, &input)
            .await
            .map(drop),
    };
    match saved {
        Ok(()) => Ok(see_other(&format!("/organisations/{}", v.org.code))),
        Err(e) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &contact_form(u, form_errors(e)?, &v.org.code, &v.org.name, id, f),
        )),
    }
}

pub(crate) async fn edit_contact(
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
        reminders: c.reminders.as_str().into(),
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

pub(crate) async fn update_contact(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, i64)>,
    Form(f): Form<ContactFormValues>,
) -> PageResult {
    save_contact(&s, &u, &code, Some(id), f).await
}

pub(crate) async fn delete_contact(
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

pub(crate) fn channel_options(selected: &str) -> Options {
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

pub(crate) fn reminder_options(selected: &str) -> Options {
    let selected = if selected.is_empty() {
        ReminderDelivery::Each.as_str()
    } else {
        selected
    };
    options(
        ReminderDelivery::ALL
            .iter()
            .map(|r| (r.as_str().to_string(), r.label().to_string())),
        selected,
    )
}

pub(crate) fn contact_role_options(selected: &str) -> Options {
    options(
        ContactRole::ALL
            .iter()
            .map(|r| (r.as_str().to_string(), r.label().to_string())),
        selected,
    )
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
    #[serde(default)]
    pub reminders: String,
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
    pub reminder_options: Options,
}
