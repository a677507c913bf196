//! Partition keys (pure).

use falconer_event::{alert_to_template_value, Alert, GoTemplate};

/// Longest partition key Kinesis accepts, in Unicode characters.
const MAX_KEY_CHARS: usize = 256;

/// The alert's partition key: the rendered template (cut to 256 characters), or its UUID.
pub(crate) fn partition_key(
    template: Option<&GoTemplate>,
    alert: &Alert,
) -> Result<String, String> {
    let Some(template) = template else {
        return Ok(alert.uuid.clone());
    };
    let key = template
        .render(&alert_to_template_value(alert))
        .map_err(|e| format!("partitionkey: {e}"))?;
    if key.is_empty() {
        return Err("partitionkey rendered empty".into());
    }
    Ok(key.chars().take(MAX_KEY_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_uuid_or_the_rendered_template() {
        let alert = falconer_event::test_alert(falconer_event::now());
        assert_eq!(partition_key(None, &alert), Ok(alert.uuid.clone()));
        let by_host = GoTemplate::parse("{{.Hostname}}/{{.Priority}}").expect("template");
        assert_eq!(
            partition_key(Some(&by_host), &alert),
            Ok(format!("{}/{}", alert.hostname, alert.priority))
        );
        let long = GoTemplate::parse(&"x".repeat(300)).expect("template");
        assert_eq!(partition_key(Some(&long), &alert), Ok("x".repeat(256)));
        let empty = GoTemplate::parse("{{.Source}}").expect("template");
        assert_eq!(
            partition_key(Some(&empty), &alert),
            Err("partitionkey rendered empty".to_owned())
        );
    }
}
