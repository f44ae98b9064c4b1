//! The suppliers' pages: an IT supplier's catalogue (its people list products and services),
//! and an organisation's suppliers (where each stands, and the product versions and services
//! the organisation uses, kept one by one or from a CSV file).

use crate::AppState;
use crate::kit::identity::{CheckedMultipart, PageUser};
use crate::kit::views::{PageResult, form_errors, *};
use crate::organisations::register::on_file_field;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use palisade_app::suppliers::{OrgSuppliers, SupplierProducts};
use palisade_domain::assessment::year_label;
use palisade_domain::charter::{CommitmentState, SignatureState};
use palisade_domain::dates::date_text;
use palisade_domain::supplier::{LinkInput, OfferingInput, OfferingKind, ServiceType};
use serde::Deserialize;

/// A product or service on the catalogue page.
pub struct ProductRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// "Product", or the service's type.
    pub kind: String,
    pub identities: Vec<String>,
    /// Each version, with its customer count when shown.
    pub versions: Vec<(String, Option<i64>)>,
    pub customers: Option<i64>,
    pub is_service: bool,
    /// (version, what its SBOM holds) for each version with an SBOM in force.
    pub sboms: Vec<(String, String)>,
    /// (version, statements) for each version with VEX statements.
    pub vex: Vec<(String, i64)>,
}

/// The product form as typed; versions separated by commas.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ProductForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub service_type: String,
    #[serde(default)]
    pub cpe: String,
    #[serde(default)]
    pub purl: String,
    #[serde(default)]
    pub versions: String,
}

impl ProductForm {
    fn input(&self) -> OfferingInput {
        OfferingInput {
            name: self.name.clone(),
            description: self.description.clone(),
            kind: self.kind.clone(),
            service_type: self.service_type.clone(),
            cpe: self.cpe.clone(),
            purl: self.purl.clone(),
            versions: self
                .versions
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(String::from)
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "supplier_products.html")]
pub struct ProductsPage {
    pub l: Layout,
    pub errors: Errors,
    pub code: String,
    pub name: String,
    pub products: Vec<ProductRow>,
    pub shows_customers: bool,
    pub may_see_names: bool,
    pub may_manage: bool,
    pub f: ProductForm,
    pub kinds: Options,
    pub service_types: Options,
    /// The product the form changes; `None` for the form that lists a new one.
    pub editing: Option<(i64, String)>,
}

fn products_page(
    u: &PageUser,
    v: SupplierProducts,
    errors: Errors,
    f: ProductForm,
) -> ProductsPage {
    products_page_editing(u, v, errors, f, None)
}

fn products_page_editing(
    u: &PageUser,
    v: SupplierProducts,
    errors: Errors,
    f: ProductForm,
    editing: Option<(i64, String)>,
) -> ProductsPage {
    let counts = v.shows_customers;
    let sboms = v.sboms;
    let vex = v.vex;
    let products = v
        .products
        .into_iter()
        .map(|p| ProductRow {
            vex: vex
                .iter()
                .filter(|(product, _, _)| *product == p.id)
                .map(|(_, version, n)| (version.clone(), *n))
                .collect(),
            id: p.id,
            sboms: sboms
                .iter()
                .filter(|s| s.product_id == p.id)
                .map(|s| {
                    (
                        s.version.clone(),
                        format!(
                            "{} components ({}), uploaded {}",
                            s.components,
                            if s.format == "spdx" {
                                "SPDX"
                            } else {
                                "CycloneDX"
                            },
                            palisade_domain::clock::uk_time(s.uploaded_at)
                        ),
                    )
                })
                .collect(),
            kind: p
                .service_type
                .map_or_else(|| p.kind.label().to_string(), |t| t.label().to_string()),
            identities: p.cpe.into_iter().chain(p.purl).collect(),
            versions: p
                .versions
                .into_iter()
                .map(|x| (x.version, counts.then_some(x.customers)))
                .collect(),
            customers: counts.then_some(p.customers),
            is_service: p.kind == OfferingKind::Service,
            name: p.name,
            description: p.description,
        })
        .collect();
    ProductsPage {
        l: Layout::for_session(&u.0),
        errors,
        kinds: options(
            OfferingKind::ALL
                .iter()
                .map(|k| (k.as_str().to_string(), k.label().to_string())),
            if f.kind.is_empty() {
                "product"
            } else {
                &f.kind
            },
        ),
        service_types: options(
            std::iter::once((String::new(), "Not a service".to_string())).chain(
                ServiceType::ALL
                    .iter()
                    .map(|t| (t.as_str().to_string(), t.label().to_string())),
            ),
            &f.service_type,
        ),
        code: v.org.code,
        name: v.org.name,
        editing,
        shows_customers: counts,
        may_see_names: v.may_see_names,
        may_manage: v.may_manage,
        products,
        f,
    }
}

/// An IT supplier's products and services, for anyone signed in.
pub(crate) async fn products(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
) -> PageResult {
    let v = s.app.supplier_products(&u.0.actor, &code).await?;
    Ok(render(&products_page(
        &u,
        v,
        Errors::default(),
        ProductForm::default(),
    )))
}

/// Lists a product or service; the page again with its errors when refused.
pub(crate) async fn create_product(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(f): Form<ProductForm>,
) -> PageResult {
    match s.app.create_product(&u.0.actor, &code, &f.input()).await {
        Ok(_) => Ok(see_other(&format!("/organisations/{code}/products"))),
        Err(e) => {
            let errors = form_errors(e)?;
            let v = s.app.supplier_products(&u.0.actor, &code).await?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &products_page(&u, v, errors, f),
            ))
        }
    }
}

