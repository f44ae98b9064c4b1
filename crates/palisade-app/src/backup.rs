//! Online backup and restore of the embedded SQLite database.
//!
//! `create` uses SQLite's `VACUUM INTO`, a consistent copy taken while Palisade keeps serving.
//! `restore` first opens the copy and verifies its audit chain, then swaps it in atomically
//! (write beside, rename over). PostgreSQL deployments use `pg_dump`/`pg_restore` instead.

use crate::{App, AppError, Result};
use palisade_domain::clock::SystemClock;
use palisade_store::{Engine, SqlStore};
use std::path::Path;
use std::sync::Arc;

impl App {
    pub async fn backup_create(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| AppError::Internal(format!("cannot create {}: {e}", dir.display())))?;
        }
        Ok(self.store.backup_to(path).await?)
    }
}

/// Checks a backup file is a Palisade database with an intact audit chain; returns its entry count.
pub async fn check_backup(path: &Path) -> Result<u64> {
    if !path.is_file() {
        return Err(AppError::invalid(
            "file",
            format!("{} is not a file", path.display()),
        ));
    }
    let store = SqlStore::open_sqlite_read_only(path).await.map_err(|e| {
        AppError::invalid(
            "file",
            format!("{} is not a readable database: {e}", path.display()),
        )
    })?;
    let app = App::new(
        Arc::new(store.clone()),
        Arc::new(SystemClock),
        Default::default(),
    );
    let verdict = app.verify_audit(&[]).await.map_err(|e| {
        AppError::invalid(
            "file",
            format!("{} is not a Palisade backup: {e}", path.display()),
        )
    });
    store.close().await;
    match verdict? {
        Ok((n, _, _)) => Ok(n),
        Err(b) => Err(AppError::invalid(
            "file",
            format!("the backup's audit chain is broken: {b}"),
        )),
    }
}

/// Replaces the SQLite database at `target_url` with the backup at `backup`. Palisade must not be
/// running against the target while this happens.
pub async fn restore(backup: &Path, target_url: &str) -> Result<u64> {
    if Engine::of_url(target_url)? != Engine::Sqlite {
        return Err(AppError::invalid(
            "database",
            "restore here is for SQLite; restore PostgreSQL with pg_restore",
        ));
    }
    let target = palisade_store::sqlite_path(target_url)
        .ok_or_else(|| AppError::invalid("database", "the SQLite URL names no file"))?;
    let entries = check_backup(backup).await?;
    let tmp = target.with_extension("restore-tmp");
    std::fs::copy(backup, &tmp)
        .map_err(|e| AppError::Internal(format!("cannot copy the backup: {e}")))?;
    for suffix in ["-wal", "-shm"] {
        let side = format!("{}{suffix}", target.display());
        if Path::new(&side).exists() {
            std::fs::remove_file(&side)
                .map_err(|e| AppError::Internal(format!("cannot remove {side}: {e}")))?;
        }
    }
    std::fs::rename(&tmp, &target)
        .map_err(|e| AppError::Internal(format!("cannot move the backup into place: {e}")))?;
    Ok(entries)
}
