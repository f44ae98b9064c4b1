//! What the alerts API reads and writes: alerts, versions, responses, board counts, chase lists
//! and the outbox.

use crate::kit::envelope::{ListMeta, meta};
use crate::kit::extract::parse_opt;
use axum::Json;
use palisade_app::AppError;
use palisade_app::alerts::{AlertView, Reach, StepRequest};
use palisade_app::{Actor, App};
use palisade_domain::alert::{AlertInput, Closure, ProductInput, ResponseStatus};
use palisade_domain::clock::{from_unix, rfc3339, rfc3339_opt as time};
use palisade_domain::org::OrgType;
use palisade_store::{AlertRecord, ResponseActionRecord, ResponseFilter, ResponseRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ProductDto {
    /// What people call it ("Microsoft Windows 7").
    pub name: String,
    /// A CPE 2.3 name.
    #[serde(default)]
    pub cpe: Option<String>,
    /// A package URL.
    #[serde(default)]
    pub purl: Option<String>,
    /// A version range in the `vers` notation (`vers:maven/>=2.0.0|<2.15.0`).
    #[serde(default)]
    pub vers: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct AudienceDto {
    /// Organisation types (`acute_trust`, `icb`...): their organisations are in scope.
    #[serde(default)]
    pub org_types: Vec<String>,
    /// DSPT categories 1-4: their organisations are in scope.
    #[serde(default)]
    pub categories: Vec<u8>,
    /// Limits the scope to these regions.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Organisations named by code. In an answer, `null` for anyone but the national team:
    /// which other organisations an alert names is not an organisation's to read.
    #[serde(default)]
    pub codes: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AlertBody {
    pub title: String,
    /// `high`, `medium`, `low` or `information_only`.
    pub severity: String,
    /// `vulnerability`, `attack_methodology`, `threat_bulletin` or `advisory`.
    #[serde(rename = "type")]
    pub alert_type: String,
    pub summary: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub cves: Vec<String>,
    #[serde(default)]
    pub products: Vec<ProductDto>,
    /// Exploitation is known to be happening.
    #[serde(default)]
    pub exploited: bool,
    #[serde(default)]
    pub remediation: String,
    /// The organisations in scope; with no types, categories or codes, every organisation.
    #[serde(default)]
    pub audience: Option<AudienceDto>,
    /// Organisations in scope must respond (by a deadline set by the severity).
    #[serde(default)]
    pub response_required: bool,
    /// Publish now (create), or publish a draft (update).
    #[serde(default)]
    pub publish: bool,
    /// For an update: the `version` read.
    #[serde(default)]
    pub expected_version: Option<i64>,
}

impl AlertBody {
    pub(crate) fn input(&self) -> AlertInput {
        let a = self.audience.as_ref();
        AlertInput {
            title: self.title.clone(),
            severity: self.severity.clone(),
            alert_type: self.alert_type.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            cves: self.cves.clone(),
            products: self
                .products
                .iter()
                .map(|p| ProductInput {
                    name: p.name.clone(),
                    cpe: p.cpe.clone(),
                    purl: p.purl.clone(),
                    vers: p.vers.clone(),
                })
                .collect(),
            exploited: self.exploited,
            remediation: self.remediation.clone(),
            org_types: a.map(|a| a.org_types.clone()).unwrap_or_default(),
            categories: a.map(|a| a.categories.clone()).unwrap_or_default(),
            regions: a.map(|a| a.regions.clone()).unwrap_or_default(),
            codes: a.and_then(|a| a.codes.clone()).unwrap_or_default(),
            response_required: self.response_required,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDto {
    /// The reference (`CC-1000`).
    pub id: String,
    /// `draft` or `published`.
    pub state: String,
    pub version: i64,
    pub title: String,
    pub severity: String,
    #[serde(rename = "type")]
    pub alert_type: String,
    pub summary: String,
    pub body: String,
    pub cves: Vec<String>,
    pub products: Vec<ProductDto>,
    pub exploited: bool,
    pub remediation: String,
    pub audience: AudienceDto,
    pub response_required: bool,
    pub created_at: String,
    pub published_at: Option<String>,
    pub updated_at: String,
    /// Organisations with a response to it; `null` for anyone but the national team.
    pub responses: Option<i64>,
}

/// An alert as `reach` allows: its content always, the organisations it names and how many
/// respond only when the app gave its reach (`App::alert_reach`).
pub(crate) fn alert_dto(a: &AlertRecord, reach: Option<Reach>) -> AlertDto {
    let f = &a.fields;
    AlertDto {
        id: a.reference.clone(),
        state: a.state.as_str().into(),
        version: a.version,
        title: f.title.clone(),
        severity: f.severity.as_str().into(),
        alert_type: f.alert_type.as_str().into(),
        summary: f.summary.clone(),
        body: f.body.clone(),
        cves: f.cves.iter().map(|c| c.to_string()).collect(),
        products: f
            .products
            .iter()
            .map(|p| ProductDto {
                name: p.name.clone(),
                cpe: p.cpe.as_ref().map(|c| c.to_string()),
                purl: p.purl.as_ref().map(|c| c.to_string()),
                vers: p.vers.as_ref().map(|c| c.to_string()),
            })
            .collect(),
        exploited: f.exploited,
        remediation: f.remediation.clone(),
        audience: AudienceDto {
            org_types: f
                .audience
                .org_types
                .iter()
                .map(|t| t.as_str().into())
                .collect(),
            categories: f.audience.categories.iter().map(|c| *c as u8).collect(),
            regions: f.audience.regions.clone(),
            codes: reach.as_ref().map(|r| r.codes.clone()),
        },
        response_required: f.response_required,
        created_at: rfc3339(from_unix(a.created_at)),
        published_at: time(a.published_at),
        updated_at: rfc3339(from_unix(a.updated_at)),
        responses: reach.map(|r| r.responses),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDto {
    pub version: i64,
    pub at: String,
    /// Who made the version: national roles only (null for anyone else).
    pub by: Option<String>,
    pub published: bool,
    /// The fields that changed from the version before.
    pub changed: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDetail {
    #[serde(flatten)]
    pub alert: AlertDto,
    /// Newest first.
    pub versions: Vec<VersionDto>,
}

pub(crate) fn detail(actor: &Actor, v: AlertView) -> AlertDetail {
    AlertDetail {
        alert: alert_dto(&v.alert, App::alert_reach(actor, &v.alert)),
        versions: v
            .versions
            .into_iter()
            .map(|x| VersionDto {
                version: x.version,
                at: rfc3339(from_unix(x.at)),
                by: x.by,
                published: x.published,
                changed: x.changed,
            })
            .collect(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseDto {
    pub alert_id: String,
    pub org_code: String,
    pub org_name: String,
    pub org_type: String,
    pub region: String,
    /// `awaiting_acknowledgement`, `in_progress` or `closed`.
    pub status: String,
    /// When the response (or its next update) is due; none once closed or with no deadline.
    pub due_at: Option<String>,
    pub late: bool,
    pub acknowledged_at: Option<String>,
    pub applies: Option<bool>,
    pub reason: Option<String>,
    /// `remediated`, `risk_accepted` or `not_applicable`, once closed.
    pub closure: Option<String>,
    /// The SIRO who accepted the risk.
    pub risk_owner: Option<String>,
    pub closed_at: Option<String>,
    pub escalated_at: Option<String>,
    pub open_actions: i64,
    /// Send it back with the next step to avoid stepping over someone else's.
    pub revision: i64,
    pub updated_at: String,
}

pub(crate) fn response_dto(reference: &str, r: &ResponseRecord, now: i64) -> ResponseDto {
    ResponseDto {
        alert_id: reference.to_string(),
        org_code: r.org_code.clone(),
        org_name: r.org_name.clone(),
        org_type: r.org_type.as_str().into(),
        region: r.region.clone(),
        status: r.status.as_str().into(),
        due_at: time(r.due_at),
        late: r.state().late(now),
        acknowledged_at: time(r.acknowledged_at),
        applies: r.applies,
        reason: r.reason.clone(),
        closure: r.closure.map(|c| c.as_str().into()),
        risk_owner: r.risk_owner.clone(),
        closed_at: time(r.closed_at),
        escalated_at: time(r.escalated_at),
        open_actions: r.open_actions,
        revision: r.revision,
        updated_at: rfc3339(from_unix(r.updated_at)),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertItem {
    #[serde(flatten)]
    pub alert: AlertDto,
    /// In an organisation's list: the response that brings the alert there.
    pub response: Option<ResponseDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertList {
    pub items: Vec<AlertItem>,
    pub meta: ListMeta,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// `draft` or `published` (national team only sees drafts).
    pub state: Option<String>,
    pub severity: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// What an import made.
#[derive(Debug, Serialize, ToSchema)]
pub struct CsafImported {
    /// The new draft alert.
    pub alert: AlertDetail,
    /// The advisory's own tracking id and publisher.
    pub source_id: String,
    pub source_publisher: String,
    /// What was read but not kept.
    pub notes: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResponseQuery {
    /// `awaiting_acknowledgement`, `in_progress` or `closed`.
    pub status: Option<String>,
    /// Only late responses.
    pub late: Option<bool>,
    pub org_type: Option<String>,
    pub region: Option<String>,
    /// Part of an organisation's code or name.
    pub q: Option<String>,
}

impl ResponseQuery {
    pub(crate) fn filter(&self, now: i64) -> Result<ResponseFilter, AppError> {
        Ok(ResponseFilter {
            status: parse_opt::<ResponseStatus>("status", &self.status)?,
            late_at: self.late.unwrap_or(false).then_some(now),
            org_type: parse_opt::<OrgType>("org_type", &self.org_type)?,
            region: self.region.clone().filter(|r| !r.trim().is_empty()),
            q: self.q.clone().unwrap_or_default(),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseList {
    pub items: Vec<ResponseDto>,
    pub meta: ListMeta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardCount {
    pub status: String,
    pub org_type: String,
    pub count: i64,
    pub late: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Board {
    pub alert_id: String,
    pub total: i64,
    pub awaiting_acknowledgement: i64,
    pub in_progress: i64,
    pub closed: i64,
    pub late: i64,
    /// By status and organisation type.
    pub counts: Vec<BoardCount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDto {
    pub id: i64,
    pub action: String,
    pub owner: String,
    pub due_on: String,
    pub progress: Option<String>,
    pub done_on: Option<String>,
    pub updated_at: String,
}

pub(crate) fn action_dto(a: ResponseActionRecord) -> ActionDto {
    ActionDto {
        id: a.id,
        action: a.action,
        owner: a.owner,
        due_on: a.due_on,
        progress: a.progress,
        done_on: a.done_on,
        updated_at: rfc3339(from_unix(a.updated_at)),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseDetail {
    #[serde(flatten)]
    pub response: ResponseDto,
    pub actions: Vec<ActionDto>,
    /// What the organisation's inventory suggests; absent for those who may not see it.
    pub suggestion: Option<SuggestionDto>,
}

/// The applicability an organisation's inventory suggests.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionDto {
    /// `true` when components match, `false` when none of an uploaded inventory's does, null
    /// when the organisation has no inventory, or when nothing matches but `unversioned`
    /// components leave it open.
    pub applies: Option<bool>,
    pub components: Vec<crate::inventory::api::ComponentFields>,
    /// Suppliers' product versions the organisation uses whose SBOMs the alert names.
    pub through: Vec<crate::exposure::api::SupplierPathDto>,
    /// How many of the inventory's components are a product the alert names without a version.
    pub unversioned: usize,
}

impl From<palisade_app::exposure::Suggestion> for SuggestionDto {
    fn from(s: palisade_app::exposure::Suggestion) -> Self {
        Self {
            applies: s.applies(),
            components: s.components.into_iter().map(Into::into).collect(),
            through: s.through.into_iter().map(Into::into).collect(),
            unversioned: s.unversioned,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct StepBody {
    /// Bulk steps only: the organisations to take the step for (all or none are changed).
    #[serde(default)]
    pub org_codes: Vec<String>,
    /// One organisation's step only: the response's `revision` as last read. When given, a
    /// response that has changed since is `409` and nothing is done.
    #[serde(default)]
    pub revision: Option<i64>,
    /// applicability: whether the alert applies.
    #[serde(default)]
    pub applies: Option<bool>,
    /// applicability: why it does not apply (required then).
    #[serde(default)]
    pub reason: String,
    /// remediation: a new action...
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub owner: String,
    /// remediation: the new action's due date, YYYY-MM-DD, today or later.
    #[serde(default)]
    pub due_on: String,
    /// remediation: ...or progress on an existing action, by its id.
    #[serde(default)]
    pub action_id: Option<i64>,
    #[serde(default)]
    pub progress: String,
    /// remediation: the action (by `action_id`) is complete.
    #[serde(default)]
    pub done: bool,
    /// close: `remediated`, `risk_accepted` or `not_applicable`.
    #[serde(default)]
    pub closure: String,
    /// close as risk accepted: the SIRO who accepted it.
    #[serde(default)]
    pub siro: String,
}

pub(crate) fn step_request(step: &str, b: &StepBody) -> Result<StepRequest, AppError> {
    Ok(match step {
        "acknowledge" => StepRequest::Acknowledge,
        "applicability" => StepRequest::Applicability {
            applies: b
                .applies
                .ok_or_else(|| AppError::invalid("applies", "is required: true or false"))?,
            reason: b.reason.clone(),
        },
        "remediation" => match b.action_id {
            Some(id) => StepRequest::UpdateAction {
                id,
                progress: b.progress.clone(),
                done: b.done,
            },
            None => StepRequest::AddAction {
                action: b.action.clone(),
                owner: b.owner.clone(),
                due_on: b.due_on.clone(),
            },
        },
        "close" => StepRequest::Close {
            closure: b
                .closure
                .parse::<Closure>()
                .map_err(|m| AppError::invalid("closure", m))?,
            siro: b.siro.clone(),
        },
        _ => return Err(AppError::NotFound),
    })
}

/// A response past its due time, escalated to the organisation's SIRO.
#[derive(Debug, Serialize, ToSchema)]
pub struct LateDto {
    pub alert: String,
    pub title: String,
    pub severity: String,
    pub org_code: String,
    pub org_name: String,
    /// `awaiting_acknowledgement` or `in_progress`.
    pub status: String,
    pub due_at: String,
    pub escalated_at: Option<String>,
    /// When the national team last chased it.
    pub chased_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChaseList {
    pub items: Vec<LateDto>,
    pub meta: ListMeta,
}

pub(crate) fn chase_json(
    page: palisade_domain::page::Page<palisade_store::LateResponse>,
) -> Json<ChaseList> {
    let meta = meta(&page);
    Json(ChaseList {
        items: page
            .items
            .into_iter()
            .map(|l| LateDto {
                alert: l.reference,
                title: l.title,
                severity: l.severity,
                org_code: l.org_code,
                org_name: l.org_name,
                status: l.status,
                due_at: rfc3339(from_unix(l.due_at)),
                escalated_at: time(l.escalated_at),
                chased_at: time(l.chased_at),
            })
            .collect(),
        meta,
    })
}

/// How many messages an action queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct Queued {
    pub messages: u64,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelayBody {
    /// At most 160 characters; by default the alert's reference, severity and title.
    #[serde(default)]
    pub text: String,
}

/// How the outbox stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxDto {
    /// Messages waiting to be sent (including those being retried).
    pub pending: i64,
    pub sent: i64,
    /// Messages the provider refused for good (an invalid address or number).
    pub gave_up: i64,
    pub oldest_pending_at: Option<String>,
}
