//! Opening a file of any supported kind and streaming its rows, mapped to lead fields.
//!
//! [`SourceFile::open`] / [`SourceFile::from_bytes`] sniff the kind of file (zip or OLE
//! magic → spreadsheet, `BEGIN:VCARD` → vCard, anything else → CSV/TSV after encoding
//! detection), find the header row, recognise known layouts, map the columns and take a
//! few sample values per column. [`SourceFile::rows`] then reads the data rows one at a
//! time.
//!
//! Row numbers are what a user sees in Excel: the header of a plain CSV is row 1, its
//! first data row is row 2; blank lines count as rows (Excel shows them as empty rows),
//! while a quoted cell spanning several lines is one row. For vCard the row is the card
//! number.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use calamine::{Data, Range};
use serde::Serialize;

use crate::IngestError;
use crate::encoding::{Detected, TextStream, detect};
use crate::layout::{self, Layout, ZoomRoles};
use crate::mapping::{
    self, ColumnTarget, LeadField, count_matches, flag_value, is_tags_header, normalize_header,
    split_tags, unnamed_column,
};
use crate::vcard::{self, Cards};
use crate::xlsx;

/// The largest cell accepted, in bytes of UTF-8.
pub const MAX_CELL_BYTES: usize = 64 * 1024;

/// Header detection looks at this many non-blank rows.
const HEADER_SCAN_ROWS: usize = 10;
/// A Zoom report's attendee section is searched for in this many rows.
const ZOOM_SCAN_ROWS: usize = 10_000;
/// Samples are taken from this many data rows.
const SAMPLE_ROWS: usize = 100;
/// Samples kept per column.
const SAMPLES_PER_COLUMN: usize = 3;
/// A CSV's text is read a piece of about this many bytes at a time (each piece ends
/// between two records), so that a large file is never in memory whole.
const PIECE_BYTES: usize = 1 << 20;
/// The start of a text file that decides its kind (vCard or CSV) and its delimiter.
const HEAD_BYTES: usize = 256 * 1024;
/// A piece that reaches this size without a record ending in it (a quote that is never
/// closed) is handed out as it is: the reader then reports the open quote.
const MAX_PIECE_BYTES: usize = 64 << 20;

/// A column of the file and what it maps to.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    /// 0-based position in [`SourceFile::columns`] (the key of mapping overrides).
    pub index: usize,
    /// The header as written in the file (trimmed); empty for a column without one.
    pub header: String,
    pub target: ColumnTarget,
    /// Up to 3 non-empty values from the first data rows, for the UI.
    pub samples: Vec<String>,
}

/// Options for opening a file.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Encoding label overriding detection ("shift_jis", "cp932", "utf-8", "euc-jp"…).
    pub encoding: Option<String>,
    /// Spreadsheet sheet name; the first sheet by default.
    pub sheet: Option<String>,
    /// User-edited mapping overrides by column index.
    pub mapping: Option<Vec<(usize, ColumnTarget)>>,
}

/// One data row, mapped.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SourceRow {
    /// The row number as a user sees it in Excel (the header of a plain CSV is row 1);
    /// for vCard the 1-based card number.
    pub row: usize,
    /// Non-empty trimmed values in column order; a field may repeat (two phone columns).
    pub fields: Vec<(LeadField, String)>,
    /// Custom fields (name, non-empty trimmed value), in column order.
    pub custom: Vec<(String, String)>,
    /// Tags, without duplicates.
    pub tags: Vec<String>,
}

impl SourceRow {
    /// The first value of a field.
    pub fn get(&self, field: LeadField) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.as_str())
    }

    /// All values of a field, in column order.
    pub fn all(&self, field: LeadField) -> impl Iterator<Item = &str> {
        self.fields
            .iter()
            .filter(move |(f, _)| *f == field)
            .map(|(_, v)| v.as_str())
    }
}

/// Where the data lives.
enum Body {
    Csv {
        /// The file, decoded again each time its rows are read.
        bytes: Bytes,
        detected: Detected,
        delimiter: u8,
        /// Byte offset of the header record in the decoded text.
        header_offset: usize,
        piece_bytes: usize,
    },
    Sheet {
        range: Range<Data>,
        /// Index (in the range) of the header row.
        header_index: usize,
        /// Excel row number of the range's first row.
        first_row: usize,
    },
    /// An .xlsx sheet, read again from the file each time its rows are read.
    Xlsx {
        bytes: Bytes,
        sheet: String,
        /// Excel row number of the header.
        header_row: usize,
        /// Sheet column of the file's first column.
        first_col: usize,
    },
    VCard {
        /// The file, decoded again each time its cards are read.
        bytes: Bytes,
        detected: Detected,
        piece_bytes: usize,
    },
}

/// How cells become fields.
#[derive(Debug, Default)]
struct Plan {
    /// Emission rank per column (column order, with direct-dial phones first).
    rank: Vec<usize>,
    /// Columns whose cells are flags for a tag named by the header (Eight).
    flag_tags: Vec<bool>,
    /// Columns whose cells list tags.
    split_tags: Vec<bool>,
    zoom: Option<ZoomRoles>,
    /// Stop at the next section title (Zoom reports).
    stop_at_section: bool,
    /// Sheet column of the first column (names unnamed columns `列X`).
    letter_offset: usize,
}

/// An opened file: what was detected, and its rows.
pub struct SourceFile {
    /// The detected (or forced) text encoding, e.g. "Shift_JIS", "UTF-8"; None for
    /// spreadsheets.
    pub encoding: Option<String>,
    pub layout: Layout,
    pub columns: Vec<Column>,
    /// 1-based row of the header (0 for vCard, which has none).
    pub header_row: usize,
    /// Sheet names of a workbook (empty for other files).
    pub sheets: Vec<String>,
    /// About how many data rows an `.xlsx` sheet has (from the dimension it declares), for
    /// a progress bar before the rows are read; `None` for other files.
    pub estimated_rows: Option<usize>,
    body: Body,
    plan: Plan,
}

impl std::fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceFile")
            .field("encoding", &self.encoding)
            .field("layout", &self.layout)
            .field("header_row", &self.header_row)
            .field("sheets", &self.sheets)
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

/// A raw row: its number and (column, cell) pairs.
struct RawRow {
    row: usize,
    cells: Vec<(usize, String)>,
}

impl RawRow {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|(_, c)| c.trim().is_empty())
    }

    fn texts(&self) -> Vec<String> {
        let width = self.cells.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
        let mut out = vec![String::new(); width];
        for (i, c) in &self.cells {
            out[*i] = c.clone();
        }
        out
    }
}

/// A header candidate: the row, its position in the body and its cells.
struct Candidate {
    row: usize,
    pos: usize,
    cells: Vec<String>,
}

impl SourceFile {
    /// Open a file on disk. See [`SourceFile::from_bytes`]. A CSV file is read from disk
    /// a piece at a time, each time its rows are read, and is never in memory whole.
    pub fn open(path: &Path, opts: &OpenOptions) -> Result<SourceFile, IngestError> {
        let mut magic = Vec::with_capacity(8);
        std::fs::File::open(path)?.take(8).read_to_end(&mut magic)?;
        if is_spreadsheet(&magic) {
            return open_sheet(Bytes::File(path.to_owned()), opts);
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        open_text(&name, Bytes::File(path.to_owned()), opts, PIECE_BYTES)
    }

    /// Open an uploaded file. The kind is decided by content: zip (`PK\3\4`) or OLE
    /// magic → spreadsheet; `BEGIN:VCARD` → vCard; otherwise CSV/TSV. `name`'s extension
    /// only breaks ties (`.tsv` prefers tabs; `.vcf` accepts text before the first card).
    pub fn from_bytes(
        name: &str,
        bytes: Vec<u8>,
        opts: &OpenOptions,
    ) -> Result<SourceFile, IngestError> {
        if is_spreadsheet(&bytes) {
            return open_sheet(Bytes::Memory(Arc::new(bytes)), opts);
        }
        open_text(name, Bytes::Memory(Arc::new(bytes)), opts, PIECE_BYTES)
    }

    /// The mapped rows, streaming; each item is a row or an error naming the row. The
    /// iteration ends after the first error. Rows whose cells are all empty (or all in
    /// ignored columns) are skipped. Zoom reports yield one row per attendee (see the
    /// crate README). Calling `rows` again starts over.
    pub fn rows(&mut self) -> impl Iterator<Item = Result<SourceRow, IngestError>> + '_ {
        let this: &SourceFile = self;
        RowIter {
            raw: this.raw_rows(),
            file: this,
            zoom: None,
            done: false,
        }
    }

