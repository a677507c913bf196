{{/*
falcosidekick's chart values (falcosecurity/charts, charts/falcosidekick) mapped onto this
chart's, so that a falcosidekick values file works as is. Every template includes
"falconer.compat" first; it rewrites .Values once per rendering (guarded by __compat) and
collects warnings for the NOTES in .Values.__compatWarnings. The mapping is documented in
docs/deploy.md ("From falcosidekick's chart").
*/}}
{{- define "falconer.compat" -}}
{{- $v := .Values -}}
{{- if not (hasKey $v "__compat") -}}
{{- $_ := set $v "__compat" true -}}
{{- $warn := list -}}
{{- if hasKey $v "falcosidekick" -}}
{{- fail "`falcosidekick:` is the Falco chart's key: give this chart what is inside it, not the whole Falco values file (docs/deploy.md, \"From the Falco chart's falcosidekick\"): yq '.falcosidekick | del(.enabled, .fullfqdn, .listenport)' falco-values.yaml > falconer-values.yaml" -}}
{{- end -}}

{{- /* Image: falcosidekick's (or Falco's) is not Falconer's. */ -}}
{{- $img := $v.image | default dict -}}
{{- $repo := toString (get $img "repository") -}}
{{- if regexMatch "(^|/)falcosecurity/(falco|falcosidekick|falcosidekick-ui)$|(^|/)falcosidekick(-ui)?$" $repo -}}
{{- $warn = append $warn (printf "image.repository %q is falcosidekick's image, not Falconer's: the chart runs %q instead. Set image.registry, image.repository and image.tag to where you pushed Falconer's image (docs/deploy.md, \"The image\")." $repo (printf "falconer:%s" .Chart.AppVersion)) -}}
{{- $_ := set $v "image" (dict "registry" "" "repository" "falconer" "tag" "" "pullPolicy" (get $img "pullPolicy" | default "IfNotPresent")) -}}
{{- end -}}

{{- /* imagePullSecrets: falcosidekick lists names, Kubernetes wants {name: ...}. */ -}}
{{- $pull := list -}}
{{- range ($v.imagePullSecrets | default list) -}}
{{- $pull = append $pull (ternary (dict "name" (toString .)) . (kindIs "string" .)) -}}
{{- end -}}
{{- $_ := set $v "imagePullSecrets" $pull -}}

{{- if and (kindIs "map" $v.podSecurityPolicy) (get $v.podSecurityPolicy "create") -}}
{{- $warn = append $warn "podSecurityPolicy.create is ignored: PodSecurityPolicy was removed in Kubernetes 1.25 (the pods meet the restricted Pod Security Standard)." -}}
{{- end -}}
{{- if and (kindIs "map" $v.httproute) (get $v.httproute "enabled") -}}
{{- $warn = append $warn "httproute (Gateway API) is not rendered by this chart: make an HTTPRoute to Service port http yourself, or use ingress." -}}
{{- end -}}

{{- /* serviceMonitor -> metrics.serviceMonitor */ -}}
{{- $sm := $v.serviceMonitor -}}
{{- if kindIs "map" $sm -}}
{{- $m := $v.metrics.serviceMonitor -}}
{{- if get $sm "enabled" -}}{{- $_ := set $m "enabled" true -}}{{- end -}}
{{- with get $sm "additionalLabels" -}}{{- $_ := set $m "labels" (mergeOverwrite (deepCopy ($m.labels | default dict)) .) -}}{{- end -}}
{{- with get $sm "interval" -}}{{- $_ := set $m "interval" . -}}{{- end -}}
{{- with get $sm "scrapeTimeout" -}}{{- $_ := set $m "scrapeTimeout" . -}}{{- end -}}
{{- with get $sm "additionalProperties" -}}{{- $_ := set $m "additionalProperties" (mergeOverwrite (deepCopy ($m.additionalProperties | default dict)) .) -}}{{- end -}}
{{- end -}}

