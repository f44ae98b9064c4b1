//! The national pages of suppliers: the charter across every IT supplier with the drill-down to
//! each, and a supplier's customers by name (the national admin allows the supplier to see it).

use super::national::percent;
use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::views::{PageResult, *};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use palisade_app::suppliers::SupplierFigure;
use palisade_domain::assessment::year_label;
use palisade_domain::charter::SignatureState;
use palisade_domain::dates::date_text;
use palisade_domain::page::PageRequest;
use serde::Deserialize;

/// A supplier's row on the national page.
pub struct FigureRow {
    pub code: String,
    pub name: String,
    pub customers: i64,
    pub state: SignatureState,
    pub expires_on: String,
    pub dspt: String,
    pub met: usize,
}

impl From<&SupplierFigure> for FigureRow {
    fn from(s: &SupplierFigure) -> Self {
        Self {
            code: s.org.code.clone(),
            name: s.org.name.clone(),
            customers: s.customers,
            state: s.state,
            expires_on: s.expires_on.map(date_text).unwrap_or_default(),
            dspt: s.dspt.map_or_else(
                || "None published".into(),
                |(y, st)| format!("{}: {}", year_label(y), st.label()),
            ),
            met: s.met,
        }
    }
}

#[derive(Template)]
#[template(path = "charter_figures.html")]
pub struct FiguresPage {
    pub l: Layout,
    pub suppliers: usize,
    pub signatories: usize,
    /// (state, suppliers).
    pub states: Vec<(SignatureState, usize)>,
    /// (title, met, per cent).
    pub commitments: Vec<(String, usize, String)>,
    pub below: Vec<FigureRow>,
    /// This page of every supplier, most customers first.
    pub rows: Vec<FigureRow>,
    pub pager: Pager,
    pub of: usize,
    /// The newest supplier incident notices.
    pub notices: Vec<super::notices_pages::NoticeRow>,
}

/// The charter across every active IT supplier, for the national team.
pub(crate) async fn figures(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let f = s.app.charter_figures(&u.0.actor).await?;
    let notices = s.app.recent_supplier_notices(&u.0.actor).await?;
    let total = f.suppliers.len();
    let count = |wanted: SignatureState| {
        f.states
            .iter()
            .find(|(s, _)| *s == wanted)
            .map_or(0, |(_, n)| *n)
    };
    // Every supplier, most customers first, a page at a time.
    let all: Vec<FigureRow> = f.suppliers.iter().map(Into::into).collect();
    let rows = palisade_domain::page::Page::slice(all, PageRequest::new(q.page, None));
    let pager = Pager::new(&rows, "/charter/figures");
    Ok(render(&FiguresPage {
        l: Layout::for_session(&u.0),
        suppliers: total,
        signatories: count(SignatureState::Signed) + count(SignatureState::ReaffirmationDue),
        states: f.states.clone(),
        commitments: f
            .commitments
            .iter()
            .map(|c| {
                (
                    c.title.clone(),
                    c.met,
                    format!("{:.1}", percent(c.met, total)),
                )
            })
            .collect(),
        below: f.below_standards_met().map(Into::into).collect(),
        rows: rows.items,
        pager,
        of: f.commitments.len(),
        notices: notices.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Template)]
#[template(path = "supplier_customers.html")]
pub struct CustomersPage {
    pub l: Layout,
    pub code: String,
    pub name: String,
    pub allowed: bool,
    pub may_allow: bool,
    /// (code, name, what is used, contract end).
    pub rows: Vec<(String, String, String, String)>,
    pub pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    pub page: Option<u32>,
}

/// The supplier's customers by name.
pub(crate) async fn customers(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let (v, page) = s
        .app
        .supplier_customers(&u.0.actor, &code, PageRequest::new(q.page, None))
        .await?;
    let pager = Pager::new(&page, &format!("/organisations/{}/customers", v.org.code));
    Ok(render(&CustomersPage {
        l: Layout::for_session(&u.0),
        rows: page
            .items
            .into_iter()
            .map(|c| {
                let what = if c.version.is_empty() {
                    c.product
                } else {
                    format!("{} {}", c.product, c.version)
                };
                (c.code, c.name, what, c.contract_end.unwrap_or_default())
            })
            .collect(),
        pager,
        code: v.org.code,
        name: v.org.name,
        allowed: v.allowed,
        may_allow: v.may_allow,
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct NamesForm {
    pub allowed: String,
}

/// The national admin allows the supplier's people to see the list, or stops it.
pub(crate) async fn allow_names(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(f): Form<NamesForm>,
) -> PageResult {
    s.app
        .allow_customer_names(&u.0.actor, &code, f.allowed == "yes")
        .await?;
    Ok(see_other(&format!("/organisations/{code}/customers")))
}
