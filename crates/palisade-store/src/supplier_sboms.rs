//! Suppliers' SBOMs on SQL: per product version, the checked components of the CycloneDX or SPDX
//! document its supplier uploaded. A new upload replaces the one in force, which is kept.

use crate::audit::append;
use crate::db::Sql;
use crate::{Result, SqlStore, Stamp, StoreError};
use async_trait::async_trait;
use palisade_domain::audit::AuditDraft;
use palisade_domain::inventory::Component;
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};
use std::collections::HashSet;

/// Components written per statement (three parameters each).
const BATCH: usize = 500;

/// An SBOM as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct SbomRecord {
    pub id: i64,
    pub product_id: i64,
    pub version: String,
    /// `cyclonedx` or `spdx`.
    pub format: String,
    pub components: i64,
    pub sha256: String,
    pub uploaded_at: i64,
    pub uploaded_by: Option<String>,
}

/// An SBOM to keep.
#[derive(Debug, Clone)]
pub struct NewSbom<'a> {
    pub product_id: i64,
    pub version: &'a str,
    pub format: &'a str,
    pub sha256: &'a str,
    pub components: &'a [Component],
}

/// A VEX statement to keep for a product version.
#[derive(Debug, Clone)]
pub struct NewVex {
    pub cve: String,
    pub status: palisade_domain::supplier::VexStatus,
    pub justification: Option<String>,
    pub detail: Option<String>,
    /// Package URLs of the components it names; empty for the whole version.
    pub components: Vec<String>,
}

/// A VEX statement as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexRecord {
    pub product_id: i64,
    pub version: String,
    pub cve: String,
    pub status: palisade_domain::supplier::VexStatus,
    pub justification: Option<String>,
    pub detail: Option<String>,
}

