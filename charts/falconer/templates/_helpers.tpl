{{/* Chart name. */}}
{{- define "falconer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: the release name, with the chart name unless it already contains it. */}}
{{- define "falconer.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "falconer.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "falconer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "falconer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "falconer.labels" -}}
helm.sh/chart: {{ include "falconer.chart" . }}
{{ include "falconer.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: falco
{{- with mergeOverwrite (deepCopy (.Values.customLabels | default dict)) (.Values.commonLabels | default dict) }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* An `annotations:` block of customAnnotations merged with the object's own (index 1). */}}
{{- define "falconer.annotations" -}}
{{- $ctx := index . 0 -}}
{{- $all := mergeOverwrite (deepCopy ($ctx.Values.customAnnotations | default dict)) (deepCopy (index . 1 | default dict)) -}}
{{- with $all -}}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{/* The Secret holding the UI's users file (`login:hash` lines), if any. */}}
{{- define "falconer.uiUsersSecret" -}}
{{- if .Values.ui.enabled -}}
{{- if .Values.ui.existingSecret -}}
{{- .Values.ui.existingSecret -}}
{{- else if .Values.ui.user -}}
{{- printf "%s-ui-users" (include "falconer.fullname" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Whether the UI's users file is made at pod start from ui.passwordSecret. */}}
{{- define "falconer.uiUsersInit" -}}
{{- if and .Values.ui.enabled .Values.ui.passwordSecret (not (include "falconer.uiUsersSecret" .)) -}}true{{- end -}}
{{- end -}}

{{/* Where the UI's users file is mounted. */}}
{{- define "falconer.uiUsersDir" -}}/etc/falconer/ui-users{{- end -}}

{{- define "falconer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "falconer.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "falconer.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.registry -}}
{{- printf "%s/%s:%s" .Values.image.registry .Values.image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The port Falconer listens on (config.listenport, default 2801). */}}
{{- define "falconer.listenPort" -}}
{{- $cfg := .Values.config | default dict -}}
{{- (get $cfg "listenport") | default 2801 | int -}}
{{- end -}}

{{/* Whether a plain-HTTP side port is served (TLS with notlsPaths). */}}
{{- define "falconer.notls" -}}
{{- if and .Values.tls.enabled (gt (len .Values.tls.notlsPaths) 0) -}}true{{- end -}}
{{- end -}}

{{/* The audit webhook's own port (k8saudit.listenPort), when the webhook is on and has one. */}}
{{- define "falconer.k8sauditPort" -}}
{{- if and .Values.k8saudit.enabled (gt (int .Values.k8saudit.listenPort) 0) -}}
{{- int .Values.k8saudit.listenPort -}}
{{- end -}}
{{- end -}}

{{/* Where the k8saudit.rules files are mounted. */}}
{{- define "falconer.k8sauditRulesDir" -}}/etc/falconer/k8saudit{{- end -}}

{{/* Port name and scheme for a path: the plain side port when TLS moved it there. */}}
{{- define "falconer.portFor" -}}
{{- $ctx := index . 0 -}}{{- $path := index . 1 -}}
{{- if not $ctx.Values.tls.enabled -}}http HTTP
{{- else if has $path $ctx.Values.tls.notlsPaths -}}http-notls HTTP
{{- else -}}http HTTPS
{{- end -}}
{{- end -}}

{{/*
The config.yaml the chart renders: `config` with `datadir` set to the data volume, the
`tlsserver` block from `tls`, and the `k8saudit` block from `k8saudit`.
*/}}
{{- define "falconer.config" -}}
{{- include "falconer.compat" . -}}
{{- $cfg := deepCopy (.Values.config | default dict) -}}
{{- if and (hasKey $cfg "datadir") (ne (toString (get $cfg "datadir")) .Values.dataDir.path) -}}
{{- fail "config.datadir is set by the chart: set dataDir.path instead (it is the volume's mount path)" -}}
{{- end -}}
{{- if not (hasPrefix "/" .Values.dataDir.path) -}}
{{- fail "dataDir.path must be an absolute path" -}}
{{- end -}}
{{- $_ := set $cfg "datadir" .Values.dataDir.path -}}
{{- $userTls := get $cfg "tlsserver" | default dict -}}
{{- if .Values.tls.enabled -}}
{{- if not .Values.tls.secretName -}}
{{- fail "tls.enabled needs tls.secretName (a kubernetes.io/tls Secret with tls.crt, tls.key and, for mutualTLS, ca.crt)" -}}
{{- end -}}
{{- if .Values.tls.mutualTLS -}}
{{- range list "/healthz" "/ready" -}}
{{- if not (has . $.Values.tls.notlsPaths) -}}
{{- fail (printf "tls.mutualTLS needs %s in tls.notlsPaths: the kubelet's probes carry no client certificate" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $keys := .Values.tls.secretKeys | default dict -}}
{{- $tlsCfg := dict "deploy" true "certfile" (printf "/etc/falconer/tls/%s" ($keys.cert | default "tls.crt")) "keyfile" (printf "/etc/falconer/tls/%s" ($keys.key | default "tls.key")) "mutualtls" .Values.tls.mutualTLS -}}
{{- if .Values.tls.mutualTLS -}}
{{- $_ := set $tlsCfg "cacertfile" (printf "/etc/falconer/tls/%s" ($keys.ca | default "ca.crt")) -}}
{{- end -}}
{{- if .Values.tls.notlsPaths -}}
{{- $_ := set $tlsCfg "notlsport" (int .Values.tls.notlsPort) -}}
{{- $_ := set $tlsCfg "notlspaths" .Values.tls.notlsPaths -}}
{{- end -}}
{{- $_ := set $cfg "tlsserver" (mergeOverwrite (deepCopy $userTls) $tlsCfg) -}}
{{- else if (get $userTls "deploy") -}}
{{- fail "serve TLS with tls.enabled and tls.secretName, not config.tlsserver.deploy (the chart mounts the certificates and sets the probes); falcosidekick's inline config.tlsserver.servercrt/serverkey or config.tlsserver.existingSecret work too" -}}
{{- end -}}
{{- $userAudit := get $cfg "k8saudit" | default dict -}}
{{- $auditPort := int .Values.k8saudit.listenPort -}}
{{- if and (get $userAudit "listenport") (ne (int (get $userAudit "listenport")) $auditPort) -}}
{{- fail "set k8saudit.listenPort instead of config.k8saudit.listenport (the chart adds the port to the pod and the Service)" -}}
{{- end -}}
{{- if .Values.k8saudit.enabled -}}
{{- if or (eq $auditPort (int (include "falconer.listenPort" .))) (and (include "falconer.notls" .) (eq $auditPort (int .Values.tls.notlsPort))) -}}
{{- fail (printf "k8saudit.listenPort %d is already the ingest port or tls.notlsPort" $auditPort) -}}
{{- end -}}
{{- $audit := dict "enabled" true -}}
{{- if gt $auditPort 0 -}}
{{- $_ := set $audit "listenport" $auditPort -}}
{{- end -}}
{{- $files := .Values.k8saudit.rulesfiles | default (get $userAudit "rulesfiles") | default list -}}
{{- if .Values.k8saudit.rules -}}
{{- if not $files -}}
{{- $files = list "default" -}}
{{- end -}}
{{- range $name := keys .Values.k8saudit.rules | sortAlpha -}}
{{- $files = append $files (printf "%s/%s" (include "falconer.k8sauditRulesDir" $) $name) -}}
{{- end -}}
{{- end -}}
{{- if $files -}}
{{- $_ := set $audit "rulesfiles" $files -}}
{{- end -}}
{{- if .Values.k8saudit.rulematching -}}
{{- $_ := set $audit "rulematching" .Values.k8saudit.rulematching -}}
{{- end -}}
{{- $_ := set $cfg "k8saudit" (mergeOverwrite (deepCopy $userAudit) $audit) -}}
{{- end -}}
{{- if .Values.ui.enabled -}}
{{- $ui := deepCopy (get $cfg "ui" | default dict) -}}
{{- if and (hasKey $ui "listenport") (ne (int (get $ui "listenport")) (int .Values.ui.port)) -}}
{{- fail "set ui.port instead of config.ui.listenport (the chart adds the port to the pod and the UI Service)" -}}
{{- end -}}
{{- if eq (int .Values.ui.port) (int (include "falconer.listenPort" .)) -}}
{{- fail (printf "ui.port %d is already the ingest port" (int .Values.ui.port)) -}}
{{- end -}}
{{- $_ := set $ui "listenport" (int .Values.ui.port) -}}
{{- $auth := get $ui "auth" | default dict -}}
{{- with .Values.ui.users -}}
{{- $_ := set $auth "users" (concat (get $auth "users" | default list) .) -}}
{{- end -}}
{{- if gt (len (compact (list (toString .Values.ui.user) (toString .Values.ui.existingSecret) (toString .Values.ui.passwordSecret)))) 1 -}}
{{- fail "set one of ui.user (falcosidekick: webui.user), ui.existingSecret and ui.passwordSecret (falcosidekick: webui.existingSecret)" -}}
{{- end -}}
{{- if or (include "falconer.uiUsersSecret" .) (include "falconer.uiUsersInit" .) -}}
{{- if not (regexMatch "^[^:]+:.+$" (toString .Values.ui.user | default "x:y")) -}}
{{- fail "ui.user (falcosidekick: webui.user) must be login:password" -}}
{{- end -}}
{{- $_ := set $auth "usersfile" (printf "%s/users" (include "falconer.uiUsersDir" .)) -}}
{{- end -}}
{{- if .Values.ui.disableAuth -}}
{{- $_ := set $auth "disabled" true -}}
{{- end -}}
{{- if not (or (get $auth "users") (get $auth "usersfile") (get $auth "disabled")) -}}
{{- fail "ui.enabled (falcosidekick: webui.enabled) needs users: set ui.user (falcosidekick: webui.user) to login:password (the chart stores its bcrypt hash), ui.users to hashed passwords, ui.existingSecret (login:hash lines) or ui.passwordSecret (falcosidekick: webui.existingSecret); or ui.disableAuth=true (falcosidekick: webui.disableauth) for a UI anyone can use" -}}
{{- end -}}
{{- $_ := set $ui "auth" $auth -}}
{{- $_ := set $cfg "ui" $ui -}}
{{- /* The output that writes alerts into the UI's store, unless the config has one. */ -}}
{{- $outs := get $cfg "outputs" | default list -}}
{{- $has := false -}}
{{- range $outs -}}
{{- if and (kindIs "map" .) (eq (toString (get . "type")) "webui") (not (get . "url")) -}}{{- $has = true -}}{{- end -}}
{{- end -}}
{{- if not $has -}}
{{- $_ := set $cfg "outputs" (append $outs (dict "name" "ui" "type" "webui")) -}}
{{- end -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* Outputs with spool.enabled in the config (singleton blocks and named instances). */}}
{{- define "falconer.spooledOutputs" -}}
{{- $names := list -}}
{{- range $key, $block := (.Values.config | default dict) -}}
{{- if and (kindIs "map" $block) (kindIs "map" (get $block "spool")) (get (get $block "spool") "enabled") -}}
{{- $names = append $names $key -}}
{{- end -}}
{{- end -}}
{{- range (get (.Values.config | default dict) "outputs" | default list) -}}
{{- if and (kindIs "map" .) (kindIs "map" (get . "spool")) (get (get . "spool") "enabled") -}}
{{- $names = append $names (get . "name") -}}
{{- end -}}
{{- end -}}
{{- join ", " $names -}}
{{- end -}}

{{/* The URL the API server's audit webhook posts to: the Service's fixed ClusterIP when set
(the API server does not resolve cluster DNS), else its DNS name. */}}
{{- define "falconer.k8sauditUrl" -}}
{{- $tlsHere := .Values.tls.enabled -}}
{{- $port := int .Values.service.port -}}
{{- $auditPort := include "falconer.k8sauditPort" . -}}
{{- if $auditPort -}}
{{- $port = int $auditPort -}}
{{- else if and (include "falconer.notls" .) (has "/k8s-audit" .Values.tls.notlsPaths) -}}
{{- $port = int .Values.tls.notlsPort -}}
{{- $tlsHere = false -}}
{{- end -}}
{{- $host := .Values.service.clusterIP | default (printf "%s.%s.svc.%s" (include "falconer.fullname" .) .Release.Namespace .Values.falco.clusterDomain) -}}
{{- printf "%s://%s:%d/k8s-audit" (ternary "https" "http" $tlsHere) $host $port -}}
{{- end -}}

{{/* The URL Falco's http_output posts to. */}}
{{- define "falconer.url" -}}
{{- $scheme := ternary "https" "http" .Values.tls.enabled -}}
{{- $host := include "falconer.fullname" . -}}
{{- if .Values.falco.fullFQDN -}}
{{- $host = printf "%s.%s.svc.%s" $host .Release.Namespace .Values.falco.clusterDomain -}}
{{- end -}}
{{- printf "%s://%s:%d/" $scheme $host (int .Values.service.port) -}}
{{- end -}}
