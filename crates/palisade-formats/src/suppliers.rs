//! An organisation's supplier file as CSV (`LINK_CSV_HEADER`): one line per product version or
//! service it uses, every line checked, every bad line reported with its number.

use palisade_domain::FieldErrors;
use palisade_domain::supplier::{LINK_CSV_HEADER, LinkFields, LinkInput};
use std::collections::HashMap;
use time::Date;

/// Largest supplier file accepted: an organisation uses tens of products, not millions.
pub const MAX_LINK_BYTES: usize = 1024 * 1024;

/// Most lines one file may hold.
pub const MAX_LINKS: usize = 5_000;

/// The file's lines as checked, each with its line number; a line naming the same product
/// version or service as an earlier one is refused.
pub fn parse_link_csv(data: &[u8], today: Date) -> Result<Vec<(usize, LinkFields)>, FieldErrors> {
    let mut errs = FieldErrors::default();
    if data.len() > MAX_LINK_BYTES {
        errs.push(
            "file",
            format!("is larger than {} KB", MAX_LINK_BYTES / 1024),
        );
        return Err(errs);
    }
    let mut rows = Vec::new();
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    let read = crate::csv_file::read_records(
        data,
        &[&LINK_CSV_HEADER],
        &mut errs,
        |line, _, rec, errs| {
            let cell = |i: usize| crate::csv_out::unsafe_cell(&rec[i]).to_string();
            let input = LinkInput {
                supplier_code: cell(0),
                product: cell(1),
                version: cell(2),
                service: cell(3),
                contract_end: cell(4),
            };
            match input.validate(&format!("line {line}: "), today) {
                Ok(fields) => {
                    let key = (
                        fields.supplier_code.as_str().to_string(),
                        fields.offering.to_lowercase(),
                        fields.version.clone(),
                    );
                    if let Some(first) = seen.insert(key, line) {
                        errs.push(
                            format!("line {line}: {}", fields.kind.as_str()),
                            format!("'{}' is listed also on line {first}", fields.offering),
                        );
                    } else if rows.len() == MAX_LINKS {
                        errs.push("file", format!("holds more than {MAX_LINKS} lines"));
                    } else {
                        rows.push((line, fields));
                    }
                }
                Err(e) => errs.0.extend(e.0),
            }
        },
    );
    if !read || !errs.is_empty() {
        return Err(errs.capped(50, "lines"));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 04);

    #[test]
    fn a_good_file_reads_line_by_line() {
        let csv = "supplier_code,product,version,service,contract_end\n\
                   8J000,CareRecord,4.2,,2027-03-31\n\n\
                   8j000,,,Hosted CareRecord,\n";
        let rows = parse_link_csv(csv.as_bytes(), TODAY).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].0, rows[1].0), (2, 4));
        assert_eq!(rows[1].1.supplier_code.as_str(), "8J000");
    }

    #[test]
    fn bad_lines_are_named_and_nothing_is_returned() {
        let csv = "supplier_code,product,version,service,contract_end\n\
                   8J000,CareRecord,4.2,,\n\
                   8J000,carerecord,4.2,,\n\
                   8J000,CareRecord,,,\n\
                   8J000,CareRecord,4.2,Hosting,2020-01-01\n";
        let e = parse_link_csv(csv.as_bytes(), TODAY).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "line 3: product",
                "line 4: version",
                "line 5: service",
                "line 5: contract_end"
            ]
        );
        let e = parse_link_csv(b"code,product\nX,Y\n", TODAY).unwrap_err();
        assert_eq!(e.0[0].field, "line 1");
    }
}