    /// Raw data rows after the header.
    fn raw_rows(&self) -> RawIter<'_> {
        match &self.body {
            Body::Csv {
                bytes,
                detected,
                delimiter,
                header_offset,
                piece_bytes,
            } => {
                let text = match CsvText::open(bytes, *detected, *piece_bytes) {
                    Ok(t) => t,
                    Err(e) => return RawIter::Failed(Some(e)),
                };
                let mut cursor = CsvCursor::new(text, *delimiter);
                // Skip the lines before the header, and the header itself.
                loop {
                    match cursor.next_record() {
                        Some(Ok(rec)) if rec.start >= *header_offset => break,
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return RawIter::Failed(Some(e)),
                        None => return RawIter::Done,
                    }
                }
                RawIter::Csv(Box::new(cursor))
            }
            Body::Sheet {
                range,
                header_index,
                first_row,
            } => RawIter::Sheet {
                range,
                next: header_index + 1,
                first_row: *first_row,
            },
            Body::Xlsx {
                bytes,
                sheet,
                header_row,
                first_col,
            } => RawIter::Xlsx {
                rows: xlsx::SheetRows::start(bytes.opener(), Some(sheet.clone())),
                header_row: *header_row,
                first_col: *first_col,
            },
            Body::VCard {
                bytes,
                detected,
                piece_bytes,
            } => match CsvText::open(bytes, *detected, *piece_bytes) {
                Ok(text) => RawIter::VCard(Box::new(CardStream::new(text))),
                Err(e) => RawIter::Failed(Some(e)),
            },
        }
    }

    fn column_name(&self, index: usize) -> String {
        column_name(&self.columns, self.plan.letter_offset, index)
    }

    /// Map a raw row; `None` when it has no mapped value.
    fn map_row(&self, raw: RawRow) -> Result<Option<SourceRow>, IngestError> {
        let mut items: Vec<(usize, usize, String)> = Vec::new();
        for (idx, cell) in raw.cells {
            let v = cell.trim();
            if v.is_empty() {
                continue;
            }
            let rank = self.plan.rank.get(idx).copied().unwrap_or(idx);
            items.push((rank, idx, v.to_owned()));
        }
        items.sort_by_key(|(rank, idx, _)| (*rank, *idx));
        let mut out = SourceRow {
            row: raw.row,
            ..SourceRow::default()
        };
        for (_, idx, value) in items {
            let target = match self.columns.get(idx) {
                Some(c) => c.target.clone(),
                None => ColumnTarget::Custom(unnamed_column(self.plan.letter_offset + idx)),
            };
            match target {
                ColumnTarget::Ignore => {}
                ColumnTarget::Custom(name) => out.custom.push((name, value)),
                ColumnTarget::Field(LeadField::Tags) => {
                    let flag = self.plan.flag_tags.get(idx).copied().unwrap_or(false);
                    let split = self.plan.split_tags.get(idx).copied().unwrap_or(false);
                    let header = self
                        .columns
                        .get(idx)
                        .map(|c| c.header.as_str())
                        .unwrap_or("");
                    let mut add = |t: &str| {
                        if !out.tags.iter().any(|x| x == t) {
                            out.tags.push(t.to_owned());
                        }
                    };
                    if split || header.is_empty() {
                        split_tags(&value).for_each(&mut add);
                    } else {
                        match flag_value(&value) {
                            Some(true) => add(header),
                            Some(false) => {}
                            None if flag => add(header),
                            None => split_tags(&value).for_each(&mut add),
                        }
                    }
                }
                ColumnTarget::Field(f) => out.fields.push((f, value)),
            }
        }
        if out.fields.is_empty() && out.custom.is_empty() && out.tags.is_empty() {
            return Ok(None);
        }
        Ok(Some(out))
    }

    /// Assemble a file from a header and its body: mapping, layout, overrides, samples.
    /// The samples come from `read_ahead` when the opening already read the first data
    /// rows (at least [`SAMPLE_ROWS`] of them, or all), and from the body otherwise.
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        encoding: Option<String>,
        sheets: Vec<String>,
        body: Body,
        header_row: usize,
        headers: Vec<String>,
        zoom_section: bool,
        letter_offset: usize,
        opts: &OpenOptions,
        read_ahead: Option<Vec<RawRow>>,
    ) -> Result<SourceFile, IngestError> {
        let layout = if matches!(body, Body::VCard { .. }) {
            Layout::VCard
        } else {
            layout::detect(&headers, zoom_section)
        };
        let mut file = SourceFile {
            encoding,
            layout,
            columns: headers
                .iter()
                .enumerate()
                .map(|(index, h)| Column {
                    index,
                    header: h.trim().to_owned(),
                    target: ColumnTarget::Ignore,
                    samples: Vec::new(),
                })
                .collect(),
            header_row,
            sheets,
            estimated_rows: None,
            body,
            plan: Plan {
                letter_offset,
                stop_at_section: zoom_section,
                ..Plan::default()
            },
        };

        // Samples, extra columns, and "is there any data at all".
        let mut extra_width = headers.len();
        let mut samples: Vec<Vec<String>> = vec![Vec::new(); headers.len()];
        let mut data_rows = 0;
        {
            let mut raw = match read_ahead {
                Some(rows) => RawIter::Rows(rows.into_iter()),
                None => file.raw_rows(),
            };
            while data_rows < SAMPLE_ROWS {
                let r = match raw.next_raw(&file) {
                    None => break,
                    Some(Ok(r)) => r,
                    // Reported by `rows()` at its place, unless there is no data before it.
                    Some(Err(e)) if data_rows == 0 => return Err(e),
                    Some(Err(_)) => break,
                };
                if r.is_blank() {
                    continue;
                }
                data_rows += 1;
                for (i, c) in &r.cells {
                    let v = c.trim();
                    if v.is_empty() {
                        continue;
                    }
                    if *i >= samples.len() {
                        samples.resize(i + 1, Vec::new());
                    }
                    extra_width = extra_width.max(i + 1);
                    if samples[*i].len() < SAMPLES_PER_COLUMN && !samples[*i].iter().any(|s| s == v)
                    {
                        samples[*i].push(v.to_owned());
                    }
                }
            }
        }
        if data_rows == 0 {
            return Err(IngestError::HeaderOnly);
        }
        let mut headers = headers;
        headers.resize(extra_width, String::new());
        samples.resize(extra_width, Vec::new());
        while file.columns.len() < extra_width {
            let index = file.columns.len();
            file.columns.push(Column {
                index,
                header: String::new(),
                target: ColumnTarget::Ignore,
                samples: Vec::new(),
            });
        }

        let mut targets = if layout == Layout::VCard {
            vcard::COLUMNS
                .iter()
                .map(|(_, f)| ColumnTarget::Field(*f))
                .collect()
        } else {
            mapping::map_headers(&headers, letter_offset)
        };
        let info = layout::apply(layout, &headers, &mut targets);
        if let Some(overrides) = &opts.mapping {
            for (index, target) in overrides {
                let Some(t) = targets.get_mut(*index) else {
                    return Err(IngestError::InvalidMapping {
                        index: *index,
                        columns: file.columns.len(),
                    });
                };
                *t = target.clone();
            }
        }
        for ((col, target), s) in file.columns.iter_mut().zip(targets).zip(samples) {
            col.target = target;
            col.samples = s;
        }

        // Emission order: column order, but direct-dial phones (直通) first among phones.
        let n = file.columns.len();
        let mut rank: Vec<usize> = (0..n).collect();
        let phones: Vec<usize> = (0..n)
            .filter(|&i| file.columns[i].target == ColumnTarget::Field(LeadField::Phone))
            .collect();
        let (mut direct, other): (Vec<usize>, Vec<usize>) = phones
            .iter()
            .partition(|&&i| normalize_header(&file.columns[i].header).contains("直通"));
        direct.extend(other);
        for (slot, col) in phones.iter().zip(&direct) {
            rank[*col] = *slot;
        }
        file.plan.rank = rank;
        file.plan.flag_tags = (0..n).map(|i| info.flag_tag_columns.contains(&i)).collect();
        file.plan.split_tags = file
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| !info.flag_tag_columns.contains(&i) && is_tags_header(&c.header))
            .collect();
        if layout == Layout::VCard {
            file.plan.split_tags = vec![true; n];
        }
        file.plan.zoom = info.zoom;
        Ok(file)
    }
}

