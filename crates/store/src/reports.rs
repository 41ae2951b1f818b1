//! The numbers behind `/reports`: the funnel 新規 → MQL → SQL → 案件化 → 受注 by period and
//! by source, time to first contact, activities per rep, lost reasons, and temperature at
//! the first call against what became of the lead.
//!
//! The funnel's cohort is the leads created in the period; a lead counts in a stage when
//! it reached that stage or a later one at any time (its status history and its current
//! status). Aggregation happens in SQL where the result is small (per day, per source,
//! per rep); only the first-contact times of the leads that reached sales come back one
//! per lead, for exact medians.

use std::collections::HashMap;

use ondo_domain::{LeadStatus, Micros};

use crate::error::Result;
use crate::{Db, WorkspaceId, with_db};

/// The funnel's stages, in order. `lost_dormant` is not a stage: a lost lead counts in
/// every stage it reached before it was lost.
pub const STAGES: [LeadStatus; 5] = [
    LeadStatus::New,
    LeadStatus::Nurturing,
    LeadStatus::SalesReady,
    LeadStatus::Opportunity,
    LeadStatus::Won,
];

/// Index in [`STAGES`] of 案件化 (opportunity): reaching it (or 受注) is a 商談化.
pub const OPPORTUNITY_STAGE: usize = 3;

/// How many sources are listed by name; the rest are summed as "other".
pub const TOP_SOURCES: usize = 15;

const MICROS_PER_HOUR: i64 = 3_600_000_000;
const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;
/// Japan Standard Time is UTC+9 all year.
const JST_OFFSET: i64 = 9 * MICROS_PER_HOUR;

/// The furthest funnel stage a status key stands for (lost_dormant: none beyond new).
fn rank_sql(column: &str) -> String {
    format!(
        "CASE {column} WHEN 'nurturing' THEN 1 WHEN 'sales_ready' THEN 2 \
         WHEN 'opportunity' THEN 3 WHEN 'won' THEN 4 ELSE 0 END"
    )
}

/// The furthest stage lead `l` reached in its status history (`l.status` is compared
/// outside, so that this subquery runs once per lead).
fn history_rank_sql() -> String {
    format!(
        "COALESCE((SELECT MAX({}) FROM status_history h \
          WHERE h.workspace_id = l.workspace_id AND h.lead_id = l.id), 0)",
        rank_sql("h.to_status")
    )
}

/// The higher of a subquery's `hist` column and its `status` column's rank.
fn reached_of(hist: &str, status: &str) -> String {
    let cur = rank_sql(status);
    format!("CAST(CASE WHEN {hist} > {cur} THEN {hist} ELSE {cur} END AS BIGINT)")
}

/// `h.to_status` in a form no index can serve: SQLite would otherwise answer "this lead's
/// first SQL change" from `status_history_to` (every SQL change of the workspace in time
/// order) instead of the lead's own few rows in `status_history_lead`.
const NOT_BY_STATUS_INDEX: &str = "(h.to_status || '')";

/// Lead `l`'s source: the source of its first touchpoint ('' when it has none).
const SOURCE_SQL: &str = "COALESCE((SELECT t.source FROM touchpoints t \
    WHERE t.workspace_id = l.workspace_id AND t.lead_id = l.id \
    ORDER BY t.occurred_at, t.id LIMIT 1), '')";

/// How the funnel table is broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Calendar months in Japan.
    Month,
    /// Weeks from Monday to Sunday in Japan.
    Week,
    /// The lead's source (its first touchpoint).
    Source,
}

impl Grouping {
    /// The key used in URLs.
    pub fn key(self) -> &'static str {
        match self {
            Grouping::Month => "month",
            Grouping::Week => "week",
            Grouping::Source => "source",
        }
    }

    /// Parses a URL key.
    pub fn parse(key: &str) -> Option<Grouping> {
        [Grouping::Month, Grouping::Week, Grouping::Source]
            .into_iter()
            .find(|g| g.key() == key.trim())
    }
}

