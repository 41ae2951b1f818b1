//! `ondo-bench reports-time`: how long `/reports` takes to compute over an existing
//! database (e.g. a copy of the 1M-lead benchmark database): the whole report for six
//! months by month, by source and by week, and twelve months by month, twice each, and
//! the home page's counts by status.

use std::path::Path;
use std::time::Instant;

use ondo_domain::Micros;
use ondo_store::reports::{Grouping, Period, build, funnel_at_a_glance, jst_day};

/// Times the reports over the database in `data_dir` and prints a Markdown table.
pub async fn run(data_dir: &Path) -> anyhow::Result<()> {
    let db = ondo_store::Db::open_data_dir(data_dir).await?;
    let ws = ondo_store::workspaces::ensure(&db, "default").await?.id();
    let today = jst_day(Micros::now());
    println!("| report | run | time | cohort leads | first contact over | reps |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (days, grouping) in [
        (183, Grouping::Month),
        (183, Grouping::Source),
        (183, Grouping::Week),
        (366, Grouping::Month),
    ] {
        let period = Period {
            from: today - days,
            to: today + 1,
        };
        for run in 1..=2 {
            let t = Instant::now();
            let r = build(&db, ws, period, grouping).await?;
            println!(
                "| {days} days by {grouping:?} | {run} | {:.2} s | {} | {} | {} |",
                t.elapsed().as_secs_f64(),
                r.total[0],
                r.first_contact.leads,
                r.activities.len()
            );
        }
    }
    let t = Instant::now();
    funnel_at_a_glance(&db, ws, None).await?;
    println!(
        "\nleads per status (home page, whole workspace): {:.0} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
