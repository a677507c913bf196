#!/usr/bin/env python3
"""Checks of the rendered Falconer chart and the Falco wiring examples, run by
scripts/chart-test.sh. Each subcommand prints what it checked and exits 1 on the first
problem list that is not empty.

  checks.py rendered MANIFESTS WORKDIR   split, cross-check, extract config/env/rules/dashboard
  checks.py falconer-check BIN WORKDIR   run `falconer check` on WORKDIR/config.yaml with WORKDIR/env.json
  checks.py metric-names SRC_DIR FILE... every falconer_/falcosecurity_ series named exists in the source
  checks.py sidecar VALUES CONFIG WORKDIR render the Falco DaemonSet pod the sidecar values make
  checks.py central VALUES NOTES          the URL Falco is given is the one the chart prints
  checks.py k8saudit DIR MANIFESTS        audit policy, kind config, webhook kubeconfig, the chart (and the Falco alternative) agree
  checks.py falcosidekick VALUES WORKDIR  every falcosidekick chart value of VALUES reached the rendering in WORKDIR
  checks.py falco-subchart VALUES OUT     the `falcosidekick:` block of a Falco chart values file, as this chart's values
  checks.py ui-init BIN WORKDIR           run the UI users init container's script (webui.existingSecret) with BIN
"""

import json
import os
import re
import subprocess
import sys

import yaml

CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}
UID = 1234
# bcrypt of "x" (cost 4), shaped as Falconer's UI checks it.
PLACEHOLDER_BCRYPT = "$2b$04$abcdefghijklmnopqrstuu5Yk5ItrNEcLUx6xq3Oq8d0ZFDiANqQe"


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
    inits = spec.get("initContainers") or []
    for ic in inits:
        check_container(ic, volumes, problems, f"{w['kind']} init container {ic['name']}", ports_needed=False)
    with open(os.path.join(workdir, "init-containers.json"), "w") as f:
        json.dump(inits, f)
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
    secret_env = dict(env)
    for e in c.get("env") or []:
        # valueFrom values are not known here: a placeholder keeps the variable set.
        env[e["name"]] = str(e["value"]) if "value" in e else "placeholder"
    with open(os.path.join(workdir, "config.yaml"), "w") as f:
        f.write(text)
    with open(os.path.join(workdir, "env.json"), "w") as f:
        json.dump(env, f)
    # Files the chart mounts from its own ConfigMaps (k8saudit.rules), written where the pod
    # sees them under WORKDIR/files, for `falconer check`.
    config_maps = {cm["metadata"]["name"]: cm.get("data") or {} for cm in by_kind.get("ConfigMap", [])}
    secret_files = {s["metadata"]["name"]: s.get("stringData") or {} for s in by_kind.get("Secret", [])}
    pod_volumes = {v["name"]: v for v in spec.get("volumes") or []}
    shipped = 0
    for m in c.get("volumeMounts") or []:
        vol = pod_volumes.get(m["name"], {})
        cm_name = (vol.get("configMap") or {}).get("name")
        secret_name = (vol.get("secret") or {}).get("secretName")
        if m.get("subPath") or (cm_name not in config_maps and secret_name not in secret_files):
            continue
        data = config_maps[cm_name] if cm_name in config_maps else secret_files[secret_name]
        items = (vol.get("configMap") or vol.get("secret") or {}).get("items")
        paths = {i["key"]: i["path"] for i in items} if items else {k: k for k in data}
        for key, value in data.items():
            if key not in paths:
                continue
            local = os.path.join(workdir, "files") + os.path.join(m["mountPath"], paths[key])
            os.makedirs(os.path.dirname(local), exist_ok=True)
            with open(local, "w") as f:
                f.write(value)
            shipped += 1
    audit = config.get("k8saudit") or {}
    if audit.get("enabled"):
        port = audit.get("listenport") or 0
        if port:
            if not any(p.get("name") == "k8saudit" and p.get("containerPort") == port for p in c.get("ports") or []):
                problems.append(f"k8saudit.listenport {port} is not container port k8saudit")
            if not any(p["name"] == "k8saudit" for s in by_kind.get("Service", []) for p in s["spec"]["ports"]):
                problems.append("no Service exposes port k8saudit")
        for path in audit.get("rulesfiles") or []:
            if path != "default" and not os.path.exists(os.path.join(workdir, "files") + path) and not any(
                path.startswith(m["mountPath"] + "/") for m in c.get("volumeMounts") or []
            ):
                problems.append(f"k8saudit rules file {path} is on no volume of the pod")
    ui = config.get("ui")
    if isinstance(ui, dict) and any(p.get("name") == "ui" for p in c.get("ports") or []):
        port = ui.get("listenport", 2802)
        if not any(p.get("name") == "ui" and p.get("containerPort") == port for p in c.get("ports") or []):
            problems.append(f"ui.listenport {port} is not container port ui")
        if not any(p["targetPort"] == "ui" for s in by_kind.get("Service", []) for p in s["spec"]["ports"]):
            problems.append("no Service exposes the UI (targetPort ui)")
        users_file = (ui.get("auth") or {}).get("usersfile")
        if users_file and not any(users_file.startswith(m["mountPath"] + "/") for m in c.get("volumeMounts") or []):
            problems.append(f"ui.auth.usersfile {users_file} is on no volume of the pod")
        if not any(isinstance(o, dict) and o.get("type") == "webui" and not o.get("url") for o in config.get("outputs") or []):
            problems.append("the UI is on but no webui output writes into its store")
    # The policyreport output: the pod's token, and a ClusterRole on the reports bound to it.
    pr = config.get("policyreport")
    roles = [r for r in by_kind.get("ClusterRole", []) if any("wgpolicyk8s.io" in (x.get("apiGroups") or []) for x in r.get("rules") or [])]
    if isinstance(pr, dict) and str(pr.get("enabled")).lower() == "true":
        if spec.get("automountServiceAccountToken") is not True:
            problems.append("policyreport is enabled but the pod mounts no service account token")
        sa = spec.get("serviceAccountName")
        bound = [
            b for b in by_kind.get("ClusterRoleBinding", [])
            if any(r["metadata"]["name"] == b["roleRef"]["name"] for r in roles)
            and any(x.get("kind") == "ServiceAccount" and x.get("name") == sa for x in b.get("subjects") or [])
        ]
        verbs = {v for r in roles for x in r["rules"] for v in x.get("verbs") or []}
        kinds = {k for r in roles for x in r["rules"] for k in x.get("resources") or []}
        if not bound or not {"get", "create", "update"} <= verbs or not {"policyreports", "clusterpolicyreports"} <= kinds:
            problems.append("policyreport is enabled but no ClusterRole (get, create, update on policyreports and clusterpolicyreports) is bound to the pod's service account")
        else:
            print(f"  ok: policyreport: token mounted, ClusterRole {roles[0]['metadata']['name']} bound to {sa}")
    elif roles:
        problems.append("a ClusterRole on wgpolicyk8s.io is rendered but policyreport is not enabled")
    for name, value in secret_env.items():
        for d in by_kind.get("ConfigMap", []):
            if len(value) > 8 and value in json.dumps(d.get("data") or {}):
                problems.append(f"the value of secret variable {name} is also in ConfigMap {d['metadata']['name']}")
    print(f"  ok: {len(docs)} objects ({', '.join(sorted(by_kind))}); {w['kind']} pod checks; config.yaml, {len(env)} env vars and {shipped} mounted files extracted")

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

    def place(path, content="placeholder"):
        if not isinstance(path, str) or not path.startswith("/") or os.path.exists(path):
            return path
        local = root + path
        if os.path.exists(local):  # shipped by the chart (written by `rendered`): the real file
            return local
        os.makedirs(os.path.dirname(local), exist_ok=True)
        with open(local, "w") as f:
            f.write(content)
        return local

    def walk(node, parents):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "usersfile" and isinstance(v, str):
                    # A Secret the chart does not ship: a well-formed users line stands in.
                    node[k] = place(v, "placeholder:" + PLACEHOLDER_BCRYPT + "\n")
                elif isinstance(k, str) and k.endswith("file") and parents[:1] != ["tlsserver"] and isinstance(v, str):
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
    # k8saudit rules files: those the chart ships (written by `rendered`) are checked for real;
    # others (from extraVolumes) exist in the pod only and get an empty rules file.
    audit = config.get("k8saudit")
    if isinstance(audit, dict) and isinstance(audit.get("rulesfiles"), list):
        files = []
        for path in audit["rulesfiles"]:
            local = root + path if isinstance(path, str) and path.startswith("/") else None
            if local and not os.path.exists(path):
                if not os.path.exists(local):
                    os.makedirs(os.path.dirname(local), exist_ok=True)
                    with open(local, "w") as f:
                        f.write("[]\n")
                    print(f"    (k8saudit rules file {path} is not shipped by the chart: checked as empty)")
                path = local
            files.append(path)
        audit["rulesfiles"] = files


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


