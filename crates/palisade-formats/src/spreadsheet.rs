//! Spreadsheets for people: the statuses register as an Excel workbook, and cells made safe
//! for any spreadsheet that opens a CSV.

use palisade_domain::assessment::{PublicStatus, year_label};
use palisade_domain::clock::{from_unix, rfc3339};

/// How a cell a spreadsheet would run as a formula starts.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Text a spreadsheet would run as a formula (starting with one of [`FORMULA_STARTS`]) gets a
/// leading apostrophe.
pub fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// The statuses register as an Excel workbook: one sheet, a header row, one row per organisation.
pub fn statuses_xlsx(rows: &[PublicStatus], year: i32) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| format!("workbook: {e}");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name(format!("Statuses {}", year_label(year)))
        .map_err(err)?;
    let bold = Format::new().set_bold();
    for (c, h) in [
        "Code",
        "Name",
        "Type",
        "Status",
        "Status (label)",
        "Published",
    ]
    .iter()
    .enumerate()
    {
        sheet
            .write_with_format(0, c as u16, *h, &bold)
            .map_err(err)?;
    }
    for (i, p) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write(r, 0, &p.code).map_err(err)?;
        sheet.write(r, 1, &p.name).map_err(err)?;
        sheet.write(r, 2, p.org_type.label()).map_err(err)?;
        sheet.write(r, 3, p.status.as_str()).map_err(err)?;
        sheet.write(r, 4, p.status.label()).map_err(err)?;
        let published = p
            .published_at
            .map(|t| rfc3339(from_unix(t)))
            .unwrap_or_default();
        sheet.write(r, 5, published).map_err(err)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(err)?;
    sheet.autofilter(0, 0, rows.len() as u32, 5).map_err(err)?;
    for (c, w) in [10.0, 48.0, 24.0, 24.0, 36.0, 22.0].iter().enumerate() {
        sheet.set_column_width(c as u16, *w).map_err(err)?;
    }
    book.save_to_buffer().map_err(err)
}
