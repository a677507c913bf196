#!/usr/bin/env python3
"""Checks of the rendered Falconer chart and the Falco wiring examples, run by
scripts/chart-test.sh. Each subcommand prints what it checked and exits 1 on the first
problem list that is not empty.

  checks.py rendered MANIFESTS WORKDIR   split, cross-check, extract config/env/rules/dashboard
  checks.py falconer-check BIN WORKDIR   run `falconer check` on WORKDIR/config.yaml with WORKDIR/env.json
  checks.py metric-names SRC_DIR FILE... every falconer_/falcosecurity_ series named exists in the source
  checks.py sidecar VALUES CONFIG WORKDIR render the Falco DaemonSet pod the sidecar values make
  checks.py central VALUES NOTES          the URL Falco is given is the one the chart prints
  checks.py k8saudit DIR                  audit policy, webhook kubeconfig and Falco values agree
"""

import json
import os
import re
import subprocess
import sys

import yaml

CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}
UID = 1234


def fail(problems, what):
    if problems:
        for p in problems:
            print(f"  FAIL {what}: {p}")
        sys.exit(1)


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def pod_spec(doc):
    return doc["spec"]["template"]["spec"]


def check_container(c, volumes, problems, where, ports_needed=True):
    sc = c.get("securityContext") or {}
    if sc.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{where}: readOnlyRootFilesystem is not true")
    if sc.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{where}: allowPrivilegeEscalation is not false")
    if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
        problems.append(f"{where}: capabilities do not drop ALL")
    if sc.get("runAsUser", UID) != UID:
        problems.append(f"{where}: runAsUser is not {UID}")
    for m in c.get("volumeMounts") or []:
        if m["name"] not in volumes:
            problems.append(f"{where}: volumeMount {m['name']} has no volume")
    names = {p.get("name") for p in c.get("ports") or []}
    for probe in ("livenessProbe", "readinessProbe"):
        p = c.get(probe)
        if not p:
            if ports_needed:
                problems.append(f"{where}: no {probe}")
            continue
        get = p.get("httpGet")
        if get and isinstance(get.get("port"), str) and get["port"] not in names:
            problems.append(f"{where}: {probe} port {get['port']} is not a container port")


