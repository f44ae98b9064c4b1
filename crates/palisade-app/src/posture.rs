//! The posture of the whole system on one page, for the national team: the open High alerts'
//! responses with their trend since publication, this year's assessments against the same point
//! last year, unsupported systems and the alerts reaching the most estates, open incidents,
//! plans awaiting review and the outbox.
//!
//! The figures are worked out about once a minute per server and say when they were: at
//! national scale they read every organisation, and many people open the national home at once.
//! One task at a time works them out. The first request to find them [`RENEW_AFTER_SECS`] old
//! starts their renewal in the background and, like every request meanwhile, is given the held
//! ones, still under a minute old. Only when none that young are held (the first visit, or after
//! a quiet minute) do requests wait, for the one working them out, never starting their own.

use crate::{Actor, App, Result};
use palisade_domain::assessment::{days_left, year_label};
use palisade_domain::dates::date_text;
use palisade_domain::org::OrgType;
use palisade_domain::policy::GlobalAction;
use palisade_store::{AssessmentProgress, EstateDay, OutboxSummary};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::OwnedMutexGuard;

/// The oldest figures shown, in seconds.
pub const MAX_AGE_SECS: i64 = 60;

/// Figures older than this (in seconds) are renewed by the next request, leaving time for the
/// work before they pass [`MAX_AGE_SECS`].
pub const RENEW_AFTER_SECS: i64 = 45;

/// Days of acknowledgement trend shown per alert.
const TREND_DAYS: i64 = 14;