/// A Japanese calendar day, counted in days since 1970-01-01 (JST).
pub type JstDay = i64;

/// The JST day of an instant.
pub use ondo_domain::scoring::jst_day;

/// Year, month (1–12) and day of month of a JST day.
pub fn ymd(day: JstDay) -> (i32, u8, u8) {
    let d = Micros(jst_day_start(day)).to_jst_date();
    (d.year(), u8::from(d.month()), d.day())
}

/// Midnight of a JST day, as UTC microseconds.
fn jst_day_start(day: JstDay) -> i64 {
    ondo_domain::business_hours::day_start(day).0
}

/// A report period: JST days from `from` up to but not including `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: JstDay,
    pub to: JstDay,
}

impl Period {
    /// The first instant of the period.
    pub fn start(&self) -> Micros {
        Micros(jst_day_start(self.from))
    }
    /// The first instant after the period.
    pub fn end(&self) -> Micros {
        Micros(jst_day_start(self.to))
    }
}

/// A source as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SourceKey {
    /// The first touchpoint's source, e.g. "展示会 2026-10 東京".
    Named(String),
    /// Leads without any touchpoint.
    Unknown,
    /// Every source after the top ones, together.
    Other,
}

/// One row of the funnel table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupKey {
    /// A month, by its first day.
    Month(JstDay),
    /// A week, by its Monday.
    Week(JstDay),
    Source(SourceKey),
}

/// Leads that reached each of [`STAGES`] (or a later one).
pub type StageCounts = [i64; 5];

/// One row of a funnel: a period or a source with its stage counts.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelRow {
    pub group: GroupKey,
    pub counts: StageCounts,
}

impl FunnelRow {
    /// 商談化率: the share of the row's leads that reached 案件化 or 受注.
    pub fn opportunity_rate(&self) -> Option<f64> {
        rate(self.counts[OPPORTUNITY_STAGE], self.counts[0])
    }
}

/// `part / whole`, or `None` when there is nothing to divide.
pub fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A histogram bin of the time to first contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactBucket {
    UnderHour,
    HoursOneToFour,
    HoursFourToDay,
    DaysOneToThree,
    DaysThreeToSeven,
    OverWeek,
    NotYet,
}

impl ContactBucket {
    /// Every bin, fastest first, "not contacted yet" last.
    pub const ALL: [ContactBucket; 7] = [
        ContactBucket::UnderHour,
        ContactBucket::HoursOneToFour,
        ContactBucket::HoursFourToDay,
        ContactBucket::DaysOneToThree,
        ContactBucket::DaysThreeToSeven,
        ContactBucket::OverWeek,
        ContactBucket::NotYet,
    ];

    /// A stable key (for labels and CSS).
    pub fn key(self) -> &'static str {
        match self {
            ContactBucket::UnderHour => "under-1h",
            ContactBucket::HoursOneToFour => "1h-4h",
            ContactBucket::HoursFourToDay => "4h-1d",
            ContactBucket::DaysOneToThree => "1d-3d",
            ContactBucket::DaysThreeToSeven => "3d-7d",
            ContactBucket::OverWeek => "over-7d",
            ContactBucket::NotYet => "not-yet",
        }
    }

    fn of(delay: Option<i64>) -> ContactBucket {
        match delay {
            None => ContactBucket::NotYet,
            Some(d) if d < MICROS_PER_HOUR => ContactBucket::UnderHour,
            Some(d) if d < 4 * MICROS_PER_HOUR => ContactBucket::HoursOneToFour,
            Some(d) if d < MICROS_PER_DAY => ContactBucket::HoursFourToDay,
            Some(d) if d < 3 * MICROS_PER_DAY => ContactBucket::DaysOneToThree,
            Some(d) if d < 7 * MICROS_PER_DAY => ContactBucket::DaysThreeToSeven,
            Some(_) => ContactBucket::OverWeek,
        }
    }
}

