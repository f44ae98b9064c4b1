//! Inventories: an organisation's current components, replaced whole by each upload in one
//! transaction, with every upload and what it added and removed kept as history.
//!
//! Components are stored in chunks of [`CHUNK`], each a JSON array, so a million-component
//! upload is about two thousand row writes; a page reads the one or two chunks it falls in.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use crate::audit::append;
use crate::error::corrupt;
use crate::{
    InventoryChange, InventoryUpload, Result, SnapshotRead, SqlStore, Stamp, StoreError,
    StoredComponent,
};
use palisade_domain::audit::AuditDraft;
use palisade_domain::ident::{Cpe23, Purl};
use palisade_domain::inventory::{
    AssetType, Component, ComponentKey, InventoryFormat, Keyed, diff,
};
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::OrgId;

/// Components per stored chunk: about 120 KB of JSON, and a page of up to 100 spans at most two.
const CHUNK: usize = 1000;

/// A component as a chunk holds it: the key columns, then internet-facing and location.
type Owned = (
    (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    ),
    bool,
    Option<String>,
);

/// A stored component, compared with an upload as text (no parsing).
#[derive(Deserialize)]
struct Row(Owned);

impl Keyed for Row {
    fn key(&self) -> ComponentKey<'_> {
        let k = &self.0.0;
        (
            &k.0,
            &k.1,
            &k.2,
            &k.3,
            k.4.as_deref(),
            k.5.as_deref(),
            k.6.as_deref(),
        )
    }
}

/// Stored text is what the domain wrote: anything else is a broken database, said plainly.
fn stored<T>(
    what: &str,
    value: &str,
    parse: fn(&str) -> std::result::Result<T, String>,
) -> Result<T> {
    parse(value).map_err(|_| corrupt(what, value))
}

impl Row {
    fn component(self) -> Result<Component> {
        let ((asset, asset_type, vendor, product, version, cpe, purl), internet_facing, location) =
            self.0;
        Ok(Component {
            asset,
            asset_type: stored("asset type", &asset_type, AssetType::parse)?,
            vendor,
            product,
            version,
            cpe: cpe.map(|c| stored("CPE", &c, Cpe23::parse)).transpose()?,
            purl: purl
                .map(|p| stored("package URL", &p, Purl::parse))
                .transpose()?,
            internet_facing,
            location,
        })
    }
}

/// A change as a chunk holds it: whether it was added, then the key columns.
type ChangeOwned = (
    bool,
    (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    ),
);

impl TryFrom<ChangeOwned> for InventoryChange {
    type Error = StoreError;
    fn try_from(
        (added, (asset, asset_type, vendor, product, version, cpe, purl)): ChangeOwned,
    ) -> Result<Self> {
        Ok(InventoryChange {
            added,
            asset,
            asset_type: stored("asset type", &asset_type, AssetType::parse)?,
            vendor,
            product,
            version,
            cpe,
            purl,
        })
    }
}

fn encode<T: Serialize>(items: &[T]) -> Result<String> {
    serde_json::to_string(items).map_err(|e| StoreError::Unsupported(e.to_string()))
}

fn decode<T: for<'de> Deserialize<'de>>(body: &str) -> Result<Vec<T>> {
    serde_json::from_str(body).map_err(|_| corrupt("inventory chunk", &body[..body.len().min(40)]))
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

/// The chunk bodies of `table` under `key` (`org_id` or `upload_id`), from chunk `first` to
/// `last` inclusive, in order.
async fn chunks<'c, E>(
    exec: E,
    table: &str,
    key: &str,
    id: i64,
    first: i64,
    last: i64,
) -> Result<Vec<String>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT body FROM {table} WHERE {key} = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq"
    )))
    .bind(id)
    .bind(first)
    .bind(last)
    .fetch_all(exec)
    .await?)
}

/// Every item of a chunked list (`table` under `key`), each converted.
async fn read_all<'c, E, R, T>(
    exec: E,
    table: &str,
    key: &str,
    id: i64,
    convert: impl Fn(R) -> Result<T>,
) -> Result<Vec<T>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
    R: for<'de> Deserialize<'de>,
{
    let mut out = Vec::new();
    for body in chunks(exec, table, key, id, 0, i64::MAX).await? {
        for r in decode::<R>(&body)? {
            out.push(convert(r)?);
        }
    }
    Ok(out)
}

