//! Reminders before deadlines, sent by the `reminders` job through the outbox.
//!
//! Each kind has offsets before its deadline (configuration). Between two offsets lies a window:
//! with offsets of 24 and 4 hours, a response due in 4 to 24 hours gets the 24-hour reminder and
//! one due within 4 hours the 4-hour one. A run sends each item the reminder of the window it is
//! in, unless that reminder was sent before; so a server down across an offset sends the nearer
//! reminder once it is back, never a string of stale ones. Each reminder's key
//! (`reminder:{kind}:{item}:{offset}`) is recorded in the same transaction as its messages, whose
//! keys add the contact and channel: a reminder goes once per recipient, item and offset, however
//! many servers run the job and however often it is interrupted.
//!
//! Who is told: the organisation's alert contacts of an alert's response; its SIRO and
//! information governance lead of the assessment and the plan; its SIRO and security lead of a
//! mitigation agreement; an IT supplier's SIRO and security lead of its charter signature
//! expiring. Each by email unless they chose texts alone, and by text where they
//! chose texts (with a mobile number). A contact who chose the daily digest has the emails of
//! every kind but the alert response (due within hours) collected for it instead
//! (see [`crate::digests`]).

use crate::{App, Result};
use palisade_domain::assessment::{days_left, days_left_text, year_label};
use palisade_domain::clock::uk_time;
use palisade_domain::dates::date_text;
use palisade_domain::org::Category;
use palisade_domain::people::ContactRole;
use palisade_store::{Cursor, NewReminder, ReminderDue, ReminderWindow};
use time::Duration;

/// When reminders go, before each kind of deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderSettings {
    /// Hours before a response to an alert is due, while it is not acknowledged.
    pub alert_hours: Vec<i64>,
    /// Days before the assessment deadline, to organisations that have not submitted.
    pub assessment_days: Vec<i64>,
    /// Days before the interim baseline, likewise.
    pub baseline_days: Vec<i64>,
    /// Days before a plan action's target date (and once when it has passed).
    pub plan_days: Vec<i64>,
    /// Days before a mitigation agreement ends.
    pub mitigation_days: Vec<i64>,
    /// Days before an IT supplier's charter signature expires.
    pub charter_days: Vec<i64>,
    /// The hour of the day (UK time, 0 to 23) from which the daily digests go.
    pub digest_hour: u8,
    /// Reminders read and queued at a time: the job's memory stays the same however many
    /// organisations are due.
    pub batch: i64,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        Self {
            alert_hours: vec![24, 4],
            assessment_days: vec![60, 30, 7, 1],
            baseline_days: vec![30, 7, 1],
            plan_days: vec![7],
            mitigation_days: vec![30],
            charter_days: vec![30, 7],
            digest_hour: 7,
            batch: 500,
        }
    }
}

/// What a run of the reminder job sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReminderRound {
    /// Reminders recorded (an organisation with no one to tell still counts once).
    pub reminders: usize,
    /// Messages queued in the outbox.
    pub messages: u64,
    /// Emails collected for daily digests instead.
    pub digested: u64,
}

/// How long after a plan action's target date its overdue reminder may still go: a first run
/// over years of old plans sends nothing about actions long past.
const OVERDUE_DAYS: i64 = 30;

/// The windows between offsets, nearest first: `(lower, upper, offset)` with the lower bound
/// exclusive and `None` for the first window (which starts at the deadline itself).
fn windows(offsets: &[i64]) -> Vec<(Option<i64>, i64)> {
    let mut sorted: Vec<i64> = offsets.iter().copied().filter(|o| *o >= 0).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::new();
    let mut lower = None;
    for o in sorted {
        out.push((lower, o));
        lower = Some(o);
    }
    out
}

/// The offset whose window holds a deadline `left` days away: the smallest offset at least
/// `left`; none when the deadline has passed or is further than every offset.
fn offset_for(offsets: &[i64], left: i64) -> Option<i64> {
    if left < 0 {
        return None;
    }
    offsets.iter().copied().filter(|o| *o >= left).min()
}

impl App {
    /// Sends every reminder now due and not yet sent.
    pub async fn send_reminders(&self) -> Result<ReminderRound> {
        let mut round = ReminderRound::default();
        self.remind_alerts(&mut round).await?;
        self.remind_assessments(&mut round).await?;
        self.remind_plans(&mut round).await?;
        self.remind_mitigations(&mut round).await?;
        self.remind_charter(&mut round).await?;
        Ok(round)
    }