/// Time from becoming SQL (or from creation, for a lead contacted before it ever was) to
/// the first call, email or meeting, over the cohort's leads that reached SQL or were
/// contacted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FirstContact {
    /// Leads measured.
    pub leads: i64,
    /// Of them, contacted so far.
    pub contacted: i64,
    /// Median delay of the contacted leads, in microseconds.
    pub median: Option<i64>,
    /// 75th percentile of the same.
    pub p75: Option<i64>,
    /// Leads contacted within 24 hours.
    pub within_day: i64,
    /// Leads per bin, in [`ContactBucket::ALL`] order.
    pub buckets: Vec<(ContactBucket, i64)>,
}

impl FirstContact {
    /// The share of measured leads contacted within a day.
    pub fn within_day_rate(&self) -> Option<f64> {
        rate(self.within_day, self.leads)
    }
}

/// One rep's activities in the period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RepActivities {
    /// `None`: logged without a user (an import, the system).
    pub user_id: Option<i64>,
    pub name: Option<String>,
    pub calls: i64,
    pub emails: i64,
    pub meetings: i64,
    pub notes: i64,
    /// Calls per outcome as written ('' for none), most frequent first.
    pub call_outcomes: Vec<(String, i64)>,
}

impl RepActivities {
    /// Every activity of the rep.
    pub fn total(&self) -> i64 {
        self.calls + self.emails + self.meetings + self.notes
    }
    /// Calls with this outcome.
    pub fn outcome(&self, outcome: &str) -> i64 {
        self.call_outcomes
            .iter()
            .find(|(o, _)| o == outcome)
            .map_or(0, |(_, n)| *n)
    }
}

/// Leads lost (or put to sleep) in the period, by reason.
#[derive(Debug, Clone, PartialEq)]
pub struct LostReasonRow {
    /// `None`: dormant without a lost reason.
    pub reason: Option<String>,
    pub leads: i64,
}

/// Leads whose first call was in the period, by the temperature they had at that call.
#[derive(Debug, Clone, PartialEq)]
pub struct TemperatureRow {
    /// hot, warm or cold; `None` when the call was logged before temperatures were kept.
    pub temperature: Option<String>,
    pub leads: i64,
    /// Of them, reached 案件化 or 受注 (at any time).
    pub converted: i64,
}

impl TemperatureRow {
    pub fn rate(&self) -> Option<f64> {
        rate(self.converted, self.leads)
    }
}

/// Everything `/reports` shows for one workspace and period.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub period: Period,
    pub grouping: Grouping,
    /// The whole cohort.
    pub total: StageCounts,
    /// The cohort by period (every period of the range, empty ones too) or by source.
    pub groups: Vec<FunnelRow>,
    /// The cohort by source: the top sources, then "other" when there are more.
    pub sources: Vec<FunnelRow>,
    pub first_contact: FirstContact,
    pub activities: Vec<RepActivities>,
    pub lost_reasons: Vec<LostReasonRow>,
    /// hot, warm, cold, then unknown when there is any.
    pub temperature: Vec<TemperatureRow>,
}

impl Report {
    /// True when nothing at all happened in the period.
    pub fn is_empty(&self) -> bool {
        self.total[0] == 0
            && self.activities.is_empty()
            && self.lost_reasons.is_empty()
            && self.temperature.iter().all(|r| r.leads == 0)
    }

    /// How many times more often a lead hot at its first call became an opportunity than
    /// a cold one: the article's "1.3–2×". `None` without hot leads or converted cold ones.
    pub fn hot_cold_ratio(&self) -> Option<f64> {
        let find = |t: &str| {
            self.temperature
                .iter()
                .find(|r| r.temperature.as_deref() == Some(t))
                .and_then(TemperatureRow::rate)
        };
        match (find("hot"), find("cold")) {
            (Some(hot), Some(cold)) if cold > 0.0 => Some(hot / cold),
            _ => None,
        }
    }
}