/// Writes `items` as chunks of `table` under `key_value`, with the upload id when the table has
/// one.
async fn write_chunks<T: Serialize>(
    tx: &mut sqlx::AnyConnection,
    insert: &str,
    key_value: i64,
    upload_id: Option<i64>,
    items: &[T],
) -> Result<()> {
    for (seq, chunk) in items.chunks(CHUNK).enumerate() {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(insert.to_string()))
            .bind(key_value)
            .bind(seq as i64);
        if let Some(u) = upload_id {
            q = q.bind(u);
        }
        q.bind(chunk.len() as i64)
            .bind(encode(chunk)?)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Writes an organisation's current components, from `upload_id`, in chunks.
pub(crate) async fn write_snapshot(
    tx: &mut sqlx::AnyConnection,
    org_id: OrgId,
    upload_id: i64,
    components: &[Component],
) -> Result<()> {
    let snapshot: Vec<_> = components
        .iter()
        .map(|c| (c.key(), c.internet_facing, c.location.as_deref()))
        .collect();
    write_chunks(
        tx,
        "INSERT INTO inventory_snapshot_chunks (org_id, seq, upload_id, entries, body) \
         VALUES ($1, $2, $3, $4, $5)",
        org_id,
        Some(upload_id),
        &snapshot,
    )
    .await
}

/// The chunk numbers a page covers, and where in the first of them it starts.
fn span(page: PageRequest, total: i64) -> Option<(i64, i64, usize)> {
    let (offset, limit) = (page.offset(), page.limit());
    if offset >= total || limit <= 0 {
        return None;
    }
    let last = (offset + limit).min(total) - 1;
    let chunk = CHUNK as i64;
    Some((offset / chunk, last / chunk, (offset % chunk) as usize))
}

/// One page of a chunked list of `total` items.
async fn chunked_page<R, T>(
    store: &SqlStore,
    table: &str,
    key: &str,
    id: i64,
    total: i64,
    page: PageRequest,
    mut convert: impl FnMut(R, usize) -> Result<T>,
) -> Result<Page<T>>
where
    R: for<'de> Deserialize<'de>,
{
    let Some((first, last, skip)) = span(page, total) else {
        return Ok(Page::of(Vec::new(), total, page));
    };
    let mut items = Vec::with_capacity(page.limit() as usize);
    let mut position = first as usize * CHUNK;
    for body in chunks(&store.read, table, key, id, first, last).await? {
        for r in decode::<R>(&body)? {
            position += 1;
            if position > first as usize * CHUNK + skip && items.len() < page.limit() as usize {
                items.push(convert(r, position)?);
            }
        }
    }
    Ok(Page::of(items, total, page))
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

    /// The organisation's latest upload, if any.
    async fn latest_upload(&self, org_id: OrgId) -> Result<Option<UploadRow>> {
        Ok(sqlx::query_as::<_, UploadRow>(
            "SELECT id, format, components, added, removed, uploaded_at FROM inventory_uploads \
             WHERE org_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(org_id)
        .fetch_optional(&self.read)
        .await?)
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
        let old: Vec<Row> =
            read_all(&mut *tx, "inventory_snapshot_chunks", "org_id", org_id, Ok).await?;
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
        sqlx::query("DELETE FROM inventory_snapshot_chunks WHERE org_id = $1")
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        write_snapshot(&mut tx, org_id, upload_id, components).await?;
        // Added first, then removed, each by asset then product, as the history lists them.
        let mut changes: Vec<(bool, ComponentKey<'_>)> = added
            .iter()
            .map(|c| (true, c.key()))
            .chain(removed.iter().map(|c| (false, c.key())))
            .collect();
        changes.sort_by(|a, b| (!a.0, a.1.0, a.1.3).cmp(&(!b.0, b.1.0, b.1.3)));
        write_chunks(
            &mut tx,
            "INSERT INTO inventory_change_chunks (upload_id, seq, entries, body) \
             VALUES ($1, $2, $3, $4)",
            upload_id,
            None,
            &changes,
        )
        .await?;
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
        let total = self
            .latest_upload(org_id)
            .await?
            .map_or(0, |u| u.components);
        chunked_page(
            self,
            "inventory_snapshot_chunks",
            "org_id",
            org_id,
            total,
            page,
            |r: Row, position| {
                Ok(StoredComponent {
                    position: position as i64,
                    component: r.component()?,
                })
            },
        )
        .await
    }

    async fn each_component(
        &self,
        org_id: OrgId,
        each: &mut (dyn FnMut(Component) + Send),
    ) -> Result<SnapshotRead> {
        use futures_util::TryStreamExt;
        let mut chunks = sqlx::query_as::<_, (i64, String)>(
            "SELECT upload_id, body FROM inventory_snapshot_chunks WHERE org_id = $1 ORDER BY seq",
        )
        .bind(org_id)
        .fetch(&self.read);
        let mut read = SnapshotRead::default();
        while let Some((upload_id, body)) = chunks.try_next().await? {
            read.upload_id = Some(upload_id);
            for r in decode::<Row>(&body)? {
                each(r.component()?);
                read.components += 1;
            }
            // A chunk is about a millisecond of work: between chunks the thread serves the
            // other requests, so a large inventory read never starves a health probe.
            tokio::task::yield_now().await;
        }
        Ok(read)
    }

    async fn snapshot_batch(
        &self,
        after_org: OrgId,
        orgs: i64,
    ) -> Result<Vec<(OrgId, i64, Vec<Component>)>> {
        // Whole organisations per statement, so each snapshot is read as one upload left it.
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT org_id, upload_id, body FROM inventory_snapshot_chunks WHERE org_id IN \
             (SELECT DISTINCT org_id FROM inventory_snapshot_chunks WHERE org_id > $1 \
              ORDER BY org_id LIMIT $2) ORDER BY org_id, seq",
        )
        .bind(after_org)
        .bind(orgs)
        .fetch_all(&self.read)
        .await?;
        snapshots(rows)
    }

    async fn snapshot_uploads(
        &self,
        org_ids: &[OrgId],
    ) -> Result<std::collections::HashMap<OrgId, i64>> {
        let mut out = std::collections::HashMap::new();
        for chunk in org_ids.chunks(crate::db::IDS_PER_STATEMENT) {
            // The first chunk of each (an empty inventory has none, and holds nothing).
            let mut sql = crate::db::Sql::new(
                "SELECT org_id, upload_id FROM inventory_snapshot_chunks WHERE seq = 0 AND \
                 org_id IN (",
            );
            sql.i64_list(chunk).push(")");
            out.extend(sql.query_as::<(i64, i64)>().fetch_all(&self.read).await?);
        }
        Ok(out)
    }

    async fn snapshots_of(&self, org_ids: &[OrgId]) -> Result<Vec<(OrgId, i64, Vec<Component>)>> {
        let mut out = Vec::new();
        for chunk in org_ids.chunks(crate::db::IDS_PER_STATEMENT) {
            let mut sql = crate::db::Sql::new(
                "SELECT org_id, upload_id, body FROM inventory_snapshot_chunks WHERE org_id IN (",
            );
            sql.i64_list(chunk).push(") ORDER BY org_id, seq");
            out.extend(snapshots(sql.query_as().fetch_all(&self.read).await?)?);
        }
        Ok(out)
    }

    async fn last_upload_id(&self) -> Result<i64> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM inventory_uploads")
            .fetch_one(&self.read)
            .await?;
        Ok(id.unwrap_or(0))
    }

    async fn upload_stamp(&self, id: i64) -> Result<Option<(OrgId, i64)>> {
        Ok(
            sqlx::query_as("SELECT org_id, uploaded_at FROM inventory_uploads WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    async fn uploads_after(&self, after_id: i64) -> Result<Vec<(i64, OrgId)>> {
        Ok(
            sqlx::query_as("SELECT id, org_id FROM inventory_uploads WHERE id > $1 ORDER BY id")
                .bind(after_id)
                .fetch_all(&self.read)
                .await?,
        )
    }

    async fn all_changes(&self, upload_id: i64) -> Result<Vec<InventoryChange>> {
        read_all(
            &self.read,
            "inventory_change_chunks",
            "upload_id",
            upload_id,
            |c: ChangeOwned| InventoryChange::try_from(c),
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
        let counts: Option<(i64, i64)> = sqlx::query_as(
            "SELECT added, removed FROM inventory_uploads WHERE id = $1 AND org_id = $2",
        )
        .bind(upload_id)
        .bind(org_id)
        .fetch_optional(&self.read)
        .await?;
        let Some((added, removed)) = counts else {
            return Ok(None);
        };
        chunked_page(
            self,
            "inventory_change_chunks",
            "upload_id",
            upload_id,
            added + removed,
            page,
            |c: ChangeOwned, _| InventoryChange::try_from(c),
        )
        .await
        .map(Some)
    }
}

/// Snapshot chunks (organisation, upload, body), in organisation and chunk order, as each
/// organisation's components whole.
fn snapshots(rows: Vec<(i64, i64, String)>) -> Result<Vec<(OrgId, i64, Vec<Component>)>> {
    let mut out: Vec<(OrgId, i64, Vec<Component>)> = Vec::new();
    for (org_id, upload_id, body) in rows {
        if out.last().is_none_or(|(o, _, _)| *o != org_id) {
            out.push((org_id, upload_id, Vec::new()));
        }
        let held = &mut out.last_mut().expect("pushed above").2;
        for r in decode::<Row>(&body)? {
            held.push(r.component()?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(page: u32, per_page: u32) -> PageRequest {
        PageRequest::new(Some(page), Some(per_page))
    }

    #[test]
    fn a_page_reads_only_the_chunks_it_falls_in() {
        assert_eq!(span(page(1, 50), 10), Some((0, 0, 0)));
        assert_eq!(span(page(20, 50), 2500), Some((0, 0, 950)));
        assert_eq!(span(page(21, 50), 2500), Some((1, 1, 0)));
        // 990..1020 spans the first two chunks.
        assert_eq!(span(page(34, 30), 2500), Some((0, 1, 990)));
        assert_eq!(span(page(1, 50), 0), None);
        assert_eq!(span(page(3, 50), 100), None);
    }
}
