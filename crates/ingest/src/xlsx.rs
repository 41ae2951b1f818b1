//! Spreadsheet workbooks (.xlsx, and what calamine also reads: .xlsm, .xlsb, .xls, .ods).
//!
//! An .xlsx (or .xlsm) sheet is streamed: a thread reads its cells in file order and hands
//! rows over a batch at a time ([`SheetRows`]), so the sheet is never in memory whole; only
//! the workbook's table of shared strings and its styles are. The other formats are loaded
//! a whole sheet at a time ([`load`]). Cells are turned into the text a user sees: strings
//! as they are, integers without `.0`, dates as `YYYY-MM-DD` (`YYYY-MM-DD HH:MM:SS` when the
//! cell has a time of day), formulas as their cached values, error values (`#N/A`…) as
//! empty cells.

use std::io::{Cursor, Read, Seek};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use calamine::{Data, Range, Reader, Xlsx};

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
    let name = choose_sheet(&sheet_names, sheet)?;
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| sheet_error(&name, None, &e))?;
    Ok(Sheet { range, sheet_names })
}

/// The sheet named `wanted` (exactly, or ignoring case and spaces around it), or the first.
fn choose_sheet(sheet_names: &[String], wanted: Option<&str>) -> Result<String, IngestError> {
    match wanted.map(str::trim).filter(|s| !s.is_empty()) {
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
            }),
        None => sheet_names
            .first()
            .cloned()
            .ok_or_else(|| IngestError::Xlsx("the workbook has no sheets".to_owned())),
    }
}

fn sheet_error(sheet: &str, after_row: Option<usize>, e: &dyn std::fmt::Display) -> IngestError {
    IngestError::Xlsx(match after_row {
        Some(row) if row > 0 => format!("sheet \"{sheet}\" could not be read after row {row}: {e}"),
        _ => format!("sheet \"{sheet}\" could not be read: {e}"),
    })
}

// ---------------------------------------------------------------------------------------
// Streaming an .xlsx sheet

/// Rows sent from the reading thread at a time.
const BATCH_ROWS: usize = 512;
/// Batches read ahead of the rows taken.
const BATCHES_AHEAD: usize = 2;

/// A row of a streamed sheet: its Excel row number and its non-empty cells as (sheet
/// column, text), in column order.
pub(crate) type SheetRow = (usize, Vec<(usize, String)>);

/// Anything a workbook can be read from.
pub(crate) trait WorkbookSource: Read + Seek + Send + 'static {}
impl<T: Read + Seek + Send + 'static> WorkbookSource for T {}

/// The sheet an .xlsx (or .xlsm) workbook's rows are read from.
#[derive(Debug, Clone)]
pub(crate) struct Streamed {
    pub sheet: String,
    pub sheet_names: Vec<String>,
    /// The first column of the `<dimension>` the sheet declares, when it declares one.
    pub declared_first_column: Option<usize>,
    /// The last row (Excel's number) of that dimension.
    pub declared_last_row: Option<usize>,
}

enum Message {
    /// First: the chosen sheet, or `None` when the file is not an .xlsx workbook (.xls,
    /// .xlsb, .ods: [`load`] reads those).
    Opened(Option<Streamed>),
    Rows(Vec<SheetRow>),
    Failed(IngestError),
    End,
}

/// The non-empty rows of an .xlsx sheet, read on a thread of their own a batch at a time.
/// Dropping the iterator stops the thread at its next batch.
pub(crate) struct SheetRows {
    rx: Receiver<Message>,
    batch: std::vec::IntoIter<SheetRow>,
    done: bool,
}

