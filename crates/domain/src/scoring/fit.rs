//! Fit: how well a lead matches the target customer, from what is known about them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::rules::FitRules;
use crate::error::{DomainError, quote};
use crate::free_mail::is_free_mail_domain;
use crate::text::normalize_text;

/// A fit grade; A is best. `Ord` follows declaration order, so sorting ascending puts A first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FitGrade {
    /// Matches the target well.
    A,
    /// Matches the target.
    B,
    /// Partly matches.
    C,
    /// Little is known or little matches.
    D,
}

impl FitGrade {
    /// Every grade, best first.
    pub const ALL: [FitGrade; 4] = [FitGrade::A, FitGrade::B, FitGrade::C, FitGrade::D];

    /// Returns true when `self` is as good as `other` or better (A is at least B).
    pub fn at_least(self, other: FitGrade) -> bool {
        self <= other
    }

    /// Returns the key: `"A"` to `"D"`.
    pub fn key(&self) -> &'static str {
        match self {
            FitGrade::A => "A",
            FitGrade::B => "B",
            FitGrade::C => "C",
            FitGrade::D => "D",
        }
    }

    /// Parses `A` to `D` (surrounding whitespace and case are ignored); field name `grade`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let wanted = raw.trim();
        FitGrade::ALL
            .into_iter()
            .find(|g| g.key().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                DomainError::invalid(
                    "grade",
                    format!("must be one of A, B, C, D; got {}", quote(wanted)),
                )
            })
    }

    /// Returns the grade a fit score earns under `rules`.
    pub fn from_score(score: f64, rules: &FitRules) -> FitGrade {
        if score >= rules.grade_a {
            FitGrade::A
        } else if score >= rules.grade_b {
            FitGrade::B
        } else if score >= rules.grade_c {
            FitGrade::C
        } else {
            FitGrade::D
        }
    }
}

impl fmt::Display for FitGrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for FitGrade {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FitGrade::parse(s)
    }
}

/// How senior a job title is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seniority {
    /// Executives and heads of departments: they decide.
    Executive,
    /// Managers and team leads: they propose.
    Manager,
    /// Everyone else.
    Staff,
}

impl Seniority {
    /// Returns the stable key: `executive`, `manager` or `staff`.
    pub fn key(&self) -> &'static str {
        match self {
            Seniority::Executive => "executive",
            Seniority::Manager => "manager",
            Seniority::Staff => "staff",
        }
    }

    /// Returns the Japanese label.
    pub fn label_ja(&self) -> &'static str {
        match self {
            Seniority::Executive => "経営層",
            Seniority::Manager => "管理職",
            Seniority::Staff => "担当者",
        }
    }

    /// Returns the English label (lowercase, as it follows "Title: ").
    pub fn label_en(&self) -> &'static str {
        match self {
            Seniority::Executive => "executive",
            Seniority::Manager => "manager",
            Seniority::Staff => "staff",
        }
    }
}

/// Title words that mark an executive, matched as substrings of the normalised, lowercased title.
const EXECUTIVE_PARTS: &[&str] = &[
    "社長",
    "代表",
    "取締役",
    "役員",
    "執行役員",
    "本部長",
    "事業部長",
    "部長",
    "会長",
    "理事",
    "president",
    "director",
    "vice president",
    "chief",
    "head of",
];

/// Short English titles that mark an executive only as whole words ("cto" is inside "director").
const EXECUTIVE_WORDS: &[&str] = &["ceo", "cto", "cfo", "coo", "cio", "cmo", "vp"];

/// Title words that mark a manager, matched as substrings.
const MANAGER_PARTS: &[&str] = &[
    "課長",
    "室長",
    "所長",
    "支店長",
    "工場長",
    "センター長",
    "次長",
    "グループ長",
    "チームリーダー",
    "リーダー",
    "主任",
    "マネージャー",
    "マネジャー",
    "manager",
    "supervisor",
];

/// English manager titles matched as whole words ("Team Lead", "Lead Engineer").
const MANAGER_WORDS: &[&str] = &["lead", "leader"];

