//! The workspace's scoring rules, edited as TOML; anything left out keeps its default.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::assignment::AssignmentRule;
use super::category::{PageCategory, UrlRule, default_url_rules};
use super::event::{EventKind, is_custom_key};
use super::fit::FitGrade;
use crate::error::{DomainError, quote};

/// Longest half-life accepted: ten years.
const MAX_HALF_LIFE_DAYS: f64 = 3650.0;

/// Every number that decides how leads are scored, handed over and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoringRules {
    /// Days after which an event's points count half.
    pub half_life_days: f64,
    /// Points per event type.
    pub points: EventPoints,
    /// Most points per event type, lead and JST day.
    pub daily_cap: DailyCaps,
    /// Engagement thresholds of the temperature bands.
    pub bands: Bands,
    /// Fit scoring.
    pub fit: FitRules,
    /// Handoff criteria.
    pub handoff: HandoffRules,
    /// URL-to-category rules for page views, first match wins.
    pub page_rules: Vec<UrlRule>,
    /// Who gets a lead handed to sales, first match wins; round robin when none matches.
    pub assignment: Vec<AssignmentRule>,
}

impl Default for ScoringRules {
    fn default() -> Self {
        ScoringRules {
            half_life_days: 14.0,
            points: EventPoints::default(),
            daily_cap: DailyCaps::default(),
            bands: Bands::default(),
            fit: FitRules::default(),
            handoff: HandoffRules::default(),
            page_rules: default_url_rules(),
            assignment: Vec::new(),
        }
    }
}

/// Points one event earns, by type (page views by page category).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventPoints {
    /// Points for an email open.
    pub email_open: f64,
    /// Points for an email link click.
    pub email_click: f64,
    /// Points for a page view, by category.
    pub page_view: PagePoints,
    /// Points for a download.
    pub download: f64,
    /// Points for a form submission.
    pub form_submit: f64,
    /// Points for a webinar attendance.
    pub webinar_attend: f64,
    /// Points for a custom type not listed in `custom`.
    pub custom_default: f64,
    /// Points per custom type key.
    pub custom: BTreeMap<String, f64>,
}

impl Default for EventPoints {
    fn default() -> Self {
        EventPoints {
            email_open: 1.0,
            email_click: 3.0,
            page_view: PagePoints::default(),
            download: 10.0,
            form_submit: 15.0,
            webinar_attend: 10.0,
            custom_default: 2.0,
            custom: BTreeMap::new(),
        }
    }
}

/// Points for one page view, by page category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PagePoints {
    /// Product and pricing pages.
    pub product: f64,
    /// Case studies.
    pub case_study: f64,
    /// Document pages.
    pub document: f64,
    /// Every other page.
    pub other: f64,
}

impl Default for PagePoints {
    fn default() -> Self {
        PagePoints {
            product: 5.0,
            case_study: 4.0,
            document: 3.0,
            other: 1.0,
        }
    }
}

impl PagePoints {
    /// Returns the points for a page of `category`.
    pub fn for_category(&self, category: PageCategory) -> f64 {
        match category {
            PageCategory::Product => self.product,
            PageCategory::CaseStudy => self.case_study,
            PageCategory::Document => self.document,
            PageCategory::Other => self.other,
        }
    }
}

/// Most points one lead can earn from one event type in one JST day (page views of every category share the page_view cap; every custom type has its own cap custom).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DailyCaps {
    /// Cap for email opens.
    pub email_open: f64,
    /// Cap for email clicks.
    pub email_click: f64,
    /// Cap for page views of all categories together.
    pub page_view: f64,
    /// Cap for downloads.
    pub download: f64,
    /// Cap for form submissions.
    pub form_submit: f64,
    /// Cap for webinar attendance.
    pub webinar_attend: f64,
    /// Cap for each custom type.
    pub custom: f64,
}

