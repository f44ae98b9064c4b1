//! `/api/v1/posture`: the state of the whole system, for national roles.

use crate::AppState;
use crate::kit::error::ErrorBody;
use crate::kit::extract::ApiResult;
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::State;
use palisade_app::posture::{
    AlertPosture, AssessmentPosture, ExposureFigure, Posture, Progress, TrendDay,
};
use palisade_domain::clock::{from_unix, rfc3339, rfc3339_opt};
use palisade_store::EstateDay;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct PostureDto {
    /// When the figures were worked out (RFC 3339): at most a minute before the request.
    pub computed_at: String,
    pub age_seconds: i64,
    /// Published High alerts with a response still open, newest first.
    pub alerts: Vec<AlertPostureDto>,
    pub assessments: AssessmentPostureDto,
    pub estate: EstatePostureDto,
    /// The published alerts whose products the most estates run (at most five); null while
    /// the server is still indexing the estate after starting.
    pub exposures: Option<Vec<ExposureDto>>,
    /// Reported incidents not closed, most severe first.
    pub incidents: Vec<IncidentCountDto>,
    /// Improvement plans signed off by their SIRO, waiting for national review.
    pub plans_awaiting_review: i64,
    pub outbox: OutboxDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertPostureDto {
    pub reference: String,
    pub title: String,
    pub published_at: String,
    /// Organisations asked to respond.
    pub in_scope: i64,
    pub acknowledged: i64,
    pub closed: i64,
    /// Not closed and past the deadline.
    pub late: i64,
    pub acknowledged_percent: f64,
    /// Acknowledged by the end of each day since publication (day 1: the first 24 hours).
    pub trend: Vec<TrendDayDto>,
    /// The response board.
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendDayDto {
    pub day: i64,
    pub acknowledged: i64,
    pub percent: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentPostureDto {
    pub year: i32,
    pub year_label: String,
    pub deadline: Option<String>,
    pub days_to_deadline: Option<i64>,
    /// The day last year's figures are taken at: a year before now.
    pub last_year_as_of: String,
    pub overall: ProgressDto,
    pub by_type: Vec<ProgressDto>,
    pub url: String,
}

/// Submitted and met for a group of organisations, now and at the same point last year (null
/// when no one had submitted by then).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressDto {
    pub key: String,
    pub label: String,
    pub total: i64,
    pub submitted: i64,
    pub met_or_exceeded: i64,
    pub submitted_percent: f64,
    pub met_or_exceeded_percent: f64,
    pub last_year_submitted_percent: Option<f64>,
    pub last_year_met_or_exceeded_percent: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EstatePostureDto {
    /// The latest day the daily estate job recorded; null before it has run.
    pub latest: Option<EstateDayDto>,
    /// The same a week earlier, when recorded.
    pub week_before: Option<EstateDayDto>,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EstateDayDto {
    pub day: String,
    /// Organisations running an unsupported system.
    pub organisations: i64,
    /// Unsupported systems (less those under an extended-support agreement).
    pub devices: i64,
    /// Organisations with an inventory.
    pub estates: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExposureDto {
    pub reference: String,
    pub title: String,
    pub organisations: usize,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentCountDto {
    /// `critical`, `high`, `medium`, `low`, or null while not yet graded.
    pub severity: Option<String>,
    pub open: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxDto {
    pub pending: i64,
    pub sent: i64,
    /// Messages given up on after every retry.
    pub failed: i64,
    pub oldest_pending_at: Option<String>,
}

impl From<&TrendDay> for TrendDayDto {
    fn from(t: &TrendDay) -> Self {
        Self {
            day: t.day,
            acknowledged: t.acknowledged,
            percent: t.percent,
        }
    }
}

impl From<&AlertPosture> for AlertPostureDto {
    fn from(a: &AlertPosture) -> Self {
        Self {
            reference: a.reference.clone(),
            title: a.title.clone(),
            published_at: rfc3339(from_unix(a.published_at)),
            in_scope: a.in_scope,
            acknowledged: a.acknowledged,
            closed: a.closed,
            late: a.late,
            acknowledged_percent: a.acknowledged_percent,
            trend: a.trend.iter().map(Into::into).collect(),
            url: format!("/alerts/{}/responses", a.reference),
        }
    }
}

impl From<&Progress> for ProgressDto {
    fn from(p: &Progress) -> Self {
        Self {
            key: p.key.clone(),
            label: p.label.clone(),
            total: p.total,
            submitted: p.submitted,
            met_or_exceeded: p.met,
            submitted_percent: p.submitted_percent,
            met_or_exceeded_percent: p.met_percent,
            last_year_submitted_percent: p.last_year_submitted_percent,
            last_year_met_or_exceeded_percent: p.last_year_met_percent,
        }
    }
}

impl From<&AssessmentPosture> for AssessmentPostureDto {
    fn from(a: &AssessmentPosture) -> Self {
        Self {
            year: a.year,
            year_label: a.year_label.clone(),
            deadline: a.deadline.clone(),
            days_to_deadline: a.days_to_deadline,
            last_year_as_of: a.last_year_as_of.clone(),
            overall: (&a.overall).into(),
            by_type: a.by_type.iter().map(Into::into).collect(),
            url: format!("/reports/national?year={}", a.year),
        }
    }
}

impl From<&EstateDay> for EstateDayDto {
    fn from(d: &EstateDay) -> Self {
        Self {
            day: d.day.clone(),
            organisations: d.organisations,
            devices: d.devices,
            estates: d.estates,
        }
    }
}

impl From<&ExposureFigure> for ExposureDto {
    fn from(e: &ExposureFigure) -> Self {
        Self {
            reference: e.reference.clone(),
            title: e.title.clone(),
            organisations: e.organisations,
            url: format!("/alerts/{}/exposure", e.reference),
        }
    }
}

impl PostureDto {
    pub(crate) fn of(p: &Posture, now: i64) -> Self {
        Self {
            computed_at: rfc3339(from_unix(p.computed_at)),
            age_seconds: (now - p.computed_at).max(0),
            alerts: p.alerts.iter().map(Into::into).collect(),
            assessments: (&p.assessments).into(),
            estate: EstatePostureDto {
                latest: p.estate.latest.as_ref().map(Into::into),
                week_before: p.estate.week_before.as_ref().map(Into::into),
                url: "/estate".into(),
            },
            exposures: p
                .exposures
                .as_ref()
                .map(|e| e.iter().map(Into::into).collect()),
            incidents: p
                .incidents
                .iter()
                .map(|(severity, open)| IncidentCountDto {
                    severity: severity.clone(),
                    open: *open,
                })
                .collect(),
            plans_awaiting_review: p.plans_awaiting_review,
            outbox: OutboxDto {
                pending: p.outbox.pending,
                sent: p.outbox.sent,
                failed: p.outbox.gave_up,
                oldest_pending_at: rfc3339_opt(p.outbox.oldest_pending_at),
            },
        }
    }
}

#[utoipa::path(get, path = "/api/v1/posture", tag = "reports", security(("bearer" = [])),
    responses((status = 200, description = "The state of the whole system, worked out at most a minute ago (national roles)", body = PostureDto), (status = 403, body = ErrorBody)))]
pub(crate) async fn posture(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> ApiResult<Json<PostureDto>> {
    let p = s.app.posture(&actor).await?;
    Ok(Json(PostureDto::of(&p, s.app.now())))
}
