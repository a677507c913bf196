#!/usr/bin/env python3
"""Falconer benchmark harness (Python 3.11, stdlib only).

Runs the reference servers (bench/refservers) and Falconer under the same
`wrk` load, interleaved, and writes a Markdown report to stdout and to
bench/results/latest.md (raw data: bench/results/latest.json).

Scenarios (a fresh process, and fresh sinks, per run):

  bare              refserver bare: read body, reply 200 (HTTP floor)
  parse             refserver parse: + serde_json::Value parse (ingest floor)
  forward           refserver forward: queued forwarder to N counting sinks
  falconer-null     Falconer with one `null` output (ingest cost)
  falconer-webhook  Falconer with N `webhook` outputs, one per counting sink

Usage:
  python3 bench/run.py                  # full run (3 reps, 10 s, conns 1,8,32,128)
  python3 bench/run.py --quick          # smoke run (1 rep, 3 s, conns 8,128)
  python3 bench/run.py --only bare,parse,forward

See bench/README.md for how to read the output.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
ALERT_JSON = BENCH_DIR / "alert.json"
POST_LUA = BENCH_DIR / "post.lua"
LOOPBACK = "127.0.0.1"

SCENARIOS = ["bare", "parse", "forward", "falconer-null", "falconer-webhook"]
ALIASES = {"a": "bare", "b": "parse", "c": "forward", "d1": "falconer-null", "d2": "falconer-webhook"}
FALCONER_SCENARIOS = {"falconer-null", "falconer-webhook"}
SINK_SCENARIOS = {"forward", "falconer-webhook"}

# Direct loopback HTTP: never go through an http_proxy from the environment.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    """Progress output goes to stderr so stdout carries only the report."""
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- #
# Small utilities
# --------------------------------------------------------------------------- #


def free_ports(n: int) -> list[int]:
    """Returns n distinct free loopback ports (all bound at once, then released)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((LOOPBACK, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def http(method: str, url: str, body: bytes | None = None, timeout: float = 2.0) -> tuple[int, bytes]:
    """Minimal HTTP request; returns (status, body). Raises OSError on I/O failure."""
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with _HTTP.open(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def get_json(url: str) -> dict:
    status, body = http("GET", url)
    if status != 200:
        raise RuntimeError(f"GET {url} -> {status}")
    return json.loads(body)


def proc_cpu_seconds(pid: int) -> float | None:
    """utime+stime of a process (all threads), in seconds."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); utime/stime are fields 14/15.
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def proc_hwm_kib(pid: int) -> int | None:
    """Peak resident set size (VmHWM) of a process, in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def parse_prometheus(text: str) -> dict[str, float]:
    """Sums Prometheus text-format samples by metric name (labels ignored)."""
    sums: dict[str, float] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "{" in line:
            name = line[: line.index("{")]
            rest = line[line.rindex("}") + 1 :].split()
        else:
            name, *rest = line.split()
        if not rest:
            continue
        try:
            value = float(rest[0])
        except ValueError:
            continue
        sums[name] = sums.get(name, 0.0) + value
    return sums


# --------------------------------------------------------------------------- #
# Process management
# --------------------------------------------------------------------------- #


@dataclass
class Proc:
    """A process started by the harness; always stopped by PID."""

    name: str
    popen: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
            self.popen.wait(timeout=3)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Env:
    """Run-wide settings."""

    refserver: Path
    falconer: Path | None
    wrk: str
    pin: bool
    server_cpu: int
    load_cpu: int
    log_dir: Path
    duration: int
    sinks: int
    timeout: str
    procs: list[Proc] = field(default_factory=list)

    def pinned(self, role: str, argv: list[str]) -> list[str]:
        """Prefixes `taskset` for the server ("server") or wrk/sinks ("load")."""
        if not self.pin:
            return argv
        cpu = self.server_cpu if role == "server" else self.load_cpu
        return ["taskset", "-c", str(cpu), *argv]

    def start(self, name: str, argv: list[str], role: str) -> Proc:
        log_path = self.log_dir / f"{name}.log"
        with open(log_path, "wb") as logf:
            popen = subprocess.Popen(
                self.pinned(role, argv),
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                cwd=REPO_ROOT,
            )
        proc = Proc(name, popen, log_path)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        while self.procs:
            proc = self.procs.pop()
            try:
                proc.stop()
            except Exception as e:  # never let cleanup mask the real error
                log(f"warning: stopping {proc.name} (pid {proc.pid}): {e}")


def wait_ready(
    proc: Proc,
    url: str,
    expect_body: bytes | None = None,
    statuses: tuple[int, ...] = (200,),
    timeout: float = 20.0,
) -> None:
    """Polls `GET url` until it answers one of `statuses` (and `expect_body`, if given)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not proc.alive():
            tail = proc.log_tail() or "(no output)"
            raise RuntimeError(
                f"{proc.name} exited with status {proc.popen.returncode} before it was ready:\n{tail}"
            )
        try:
            status, body = http("GET", url, timeout=1.0)
            if status in statuses and (expect_body is None or body.strip() == expect_body):
                return
            last = f"{status} {body[:80]!r}"
        except OSError as e:
            last = str(e)
        time.sleep(0.05)
    raise RuntimeError(f"{proc.name} not ready at {url} after {timeout}s ({last}):\n{proc.log_tail()}")


# --------------------------------------------------------------------------- #
# One benchmark run
# --------------------------------------------------------------------------- #


def falconer_config(port: int, sink_ports: list[int]) -> str:
    lines = [f"listenaddress: {LOOPBACK}", f"listenport: {port}", "outputs:"]
    if not sink_ports:
        lines += ["  - name: discard", '    type: "null"']
    for i, sp in enumerate(sink_ports, 1):
        lines += [
            f"  - name: sink{i}",
            "    type: webhook",
            f"    address: http://{LOOPBACK}:{sp}/",
            "    maxconcurrentrequests: 32",
            "    queue:",
            "      capacity: 100000",
        ]
    return "\n".join(lines) + "\n"


def run_wrk(env: Env, port: int, conns: int) -> dict:
    threads = 1 if env.pin else max(1, min(conns, os.cpu_count() or 1))
    argv = env.pinned(
        "load",
        [
            env.wrk,
            "-t", str(threads),
            "-c", str(conns),
            "-d", f"{env.duration}s",
            "--timeout", env.timeout,
            "--latency",
            "-s", str(POST_LUA),
            f"http://{LOOPBACK}:{port}/",
        ],
    )
    wrk_env = dict(os.environ, BENCH_ALERT=str(ALERT_JSON))
    out = subprocess.run(
        argv, env=wrk_env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=env.duration + 60
    )
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip()}")
    for line in out.stdout.splitlines():
        if line.startswith("WRKJSON "):
            data = json.loads(line[len("WRKJSON ") :])
            break
    else:
        raise RuntimeError(f"no WRKJSON line in wrk output:\n{out.stdout}")
    dur = data["duration_us"] / 1e6
    errs = data["errors"]
    # wrk counts responses with status > 399 as `status` errors ("Non-2xx or
    # 3xx responses"); every other counted response is a 2xx here.
    ok = data["requests"] - errs["status"]
    data.update(duration_s=dur, ok=ok, non2xx=errs["status"], text=out.stdout)
    return data


def sink_total(ports: list[int]) -> int:
    return sum(get_json(f"http://{LOOPBACK}:{p}/count")["requests"] for p in ports)


def drain(ports: list[int], expected: int | None, limit: float = 10.0) -> tuple[int, float]:
    """Polls the sinks until their total stops moving (or `limit` seconds).

    Returns (delivered, seconds waited). Stable means unchanged for 1 s, or
    for 0.3 s once `expected` has been reached.
    """
    start = time.monotonic()
    last = sink_total(ports)
    last_change = start
    while True:
        now = time.monotonic()
        quiet = now - last_change
        if now - start >= limit:
            break
        if quiet >= 1.0 or (expected is not None and last >= expected and quiet >= 0.3):
            break
        time.sleep(0.1)
        cur = sink_total(ports)
        if cur != last:
            last, last_change = cur, time.monotonic()
    return last, time.monotonic() - start


def _noise_sample(procs: list[Proc]) -> tuple[int, int, float] | None:
    """(system busy jiffies, total jiffies, CPU seconds of our own processes)."""
    try:
        busy, total = _cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # reaped: wrk
    ours = time.process_time() + children.ru_utime + children.ru_stime
    ours += sum(proc_cpu_seconds(p.pid) or 0.0 for p in procs)
    return busy, total, ours


def _other_cpu(before: tuple | None, after: tuple | None) -> float | None:
    """Share of the machine's CPU used by processes other than the benchmark's."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    busy_s = (after[0] - before[0]) / _CLK_TCK
    total_s = (after[1] - before[1]) / _CLK_TCK
    return max(0.0, busy_s - (after[2] - before[2])) / total_s


def run_once(env: Env, scenario: str, conns: int, rep: int) -> dict:
    """Runs one scenario at one connection count; returns its raw record."""
    n_sinks = env.sinks if scenario in SINK_SCENARIOS else 0
    port, *sink_ports = free_ports(1 + n_sinks)
    tag = f"{scenario}-c{conns}-r{rep}"
    rec: dict = {"scenario": scenario, "conns": conns, "rep": rep, "sinks": n_sinks}
    try:
        sinks: list[Proc] = []
        for i, sp in enumerate(sink_ports, 1):
            sink = env.start(
                f"{tag}-sink{i}",
                [str(env.refserver), "sink", "--port", str(sp), "--threads", "1"],
                role="load",
            )
            wait_ready(sink, f"http://{LOOPBACK}:{sp}/count")
            sinks.append(sink)

        if scenario in ("bare", "parse"):
            server = env.start(tag, [str(env.refserver), scenario, "--port", str(port)], role="server")
            # An empty GET body is invalid JSON for `parse`: any answer will do.
            wait_ready(server, f"http://{LOOPBACK}:{port}/", statuses=(200, 400))
        elif scenario == "forward":
            sinks_arg = ",".join(f"http://{LOOPBACK}:{sp}/" for sp in sink_ports)
            argv = [str(env.refserver), "forward", "--port", str(port), "--sinks", sinks_arg,
                    "--queue", "100000", "--inflight", "32"]
            server = env.start(tag, argv, role="server")
            wait_ready(server, f"http://{LOOPBACK}:{port}/stats")
        else:
            assert env.falconer is not None
            cfg_path = env.log_dir / f"{tag}.yaml"
            cfg_path.write_text(falconer_config(port, sink_ports))
            server = env.start(tag, [str(env.falconer), "-c", str(cfg_path)], role="server")
            wait_ready(server, f"http://{LOOPBACK}:{port}/ping", expect_body=b"pong")

        own = [server, *sinks]
        noise0 = _noise_sample(own)
        cpu0 = proc_cpu_seconds(server.pid)
        wrk = run_wrk(env, port, conns)
        other_cpu = _other_cpu(noise0, _noise_sample(own))
        if not server.alive():
            raise RuntimeError(f"{scenario} died during the run:\n{server.log_tail()}")
        rec["wrk"] = {k: v for k, v in wrk.items() if k != "text"}
        dur = wrk["duration_s"]
        accepted = wrk["ok"]

        server_stats: dict = {}
        expected = None
        if scenario == "forward":
            server_stats = get_json(f"http://{LOOPBACK}:{port}/stats")
            expected = server_stats["accepted"] * n_sinks
        elif scenario == "falconer-webhook":
            expected = accepted * n_sinks

        delivered = None
        drain_s = 0.0
        if sink_ports:
            delivered, drain_s = drain(sink_ports, expected)
        if scenario == "forward":
            server_stats = get_json(f"http://{LOOPBACK}:{port}/stats")  # after drain

        metrics_dropped = None
        if scenario in FALCONER_SCENARIOS:
            try:
                status, body = http("GET", f"http://{LOOPBACK}:{port}/metrics")
                sums = parse_prometheus(body.decode(errors="replace")) if status == 200 else {}
            except OSError:
                sums = {}
            server_stats = {k: v for k, v in sums.items() if k.startswith("falconer_")}
            metrics_dropped = int(sums.get("falconer_output_dropped_total", 0))

        cpu1 = proc_cpu_seconds(server.pid)
        hwm = proc_hwm_kib(server.pid)

        # Events the server owed the sinks. The forwarder reports its own
        # accepted count (exact); for Falconer, wrk's 2xx count is used, which
        # can undercount by the requests in flight when wrk stopped (<= conns).
        drops = None
        if delivered is not None:
            owed = (server_stats["accepted"] if scenario == "forward" else accepted) * n_sinks
            drops = max(0, owed - delivered)
        if metrics_dropped:
            drops = max(drops or 0, metrics_dropped)

        rec.update(
            accepted=accepted,
            accepted_rps=accepted / dur,
            non2xx=wrk["non2xx"],
            socket_errors=sum(v for k, v in wrk["errors"].items() if k != "status"),
            delivered=delivered,
            delivered_rps=None if delivered is None else delivered / dur,
            drops=drops,
            metrics_dropped=metrics_dropped,
            drain_s=round(drain_s, 2),
            cpu_s=None if cpu0 is None or cpu1 is None else cpu1 - cpu0,
            cpu_us_per_req=None if cpu0 is None or cpu1 is None or not accepted
            else (cpu1 - cpu0) * 1e6 / accepted,
            p50_ms=wrk["latency_us"]["p50"] / 1000,
            p99_ms=wrk["latency_us"]["p99"] / 1000,
            rss_mib=None if hwm is None else hwm / 1024,
            server_stats=server_stats,
            other_cpu_pct=None if other_cpu is None else other_cpu * 100,
        )
    except Exception as e:  # record and carry on with the other runs
        rec["error"] = str(e)
        log(f"  ERROR {tag}: {e}")
    finally:
        env.stop_all()
    return rec


# --------------------------------------------------------------------------- #
# Aggregation and report
# --------------------------------------------------------------------------- #

METRICS = ["accepted_rps", "delivered_rps", "cpu_us_per_req", "p50_ms", "p99_ms", "rss_mib", "non2xx",
           "other_cpu_pct"]


def median_or_none(vals: list) -> float | None:
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def aggregate(records: list[dict], scenarios: list[str], conns_list: list[int]) -> dict:
    agg: dict = {}
    for sc in scenarios:
        for c in conns_list:
            runs = [r for r in records if r["scenario"] == sc and r["conns"] == c]
            ok = [r for r in runs if "error" not in r]
            a = {"runs": len(runs), "failed": len(runs) - len(ok)}
            for m in METRICS:
                a[m] = median_or_none([r.get(m) for r in ok])
            drops = [r["drops"] for r in ok if r.get("drops") is not None]
            a["drops"] = max(drops) if drops else None  # worst rep
            a["errors"] = [r["error"] for r in runs if "error" in r]
            agg[f"{sc}/{c}"] = a
    return agg


def fmt(v: float | None, digits: int = 0) -> str:
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def delivered_cell(a: dict) -> str:
    if a["delivered_rps"] is None:
        return "—"
    cell = fmt(a["delivered_rps"])
    if a["drops"]:
        cell += f" (DROPS {a['drops']:,})"
    return cell


def ratio_cell(num: dict | None, den: dict | None, key: str, target: float, drops_matter: bool) -> str:
    if not num or not den or num.get(key) is None or not den.get(key):
        return "—"
    r = num[key] / den[key]
    mark = "ok" if r >= target else "BELOW TARGET"
    cell = f"{r:.2f} ({mark})"
    if drops_matter and ((num.get("drops") or 0) > 0 or (den.get("drops") or 0) > 0):
        cell += " [drops: not a throughput figure]"
    return cell


def report(meta: dict, agg: dict, scenarios: list[str], conns_list: list[int]) -> str:
    out = ["# Falconer benchmark", ""]
    busy = "?" if meta["busy_before"] is None else f"{meta['busy_before']:.0%}"
    pinning = (
        f"pinning server→CPU{meta['server_cpu']}, wrk+sinks→CPU{meta['load_cpu']}"
        if meta["pinned"]
        else "no pinning"
    )
    out.append(
        f"{meta['date']} · {meta['cpus']} CPUs ({meta['cpu_model']}) · "
        f"{pinning} · {meta['reps']} rep(s) × {meta['duration']}s · {meta['sinks']} sink(s) · "
        f"{meta['alert_bytes']} B alert · CPUs {busy} busy before start · "
        "median of reps (drops: worst rep)"
    )
    out += ["", "| scenario | conns | accepted req/s | delivered ev/s | drops | non-2xx | CPU µs/req | p50 ms | p99 ms | peak RSS MiB | other CPU % |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for sc in scenarios:
        for c in conns_list:
            a = agg[f"{sc}/{c}"]
            if a["failed"] == a["runs"]:
                out.append(f"| {sc} | {c} | FAILED | | | | | | | | |")
                continue
            failed = f" ({a['failed']} failed)" if a["failed"] else ""
            out.append(
                f"| {sc}{failed} | {c} | {fmt(a['accepted_rps'])} | {delivered_cell(a)} | {fmt(a['drops'])} | "
                f"{fmt(a['non2xx'])} | {fmt(a['cpu_us_per_req'], 1)} | {fmt(a['p50_ms'], 2)} | "
                f"{fmt(a['p99_ms'], 2)} | {fmt(a['rss_mib'], 1)} | {fmt(a['other_cpu_pct'])} |"
            )
    ratios = []
    if "falconer-null" in scenarios and "parse" in scenarios:
        ratios.append(("Falconer-null ÷ parse (accepted req/s)", "falconer-null", "parse", "accepted_rps", 0.85, False))
    if "falconer-webhook" in scenarios and "forward" in scenarios:
        ratios.append(("Falconer-webhook ÷ forward (delivered ev/s)", "falconer-webhook", "forward", "delivered_rps", 1.0, True))
    if ratios:
        out += ["", "| ratio | target | " + " | ".join(f"c={c}" for c in conns_list) + " |",
                "|---|---:|" + "---:|" * len(conns_list)]
        for label, num, den, key, target, dm in ratios:
            cells = [ratio_cell(agg.get(f"{num}/{c}"), agg.get(f"{den}/{c}"), key, target, dm) for c in conns_list]
            out.append(f"| {label} | ≥ {target:.2f} | " + " | ".join(cells) + " |")
    errors = [(k, e) for k, a in agg.items() for e in a["errors"]]
    if errors:
        out += ["", "Errors:", ""]
        out += [f"- `{k}`: {' ⏎ '.join(e.splitlines())[:400]}" for k, e in errors]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- #
# Setup
# --------------------------------------------------------------------------- #


def target_dir() -> Path:
    td = os.environ.get("CARGO_TARGET_DIR")
    if not td:
        return REPO_ROOT / "target"
    p = Path(td)
    return p if p.is_absolute() else REPO_ROOT / p


def build(packages: list[str]) -> None:
    argv = ["cargo", "build", "--release"]
    for p in packages:
        argv += ["-p", p]
    log("$ " + " ".join(argv))
    subprocess.run(argv, cwd=REPO_ROOT, check=True)


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit("wrk not found: install it (Debian/Ubuntu: apt-get install wrk)")
    log("wrk not found; installing with apt-get")
    subprocess.run(["apt-get", "update"], check=True)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
    path = shutil.which("wrk")
    if not path:
        sys.exit("wrk still not found after apt-get install")
    return path


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return total - idle, total


def busy_fraction(interval: float = 1.0) -> float | None:
    """Share of all CPUs busy during `interval` seconds (other work on the box)."""
    try:
        b0, t0 = _cpu_times()
        time.sleep(interval)
        b1, t1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    return (b1 - b0) / (t1 - t0) if t1 > t0 else None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conns", default=None, help="comma-separated wrk connection counts (default 1,8,32,128)")
    ap.add_argument("--duration", type=int, default=None, help="seconds per wrk run (default 10)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions; the median is reported (default 3)")
    ap.add_argument("--sinks", type=int, default=3, help="counting sinks for forward/falconer-webhook (default 3)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 rep, 3 s, conns 8,128")
    ap.add_argument("--only", default=None,
                    help="comma-separated scenarios: " + ",".join(SCENARIOS) + " (or a,b,c,d1,d2)")
    ap.add_argument("--no-build", action="store_true", help="skip cargo build; use existing binaries")
    ap.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    ap.add_argument("--timeout", default="10s", help="wrk per-request timeout (default 10s)")
    ap.add_argument("--out", default=str(RESULTS_DIR), help="results directory (default bench/results)")
    args = ap.parse_args(argv)
    args.conns = args.conns or ("8,128" if args.quick else "1,8,32,128")
    args.duration = args.duration or (3 if args.quick else 10)
    args.reps = args.reps or (1 if args.quick else 3)
    args.conns_list = [int(c) for c in args.conns.split(",") if c.strip()]
    if args.only:
        sel = {ALIASES.get(s.strip(), s.strip()) for s in args.only.split(",") if s.strip()}
        unknown = sel - set(SCENARIOS)
        if unknown:
            ap.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
        args.scenarios = [s for s in SCENARIOS if s in sel]
    else:
        args.scenarios = list(SCENARIOS)
    if args.sinks < 1:
        ap.error("--sinks must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    want_falconer = any(s in FALCONER_SCENARIOS for s in args.scenarios)

    if not args.no_build:
        build((["falconer"] if want_falconer else []) + ["falconer-bench-refservers"])
    tdir = target_dir() / "release"
    refserver = tdir / "refserver"
    falconer = tdir / "falconer" if want_falconer else None
    for b in filter(None, [refserver, falconer]):
        if not b.is_file():
            sys.exit(f"binary not found: {b} (build it or drop --no-build)")
    wrk = ensure_wrk()
    cpus = sorted(os.sched_getaffinity(0))
    ncpu = len(cpus)
    pin = not args.no_pin and ncpu >= 2 and shutil.which("taskset") is not None
    server_cpu, load_cpu = (cpus[0], cpus[1]) if ncpu >= 2 else (cpus[0], cpus[0])

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    log_dir = Path(tempfile.mkdtemp(prefix="falconer-bench-"))
    env = Env(refserver=refserver, falconer=falconer, wrk=wrk, pin=pin, server_cpu=server_cpu,
              load_cpu=load_cpu, log_dir=log_dir,
              duration=args.duration, sinks=args.sinks, timeout=args.timeout)
    meta = {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": ncpu,
        "cpu_model": cpu_model(),
        "pinned": pin,
        "server_cpu": server_cpu if pin else None,
        "load_cpu": load_cpu if pin else None,
        "busy_before": busy_fraction(),
        "reps": args.reps,
        "duration": args.duration,
        "sinks": args.sinks,
        "conns": args.conns_list,
        "scenarios": args.scenarios,
        "alert_bytes": ALERT_JSON.stat().st_size,
        "wrk_timeout": args.timeout,
    }
    log(f"logs: {log_dir}")
    if (meta["busy_before"] or 0) > 0.10:
        log(f"warning: CPUs {meta['busy_before']:.0%} busy before start; "
            "other work on this machine will skew absolute numbers")
    records: list[dict] = []
    total = args.reps * len(args.conns_list) * len(args.scenarios)
    try:
        for rep in range(1, args.reps + 1):
            for conns in args.conns_list:
                for sc in args.scenarios:
                    log(f"[{len(records) + 1}/{total}] rep {rep} conns {conns} {sc}")
                    rec = run_once(env, sc, conns, rep)
                    records.append(rec)
                    if "error" not in rec:
                        d = "" if rec["delivered_rps"] is None else f" delivered/s {rec['delivered_rps']:,.0f} drops {rec['drops']}"
                        log(f"    accepted/s {rec['accepted_rps']:,.0f}{d} non2xx {rec['non2xx']} "
                            f"cpu {fmt(rec['cpu_us_per_req'], 1)} µs/req p99 {rec['p99_ms']:.2f} ms")
    except KeyboardInterrupt:
        log("interrupted; reporting what was measured")
    finally:
        env.stop_all()

    agg = aggregate(records, args.scenarios, args.conns_list)
    md = report(meta, agg, args.scenarios, args.conns_list)
    print(md, end="")
    (out_dir / "latest.md").write_text(md)
    (out_dir / "latest.json").write_text(
        json.dumps({"meta": meta, "summary": agg, "runs": records}, indent=2) + "\n"
    )
    failed = sum(1 for r in records if "error" in r)
    if failed:
        log(f"{failed} run(s) failed; logs kept in {log_dir}")
    else:
        shutil.rmtree(log_dir, ignore_errors=True)
    log(f"wrote {out_dir / 'latest.md'} and {out_dir / 'latest.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