impl Default for DailyCaps {
    fn default() -> Self {
        DailyCaps {
            email_open: 3.0,
            email_click: 9.0,
            page_view: 20.0,
            download: 30.0,
            form_submit: 30.0,
            webinar_attend: 20.0,
            custom: 10.0,
        }
    }
}

/// Engagement thresholds of the temperature bands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bands {
    /// At least this much engagement is hot.
    pub hot: f64,
    /// At least this much (and less than hot) is warm; below is cold.
    pub warm: f64,
}

impl Default for Bands {
    fn default() -> Self {
        Bands {
            hot: 40.0,
            warm: 15.0,
        }
    }
}

/// Fit points and grade thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitRules {
    /// Points when the lead's company is known.
    pub company_known: f64,
    /// Points when the lead's department is known.
    pub department_known: f64,
    /// Points for an email on a company domain.
    pub corporate_email: f64,
    /// Points for an executive title.
    pub title_executive: f64,
    /// Points for a manager title.
    pub title_manager: f64,
    /// Points for any other title.
    pub title_staff: f64,
    /// Workspace criteria, each adding its points when it matches.
    pub criteria: Vec<FitCriterion>,
    /// Lowest score graded A.
    pub grade_a: f64,
    /// Lowest score graded B.
    pub grade_b: f64,
    /// Lowest score graded C; below is D.
    pub grade_c: f64,
}

impl Default for FitRules {
    fn default() -> Self {
        FitRules {
            company_known: 20.0,
            department_known: 10.0,
            corporate_email: 20.0,
            title_executive: 30.0,
            title_manager: 20.0,
            title_staff: 5.0,
            criteria: Vec::new(),
            grade_a: 70.0,
            grade_b: 50.0,
            grade_c: 30.0,
        }
    }
}

/// A custom criterion: `field` is a lead field name ("department","title","company_name","address", "email_domain") or a custom field name; matches when the value contains `contains` (case-insensitive, after NFKC via crate::text::normalize_text if convenient).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitCriterion {
    /// The lead field or custom field to look at.
    pub field: String,
    /// Text the value must contain.
    pub contains: String,
    /// Points added when it matches; negative for a penalty (a competitor's domain).
    pub points: f64,
    /// What users see as the reason.
    pub label: String,
}

/// The thresholds of the written handoff criteria.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HandoffRules {
    /// Engagement that makes a lead an MQL.
    pub mql_engagement: f64,
    /// Engagement that, with a good enough fit, makes a lead an SQL.
    pub sql_engagement: f64,
    /// Lowest fit grade for the engagement route to SQL.
    pub sql_min_fit_grade: FitGrade,
    /// Events after a download needed for the download route to SQL.
    pub sql_followups: u32,
    /// Days after a download in which those events must happen.
    pub sql_followup_days: u32,
    /// Days without any event after which a nurtured lead becomes dormant.
    pub dormant_days: u32,
}

impl Default for HandoffRules {
    fn default() -> Self {
        HandoffRules {
            mql_engagement: 15.0,
            sql_engagement: 40.0,
            sql_min_fit_grade: FitGrade::B,
            sql_followups: 2,
            sql_followup_days: 7,
            dormant_days: 90,
        }
    }
}

impl ScoringRules {
    /// Parses rules from TOML (missing settings keep their defaults) and validates them; field name `rules`.
    pub fn from_toml(text: &str) -> Result<ScoringRules, DomainError> {
        let rules: ScoringRules = toml::from_str(text)
            .map_err(|e| DomainError::invalid("rules", toml_error(text, &e)))?;
        rules.validate()?;
        Ok(rules)
    }

