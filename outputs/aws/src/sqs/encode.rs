//! What one alert becomes in a `SendMessageBatch` call (pure, no SDK types).

use falconer_event::{alert_to_template_value, Alert, GoTemplate};

/// How alerts become entries.
#[derive(Debug)]
pub(crate) struct Plan {
    /// FIFO queues: the message group template.
    pub(crate) group: Option<GoTemplate>,
    /// Send the `rule`, `priority` and `source` attributes.
    pub(crate) attributes: bool,
}

/// One message of a batch.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Unique within the batch: the alert's index in it.
    pub(crate) id: String,
    /// The payload JSON.
    pub(crate) body: String,
    /// FIFO: the rendered message group id.
    pub(crate) group_id: Option<String>,
    /// FIFO: the alert UUID.
    pub(crate) dedup_id: Option<String>,
    /// String attributes, empty values left out (SQS refuses them).
    pub(crate) attributes: Vec<(&'static str, String)>,
}

impl Plan {
    /// The entry of the `index`-th alert of a batch.
    pub(crate) fn entry(&self, index: usize, alert: &Alert) -> Result<Entry, String> {
        let body = std::str::from_utf8(alert.to_json())
            .map_err(|e| e.to_string())?
            .to_owned();
        let (group_id, dedup_id) = match &self.group {
            Some(template) => {
                let group = template
                    .render(&alert_to_template_value(alert))
                    .map_err(|e| format!("messagegroupid: {e}"))?;
                if group.is_empty() {
                    return Err("messagegroupid rendered empty".into());
                }
                (Some(group), Some(alert.uuid.clone()))
            }
            None => (None, None),
        };
        let attributes = if self.attributes {
            [
                ("priority", alert.priority.to_string()),
                ("rule", alert.rule.clone()),
                ("source", alert.source.clone()),
            ]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect()
        } else {
            Vec::new()
        };
        Ok(Entry {
            id: index.to_string(),
            body,
            group_id,
            dedup_id,
            attributes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use falconer_event::test_alert;

    fn alert() -> Alert {
        let mut a = test_alert(falconer_event::now());
        a.rule = "Terminal shell in container".into();
        a.source = String::new();
        a
    }

    #[test]
    fn a_standard_queue_gets_the_payload_and_non_empty_attributes() {
        let a = alert();
        let plan = Plan {
            group: None,
            attributes: true,
        };
        let e = plan.entry(3, &a).expect("entry");
        assert_eq!(e.id, "3");
        assert_eq!(e.body.as_bytes(), a.to_json());
        assert_eq!((e.group_id, e.dedup_id), (None, None));
        assert_eq!(
            e.attributes,
            vec![
                ("priority", a.priority.to_string()),
                ("rule", "Terminal shell in container".to_owned()),
            ]
        );
        let bare = Plan {
            group: None,
            attributes: false,
        };
        assert!(bare.entry(0, &a).expect("entry").attributes.is_empty());
    }

    #[test]
    fn a_fifo_queue_gets_the_rendered_group_and_the_uuid_as_dedup_id() {
        let a = alert();
        let plan = Plan {
            group: Some(GoTemplate::parse("{{.Rule}}-{{.Priority}}").expect("template")),
            attributes: false,
        };
        let e = plan.entry(0, &a).expect("entry");
        assert_eq!(
            e.group_id.as_deref(),
            Some(format!("Terminal shell in container-{}", a.priority).as_str())
        );
        assert_eq!(e.dedup_id.as_deref(), Some(a.uuid.as_str()));
        let empty = Plan {
            group: Some(GoTemplate::parse("{{.Source}}").expect("template")),
            attributes: false,
        };
        assert_eq!(
            empty.entry(0, &a),
            Err("messagegroupid rendered empty".to_owned())
        );
    }
}
