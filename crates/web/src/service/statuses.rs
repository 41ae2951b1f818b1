//! The workspace's status definitions and lost reasons, with the standard ones where it
//! has not written its own.

use ondo_domain::status::DEFAULT_LOST_REASONS;
use ondo_store::{Db, StoreError, WorkspaceId};

/// Most lost reasons in the list, and longest label.
pub const MAX_LOST_REASONS: usize = 30;
pub const MAX_LOST_REASON_CHARS: usize = 40;

/// The lost reasons offered and accepted, in order.
pub async fn lost_reasons(db: &Db, ws: WorkspaceId) -> Result<Vec<String>, StoreError> {
    let edited = ondo_store::statuses::lost_reasons(db, ws).await?;
    Ok(if edited.is_empty() {
        DEFAULT_LOST_REASONS.iter().map(|s| s.to_string()).collect()
    } else {
        edited
    })
}

/// Reads the lost reasons typed one per line: trimmed, blank lines skipped, each once.
/// The error is the Fluent key of the message and the 1-based line, if one is to blame.
pub fn parse_lost_reasons(text: &str) -> Result<Vec<String>, (&'static str, Option<usize>)> {
    let mut out: Vec<String> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let label = ondo_domain::text::normalize_text(line).trim().to_string();
        if label.is_empty() {
            continue;
        }
        if label.chars().count() > MAX_LOST_REASON_CHARS {
            return Err(("statuses-error-reason-long", Some(i + 1)));
        }
        if !out.contains(&label) {
            out.push(label);
        }
    }
    if out.is_empty() {
        return Err(("statuses-error-reasons-empty", None));
    }
    if out.len() > MAX_LOST_REASONS {
        return Err(("statuses-error-reasons-many", None));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_trimmed_deduplicated_and_checked() {
        assert_eq!(
            parse_lost_reasons(" 予算なし \n\n競合採用\n予算なし\nＡＢＣ").unwrap(),
            ["予算なし", "競合採用", "ABC"]
        );
        assert_eq!(
            parse_lost_reasons("\n  \n").unwrap_err().0,
            "statuses-error-reasons-empty"
        );
        let long = format!("ok\n{}", "長".repeat(41));
        assert_eq!(
            parse_lost_reasons(&long).unwrap_err(),
            ("statuses-error-reason-long", Some(2))
        );
    }
}
