//! Inventories: an organisation's current components, replaced whole by each upload in one
//! transaction, with every upload and what it added and removed kept as history.

use sqlx::FromRow;

use crate::audit::append;
use crate::db::{Sql, flag};
use crate::error::corrupt;
use crate::{
    InventoryChange, InventoryUpload, Result, SqlStore, Stamp, StoreError, StoredComponent,
};
use palisade_domain::audit::AuditDraft;
use palisade_domain::ident::{Cpe23, Purl};
use palisade_domain::inventory::{
    AssetType, Component, ComponentKey, InventoryFormat, Keyed, diff,
};
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::OrgId;

/// Rows per multi-row INSERT (up to 11 parameters each): about 250 parameters a statement, as
/// for the register import, because SQLite finds each bound parameter by scanning them all, so
/// binding grows with the square of the count (2,000 rows a statement took minutes).
const BATCH: usize = 24;

const COMPONENT_COLUMNS: &str =
    "id, asset, asset_type, vendor, product, version, cpe, purl, internet_facing, location";

#[derive(FromRow)]
struct ComponentRow {
    id: i64,
    asset: String,
    asset_type: String,
    vendor: String,
    product: String,
    version: Option<String>,
    cpe: Option<String>,
    purl: Option<String>,
    internet_facing: i64,
    location: Option<String>,
}

/// Stored text is what the domain wrote: anything else is a broken database, said plainly.
fn stored<T>(
    what: &str,
    value: &str,
    parse: fn(&str) -> std::result::Result<T, String>,
) -> Result<T> {
    parse(value).map_err(|_| corrupt(what, value))
}

impl Keyed for ComponentRow {
    fn key(&self) -> ComponentKey<'_> {
        (
            &self.asset,
            &self.asset_type,
            &self.vendor,
            &self.product,
            self.version.as_deref(),
            self.cpe.as_deref(),
            self.purl.as_deref(),
        )
    }
}

/// Appends a component's key columns (asset, asset_type, vendor, product, version, cpe, purl).
fn push_key(
    sql: &mut Sql,
    (asset, asset_type, vendor, product, version, cpe, purl): ComponentKey<'_>,
) {
    sql.text(asset).push(", ").text(asset_type).push(", ");
    sql.text(vendor).push(", ").text(product);
    for v in [version, cpe, purl] {
        sql.push(", ");
        opt(sql, v);
    }
}

impl TryFrom<ComponentRow> for StoredComponent {
    type Error = StoreError;
    fn try_from(r: ComponentRow) -> Result<Self> {
        Ok(StoredComponent {
            id: r.id,
            component: Component {
                asset: r.asset,
                asset_type: stored("asset type", &r.asset_type, AssetType::parse)?,
                vendor: r.vendor,
                product: r.product,
                version: r.version,
                cpe: r.cpe.map(|c| stored("CPE", &c, Cpe23::parse)).transpose()?,
                purl: r
                    .purl
                    .map(|p| stored("package URL", &p, Purl::parse))
                    .transpose()?,
                internet_facing: r.internet_facing != 0,
                location: r.location,
            },
        })
    }
}

#[derive(FromRow)]
struct UploadRow {
    id: i64,
    format: String,
    components: i64,
    added: i64,
    removed: i64,
    uploaded_at: i64,
}

impl TryFrom<UploadRow> for InventoryUpload {
    type Error = StoreError;
    fn try_from(r: UploadRow) -> Result<Self> {
        Ok(InventoryUpload {
            id: r.id,
            format: InventoryFormat::parse(&r.format)
                .ok_or_else(|| corrupt("inventory format", &r.format))?,
            components: r.components,
            added: r.added,
            removed: r.removed,
            uploaded_at: r.uploaded_at,
        })
    }
}

#[derive(FromRow)]
struct ChangeRow {
    change: String,
    asset: String,
    asset_type: String,
    vendor: String,
    product: String,
    version: Option<String>,
    cpe: Option<String>,
    purl: Option<String>,
}

impl TryFrom<ChangeRow> for InventoryChange {
    type Error = StoreError;
    fn try_from(r: ChangeRow) -> Result<Self> {
        Ok(InventoryChange {
            added: r.change == "added",
            asset: r.asset,
            asset_type: stored("asset type", &r.asset_type, AssetType::parse)?,
            vendor: r.vendor,
            product: r.product,
            version: r.version,
            cpe: r.cpe,
            purl: r.purl,
        })
    }
}

/// The organisation's current components as stored, to compare with an upload (no parsing).
async fn current(conn: &mut sqlx::AnyConnection, org_id: OrgId) -> Result<Vec<ComponentRow>> {
    Ok(
        sqlx::query_as::<_, ComponentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COMPONENT_COLUMNS} FROM inventory_components WHERE org_id = $1 ORDER BY id"
        )))
        .bind(org_id)
        .fetch_all(&mut *conn)
        .await?,
    )
}

fn opt(sql: &mut Sql, v: Option<&str>) {
    match v {
        Some(t) => sql.text(t),
        None => sql.push("NULL"),
    };
}