fn column_name(columns: &[Column], letter_offset: usize, index: usize) -> String {
    match columns.get(index) {
        Some(c) if !c.header.is_empty() => c.header.clone(),
        _ => unnamed_column(letter_offset + index),
    }
}

fn check_cell_sizes(
    row: usize,
    cells: &[(usize, String)],
    name: impl Fn(usize) -> String,
) -> Result<(), IngestError> {
    for (i, c) in cells {
        if c.len() > MAX_CELL_BYTES {
            return Err(IngestError::CellTooLarge {
                row,
                column: name(*i),
                bytes: c.len(),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// CSV

/// Choose the delimiter among `,`, tab and `;` from the first records (quote-aware): the
/// one that occurs the same number of times on the most records (a table has the same
/// number of columns on every row), then the one with more columns; ties go to `,`, or
/// to tab when `prefer_tab` (a `.tsv` file).
fn detect_delimiter(text: &str, prefer_tab: bool) -> u8 {
    const DELIMS: [u8; 3] = [b',', b'\t', b';'];
    const RECORDS: usize = 20;
    let mut per_record: Vec<[usize; 3]> = Vec::new();
    let mut counts = [0usize; 3];
    let mut non_empty = false;
    let mut in_quotes = false;
    for b in text.bytes() {
        match b {
            b'"' => {
                in_quotes = !in_quotes;
                non_empty = true;
            }
            b'\r' | b'\n' if !in_quotes => {
                if non_empty {
                    per_record.push(counts);
                    if per_record.len() >= RECORDS {
                        break;
                    }
                }
                counts = [0; 3];
                non_empty = false;
            }
            _ if !in_quotes => {
                if let Some(i) = DELIMS.iter().position(|&d| d == b) {
                    counts[i] += 1;
                }
                non_empty = true;
            }
            _ => {}
        }
    }
    if non_empty && per_record.len() < RECORDS {
        per_record.push(counts);
    }
    // (records with the most common non-zero count, records where it occurs at all, that
    // count): on a tie in consistency the delimiter found on more records wins, so one row
    // with tabs inside its cells does not outvote a comma-separated header.
    let score = |i: usize| -> (usize, usize, usize) {
        let mut freq: std::collections::BTreeMap<usize, usize> = Default::default();
        for c in &per_record {
            if c[i] > 0 {
                *freq.entry(c[i]).or_default() += 1;
            }
        }
        let present = freq.values().sum();
        freq.into_iter()
            .map(|(count, records)| (records, present, count))
            .max()
            .unwrap_or((0, 0, 0))
    };
    // A .tsv file stays tab-separated unless another delimiter is on every record.
    if prefer_tab
        && per_record
            .iter()
            .any(|c| c[1] > 0 || c[0] == 0 && c[2] == 0)
    {
        return b'\t';
    }
    let order: [usize; 3] = if prefer_tab { [1, 0, 2] } else { [0, 1, 2] };
    let mut best = order[0];
    let mut best_score = score(best);
    for &i in &order[1..] {
        let s = score(i);
        if s > best_score {
            best = i;
            best_score = s;
        }
    }
    DELIMS[best]
}

/// Line breaks in `s` (`\r\n`, `\n` and `\r` each count once).
fn count_breaks(s: &str) -> usize {
    let b = s.as_bytes();
    let mut n = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\r' => {
                n += 1;
                if b.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => n += 1,
            _ => {}
        }
        i += 1;
    }
    n
}

/// Where a CSV field stands after some bytes, following the csv crate's quoting rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

impl Quoting {
    fn step(self, b: u8, delimiter: u8) -> Quoting {
        use Quoting::*;
        let ends = b == delimiter || b == b'\r' || b == b'\n';
        match self {
            FieldStart | Unquoted if ends => FieldStart,
            FieldStart if b == b'"' => Quoted,
            FieldStart | Unquoted => Unquoted,
            Quoted if b == b'"' => QuoteInQuoted,
            Quoted => Quoted,
            QuoteInQuoted if b == b'"' => Quoted,
            QuoteInQuoted if ends => FieldStart,
            QuoteInQuoted => Unquoted,
        }
    }
}

/// True when the CSV text `s` (one record, up to the end of the file) ends inside a quoted
/// field, following the csv crate's quoting rules.
fn ends_in_open_quote(s: &str, delimiter: u8) -> bool {
    s.bytes()
        .fold(Quoting::FieldStart, |st, b| st.step(b, delimiter))
        == Quoting::Quoted
}

/// Where a text file's bytes are read from: from the start, as often as its rows are read.
#[derive(Debug, Clone)]
enum Bytes {
    File(PathBuf),
    Memory(Arc<Vec<u8>>),
}

/// Bytes shared between a [`Bytes::Memory`] and its readers.
struct Shared<T>(Arc<T>);

impl<T: AsRef<[u8]>> AsRef<[u8]> for Shared<T> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_ref().as_ref()
    }
}

impl Bytes {
    fn open(&self) -> Result<Box<dyn Read + Send>, IngestError> {
        Ok(self.open_seekable()?)
    }

    fn open_seekable(&self) -> Result<Box<dyn xlsx::WorkbookSource>, IngestError> {
        Ok(match self {
            Bytes::File(path) => Box::new(std::io::BufReader::new(std::fs::File::open(path)?)),
            Bytes::Memory(bytes) => Box::new(std::io::Cursor::new(Shared(bytes.clone()))),
        })
    }

    /// Opens the bytes from the start, on another thread.
    fn opener(
        &self,
    ) -> impl FnOnce() -> Result<Box<dyn xlsx::WorkbookSource>, IngestError> + Send + 'static {
        let bytes = self.clone();
        move || bytes.open_seekable()
    }
}

/// A file's decoded text, handed out in pieces that each end between two CSV records
/// (outside quotes, after a line end).
struct CsvText {
    stream: TextStream,
    /// Decoded and not yet handed out.
    pending: String,
    started: bool,
    eof: bool,
    piece_bytes: usize,
    /// Decides which line ends are inside quotes; set once the delimiter is known.
    delimiter: u8,
}

impl CsvText {
    fn open(bytes: &Bytes, detected: Detected, piece_bytes: usize) -> Result<Self, IngestError> {
        Ok(CsvText {
            stream: TextStream::new(bytes.open()?, detected)?,
            pending: String::new(),
            started: false,
            eof: false,
            piece_bytes: piece_bytes.max(1),
            delimiter: b',',
        })
    }

    /// Decodes the next block into `pending`; a byte-order mark left in the text (a file
    /// that has two) is dropped.
    fn read_more(&mut self) -> Result<(), IngestError> {
        if !self.stream.read_into(&mut self.pending)? {
            self.eof = true;
        }
        if !self.started && !self.pending.is_empty() {
            self.started = true;
            if self.pending.starts_with('\u{FEFF}') {
                self.pending.drain(..3);
            }
        }
        Ok(())
    }

    /// Decodes until at least `len` bytes of text (or all of it) are pending, without
    /// handing them out.
    fn fill(&mut self, len: usize) -> Result<(), IngestError> {
        while self.pending.len() < len && !self.eof {
            self.read_more()?;
        }
        Ok(())
    }

    /// The next piece: at least `piece_bytes` long up to the line end that closes a record
    /// (or the rest of the text); `None` at the end.
    fn next_piece(&mut self) -> Result<Option<String>, IngestError> {
        let delimiter = self.delimiter;
        let mut st = Quoting::FieldStart;
        self.next_piece_by(|text, i| {
            let b = text.as_bytes()[i - 1];
            let outside = st != Quoting::Quoted;
            st = st.step(b, delimiter);
            outside && is_line_end(text, i)
        })
    }

    /// The next piece of a vCard file: at least `piece_bytes` long up to the end of an
    /// `END:VCARD` line (or the rest of the text); `None` at the end.
    fn next_card_piece(&mut self) -> Result<Option<String>, IngestError> {
        let mut line_start = 0;
        // A quoted-printable soft break ("=" at the end of a line) joins the next line.
        let mut soft_break = false;
        self.next_piece_by(|text, i| {
            if !is_line_end(text, i) {
                return false;
            }
            let line = text[line_start..i].trim_end_matches(['\r', '\n']);
            let closes = !soft_break && line.trim().eq_ignore_ascii_case("END:VCARD");
            soft_break = line.ends_with('=');
            line_start = i;
            closes
        })
    }

