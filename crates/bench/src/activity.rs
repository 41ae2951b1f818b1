//! What leads do, as sessions of events: an email opened (sometimes by the recipient's
//! mail scanner) and perhaps clicked through to the site, a visit reading product pages,
//! case studies and documents, sometimes a download, a webinar, a form. Both the loaded
//! history (`seed-events`) and the live load (`events-load`) draw from it.

use rand::Rng;

/// The site every page belongs to.
pub const SITE: &str = "https://www.example.co.jp";

/// Pages by the category Ondo's default rules give them, with how often each is read.
const PRODUCT: &[&str] = &[
    "/product/ondo-cloud",
    "/pricing",
    "/features/scoring",
    "/service/onboarding",
    "/solution/manufacturing",
];
const CASE_STUDY: &[&str] = &[
    "/case/hokushin-seimitsu",
    "/customers/nippon-logistics",
    "/case/sakura-chemical",
];
const DOCUMENT: &[&str] = &[
    "/whitepaper/lead-management-guide",
    "/documents/ondo-overview.pdf",
    "/ebook/b2b-marketing-2026",
];
const OTHER: &[&str] = &[
    "/",
    "/blog/2026-10-dx-survey",
    "/news/2026-11-release",
    "/company/about",
    "/seminar",
    "/blog/inside-sales-tips",
];
const DOWNLOADS: &[&str] = &[
    "/download/lead-management-guide.pdf",
    "/download/ondo-price-list.pdf",
    "/download/case-book-2026.pdf",
];

/// A mail client and a browser; scanners announce themselves in their user agent.
pub const MAIL_CLIENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Outlook/16.0";
pub const BROWSER: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
pub const SCANNER: &str = "Mozilla/5.0 (compatible; Barracuda Email Security Service)";

/// One generated event.
#[derive(Debug, Clone)]
pub struct Act {
    pub kind: &'static str,
    /// Microseconds since the epoch.
    pub at: i64,
    /// A full URL for page views and downloads.
    pub url: Option<String>,
    /// Made by a mail scanner, not the person.
    pub scanner: bool,
}

fn page(rng: &mut impl Rng) -> &'static str {
    let list = match rng.gen_range(0..100) {
        0..30 => PRODUCT,
        30..45 => CASE_STUDY,
        45..57 => DOCUMENT,
        _ => OTHER,
    };
    list[rng.gen_range(0..list.len())]
}

fn url(path: &str) -> Option<String> {
    Some(format!("{SITE}{path}"))
}

/// Appends an event unless the session is full.
fn add(
    out: &mut Vec<Act>,
    max: usize,
    kind: &'static str,
    at: i64,
    url: Option<String>,
    scanner: bool,
) {
    if out.len() < max.max(1) {
        out.push(Act {
            kind,
            at,
            url,
            scanner,
        });
    }
}

/// `pages` page views, one every few minutes from `at` on.
fn visit(rng: &mut impl Rng, out: &mut Vec<Act>, max: usize, at: &mut i64, pages: usize) {
    for _ in 0..pages {
        *at += gap(rng);
        add(out, max, "page_view", *at, url(page(rng)), false);
    }
}

fn download(rng: &mut impl Rng) -> Option<String> {
    url(DOWNLOADS[rng.gen_range(0..DOWNLOADS.len())])
}

/// A session starting at `start` (microseconds), at most `max` events (at least one).
pub fn session(rng: &mut impl Rng, start: i64, max: usize) -> Vec<Act> {
    let mut out: Vec<Act> = Vec::new();
    let mut at = start;
    match rng.gen_range(0..1000) {
        // A newsletter: opened (by the mail scanner first, at some companies), sometimes
        // clicked through to a few pages.
        0..380 => {
            if rng.gen_bool(0.06) {
                add(&mut out, max, "email_open", at, None, true);
                at += 2_000_000;
            }
            add(&mut out, max, "email_open", at, None, false);
            if rng.gen_bool(0.35) {
                at += gap(rng);
                add(&mut out, max, "email_click", at, None, false);
                let pages = rng.gen_range(1..=4);
                visit(rng, &mut out, max, &mut at, pages);
            }
        }
        // A visit from search or an ad, sometimes ending in a download.
        380..930 => {
            let pages = 1 + (rng.r#gen::<f64>().powi(2) * 8.0) as usize;
            visit(rng, &mut out, max, &mut at, pages);
            if rng.gen_bool(0.05) {
                at += gap(rng);
                let u = download(rng);
                add(&mut out, max, "download", at, u, false);
            }
        }
        // Nurture mail with a document: a click, then the download.
        930..965 => {
            add(&mut out, max, "email_click", at, None, false);
            at += gap(rng);
            let u = download(rng);
            add(&mut out, max, "download", at, u, false);
        }
        965..990 => add(&mut out, max, "webinar_attend", at, None, false),
        _ => {
            visit(rng, &mut out, max, &mut at, 1);
            at += gap(rng);
            add(&mut out, max, "form_submit", at, url("/contact"), false);
        }
    }
    out
}

/// Seconds between two steps of a session: 10 s to 5 min.
fn gap(rng: &mut impl Rng) -> i64 {
    rng.gen_range(10..300) * 1_000_000
}

/// Microseconds in a day.
pub const DAY: i64 = 86_400_000_000;
const JST: i64 = 9 * 3_600_000_000;

/// A working-hours instant (JST) of the day `day_start` (the UTC instant of JST midnight).
pub fn office_time(rng: &mut impl Rng, day_start: i64) -> i64 {
    let hour = match rng.gen_range(0..100) {
        0..80 => rng.gen_range(9..18),
        80..95 => rng.gen_range(18..23),
        _ => rng.gen_range(6..9),
    };
    day_start + hour * 3_600_000_000 + rng.gen_range(0..3_600_000_000)
}

/// JST midnight of the day `at` falls in.
pub fn jst_midnight(at: i64) -> i64 {
    (at + JST).div_euclid(DAY) * DAY - JST
}
