//! What a handoff notification says: the email to the owner in their language, the
//! Slack text, and the generic JSON body. Lead names, companies and reasons are
//! untrusted text (a web form's visitor typed them): they are made one line and freed of
//! control characters for headers, escaped for Slack, and encoded by serde for JSON.

use ondo_domain::Micros;
use serde_json::{Value, json};

/// The language of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    /// A user's UI language setting; Japanese unless it says English.
    pub fn of_locale(locale: Option<&str>) -> Lang {
        match locale {
            Some(l) if l.trim().to_ascii_lowercase().starts_with("en") => Lang::En,
            _ => Lang::Ja,
        }
    }
}

/// Everything a handoff notification tells.
#[derive(Debug, Clone, PartialEq)]
pub struct Handoff {
    pub lead_id: i64,
    pub lead_name: String,
    pub company: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
    pub owner_id: i64,
    pub owner_name: String,
    pub owner_email: Option<String>,
    /// The handoff rule that moved the lead (`sql`…), or `None` for a change by hand.
    pub rule: Option<String>,
    pub reason_ja: Option<String>,
    pub reason_en: Option<String>,
    /// When the lead became sales-ready.
    pub at: Micros,
    /// The lead's page.
    pub url: String,
}

/// Longest lead name or company kept in a subject line.
const SUBJECT_PART_CHARS: usize = 60;

/// Invisible characters that reorder text on screen (a name could disguise a link).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Untrusted text as one line: control and bidi characters become spaces, runs of
/// whitespace one space, and at most `max` characters are kept (with "…").
pub fn one_line(s: &str, max: usize) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let line = words.join(" ");
    if line.chars().count() > max {
        let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        line
    }
}