/// The catalogue with the form filled in from one product, to change it.
pub(crate) async fn edit_product(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, i64)>,
) -> PageResult {
    let v = s.app.supplier_products(&u.0.actor, &code).await?;
    if !v.may_manage {
        return Err(palisade_app::AppError::Forbidden.into());
    }
    let p = v
        .products
        .iter()
        .find(|p| p.id == id)
        .ok_or(palisade_app::AppError::NotFound)?;
    let f = ProductForm {
        name: p.name.clone(),
        description: p.description.clone(),
        kind: p.kind.as_str().into(),
        service_type: p
            .service_type
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        cpe: p.cpe.clone().unwrap_or_default(),
        purl: p.purl.clone().unwrap_or_default(),
        versions: p
            .versions
            .iter()
            .map(|v| v.version.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    };
    let editing = Some((id, p.name.clone()));
    Ok(render(&products_page_editing(
        &u,
        v,
        Errors::default(),
        f,
        editing,
    )))
}

/// Changes a product or service; the form again with its errors when refused.
pub(crate) async fn update_product(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, i64)>,
    Form(f): Form<ProductForm>,
) -> PageResult {
    match s
        .app
        .update_product(&u.0.actor, &code, id, &f.input())
        .await
    {
        Ok(_) => Ok(see_other(&format!("/organisations/{code}/products"))),
        Err(e) => {
            let errors = form_errors(e)?;
            let v = s.app.supplier_products(&u.0.actor, &code).await?;
            let name = v
                .products
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.name.clone())
                .ok_or(palisade_app::AppError::NotFound)?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &products_page_editing(&u, v, errors, f, Some((id, name))),
            ))
        }
    }
}

/// One of the organisation's suppliers on its page.
pub struct SupplierRow {
    pub code: String,
    pub name: String,
    pub charter: SignatureState,
    pub charter_expires_on: String,
    pub dspt: String,
    /// (title, state) of each commitment.
    pub commitments: Vec<(String, CommitmentState)>,
    /// (link id, what is used, contract end).
    pub uses: Vec<(i64, String, String)>,
}

