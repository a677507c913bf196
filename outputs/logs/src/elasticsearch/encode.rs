//! Pure encoding: index names, documents, `_bulk` bodies and the index template.

use std::collections::BTreeMap;
use std::sync::Arc;

use falconer_event::{time_to_string, to_go_json, Alert};
use serde_json::{json, Map, Value};

/// `suffix`: how the index name is dated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suffix {
    /// `<index>-YYYY.MM.DD`
    Daily,
    /// `<index>-YYYY.MM`
    Monthly,
    /// `<index>-YYYY`
    Annually,
    /// `<index>`
    None,
}

impl Suffix {
    /// Parses falcosidekick's values (anything unknown is daily there; here it is refused).
    pub fn parse(value: &str) -> Option<Suffix> {
        match value.to_ascii_lowercase().as_str() {
            "" | "daily" => Some(Suffix::Daily),
            "monthly" => Some(Suffix::Monthly),
            "annually" => Some(Suffix::Annually),
            "none" => Some(Suffix::None),
            _ => None,
        }
    }
}

impl falconer_core::Choices for Suffix {
    fn parse(raw: &str) -> Option<Self> {
        Suffix::parse(raw)
    }

    fn problem(raw: &str) -> String {
        format!("{raw:?} is not daily, monthly, annually or none")
    }
}

/// Builds documents and bulk bodies for one instance.
#[derive(Clone, Debug)]
pub struct DocEncoder {
    /// The index name prefix.
    pub index: String,
    /// Its date suffix.
    pub suffix: Suffix,
    /// Replace `.` by `_` in output field names (`flattenfields` or `createindextemplate`).
    pub flatten: bool,
}

impl DocEncoder {
    /// The index of `alert`, dated from the alert's time in UTC (falcosidekick uses the
    /// sender's wall clock; the alert's time keeps retries and replays in the same index).
    pub fn index_of(&self, alert: &Alert) -> String {
        let t = alert.time.with_timezone(&chrono::Utc);
        match self.suffix {
            Suffix::Daily => format!("{}-{}", self.index, t.format("%Y.%m.%d")),
            Suffix::Monthly => format!("{}-{}", self.index, t.format("%Y.%m")),
            Suffix::Annually => format!("{}-{}", self.index, t.format("%Y")),
            Suffix::None => self.index.clone(),
        }
    }

    /// The document: the payload JSON plus `"@timestamp"` (the alert's time), with output
    /// fields flattened when asked and the fields of `drop` left out.
    pub fn document(&self, alert: &Alert, drop: &[String]) -> Vec<u8> {
        let json = if !self.flatten && drop.is_empty() {
            alert.to_json().to_vec()
        } else {
            let mut fields = Map::new();
            for (k, v) in &alert.output_fields {
                if drop.iter().any(|d| field_matches(k, d)) {
                    continue;
                }
                let key = if self.flatten {
                    k.replace('.', "_")
                } else {
                    k.clone()
                };
                fields.insert(key, v.clone());
            }
            let mut copy = Alert::new(
                alert.output.clone(),
                alert.priority,
                alert.rule.clone(),
                alert.time,
                fields,
                alert.source.clone(),
                alert.tags.clone(),
                alert.hostname.clone(),
            );
            copy.uuid = alert.uuid.clone();
            copy.to_json().to_vec()
        };
        let mut doc = json;
        // The payload JSON is an object: replace its closing brace.
        doc.pop();
        doc.extend_from_slice(b",\"@timestamp\":");
        doc.extend_from_slice(&to_go_json(&time_to_string(&alert.time)).unwrap_or_default());
        doc.push(b'}');
        doc
    }

    /// The `_bulk` body: for each alert `{"create":{"_index":"<index>","_id":"<uuid>"}}` and
    /// its document, each line ended by `\n`. The `_id` (left out when the alert has no UUID)
    /// makes a retry of an item ES already took answer 409 instead of indexing it twice.
    pub fn bulk(&self, batch: &[Arc<Alert>], drops: &BTreeMap<String, Vec<String>>) -> Vec<u8> {
        let mut out = Vec::with_capacity(batch.len() * 1200);
        for alert in batch {
            out.extend_from_slice(b"{\"create\":{\"_index\":");
            out.extend_from_slice(&to_go_json(&self.index_of(alert)).unwrap_or_default());
            if !alert.uuid.is_empty() {
                out.extend_from_slice(b",\"_id\":");
                out.extend_from_slice(&to_go_json(&alert.uuid).unwrap_or_default());
            }
            out.extend_from_slice(b"}}\n");
            let drop = drops.get(&alert.uuid).map_or(&[][..], Vec::as_slice);
            out.extend_from_slice(&self.document(alert, drop));
            out.push(b'\n');
        }
        out
    }
}