    /// The next piece, at least `piece_bytes` long, up to the first place after that
    /// where `may_end(text, i)` says a piece may end (after byte `i - 1`; it is asked
    /// about every byte once, in order, so it may keep state), or the rest of the text;
    /// `None` at the end. A CR at the end of the decoded text waits for the next byte.
    fn next_piece_by(
        &mut self,
        mut may_end: impl FnMut(&str, usize) -> bool,
    ) -> Result<Option<String>, IngestError> {
        let mut i = 0;
        loop {
            while i < self.pending.len() {
                let b = self.pending.as_bytes()[i];
                if b == b'\r' && i + 1 == self.pending.len() && !self.eof {
                    // A CR may be the first half of a CRLF: wait for the next byte.
                    break;
                }
                i += 1;
                if may_end(&self.pending, i) && i >= self.piece_bytes {
                    let rest = self.pending.split_off(i);
                    return Ok(Some(std::mem::replace(&mut self.pending, rest)));
                }
            }
            if self.eof || self.pending.len() >= MAX_PIECE_BYTES {
                if self.pending.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(std::mem::take(&mut self.pending)));
            }
            self.read_more()?;
        }
    }
}

/// Whether byte `i - 1` of `text` ends a line: an LF, or a CR not followed by an LF.
fn is_line_end(text: &str, i: usize) -> bool {
    let b = text.as_bytes();
    b[i - 1] == b'\n' || b[i - 1] == b'\r' && b.get(i) != Some(&b'\n')
}

/// The cards of a vCard file, parsed a piece of the text at a time.
struct CardStream {
    text: CsvText,
    cards: std::vec::IntoIter<Result<vcard::Card, IngestError>>,
    /// Cards and physical lines of the pieces already parsed.
    cards_before: usize,
    lines_before: usize,
    done: bool,
}

impl CardStream {
    fn new(text: CsvText) -> Self {
        CardStream {
            text,
            cards: Vec::new().into_iter(),
            cards_before: 0,
            lines_before: 0,
            done: false,
        }
    }

    fn next_card(&mut self) -> Option<Result<vcard::Card, IngestError>> {
        loop {
            if let Some(card) = self.cards.next() {
                return Some(card);
            }
            if self.done {
                return None;
            }
            let piece = match self.text.next_card_piece() {
                Ok(Some(piece)) => piece,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            let mut cards = Cards::continuing(&piece, self.cards_before, self.lines_before);
            let parsed: Vec<_> = cards.by_ref().collect();
            // Reading ends at a broken card.
            self.done = parsed.last().is_some_and(Result::is_err);
            self.cards_before = cards.cards_read();
            self.lines_before += count_breaks(&piece);
            self.cards = parsed.into_iter();
        }
    }
}

/// A CSV record: its Excel row, the byte offset where it starts, its cells.
struct CsvRecord {
    row: usize,
    start: usize,
    cells: Vec<String>,
}

/// Streams CSV records from decoded text, a piece at a time, numbering them as Excel rows.
struct CsvCursor {
    text: CsvText,
    piece: Arc<String>,
    /// Offset of the piece in the whole text.
    piece_start: usize,
    delimiter: u8,
    reader: csv::Reader<std::io::Cursor<Shared<String>>>,
    record: csv::StringRecord,
    /// Line breaks since the previous record's start are counted from here in the piece,
    /// and `carry` more were in earlier pieces.
    count_from: usize,
    carry: usize,
    /// In-cell line breaks of the previous record (`None` before the first).
    prev_in_cells: Option<usize>,
    /// Row of the previous record (the first row, before any record).
    row: usize,
    done: bool,
}

impl CsvCursor {
    /// Read `text` from its start, whose first line is row 1.
    fn new(mut text: CsvText, delimiter: u8) -> Self {
        text.delimiter = delimiter;
        let piece = Arc::new(String::new());
        CsvCursor {
            reader: piece_reader(&piece, delimiter),
            text,
            piece,
            piece_start: 0,
            delimiter,
            record: csv::StringRecord::new(),
            count_from: 0,
            carry: 0,
            prev_in_cells: None,
            row: 1,
            done: false,
        }
    }

    /// The next record: (row, byte offset of its start, cells).
    fn next_record(&mut self) -> Option<Result<CsvRecord, IngestError>> {
        if self.done {
            return None;
        }
        loop {
            let before = self.reader.position().byte() as usize;
            match self.reader.read_record(&mut self.record) {
                Ok(false) => match self.text.next_piece() {
                    Ok(Some(next)) => {
                        self.carry += count_breaks(&self.piece[self.count_from..]);
                        self.count_from = 0;
                        self.piece_start += self.piece.len();
                        self.piece = Arc::new(next);
                        self.reader = piece_reader(&self.piece, self.delimiter);
                    }
                    Ok(None) => {
                        self.done = true;
                        return None;
                    }
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                },
                Err(e) => {
                    self.done = true;
                    return Some(Err(IngestError::Csv {
                        line: self.row + 1,
                        message: e.to_string(),
                    }));
                }
                Ok(true) => return Some(self.finish_record(before)),
            }
        }
    }

    /// Numbers the record just read, which began at or after `before` in the piece.
    fn finish_record(&mut self, before: usize) -> Result<CsvRecord, IngestError> {
        let bytes = self.piece.as_bytes();
        let mut start = before;
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        let breaks = self.carry + count_breaks(&self.piece[self.count_from..start]);
        self.row = match self.prev_in_cells {
            None => self.row + breaks,
            Some(in_cells) => self.row + breaks.saturating_sub(in_cells).max(1),
        };
        self.carry = 0;
        self.count_from = start;
        let cells: Vec<String> = self.record.iter().map(str::to_owned).collect();
        self.prev_in_cells = Some(cells.iter().map(|c| count_breaks(c)).sum());
        let end = self.reader.position().byte() as usize;
        if end >= self.piece.len() && ends_in_open_quote(&self.piece[start..], self.delimiter) {
            self.done = true;
            return Err(IngestError::UnclosedQuote { row: self.row });
        }
        Ok(CsvRecord {
            row: self.row,
            start: self.piece_start + start,
            cells,
        })
    }
}

fn piece_reader(
    piece: &Arc<String>,
    delimiter: u8,
) -> csv::Reader<std::io::Cursor<Shared<String>>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(std::io::Cursor::new(Shared(piece.clone())))
}

fn is_spreadsheet(bytes: &[u8]) -> bool {
    const OLE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&OLE)
}

/// Open a text file: vCard, or CSV/TSV read a piece of `piece_bytes` at a time.
fn open_text(
    name: &str,
    bytes: Bytes,
    opts: &OpenOptions,
    piece_bytes: usize,
) -> Result<SourceFile, IngestError> {
    let ext = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let detected = detect(bytes.open()?, opts.encoding.as_deref())?;
    let encoding = Some(detected.encoding.name().to_owned());
    let mut text = CsvText::open(&bytes, detected, piece_bytes)?;
    text.fill(HEAD_BYTES)?;
    let head = text.pending.as_str();
    if head.trim().is_empty() && text.eof {
        return Err(IngestError::Empty);
    }
    let is_vcard = vcard::looks_like_vcard(head)
        || (ext == "vcf" && {
            let head: String = head.chars().take(4096).collect();
            head.to_ascii_uppercase().contains("BEGIN:VCARD")
        });
    if is_vcard {
        drop(text);
        let body = Body::VCard {
            bytes,
            detected,
            piece_bytes,
        };
        return open_vcard(body, encoding, opts);
    }
    let delimiter = detect_delimiter(head, ext == "tsv");
    let (header, zoom_section) = {
        let mut cursor = CsvCursor::new(text, delimiter);
        let candidates = std::iter::from_fn(|| {
            cursor.next_record().map(|r| {
                r.map(|rec| Candidate {
                    row: rec.row,
                    pos: rec.start,
                    cells: rec.cells,
                })
            })
        });
        find_header(candidates, 0)?
    };
    let body = Body::Csv {
        bytes,
        detected,
        delimiter,
        header_offset: header.pos,
        piece_bytes,
    };
    SourceFile::assemble(
        encoding,
        Vec::new(),
        body,
        header.row,
        header.cells,
        zoom_section,
        0,
        opts,
        None,
    )
}

