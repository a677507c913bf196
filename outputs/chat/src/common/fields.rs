//! Which parts of an alert the chat layouts show, in falcosidekick's order.

use falconer_event::Alert;

/// The output fields whose value is a JSON string, sorted by key (falcosidekick's
/// `getSortedStringKeys`): numbers, booleans, `null`, lists and objects are left out.
pub fn string_fields(alert: &Alert) -> Vec<(&str, &str)> {
    let mut fields: Vec<(&str, &str)> = alert
        .output_fields
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.as_str(), s)))
        .collect();
    fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
    fields
}

/// The tags sorted and joined with `", "` (empty when there are none).
pub fn joined_tags(alert: &Alert) -> String {
    let mut tags: Vec<&str> = alert.tags.iter().map(String::as_str).collect();
    tags.sort_unstable();
    tags.join(", ")
}

/// falcosidekick's "short" attachment field: fewer than 36 characters.
pub fn is_short(value: &str) -> bool {
    value.chars().count() < 36
}
