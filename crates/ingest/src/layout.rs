//! Known export layouts: business-card apps (Eight, Sansan), Zoom webinar reports, vCard.
//!
//! A layout is recognised from the header row; it adjusts the synonym mapping (Eight's
//! tag columns, Zoom's bookkeeping columns) and, for Zoom, how rows are read (one row per
//! attendee instead of one per join).

use serde::Serialize;

use crate::mapping::{ColumnTarget, LeadField, match_header, normalize_header};

/// The kind of file, as far as column meanings are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    Generic,
    /// Eight (business-card app) CSV export: 15 fixed columns, then one column per tag.
    Eight,
    /// Sansan CSV export.
    Sansan,
    /// Zoom webinar attendee report (or a meeting participant report).
    ZoomWebinar,
    VCard,
}

/// Layout-specific facts the row reader needs.
#[derive(Debug, Clone, Default)]
pub(crate) struct LayoutInfo {
    /// Columns named after a tag whose cells are flags (`1`): Eight's tag columns.
    pub flag_tag_columns: Vec<usize>,
    /// Zoom: aggregate rows per email.
    pub zoom: Option<ZoomRoles>,
}

/// Columns the Zoom aggregation reads directly, whatever they are mapped to.
#[derive(Debug, Clone, Default)]
pub(crate) struct ZoomRoles {
    /// `Attended` (`Yes`/`No`).
    pub attended: Option<usize>,
    /// `Registration Time`: the contact date of registrants who never joined.
    pub registration: Option<usize>,
}

/// Eight's last fixed column; the columns after it are tags.
const EIGHT_LAST_FIXED: &str = "名刺交換日";

fn normalized(headers: &[String]) -> Vec<String> {
    headers.iter().map(|h| normalize_header(h)).collect()
}

fn is_zoom_join(n: &str, ns: &[String]) -> bool {
    matches!(n, "jointime" | "参加日時" | "入室時間" | "入室日時")
        || (n == "参加時間" && ns.iter().any(|m| m == "退出時間"))
}

fn is_zoom_leave(n: &str) -> bool {
    matches!(
        n,
        "leavetime" | "退出時間" | "退出日時" | "退室時間" | "退室日時"
    )
}

fn is_zoom_attended(n: &str) -> bool {
    matches!(n, "attended" | "出席済み" | "出席")
}

fn is_zoom_registration(n: &str) -> bool {
    matches!(n, "registrationtime" | "登録時間" | "登録日時")
}

fn is_zoom_noise(n: &str) -> bool {
    matches!(
        n,
        "approvalstatus"
            | "承認ステータス"
            | "isguest"
            | "guest"
            | "ゲスト"
            | "recordingconsent"
            | "録画への同意"
            | "inwaitingroom"
            | "待機室内"
    )
}

/// Recognise a layout from a header row. `zoom_section` is true when the header followed
/// a Zoom "Attendee Details" section title.
pub(crate) fn detect(headers: &[String], zoom_section: bool) -> Layout {
    let ns = normalized(headers);
    let has = |s: &str| ns.iter().any(|n| n == s);
    if has(EIGHT_LAST_FIXED) && (has("tel会社") || has("tel部門") || has("tel直通")) {
        return Layout::Eight;
    }
    if has(EIGHT_LAST_FIXED) && (has("会社電話番号") || has("直通電話番号")) {
        return Layout::Sansan;
    }
    if zoom_section {
        return Layout::ZoomWebinar;
    }
    let join = ns.iter().any(|n| is_zoom_join(n, &ns));
    let leave = ns.iter().any(|n| is_zoom_leave(n));
    let minutes = headers.iter().zip(&ns).any(|(h, n)| {
        !is_zoom_join(n, &ns) && matches!(match_header(h), Some((LeadField::MinutesAttended, _)))
    });
    if join && leave && minutes {
        return Layout::ZoomWebinar;
    }
    Layout::Generic
}

