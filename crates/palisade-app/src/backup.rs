//! Online backup and restore of the embedded SQLite database.
//!
//! `create` uses SQLite's `VACUUM INTO`, a consistent copy taken while Palisade keeps serving.
//! `restore` first opens the copy and verifies its audit chain, then swaps it in atomically
//! (write beside, rename over). PostgreSQL deployments use `pg_dump`/`pg_restore` instead.
//!
//! A running server holds a shared lock on `{database}.lock` beside the SQLite file for as long
//! as it serves (several servers may share one file); `restore` needs that lock exclusively, so
//! it refuses while any server runs, and no server starts while a restore runs. Writes a server
//! acknowledged are never lost under a restore it did not see.

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

/// The lock a server holds on its SQLite database while it serves (none for PostgreSQL, whose
/// restores are `pg_restore`'s business). Released when dropped, or when the process ends.
#[derive(Debug)]
pub struct ServingLock {
    _file: Option<std::fs::File>,
}

/// The lock file beside an SQLite database.
fn lock_path(database: &Path) -> std::path::PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    std::path::PathBuf::from(name)
}

fn open_lock(database: &Path) -> Result<std::fs::File> {
    let path = lock_path(database);
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| AppError::Internal(format!("cannot open {}: {e}", path.display())))
}

/// Takes the lock a server holds while it serves the database at `database_url`: shared with
/// other servers, refused while a restore runs.
pub fn hold_while_serving(database_url: &str) -> Result<ServingLock> {
    let Some(path) = (Engine::of_url(database_url)? == Engine::Sqlite)
        .then(|| palisade_store::sqlite_path(database_url))
        .flatten()
    else {
        return Ok(ServingLock { _file: None });
    };
    let file = open_lock(&path)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(ServingLock { _file: Some(file) }),
        Err(std::fs::TryLockError::WouldBlock) => Err(AppError::Conflict {
            field: "database".into(),
            message: format!(
                "{} is being restored: start the server when the restore has finished",
                path.display()
            ),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(AppError::Internal(format!(
            "cannot lock {}: {e}",
            lock_path(&path).display()
        ))),
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
    // Held until the new file is in place: no server runs now, and none starts meanwhile.
    let lock = open_lock(&target)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(AppError::Conflict {
                field: "database".into(),
                message: format!(
                    "a server is running on {}: stop every server using it before restoring, \
                     or writes it acknowledges would be lost",
                    target.display()
                ),
            });
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(AppError::Internal(format!(
                "cannot lock {}: {e}",
                lock_path(&target).display()
            )));
        }
    }
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