{{- /* prometheusRules -> metrics.prometheusRule */ -}}
{{- $pr := $v.prometheusRules -}}
{{- if kindIs "map" $pr -}}
{{- $m := $v.metrics.prometheusRule -}}
{{- if get $pr "enabled" -}}{{- $_ := set $m "enabled" true -}}{{- end -}}
{{- with get $pr "namespace" -}}{{- $_ := set $m "namespace" . -}}{{- end -}}
{{- with get $pr "additionalLabels" -}}{{- $_ := set $m "labels" (mergeOverwrite (deepCopy ($m.labels | default dict)) .) -}}{{- end -}}
{{- $alerts := get $pr "alerts" | default dict -}}
{{- $windows := list -}}
{{- range $p := list "output" "warning" "error" "critical" "alert" "emergency" -}}
{{- $a := get $alerts $p -}}
{{- if kindIs "map" $a -}}
{{- $dst := index $m.alerts $p -}}
{{- if hasKey $a "enabled" -}}{{- $_ := set $dst "enabled" (get $a "enabled") -}}{{- end -}}
{{- if hasKey $a "threshold" -}}{{- $_ := set $dst "threshold" (get $a "threshold") -}}{{- end -}}
{{- with get $a "rate_interval" -}}{{- $windows = append $windows (toString .) -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- if $windows -}}
{{- $_ := set $m "rateInterval" (first $windows) -}}
{{- if gt (len (uniq $windows)) 1 -}}
{{- $warn = append $warn (printf "prometheusRules.alerts.*.rate_interval differ (%s): Falconer's rules share one window, metrics.prometheusRule.rateInterval = %s." (join ", " (uniq $windows)) (first $windows)) -}}
{{- end -}}
{{- end -}}
{{- /* additionalAlerts: a YAML string (falcosidekick renders it as text) or a list; the
falcosidekick values file has it under alerts, its template reads it beside them. */ -}}
{{- range $extra := list (get $pr "additionalAlerts") (get $alerts "additionalAlerts") -}}
{{- if and (kindIs "string" $extra) (trim $extra) -}}
{{- $_ := set $m "additionalAlerts" (concat ($m.additionalAlerts | default list) (fromYamlArray $extra)) -}}
{{- else if kindIs "slice" $extra -}}
{{- $_ := set $m "additionalAlerts" (concat ($m.additionalAlerts | default list) $extra) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* grafana.dashboards.configMaps.falcosidekick -> grafana.dashboards */ -}}
{{- $gd := $v.grafana.dashboards -}}
{{- $fcm := dig "configMaps" "falcosidekick" dict $gd -}}
{{- with get $fcm "namespace" -}}{{- $_ := set $gd "namespace" . -}}{{- end -}}
{{- with get $fcm "folder" -}}{{- $_ := set $gd "folder" . -}}{{- end -}}