impl SheetRows {
    /// Reads the sheet named `sheet` (or the first) of the workbook `open` opens, from the
    /// start.
    pub(crate) fn start(
        open: impl FnOnce() -> Result<Box<dyn WorkbookSource>, IngestError> + Send + 'static,
        sheet: Option<String>,
    ) -> SheetRows {
        let (tx, rx) = sync_channel(BATCHES_AHEAD);
        let thread_tx = tx.clone();
        let spawned = std::thread::Builder::new()
            .name("ondo-xlsx".to_owned())
            .spawn(move || {
                if let Err(e) = send_rows(open, sheet.as_deref(), &thread_tx) {
                    // Nobody listens when the rows are no longer wanted.
                    let _ = thread_tx.send(Message::Failed(e));
                }
            });
        if let Err(e) = spawned {
            let _ = tx.try_send(Message::Failed(IngestError::Io(e)));
        }
        SheetRows {
            rx,
            batch: Vec::new().into_iter(),
            done: false,
        }
    }

    /// The sheet being read (`None`: not an .xlsx workbook). Call first.
    pub(crate) fn opened(&mut self) -> Result<Option<Streamed>, IngestError> {
        match self.rx.recv() {
            Ok(Message::Opened(sheet)) => Ok(sheet),
            Ok(Message::Failed(e)) => Err(e),
            _ => Err(stopped()),
        }
    }
}

fn stopped() -> IngestError {
    IngestError::Xlsx("the spreadsheet reader stopped before the end of the sheet".to_owned())
}

impl Iterator for SheetRows {
    type Item = Result<SheetRow, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.batch.next() {
                return Some(Ok(row));
            }
            if self.done {
                return None;
            }
            match self.rx.recv() {
                Ok(Message::Opened(_)) => {}
                Ok(Message::Rows(batch)) => self.batch = batch.into_iter(),
                Ok(Message::End) => self.done = true,
                Ok(Message::Failed(e)) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Err(_) => {
                    self.done = true;
                    return Some(Err(stopped()));
                }
            }
        }
    }
}

/// Opens the workbook, says which sheet it reads, sends the sheet's non-empty rows and
/// then `End`. Stops quietly when the receiver is gone.
fn send_rows(
    open: impl FnOnce() -> Result<Box<dyn WorkbookSource>, IngestError>,
    wanted: Option<&str>,
    tx: &SyncSender<Message>,
) -> Result<(), IngestError> {
    let Ok(mut workbook) = Xlsx::new(open()?) else {
        let _ = tx.send(Message::Opened(None));
        return Ok(());
    };
    let sheet_names = workbook.sheet_names();
    let sheet = choose_sheet(&sheet_names, wanted)?;
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| sheet_error(&sheet, None, &e))?;
    let dim = cells.dimensions();
    let opened = Streamed {
        sheet: sheet.clone(),
        sheet_names,
        declared_first_column: (dim.len() > 0).then_some(dim.start.1 as usize),
        declared_last_row: (dim.len() > 0).then_some(dim.end.0 as usize + 1),
    };
    if tx.send(Message::Opened(Some(opened))).is_err() {
        return Ok(());
    }
    let mut batch: Vec<SheetRow> = Vec::with_capacity(BATCH_ROWS);
    let mut current: Option<SheetRow> = None;
    let mut last_row = 0;
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(e) => return Err(sheet_error(&sheet, Some(last_row), &e)),
        };
        let (r, c) = cell.get_position();
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        let (row, col) = (r as usize + 1, c as usize);
        if let Some((n, cells)) = &mut current
            && *n == row
        {
            cells.push((col, text));
            continue;
        }
        if let Some(mut done) = current.replace((row, vec![(col, text)])) {
            done.1.sort_by_key(|(c, _)| *c);
            last_row = done.0;
            batch.push(done);
            if batch.len() == BATCH_ROWS {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
                if tx.send(Message::Rows(full)).is_err() {
                    return Ok(());
                }
            }
        }
    }
    if let Some(mut done) = current {
        done.1.sort_by_key(|(c, _)| *c);
        batch.push(done);
    }
    if !batch.is_empty() && tx.send(Message::Rows(batch)).is_err() {
        return Ok(());
    }
    let _ = tx.send(Message::End);
    Ok(())
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
