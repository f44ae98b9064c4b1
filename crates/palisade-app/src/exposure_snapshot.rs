//! The exposure index kept on disk between starts: written when it is first built (or read
//! and brought up to date), every hour when uploads have come since, and when the server
//! stops; read when it starts. At national scale
//! building it reads every inventory (about 18 s for 10 million components); reading the
//! snapshot and applying the uploads since takes a fraction of that.
//!
//! A snapshot names the last upload it holds by id, organisation and time. It is used only
//! when this database holds that same upload; anything else (another database, one restored
//! from an older backup, a damaged or older-format file) is set aside with a warning and the
//! index is built from the database as before.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use palisade_domain::exposure::{ExposureIndex, read_numbers, write_numbers};

use crate::App;
use crate::exposure::Held;

/// Writes the snapshot: (last upload, its organisation, its time), the upload of each
/// organisation's components as pairs, then the index.
fn encode(held: &Held, stamp: (i64, i64), out: &mut impl std::io::Write) -> std::io::Result<()> {
    write_numbers(out, &[held.last_upload, stamp.0, stamp.1])?;
    let pairs: Vec<i64> = held
        .org_upload
        .iter()
        .flat_map(|(org, upload)| [*org, *upload])
        .collect();
    write_numbers(out, &pairs)?;
    held.index.write_to(out)
}

/// The snapshot read back: (last upload, its organisation and time) and what it held.
fn decode(mut r: impl std::io::Read) -> Result<((i64, i64, i64), Held), String> {
    let head = read_numbers(&mut r)?;
    let [last_upload, org, at] = head[..] else {
        return Err("the exposure index snapshot is damaged (its header)".into());
    };
    let pairs = read_numbers(&mut r)?;
    if pairs.len() % 2 != 0 {
        return Err("the exposure index snapshot is damaged (its uploads)".into());
    }
    let org_upload: HashMap<i64, i64> = pairs.chunks_exact(2).map(|p| (p[0], p[1])).collect();
    let index = ExposureIndex::read_from(&mut r)?;
    Ok((
        (last_upload, org, at),
        Held {
            index,
            last_upload,
            org_upload,
            kev: None,
            from_snapshot: true,
            written_upload: last_upload,
        },
    ))
}

/// Writes beside the file, streamed, and renames, so a reader never sees half a snapshot;
/// returns the bytes written.
fn write_atomically(path: &Path, held: &Held, stamp: (i64, i64)) -> std::io::Result<u64> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&partial)?);
    encode(held, stamp, &mut out)?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    let bytes = file.metadata()?.len();
    std::fs::rename(&partial, path)?;
    Ok(bytes)
}

impl App {
    /// The index from the configured snapshot, when there is one this database recognises.
    pub(crate) async fn read_index_snapshot(&self) -> Option<Held> {
        let path = self.inventory.index_snapshot.clone()?;
        let started = std::time::Instant::now();
        let read = tokio::task::spawn_blocking({
            let path = path.clone();
            move || match std::fs::File::open(&path) {
                Ok(file) => decode(std::io::BufReader::with_capacity(1 << 20, file)).map(Some),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(format!("cannot read it: {e}")),
            }
        })
        .await
        .unwrap_or_else(|e| Err(format!("reading it failed: {e}")));
        let ((last, org, at), held) = match read {
            Ok(Some(found)) => found,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "exposure index snapshot set aside");
                return None;
            }
        };
        if last > 0 {
            match self.store.upload_stamp(last).await {
                Ok(Some(stamp)) if stamp == (org, at) => {}
                Ok(_) => {
                    tracing::warn!(
                        path = %path.display(),
                        upload = last,
                        "exposure index snapshot set aside: this database does not hold the \
                         upload it ends with"
                    );
                    return None;
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "exposure index snapshot set aside");
                    return None;
                }
            }
        }
        tracing::info!(
            path = %path.display(),
            components = held.index.len(),
            last_upload = last,
            seconds = started.elapsed().as_secs_f64(),
            "exposure index read from its snapshot"
        );
        Some(held)
    }

    /// Writes the snapshot, when one is configured; a failure is logged, never fatal.
    pub(crate) async fn write_index_snapshot(&self, held: &mut Held) {
        let Some(path) = self.inventory.index_snapshot.clone() else {
            return;
        };
        let stamp = if held.last_upload > 0 {
            match self.store.upload_stamp(held.last_upload).await {
                Ok(Some(stamp)) => stamp,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "exposure index snapshot not written");
                    return;
                }
            }
        } else {
            (0, 0)
        };
        let started = std::time::Instant::now();
        let written = write_atomically(&path, held, stamp);
        match written {
            Ok(bytes) => {
                held.written_upload = held.last_upload;
                tracing::info!(
                path = %path.display(),
                bytes,
                seconds = started.elapsed().as_secs_f64(),
                    "exposure index snapshot written"
                )
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "exposure index snapshot not written")
            }
        }
    }

    /// Whether the index was read from its snapshot when it was first needed (false before).
    pub async fn exposure_index_from_snapshot(&self) -> bool {
        self.estate_index
            .held
            .lock()
            .await
            .as_ref()
            .is_some_and(|h| h.from_snapshot)
    }

    /// Brings the index up to date and writes its snapshot, when it has been built and one is
    /// configured: the server calls this as it stops, so the next start has little to apply.
    pub async fn save_exposure_index(&self) -> crate::Result<()> {
        if self.inventory.index_snapshot.is_none() {
            return Ok(());
        }
        let mut guard = self.estate_index.held.lock().await;
        if let Some(held) = guard.as_mut() {
            self.refresh_index(held).await?;
            self.write_index_snapshot(held).await;
        }
        Ok(())
    }

    /// Writes the snapshot again when uploads have been applied since it was last written;
    /// returns whether it wrote. A server runs this every hour, so that a crash leaves at most
    /// an hour of uploads for the next start to apply.
    pub async fn keep_exposure_index(&self) -> crate::Result<bool> {
        if self.inventory.index_snapshot.is_none() {
            return Ok(false);
        }
        let mut guard = self.estate_index.held.lock().await;
        let Some(held) = guard.as_mut() else {
            return Ok(false);
        };
        self.refresh_index(held).await?;
        if held.written_upload == held.last_upload {
            return Ok(false);
        }
        self.write_index_snapshot(held).await;
        Ok(held.written_upload == held.last_upload)
    }
}
