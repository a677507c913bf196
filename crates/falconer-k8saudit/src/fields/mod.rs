//! The fields of an audit event: every `ka.*` field of Falco's k8saudit plugin, the json
//! plugin's `jevt.*` (and `json.*`) fields, and `evt.time`/`evt.rawtime`/`evt.source`.
//!
//! All `ka.*` and `jevt.*` fields are strings or lists of strings, as in the plugins. A list
//! field takes an optional index argument (`ka.req.pod.containers.image[0]`).

mod pod;
mod table;
mod uri;

use falconer_expr::{FieldType, Fields, Schema, Value};
use serde_json::Value as Json;

use crate::event::{any_text, scalar_text, AuditEvent};

pub use table::{field_info, FieldArg, FieldInfo, FieldKind, FIELDS};

/// How many list fields an event caches (general lists, then container lists).
pub(crate) const LIST_SLOTS: usize = GENERAL_LISTS + pod::CONTAINER_SLOTS;

/// List fields that are not about containers, in slot order.
const GENERAL_LIST_NAMES: [&str; GENERAL_LISTS] = [
    "ka.user.groups",
    "ka.req.binding.subjects",
    "ka.req.binding.subjects.user_names",
    "ka.req.binding.subjects.serviceaccount_names",
    "ka.req.binding.subjects.serviceaccount_ns_names",
    "ka.req.binding.subjects.group_names",
    "ka.req.pod.volumes.hostpath",
    "ka.req.pod.volumes.flexvolume_driver",
    "ka.req.pod.volumes.volume_type",
    "ka.req.role.rules",
    "ka.req.role.rules.apiGroups",
    "ka.req.role.rules.nonResourceURLs",
    "ka.req.role.rules.verbs",
    "ka.req.role.rules.resources",
    "ka.req.service.ports",
    "ka.sourceips",
    "ka.req.pod.supplemental_groups",
];
const GENERAL_LISTS: usize = 17;

/// The schema of the `k8s_audit` source: the fields of [`FIELDS`], typed.
#[derive(Debug, Clone, Copy, Default)]
pub struct K8sAuditSchema;

impl Schema for K8sAuditSchema {
    fn field_type(&self, name: &str) -> Option<FieldType> {
        field_info(name).map(|info| match info.kind {
            FieldKind::Text => FieldType::Text,
            FieldKind::List => FieldType::List,
            FieldKind::Number => FieldType::Number,
        })
    }
}

impl Fields for AuditEvent {
    fn field(&self, name: &str, arg: Option<&str>) -> Value<'_> {
        if let Some(rest) = name.strip_prefix("ka.") {
            if !self.has_audit_id {
                return Value::Missing;
            }
            return self.ka_field(rest, name, arg);
        }
        match name {
            "jevt.value" | "json.value" => match arg.and_then(|p| pointer(&self.json, p)) {
                Some(Json::String(s)) => Value::Str(s),
                Some(v) => any_text(v).map_or(Value::Missing, Value::Owned),
                None => Value::Missing,
            },
            "jevt.obj" | "json.obj" => Value::Owned(self.json.to_string()),
            "jevt.rawtime" | "json.rawtime" => Value::Owned(self.time_nanos().to_string()),
            "jevt.time" | "json.time" | "evt.time.iso8601" => {
                Value::Owned(crate::alert::iso8601_utc(self.time))
            }
            "evt.time" | "evt.rawtime" => Value::Num(self.time_nanos() as f64),
            "evt.source" => Value::Str(crate::SOURCE),
            _ => Value::Missing,
        }
    }
}

