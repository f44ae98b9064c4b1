//! An organisation's estate page: its inventory upload, unsupported systems on a day, and the
//! mitigation it records for each.

use crate::AppState;
use crate::exposure::pages::{component_text, source_text};
use crate::kit::error::PageError;
use crate::kit::identity::{CheckedMultipart, PageUser};
use crate::kit::views::{PageResult, form_errors, list_url, *};
use crate::organisations::register::on_file_field;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use palisade_app::estate::{UnsupportedReport, UnsupportedSystem};
use palisade_domain::dates::date_text;
use palisade_domain::eol::{MitigationAction, MitigationInput, support_text};
use palisade_domain::inventory::InventoryFormat;
use palisade_domain::page::PageRequest;
use palisade_domain::policy::OrgAction;
use palisade_formats::inventory::MAX_INVENTORY_BYTES;
use palisade_store::{FeedRecord, InventoryUpload};
use serde::Deserialize;

/// One row of the unsupported systems table.
pub struct SystemRow {
    pub asset: String,
    pub asset_type: String,
    pub product: String,
    pub version: String,
    pub lifecycle: String,
    pub cycle: String,
    pub ambiguous: bool,
    pub ended: String,
    pub extended: Option<String>,
    pub mitigation: Option<String>,
    /// The mitigation form for this system.
    pub mitigate: String,
}

impl SystemRow {
    fn new(code: &str, u: UnsupportedSystem) -> Self {
        let c = u.component;
        let mitigate = list_url(
            &format!("/organisations/{code}/estate/mitigation"),
            &[
                ("asset", &c.asset),
                ("vendor", &c.vendor),
                ("product", &c.product),
            ],
        );
        Self {
            mitigate,
            asset: c.asset,
            asset_type: c.asset_type.label(),
            product: format!("{} {}", c.vendor, c.product).trim().to_string(),
            version: c.version.unwrap_or_default(),
            lifecycle: u.product_title,
            cycle: u.cycle.name().to_string(),
            ambiguous: u.ambiguous,
            ended: support_text(u.eol),
            extended: u.eoes.and_then(|s| s.date()).map(date_text),
            mitigation: u.mitigation.map(|m| {
                let m = m.mitigation;
                match (m.from, m.until) {
                    (Some(f), Some(u)) => format!(
                        "{} from {} until {}",
                        m.action.label(),
                        date_text(f),
                        date_text(u)
                    ),
                    (None, Some(u)) => format!("{} until {}", m.action.label(), date_text(u)),
                    _ => m.action.label().to_string(),
                }
            }),
        }
    }
}

#[derive(Template)]
#[template(path = "estate.html")]
pub struct EstatePage {
    pub l: Layout,
    pub errors: Errors,
    pub code: String,
    pub name: String,
    pub can_manage: bool,
    pub uploaded: Option<String>,
    pub latest: Option<InventoryUpload>,
    pub latest_at: String,
    pub on: String,
    pub components: usize,
    pub covered: usize,
    pub lifecycles: Option<(String, String)>,
    pub rows: Vec<SystemRow>,
    pub pager: Pager,
    /// What the components match: (source, known exploited, matching components as text).
    /// Each match: its source, whether known exploited, how many components, the first ten.
    pub exposure: Vec<(String, bool, usize, Vec<String>)>,
}

#[derive(Deserialize, Default)]
pub(crate) struct EstateQuery {
    #[serde(default)]
    pub(crate) on: String,
    pub(crate) page: Option<u32>,
}

pub(crate) fn feed_line(f: FeedRecord) -> (String, String) {
    (
        f.data_time
            .map(palisade_domain::clock::day_of)
            .unwrap_or_else(|| "an unknown date".into()),
        when(f.imported_at),
    )
}

pub(crate) async fn estate_page(
    s: &AppState,
    u: &PageUser,
    code: &str,
    on: &str,
    page: Option<u32>,
    errors: Errors,
    uploaded: Option<String>,
) -> Result<EstatePage, PageError> {
    let view = s
        .app
        .org_for(&u.0.actor, code, OrgAction::ViewInventory)
        .await?;
    let code = view.org.code.to_string();
    let report: UnsupportedReport = s
        .app
        .unsupported(
            &u.0.actor,
            &code,
            Some(on),
            PageRequest::new(page, Some(50)),
        )
        .await?;
    let latest = s
        .app
        .inventory_uploads(&u.0.actor, &code, PageRequest::new(Some(1), Some(1)))
        .await?
        .items
        .into_iter()
        .next();
    let exposure = s
        .app
        .org_exposure(&u.0.actor, &code)
        .await?
        .into_iter()
        .map(|m| {
            (
                source_text(m.source),
                m.known_exploited,
                m.component_count,
                m.components.iter().take(10).map(component_text).collect(),
            )
        })
        .collect();
    let on_text = date_text(report.on);
    let pager = Pager::new(
        &report.systems,
        &format!("/organisations/{code}/estate?on={on_text}"),
    );
    Ok(EstatePage {
        l: Layout::for_session(&u.0),
        errors,
        can_manage: u
            .0
            .actor
            .principal
            .may(OrgAction::ManageInventory, &view.ancestry),
        name: view.org.name,
        uploaded,
        latest_at: latest
            .as_ref()
            .map(|l| when(l.uploaded_at))
            .unwrap_or_default(),
        latest,
        on: on_text,
        components: report.components,
        covered: report.covered,
        lifecycles: report.feed.map(feed_line),
        rows: report
            .systems
            .items
            .into_iter()
            .map(|r| SystemRow::new(&code, r))
            .collect(),
        pager,
        exposure,
        code,
    })
}

