//! The estate's reference data and decisions: data feeds (each with the time of its data and a
//! digest, so re-importing the same data changes nothing) and their items, and the mitigations
//! organisations record for unsupported systems.

use sqlx::FromRow;

use crate::audit::append;
use crate::error::corrupt;
use crate::{EstateDay, FeedRecord, Result, SqlStore, Stamp, StoreError, StoredMitigation};
use palisade_domain::audit::AuditDraft;
use palisade_domain::dates::{date_text, parse_date};
use palisade_domain::eol::{Mitigation, MitigationAction};
use palisade_domain::policy::OrgId;

const FEED_COLUMNS: &str = "name, digest, items, data_time, imported_at";

#[derive(FromRow)]
struct FeedRow {
    name: String,
    digest: String,
    items: i64,
    data_time: Option<i64>,
    imported_at: i64,
}

impl From<FeedRow> for FeedRecord {
    fn from(r: FeedRow) -> Self {
        FeedRecord {
            name: r.name,
            digest: r.digest,
            items: r.items,
            data_time: r.data_time,
            imported_at: r.imported_at,
        }
    }
}

const MITIGATION_COLUMNS: &str =
    "id, asset, vendor, product, action, from_date, until_date, evidence, recorded_at";

#[derive(FromRow)]
struct MitigationRow {
    id: i64,
    asset: String,
    vendor: String,
    product: String,
    action: String,
    from_date: Option<String>,
    until_date: Option<String>,
    evidence: String,
    recorded_at: i64,
    /// Read only where a query spans organisations.
    #[sqlx(default)]
    org_id: Option<i64>,
}

impl TryFrom<MitigationRow> for StoredMitigation {
    type Error = StoreError;
    fn try_from(r: MitigationRow) -> Result<Self> {
        Ok(StoredMitigation {
            id: r.id,
            recorded_at: r.recorded_at,
            mitigation: Mitigation {
                asset: r.asset,
                vendor: r.vendor,
                product: r.product,
                action: MitigationAction::parse(&r.action)
                    .ok_or_else(|| corrupt("mitigation action", &r.action))?,
                // An agreement recorded before its first day was kept began when recorded.
                from: match r.from_date {
                    Some(d) => Some(parse_date("from", &d).map_err(|_| corrupt("date", &d))?),
                    None if r.action == MitigationAction::ExtendedSupport.as_str() => {
                        Some(palisade_domain::clock::from_unix(r.recorded_at).date())
                    }
                    None => None,
                },
                until: r
                    .until_date
                    .map(|d| parse_date("until", &d).map_err(|_| corrupt("date", &d)))
                    .transpose()?,
                evidence: r.evidence,
            },
        })
    }
}

/// Records a feed's import inside `tx`; `false` (and nothing written) when the feed already
/// holds data with this digest.
async fn record_feed(
    tx: &mut sqlx::AnyConnection,
    feed: &FeedRecord,
    stamp: Stamp,
) -> Result<bool> {
    let digest: Option<String> = sqlx::query_scalar("SELECT digest FROM feeds WHERE name = $1")
        .bind(&feed.name)
        .fetch_optional(&mut *tx)
        .await?;
    if digest.as_deref() == Some(feed.digest.as_str()) {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO feeds (name, digest, items, data_time, imported_at, by_user) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET digest = excluded.digest, \
         items = excluded.items, data_time = excluded.data_time, \
         imported_at = excluded.imported_at, by_user = excluded.by_user",
    )
    .bind(&feed.name)
    .bind(&feed.digest)
    .bind(feed.items)
    .bind(feed.data_time)
    .bind(stamp.at)
    .bind(stamp.user_id)
    .execute(&mut *tx)
    .await?;
    Ok(true)
}