#[async_trait]
pub trait SupplierSbomStore: Send + Sync {
    /// Keeps an SBOM for a product version, replacing the one in force.
    async fn save_sbom(
        &self,
        sbom: &NewSbom<'_>,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<SbomRecord>;

    /// The SBOMs in force for the supplier's product versions, by product and version.
    async fn current_sboms(&self, supplier_id: i64) -> Result<Vec<SbomRecord>>;

    /// These SBOMs' components, each SBOM's in document order.
    async fn sbom_components(
        &self,
        sbom_ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<Component>>>;

    /// The SBOMs uploaded after `after` that are still in force, oldest first, and the newest
    /// SBOM id of all (in force or replaced).
    async fn sboms_since(&self, after: i64) -> Result<(Vec<SbomRecord>, i64)>;

    /// Components of SBOMs at these positions: each SBOM's, in document order.
    async fn sbom_components_at(
        &self,
        wanted: &[(i64, Vec<u32>)],
    ) -> Result<std::collections::HashMap<i64, Vec<Component>>>;

    /// Replaces a product version's VEX statements.
    async fn replace_vex(
        &self,
        product_id: i64,
        version: &str,
        format: &str,
        statements: &[NewVex],
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<usize>;

    /// The statements about these CVEs for these product versions.
    async fn vex_about(
        &self,
        versions: &[(i64, String)],
        cves: &[String],
    ) -> Result<Vec<VexRecord>>;

    /// How many statements each of the supplier's product versions has: (product, version, n).
    async fn vex_counts(&self, supplier_id: i64) -> Result<Vec<(i64, String, i64)>>;
}

const SBOM_SELECT: &str = "SELECT s.id, s.product_id, s.version, s.format, s.components, \
     s.sha256, s.uploaded_at, u.email AS uploaded_by FROM supplier_sboms s \
     LEFT JOIN users u ON u.id = s.uploaded_by";

/// Product versions a statement asks about: SQLite's binding cost grows with the square of a
/// statement's parameters.
const PAIRS: usize = 125;

/// Appends `{t}.product_id IN (...) AND {t}.version IN (...)` for a chunk of product versions:
/// on both engines, one look-up in the table's (product, version) index per product and
/// version. (A list of pairs, as `OR`ed conditions or a joined `VALUES` list, was planned as a
/// scan of the table per pair by SQLite: 2 s for 125 versions' 4,000 users.) It holds every
/// pair asked and maybe others, a product asked at one version with another asked at a
/// second; [`asked`] keeps the rows asked for.
fn push_versions_in(sql: &mut Sql, t: &str, chunk: &[(i64, String)]) {
    let mut products: Vec<i64> = chunk.iter().map(|(p, _)| *p).collect();
    products.sort_unstable();
    products.dedup();
    let mut versions: Vec<&str> = chunk.iter().map(|(_, v)| v.as_str()).collect();
    versions.sort_unstable();
    versions.dedup();
    sql.push(&format!("{t}.product_id IN ("));
    for (i, p) in products.iter().enumerate() {
        sql.push(if i > 0 { ", " } else { "" }).i64(*p);
    }
    sql.push(&format!(") AND {t}.version IN ("));
    for (i, v) in versions.iter().enumerate() {
        sql.push(if i > 0 { ", " } else { "" }).text(v);
    }
    sql.push(")");
}

/// Whether a row's product version is one of the chunk's.
fn asked(chunk: &[(i64, String)]) -> impl Fn(i64, &str) -> bool + '_ {
    let pairs: HashSet<(i64, &str)> = chunk.iter().map(|(p, v)| (*p, v.as_str())).collect();
    move |p, v| pairs.contains(&(p, v))
}

async fn sbom_by_id(conn: &mut AnyConnection, id: i64) -> Result<SbomRecord> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SBOM_SELECT} WHERE s.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

#[async_trait]
impl SupplierSbomStore for SqlStore {
    async fn save_sbom(
        &self,
        s: &NewSbom<'_>,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<SbomRecord> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE supplier_sboms SET replaced_at = $1 WHERE product_id = $2 AND version = $3 \
             AND replaced_at IS NULL",
        )
        .bind(stamp.at)
        .bind(s.product_id)
        .bind(s.version.to_string())
        .execute(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO supplier_sboms (product_id, version, format, components, sha256, \
             uploaded_at, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(s.product_id)
        .bind(s.version.to_string())
        .bind(s.format.to_string())
        .bind(i64::try_from(s.components.len()).unwrap_or(i64::MAX))
        .bind(s.sha256.to_string())
        .bind(stamp.at)
        .bind(stamp.user_id)
        .fetch_one(&mut *tx)
        .await?;
        for (n, chunk) in s.components.chunks(BATCH).enumerate() {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO supplier_sbom_components (sbom_id, position, component) VALUES {}",
                rows.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (i, c) in chunk.iter().enumerate() {
                let json =
                    serde_json::to_string(c).map_err(|e| StoreError::Unsupported(e.to_string()))?;
                q = q
                    .bind(id)
                    .bind(i64::try_from(n * BATCH + i).unwrap_or(i64::MAX))
                    .bind(json);
            }
            q.execute(&mut *tx).await?;
        }
        audit.entity_id = format!("supplier-sbom/{id}");
        append(&mut tx, &audit).await?;
        let kept = sbom_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn current_sboms(&self, supplier_id: i64) -> Result<Vec<SbomRecord>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SBOM_SELECT} JOIN supplier_products p ON p.id = s.product_id \
             WHERE p.org_id = $1 AND s.replaced_at IS NULL ORDER BY p.name_key, s.version"
        )))
        .bind(supplier_id)
        .fetch_all(&self.read)
        .await?)
    }

    async fn sbom_components(
        &self,
        sbom_ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<Component>>> {
        // A few SBOMs a statement: an index build reads thousands of them, and one statement
        // each would spend more on round trips than on reading.
        const SBOMS: usize = 50;
        let mut out: std::collections::HashMap<i64, Vec<Component>> = Default::default();
        for chunk in sbom_ids.chunks(SBOMS) {
            let mut sql = Sql::default();
            sql.push("SELECT sbom_id, component FROM supplier_sbom_components WHERE sbom_id IN (")
                .i64_list(chunk)
                .push(") ORDER BY sbom_id, position");
            for (sbom, json) in sql
                .query_as::<(i64, String)>()
                .fetch_all(&self.read)
                .await?
            {
                let c = serde_json::from_str(&json)
                    .map_err(|_| crate::error::corrupt("SBOM component", &json))?;
                out.entry(sbom).or_default().push(c);
            }
        }
        Ok(out)
    }

    async fn sboms_since(&self, after: i64) -> Result<(Vec<SbomRecord>, i64)> {
        let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM supplier_sboms")
            .fetch_one(&self.read)
            .await?;
        let newest = newest.unwrap_or(0);
        let rows: Vec<SbomRecord> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SBOM_SELECT} WHERE s.id > $1 AND s.id <= $2 AND s.replaced_at IS NULL ORDER BY s.id"
        )))
        .bind(after)
        .bind(newest)
        .fetch_all(&self.read)
        .await?;
        Ok((rows, newest))
    }

    async fn sbom_components_at(
        &self,
        wanted: &[(i64, Vec<u32>)],
    ) -> Result<std::collections::HashMap<i64, Vec<Component>>> {
        // One statement for many SBOMs, each its own indexed branch (an OR of them reads the
        // table), about 250 parameters a statement.
        let mut rows: Vec<(i64, i64, String)> = Vec::new();
        let mut sql = Sql::default();
        let mut pending = Vec::new();
        for (sbom, positions) in wanted {
            for chunk in positions.chunks(PAIRS) {
                if sql.args.len() + chunk.len() + 1 > 2 * PAIRS {
                    pending.push(std::mem::take(&mut sql));
                }
                if !sql.text.is_empty() {
                    sql.push(" UNION ALL ");
                }
                sql.push(
                    "SELECT sbom_id, position, component FROM supplier_sbom_components \
                     WHERE sbom_id = ",
                )
                .i64(*sbom)
                .push(" AND position IN (");
                for (i, n) in chunk.iter().enumerate() {
                    sql.push(if i > 0 { ", " } else { "" }).i64(i64::from(*n));
                }
                sql.push(")");
            }
        }
        pending.push(sql);
        for sql in pending.iter().filter(|s| !s.text.is_empty()) {
            rows.extend(
                sql.query_as::<(i64, i64, String)>()
                    .fetch_all(&self.read)
                    .await?,
            );
        }
        rows.sort_by_key(|(sbom, position, _)| (*sbom, *position));
        let mut out: std::collections::HashMap<i64, Vec<Component>> = Default::default();
        for (sbom, _, json) in rows {
            let c = serde_json::from_str(&json)
                .map_err(|_| crate::error::corrupt("SBOM component", &json))?;
            out.entry(sbom).or_default().push(c);
        }
        Ok(out)
    }

    async fn replace_vex(
        &self,
        product_id: i64,
        version: &str,
        format: &str,
        statements: &[NewVex],
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<usize> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM supplier_vex WHERE product_id = $1 AND version = $2")
            .bind(product_id)
            .bind(version.to_string())
            .execute(&mut *tx)
            .await?;
        for v in statements {
            let components = serde_json::to_string(&v.components)
                .map_err(|e| StoreError::Unsupported(e.to_string()))?;
            sqlx::query(
                "INSERT INTO supplier_vex (product_id, version, cve, status, justification, \
                 detail, components, format, uploaded_at, uploaded_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(product_id)
            .bind(version.to_string())
            .bind(v.cve.clone())
            .bind(v.status.as_str())
            .bind(v.justification.clone())
            .bind(v.detail.clone())
            .bind(components)
            .bind(format.to_string())
            .bind(stamp.at)
            .bind(stamp.user_id)
            .execute(&mut *tx)
            .await?;
        }
        audit.entity_id = format!("supplier-vex/{product_id}/{version}");
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(statements.len())
    }

    async fn vex_about(
        &self,
        versions: &[(i64, String)],
        cves: &[String],
    ) -> Result<Vec<VexRecord>> {
        let mut out = Vec::new();
        if cves.is_empty() {
            return Ok(out);
        }
        // A question names a few CVEs; the versions come in chunks.
        for chunk in versions.chunks(PAIRS) {
            let mut sql = Sql::new(
                "SELECT x.product_id, x.version, x.cve, x.status, x.justification, x.detail \
                 FROM supplier_vex x WHERE x.cve IN (",
            );
            sql.text_list(cves).push(") AND ");
            push_versions_in(&mut sql, "x", chunk);
            sql.push(" ORDER BY x.product_id, x.version, x.cve");
            type Row = (i64, String, String, String, Option<String>, Option<String>);
            let keep = asked(chunk);
            for (product_id, version, cve, status, justification, detail) in sql
                .query_as::<Row>()
                .fetch_all(&self.read)
                .await?
                .into_iter()
                .filter(|r| keep(r.0, &r.1))
            {
                out.push(VexRecord {
                    status: status
                        .parse()
                        .map_err(|_| crate::error::corrupt("VEX status", &status))?,
                    product_id,
                    version,
                    cve,
                    justification,
                    detail,
                });
            }
        }
        Ok(out)
    }

    async fn vex_counts(&self, supplier_id: i64) -> Result<Vec<(i64, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT v.product_id, v.version, COUNT(*) FROM supplier_vex v \
             JOIN supplier_products p ON p.id = v.product_id WHERE p.org_id = $1 \
             GROUP BY v.product_id, v.version",
        )
        .bind(supplier_id)
        .fetch_all(&self.read)
        .await?)
    }
}
