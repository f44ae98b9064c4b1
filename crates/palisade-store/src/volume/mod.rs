//! Volume for the benchmarks, written straight to the database in multi-row statements so
//! national scale takes seconds rather than hours: a decade of incidents (`bench incidents`)
//! and the suppliers' products, customers, SBOMs and VEX (`bench suppliers`); every contact on
//! the daily digest (`bench worklist --digests`); an inventory for every organisation (`bench
//! worklist --components`).

mod incidents;
mod inventories;
mod suppliers;

pub use incidents::{IncidentVolume, seed_incident_volume, volume_indicator};
pub use inventories::seed_inventory_volume;
pub use suppliers::{SupplierVolume, VolumeProduct, VolumeVex, seed_supplier_volume};

use crate::db::Sql;
use crate::{Result, SqlStore};

/// Puts every contact on the daily digest, as a national round of digests needs: one
/// statement, as no product path would (each contact chooses for themselves). Returns the
/// contacts changed.
pub async fn every_contact_on_the_digest(store: &SqlStore) -> Result<u64> {
    let done = sqlx::query("UPDATE contacts SET reminders = 'daily' WHERE reminders <> 'daily'")
        .execute(&store.write)
        .await?;
    analyse(store).await?;
    Ok(done.rows_affected())
}

/// Fresh statistics for the planner, as a running system would have by now.
async fn analyse(store: &SqlStore) -> Result<()> {
    let analyse = match store.engine {
        crate::Engine::Sqlite => "ANALYZE",
        crate::Engine::Postgres => "VACUUM ANALYZE",
    };
    sqlx::query(analyse).execute(&store.write).await?;
    Ok(())
}

/// Writes `items` with `head` (`INSERT INTO t (a, b) VALUES `), `per` rows a statement, each
/// row's `(...)` pushed by `row`.
async fn insert_rows<T>(
    conn: &mut sqlx::AnyConnection,
    head: &str,
    items: &[T],
    per: usize,
    row: impl Fn(&mut Sql, &T),
) -> Result<()> {
    for chunk in items.chunks(per.max(1)) {
        let mut sql = Sql::new(head);
        for (i, item) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            row(&mut sql, item);
        }
        sql.execute(&mut *conn).await?;
    }
    Ok(())
}
