//! A read-only TAXII 2.1 server: discovery at `/taxii2/`, one API root at `/taxii2/api/` with
//! two collections: every published alert as STIX 2.1 objects (see
//! `palisade_formats::publish::stix`), which needs no sign-in like the public alert pages; and
//! indicators of compromise with their TLP 2.0 markings, where a bearer token decides what a
//! caller receives beyond TLP:CLEAR.

use crate::AppState;
use crate::kit::identity::Identity;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use palisade_app::{Actor, AppError};
use palisade_formats::publish::indicators;
use palisade_formats::publish::stix::{
    STIX_MEDIA_TYPE, StixPage, StixQuery, VersionMatch, collection_id, parse_time,
};
use serde_json::{Value, json};

pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";

/// Objects per page when a request does not say.
pub(crate) const DEFAULT_PAGE: usize = 100;

/// A TAXII error: its status and the error message resource.
pub(crate) struct TaxiiError(StatusCode, String);

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = json!({
            "title": self.0.canonical_reason().unwrap_or("error"),
            "description": self.1,
            "http_status": self.0.as_u16().to_string(),
        });
        taxii(self.0, body, None)
    }
}

impl From<AppError> for TaxiiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => TaxiiError(StatusCode::NOT_FOUND, "not found".into()),
            AppError::Invalid(errs) => TaxiiError(StatusCode::BAD_REQUEST, errs.to_string()),
            _ => TaxiiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                "something went wrong on our side".into(),
            ),
        }
    }
}

pub(crate) type TaxiiResult = Result<Response, TaxiiError>;

pub(crate) fn taxii(status: StatusCode, body: Value, page: Option<&StixPage>) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(TAXII_MEDIA_TYPE),
    );
    if let Some((first, last)) = page.and_then(StixPage::added_range) {
        for (name, v) in [
            ("x-taxii-date-added-first", first),
            ("x-taxii-date-added-last", last),
        ] {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(name, v);
            }
        }
    }
    res
}

/// Refuses a request that accepts neither TAXII 2.1 nor anything at all.
pub(crate) fn check_accept(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|a| a.to_str().ok()) else {
        return Ok(());
    };
    let ok = accept.split(',').any(|kind| {
        let parts: Vec<String> = kind
            .split(';')
            .map(|p| p.trim().to_ascii_lowercase().replace(' ', ""))
            .collect();
        match parts[0].as_str() {
            "*/*" | "application/*" => true,
            "application/taxii+json" => parts[1..]
                .iter()
                .all(|p| !p.starts_with("version=") || p == "version=2.1"),
            _ => false,
        }
    });
    if ok {
        Ok(())
    } else {
        Err(TaxiiError(
            StatusCode::NOT_ACCEPTABLE,
            format!("this server answers with {TAXII_MEDIA_TYPE}"),
        ))
    }
}

/// The collections of the API root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Collection {
    Alerts,
    Indicators,
}

pub(crate) fn check_collection(cid: &str) -> Result<Collection, TaxiiError> {
    if cid == collection_id() {
        Ok(Collection::Alerts)
    } else if cid == indicators::collection_id() {
        Ok(Collection::Indicators)
    } else {
        Err(TaxiiError(
            StatusCode::NOT_FOUND,
            format!("there is no collection {cid}"),
        ))
    }
}

/// Who reads: the integration or person behind a bearer token, or anyone. The alerts are public
/// whatever the request carries; the indicators collection refuses a token that is not valid
/// rather than read it as no one.
pub(crate) struct TaxiiCaller {
    actor: Option<Box<Actor>>,
    bad_token: bool,
}

impl TaxiiCaller {
    fn for_indicators(&self) -> Result<Option<&Actor>, TaxiiError> {
        if self.bad_token {
            return Err(TaxiiError(
                StatusCode::UNAUTHORIZED,
                "the bearer token is not valid, or has expired or been revoked".into(),
            ));
        }
        Ok(self.actor.as_deref())
    }
}

impl FromRequestParts<AppState> for TaxiiCaller {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        _: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        let actor = match parts.extensions.get::<Identity>() {
            Some(Identity::Api(a)) => Some(a.clone()),
            _ => None,
        };
        let bad_token = actor.is_none() && crate::kit::limits::bearer(&parts.headers).is_some();
        Ok(TaxiiCaller { actor, bad_token })
    }
}

pub(crate) async fn discovery(State(s): State<AppState>, headers: HeaderMap) -> TaxiiResult {
    check_accept(&headers)?;
    let root = s.app.public_link("/taxii2/api/");
    Ok(taxii(
        StatusCode::OK,
        json!({
            "title": format!("{}: cyber alerts", s.app.alerts.publisher),
            "description": "Published cyber alerts as STIX 2.1 objects.",
            "contact": s.app.public_link("/public/alerts"),
            "default": root,
            "api_roots": [root],
        }),
        None,
    ))
}

pub(crate) async fn api_root(State(s): State<AppState>, headers: HeaderMap) -> TaxiiResult {
    check_accept(&headers)?;
    Ok(taxii(
        StatusCode::OK,
        json!({
            "title": format!("{}: cyber alerts", s.app.alerts.publisher),
            "description": "Two collections: every published alert, and indicators of compromise by TLP.",
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": s.cfg.max_body_bytes,
        }),
        None,
    ))
}

pub(crate) fn collection_resource(c: Collection) -> Value {
    let (id, title, description) = match c {
        Collection::Alerts => (
            collection_id(),
            "Cyber alerts",
            "Every published cyber alert: reports, vulnerabilities, affected software and remediation.",
        ),
        Collection::Indicators => (
            indicators::collection_id(),
            "Indicators of compromise",
            "Indicators seen on incidents, each with its TLP 2.0 marking: TLP:CLEAR to anyone; \
             with a bearer token, what TLP lets its holder see.",
        ),
    };
    json!({
        "id": id,
        "title": title,
        "description": description,
        "can_read": true,
        "can_write": false,
        "media_types": [STIX_MEDIA_TYPE],
    })
}