def webhook_server(path, problems):
    """The server URL of an audit webhook kubeconfig, checked for a usable current context."""
    with open(path) as f:
        kc = yaml.safe_load(f)
    name = os.path.basename(path)
    if kc.get("apiVersion") != "v1" or kc.get("kind") != "Config":
        problems.append(f"{name} is not a v1 Config (kubeconfig)")
    contexts = {c["name"]: c["context"] for c in kc.get("contexts") or []}
    clusters = {c["name"]: c["cluster"] for c in kc.get("clusters") or []}
    users = {u["name"] for u in kc.get("users") or []}
    ctx = contexts.get(kc.get("current-context"))
    if not ctx:
        problems.append(f"{name}: current-context names no context")
        return ""
    if ctx.get("cluster") not in clusters:
        problems.append(f"{name}: the context's cluster {ctx.get('cluster')} is not defined")
        return ""
    if ctx.get("user") and ctx["user"] not in users:
        problems.append(f"{name}: the context's user {ctx['user']} is not defined")
    return clusters[ctx["cluster"]].get("server", "")


def cmd_k8saudit(d, manifests):
    """The audit wiring of deploy/k8saudit: the policy logs what the rules read, kind mounts
    the files the API server's flags name, webhook-config.yaml reaches Falconer's /k8s-audit on
    the chart's Service as MANIFESTS (the chart rendered with falconer-values.yaml) makes it,
    and the Falco alternative (falco-values-k8saudit.yaml, webhook-config-falco.yaml) agrees
    with itself."""
    import ipaddress
    from urllib.parse import urlsplit

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
    # The k8s_audit rules read request objects of these: they must be logged at Request or above.
    need = {("", "pods"), ("", "configmaps"), ("", "services"), ("", "serviceaccounts"),
            ("rbac.authorization.k8s.io", "clusterroles"), ("rbac.authorization.k8s.io", "clusterrolebindings"),
            ("networking.k8s.io", "ingresses")}
    for group, res in sorted(need):
        level = None
        for r in policy["rules"]:
            if "nonResourceURLs" in r or "users" in r or "userGroups" in r:
                continue
            rs = r.get("resources")
            if rs is None or any(g.get("group") == group and (not g.get("resources") or res in g["resources"]) for g in rs):
                level = r["level"]
                break
        if level not in ("Request", "RequestResponse"):
            problems.append(f"{group or 'core'}/{res} is logged at {level}, the k8s_audit rules need Request or above")

    # kind: the flags name files the node mounts, and the API server's pod mounts them.
    with open(os.path.join(d, "kind-config.yaml")) as f:
        kind = yaml.safe_load(f)
    [cp] = [n for n in kind["nodes"] if n.get("role") == "control-plane"]
    patch = yaml.safe_load(cp["kubeadmConfigPatches"][0])
    args = patch["apiServer"]["extraArgs"]
    node_files = {m["containerPath"]: m["hostPath"] for m in cp.get("extraMounts") or []}
    pod_dirs = [v["mountPath"] for v in patch["apiServer"].get("extraVolumes") or []]
    for flag, local in (("audit-policy-file", "audit-policy.yaml"), ("audit-webhook-config-file", "webhook-config.yaml")):
        path = args.get(flag)
        if not path:
            problems.append(f"kind-config.yaml does not pass --{flag}")
            continue
        if os.path.normpath(node_files.get(path, "")) != os.path.normpath(os.path.join(d, local)):
            problems.append(f"kind-config.yaml: {path} is not {os.path.join(d, local)} on the node")
        if not any(path.startswith(p.rstrip("/") + "/") for p in pod_dirs):
            problems.append(f"kind-config.yaml: {path} is not on a volume of the API server's pod")
    service_subnet = ipaddress.ip_network((kind.get("networking") or {}).get("serviceSubnet", "10.96.0.0/16"))

    # Falconer's webhook: webhook-config.yaml reaches /k8s-audit on the chart's Service.
    server = webhook_server(os.path.join(d, "webhook-config.yaml"), problems)
    url = urlsplit(server)
    docs = load_all(manifests)
    services = [x for x in docs if x["kind"] == "Service" and x["spec"].get("clusterIP") != "None"]
    [w] = [x for x in docs if x["kind"] in ("Deployment", "StatefulSet")]
    [c] = [x for x in pod_spec(w)["containers"] if x["name"] == "falconer"]
    container_ports = {p["name"]: p["containerPort"] for p in c.get("ports") or []}
    [cm] = [x for x in docs if x["kind"] == "ConfigMap" and "config.yaml" in (x.get("data") or {})]
    config = yaml.safe_load(cm["data"]["config.yaml"])
    audit = config.get("k8saudit") or {}
    if not audit.get("enabled"):
        problems.append("falconer-values.yaml does not turn k8saudit on")
    if url.path != "/k8s-audit":
        problems.append(f"webhook server {server} does not post to /k8s-audit")
    tls = (config.get("tlsserver") or {}).get("deploy", False)
    if url.scheme != ("https" if tls else "http"):
        problems.append(f"webhook server {server}: scheme {url.scheme}, Falconer serves {'https' if tls else 'http'}")
    try:
        host = ipaddress.ip_address(url.hostname or "")
    except ValueError:
        host = None
        problems.append(f"webhook server {server}: the API server does not resolve cluster DNS, give it an IP")
    svc = [x for x in services if host is not None and x["spec"].get("clusterIP") == str(host)]
    if host is not None and not svc:
        problems.append(f"no Service of the chart has clusterIP {host}")
    if host is not None and host not in service_subnet:
        problems.append(f"clusterIP {host} is outside kind's service range {service_subnet}")
    target = None
    for x in svc:
        for p in x["spec"]["ports"]:
            if p["port"] == url.port:
                target = p["targetPort"]
    if svc and target is None:
        problems.append(f"the Service has no port {url.port}")
    elif target is not None:
        wanted = {container_ports.get("http"), audit.get("listenport")} - {None, 0}
        if container_ports.get(target) not in wanted:
            problems.append(f"Service port {url.port} targets {target}, which is neither the ingest port nor k8saudit.listenport")

    # The Falco alternative agrees with itself.
    falco_server = webhook_server(os.path.join(d, "webhook-config-falco.yaml"), problems)
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
        if not falco_server.endswith(f":{port_cfg.get('nodePort', port)}{path}") and not falco_server.endswith(f":{port}{path}"):
            problems.append(f"webhook server {falco_server} does not reach the plugin at {path}")
    if set(fv["falco"]["load_plugins"]) != {"k8saudit", "json"}:
        problems.append("load_plugins must be k8saudit and json")
    if not fv["falco"]["http_output"]["enabled"]:
        problems.append("the k8saudit Falco does not send to Falconer")
    fail(problems, "k8saudit wiring")
    print(f"  ok: policy logs what the rules read at Request+; kind mounts the policy and kubeconfig; API server -> {server} -> "
          f"Service {svc[0]['metadata']['name']} port {url.port} -> container port {target} (k8saudit on)")
    print(f"  ok: alternative: API server -> {falco_server} -> Falco plugin {open_params} -> {fv['falco']['http_output']['url']}")

