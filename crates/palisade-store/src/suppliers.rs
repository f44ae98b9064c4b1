//! What IT suppliers offer and who uses it, on SQL: products and services with their
//! identities and versions, and the product versions and services each organisation uses.

use crate::audit::append;
use crate::error::corrupt;
use crate::orgs::{ORG_COLUMNS, OrgRow};
use crate::{Organisation, Result, SqlStore, Stamp, StoreError};
use async_trait::async_trait;
use palisade_domain::audit::AuditDraft;
use palisade_domain::dates::{date_text, parse_date};
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::supplier::{Offering, OfferingKind, ServiceType};
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};
use std::collections::HashMap;
use time::Date;

/// A product or service as kept, with its versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductRecord {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub description: String,
    pub kind: OfferingKind,
    pub service_type: Option<ServiceType>,
    pub cpe: Option<String>,
    pub purl: Option<String>,
    /// A product's versions in the order listed; empty for a service.
    pub versions: Vec<VersionRecord>,
    /// Organisations using a service (for a product, see each version).
    pub customers: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A product version and how many active organisations use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionRecord {
    pub version: String,
    pub customers: i64,
}

/// A product version or service an organisation uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    pub id: i64,
    pub org_id: i64,
    pub supplier_id: i64,
    pub supplier_code: String,
    pub supplier_name: String,
    pub product_id: i64,
    pub product: String,
    pub kind: OfferingKind,
    pub service_type: Option<ServiceType>,
    /// Empty for a service.
    pub version: String,
    pub contract_end: Option<Date>,
    pub created_at: i64,
}

/// A link to keep: the product (or service) and version, resolved against the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLink {
    pub product_id: i64,
    pub version: String,
    pub contract_end: Option<Date>,
}

/// An organisation using one of a supplier's product versions or services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerRecord {
    pub code: String,
    pub name: String,
    pub product: String,
    /// Empty for a service.
    pub version: String,
    pub contract_end: Option<String>,
}