/// True when output field `key` is, contains or is inside the field path `path` (dotted, or
/// flattened with `_`) that Elasticsearch named in a mapping error.
pub(crate) fn field_matches(key: &str, path: &str) -> bool {
    [key.to_owned(), key.replace('.', "_")].iter().any(|k| {
        k == path
            || k.strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('.'))
            || path
                .strip_prefix(k.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// Output fields mapped as text plus keyword by falcosidekick's template (flattened names).
const TEMPLATE_FIELDS: &[&str] = &[
    "container_info",
    "container_mounts",
    "container_start",
    "evt_arg_cmd",
    "evt_arg_fd",
    "evt_arg_filename",
    "evt_arg_flags",
    "evt_arg_linkpath",
    "evt_arg_mode",
    "evt_arg_name",
    "evt_arg_newpath",
    "evt_arg_oldpath",
    "evt_arg_path",
    "evt_arg_target",
    "evt_arg_uid",
    "evt_args",
    "evt_res",
    "evt_type",
    "fd_cip_name",
    "fd_lip_name",
    "fd_lport",
    "fd_name",
    "fd_nameraw",
    "fd_rip",
    "fd_rip_name",
    "fd_rport",
    "fd_sip",
    "fd_sip_name",
    "fd_sport",
    "fd_type",
    "group_gid",
    "group_name",
    "jevt_obj",
    "jevt_value",
    "ka_auth_decision",
    "ka_auth_reason",
    "ka_req_binding",
    "ka_req_configmap",
    "ka_req_pod",
    "ka_req_role",
    "ka_req_service",
    "ka_resp_name",
    "ka_response_code",
    "ka_response_reason",
    "ka_target_name",
    "ka_target_namespace",
    "ka_target_resource",
    "ka_target_subresource",
    "ka_uri",
    "ka_uri_param",
    "ka_user_name",
    "ka_verb",
    "proc_aexepath",
    "proc_aname",
    "proc_args",
    "proc_cmdline",
    "proc_cwd",
    "proc_env",
    "proc_exe",
    "proc_exepath",
    "proc_name",
    "proc_pcmdline",
    "proc_pexe",
    "proc_pexepath",
    "proc_pname",
    "proc_sname",
    "proc_tty",
    "test_dash",
    "test_slash",
    "thread_cap",
    "user_loginname",
    "user_loginuid",
    "user_name",
    "user_uid",
];

fn text_keyword(ignore_above: u32) -> Value {
    json!({"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": ignore_above}}})
}

/// falcosidekick's index template (reference §11.2): patterns `<index>-*` (`<index>` without a
/// suffix), shards and replicas, dates for `@timestamp` and `time`, text plus keyword for the
/// rest. Serialized with sorted keys, as falcosidekick's re-marshalled map is.
pub fn index_template(index: &str, suffix: Suffix, shards: u32, replicas: u32) -> Vec<u8> {
    let pattern = if suffix == Suffix::None {
        index.to_owned()
    } else {
        format!("{index}-*")
    };
    let output_fields: Map<String, Value> = TEMPLATE_FIELDS
        .iter()
        .map(|f| ((*f).to_owned(), text_keyword(256)))
        .collect();
    let mut properties = Map::new();
    properties.insert("@timestamp".into(), json!({"type": "date"}));
    properties.insert("time".into(), json!({"type": "date"}));
    properties.insert("output".into(), text_keyword(2048));
    for f in ["hostname", "priority", "rule", "source", "tags", "uuid"] {
        properties.insert(f.into(), text_keyword(256));
    }
    properties.insert("output_fields".into(), json!({"properties": output_fields}));
    let template = json!({
        "index_patterns": [pattern],
        "template": {
            "settings": {"number_of_shards": shards, "number_of_replicas": replicas},
            "mappings": {"properties": properties},
        },
    });
    serde_json::to_vec(&template).unwrap_or_default()
}
