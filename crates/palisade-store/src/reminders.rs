//! Reminders before deadlines, on SQL. Each reminder has a key (`reminder:{kind}:{item}:{offset}`)
//! and a row in `reminders` written in the same transaction as its messages in the outbox, so it
//! is sent once whatever happens to the server sending it. The reads below find what is due and
//! not yet sent by that key, a page at a time, so the reminder job's memory does not grow with
//! the number of organisations.

use crate::db::Sql;
use crate::{Result, SqlStore};
use async_trait::async_trait;
use palisade_domain::people::ContactRole;
use palisade_domain::policy::OrgId;
use sqlx::FromRow;

/// Something a reminder is due for: an organisation's item with its deadline.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ReminderDue {
    pub org_id: OrgId,
    pub org_code: String,
    pub org_name: String,
    /// What the reminder is about, as its key names it: `RX-2026-001/R41` (an alert's response),
    /// `R41/2026` (an assessment), `R41/2026/1.1.1` (a plan action), `R41/12` (a mitigation).
    pub item: String,
    /// The alert's title, the action planned, the system mitigated; empty for an assessment.
    pub title: String,
    /// The deadline: a time (Unix seconds) for an alert's response, empty otherwise.
    pub due_at: Option<i64>,
    /// The deadline: a day (`YYYY-MM-DD`) for a plan action or a mitigation, empty otherwise.
    pub due_on: Option<String>,
    /// Where the row stands in its read's order, to read the next page from ([`Cursor`]).
    pub c1: i64,
    pub c2: i64,
}

impl ReminderDue {
    pub fn cursor(&self) -> Cursor {
        (self.c1, self.c2)
    }
}

/// Where a page of a reminder read ends: the next page starts there. Each read is ordered by two
/// integers (an alert's and an organisation's id; an organisation's, a plan's, a mitigation's or
/// a signature's id and 0), so a page costs the same however many were read before it (a read
/// that skipped what was already reminded would scan that again for each page).
pub type Cursor = (i64, i64);

/// A reminder to send to an organisation's contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReminder {
    /// `reminder:{kind}:{item}:{offset}`; with the contact and channel, each message's key.
    pub key: String,
    pub org_id: OrgId,
    pub subject: String,
    pub email_body: String,
    pub sms_body: String,
}

/// One window of a kind of reminder: items due after `after` and by `until` (times or days, as
/// the kind keeps its deadlines), whose reminder `offset` is not yet sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderWindow<T> {
    pub after: Option<T>,
    pub until: T,
    /// As in the key: `24h`, `7d`, `overdue`.
    pub offset: String,
    pub limit: i64,
}

#[async_trait]
pub trait ReminderStore: Send + Sync {
    /// Responses to published alerts still awaiting acknowledgement, due in the window.
    async fn alert_reminders_due(
        &self,
        window: &ReminderWindow<i64>,
        after: Option<Cursor>,
    ) -> Result<Vec<ReminderDue>>;
    /// Active organisations of `categories` that have not submitted their assessment for
    /// `year` (`kind` is `assessment` or `baseline`: the deadline or the interim baseline).
    async fn assessment_reminders_due(
        &self,
        kind: &str,
        year: i32,
        categories: &[i64],
        offset: &str,
        limit: i64,
        after: Option<Cursor>,
    ) -> Result<Vec<ReminderDue>>;
    /// Improvement-plan actions not done, with target days in the window.
    async fn plan_reminders_due(
        &self,
        window: &ReminderWindow<String>,
        after: Option<Cursor>,
    ) -> Result<Vec<ReminderDue>>;
    /// Mitigations of unsupported systems whose agreement ends on a day in the window.
    async fn mitigation_reminders_due(
        &self,
        window: &ReminderWindow<String>,
        after: Option<Cursor>,
    ) -> Result<Vec<ReminderDue>>;
    /// IT suppliers' charter signatures in force (the latest, not withdrawn) signed on a day in
    /// the window: the app shifts the window of expiry days back by a signature's length.
    async fn charter_reminders_due(
        &self,
        window: &ReminderWindow<String>,
        after: Option<Cursor>,
    ) -> Result<Vec<ReminderDue>>;
    /// Records each reminder and queues its messages to the organisation's contacts in `roles`
    /// (an email to each who takes email, a text to each with a mobile number who takes texts),
    /// in one transaction. With `digest`, a contact who chose the daily digest has the email
    /// collected for it instead (texts still go). A reminder already recorded is skipped.
    async fn queue_reminders(
        &self,
        kind: &str,
        roles: &[ContactRole],
        batch: &[NewReminder],
        digest: bool,
        at: i64,
    ) -> Result<Queued>;
}

