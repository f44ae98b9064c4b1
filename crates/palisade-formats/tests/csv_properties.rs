//! Properties of the register CSV parser: it never panics, and what it accepts it reports in
//! file order with correct line numbers.

use palisade_formats::register::parse_org_csv;
use proptest::prelude::*;

const HEADER: &str = "code,name,type,category,region,parent_code";

fn row() -> impl Strategy<Value = (String, String, &'static str)> {
    (
        "[A-Z][0-9]{5}",
        "[A-Za-z][A-Za-z ,'&-]{1,38}[A-Za-z]",
        prop_oneof![
            Just("gp_practice"),
            Just("pharmacy"),
            Just("dentist"),
            Just("acute_trust")
        ],
    )
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever bytes arrive, the parser answers with rows or with errors: it never panics.
    #[test]
    fn any_bytes_are_answered(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_org_csv(&data, |_| {});
    }

    /// Anything after a good header is answered too, and every error names a line.
    #[test]
    fn errors_name_a_line(body in "\\PC{0,300}") {
        if let Err(errs) = parse_org_csv(format!("{HEADER}\n{body}").as_bytes(), |_| {}) {
            prop_assert!(errs.0.iter().all(|e| e.field.starts_with("line ") || e.field == "file"));
        }
    }

    /// Well-formed rows (names quoted, blank lines anywhere) parse in order, with the line
    /// numbers they have in the file.
    #[test]
    fn good_rows_keep_order_and_line_numbers(
        rows in proptest::collection::vec(row(), 1..30),
        blanks in proptest::collection::vec(any::<bool>(), 30),
    ) {
        let mut seen = std::collections::HashSet::new();
        let rows: Vec<_> = rows.into_iter().filter(|(c, _, _)| seen.insert(c.clone())).collect();
        let mut text = format!("{HEADER}\n");
        let mut expected_lines = Vec::new();
        let mut line = 1;
        for (i, (code, name, t)) in rows.iter().enumerate() {
            if blanks[i] {
                text.push('\n');
                line += 1;
            }
            line += 1;
            text.push_str(&format!("{code},\"{}\",{t},,London,\n", name.trim()));
            expected_lines.push(line);
        }
        let parsed = parse_org_csv(text.as_bytes(), |_| {}).unwrap();
        let codes: Vec<&str> = parsed.iter().map(|r| r.fields.code.as_str()).collect();
        let want: Vec<&str> = rows.iter().map(|(c, _, _)| c.as_str()).collect();
        prop_assert_eq!(codes, want);
        prop_assert_eq!(parsed.iter().map(|r| r.line).collect::<Vec<_>>(), expected_lines);
    }
}