/// Alerts listed by how many estates run what they name.
const TOP_EXPOSURES: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Posture {
    /// When the figures were worked out (Unix seconds).
    pub computed_at: i64,
    pub alerts: Vec<AlertPosture>,
    pub assessments: AssessmentPosture,
    pub estate: EstatePosture,
    /// The published alerts whose products the most estates run; `None` while the server is
    /// still building its index of components (just after it starts).
    pub exposures: Option<Vec<ExposureFigure>>,
    /// Open incidents by severity (`None`: not yet graded), most severe first.
    pub incidents: Vec<(Option<String>, i64)>,
    pub plans_awaiting_review: i64,
    pub outbox: OutboxSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertPosture {
    pub reference: String,
    pub title: String,
    pub published_at: i64,
    pub in_scope: i64,
    pub acknowledged: i64,
    pub closed: i64,
    pub late: i64,
    pub acknowledged_percent: f64,
    /// Acknowledged by the end of each day since publication (day 1 is the first 24 hours), up
    /// to today or two weeks.
    pub trend: Vec<TrendDay>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendDay {
    pub day: i64,
    pub acknowledged: i64,
    pub percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessmentPosture {
    pub year: i32,
    pub year_label: String,
    pub deadline: Option<String>,
    pub days_to_deadline: Option<i64>,
    /// The moment last year compared with (`YYYY-MM-DD`): a year before now.
    pub last_year_as_of: String,
    pub overall: Progress,
    pub by_type: Vec<Progress>,
}

/// Submitted and met for one group, now and at the same point last year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub key: String,
    pub label: String,
    pub total: i64,
    pub submitted: i64,
    pub met: i64,
    pub submitted_percent: f64,
    pub met_percent: f64,
    pub last_year_submitted_percent: Option<f64>,
    pub last_year_met_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstatePosture {
    /// The latest day recorded by the daily estate job, and the one a week earlier.
    pub latest: Option<EstateDay>,
    pub week_before: Option<EstateDay>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExposureFigure {
    pub reference: String,
    pub title: String,
    pub organisations: usize,
}

/// The figures last worked out by this server.
#[derive(Default)]
pub struct PostureCache {
    held: std::sync::Mutex<Option<Arc<Posture>>>,
    /// Taken by whatever is working the figures out: a request, or a renewal in the background.
    working: Arc<tokio::sync::Mutex<()>>,
}

impl PostureCache {
    /// The held figures if they are at most `max_age` seconds old at `now`.
    fn held(&self, now: i64, max_age: i64) -> Option<Arc<Posture>> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.as_ref()
            .filter(|p| (0..=max_age).contains(&(now - p.computed_at)))
            .cloned()
    }

    fn put(&self, posture: Arc<Posture>) {
        *self.held.lock().unwrap_or_else(|e| e.into_inner()) = Some(posture);
    }
}

fn percent(part: i64, whole: i64) -> f64 {
    crate::report::percent(part, whole)
}

impl App {
    /// The national posture (national roles), at most [`MAX_AGE_SECS`] old.
    pub async fn posture(&self, actor: &Actor) -> Result<Arc<Posture>> {
        actor.require(GlobalAction::ViewNationalReport)?;
        let cache = &self.posture_cache;
        let now = self.now();
        if let Some(p) = cache.held(now, MAX_AGE_SECS) {
            // Due for renewal: the first to see it starts the work, and nobody waits for it.
            if now - p.computed_at > RENEW_AFTER_SECS
                && let Ok(working) = cache.working.clone().try_lock_owned()
            {
                let app = self.clone();
                tokio::spawn(async move {
                    if let Err(e) = app.work_out_held(working).await {
                        tracing::warn!(error = %e, "the national posture could not be renewed; the figures held stand until a minute old");
                    }
                });
            }
            return Ok(p);
        }
        let working = cache.working.clone().lock_owned().await;
        // Whoever held the lock before may have just worked them out.
        match cache.held(self.now(), RENEW_AFTER_SECS) {
            Some(p) => Ok(p),
            None => self.work_out_held(working).await,
        }
    }

    /// Works the figures out now and holds them, while `working` keeps anyone else from it.
    async fn work_out_held(&self, working: OwnedMutexGuard<()>) -> Result<Arc<Posture>> {
        let fresh = Arc::new(self.work_out_posture(self.now()).await?);
        self.posture_cache.put(fresh.clone());
        drop(working);
        Ok(fresh)
    }

    /// Works the posture out unless figures young enough, with the exposures, are held. The
    /// server calls this as it starts, once the exposure index the figures read is built, so the
    /// first national visitor does not wait for them, and figures a visitor had worked out while
    /// the index was still being built gain their exposures.
    pub async fn warm_posture(&self) -> Result<()> {
        let working = self.posture_cache.working.clone().lock_owned().await;
        let held = self.posture_cache.held(self.now(), RENEW_AFTER_SECS);
        if held.is_none_or(|p| p.exposures.is_none()) {
            self.work_out_held(working).await?;
        }
        Ok(())
    }

    /// Waits until no renewal of the posture is under way (tests of the renewal).
    #[doc(hidden)]
    pub async fn posture_settled(&self) {
        drop(self.posture_cache.working.lock().await);
    }

    /// The national posture worked out now, past the cache and without filling it: what one
    /// refresh costs (benchmarks).
    pub async fn posture_now(&self, actor: &Actor) -> Result<Posture> {
        actor.require(GlobalAction::ViewNationalReport)?;
        self.work_out_posture(self.now()).await
    }

    async fn work_out_posture(&self, now: i64) -> Result<Posture> {
        Ok(Posture {
            computed_at: now,
            alerts: self.alert_posture(now).await?,
            assessments: self.assessment_posture(now).await?,
            estate: self.estate_posture().await?,
            exposures: self.published_alert_reach().await?.map(|reach| {
                reach
                    .into_iter()
                    .take(TOP_EXPOSURES)
                    .map(|(reference, title, organisations)| ExposureFigure {
                        reference,
                        title,
                        organisations,
                    })
                    .collect()
            }),
            incidents: self.incident_posture().await?,
            plans_awaiting_review: self.store.plans_awaiting_review().await?,
            outbox: self.store.outbox_summary().await?,
        })
    }

    async fn alert_posture(&self, now: i64) -> Result<Vec<AlertPosture>> {
        let open = self.store.open_high_alerts(now).await?;
        let ids: Vec<i64> = open.iter().map(|a| a.id).collect();
        let days = self.store.acknowledgement_days(&ids).await?;
        Ok(open
            .into_iter()
            .map(|a| {
                let elapsed = ((now - a.published_at).max(0) / 86_400 + 1).min(TREND_DAYS);
                let mut so_far = 0;
                let trend = (0..elapsed)
                    .map(|day| {
                        so_far += days
                            .iter()
                            .filter(|d| d.alert_id == a.id && d.day == day)
                            .map(|d| d.count)
                            .sum::<i64>();
                        TrendDay {
                            day: day + 1,
                            acknowledged: so_far,
                            percent: percent(so_far, a.in_scope),
                        }
                    })
                    .collect();
                AlertPosture {
                    acknowledged_percent: percent(a.acknowledged, a.in_scope),
                    reference: a.reference,
                    title: a.title,
                    published_at: a.published_at,
                    in_scope: a.in_scope,
                    acknowledged: a.acknowledged,
                    closed: a.closed,
                    late: a.late,
                    trend,
                }
            })
            .collect())
    }

    async fn assessment_posture(&self, now: i64) -> Result<AssessmentPosture> {
        let year = self.current_year();
        let today = self.today();
        let year_ago = palisade_domain::clock::a_year_before(now);
        let this_year = self.store.assessment_progress(year, now).await?;
        let last_year = self.store.assessment_progress(year - 1, year_ago).await?;
        let deadline = self.year_deadline(year).await?;
        let progress = |key: &str, label: &str, f: &dyn Fn(&AssessmentProgress) -> bool| {
            let sum = |rows: &[AssessmentProgress]| {
                rows.iter().filter(|r| f(r)).fold((0, 0, 0), |acc, r| {
                    (acc.0 + r.total, acc.1 + r.submitted, acc.2 + r.met)
                })
            };
            let (total, submitted, met) = sum(&this_year);
            let (before_total, before_submitted, before_met) = sum(&last_year);
            // Last year counts only when anyone had submitted by then.
            let before = (before_submitted > 0).then_some(before_total);
            Progress {
                key: key.into(),
                label: label.into(),
                total,
                submitted,
                met,
                submitted_percent: percent(submitted, total),
                met_percent: percent(met, total),
                last_year_submitted_percent: before.map(|t| percent(before_submitted, t)),
                last_year_met_percent: before.map(|t| percent(before_met, t)),
            }
        };
        let by_type = OrgType::ALL
            .iter()
            .filter(|t| this_year.iter().any(|r| r.org_type == t.as_str()))
            .map(|t| progress(t.as_str(), t.label(), &|r| r.org_type == t.as_str()))
            .collect();
        Ok(AssessmentPosture {
            year,
            year_label: year_label(year),
            deadline: deadline.map(date_text),
            days_to_deadline: deadline.map(|d| days_left(d, today)),
            last_year_as_of: date_text(palisade_domain::clock::uk_local(year_ago).0.date()),
            overall: progress("all", "All organisations", &|_| true),
            by_type,
        })
    }

    async fn estate_posture(&self) -> Result<EstatePosture> {
        let days = self.store.estate_days(8).await?;
        let latest = days.last().cloned();
        let week_before = latest.as_ref().and_then(|l| {
            let l = palisade_domain::dates::parse_date("day", &l.day).ok()?;
            let want = date_text(l - time::Duration::days(7));
            days.iter().find(|d| d.day == want).cloned()
        });
        Ok(EstatePosture {
            latest,
            week_before,
        })
    }

    async fn incident_posture(&self) -> Result<Vec<(Option<String>, i64)>> {
        let mut by = self.store.open_incidents_by_severity().await?;
        let rank = |s: &Option<String>| {
            s.as_deref()
                .and_then(|s| s.parse::<palisade_domain::incident::Severity>().ok())
                .map_or(usize::MAX, |s| {
                    palisade_domain::incident::Severity::ALL
                        .iter()
                        .rev()
                        .position(|x| *x == s)
                        .unwrap_or(usize::MAX)
                })
        };
        by.sort_by_key(|(s, _)| rank(s));
        Ok(by)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_domain::clock::{ManualClock, from_unix};
    use std::time::Duration;

    #[tokio::test]
    async fn the_figures_are_renewed_in_the_background_while_the_held_ones_serve() {
        let db = palisade_store::testkit::TestDb::sqlite().await.unwrap();
        let clock = Arc::new(ManualClock::new(from_unix(1_793_610_000)));
        let app = App::new(
            Arc::new(db.store.clone()),
            clock.clone(),
            crate::AuthSettings::default(),
        );
        let cli = Actor::cli();
        let computed_at = |p: Arc<Posture>| p.computed_at;
        let held = |now| app.posture_cache.held(now, MAX_AGE_SECS);
        let seconds = |s| clock.advance(time::Duration::seconds(s));
        let quick = |f| tokio::time::timeout(Duration::from_secs(10), f);

        // Nothing held: the first request works them out (here while the exposure index is
        // still being built, as just after a start).
        let building = app.hold_exposure_index().await;
        let first = computed_at(app.posture(&cli).await.unwrap());
        drop(building);
        assert!(held(first).unwrap().exposures.is_none());
        // Warming renews figures without the exposures once the index is built...
        seconds(1);
        app.warm_posture().await.unwrap();
        let warmed = app.now();
        assert_eq!(held(warmed).map(computed_at), Some(warmed));
        assert!(held(warmed).unwrap().exposures.is_some());
        // ...and keeps young ones that have them, as requests do.
        seconds(RENEW_AFTER_SECS);
        app.warm_posture().await.unwrap();
        assert_eq!(held(app.now()).map(computed_at), Some(warmed));
        assert_eq!(computed_at(app.posture(&cli).await.unwrap()), warmed);
        let renewing = || app.posture_cache.working.try_lock().is_err();
        assert!(!renewing(), "no renewal at {RENEW_AFTER_SECS} s");

        // Past that age the request is given the held ones at once and starts their renewal.
        seconds(1);
        let given = quick(app.posture(&cli)).await.expect("not kept waiting");
        assert_eq!(computed_at(given.unwrap()), warmed);
        assert!(renewing(), "a renewal under way");
        app.posture_settled().await;
        let renewed = app.now();
        assert_eq!(held(renewed).map(computed_at), Some(renewed));

        // While another works them out, figures up to a minute old are given...
        seconds(MAX_AGE_SECS);
        app.posture(&cli).await.unwrap();
        app.posture_settled().await;
        let now = app.now();
        let working = app.posture_cache.working.lock().await;
        seconds(MAX_AGE_SECS);
        let given = quick(app.posture(&cli)).await.expect("not kept waiting");
        assert_eq!(computed_at(given.unwrap()), now);
        // ...and older ones are not: requests wait for the one working.
        seconds(1);
        let waited = tokio::time::timeout(Duration::from_millis(100), app.posture(&cli)).await;
        assert!(waited.is_err(), "figures over a minute old were given");
        drop(working);
        let now = app.now();
        assert_eq!(computed_at(app.posture(&cli).await.unwrap()), now);
    }
}