    async fn remind_alerts(&self, round: &mut ReminderRound) -> Result<()> {
        let now = self.now();
        for (lower, hours) in windows(&self.reminders.alert_hours) {
            let window = ReminderWindow {
                after: Some(now + lower.unwrap_or(0) * 3600),
                until: now + hours * 3600,
                offset: format!("{hours}h"),
                limit: self.reminders.batch,
            };
            self.drain(
                round,
                "alert_response",
                &[ContactRole::AlertContact],
                |after| self.store.alert_reminders_due(&window, after),
                |d| alert_reminder(d, &window.offset, &self.alerts.public_url),
            )
            .await?;
        }
        Ok(())
    }

    /// The assessment deadline and the interim baseline of this year's frameworks, to active
    /// organisations of their categories that have not submitted.
    async fn remind_assessments(&self, round: &mut ReminderRound) -> Result<()> {
        let year = self.current_year();
        let today = self.today();
        // The frameworks in force this year, with the categories each applies to.
        let mut frameworks: Vec<(i64, Vec<Category>)> = Vec::new();
        for category in Category::ALL {
            if let Some(f) = self.store.current_framework(year, category).await? {
                match frameworks.iter_mut().find(|(id, _)| *id == f.id) {
                    Some((_, cats)) => cats.push(category),
                    None => frameworks.push((f.id, vec![category])),
                }
            }
        }
        for (id, in_force) in frameworks {
            let (_, tree) = self.framework(id).await?;
            let numbers = |keep: &dyn Fn(Category) -> bool| -> Vec<i64> {
                in_force
                    .iter()
                    .filter(|c| keep(**c))
                    .map(|c| i64::from(c.number()))
                    .collect()
            };
            // The interim baseline only for the large organisations that record one.
            let dates = [
                (
                    "assessment",
                    Some(tree.deadline),
                    numbers(&|_| true),
                    &self.reminders.assessment_days,
                ),
                (
                    "baseline",
                    tree.interim_baseline,
                    numbers(&Category::records_interim_baseline),
                    &self.reminders.baseline_days,
                ),
            ];
            for (kind, date, categories, offsets) in dates {
                let Some(date) = date else { continue };
                if categories.is_empty() {
                    continue;
                }
                let Some(offset) = offset_for(offsets, days_left(date, today)) else {
                    continue;
                };
                let offset = format!("{offset}d");
                self.drain(
                    round,
                    kind,
                    &[ContactRole::Siro, ContactRole::IgLead],
                    |after| {
                        self.store.assessment_reminders_due(
                            kind,
                            year,
                            &categories,
                            &offset,
                            self.reminders.batch,
                            after,
                        )
                    },
                    |d| assessment_reminder(kind, d, &offset, year, date, today, &self.alerts),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn remind_plans(&self, round: &mut ReminderRound) -> Result<()> {
        let today = self.today();
        let mut windows = day_windows(&self.reminders.plan_days, today, self.reminders.batch);
        windows.push(ReminderWindow {
            after: Some(date_text(today - Duration::days(OVERDUE_DAYS + 1))),
            until: date_text(today - Duration::days(1)),
            offset: "overdue".into(),
            limit: self.reminders.batch,
        });
        for window in windows {
            self.drain(
                round,
                "plan_action",
                &[ContactRole::Siro, ContactRole::IgLead],
                |after| self.store.plan_reminders_due(&window, after),
                |d| plan_reminder(d, &window.offset, &self.alerts.public_url),
            )
            .await?;
        }
        Ok(())
    }

    async fn remind_mitigations(&self, round: &mut ReminderRound) -> Result<()> {
        let today = self.today();
        for window in day_windows(&self.reminders.mitigation_days, today, self.reminders.batch) {
            self.drain(
                round,
                "mitigation",
                &[ContactRole::Siro, ContactRole::SecurityLead],
                |after| self.store.mitigation_reminders_due(&window, after),
                |d| mitigation_reminder(d, &window.offset, &self.alerts.public_url),
            )
            .await?;
        }
        Ok(())
    }

    /// IT suppliers whose charter signature expires within an offset, to their SIRO and
    /// security lead. A signature lasts a year, so the window of expiry days is the window of
    /// signing days a year earlier.
    async fn remind_charter(&self, round: &mut ReminderRound) -> Result<()> {
        let today = self.today();
        for mut window in day_windows(&self.reminders.charter_days, today, self.reminders.batch) {
            window.after = window.after.as_deref().map(signed_expiring_by);
            window.until = signed_expiring_by(&window.until);
            self.drain(
                round,
                "charter",
                &[ContactRole::Siro, ContactRole::SecurityLead],
                |after| self.store.charter_reminders_due(&window, after),
                |d| charter_reminder(d, &window.offset, &self.alerts.public_url),
            )
            .await?;
        }
        Ok(())
    }

    /// Reads what is due a page at a time and queues a reminder for each, until a page comes
    /// back short: each page starts where the last ended, so memory stays one page and a page
    /// costs the same however many came before.
    async fn drain<F, Fut>(
        &self,
        round: &mut ReminderRound,
        kind: &str,
        roles: &[ContactRole],
        mut read: F,
        build: impl Fn(&ReminderDue) -> NewReminder,
    ) -> Result<()>
    where
        F: FnMut(Option<Cursor>) -> Fut,
        Fut: std::future::Future<Output = palisade_store::Result<Vec<ReminderDue>>>,
    {
        let mut after = None;
        loop {
            let due = read(after).await?;
            after = due.last().map(ReminderDue::cursor);
            let batch: Vec<NewReminder> = due.iter().map(&build).collect();
            if !batch.is_empty() {
                // A response to an alert is due within hours: its reminder never waits for a
                // digest.
                let digest = kind != "alert_response";
                let queued = self
                    .store
                    .queue_reminders(kind, roles, &batch, digest, self.now())
                    .await?;
                round.messages += queued.messages;
                round.digested += queued.digested;
                round.reminders += batch.len();
            }
            if (due.len() as i64) < self.reminders.batch.max(1) {
                return Ok(());
            }
        }
    }
}

/// The windows of days-before offsets from `today`: a target day from today on counts.
fn day_windows(offsets: &[i64], today: time::Date, batch: i64) -> Vec<ReminderWindow<String>> {
    windows(offsets)
        .into_iter()
        .map(|(lower, days)| ReminderWindow {
            after: Some(date_text(today + Duration::days(lower.unwrap_or(-1)))),
            until: date_text(today + Duration::days(days)),
            offset: format!("{days}d"),
            limit: batch,
        })
        .collect()
}

/// The last signing day whose signature expires by `day` (`YYYY-MM-DD`).
fn signed_expiring_by(day: &str) -> String {
    match palisade_domain::dates::parse_date("day", day) {
        Ok(d) => date_text(palisade_domain::charter::last_signed_expiring_by(d)),
        Err(_) => day.to_string(),
    }
}

fn key(kind: &str, item: &str, offset: &str) -> String {
    format!("reminder:{kind}:{item}:{offset}")
}

fn alert_reminder(d: &ReminderDue, offset: &str, public_url: &str) -> NewReminder {
    let (reference, _) = d.item.split_once('/').unwrap_or((&d.item, ""));
    let due = d.due_at.map(uk_time).unwrap_or_default();
    let link = format!(
        "{public_url}/organisations/{}/alerts/{reference}",
        d.org_code
    );
    NewReminder {
        key: key("alert_response", &d.item, offset),
        org_id: d.org_id,
        subject: format!("[{reference}] Please acknowledge by {due}: {}", d.title),
        email_body: format!(
            "{} ({}) has not yet acknowledged NHS cyber alert {reference} ({}).\n\n\
             Its response is due by {due}. Acknowledge the alert and record whether it applies \
             in Palisade: {link}\n\nLate responses are escalated to your SIRO and reported to \
             the national team.\n",
            d.org_name, d.org_code, d.title
        ),
        sms_body: format!(
            "NHS Cyber Alert {reference}: {} has not acknowledged it. Due by {due}.",
            d.org_code
        ),
    }
}

fn assessment_reminder(
    kind: &str,
    d: &ReminderDue,
    offset: &str,
    year: i32,
    date: time::Date,
    today: time::Date,
    alerts: &crate::alerts::AlertSettings,
) -> NewReminder {
    let what = if kind == "baseline" {
        "interim baseline"
    } else {
        "deadline"
    };
    let left = days_left_text(date, today);
    let label = year_label(year);
    let link = format!(
        "{}/organisations/{}/assessments/{year}",
        alerts.public_url, d.org_code
    );
    NewReminder {
        key: key(kind, &d.item, offset),
        org_id: d.org_id,
        subject: format!("{label} assessment {what} {}: {left}", date_text(date)),
        email_body: format!(
            "{} ({}) has not yet submitted its {label} assessment. The {what} is {} ({left}).\n\n\
             Complete and submit it in Palisade: {link}\n",
            d.org_name,
            d.org_code,
            date_text(date)
        ),
        sms_body: format!(
            "Palisade: {} has not submitted its {label} assessment. {what} {} ({left}).",
            d.org_code,
            date_text(date)
        ),
    }
}

fn plan_reminder(d: &ReminderDue, offset: &str, public_url: &str) -> NewReminder {
    let target = d.due_on.clone().unwrap_or_default();
    let year = d.item.split('/').nth(1).unwrap_or_default();
    let link = format!(
        "{public_url}/organisations/{}/assessments/{year}/plan",
        d.org_code
    );
    let when = if offset == "overdue" {
        format!("was due on {target} and is not done")
    } else {
        format!("is due on {target}")
    };
    NewReminder {
        key: key("plan_action", &d.item, offset),
        org_id: d.org_id,
        subject: format!("Improvement plan action {when}: {}", d.org_code),
        email_body: format!(
            "An action in the improvement plan of {} ({}) {when}:\n\n  {}\n\n\
             Record it as done, or update the plan, in Palisade: {link}\n",
            d.org_name, d.org_code, d.title
        ),
        sms_body: format!(
            "Palisade: an improvement plan action of {} {when}.",
            d.org_code
        ),
    }
}

fn mitigation_reminder(d: &ReminderDue, offset: &str, public_url: &str) -> NewReminder {
    let until = d.due_on.clone().unwrap_or_default();
    let link = format!("{public_url}/organisations/{}/estate", d.org_code);
    NewReminder {
        key: key("mitigation", &d.item, offset),
        org_id: d.org_id,
        subject: format!("A mitigation of an unsupported system ends on {until}"),
        email_body: format!(
            "The mitigation recorded by {} ({}) for {} ends on {until}. After that day the \
             system counts as unmitigated.\n\nReplace or remove it, or record a new agreement, \
             in Palisade: {link}\n",
            d.org_name, d.org_code, d.title
        ),
        sms_body: format!(
            "Palisade: a mitigation of an unsupported system at {} ends on {until}.",
            d.org_code
        ),
    }
}

fn charter_reminder(d: &ReminderDue, offset: &str, public_url: &str) -> NewReminder {
    let expires = d
        .due_on
        .as_deref()
        .and_then(|s| palisade_domain::dates::parse_date("signed_on", s).ok())
        .map(|signed| date_text(palisade_domain::charter::expires_on(signed)))
        .unwrap_or_default();
    let link = format!("{public_url}/organisations/{}/charter", d.org_code);
    NewReminder {
        key: key("charter", &d.item, offset),
        org_id: d.org_id,
        subject: format!("Your cyber security charter signature expires on {expires}"),
        email_body: format!(
            "The supplier cyber security charter signature of {} ({}) expires on {expires}. \
             After that day it no longer counts as signed, and the organisations you supply see \
             it lapse.\n\nReaffirm the charter in Palisade: {link}\n",
            d.org_name, d.org_code
        ),
        sms_body: format!(
            "Palisade: the charter signature of {} expires on {expires}. Reaffirm it.",
            d.org_code
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_lie_between_offsets_nearest_first() {
        assert_eq!(
            windows(&[24, 4]),
            vec![(None, 4), (Some(4), 24)],
            "sorted, the first from the deadline"
        );
        assert_eq!(windows(&[7, 7, -1]), vec![(None, 7)]);
        assert!(windows(&[]).is_empty());
    }

    #[test]
    fn charter_windows_map_expiry_days_to_signing_days() {
        assert_eq!(signed_expiring_by("2027-01-05"), "2026-01-05");
        assert_eq!(signed_expiring_by("2028-02-29"), "2027-02-28");
        // A signature of 29 February 2028 expires on 28 February 2029: its window's day.
        assert_eq!(signed_expiring_by("2029-02-28"), "2028-02-29");
    }

    #[test]
    fn the_offset_is_the_nearest_not_yet_passed() {
        let o = [60, 30, 7, 1];
        assert_eq!(offset_for(&o, 61), None);
        assert_eq!(offset_for(&o, 60), Some(60));
        assert_eq!(offset_for(&o, 31), Some(60));
        assert_eq!(offset_for(&o, 30), Some(30));
        assert_eq!(offset_for(&o, 2), Some(7));
        assert_eq!(offset_for(&o, 1), Some(1));
        assert_eq!(offset_for(&o, 0), Some(1), "due today");
        assert_eq!(offset_for(&o, -1), None, "past");
    }
}