/// Find the header among the first rows: the Zoom attendee header after its section
/// title, else the first of the first 10 non-blank rows with at least two known column
/// names, else the first non-blank row. Returns the header and whether it followed a
/// Zoom "Attendee Details" title.
fn find_header(
    mut rows: impl Iterator<Item = Result<Candidate, IngestError>>,
    letter_offset: usize,
) -> Result<(Candidate, bool), IngestError> {
    let next_non_blank = |rows: &mut dyn Iterator<Item = Result<Candidate, IngestError>>| {
        for r in rows {
            let c = match r {
                Ok(c) => c,
                Err(e) => return Some(Err(e)),
            };
            let pairs: Vec<(usize, String)> = c.cells.iter().cloned().enumerate().collect();
            if let Err(e) = check_cell_sizes(c.row, &pairs, |i| unnamed_column(letter_offset + i)) {
                return Some(Err(e));
            }
            if c.cells.iter().any(|x| !x.trim().is_empty()) {
                return Some(Ok(c));
            }
        }
        None
    };
    let mut first: Vec<Candidate> = Vec::new();
    while first.len() < HEADER_SCAN_ROWS {
        match next_non_blank(&mut rows) {
            Some(Ok(c)) => first.push(c),
            // Reported again by `rows()` at its place when there is a header before it.
            Some(Err(e)) if first.is_empty() => return Err(e),
            Some(Err(_)) | None => break,
        }
    }
    if first.is_empty() {
        return Err(IngestError::Empty);
    }
    let zoomish = first
        .iter()
        .any(|c| layout::is_zoom_report_marker(&c.cells) || layout::is_attendee_section(&c.cells));
    if zoomish {
        let mut seen = 0;
        let mut buffered = std::mem::take(&mut first).into_iter();
        let mut kept: Vec<Candidate> = Vec::new();
        let mut after_section = false;
        loop {
            let c = match buffered.next() {
                Some(c) => c,
                None => match next_non_blank(&mut rows) {
                    Some(Ok(c)) => c,
                    Some(Err(_)) | None => break,
                },
            };
            if after_section {
                return Ok((c, true));
            }
            if layout::is_attendee_section(&c.cells) {
                after_section = true;
            }
            seen += 1;
            if kept.len() < HEADER_SCAN_ROWS {
                kept.push(c);
            }
            if seen >= ZOOM_SCAN_ROWS {
                break;
            }
        }
        first = kept;
        if first.is_empty() {
            return Err(IngestError::Empty);
        }
    }
    let index = first
        .iter()
        .position(|c| count_matches(&c.cells) >= 2)
        .unwrap_or(0);
    Ok((first.swap_remove(index), false))
}

// ---------------------------------------------------------------------------------------
// Spreadsheets and vCard

/// Rows read ahead to find the first column of a sheet that declares none.
const FIRST_COLUMN_SCAN_ROWS: usize = 1_000;

fn open_sheet(bytes: Bytes, opts: &OpenOptions) -> Result<SourceFile, IngestError> {
    let mut rows = xlsx::SheetRows::start(bytes.opener(), opts.sheet.clone());
    if let Some(streamed) = rows.opened()? {
        return open_streamed_sheet(bytes, streamed, rows, opts);
    }
    drop(rows);
    let whole = match &bytes {
        Bytes::File(path) => std::fs::read(path)?,
        Bytes::Memory(b) => b.to_vec(),
    };
    open_loaded_sheet(&whole, opts)
}

/// An .xlsx sheet: the header is searched for in the first rows; the rows are read again,
/// a batch at a time, whenever they are wanted.
fn open_streamed_sheet(
    bytes: Bytes,
    streamed: xlsx::Streamed,
    mut rows: xlsx::SheetRows,
    opts: &OpenOptions,
) -> Result<SourceFile, IngestError> {
    // The first column: the leftmost cell of the first rows, or the sheet's declared
    // dimension if that starts further left.
    let mut head: Vec<xlsx::SheetRow> = Vec::new();
    let mut failed = None;
    for row in rows.by_ref() {
        match row {
            Ok(r) => head.push(r),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
        if head.len() == FIRST_COLUMN_SCAN_ROWS {
            break;
        }
    }
    let first_col = head
        .iter()
        .flat_map(|(_, cells)| cells.first().map(|(c, _)| *c))
        .chain(streamed.declared_first_column)
        .min()
        .unwrap_or(0);
    let read_whole = head.len() < FIRST_COLUMN_SCAN_ROWS && failed.is_none();
    let candidates = head
        .iter()
        .cloned()
        .map(Ok)
        .chain(failed.map(Err))
        .chain(rows)
        .map(|row| {
            let (row, cells) = row?;
            Ok(Candidate {
                row,
                pos: row,
                cells: dense_cells(row, cells, first_col)?,
            })
        });
    let (header, zoom_section) = find_header(candidates, first_col)?;
    // The rows read after the header serve as the samples, sparing a second opening of
    // the workbook (its shared strings take about a second per million rows to read).
    let read_ahead: Vec<RawRow> = head
        .into_iter()
        .filter(|(row, _)| *row > header.row)
        .map(|(row, cells)| {
            Ok(RawRow {
                row,
                cells: sheet_cells(row, cells, first_col)?,
            })
        })
        .collect::<Result<_, IngestError>>()?;
    let read_ahead = (read_whole || read_ahead.len() >= SAMPLE_ROWS).then_some(read_ahead);
    let body = Body::Xlsx {
        bytes,
        sheet: streamed.sheet,
        header_row: header.row,
        first_col,
    };
    let mut file = SourceFile::assemble(
        None,
        streamed.sheet_names,
        body,
        header.row,
        header.cells,
        zoom_section,
        first_col,
        opts,
        read_ahead,
    )?;
    file.estimated_rows = streamed
        .declared_last_row
        .map(|last| last.saturating_sub(header.row));
    Ok(file)
}

/// A streamed sheet row's cells, by column from `first_col`.
fn sheet_cells(
    row: usize,
    cells: Vec<(usize, String)>,
    first_col: usize,
) -> Result<Vec<(usize, String)>, IngestError> {
    cells
        .into_iter()
        .map(|(col, text)| {
            if col < first_col {
                return Err(IngestError::Row {
                    row,
                    column: Some(unnamed_column(col)),
                    message: format!(
                        "the cell is left of the sheet's first column ({}); save the workbook \
                         again in Excel and retry",
                        mapping::column_letter(first_col)
                    ),
                });
            }
            Ok((col - first_col, text))
        })
        .collect()
}

/// A streamed sheet row as one cell per column from `first_col`, empty ones included.
fn dense_cells(
    row: usize,
    cells: Vec<(usize, String)>,
    first_col: usize,
) -> Result<Vec<String>, IngestError> {
    let cells = sheet_cells(row, cells, first_col)?;
    let width = cells.last().map_or(0, |(c, _)| c + 1);
    let mut out = vec![String::new(); width];
    for (c, text) in cells {
        out[c] = text;
    }
    Ok(out)
}

/// A workbook calamine reads only whole (.xls, .xlsb, .ods): the sheet is loaded.
fn open_loaded_sheet(bytes: &[u8], opts: &OpenOptions) -> Result<SourceFile, IngestError> {
    let sheet = xlsx::load(bytes, opts.sheet.as_deref())?;
    let range = sheet.range;
    let Some((start_row, start_col)) = range.start() else {
        return Err(IngestError::Empty);
    };
    let first_row = start_row as usize + 1;
    let letter_offset = start_col as usize;
    let (header, zoom_section) = {
        let candidates = range.rows().enumerate().map(|(i, r)| {
            Ok(Candidate {
                row: first_row + i,
                pos: i,
                cells: r.iter().map(xlsx::cell_text).collect(),
            })
        });
        find_header(candidates, letter_offset)?
    };
    let body = Body::Sheet {
        range,
        header_index: header.pos,
        first_row,
    };
    SourceFile::assemble(
        None,
        sheet.sheet_names,
        body,
        header.row,
        header.cells,
        zoom_section,
        letter_offset,
        opts,
        None,
    )
}

fn open_vcard(
    body: Body,
    encoding: Option<String>,
    opts: &OpenOptions,
) -> Result<SourceFile, IngestError> {
    let headers: Vec<String> = vcard::COLUMNS.iter().map(|(h, _)| h.to_string()).collect();
    match SourceFile::assemble(encoding, Vec::new(), body, 0, headers, false, 0, opts, None) {
        // No card, or every card was empty.
        Err(IngestError::HeaderOnly) => Err(IngestError::Empty),
        other => other,
    }
}

// ---------------------------------------------------------------------------------------
// Row iteration

enum RawIter<'a> {
    Csv(Box<CsvCursor>),
    Sheet {
        range: &'a Range<Data>,
        next: usize,
        first_row: usize,
    },
    Xlsx {
        rows: xlsx::SheetRows,
        header_row: usize,
        first_col: usize,
    },
    VCard(Box<CardStream>),
    /// Rows already read.
    Rows(std::vec::IntoIter<RawRow>),
    /// Reopening the file failed: the error, once.
    Failed(Option<IngestError>),
    Done,
}