impl AuditEvent {
    /// A `ka.*` field; `rest` is the name without `ka.`.
    fn ka_field(&self, rest: &str, name: &str, arg: Option<&str>) -> Value<'_> {
        let str_at = |path: &[&str]| self.at(path).map_or(Value::Missing, text_value);
        let annotation = |key: &str| str_at(&["annotations", key]);
        match rest {
            "auditid" => str_at(&["auditID"]),
            "stage" => str_at(&["stage"]),
            "auth.decision" => annotation("authorization.k8s.io/decision"),
            "auth.reason" => annotation("authorization.k8s.io/reason"),
            "auth.openshift.decision" => annotation("authentication.openshift.io/decision"),
            "auth.openshift.username" => annotation("authentication.openshift.io/username"),
            "validations.admission.policy.failure" => {
                annotation("validation.policy.admission.k8s.io/validation_failure")
            }
            "security.pod.violations" => annotation("pod-security.kubernetes.io/audit-violations"),
            "cluster.name" => annotation("cluster_name"),
            "user.name" => str_at(&["user", "username"]),
            "impuser.name" => str_at(&["impersonatedUser", "username"]),
            "verb" => str_at(&["verb"]),
            "uri" => str_at(&["requestURI"]),
            "uri.param" => match (arg, self.at(&["requestURI"]).and_then(Json::as_str)) {
                (Some(key), Some(uri)) => {
                    uri::query_param(uri, key).map_or(Value::Missing, Value::Owned)
                }
                _ => Value::Missing,
            },
            "target.name" | "req.configmap.name" => str_at(&["objectRef", "name"]),
            "target.namespace" => str_at(&["objectRef", "namespace"]),
            "target.resource" => str_at(&["objectRef", "resource"]),
            "target.subresource" => str_at(&["objectRef", "subresource"]),
            "target.pod.name" => {
                let pods =
                    self.at(&["objectRef", "resource"]).and_then(Json::as_str) == Some("pods");
                let sub = self
                    .at(&["objectRef", "subresource"])
                    .and_then(Json::as_str);
                if pods && sub.is_none_or(str::is_empty) {
                    str_at(&["responseObject", "metadata", "name"])
                } else {
                    Value::Missing
                }
            }
            "req.binding.role" => str_at(&["requestObject", "roleRef", "name"]),
            "req.binding.subject.has_name" => {
                if self.at(&["requestObject", "subjects"]).is_some() {
                    Value::Str("true")
                } else {
                    Value::Missing
                }
            }
            "req.configmap.obj" => self
                .configmap_obj
                .get_or_init(|| self.at(&["requestObject", "data"]).and_then(any_text))
                .as_deref()
                .map_or(Value::Missing, Value::Str),
            "req.pod.host_ipc" => str_at(&["requestObject", "spec", "hostIPC"]),
            "req.pod.host_network" | "req.container.host_network" => {
                str_at(&["requestObject", "spec", "hostNetwork"])
            }
            "req.pod.host_pid" => str_at(&["requestObject", "spec", "hostPID"]),
            "req.pod.run_as_user" => {
                str_at(&["requestObject", "spec", "securityContext", "runAsUser"])
            }
            "req.pod.run_as_group" => {
                str_at(&["requestObject", "spec", "securityContext", "runAsGroup"])
            }
            "req.pod.fs_group" => str_at(&["requestObject", "spec", "securityContext", "fsGroup"]),
            "req.container.image" => self.first_of("ka.req.pod.containers.image"),
            "req.container.image.repository" => {
                self.first_of("ka.req.pod.containers.image.repository")
            }
            "req.container.privileged" => {
                let any = self
                    .list("ka.req.pod.containers.privileged")
                    .iter()
                    .any(|p| p == "true");
                if self.at(&["requestObject", "spec", "containers"]).is_some() {
                    Value::Str(if any { "true" } else { "false" })
                } else {
                    Value::Missing
                }
            }
            "req.volume.hostpath" => match arg {
                Some(path) if self.at(&["requestObject", "spec", "volumes"]).is_some() => {
                    let hit = self.list("ka.req.pod.volumes.hostpath").iter().any(|p| {
                        match path.strip_suffix('*') {
                            Some(prefix) => p.starts_with(prefix),
                            None => p == path,
                        }
                    });
                    Value::Str(if hit { "true" } else { "false" })
                }
                _ => Value::Missing,
            },
            "req.service.type" => str_at(&["requestObject", "spec", "type"]),
            "resp.name" => str_at(&["responseObject", "metadata", "name"]),
            "response.code" => self
                .response_code
                .as_deref()
                .map_or(Value::Missing, Value::Str),
            "response.reason" => str_at(&["responseStatus", "reason"]),
            "useragent" => str_at(&["userAgent"]),
            _ => self.list_field(name, arg),
        }
    }

    /// A list field, whole or (with a numeric `arg`) one element.
    fn list_field(&self, name: &str, arg: Option<&str>) -> Value<'_> {
        let Some(slot) = list_slot(name) else {
            return Value::Missing;
        };
        let items = self.lists[slot].get_or_init(|| self.compute_list(name, slot));
        match arg {
            None if items.is_empty() => Value::Missing,
            None => Value::List(items),
            Some(index) => index
                .trim()
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i))
                .map_or(Value::Missing, |s| Value::Str(s)),
        }
    }

    /// The whole list field `name` (empty when the event has none).
    pub(crate) fn list(&self, name: &str) -> &[String] {
        match list_slot(name) {
            Some(slot) => self.lists[slot].get_or_init(|| self.compute_list(name, slot)),
            None => &[],
        }
    }

    fn first_of(&self, name: &str) -> Value<'_> {
        self.list(name)
            .first()
            .map_or(Value::Missing, |s| Value::Str(s))
    }

    fn compute_list(&self, name: &str, slot: usize) -> Vec<String> {
        if slot >= GENERAL_LISTS {
            return pod::container_list(self, slot - GENERAL_LISTS);
        }
        let req = |path: &[&str]| {
            let mut full = vec!["requestObject"];
            full.extend_from_slice(path);
            self.at(&full)
                .and_then(Json::as_array)
                .map_or(&[][..], Vec::as_slice)
        };
        let subjects = || req(&["subjects"]).iter();
        let subjects_of = |kind: &str| -> Vec<String> {
            subjects()
                .filter(|s| s.get("kind").and_then(Json::as_str) == Some(kind))
                .filter_map(|s| s.get("name").and_then(scalar_text))
                .collect()
        };
        let rules_key = |key: &str| -> Vec<String> {
            req(&["rules"])
                .iter()
                .filter_map(|r| r.get(key).and_then(Json::as_array))
                .flatten()
                .filter_map(scalar_text)
                .collect()
        };
        let volumes = || req(&["spec", "volumes"]).iter();
        match name {
            "ka.user.groups" => strings(self.at(&["user", "groups"])),
            "ka.req.binding.subjects" => subjects().filter_map(any_text).collect(),
            "ka.req.binding.subjects.user_names" => subjects_of("User"),
            "ka.req.binding.subjects.serviceaccount_names" => subjects_of("ServiceAccount"),
            "ka.req.binding.subjects.group_names" => subjects_of("Group"),
            "ka.req.binding.subjects.serviceaccount_ns_names" => subjects()
                .filter(|s| s.get("kind").and_then(Json::as_str) == Some("ServiceAccount"))
                .filter_map(|s| {
                    let ns = s.get("namespace").and_then(scalar_text).unwrap_or_default();
                    Some(format!("{ns}:{}", s.get("name").and_then(scalar_text)?))
                })
                .collect(),
            "ka.req.pod.volumes.hostpath" => volumes()
                .filter_map(|v| v.get("hostPath")?.get("path").and_then(scalar_text))
                .collect(),
            "ka.req.pod.volumes.flexvolume_driver" => volumes()
                .filter_map(|v| v.get("flexVolume")?.get("driver").and_then(scalar_text))
                .collect(),
            "ka.req.pod.volumes.volume_type" => volumes()
                .filter_map(|v| v.as_object()?.keys().find(|k| *k != "name").cloned())
                .collect(),
            "ka.req.role.rules" => req(&["rules"]).iter().filter_map(any_text).collect(),
            "ka.req.role.rules.apiGroups" => rules_key("apiGroups"),
            "ka.req.role.rules.nonResourceURLs" => rules_key("nonResourceURLs"),
            "ka.req.role.rules.verbs" => rules_key("verbs"),
            "ka.req.role.rules.resources" => rules_key("resources"),
            "ka.req.service.ports" => req(&["spec", "ports"])
                .iter()
                .filter_map(any_text)
                .collect(),
            // The plugin reads `requestObject.rules[].sourceIPs` (its issue #236, always N/A);
            // Falconer reads the event's own `sourceIPs`.
            "ka.sourceips" => strings(self.at(&["sourceIPs"])),
            "ka.req.pod.supplemental_groups" => strings(self.at(&[
                "requestObject",
                "spec",
                "securityContext",
                "supplementalGroups",
            ])),
            _ => Vec::new(),
        }
    }
}