/// Text for a Slack message: `&`, `<` and `>` escaped as Slack asks, so a name cannot
/// make a link or a mention (`<!channel>`).
pub fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn nonblank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl Handoff {
    fn name(&self) -> String {
        one_line(&self.lead_name, 200)
    }

    fn company(&self) -> Option<String> {
        nonblank(&self.company).map(|c| one_line(c, 200))
    }

    /// Why the lead became sales-ready, in `lang`.
    pub fn reason(&self, lang: Lang) -> String {
        let text = match lang {
            Lang::Ja => nonblank(&self.reason_ja),
            Lang::En => nonblank(&self.reason_en).or(nonblank(&self.reason_ja)),
        };
        match (text, self.rule.is_some(), lang) {
            (Some(t), _, _) => one_line(t, 500),
            (None, false, Lang::Ja) => "担当者がステータスを変更しました".into(),
            (None, false, Lang::En) => "The status was changed by a person".into(),
            (None, true, Lang::Ja) => "営業渡しの基準を満たしました".into(),
            (None, true, Lang::En) => "It met the criteria for sales".into(),
        }
    }

    fn rule_label(&self, lang: Lang) -> Option<String> {
        let rule = self.rule.as_deref()?;
        Some(match (rule, lang) {
            ("sql", Lang::Ja) => "SQL（営業渡し）".into(),
            ("sql", Lang::En) => "SQL (sales-ready)".into(),
            ("mql", _) => "MQL".into(),
            (other, _) => one_line(other, 40),
        })
    }

    /// The email to the owner: subject and plain-text body in `lang`.
    pub fn email(&self, lang: Lang) -> (String, String) {
        let name = one_line(&self.lead_name, SUBJECT_PART_CHARS);
        let company = self.company().map(|c| one_line(&c, SUBJECT_PART_CHARS));
        let owner = one_line(&self.owner_name, 100);
        let when = self.at.format_jst();
        let role = [nonblank(&self.department), nonblank(&self.title)]
            .into_iter()
            .flatten()
            .map(|s| one_line(s, 100))
            .collect::<Vec<_>>()
            .join(" ");
        match lang {
            Lang::Ja => {
                let subject = match &company {
                    Some(c) => format!("【Ondo】営業渡し: {name}（{c}）"),
                    None => format!("【Ondo】営業渡し: {name}"),
                };
                let mut body = format!(
                    "{owner} さん\n\n次のリードが営業渡し（SQL）になり、あなたが担当になりました。\n\n\
                     リード: {}\n",
                    self.name()
                );
                if let Some(c) = self.company() {
                    body.push_str(&format!("会社: {c}\n"));
                }
                if !role.is_empty() {
                    body.push_str(&format!("部署・役職: {role}\n"));
                }
                body.push_str(&format!("理由: {}\n", self.reason(Lang::Ja)));
                if let Some(rule) = self.rule_label(Lang::Ja) {
                    body.push_str(&format!("判定ルール: {rule}\n"));
                }
                body.push_str(&format!(
                    "日時: {when}（日本時間）\n\nリードを開く: {}\n\n-- \nOndo 温度\n\
                     このメールは Ondo が自動で送信しています。\n",
                    self.url
                ));
                (subject, body)
            }
            Lang::En => {
                let subject = match &company {
                    Some(c) => format!("[Ondo] Sales-ready: {name} ({c})"),
                    None => format!("[Ondo] Sales-ready: {name}"),
                };
                let mut body = format!(
                    "Hello {owner},\n\nThis lead is now sales-ready (SQL) and you are its owner.\n\n\
                     Lead: {}\n",
                    self.name()
                );
                if let Some(c) = self.company() {
                    body.push_str(&format!("Company: {c}\n"));
                }
                if !role.is_empty() {
                    body.push_str(&format!("Department and title: {role}\n"));
                }
                body.push_str(&format!("Why: {}\n", self.reason(Lang::En)));
                if let Some(rule) = self.rule_label(Lang::En) {
                    body.push_str(&format!("Rule: {rule}\n"));
                }
                body.push_str(&format!(
                    "When: {when} (Japan time)\n\nOpen the lead: {}\n\n-- \nOndo\n\
                     This email was sent automatically by Ondo.\n",
                    self.url
                ));
                (subject, body)
            }
        }
    }

    /// The text of a Slack-compatible message (in Japanese, the team's language).
    pub fn slack_text(&self) -> String {
        let company = self
            .company()
            .map(|c| format!("（{}）", slack_escape(&c)))
            .unwrap_or_default();
        format!(
            "*営業渡し*: <{}|{}>{company}\n担当: {}\n理由: {}",
            self.url,
            slack_escape(&self.name()),
            slack_escape(&one_line(&self.owner_name, 100)),
            slack_escape(&self.reason(Lang::Ja)),
        )
    }

    /// The generic JSON body (`event: "lead.sales_ready"`).
    pub fn json_body(&self) -> Value {
        json!({
            "event": "lead.sales_ready",
            "timestamp": self.at.to_rfc3339(),
            "lead_id": self.lead_id,
            "name": self.lead_name,
            "company": nonblank(&self.company),
            "department": nonblank(&self.department),
            "title": nonblank(&self.title),
            "owner": {
                "id": self.owner_id,
                "name": self.owner_name,
                "email": self.owner_email,
            },
            "rule": self.rule,
            "reason": self.reason(Lang::Ja),
            "reason_en": self.reason(Lang::En),
            "url": self.url,
        })
    }
}

/// A test message asked for on the settings page.
#[derive(Debug, Clone, PartialEq)]
pub struct TestMessage {
    /// Who asked for it.
    pub requested_by: String,
    pub at: Micros,
    /// The settings page, to come back to.
    pub url: String,
}

impl TestMessage {
    /// The test email: subject and body in `lang`.
    pub fn email(&self, lang: Lang) -> (String, String) {
        let who = one_line(&self.requested_by, 100);
        match lang {
            Lang::Ja => (
                "【Ondo】テスト通知".into(),
                format!(
                    "{who} さん\n\nOndo からのテストメールです。このメールが届いていれば、\
                     営業渡しの通知メールも届きます。\n\n通知の設定: {}\n\n-- \nOndo 温度\n",
                    self.url
                ),
            ),
            Lang::En => (
                "[Ondo] Test notification".into(),
                format!(
                    "Hello {who},\n\nThis is a test email from Ondo. If it reached you, \
                     handoff notifications will too.\n\nNotification settings: {}\n\n-- \nOndo\n",
                    self.url
                ),
            ),
        }
    }