pub(crate) async fn collections(headers: HeaderMap) -> TaxiiResult {
    check_accept(&headers)?;
    let all = [Collection::Alerts, Collection::Indicators].map(collection_resource);
    Ok(taxii(StatusCode::OK, json!({ "collections": all }), None))
}

pub(crate) async fn collection(headers: HeaderMap, Path(cid): Path<String>) -> TaxiiResult {
    check_accept(&headers)?;
    let c = check_collection(&cid)?;
    Ok(taxii(StatusCode::OK, collection_resource(c), None))
}

pub(crate) fn bad(m: impl Into<String>) -> TaxiiError {
    TaxiiError(StatusCode::BAD_REQUEST, m.into())
}

/// The filters of a request (`added_after`, `limit`, `next`, `match[...]`).
pub(crate) fn query(uri: &Uri) -> Result<StixQuery, TaxiiError> {
    let mut q = StixQuery {
        limit: DEFAULT_PAGE,
        ..StixQuery::default()
    };
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "added_after" => q.added_after_ms = Some(parse_time(&v).map_err(bad)?),
            "limit" => {
                q.limit = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| bad(format!("limit '{v}' must be a positive number")))?
            }
            "next" => q.next = Some(v.into_owned()),
            "match[id]" => q.ids.extend(list(&v)),
            "match[type]" => q.types.extend(list(&v)),
            "match[version]" => q.versions = VersionMatch::parse(&v).map_err(bad)?,
            "match[spec_version]" => q.spec_versions.extend(list(&v)),
            other => return Err(bad(format!("'{other}' is not a filter this server knows"))),
        }
    }
    Ok(q)
}

/// A request for a collection's objects: TAXII accepted, the collection, its filters.
fn collection_query(
    headers: &HeaderMap,
    cid: &str,
    uri: &Uri,
) -> Result<(Collection, StixQuery), TaxiiError> {
    check_accept(headers)?;
    let c = check_collection(cid)?;
    Ok((c, query(uri)?))
}

/// A page of a collection's objects for the caller.
async fn page_of(
    s: &AppState,
    caller: &TaxiiCaller,
    c: Collection,
    q: &StixQuery,
) -> Result<StixPage, TaxiiError> {
    Ok(match c {
        Collection::Alerts => s.app.stix_page(q).await?,
        Collection::Indicators => s.app.indicator_page(caller.for_indicators()?, q).await?,
    })
}

/// One object of a collection (all its versions with `all_versions`) for the caller.
async fn object_of(
    s: &AppState,
    caller: &TaxiiCaller,
    c: Collection,
    oid: &str,
    q: &StixQuery,
    all_versions: bool,
) -> Result<StixPage, TaxiiError> {
    Ok(match c {
        Collection::Alerts => s.app.stix_object(oid, q, all_versions).await?,
        Collection::Indicators => {
            s.app
                .indicator_object(caller.for_indicators()?, oid, q)
                .await?
        }
    })
}

pub(crate) fn envelope(page: &StixPage, items: Vec<Value>, key: &str) -> Value {
    let mut body = json!({ "more": page.more });
    if let Some(next) = &page.next {
        body["next"] = json!(next);
    }
    body[key] = Value::Array(items);
    body
}

pub(crate) async fn objects(
    State(s): State<AppState>,
    caller: TaxiiCaller,
    headers: HeaderMap,
    Path(cid): Path<String>,
    uri: Uri,
) -> TaxiiResult {
    let (c, q) = collection_query(&headers, &cid, &uri)?;
    let page = page_of(&s, &caller, c, &q).await?;
    Ok(objects_envelope(&page))
}

/// A page of objects in its envelope.
pub(crate) fn objects_envelope(page: &StixPage) -> Response {
    let items = page.entries.iter().map(|e| (*e.object).clone()).collect();
    taxii(StatusCode::OK, envelope(page, items, "objects"), Some(page))
}

pub(crate) async fn object(
    State(s): State<AppState>,
    caller: TaxiiCaller,
    headers: HeaderMap,
    Path((cid, oid)): Path<(String, String)>,
    uri: Uri,
) -> TaxiiResult {
    let (c, q) = collection_query(&headers, &cid, &uri)?;
    let page = object_of(&s, &caller, c, &oid, &q, false).await?;
    Ok(objects_envelope(&page))
}

pub(crate) async fn versions(
    State(s): State<AppState>,
    caller: TaxiiCaller,
    headers: HeaderMap,
    Path((cid, oid)): Path<(String, String)>,
    uri: Uri,
) -> TaxiiResult {
    let (c, q) = collection_query(&headers, &cid, &uri)?;
    let page = object_of(&s, &caller, c, &oid, &q, true).await?;
    let items = page.entries.iter().map(|e| json!(e.version)).collect();
    Ok(taxii(
        StatusCode::OK,
        envelope(&page, items, "versions"),
        Some(&page),
    ))
}

pub(crate) async fn manifest(
    State(s): State<AppState>,
    caller: TaxiiCaller,
    headers: HeaderMap,
    Path(cid): Path<String>,
    uri: Uri,
) -> TaxiiResult {
    let (c, q) = collection_query(&headers, &cid, &uri)?;
    let page = page_of(&s, &caller, c, &q).await?;
    let items = page
        .entries
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "date_added": e.date_added_text(),
                "version": e.version,
                "media_type": STIX_MEDIA_TYPE,
            })
        })
        .collect();
    Ok(taxii(
        StatusCode::OK,
        envelope(&page, items, "objects"),
        Some(&page),
    ))
}