{{- /* webui (falcosidekick-ui) -> ui, the built-in UI */ -}}
{{- $w := $v.webui -}}
{{- if kindIs "map" $w -}}
{{- $ui := $v.ui -}}
{{- if get $w "enabled" -}}
{{- $_ := set $ui "enabled" true -}}
{{- if and (get $w "existingSecret") (not $ui.passwordSecret) -}}{{- $_ := set $ui "passwordSecret" (get $w "existingSecret") -}}{{- end -}}
{{- if and (get $w "user") (not $ui.user) -}}{{- $_ := set $ui "user" (get $w "user") -}}{{- end -}}
{{- if get $w "disableauth" -}}{{- $_ := set $ui "disableAuth" true -}}{{- end -}}
{{- $ttl := toString (get $w "ttl" | default "0") -}}
{{- if and (ne $ttl "0") (ne $ttl "") -}}
{{- $cfgUi := deepCopy (dig "ui" dict ($v.config | default dict)) -}}
{{- $store := get $cfgUi "store" | default dict -}}
{{- $ret := get $store "retention" | default dict -}}
{{- if not (hasKey $ret "maxage") -}}
{{- $_ := set $ret "maxage" (regexReplaceAll "^([0-9]+)$" $ttl "${1}s") -}}
{{- $_ := set $store "retention" $ret -}}
{{- $_ := set $cfgUi "store" $store -}}
{{- $_ := set $v.config "ui" $cfgUi -}}
{{- end -}}
{{- end -}}
{{- if or (dig "externalRedis" "enabled" false $w) (get $w "allowcors") -}}
{{- $warn = append $warn "webui: Falconer's UI keeps events in its own store, not Redis (webui.redis and webui.externalRedis are not used; events already in Redis are not copied), and does not answer cross-origin requests (webui.allowcors; see config.ui.allowedorigins)." -}}
{{- end -}}
{{- end -}}
{{- with get $w "service" -}}
{{- range $k := list "type" "port" "nodePort" "annotations" -}}
{{- if hasKey $w.service $k -}}{{- $_ := set $ui.service $k (get $w.service $k) -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- with get $w "ingress" -}}{{- $_ := set $ui "ingress" (mergeOverwrite (deepCopy $ui.ingress) .) -}}{{- end -}}
{{- end -}}
{{- if and $v.ui.enabled (eq (toString $v.ui.user) "admin:admin") -}}
{{- fail "ui.user (falcosidekick: webui.user) is admin:admin, falcosidekick-ui's published default: choose another password (the chart stores only its bcrypt hash)" -}}
{{- end -}}

{{- /* config: the chart-only keys of falcosidekick's `config`. */ -}}
{{- $cfg := deepCopy ($v.config | default dict) -}}
{{- with get $cfg "existingSecret" -}}
{{- if not $v.existingSecret -}}
{{- $_ := set $v "existingSecret" . -}}
{{- else if ne . $v.existingSecret -}}
{{- $_ := set $v "extraEnvFrom" (append ($v.extraEnvFrom | default list) (dict "secretRef" (dict "name" .))) -}}
{{- end -}}
{{- end -}}
{{- with get $cfg "extraEnv" -}}{{- $_ := set $v "extraEnv" (concat ($v.extraEnv | default list) .) -}}{{- end -}}
{{- if get $cfg "extraArgs" -}}
{{- $warn = append $warn "config.extraArgs (falcosidekick's command-line arguments) are not passed to Falconer; Falconer's own are extraArgs." -}}
{{- end -}}
{{- $cfg = omit $cfg "existingSecret" "extraEnv" "extraArgs" -}}