def cmd_rendered(manifests, workdir):
    docs = load_all(manifests)
    problems = []
    core, crds = [], []
    by_kind = {}
    for d in docs:
        for key in ("apiVersion", "kind"):
            if key not in d:
                problems.append(f"document without {key}: {str(d)[:80]}")
        if not (d.get("metadata") or {}).get("name"):
            problems.append(f"{d.get('kind')} without metadata.name")
        by_kind.setdefault(d.get("kind"), []).append(d)
        (crds if d.get("kind") in CRD_KINDS else core).append(d)
    fail(problems, "manifest structure")

    with open(os.path.join(workdir, "core.yaml"), "w") as f:
        yaml.safe_dump_all(core, f, sort_keys=False)

    workloads = by_kind.get("Deployment", []) + by_kind.get("StatefulSet", [])
    if len(workloads) != 1:
        fail([f"expected one Deployment or StatefulSet, got {len(workloads)}"], "workload")
    w = workloads[0]
    spec = pod_spec(w)
    pod_labels = w["spec"]["template"]["metadata"]["labels"]
    sel = w["spec"]["selector"]["matchLabels"]
    if any(pod_labels.get(k) != v for k, v in sel.items()):
        problems.append("workload selector does not match the pod labels")
    psc = spec.get("securityContext") or {}
    if psc.get("runAsNonRoot") is not True or psc.get("runAsUser") != UID:
        problems.append(f"pod securityContext is not runAsNonRoot with uid {UID}")
    volumes = {v["name"] for v in spec.get("volumes") or []}
    volumes |= {t["metadata"]["name"] for t in w["spec"].get("volumeClaimTemplates") or []}
    [c] = [c for c in spec["containers"] if c["name"] == "falconer"]
    check_container(c, volumes, problems, f"{w['kind']} container falconer")
    ann = w["spec"]["template"]["metadata"].get("annotations") or {}
    if not re.fullmatch(r"[0-9a-f]{64}", ann.get("checksum/config", "")):
        problems.append("pod template has no checksum/config annotation")

    # Services select the pods and point at named container ports.
    ports = {p["name"] for p in c.get("ports") or []}
    for s in by_kind.get("Service", []):
        if any(pod_labels.get(k) != v for k, v in s["spec"]["selector"].items()):
            problems.append(f"Service {s['metadata']['name']} does not select the pods")
        for p in s["spec"]["ports"]:
            if p["targetPort"] not in ports:
                problems.append(f"Service {s['metadata']['name']} targets unknown port {p['targetPort']}")
    if w["kind"] == "StatefulSet":
        heads = [s["metadata"]["name"] for s in by_kind.get("Service", []) if s["spec"].get("clusterIP") == "None"]
        if w["spec"].get("serviceName") not in heads:
            problems.append("StatefulSet serviceName is not a headless Service of the chart")
        if not w["spec"].get("volumeClaimTemplates"):
            problems.append("StatefulSet without volumeClaimTemplates")
    for pdb in by_kind.get("PodDisruptionBudget", []):
        if pdb["spec"]["selector"]["matchLabels"] != sel:
            problems.append("PodDisruptionBudget does not select the pods")
    for np in by_kind.get("NetworkPolicy", []):
        if np["spec"]["podSelector"]["matchLabels"] != sel:
            problems.append("NetworkPolicy does not select the pods")
        for rule in np["spec"]["ingress"]:
            for p in rule.get("ports") or []:
                if p["port"] not in ports:
                    problems.append(f"NetworkPolicy names unknown port {p['port']}")

    # The config file, and the environment the pod gets (literal values and the chart's Secret).
    cms = [cm for cm in by_kind.get("ConfigMap", []) if "config.yaml" in (cm.get("data") or {})]
    if len(cms) != 1:
        fail([f"expected one ConfigMap with config.yaml, got {len(cms)}"], "config")
    text = cms[0]["data"]["config.yaml"]
    config = yaml.safe_load(text)
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts") or []}
    if config.get("datadir") != mounts.get("data"):
        problems.append(f"datadir {config.get('datadir')} is not the data volume's mount path {mounts.get('data')}")
    tls = config.get("tlsserver") or {}
    if tls.get("deploy"):
        for key in ("certfile", "keyfile") + (("cacertfile",) if tls.get("mutualtls") else ()):
            if not str(tls.get(key, "")).startswith(mounts.get("tls", "\0") + "/"):
                problems.append(f"tlsserver.{key} is not in the mounted TLS Secret")
    env = {}
    secrets = {s["metadata"]["name"]: s for s in by_kind.get("Secret", [])}
    for ef in c.get("envFrom") or []:
        ref = (ef.get("secretRef") or {}).get("name")
        if ref in secrets:
            env.update({k: str(v) for k, v in (secrets[ref].get("stringData") or {}).items()})
    for e in c.get("env") or []:
        # valueFrom values are not known here: a placeholder keeps the variable set.
        env[e["name"]] = str(e["value"]) if "value" in e else "placeholder"
    with open(os.path.join(workdir, "config.yaml"), "w") as f:
        f.write(text)
    with open(os.path.join(workdir, "env.json"), "w") as f:
        json.dump(env, f)
    print(f"  ok: {len(docs)} objects ({', '.join(sorted(by_kind))}); {w['kind']} pod checks; config.yaml and {len(env)} env vars extracted")

    # CRDs: not in the core schemas, checked here for the fields the operator needs.
    for d in crds:
        name = f"{d['kind']} {d['metadata']['name']}"
        if d.get("apiVersion") != "monitoring.coreos.com/v1":
            problems.append(f"{name}: apiVersion {d.get('apiVersion')}")
        if d["kind"] == "ServiceMonitor":
            svc_ports = {p["name"] for s in by_kind.get("Service", []) for p in s["spec"]["ports"]}
            labels_ok = any(
                all((s["metadata"].get("labels") or {}).get(k) == v for k, v in d["spec"]["selector"]["matchLabels"].items())
                for s in by_kind.get("Service", [])
            )
            if not labels_ok:
                problems.append(f"{name}: selector matches no Service")
            for ep in d["spec"]["endpoints"]:
                if ep.get("port") not in svc_ports:
                    problems.append(f"{name}: endpoint port {ep.get('port')} is not a Service port")
                if ep.get("path") != "/metrics" or ep.get("scheme") not in ("http", "https"):
                    problems.append(f"{name}: endpoint path/scheme {ep.get('path')} {ep.get('scheme')}")
            print(f"  ok: {name} (selector, endpoint ports)")
        else:
            groups = d["spec"]["groups"]
            for g in groups:
                for r in g["rules"]:
                    if not (r.get("alert") or r.get("record")) or not r.get("expr"):
                        problems.append(f"{name}: rule without alert/record or expr: {r}")
            with open(os.path.join(workdir, "rules.yaml"), "w") as f:
                yaml.safe_dump({"groups": groups}, f, sort_keys=False)
            print(f"  ok: {name} ({sum(len(g['rules']) for g in groups)} rules, written for promtool)")

    # The Grafana dashboard: valid JSON, and its queries, for the metric-name check.
    for cm in by_kind.get("ConfigMap", []):
        for key, value in (cm.get("data") or {}).items():
            if key.endswith(".json"):
                dash = json.loads(value)
                exprs = [t["expr"] for p in dash.get("panels", []) for t in p.get("targets", [])]
                if not exprs:
                    problems.append(f"dashboard {key} has no queries")
                with open(os.path.join(workdir, "dashboard-exprs.txt"), "w") as f:
                    f.write("\n".join(exprs) + "\n")
                print(f"  ok: dashboard {key}: valid JSON, {len(exprs)} queries")
    fail(problems, "rendered chart")


