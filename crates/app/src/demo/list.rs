//! A trade-show list for the demo, imported through the real import pipeline when the demo
//! loads: some visitors are people the workspace already holds, written the way a badge
//! scanner's Excel writes them; some left only a private address beside their name and
//! company (candidate pairs for the duplicate review); some are new.

use super::DemoWorkspace;

/// Where the list's rows come from.
pub const LIST_SOURCE: &str = "展示会 2026秋（デモ）";
/// The list's file name, as the import history shows it.
pub const LIST_FILE: &str = "展示会来場者リスト.csv";

/// How many leads apart the list's people are picked.
const STRIDE: usize = 97;
/// Of the picked people, the first ones return written another way, the next ones with a
/// private address only, and the rest give their name to a new person.
const RETURNING: usize = 10;
const PRIVATE: usize = 4;
const NEW: usize = 6;

/// The list as a UTF-8 CSV (what the import reads); deterministic for a workspace.
pub fn trade_show_list(data: &DemoWorkspace) -> String {
    let mut out = String::from("会社名,氏名,メールアドレス,電話番号,部署,役職\r\n");
    let picked: Vec<&super::DemoLead> = data
        .leads
        .iter()
        .step_by(STRIDE)
        .filter(|l| l.company.is_some() && l.email.is_some() && l.name.contains(' '))
        .take(RETURNING + PRIVATE + NEW + 1)
        .collect();
    let company = |l: &super::DemoLead| {
        let raw = l
            .company
            .and_then(|i| data.companies.get(i))
            .map_or("", |c| c.raw_name.trim());
        // A badge scanner's abbreviation of the legal form.
        raw.replacen("株式会社", "(株)", 1)
    };
    let mut push = |cells: [&str; 6]| {
        let cells: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
        out.push_str(&ondo_jobs::export::csv_line(&cells));
    };
    for (i, l) in picked.iter().enumerate() {
        let email = l.email.as_deref().unwrap_or("");
        let dept = l.department.as_deref().unwrap_or("");
        let title = l.title.as_deref().unwrap_or("");
        if i < RETURNING {
            // The same person: no space in the name, the address in capitals.
            push([
                &company(l),
                &l.name.replace(' ', ""),
                &email.to_ascii_uppercase(),
                l.phone.as_deref().unwrap_or(""),
                dept,
                title,
            ]);
        } else if i < RETURNING + PRIVATE {
            // Name and company only, with a private address: maybe the same person.
            let local = email
                .split('@')
                .next()
                .unwrap_or("visitor")
                .replace('.', "_");
            push([
                &company(l),
                &l.name,
                &format!("{local}_{i}@example.jp"),
                "",
                "",
                "",
            ]);
        } else if let Some(next) = picked.get(i + 1) {
            // A colleague nobody has met: this family name, the next person's given name.
            let family = l.name.split(' ').next().unwrap_or("");
            let given = next.name.split(' ').nth(1).unwrap_or("");
            push([
                &company(l),
                &format!("{family} {given}"),
                "",
                "",
                dept,
                "担当",
            ]);
        }
    }
    out
}
