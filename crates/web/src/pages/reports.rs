//! `/reports`: the funnel 新規 → MQL → SQL → 案件化 → 受注 by period and by source, 商談化率
//! by source, time to first contact, activities per rep, lost reasons, and temperature at
//! the first call against outcome — each as an SVG chart with its numbers in a table, and
//! each table as CSV (UTF-8 with BOM) or `.xlsx` at `/reports/{name}.csv|.xlsx`.
//!
//! Every role sees the whole workspace here, salespeople included: the reports are the
//! team's shared picture (activities per rep is a team view), and they show counts, not
//! lead details.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ondo_domain::{LeadStatus, Micros};
use ondo_store::reports::{
    ContactBucket, FunnelRow, GroupKey, Grouping, JstDay, Period, Report, STAGES, SourceKey, rate,
};
use time::{Date, Month};

use super::{Chrome, PageError, render};
use crate::auth::CurrentUser;
use crate::charts::{self, Bar, Group};
use crate::i18n::{Lang, Tr};
use crate::service::activities::{CALL_OUTCOME_KEYS, CALL_OUTCOMES};
use crate::state::AppState;

/// The longest period a report covers.
const MAX_DAYS: i64 = 5 * 366;
/// The Julian day of 1970-01-01, day 0 of [`JstDay`].
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;
/// The tables a report offers for download, in page order.
pub const TABLES: [&str; 6] = [
    "funnel",
    "sources",
    "first_contact",
    "activities",
    "lost_reasons",
    "temperature",
];

/// The report's query: `from` and `to` (exclusive) as `YYYY-MM-DD` in Japan, `by`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportQuery {
    pub period: Period,
    pub grouping: Grouping,
}

/// A date of the query that is not one, or a period that does not make sense.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    #[error("{field}: not a date (YYYY-MM-DD)")]
    Date { field: &'static str },
    #[error("by: must be month, week or source")]
    Grouping,
    #[error("to: must be after from")]
    Order,
    #[error("to: the period may span at most {MAX_DAYS} days")]
    TooLong,
}

impl QueryError {
    /// The message in the reader's language, naming the field.
    fn message(&self, t: &Tr) -> String {
        match self {
            QueryError::Date { field } => {
                let name = format!("{} ({field})", t.t(&format!("reports-{field}")));
                t.t1("reports-error-date", "field", &name)
            }
            QueryError::Grouping => t.t("reports-error-by"),
            QueryError::Order => t.t("reports-error-order"),
            QueryError::TooLong => t.t1("reports-error-too-long", "days", &MAX_DAYS.to_string()),
        }
    }
}

fn to_day(d: Date) -> JstDay {
    i64::from(d.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
}

fn to_date(day: JstDay) -> Date {
    i32::try_from(day + UNIX_EPOCH_JULIAN_DAY)
        .ok()
        .and_then(|j| Date::from_julian_day(j).ok())
        .unwrap_or(Date::MIN)
}

/// The default period: this month and the five before it, whole months.
pub fn default_period(today: Date) -> Period {
    let first = today.replace_day(1).unwrap_or(today);
    let mut from = first;
    for _ in 0..5 {
        from = (from.previous_day().unwrap_or(from))
            .replace_day(1)
            .unwrap_or(from);
    }
    let next = first
        .checked_add(time::Duration::days(31))
        .and_then(|d| d.replace_day(1).ok())
        .unwrap_or(first);
    Period {
        from: to_day(from),
        to: to_day(next),
    }
}

fn parse_day(
    q: &HashMap<String, String>,
    field: &'static str,
) -> Result<Option<JstDay>, QueryError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match q.get(field).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Date::parse(s, &format)
            .map(|d| Some(to_day(d)))
            .map_err(|_| QueryError::Date { field }),
    }
}

