//! The national figures' counts, kept as the register and the assessments change so that the
//! national report reads a few hundred rows instead of grouping every organisation.
//!
//! `register_tally` counts active organisations by type, category and region; `status_tally`
//! counts, by year and the same groups, those organisations' assessments that have a published
//! status, with how many were first published late. An organisation with no published status
//! for a year is "not published", so that count is the register's less the year's statuses.
//!
//! Every statement that changes an organisation's type, category, region or activity, or an
//! assessment's status or lateness, sits between a [`FiguresDelta`] reading the parts it touches
//! before and after, in the same transaction. The delta is applied once, in key order, so two
//! transactions never wait on each other's tally rows in opposite orders (no deadlock on
//! PostgreSQL), and a change that moves nothing (a status published again) writes nothing.

use crate::db::{Arg, IDS_PER_STATEMENT, Sql, add_to_tally};
use crate::{Result, StatusCount};
use palisade_domain::org::OrgFields;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap};

/// A group of the register: organisation type, category and region.
type Group = (String, i64, String);

/// The group an organisation with these fields counts in.
pub(crate) fn group_of(fields: &OrgFields) -> Group {
    (
        fields.org_type.as_str().to_string(),
        i64::from(fields.category.number()),
        fields.region.clone(),
    )
}

/// Changes to the counts a transaction makes, added up before they are written.
#[derive(Debug, Default)]
pub(crate) struct FiguresDelta {
    register: BTreeMap<Group, i64>,
    /// (year, group, status) to (organisations, of which late).
    statuses: BTreeMap<(i64, Group, String), (i64, i64)>,
}

impl FiguresDelta {
    /// Adds `sign` times the part the organisations `ids` have in the counts as they stand:
    /// each active one in its group, and its published assessments. Read with `-1` before a
    /// change and `+1` after it.
    pub async fn organisations(
        &mut self,
        conn: &mut AnyConnection,
        ids: &[i64],
        sign: i64,
    ) -> Result<()> {
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let sql = Sql::with_ids(
                "SELECT org_type, category, region FROM organisations WHERE active = 1 AND id IN (",
                chunk,
                ")",
            );
            for group in sql.query_as::<Group>().fetch_all(&mut *conn).await? {
                self.add_organisation(group, sign);
            }
        }
        self.add_statuses(conn, "o.id", ids, sign).await
    }

    /// Adds `sign` times the part the assessments `ids` have in the counts as they stand. Read
    /// with `-1` before a change of status and `+1` after it.
    pub async fn assessments(
        &mut self,
        conn: &mut AnyConnection,
        ids: &[i64],
        sign: i64,
    ) -> Result<()> {
        self.add_statuses(conn, "a.id", ids, sign).await
    }

    /// Counts `sign` organisations in `group`: one just created active, whose assessments are
    /// yet to come.
    pub fn add_organisation(&mut self, group: Group, sign: i64) {
        *self.register.entry(group).or_default() += sign;
    }

    /// Adds `sign` times the published statuses of active organisations whose `key` (`o.id` for
    /// organisations, `a.id` for assessments) is one of `ids`.
    async fn add_statuses(
        &mut self,
        conn: &mut AnyConnection,
        key: &'static str,
        ids: &[i64],
        sign: i64,
    ) -> Result<()> {
        let head = format!(
            "SELECT a.year, o.org_type, o.category, o.region, a.status, a.late \
             FROM assessments a JOIN organisations o ON o.id = a.org_id \
             WHERE o.active = 1 AND a.status <> 'not_published' AND {key} IN ("
        );
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let rows = Sql::with_ids(&head, chunk, ")")
                .query_as::<(i64, String, i64, String, String, i64)>()
                .fetch_all(&mut *conn)
                .await?;
            for (year, org_type, category, region, status, late) in rows {
                let entry = self
                    .statuses
                    .entry((year, (org_type, category, region), status))
                    .or_default();
                entry.0 += sign;
                entry.1 += sign * late;
            }
        }
        Ok(())
    }

    /// Writes the changes that move a count, in key order, and moves the figures' version on
    /// when there was one.
    pub async fn apply(self, conn: &mut AnyConnection) -> Result<()> {
        let register: Vec<Vec<Arg>> = self
            .register
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|((org_type, category, region), n)| {
                vec![
                    Arg::Text(org_type),
                    Arg::I64(category),
                    Arg::Text(region),
                    Arg::I64(n),
                ]
            })
            .collect();
        let statuses: Vec<Vec<Arg>> = self
            .statuses
            .into_iter()
            .filter(|(_, (n, late))| *n != 0 || *late != 0)
            .map(
                |((year, (org_type, category, region), status), (n, late))| {
                    vec![
                        Arg::I64(year),
                        Arg::Text(org_type),
                        Arg::I64(category),
                        Arg::Text(region),
                        Arg::Text(status),
                        Arg::I64(n),
                        Arg::I64(late),
                    ]
                },
            )
            .collect();
        let moved = !register.is_empty() || !statuses.is_empty();
        add_to_tally(
            conn,
            "register_tally",
            &["org_type", "category", "region"],
            &["orgs"],
            register,
        )
        .await?;
        add_to_tally(
            conn,
            "status_tally",
            &["year", "org_type", "category", "region", "status"],
            &["orgs", "late"],
            statuses,
        )
        .await?;
        if moved {
            next_version(conn).await?;
        }
        Ok(())
    }
}

/// Moves the figures' version on: what they rest on has changed in this transaction.
pub(crate) async fn next_version(conn: &mut AnyConnection) -> Result<()> {
    sqlx::query("UPDATE figures_version SET version = version + 1 WHERE id = 1")
        .execute(conn)
        .await?;
    Ok(())
}

