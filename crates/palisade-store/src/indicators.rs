//! Indicators of compromise on SQL: added to a case, read per case, searched across cases, and
//! read in pages for the TAXII collection as far as the caller may see them under TLP.

use crate::audit::append;
use crate::db::Sql;
use crate::error::corrupt;
use crate::{Result, SqlStore, Stamp, StoreError, incident_reference};
use async_trait::async_trait;
use palisade_domain::audit::AuditDraft;
use palisade_domain::indicator::{IndicatorType, Tlp};
use palisade_domain::policy::Scope;
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

/// An indicator of compromise on a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorRecord {
    pub id: i64,
    pub incident_id: i64,
    pub indicator_type: IndicatorType,
    pub value: String,
    pub tlp: Tlp,
    pub description: String,
    pub created_by: Option<String>,
    pub created_at: i64,
    /// When it was added to the TAXII collection (milliseconds since the epoch): no two
    /// indicators added since the collection existed share one, and later commits have later
    /// times.
    pub added_ms: i64,
    /// Its STIX object id (`indicator--` and a random UUID); none until filled in for an
    /// indicator added before the collection existed.
    pub stix_id: Option<String>,
}

/// An indicator found by a search, with its case's organisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorFound {
    pub indicator: IndicatorRecord,
    pub org_code: String,
    pub org_name: String,
}

/// A new indicator, checked.
#[derive(Debug, Clone)]
pub struct NewIndicator {
    pub indicator_type: IndicatorType,
    pub value: String,
    pub tlp: Tlp,
    pub description: String,
    pub stix_id: String,
}

/// Who reads the indicator collection: anyone (TLP:CLEAR only), or a signed-in caller with the
/// organisations it acts for (`Scope::All` for the national team).
#[derive(Debug, Clone)]
pub enum FeedReader {
    Anonymous,
    SignedIn(Scope),
}

/// Which indicators of the feed a page reads: after this (`added_ms`, `id`), only those added
/// strictly after `added_after_ms`, and, when `stix_ids` is given, only those with these ids.
#[derive(Debug, Clone, Default)]
pub struct FeedQuery {
    pub after: Option<(i64, i64)>,
    pub added_after_ms: Option<i64>,
    pub stix_ids: Option<Vec<String>>,
}

/// An indicator of the feed, and whether its reader may see the case it was seen on (the
/// national team, or someone acting for the reporting organisation).
#[derive(Debug, Clone, PartialEq)]
pub struct FeedIndicator {
    pub indicator: IndicatorRecord,
    pub case_visible: bool,
}

#[async_trait]
pub trait IndicatorStore: Send + Sync {
    /// Adds an indicator to the case (a repeat of one already there is a conflict).
    async fn add_indicator(
        &self,
        incident_id: i64,
        indicator: &NewIndicator,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<IndicatorRecord>;

    /// The case's indicators, oldest first.
    async fn incident_indicators(&self, incident_id: i64) -> Result<Vec<IndicatorRecord>>;

    /// Indicators holding any of these exact (canonical) values across every case, with the
    /// case's organisation, newest first.
    async fn find_indicators(&self, values: &[String], limit: i64) -> Result<Vec<IndicatorFound>>;

    /// The indicators `reader` may see under TLP, oldest added first, as `query` asks, at most
    /// `limit`: clear to anyone; green to every signed-in caller; amber to the reporting
    /// organisation (or one above it), the organisations named on the case and the national
    /// team; amber+strict to the reporting organisation and the national team; red to the
    /// national team only.
    async fn indicator_feed(
        &self,
        reader: &FeedReader,
        query: &FeedQuery,
        limit: i64,
    ) -> Result<Vec<FeedIndicator>>;

    /// One indicator of the feed by its STIX id, if `reader` may see it.
    async fn feed_indicator(
        &self,
        reader: &FeedReader,
        stix_id: &str,
    ) -> Result<Option<FeedIndicator>>;

    /// Gives every indicator without a STIX id a new one from `new_id`; how many were filled.
    async fn fill_stix_ids(&self, new_id: fn() -> String) -> Result<u64>;
}

#[async_trait]
impl IndicatorStore for SqlStore {
    async fn add_indicator(
        &self,
        incident_id: i64,
        i: &NewIndicator,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<IndicatorRecord> {
        // `begin` holds the one write lock until commit, so the newest time read here is the
        // newest committed, and no indicator committed later can take an earlier one.
        let mut tx = self.begin().await?;
        let newest: Option<i64> =
            sqlx::query_scalar("SELECT MAX(added_ms) FROM incident_indicators")
                .fetch_one(&mut *tx)
                .await?;
        let added_ms = (stamp.at * 1000).max(newest.map_or(0, |t| t + 1));
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO incident_indicators (incident_id, type, value, tlp, description, \
             created_by, created_at, stix_id, added_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(incident_id)
        .bind(i.indicator_type.as_str())
        .bind(i.value.clone())
        .bind(i.tlp.as_str())
        .bind(i.description.clone())
        .bind(stamp.user_id)
        .bind(stamp.at)
        .bind(i.stix_id.clone())
        .bind(added_ms)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::conflict("value", "the case already has this indicator")
            } else {
                e.into()
            }
        })?;
        audit.entity_id = format!("{}/indicators/{id}", incident_reference(incident_id));
        append(&mut tx, &audit).await?;
        let row = indicators_where(&mut tx, "x.id = $1", id, 1).await?;
        tx.commit().await?;
        row.into_iter().next().ok_or(StoreError::NotFound)
    }