/// Adjust synonym targets for a layout.
pub(crate) fn apply(
    layout: Layout,
    headers: &[String],
    targets: &mut [ColumnTarget],
) -> LayoutInfo {
    let ns = normalized(headers);
    let mut info = LayoutInfo::default();
    match layout {
        Layout::Eight => {
            if let Some(last) = ns.iter().position(|n| n == EIGHT_LAST_FIXED) {
                for (i, t) in targets.iter_mut().enumerate().skip(last + 1) {
                    if !headers[i].trim().is_empty() {
                        *t = ColumnTarget::Field(LeadField::Tags);
                        info.flag_tag_columns.push(i);
                    }
                }
            }
        }
        Layout::ZoomWebinar => {
            let mut roles = ZoomRoles::default();
            let mut minutes_taken = false;
            for (i, n) in ns.iter().enumerate() {
                if is_zoom_attended(n) {
                    roles.attended.get_or_insert(i);
                    targets[i] = ColumnTarget::Ignore;
                } else if is_zoom_registration(n) {
                    roles.registration.get_or_insert(i);
                    targets[i] = ColumnTarget::Ignore;
                } else if is_zoom_join(n, &ns) {
                    targets[i] = ColumnTarget::Field(LeadField::ContactedOn);
                } else if is_zoom_leave(n) || is_zoom_noise(n) {
                    targets[i] = ColumnTarget::Ignore;
                } else if !minutes_taken
                    && matches!(
                        match_header(&headers[i]),
                        Some((LeadField::MinutesAttended, _))
                    )
                {
                    targets[i] = ColumnTarget::Field(LeadField::MinutesAttended);
                    minutes_taken = true;
                }
            }
            // Only the first join-time column is the contact date.
            let mut seen = false;
            for t in targets.iter_mut() {
                if *t == ColumnTarget::Field(LeadField::ContactedOn) {
                    if seen {
                        *t = ColumnTarget::Ignore;
                    }
                    seen = true;
                }
            }
            info.zoom = Some(roles);
        }
        Layout::Generic | Layout::Sansan | Layout::VCard => {}
    }
    info
}

/// A Zoom report's first lines ("Attendee Report", "Report Generated:", "Topic,…").
pub(crate) fn is_zoom_report_marker(cells: &[String]) -> bool {
    let Some(first) = cells.first() else {
        return false;
    };
    let n = normalize_header(first);
    matches!(
        n.as_str(),
        "attendeereport"
            | "webinarattendeereport"
            | "attendeereportwebinar"
            | "reportgenerated"
            | "出席者レポート"
            | "参加者レポート"
            | "レポート生成日"
            | "レポート作成日"
            | "ウェビナー出席者レポート"
    ) || n.starts_with("reportgenerated")
}

/// The "Attendee Details" line that precedes the attendee header in a Zoom report.
pub(crate) fn is_attendee_section(cells: &[String]) -> bool {
    let non_empty: Vec<&String> = cells.iter().filter(|c| !c.trim().is_empty()).collect();
    if non_empty.len() != 1 {
        return false;
    }
    matches!(
        normalize_header(non_empty[0]).as_str(),
        "attendeedetails" | "出席者の詳細" | "出席者詳細" | "参加者の詳細" | "参加者詳細"
    )
}

/// Any section title of a Zoom report ("Host Details", "Panelist Details"…): a line with
/// a single cell in the first column.
pub(crate) fn is_section_title(cells: &[String]) -> bool {
    let mut non_empty = cells
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.trim().is_empty());
    match (non_empty.next(), non_empty.next()) {
        (Some((0, c)), None) => {
            let n = normalize_header(c);
            n.ends_with("details") || n.ends_with("の詳細")
        }
        _ => false,
    }
}