    /// The Slack test text.
    pub fn slack_text(&self) -> String {
        format!(
            "Ondo のテスト通知です（{} さんが送信）。営業渡しの通知はこのチャンネルに届きます。<{}|通知の設定>",
            slack_escape(&one_line(&self.requested_by, 100)),
            self.url
        )
    }

    /// The generic JSON test body (`event: "test"`).
    pub fn json_body(&self) -> Value {
        json!({
            "event": "test",
            "timestamp": self.at.to_rfc3339(),
            "requested_by": self.requested_by,
            "message": "Ondo test notification",
            "url": self.url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handoff() -> Handoff {
        Handoff {
            lead_id: 42,
            lead_name: "山田 太郎".into(),
            company: Some("株式会社サンプル".into()),
            department: Some("情報システム部".into()),
            title: None,
            owner_id: 7,
            owner_name: "佐藤".into(),
            owner_email: Some("sato@example.jp".into()),
            rule: Some("sql".into()),
            reason_ja: Some("資料ダウンロードの後に製品ページを2回閲覧".into()),
            reason_en: Some("Downloaded a document, then viewed product pages twice".into()),
            at: Micros(1_790_000_000_000_000),
            url: "https://ondo.example.jp/leads/42".into(),
        }
    }

    #[test]
    fn the_email_names_the_lead_company_reason_and_link_in_the_owners_language() {
        let (subject, body) = handoff().email(Lang::Ja);
        assert_eq!(subject, "【Ondo】営業渡し: 山田 太郎（株式会社サンプル）");
        for part in [
            "佐藤 さん",
            "リード: 山田 太郎",
            "会社: 株式会社サンプル",
            "部署・役職: 情報システム部",
            "理由: 資料ダウンロードの後に製品ページを2回閲覧",
            "https://ondo.example.jp/leads/42",
        ] {
            assert!(body.contains(part), "{part} in {body}");
        }
        let (subject, body) = handoff().email(Lang::En);
        assert_eq!(subject, "[Ondo] Sales-ready: 山田 太郎 (株式会社サンプル)");
        assert!(body.contains("Why: Downloaded a document"), "{body}");
        assert!(body.contains("Open the lead: https://ondo.example.jp/leads/42"));
    }

    #[test]
    fn untrusted_names_cannot_break_headers_or_make_slack_links() {
        let mut h = handoff();
        h.lead_name =
            "Evil\r\nBcc: all@example.jp <!channel> <https://x.example|click> & \u{202e}moc".into();
        let (subject, _) = h.email(Lang::En);
        assert!(!subject.contains(['\r', '\n', '\u{202e}']), "{subject:?}");
        assert!(subject.chars().count() < 140);
        let text = h.slack_text();
        assert!(!text.contains("<!channel>"), "{text}");
        assert!(!text.contains("<https://x.example"), "{text}");
        assert!(text.contains("&lt;!channel&gt;"), "{text}");
        assert!(text.contains("&amp;"), "{text}");
        // The only link is the lead's own.
        assert_eq!(text.matches('<').count(), 1, "{text}");
        // JSON keeps the name as it is; serde encodes it.
        let body = h.json_body();
        assert_eq!(body["name"], h.lead_name.as_str());
        assert_eq!(body["event"], "lead.sales_ready");
        assert_eq!(body["owner"]["email"], "sato@example.jp");
        assert_eq!(body["url"], "https://ondo.example.jp/leads/42");
    }

    #[test]
    fn a_change_by_hand_still_says_why_in_words() {
        let mut h = handoff();
        h.rule = None;
        h.reason_ja = Some(String::new());
        h.reason_en = None;
        assert_eq!(h.reason(Lang::Ja), "担当者がステータスを変更しました");
        assert_eq!(h.reason(Lang::En), "The status was changed by a person");
    }

    #[test]
    fn one_line_truncates_by_characters() {
        assert_eq!(one_line("  a\t b \n", 10), "a b");
        assert_eq!(one_line("あいうえおかきくけこ", 5), "あいうえ…");
        assert_eq!(Lang::of_locale(Some("en-US")), Lang::En);
        assert_eq!(Lang::of_locale(None), Lang::Ja);
    }
}
