//! `ka.req.pod.{containers,initContainers,ephemeralContainers}.*`: one value per container
//! of the pod in `requestObject.spec`.

use serde_json::Value as Json;

use crate::event::{scalar_text, AuditEvent};

/// The container lists of a pod spec, as named in field names.
pub(crate) const KINDS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// The per-container attributes, as named in field names.
pub(crate) const ATTRS: [&str; 15] = [
    "name",
    "image",
    "image.repository",
    "command",
    "args",
    "privileged",
    "allow_privilege_escalation",
    "read_only_fs",
    "run_as_user",
    "eff_run_as_user",
    "run_as_group",
    "eff_run_as_group",
    "proc_mount",
    "add_capabilities",
    "host_port",
];

/// How many container list fields there are.
pub(crate) const CONTAINER_SLOTS: usize = KINDS.len() * ATTRS.len();

/// The slot (from 0) of a container list field name.
pub(crate) fn container_slot(name: &str) -> Option<usize> {
    let rest = name.strip_prefix("ka.req.pod.")?;
    let (kind, attr) = rest.split_once('.')?;
    let k = KINDS.iter().position(|k| *k == kind)?;
    let a = ATTRS.iter().position(|a| *a == attr)?;
    Some(k * ATTRS.len() + a)
}

/// The image without its `:tag` and `@digest` (a registry port stays).
pub(crate) fn image_repository(image: &str) -> &str {
    let image = image.split_once('@').map_or(image, |(repo, _)| repo);
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].find(':') {
        Some(colon) => &image[..last_slash + colon],
        None => image,
    }
}

/// The values of container field `slot` for `event`.
pub(crate) fn container_list(event: &AuditEvent, slot: usize) -> Vec<String> {
    let kind = KINDS[slot / ATTRS.len()];
    let attr = ATTRS[slot % ATTRS.len()];
    let spec = event.at(&["requestObject", "spec"]);
    let containers = spec
        .and_then(|s| s.get(kind))
        .and_then(Json::as_array)
        .map_or(&[][..], Vec::as_slice);
    let pod_ctx = |key: &str| {
        spec.and_then(|s| s.get("securityContext"))
            .and_then(|c| c.get(key))
            .and_then(scalar_text)
    };
    let mut out = Vec::with_capacity(containers.len());
    for c in containers {
        let ctx = |key: &str| c.get("securityContext").and_then(|s| s.get(key));
        let text = |key: &str| c.get(key).and_then(scalar_text);
        let flag = |key: &str, default: bool| {
            ctx(key)
                .and_then(Json::as_bool)
                .unwrap_or(default)
                .to_string()
        };
        let joined = |key: &str| {
            c.get(key).and_then(Json::as_array).map(|parts| {
                parts
                    .iter()
                    .filter_map(scalar_text)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        };
        match attr {
            "name" => out.extend(text("name")),
            "image" => out.extend(text("image")),
            "image.repository" => {
                out.extend(text("image").map(|i| image_repository(&i).to_owned()))
            }
            "command" => out.extend(joined("command")),
            "args" => out.extend(joined("args")),
            "privileged" => out.push(flag("privileged", false)),
            "allow_privilege_escalation" => out.push(flag("allowPrivilegeEscalation", true)),
            "read_only_fs" => out.push(flag("readOnlyRootFilesystem", false)),
            "run_as_user" => out.extend(ctx("runAsUser").and_then(scalar_text)),
            "run_as_group" => out.extend(ctx("runAsGroup").and_then(scalar_text)),
            "eff_run_as_user" => out.push(
                ctx("runAsUser")
                    .and_then(scalar_text)
                    .or_else(|| pod_ctx("runAsUser"))
                    .unwrap_or_else(|| "0".to_owned()),
            ),
            "eff_run_as_group" => out.push(
                ctx("runAsGroup")
                    .and_then(scalar_text)
                    .or_else(|| pod_ctx("runAsGroup"))
                    .unwrap_or_else(|| "0".to_owned()),
            ),
            "proc_mount" => out.extend(ctx("procMount").and_then(scalar_text)),
            "add_capabilities" => out.extend(
                ctx("capabilities")
                    .and_then(|caps| caps.get("add"))
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(scalar_text),
            ),
            "host_port" => out.extend(
                c.get("ports")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|p| {
                        p.get("hostPort")
                            .or_else(|| p.get("containerPort"))
                            .and_then(scalar_text)
                    }),
            ),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_repository_drops_tag_and_digest_not_the_registry_port() {
        assert_eq!(image_repository("nginx"), "nginx");
        assert_eq!(image_repository("nginx:1.27"), "nginx");
        assert_eq!(
            image_repository("registry:5000/team/app:v1"),
            "registry:5000/team/app"
        );
        assert_eq!(
            image_repository("falcosecurity/falco@sha256:abc"),
            "falcosecurity/falco"
        );
        assert_eq!(image_repository("a/b:1@sha256:x"), "a/b");
    }

    #[test]
    fn every_slot_has_a_name() {
        for (k, kind) in KINDS.iter().enumerate() {
            for (a, attr) in ATTRS.iter().enumerate() {
                let name = format!("ka.req.pod.{kind}.{attr}");
                assert_eq!(container_slot(&name), Some(k * ATTRS.len() + a));
            }
        }
        assert_eq!(container_slot("ka.req.pod.containers.bogus"), None);
    }
}