/// What queuing a batch of reminders did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Queued {
    /// Messages queued in the outbox.
    pub messages: u64,
    /// Emails collected for contacts' daily digests.
    pub digested: u64,
}

/// The key of a reminder as SQL builds it: `kind` and `offset` are placeholders, `item` an
/// expression.
fn key_sql(sql: &mut Sql, kind: &str, item: &str, offset: &str) {
    sql.push("NOT EXISTS (SELECT 1 FROM reminders m WHERE m.key = 'reminder:' || ")
        .text(kind)
        .push(" || ':' || ")
        .push(item)
        .push(" || ':' || ")
        .text(offset)
        .push(")");
}

/// ` AND (c1, c2) >= after` (spelt out for both engines), then the order and the page's size.
/// A read ordered by one column alone passes `None` for the second (its cursor's is 0).
fn page_sql(sql: &mut Sql, c1: &str, c2: Option<&str>, after: Option<Cursor>, limit: i64) {
    match (after, c2) {
        (Some((a, b)), Some(c2)) => {
            sql.push(" AND (").push(c1).push(" > ").i64(a);
            sql.push(" OR (").push(c1).push(" = ").i64(a);
            sql.push(" AND ").push(c2).push(" >= ").i64(b).push("))");
        }
        (Some((a, _)), None) => {
            sql.push(" AND ").push(c1).push(" >= ").i64(a);
        }
        (None, _) => {}
    }
    sql.push(" ORDER BY ").push(c1);
    if let Some(c2) = c2 {
        sql.push(", ").push(c2);
    }
    sql.push(" LIMIT ").i64(limit);
}

/// `column > after AND column <= until` for a window's bounds.
fn window_sql(sql: &mut Sql, column: &str, after: Option<Bound<'_>>, until: Bound<'_>) {
    if let Some(a) = after {
        sql.push(" AND ").push(column).push(" > ");
        a.bind(sql);
    }
    sql.push(" AND ").push(column).push(" <= ");
    until.bind(sql);
}

/// A bound of a window: a time or a day.
#[derive(Clone, Copy)]
enum Bound<'a> {
    At(i64),
    Day(&'a str),
}

impl Bound<'_> {
    fn bind(self, sql: &mut Sql) {
        match self {
            Bound::At(v) => sql.i64(v),
            Bound::Day(v) => sql.text(v),
        };
    }
}

const ORG_COLUMNS: &str = "o.id AS org_id, o.code AS org_code, o.name AS org_name";

#[async_trait]
impl ReminderStore for SqlStore {
    async fn alert_reminders_due(
        &self,
        w: &ReminderWindow<i64>,
        after: Option<Cursor>,
    ) -> Result<Vec<ReminderDue>> {
        let item = "a.reference || '/' || o.code";
        let mut sql = Sql::new(&format!(
            "SELECT {ORG_COLUMNS}, {item} AS item, a.title, r.due_at, NULL AS due_on, \
             r.alert_id AS c1, r.org_id AS c2 \
             FROM alert_responses r JOIN alerts a ON a.id = r.alert_id \
             JOIN organisations o ON o.id = r.org_id \
             WHERE r.status <> 'closed' AND r.status = 'awaiting_acknowledgement' \
             AND a.state = 'published'"
        ));
        window_sql(
            &mut sql,
            "r.due_at",
            w.after.map(Bound::At),
            Bound::At(w.until),
        );
        sql.push(" AND ");
        key_sql(&mut sql, "alert_response", item, &w.offset);
        page_sql(&mut sql, "r.alert_id", Some("r.org_id"), after, w.limit);
        Ok(sql.query_as().fetch_all(&self.read).await?)
    }