{{- /* tlsserver: inline PEM or falcosidekick's certificate Secret -> tls.* */ -}}
{{- $ts := get $cfg "tlsserver" -}}
{{- if kindIs "map" $ts -}}
{{- $crt := toString (get $ts "servercrt" | default "") -}}
{{- $key := toString (get $ts "serverkey" | default "") -}}
{{- $ca := toString (get $ts "cacrt" | default "") -}}
{{- $secret := toString (get $ts "existingSecret" | default "") -}}
{{- $fskKeys := list "existingSecret" "servercrt" "serverkey" "cacrt" -}}
{{- $fileKeys := list "deploy" "certfile" "keyfile" "cacertfile" "mutualtls" "notlsport" "notlspaths" -}}
{{- $drop := $fskKeys -}}
{{- if and (get $ts "deploy") (or $secret $crt $key) -}}
{{- if and (not $secret) (not (and $crt $key)) -}}
{{- fail "config.tlsserver.servercrt and config.tlsserver.serverkey go together (inline PEM)" -}}
{{- end -}}
{{- $tls := $v.tls -}}
{{- $_ := set $tls "enabled" true -}}
{{- $_ := set $tls "mutualTLS" (get $ts "mutualtls" | default false) -}}
{{- if $secret -}}
{{- $_ := set $tls "secretName" $secret -}}
{{- $_ := set $tls "secretKeys" (dict "cert" "server.crt" "key" "server.key" "ca" "ca.crt") -}}
{{- else -}}
{{- if and $tls.mutualTLS (not $ca) -}}
{{- fail "config.tlsserver.mutualtls needs config.tlsserver.cacrt (the CA of the client certificates)" -}}
{{- end -}}
{{- $_ := set $tls "secretName" (printf "%s-tls" (include "falconer.fullname" .)) -}}
{{- $_ := set $tls "secretKeys" (dict "cert" "tls.crt" "key" "tls.key" "ca" "ca.crt") -}}
{{- $_ := set $v "__tlsInline" (dict "tls.crt" $crt "tls.key" $key "ca.crt" $ca) -}}
{{- end -}}
{{- with get $ts "notlsport" -}}{{- $_ := set $tls "notlsPort" (int .) -}}{{- end -}}
{{- $paths := get $ts "notlspaths" -}}
{{- if kindIs "string" $paths -}}{{- $paths = splitList "," $paths -}}{{- end -}}
{{- $all := $tls.notlsPaths | default list -}}
{{- range ($paths | default list) -}}
{{- $p := trim (toString .) -}}
{{- if and $p (not (has $p $all)) -}}{{- $all = append $all $p -}}{{- end -}}
{{- end -}}
{{- $_ := set $tls "notlsPaths" $all -}}
{{- $drop = concat $fskKeys $fileKeys -}}
{{- else if not (get $ts "deploy") -}}
{{- /* Not deployed: falcosidekick's chart passes none of these. */ -}}
{{- $drop = concat $fskKeys (ternary (list) $fileKeys (and $v.tls.enabled true)) -}}
{{- end -}}
{{- $ts = deepCopy $ts -}}
{{- range $drop -}}{{- $_ := unset $ts . -}}{{- end -}}
{{- $_ := set $cfg "tlsserver" $ts -}}
{{- end -}}

{{- /* Cloud identities: ServiceAccount annotations, as falcosidekick's chart makes them. */ -}}
{{- $saAnn := deepCopy ($v.serviceAccount.annotations | default dict) -}}
{{- $aws := get $cfg "aws" -}}
{{- if kindIs "map" $aws -}}
{{- if and (get $aws "useirsa") (get $aws "rolearn") -}}
{{- $_ := set $saAnn "eks.amazonaws.com/role-arn" (get $aws "rolearn") -}}
{{- $aws = omit $aws "rolearn" -}}
{{- end -}}
{{- $_ := set $cfg "aws" (omit $aws "useirsa") -}}
{{- end -}}
{{- $gcp := get $cfg "gcp" -}}
{{- if kindIs "map" $gcp -}}
{{- with get $gcp "workloadIdentityServiceAccount" -}}{{- $_ := set $saAnn "iam.gke.io/gcp-service-account" . -}}{{- end -}}
{{- $_ := set $cfg "gcp" (omit $gcp "workloadIdentityServiceAccount") -}}
{{- end -}}
{{- $az := get $cfg "azure" -}}
{{- if kindIs "map" $az -}}
{{- with get $az "workloadIdentityClientID" -}}
{{- $_ := set $saAnn "azure.workload.identity/client-id" . -}}
{{- $_ := set $v "podLabels" (mergeOverwrite (deepCopy ($v.podLabels | default dict)) (dict "azure.workload.identity/use" "true")) -}}
{{- end -}}
{{- if get $az "podIdentityClientID" -}}
{{- $warn = append $warn "config.azure.podIdentityClientID: AAD Pod Identity (deprecated) is not rendered by this chart; use Azure Workload Identity (config.azure.workloadIdentityClientID)." -}}
{{- end -}}
{{- $_ := set $cfg "azure" (omit $az "subscriptionID" "resourceGroupName" "podIdentityClientID" "podIdentityName" "workloadIdentityClientID") -}}
{{- end -}}
{{- $_ := set $v.serviceAccount "annotations" $saAnn -}}
{{- $loki := get $cfg "loki" -}}
{{- if kindIs "map" $loki -}}{{- $_ := set $cfg "loki" (omit $loki "grafanaDashboard") -}}{{- end -}}

