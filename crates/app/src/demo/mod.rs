//! Demo workspace: a realistic Japanese B2B lead database (about 2,000 leads at about 450
//! companies, with nine months of touchpoints, web/email behaviour, sales activities and
//! status history) so that every page of the product has something real to show.
//!
//! This module only produces plain data; loading it into the database is done elsewhere.
//!
//! Safety: no generated e-mail address can reach a real person. Corporate addresses use a
//! sub-domain of the reserved `example.co.jp` (e.g. `t.yamada@kaneko-seeds.example.co.jp`),
//! free-mail-style addresses use the reserved `example.jp`, users use `demo.ondo.example`.
//! Company *names* may be real (from public lists); the people are fictional.

pub mod data;
mod generate;
pub mod list;
mod sources;

use ondo_domain::{LeadStatus, Micros, Role};

/// Everything the demo loader inserts.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoWorkspace {
    pub users: Vec<DemoUser>,
    pub companies: Vec<DemoCompany>,
    pub leads: Vec<DemoLead>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoCompany {
    /// As written in the source list, e.g. "株式会社　サカタのタネ".
    pub raw_name: String,
    pub corporate_number: Option<String>,
    /// Always a sub-domain of `example.co.jp` in generated workspaces.
    pub domain: Option<String>,
    /// Rows from the Japan Post list (and the built-in list) start with "〒123-4567 ".
    pub address: Option<String>,
    pub industry: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoLead {
    /// Family name + ASCII space + given name, e.g. "山田 太郎".
    pub name: String,
    /// Katakana reading, e.g. "ヤマダ タロウ".
    pub kana: String,
    pub email: Option<String>,
    /// Landline as people type it: "03-1234-5678", sometimes "312345678" (Excel dropped the 0).
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    /// Index into [`DemoWorkspace::companies`].
    pub company: Option<usize>,
    pub postcode: Option<String>,
    pub address: Option<String>,
    /// Index into [`DemoWorkspace::users`]; always a sales user.
    pub owner: Option<usize>,
    pub status: LeadStatus,
    /// 予算なし, 時期尚早, 競合採用, 連絡不通 or ニーズなし; set exactly for lost leads.
    pub lost_reason: Option<String>,
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    /// "business_card" | "form_opt_in" | "existing_relationship".
    pub consent_source: Option<String>,
    pub consent_at: Option<Micros>,
    pub email_opt_out: bool,
    pub created_at: Micros,
    /// Chronological; the first one is at `created_at`.
    pub touchpoints: Vec<DemoTouchpoint>,
    /// Chronological, strictly after `created_at`, never after `now`.
    pub events: Vec<DemoEvent>,
    /// Chronological.
    pub activities: Vec<DemoActivity>,
    /// Chronological path starting with `None → New` at `created_at`.
    pub status_changes: Vec<DemoStatusChange>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoTouchpoint {
    /// e.g. "展示会 2026-10 東京", "問い合わせフォーム", "資料請求: 導入事例集".
    pub source: String,
    /// "trade_show" | "form" | "document_request" | "webinar" | "import".
    pub kind: String,
    pub at: Micros,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoEvent {
    /// "email_open" | "email_click" | "page_view" | "download" | "form_submit" | "webinar_attend".
    pub kind: String,
    pub at: Micros,
    pub url: Option<String>,
    pub properties: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoActivity {
    /// "call" | "email" | "meeting" | "note".
    pub kind: String,
    /// For calls: "不在" | "受付ブロック" | "担当者と会話" | "アポ獲得" | "資料送付".
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub at: Micros,
    /// Index into [`DemoWorkspace::users`].
    pub user: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoStatusChange {
    pub from: Option<LeadStatus>,
    pub to: LeadStatus,
    pub at: Micros,
    /// `None` when an automatic rule made the change.
    pub user: Option<usize>,
    /// Why, in Japanese, e.g. "資料ダウンロード後に製品ページを3回閲覧".
    pub reason: String,
}

/// Where company names come from.
///
/// Looks for the real public lists in the shared data directory (`ONDO_DEMO_DATA_DIR`, else
/// `../shared/data` relative to the current directory, else relative to this crate): the
/// EDINET filer list and Japan Post's office postcode list, both Shift_JIS. Any read error
/// falls back to a built-in list of about 60 fictional companies.
pub fn load_company_sources() -> Vec<DemoCompany> {
    sources::load()
}

/// Generate the demo workspace. Deterministic: the same seed, `now` and sources give the
/// same workspace. Pure computation, no I/O. When `sources` holds fewer than ~450 distinct
/// companies, fictional ones are synthesised to make up the number.
pub fn generate(seed: u64, now: Micros, sources: &[DemoCompany]) -> DemoWorkspace {
    generate::run(seed, now.0, sources)
}

#[cfg(test)]
mod tests;