/// The slot of list field `name`, if it is one.
fn list_slot(name: &str) -> Option<usize> {
    GENERAL_LIST_NAMES
        .iter()
        .position(|n| *n == name)
        .or_else(|| pod::container_slot(name).map(|s| GENERAL_LISTS + s))
}

/// RFC 6901 JSON pointer lookup; without `~` escapes it walks the path without allocating.
fn pointer<'a>(json: &'a Json, path: &str) -> Option<&'a Json> {
    if path.contains('~') {
        return json.pointer(path);
    }
    if path.is_empty() {
        return Some(json);
    }
    let rest = path.strip_prefix('/')?;
    rest.split('/').try_fold(json, |v, token| match v {
        Json::Object(map) => map.get(token),
        Json::Array(items) => {
            if token.len() > 1 && token.starts_with('0') {
                return None;
            }
            items.get(token.parse::<usize>().ok()?)
        }
        _ => None,
    })
}

/// The scalars of a JSON array, as text.
fn strings(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array)
        .map(|items| items.iter().filter_map(scalar_text).collect())
        .unwrap_or_default()
}

/// A JSON value as a field value: strings borrowed, other scalars and structures as text,
/// null missing.
fn text_value(v: &Json) -> Value<'_> {
    match v {
        Json::String(s) => Value::Str(s),
        other => any_text(other).map_or(Value::Missing, Value::Owned),
    }
}

#[cfg(test)]
mod tests;