{{- /* customfields, templatedfields ("k:v,k2:v2") and customtags ("a,b"): maps and a list. */ -}}
{{- range $k := list "customfields" "templatedfields" -}}
{{- $s := get $cfg $k -}}
{{- if kindIs "string" $s -}}
{{- $_ := set $cfg $k (include "falconer.envPairs" $s | fromJson) -}}
{{- end -}}
{{- end -}}
{{- $tags := get $cfg "customtags" -}}
{{- if kindIs "string" $tags -}}
{{- $list := list -}}
{{- range splitList "," (replace "\\," "," $tags) -}}
{{- if trim . -}}{{- $list = append $list (trim .) -}}{{- end -}}
{{- end -}}
{{- $_ := set $cfg "customtags" $list -}}
{{- end -}}

{{- /* Keys in lower case, empty values dropped (the defaults apply). */ -}}
{{- $cfg = include "falconer.normalizeConfig" $cfg | fromJson -}}

{{- /* tlsclient.cacertfile on no volume of the pod (older falcosidekick charts set
/etc/certs/client/ca.crt by default): falcosidekick logged an error and used the system roots;
Falconer would not start. Left out, with a warning. */ -}}
{{- $tc := get $cfg "tlsclient" -}}
{{- if and (kindIs "map" $tc) (get $tc "cacertfile") -}}
{{- $f := toString (get $tc "cacertfile") -}}
{{- $mounted := false -}}
{{- range ($v.extraVolumeMounts | default list) -}}
{{- $mp := trimSuffix "/" (toString (get . "mountPath")) -}}
{{- if or (eq $f $mp) (hasPrefix (printf "%s/" $mp) $f) -}}{{- $mounted = true -}}{{- end -}}
{{- end -}}
{{- if not $mounted -}}
{{- $_ := unset $tc "cacertfile" -}}
{{- $warn = append $warn (printf "config.tlsclient.cacertfile %s is on no volume of the pod (extraVolumes/extraVolumeMounts): left out, so the outputs trust the system roots only (falcosidekick logged an error and did the same; Falconer would refuse to start)." $f) -}}
{{- end -}}
{{- end -}}

{{- /* alertmanager: the chart's default endpoint is API v1, removed in Alertmanager 0.27;
Falconer posts to v2 (Alertmanager >= 0.16). The chart's `expireafter` is `expiresafter`. */ -}}
{{- $am := get $cfg "alertmanager" -}}
{{- if kindIs "map" $am -}}
{{- if eq (toString (get $am "endpoint")) "/api/v1/alerts" -}}
{{- $_ := set $am "endpoint" "/api/v2/alerts" -}}
{{- if get $am "hostport" -}}
{{- $warn = append $warn "config.alertmanager.endpoint /api/v1/alerts (falcosidekick's chart default) is replaced by /api/v2/alerts: Alertmanager 0.27 removed API v1." -}}
{{- end -}}
{{- end -}}
{{- if hasKey $am "expireafter" -}}
{{- if not (hasKey $am "expiresafter") -}}{{- $_ := set $am "expiresafter" (get $am "expireafter") -}}{{- end -}}
{{- $_ := unset $am "expireafter" -}}
{{- end -}}
{{- end -}}
{{- /* Secrets in output blocks (webhook URLs, passwords, API keys, tokens) go to the chart's
Secret as falcosidekick's environment variables (SLACK_WEBHOOKURL), not into the ConfigMap:
falcosidekick's chart kept every value in a Secret. */ -}}
{{- $globals := list "listenaddress" "listenport" "debug" "customfields" "customtags" "templatedfields" "bracketreplacer" "outputfieldformat" "mutualtlsfilespath" "mutualtlsclient" "tlsclient" "tlsserver" "prometheus" "ingest" "shutdown" "datadir" "deadletter" "ui" "routes" "defaultroute" "silences" "k8saudit" "reload" "outputs" -}}
{{- $secretEnv := deepCopy ($v.secretEnv | default dict) -}}
{{- range $block, $body := $cfg -}}
{{- if and (kindIs "map" $body) (not (has $block $globals)) -}}
{{- $r := include "falconer.secretsOut" (dict "m" $body "p" (upper $block)) | fromJson -}}
{{- $_ := set $cfg $block $r.m -}}
{{- range $name, $value := $r.e -}}
{{- if not (hasKey $secretEnv $name) -}}{{- $_ := set $secretEnv $name $value -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $_ := set $v "secretEnv" $secretEnv -}}
{{- $_ := set $v "config" $cfg -}}
{{- $_ := set $v "__compatWarnings" $warn -}}
{{- end -}}
{{- end -}}