#[async_trait]
pub trait SupplierStore: Send + Sync {
    /// Lists a product or service for the supplier; a conflict on `name` when it lists one of
    /// that name already.
    async fn create_product(
        &self,
        org_id: i64,
        offering: &Offering,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<ProductRecord>;

    /// Changes a product or service of the supplier's; a conflict on `versions` when a version
    /// left out is still used by an organisation, on `kind` when the kind changes.
    async fn update_product(
        &self,
        org_id: i64,
        id: i64,
        offering: &Offering,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<ProductRecord>;

    /// The products and services of these suppliers, by supplier and name.
    async fn products(&self, org_ids: &[i64]) -> Result<Vec<ProductRecord>>;

    /// The product versions and services the organisation uses, by supplier, name and version.
    async fn links(&self, org_id: i64) -> Result<Vec<LinkRecord>>;

    /// Records one more product version or service the organisation uses; a conflict when it
    /// is recorded already.
    async fn add_link(
        &self,
        org_id: i64,
        link: &NewLink,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<LinkRecord>;

    /// Removes one of the organisation's links; `NotFound` when it has no such link.
    async fn remove_link(&self, org_id: i64, id: i64, audit: AuditDraft) -> Result<LinkRecord>;

    /// Replaces every link of the organisation with these (a supplier file).
    async fn replace_links(
        &self,
        org_id: i64,
        links: &[NewLink],
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<usize>;

    /// Every active IT supplier, by name.
    async fn active_suppliers(&self) -> Result<Vec<Organisation>>;

    /// The newest link change's id (0 when none): read before [`Self::all_links`], so the
    /// changes after it bring that snapshot up to date.
    async fn last_link_change(&self) -> Result<i64>;

    /// Every link to a product version: (organisation, product, version).
    async fn all_links(&self) -> Result<Vec<(i64, i64, String)>>;

    /// The link changes after `after`, in order.
    async fn link_changes_after(&self, after: i64) -> Result<Vec<LinkChange>>;

    /// The active organisations using the supplier's products and services, by product,
    /// version and organisation name.
    async fn customers(&self, supplier_id: i64, page: PageRequest) -> Result<Page<CustomerRecord>>;

    /// Each product's supplier (code and name) and the product's name, by product id (unknown
    /// ids are left out).
    async fn product_suppliers(
        &self,
        product_ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, (String, String, String)>>;

    /// Whether the national team lets the supplier's people see its customers' names.
    async fn customer_names_allowed(&self, supplier_id: i64) -> Result<bool>;

    /// Records the national team's choice about customer names.
    async fn allow_customer_names(
        &self,
        supplier_id: i64,
        allowed: bool,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<()>;
}

#[derive(FromRow)]
struct ProductRow {
    id: i64,
    org_id: i64,
    name: String,
    description: String,
    kind: String,
    service_type: Option<String>,
    cpe: Option<String>,
    purl: Option<String>,
    created_at: i64,
    updated_at: i64,
}

fn kind_of(raw: &str) -> Result<OfferingKind> {
    raw.parse().map_err(|_| corrupt("product kind", raw))
}

fn service_type_of(raw: Option<String>) -> Result<Option<ServiceType>> {
    raw.map(|t| t.parse().map_err(|_| corrupt("service type", &t)))
        .transpose()
}

/// The products of these suppliers (or the one product `id`), with versions and customers.
async fn products_where(
    conn: &mut AnyConnection,
    org_ids: &[i64],
    id: Option<i64>,
) -> Result<Vec<ProductRecord>> {
    let mut out = Vec::new();
    for &org_id in org_ids {
        let rows: Vec<ProductRow> = sqlx::query_as(
            "SELECT id, org_id, name, description, kind, service_type, cpe, purl, created_at, \
             updated_at FROM supplier_products WHERE org_id = $1 AND ($2 < 0 OR id = $2) \
             ORDER BY name_key, id",
        )
        .bind(org_id)
        .bind(id.unwrap_or(-1))
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            continue;
        }
        // Versions in the order listed, and active customers per version, for the supplier.
        let versions: Vec<(i64, String)> = sqlx::query_as(
            "SELECT v.product_id, v.version FROM supplier_product_versions v \
             JOIN supplier_products p ON p.id = v.product_id WHERE p.org_id = $1 \
             ORDER BY v.product_id, v.position",
        )
        .bind(org_id)
        .fetch_all(&mut *conn)
        .await?;
        let counts: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT l.product_id, l.version, COUNT(*) FROM supplier_links l \
             JOIN supplier_products p ON p.id = l.product_id \
             JOIN organisations o ON o.id = l.org_id \
             WHERE p.org_id = $1 AND o.active = $2 GROUP BY l.product_id, l.version",
        )
        .bind(org_id)
        .bind(crate::db::flag(true))
        .fetch_all(&mut *conn)
        .await?;
        let counts: HashMap<(i64, String), i64> =
            counts.into_iter().map(|(p, v, n)| ((p, v), n)).collect();
        let count = |p: i64, v: &str| counts.get(&(p, v.to_string())).copied().unwrap_or(0);
        for r in rows {
            out.push(ProductRecord {
                versions: versions
                    .iter()
                    .filter(|(p, _)| *p == r.id)
                    .map(|(_, v)| VersionRecord {
                        customers: count(r.id, v),
                        version: v.clone(),
                    })
                    .collect(),
                customers: count(r.id, ""),
                kind: kind_of(&r.kind)?,
                service_type: service_type_of(r.service_type)?,
                id: r.id,
                org_id: r.org_id,
                name: r.name,
                description: r.description,
                cpe: r.cpe,
                purl: r.purl,
                created_at: r.created_at,
                updated_at: r.updated_at,
            });
        }
    }
    Ok(out)
}

async fn name_taken(conn: &mut AnyConnection, org_id: i64, name: &str, id: i64) -> Result<()> {
    let other: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM supplier_products WHERE org_id = $1 AND name_key = $2 AND id <> $3",
    )
    .bind(org_id)
    .bind(name.to_lowercase())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match other {
        Some(_) => Err(StoreError::conflict(
            "name",
            format!("the supplier already lists '{name}'"),
        )),
        None => Ok(()),
    }
}

async fn write_versions(
    conn: &mut AnyConnection,
    product_id: i64,
    versions: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM supplier_product_versions WHERE product_id = $1")
        .bind(product_id)
        .execute(&mut *conn)
        .await?;
    for (i, v) in versions.iter().enumerate() {
        sqlx::query(
            "INSERT INTO supplier_product_versions (product_id, version, position) \
             VALUES ($1, $2, $3)",
        )
        .bind(product_id)
        .bind(v.clone())
        .bind(i64::try_from(i).unwrap_or(i64::MAX))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Writes a product's versions and its audit entry, and commits: the product as kept.
async fn finish_product(
    mut tx: crate::conns::Tx,
    org_id: i64,
    id: i64,
    versions: &[String],
    mut audit: AuditDraft,
) -> Result<ProductRecord> {
    write_versions(&mut tx, id, versions).await?;
    audit.entity_id = format!("product/{id}");
    append(&mut tx, &audit).await?;
    let kept = products_where(&mut tx, &[org_id], Some(id))
        .await?
        .pop()
        .ok_or(StoreError::NotFound)?;
    tx.commit().await?;
    Ok(kept)
}

const LINK_SELECT: &str = "SELECT l.id, l.org_id, p.org_id AS supplier_id, s.code AS \
     supplier_code, s.name AS supplier_name, l.product_id, p.name AS product, p.kind, \
     p.service_type, l.version, l.contract_end, l.created_at FROM supplier_links l \
     JOIN supplier_products p ON p.id = l.product_id JOIN organisations s ON s.id = p.org_id";

#[derive(FromRow)]
struct LinkRow {
    id: i64,
    org_id: i64,
    supplier_id: i64,
    supplier_code: String,
    supplier_name: String,
    product_id: i64,
    product: String,
    kind: String,
    service_type: Option<String>,
    version: String,
    contract_end: Option<String>,
    created_at: i64,
}

async fn links_where(
    conn: &mut AnyConnection,
    org_id: i64,
    id: Option<i64>,
) -> Result<Vec<LinkRecord>> {
    let rows: Vec<LinkRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LINK_SELECT} WHERE l.org_id = $1 AND ($2 < 0 OR l.id = $2) \
         ORDER BY s.name, s.code, p.name_key, l.version, l.id"
    )))
    .bind(org_id)
    .bind(id.unwrap_or(-1))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(LinkRecord {
                kind: kind_of(&r.kind)?,
                service_type: service_type_of(r.service_type)?,
                contract_end: r
                    .contract_end
                    .map(|d| {
                        parse_date("contract_end", &d).map_err(|_| corrupt("contract end", &d))
                    })
                    .transpose()?,
                id: r.id,
                org_id: r.org_id,
                supplier_id: r.supplier_id,
                supplier_code: r.supplier_code,
                supplier_name: r.supplier_name,
                product_id: r.product_id,
                product: r.product,
                version: r.version,
                created_at: r.created_at,
            })
        })
        .collect()
}