# Keys of falcosidekick's `config` that its chart acts on instead of passing to the binary.
FSK_CHART_ONLY = {
    ("existingsecret",), ("extraenv",), ("extraargs",),
    ("tlsserver",),  # checked on its own (tls values, Secret)
    ("aws", "useirsa"), ("aws", "rolearn"), ("gcp", "workloadidentityserviceaccount"),
    ("azure", "subscriptionid"), ("azure", "resourcegroupname"), ("azure", "podidentityclientid"),
    ("azure", "podidentityname"), ("azure", "workloadidentityclientid"), ("loki", "grafanadashboard"),
    ("customfields",), ("templatedfields",), ("customtags",),
}
# Renamed on the way (falcosidekick's chart key -> Falconer's).
FSK_RENAMED = {("alertmanager", "expireafter"): ("alertmanager", "expiresafter")}


def env_pairs(text):
    out = {}
    for item in str(text).replace("\\,", ",").split(","):
        item = item.strip()
        if item:
            k, _, v = item.partition(":")
            out[k.strip()] = v.strip()
    return out


def cmd_falcosidekick(values_path, workdir):
    """What each falcosidekick chart value of VALUES became in WORKDIR/manifests.yaml (the
    chart rendered with it): the pod, the Services, the Ingresses, the ServiceAccount, the
    monitoring objects, the UI, and every value of `config` in config.yaml or the pod's
    environment."""
    with open(values_path) as f:
        v = yaml.safe_load(f)
    docs = load_all(os.path.join(workdir, "manifests.yaml"))
    by = {}
    for d in docs:
        by.setdefault(d["kind"], []).append(d)
    [w] = by.get("Deployment", []) + by.get("StatefulSet", [])
    tmpl = w["spec"]["template"]
    spec = tmpl["spec"]
    [c] = [x for x in spec["containers"] if x["name"] == "falconer"]
    [cm] = [x for x in by["ConfigMap"] if "config.yaml" in (x.get("data") or {})]
    config = yaml.safe_load(cm["data"]["config.yaml"])
    with open(os.path.join(workdir, "env.json")) as f:
        env = json.load(f)
    services = {s["metadata"]["name"]: s for s in by.get("Service", [])}
    main_svc = services[w["metadata"]["name"]]
    problems = []
    checked = []

    def expect(ok, what):
        checked.append(what)
        if not ok:
            problems.append(what)

    def subset(small, big):
        return all(big.get(k) == val for k, val in (small or {}).items())

    expect("falcosidekick" not in c["image"], f"image {c['image']} is not falcosidekick's")
    expect(w["spec"]["replicas"] == v.get("replicaCount", 2), "replicaCount")
    expect(subset(v.get("podSecurityContext"), spec.get("securityContext") or {}), "podSecurityContext")
    expect(subset(v.get("securityContext"), c.get("securityContext") or {}), "securityContext")
    for k, val in (v.get("resources") or {}).items():
        expect(subset(val, (c.get("resources") or {}).get(k) or {}), f"resources.{k}")
    for k in ("nodeSelector", "tolerations", "affinity"):
        if v.get(k):
            expect(spec.get(k) == v[k], k)
    if v.get("priorityClassName"):
        expect(spec.get("priorityClassName") == v["priorityClassName"], "priorityClassName")
    expect(subset(v.get("podLabels"), tmpl["metadata"].get("labels") or {}), "podLabels")
    expect(subset(v.get("podAnnotations"), tmpl["metadata"].get("annotations") or {}), "podAnnotations")
    for d in docs:
        meta = d["metadata"]
        expect(subset(v.get("customLabels"), meta.get("labels") or {}), f"customLabels on {d['kind']} {meta['name']}")
        expect(subset(v.get("customAnnotations"), meta.get("annotations") or {}), f"customAnnotations on {d['kind']} {meta['name']}")
    pulls = [p if isinstance(p, str) else p.get("name") for p in v.get("imagePullSecrets") or []]
    expect([p["name"] for p in spec.get("imagePullSecrets") or []] == pulls, "imagePullSecrets")
    svc = v.get("service") or {}
    expect(main_svc["spec"]["type"] == svc.get("type", "ClusterIP"), "service.type")
    expect(any(p["port"] == svc.get("port", 2801) and p["targetPort"] == "http" for p in main_svc["spec"]["ports"]), "service.port")
    expect(subset(svc.get("annotations"), main_svc["metadata"].get("annotations") or {}), "service.annotations")
    vols = {x["name"] for x in spec.get("volumes") or []}
    mounts = {(m["name"], m["mountPath"]) for m in c.get("volumeMounts") or []}
    for x in v.get("extraVolumes") or []:
        expect(x["name"] in vols, f"extraVolumes {x['name']}")
    for m in v.get("extraVolumeMounts") or []:
        expect((m["name"], m["mountPath"]) in mounts, f"extraVolumeMounts {m['name']}")
    ingresses = {i["metadata"]["name"]: i for i in by.get("Ingress", [])}

    def ingress_matches(values, svc_name, port):
        ing = [i for i in ingresses.values() if any(
            p["backend"]["service"]["name"] == svc_name and p["backend"]["service"]["port"].get("name") == port
            for r in i["spec"]["rules"] for p in r["http"]["paths"])]
        if not ing:
            return False
        hosts = [r.get("host") for r in ing[0]["spec"]["rules"]]
        tls = [t.get("secretName") for t in ing[0]["spec"].get("tls") or []]
        return (hosts == [h.get("host") for h in values.get("hosts") or []]
                and tls == [t.get("secretName") for t in values.get("tls") or []]
                and ing[0]["spec"].get("ingressClassName") == (values.get("ingressClassName") or None))

    if (v.get("ingress") or {}).get("enabled"):
        expect(ingress_matches(v["ingress"], main_svc["metadata"]["name"], "http"), "ingress")
    sm = v.get("serviceMonitor") or {}
    if sm.get("enabled"):
        mons = by.get("ServiceMonitor", [])
        expect(len(mons) == 1 and subset(sm.get("additionalLabels"), mons[0]["metadata"]["labels"]), "serviceMonitor")
    pr = v.get("prometheusRules") or {}
    if pr.get("enabled"):
        rules = by.get("PrometheusRule", [])
        names = {r.get("alert") for x in rules for g in x["spec"]["groups"] for r in g["rules"]}
        expect(bool(rules), "prometheusRules.enabled")
        for p, alert in (("output", "FalcosidekickOutputErrors"), ("warning", "FalcoEventsWarning"), ("error", "FalcoEventsError"),
                         ("critical", "FalcoEventsCritical"), ("alert", "FalcoEventsAlert"), ("emergency", "FalcoEventsEmergency")):
            a = (pr.get("alerts") or {}).get(p) or {}
            if "enabled" in a:
                expect((alert in names) == bool(a["enabled"]), f"prometheusRules.alerts.{p}.enabled")

    cfg = v.get("config") or {}
    refs = [(e.get("secretRef") or {}).get("name") for e in c.get("envFrom") or []]
    if cfg.get("existingSecret"):
        expect(cfg["existingSecret"] in refs, "config.existingSecret")
    pod_env = {e["name"]: e for e in c.get("env") or []}
    for e in cfg.get("extraEnv") or []:
        expect(pod_env.get(e["name"]) == e, f"config.extraEnv {e['name']}")
    if isinstance(cfg.get("customfields"), str):
        expect(config.get("customfields", {}) == env_pairs(cfg["customfields"]), "config.customfields")
    if isinstance(cfg.get("templatedfields"), str):
        expect(config.get("templatedfields", {}) == env_pairs(cfg["templatedfields"]), "config.templatedfields")
    if isinstance(cfg.get("customtags"), str):
        tags = [t.strip() for t in cfg["customtags"].split(",") if t.strip()]
        expect(config.get("customtags", []) == tags, "config.customtags")
    sa = (by.get("ServiceAccount") or [{}])[0].get("metadata", {}).get("annotations") or {}
    aws = cfg.get("aws") or {}
    if aws.get("useirsa") and aws.get("rolearn"):
        expect(sa.get("eks.amazonaws.com/role-arn") == aws["rolearn"], "config.aws.useirsa: the role ARN annotates the ServiceAccount")
        expect("rolearn" not in (config.get("aws") or {}) and "AWS_ROLEARN" not in env, "config.aws.useirsa: the role ARN is not passed to Falconer")
    gsa = (cfg.get("gcp") or {}).get("workloadIdentityServiceAccount")
    if gsa:
        expect(sa.get("iam.gke.io/gcp-service-account") == gsa, "config.gcp.workloadIdentityServiceAccount")
    az = (cfg.get("azure") or {}).get("workloadIdentityClientID")
    if az:
        expect(sa.get("azure.workload.identity/client-id") == az, "config.azure.workloadIdentityClientID")

    # Every value of `config`: in config.yaml at its (lower-case) path, or in the pod's env.
    def walk(node, path):
        for k, val in node.items():
            p = path + (k.lower(),)
            if p[:1] in FSK_CHART_ONLY or p[:2] in FSK_CHART_ONLY:
                continue
            if isinstance(val, dict):
                walk(val, p)
                continue
            if val is None or val == "" or val == [] or val == {}:
                continue  # empty: the default applies, as with falcosidekick's chart
            p2 = FSK_RENAMED.get(p, p)
            got = config
            for seg in p2:
                got = got.get(seg) if isinstance(got, dict) else None
            if p == ("alertmanager", "endpoint") and val == "/api/v1/alerts":
                expect(got == "/api/v2/alerts", "config.alertmanager.endpoint /api/v1/alerts becomes /api/v2/alerts")
                continue
            name = "_".join(seg.upper() for seg in p2)
            found = got if got is not None else env.get(name)
            expect(found is not None and str(found).lower() == str(val).lower(),
                   f"config.{'.'.join(path + (k,))} = {val!r} reaches Falconer (config.yaml or ${name}), got {found!r}")

    walk(cfg, ())

    ts = cfg.get("tlsserver") or {}
    tls = config.get("tlsserver") or {}
    if ts.get("deploy"):
        expect(tls.get("deploy") is True and tls.get("mutualtls", False) == bool(ts.get("mutualtls")), "config.tlsserver.deploy and mutualtls")
        tls_vol = [x for x in spec.get("volumes") or [] if x["name"] == "tls"]
        secret_name = tls_vol[0]["secret"]["secretName"] if tls_vol else None
        if ts.get("existingSecret"):
            expect(secret_name == ts["existingSecret"], "config.tlsserver.existingSecret is mounted")
            expect(str(tls.get("certfile", "")).endswith("/server.crt") and str(tls.get("keyfile", "")).endswith("/server.key"),
                   "config.tlsserver.existingSecret: its server.crt and server.key are used")
        else:
            [sec] = [x for x in by.get("Secret", []) if x["metadata"]["name"] == secret_name] or [{}]
            data = sec.get("stringData") or {}
            expect(data.get("tls.crt") == ts.get("servercrt") and data.get("tls.key") == ts.get("serverkey")
                   and data.get("ca.crt", "") == ts.get("cacrt", ""), "config.tlsserver.servercrt/serverkey/cacrt are in the mounted Secret")
        paths = [p.strip() for p in (ts.get("notlspaths") or "").split(",") if p.strip()] if isinstance(ts.get("notlspaths"), str) else ts.get("notlspaths") or []
        expect(all(p in (tls.get("notlspaths") or []) for p in paths), "config.tlsserver.notlspaths")
        if ts.get("notlsport"):
            expect(tls.get("notlsport") == ts["notlsport"], "config.tlsserver.notlsport")
    else:
        expect(not tls.get("deploy"), "config.tlsserver.deploy false: no TLS")

    ui = v.get("webui") or {}
    if ui.get("enabled"):
        ucfg = config.get("ui") or {}
        expect(bool(ucfg), "webui.enabled: the config has a ui block")
        uisvc = [s for s in services.values() if any(p["targetPort"] == "ui" for p in s["spec"]["ports"])]
        usvc = ui.get("service") or {}
        expect(len(uisvc) == 1 and uisvc[0]["spec"]["type"] == usvc.get("type", "ClusterIP")
               and uisvc[0]["spec"]["ports"][0]["port"] == usvc.get("port", 2802), "webui.service")
        if (ui.get("ingress") or {}).get("enabled") and uisvc:
            expect(ingress_matches(ui["ingress"], uisvc[0]["metadata"]["name"], "ui"), "webui.ingress")
        if ui.get("disableauth"):
            expect((ucfg.get("auth") or {}).get("disabled") is True, "webui.disableauth")
        elif ui.get("existingSecret"):
            inits = {ic["name"]: ic for ic in spec.get("initContainers") or []}
            ref = [e["valueFrom"]["secretKeyRef"] for e in (inits.get("ui-users") or {}).get("env") or [] if "valueFrom" in e]
            expect(ref == [{"name": ui["existingSecret"], "key": "FALCOSIDEKICK_UI_USER"}],
                   "webui.existingSecret: the init container hashes its FALCOSIDEKICK_UI_USER")
        elif ui.get("user"):
            login = ui["user"].split(":", 1)[0]
            users_file = os.path.join(workdir, "files") + (ucfg.get("auth") or {}).get("usersfile", "/nonexistent")
            line = open(users_file).read().strip() if os.path.exists(users_file) else ""
            expect(line.startswith(login + ":$2") and ui["user"].split(":", 1)[1] not in line,
                   "webui.user: the users file has the login and a bcrypt hash, not the password")
            expect(not any(ui["user"].split(":", 1)[1] in json.dumps(d) for d in docs), "webui.user: the password is in no object")
        ttl = str(ui.get("ttl", 0))
        if ttl not in ("0", ""):
            expect(((ucfg.get("store") or {}).get("retention") or {}).get("maxage") == ttl, "webui.ttl: store retention maxage")
    fail(problems, "falcosidekick values")
    print(f"  ok: {len(checked)} falcosidekick values checked against the rendering (pod, Services, Ingress, ServiceAccount, monitoring, config and env, TLS, UI)")