/// Executive: 社長, 代表, 取締役, 役員, 執行役員, 本部長, 事業部長, 部長 (incl. 副部長), 会長, 理事, CEO/CTO/CFO/COO/CIO/CMO (word), President, Director, VP / Vice President, Chief, Head of (case-insensitive, after NFKC); Manager: 課長, 室長, 所長, 支店長, 工場長, センター長, 次長, グループ長, チームリーダー, リーダー, 主任, マネージャー, マネジャー, Manager, Lead, Supervisor; otherwise Staff. None/blank → None.
pub fn seniority(title: &str) -> Option<Seniority> {
    let text = normalize_text(title).to_lowercase();
    if text.is_empty() {
        return None;
    }
    // The head of the president's office (社長室長) manages an office; they are not the president.
    let text = text.replace("社長室", "室");
    let words: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |parts: &[&str], whole_words: &[&str]| {
        parts.iter().any(|p| text.contains(p)) || words.iter().any(|w| whole_words.contains(w))
    };
    Some(if has(EXECUTIVE_PARTS, EXECUTIVE_WORDS) {
        Seniority::Executive
    } else if has(MANAGER_PARTS, MANAGER_WORDS) {
        Seniority::Manager
    } else {
        Seniority::Staff
    })
}

/// What is known about a lead, as far as fit is concerned.
#[derive(Debug, Clone, Copy, Default)]
pub struct FitInput<'a> {
    /// The lead is linked to a known company.
    pub company_known: bool,
    /// The lead's department, if known.
    pub department: Option<&'a str>,
    /// The lead's job title, if known.
    pub title: Option<&'a str>,
    /// The domain of the lead's email address, if any.
    pub email_domain: Option<&'a str>,
    /// The company name, if known.
    pub company_name: Option<&'a str>,
    /// The postal address, if known.
    pub address: Option<&'a str>,
    /// Workspace-defined fields as (name, value).
    pub custom: &'a [(String, String)],
}

impl FitInput<'_> {
    /// Returns the value of a lead field by name ("department", "title", "company_name", "address", "email_domain") or a custom field.
    ///
    /// Names are compared after normalisation and lowercasing, so `Department` and `ｄｅｐａｒｔｍｅｎｔ` work too.
    fn field(&self, name: &str) -> Option<&str> {
        let wanted = normalize_text(name).to_lowercase();
        match wanted.as_str() {
            "department" => self.department,
            "title" => self.title,
            "company_name" => self.company_name,
            "address" => self.address,
            "email_domain" => self.email_domain,
            _ => self
                .custom
                .iter()
                .find(|(k, _)| normalize_text(k).to_lowercase() == wanted)
                .map(|(_, v)| v.as_str()),
        }
    }
}

/// Why a lead earned fit points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FitReason {
    /// The lead is linked to a known company.
    CompanyKnown,
    /// The lead's department is known.
    DepartmentKnown,
    /// The lead's email is on a company domain, not a free mail service.
    CorporateEmail,
    /// The lead's title has this seniority.
    Title(Seniority),
    /// A workspace criterion matched; holds its label.
    Criterion(String),
}

impl FitReason {
    /// Returns the Japanese label.
    pub fn label_ja(&self) -> String {
        match self {
            FitReason::CompanyKnown => "会社が分かる".to_string(),
            FitReason::DepartmentKnown => "部署が分かる".to_string(),
            FitReason::CorporateEmail => "会社ドメインのメール".to_string(),
            FitReason::Title(s) => format!("役職: {}", s.label_ja()),
            FitReason::Criterion(label) => label.clone(),
        }
    }

    /// Returns the English label.
    pub fn label_en(&self) -> String {
        match self {
            FitReason::CompanyKnown => "Company known".to_string(),
            FitReason::DepartmentKnown => "Department known".to_string(),
            FitReason::CorporateEmail => "Corporate email domain".to_string(),
            FitReason::Title(s) => format!("Title: {}", s.label_en()),
            FitReason::Criterion(label) => label.clone(),
        }
    }
}

/// One contribution to a fit score.
#[derive(Debug, Clone, PartialEq)]
pub struct FitPart {
    /// Why the points were earned.
    pub reason: FitReason,
    /// How many points (negative for a penalty criterion).
    pub points: f64,
}

/// A lead's fit: score, grade and the parts it is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// Sum of the parts, clamped to 0..=100.
    pub score: f64,
    /// The grade the score earns.
    pub grade: FitGrade,
    /// Every rule that gave points, in rule order (rules worth 0 points are left out).
    pub parts: Vec<FitPart>,
}

