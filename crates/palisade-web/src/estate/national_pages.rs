//! The national estate page and its drill-down per product release.

use crate::AppState;
use crate::estate::organisation_pages::feed_line;
use crate::kit::error::PageError;
use crate::kit::identity::PageUser;
use crate::kit::views::{PageResult, list_url, type_options, *};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use palisade_app::exposure::EstateFilter;
use palisade_domain::dates::date_text;
use palisade_domain::eol::support_text;
use serde::Deserialize;

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
pub(crate) struct NationalQuery {
    #[serde(default)]
    pub(crate) on: String,
    #[serde(default)]
    pub(crate) org_type: String,
    #[serde(default)]
    pub(crate) region: String,
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

/// The national estate on the query's day with its filters, for a page that shows no form (a
/// bad filter is refused outright rather than shown beside the form).
async fn estate_for(
    s: &AppState,
    u: &PageUser,
    q: &NationalQuery,
) -> Result<palisade_app::exposure::NationalEstate, PageError> {
    let filter = q.filter().map_err(|_| {
        PageError(palisade_app::AppError::invalid(
            "org_type",
            "is not an organisation type",
        ))
    })?;
    Ok(s.app
        .national_estate(&u.0.actor, Some(&q.on), &filter)
        .await?)
}

/// The national estate as CSV for the person signed in, with the page's filters: the link on
/// the page (the API's CSV needs a bearer token, which a browser does not send).
pub(crate) async fn national_csv(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<NationalQuery>,
) -> PageResult {
    let e = estate_for(&s, &u, &q).await?;
    Ok(crate::estate::api::estate_csv_download(&e))
}

pub(crate) async fn national(
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
pub(crate) fn path_segment(s: &str) -> String {
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

pub(crate) async fn release(
    State(s): State<AppState>,
    u: PageUser,
    Path((lifecycle, cycle)): Path<(String, String)>,
    Query(q): Query<NationalQuery>,
) -> PageResult {
    let estate = estate_for(&s, &u, &q).await?;
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