/// A Zoom time stamp as sortable components: `12/20/2025 14:03:12` (US),
/// `2025/12/20 14:03:12`, `2025-12-20 14:03:12`, `Dec 20, 2025 02:03:12 PM`.
pub(crate) fn parse_zoom_time(raw: &str) -> Option<(i32, u8, u8, u8, u8, u8)> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let s = raw.trim().to_ascii_lowercase();
    let pm = s.contains("pm") || s.contains("午後");
    let am = s.contains("am") || s.contains("午前");
    let month_name = MONTHS.iter().position(|m| s.contains(m));
    let nums: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<u32>>>()?;
    let digits_len: Vec<usize> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(str::len)
        .collect();
    let (y, m, d, rest) = if let Some(mi) = month_name {
        // "Dec 20, 2025 02:03:12 PM"
        if nums.len() < 2 {
            return None;
        }
        (nums[1], mi as u32 + 1, nums[0], &nums[2..])
    } else {
        if nums.len() < 3 {
            return None;
        }
        if digits_len[0] == 4 {
            (nums[0], nums[1], nums[2], &nums[3..])
        } else if digits_len[2] == 4 {
            (nums[2], nums[0], nums[1], &nums[3..])
        } else {
            return None;
        }
    };
    let mut hour = rest.first().copied().unwrap_or(0);
    let minute = rest.get(1).copied().unwrap_or(0);
    let second = rest.get(2).copied().unwrap_or(0);
    if pm && hour < 12 {
        hour += 12;
    } else if am && hour == 12 {
        hour = 0;
    }
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some((
        i32::try_from(y).ok()?,
        m as u8,
        d as u8,
        hour as u8,
        minute as u8,
        second as u8,
    ))
}