    async fn assessment_reminders_due(
        &self,
        kind: &str,
        year: i32,
        categories: &[i64],
        offset: &str,
        limit: i64,
        after: Option<Cursor>,
    ) -> Result<Vec<ReminderDue>> {
        let item = format!("o.code || '/' || '{year}'");
        let mut sql = Sql::new(&format!(
            "SELECT {ORG_COLUMNS}, {item} AS item, '' AS title, NULL AS due_at, NULL AS due_on, \
             o.id AS c1, 0 AS c2 FROM organisations o WHERE o.active = 1 AND o.category IN ("
        ));
        sql.i64_list(categories)
            .push(
                ") AND NOT EXISTS (SELECT 1 FROM assessments s WHERE s.org_id = o.id \
                 AND s.submitted = 1 AND s.year = ",
            )
            .i64(i64::from(year))
            .push(") AND ");
        key_sql(&mut sql, kind, &item, offset);
        page_sql(&mut sql, "o.id", None, after, limit);
        Ok(sql.query_as().fetch_all(&self.read).await?)
    }

    async fn plan_reminders_due(
        &self,
        w: &ReminderWindow<String>,
        after: Option<Cursor>,
    ) -> Result<Vec<ReminderDue>> {
        let item = "o.code || '/' || CAST(a.year AS TEXT) || '/' || pa.ref";
        let sql = Sql::new(&format!(
            "SELECT {ORG_COLUMNS}, {item} AS item, pa.action AS title, NULL AS due_at, \
             pa.target_date AS due_on, pa.plan_id AS c1, 0 AS c2 \
             FROM plan_actions pa JOIN improvement_plans p ON p.id = pa.plan_id \
             JOIN assessments a ON a.id = p.assessment_id \
             JOIN organisations o ON o.id = a.org_id \
             WHERE pa.done_on IS NULL AND o.active = 1"
        ));
        self.due_on_days(
            sql,
            "pa.target_date",
            w,
            ("plan_action", item),
            "pa.plan_id",
            after,
        )
        .await
    }

    async fn mitigation_reminders_due(
        &self,
        w: &ReminderWindow<String>,
        after: Option<Cursor>,
    ) -> Result<Vec<ReminderDue>> {
        let item = "o.code || '/' || CAST(m2.id AS TEXT)";
        let sql = Sql::new(&format!(
            "SELECT {ORG_COLUMNS}, {item} AS item, \
             m2.vendor || ' ' || m2.product || ' (' || m2.asset || ')' AS title, \
             NULL AS due_at, m2.until_date AS due_on, m2.id AS c1, 0 AS c2 \
             FROM estate_mitigations m2 JOIN organisations o ON o.id = m2.org_id \
             WHERE o.active = 1 AND m2.until_date IS NOT NULL"
        ));
        self.due_on_days(
            sql,
            "m2.until_date",
            w,
            ("mitigation", item),
            "m2.id",
            after,
        )
        .await
    }

    async fn charter_reminders_due(
        &self,
        w: &ReminderWindow<String>,
        after: Option<Cursor>,
    ) -> Result<Vec<ReminderDue>> {
        let item = "o.code || '/' || CAST(s.id AS TEXT)";
        let sql = Sql::new(&format!(
            "SELECT {ORG_COLUMNS}, {item} AS item, '' AS title, NULL AS due_at, \
             s.signed_on AS due_on, s.id AS c1, 0 AS c2 \
             FROM charter_signatures s JOIN organisations o ON o.id = s.org_id \
             WHERE o.active = 1 AND o.org_type = 'it_supplier' AND s.withdrawn_at IS NULL \
             AND s.id = (SELECT MAX(s2.id) FROM charter_signatures s2 WHERE s2.org_id = s.org_id)"
        ));
        self.due_on_days(sql, "s.signed_on", w, ("charter", item), "s.id", after)
            .await
    }