    /// Writes the rules as TOML that [`ScoringRules::from_toml`] reads back unchanged.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("scoring rules hold only strings, numbers, tables and arrays")
    }

    /// Checks that every number is usable; the error names the setting, e.g. `bands.hot`.
    pub fn validate(&self) -> Result<(), DomainError> {
        let h = self.half_life_days;
        if !(h.is_finite() && h > 0.0 && h <= MAX_HALF_LIFE_DAYS) {
            return Err(DomainError::invalid(
                "half_life_days",
                format!("must be more than 0 and at most {MAX_HALF_LIFE_DAYS} days; got {h}"),
            ));
        }
        let p = &self.points;
        let pv = &p.page_view;
        let c = &self.daily_cap;
        let ho = &self.handoff;
        let f = &self.fit;
        for (field, value) in [
            ("points.email_open", p.email_open),
            ("points.email_click", p.email_click),
            ("points.page_view.product", pv.product),
            ("points.page_view.case_study", pv.case_study),
            ("points.page_view.document", pv.document),
            ("points.page_view.other", pv.other),
            ("points.download", p.download),
            ("points.form_submit", p.form_submit),
            ("points.webinar_attend", p.webinar_attend),
            ("points.custom_default", p.custom_default),
            ("daily_cap.email_open", c.email_open),
            ("daily_cap.email_click", c.email_click),
            ("daily_cap.page_view", c.page_view),
            ("daily_cap.download", c.download),
            ("daily_cap.form_submit", c.form_submit),
            ("daily_cap.webinar_attend", c.webinar_attend),
            ("daily_cap.custom", c.custom),
            ("bands.hot", self.bands.hot),
            ("bands.warm", self.bands.warm),
            ("fit.company_known", f.company_known),
            ("fit.department_known", f.department_known),
            ("fit.corporate_email", f.corporate_email),
            ("fit.title_executive", f.title_executive),
            ("fit.title_manager", f.title_manager),
            ("fit.title_staff", f.title_staff),
            ("fit.grade_a", f.grade_a),
            ("fit.grade_b", f.grade_b),
            ("fit.grade_c", f.grade_c),
            ("handoff.mql_engagement", ho.mql_engagement),
            ("handoff.sql_engagement", ho.sql_engagement),
        ] {
            non_negative(field, value)?;
        }
        for (key, value) in &p.custom {
            if !is_custom_key(key) {
                return Err(DomainError::invalid(
                    "points.custom",
                    format!(
                        "keys must be custom event types (lowercase letters, digits and _, \
                         starting with a letter, up to 40, not a built-in type); got {}",
                        quote(key)
                    ),
                ));
            }
            if !(value.is_finite() && *value >= 0.0) {
                return Err(DomainError::invalid(
                    "points.custom",
                    format!("{key} must be a number of at least 0; got {value}"),
                ));
            }
        }
        if self.bands.hot <= self.bands.warm {
            return Err(DomainError::invalid(
                "bands.hot",
                format!(
                    "must be more than bands.warm ({}); got {}",
                    self.bands.warm, self.bands.hot
                ),
            ));
        }
        if f.grade_a > 100.0 {
            return Err(DomainError::invalid(
                "fit.grade_a",
                format!(
                    "must be at most 100, the highest fit score; got {}",
                    f.grade_a
                ),
            ));
        }
        if !(f.grade_a > f.grade_b && f.grade_b > f.grade_c) {
            return Err(DomainError::invalid(
                "fit.grade_a",
                format!(
                    "grades must satisfy grade_a > grade_b > grade_c; got {} > {} > {}",
                    f.grade_a, f.grade_b, f.grade_c
                ),
            ));
        }
        for (i, criterion) in f.criteria.iter().enumerate() {
            let n = i + 1;
            for (name, text) in [
                ("field", &criterion.field),
                ("contains", &criterion.contains),
                ("label", &criterion.label),
            ] {
                if text.trim().is_empty() {
                    return Err(DomainError::invalid(
                        "fit.criteria",
                        format!("criterion {n}: {name} must not be empty"),
                    ));
                }
            }
            if !criterion.points.is_finite() {
                return Err(DomainError::invalid(
                    "fit.criteria",
                    format!(
                        "criterion {n}: points must be a number; got {}",
                        criterion.points
                    ),
                ));
            }
        }
        if ho.dormant_days == 0 {
            return Err(DomainError::invalid(
                "handoff.dormant_days",
                "must be at least 1",
            ));
        }
        if let Some(i) = self
            .page_rules
            .iter()
            .position(|r| r.pattern.trim().is_empty())
        {
            return Err(DomainError::invalid(
                "page_rules",
                format!("rule {}: pattern must not be empty", i + 1),
            ));
        }
        super::assignment::validate(&self.assignment)?;
        Ok(())
    }

    /// Returns the points one event earns before the daily cap; page views use `category` (None counts as other).
    pub fn points_for(&self, kind: &EventKind, category: Option<PageCategory>) -> f64 {
        let p = &self.points;
        match kind {
            EventKind::EmailOpen => p.email_open,
            EventKind::EmailClick => p.email_click,
            EventKind::PageView => p
                .page_view
                .for_category(category.unwrap_or(PageCategory::Other)),
            EventKind::Download => p.download,
            EventKind::FormSubmit => p.form_submit,
            EventKind::WebinarAttend => p.webinar_attend,
            EventKind::Custom(key) => p.custom.get(key).copied().unwrap_or(p.custom_default),
        }
    }

    /// Returns the daily cap of the bucket `kind` belongs to.
    pub fn cap_for(&self, kind: &EventKind) -> f64 {
        let c = &self.daily_cap;
        match kind {
            EventKind::EmailOpen => c.email_open,
            EventKind::EmailClick => c.email_click,
            EventKind::PageView => c.page_view,
            EventKind::Download => c.download,
            EventKind::FormSubmit => c.form_submit,
            EventKind::WebinarAttend => c.webinar_attend,
            EventKind::Custom(_) => c.custom,
        }
    }

    /// Returns the decay rate per day: ln 2 / half_life_days.
    pub fn lambda_per_day(&self) -> f64 {
        std::f64::consts::LN_2 / self.half_life_days
    }
}