/// The link form as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LinkForm {
    #[serde(default)]
    pub supplier_code: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub contract_end: String,
}

#[derive(Template)]
#[template(path = "suppliers.html")]
pub struct SuppliersPage {
    pub l: Layout,
    pub errors: Errors,
    pub code: String,
    pub name: String,
    pub suppliers: Vec<SupplierRow>,
    pub may_manage: bool,
    pub f: LinkForm,
    pub done: Option<String>,
    /// Incident notices from suppliers, with when this organisation acknowledged each.
    pub notices: Vec<(super::notices_pages::NoticeRow, String)>,
}

fn suppliers_page(
    u: &PageUser,
    v: OrgSuppliers,
    errors: Errors,
    f: LinkForm,
    done: Option<String>,
) -> SuppliersPage {
    let suppliers = v
        .suppliers
        .into_iter()
        .map(|s| SupplierRow {
            charter: s.charter,
            charter_expires_on: s.charter_expires_on.map(date_text).unwrap_or_default(),
            dspt: s.dspt.map_or_else(
                || "No published assessment this year or last".into(),
                |(y, st)| format!("{}: {}", year_label(y), st.label()),
            ),
            commitments: s
                .commitments
                .into_iter()
                .map(|(_, title, state)| (title, state))
                .collect(),
            uses: s
                .uses
                .into_iter()
                .map(|l| {
                    let what = match l.service_type {
                        Some(t) => format!("{} ({})", l.product, t.label()),
                        None => format!("{} {}", l.product, l.version),
                    };
                    (
                        l.id,
                        what,
                        l.contract_end.map(date_text).unwrap_or_default(),
                    )
                })
                .collect(),
            code: s.supplier.code,
            name: s.supplier.name,
        })
        .collect();
    SuppliersPage {
        notices: v
            .notices
            .into_iter()
            .map(|r| {
                let at = r
                    .acknowledged_at
                    .map(palisade_domain::clock::uk_time)
                    .unwrap_or_default();
                (r.notice.into(), at)
            })
            .collect(),
        l: Layout::for_session(&u.0),
        errors,
        code: v.org.code,
        name: v.org.name,
        may_manage: v.may_manage,
        suppliers,
        f,
        done,
    }
}

/// The organisation's suppliers and what it uses of each.
pub(crate) async fn suppliers(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
) -> PageResult {
    let v = s.app.org_suppliers(&u.0.actor, &code).await?;
    Ok(render(&suppliers_page(
        &u,
        v,
        Errors::default(),
        LinkForm::default(),
        None,
    )))
}

/// Records a product version or service the organisation uses.
pub(crate) async fn add_link(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(f): Form<LinkForm>,
) -> PageResult {
    let input = LinkInput {
        supplier_code: f.supplier_code.clone(),
        product: f.product.clone(),
        version: f.version.clone(),
        service: f.service.clone(),
        contract_end: f.contract_end.clone(),
    };
    match s.app.add_supplier_link(&u.0.actor, &code, &input).await {
        Ok(_) => Ok(see_other(&format!("/organisations/{code}/suppliers"))),
        Err(e) => {
            let errors = form_errors(e)?;
            let v = s.app.org_suppliers(&u.0.actor, &code).await?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &suppliers_page(&u, v, errors, f, None),
            ))
        }
    }
}

/// Removes one product version or service from what the organisation uses.
pub(crate) async fn remove_link(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, i64)>,
) -> PageResult {
    s.app.remove_supplier_link(&u.0.actor, &code, id).await?;
    Ok(see_other(&format!("/organisations/{code}/suppliers")))
}