{{/* "k:v,k2:v2" (falcosidekick's env format; `\,` as written for --set) -> a map as JSON.
Each item is split at its first `:`, as Falconer's loader does; an item without `:` maps to "". */}}
{{- define "falconer.envPairs" -}}
{{- $out := dict -}}
{{- range splitList "," (replace "\\," "," .) -}}
{{- $item := trim . -}}
{{- if $item -}}
{{- $kv := splitn ":" 2 $item -}}
{{- $_ := set $out (trim $kv._0) (trim (default "" $kv._1)) -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* A config map with its keys in lower case (viper reads falcosidekick's keys
case-insensitively: `outputFieldFormat`, `customHeaders`) and its empty strings and nulls
dropped (falcosidekick's chart turns every value into an environment variable, and empty ones
are ignored). Lists and free-form maps (field names, headers, labels) are kept as they are. */}}
{{- define "falconer.normalizeConfig" -}}
{{- $free := list "customfields" "templatedfields" "customheaders" "headers" "extensions" "extension" "extralabels" "extraannotations" "customseveritymap" "extraenvvars" "customattributes" -}}
{{- $out := dict -}}
{{- range $k, $val := . -}}
{{- $lk := lower $k -}}
{{- if or (kindIs "invalid" $val) (and (kindIs "string" $val) (eq $val "")) -}}
{{- else if and (kindIs "map" $val) (not (has $lk $free)) -}}
{{- $_ := set $out $lk (include "falconer.normalizeConfig" $val | fromJson) -}}
{{- else -}}
{{- $_ := set $out $lk $val -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Splits the secret keys of an output block (dict "m" block "p" ENV_PREFIX) from the rest:
JSON {"m": block without them, "e": {ENV_NAME: value}}. */}}
{{- define "falconer.secretsOut" -}}
{{- $secretKeys := list "webhookurl" "password" "apikey" "apitoken" "token" "secretaccesskey" "routingkey" "credentials" "jwt" "headerauthvalue" "endpointtoken" "receiverurl" "customheaders" -}}
{{- $m := dict -}}
{{- $e := dict -}}
{{- range $k, $val := .m -}}
{{- $name := printf "%s_%s" $.p (upper $k) -}}
{{- if kindIs "map" $val -}}
{{- if has $k $secretKeys -}}
{{- $_ := set $m $k $val -}}
{{- else -}}
{{- $r := include "falconer.secretsOut" (dict "m" $val "p" $name) | fromJson -}}
{{- $_ := set $m $k $r.m -}}
{{- $e = mergeOverwrite $e $r.e -}}
{{- end -}}
{{- else if and (has $k $secretKeys) (kindIs "string" $val) $val -}}
{{- $_ := set $e $name $val -}}
{{- else -}}
{{- $_ := set $m $k $val -}}
{{- end -}}
{{- end -}}
{{- toJson (dict "m" $m "e" $e) -}}
{{- end -}}
