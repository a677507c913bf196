//! The field table: every field's name, type, argument and description.

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A string.
    Text,
    /// A list of strings.
    List,
    /// A number.
    Number,
}

/// Whether a field takes a bracket argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldArg {
    /// None.
    No,
    /// Optional: an index into the list (`[0]`).
    Index,
    /// Required: a key (`ka.uri.param[command]`) or a JSON pointer (`jevt.value[/stage]`).
    Required,
}

/// One field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    /// Its name, without argument.
    pub name: &'static str,
    /// What it holds.
    pub kind: FieldKind,
    /// Its argument.
    pub arg: FieldArg,
    /// What it is.
    pub desc: &'static str,
}

/// The field `name` (without argument), if the `k8s_audit` source has it.
pub fn field_info(name: &str) -> Option<&'static FieldInfo> {
    FIELDS.iter().find(|f| f.name == name)
}

/// Every field of the `k8s_audit` source.
pub const FIELDS: &[FieldInfo] = &[
    FieldInfo {
        name: "ka.auditid",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The audit event ID",
    },
    FieldInfo {
        name: "ka.stage",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The audit stage (RequestReceived, ResponseStarted, ResponseComplete, Panic)",
    },
    FieldInfo {
        name: "ka.auth.decision",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The authorization decision",
    },
    FieldInfo {
        name: "ka.auth.reason",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The authorization reason",
    },
    FieldInfo {
        name: "ka.auth.openshift.decision",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The OpenShift authentication decision",
    },
    FieldInfo {
        name: "ka.auth.openshift.username",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The OpenShift authentication user name",
    },
    FieldInfo {
        name: "ka.validations.admission.policy.failure",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The validating admission policy failure annotation",
    },
    FieldInfo {
        name: "ka.security.pod.violations",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The pod security audit violations annotation",
    },
    FieldInfo {
        name: "ka.user.name",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The user name performing the request",
    },
    FieldInfo {
        name: "ka.user.groups",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The groups of the user performing the request",
    },
    FieldInfo {
        name: "ka.impuser.name",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The impersonated user name",
    },
    FieldInfo {
        name: "ka.verb",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The action being performed",
    },
    FieldInfo {
        name: "ka.uri",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The request URI as sent from client to server",
    },
    FieldInfo {
        name: "ka.uri.param",
        kind: FieldKind::Text,
        arg: FieldArg::Required,
        desc: "The value of a query parameter of the request URI",
    },
    FieldInfo {
        name: "ka.target.name",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The target object name",
    },
    FieldInfo {
        name: "ka.target.namespace",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The target object namespace",
    },
    FieldInfo {
        name: "ka.target.resource",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The target object resource",
    },
    FieldInfo {
        name: "ka.target.subresource",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The target object subresource",
    },
    FieldInfo {
        name: "ka.target.pod.name",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The target pod name (pods without subresource)",
    },
    FieldInfo {
        name: "ka.req.binding.subjects",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The subjects of a role binding, as JSON",
    },
    FieldInfo {
        name: "ka.req.binding.role",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The role of a role binding",
    },
    FieldInfo {
        name: "ka.req.binding.subject.has_name",
        kind: FieldKind::Text,
        arg: FieldArg::Required,
        desc: "Deprecated: \"true\" when the binding has subjects",
    },
    FieldInfo {
        name: "ka.req.binding.subjects.user_names",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The user names of a binding's subjects",
    },
    FieldInfo {
        name: "ka.req.binding.subjects.serviceaccount_names",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The service account names of a binding's subjects",
    },
    FieldInfo {
        name: "ka.req.binding.subjects.serviceaccount_ns_names",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The namespace:name of a binding's service account subjects",
    },
    FieldInfo {
        name: "ka.req.binding.subjects.group_names",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The group names of a binding's subjects",
    },
    FieldInfo {
        name: "ka.req.configmap.name",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The configmap name",
    },
    FieldInfo {
        name: "ka.req.configmap.obj",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The configmap data, as JSON",
    },
    FieldInfo {
        name: "ka.req.container.image",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "Deprecated: the first container's image",
    },
    FieldInfo {
        name: "ka.req.container.image.repository",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "Deprecated: the first container's image repository",
    },
    FieldInfo {
        name: "ka.req.container.privileged",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "Deprecated: \"true\" when any container is privileged",
    },
    FieldInfo {
        name: "ka.req.container.host_network",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "Deprecated: the pod's hostNetwork",
    },
    FieldInfo {
        name: "ka.req.pod.host_ipc",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The pod's hostIPC",
    },
    FieldInfo {
        name: "ka.req.pod.host_network",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The pod's hostNetwork",
    },
    FieldInfo {
        name: "ka.req.pod.host_pid",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The pod's hostPID",
    },
    FieldInfo {
        name: "ka.req.pod.run_as_user",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The pod's runAsUser",
    },
    FieldInfo {
        name: "ka.req.pod.run_as_group",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The pod's runAsGroup",
    },
    FieldInfo {
        name: "ka.req.pod.fs_group",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The pod's fsGroup",
    },
    FieldInfo {
        name: "ka.req.pod.supplemental_groups",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The pod's supplementalGroups",
    },
    FieldInfo {
        name: "ka.req.pod.volumes.hostpath",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The hostPath paths of the pod's volumes",
    },
    FieldInfo {
        name: "ka.req.pod.volumes.flexvolume_driver",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The flexVolume drivers of the pod's volumes",
    },
    FieldInfo {
        name: "ka.req.pod.volumes.volume_type",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The types of the pod's volumes",
    },
    FieldInfo {
        name: "ka.req.volume.hostpath",
        kind: FieldKind::Text,
        arg: FieldArg::Required,
        desc:
            "Deprecated: \"true\" when a hostPath volume is the path (a prefix when it ends in *)",
    },
    FieldInfo {
        name: "ka.req.role.rules",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The rules of a role, as JSON",
    },
    FieldInfo {
        name: "ka.req.role.rules.apiGroups",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The apiGroups of a role's rules",
    },
    FieldInfo {
        name: "ka.req.role.rules.nonResourceURLs",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The nonResourceURLs of a role's rules",
    },
    FieldInfo {
        name: "ka.req.role.rules.verbs",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The verbs of a role's rules",
    },
    FieldInfo {
        name: "ka.req.role.rules.resources",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The resources of a role's rules",
    },
    FieldInfo {
        name: "ka.req.service.type",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The service type",
    },
    FieldInfo {
        name: "ka.req.service.ports",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The service ports, as JSON",
    },
    FieldInfo {
        name: "ka.resp.name",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The response object name",
    },
    FieldInfo {
        name: "ka.response.code",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The response code",
    },
    FieldInfo {
        name: "ka.response.reason",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The response reason",
    },
    FieldInfo {
        name: "ka.useragent",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The user agent of the client",
    },
    FieldInfo {
        name: "ka.sourceips",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The source IPs of the request",
    },
    FieldInfo {
        name: "ka.cluster.name",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The cluster name (annotation cluster_name)",
    },
    FieldInfo {
        name: "jevt.value",
        kind: FieldKind::Text,
        arg: FieldArg::Required,
        desc: "The value at a JSON pointer in the event",
    },
    FieldInfo {
        name: "jevt.obj",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The whole event, as JSON",
    },
    FieldInfo {
        name: "jevt.time",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The event time, ISO 8601",
    },
    FieldInfo {
        name: "jevt.rawtime",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The event time, nanoseconds since the epoch",
    },
    FieldInfo {
        name: "json.value",
        kind: FieldKind::Text,
        arg: FieldArg::Required,
        desc: "Alias of jevt.value",
    },
    FieldInfo {
        name: "json.obj",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "Alias of jevt.obj",
    },
    FieldInfo {
        name: "json.time",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "Alias of jevt.time",
    },
    FieldInfo {
        name: "json.rawtime",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "Alias of jevt.rawtime",
    },
    FieldInfo {
        name: "evt.time",
        kind: FieldKind::Number,
        arg: FieldArg::No,
        desc: "The event time (in outputs: HH:MM:SS.nnnnnnnnn)",
    },
    FieldInfo {
        name: "evt.rawtime",
        kind: FieldKind::Number,
        arg: FieldArg::No,
        desc: "The event time, nanoseconds since the epoch",
    },
    FieldInfo {
        name: "evt.time.iso8601",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The event time, ISO 8601",
    },
    FieldInfo {
        name: "evt.source",
        kind: FieldKind::Text,
        arg: FieldArg::No,
        desc: "The event source, k8s_audit",
    },
    FieldInfo {
        name: "ka.req.pod.containers.name",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' names",
    },
    FieldInfo {
        name: "ka.req.pod.containers.image",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' images",
    },
    FieldInfo {
        name: "ka.req.pod.containers.image.repository",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' image repositories (no tag or digest)",
    },
    FieldInfo {
        name: "ka.req.pod.containers.command",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' commands (space-joined)",
    },
    FieldInfo {
        name: "ka.req.pod.containers.args",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' arguments (space-joined)",
    },
    FieldInfo {
        name: "ka.req.pod.containers.privileged",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' privileged flags",
    },
    FieldInfo {
        name: "ka.req.pod.containers.allow_privilege_escalation",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' allowPrivilegeEscalation flags",
    },
    FieldInfo {
        name: "ka.req.pod.containers.read_only_fs",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' readOnlyRootFilesystem flags",
    },
    FieldInfo {
        name: "ka.req.pod.containers.run_as_user",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' runAsUser",
    },
    FieldInfo {
        name: "ka.req.pod.containers.eff_run_as_user",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' effective runAsUser (container, else pod, else 0)",
    },
    FieldInfo {
        name: "ka.req.pod.containers.run_as_group",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' runAsGroup",
    },
    FieldInfo {
        name: "ka.req.pod.containers.eff_run_as_group",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' effective runAsGroup (container, else pod, else 0)",
    },
    FieldInfo {
        name: "ka.req.pod.containers.proc_mount",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' procMount",
    },
    FieldInfo {
        name: "ka.req.pod.containers.add_capabilities",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' added capabilities",
    },
    FieldInfo {
        name: "ka.req.pod.containers.host_port",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The containers' host ports (hostPort, else containerPort)",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.name",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' names",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.image",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' images",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.image.repository",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' image repositories (no tag or digest)",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.command",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' commands (space-joined)",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.args",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' arguments (space-joined)",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.privileged",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' privileged flags",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.allow_privilege_escalation",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' allowPrivilegeEscalation flags",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.read_only_fs",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' readOnlyRootFilesystem flags",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.run_as_user",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' runAsUser",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.eff_run_as_user",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' effective runAsUser (container, else pod, else 0)",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.run_as_group",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' runAsGroup",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.eff_run_as_group",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' effective runAsGroup (container, else pod, else 0)",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.proc_mount",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' procMount",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.add_capabilities",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' added capabilities",
    },
    FieldInfo {
        name: "ka.req.pod.initContainers.host_port",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The initContainers' host ports (hostPort, else containerPort)",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.name",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' names",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.image",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' images",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.image.repository",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' image repositories (no tag or digest)",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.command",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' commands (space-joined)",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.args",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' arguments (space-joined)",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.privileged",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' privileged flags",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.allow_privilege_escalation",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' allowPrivilegeEscalation flags",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.read_only_fs",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' readOnlyRootFilesystem flags",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.run_as_user",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' runAsUser",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.eff_run_as_user",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' effective runAsUser (container, else pod, else 0)",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.run_as_group",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' runAsGroup",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.eff_run_as_group",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' effective runAsGroup (container, else pod, else 0)",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.proc_mount",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' procMount",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.add_capabilities",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' added capabilities",
    },
    FieldInfo {
        name: "ka.req.pod.ephemeralContainers.host_port",
        kind: FieldKind::List,
        arg: FieldArg::Index,
        desc: "The ephemeralContainers' host ports (hostPort, else containerPort)",
    },
];
