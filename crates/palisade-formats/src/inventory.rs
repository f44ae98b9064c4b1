//! Inventory files: the CSV format (`INVENTORY_CSV_HEADER`), each line checked as a component,
//! and the upload's format from its media type.

use palisade_domain::FieldErrors;
use palisade_domain::inventory::{
    Component, ComponentInput, INVENTORY_CSV_HEADER, INVENTORY_CSV_LOCATION, InventoryFormat,
};

/// The largest inventory file accepted: a million CSV lines of typical width fit well inside it.
pub const MAX_INVENTORY_BYTES: usize = 256 * 1024 * 1024;

/// How many bad lines are reported one by one; the rest are counted.
pub const MAX_REPORTED_ERRORS: usize = 100;

/// Why an inventory of more than `max` components is refused.
pub fn too_many_components(max: usize) -> String {
    format!(
        "holds more than {max} components, the most one organisation's inventory may hold \
         (max_components_per_organisation)"
    )
}

/// The format of an uploaded inventory from its media type: `text/csv`,
/// `application/vnd.cyclonedx+json`, `application/spdx+json`, or `application/json` with the
/// document's own markers deciding. `None` for anything else.
pub fn format_of(media: &str, data: &[u8]) -> Option<InventoryFormat> {
    let media = media.split(';').next().unwrap_or_default().trim();
    match media {
        "text/csv" => Some(InventoryFormat::Csv),
        "application/vnd.cyclonedx+json" => Some(InventoryFormat::Cyclonedx),
        "application/spdx+json" => Some(InventoryFormat::Spdx),
        "application/json" => crate::sbom::detect_json(data),
        _ => None,
    }
}

/// One checked inventory line.
#[derive(Debug, Clone)]
pub struct InventoryRow {
    pub line: usize,
    pub component: Component,
}

/// Parses and checks an inventory CSV (`INVENTORY_CSV_HEADER`, optionally followed by
/// `location`) of at most `max_components` lines. Every bad line is reported with its number
/// and field, up to [`MAX_REPORTED_ERRORS`]; a file with any bad line gives no rows. Lines past
/// the limit are read but never held.
pub fn parse_inventory_csv(
    data: &[u8],
    max_components: usize,
) -> std::result::Result<Vec<InventoryRow>, FieldErrors> {
    let mut errs = FieldErrors::default();
    if data.len() > MAX_INVENTORY_BYTES {
        errs.push(
            "file",
            format!("is larger than {} MB", MAX_INVENTORY_BYTES / (1024 * 1024)),
        );
        return Err(errs);
    }
    let with_location: Vec<&str> = INVENTORY_CSV_HEADER
        .iter()
        .copied()
        .chain([INVENTORY_CSV_LOCATION])
        .collect();
    let mut rows = Vec::new();
    let mut checker = Checker::default();
    let mut beyond = false;
    let read = crate::csv_file::read_records(
        data,
        &[&INVENTORY_CSV_HEADER, &with_location],
        &mut errs,
        |line, _, rec, errs| {
            if rows.len() + checker.bad >= max_components {
                beyond = true;
                return;
            }
            let input = ComponentInput {
                asset: rec[0].to_string(),
                asset_type: rec[1].to_string(),
                vendor: rec[2].to_string(),
                product: rec[3].to_string(),
                version: rec[4].to_string(),
                cpe: rec[5].to_string(),
                purl: rec[6].to_string(),
                internet_facing: rec[7].to_string(),
                location: rec.get(8).unwrap_or_default().to_string(),
            };
            if let Some(component) = checker.check(errs, &format!("line {line}: "), &input) {
                rows.push(InventoryRow { line, component });
            }
        },
    );
    if !read {
        return Err(errs);
    }
    if beyond {
        errs.push("file", too_many_components(max_components));
    }
    checker.finish(
        &mut errs,
        "lines",
        rows.is_empty(),
        "has no components after the header",
    );
    errs.into_result().map(|()| rows)
}

/// Counts an upload's bad entries (CSV lines, SBOM components) and keeps the errors of the first
/// [`MAX_REPORTED_ERRORS`].
#[derive(Default)]
pub struct Checker {
    bad: usize,
    unreported: usize,
}

impl Checker {
    /// The checked component, or `None` with its errors kept in `errs` while there is room.
    pub fn check(
        &mut self,
        errs: &mut FieldErrors,
        prefix: &str,
        input: &ComponentInput,
    ) -> Option<Component> {
        match input.validate(prefix) {
            Ok(c) => Some(c),
            Err(e) => {
                self.bad += 1;
                if errs.0.len() < MAX_REPORTED_ERRORS {
                    errs.0.extend(e.0);
                } else {
                    self.unreported += 1;
                }
                None
            }
        }
    }