impl RawIter<'_> {
    /// The next raw data row (blank ones included), size-checked.
    fn next_raw(&mut self, file: &SourceFile) -> Option<Result<RawRow, IngestError>> {
        let raw = match self {
            RawIter::Csv(cursor) => match cursor.next_record()? {
                Ok(rec) => RawRow {
                    row: rec.row,
                    cells: rec.cells.into_iter().enumerate().collect(),
                },
                Err(e) => return Some(Err(e)),
            },
            RawIter::Sheet {
                range,
                next,
                first_row,
            } => {
                let (height, width) = range.get_size();
                if *next >= height {
                    return None;
                }
                let i = *next;
                *next += 1;
                let cells = (0..width)
                    .map(|j| {
                        (
                            j,
                            range.get((i, j)).map(xlsx::cell_text).unwrap_or_default(),
                        )
                    })
                    .collect();
                RawRow {
                    row: *first_row + i,
                    cells,
                }
            }
            RawIter::Xlsx {
                rows,
                header_row,
                first_col,
            } => loop {
                match rows.next()? {
                    Ok((row, _)) if row <= *header_row => {}
                    Ok((row, cells)) => match sheet_cells(row, cells, *first_col) {
                        Ok(cells) => break RawRow { row, cells },
                        Err(e) => {
                            self.stop();
                            return Some(Err(e));
                        }
                    },
                    Err(e) => {
                        self.stop();
                        return Some(Err(e));
                    }
                }
            },
            RawIter::VCard(cards) => match cards.next_card()? {
                Ok((row, cells)) => RawRow { row, cells },
                Err(e) => return Some(Err(e)),
            },
            RawIter::Rows(rows) => rows.next()?,
            RawIter::Failed(e) => return e.take().map(Err),
            RawIter::Done => return None,
        };
        if let Err(e) = check_cell_sizes(raw.row, &raw.cells, |i| file.column_name(i)) {
            self.stop();
            return Some(Err(e));
        }
        if file.plan.stop_at_section && layout::is_section_title(&raw.texts()) {
            self.stop();
            return None;
        }
        Some(Ok(raw))
    }

    fn stop(&mut self) {
        *self = RawIter::Done;
    }
}

/// A mapped row and the raw cells the Zoom aggregation reads (attended, registration).
type MappedRow = (SourceRow, Vec<(usize, String)>);

struct RowIter<'a> {
    raw: RawIter<'a>,
    file: &'a SourceFile,
    /// Zoom: the aggregated rows, once read.
    zoom: Option<std::vec::IntoIter<SourceRow>>,
    done: bool,
}