/// Parses `from`, `to` and `by`; what is missing comes from the default period, by month.
pub fn parse_query(q: &HashMap<String, String>, today: Date) -> Result<ReportQuery, QueryError> {
    let default = default_period(today);
    let from = parse_day(q, "from")?;
    let to = parse_day(q, "to")?;
    let grouping = match q.get("by").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Grouping::Month,
        Some(b) => Grouping::parse(b).ok_or(QueryError::Grouping)?,
    };
    let period = match (from, to) {
        (None, None) => default,
        (Some(f), None) => Period {
            from: f,
            to: (f + 183).max(f + 1),
        },
        (None, Some(t)) => Period {
            from: t - 183,
            to: t,
        },
        (Some(f), Some(t)) => Period { from: f, to: t },
    };
    if period.to <= period.from {
        return Err(QueryError::Order);
    }
    if period.to - period.from > MAX_DAYS {
        return Err(QueryError::TooLong);
    }
    Ok(ReportQuery { period, grouping })
}

// ---------------------------------------------------------------------------------------
// Formatting

fn iso(day: JstDay) -> String {
    let d = to_date(day);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn month_en(m: Month) -> &'static str {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    NAMES[usize::from(u8::from(m)) - 1]
}

/// A day as the reader writes it: 2026年6月1日, or Jun 1, 2026.
fn long_date(t: &Tr, day: JstDay) -> String {
    let d = to_date(day);
    match t.lang {
        Lang::Ja => format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day()),
        Lang::En => format!("{} {}, {}", month_en(d.month()), d.day(), d.year()),
    }
}

/// A funnel row's label: 2026年6月, 6月1日の週, or the source.
fn group_label(t: &Tr, g: &GroupKey) -> String {
    match g {
        GroupKey::Month(day) => {
            let d = to_date(*day);
            match t.lang {
                Lang::Ja => format!("{}年{}月", d.year(), u8::from(d.month())),
                Lang::En => format!("{} {}", month_en(d.month()), d.year()),
            }
        }
        GroupKey::Week(day) => {
            let d = to_date(*day);
            match t.lang {
                Lang::Ja => format!("{}/{}/{}の週", d.year(), u8::from(d.month()), d.day()),
                Lang::En => format!("Week of {} {}, {}", month_en(d.month()), d.day(), d.year()),
            }
        }
        GroupKey::Source(s) => source_label(t, s),
    }
}

fn source_label(t: &Tr, s: &SourceKey) -> String {
    match s {
        SourceKey::Named(n) => n.clone(),
        SourceKey::Unknown => t.t("reports-source-unknown"),
        SourceKey::Other => t.t("reports-source-other"),
    }
}

/// 1,234,567.
fn int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// 12.5% (one decimal), or — when there is nothing to divide.
fn pct(r: Option<f64>) -> String {
    match r {
        Some(r) => format!("{:.1}%", r * 100.0),
        None => "—".to_string(),
    }
}

/// A delay in words: 45分, 3時間12分, 2日4時間 / 45 min, 3 h 12 min, 2 d 4 h.
fn duration(t: &Tr, micros: Option<i64>) -> String {
    let Some(m) = micros else {
        return "—".to_string();
    };
    let minutes = m / 60_000_000;
    let (d, h, min) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (t.lang, d, h) {
        (Lang::Ja, 0, 0) => format!("{min}分"),
        (Lang::Ja, 0, _) => format!("{h}時間{min}分"),
        (Lang::Ja, _, _) => format!("{d}日{h}時間"),
        (Lang::En, 0, 0) => format!("{min} min"),
        (Lang::En, 0, _) => format!("{h} h {min} min"),
        (Lang::En, _, _) => format!("{d} d {h} h"),
    }
}

/// Hours with one decimal, for spreadsheets.
fn hours(micros: Option<i64>) -> String {
    micros
        .map(|m| format!("{:.1}", m as f64 / 3_600_000_000.0))
        .unwrap_or_default()
}

fn stage_label(t: &Tr, s: LeadStatus) -> String {
    t.t(&format!("reports-stage-{}", s.key()))
}

// ---------------------------------------------------------------------------------------
// Tables: the same cells for the page, the CSV and the spreadsheet.

