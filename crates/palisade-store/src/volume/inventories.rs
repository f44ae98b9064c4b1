//! Estate volume for `palisade bench worklist --components`: an inventory for every
//! organisation without one, each one upload with its components in the store's chunks, as an
//! upload through the app keeps them. No change history is written (the exposure index is built
//! from the chunks; changes are read only for uploads after it) and no audit entry per upload.

use std::collections::HashSet;

use super::analyse;
use crate::inventory::write_snapshot;
use crate::{Result, SqlStore};
use palisade_domain::inventory::Component;
use palisade_domain::policy::OrgId;

/// Organisations written per transaction.
const ORGS_PER_TX: usize = 500;

/// Writes an inventory of `components(org)` for each of `orgs` that has none; returns the
/// organisations and components written.
pub async fn seed_inventory_volume(
    store: &SqlStore,
    orgs: &[OrgId],
    components: &(dyn Fn(OrgId) -> Vec<Component> + Sync),
    now: i64,
) -> Result<(usize, usize)> {
    let have: HashSet<i64> = sqlx::query_scalar("SELECT DISTINCT org_id FROM inventory_uploads")
        .fetch_all(&store.read)
        .await?
        .into_iter()
        .collect();
    let wanted: Vec<OrgId> = orgs.iter().copied().filter(|o| !have.contains(o)).collect();
    let mut written = 0;
    for batch in wanted.chunks(ORGS_PER_TX) {
        let mut tx = store.begin_unserialised().await?;
        for &org in batch {
            let items = components(org);
            let upload: i64 = sqlx::query_scalar(
                "INSERT INTO inventory_uploads \
                 (org_id, format, components, added, removed, uploaded_at, by_user) \
                 VALUES ($1, 'csv', $2, $2, 0, $3, NULL) RETURNING id",
            )
            .bind(org)
            .bind(items.len() as i64)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            write_snapshot(&mut tx, org, upload, &items).await?;
            written += items.len();
        }
        tx.commit().await?;
    }
    if !wanted.is_empty() {
        analyse(store).await?;
    }
    Ok((wanted.len(), written))
}
