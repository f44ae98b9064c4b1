//! Supplier volume for `palisade bench suppliers`: products with their versions, the product
//! versions organisations use, an SBOM in force for every product version and VEX statements,
//! written as the app would keep them (components as checked JSON, in document order). Product
//! names start "Bench product", so a second run finds the volume there and writes nothing.

use super::{analyse, insert_rows};
use crate::db::Arg;
use crate::{Result, SqlStore, StoreError};
use palisade_domain::inventory::Component;
use palisade_domain::supplier::VexStatus;

/// A product to write: its supplier (organisation id), name, CPE and versions.
#[derive(Debug, Clone)]
pub struct VolumeProduct {
    pub supplier: i64,
    pub name: String,
    pub cpe: String,
    pub versions: Vec<String>,
}

/// A VEX statement about one version (by position in the product's versions) of a product (by
/// position in [`SupplierVolume::products`]).
#[derive(Debug, Clone)]
pub struct VolumeVex {
    pub product: usize,
    pub version: usize,
    pub cve: String,
    pub status: VexStatus,
    pub justification: Option<String>,
}

/// What to write.
pub struct SupplierVolume<'a> {
    pub products: &'a [VolumeProduct],
    /// (organisation id, product, version): the product versions organisations use.
    pub links: &'a [(i64, usize, usize)],
    /// The SBOM components of a product's version (both by position).
    pub sbom: &'a (dyn Fn(usize, usize) -> Vec<Component> + Sync),
    pub vex: &'a [VolumeVex],
    pub now: i64,
}

/// Products written per statement (nine parameters each).
const PRODUCT_ROWS: usize = 25;
/// Rows per statement for the three-to-seven-parameter tables: about 250 parameters, where
/// SQLite's binding stays cheap.
const ROWS: usize = 60;
/// SBOMs a transaction writes.
const SBOMS_PER_TX: usize = 200;
/// The name every volume product starts with.
const NAME: &str = "Bench product";

/// Writes the volume unless it is there already; returns the products' ids in the order given
/// and whether anything was written.
pub async fn seed_supplier_volume(
    store: &SqlStore,
    v: SupplierVolume<'_>,
) -> Result<(Vec<i64>, bool)> {
    if let Some(first) = v.products.first().filter(|p| !p.name.starts_with(NAME)) {
        return Err(StoreError::Unsupported(format!(
            "volume products are named '{NAME} ...', not '{}'",
            first.name
        )));
    }
    let existing: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, name FROM supplier_products WHERE name LIKE 'Bench product %' ORDER BY id",
    )
    .fetch_all(&store.write)
    .await?;
    if !existing.is_empty() {
        if existing.len() != v.products.len()
            || existing.iter().zip(v.products).any(|(e, p)| e.1 != p.name)
        {
            return Err(StoreError::Unsupported(format!(
                "the database holds {} bench products of another shape: use a fresh copy of the demo",
                existing.len()
            )));
        }
        return Ok((existing.into_iter().map(|(id, _)| id).collect(), false));
    }

    let mut tx = store.begin().await?;
    let mut ids = Vec::with_capacity(v.products.len());
    for chunk in v.products.chunks(PRODUCT_ROWS) {
        let mut sql = crate::db::Sql::new(
            "INSERT INTO supplier_products (org_id, name, name_key, description, kind, cpe, \
             created_at, updated_at) VALUES ",
        );
        for (i, p) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .i64(p.supplier)
                .push(", ")
                .text(&p.name)
                .push(", ")
                .text(&p.name.to_lowercase())
                .push(", 'Generated for the supplier benchmark.', 'product', ")
                .text(&p.cpe)
                .push(", ")
                .i64(v.now)
                .push(", ")
                .i64(v.now)
                .push(")");
        }
        sql.push(" RETURNING id");
        ids.extend(sql.query_scalar::<i64>().fetch_all(&mut *tx).await?);
    }
    let versions: Vec<(i64, &str, usize)> = v
        .products
        .iter()
        .zip(&ids)
        .flat_map(|(p, id)| {
            p.versions
                .iter()
                .enumerate()
                .map(move |(n, ver)| (*id, ver.as_str(), n))
        })
        .collect();
    insert_rows(
        &mut tx,
        "INSERT INTO supplier_product_versions (product_id, version, position) VALUES ",
        &versions,
        ROWS,
        |sql, (id, ver, n)| {
            sql.push("(")
                .i64(*id)
                .push(", ")
                .text(ver)
                .push(", ")
                .i64(*n as i64)
                .push(")");
        },
    )
    .await?;
    insert_rows(
        &mut tx,
        "INSERT INTO supplier_links (org_id, product_id, version, created_at) VALUES ",
        v.links,
        ROWS,
        |sql, (org, p, ver)| {
            sql.push("(")
                .i64(*org)
                .push(", ")
                .i64(ids[*p])
                .push(", ")
                .text(&v.products[*p].versions[*ver])
                .push(", ")
                .i64(v.now)
                .push(")");
        },
    )
    .await?;
    tx.commit().await?;

    let sboms: Vec<(usize, usize)> = v
        .products
        .iter()
        .enumerate()
        .flat_map(|(p, product)| (0..product.versions.len()).map(move |n| (p, n)))
        .collect();
    for batch in sboms.chunks(SBOMS_PER_TX) {
        let mut tx = store.begin().await?;
        for (p, n) in batch {
            let components = (v.sbom)(*p, *n);
            let sbom: i64 = sqlx::query_scalar(
                "INSERT INTO supplier_sboms (product_id, version, format, components, sha256, \
                 uploaded_at) VALUES ($1, $2, 'cyclonedx', $3, $4, $5) RETURNING id",
            )
            .bind(ids[*p])
            .bind(v.products[*p].versions[*n].clone())
            .bind(components.len() as i64)
            .bind(format!("{:064x}", p * 64 + n))
            .bind(v.now)
            .fetch_one(&mut *tx)
            .await?;
            let rows = components
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    serde_json::to_string(c)
                        .map(|json| (i, json))
                        .map_err(|e| StoreError::Unsupported(e.to_string()))
                })
                .collect::<Result<Vec<_>>>()?;
            insert_rows(
                &mut tx,
                "INSERT INTO supplier_sbom_components (sbom_id, position, component) VALUES ",
                &rows,
                ROWS,
                |sql, (i, json)| {
                    sql.push("(")
                        .i64(sbom)
                        .push(", ")
                        .i64(*i as i64)
                        .push(", ")
                        .text(json)
                        .push(")");
                },
            )
            .await?;
        }
        tx.commit().await?;
    }

    let mut tx = store.begin().await?;
    insert_rows(
        &mut tx,
        "INSERT INTO supplier_vex (product_id, version, cve, status, justification, \
         components, format, uploaded_at) VALUES ",
        v.vex,
        ROWS / 2,
        |sql, s| {
            sql.push("(")
                .i64(ids[s.product])
                .push(", ")
                .text(&v.products[s.product].versions[s.version])
                .push(", ")
                .text(&s.cve)
                .push(", ")
                .text(s.status.as_str())
                .push(", ")
                .arg(Arg::OptText(s.justification.clone()))
                .push(", '[]', 'openvex', ")
                .i64(v.now)
                .push(")");
        },
    )
    .await?;
    tx.commit().await?;
    analyse(store).await?;
    Ok((ids, true))
}