/// One table of the report.
pub struct Table {
    pub name: &'static str,
    pub title: String,
    pub headers: Vec<String>,
    /// Which columns hold numbers (right-aligned; numeric cells in `.xlsx`).
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(name: &'static str, title: String, headers: Vec<String>, numeric: Vec<bool>) -> Table {
        Table {
            name,
            title,
            headers,
            numeric,
            rows: Vec::new(),
        }
    }
    /// Cells of a row with their alignment, for the template.
    pub fn cells<'a>(&'a self, row: &'a [String]) -> impl Iterator<Item = (&'a String, bool)> + 'a {
        row.iter()
            .enumerate()
            .map(|(i, c)| (c, self.numeric.get(i).copied().unwrap_or(false)))
    }
}

fn funnel_headers(t: &Tr, first: String) -> (Vec<String>, Vec<bool>) {
    let mut h = vec![first];
    h.extend(STAGES.iter().map(|s| stage_label(t, *s)));
    h.push(t.t("reports-opportunity-rate"));
    let mut n = vec![false];
    n.extend([true; 6]);
    (h, n)
}

fn funnel_row(t: &Tr, r: &FunnelRow) -> Vec<String> {
    let mut row = vec![group_label(t, &r.group)];
    row.extend(r.counts.iter().map(|c| c.to_string()));
    row.push(pct(r.opportunity_rate()));
    row
}

fn funnel_table(t: &Tr, r: &Report) -> Table {
    let first = match r.grouping {
        Grouping::Month => t.t("reports-col-month"),
        Grouping::Week => t.t("reports-col-week"),
        Grouping::Source => t.t("reports-col-source"),
    };
    let (headers, numeric) = funnel_headers(t, first);
    let mut table = Table::new("funnel", t.t("reports-funnel-title"), headers, numeric);
    table.rows = r.groups.iter().map(|g| funnel_row(t, g)).collect();
    let mut total = vec![t.t("reports-total")];
    total.extend(r.total.iter().map(|c| c.to_string()));
    total.push(pct(rate(r.total[3], r.total[0])));
    table.rows.push(total);
    table
}

fn sources_table(t: &Tr, r: &Report) -> Table {
    let (headers, numeric) = funnel_headers(t, t.t("reports-col-source"));
    let mut table = Table::new("sources", t.t("reports-sources-title"), headers, numeric);
    table.rows = r.sources.iter().map(|g| funnel_row(t, g)).collect();
    table
}

fn first_contact_table(t: &Tr, r: &Report) -> Table {
    let fc = &r.first_contact;
    let mut table = Table::new(
        "first_contact",
        t.t("reports-first-contact-title"),
        vec![
            t.t("reports-col-bucket"),
            t.t("reports-col-leads"),
            t.t("reports-col-share"),
        ],
        vec![false, true, true],
    );
    for (b, n) in &fc.buckets {
        table.rows.push(vec![
            t.t(&format!("reports-bucket-{}", b.key())),
            n.to_string(),
            pct(rate(*n, fc.leads)),
        ]);
    }
    table.rows.push(vec![
        t.t("reports-total"),
        fc.leads.to_string(),
        pct(rate(fc.leads, fc.leads)),
    ]);
    table.rows.push(vec![
        t.t("reports-median-hours"),
        hours(fc.median),
        String::new(),
    ]);
    table
        .rows
        .push(vec![t.t("reports-p75-hours"), hours(fc.p75), String::new()]);
    table.rows.push(vec![
        t.t("reports-within-day"),
        fc.within_day.to_string(),
        pct(fc.within_day_rate()),
    ]);
    table
}

fn activities_table(t: &Tr, r: &Report) -> Table {
    let mut headers = vec![
        t.t("reports-col-rep"),
        t.t("activity-call"),
        t.t("activity-email"),
        t.t("activity-meeting"),
        t.t("activity-note"),
        t.t("reports-total"),
    ];
    for key in CALL_OUTCOME_KEYS {
        headers.push(format!(
            "{}: {}",
            t.t("activity-call"),
            t.t(&format!("outcome-{key}"))
        ));
    }
    headers.push(format!(
        "{}: {}",
        t.t("activity-call"),
        t.t("reports-outcome-other")
    ));
    let mut numeric = vec![false];
    numeric.extend(std::iter::repeat_n(true, headers.len() - 1));
    let mut table = Table::new(
        "activities",
        t.t("reports-activities-title"),
        headers,
        numeric,
    );
    for rep in &r.activities {
        let name = rep.name.clone().unwrap_or_else(|| t.t("reports-rep-none"));
        let mut row = vec![
            name,
            rep.calls.to_string(),
            rep.emails.to_string(),
            rep.meetings.to_string(),
            rep.notes.to_string(),
            rep.total().to_string(),
        ];
        let known: i64 = CALL_OUTCOMES.iter().map(|o| rep.outcome(o)).sum();
        row.extend(CALL_OUTCOMES.iter().map(|o| rep.outcome(o).to_string()));
        row.push((rep.calls - known).to_string());
        table.rows.push(row);
    }
    table
}

