//! Supplier incident notices on SQL: sent once to every active organisation using an affected
//! product or service, queued in the outbox for each alert contact once per channel, and
//! acknowledged by each recipient.

use crate::audit::append;
use crate::{Notice, Result, SqlStore, Stamp, StoreError};
use async_trait::async_trait;
use palisade_domain::audit::AuditDraft;
use palisade_domain::page::{Page, PageRequest};
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

/// A notice to send.
#[derive(Debug, Clone)]
pub struct NewSupplierNotice {
    pub incident_id: i64,
    pub title: String,
    pub message: String,
    pub product_ids: Vec<i64>,
    pub content_hash: String,
    /// The messages to queue: the key is completed with the notice id, contact and channel.
    pub notice: Notice,
}

/// A notice as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct SupplierNoticeRecord {
    pub id: i64,
    pub supplier_id: i64,
    pub supplier_code: String,
    pub supplier_name: String,
    pub incident_id: i64,
    pub title: String,
    pub message: String,
    pub recipients: i64,
    /// Recipients that have acknowledged it.
    pub acknowledged: i64,
    pub created_at: i64,
    /// Names of the products and services it names, by name, joined with ", ".
    pub products: String,
    /// The incident is closed.
    pub closed: bool,
}

/// A notice as one recipient sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedNotice {
    pub notice: SupplierNoticeRecord,
    pub acknowledged_at: Option<i64>,
}

/// One recipient of a notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct NoticeRecipient {
    pub code: String,
    pub name: String,
    pub acknowledged_at: Option<i64>,
}

/// What sending did: the notice, whether it is new, and the messages queued.
#[derive(Debug, Clone)]
pub struct SentNotice {
    pub notice: SupplierNoticeRecord,
    pub created: bool,
    pub messages: u64,
}

#[async_trait]
pub trait SupplierNoticeStore: Send + Sync {
    /// Sends a notice for the supplier: its recipients are the active organisations using any
    /// of the products, and each of their alert contacts gets an email and, if it takes
    /// texts, a text. The same incident and content again is the kept notice, queued nothing.
    async fn send_supplier_notice(
        &self,
        supplier_id: i64,
        n: &NewSupplierNotice,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<SentNotice>;

    /// A notice by id.
    async fn supplier_notice(&self, id: i64) -> Result<Option<SupplierNoticeRecord>>;

    /// The notices a supplier sent, newest first.
    async fn sent_notices(&self, supplier_id: i64) -> Result<Vec<SupplierNoticeRecord>>;

    /// The notices an organisation received, newest first.
    async fn received_notices(&self, org_id: i64) -> Result<Vec<ReceivedNotice>>;

    /// The newest notices from every supplier, for the national team.
    async fn recent_notices(&self, limit: i64) -> Result<Vec<SupplierNoticeRecord>>;

    /// A notice's recipients by name, paged.
    async fn notice_recipients(&self, id: i64, page: PageRequest) -> Result<Page<NoticeRecipient>>;

    /// The organisation acknowledges a notice it received; `NotFound` when it received none of
    /// that id, a conflict when it acknowledged it already.
    async fn acknowledge_notice(
        &self,
        org_id: i64,
        id: i64,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<ReceivedNotice>;
}

const NOTICE_SELECT: &str = "SELECT n.id, n.org_id AS supplier_id, s.code AS supplier_code, \
     s.name AS supplier_name, n.incident_id, n.title, n.message, n.recipients, \
     (SELECT COUNT(*) FROM supplier_notice_recipients a WHERE a.notice_id = n.id \
      AND a.acknowledged_at IS NOT NULL) AS acknowledged, n.created_at, \
     CASE WHEN i.status = 'closed' THEN 1 ELSE 0 END AS closed \
     FROM supplier_notices n JOIN organisations s ON s.id = n.org_id \
     JOIN incidents i ON i.id = n.incident_id";

#[derive(FromRow)]
struct NoticeRow {
    id: i64,
    supplier_id: i64,
    supplier_code: String,
    supplier_name: String,
    incident_id: i64,
    title: String,
    message: String,
    recipients: i64,
    acknowledged: i64,
    created_at: i64,
    closed: i64,
}

impl From<NoticeRow> for SupplierNoticeRecord {
    fn from(r: NoticeRow) -> Self {
        Self {
            id: r.id,
            supplier_id: r.supplier_id,
            supplier_code: r.supplier_code,
            supplier_name: r.supplier_name,
            incident_id: r.incident_id,
            title: r.title,
            message: r.message,
            recipients: r.recipients,
            acknowledged: r.acknowledged,
            created_at: r.created_at,
            products: String::new(),
            closed: r.closed != 0,
        }
    }
}

async fn notices_where(
    conn: &mut AnyConnection,
    filter: &str,
    arg: i64,
    limit: i64,
) -> Result<Vec<SupplierNoticeRecord>> {
    let rows: Vec<NoticeRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{NOTICE_SELECT} WHERE {filter} ORDER BY n.id DESC LIMIT $2"
    )))
    .bind(arg)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    // The products of every notice read, in one statement (the filter names `n` alone).
    let names: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT np.notice_id, p.name FROM supplier_notice_products np \
         JOIN supplier_products p ON p.id = np.product_id WHERE np.notice_id IN \
         (SELECT n.id FROM supplier_notices n WHERE {filter} ORDER BY n.id DESC LIMIT $2) \
         ORDER BY np.notice_id, p.name_key"
    )))
    .bind(arg)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<SupplierNoticeRecord> = rows.into_iter().map(Into::into).collect();
    for n in &mut out {
        n.products = names
            .iter()
            .filter(|(id, _)| *id == n.id)
            .map(|(_, name)| name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
    }
    Ok(out)
}