    async fn incident_indicators(&self, incident_id: i64) -> Result<Vec<IndicatorRecord>> {
        let mut conn = self.read.acquire().await?;
        indicators_where(&mut conn, "x.incident_id = $1", incident_id, i64::MAX).await
    }

    async fn find_indicators(&self, values: &[String], limit: i64) -> Result<Vec<IndicatorFound>> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(INDICATOR_SELECT);
        sql.push(
            ", o.code AS org_code, o.name AS org_name FROM incident_indicators x \
             LEFT JOIN users u ON u.id = x.created_by JOIN incidents i ON i.id = x.incident_id \
             JOIN organisations o ON o.id = i.org_id WHERE x.value IN (",
        );
        for (n, v) in values.iter().enumerate() {
            if n > 0 {
                sql.push(", ");
            }
            sql.text(v);
        }
        sql.push(") ORDER BY x.created_at DESC, x.id DESC LIMIT ")
            .i64(limit);
        let rows: Vec<FoundRow> = sql.query_as().fetch_all(&self.read).await?;
        rows.into_iter()
            .map(|r| {
                Ok(IndicatorFound {
                    indicator: r.indicator.try_into()?,
                    org_code: r.org_code,
                    org_name: r.org_name,
                })
            })
            .collect()
    }

    async fn indicator_feed(
        &self,
        reader: &FeedReader,
        query: &FeedQuery,
        limit: i64,
    ) -> Result<Vec<FeedIndicator>> {
        let mut sql = visible_indicators(reader);
        if let Some(t) = query.added_after_ms {
            sql.push(" AND x.added_ms > ").i64(t);
        }
        if let Some((at, id)) = query.after {
            sql.push(" AND (x.added_ms > ")
                .i64(at)
                .push(" OR (x.added_ms = ")
                .i64(at)
                .push(" AND x.id > ")
                .i64(id)
                .push("))");
        }
        if let Some(ids) = &query.stix_ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            sql.push(" AND x.stix_id IN (");
            for (n, id) in ids.iter().enumerate() {
                sql.push(if n == 0 { "" } else { ", " }).text(id);
            }
            sql.push(")");
        }
        sql.push(" ORDER BY x.added_ms, x.id LIMIT ").i64(limit);
        let rows: Vec<FeedRow> = sql.query_as().fetch_all(&self.read).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn feed_indicator(
        &self,
        reader: &FeedReader,
        stix_id: &str,
    ) -> Result<Option<FeedIndicator>> {
        let mut sql = visible_indicators(reader);
        sql.push(" AND x.stix_id = ").text(stix_id);
        let row: Option<FeedRow> = sql.query_as().fetch_optional(&self.read).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn fill_stix_ids(&self, new_id: fn() -> String) -> Result<u64> {
        let mut filled = 0;
        loop {
            let mut tx = self.begin().await?;
            let rows = indicators_where(&mut tx, "x.stix_id IS NULL AND x.id > $1", 0, 500).await?;
            if rows.is_empty() {
                return Ok(filled);
            }
            for r in &rows {
                sqlx::query("UPDATE incident_indicators SET stix_id = $1 WHERE id = $2")
                    .bind(new_id())
                    .bind(r.id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            filled += rows.len() as u64;
        }
    }
}

const INDICATOR_SELECT: &str = "SELECT x.id, x.incident_id, x.type, x.value, x.tlp, \
     x.description, u.email AS created_by, x.created_at, x.added_ms, x.stix_id";
const INDICATOR_FROM: &str = " FROM incident_indicators x LEFT JOIN users u ON u.id = x.created_by";

#[derive(FromRow)]
struct FoundRow {
    #[sqlx(flatten)]
    indicator: IndicatorRow,
    org_code: String,
    org_name: String,
}

#[derive(FromRow)]
struct FeedRow {
    #[sqlx(flatten)]
    indicator: IndicatorRow,
    case_visible: i64,
}

impl TryFrom<FeedRow> for FeedIndicator {
    type Error = StoreError;
    fn try_from(r: FeedRow) -> Result<Self> {
        Ok(FeedIndicator {
            indicator: r.indicator.try_into()?,
            case_visible: r.case_visible != 0,
        })
    }
}

#[derive(FromRow)]
struct IndicatorRow {
    id: i64,
    incident_id: i64,
    #[sqlx(rename = "type")]
    kind: String,
    value: String,
    tlp: String,
    description: String,
    created_by: Option<String>,
    created_at: i64,
    added_ms: i64,
    stix_id: Option<String>,
}

impl TryFrom<IndicatorRow> for IndicatorRecord {
    type Error = StoreError;
    fn try_from(r: IndicatorRow) -> Result<Self> {
        Ok(IndicatorRecord {
            id: r.id,
            incident_id: r.incident_id,
            indicator_type: r
                .kind
                .parse()
                .map_err(|_| corrupt("indicator type", &r.kind))?,
            tlp: r
                .tlp
                .parse()
                .map_err(|_| corrupt("indicator TLP", &r.tlp))?,
            value: r.value,
            description: r.description,
            created_by: r.created_by,
            created_at: r.created_at,
            added_ms: r.added_ms,
            stix_id: r.stix_id,
        })
    }
}

/// The query of every indicator `reader` may see under TLP, with whether it may see the case
/// (`case_visible`), to go on with ` AND ...`.
fn visible_indicators(reader: &FeedReader) -> Sql {
    let mut sql = Sql::default();
    let scoped = match reader {
        FeedReader::SignedIn(scope) => sql.scope_cte(scope),
        FeedReader::Anonymous => false,
    };
    sql.push(INDICATOR_SELECT);
    match reader {
        // Anyone reads TLP:CLEAR, and the national team everything: neither needs the case.
        FeedReader::Anonymous => {
            sql.push(", CAST(0 AS BIGINT) AS case_visible")
                .push(INDICATOR_FROM)
                .push(" WHERE x.tlp = 'clear'");
        }
        FeedReader::SignedIn(Scope::All) => {
            sql.push(", CAST(1 AS BIGINT) AS case_visible")
                .push(INDICATOR_FROM)
                .push(" WHERE 1 = 1");
        }
        FeedReader::SignedIn(Scope::Within(_)) => {
            debug_assert!(scoped);
            sql.push(
                ", CAST(CASE WHEN i.org_id IN (SELECT id FROM visible) THEN 1 ELSE 0 END \
                 AS BIGINT) AS case_visible",
            )
            .push(INDICATOR_FROM)
            .push(" JOIN incidents i ON i.id = x.incident_id WHERE ");
            // Amber reaches the organisations named on the case: `shared_with` is a JSON
            // array of codes, so a code matches with its quotes.
            sql.push(
                "(x.tlp IN ('clear', 'green') \
                 OR (x.tlp IN ('amber', 'amber+strict') \
                     AND i.org_id IN (SELECT id FROM visible)) \
                 OR (x.tlp = 'amber' AND EXISTS (SELECT 1 FROM visible v \
                     JOIN organisations so ON so.id = v.id \
                     WHERE i.shared_with LIKE '%\"' || so.code || '\"%')))",
            );
        }
    }
    sql
}

async fn indicators_where(
    conn: &mut AnyConnection,
    condition: &str,
    value: i64,
    limit: i64,
) -> Result<Vec<IndicatorRecord>> {
    let rows: Vec<IndicatorRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{INDICATOR_SELECT}{INDICATOR_FROM} WHERE {condition} ORDER BY x.id LIMIT $2"
    )))
    .bind(value)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}
