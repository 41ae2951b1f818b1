//! Assignment rules: who gets a lead handed to sales. The first rule whose field contains
//! its text names the owner; when none matches, the caller falls back to round robin.

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, quote};
use crate::text::normalize_text;

/// The 47 prefectures, in the usual north-to-south order.
pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// The prefecture an address is in: the earliest full prefecture name in it (after a
/// postcode, say), or a short name (東京, 大阪…) at its very start.
pub fn prefecture_of(address: &str) -> Option<&'static str> {
    let text = normalize_text(address);
    let earliest = PREFECTURES
        .iter()
        .filter_map(|p| text.find(p).map(|at| (at, *p)))
        .min_by_key(|(at, _)| *at);
    if let Some((_, p)) = earliest {
        return Some(p);
    }
    let start = text.trim_start_matches(|c: char| {
        c == '〒' || c.is_ascii_digit() || c == '-' || c.is_whitespace()
    });
    PREFECTURES.iter().copied().find(|p| {
        let short = p.trim_end_matches(['都', '道', '府', '県']);
        // 北海道 keeps its name; the others drop the suffix.
        let short = if *p == "北海道" { *p } else { short };
        start.starts_with(short)
    })
}

/// What an assignment rule looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignField {
    /// Any of the lead's touchpoint sources (展示会2026, ウェビナー…).
    Source,
    /// The prefecture of the lead's address.
    Prefecture,
    /// The custom field 業種 / industry.
    Industry,
}

impl AssignField {
    /// The key written in TOML and forms.
    pub fn key(&self) -> &'static str {
        match self {
            AssignField::Source => "source",
            AssignField::Prefecture => "prefecture",
            AssignField::Industry => "industry",
        }
    }

    /// Parses a key of [`AssignField::key`]; field name `field`.
    pub fn parse(s: &str) -> Result<AssignField, DomainError> {
        match s.trim() {
            "source" => Ok(AssignField::Source),
            "prefecture" => Ok(AssignField::Prefecture),
            "industry" => Ok(AssignField::Industry),
            other => Err(DomainError::invalid(
                "field",
                format!(
                    "must be source, prefecture or industry; got {}",
                    quote(other)
                ),
            )),
        }
    }
}

/// One written assignment rule: leads whose `field` contains `contains` go to `owner`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRule {
    /// What the rule looks at.
    pub field: AssignField,
    /// Text the field must contain (compared after NFKC, ignoring case).
    pub contains: String,
    /// The email of the user who gets the lead.
    pub owner: String,
}

/// What the assignment rules read of a lead.
#[derive(Debug, Clone, Default)]
pub struct AssignmentFacts<'a> {
    /// The sources of the lead's touchpoints.
    pub sources: &'a [String],
    /// The lead's address.
    pub address: Option<&'a str>,
    /// Custom fields of the lead: (name, value).
    pub custom: &'a [(String, String)],
}

/// Custom field names read as the industry.
const INDUSTRY_FIELDS: [&str; 4] = ["業種", "業界", "industry", "Industry"];

fn folded(s: &str) -> String {
    normalize_text(s).to_lowercase()
}

impl AssignmentRule {
    /// Whether this rule matches the lead.
    pub fn matches(&self, facts: &AssignmentFacts<'_>) -> bool {
        let needle = folded(&self.contains);
        if needle.is_empty() {
            return false;
        }
        let has = |value: &str| folded(value).contains(&needle);
        match self.field {
            AssignField::Source => facts.sources.iter().any(|s| has(s)),
            AssignField::Prefecture => facts.address.and_then(prefecture_of).is_some_and(&has),
            AssignField::Industry => facts
                .custom
                .iter()
                .any(|(k, v)| INDUSTRY_FIELDS.contains(&k.trim()) && has(v)),
        }
    }
}

/// The first rule that matches the lead, with its position (0-based).
pub fn choose_owner<'r>(
    rules: &'r [AssignmentRule],
    facts: &AssignmentFacts<'_>,
) -> Option<(usize, &'r AssignmentRule)> {
    rules.iter().enumerate().find(|(_, r)| r.matches(facts))
}

