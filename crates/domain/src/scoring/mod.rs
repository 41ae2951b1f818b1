//! Lead scoring: events to engagement (with daily caps and decay), fit, temperature,
//! the written handoff criteria, and the reasons shown to people.
//!
//! Everything here is pure: the caller loads events and rules and stores the results.

pub mod assignment;
pub mod category;
pub mod engagement;
pub mod event;
pub mod fit;
pub mod handoff;
pub mod reasons;
pub mod rules;

pub use assignment::{
    AssignField, AssignmentFacts, AssignmentRule, PREFECTURES, choose_owner, prefecture_of,
};
pub use category::{PageCategory, UrlRule, categorize, default_url_rules};
pub use engagement::{
    BreakdownLine, REFERENCE_DAY, ScoredEvent, Temperature, breakdown, bucket_key, counted_points,
    engagement_key, jst_day, key_add, score_on, temperature,
};
pub use event::{EventKind, is_custom_key};
pub use fit::{Fit, FitGrade, FitInput, FitPart, FitReason, Seniority, fit, seniority};
pub use handoff::{HandoffFacts, HandoffRule, Transition, evaluate};
pub use reasons::{RECENT_DAYS, Reason, format_points, queue_reasons};
pub use rules::{
    Bands, DailyCaps, EventPoints, FitCriterion, FitRules, HandoffRules, PagePoints, ScoringRules,
};
