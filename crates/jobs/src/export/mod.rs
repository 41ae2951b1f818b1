//! Exports of a lead list: CSV (UTF-8 with a BOM so Excel opens it, or CP932 for old
//! Excel) and `.xlsx`, streamed page by page so a million leads never sit in memory.
//! Every cell that a spreadsheet would run as a formula is neutralised.

mod writer;

use std::collections::BTreeSet;
use std::io::Write;

use ondo_domain::{LeadStatus, Micros};
use ondo_store::leads::{Lead, LeadFilter};
use ondo_store::{Db, StoreError, WorkspaceId};
use serde::Serialize;

pub use writer::{CsvEncoding, csv_line, neutralise};
use writer::{CsvSink, Sink, XlsxSink};

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv(CsvEncoding),
    Xlsx,
}

/// The language of the header row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderLang {
    Ja,
    En,
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    pub leads: usize,
    /// Characters CP932 cannot represent, written as "?" (e.g. 𠮷, emoji).
    pub replaced_characters: usize,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write the spreadsheet: {0}")]
    Xlsx(String),
}

/// Writes a small table (a header row, then `rows`) as CSV or as a one-sheet workbook
/// named `sheet`, with the same protections as the lead export. In the workbook, cells of
/// the `numeric` columns that read as numbers are numbers. Returns the characters CP932
/// could not represent.
pub fn write_table(
    format: ExportFormat,
    sheet: &str,
    headers: &[String],
    numeric: &[bool],
    rows: &[Vec<String>],
    out: &mut (dyn Write + Send),
) -> Result<usize, ExportError> {
    let mut sink: Box<dyn Sink + '_> = match format {
        ExportFormat::Csv(enc) => Box::new(CsvSink::new(out, enc)?),
        ExportFormat::Xlsx => Box::new(XlsxSink::new(out, sheet, numeric.to_vec())?),
    };
    sink.row(headers)?;
    for row in rows {
        sink.row(row)?;
    }
    sink.finish()
}

/// Leads read per query.
const PAGE: i64 = 2_000;

const COLUMNS: [(&str, &str); 20] = [
    ("ID", "ID"),
    ("氏名", "Name"),
    ("フリガナ", "Furigana"),
    ("メールアドレス", "Email"),
    ("電話番号", "Phone"),
    ("携帯電話", "Mobile"),
    ("会社名", "Company"),
    ("部署", "Department"),
    ("役職", "Title"),
    ("郵便番号", "Postal code"),
    ("住所", "Address"),
    ("担当者", "Owner"),
    ("担当者メール", "Owner email"),
    ("ステータス", "Status"),
    ("失注理由", "Lost reason"),
    ("メール配信の同意", "Email consent"),
    ("同意日", "Consent date"),
    ("配信停止", "Opted out"),
    ("作成日時", "Created"),
    ("更新日時", "Updated"),
];

fn cells(l: &Lead, lang: HeaderLang, custom_keys: &[String]) -> Vec<String> {
    let status = LeadStatus::parse(&l.status).map(|s| match lang {
        HeaderLang::Ja => s.label_ja().to_string(),
        HeaderLang::En => s.label_en().to_string(),
    });
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let custom = l.custom_fields();
    let mut row = vec![
        l.id.to_string(),
        l.name.clone(),
        l.kana.clone(),
        opt(&l.email),
        opt(&l.phone),
        opt(&l.mobile),
        l.company_display
            .clone()
            .or_else(|| l.company_name.clone())
            .unwrap_or_default(),
        opt(&l.department),
        opt(&l.title),
        opt(&l.postcode),
        opt(&l.address),
        opt(&l.owner_name),
        opt(&l.owner_email),
        status.unwrap_or_else(|_| l.status.clone()),
        opt(&l.lost_reason),
        opt(&l.consent_source),
        l.consent_at
            .map(|t| Micros(t).format_jst_date())
            .unwrap_or_default(),
        if l.email_opt_out {
            "1".into()
        } else {
            String::new()
        },
        Micros(l.created_at).format_jst(),
        Micros(l.updated_at).format_jst(),
    ];
    for k in custom_keys {
        row.push(match custom.get(k) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        });
    }
    row
}

/// Where an export reads its leads: newest first, at most `limit` leads with an id below
/// `before` (the previous page's last id) at a time. A lead filter is one
/// ([`FilteredLeads`]); a segment's leads are another.
pub trait LeadPages: Sync {
    fn page(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> impl std::future::Future<Output = Result<Vec<Lead>, StoreError>> + Send;
}

/// The leads of a lead list's filter, as an export reads them.
pub struct FilteredLeads<'a> {
    pub db: &'a Db,
    pub ws: WorkspaceId,
    pub filter: &'a LeadFilter,
}

impl LeadPages for FilteredLeads<'_> {
    async fn page(&self, before: Option<i64>, limit: i64) -> Result<Vec<Lead>, StoreError> {
        let filter = LeadFilter {
            before_id: before,
            ..self.filter.clone()
        };
        ondo_store::leads::list(self.db, self.ws, &filter, limit).await
    }
}

/// Calls `f` with each page of the leads, newest first.
async fn for_each_page(
    leads: &impl LeadPages,
    mut f: impl FnMut(&[Lead]) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let mut before = None;
    loop {
        let page = leads.page(before, PAGE).await?;
        if page.is_empty() {
            return Ok(());
        }
        f(&page)?;
        if (page.len() as i64) < PAGE {
            return Ok(());
        }
        before = page.last().map(|l| l.id);
    }
}

/// Writes the leads matching `filter` to `out`.
pub async fn export_leads(
    db: &Db,
    ws: WorkspaceId,
    filter: &LeadFilter,
    format: ExportFormat,
    lang: HeaderLang,
    out: &mut (dyn Write + Send),
) -> Result<ExportSummary, ExportError> {
    let leads = FilteredLeads { db, ws, filter };
    export_pages(&leads, format, lang, out).await
}

/// Writes `leads` to `out`, streamed page by page (read twice: the first pass learns the
/// custom fields' names, which become columns).
pub async fn export_pages(
    leads: &impl LeadPages,
    format: ExportFormat,
    lang: HeaderLang,
    out: &mut (dyn Write + Send),
) -> Result<ExportSummary, ExportError> {
    // Custom fields become columns: one pass to learn their names.
    let mut keys: BTreeSet<String> = BTreeSet::new();
    for_each_page(leads, |page| {
        for l in page {
            keys.extend(l.custom_fields().keys().cloned());
        }
        Ok(())
    })
    .await?;
    let custom_keys: Vec<String> = keys.into_iter().collect();
    let mut header: Vec<String> = COLUMNS
        .iter()
        .map(|(ja, en)| match lang {
            HeaderLang::Ja => ja.to_string(),
            HeaderLang::En => en.to_string(),
        })
        .collect();
    header.extend(custom_keys.iter().cloned());

    let mut sink: Box<dyn Sink + Send + '_> = match format {
        ExportFormat::Csv(enc) => Box::new(CsvSink::new(out, enc)?),
        ExportFormat::Xlsx => Box::new(XlsxSink::new(out, "Leads", Vec::new())?),
    };
    sink.row(&header)?;
    let mut written = 0;
    for_each_page(leads, |page| {
        for l in page {
            sink.row(&cells(l, lang, &custom_keys))?;
            written += 1;
        }
        Ok(())
    })
    .await?;
    let replaced_characters = sink.finish()?;
    Ok(ExportSummary {
        leads: written,
        replaced_characters,
    })
}
