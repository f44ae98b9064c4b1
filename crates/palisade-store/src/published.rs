//! Published alert versions, for the public feeds (the alert page, Atom, CSAF and TAXII). Only
//! what was published is read here, and nothing about organisations or their responses.

use crate::db::Sql;
use crate::error::corrupt;
use crate::model::{PublishedQuery, PublishedVersion};
use crate::{PublishedStore, Result, SqlStore};
use async_trait::async_trait;
use sqlx::FromRow;

#[derive(FromRow)]
struct Row {
    alert_id: i64,
    reference: String,
    version: i64,
    at: i64,
    first_published_at: i64,
    changed: String,
    fields: String,
}

impl TryFrom<Row> for PublishedVersion {
    type Error = crate::StoreError;
    fn try_from(r: Row) -> Result<Self> {
        Ok(PublishedVersion {
            fields: serde_json::from_str(&r.fields)
                .map_err(|e| corrupt("alert fields", &e.to_string()))?,
            changed: serde_json::from_str(&r.changed)
                .map_err(|_| corrupt("alert version changes", &r.changed))?,
            alert_id: r.alert_id,
            reference: r.reference,
            version: r.version,
            at: r.at,
            first_published_at: r.first_published_at,
        })
    }
}

#[async_trait]
impl PublishedStore for SqlStore {
    async fn published_versions(&self, q: &PublishedQuery) -> Result<Vec<PublishedVersion>> {
        let mut sql = Sql::new(
            "SELECT v.alert_id, a.reference, v.version, v.at, a.published_at AS first_published_at, \
             v.changed, v.fields FROM alert_versions v JOIN alerts a ON a.id = v.alert_id \
             WHERE v.published = 1 AND a.state = 'published'",
        );
        if q.latest_only {
            sql.push(" AND v.version = a.version");
        }
        if let Some(reference) = &q.reference {
            sql.push(" AND a.reference = ").text(reference);
        }
        if let Some(year) = q.year {
            let (from, to) = year_bounds(year);
            sql.push(" AND a.published_at >= ")
                .i64(from)
                .push(" AND a.published_at < ")
                .i64(to);
        }
        if let Some(t) = q.added_after {
            sql.push(" AND v.at > ").i64(t);
        }
        if let Some(t) = q.added_before {
            sql.push(" AND v.at < ").i64(t);
        }
        let dir = if q.newest_first { "DESC" } else { "ASC" };
        if let Some((at, alert_id, version)) = q.after {
            let cmp = if q.newest_first { "<" } else { ">" };
            // Keyset paging on (at, alert, version), the order rows come out in.
            sql.push(&format!(" AND (v.at {cmp} "))
                .i64(at)
                .push(" OR (v.at = ")
                .i64(at)
                .push(&format!(" AND (v.alert_id {cmp} "))
                .i64(alert_id)
                .push(" OR (v.alert_id = ")
                .i64(alert_id)
                .push(&format!(" AND v.version {cmp} "))
                .i64(version)
                .push("))))");
        }
        sql.push(&format!(
            " ORDER BY v.at {dir}, v.alert_id {dir}, v.version {dir} LIMIT "
        ))
        .i64(q.limit.clamp(1, 10_000));
        sql.query_as::<Row>()
            .fetch_all(&self.read)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    async fn published_stamp(&self) -> Result<(i64, Option<i64>)> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), MAX(v.at) FROM alert_versions v JOIN alerts a ON a.id = v.alert_id \
             WHERE v.published = 1 AND a.state = 'published'",
        )
        .fetch_one(&self.read)
        .await?)
    }

    async fn published_years(&self) -> Result<Vec<(i32, i64)>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT published_at FROM alerts WHERE state = 'published' ORDER BY published_at",
        )
        .fetch_all(&self.read)
        .await?;
        let mut out: Vec<(i32, i64)> = Vec::new();
        for (at,) in rows {
            let year = time::OffsetDateTime::from_unix_timestamp(at)
                .map_err(|_| corrupt("publication time", &at.to_string()))?
                .year();
            match out.last_mut() {
                Some((y, n)) if *y == year => *n += 1,
                _ => out.push((year, 1)),
            }
        }
        Ok(out)
    }
}

/// The first second of `year` and of the year after, in UTC.
fn year_bounds(year: i32) -> (i64, i64) {
    let start = |y: i32| {
        time::Date::from_calendar_date(y, time::Month::January, 1)
            .map(|d| d.midnight().assume_utc().unix_timestamp())
            .unwrap_or(if y < 1970 { 0 } else { i64::MAX })
    };
    (start(year), start(year + 1))
}