async fn insert_link(
    conn: &mut AnyConnection,
    org_id: i64,
    l: &NewLink,
    stamp: Stamp,
) -> Result<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO supplier_links (org_id, product_id, version, contract_end, created_at, \
         created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(org_id)
    .bind(l.product_id)
    .bind(l.version.clone())
    .bind(l.contract_end.map(date_text))
    .bind(stamp.at)
    .bind(stamp.user_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO supplier_link_changes (org_id, product_id, version, added) \
         VALUES ($1, $2, $3, 1)",
    )
    .bind(org_id)
    .bind(l.product_id)
    .bind(l.version.clone())
    .execute(conn)
    .await?;
    Ok(id)
}

/// Which links to delete.
#[derive(Clone, Copy)]
enum Doomed<'a> {
    /// Every link of an organisation.
    Org(i64),
    /// One link of an organisation.
    One { org_id: i64, id: i64 },
    /// Every link to a product version.
    Version { product_id: i64, version: &'a str },
}

/// Deletes links, logging each in the changes exposure answers follow.
async fn delete_links(conn: &mut AnyConnection, doomed: Doomed<'_>) -> Result<()> {
    let which = match doomed {
        Doomed::Org(_) => "org_id = $1",
        Doomed::One { .. } => "org_id = $1 AND id = $2",
        Doomed::Version { .. } => "product_id = $1 AND version = $2",
    };
    for sql in [
        format!(
            "INSERT INTO supplier_link_changes (org_id, product_id, version, added) \
             SELECT org_id, product_id, version, 0 FROM supplier_links WHERE {which} ORDER BY id"
        ),
        format!("DELETE FROM supplier_links WHERE {which}"),
    ] {
        let q = sqlx::query(sqlx::AssertSqlSafe(sql));
        let q = match doomed {
            Doomed::Org(org_id) => q.bind(org_id),
            Doomed::One { org_id, id } => q.bind(org_id).bind(id),
            Doomed::Version {
                product_id,
                version,
            } => q.bind(product_id).bind(version.to_string()),
        };
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// An organisation starting (`added`) or stopping using a product version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkChange {
    pub id: i64,
    pub org_id: i64,
    pub product_id: i64,
    pub version: String,
    pub added: bool,
}

#[async_trait]
impl SupplierStore for SqlStore {
    async fn create_product(
        &self,
        org_id: i64,
        o: &Offering,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<ProductRecord> {
        let mut tx = self.begin().await?;
        name_taken(&mut tx, org_id, &o.name, -1).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO supplier_products (org_id, name, name_key, description, kind, \
             service_type, cpe, purl, created_at, created_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9) RETURNING id",
        )
        .bind(org_id)
        .bind(o.name.clone())
        .bind(o.name.to_lowercase())
        .bind(o.description.clone())
        .bind(o.kind.as_str())
        .bind(o.service_type.map(ServiceType::as_str))
        .bind(o.cpe.as_ref().map(|c| c.as_str().to_string()))
        .bind(o.purl.as_ref().map(|p| p.as_str().to_string()))
        .bind(stamp.at)
        .bind(stamp.user_id)
        .fetch_one(&mut *tx)
        .await?;
        finish_product(tx, org_id, id, &o.versions, audit).await
    }

    async fn update_product(
        &self,
        org_id: i64,
        id: i64,
        o: &Offering,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<ProductRecord> {
        let mut tx = self.begin().await?;
        let before = products_where(&mut tx, &[org_id], Some(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?;
        if before.kind != o.kind {
            return Err(StoreError::conflict(
                "kind",
                format!(
                    "'{}' is a {}: list a {} apart",
                    before.name,
                    before.kind.as_str(),
                    o.kind.as_str()
                ),
            ));
        }
        let dropped_in_use: Vec<&str> = before
            .versions
            .iter()
            .filter(|v| v.customers > 0 && !o.versions.contains(&v.version))
            .map(|v| v.version.as_str())
            .collect();
        if !dropped_in_use.is_empty() {
            return Err(StoreError::conflict(
                "versions",
                format!(
                    "still used by organisations, so kept: {}",
                    dropped_in_use.join(", ")
                ),
            ));
        }
        name_taken(&mut tx, org_id, &o.name, id).await?;
        // A version left out that only inactive organisations still name goes with their links.
        let kept_versions: Vec<&str> = o.versions.iter().map(String::as_str).collect();
        for v in before
            .versions
            .iter()
            .filter(|v| !kept_versions.contains(&v.version.as_str()))
        {
            delete_links(
                &mut tx,
                Doomed::Version {
                    product_id: id,
                    version: &v.version,
                },
            )
            .await?;
        }
        sqlx::query(
            "UPDATE supplier_products SET name = $1, name_key = $2, description = $3, \
             service_type = $4, cpe = $5, purl = $6, updated_at = $7 WHERE id = $8 AND org_id = $9",
        )
        .bind(o.name.clone())
        .bind(o.name.to_lowercase())
        .bind(o.description.clone())
        .bind(o.service_type.map(ServiceType::as_str))
        .bind(o.cpe.as_ref().map(|c| c.as_str().to_string()))
        .bind(o.purl.as_ref().map(|p| p.as_str().to_string()))
        .bind(stamp.at)
        .bind(id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        finish_product(tx, org_id, id, &o.versions, audit).await
    }

    async fn products(&self, org_ids: &[i64]) -> Result<Vec<ProductRecord>> {
        let mut conn = self.read.acquire().await?;
        products_where(&mut conn, org_ids, None).await
    }

    async fn links(&self, org_id: i64) -> Result<Vec<LinkRecord>> {
        let mut conn = self.read.acquire().await?;
        links_where(&mut conn, org_id, None).await
    }

    async fn add_link(
        &self,
        org_id: i64,
        link: &NewLink,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<LinkRecord> {
        let mut tx = self.begin().await?;
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM supplier_links WHERE org_id = $1 AND product_id = $2 AND version = $3",
        )
        .bind(org_id)
        .bind(link.product_id)
        .bind(link.version.clone())
        .fetch_optional(&mut *tx)
        .await?;
        if exists.is_some() {
            return Err(StoreError::conflict(
                "product",
                "the organisation records this already",
            ));
        }
        let id = insert_link(&mut tx, org_id, link, stamp).await?;
        audit.entity_id = format!("supplier-link/{id}");
        append(&mut tx, &audit).await?;
        let kept = links_where(&mut tx, org_id, Some(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn remove_link(&self, org_id: i64, id: i64, mut audit: AuditDraft) -> Result<LinkRecord> {
        let mut tx = self.begin().await?;
        let gone = links_where(&mut tx, org_id, Some(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?;
        delete_links(&mut tx, Doomed::One { org_id, id }).await?;
        audit.entity_id = format!("supplier-link/{id}");
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(gone)
    }

    async fn replace_links(
        &self,
        org_id: i64,
        links: &[NewLink],
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<usize> {
        let mut tx = self.begin().await?;
        delete_links(&mut tx, Doomed::Org(org_id)).await?;
        for l in links {
            insert_link(&mut tx, org_id, l, stamp).await?;
        }
        audit.entity_id = format!("supplier-links/{org_id}");
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(links.len())
    }

    async fn last_link_change(&self) -> Result<i64> {
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM supplier_link_changes")
            .fetch_one(&self.read)
            .await?;
        Ok(last.unwrap_or(0))
    }

    async fn all_links(&self) -> Result<Vec<(i64, i64, String)>> {
        Ok(
            sqlx::query_as("SELECT org_id, product_id, version FROM supplier_links")
                .fetch_all(&self.read)
                .await?,
        )
    }

    async fn link_changes_after(&self, after: i64) -> Result<Vec<LinkChange>> {
        let rows: Vec<(i64, i64, i64, String, i64)> = sqlx::query_as(
            "SELECT id, org_id, product_id, version, added FROM supplier_link_changes \
             WHERE id > $1 ORDER BY id",
        )
        .bind(after)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, org_id, product_id, version, added)| LinkChange {
                id,
                org_id,
                product_id,
                version,
                added: added != 0,
            })
            .collect())
    }

    async fn active_suppliers(&self) -> Result<Vec<Organisation>> {
        let rows: Vec<OrgRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ORG_COLUMNS} WHERE o.org_type = 'it_supplier' AND o.active = 1 \
             ORDER BY o.name, o.code"
        )))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(Organisation::try_from).collect()
    }

    async fn customers(&self, supplier_id: i64, page: PageRequest) -> Result<Page<CustomerRecord>> {
        const FROM: &str = " FROM supplier_links l JOIN supplier_products p ON p.id = l.product_id \
             JOIN organisations o ON o.id = l.org_id WHERE p.org_id = $1 AND o.active = 1";
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*){FROM}")))
            .bind(supplier_id)
            .fetch_one(&self.read)
            .await?;
        let rows: Vec<(String, String, String, String, Option<String>)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT o.code, o.name, p.name, l.version, l.contract_end{FROM} \
                 ORDER BY p.name_key, l.version, o.name, o.code LIMIT $2 OFFSET $3"
            )))
            .bind(supplier_id)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(&self.read)
            .await?;
        let items = rows
            .into_iter()
            .map(
                |(code, name, product, version, contract_end)| CustomerRecord {
                    code,
                    name,
                    product,
                    version,
                    contract_end,
                },
            )
            .collect();
        Ok(Page::of(items, total, page))
    }

    async fn product_suppliers(
        &self,
        product_ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, (String, String, String)>> {
        let mut out = std::collections::HashMap::new();
        for chunk in product_ids.chunks(crate::db::IDS_PER_STATEMENT) {
            let mut sql = crate::db::Sql::new(
                "SELECT p.id, o.code, o.name, p.name FROM supplier_products p \
                 JOIN organisations o ON o.id = p.org_id WHERE p.id IN (",
            );
            sql.i64_list(chunk).push(")");
            for (id, code, name, product) in sql
                .query_as::<(i64, String, String, String)>()
                .fetch_all(&self.read)
                .await?
            {
                out.insert(id, (code, name, product));
            }
        }
        Ok(out)
    }

    async fn customer_names_allowed(&self, supplier_id: i64) -> Result<bool> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT customer_names FROM supplier_settings WHERE org_id = $1")
                .bind(supplier_id)
                .fetch_optional(&self.read)
                .await?;
        Ok(v.is_some_and(|v| v != 0))
    }

    async fn allow_customer_names(
        &self,
        supplier_id: i64,
        allowed: bool,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO supplier_settings (org_id, customer_names, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (org_id) DO UPDATE SET \
             customer_names = excluded.customer_names, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(supplier_id)
        .bind(crate::db::flag(allowed))
        .bind(stamp.at)
        .bind(stamp.user_id)
        .execute(&mut *tx)
        .await?;
        audit.entity_id = format!("supplier-settings/{supplier_id}");
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }
}
