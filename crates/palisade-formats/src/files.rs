//! Files as feeds arrive: a directory's files, a ZIP archive's (bounded, so a small archive
//! cannot unpack to fill the memory), and their text.

use palisade_domain::FieldErrors;
use std::io::Read;
use std::path::Path;

/// The largest feed archive accepted, and the most its files may hold once unpacked.
pub const MAX_FEED_BYTES: usize = 64 * 1024 * 1024;
const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;

/// The files of a directory whose names end with `ext` (`.md`, `.json`), by name.
pub fn read_dir_files(dir: &Path, ext: &str) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if path.is_file() && name.ends_with(ext) {
            files.push((name, std::fs::read(&path)?));
        }
    }
    files.sort();
    Ok(files)
}

/// The files anywhere in a ZIP archive whose names end with `ext`, by file name; the archive
/// and what it unpacks to are both bounded, so a small archive cannot unpack to fill the memory.
pub fn read_zip_files(data: &[u8], ext: &str) -> Result<Vec<(String, Vec<u8>)>, FieldErrors> {
    let bad = |m: String| FieldErrors::one("file", m);
    if data.len() > MAX_FEED_BYTES {
        return Err(bad(format!(
            "is larger than {} MB",
            MAX_FEED_BYTES / (1024 * 1024)
        )));
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(data))
        .map_err(|e| bad(format!("is not a ZIP archive: {e}")))?;
    let mut files = Vec::new();
    let mut unpacked = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| bad(format!("entry {i}: {e}")))?;
        let Some(name) = entry
            .enclosed_name()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        else {
            continue;
        };
        if !entry.is_file() || !name.ends_with(ext) {
            continue;
        }
        let mut bytes = Vec::new();
        let limit = MAX_UNPACKED_BYTES.saturating_sub(unpacked) + 1;
        (&mut entry)
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("{name}: {e}")))?;
        unpacked += bytes.len() as u64;
        if unpacked > MAX_UNPACKED_BYTES {
            return Err(bad(format!(
                "unpacks to more than {} MB",
                MAX_UNPACKED_BYTES / (1024 * 1024)
            )));
        }
        files.push((name, bytes));
    }
    Ok(files)
}

/// Files as text, each named when it is not UTF-8.
pub fn as_text(files: Vec<(String, Vec<u8>)>) -> Result<Vec<(String, String)>, FieldErrors> {
    files
        .into_iter()
        .map(|(name, bytes)| {
            String::from_utf8(bytes)
                .map(|t| (name.clone(), t))
                .map_err(|_| FieldErrors::one(&name, "is not UTF-8 text"))
        })
        .collect()
}
