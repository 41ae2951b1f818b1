//! Merging field values without losing information.

use crate::text::normalize_text;

/// Merging: fill the empty fields of `existing` from `incoming`, never replace a value with a blank; a differing non-empty value is kept in `existing` and returned as a conflict (field name, existing, incoming) so it can be shown in history.
///
/// Blank means empty or only whitespace. Values that are equal after [`normalize_text`]
/// (width, spacing, dashes) are not a conflict.
pub fn merge_field(
    field: &'static str,
    existing: &mut Option<String>,
    incoming: Option<&str>,
    conflicts: &mut Vec<(&'static str, String, String)>,
) {
    let Some(new) = incoming.filter(|s| !s.trim().is_empty()) else {
        return;
    };
    match existing {
        Some(old) if !old.trim().is_empty() => {
            if normalize_text(old) != normalize_text(new) {
                conflicts.push((field, old.clone(), new.to_string()));
            }
        }
        _ => *existing = Some(new.to_string()),
    }
}
