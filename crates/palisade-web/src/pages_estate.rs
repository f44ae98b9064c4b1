//! The estate pages of an organisation: its inventory (uploaded here as CSV), its unsupported
//! systems on a day, and the mitigation it records for each.

use crate::AppState;
use crate::error::PageError;
use crate::identity::{CheckedMultipart, PageUser};
use crate::pages::{form_errors, list_url, on_file_field, type_options};
use crate::views::*;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use palisade_app::estate::{UnsupportedReport, UnsupportedSystem};
use palisade_app::exposure::EstateFilter;
use palisade_app::inventory::MAX_INVENTORY_BYTES;
use palisade_domain::eol::{MitigationAction, MitigationInput, support_text};
use palisade_domain::framework::date_text;
use palisade_domain::inventory::InventoryFormat;
use palisade_domain::page::PageRequest;
use palisade_domain::policy::OrgAction;
use palisade_store::{FeedRecord, InventoryUpload};
use serde::Deserialize;

type PageResult = Result<Response, PageError>;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/estate", get(national))
        .route("/estate/releases/{lifecycle}/{cycle}", get(release))
        .route("/estate/exposure", get(exposure_by_cve))
        .route("/alerts/{id}/exposure", get(alert_exposure))
        .route("/organisations/{code}/estate", get(estate))
        .route(
            "/organisations/{code}/estate/inventory",
            axum::routing::post(upload).layer(axum::extract::DefaultBodyLimit::max(
                MAX_INVENTORY_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/organisations/{code}/estate/mitigation",
            get(mitigation_form).post(save_mitigation),
        )
}

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
                match m.until {
                    Some(d) => format!("{} until {}", m.action.label(), date_text(d)),
                    None => m.action.label().to_string(),
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
    pub exposure: Vec<(String, bool, Vec<String>)>,
}

#[derive(Deserialize, Default)]
struct EstateQuery {
    #[serde(default)]
    on: String,
    page: Option<u32>,
}

fn feed_line(f: FeedRecord) -> (String, String) {
    (
        f.data_time
            .map(palisade_domain::clock::day_of)
            .unwrap_or_else(|| "an unknown date".into()),
        when(f.imported_at),
    )
}

async fn estate_page(
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
                m.components.iter().map(component_text).collect(),
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

async fn estate(
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

async fn upload(
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
    let upload = match crate::files::read_upload(form, &too_large).await {
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
    } else if let Some(f) = palisade_app::sbom::detect_json(&data) {
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
    pub f: MitigationValues,
    pub actions: Vec<(String, String, bool)>,
}

/// The form as typed; the system comes from the link on the estate page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MitigationValues {
    #[serde(default)]
    pub asset: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub evidence: String,
}

fn mitigation_page(
    u: &PageUser,
    code: String,
    name: String,
    errors: Errors,
    f: MitigationValues,
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

async fn mitigation_form(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Query(mut f): Query<MitigationValues>,
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

async fn save_mitigation(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(f): Form<MitigationValues>,
) -> PageResult {
    let view = s
        .app
        .org_for(&u.0.actor, &code, OrgAction::ManageInventory)
        .await?;
    let input = MitigationInput {
        asset: f.asset.clone(),
        vendor: f.vendor.clone(),
        product: f.product.clone(),
        action: f.action.clone(),
        until: f.until.clone(),
        evidence: f.evidence.clone(),
    };
    match s.app.save_mitigation(&u.0.actor, &code, &input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/organisations/{}/estate", view.org.code)).into_response())
        }
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

/// One release's line on the national page.
pub struct ReleaseRow {
    pub title: String,
    pub cycle_name: String,
    pub ended: String,
    pub organisations: usize,
    pub devices: usize,
    pub link: String,
}

#[derive(Template)]
#[template(path = "estate_national.html")]
pub struct NationalPage {
    pub l: Layout,
    pub errors: Errors,
    pub on: String,
    pub estates: usize,
    pub organisations: usize,
    pub devices: usize,
    pub covered: usize,
    pub lifecycles: Option<(String, String)>,
    pub type_options: Options,
    pub region_options: Options,
    /// The filters as a query string, for the CSV link.
    pub query: String,
    pub releases: Vec<ReleaseRow>,
    pub groups: Vec<(&'static str, Vec<palisade_app::exposure::GroupCount>)>,
    pub trend: Vec<palisade_store::EstateDay>,
    /// Every feed: (what it is, items, newest date its data gives, when imported).
    pub feeds: Vec<(&'static str, i64, String, String)>,
}

#[derive(Deserialize, Default)]
struct NationalQuery {
    #[serde(default)]
    on: String,
    #[serde(default)]
    org_type: String,
    #[serde(default)]
    region: String,
}

impl NationalQuery {
    fn filter(&self) -> Result<EstateFilter, Errors> {
        let org_type = match self.org_type.trim() {
            "" => None,
            t => Some(
                <palisade_domain::org::OrgType as std::str::FromStr>::from_str(t)
                    .map_err(|e| Errors::one("org_type", &e))?,
            ),
        };
        Ok(EstateFilter {
            org_type,
            region: Some(self.region.trim().to_string()).filter(|r| !r.is_empty()),
        })
    }
}

async fn national(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<NationalQuery>,
) -> PageResult {
    u.0.actor
        .require(palisade_domain::policy::GlobalAction::ViewNationalEstate)?;
    let (filter, mut errors) = match q.filter() {
        Ok(f) => (f, Errors::default()),
        Err(e) => (EstateFilter::default(), e),
    };
    let estate = match s
        .app
        .national_estate(&u.0.actor, Some(&q.on), &filter)
        .await
    {
        Ok(e) => e,
        Err(palisade_app::AppError::Invalid(e)) => {
            errors = e.into();
            s.app.national_estate(&u.0.actor, None, &filter).await?
        }
        Err(e) => return Err(e.into()),
    };
    let on = date_text(estate.on);
    let query = list_url(
        "",
        &[
            ("on", &on),
            ("org_type", &q.org_type),
            ("region", &q.region),
        ],
    )
    .trim_start_matches('?')
    .to_string();
    let regions = s
        .app
        .regions(&u.0.actor)
        .await?
        .into_iter()
        .map(|r| (r.clone(), r));
    let any = std::iter::once((String::new(), "Any region".to_string()));
    let trend = s.app.estate_trend(&u.0.actor, 90).await?;
    let feeds = s
        .app
        .feeds()
        .await?
        .into_iter()
        .map(|f| {
            let label = match f.name.as_str() {
                "eol" => "Product lifecycles (endoflife.date)",
                "kev" => "Known exploited vulnerabilities (CISA)",
                "osv" => "OSV advisories",
                "csaf" => "CSAF advisories",
                _ => "Other",
            };
            let (data, imported) = feed_line(f.clone());
            (label, f.items, data, imported)
        })
        .collect();
    let status = if errors.0.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &NationalPage {
            l: Layout::for_session(&u.0),
            errors,
            estates: estate.estates,
            organisations: estate.organisations,
            devices: estate.devices,
            covered: estate.covered,
            lifecycles: estate.feed.clone().map(feed_line),
            type_options: type_options(true, &q.org_type),
            region_options: options(any.chain(regions), &q.region),
            releases: estate
                .releases
                .iter()
                .map(|r| ReleaseRow {
                    title: r.title.clone(),
                    cycle_name: r.cycle_name.clone(),
                    ended: support_text(r.eol),
                    organisations: r.organisations,
                    devices: r.devices,
                    link: list_url(
                        &format!(
                            "/estate/releases/{}/{}",
                            path_segment(&r.slug),
                            path_segment(&r.cycle)
                        ),
                        &[
                            ("on", &on),
                            ("org_type", &q.org_type),
                            ("region", &q.region),
                        ],
                    ),
                })
                .collect(),
            groups: vec![("type", estate.by_type), ("region", estate.by_region)],
            trend,
            feeds,
            on,
            query,
        },
    ))
}

/// Text as one URL path segment.
fn path_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(Template)]
#[template(path = "estate_release.html")]
pub struct ReleasePage {
    pub l: Layout,
    pub heading: String,
    pub on: String,
    /// (code, name, type, region, devices)
    pub rows: Vec<(String, String, String, String, usize)>,
}

async fn release(
    State(s): State<AppState>,
    u: PageUser,
    Path((lifecycle, cycle)): Path<(String, String)>,
    Query(q): Query<NationalQuery>,
) -> PageResult {
    let filter = q.filter().map_err(|_| {
        PageError(palisade_app::AppError::invalid(
            "org_type",
            "is not an organisation type",
        ))
    })?;
    let estate = s
        .app
        .national_estate(&u.0.actor, Some(&q.on), &filter)
        .await?;
    let heading = estate
        .releases
        .iter()
        .find(|r| r.slug == lifecycle && r.cycle == cycle)
        .map_or_else(
            || format!("{lifecycle} {cycle}"),
            |r| format!("{} {}", r.title, r.cycle_name),
        );
    Ok(render(&ReleasePage {
        l: Layout::for_session(&u.0),
        heading,
        on: date_text(estate.on),
        rows: estate
            .release_organisations(&lifecycle, &cycle)
            .into_iter()
            .map(|(o, n)| {
                (
                    o.code.clone(),
                    o.name.clone(),
                    o.org_type.label().to_string(),
                    o.region.clone(),
                    n,
                )
            })
            .collect(),
    }))
}

#[derive(Template)]
#[template(path = "exposure.html")]
pub struct ExposurePage {
    pub l: Layout,
    pub errors: Errors,
    pub heading: String,
    /// The CVE search form is shown (not for one alert).
    pub searchable: bool,
    pub cve: String,
    pub asked: bool,
    /// (date added, name, used in ransomware)
    pub kev: Option<(String, String, bool)>,
    pub sources: Vec<String>,
    /// (code, name, matching components as text)
    pub rows: Vec<(String, String, Vec<String>)>,
    pub total: u64,
    pub components: usize,
    pub pager: Pager,
}

/// Where a match comes from, for people.
fn source_text(s: palisade_app::exposure::Source) -> String {
    use palisade_app::exposure::Source;
    match s {
        Source::Alert { reference, title } => format!("alert {reference}, {title}"),
        Source::Advisory { feed, id, title } if title.is_empty() => {
            format!("{} advisory {id}", feed.to_uppercase())
        }
        Source::Advisory { feed, id, title } => {
            format!("{} advisory {id}, {title}", feed.to_uppercase())
        }
        Source::KevProduct { cve } => format!(
            "known exploited vulnerability {} (every version of the product it names)",
            cve.as_str()
        ),
    }
}

/// A component for people: its asset, then its package URL or vendor, product and version.
pub(crate) fn component_text(c: &palisade_domain::inventory::Component) -> String {
    let name = c
        .purl
        .as_ref()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| {
            format!(
                "{} {} {}",
                c.vendor,
                c.product,
                c.version.as_deref().unwrap_or_default()
            )
        });
    format!(
        "{}: {}",
        c.asset,
        name.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

fn exposure_page(
    u: &PageUser,
    heading: String,
    searchable: bool,
    cve: String,
    report: Option<palisade_app::exposure::ExposureReport>,
    base: &str,
    errors: Errors,
) -> ExposurePage {
    let asked = report.is_some();
    let (kev, sources, rows, total, components, pager) = match report {
        Some(r) => {
            let pager = Pager::new(&r.organisations, base);
            (
                r.kev
                    .map(|k| (date_text(k.date_added), k.name, k.ransomware)),
                r.sources.into_iter().map(source_text).collect(),
                r.organisations
                    .items
                    .into_iter()
                    .map(|e| {
                        (
                            e.org.code,
                            e.org.name,
                            e.components.iter().map(component_text).collect(),
                        )
                    })
                    .collect(),
                r.organisations.total,
                r.components,
                pager,
            )
        }
        None => (
            None,
            Vec::new(),
            Vec::new(),
            0,
            0,
            Pager {
                page: 1,
                total_pages: 1,
                total: 0,
                prev: None,
                next: None,
            },
        ),
    };
    ExposurePage {
        l: Layout::for_session(&u.0),
        errors,
        heading,
        searchable,
        cve,
        asked,
        kev,
        sources,
        rows,
        total,
        components,
        pager,
    }
}

#[derive(Deserialize, Default)]
struct ExposureQuery {
    #[serde(default)]
    cve: String,
    page: Option<u32>,
}

async fn exposure_by_cve(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<ExposureQuery>,
) -> PageResult {
    u.0.actor
        .require(palisade_domain::policy::GlobalAction::ViewNationalEstate)?;
    let heading = "Who is exposed".to_string();
    if q.cve.trim().is_empty() {
        return Ok(render(&exposure_page(
            &u,
            heading,
            true,
            String::new(),
            None,
            "",
            Errors::default(),
        )));
    }
    let base = list_url("/estate/exposure", &[("cve", q.cve.trim())]);
    match s
        .app
        .exposure_by_cve(&u.0.actor, &q.cve, PageRequest::new(q.page, Some(50)))
        .await
    {
        Ok(r) => Ok(render(&exposure_page(
            &u,
            heading,
            true,
            q.cve.trim().to_string(),
            Some(r),
            &base,
            Errors::default(),
        ))),
        Err(palisade_app::AppError::Invalid(e)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &exposure_page(&u, heading, true, q.cve.clone(), None, "", e.into()),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn alert_exposure(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Query(q): Query<ExposureQuery>,
) -> PageResult {
    u.0.actor
        .require(palisade_domain::policy::GlobalAction::ViewNationalEstate)?;
    let r = s
        .app
        .alert_exposure(&u.0.actor, &id, PageRequest::new(q.page, Some(50)))
        .await?;
    let heading = format!("Who runs what {id} names");
    let base = format!("/alerts/{id}/exposure");
    Ok(render(&exposure_page(
        &u,
        heading,
        false,
        String::new(),
        Some(r),
        &base,
        Errors::default(),
    )))
}
