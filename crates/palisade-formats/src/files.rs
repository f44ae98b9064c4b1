//! Files as feeds arrive: a directory's files, a ZIP archive's one at a time (bounded, so a
//! small archive cannot unpack to fill the memory), and their text.

use palisade_domain::FieldErrors;
use std::io::Read;
use std::path::Path;

/// The largest feed archive accepted, and the most its files may hold once unpacked.
pub const MAX_FEED_BYTES: usize = 64 * 1024 * 1024;
pub const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
/// The most entries a feed archive may hold (an ecosystem's whole OSV dump holds tens of
/// thousands; a bomb of empty files, hundreds of thousands).
pub const MAX_ZIP_ENTRIES: usize = 100_000;

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

/// Hands each file anywhere in a ZIP archive whose name ends with `ext` to `each`, one at a
/// time as it is unpacked, so only one is held: at most `max_file` bytes each, and
/// [`MAX_UNPACKED_BYTES`] in all. The archive's size and entries are bounded too, and an entry
/// whose path leaves the archive refuses it. The first error `each` returns stops the reading.
pub fn each_zip_file(
    data: &[u8],
    ext: &str,
    max_file: u64,
    mut each: impl FnMut(String, Vec<u8>) -> Result<(), FieldErrors>,
) -> Result<(), FieldErrors> {
    let bad = |m: String| FieldErrors::one("file", m);
    let mb = |n: u64| n / (1024 * 1024);
    if data.len() > MAX_FEED_BYTES {
        return Err(bad(format!(
            "is larger than {} MB",
            mb(MAX_FEED_BYTES as u64)
        )));
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(data))
        .map_err(|e| bad(format!("is not a ZIP archive: {e}")))?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(bad(format!(
            "holds {} entries; at most {MAX_ZIP_ENTRIES} are read",
            archive.len()
        )));
    }
    let mut unpacked = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| bad(format!("entry {i}: {e}")))?;
        // A path that leaves the archive (`../x`) is an attack or a broken archive:
        // refused, not skipped, so nobody thinks it was read.
        let Some(path) = entry.enclosed_name() else {
            return Err(bad(format!(
                "entry '{}' has a path that leaves the archive",
                entry.name()
            )));
        };
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        if !entry.is_file() || !name.ends_with(ext) {
            continue;
        }
        let mut bytes = Vec::new();
        let limit = max_file.min(MAX_UNPACKED_BYTES.saturating_sub(unpacked)) + 1;
        (&mut entry)
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("{name}: {e}")))?;
        let size = bytes.len() as u64;
        if size > max_file {
            return Err(FieldErrors::one(
                &name,
                format!(
                    "unpacks to more than {} MB, the most one file may hold",
                    mb(max_file).max(1)
                ),
            ));
        }
        unpacked += size;
        if unpacked > MAX_UNPACKED_BYTES {
            return Err(bad(format!(
                "unpacks to more than {} MB",
                mb(MAX_UNPACKED_BYTES)
            )));
        }
        each(name, bytes)?;
    }
    Ok(())
}

/// JSON documents as an import receives them: one (named), a directory's files, or a ZIP
/// archive, whose `.json` entries are read one at a time.
pub enum Documents<'a> {
    One(&'a str, &'a [u8]),
    Files(&'a [(String, Vec<u8>)]),
    Zip(&'a [u8]),
}

impl Documents<'_> {
    /// Hands each document (name, bytes) to `each` in turn; an archive's are unpacked one at a
    /// time, so only one is held. An archive that cannot be read is the error.
    pub fn each(&self, mut each: impl FnMut(&str, &[u8])) -> Result<(), FieldErrors> {
        match self {
            Documents::One(name, bytes) => each(name, bytes),
            Documents::Files(files) => {
                for (name, bytes) in *files {
                    each(name, bytes);
                }
            }
            Documents::Zip(data) => {
                each_zip_file(data, ".json", MAX_UNPACKED_BYTES, |name, bytes| {
                    each(&name, &bytes);
                    Ok(())
                })?;
            }
        }
        Ok(())
    }
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// Every `.json` file of an archive, read as an import reads them.
    fn read_zip_files(data: &[u8], ext: &str) -> Result<Vec<(String, Vec<u8>)>, FieldErrors> {
        let mut files = Vec::new();
        each_zip_file(data, ext, MAX_UNPACKED_BYTES, |name, bytes| {
            files.push((name, bytes));
            Ok(())
        })?;
        Ok(files)
    }

    /// An archive of these entries, for tests.
    pub(crate) fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, body) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(body).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_path_that_leaves_the_archive_is_refused() {
        let ok = zip_of(&[("a/b.json", b"{}"), ("c.txt", b"x")]);
        let files = read_zip_files(&ok, ".json").unwrap();
        assert_eq!(files, [("b.json".to_string(), b"{}".to_vec())]);
        for evil in ["../evil.json", "a/../../evil.json"] {
            let e = read_zip_files(&zip_of(&[("ok.json", b"{}"), (evil, b"{}")]), ".json")
                .map(|f| f.into_iter().map(|(n, _)| n).collect::<Vec<_>>())
                .expect_err(evil);
            assert!(e.0[0].message.contains("leaves the archive"), "{evil}: {e}");
        }
    }

    #[test]
    fn an_archive_of_too_many_entries_is_refused_at_once() {
        let names: Vec<String> = (0..=MAX_ZIP_ENTRIES).map(|i| format!("{i}.json")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        let e = read_zip_files(&zip_of(&entries), ".json").unwrap_err();
        assert_eq!(e.0.len(), 1, "one error, not one per entry");
        assert!(e.0[0].message.contains("entries"), "{e}");
    }

    #[test]
    fn files_come_one_at_a_time_each_within_its_bound() {
        let archive = zip_of(&[
            ("a.md", b"one"),
            ("b.md", b"two"),
            ("big.md", &[b'x'; 2048]),
        ]);
        let mut seen = Vec::new();
        let e = each_zip_file(&archive, ".md", 1024, |name, bytes| {
            seen.push((name, bytes.len()));
            Ok(())
        })
        .unwrap_err();
        assert_eq!(seen, [("a.md".to_string(), 3), ("b.md".to_string(), 3)]);
        assert_eq!(e.0[0].field, "big.md");
        assert!(e.0[0].message.contains("the most one file may hold"), "{e}");
        // The first error from the reader stops the archive there.
        let mut calls = 0;
        let e = each_zip_file(&archive, ".md", 4096, |name, _| {
            calls += 1;
            Err(FieldErrors::one(&name, "no"))
        })
        .unwrap_err();
        assert_eq!((calls, e.0[0].field.as_str()), (1, "a.md"));
    }
}