fn lost_reasons_table(t: &Tr, r: &Report) -> Table {
    let total: i64 = r.lost_reasons.iter().map(|l| l.leads).sum();
    let mut table = Table::new(
        "lost_reasons",
        t.t("reports-lost-title"),
        vec![
            t.t("reports-col-reason"),
            t.t("reports-col-leads"),
            t.t("reports-col-share"),
        ],
        vec![false, true, true],
    );
    for l in &r.lost_reasons {
        table.rows.push(vec![
            l.reason
                .clone()
                .unwrap_or_else(|| t.t("reports-reason-dormant")),
            l.leads.to_string(),
            pct(rate(l.leads, total)),
        ]);
    }
    table
}

fn temperature_label(t: &Tr, temp: Option<&str>) -> String {
    match temp {
        Some(k) => t.t(&format!("temperature-{k}")),
        None => t.t("reports-temperature-unknown"),
    }
}

fn temperature_table(t: &Tr, r: &Report) -> Table {
    let mut table = Table::new(
        "temperature",
        t.t("reports-temperature-title"),
        vec![
            t.t("reports-col-temperature"),
            t.t("reports-col-first-calls"),
            t.t("reports-col-converted"),
            t.t("reports-opportunity-rate"),
        ],
        vec![false, true, true, true],
    );
    for row in &r.temperature {
        table.rows.push(vec![
            temperature_label(t, row.temperature.as_deref()),
            row.leads.to_string(),
            row.converted.to_string(),
            pct(row.rate()),
        ]);
    }
    table.rows.push(vec![
        t.t("reports-hot-cold-ratio"),
        String::new(),
        String::new(),
        ratio(r.hot_cold_ratio()),
    ]);
    table
}

/// 1.8×, or — when there is no ratio.
fn ratio(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.2}×"))
        .unwrap_or_else(|| "—".to_string())
}

