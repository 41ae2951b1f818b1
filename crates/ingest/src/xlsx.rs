//! Spreadsheet workbooks (.xlsx, and what calamine also reads: .xlsm, .xlsb, .xls, .ods).
//!
//! A whole sheet is loaded (calamine does not stream); cells are turned into the text a
//! user sees: strings as they are, integers without `.0`, dates as `YYYY-MM-DD`
//! (`YYYY-MM-DD HH:MM:SS` when the cell has a time of day), formulas as their cached
//! values, error values (`#N/A`…) as empty cells.

use std::io::Cursor;

use calamine::{Data, Range, Reader};

use crate::IngestError;

/// A loaded sheet.
pub(crate) struct Sheet {
    pub range: Range<Data>,
    /// All sheet names of the workbook, in order.
    pub sheet_names: Vec<String>,
}

/// Open a workbook held in memory and load one sheet (`sheet`, or the first).
pub(crate) fn load(bytes: &[u8], sheet: Option<&str>) -> Result<Sheet, IngestError> {
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        IngestError::Xlsx(format!(
            "the file could not be opened as a spreadsheet ({e}); is it an Excel workbook?"
        ))
    })?;
    let sheet_names = workbook.sheet_names();
    let name = match sheet.map(str::trim).filter(|s| !s.is_empty()) {
        Some(wanted) => sheet_names
            .iter()
            .find(|n| n.as_str() == wanted)
            .or_else(|| {
                sheet_names
                    .iter()
                    .find(|n| n.trim().eq_ignore_ascii_case(wanted))
            })
            .cloned()
            .ok_or_else(|| {
                IngestError::Xlsx(format!(
                    "the workbook has no sheet named \"{wanted}\" (sheets: {})",
                    sheet_names.join(", ")
                ))
            })?,
        None => sheet_names
            .first()
            .cloned()
            .ok_or_else(|| IngestError::Xlsx("the workbook has no sheets".to_owned()))?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| IngestError::Xlsx(format!("sheet \"{name}\" could not be read: {e}")))?;
    Ok(Sheet { range, sheet_names })
}

/// The text of a cell.
pub(crate) fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => format_number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) => {
            if dt.is_duration() {
                let total = (dt.as_f64() * 86_400.0).round() as i64;
                let sign = if total < 0 { "-" } else { "" };
                let total = total.abs();
                format!(
                    "{sign}{}:{:02}:{:02}",
                    total / 3600,
                    total / 60 % 60,
                    total % 60
                )
            } else {
                let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
                let value = dt.as_f64();
                if (0.0..1.0).contains(&value) {
                    // A time of day only.
                    format!("{h:02}:{mi:02}:{s:02}")
                } else if h == 0 && mi == 0 && s == 0 && ms == 0 {
                    format!("{y:04}-{mo:02}-{d:02}")
                } else {
                    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
                }
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    }
}

/// Integers without a fractional part print without `.0`; others in the shortest form.
fn format_number(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn numbers() {
        assert_eq!(cell_text(&Data::Float(312345678.0)), "312345678");
        assert_eq!(cell_text(&Data::Float(-3.0)), "-3");
        assert_eq!(cell_text(&Data::Float(0.1)), "0.1");
        assert_eq!(cell_text(&Data::Float(1.5e20)), "150000000000000000000");
        assert_eq!(cell_text(&Data::Int(42)), "42");
        assert_eq!(cell_text(&Data::Bool(true)), "TRUE");
        assert_eq!(cell_text(&Data::Empty), "");
        assert_eq!(cell_text(&Data::Error(calamine::CellErrorType::NA)), "");
    }

    #[test]
    fn dates() {
        let d = ExcelDateTime::new(46011.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(d)), "2025-12-20");
        let d = ExcelDateTime::new(46011.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(d)), "2025-12-20 12:00:00");
        let d = ExcelDateTime::new(0.75, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(d)), "18:00:00");
        let d = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(cell_text(&Data::DateTime(d)), "36:00:00");
        // 1904 date system (old Mac workbooks).
        let d = ExcelDateTime::new(44549.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(cell_text(&Data::DateTime(d)), "2025-12-20");
    }

    #[test]
    fn not_a_workbook() {
        let err = load(b"PK\x03\x04garbage", None).err().unwrap();
        assert!(matches!(err, IngestError::Xlsx(_)), "{err:?}");
    }
}