/// Queues the notice's messages: per recipient organisation's alert contact, an email to each
/// who takes email and a text to each with a mobile number who takes texts. Keys name the
/// notice, contact and channel, so nothing is queued twice.
async fn queue_notice_messages(
    conn: &mut AnyConnection,
    id: i64,
    notice: &Notice,
    at: i64,
) -> Result<u64> {
    let mut queued = 0;
    for (channel, body) in [("email", &notice.email_body), ("sms", &notice.sms_body)] {
        let Some(body) = body else { continue };
        let (to, only) = if channel == "email" {
            ("c.email", "c.alert_channels <> 'sms'")
        } else {
            (
                "c.mobile",
                "c.mobile IS NOT NULL AND c.mobile <> '' AND c.alert_channels <> 'email'",
            )
        };
        queued += sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO outbox (key, channel, recipient, subject, body, org_id, created_at, \
             next_attempt_at) SELECT $1 || ':' || CAST(c.id AS TEXT) || ':{channel}', \
             '{channel}', {to}, $2, $3, c.org_id, $4, $4 \
             FROM supplier_notice_recipients r JOIN contacts c ON c.org_id = r.org_id \
             WHERE r.notice_id = $5 AND c.role = 'alert_contact' AND {only} \
             ON CONFLICT (key) DO NOTHING"
        )))
        .bind(notice.key.clone())
        .bind(notice.subject.clone())
        .bind(body.clone())
        .bind(at)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    crate::delivery::tally_queued(conn, at, queued).await?;
    Ok(queued)
}