def materialise_files(config, env, workdir):
    """Secret files the config or env names (`<key>file`, `*_FILE`) exist in the pod only:
    give `falconer check` placeholder files at the same names under WORKDIR/files."""
    root = os.path.join(workdir, "files")

    def place(path):
        if not isinstance(path, str) or not path.startswith("/") or os.path.exists(path):
            return path
        local = root + path
        os.makedirs(os.path.dirname(local), exist_ok=True)
        with open(local, "w") as f:
            f.write("placeholder")
        return local

    def walk(node, parents):
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(k, str) and k.endswith("file") and parents[:1] != ["tlsserver"] and isinstance(v, str):
                    node[k] = place(v)
                else:
                    walk(v, parents + [k])
        elif isinstance(node, list):
            for v in node:
                walk(v, parents)

    walk(config, [])
    for k in list(env):
        if k.endswith("_FILE"):
            env[k] = place(env[k])


def cmd_falconer_check(binary, workdir):
    with open(os.path.join(workdir, "config.yaml")) as f:
        config = yaml.safe_load(f)
    with open(os.path.join(workdir, "env.json")) as f:
        env = json.load(f)
    materialise_files(config, env, workdir)
    path = os.path.join(workdir, "config.checked.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
    run_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    r = subprocess.run([binary, "check", "-c", path], env=run_env, capture_output=True, text=True)
    out = (r.stdout + r.stderr).strip()
    for line in out.splitlines():
        print(f"    {line}")
    if r.returncode != 0:
        fail([f"exit status {r.returncode}"], "falconer check")
    print(f"  ok: falconer check accepted it (with {len(env)} env vars: {', '.join(sorted(env)) or 'none'})")


def cmd_metric_names(src_dir, files):
    source = ""
    for name in sorted(os.listdir(src_dir)):
        if name.endswith(".rs"):
            with open(os.path.join(src_dir, name)) as f:
                source += f.read()
    problems, seen = [], set()
    for path in files:
        with open(path) as f:
            text = f.read()
        for m in re.findall(r"\b((?:falconer|falcosecurity)_[a-z_]+)", text):
            base = re.sub(r"_(bucket|sum|count)$", "", m)
            if m in seen:
                continue
            seen.add(m)
            if f'"{base}"' not in source:
                problems.append(f"{m} (in {os.path.basename(path)}) is not a series of crates/falconer-metrics")
    fail(problems, "metric names")
    print(f"  ok: {len(seen)} series names used by rules/dashboard all exist: {', '.join(sorted(seen))}")


def cmd_sidecar(values_path, config_path, workdir):
    with open(values_path) as f:
        v = yaml.safe_load(f)
    problems = []
    falco = v.get("falco") or {}
    if not (falco.get("json_output") and falco.get("json_include_output_property")):
        problems.append("falco.json_output and json_include_output_property must be true")
    http = falco.get("http_output") or {}
    with open(config_path) as f:
        config = yaml.safe_load(f)
    port = config.get("listenport", 2801)
    if not http.get("enabled") or http.get("url") != f"http://localhost:{port}/":
        problems.append(f"falco.http_output must be enabled with url http://localhost:{port}/")
    if (v.get("falcosidekick") or {}).get("enabled"):
        problems.append("falcosidekick.enabled must be false")
    inits = (v.get("extra") or {}).get("initContainers") or []
    sidecars = [c for c in inits if c.get("name") == "falconer"]
    if len(sidecars) != 1 or sidecars[0].get("restartPolicy") != "Always":
        problems.append("extra.initContainers needs one 'falconer' container with restartPolicy: Always")
    mounts = v.get("mounts") or {}
    volumes = mounts.get("volumes") or []
    # What the Falco chart's pod template makes of these values (extra.initContainers and
    # mounts.volumes are copied as they are), with a stand-in for the Falco container.
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "falco", "namespace": "falco"},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": "falco"}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "falco"}},
                "spec": {
                    "containers": [{"name": "falco", "image": "docker.io/falcosecurity/falco:latest",
                                    "args": ["/usr/bin/falco"],
                                    "volumeMounts": mounts.get("volumeMounts") or []}],
                    "initContainers": inits,
                    "volumes": volumes,
                },
            },
        },
    }
    vol_names = {x["name"] for x in volumes}
    for c in sidecars:
        check_container(c, vol_names, problems, "sidecar falconer", ports_needed=False)
        dmounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts") or []}
        if config.get("datadir") not in dmounts:
            problems.append(f"datadir {config.get('datadir')} is not a mounted volume of the sidecar")
        args = c.get("args") or []
        cfg_file = args[args.index("-c") + 1] if "-c" in args else None
        if not cfg_file or os.path.dirname(cfg_file) not in dmounts:
            problems.append("the sidecar's -c config file is not on a mounted volume")
        env = {e["name"]: str(e.get("value", "placeholder")) for e in c.get("env") or []}
        with open(os.path.join(workdir, "env.json"), "w") as f:
            json.dump(env, f)
    with open(os.path.join(workdir, "config.yaml"), "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "falconer-sidecar", "namespace": "falco"},
          "data": {"config.yaml": open(config_path).read()}}
    cm_refs = {(x.get("configMap") or {}).get("name") for x in volumes}
    if "falconer-sidecar" not in cm_refs:
        problems.append("no volume mounts ConfigMap falconer-sidecar")
    with open(os.path.join(workdir, "core.yaml"), "w") as f:
        yaml.safe_dump_all([ds, cm], f, sort_keys=False)
    fail(problems, "sidecar values")
    print("  ok: Falco values post to the sidecar on localhost; native sidecar with read-only root, uid 1234, datadir volume; DaemonSet and ConfigMap rendered")