pub(crate) async fn estate(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Query(q): Query<EstateQuery>,
) -> PageResult {
    match estate_page(&s, &u, &code, &q.on, q.page, Errors::default(), None).await {
        Ok(p) => Ok(render(&p)),
        // A date that is not one: the page for today, with the error on the date field.
        Err(PageError(palisade_app::AppError::Invalid(e))) => {
            let page = estate_page(&s, &u, &code, "", None, e.into(), None).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e),
    }
}

pub(crate) async fn upload(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    CheckedMultipart(form): CheckedMultipart,
) -> PageResult {
    // Permission before the file is read: a refused upload is never buffered.
    s.app
        .org_for(&u.0.actor, &code, OrgAction::ManageInventory)
        .await?;
    let refused = async |errors: Errors| -> PageResult {
        let page = estate_page(&s, &u, &code, "", None, errors, None).await?;
        Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
    };
    let too_large = format!(
        "the inventory is larger than {} MB",
        MAX_INVENTORY_BYTES / (1024 * 1024)
    );
    let upload = match crate::kit::files::read_upload(form, &too_large).await {
        Ok(up) => up,
        Err(e) => return refused(form_errors(e)?).await,
    };
    let data = match upload.file {
        Some((_, bytes)) if !bytes.is_empty() => bytes,
        _ => {
            return refused(Errors::one(
                "file",
                "Select an inventory (a CSV file, or a CycloneDX or SPDX JSON SBOM)",
            ))
            .await;
        }
    };
    // A JSON document says which SBOM format it is; anything else is read as CSV.
    let json = data.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let format = if !json {
        InventoryFormat::Csv
    } else if let Some(f) = palisade_formats::sbom::detect_json(&data) {
        f
    } else {
        return refused(Errors::one(
            "file",
            "The JSON file is neither a CycloneDX nor an SPDX SBOM",
        ))
        .await;
    };
    match s
        .app
        .upload_inventory(&u.0.actor, &code, format, &data)
        .await
    {
        Ok(up) => {
            let done = format!(
                "Inventory replaced: {} components, {} added and {} removed since the last upload.",
                up.components, up.added, up.removed
            );
            let page = estate_page(&s, &u, &code, "", None, Errors::default(), Some(done)).await?;
            Ok(render(&page))
        }
        Err(e) => refused(on_file_field(form_errors(e)?, 20)).await,
    }
}

#[derive(Template)]
#[template(path = "mitigation_form.html")]
pub struct MitigationForm {
    pub l: Layout,
    pub errors: Errors,
    pub code: String,
    pub name: String,
    pub f: MitigationInput,
    pub actions: Vec<(String, String, bool)>,
}

pub(crate) fn mitigation_page(
    u: &PageUser,
    code: String,
    name: String,
    errors: Errors,
    f: MitigationInput,
) -> MitigationForm {
    MitigationForm {
        l: Layout::for_session(&u.0),
        errors,
        actions: MitigationAction::ALL
            .iter()
            .map(|a| {
                (
                    a.as_str().to_string(),
                    a.label().to_string(),
                    a.as_str() == f.action,
                )
            })
            .collect(),
        code,
        name,
        f,
    }
}

pub(crate) async fn mitigation_form(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Query(mut f): Query<MitigationInput>,
) -> PageResult {
    let view = s
        .app
        .org_for(&u.0.actor, &code, OrgAction::ManageInventory)
        .await?;
    // What is already recorded for this system fills the form.
    if let Some(m) = s
        .app
        .mitigations(&u.0.actor, &code)
        .await?
        .into_iter()
        .map(|m| m.mitigation)
        .find(|m| m.system() == (f.asset.as_str(), f.vendor.as_str(), f.product.as_str()))
    {
        f.action = m.action.as_str().into();
        f.from = m.from.map(date_text).unwrap_or_default();
        f.until = m.until.map(date_text).unwrap_or_default();
        f.evidence = m.evidence;
    }
    Ok(render(&mitigation_page(
        &u,
        view.org.code.to_string(),
        view.org.name,
        Errors::default(),
        f,
    )))
}

pub(crate) async fn save_mitigation(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(f): Form<MitigationInput>,
) -> PageResult {
    let view = s
        .app
        .org_for(&u.0.actor, &code, OrgAction::ManageInventory)
        .await?;
    match s.app.save_mitigation(&u.0.actor, &code, &f).await {
        Ok(_) => Ok(crate::kit::views::see_other(&format!(
            "/organisations/{}/estate",
            view.org.code
        ))),
        Err(e) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &mitigation_page(
                &u,
                view.org.code.to_string(),
                view.org.name,
                form_errors(e)?,
                f,
            ),
        )),
    }
}