/// Returns true when an optional text value has something in it.
fn present(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

/// Scores a lead's fit under `rules`.
pub fn fit(rules: &FitRules, input: &FitInput) -> Fit {
    let mut parts = Vec::new();
    let mut add = |reason: FitReason, points: f64| {
        if points != 0.0 {
            parts.push(FitPart { reason, points });
        }
    };
    if input.company_known {
        add(FitReason::CompanyKnown, rules.company_known);
    }
    if present(input.department).is_some() {
        add(FitReason::DepartmentKnown, rules.department_known);
    }
    if present(input.email_domain).is_some_and(|d| !is_free_mail_domain(d)) {
        add(FitReason::CorporateEmail, rules.corporate_email);
    }
    if let Some(s) = present(input.title).and_then(seniority) {
        let points = match s {
            Seniority::Executive => rules.title_executive,
            Seniority::Manager => rules.title_manager,
            Seniority::Staff => rules.title_staff,
        };
        add(FitReason::Title(s), points);
    }
    for criterion in &rules.criteria {
        let needle = normalize_text(&criterion.contains).to_lowercase();
        let matched = !needle.is_empty()
            && input
                .field(&criterion.field)
                .is_some_and(|v| normalize_text(v).to_lowercase().contains(&needle));
        if matched {
            add(
                FitReason::Criterion(criterion.label.clone()),
                criterion.points,
            );
        }
    }
    let score = parts
        .iter()
        .map(|p| p.points)
        .sum::<f64>()
        .clamp(0.0, 100.0);
    Fit {
        score,
        grade: FitGrade::from_score(score, rules),
        parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::rules::FitCriterion;

    #[test]
    fn grades_order_with_a_best() {
        assert!(FitGrade::A.at_least(FitGrade::B));
        assert!(FitGrade::B.at_least(FitGrade::B));
        assert!(!FitGrade::C.at_least(FitGrade::B));
        assert!(!FitGrade::D.at_least(FitGrade::A));
        let mut grades = vec![FitGrade::C, FitGrade::A, FitGrade::D, FitGrade::B];
        grades.sort();
        assert_eq!(grades, FitGrade::ALL);
    }

    #[test]
    fn grade_keys_parse_and_serde() {
        for g in FitGrade::ALL {
            assert_eq!(FitGrade::parse(g.key()), Ok(g));
        }
        assert_eq!(FitGrade::parse(" b "), Ok(FitGrade::B));
        let e = FitGrade::parse("S").expect_err("unknown");
        assert_eq!(e.field(), "grade");
        assert_eq!(e.message(), "must be one of A, B, C, D; got \"S\"");
        #[derive(Deserialize, Serialize)]
        struct W {
            g: FitGrade,
        }
        let w: W = toml::from_str("g = \"C\"").expect("valid");
        assert_eq!(w.g, FitGrade::C);
        assert_eq!(
            toml::to_string(&W { g: FitGrade::A }).expect("serialises"),
            "g = \"A\"\n"
        );
    }

    #[test]
    fn executive_titles() {
        for t in [
            "代表取締役社長",
            "取締役",
            "執行役員 営業本部長",
            "営業部長",
            "副部長",
            "会長",
            "理事長",
            "ＣＥＯ",
            "Co-founder & CTO",
            "President",
            "Vice President, Sales",
            "VP of Marketing",
            "Director of IT",
            "Chief Marketing Officer",
            "Head of Growth",
            "事業部長",
        ] {
            assert_eq!(seniority(t), Some(Seniority::Executive), "{t}");
        }
    }

    #[test]
    fn manager_titles() {
        for t in [
            "課長",
            "課長代理",
            "室長",
            "社長室長",
            "研究所 所長",
            "大阪支店長",
            "工場長",
            "コールセンター長",
            "次長",
            "グループ長",
            "チームリーダー",
            "ﾏﾈｰｼﾞｬｰ",
            "プロダクトマネジャー",
            "主任",
            "Marketing Manager",
            "Team Lead",
            "Lead Engineer",
            "Supervisor",
        ] {
            assert_eq!(seniority(t), Some(Seniority::Manager), "{t}");
        }
    }

    #[test]
    fn staff_and_unknown_titles() {
        for t in [
            "担当",
            "営業",
            "Account Executive",
            "Engineer",
            "Leading engineer",
        ] {
            assert_eq!(seniority(t), Some(Seniority::Staff), "{t}");
        }
        assert_eq!(seniority(""), None);
        assert_eq!(seniority(" \u{3000} "), None);
    }

    #[test]
    fn default_rules_score_a_complete_lead_a() {
        let rules = FitRules::default();
        let f = fit(
            &rules,
            &FitInput {
                company_known: true,
                department: Some("情報システム部"),
                title: Some("部長"),
                email_domain: Some("example.co.jp"),
                ..FitInput::default()
            },
        );
        // 20 + 10 + 20 + 30 = 80.
        assert_eq!(f.score, 80.0);
        assert_eq!(f.grade, FitGrade::A);
        let reasons: Vec<String> = f.parts.iter().map(|p| p.reason.label_ja()).collect();
        assert_eq!(
            reasons,
            [
                "会社が分かる",
                "部署が分かる",
                "会社ドメインのメール",
                "役職: 経営層"
            ]
        );
        let reasons: Vec<String> = f.parts.iter().map(|p| p.reason.label_en()).collect();
        assert_eq!(
            reasons,
            [
                "Company known",
                "Department known",
                "Corporate email domain",
                "Title: executive"
            ]
        );
    }

    #[test]
    fn free_mail_and_blank_fields_earn_nothing() {
        let rules = FitRules::default();
        let f = fit(
            &rules,
            &FitInput {
                department: Some("  "),
                title: Some("担当"),
                email_domain: Some("gmail.com"),
                ..FitInput::default()
            },
        );
        assert_eq!(f.score, 5.0);
        assert_eq!(f.grade, FitGrade::D);
        assert_eq!(
            f.parts,
            [FitPart {
                reason: FitReason::Title(Seniority::Staff),
                points: 5.0
            }]
        );
        let empty = fit(&rules, &FitInput::default());
        assert_eq!(
            (empty.score, empty.grade, empty.parts.len()),
            (0.0, FitGrade::D, 0)
        );
    }

    #[test]
    fn grade_boundaries() {
        let rules = FitRules::default();
        assert_eq!(FitGrade::from_score(70.0, &rules), FitGrade::A);
        assert_eq!(FitGrade::from_score(69.9, &rules), FitGrade::B);
        assert_eq!(FitGrade::from_score(50.0, &rules), FitGrade::B);
        assert_eq!(FitGrade::from_score(30.0, &rules), FitGrade::C);
        assert_eq!(FitGrade::from_score(29.0, &rules), FitGrade::D);
        // Company + corporate email + manager = 60: B.
        let f = fit(
            &rules,
            &FitInput {
                company_known: true,
                title: Some("課長"),
                email_domain: Some("example.co.jp"),
                ..FitInput::default()
            },
        );
        assert_eq!((f.score, f.grade), (60.0, FitGrade::B));
    }

    #[test]
    fn criteria_match_fields_after_normalisation() {
        let custom = vec![("業種".to_string(), "製造業（自動車部品）".to_string())];
        let rules = FitRules {
            criteria: vec![
                FitCriterion {
                    field: "department".into(),
                    contains: "ＩＴ".into(),
                    points: 15.0,
                    label: "IT部門".into(),
                },
                FitCriterion {
                    field: "業種".into(),
                    contains: "製造".into(),
                    points: 10.0,
                    label: "製造業".into(),
                },
                FitCriterion {
                    field: "Address".into(),
                    contains: "大阪".into(),
                    points: 5.0,
                    label: "関西".into(),
                },
                FitCriterion {
                    field: "email_domain".into(),
                    contains: "rival.co.jp".into(),
                    points: -100.0,
                    label: "競合".into(),
                },
            ],
            ..FitRules::default()
        };
        let input = FitInput {
            department: Some("it推進部"),
            address: Some("大阪府大阪市"),
            custom: &custom,
            ..FitInput::default()
        };
        let f = fit(&rules, &input);
        let labels: Vec<String> = f.parts.iter().map(|p| p.reason.label_en()).collect();
        assert_eq!(labels, ["Department known", "IT部門", "製造業", "関西"]);
        assert_eq!(f.score, 40.0);
        assert_eq!(f.grade, FitGrade::C);
        let elsewhere = FitInput {
            address: Some("東京都港区"),
            ..input
        };
        assert_eq!(fit(&rules, &elsewhere).score, 35.0);

        // A penalty can take the score down, but never below zero.
        let rival = FitInput {
            email_domain: Some("rival.co.jp"),
            ..input
        };
        let f = fit(&rules, &rival);
        assert_eq!(f.score, 0.0);
        assert_eq!(f.grade, FitGrade::D);
    }

    #[test]
    fn score_is_capped_at_100() {
        let rules = FitRules {
            company_known: 90.0,
            corporate_email: 90.0,
            ..FitRules::default()
        };
        let f = fit(
            &rules,
            &FitInput {
                company_known: true,
                email_domain: Some("example.jp"),
                ..FitInput::default()
            },
        );
        assert_eq!(f.score, 100.0);
        assert_eq!(f.parts.len(), 2);
    }
}
