//! Product lifecycles in the endoflife.date format: a product file is Markdown with YAML front
//! matter (a title, identifiers, and releases keyed by `releaseCycle`, each with an `eol` and
//! optionally `eoes`).

use palisade_domain::FieldErrors;
use palisade_domain::dates::parse_date;
use palisade_domain::eol::{Cycle, Product, Support};
use serde::Deserialize;

// The front matter as written; unknown keys are ignored (the format grows columns often).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFile {
    title: String,
    category: Option<String>,
    #[serde(default)]
    identifiers: Vec<std::collections::BTreeMap<String, String>>,
    #[serde(default)]
    releases: Vec<RawRelease>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRelease {
    release_cycle: String,
    release_label: Option<String>,
    eol: RawSupport,
    eoes: Option<RawSupport>,
    latest: Option<String>,
    release_date: Option<String>,
    latest_release_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawSupport {
    Flag(bool),
    Day(String),
}

impl RawSupport {
    fn read(self, field: &str) -> Result<Support, String> {
        match self {
            RawSupport::Flag(true) => Ok(Support::Ended),
            RawSupport::Flag(false) => Ok(Support::Ongoing),
            RawSupport::Day(d) => parse_date(field, &d)
                .map(Support::Until)
                .map_err(|e| e.message),
        }
    }
}

/// Reads one product file (`slug` is its name without `.md`). Errors name the field, as
/// `releases[3].eol`.
pub fn parse_product(slug: &str, text: &str) -> Result<Product, String> {
    let body = text
        .strip_prefix("---")
        .ok_or("does not start with YAML front matter (---)")?;
    let end = body
        .find("\n---")
        .ok_or("has no end to its front matter (---)")?;
    let raw: RawFile = yaml_serde::from_str(&body[..end]).map_err(|e| e.to_string())?;
    let mut cycles = Vec::with_capacity(raw.releases.len());
    for (i, r) in raw.releases.into_iter().enumerate() {
        let at = |f: &str| format!("releases[{i}].{f}");
        if r.release_cycle.trim().is_empty() {
            return Err(format!("{}: is empty", at("releaseCycle")));
        }
        cycles.push(Cycle {
            cycle: r.release_cycle,
            label: r.release_label,
            eol: r
                .eol
                .read(&at("eol"))
                .map_err(|e| format!("{}: {e}", at("eol")))?,
            eoes: r
                .eoes
                .map(|s| s.read(&at("eoes")))
                .transpose()
                .map_err(|e| format!("{}: {e}", at("eoes")))?,
            latest: r.latest,
            latest_release: match r.latest_release_date.or(r.release_date) {
                Some(d) => Some(
                    parse_date("date", &d)
                        .map_err(|e| format!("{}: {}", at("releaseDate"), e.message))?,
                ),
                None => None,
            },
        });
    }
    let identifiers = raw
        .identifiers
        .into_iter()
        .flat_map(|m| m.into_iter().filter(|(k, _)| k == "cpe" || k == "purl"))
        .map(|(_, v)| v)
        .collect();
    Ok(Product {
        slug: slug.to_string(),
        title: raw.title,
        category: raw.category,
        identifiers,
        cycles,
    })
}

/// The most one product file may hold: the largest endoflife.date publishes is about 120 KB.
pub const MAX_PRODUCT_FILE_BYTES: u64 = 1024 * 1024;

/// Product files read one at a time into products, every bad file named.
#[derive(Default)]
pub struct EolReader {
    products: Vec<Product>,
    errs: FieldErrors,
}

impl EolReader {
    /// Reads one product file (`name` ends with `.md`).
    pub fn add(&mut self, name: &str, text: &str) {
        let slug = name.strip_suffix(".md").unwrap_or(name);
        match parse_product(slug, text) {
            Ok(p) => self.products.push(p),
            Err(e) => self.errs.push(name, e),
        }
    }

    /// The products by slug (the first of a slug kept), or the bad files (the first
    /// [`crate::inventory::MAX_REPORTED_ERRORS`] named, the rest counted).
    pub fn finish(mut self) -> std::result::Result<Vec<Product>, FieldErrors> {
        if self.products.is_empty() && self.errs.is_empty() {
            self.errs.push("files", "hold no product (.md) files");
        }
        self.errs
            .capped(crate::inventory::MAX_REPORTED_ERRORS, "files")
            .into_result()?;
        self.products.sort_by(|a, b| a.slug.cmp(&b.slug));
        self.products.dedup_by(|a, b| a.slug == b.slug);
        Ok(self.products)
    }
}

/// Reads endoflife.date product files (`name.md` and its text), as a directory holds them;
/// every bad file is named, and any bad file refuses the lot.
pub fn parse_eol_files(
    files: &[(String, String)],
) -> std::result::Result<Vec<Product>, FieldErrors> {
    let mut reader = EolReader::default();
    for (name, text) in files {
        reader.add(name, text);
    }
    reader.finish()
}

/// Reads the product files anywhere in a ZIP archive as it unpacks them, one at a time: no more
/// than one file's text is held, and each is at most [`MAX_PRODUCT_FILE_BYTES`]. Errors as
/// [`parse_eol_files`].
pub fn parse_eol_zip(data: &[u8]) -> std::result::Result<Vec<Product>, FieldErrors> {
    let mut reader = EolReader::default();
    crate::files::each_zip_file(data, ".md", MAX_PRODUCT_FILE_BYTES, |name, bytes| {
        match std::str::from_utf8(&bytes) {
            Ok(text) => reader.add(&name, text),
            Err(_) => reader.errs.push(name, "is not UTF-8 text"),
        }
        Ok(())
    })?;
    reader.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_domain::eol::Catalogue;
    use palisade_domain::inventory::{Component, ComponentInput};
    use time::Date;

    const PRODUCT: &str =
        "---\ntitle: Python\nreleases:\n  - releaseCycle: \"2.7\"\n    eol: 2020-01-01\n---\n";

    const WINDOWS: &str = "---\ntitle: Microsoft Windows\ncategory: os\nidentifiers:\n  - cpe: cpe:2.3:o:microsoft:windows\n  - cpe: cpe:/o:microsoft:windows\nreleases:\n  - releaseCycle: \"11-24h2-e-lts\"\n    releaseLabel: \"11 24H2 (E)\"\n    latestReleaseDate: 2026-11-10\n    eol: 2029-10-09\n    latest: 10.0.26100\n  - releaseCycle: \"11-24h2-w\"\n    releaseLabel: \"11 24H2 (W)\"\n    eol: 2026-10-13\n    latest: 10.0.26100\n  - releaseCycle: \"7-sp1\"\n    releaseLabel: \"7 SP1\"\n    eol: 2020-01-14\n    eoes: 2023-01-10\n    latest: 6.1.7601\n  - releaseCycle: \"5-sp3\"\n    releaseLabel: \"XP SP3\"\n    eol: true\n---\n\n> Text.\n";

    #[test]
    fn an_archive_is_read_a_file_at_a_time_each_bounded() {
        use crate::files::tests::zip_of;
        let good = zip_of(&[
            ("products/python.md", PRODUCT.as_bytes()),
            ("README.txt", b"x"),
        ]);
        assert_eq!(parse_eol_zip(&good).unwrap()[0].slug, "python");
        let padded = format!("{PRODUCT}{}", "x".repeat(MAX_PRODUCT_FILE_BYTES as usize));
        let big = zip_of(&[
            ("python.md", PRODUCT.as_bytes()),
            ("huge.md", padded.as_bytes()),
        ]);
        let e = parse_eol_zip(&big).unwrap_err();
        assert_eq!(e.0[0].field, "huge.md");
        assert!(e.0[0].message.contains("the most one file may hold"), "{e}");
        let e = parse_eol_zip(&zip_of(&[("latin.md", b"---\ntitle: caf\xe9\n---\n")])).unwrap_err();
        assert_eq!(
            (e.0[0].field.as_str(), e.0[0].message.as_str()),
            ("latin.md", "is not UTF-8 text")
        );
    }

    #[test]
    fn a_flood_of_bad_files_is_answered_briefly() {
        let files: Vec<(String, String)> = (0..150)
            .map(|i| (format!("p{i}.md"), "no front matter".to_string()))
            .collect();
        let e = parse_eol_files(&files).unwrap_err();
        assert_eq!(e.0.len(), crate::inventory::MAX_REPORTED_ERRORS + 1);
        assert_eq!(
            e.0.last().unwrap().message,
            "150 files in all have errors; the first 100 are listed"
        );
    }

    const PYTHON: &str = "---\ntitle: Python\nidentifiers:\n  - purl: pkg:generic/python\n  - cpe: cpe:2.3:a:python:python\nreleases:\n  - releaseCycle: \"3.11\"\n    eol: 2027-10-31\n  - releaseCycle: \"3.1\"\n    eol: 2012-04-09\n  - releaseCycle: \"2.7\"\n    eol: 2020-01-01\n    eoes: false\n---\n";

    fn catalogue() -> Catalogue {
        Catalogue::new(vec![
            parse_product("windows", WINDOWS).unwrap(),
            parse_product("python", PYTHON).unwrap(),
        ])
    }

    fn component(vendor: &str, product: &str, version: &str, cpe: &str) -> Component {
        ComponentInput {
            asset: "PC-1".into(),
            asset_type: "workstation".into(),
            vendor: vendor.into(),
            product: product.into(),
            version: version.into(),
            cpe: cpe.into(),
            purl: String::new(),
            internet_facing: String::new(),
            location: String::new(),
        }
        .validate("")
        .unwrap()
    }

    fn day(s: &str) -> Date {
        parse_date("d", s).unwrap()
    }

    #[test]
    fn a_product_file_reads_its_cycles_and_identifiers() {
        let w = parse_product("windows", WINDOWS).unwrap();
        assert_eq!(w.title, "Microsoft Windows");
        assert_eq!(w.identifiers.len(), 2);
        assert_eq!(w.cycles.len(), 4);
        assert_eq!(w.cycles[2].eol, Support::Until(day("2020-01-14")));
        assert_eq!(w.cycles[2].eoes, Some(Support::Until(day("2023-01-10"))));
        assert_eq!(w.cycles[3].eol, Support::Ended);
        assert_eq!(w.newest_date(), Some(day("2026-11-10")));
        let bad = WINDOWS.replace("eol: 2020-01-14", "eol: soon");
        let err = parse_product("windows", &bad).unwrap_err();
        assert!(err.starts_with("releases[2].eol:"), "{err}");
        assert!(parse_product("x", "no front matter").is_err());
    }

    #[test]
    fn cycles_are_found_by_prefix_by_start_and_by_latest_version() {
        let c = catalogue();
        let on = day("2026-11-25");
        let life = |v: &str, p: &str, cpe: &str| {
            c.lifecycle_of(&component("Microsoft", p, v, cpe))
                .map(|l| (l.cycle.cycle.clone(), l.ambiguous, l.eol.ended_on(on)))
        };
        assert_eq!(
            life("7 SP1", "Windows", ""),
            Some(("7-sp1".into(), false, true))
        );
        assert_eq!(
            life("7", "Windows", ""),
            Some(("7-sp1".into(), false, true))
        );
        assert_eq!(
            life("6.1.7601", "Windows", ""),
            Some(("7-sp1".into(), false, true))
        );
        assert_eq!(
            life("XP", "Windows", ""),
            Some(("5-sp3".into(), false, true))
        );
        // 11 24H2 fits two cycles, one still supported: not unsupported.
        assert_eq!(
            life("11 24H2", "Windows", ""),
            Some(("11-24h2-e-lts".into(), true, false))
        );
        // By CPE identity, whatever the product is called.
        assert_eq!(
            life(
                "7",
                "Desktop OS",
                "cpe:2.3:o:microsoft:windows:7:*:*:*:*:*:*:*"
            ),
            Some(("7-sp1".into(), false, true))
        );
        assert_eq!(life("95", "Windows", ""), None);
        assert_eq!(life("7", "Office", ""), None);
        let py = |v: &str| {
            c.lifecycle_of(&component("Python Software Foundation", "Python", v, ""))
                .map(|l| l.cycle.cycle.clone())
        };
        // 3.11.4 is 3.11, not 3.1; 3.1.2 is 3.1.
        assert_eq!(py("3.11.4").as_deref(), Some("3.11"));
        assert_eq!(py("3.1.2").as_deref(), Some("3.1"));
        assert_eq!(py("2.7.18").as_deref(), Some("2.7"));
        assert_eq!(py("4.0"), None);
    }

    #[test]
    fn every_bad_file_is_named_and_refuses_the_lot() {
        let files = vec![
            ("python.md".to_string(), PRODUCT.to_string()),
            ("broken.md".to_string(), "no front matter".to_string()),
            (
                "dates.md".to_string(),
                PRODUCT.replace("2020-01-01", "someday"),
            ),
        ];
        let errs = parse_eol_files(&files).unwrap_err();
        let names: Vec<_> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["broken.md", "dates.md"]);
        assert!(errs.0[1].message.contains("releases[0].eol"), "{errs:?}");
        assert_eq!(parse_eol_files(&files[..1]).unwrap()[0].slug, "python");
        assert_eq!(parse_eol_files(&[]).unwrap_err().0[0].field, "files");
    }
}