#[async_trait]
impl SupplierNoticeStore for SqlStore {
    async fn send_supplier_notice(
        &self,
        supplier_id: i64,
        n: &NewSupplierNotice,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<SentNotice> {
        let mut tx = self.begin().await?;
        let kept: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM supplier_notices WHERE incident_id = $1 AND content_hash = $2",
        )
        .bind(n.incident_id)
        .bind(n.content_hash.clone())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = kept {
            let notice = notices_where(&mut tx, "n.id = $1", id, 1)
                .await?
                .pop()
                .ok_or(StoreError::NotFound)?;
            return Ok(SentNotice {
                notice,
                created: false,
                messages: 0,
            });
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO supplier_notices (org_id, incident_id, title, message, content_hash, \
             recipients, created_at, created_by) VALUES ($1, $2, $3, $4, $5, 0, $6, $7) \
             RETURNING id",
        )
        .bind(supplier_id)
        .bind(n.incident_id)
        .bind(n.title.clone())
        .bind(n.message.clone())
        .bind(n.content_hash.clone())
        .bind(stamp.at)
        .bind(stamp.user_id)
        .fetch_one(&mut *tx)
        .await?;
        for p in &n.product_ids {
            sqlx::query(
                "INSERT INTO supplier_notice_products (notice_id, product_id) VALUES ($1, $2)",
            )
            .bind(id)
            .bind(*p)
            .execute(&mut *tx)
            .await?;
        }
        // Every active organisation using an affected product version or service, once.
        let recipients = sqlx::query(
            "INSERT INTO supplier_notice_recipients (notice_id, org_id) \
             SELECT DISTINCT $1, l.org_id FROM supplier_links l \
             JOIN organisations o ON o.id = l.org_id \
             JOIN supplier_notice_products np ON np.product_id = l.product_id \
             WHERE np.notice_id = $1 AND o.active = 1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("UPDATE supplier_notices SET recipients = $1 WHERE id = $2")
            .bind(i64::try_from(recipients).unwrap_or(i64::MAX))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let key = format!("{}:{id}", n.notice.key);
        let notice = Notice {
            key,
            ..n.notice.clone()
        };
        let messages = queue_notice_messages(&mut tx, id, &notice, stamp.at).await?;
        audit.entity_id = format!("supplier-notice/{id}");
        if let serde_json::Value::Object(m) = &mut audit.summary {
            m.insert("recipients".into(), recipients.into());
            m.insert("messages".into(), messages.into());
        }
        append(&mut tx, &audit).await?;
        let notice = notices_where(&mut tx, "n.id = $1", id, 1)
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(SentNotice {
            notice,
            created: true,
            messages,
        })
    }

    async fn supplier_notice(&self, id: i64) -> Result<Option<SupplierNoticeRecord>> {
        let mut conn = self.read.acquire().await?;
        Ok(notices_where(&mut conn, "n.id = $1", id, 1).await?.pop())
    }

    async fn sent_notices(&self, supplier_id: i64) -> Result<Vec<SupplierNoticeRecord>> {
        let mut conn = self.read.acquire().await?;
        notices_where(&mut conn, "n.org_id = $1", supplier_id, 500).await
    }

    async fn received_notices(&self, org_id: i64) -> Result<Vec<ReceivedNotice>> {
        let mut conn = self.read.acquire().await?;
        let notices = notices_where(
            &mut conn,
            "n.id IN (SELECT notice_id FROM supplier_notice_recipients WHERE org_id = $1)",
            org_id,
            500,
        )
        .await?;
        let acks: Vec<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT notice_id, acknowledged_at FROM supplier_notice_recipients WHERE org_id = $1",
        )
        .bind(org_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(notices
            .into_iter()
            .map(|notice| ReceivedNotice {
                acknowledged_at: acks
                    .iter()
                    .find(|(id, _)| *id == notice.id)
                    .and_then(|(_, at)| *at),
                notice,
            })
            .collect())
    }

    async fn recent_notices(&self, limit: i64) -> Result<Vec<SupplierNoticeRecord>> {
        let mut conn = self.read.acquire().await?;
        notices_where(&mut conn, "n.id > $1", 0, limit).await
    }

    async fn notice_recipients(&self, id: i64, page: PageRequest) -> Result<Page<NoticeRecipient>> {
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM supplier_notice_recipients WHERE notice_id = $1",
        )
        .bind(id)
        .fetch_one(&self.read)
        .await?;
        let items: Vec<NoticeRecipient> = sqlx::query_as(
            "SELECT o.code, o.name, r.acknowledged_at FROM supplier_notice_recipients r \
             JOIN organisations o ON o.id = r.org_id WHERE r.notice_id = $1 \
             ORDER BY o.name, o.code LIMIT $2 OFFSET $3",
        )
        .bind(id)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(&self.read)
        .await?;
        Ok(Page::of(items, total, page))
    }

    async fn acknowledge_notice(
        &self,
        org_id: i64,
        id: i64,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<ReceivedNotice> {
        let mut tx = self.begin().await?;
        let at: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT acknowledged_at FROM supplier_notice_recipients WHERE notice_id = $1 \
             AND org_id = $2",
        )
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
        match at {
            None => return Err(StoreError::NotFound),
            Some(Some(_)) => {
                return Err(StoreError::conflict(
                    "notice",
                    "the organisation acknowledged this notice already",
                ));
            }
            Some(None) => {}
        }
        sqlx::query(
            "UPDATE supplier_notice_recipients SET acknowledged_at = $1, acknowledged_by = $2 \
             WHERE notice_id = $3 AND org_id = $4",
        )
        .bind(stamp.at)
        .bind(stamp.user_id)
        .bind(id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        audit.entity_id = format!("supplier-notice/{id}");
        append(&mut tx, &audit).await?;
        let notice = notices_where(&mut tx, "n.id = $1", id, 1)
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(ReceivedNotice {
            notice,
            acknowledged_at: Some(stamp.at),
        })
    }
}
