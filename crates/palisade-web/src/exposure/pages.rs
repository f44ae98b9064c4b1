//! Exposure pages for the national team: by CVE and by alert.

use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::views::{PageResult, list_url, *};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use palisade_domain::dates::date_text;
use palisade_domain::page::PageRequest;
use serde::Deserialize;

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
    /// Code, name (only for those who may see every organisation) and matching components.
    pub rows: Vec<(String, Option<String>, Vec<String>)>,
    pub total: u64,
    pub components: usize,
    pub pager: Pager,
    /// Suppliers' product versions left out by their VEX, each with what the supplier said.
    pub suppressed: Vec<String>,
}

/// Where a match comes from, for people.
pub(crate) fn source_text(s: palisade_app::exposure::Source) -> String {
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

/// A source in a few words: its kind and reference.
fn source_ref(s: &palisade_app::exposure::Source) -> String {
    use palisade_app::exposure::Source;
    match s {
        Source::Alert { reference, .. } => format!("alert {reference}"),
        Source::Advisory { feed, id, .. } => format!("{} {id}", feed.to_uppercase()),
        Source::KevProduct { cve } => format!("KEV {}", cve.as_str()),
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

pub(crate) fn exposure_page(
    u: &PageUser,
    heading: String,
    searchable: bool,
    cve: String,
    report: Option<palisade_app::exposure::ExposureReport>,
    base: &str,
    errors: Errors,
) -> ExposurePage {
    let asked = report.is_some();
    let suppressed = report
        .as_ref()
        .map(|r| r.suppressed.iter().map(suppressed_text).collect())
        .unwrap_or_default();
    let (kev, sources, rows, total, components, pager) = match report {
        Some(r) => {
            let pager = Pager::new(&r.organisations, base);
            // With several sources, each component says which of them name it.
            let refs: Vec<String> = r.sources.iter().map(source_ref).collect();
            let matched = |m: &palisade_app::exposure::MatchedComponent| {
                let text = component_text(&m.component);
                if refs.len() < 2 {
                    return text;
                }
                let by: Vec<&str> = m.sources.iter().map(|i| refs[*i].as_str()).collect();
                format!("{text} (named by {})", by.join(", "))
            };
            (
                r.kev
                    .map(|k| (date_text(k.date_added), k.name, k.ransomware)),
                r.sources.into_iter().map(source_text).collect(),
                r.organisations
                    .items
                    .into_iter()
                    .map(|e| {
                        let mut lines: Vec<String> = e.components.iter().map(matched).collect();
                        lines.extend(e.through.iter().flat_map(through_lines));
                        (e.code, e.name, lines)
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
        suppressed,
    }
}

/// A product version left out by its VEX, in words: `CareRecord 4.1 (8J000): CVE-2021-44228
/// fixed (upgraded to 2.16.0)`.
fn suppressed_text(s: &palisade_app::supplier_exposure::Suppressed) -> String {
    let said: Vec<String> = s
        .statements
        .iter()
        .map(|v| {
            let why: Vec<&str> = [v.justification.as_deref(), v.detail.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            if why.is_empty() {
                format!("{} {}", v.cve, v.status.label().to_lowercase())
            } else {
                format!(
                    "{} {} ({})",
                    v.cve,
                    v.status.label().to_lowercase(),
                    why.join(": ")
                )
            }
        })
        .collect();
    format!(
        "{} {} ({}): {}",
        s.product,
        s.version,
        s.supplier_code,
        said.join("; ")
    )
}

#[derive(Deserialize, Default)]
pub(crate) struct ExposureQuery {
    #[serde(default)]
    pub(crate) cve: String,
    pub(crate) page: Option<u32>,
}

pub(crate) async fn exposure_by_cve(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<ExposureQuery>,
) -> PageResult {
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

pub(crate) async fn alert_exposure(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Query(q): Query<ExposureQuery>,
) -> PageResult {
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

/// Each SBOM component a supplier path names, with the path: `log4j-core 2.14.1, through
/// supplier product CareRecord 4.2 (8J000)`.
pub(crate) fn through_lines(p: &palisade_app::supplier_exposure::SupplierPath) -> Vec<String> {
    p.components
        .iter()
        .map(|c| format!("{}, {}", component_text(c), p.describe()))
        .collect()
}