/// The figures' version now.
pub(crate) async fn version(conn: &mut AnyConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT version FROM figures_version WHERE id = 1")
            .fetch_one(conn)
            .await?,
    )
}

/// Active organisations by type, from the kept register counts (a few hundred rows, where
/// counting the register reads every organisation), ordered by type as the scoped count is. A
/// type with none is left out, as a count of the organisations would leave it.
pub(crate) async fn active_by_type(conn: &mut AnyConnection) -> Result<Vec<(String, i64)>> {
    // PostgreSQL's SUM of a BIGINT is NUMERIC: cast back for both engines.
    Ok(sqlx::query_as::<_, (String, i64)>(
        "SELECT org_type, CAST(SUM(orgs) AS BIGINT) AS n FROM register_tally \
         GROUP BY org_type HAVING SUM(orgs) > 0 ORDER BY org_type",
    )
    .fetch_all(conn)
    .await?)
}

/// The rows of [`StatusCount`] for `year`, as `(type, category, region, status, organisations,
/// late)`, read from the kept counts: each group's published statuses, and its organisations
/// with none as not published. One statement, so both tallies are read at one moment.
pub(crate) async fn status_rows(
    conn: &mut AnyConnection,
    year: i32,
) -> Result<Vec<(String, i64, String, String, i64, i64)>> {
    let rows = sqlx::query_as::<_, (String, i64, String, Option<String>, i64, i64)>(
        "SELECT org_type, category, region, status, orgs, late FROM status_tally \
         WHERE year = $1 AND orgs <> 0 \
         UNION ALL SELECT org_type, category, region, NULL, orgs, 0 FROM register_tally \
         WHERE orgs <> 0",
    )
    .bind(i64::from(year))
    .fetch_all(conn)
    .await?;
    let mut published: HashMap<Group, i64> = HashMap::new();
    for (t, c, r, status, n, _) in &rows {
        if status.is_some() {
            *published.entry((t.clone(), *c, r.clone())).or_default() += n;
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for (t, c, r, status, n, late) in rows {
        match status {
            Some(status) => out.push((t, c, r, status, n, late)),
            None => {
                let unpublished = n - published
                    .get(&(t.clone(), c, r.clone()))
                    .copied()
                    .unwrap_or(0);
                if unpublished > 0 {
                    out.push((t, c, r, "not_published".into(), unpublished, 0));
                }
            }
        }
    }
    Ok(out)
}

/// The counts recounted from the register and the assessments, grouped as the kept ones are:
/// what the kept counts must always equal (the conformance tests hold one against the other).
pub(crate) async fn recounted_rows(
    conn: &mut AnyConnection,
    year: i32,
) -> Result<Vec<(String, i64, String, String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT o.org_type, o.category, o.region, COALESCE(a.status, 'not_published') AS st, \
         COUNT(*), CAST(COALESCE(SUM(a.late), 0) AS BIGINT) \
         FROM organisations o LEFT JOIN assessments a ON a.org_id = o.id AND a.year = $1 \
         WHERE o.active = 1 GROUP BY o.org_type, o.category, o.region, st",
    )
    .bind(i64::from(year))
    .fetch_all(conn)
    .await?)
}

/// Turns rows read by [`status_rows`] or [`recounted_rows`] into the store's type.
pub(crate) fn status_counts(
    rows: Vec<(String, i64, String, String, i64, i64)>,
) -> Result<Vec<StatusCount>> {
    rows.into_iter()
        .map(|(t, c, region, s, orgs, late)| {
            Ok(StatusCount {
                org_type: t
                    .parse()
                    .map_err(|_| crate::error::corrupt("organisation type", &t))?,
                category: crate::assessments::category(c)?,
                region,
                status: crate::assessments::status(&s)?,
                orgs,
                late,
            })
        })
        .collect()
}

impl crate::SqlStore {
    /// Counts the national figures again from the register and the assessments, in place of
    /// the kept counts, and moves the version on. Run at every start, after the migrations: a
    /// server of an older version still writing during a rolling upgrade changes statuses
    /// without keeping the counts, and the next start of a server of this version puts them
    /// right. About as long as one national report took before the counts were kept.
    pub(crate) async fn recount_figures(&self) -> Result<()> {
        let mut tx = self.begin().await?;
        for statement in [
            "DELETE FROM register_tally",
            "DELETE FROM status_tally",
            "INSERT INTO register_tally (org_type, category, region, orgs) \
             SELECT org_type, category, region, COUNT(*) FROM organisations WHERE active = 1 \
             GROUP BY org_type, category, region",
            "INSERT INTO status_tally (year, org_type, category, region, status, orgs, late) \
             SELECT a.year, o.org_type, o.category, o.region, a.status, COUNT(*), SUM(a.late) \
             FROM assessments a JOIN organisations o ON o.id = a.org_id \
             WHERE o.active = 1 AND a.status <> 'not_published' \
             GROUP BY a.year, o.org_type, o.category, o.region, a.status",
        ] {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        next_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A year's status counts recounted from the register and the assessments, as the national
    /// report read them before they were kept: what [`crate::AssessmentStore::status_counts`]
    /// must always equal. Slow at national scale (it groups every organisation); for checks.
    pub async fn status_counts_recounted(&self, year: i32) -> Result<Vec<StatusCount>> {
        let mut conn = self.read.acquire().await?;
        status_counts(recounted_rows(&mut conn, year).await?)
    }
}
