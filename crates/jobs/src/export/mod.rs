//! Exports of a lead list: CSV (UTF-8 with a BOM so Excel opens it, or CP932 for old
//! Excel) and `.xlsx`, streamed page by page so a million leads never sit in memory.
//! Every cell that a spreadsheet would run as a formula is neutralised.

mod writer;

use std::collections::{BTreeSet, HashMap};
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

const COLUMNS: [(&str, &str); 21] = [
    ("ID", "ID"),
    ("氏名", "Name"),
    ("フリガナ", "Furigana"),
    ("メールアドレス", "Email"),
    ("電話番号", "Phone"),
    ("携帯電話", "Mobile"),
    ("別の連絡先", "Other contacts"),
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

/// Separates a lead's other contacts in their one cell: Excel users read "a@x.jp;
/// 090-1234-5678" as a list, and neither emails nor numbers as stored hold a ";".
const OTHER_CONTACTS_SEPARATOR: &str = "; ";

/// A lead's other contacts (`(kind, value)` oldest first, as
/// [`ondo_store::identities::of_leads`] gives them) as one cell: emails, then phones, then
/// mobiles, each kind oldest first.
fn other_contacts_cell(others: Option<&Vec<(String, String)>>) -> String {
    let Some(others) = others else {
        return String::new();
    };
    let rank = |kind: &str| {
        ondo_store::identities::KINDS
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(usize::MAX)
    };
    let mut sorted: Vec<&(String, String)> = others.iter().collect();
    // Stable: within a kind, the order they were added stays.
    sorted.sort_by_key(|(kind, _)| rank(kind));
    sorted
        .iter()
        .map(|(_, value)| value.as_str())
        .collect::<Vec<_>>()
        .join(OTHER_CONTACTS_SEPARATOR)
}

fn cells(l: &Lead, others: String, lang: HeaderLang, custom_keys: &[String]) -> Vec<String> {
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
        others,
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
    /// The database and workspace the leads are in, where the export reads what else it
    /// writes of them (their other contacts).
    fn workspace(&self) -> (&Db, WorkspaceId);

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
    fn workspace(&self) -> (&Db, WorkspaceId) {
        (self.db, self.ws)
    }

    async fn page(&self, before: Option<i64>, limit: i64) -> Result<Vec<Lead>, StoreError> {
        let filter = LeadFilter {
            before_id: before,
            ..self.filter.clone()
        };
        ondo_store::leads::list(self.db, self.ws, &filter, limit).await
    }
}

/// Reads the leads page by page, newest first.
struct Pager<'a, P> {
    leads: &'a P,
    before: Option<i64>,
    done: bool,
}

impl<'a, P: LeadPages> Pager<'a, P> {
    fn new(leads: &'a P) -> Self {
        Pager {
            leads,
            before: None,
            done: false,
        }
    }

    /// The next page, or `None` after the last.
    async fn next(&mut self) -> Result<Option<Vec<Lead>>, ExportError> {
        if self.done {
            return Ok(None);
        }
        let page = self.leads.page(self.before, PAGE).await?;
        self.done = (page.len() as i64) < PAGE;
        self.before = page.last().map(|l| l.id);
        Ok((!page.is_empty()).then_some(page))
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
    let mut pages = Pager::new(leads);
    while let Some(page) = pages.next().await? {
        for l in &page {
            keys.extend(l.custom_fields().keys().cloned());
        }
    }
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
    let (db, ws) = leads.workspace();
    let mut written = 0;
    let mut pages = Pager::new(leads);
    while let Some(page) = pages.next().await? {
        // One query a page, not one a lead.
        let ids: Vec<i64> = page.iter().map(|l| l.id).collect();
        let others: HashMap<i64, Vec<(String, String)>> =
            ondo_store::identities::of_leads(db, ws, &ids).await?;
        for l in &page {
            // Through the sink like every cell, so a value that reads as a formula is
            // neutralised.
            let other = other_contacts_cell(others.get(&l.id));
            sink.row(&cells(l, other, lang, &custom_keys))?;
            written += 1;
        }
    }
    let replaced_characters = sink.finish()?;
    Ok(ExportSummary {
        leads: written,
        replaced_characters,
    })
}
