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
use std::path::Path;

use calamine::{Data, Range};
use serde::Serialize;

use crate::IngestError;
use crate::encoding::decode;
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
        text: String,
        delimiter: u8,
        /// Byte offset of the header record.
        header_offset: usize,
    },
    Sheet {
        range: Range<Data>,
        /// Index (in the range) of the header row.
        header_index: usize,
        /// Excel row number of the range's first row.
        first_row: usize,
    },
    VCard {
        text: String,
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
    /// Open a file on disk. See [`SourceFile::from_bytes`].
    pub fn open(path: &Path, opts: &OpenOptions) -> Result<SourceFile, IngestError> {
        let bytes = std::fs::read(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        SourceFile::from_bytes(&name, bytes, opts)
    }

    /// Open an uploaded file. The kind is decided by content: zip (`PK\3\4`) or OLE
    /// magic → spreadsheet; `BEGIN:VCARD` → vCard; otherwise CSV/TSV. `name`'s extension
    /// only breaks ties (`.tsv` prefers tabs; `.vcf` accepts text before the first card).
    pub fn from_bytes(
        name: &str,
        bytes: Vec<u8>,
        opts: &OpenOptions,
    ) -> Result<SourceFile, IngestError> {
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(IngestError::Empty);
        }
        let ext = Path::new(name)
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        const OLE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&OLE) {
            return open_sheet(&bytes, opts);
        }
        let decoded = decode(&bytes, opts.encoding.as_deref())?;
        drop(bytes);
        let encoding = Some(decoded.encoding.name().to_owned());
        let text = decoded.text;
        if text.trim().trim_start_matches('\u{FEFF}').is_empty() {
            return Err(IngestError::Empty);
        }
        let is_vcard = vcard::looks_like_vcard(&text)
            || (ext == "vcf" && {
                let head: String = text.chars().take(4096).collect();
                head.to_ascii_uppercase().contains("BEGIN:VCARD")
            });
        if is_vcard {
            return open_vcard(text, encoding, opts);
        }
        open_csv(text, encoding, ext == "tsv", opts)
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
                text,
                delimiter,
                header_offset,
            } => {
                let mut cursor = CsvCursor::new(text, *delimiter, *header_offset, self.header_row);
                // Skip the header record itself.
                let _ = cursor.next_record();
                RawIter::Csv(cursor)
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
            Body::VCard { text } => RawIter::VCard(Cards::new(text)),
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
            let mut raw = file.raw_rows();
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

/// True when the CSV text `s` (one record, up to the end of the file) ends inside a quoted
/// field, following the csv crate's quoting rules.
fn ends_in_open_quote(s: &str, delimiter: u8) -> bool {
    #[derive(PartialEq)]
    enum St {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut st = St::FieldStart;
    for &b in s.as_bytes() {
        st = match st {
            St::FieldStart | St::Unquoted if b == delimiter || b == b'\r' || b == b'\n' => {
                St::FieldStart
            }
            St::FieldStart if b == b'"' => St::Quoted,
            St::FieldStart | St::Unquoted => St::Unquoted,
            St::Quoted if b == b'"' => St::QuoteInQuoted,
            St::Quoted => St::Quoted,
            St::QuoteInQuoted if b == b'"' => St::Quoted,
            St::QuoteInQuoted if b == delimiter || b == b'\r' || b == b'\n' => St::FieldStart,
            St::QuoteInQuoted => St::Unquoted,
        };
    }
    st == St::Quoted
}

/// A CSV record: its Excel row, the byte offset where it starts, its cells.
struct CsvRecord {
    row: usize,
    start: usize,
    cells: Vec<String>,
}

/// Streams CSV records from decoded text, numbering them as Excel rows.
struct CsvCursor<'a> {
    text: &'a str,
    base: usize,
    delimiter: u8,
    reader: csv::Reader<&'a [u8]>,
    record: csv::StringRecord,
    /// Start offset and in-cell line breaks of the previous record.
    prev: Option<(usize, usize)>,
    /// Row of the previous record (or the first row, before any record).
    row: usize,
    done: bool,
}

impl<'a> CsvCursor<'a> {
    /// Read from byte `base`, whose first record is row `first_row` (when it is not
    /// preceded by blank lines).
    fn new(text: &'a str, delimiter: u8, base: usize, first_row: usize) -> Self {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(&text.as_bytes()[base..]);
        CsvCursor {
            text,
            base,
            delimiter,
            reader,
            record: csv::StringRecord::new(),
            prev: None,
            row: first_row,
            done: false,
        }
    }

    /// The next record: (row, byte offset of its start, cells).
    fn next_record(&mut self) -> Option<Result<CsvRecord, IngestError>> {
        if self.done {
            return None;
        }
        let before = self.base + self.reader.position().byte() as usize;
        match self.reader.read_record(&mut self.record) {
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(IngestError::Csv {
                    line: self.row + 1,
                    message: e.to_string(),
                }))
            }
            Ok(true) => {
                let bytes = self.text.as_bytes();
                let mut start = before;
                while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
                    start += 1;
                }
                self.row = match self.prev {
                    None => self.row + count_breaks(&self.text[self.base..start]),
                    Some((prev_start, in_cells)) => {
                        let breaks = count_breaks(&self.text[prev_start..start]);
                        self.row + breaks.saturating_sub(in_cells).max(1)
                    }
                };
                let cells: Vec<String> = self.record.iter().map(str::to_owned).collect();
                let in_cells = cells.iter().map(|c| count_breaks(c)).sum();
                self.prev = Some((start, in_cells));
                let end = self.base + self.reader.position().byte() as usize;
                if end >= self.text.len() && ends_in_open_quote(&self.text[start..], self.delimiter)
                {
                    self.done = true;
                    return Some(Err(IngestError::UnclosedQuote { row: self.row }));
                }
                Some(Ok(CsvRecord {
                    row: self.row,
                    start,
                    cells,
                }))
            }
        }
    }
}

fn open_csv(
    text: String,
    encoding: Option<String>,
    prefer_tab: bool,
    opts: &OpenOptions,
) -> Result<SourceFile, IngestError> {
    let bom = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
    let delimiter = detect_delimiter(&text[bom..], prefer_tab);
    let (header, zoom_section) = {
        let mut cursor = CsvCursor::new(&text, delimiter, bom, 1);
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
        text,
        delimiter,
        header_offset: header.pos,
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

fn open_sheet(bytes: &[u8], opts: &OpenOptions) -> Result<SourceFile, IngestError> {
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
    )
}

fn open_vcard(
    text: String,
    encoding: Option<String>,
    opts: &OpenOptions,
) -> Result<SourceFile, IngestError> {
    let has_card = Cards::new(&text).next().is_some();
    if !has_card {
        return Err(IngestError::Empty);
    }
    let headers: Vec<String> = vcard::COLUMNS.iter().map(|(h, _)| h.to_string()).collect();
    match SourceFile::assemble(
        encoding,
        Vec::new(),
        Body::VCard { text },
        0,
        headers,
        false,
        0,
        opts,
    ) {
        // Every card was empty.
        Err(IngestError::HeaderOnly) => Err(IngestError::Empty),
        other => other,
    }
}

// ---------------------------------------------------------------------------------------
// Row iteration

enum RawIter<'a> {
    Csv(CsvCursor<'a>),
    Sheet {
        range: &'a Range<Data>,
        next: usize,
        first_row: usize,
    },
    VCard(Cards<'a>),
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
            RawIter::VCard(cards) => match cards.next()? {
                Ok((row, cells)) => RawRow { row, cells },
                Err(e) => return Some(Err(e)),
            },
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
