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
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

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

{{/* Port name and scheme for a path: the plain side port when TLS moved it there. */}}
{{- define "falconer.portFor" -}}
{{- $ctx := index . 0 -}}{{- $path := index . 1 -}}
{{- if not $ctx.Values.tls.enabled -}}http HTTP
{{- else if has $path $ctx.Values.tls.notlsPaths -}}http-notls HTTP
{{- else -}}http HTTPS
{{- end -}}
{{- end -}}

{{/*
The config.yaml the chart renders: `config` with `datadir` set to the data volume, and the
`tlsserver` block from `tls`.
*/}}
{{- define "falconer.config" -}}
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
{{- $tlsCfg := dict "deploy" true "certfile" "/etc/falconer/tls/tls.crt" "keyfile" "/etc/falconer/tls/tls.key" "mutualtls" .Values.tls.mutualTLS -}}
{{- if .Values.tls.mutualTLS -}}
{{- $_ := set $tlsCfg "cacertfile" "/etc/falconer/tls/ca.crt" -}}
{{- end -}}
{{- if .Values.tls.notlsPaths -}}
{{- $_ := set $tlsCfg "notlsport" (int .Values.tls.notlsPort) -}}
{{- $_ := set $tlsCfg "notlspaths" .Values.tls.notlsPaths -}}
{{- end -}}
{{- $_ := set $cfg "tlsserver" (mergeOverwrite (deepCopy $userTls) $tlsCfg) -}}
{{- else if (get $userTls "deploy") -}}
{{- fail "serve TLS with tls.enabled and tls.secretName, not config.tlsserver.deploy (the chart mounts the certificates and sets the probes)" -}}
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

{{/* The URL Falco's http_output posts to. */}}
{{- define "falconer.url" -}}
{{- $scheme := ternary "https" "http" .Values.tls.enabled -}}
{{- $host := include "falconer.fullname" . -}}
{{- if .Values.falco.fullFQDN -}}
{{- $host = printf "%s.%s.svc.%s" $host .Release.Namespace .Values.falco.clusterDomain -}}
{{- end -}}
{{- printf "%s://%s:%d/" $scheme $host (int .Values.service.port) -}}
{{- end -}}