def cmd_central(values_path, notes_path):
    with open(values_path) as f:
        v = yaml.safe_load(f)
    with open(notes_path) as f:
        notes = f.read()
    http = (v.get("falco") or {}).get("http_output") or {}
    m = re.search(r'url: "([^"]+)"', notes)
    problems = []
    if not m:
        problems.append("NOTES print no http_output url")
    elif http.get("url") != m.group(1):
        problems.append(f"values url {http.get('url')} != the chart's {m.group(1)}")
    for key in ("json_output: true", "json_include_output_property: true", "enabled: true"):
        if key not in notes:
            problems.append(f"NOTES do not print {key}")
    if not (v["falco"].get("json_output") and v["falco"].get("json_include_output_property") and http.get("enabled")):
        problems.append("central values must enable json_output, json_include_output_property, http_output")
    fail(problems, "central wiring")
    print(f"  ok: Falco values and the chart's NOTES agree on {m.group(1)}")


def cmd_k8saudit(d):
    problems = []
    with open(os.path.join(d, "audit-policy.yaml")) as f:
        policy = yaml.safe_load(f)
    if policy.get("apiVersion") != "audit.k8s.io/v1" or policy.get("kind") != "Policy":
        problems.append("audit-policy.yaml is not an audit.k8s.io/v1 Policy")
    levels = {"None", "Metadata", "Request", "RequestResponse"}
    for r in policy.get("rules") or []:
        if r.get("level") not in levels:
            problems.append(f"audit rule with level {r.get('level')}")
    if not policy.get("rules") or policy["rules"][-1].get("level") == "None":
        problems.append("audit policy has no catch-all rule")
    # The k8saudit rules read request objects of these: they must be logged at Request or above.
    need = {("", "pods"), ("", "configmaps"), ("rbac.authorization.k8s.io", "clusterroles")}
    for group, res in need:
        level = None
        for r in policy["rules"]:
            if "nonResourceURLs" in r or "users" in r or "userGroups" in r:
                continue
            rs = r.get("resources")
            if rs is None or any(g.get("group") == group and (not g.get("resources") or res in g["resources"]) for g in rs):
                level = r["level"]
                break
        if level not in ("Request", "RequestResponse"):
            problems.append(f"{group or 'core'}/{res} is logged at {level}, the k8saudit rules need Request or above")
    with open(os.path.join(d, "webhook-config.yaml")) as f:
        kc = yaml.safe_load(f)
    server = kc["clusters"][0]["cluster"]["server"]
    with open(os.path.join(d, "falco-values-k8saudit.yaml")) as f:
        fv = yaml.safe_load(f)
    plugin = {p["name"]: p for p in fv["falco"]["plugins"]}
    open_params = plugin["k8saudit"]["open_params"]
    m = re.fullmatch(r"https?://[^:/]*:(\d+)(/.*)", open_params)
    port_cfg = fv["services"][0]["ports"][0]
    if not m:
        problems.append(f"k8saudit open_params {open_params} is not a webhook URL")
    else:
        path, port = m.group(2), int(m.group(1))
        if port_cfg["port"] != port:
            problems.append(f"Service port {port_cfg['port']} != plugin port {port}")
        if not server.endswith(f":{port_cfg.get('nodePort', port)}{path}") and not server.endswith(f":{port}{path}"):
            problems.append(f"webhook server {server} does not reach the plugin at {path}")
    if set(fv["falco"]["load_plugins"]) != {"k8saudit", "json"}:
        problems.append("load_plugins must be k8saudit and json")
    if not fv["falco"]["http_output"]["enabled"]:
        problems.append("the k8saudit Falco does not send to Falconer")
    fail(problems, "k8saudit wiring")
    print(f"  ok: policy logs pods/configmaps/clusterroles at Request+; API server -> {server} -> plugin {open_params} -> {fv['falco']['http_output']['url']}")


def main(argv):
    cmd, args = argv[1], argv[2:]
    {
        "rendered": lambda: cmd_rendered(*args),
        "falconer-check": lambda: cmd_falconer_check(*args),
        "metric-names": lambda: cmd_metric_names(args[0], args[1:]),
        "sidecar": lambda: cmd_sidecar(*args),
        "central": lambda: cmd_central(*args),
        "k8saudit": lambda: cmd_k8saudit(*args),
    }[cmd]()


if __name__ == "__main__":
    main(sys.argv)