    /// Counts the entries not listed one by one, or says the upload held nothing.
    pub fn finish(&self, errs: &mut FieldErrors, noun: &str, empty: bool, empty_message: &str) {
        if self.unreported > 0 {
            errs.push(
                "file",
                format!(
                    "{} {noun} in all have errors; the first {} are listed",
                    self.bad,
                    self.bad - self.unreported
                ),
            );
        }
        if empty && errs.is_empty() {
            errs.push("file", empty_message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_domain::inventory::AssetType;

    const HEADER: &str = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";

    #[test]
    fn a_good_file_parses_with_or_without_location() {
        let csv = format!(
            "\u{feff}{HEADER}\nPC-1,workstation,Microsoft,Windows 7,6.1.7601,,,no\n\n\
             app-1,library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1,yes\n"
        );
        let rows = parse_inventory_csv(csv.as_bytes(), 1000).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].line, 4, "blank lines count");
        assert_eq!(rows[1].component.version.as_deref(), Some("2.14.1"));
        assert!(rows[1].component.internet_facing);
        let csv = format!(
            "{HEADER},location\nPC-1,Workstation,Microsoft,Windows 10,10.0.19045,,,,Ward 7\n"
        );
        let rows = parse_inventory_csv(csv.as_bytes(), 1000).unwrap();
        assert_eq!(rows[0].component.location.as_deref(), Some("Ward 7"));
        assert_eq!(rows[0].component.asset_type, AssetType::Workstation);
    }

    #[test]
    fn bad_lines_are_named_and_nothing_is_returned() {
        let csv = format!(
            "{HEADER}\nPC-1,workstation,Microsoft,Windows 7,6.1.7601,,,no\n\
             PC-2,toaster,Microsoft,Windows 7,6.1,,,no\n\
             PC-3,workstation,,,,,pkg:alpm/arch/pacman@6.0,no\n\
             PC-4,workstation,Microsoft\n\
             lib,library,,,1.0,,pkg:npm/left-pad@2.0.0,no\n"
        );
        let e = parse_inventory_csv(csv.as_bytes(), 1000).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "line 3: asset_type",
                "line 4: purl",
                "line 5",
                "line 6: version"
            ]
        );
        assert!(e.0[2].message.contains("has 3 fields; expected 8"), "{e}");
    }

    #[test]
    fn the_header_is_checked_and_errors_are_capped() {
        let e = parse_inventory_csv(b"asset,type\nx,y\n", 1000).unwrap_err();
        assert_eq!(e.0[0].field, "line 1");
        assert!(e.0[0].message.contains(HEADER), "{e}");
        let mut csv = format!("{HEADER}\n");
        for i in 0..250 {
            csv.push_str(&format!("PC-{i},toaster,Microsoft,Windows 7,6.1,,,no\n"));
        }
        let e = parse_inventory_csv(csv.as_bytes(), 1000).unwrap_err();
        assert_eq!(e.0.len(), MAX_REPORTED_ERRORS + 1);
        assert_eq!(
            e.0[MAX_REPORTED_ERRORS].message,
            "250 lines in all have errors; the first 100 are listed"
        );
        // At the edge: 100 bad lines are all listed with no summary; the 101st is counted.
        for (bad, listed, summary) in [(100, 100, false), (101, 100, true)] {
            let mut csv = format!("{HEADER}\n");
            for i in 0..bad {
                csv.push_str(&format!("PC-{i},toaster,Microsoft,Windows 7,6.1,,,no\n"));
            }
            let e = parse_inventory_csv(csv.as_bytes(), 1000).unwrap_err();
            assert_eq!(e.0.len(), listed + usize::from(summary), "{bad}");
            assert_eq!(
                e.0.last().unwrap().field == "file",
                summary,
                "{bad}: {}",
                e.0.last().unwrap()
            );
        }
        let e = parse_inventory_csv(format!("{HEADER}\n\n").as_bytes(), 1000).unwrap_err();
        assert_eq!(e.0[0].message, "has no components after the header");
    }

    #[test]
    fn an_inventory_beyond_the_limit_is_refused_without_being_held() {
        let mut csv = format!("{HEADER}\n");
        for i in 0..3 {
            csv.push_str(&format!(
                "PC-{i},workstation,Microsoft,Windows 7,6.1,,,no\n"
            ));
        }
        assert_eq!(parse_inventory_csv(csv.as_bytes(), 3).unwrap().len(), 3);
        let e = parse_inventory_csv(csv.as_bytes(), 2).unwrap_err();
        assert_eq!(e.0.len(), 1, "{e}");
        assert_eq!(e.0[0].field, "file");
        assert_eq!(e.0[0].message, too_many_components(2));
    }
}