/// Builds the whole report.
pub async fn build(db: &Db, ws: WorkspaceId, period: Period, grouping: Grouping) -> Result<Report> {
    // Independent reads, side by side (SQLite's WAL and PostgreSQL both read concurrently).
    let (cohort, first_contact, activities, lost_reasons, temperature) = tokio::try_join!(
        cohort_counts(db, ws, period),
        first_contact(db, ws, period),
        activities(db, ws, period),
        lost_reasons(db, ws, period),
        temperature(db, ws, period),
    )?;
    let total = cohort.iter().fold([0; 5], |mut acc, c| {
        add_reached(&mut acc, c.reached, c.leads);
        acc
    });
    let sources = by_source(&cohort);
    let groups = match grouping {
        Grouping::Source => sources.clone(),
        Grouping::Month | Grouping::Week => by_period(&cohort, period, grouping),
    };
    Ok(Report {
        period,
        grouping,
        total,
        groups,
        sources,
        first_contact,
        activities,
        lost_reasons,
        temperature,
    })
}

/// Leads of the cohort per (day created, source, furthest stage).
struct CohortCell {
    day: i64,
    source: String,
    reached: i64,
    leads: i64,
}

async fn cohort_counts(db: &Db, ws: WorkspaceId, period: Period) -> Result<Vec<CohortCell>> {
    let sql = format!(
        "SELECT c.day, c.source, {reached}, COUNT(*) FROM ( \
           SELECT CAST((l.created_at + {JST_OFFSET}) / {MICROS_PER_DAY} AS BIGINT) AS day, \
                  {SOURCE_SQL} AS source, {hist} AS hist, l.status \
           FROM leads l WHERE l.workspace_id = $1 AND l.created_at >= $2 AND l.created_at < $3 \
         ) c GROUP BY c.day, c.source, {reached}",
        hist = history_rank_sql(),
        reached = reached_of("c.hist", "c.status"),
    );
    let rows: Vec<(i64, String, i64, i64)> = with_db!(db, pool => {
        sqlx::query_as(&sql)
            .bind(ws.0)
            .bind(period.start().0)
            .bind(period.end().0)
            .fetch_all(pool)
            .await?
    });
    Ok(rows
        .into_iter()
        .map(|(day, source, reached, leads)| CohortCell {
            day,
            source,
            reached,
            leads,
        })
        .collect())
}

/// Counts `leads` in every stage up to and including `reached`.
fn add_reached(counts: &mut StageCounts, reached: i64, leads: i64) {
    let reached = usize::try_from(reached).unwrap_or(0).min(STAGES.len() - 1);
    for c in counts.iter_mut().take(reached + 1) {
        *c += leads;
    }
}

/// The top sources by leads (ties by name), then the rest as "other".
fn by_source(cohort: &[CohortCell]) -> Vec<FunnelRow> {
    let mut per: HashMap<&str, StageCounts> = HashMap::new();
    for c in cohort {
        add_reached(
            per.entry(c.source.as_str()).or_default(),
            c.reached,
            c.leads,
        );
    }
    let mut rows: Vec<(&str, StageCounts)> = per.into_iter().collect();
    rows.sort_by(|a, b| b.1[0].cmp(&a.1[0]).then_with(|| a.0.cmp(b.0)));
    let mut out: Vec<FunnelRow> = Vec::new();
    let mut other: Option<StageCounts> = None;
    for (i, (source, counts)) in rows.into_iter().enumerate() {
        if i < TOP_SOURCES {
            let key = if source.is_empty() {
                SourceKey::Unknown
            } else {
                SourceKey::Named(source.to_string())
            };
            out.push(FunnelRow {
                group: GroupKey::Source(key),
                counts,
            });
        } else {
            let acc = other.get_or_insert([0; 5]);
            for (a, c) in acc.iter_mut().zip(counts) {
                *a += c;
            }
        }
    }
    if let Some(counts) = other {
        out.push(FunnelRow {
            group: GroupKey::Source(SourceKey::Other),
            counts,
        });
    }
    out
}