    async fn queue_reminders(
        &self,
        kind: &str,
        roles: &[ContactRole],
        batch: &[NewReminder],
        digest: bool,
        at: i64,
    ) -> Result<Queued> {
        if batch.is_empty() {
            return Ok(Queued::default());
        }
        let mut tx = self.begin_unserialised().await?;
        // One statement per chunk records the reminders not yet recorded and names them: a
        // round trip per reminder cost most of a national round on PostgreSQL.
        let mut recorded = std::collections::HashSet::with_capacity(batch.len());
        for chunk in batch.chunks(REMINDERS_PER_STATEMENT) {
            let mut sql = Sql::new("INSERT INTO reminders (key, kind, org_id, sent_at) VALUES ");
            for (i, r) in chunk.iter().enumerate() {
                sql.push(if i > 0 { ", (" } else { "(" })
                    .text(&r.key)
                    .push(", ")
                    .text(kind)
                    .push(", ")
                    .i64(r.org_id)
                    .push(", ")
                    .i64(at)
                    .push(")");
            }
            sql.push(" ON CONFLICT (key) DO NOTHING RETURNING key");
            recorded.extend(sql.query_scalar::<String>().fetch_all(&mut *tx).await?);
        }
        let fresh: Vec<&NewReminder> = batch.iter().filter(|r| recorded.contains(&r.key)).collect();
        let mut queued = Queued::default();
        let channels: &[&str] = if digest {
            &["email", "sms", "digest"]
        } else {
            &["email", "sms"]
        };
        // A statement per channel for the whole batch: the reminders as a table of values
        // joined to the contacts.
        for chunk in fresh.chunks(REMINDERS_PER_STATEMENT) {
            if chunk.is_empty() {
                continue;
            }
            for &channel in channels {
                let mut sql = Sql::new("WITH v (key, org_id, subject, body) AS (VALUES ");
                for (i, r) in chunk.iter().enumerate() {
                    let body = if channel == "sms" {
                        &r.sms_body
                    } else {
                        &r.email_body
                    };
                    sql.push(if i > 0 { ", (" } else { "(" })
                        .text(&r.key)
                        .push(", ")
                        .i64(r.org_id)
                        .push(", ")
                        .text(&r.subject)
                        .push(", ")
                        .text(body)
                        .push(")");
                }
                let message_key = format!("v.key || ':' || CAST(c.id AS TEXT) || ':{channel}'");
                if channel == "digest" {
                    sql.push(
                        ") INSERT INTO digest_items (key, contact_id, org_id, subject, body, \
                         created_at) SELECT ",
                    )
                    .push(&message_key)
                    .push(", c.id, c.org_id, v.subject, v.body, ")
                    .i64(at);
                } else {
                    sql.push(
                        ") INSERT INTO outbox (key, channel, recipient, subject, body, org_id, \
                         created_at, next_attempt_at) SELECT ",
                    )
                    .push(&message_key)
                    .push(", '")
                    .push(channel)
                    .push("', ")
                    .push(if channel == "email" {
                        "c.email"
                    } else {
                        "c.mobile"
                    })
                    .push(", v.subject, v.body, c.org_id, ")
                    .i64(at)
                    .push(", ")
                    .i64(at);
                }
                sql.push(" FROM v JOIN contacts c ON c.org_id = v.org_id WHERE c.role IN (");
                for (i, role) in roles.iter().enumerate() {
                    sql.push(if i > 0 { ", " } else { "" }).text(role.as_str());
                }
                if roles.is_empty() {
                    sql.push("NULL");
                }
                sql.push(match channel {
                    "sms" => {
                        ") AND c.mobile IS NOT NULL AND c.mobile <> '' \
                         AND c.alert_channels <> 'email'"
                    }
                    "digest" => ") AND c.alert_channels <> 'sms' AND c.reminders = 'daily'",
                    _ if digest => ") AND c.alert_channels <> 'sms' AND c.reminders = 'each'",
                    _ => ") AND c.alert_channels <> 'sms'",
                });
                sql.push(" ON CONFLICT (key) DO NOTHING");
                let n = sql.execute(&mut tx).await?;
                if channel == "digest" {
                    queued.digested += n;
                } else {
                    queued.messages += n;
                }
            }
        }
        crate::delivery::tally_queued(&mut tx, at, queued.messages).await?;
        tx.commit().await?;
        Ok(queued)
    }
}

impl SqlStore {
    /// Finishes a read of what is due on days in the window `w` (by `column`) and not yet
    /// reminded (`kind`, `item` as the key names them), a page ordered by `c1` after `after`.
    async fn due_on_days(
        &self,
        mut sql: Sql,
        column: &str,
        w: &ReminderWindow<String>,
        (kind, item): (&str, &str),
        c1: &str,
        after: Option<Cursor>,
    ) -> Result<Vec<ReminderDue>> {
        window_sql(
            &mut sql,
            column,
            w.after.as_deref().map(Bound::Day),
            Bound::Day(&w.until),
        );
        sql.push(" AND ");
        key_sql(&mut sql, kind, item, &w.offset);
        page_sql(&mut sql, c1, None, after, w.limit);
        Ok(sql.query_as().fetch_all(&self.read).await?)
    }
}

/// Reminders a statement when their messages are queued: four values each, well inside either
/// engine's limit on parameters.
const REMINDERS_PER_STATEMENT: usize = 200;