/// Checks one setting is a finite number of at least zero.
fn non_negative(field: &'static str, value: f64) -> Result<(), DomainError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            format!("must be a number of at least 0; got {value}"),
        ))
    }
}

/// Formats a TOML error on one line: `line 3, column 1: unknown field ...`.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    // toml puts hints on a second line ("invalid string\nexpected `"`"); keep one line.
    let message = e.message().trim().replace('\n', "; ");
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> DomainError {
        match ScoringRules::from_toml(text) {
            Ok(r) => panic!("{text:?} should be rejected, got {r:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn defaults_are_the_documented_values() {
        let r = ScoringRules::default();
        assert_eq!(r.half_life_days, 14.0);
        assert_eq!(r.points_for(&EventKind::EmailOpen, None), 1.0);
        assert_eq!(r.points_for(&EventKind::EmailClick, None), 3.0);
        assert_eq!(
            r.points_for(&EventKind::PageView, Some(PageCategory::Product)),
            5.0
        );
        assert_eq!(
            r.points_for(&EventKind::PageView, Some(PageCategory::CaseStudy)),
            4.0
        );
        assert_eq!(
            r.points_for(&EventKind::PageView, Some(PageCategory::Document)),
            3.0
        );
        assert_eq!(
            r.points_for(&EventKind::PageView, Some(PageCategory::Other)),
            1.0
        );
        assert_eq!(r.points_for(&EventKind::PageView, None), 1.0);
        assert_eq!(r.points_for(&EventKind::Download, None), 10.0);
        assert_eq!(r.points_for(&EventKind::FormSubmit, None), 15.0);
        assert_eq!(r.points_for(&EventKind::WebinarAttend, None), 10.0);
        assert_eq!(r.points_for(&EventKind::Custom("trial".into()), None), 2.0);
        assert_eq!(r.cap_for(&EventKind::EmailOpen), 3.0);
        assert_eq!(r.cap_for(&EventKind::EmailClick), 9.0);
        assert_eq!(r.cap_for(&EventKind::PageView), 20.0);
        assert_eq!(r.cap_for(&EventKind::Download), 30.0);
        assert_eq!(r.cap_for(&EventKind::FormSubmit), 30.0);
        assert_eq!(r.cap_for(&EventKind::WebinarAttend), 20.0);
        assert_eq!(r.cap_for(&EventKind::Custom("trial".into())), 10.0);
        assert_eq!((r.bands.hot, r.bands.warm), (40.0, 15.0));
        assert_eq!(
            (r.fit.grade_a, r.fit.grade_b, r.fit.grade_c),
            (70.0, 50.0, 30.0)
        );
        assert_eq!(
            r.handoff,
            HandoffRules {
                mql_engagement: 15.0,
                sql_engagement: 40.0,
                sql_min_fit_grade: FitGrade::B,
                sql_followups: 2,
                sql_followup_days: 7,
                dormant_days: 90,
            }
        );
        assert_eq!(r.page_rules, default_url_rules());
        assert!((r.lambda_per_day() - std::f64::consts::LN_2 / 14.0).abs() < 1e-15);
        assert_eq!(r.validate(), Ok(()));
    }

    #[test]
    fn empty_toml_gives_the_defaults() {
        assert_eq!(ScoringRules::from_toml(""), Ok(ScoringRules::default()));
    }

    #[test]
    fn partial_toml_fills_in_defaults() {
        let r = ScoringRules::from_toml(
            r#"
half_life_days = 30

[points]
download = 20
custom = { trial_signup = 25.5 }

[points.page_view]
product = 8

[handoff]
sql_min_fit_grade = "A"

[[fit.criteria]]
field = "department"
contains = "情報システム"
points = 10
label = "情シス"
"#,
        )
        .expect("valid");
        assert_eq!(r.half_life_days, 30.0);
        assert_eq!(r.points.download, 20.0);
        assert_eq!(r.points.page_view.product, 8.0);
        assert_eq!(r.points.page_view.case_study, 4.0);
        assert_eq!(r.points.email_open, 1.0);
        assert_eq!(
            r.points_for(&EventKind::Custom("trial_signup".into()), None),
            25.5
        );
        assert_eq!(r.points_for(&EventKind::Custom("other".into()), None), 2.0);
        assert_eq!(r.handoff.sql_min_fit_grade, FitGrade::A);
        assert_eq!(r.handoff.dormant_days, 90);
        assert_eq!(r.fit.criteria.len(), 1);
        assert_eq!(r.fit.company_known, 20.0);
        assert_eq!(r.daily_cap, DailyCaps::default());
        assert_eq!(r.page_rules, default_url_rules());
    }

    #[test]
    fn page_rules_replace_the_defaults() {
        let r = ScoringRules::from_toml(
            "[[page_rules]]\npattern = \"/seminar\"\ncategory = \"product\"\n",
        )
        .expect("valid");
        assert_eq!(
            r.page_rules,
            [UrlRule::new("/seminar", PageCategory::Product)]
        );
    }

    #[test]
    fn unknown_keys_are_rejected_by_name_with_position() {
        let e = err("half_life_days = 14\nhalf_lives = 3\n");
        assert_eq!(e.field(), "rules");
        assert!(
            e.message()
                .starts_with("line 2, column 1: unknown field `half_lives`"),
            "{e}"
        );
        let e = err("[points]\nemail_opened = 1\n");
        assert!(
            e.message()
                .starts_with("line 2, column 1: unknown field `email_opened`"),
            "{e}"
        );
        let e = err("[points.page_view]\nblog = 1\n");
        assert!(e.message().contains("unknown field `blog`"), "{e}");
        let e = err("[[page_rules]]\npattern = \"/x\"\ncategory = \"product\"\npoints = 1\n");
        assert!(e.message().contains("unknown field `points`"), "{e}");
    }

    #[test]
    fn malformed_toml_and_wrong_types_are_explained() {
        let e = err("half_life_days = \n");
        assert_eq!(e.field(), "rules");
        assert!(
            e.message()
                .starts_with("line 1, column 18: invalid string; expected"),
            "{e}"
        );
        let e = err("[bands]\nhot = \"high\"\n");
        assert!(
            e.message().starts_with("line 2, column 7: invalid type"),
            "{e}"
        );
        let e = err("[[page_rules]]\npattern = \"/x\"\ncategory = \"blog\"\n");
        assert!(e.message().contains("unknown variant `blog`"), "{e}");
        let e = err("[handoff]\nsql_min_fit_grade = \"S\"\n");
        assert!(e.message().contains("unknown variant `S`"), "{e}");
        let e = err("[handoff]\ndormant_days = -1\n");
        assert_eq!(e.field(), "rules");
    }

    #[test]
    fn validation_names_the_setting() {
        let cases = [
            ("half_life_days = 0", "half_life_days"),
            ("half_life_days = -3", "half_life_days"),
            ("half_life_days = 3651", "half_life_days"),
            ("half_life_days = nan", "half_life_days"),
            ("[points]\ndownload = -1", "points.download"),
            (
                "[points.page_view]\nproduct = inf",
                "points.page_view.product",
            ),
            ("[daily_cap]\npage_view = -5", "daily_cap.page_view"),
            ("[bands]\nhot = 10\nwarm = 10", "bands.hot"),
            ("[bands]\nwarm = -1", "bands.warm"),
            ("[fit]\ngrade_b = 80", "fit.grade_a"),
            ("[fit]\ngrade_c = 50", "fit.grade_a"),
            ("[fit]\ngrade_a = 120", "fit.grade_a"),
            ("[fit]\ngrade_c = -1", "fit.grade_c"),
            ("[points.custom]\nPage-View = 3", "points.custom"),
            ("[points.custom]\npage_view = 3", "points.custom"),
            ("[points.custom]\ntrial = -3", "points.custom"),
            ("[handoff]\ndormant_days = 0", "handoff.dormant_days"),
            ("[handoff]\nmql_engagement = -1", "handoff.mql_engagement"),
            (
                "[[page_rules]]\npattern = \" \"\ncategory = \"product\"",
                "page_rules",
            ),
            (
                "[[fit.criteria]]\nfield = \"title\"\ncontains = \"\"\npoints = 1\nlabel = \"x\"",
                "fit.criteria",
            ),
        ];
        for (text, field) in cases {
            assert_eq!(err(text).field(), field, "{text}");
        }
        assert_eq!(
            err("[bands]\nhot = 10\nwarm = 10").message(),
            "must be more than bands.warm (10); got 10"
        );
        assert!(
            err("[points.custom]\npage_view = 3")
                .message()
                .ends_with("got \"page_view\"")
        );
        assert_eq!(
            err("[[fit.criteria]]\nfield = \"title\"\ncontains = \"部長\"\npoints = 1\nlabel = \" \"")
                .message(),
            "criterion 1: label must not be empty"
        );
    }

    #[test]
    fn to_toml_round_trips() {
        let mut r = ScoringRules {
            half_life_days: 0.1 + 0.2,
            ..ScoringRules::default()
        };
        r.points.custom.insert("trial_signup".into(), 12.25);
        r.fit.criteria.push(FitCriterion {
            field: "業種".into(),
            contains: "製造 \"Tier1\"\\".into(),
            points: -5.0,
            label: "製造業".into(),
        });
        r.handoff.sql_min_fit_grade = FitGrade::C;
        let text = r.to_toml();
        assert_eq!(ScoringRules::from_toml(&text), Ok(r));
        let d = ScoringRules::default();
        assert_eq!(ScoringRules::from_toml(&d.to_toml()), Ok(d));
    }
}