/// The first day of the month or the Monday of the week holding `day`.
fn bucket_start(day: JstDay, grouping: Grouping) -> JstDay {
    match grouping {
        // 1970-01-01 was a Thursday: day 4 was a Monday.
        Grouping::Week => day - (day - 4).rem_euclid(7),
        _ => day - i64::from(ymd(day).2) + 1,
    }
}

/// The bucket after the one starting at `start`.
fn next_bucket(start: JstDay, grouping: Grouping) -> JstDay {
    match grouping {
        Grouping::Week => start + 7,
        // Any day of the next month, back to its first.
        _ => bucket_start(start + 31, grouping),
    }
}

/// Every month or week of the period in order, each with its cohort's counts.
fn by_period(cohort: &[CohortCell], period: Period, grouping: Grouping) -> Vec<FunnelRow> {
    let mut per: HashMap<JstDay, StageCounts> = HashMap::new();
    for c in cohort {
        let start = bucket_start(c.day, grouping);
        add_reached(per.entry(start).or_default(), c.reached, c.leads);
    }
    let key = |d: JstDay| match grouping {
        Grouping::Week => GroupKey::Week(d),
        _ => GroupKey::Month(d),
    };
    let mut out = Vec::new();
    let mut start = bucket_start(period.from, grouping);
    // A bounded walk: a period of years in weeks is still a few hundred rows.
    while start < period.to && out.len() < 1_000 {
        out.push(FunnelRow {
            group: key(start),
            counts: per.get(&start).copied().unwrap_or_default(),
        });
        start = next_bucket(start, grouping);
    }
    out
}

/// The nearest-rank percentile `p` (0–100) of sorted values.
fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

async fn first_contact(db: &Db, ws: WorkspaceId, period: Period) -> Result<FirstContact> {
    // Per cohort lead: when the clock started (first became SQL, else created), whether it
    // ever reached SQL, and its first call/email/meeting from then on.
    let sql = format!(
        "SELECT x.start_at, x.first_at FROM ( \
           SELECT s.start_at, {reached} AS reached, \
                  (SELECT MIN(a.occurred_at) FROM activities a \
                    WHERE a.workspace_id = $1 AND a.lead_id = s.id \
                      AND a.type IN ('call', 'email', 'meeting') AND a.occurred_at >= s.start_at) AS first_at \
           FROM ( \
             SELECT l.id, l.status, {hist} AS hist, \
                    COALESCE((SELECT MIN(h.changed_at) FROM status_history h \
                               WHERE h.workspace_id = l.workspace_id AND h.lead_id = l.id \
                                 AND {NOT_BY_STATUS_INDEX} = 'sales_ready'), l.created_at) AS start_at \
             FROM leads l WHERE l.workspace_id = $1 AND l.created_at >= $2 AND l.created_at < $3 \
           ) s \
         ) x WHERE x.reached >= 2 OR x.first_at IS NOT NULL",
        hist = history_rank_sql(),
        reached = reached_of("s.hist", "s.status"),
    );
    let rows: Vec<(i64, Option<i64>)> = with_db!(db, pool => {
        sqlx::query_as(&sql)
            .bind(ws.0)
            .bind(period.start().0)
            .bind(period.end().0)
            .fetch_all(pool)
            .await?
    });
    Ok(summarise_first_contact(&rows))
}

fn summarise_first_contact(rows: &[(i64, Option<i64>)]) -> FirstContact {
    let delays: Vec<Option<i64>> = rows
        .iter()
        .map(|(start, first)| first.map(|f| (f - start).max(0)))
        .collect();
    let mut sorted: Vec<i64> = delays.iter().flatten().copied().collect();
    sorted.sort_unstable();
    let mut buckets: Vec<(ContactBucket, i64)> =
        ContactBucket::ALL.iter().map(|b| (*b, 0)).collect();
    for d in &delays {
        let b = ContactBucket::of(*d);
        if let Some(slot) = buckets.iter_mut().find(|(k, _)| *k == b) {
            slot.1 += 1;
        }
    }
    FirstContact {
        leads: delays.len() as i64,
        contacted: sorted.len() as i64,
        median: percentile(&sorted, 50),
        p75: percentile(&sorted, 75),
        within_day: sorted.iter().filter(|d| **d < MICROS_PER_DAY).count() as i64,
        buckets,
    }
}

