//! Daily digests, on SQL: reminders collected for contacts who chose one email a day, and the
//! digests that carry them. An item is written with its reminder's key (so it is collected once);
//! a digest is an outbox message whose key names the day and the address, written in the same
//! transaction as the mark on each item it carries, so each item goes in exactly one digest and
//! each address has at most one digest a day, however many servers run the job.

use crate::db::{Arg, IDS_PER_STATEMENT, Sql};
use crate::{Result, SqlStore};
use async_trait::async_trait;
use palisade_domain::policy::OrgId;
use sqlx::FromRow;

/// A reminder waiting for its contact's next digest.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DigestItem {
    pub id: i64,
    /// The contact's address now (a contact who changed it has the digest at the new one).
    pub email: String,
    pub org_id: OrgId,
    pub org_code: String,
    pub org_name: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
}

/// A digest to queue: one email to `email` carrying `items`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDigest {
    /// `digest:{day}:{email}`: a second digest to the same address on the same day is refused.
    pub key: String,
    pub email: String,
    /// The organisation when every item is about the same one.
    pub org_id: Option<OrgId>,
    pub subject: String,
    pub body: String,
    pub items: Vec<i64>,
}

#[async_trait]
pub trait DigestStore: Send + Sync {
    /// Contacts with items waiting, with their addresses, in order of contact after `after`:
    /// a page of the digest job.
    async fn digest_recipients(&self, after: Option<i64>, limit: i64)
    -> Result<Vec<(i64, String)>>;
    /// The items waiting for `emails`, by address, organisation (by name, then id: two of one
    /// name stay apart) and age.
    async fn digest_items(&self, emails: &[String]) -> Result<Vec<DigestItem>>;
    /// Queues each digest and marks its items as carried, in one transaction. A digest whose
    /// key is taken (that address had its digest today) is skipped and its items keep waiting.
    /// Returns the digests queued.
    async fn queue_digests(&self, digests: &[NewDigest], at: i64) -> Result<u64>;
}

const ITEM_COLUMNS: &str = "d.id, c.email, d.org_id, o.code AS org_code, o.name AS org_name, \
                            d.subject, d.body, d.created_at";

#[async_trait]
impl DigestStore for SqlStore {
    async fn digest_recipients(
        &self,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(i64, String)>> {
        // Along the waiting items' index, in its order: a page costs its own contacts, however
        // many pages came before or are still waiting, and nothing when none waits.
        let mut sql = Sql::new(
            "SELECT d.contact_id, c.email FROM digest_items d \
             JOIN contacts c ON c.id = d.contact_id WHERE d.digest_key IS NULL",
        );
        if let Some(after) = after {
            sql.push(" AND d.contact_id > ").i64(after);
        }
        sql.push(" GROUP BY d.contact_id, c.email ORDER BY d.contact_id LIMIT ")
            .i64(limit);
        Ok(sql.query_as().fetch_all(&self.read).await?)
    }

    async fn digest_items(&self, emails: &[String]) -> Result<Vec<DigestItem>> {
        let mut out = Vec::new();
        for chunk in emails.chunks(IDS_PER_STATEMENT) {
            let mut sql = Sql::new(&format!(
                "SELECT {ITEM_COLUMNS} FROM digest_items d \
                 JOIN contacts c ON c.id = d.contact_id JOIN organisations o ON o.id = d.org_id \
                 WHERE d.digest_key IS NULL AND c.email IN ("
            ));
            sql.text_list(chunk)
                .push(") ORDER BY c.email, o.name, d.org_id, d.id");
            out.extend(sql.query_as().fetch_all(&self.read).await?);
        }
        Ok(out)
    }

    async fn queue_digests(&self, digests: &[NewDigest], at: i64) -> Result<u64> {
        if digests.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_unserialised().await?;
        // The page's digests in a few statements; those whose key was free come back.
        let mut queued = std::collections::HashSet::with_capacity(digests.len());
        for chunk in digests.chunks(DIGESTS_PER_STATEMENT) {
            let mut sql = Sql::new(
                "INSERT INTO outbox (key, channel, recipient, subject, body, org_id, created_at, \
                 next_attempt_at) VALUES ",
            );
            for (i, d) in chunk.iter().enumerate() {
                sql.push(if i > 0 { ", (" } else { "(" })
                    .text(&d.key)
                    .push(", 'email', ")
                    .text(&d.email)
                    .push(", ")
                    .text(&d.subject)
                    .push(", ")
                    .text(&d.body)
                    .push(", ")
                    .arg(Arg::OptI64(d.org_id))
                    .push(", ")
                    .i64(at)
                    .push(", ")
                    .i64(at)
                    .push(")");
            }
            sql.push(" ON CONFLICT (key) DO NOTHING RETURNING key");
            queued.extend(sql.query_scalar::<String>().fetch_all(&mut *tx).await?);
        }
        crate::delivery::tally_queued(&mut tx, at, queued.len() as u64).await?;
        // Each carried item marked with its digest's key, a few hundred a statement.
        let marks: Vec<(i64, &str)> = digests
            .iter()
            .filter(|d| queued.contains(&d.key))
            .flat_map(|d| d.items.iter().map(move |id| (*id, d.key.as_str())))
            .collect();
        for chunk in marks.chunks(IDS_PER_STATEMENT) {
            let mut sql = Sql::new("WITH v (id, key) AS (VALUES ");
            for (i, (id, key)) in chunk.iter().enumerate() {
                sql.push(if i > 0 { ", (" } else { "(" })
                    .i64(*id)
                    .push(", ")
                    .text(key)
                    .push(")");
            }
            sql.push(
                ") UPDATE digest_items SET digest_key = (SELECT v.key FROM v \
                 WHERE v.id = digest_items.id) \
                 WHERE digest_key IS NULL AND id IN (SELECT id FROM v)",
            );
            sql.execute(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(queued.len() as u64)
    }
}

/// Digests a statement when they are queued: eight values each, well inside either engine's
/// limit on parameters.
const DIGESTS_PER_STATEMENT: usize = 100;