/// `2025-12-20 14:03:12`.
pub(crate) fn format_time(t: (i32, u8, u8, u8, u8, u8)) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.0, t.1, t.2, t.3, t.4, t.5
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::map_headers;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    const EIGHT: &[&str] = &[
        "会社名",
        "部署名",
        "役職",
        "姓",
        "名",
        "e-mail",
        "郵便番号",
        "住所",
        "TEL会社",
        "TEL部門",
        "TEL直通",
        "Fax",
        "携帯電話",
        "URL",
        "名刺交換日",
        "展示会2025",
        "VIP",
    ];

    #[test]
    fn eight_layout() {
        let h = strings(EIGHT);
        assert_eq!(detect(&h, false), Layout::Eight);
        let mut t = map_headers(&h, 0);
        let info = apply(Layout::Eight, &h, &mut t);
        assert_eq!(info.flag_tag_columns, vec![15, 16]);
        assert_eq!(t[8], ColumnTarget::Field(LeadField::Phone));
        assert_eq!(t[10], ColumnTarget::Field(LeadField::Phone));
        assert_eq!(t[12], ColumnTarget::Field(LeadField::Mobile));
        assert_eq!(t[14], ColumnTarget::Field(LeadField::ContactedOn));
        assert_eq!(t[15], ColumnTarget::Field(LeadField::Tags));
    }

    #[test]
    fn sansan_layout() {
        let h = strings(&[
            "会社名",
            "部署名",
            "役職",
            "氏名",
            "氏名（カナ）",
            "メールアドレス",
            "郵便番号",
            "都道府県",
            "住所1",
            "住所2",
            "会社電話番号",
            "直通電話番号",
            "携帯電話番号",
            "FAX番号",
            "URL",
            "名刺交換日",
            "所有者",
        ]);
        assert_eq!(detect(&h, false), Layout::Sansan);
        let t = map_headers(&h, 0);
        assert_eq!(t[4], ColumnTarget::Field(LeadField::Kana));
        assert_eq!(t[8], ColumnTarget::Field(LeadField::Address));
        assert_eq!(t[9], ColumnTarget::Field(LeadField::Address));
        assert_eq!(t[12], ColumnTarget::Field(LeadField::Mobile));
        assert_eq!(t[13], ColumnTarget::Field(LeadField::Fax));
        assert_eq!(t[16], ColumnTarget::Custom("所有者".into()));
    }

    #[test]
    fn zoom_layout() {
        let h = strings(&[
            "Attended",
            "User Name (Original Name)",
            "First Name",
            "Last Name",
            "Email",
            "Registration Time",
            "Approval Status",
            "Join Time",
            "Leave Time",
            "Time in Session (minutes)",
            "Is Guest",
            "Country/Region Name",
            "Organization",
        ]);
        assert_eq!(detect(&h, false), Layout::ZoomWebinar);
        let mut t = map_headers(&h, 0);
        let info = apply(Layout::ZoomWebinar, &h, &mut t);
        let roles = info.zoom.unwrap();
        assert_eq!(roles.attended, Some(0));
        assert_eq!(roles.registration, Some(5));
        assert_eq!(t[1], ColumnTarget::Field(LeadField::Name));
        assert_eq!(t[5], ColumnTarget::Ignore);
        assert_eq!(t[7], ColumnTarget::Field(LeadField::ContactedOn));
        assert_eq!(t[8], ColumnTarget::Ignore);
        assert_eq!(t[9], ColumnTarget::Field(LeadField::MinutesAttended));
        assert_eq!(t[11], ColumnTarget::Custom("Country/Region Name".into()));
        assert_eq!(t[12], ColumnTarget::Field(LeadField::Company));
    }

    #[test]
    fn japanese_zoom_headers() {
        let h = strings(&[
            "出席済み",
            "ユーザー名（元の名前）",
            "名",
            "姓",
            "メール",
            "登録時間",
            "承認ステータス",
            "参加時間",
            "退出時間",
            "セッション中の時間（分）",
            "ゲスト",
            "国/地域名",
        ]);
        assert_eq!(detect(&h, false), Layout::ZoomWebinar);
        let mut t = map_headers(&h, 0);
        apply(Layout::ZoomWebinar, &h, &mut t);
        assert_eq!(t[7], ColumnTarget::Field(LeadField::ContactedOn));
        assert_eq!(t[9], ColumnTarget::Field(LeadField::MinutesAttended));
    }

    #[test]
    fn generic_layout() {
        assert_eq!(
            detect(&strings(&["会社名", "氏名", "メール"]), false),
            Layout::Generic
        );
        // 参加時間 alone is minutes, not a Zoom report.
        assert_eq!(
            detect(&strings(&["氏名", "参加時間"]), false),
            Layout::Generic
        );
    }

    #[test]
    fn zoom_markers() {
        assert!(is_zoom_report_marker(&strings(&["Attendee Report"])));
        assert!(is_zoom_report_marker(&strings(&[
            "Report Generated:",
            "12/24/2025"
        ])));
        assert!(!is_zoom_report_marker(&strings(&["会社名"])));
        assert!(is_attendee_section(&strings(&["Attendee Details", "", ""])));
        assert!(!is_attendee_section(&strings(&["Attendee Details", "x"])));
        assert!(is_section_title(&strings(&["Panelist Details"])));
        assert!(!is_section_title(&strings(&["Yes", "Details"])));
    }

    #[test]
    fn zoom_times() {
        let t = parse_zoom_time("12/20/2025 14:03:12").unwrap();
        assert_eq!(format_time(t), "2025-12-20 14:03:12");
        let t = parse_zoom_time("2025/12/20 9:05:00").unwrap();
        assert_eq!(format_time(t), "2025-12-20 09:05:00");
        let t = parse_zoom_time("Dec 20, 2025 02:03:12 PM").unwrap();
        assert_eq!(format_time(t), "2025-12-20 14:03:12");
        let t = parse_zoom_time("Dec 20, 2025 12:03:12 AM").unwrap();
        assert_eq!(format_time(t), "2025-12-20 00:03:12");
        assert!(parse_zoom_time("--").is_none());
        assert!(parse_zoom_time("20/12/25").is_none());
        assert!(parse_zoom_time("13/40/2025 10:00").is_none());
        assert!(parse_zoom_time("12/20/2025 10:00") < parse_zoom_time("01/05/2026 09:00"));
    }
}
