//! Supplier incident notices on pages: the supplier's list and form, a customer's
//! acknowledgement, and a notice's recipients for the national team.

use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::views::{PageResult, form_errors, *};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use palisade_app::supplier_notices::{NoticeInput, SentNotices};
use palisade_domain::clock::uk_time;
use palisade_domain::page::PageRequest;
use palisade_store::{SupplierNoticeRecord, incident_reference};
use serde::Deserialize;

/// A notice on a list.
pub struct NoticeRow {
    pub id: i64,
    pub supplier: String,
    pub incident: String,
    pub title: String,
    pub message: String,
    pub products: String,
    pub recipients: i64,
    pub acknowledged: i64,
    pub sent: String,
    pub closed: bool,
}

impl From<SupplierNoticeRecord> for NoticeRow {
    fn from(n: SupplierNoticeRecord) -> Self {
        Self {
            id: n.id,
            supplier: format!("{} ({})", n.supplier_name, n.supplier_code),
            incident: incident_reference(n.incident_id),
            title: n.title,
            message: n.message,
            products: n.products,
            recipients: n.recipients,
            acknowledged: n.acknowledged,
            sent: uk_time(n.created_at),
            closed: n.closed,
        }
    }
}

/// The notice form as typed: `products` once per ticked box.
#[derive(Debug, Default)]
pub(crate) struct NoticeForm {
    pub incident: String,
    pub title: String,
    pub message: String,
    pub products: Vec<i64>,
}

impl NoticeForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "incident" => f.incident = v,
                "title" => f.title = v,
                "message" => f.message = v,
                // A box is ticked with its product's id; anything else names no product.
                "products" => f.products.push(v.parse().unwrap_or(-1)),
                _ => {}
            }
        }
        f
    }
}

#[derive(Template)]
#[template(path = "supplier_notices.html")]
pub struct NoticesPage {
    pub l: Layout,
    pub errors: Errors,
    pub code: String,
    pub name: String,
    pub notices: Vec<NoticeRow>,
    pub may_send: bool,
    /// (id, name, ticked) of each product and service.
    pub products: Vec<(i64, String, bool)>,
    pub f: NoticeForm,
    pub done: Option<String>,
}

async fn notices_page(
    s: &AppState,
    u: &PageUser,
    v: SentNotices,
    errors: Errors,
    f: NoticeForm,
    done: Option<String>,
) -> Result<NoticesPage, crate::kit::error::PageError> {
    let catalogue = s.app.supplier_products(&u.0.actor, &v.org.code).await?;
    Ok(NoticesPage {
        l: Layout::for_session(&u.0),
        errors,
        products: catalogue
            .products
            .into_iter()
            .map(|p| (p.id, p.name, f.products.contains(&p.id)))
            .collect(),
        code: v.org.code,
        name: v.org.name,
        notices: v.notices.into_iter().map(Into::into).collect(),
        may_send: v.may_send,
        f,
        done,
    })
}

/// The notices the supplier sent, and the form to send one.
pub(crate) async fn notices(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
) -> PageResult {
    let v = s.app.sent_supplier_notices(&u.0.actor, &code).await?;
    Ok(render(
        &notices_page(&s, &u, v, Errors::default(), NoticeForm::default(), None).await?,
    ))
}

/// Sends a notice; the page again with its errors when refused.
pub(crate) async fn send(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = NoticeForm::from_pairs(pairs);
    let input = NoticeInput {
        title: f.title.clone(),
        message: f.message.clone(),
        products: f.products.clone(),
    };
    match s
        .app
        .send_supplier_notice(&u.0.actor, &code, &f.incident, &input)
        .await
    {
        Ok(sent) => {
            let v = s.app.sent_supplier_notices(&u.0.actor, &code).await?;
            let done = if sent.created {
                format!(
                    "Sent to {} organisation{} ({} message{} queued).",
                    sent.notice.recipients,
                    if sent.notice.recipients == 1 { "" } else { "s" },
                    sent.messages,
                    if sent.messages == 1 { "" } else { "s" }
                )
            } else {
                "This notice was sent already: nothing more was sent.".into()
            };
            let page = notices_page(
                &s,
                &u,
                v,
                Errors::default(),
                NoticeForm::default(),
                Some(done),
            )
            .await?;
            Ok(render(&page))
        }
        Err(palisade_app::AppError::NotFound) => {
            let v = s.app.sent_supplier_notices(&u.0.actor, &code).await?;
            let errors = Errors::one(
                "incident",
                "No notified incident of this supplier has that reference",
            );
            let page = notices_page(&s, &u, v, errors, f, None).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => {
            let errors = form_errors(e)?;
            let v = s.app.sent_supplier_notices(&u.0.actor, &code).await?;
            let page = notices_page(&s, &u, v, errors, f, None).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// The organisation acknowledges a notice from one of its suppliers.
pub(crate) async fn acknowledge(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, i64)>,
) -> PageResult {
    s.app
        .acknowledge_supplier_notice(&u.0.actor, &code, id)
        .await?;
    Ok(see_other(&format!("/organisations/{code}/suppliers")))
}

#[derive(Template)]
#[template(path = "supplier_notice.html")]
pub struct RecipientsPage {
    pub l: Layout,
    pub n: NoticeRow,
    /// (code, name, acknowledged at).
    pub rows: Vec<(String, String, String)>,
    pub pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    pub page: Option<u32>,
}

/// A notice and who was told, for the national team.
pub(crate) async fn recipients(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let (notice, page) = s
        .app
        .supplier_notice_recipients(&u.0.actor, id, PageRequest::new(q.page, None))
        .await?;
    let pager = Pager::new(&page, &format!("/supplier-notices/{id}"));
    Ok(render(&RecipientsPage {
        l: Layout::for_session(&u.0),
        n: notice.into(),
        rows: page
            .items
            .into_iter()
            .map(|r| {
                (
                    r.code,
                    r.name,
                    r.acknowledged_at.map(uk_time).unwrap_or_default(),
                )
            })
            .collect(),
        pager,
    }))
}