/// Replaces what the organisation uses with a CSV file's lines.
pub(crate) async fn import_links(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    CheckedMultipart(form): CheckedMultipart,
) -> PageResult {
    // Permission before the file is read: a refused upload is never buffered.
    let v = s.app.org_suppliers(&u.0.actor, &code).await?;
    if !v.may_manage {
        return Err(palisade_app::AppError::Forbidden.into());
    }
    let refused = async |errors: Errors| -> PageResult {
        let v = s.app.org_suppliers(&u.0.actor, &code).await?;
        let page = suppliers_page(&u, v, errors, LinkForm::default(), None);
        Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
    };
    let upload = match crate::kit::files::read_upload(form, "the file is larger than 1 MB").await {
        Ok(up) => up,
        Err(e) => return refused(form_errors(e)?).await,
    };
    let data = match upload.file {
        Some((_, bytes)) if !bytes.is_empty() => bytes,
        _ => return refused(Errors::one("file", "Select a CSV file")).await,
    };
    match s.app.import_supplier_links(&u.0.actor, &code, &data).await {
        Ok(n) => {
            let v = s.app.org_suppliers(&u.0.actor, &code).await?;
            let done = format!(
                "What {} uses was replaced from the file: {n} product version{} and services \
                 in all.",
                v.org.name,
                if n == 1 { "" } else { "s" }
            );
            Ok(render(&suppliers_page(
                &u,
                v,
                Errors::default(),
                LinkForm::default(),
                Some(done),
            )))
        }
        Err(e) => refused(on_file_field(form_errors(e)?, 20)).await,
    }
}

/// Replaces a product version's SBOM from the form's file; the catalogue again with the problem
/// when refused.
pub(crate) async fn upload_sbom(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, i64)>,
    CheckedMultipart(form): CheckedMultipart,
) -> PageResult {
    upload_for_version(&s, &u, &code, id, form, Upload::Sbom).await
}

/// Replaces a product version's VEX statements from the form's file.
pub(crate) async fn upload_vex(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, i64)>,
    CheckedMultipart(form): CheckedMultipart,
) -> PageResult {
    upload_for_version(&s, &u, &code, id, form, Upload::Vex).await
}

/// What a product version's upload form carries.
#[derive(Clone, Copy)]
enum Upload {
    Sbom,
    Vex,
}

async fn upload_for_version(
    s: &AppState,
    u: &PageUser,
    code: &str,
    id: i64,
    form: axum::extract::Multipart,
    what: Upload,
) -> PageResult {
    // Permission before the file is read: a refused upload is never buffered.
    let v = s.app.supplier_products(&u.0.actor, code).await?;
    if !v.may_manage {
        return Err(palisade_app::AppError::Forbidden.into());
    }
    let refused = async |errors: Errors| -> PageResult {
        let v = s.app.supplier_products(&u.0.actor, code).await?;
        let page = products_page(u, v, errors, ProductForm::default());
        Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
    };
    let too_large = format!(
        "the file is larger than {} MB",
        palisade_formats::inventory::MAX_INVENTORY_BYTES / (1024 * 1024)
    );
    let upload = match crate::kit::files::read_upload(form, &too_large).await {
        Ok(up) => up,
        Err(e) => return refused(form_errors(e)?).await,
    };
    let version = upload.field("version").to_string();
    let Some(data) = upload.file.map(|(_, b)| b).filter(|b| !b.is_empty()) else {
        return refused(Errors::one("file", "Select a JSON file")).await;
    };
    let done = match what {
        Upload::Sbom => {
            let Some(format) = palisade_formats::sbom::detect_json(&data) else {
                return refused(Errors::one(
                    "file",
                    "The file is neither a CycloneDX nor an SPDX JSON SBOM",
                ))
                .await;
            };
            s.app
                .upload_supplier_sbom(&u.0.actor, code, id, &version, format, &data)
                .await
                .map(|_| ())
        }
        Upload::Vex => s
            .app
            .upload_supplier_vex(&u.0.actor, code, id, &version, &data)
            .await
            .map(|_| ()),
    };
    match done {
        Ok(()) => Ok(see_other(&format!("/organisations/{code}/products"))),
        Err(e) => refused(on_file_field(form_errors(e)?, 20)).await,
    }
}