/// (user, user name, type, outcome or '', activities).
type ActivityCount = (Option<i64>, Option<String>, String, String, i64);

async fn activities(db: &Db, ws: WorkspaceId, period: Period) -> Result<Vec<RepActivities>> {
    let rows: Vec<ActivityCount> = with_db!(db, pool => {
        sqlx::query_as(
            "SELECT a.user_id, u.display_name, a.type, COALESCE(a.outcome, ''), COUNT(*) \
             FROM activities a \
             LEFT JOIN users u ON u.workspace_id = a.workspace_id AND u.id = a.user_id \
             WHERE a.workspace_id = $1 AND a.occurred_at >= $2 AND a.occurred_at < $3 \
             GROUP BY a.user_id, u.display_name, a.type, COALESCE(a.outcome, '')",
        )
        .bind(ws.0)
        .bind(period.start().0)
        .bind(period.end().0)
        .fetch_all(pool)
        .await?
    });
    let mut reps: Vec<RepActivities> = Vec::new();
    for (user_id, name, kind, outcome, n) in rows {
        let idx = match reps.iter().position(|r| r.user_id == user_id) {
            Some(i) => i,
            None => {
                reps.push(RepActivities {
                    user_id,
                    name,
                    ..Default::default()
                });
                reps.len() - 1
            }
        };
        let rep = &mut reps[idx];
        match kind.as_str() {
            "call" => {
                rep.calls += n;
                rep.call_outcomes.push((outcome, n));
            }
            "email" => rep.emails += n,
            "meeting" => rep.meetings += n,
            _ => rep.notes += n,
        }
    }
    for r in &mut reps {
        r.call_outcomes
            .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    }
    // Busiest first; people before the unattributed row.
    reps.sort_by(|a, b| {
        a.user_id
            .is_none()
            .cmp(&b.user_id.is_none())
            .then_with(|| b.total().cmp(&a.total()))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(reps)
}

async fn lost_reasons(db: &Db, ws: WorkspaceId, period: Period) -> Result<Vec<LostReasonRow>> {
    // Leads still lost/dormant that moved there during the period.
    let rows: Vec<(Option<String>, i64)> = with_db!(db, pool => {
        sqlx::query_as(
            // IN, not a correlated EXISTS: the period's lost changes are read once from
            // status_history_to, not once per lost lead.
            "SELECT NULLIF(l.lost_reason, ''), COUNT(*) FROM leads l \
             WHERE l.workspace_id = $1 AND l.status = 'lost_dormant' AND l.id IN ( \
               SELECT h.lead_id FROM status_history h WHERE h.workspace_id = $1 \
                 AND h.to_status = 'lost_dormant' AND h.changed_at >= $2 AND h.changed_at < $3) \
             GROUP BY NULLIF(l.lost_reason, '')",
        )
        .bind(ws.0)
        .bind(period.start().0)
        .bind(period.end().0)
        .fetch_all(pool)
        .await?
    });
    let mut out: Vec<LostReasonRow> = rows
        .into_iter()
        .map(|(reason, leads)| LostReasonRow { reason, leads })
        .collect();
    out.sort_by(|a, b| {
        b.leads
            .cmp(&a.leads)
            .then_with(|| a.reason.is_none().cmp(&b.reason.is_none()))
            .then_with(|| a.reason.cmp(&b.reason))
    });
    Ok(out)
}

async fn temperature(db: &Db, ws: WorkspaceId, period: Period) -> Result<Vec<TemperatureRow>> {
    // Each lead's first call ever, when it fell in the period, and whether the lead has
    // reached 案件化 or 受注 by now.
    let sql = format!(
        "SELECT c.temperature, COUNT(*), \
                SUM(CASE WHEN {reached} >= {OPPORTUNITY_STAGE} THEN 1 ELSE 0 END) \
         FROM ( \
           SELECT f.temperature, l.status, {hist} AS hist \
           FROM activities f \
           JOIN leads l ON l.workspace_id = f.workspace_id AND l.id = f.lead_id \
           WHERE f.workspace_id = $1 AND f.type = 'call' AND f.occurred_at >= $2 AND f.occurred_at < $3 \
             AND NOT EXISTS (SELECT 1 FROM activities b WHERE b.workspace_id = f.workspace_id \
                 AND b.lead_id = f.lead_id AND b.type = 'call' \
                 AND (b.occurred_at < f.occurred_at OR (b.occurred_at = f.occurred_at AND b.id < f.id))) \
         ) c GROUP BY c.temperature",
        hist = history_rank_sql(),
        reached = reached_of("c.hist", "c.status"),
    );
    let rows: Vec<(Option<String>, i64, i64)> = with_db!(db, pool => {
        sqlx::query_as(&sql)
            .bind(ws.0)
            .bind(period.start().0)
            .bind(period.end().0)
            .fetch_all(pool)
            .await?
    });
    let mut out: Vec<TemperatureRow> = ["hot", "warm", "cold"]
        .into_iter()
        .map(|t| TemperatureRow {
            temperature: Some(t.to_string()),
            leads: 0,
            converted: 0,
        })
        .collect();
    let mut unknown = TemperatureRow {
        temperature: None,
        leads: 0,
        converted: 0,
    };
    for (t, leads, converted) in rows {
        let slot = match out
            .iter_mut()
            .find(|r| r.temperature.is_some() && r.temperature == t)
        {
            Some(slot) => slot,
            None => &mut unknown,
        };
        slot.leads += leads;
        slot.converted += converted;
    }
    if unknown.leads > 0 {
        out.push(unknown);
    }
    Ok(out)
}

/// Current leads per status, in funnel order with every status present; for one owner
/// when `user_id` is given. For the home page's funnel at a glance.
pub async fn funnel_at_a_glance(
    db: &Db,
    ws: WorkspaceId,
    user_id: Option<i64>,
) -> Result<Vec<(LeadStatus, i64)>> {
    let rows: Vec<(String, i64)> = with_db!(db, pool => {
        match user_id {
            Some(owner) => sqlx::query_as(
                "SELECT status, COUNT(*) FROM leads WHERE workspace_id = $1 AND owner_id = $2 GROUP BY status",
            )
            .bind(ws.0)
            .bind(owner)
            .fetch_all(pool)
            .await?,
            None => sqlx::query_as(
                "SELECT status, COUNT(*) FROM leads WHERE workspace_id = $1 GROUP BY status",
            )
            .bind(ws.0)
            .fetch_all(pool)
            .await?,
        }
    });
    Ok(LeadStatus::ALL
        .into_iter()
        .map(|s| {
            let n = rows
                .iter()
                .filter(|(k, _)| k == s.key())
                .map(|(_, n)| *n)
                .sum();
            (s, n)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JST day of a calendar date.
    fn date(y: i32, m: u8, d: u8) -> JstDay {
        (0..30_000)
            .find(|day| ymd(*day) == (y, m, d))
            .expect("a date after 1970")
    }

    #[test]
    fn a_jst_day_starts_at_15_utc_the_day_before() {
        let p = Period {
            from: date(2026, 4, 1),
            to: date(2026, 4, 2),
        };
        assert_eq!(p.start().to_rfc3339(), "2026-03-31T15:00:00.000000Z");
        assert_eq!(p.end().0 - p.start().0, MICROS_PER_DAY);
        assert_eq!(jst_day(p.start()), p.from);
        assert_eq!(jst_day(Micros(p.end().0 - 1)), p.from);
    }

    #[test]
    fn periods_cover_the_range_with_empty_buckets() {
        let cohort = vec![CohortCell {
            day: date(2026, 3, 15),
            source: "展示会".into(),
            reached: 3,
            leads: 2,
        }];
        let p = Period {
            from: date(2026, 1, 20),
            to: date(2026, 4, 1),
        };
        let months = by_period(&cohort, p, Grouping::Month);
        let keys: Vec<_> = months.iter().map(|r| r.group.clone()).collect();
        assert_eq!(
            keys,
            vec![
                GroupKey::Month(date(2026, 1, 1)),
                GroupKey::Month(date(2026, 2, 1)),
                GroupKey::Month(date(2026, 3, 1)),
            ]
        );
        assert_eq!(months[2].counts, [2, 2, 2, 2, 0]);
        assert_eq!(months[0].counts, [0; 5]);
        let weeks = by_period(&cohort, p, Grouping::Week);
        // 2026-01-19 is a Monday; 2026-03-15 a Sunday, in the week of 03-09.
        assert_eq!(weeks[0].group, GroupKey::Week(date(2026, 1, 19)));
        let with_leads: Vec<_> = weeks.iter().filter(|w| w.counts[0] > 0).collect();
        assert_eq!(with_leads.len(), 1);
        assert_eq!(with_leads[0].group, GroupKey::Week(date(2026, 3, 9)));
        assert_eq!(
            weeks.last().map(|w| w.group.clone()),
            Some(GroupKey::Week(date(2026, 3, 30)))
        );
        // December rolls over into January.
        assert_eq!(
            next_bucket(date(2025, 12, 1), Grouping::Month),
            date(2026, 1, 1)
        );
        assert_eq!(
            next_bucket(date(2026, 1, 1), Grouping::Month),
            date(2026, 2, 1)
        );
    }

    #[test]
    fn sources_beyond_the_top_are_summed_as_other() {
        let cohort: Vec<CohortCell> = (0..20)
            .map(|i| CohortCell {
                day: 0,
                source: format!("source {i:02}"),
                reached: i % 5,
                leads: 100 - i,
            })
            .chain(std::iter::once(CohortCell {
                day: 0,
                source: String::new(),
                reached: 0,
                leads: 1,
            }))
            .collect();
        let rows = by_source(&cohort);
        assert_eq!(rows.len(), TOP_SOURCES + 1);
        assert_eq!(
            rows[0].group,
            GroupKey::Source(SourceKey::Named("source 00".into()))
        );
        assert_eq!(rows[TOP_SOURCES].group, GroupKey::Source(SourceKey::Other));
        // sources 15..19 (85+84+83+82+81) and the one lead without a source.
        assert_eq!(rows[TOP_SOURCES].counts[0], 85 + 84 + 83 + 82 + 81 + 1);
        let total: i64 = rows.iter().map(|r| r.counts[0]).sum();
        assert_eq!(total, cohort.iter().map(|c| c.leads).sum::<i64>());
    }

    #[test]
    fn first_contact_percentiles_and_buckets() {
        let h = MICROS_PER_HOUR;
        let rows = vec![
            (0, Some(h / 2)),
            (0, Some(2 * h)),
            (10, Some(10 + 30 * h)),
            (0, Some(200 * h)),
            (0, None),
        ];
        let fc = summarise_first_contact(&rows);
        assert_eq!(fc.leads, 5);
        assert_eq!(fc.contacted, 4);
        assert_eq!(fc.median, Some(2 * h));
        assert_eq!(fc.p75, Some(30 * h));
        assert_eq!(fc.within_day, 2);
        assert_eq!(fc.within_day_rate(), Some(0.4));
        let counts: Vec<i64> = fc.buckets.iter().map(|b| b.1).collect();
        assert_eq!(counts, vec![1, 1, 0, 1, 0, 1, 1]);
        assert_eq!(summarise_first_contact(&[]).median, None);
    }
}
