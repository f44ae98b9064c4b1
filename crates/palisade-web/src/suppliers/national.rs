//! The national view of suppliers over the API: the charter across every IT supplier, and a
//! supplier's customers by name (for the national team, and for the supplier once allowed).

use crate::AppState;
use crate::kit::envelope::{ListMeta, items_and_meta};
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiJson, ApiQuery, ApiResult, Paging};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use palisade_app::suppliers::{CharterFigures, SupplierFigure};
use palisade_domain::assessment::year_label;
use palisade_domain::dates::date_text;
use palisade_store::CustomerRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How many suppliers are in one state.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateCount {
    pub state: String,
    pub suppliers: usize,
}

/// One commitment across every active IT supplier.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommitmentFigureDto {
    pub key: String,
    pub title: String,
    /// Suppliers for which it is `evidenced` or `live_met`.
    pub met: usize,
    /// `met` as a share of all active IT suppliers, in per cent to one decimal place.
    pub met_percent: f64,
    /// Suppliers in each commitment state.
    pub states: Vec<StateCount>,
}

/// One supplier on the national view.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierFigureDto {
    pub code: String,
    pub name: String,
    /// Active organisations using anything it offers.
    pub customers: i64,
    pub charter_state: String,
    pub charter_expires_on: Option<String>,
    pub dspt_status: Option<String>,
    pub dspt_year: Option<String>,
    /// Commitments evidenced or met live.
    pub commitments_met: usize,
}

impl From<&SupplierFigure> for SupplierFigureDto {
    fn from(s: &SupplierFigure) -> Self {
        Self {
            code: s.org.code.clone(),
            name: s.org.name.clone(),
            customers: s.customers,
            charter_state: s.state.as_str().into(),
            charter_expires_on: s.expires_on.map(date_text),
            dspt_status: s.dspt.map(|(_, st)| st.as_str().into()),
            dspt_year: s.dspt.map(|(y, _)| year_label(y)),
            commitments_met: s.met,
        }
    }
}

/// The charter across every active IT supplier.
#[derive(Debug, Serialize, ToSchema)]
pub struct CharterFiguresDto {
    /// Active IT suppliers.
    pub suppliers: usize,
    /// Suppliers `signed` or `reaffirmation_due` today.
    pub signatories: usize,
    /// Suppliers in each signature state.
    pub states: Vec<StateCount>,
    pub commitments: Vec<CommitmentFigureDto>,
    /// Suppliers whose latest published assessment is below Standards Met, or who have none.
    pub below_standards_met: Vec<SupplierFigureDto>,
    /// Every supplier, most customer organisations first.
    pub by_customers: Vec<SupplierFigureDto>,
}

/// `part` of `whole` in per cent, to one decimal place; 0 of nothing is 0.
pub(crate) fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 * 1000.0 / whole as f64).round() / 10.0
}

impl From<CharterFigures> for CharterFiguresDto {
    fn from(f: CharterFigures) -> Self {
        let total = f.suppliers.len();
        let count = |state: &str| {
            f.states
                .iter()
                .find(|(s, _)| s.as_str() == state)
                .map_or(0, |(_, n)| *n)
        };
        Self {
            suppliers: total,
            signatories: count("signed") + count("reaffirmation_due"),
            states: f
                .states
                .iter()
                .map(|(s, n)| StateCount {
                    state: s.as_str().into(),
                    suppliers: *n,
                })
                .collect(),
            commitments: f
                .commitments
                .iter()
                .map(|c| CommitmentFigureDto {
                    key: c.key.as_str().into(),
                    title: c.title.clone(),
                    met: c.met,
                    met_percent: percent(c.met, total),
                    states: c
                        .by_state
                        .iter()
                        .map(|(s, n)| StateCount {
                            state: s.as_str().into(),
                            suppliers: *n,
                        })
                        .collect(),
                })
                .collect(),
            below_standards_met: f.below_standards_met().map(Into::into).collect(),
            by_customers: f.suppliers.iter().map(Into::into).collect(),
        }
    }
}

/// An organisation using one of the supplier's product versions or services.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerDto {
    pub code: String,
    pub name: String,
    pub product: String,
    /// Empty for a service.
    pub version: String,
    pub contract_end: Option<String>,
}

impl From<CustomerRecord> for CustomerDto {
    fn from(c: CustomerRecord) -> Self {
        Self {
            code: c.code,
            name: c.name,
            product: c.product,
            version: c.version,
            contract_end: c.contract_end,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerList {
    /// Whether the supplier's own people may read this list.
    pub names_allowed: bool,
    pub items: Vec<CustomerDto>,
    pub meta: ListMeta,
}

/// Whether the supplier's own people may see its customers' names.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NamesBody {
    pub allowed: bool,
}

#[utoipa::path(get, path = "/api/v1/charter/figures", tag = "suppliers",
    security(("bearer" = [])), responses((status = 200, body = CharterFiguresDto), (status = 403, body = ErrorBody)))]
pub(crate) async fn charter_figures(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> ApiResult<Json<CharterFiguresDto>> {
    Ok(Json(s.app.charter_figures(&actor).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/customers", tag = "suppliers", params(("code" = String, Path), Paging),
    security(("bearer" = [])), responses((status = 200, body = CustomerList),
        (status = 403, description = "The supplier's own, before the national team allows it", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn list_customers(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<CustomerList>> {
    let (v, page) = s
        .app
        .supplier_customers(&actor, &code, q.request()?)
        .await?;
    let (items, meta) = items_and_meta(page);
    Ok(Json(CustomerList {
        names_allowed: v.allowed,
        items,
        meta,
    }))
}

#[utoipa::path(put, path = "/api/v1/organisations/{code}/customers/names", tag = "suppliers", params(("code" = String, Path)), request_body = NamesBody,
    security(("bearer" = [])), responses((status = 200, description = "Recorded, in the audit log", body = NamesBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn allow_names(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<NamesBody>,
) -> ApiResult<Json<NamesBody>> {
    s.app.allow_customer_names(&actor, &code, b.allowed).await?;
    Ok(Json(b))
}