impl RowIter<'_> {
    fn next_mapped(&mut self) -> Option<Result<MappedRow, IngestError>> {
        loop {
            let raw = match self.raw.next_raw(self.file)? {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            if raw.is_blank() {
                continue;
            }
            let keep: Vec<(usize, String)> = match &self.file.plan.zoom {
                Some(roles) => raw
                    .cells
                    .iter()
                    .filter(|(i, _)| Some(*i) == roles.attended || Some(*i) == roles.registration)
                    .cloned()
                    .collect(),
                None => Vec::new(),
            };
            match self.file.map_row(raw) {
                Ok(Some(row)) => return Some(Ok((row, keep))),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }

    fn aggregate_zoom(&mut self, roles: &ZoomRoles) -> Result<Vec<SourceRow>, IngestError> {
        let minutes_column = self
            .file
            .columns
            .iter()
            .find(|c| c.target == ColumnTarget::Field(LeadField::MinutesAttended))
            .map(|c| c.header.clone());
        let mut agg = ZoomAggregate::default();
        while let Some(item) = self.next_mapped() {
            let (row, keep) = item?;
            let cell = |idx: Option<usize>| {
                keep.iter()
                    .find(|(i, _)| Some(*i) == idx)
                    .map(|(_, v)| v.trim().to_owned())
                    .unwrap_or_default()
            };
            let attended = cell(roles.attended);
            let registration = cell(roles.registration);
            agg.add(row, &attended, &registration, minutes_column.as_deref())?;
        }
        Ok(agg.finish(minutes_column.is_some()))
    }
}

impl Iterator for RowIter<'_> {
    type Item = Result<SourceRow, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if let Some(roles) = self.file.plan.zoom.clone() {
            if self.zoom.is_none() {
                match self.aggregate_zoom(&roles) {
                    Ok(rows) => self.zoom = Some(rows.into_iter()),
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
            return self.zoom.as_mut().and_then(Iterator::next).map(Ok);
        }
        match self.next_mapped() {
            Some(Ok((row, _))) => Some(Ok(row)),
            Some(Err(e)) => {
                self.done = true;
                Some(Err(e))
            }
            None => {
                self.done = true;
                None
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Zoom: one row per attendee

type Stamp = (i32, u8, u8, u8, u8, u8);

#[derive(Default)]
struct Attendee {
    row: SourceRow,
    minutes: f64,
    earliest: Option<Stamp>,
    /// A join time we could not parse (kept as written when nothing parses).
    unparsed: Option<String>,
    registration: Option<String>,
}

#[derive(Default)]
struct ZoomAggregate {
    attendees: Vec<Attendee>,
    by_email: HashMap<String, usize>,
}

fn is_dashes(s: &str) -> bool {
    s.is_empty() || s.chars().all(|c| c == '-' || c == '－' || c == '—')
}

impl ZoomAggregate {
    fn add(
        &mut self,
        row: SourceRow,
        attended: &str,
        registration: &str,
        minutes_column: Option<&str>,
    ) -> Result<(), IngestError> {
        let absent = matches!(
            attended.to_ascii_lowercase().as_str(),
            "no" | "false" | "いいえ" | "欠席"
        );
        let mut minutes = 0.0;
        for v in row.all(LeadField::MinutesAttended) {
            if is_dashes(v) {
                continue;
            }
            let n: f64 = v.replace(',', "").parse().map_err(|_| IngestError::Row {
                row: row.row,
                column: minutes_column.map(str::to_owned),
                message: format!("\"{v}\" is not a number of minutes"),
            })?;
            minutes += n;
        }
        if absent {
            minutes = 0.0;
        }
        let mut earliest: Option<Stamp> = None;
        let mut unparsed: Option<String> = None;
        for v in row.all(LeadField::ContactedOn) {
            if is_dashes(v) {
                continue;
            }
            match layout::parse_zoom_time(v) {
                Some(t) => earliest = Some(earliest.map_or(t, |e| e.min(t))),
                None => {
                    unparsed.get_or_insert_with(|| v.to_owned());
                }
            }
        }
        let key = row.get(LeadField::Email).map(|e| e.trim().to_lowercase());
        let index = match key.as_ref().and_then(|k| self.by_email.get(k)) {
            Some(&i) => i,
            None => {
                self.attendees.push(Attendee {
                    registration: (!is_dashes(registration)).then(|| registration.to_owned()),
                    row,
                    ..Attendee::default()
                });
                let i = self.attendees.len() - 1;
                if let Some(k) = key {
                    self.by_email.insert(k, i);
                }
                i
            }
        };
        let a = &mut self.attendees[index];
        a.minutes += minutes;
        if let Some(t) = earliest {
            a.earliest = Some(a.earliest.map_or(t, |e| e.min(t)));
        }
        if a.unparsed.is_none() {
            a.unparsed = unparsed;
        }
        if a.registration.is_none() && !is_dashes(registration) {
            a.registration = Some(registration.to_owned());
        }
        Ok(())
    }

    fn finish(self, has_minutes: bool) -> Vec<SourceRow> {
        self.attendees
            .into_iter()
            .map(|a| {
                let contacted = a
                    .earliest
                    .map(layout::format_time)
                    .or(a.unparsed)
                    .or_else(|| {
                        a.registration.map(|r| match layout::parse_zoom_time(&r) {
                            Some(t) => layout::format_time(t),
                            None => r,
                        })
                    });
                let minutes = if a.minutes.fract() == 0.0 {
                    format!("{}", a.minutes as i64)
                } else {
                    format!("{}", (a.minutes * 100.0).round() / 100.0)
                };
                let mut row = a.row;
                replace_field(&mut row.fields, LeadField::ContactedOn, contacted);
                replace_field(
                    &mut row.fields,
                    LeadField::MinutesAttended,
                    has_minutes.then_some(minutes),
                );
                row
            })
            .collect()
    }
}

/// Replace every value of `field` by one `value` at the first one's place (or at the end).
fn replace_field(fields: &mut Vec<(LeadField, String)>, field: LeadField, value: Option<String>) {
    let at = fields.iter().position(|(f, _)| *f == field);
    fields.retain(|(f, _)| *f != field);
    if let Some(v) = value {
        let at = at.unwrap_or(fields.len()).min(fields.len());
        fields.insert(at, (field, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(text: &str) -> Result<SourceFile, IngestError> {
        SourceFile::from_bytes("t.csv", text.as_bytes().to_vec(), &OpenOptions::default())
    }

    fn rows(f: &mut SourceFile) -> Vec<SourceRow> {
        f.rows().collect::<Result<Vec<_>, _>>().unwrap()
    }

    #[test]
    fn breaks() {
        assert_eq!(count_breaks("a\r\nb\nc\rd"), 3);
        assert_eq!(count_breaks("\r\n\r\n"), 2);
        assert_eq!(count_breaks(""), 0);
    }

    #[test]
    fn open_quote_state() {
        assert!(ends_in_open_quote("a,\"b\nc", b','));
        assert!(!ends_in_open_quote("a,\"b\nc\"", b','));
        assert!(ends_in_open_quote("a,\"b\"\"c", b','));
        assert!(!ends_in_open_quote("a,b\"c", b','));
        assert!(!ends_in_open_quote("a,\"b\"x\"", b','));
    }

    #[test]
    fn delimiters() {
        assert_eq!(
            detect_delimiter("Attendee Report\nTopic\tID\na\tb\n", false),
            b'\t'
        );
        assert_eq!(detect_delimiter("a,b\n", false), b',');
        assert_eq!(detect_delimiter("a;b;c\n1;2;3", false), b';');
        assert_eq!(detect_delimiter("single\nline", true), b'\t');
        assert_eq!(detect_delimiter("x\ty,z\n", false), b',');
        // Commas inside quotes and a metadata line do not count.
        assert_eq!(
            detect_delimiter("Report;x\n\"a,b,c\"\t1\t2\n\"d,e\"\t3\t4\n", false),
            b'\t'
        );
        // Consistency beats frequency.
        assert_eq!(detect_delimiter("a,b\nx;;;;,y\nz,w\n", false), b',');
        // On a tie in consistency, presence on more records beats frequency: a row with
        // tabs in its cells (here cut short by a quote) does not make a CSV tab-separated.
        assert_eq!(
            detect_delimiter("会社名,メール,項目A\n\t\t\t,\"", false),
            b','
        );
    }

    #[test]
    fn excel_row_numbers() {
        let mut f = open("会社名,備考\r\nA,\"x\r\ny\"\r\n\r\nB,z\r\nC,w").unwrap();
        assert_eq!(f.header_row, 1);
        let r = rows(&mut f);
        assert_eq!(r.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 4, 5]);
        assert_eq!(r[0].fields[1], (LeadField::Note, "x\r\ny".to_owned()));
        // Leading blank lines and LF / CR line ends.
        let mut f = open("\n\n会社名,氏名\nA,B\n\nC,D\n").unwrap();
        assert_eq!(f.header_row, 3);
        assert_eq!(
            rows(&mut f).iter().map(|r| r.row).collect::<Vec<_>>(),
            [4, 6]
        );
        let mut f = open("会社名,氏名\rA,B\r\rC,D\r").unwrap();
        assert_eq!(
            rows(&mut f).iter().map(|r| r.row).collect::<Vec<_>>(),
            [2, 4]
        );
    }

    #[test]
    fn rows_restart_and_samples() {
        let mut f = open(
            "会社名,メール,所有者\nA社,a@x.jp,山田\nB社,,山田\nC社,c@x.jp,\nD社,d@x.jp,佐藤\n",
        )
        .unwrap();
        assert_eq!(f.columns[0].samples, ["A社", "B社", "C社"]);
        assert_eq!(f.columns[1].samples, ["a@x.jp", "c@x.jp", "d@x.jp"]);
        assert_eq!(f.columns[2].samples, ["山田", "佐藤"]);
        assert_eq!(rows(&mut f).len(), 4);
        assert_eq!(rows(&mut f).len(), 4);
    }

    #[test]
    fn extra_cells_become_unnamed_columns() {
        let mut f = open("会社名,氏名\nA,B,extra\n").unwrap();
        assert_eq!(f.columns.len(), 3);
        assert_eq!(f.columns[2].target, ColumnTarget::Custom("列C".into()));
        let r = rows(&mut f);
        assert_eq!(r[0].custom, [("列C".to_owned(), "extra".to_owned())]);
    }

    #[test]
    fn tags_columns() {
        let mut f = open("会社名,タグ,展示会2025\nA,\"VIP, 見込み\",1\nB,,0\n").unwrap();
        assert_eq!(
            f.columns[2].target,
            ColumnTarget::Custom("展示会2025".into())
        );
        let mut f2 = SourceFile::from_bytes(
            "t.csv",
            "会社名,タグ,展示会2025\nA,\"VIP, 見込み\",1\nB,,0\n"
                .as_bytes()
                .to_vec(),
            &OpenOptions {
                mapping: Some(vec![(2, ColumnTarget::Field(LeadField::Tags))]),
                ..OpenOptions::default()
            },
        )
        .unwrap();
        let r = rows(&mut f2);
        assert_eq!(r[0].tags, ["VIP", "見込み", "展示会2025"]);
        assert!(r[1].tags.is_empty());
        let r = rows(&mut f);
        assert_eq!(r[0].custom, [("展示会2025".to_owned(), "1".to_owned())]);
    }

    #[test]
    fn mapping_overrides() {
        let opts = OpenOptions {
            mapping: Some(vec![
                (0, ColumnTarget::Ignore),
                (2, ColumnTarget::Field(LeadField::Note)),
            ]),
            ..OpenOptions::default()
        };
        let mut f = SourceFile::from_bytes("t.csv", b"a,b,c\n1,2,3\n".to_vec(), &opts).unwrap();
        let r = rows(&mut f);
        assert_eq!(r[0].fields, [(LeadField::Note, "3".to_owned())]);
        assert_eq!(r[0].custom, [("b".to_owned(), "2".to_owned())]);
        let opts = OpenOptions {
            mapping: Some(vec![(7, ColumnTarget::Ignore)]),
            ..OpenOptions::default()
        };
        let err = SourceFile::from_bytes("t.csv", b"a,b,c\n1,2,3\n".to_vec(), &opts).unwrap_err();
        assert!(
            matches!(
                err,
                IngestError::InvalidMapping {
                    index: 7,
                    columns: 3
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn ignored_only_rows_are_skipped() {
        let opts = OpenOptions {
            mapping: Some(vec![(1, ColumnTarget::Ignore)]),
            ..OpenOptions::default()
        };
        let mut f =
            SourceFile::from_bytes("t.csv", "会社名,メモ\nA,x\n,y\n".as_bytes().to_vec(), &opts)
                .unwrap();
        let r = rows(&mut f);
        assert_eq!(r.len(), 1);
    }

    /// Everything a reader of `file` sees: header row, columns, rows or the error.
    fn seen(file: Result<SourceFile, IngestError>) -> String {
        match file {
            Err(e) => format!("open: {e}"),
            Ok(mut f) => {
                let rows: Vec<String> = f
                    .rows()
                    .map(|r| match r {
                        Ok(r) => format!("{r:?}"),
                        Err(e) => format!("error: {e}"),
                    })
                    .collect();
                format!("{} {:?} {rows:?}", f.header_row, f.columns)
            }
        }
    }

    fn open_in_pieces(name: &str, bytes: &[u8], piece_bytes: usize) -> String {
        let bytes = Bytes::Memory(Arc::new(bytes.to_vec()));
        seen(open_text(name, bytes, &OpenOptions::default(), piece_bytes))
    }

    #[test]
    fn vcards_read_in_pieces_read_as_the_whole_file() {
        // Text before the first card, folded lines, a quoted-printable value whose soft
        // break is followed by an END:VCARD that belongs to the value, lone CRs, and a
        // last card that is never closed: every piece size reads the same cards and
        // names the same card and line.
        let mut text = String::from("exported by ScanApp\r\n");
        for i in 0..40 {
            let end = if i % 3 == 0 { "\r" } else { "\r\n" };
            text += &format!(
                "BEGIN:VCARD\r\nVERSION:3.0\r\nN:山田;{i}郎;;;\r\nFN:山田 {i}郎\r\nORG:株式会社\r\n テスト{i}\r\n\
                 NOTE;ENCODING=QUOTED-PRINTABLE:memo=\r\nEND:VCARD\r\nEMAIL:y{i}@example.co.jp\r\nEND:VCARD{end}"
            );
        }
        text += "BEGIN:VCARD\r\nFN:閉じていない\r\n";
        let whole = open_in_pieces("cards.vcf", text.as_bytes(), PIECE_BYTES);
        assert!(
            whole.contains("テスト39") && whole.contains("y39@example.co.jp"),
            "{whole}"
        );
        assert!(
            whole.contains("vCard card 41: the card that begins on line"),
            "{whole}"
        );
        for piece in [1, 2, 7, 64, 300, 1000] {
            assert_eq!(
                open_in_pieces("cards.vcf", text.as_bytes(), piece),
                whole,
                "pieces of {piece} bytes"
            );
        }
    }

    #[test]
    fn pieces_end_between_records() {
        // Quoted line ends, CRLF, a lone CR, blank lines and a metadata line: pieces of
        // one byte, of a few bytes and the whole text read the same rows, numbered alike.
        let text = "Report\r\n会社名,備考,メール\r\nA,\"x\r\ny\",a@x.jp\r\n\r\n\rB,\"q\"\"\n\",b@x.jp\rC,z,\n\n";
        let whole = open_in_pieces("t.csv", text.as_bytes(), PIECE_BYTES);
        // A two-line cell is one row, blank lines are rows (Excel's numbering).
        for row in ["row: 3,", "row: 6,", "row: 7,"] {
            assert!(whole.contains(row), "{whole}");
        }
        for piece in [1, 2, 3, 5, 8, 13] {
            assert_eq!(
                open_in_pieces("t.csv", text.as_bytes(), piece),
                whole,
                "{piece}"
            );
        }
        let detected = Detected {
            encoding: encoding_rs::UTF_8,
            bom_len: 0,
        };
        let bytes = Bytes::Memory(Arc::new(text.as_bytes().to_vec()));
        let mut t = CsvText::open(&bytes, detected, 1).unwrap();
        let mut pieces = Vec::new();
        while let Some(p) = t.next_piece().unwrap() {
            pieces.push(p);
        }
        assert_eq!(pieces.concat(), text);
        assert_eq!(pieces.len(), 8, "{pieces:?}");
        assert!(pieces.iter().all(|p| !ends_in_open_quote(p, b',')));
        // An unclosed quote is found in whichever piece it is.
        let text = "会社名,備考\nA,x\nB,\"open\nC,y\n";
        let whole = open_in_pieces("t.csv", text.as_bytes(), PIECE_BYTES);
        assert!(
            whole.contains("row 3: a quoted cell is never closed"),
            "{whole}"
        );
        for piece in [1, 4, 9] {
            assert_eq!(open_in_pieces("t.csv", text.as_bytes(), piece), whole);
        }
    }

    #[test]
    fn a_large_shift_jis_file_is_read_from_disk_in_pieces() {
        let mut text = String::from("会社名,氏名,メール\r\n");
        for i in 0..60_000 {
            text.push_str(&format!(
                "株式会社髙橋製作所{i},山田 太郎{i},\"t{i}@example.co.jp\"\r\n"
            ));
        }
        let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
        assert!(!unmappable && bytes.len() > 3 * PIECE_BYTES);
        let dir = std::env::temp_dir().join(format!("ondo-ingest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("large.csv");
        std::fs::write(&path, &bytes).unwrap();
        let mut f = SourceFile::open(&path, &OpenOptions::default()).unwrap();
        assert_eq!(f.encoding.as_deref(), Some("Shift_JIS"));
        let rows = rows(&mut f);
        assert_eq!(rows.len(), 60_000);
        assert_eq!(rows[59_999].row, 60_001);
        assert_eq!(rows[59_999].get(LeadField::Name), Some("山田 太郎59999"));
        assert_eq!(
            rows[59_999].get(LeadField::Company),
            Some("株式会社髙橋製作所59999")
        );

        // A byte that does not decode far into the file: the error names its line, when
        // the rows reach it.
        let mut broken = bytes.into_owned();
        let at = broken.len() - 100;
        let line = 1 + broken[..at].iter().filter(|&&b| b == b'\n').count();
        broken[at] = 0x82;
        broken[at + 1] = b',';
        std::fs::write(&path, &broken).unwrap();
        let mut f = SourceFile::open(&path, &OpenOptions::default()).unwrap();
        let err = f.rows().find_map(Result::err).unwrap();
        assert_eq!(
            err.to_string(),
            format!("line {line}: the file is not valid Shift_JIS")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn large_files_in_every_encoding_read_the_same_from_disk() {
        let mut text = String::from("会社名,氏名,メール\r\n");
        for i in 0..50_000 {
            text.push_str(&format!("﨑山商事{i},髙橋 花子{i},h{i}@example.co.jp\r\n"));
        }
        let dir = std::env::temp_dir().join(format!("ondo-ingest-enc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let utf16le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let utf8_bom: Vec<u8> = [0xEF, 0xBB, 0xBF].into_iter().chain(text.bytes()).collect();
        // EUC-JP has no 﨑 nor 髙 (they are CP932 and Unicode extensions).
        let euc = encoding_rs::EUC_JP
            .encode(&text.replace('﨑', "崎").replace('髙', "高"))
            .0
            .into_owned();
        for (label, bytes, encoding) in [
            ("utf16le", utf16le, "UTF-16LE"),
            ("utf8bom", utf8_bom, "UTF-8"),
            ("eucjp", euc, "EUC-JP"),
        ] {
            assert!(bytes.len() > 2 * PIECE_BYTES, "{label}");
            let path = dir.join(format!("{label}.csv"));
            std::fs::write(&path, &bytes).unwrap();
            let mut f = SourceFile::open(&path, &OpenOptions::default())
                .unwrap_or_else(|e| panic!("{label}: {e:?}"));
            assert_eq!(f.encoding.as_deref(), Some(encoding), "{label}");
            let rows = rows(&mut f);
            let (name, company) = if label == "eucjp" {
                ("高橋 花子49999", "崎山商事0")
            } else {
                ("髙橋 花子49999", "﨑山商事0")
            };
            assert_eq!(rows.len(), 50_000, "{label}");
            assert_eq!(rows[49_999].get(LeadField::Name), Some(name), "{label}");
            assert_eq!(rows[0].get(LeadField::Company), Some(company), "{label}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    mod pieces {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            #[test]
            fn any_piece_size_reads_what_the_whole_text_reads(
                text in "(会社名,氏名,メモ\r?\n)?[a-cあ,\"\r\n ]{0,120}",
                piece in 1usize..24,
            ) {
                let whole = open_in_pieces("p.csv", text.as_bytes(), PIECE_BYTES);
                prop_assert_eq!(open_in_pieces("p.csv", text.as_bytes(), piece), whole);
            }
        }
    }

    #[test]
    fn replace_field_keeps_position() {
        let mut f = vec![
            (LeadField::Name, "a".to_owned()),
            (LeadField::ContactedOn, "x".to_owned()),
            (LeadField::Email, "e".to_owned()),
            (LeadField::ContactedOn, "y".to_owned()),
        ];
        replace_field(&mut f, LeadField::ContactedOn, Some("z".into()));
        assert_eq!(f[1], (LeadField::ContactedOn, "z".to_owned()));
        assert_eq!(f.len(), 3);
        replace_field(&mut f, LeadField::MinutesAttended, Some("0".into()));
        assert_eq!(f[3], (LeadField::MinutesAttended, "0".to_owned()));
    }
}