def cmd_ui_init(binary, workdir):
    """Runs the ui-users init container's script (ui.passwordSecret, falcosidekick's
    webui.existingSecret) with BIN as `falconer`: a good FALCOSIDEKICK_UI_USER gives a users
    file Falconer accepts (left under WORKDIR/files for `falconer-check`); malformed values and
    admin:admin stop the pod."""
    import shutil
    import tempfile
    with open(os.path.join(workdir, "init-containers.json")) as f:
        inits = {c["name"]: c for c in json.load(f)}
    problems = []
    ic = inits.get("ui-users")
    if not ic:
        fail(["no ui-users init container"], "ui init")
    script = ic["command"][-1]
    [mount] = ic["volumeMounts"]
    local = os.path.join(workdir, "files") + mount["mountPath"]
    script = script.replace(mount["mountPath"], local)
    bindir = tempfile.mkdtemp()
    os.symlink(os.path.abspath(binary), os.path.join(bindir, "falconer"))
    users = os.path.join(local, "users")
    try:
        for value, good in (("admin:admin", False), ("nocolon", False), (":pw", False), ("ops:", False),
                            ("tester:Test-passw0rd:with:colons", True)):
            shutil.rmtree(local, ignore_errors=True)
            os.makedirs(local)
            env = {"PATH": bindir + ":" + os.environ.get("PATH", "/usr/bin:/bin"), "FALCOSIDEKICK_UI_USER": value}
            r = subprocess.run(["bash", ic["command"][1], script], env=env, capture_output=True, text=True)
            if good:
                line = open(users).read().strip() if os.path.exists(users) else ""
                if r.returncode != 0 or not line.startswith("tester:$argon2id$") or "Test-passw0rd" in line:
                    problems.append(f"{value!r}: exit {r.returncode}, users file {line!r}, {r.stderr.strip()}")
            elif r.returncode == 0:
                problems.append(f"{value!r} was accepted")
            else:
                print(f"    refused {value!r}: {r.stderr.strip()}")
    finally:
        shutil.rmtree(bindir)
    fail(problems, "ui init")
    print("  ok: the init container hashes login:password into a users file (argon2id), refuses malformed values and admin:admin")