#[async_trait::async_trait]
impl crate::EstateStore for SqlStore {
    async fn feeds(&self) -> Result<Vec<FeedRecord>> {
        Ok(sqlx::query_as::<_, FeedRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {FEED_COLUMNS} FROM feeds ORDER BY name"
        )))
        .fetch_all(&self.read)
        .await?
        .into_iter()
        .map(FeedRecord::from)
        .collect())
    }

    async fn feed(&self, name: &str) -> Result<Option<FeedRecord>> {
        Ok(sqlx::query_as::<_, FeedRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {FEED_COLUMNS} FROM feeds WHERE name = $1"
        )))
        .bind(name)
        .fetch_optional(&self.read)
        .await?
        .map(FeedRecord::from))
    }

    async fn replace_feed(
        &self,
        feed: &FeedRecord,
        items: &[(String, String)],
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        if !record_feed(&mut tx, feed, stamp).await? {
            return Ok(false);
        }
        sqlx::query("DELETE FROM feed_items WHERE feed = $1")
            .bind(&feed.name)
            .execute(&mut *tx)
            .await?;
        for (key, body) in items {
            sqlx::query("INSERT INTO feed_items (feed, item_key, body) VALUES ($1, $2, $3)")
                .bind(&feed.name)
                .bind(key)
                .bind(body)
                .execute(&mut *tx)
                .await?;
        }
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn merge_feed(
        &self,
        name: &str,
        items: &[(String, String)],
        batch_digest: &str,
        data_time: Option<i64>,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<usize> {
        use sha2::Digest;
        let mut tx = self.begin().await?;
        let held: std::collections::HashMap<String, String> =
            sqlx::query_as::<_, (String, String)>(
                "SELECT item_key, body FROM feed_items WHERE feed = $1",
            )
            .bind(name)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
        let changed: Vec<&(String, String)> = items
            .iter()
            .filter(|(k, body)| held.get(k) != Some(body))
            .collect();
        if changed.is_empty() {
            return Ok(0);
        }
        let old: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT digest, data_time FROM feeds WHERE name = $1")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        // The digest moves on from the last one with each change, so every server sees it.
        let previous = old.as_ref().map(|(d, _)| d.as_str()).unwrap_or_default();
        let digest = hex::encode(sha2::Sha256::digest(format!("{previous}{batch_digest}")));
        let newest = match (old.and_then(|(_, t)| t), data_time) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let count = (held.len()
            + changed
                .iter()
                .filter(|(k, _)| !held.contains_key(k))
                .count()) as i64;
        record_feed(
            &mut tx,
            &FeedRecord {
                name: name.into(),
                digest,
                items: count,
                data_time: newest,
                imported_at: stamp.at,
            },
            stamp,
        )
        .await?;
        for (key, body) in &changed {
            let sql = if held.contains_key(key) {
                "UPDATE feed_items SET body = $3 WHERE feed = $1 AND item_key = $2"
            } else {
                "INSERT INTO feed_items (feed, item_key, body) VALUES ($1, $2, $3)"
            };
            sqlx::query(sql)
                .bind(name)
                .bind(key)
                .bind(body)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(obj) = audit.summary.as_object_mut() {
            obj.insert("changed".into(), changed.len().into());
            obj.insert("items".into(), count.into());
        }
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(changed.len())
    }

    async fn feed_items(&self, feed: &str) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT body FROM feed_items WHERE feed = $1 ORDER BY item_key")
                .bind(feed)
                .fetch_all(&self.read)
                .await?,
        )
    }

    async fn save_mitigation(
        &self,
        org_id: OrgId,
        m: &Mitigation,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<StoredMitigation> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO estate_mitigations (org_id, asset, vendor, product, action, until_date, \
             evidence, recorded_at, by_user, from_date) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (org_id, asset, vendor, product) DO UPDATE SET action = excluded.action, \
             from_date = excluded.from_date, until_date = excluded.until_date, \
             evidence = excluded.evidence, \
             recorded_at = excluded.recorded_at, by_user = excluded.by_user RETURNING id",
        )
        .bind(org_id)
        .bind(&m.asset)
        .bind(&m.vendor)
        .bind(&m.product)
        .bind(m.action.as_str())
        .bind(m.until.map(date_text))
        .bind(&m.evidence)
        .bind(stamp.at)
        .bind(stamp.user_id)
        .bind(m.from.map(date_text))
        .fetch_one(&mut *tx)
        .await?;
        audit.entity_id = id.to_string();
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(StoredMitigation {
            id,
            recorded_at: stamp.at,
            mitigation: m.clone(),
        })
    }

    async fn delete_mitigation(&self, org_id: OrgId, id: i64, audit: AuditDraft) -> Result<bool> {
        let mut tx = self.begin().await?;
        let gone = sqlx::query("DELETE FROM estate_mitigations WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Ok(false);
        }
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn extended_support(&self) -> Result<Vec<(OrgId, StoredMitigation)>> {
        let rows: Vec<(i64, MitigationRow)> =
            sqlx::query_as::<_, MitigationRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {MITIGATION_COLUMNS}, org_id FROM estate_mitigations \
                 WHERE action = 'extended_support' ORDER BY org_id"
            )))
            .fetch_all(&self.read)
            .await?
            .into_iter()
            .map(|r| (r.org_id.unwrap_or_default(), r))
            .collect();
        rows.into_iter()
            .map(|(org, r)| Ok((org, StoredMitigation::try_from(r)?)))
            .collect()
    }

    async fn record_estate_day(&self, day: &EstateDay) -> Result<()> {
        sqlx::query(
            "INSERT INTO estate_days (day, organisations, devices, estates) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (day) DO UPDATE SET organisations = excluded.organisations, \
             devices = excluded.devices, estates = excluded.estates",
        )
        .bind(&day.day)
        .bind(day.organisations)
        .bind(day.devices)
        .bind(day.estates)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn estate_days(&self, limit: i64) -> Result<Vec<EstateDay>> {
        let mut days: Vec<EstateDay> = sqlx::query_as::<_, (String, i64, i64, i64)>(
            "SELECT day, organisations, devices, estates FROM estate_days ORDER BY day DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.read)
        .await?
        .into_iter()
        .map(|(day, organisations, devices, estates)| EstateDay {
            day,
            organisations,
            devices,
            estates,
        })
        .collect();
        days.reverse();
        Ok(days)
    }

    async fn mitigations(&self, org_id: OrgId) -> Result<Vec<StoredMitigation>> {
        Ok(self
            .mitigations_of(&[org_id])
            .await?
            .remove(&org_id)
            .unwrap_or_default())
    }

    async fn mitigations_of(
        &self,
        org_ids: &[OrgId],
    ) -> Result<std::collections::HashMap<OrgId, Vec<StoredMitigation>>> {
        let mut out: std::collections::HashMap<OrgId, Vec<StoredMitigation>> = Default::default();
        for chunk in org_ids.chunks(crate::db::IDS_PER_STATEMENT) {
            let mut sql = crate::db::Sql::new(&format!(
                "SELECT {MITIGATION_COLUMNS}, org_id FROM estate_mitigations WHERE org_id IN ("
            ));
            sql.i64_list(chunk)
                .push(") ORDER BY org_id, asset, vendor, product");
            for r in sql
                .query_as::<MitigationRow>()
                .fetch_all(&self.read)
                .await?
            {
                let org = r.org_id.unwrap_or_default();
                out.entry(org).or_default().push(r.try_into()?);
            }
        }
        Ok(out)
    }
}