/// Checks each rule; the error names the rule, e.g. `assignment` "rule 2: owner …".
pub fn validate(rules: &[AssignmentRule]) -> Result<(), DomainError> {
    for (i, r) in rules.iter().enumerate() {
        let n = i + 1;
        if r.contains.trim().is_empty() {
            return Err(DomainError::invalid(
                "assignment",
                format!("rule {n}: contains must not be empty"),
            ));
        }
        if crate::Email::parse(&r.owner).is_err() {
            return Err(DomainError::invalid(
                "assignment",
                format!(
                    "rule {n}: owner must be a user's email; got {}",
                    quote(&r.owner)
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(field: AssignField, contains: &str, owner: &str) -> AssignmentRule {
        AssignmentRule {
            field,
            contains: contains.into(),
            owner: owner.into(),
        }
    }

    #[test]
    fn prefecture_is_found_after_a_postcode_and_in_short_form() {
        assert_eq!(
            prefecture_of("〒530-0001 大阪府大阪市北区梅田1-1"),
            Some("大阪府")
        );
        assert_eq!(prefecture_of("東京都千代田区丸の内1-1"), Some("東京都"));
        assert_eq!(prefecture_of("京都府京都市中京区"), Some("京都府"));
        assert_eq!(prefecture_of("北海道札幌市"), Some("北海道"));
        assert_eq!(prefecture_of("大阪市北区梅田"), Some("大阪府"));
        assert_eq!(prefecture_of("100-0005 東京千代田区"), Some("東京都"));
        assert_eq!(prefecture_of("Chiyoda-ku, Tokyo"), None);
        assert_eq!(prefecture_of(""), None);
    }

    #[test]
    fn tokyo_is_not_read_as_kyoto() {
        assert_eq!(prefecture_of("東京都港区京都通り"), Some("東京都"));
    }

    #[test]
    fn the_first_matching_rule_names_the_owner() {
        let rules = vec![
            rule(AssignField::Prefecture, "大阪", "osaka@example.com"),
            rule(AssignField::Source, "展示会", "events@example.com"),
            rule(AssignField::Industry, "製造", "maker@example.com"),
        ];
        let sources = vec!["展示会2026春".to_string()];
        let custom = vec![("業種".to_string(), "製造業".to_string())];
        let facts = AssignmentFacts {
            sources: &sources,
            address: Some("大阪府大阪市北区"),
            custom: &custom,
        };
        assert_eq!(
            choose_owner(&rules, &facts).unwrap().1.owner,
            "osaka@example.com"
        );
        let facts = AssignmentFacts {
            address: Some("東京都港区"),
            ..facts
        };
        assert_eq!(choose_owner(&rules, &facts).unwrap().0, 1);
        let facts = AssignmentFacts {
            sources: &[],
            ..facts
        };
        assert_eq!(
            choose_owner(&rules, &facts).unwrap().1.owner,
            "maker@example.com"
        );
        let facts = AssignmentFacts {
            custom: &[],
            ..facts
        };
        assert!(choose_owner(&rules, &facts).is_none());
    }

    #[test]
    fn matching_ignores_width_and_case() {
        let r = rule(AssignField::Source, "ｗｅｂｉｎａｒ", "a@example.com");
        let sources = vec!["Webinar 2026-05".to_string()];
        assert!(r.matches(&AssignmentFacts {
            sources: &sources,
            ..Default::default()
        }));
    }

    #[test]
    fn validation_names_the_rule() {
        let err = validate(&[
            rule(AssignField::Source, "x", "a@example.com"),
            rule(AssignField::Source, "y", "not an email"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("rule 2"), "{err}");
        let err = validate(&[rule(AssignField::Source, " ", "a@example.com")]).unwrap_err();
        assert!(err.to_string().contains("rule 1: contains"), "{err}");
    }
}