def cmd_falco_subchart(values_path, out):
    """The values of the Falco chart's falcosidekick subchart (its `falcosidekick:` block) are
    the falcosidekick chart's: written to OUT without the Falco chart's own keys in it
    (`enabled`, `fullfqdn`, `listenport`), as docs/deploy.md tells users to do with yq."""
    with open(values_path) as f:
        v = yaml.safe_load(f)
    block = dict(v.get("falcosidekick") or {})
    problems = []
    if not block.get("enabled"):
        problems.append("falcosidekick.enabled is not true: not the bundled falcosidekick")
    for key in ("enabled", "fullfqdn", "listenport"):
        block.pop(key, None)
    if not block.get("config"):
        problems.append("the falcosidekick block has no config")
    fail(problems, "Falco chart values")
    with open(out, "w") as f:
        yaml.safe_dump(block, f, sort_keys=False)
    print(f"  ok: {len(block)} top-level falcosidekick values taken out of the Falco chart's values ({', '.join(block)})")


def main(argv):
    cmd, args = argv[1], argv[2:]
    {
        "rendered": lambda: cmd_rendered(*args),
        "falconer-check": lambda: cmd_falconer_check(*args),
        "metric-names": lambda: cmd_metric_names(args[0], args[1:]),
        "sidecar": lambda: cmd_sidecar(*args),
        "central": lambda: cmd_central(*args),
        "k8saudit": lambda: cmd_k8saudit(*args),
        "falcosidekick": lambda: cmd_falcosidekick(*args),
        "falco-subchart": lambda: cmd_falco_subchart(*args),
        "ui-init": lambda: cmd_ui_init(*args),
    }[cmd]()


if __name__ == "__main__":
    main(sys.argv)
