//! Volume for the benchmarks, written straight to the database in multi-row statements so
//! national scale takes seconds rather than hours: a decade of incidents (`bench incidents`)
//! and the suppliers' products, customers, SBOMs and VEX (`bench suppliers`).

mod incidents;
mod suppliers;

pub use incidents::{IncidentVolume, seed_incident_volume, volume_indicator};
pub use suppliers::{SupplierVolume, VolumeProduct, VolumeVex, seed_supplier_volume};

use crate::db::Sql;
use crate::{Result, SqlStore};

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