impl SqlStore {
    /// One page of `SELECT {columns} FROM {from_where} ORDER BY {order}` with `$1` bound to
    /// `key`, and the total the same filter counts.
    async fn keyed_page<R, T>(
        &self,
        columns: &str,
        from_where: &str,
        order: &str,
        key: i64,
        page: PageRequest,
    ) -> Result<Page<T>>
    where
        R: for<'r> FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
        T: TryFrom<R, Error = StoreError>,
    {
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {from_where}"
        )))
        .bind(key)
        .fetch_one(&self.read)
        .await?;
        let items = sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(format!(
            "SELECT {columns} FROM {from_where} ORDER BY {order} LIMIT $2 OFFSET $3"
        )))
        .bind(key)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(&self.read)
        .await?
        .into_iter()
        .map(T::try_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::of(items, total, page))
    }
}

#[async_trait::async_trait]
impl crate::InventoryStore for SqlStore {
    async fn replace_inventory(
        &self,
        org_id: OrgId,
        format: InventoryFormat,
        components: &[Component],
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<InventoryUpload> {
        let mut tx = self.begin().await?;
        let old = current(&mut tx, org_id).await?;
        let (added, removed) = diff(&old, components);
        let upload_id: i64 = sqlx::query_scalar(
            "INSERT INTO inventory_uploads (org_id, format, components, added, removed, uploaded_at, by_user) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(org_id)
        .bind(format.as_str())
        .bind(components.len() as i64)
        .bind(added.len() as i64)
        .bind(removed.len() as i64)
        .bind(stamp.at)
        .bind(stamp.user_id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM inventory_components WHERE org_id = $1")
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        for chunk in components.chunks(BATCH) {
            let mut sql = Sql::new(
                "INSERT INTO inventory_components (org_id, upload_id, asset, asset_type, vendor, product, \
                 version, cpe, purl, internet_facing, location) VALUES ",
            );
            for (i, c) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.i64(org_id).push(", ").i64(upload_id).push(", ");
                push_key(&mut sql, c.key());
                sql.push(", ").i64(flag(c.internet_facing)).push(", ");
                opt(&mut sql, c.location.as_deref());
                sql.push(")");
            }
            sql.execute(&mut tx).await?;
        }
        let changes: Vec<(&str, ComponentKey<'_>)> = added
            .iter()
            .map(|c| ("added", c.key()))
            .chain(removed.iter().map(|c| ("removed", c.key())))
            .collect();
        for chunk in changes.chunks(BATCH) {
            let mut sql = Sql::new(
                "INSERT INTO inventory_changes (upload_id, change, asset, asset_type, vendor, product, \
                 version, cpe, purl) VALUES ",
            );
            for (i, (change, key)) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.i64(upload_id).push(", ").text(change).push(", ");
                push_key(&mut sql, *key);
                sql.push(")");
            }
            sql.execute(&mut tx).await?;
        }
        audit.entity_id = upload_id.to_string();
        if let Some(obj) = audit.summary.as_object_mut() {
            obj.insert("components".into(), components.len().into());
            obj.insert("added".into(), added.len().into());
            obj.insert("removed".into(), removed.len().into());
        }
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(InventoryUpload {
            id: upload_id,
            format,
            components: components.len() as i64,
            added: added.len() as i64,
            removed: removed.len() as i64,
            uploaded_at: stamp.at,
        })
    }

    async fn list_components(
        &self,
        org_id: OrgId,
        page: PageRequest,
    ) -> Result<Page<StoredComponent>> {
        self.keyed_page::<ComponentRow, _>(
            COMPONENT_COLUMNS,
            "inventory_components WHERE org_id = $1",
            "id",
            org_id,
            page,
        )
        .await
    }

    async fn list_uploads(
        &self,
        org_id: OrgId,
        page: PageRequest,
    ) -> Result<Page<InventoryUpload>> {
        self.keyed_page::<UploadRow, _>(
            "id, format, components, added, removed, uploaded_at",
            "inventory_uploads WHERE org_id = $1",
            "id DESC",
            org_id,
            page,
        )
        .await
    }

    async fn upload_changes(
        &self,
        org_id: OrgId,
        upload_id: i64,
        page: PageRequest,
    ) -> Result<Option<Page<InventoryChange>>> {
        // The upload must be this organisation's: another's id reads as not found.
        let mine: Option<i64> =
            sqlx::query_scalar("SELECT id FROM inventory_uploads WHERE id = $1 AND org_id = $2")
                .bind(upload_id)
                .bind(org_id)
                .fetch_optional(&self.read)
                .await?;
        if mine.is_none() {
            return Ok(None);
        }
        self.keyed_page::<ChangeRow, _>(
            "change, asset, asset_type, vendor, product, version, cpe, purl",
            "inventory_changes WHERE upload_id = $1",
            "change, asset, product",
            upload_id,
            page,
        )
        .await
        .map(Some)
    }
}
