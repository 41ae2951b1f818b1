//! Recognising events made by machines: email security scanners that open every message
//! and follow every link, link previewers, crawlers and scripts. Such events are kept and
//! shown, but never scored.

/// Why an event is thought automated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutomatedReason {
    /// The user agent names a scanner, crawler or script.
    UserAgent,
    /// An open or click within seconds of the email being sent.
    TooFast,
    /// Several links clicked at once.
    ClickBurst,
}

impl AutomatedReason {
    /// The key stored with the event.
    pub fn key(&self) -> &'static str {
        match self {
            AutomatedReason::UserAgent => "user_agent",
            AutomatedReason::TooFast => "too_fast",
            AutomatedReason::ClickBurst => "click_burst",
        }
    }

    /// Japanese words for the lead page.
    pub fn label_ja(key: &str) -> &'static str {
        match key {
            "user_agent" => "自動アクセス (ユーザーエージェント)",
            "too_fast" => "送信直後の自動アクセス",
            "click_burst" => "全リンクの一斉クリック",
            _ => "自動アクセス",
        }
    }

    /// English words for the lead page.
    pub fn label_en(key: &str) -> &'static str {
        match key {
            "user_agent" => "Automated (user agent)",
            "too_fast" => "Automated (seconds after sending)",
            "click_burst" => "Automated (every link clicked at once)",
            _ => "Automated",
        }
    }
}

/// Fragments of user agents sent by scanners, previewers, crawlers and scripts (compared
/// lowercased).
const AUTOMATED_AGENTS: &[&str] = &[
    "bot",
    "crawler",
    "spider",
    "slurp",
    "preview",
    "scanner",
    "barracuda",
    "mimecast",
    "proofpoint",
    "urldefense",
    "messagelabs",
    "symantec",
    "trendmicro",
    "trend micro",
    "safelinks",
    "forcepoint",
    "sophos",
    "fireeye",
    "ironport",
    "cisco",
    "microsoft office existence discovery",
    "ms-office",
    "headlesschrome",
    "phantomjs",
    "python-requests",
    "python-urllib",
    "curl/",
    "wget/",
    "go-http-client",
    "java/",
    "libwww",
    "okhttp",
    "axios/",
    "node-fetch",
];

/// Whether a user agent names a machine.
pub fn automated_user_agent(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    AUTOMATED_AGENTS.iter().any(|a| ua.contains(a))
}

/// Opens and clicks this soon after sending (in seconds) are a scanner's.
pub const TOO_FAST_SECONDS: i64 = 10;

/// This many clicks of one lead within [`BURST_SECONDS`] are a scanner following every link.
pub const BURST_CLICKS: usize = 3;

/// The window of a click burst, in seconds.
pub const BURST_SECONDS: i64 = 5;

/// Indexes of the clicks (times in microseconds, sorted ascending) that belong to a burst.
pub fn click_bursts(times: &[i64]) -> Vec<usize> {
    let mut marked = vec![false; times.len()];
    let window = BURST_SECONDS * 1_000_000;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] > window {
            start += 1;
        }
        if end + 1 - start >= BURST_CLICKS {
            for m in &mut marked[start..=end] {
                *m = true;
            }
        }
    }
    marked
        .iter()
        .enumerate()
        .filter_map(|(i, m)| m.then_some(i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanners_and_scripts_are_recognised_and_browsers_are_not() {
        assert!(automated_user_agent(
            "Mozilla/5.0 (compatible; Barracuda Sentinel (EE))"
        ));
        assert!(automated_user_agent("python-requests/2.31"));
        assert!(automated_user_agent("Googlebot/2.1"));
        assert!(!automated_user_agent(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
        ));
        assert!(!automated_user_agent(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
        ));
    }

    #[test]
    fn three_clicks_within_five_seconds_are_a_burst() {
        let s = 1_000_000;
        assert_eq!(click_bursts(&[0, s, 2 * s]), vec![0, 1, 2]);
        assert!(click_bursts(&[0, 10 * s, 20 * s]).is_empty());
        assert!(click_bursts(&[0, s]).is_empty());
        // A person's click, then a scanner's burst a minute later.
        assert_eq!(
            click_bursts(&[0, 60 * s, 60 * s + 1, 61 * s]),
            vec![1, 2, 3]
        );
    }
}
