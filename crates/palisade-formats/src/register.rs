//! The national organisation register as CSV (`ORG_CSV_HEADER`): every line checked, every bad
//! line reported with its number and reason, codes unique within the file.

use palisade_domain::FieldErrors;
use palisade_domain::org::{ImportRow, ORG_CSV_HEADER, ORG_EXPORT_HEADER, OrgInput};
use std::collections::HashMap;

/// Largest register file accepted (the full register is about 5 MB).
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

/// Parses and validates a register CSV. `progress` is called with the number of rows read so far.
pub fn parse_org_csv(
    data: &[u8],
    mut progress: impl FnMut(usize),
) -> std::result::Result<Vec<ImportRow>, FieldErrors> {
    let mut errs = FieldErrors::default();
    if data.len() > MAX_IMPORT_BYTES {
        errs.push(
            "file",
            format!("is larger than {} MB", MAX_IMPORT_BYTES / (1024 * 1024)),
        );
        return Err(errs);
    }
    let mut rows = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let read = crate::csv_file::read_records(
        data,
        &[&ORG_CSV_HEADER, &ORG_EXPORT_HEADER],
        &mut errs,
        |line, _, rec, errs| {
            // An exported register marks formula-like text with an apostrophe; read it as it was.
            let cell = |i: usize| crate::csv_out::unsafe_cell(&rec[i]).to_string();
            let input = OrgInput {
                code: cell(0),
                name: cell(1),
                org_type: cell(2),
                category: cell(3),
                region: cell(4),
                parent_code: cell(5),
            };
            // Without an `active` column (or with it empty) an organisation listed is active.
            let active = match rec.get(6).map(str::to_ascii_lowercase).as_deref() {
                None | Some("" | "true" | "yes") => Some(true),
                Some("false" | "no") => Some(false),
                Some(other) => {
                    errs.push(
                        format!("line {line}: active"),
                        format!("'{other}' is not true or false"),
                    );
                    None
                }
            };
            match input.validate(&format!("line {line}: ")) {
                Ok(_) if active.is_none() => {}
                Ok(fields) => {
                    if let Some(first) = seen.insert(fields.code.as_str().to_string(), line) {
                        errs.push(
                            format!("line {line}: code"),
                            format!("'{}' appears also on line {first}", fields.code),
                        );
                    } else {
                        rows.push(ImportRow {
                            line,
                            fields,
                            active: active.unwrap_or(true),
                        });
                    }
                }
                Err(e) => errs.0.extend(e.0),
            }
            if line % 5000 == 0 {
                progress(rows.len());
            }
        },
    );
    if !read {
        return Err(errs);
    }
    progress(rows.len());
    if rows.is_empty() && errs.is_empty() {
        errs.push("file", "has no organisations after the header");
    }
    errs.into_result().map(|()| rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_with_its_active_column_reads_back() {
        let csv = "code,name,type,category,region,parent_code,active\n\
                   QWE,NHS West Yorkshire ICB,icb,1,North East and Yorkshire,,true\n\
                   B86001,Leeds Practice,gp_practice,4,North East and Yorkshire,QWE,false\n";
        let rows = parse_org_csv(csv.as_bytes(), |_| {}).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.active).collect::<Vec<_>>(),
            [true, false]
        );
        let bad = csv.replace(",false\n", ",closed\n");
        let errs = parse_org_csv(bad.as_bytes(), |_| {}).unwrap_err();
        assert_eq!(errs.0[0].field, "line 3: active", "{errs:?}");
    }

    #[test]
    fn reports_every_bad_line() {
        let csv = "code,name,type,category,region,parent_code\n\
                   RX1,Leeds Teaching Hospitals,acute_trust,1,North East and Yorkshire,\n\
                   ,No code,acute_trust,1,London,\n\
                   RX2,Bad type,hospital,1,London,\n\
                   rx1,Duplicate,acute_trust,1,London,\n\
                   RX3,Too few,acute_trust\n";
        let errs = parse_org_csv(csv.as_bytes(), |_| {}).unwrap_err();
        let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["line 3: code", "line 4: type", "line 5: code", "line 6"]
        );
        assert!(errs.0[2].message.contains("line 2"));
    }

    #[test]
    fn wrong_header_is_refused() {
        let errs = parse_org_csv(b"code,name\nRX1,x\n", |_| {}).unwrap_err();
        assert_eq!(errs.0[0].field, "line 1");
        assert!(parse_org_csv(b"code,name,type,category,region,parent_code\n", |_| {}).is_err());
    }

    #[test]
    fn good_file_parses_with_bom_and_blank_lines() {
        let csv = "\u{feff}code,name,type,category,region,parent_code\nQWE,NHS West Yorkshire ICB,icb,,North East and Yorkshire,\n\nB86001,Leeds Practice,gp_practice,4,North East and Yorkshire,QWE\n";
        let mut seen = 0;
        let rows = parse_org_csv(csv.as_bytes(), |n| seen = n).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].line, 4);
        assert_eq!(seen, 2);
    }
}