/// The table called `name`, if there is one.
fn table(t: &Tr, r: &Report, name: &str) -> Option<Table> {
    Some(match name {
        "funnel" => funnel_table(t, r),
        "sources" => sources_table(t, r),
        "first_contact" => first_contact_table(t, r),
        "activities" => activities_table(t, r),
        "lost_reasons" => lost_reasons_table(t, r),
        "temperature" => temperature_table(t, r),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Charts

fn no_data(t: &Tr) -> String {
    t.t("reports-chart-no-data")
}

fn funnel_chart(t: &Tr, r: &Report) -> String {
    let bars: Vec<Bar> = STAGES
        .iter()
        .zip(r.total)
        .map(|(s, n)| {
            let text = format!("{} ({})", int(n), pct(rate(n, r.total[0])));
            Bar::new(stage_label(t, *s), n as f64, text)
        })
        .collect();
    charts::funnel(&t.t("reports-funnel-chart"), &bars, &no_data(t))
}

fn groups_chart(t: &Tr, r: &Report) -> String {
    let series: Vec<String> = STAGES.iter().map(|s| stage_label(t, *s)).collect();
    let groups: Vec<Group> = r
        .groups
        .iter()
        .map(|g| Group {
            label: group_label(t, &g.group),
            values: g.counts.iter().map(|c| *c as f64).collect(),
        })
        .collect();
    charts::grouped_bars(&t.t("reports-groups-chart"), &series, &groups, &no_data(t))
}

fn sources_chart(t: &Tr, r: &Report) -> String {
    let bars: Vec<Bar> = r
        .sources
        .iter()
        .map(|s| {
            let text = format!(
                "{} ({}/{})",
                pct(s.opportunity_rate()),
                int(s.counts[ondo_store::reports::OPPORTUNITY_STAGE]),
                int(s.counts[0])
            );
            Bar::new(
                group_label(t, &s.group),
                s.opportunity_rate().unwrap_or(0.0),
                text,
            )
        })
        .collect();
    // A chart of zero rates is still worth showing when there are leads.
    if !bars.is_empty() && bars.iter().all(|b| b.value == 0.0) {
        return charts::horizontal_bars(
            &t.t("reports-sources-chart"),
            &r.sources
                .iter()
                .map(|s| {
                    Bar::new(
                        group_label(t, &s.group),
                        s.counts[0] as f64,
                        format!("0.0% (0/{})", int(s.counts[0])),
                    )
                })
                .collect::<Vec<_>>(),
            &no_data(t),
        );
    }
    charts::horizontal_bars(&t.t("reports-sources-chart"), &bars, &no_data(t))
}

fn first_contact_chart(t: &Tr, r: &Report) -> String {
    let bins: Vec<Bar> = r
        .first_contact
        .buckets
        .iter()
        .map(|(b, n)| {
            Bar::new(
                t.t(&format!("reports-bucket-{}", b.key())),
                *n as f64,
                int(*n),
            )
        })
        .collect();
    charts::histogram(&t.t("reports-first-contact-chart"), &bins, &no_data(t))
}

fn activities_chart(t: &Tr, r: &Report) -> String {
    let series: Vec<String> = ["call", "email", "meeting", "note"]
        .iter()
        .map(|k| t.t(&format!("activity-{k}")))
        .collect();
    let groups: Vec<Group> = r
        .activities
        .iter()
        .map(|a| Group {
            label: a.name.clone().unwrap_or_else(|| t.t("reports-rep-none")),
            values: vec![
                a.calls as f64,
                a.emails as f64,
                a.meetings as f64,
                a.notes as f64,
            ],
        })
        .collect();
    charts::grouped_bars(
        &t.t("reports-activities-chart"),
        &series,
        &groups,
        &no_data(t),
    )
}

fn lost_chart(t: &Tr, r: &Report) -> String {
    let total: i64 = r.lost_reasons.iter().map(|l| l.leads).sum();
    let bars: Vec<Bar> = r
        .lost_reasons
        .iter()
        .map(|l| {
            Bar::new(
                l.reason
                    .clone()
                    .unwrap_or_else(|| t.t("reports-reason-dormant")),
                l.leads as f64,
                format!("{} ({})", int(l.leads), pct(rate(l.leads, total))),
            )
        })
        .collect();
    charts::horizontal_bars(&t.t("reports-lost-chart"), &bars, &no_data(t))
}

fn temperature_chart(t: &Tr, r: &Report) -> String {
    if r.temperature.iter().all(|row| row.leads == 0) {
        return charts::horizontal_bars(&t.t("reports-temperature-chart"), &[], &no_data(t));
    }
    let bars: Vec<Bar> = r
        .temperature
        .iter()
        .map(|row| {
            Bar::new(
                temperature_label(t, row.temperature.as_deref()),
                row.rate().unwrap_or(0.0),
                format!(
                    "{} ({}/{})",
                    pct(row.rate()),
                    int(row.converted),
                    int(row.leads)
                ),
            )
        })
        .collect();
    if bars.iter().all(|b| b.value == 0.0) {
        // Calls were made but nothing converted yet: say so with the call counts.
        let calls: Vec<Bar> = r
            .temperature
            .iter()
            .map(|row| {
                Bar::new(
                    temperature_label(t, row.temperature.as_deref()),
                    row.leads as f64,
                    format!("0.0% (0/{})", int(row.leads)),
                )
            })
            .collect();
        return charts::horizontal_bars(&t.t("reports-temperature-chart"), &calls, &no_data(t));
    }
    charts::horizontal_bars(&t.t("reports-temperature-chart"), &bars, &no_data(t))
}

// ---------------------------------------------------------------------------------------
// The page

/// A headline number above a chart.
pub struct Figure {
    pub label: String,
    pub value: String,
}

/// One section of the page: a chart, its table and the download links.
pub struct Section {
    pub name: &'static str,
    pub title: String,
    pub note: String,
    pub figures: Vec<Figure>,
    pub charts: Vec<String>,
    pub table: Table,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    c: Chrome,
    t: Tr,
    from: String,
    to: String,
    by: &'static str,
    /// `from=…&to=…&by=…`, for the download links.
    query: String,
    period_label: String,
    error: Option<String>,
    empty: bool,
    sections: Vec<Section>,
}

fn sections(t: &Tr, r: &Report) -> Vec<Section> {
    let fc = &r.first_contact;
    let by_note = match r.grouping {
        Grouping::Month => "reports-funnel-note-month",
        Grouping::Week => "reports-funnel-note-week",
        Grouping::Source => "reports-funnel-note-source",
    };
    let mut funnel_charts = vec![funnel_chart(t, r)];
    if r.grouping != Grouping::Source {
        funnel_charts.push(groups_chart(t, r));
    }
    vec![
        Section {
            name: "funnel",
            title: t.t("reports-funnel-title"),
            note: t.t(by_note),
            figures: vec![
                Figure {
                    label: t.t("reports-fig-leads"),
                    value: int(r.total[0]),
                },
                Figure {
                    label: t.t("reports-opportunity-rate"),
                    value: pct(rate(r.total[3], r.total[0])),
                },
                Figure {
                    label: t.t("reports-fig-won"),
                    value: int(r.total[4]),
                },
            ],
            charts: funnel_charts,
            table: funnel_table(t, r),
        },
        Section {
            name: "sources",
            title: t.t("reports-sources-title"),
            note: t.t("reports-sources-note"),
            figures: Vec::new(),
            charts: vec![sources_chart(t, r)],
            table: sources_table(t, r),
        },
        Section {
            name: "first_contact",
            title: t.t("reports-first-contact-title"),
            note: t.t("reports-first-contact-note"),
            figures: vec![
                Figure {
                    label: t.t("reports-fig-median"),
                    value: duration(t, fc.median),
                },
                Figure {
                    label: t.t("reports-fig-p75"),
                    value: duration(t, fc.p75),
                },
                Figure {
                    label: t.t("reports-within-day"),
                    value: pct(fc.within_day_rate()),
                },
                Figure {
                    label: t.t("reports-fig-not-yet"),
                    value: int(fc
                        .buckets
                        .iter()
                        .find(|(b, _)| *b == ContactBucket::NotYet)
                        .map_or(0, |(_, n)| *n)),
                },
            ],
            charts: vec![first_contact_chart(t, r)],
            table: first_contact_table(t, r),
        },
        Section {
            name: "activities",
            title: t.t("reports-activities-title"),
            note: t.t("reports-activities-note"),
            figures: Vec::new(),
            charts: vec![activities_chart(t, r)],
            table: activities_table(t, r),
        },
        Section {
            name: "lost_reasons",
            title: t.t("reports-lost-title"),
            note: t.t("reports-lost-note"),
            figures: Vec::new(),
            charts: vec![lost_chart(t, r)],
            table: lost_reasons_table(t, r),
        },
        Section {
            name: "temperature",
            title: t.t("reports-temperature-title"),
            note: t.t("reports-temperature-note"),
            figures: vec![Figure {
                label: t.t("reports-hot-cold-ratio"),
                value: ratio(r.hot_cold_ratio()),
            }],
            charts: vec![temperature_chart(t, r)],
            table: temperature_table(t, r),
        },
    ]
}

fn query_string(q: &ReportQuery) -> String {
    format!(
        "from={}&to={}&by={}",
        iso(q.period.from),
        iso(q.period.to),
        q.grouping.key()
    )
}

fn today() -> Date {
    Micros::now().to_jst_date()
}

/// `GET /reports?from=YYYY-MM-DD&to=YYYY-MM-DD&by=month|week|source`.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let raw = |k: &str| q.get(k).cloned().unwrap_or_default();
    let query = match parse_query(&q, today()) {
        Ok(query) => query,
        Err(e) => {
            // The form again, with what was typed and what is wrong with it.
            let page = ReportsPage {
                c: Chrome::new(&user, "reports", "/reports"),
                t,
                from: raw("from"),
                to: raw("to"),
                by: Grouping::parse(&raw("by")).unwrap_or(Grouping::Month).key(),
                query: String::new(),
                period_label: String::new(),
                error: Some(e.message(&t)),
                empty: false,
                sections: Vec::new(),
            };
            return Ok((StatusCode::BAD_REQUEST, render(&page)).into_response());
        }
    };
    let report =
        ondo_store::reports::build(&state.db, user.workspace, query.period, query.grouping)
            .await
            .map_err(PageError::store(t))?;
    let qs = query_string(&query);
    let page = ReportsPage {
        c: Chrome::new(&user, "reports", &format!("/reports?{qs}")),
        t,
        from: iso(query.period.from),
        to: iso(query.period.to),
        by: query.grouping.key(),
        period_label: t.tn(
            "reports-period",
            &[
                ("from", long_date(&t, query.period.from)),
                ("to", long_date(&t, query.period.to - 1)),
            ],
        ),
        query: qs,
        error: None,
        empty: report.is_empty(),
        sections: sections(&t, &report),
    };
    Ok(render(&page))
}

/// `GET /reports/{name}.csv` and `/reports/{name}.xlsx`: one table of the report, with
/// the page's query.
pub async fn download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let (name, ext) = file.rsplit_once('.').ok_or(PageError::NotFound(t))?;
    if !TABLES.contains(&name) || !matches!(ext, "csv" | "xlsx") {
        return Err(PageError::NotFound(t));
    }
    let query = parse_query(&q, today()).map_err(|e| PageError::BadRequest(t, e.message(&t)))?;
    let report =
        ondo_store::reports::build(&state.db, user.workspace, query.period, query.grouping)
            .await
            .map_err(PageError::store(t))?;
    let table = table(&t, &report, name).ok_or(PageError::NotFound(t))?;
    let filename = format!(
        "ondo-{}-{}-{}.{ext}",
        name.replace('_', "-"),
        iso(query.period.from),
        iso(query.period.to - 1)
    );
    let (mime, body) = match ext {
        "csv" => (
            "text/csv; charset=utf-8",
            table_file(&table, FileFormat::Csv),
        ),
        _ => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            table_file(&table, FileFormat::Xlsx),
        ),
    };
    let body = body.map_err(|e| {
        tracing::error!(error = %e, "report download failed");
        PageError::Internal(t)
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// The worksheet's name: the table's name, capitalised ("Funnel", "Lost reasons").
fn sheet_name(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut c = spaced.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The file of a table.
enum FileFormat {
    Csv,
    Xlsx,
}

/// A table as CSV (UTF-8 with a BOM, CRLF, RFC 4180 quoting) or a one-sheet workbook,
/// written by the lead export's writers, formulas neutralised.
fn table_file(
    table: &Table,
    format: FileFormat,
) -> Result<Vec<u8>, ondo_jobs::export::ExportError> {
    use ondo_jobs::export::{CsvEncoding, ExportFormat, write_table};
    let format = match format {
        FileFormat::Csv => ExportFormat::Csv(CsvEncoding::Utf8),
        FileFormat::Xlsx => ExportFormat::Xlsx,
    };
    let mut out = Vec::new();
    write_table(
        format,
        &sheet_name(table.name),
        &table.headers,
        &table.numeric,
        &table.rows,
        &mut out,
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).expect("date")
    }

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_default_is_six_whole_months_up_to_this_one() {
        let p = default_period(date("2026-11-24"));
        assert_eq!(iso(p.from), "2026-06-01");
        assert_eq!(iso(p.to), "2026-12-01");
        let p = default_period(date("2026-03-31"));
        assert_eq!(iso(p.from), "2025-10-01");
        assert_eq!(iso(p.to), "2026-04-01");
    }

    #[test]
    fn bad_queries_name_the_field() {
        let today = date("2026-11-24");
        assert_eq!(
            parse_query(&q(&[("from", "2026/13/01")]), today),
            Err(QueryError::Date { field: "from" })
        );
        assert_eq!(
            parse_query(&q(&[("to", "tomorrow")]), today),
            Err(QueryError::Date { field: "to" })
        );
        assert_eq!(
            parse_query(&q(&[("from", "2026-05-01"), ("to", "2026-05-01")]), today),
            Err(QueryError::Order)
        );
        assert_eq!(
            parse_query(&q(&[("from", "2010-01-01"), ("to", "2026-01-01")]), today),
            Err(QueryError::TooLong)
        );
        assert_eq!(
            parse_query(&q(&[("by", "year")]), today),
            Err(QueryError::Grouping)
        );
        let ok = parse_query(
            &q(&[("from", "2026-04-01"), ("to", "2026-05-01"), ("by", "week")]),
            today,
        )
        .expect("valid");
        assert_eq!(ok.period.to - ok.period.from, 30);
        assert_eq!(ok.grouping, Grouping::Week);
    }

    #[test]
    fn numbers_dates_and_durations_read_naturally() {
        let ja = Tr::new(Lang::Ja);
        let en = Tr::new(Lang::En);
        assert_eq!(int(1_234_567), "1,234,567");
        assert_eq!(int(12), "12");
        assert_eq!(pct(Some(0.125)), "12.5%");
        assert_eq!(pct(None), "—");
        let day = to_day(date("2026-06-01"));
        assert_eq!(long_date(&ja, day), "2026年6月1日");
        assert_eq!(long_date(&en, day), "Jun 1, 2026");
        assert_eq!(group_label(&ja, &GroupKey::Month(day)), "2026年6月");
        let h = 3_600_000_000;
        assert_eq!(duration(&ja, Some(3 * h + 12 * 60_000_000)), "3時間12分");
        assert_eq!(duration(&ja, Some(50 * h)), "2日2時間");
        assert_eq!(duration(&en, Some(45 * 60_000_000)), "45 min");
        assert_eq!(duration(&en, None), "—");
    }

    #[test]
    fn csv_has_a_bom_quotes_and_neutralised_formulas() {
        let mut table = Table::new(
            "lost_reasons",
            "t".into(),
            vec!["理由".into(), "件数".into()],
            vec![false, true],
        );
        table
            .rows
            .push(vec!["=HYPERLINK(\"x\")".into(), "3".into()]);
        table
            .rows
            .push(vec!["予算なし, 時期尚早".into(), "1".into()]);
        let out = table_file(&table, FileFormat::Csv).expect("csv");
        assert!(out.starts_with(b"\xEF\xBB\xBF"));
        assert_eq!(
            std::str::from_utf8(&out[3..]).expect("UTF-8"),
            "理由,件数\r\n\"'=HYPERLINK(\"\"x\"\")\",3\r\n\"予算なし, 時期尚早\",1\r\n"
        );
    }

    #[test]
    fn xlsx_has_one_named_sheet_with_numbers_as_numbers() {
        use calamine::{Data, Reader};
        let mut table = Table::new(
            "lost_reasons",
            "t".into(),
            vec!["流入元".into(), "新規".into()],
            vec![false, true],
        );
        table
            .rows
            .push(vec!["<展示会> & \"東京\"".into(), "1,204".into()]);
        table.rows.push(vec!["@SUM(A1)".into(), "—".into()]);
        let bytes = table_file(&table, FileFormat::Xlsx).expect("xlsx");
        let mut book =
            calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook calamine opens");
        assert_eq!(book.sheet_names(), vec!["Lost reasons".to_string()]);
        let sheet = book.worksheet_range("Lost reasons").expect("sheet");
        assert_eq!(sheet.get((0, 0)), Some(&Data::String("流入元".into())));
        assert_eq!(
            sheet.get((1, 0)),
            Some(&Data::String("<展示会> & \"東京\"".into()))
        );
        assert_eq!(sheet.get((1, 1)), Some(&Data::Float(1204.0)));
        assert_eq!(sheet.get((2, 0)), Some(&Data::String("'@SUM(A1)".into())));
        assert_eq!(sheet.get((2, 1)), Some(&Data::String("—".into())));
    }
}
