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

Delivery suite (`--suite delivery`, see bench/README.md "Delivery benchmarks"):

  forward / spool-off / spool-on   wrk load; N webhook outputs without and with
                                   the durable spool, against the forwarder
  fail-spool-off / fail-spool-on   paced load to one output whose sink fails
                                   every 10th request; delivered-unique / sent
  down                             paced load to two outputs, one unreachable,
                                   for --down-seconds; RSS sampled every second

Usage:
  python3 bench/run.py                  # full run (3 reps, 10 s, conns 1,8,32,128)
  python3 bench/run.py --quick          # smoke run (1 rep, 3 s, conns 8,128)
  python3 bench/run.py --only bare,parse,forward
  python3 bench/run.py --suite delivery --quick

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
import threading
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
# Delivery suite: wrk scenarios (interleaved like the core ones), then checks.
DELIVERY_WRK = ["forward", "spool-off", "spool-on"]
DELIVERY_CHECKS = ["fail-spool-off", "fail-spool-on", "down"]
DELIVERY_SCENARIOS = DELIVERY_WRK + DELIVERY_CHECKS
FALCONER_SCENARIOS = {"falconer-null", "falconer-webhook", "spool-off", "spool-on"}
SINK_SCENARIOS = {"forward", "falconer-webhook", "spool-off", "spool-on"}
SPOOL_BYTES = 1 << 30
SPOOL_RETRY = "{maxattempts: 0, initialbackoff: 50ms, maxbackoff: 1s}"

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
    drain_limit: float = 10.0
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
        """Stops every process started so far (by PID), then removes Falconer data dirs."""
        while self.procs:
            proc = self.procs.pop()
            try:
                proc.stop()
            except Exception as e:  # never let cleanup mask the real error
                log(f"warning: stopping {proc.name} (pid {proc.pid}): {e}")
        # Spools and dead letters can be hundreds of MB; logs and configs stay.
        for datadir in self.log_dir.glob("*-data"):
            shutil.rmtree(datadir, ignore_errors=True)


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


def falconer_config(port: int, sink_ports: list[int], datadir: Path, spool: bool = False) -> str:
    """Falconer YAML: a `null` output, or one webhook output per sink port.

    `spool` turns on each output's durable spool (1 GiB, unlimited retries
    with 50 ms..1 s backoff), as the delivery suite's `spool-on` does.
    """
    lines = [f"listenaddress: {LOOPBACK}", f"listenport: {port}", f"datadir: {datadir}", "outputs:"]
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
        if spool:
            lines += [f"    spool: {{enabled: true, maxbytes: {SPOOL_BYTES}}}", f"    retry: {SPOOL_RETRY}"]
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


def last_arrival(ports: list[int]) -> float | None:
    """Wall-clock time (s since the epoch) of the last request any of the sinks accepted."""
    last = max(get_json(f"http://{LOOPBACK}:{p}/count").get("last_us", 0) for p in ports)
    return last / 1e6 if last else None


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


def run_once(env: Env, scenario: str, conns: int, rep: int, sinks: int | None = None) -> dict:
    """Runs one wrk scenario at one connection count; returns its raw record.

    `sinks` overrides `env.sinks` (the number of outputs / forwarder sinks).
    """
    n_sinks = (sinks or env.sinks) if scenario in SINK_SCENARIOS else 0
    port, *sink_ports = free_ports(1 + n_sinks)
    tag = f"{scenario}-s{n_sinks}-c{conns}-r{rep}"
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
            datadir = env.log_dir / f"{tag}-data"
            cfg_path.write_text(falconer_config(port, sink_ports, datadir, spool=scenario == "spool-on"))
            server = env.start(tag, [str(env.falconer), "-c", str(cfg_path)], role="server")
            wait_ready(server, f"http://{LOOPBACK}:{port}/ping", expect_body=b"pong")

        own = [server, *sinks]
        noise0 = _noise_sample(own)
        cpu0 = proc_cpu_seconds(server.pid)
        started = time.time()
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
        elif scenario in SINK_SCENARIOS:
            expected = accepted * n_sinks

        delivered = None
        drain_s = 0.0
        # What arrived is divided by the time it took to arrive: from the start of the load
        # to the last arrival at a sink (never less than the load's duration). A server that
        # accepts faster than it delivers and finishes after the load is not credited with
        # the deliveries of its drain as if they had happened during the load.
        window = dur
        if sink_ports:
            delivered, drain_s = drain(sink_ports, expected, limit=env.drain_limit)
            last = last_arrival(sink_ports)
            if last is not None:
                window = max(dur, last - started)
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
            delivered_rps=None if delivered is None else delivered / window,
            delivery_s=round(window, 3),
            drops=drops,
            metrics_dropped=metrics_dropped,
            drain_s=round(drain_s, 2),
            cpu_s=None if cpu0 is None or cpu1 is None else cpu1 - cpu0,
            cpu_us_per_req=None if cpu0 is None or cpu1 is None or not accepted
            else (cpu1 - cpu0) * 1e6 / accepted,
            cpu_us_per_event=None if cpu0 is None or cpu1 is None or not delivered
            else (cpu1 - cpu0) * 1e6 / delivered,
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

METRICS = ["accepted_rps", "delivered_rps", "delivery_s", "cpu_us_per_req", "p50_ms", "p99_ms", "rss_mib", "non2xx",
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
    if a.get("delivery_s"):
        cell += f" in {a['delivery_s']:.2f} s"
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
# Delivery suite: helpers
# --------------------------------------------------------------------------- #


def parse_samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Prometheus text format → [(name, labels, value)] (simple label values only)."""
    samples = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        labels: dict[str, str] = {}
        if "{" in line:
            name = line[: line.index("{")]
            inner = line[line.index("{") + 1 : line.rindex("}")]
            for part in inner.split('",'):
                if "=" in part:
                    k, v = part.split("=", 1)
                    labels[k.strip()] = v.strip().strip('"')
            rest = line[line.rindex("}") + 1 :].split()
        else:
            name, *rest = line.split()
        try:
            samples.append((name, labels, float(rest[0])))
        except (IndexError, ValueError):
            continue
    return samples


def falconer_samples(port: int) -> list[tuple[str, dict[str, str], float]]:
    """Falconer's `/metrics` as samples ([] if it does not answer)."""
    try:
        status, body = http("GET", f"http://{LOOPBACK}:{port}/metrics")
    except OSError:
        return []
    return parse_samples(body.decode(errors="replace")) if status == 200 else []


def msum(samples: list, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    return sum(v for n, lab, v in samples if n == name and all(lab.get(k) == x for k, x in labels.items()))


def sink_counts(port: int) -> dict:
    """A counting sink's `/count` document."""
    return get_json(f"http://{LOOPBACK}:{port}/count")


def start_sink(env: Env, name: str, port: int, *extra: str) -> Proc:
    """Starts a counting sink (on the load CPU) and waits until it answers."""
    sink = env.start(name, [str(env.refserver), "sink", "--port", str(port), "--threads", "1", *extra],
                     role="load")
    wait_ready(sink, f"http://{LOOPBACK}:{port}/count")
    return sink


def start_falconer(env: Env, name: str, port: int, yaml: str) -> Proc:
    """Writes `yaml` to the log directory, starts Falconer on the server CPU, waits for /ping."""
    cfg_path = env.log_dir / f"{name}.yaml"
    cfg_path.write_text(yaml)
    assert env.falconer is not None
    server = env.start(name, [str(env.falconer), "-c", str(cfg_path)], role="server")
    wait_ready(server, f"http://{LOOPBACK}:{port}/ping", expect_body=b"pong")
    return server


def proc_rss_kib(pid: int) -> int | None:
    """Current resident set size (VmRSS) of a process, in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of `values` (None if empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(pct / 100 * len(ordered))) - 1))]


# --------------------------------------------------------------------------- #
# Delivery suite: a bounded-rate load generator (Debian's wrk has no -R)
# --------------------------------------------------------------------------- #


@dataclass
class PacedLoad:
    """What a paced load run sent and got back."""

    sent: int = 0
    ok: int = 0
    non2xx: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    duration_s: float = 0.0


def _read_response(f) -> int:
    """Reads one HTTP/1.1 response from the buffered socket file; returns its status."""
    status_line = f.readline()
    if not status_line:
        raise OSError("connection closed")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while True:
        line = f.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        key, _, value = line.decode("latin-1").partition(":")
        key = key.strip().lower()
        if key == "content-length":
            length = int(value.strip())
        elif key == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int(f.readline().split(b";")[0].strip() or b"0", 16)
            f.read(size + 2)
            if size == 0:
                break
    elif length:
        f.read(length)
    return status


def _paced_connection(port: int, request: bytes, interval: float, start: float, deadline: float,
                      cpu: int | None, out: PacedLoad, lock) -> None:
    """One keep-alive connection sending a request every `interval` s from `start` until `deadline`."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})  # this thread only
    sock, f = None, None
    sent = ok = non2xx = errors = 0
    lat: list[float] = []
    k = 0
    while True:
        due = start + k * interval
        if due >= deadline:
            break
        k += 1
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        try:
            if sock is None:
                sock = socket.create_connection((LOOPBACK, port), timeout=5)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                f = sock.makefile("rb")
            t0 = time.monotonic()
            sock.sendall(request)
            sent += 1
            status = _read_response(f)
            lat.append((time.monotonic() - t0) * 1000)
            if 200 <= status < 300:
                ok += 1
            else:
                non2xx += 1
        except (OSError, ValueError, IndexError):
            errors += 1
            if sock is not None:
                sock.close()
            sock, f = None, None
    if sock is not None:
        sock.close()
    with lock:
        out.sent += sent
        out.ok += ok
        out.non2xx += non2xx
        out.errors += errors
        out.latencies_ms.extend(lat)


def paced_load(env: Env, port: int, rate: float, seconds: float, conns: int = 16) -> PacedLoad:
    """POSTs bench/alert.json at `rate` requests/s for `seconds` over `conns` connections.

    Each connection has one request in flight and a fixed schedule; a late
    request is sent at once, never skipped, so a server slower than
    `conns / rate` per request falls behind (the achieved rate is reported).
    Latency is measured from send to response (no coordinated-omission
    correction).
    """
    body = ALERT_JSON.read_bytes()
    request = (f"POST / HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    out, lock = PacedLoad(), threading.Lock()
    interval = conns / rate
    start = time.monotonic() + 0.05
    deadline = start + seconds
    cpu = env.load_cpu if env.pin else None
    threads = [
        threading.Thread(target=_paced_connection, daemon=True,
                         args=(port, request, interval, start + i * interval / conns, deadline, cpu, out, lock))
        for i in range(conns)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 30)
    out.duration_s = time.monotonic() - start
    return out


# --------------------------------------------------------------------------- #
# Delivery suite: settling
# --------------------------------------------------------------------------- #


def pending(samples: list, output: str) -> float:
    """Alerts an output still holds: queued + in flight (an alert in retry backoff is in flight)."""
    depth = msum(samples, "falconer_output_queue_depth", output=output)
    flight = msum(samples, "falconer_output_in_flight", output=output)
    return depth + flight


def settle(port: int, outputs: list[str], limit: float) -> tuple[bool, float]:
    """Polls /metrics until every output in `outputs` has no queued or in-flight alert.

    Settled means zero for 0.5 s (polled every 0.25 s). Returns (settled,
    seconds). `falconer_output_spool_bytes` is not used: it is refreshed on
    ingest, not on acknowledgement, so it stays up once the load stops.
    """
    start = time.monotonic()
    zero_since = None
    while time.monotonic() - start < limit:
        samples = falconer_samples(port)
        busy = sum(pending(samples, o) for o in outputs)
        now = time.monotonic()
        if samples and busy == 0:
            zero_since = zero_since or now
            if now - zero_since >= 0.5:
                return True, now - start
        else:
            zero_since = None
        time.sleep(0.25)
    return False, time.monotonic() - start


def output_accounting(samples: list, output: str) -> dict:
    """Per-output figures from /metrics."""
    return {
        "delivered": int(msum(samples, "falconer_output_deliveries_total", output=output, status="ok")),
        "deliveries_by_status": {lab.get("status", ""): int(v) for n, lab, v in samples
                                 if n == "falconer_output_deliveries_total" and lab.get("output") == output},
        "dropped": int(msum(samples, "falconer_output_dropped_total", output=output)),
        "dropped_by_reason": {lab.get("reason", ""): int(v) for n, lab, v in samples
                              if n == "falconer_output_dropped_total" and lab.get("output") == output and v},
        "dead_letters": int(msum(samples, "falconer_output_dead_letters_total", output=output)),
        "retries": int(msum(samples, "falconer_output_retries_total", output=output)),
        "attempts": int(msum(samples, "falconer_output_attempts_total", output=output)),
        "queued": int(msum(samples, "falconer_output_queue_depth", output=output)),
        "in_flight": int(msum(samples, "falconer_output_in_flight", output=output)),
        "spool_bytes": int(msum(samples, "falconer_output_spool_bytes", output=output)),
    }


# --------------------------------------------------------------------------- #
# Delivery suite: the checks
# --------------------------------------------------------------------------- #

DELIVERY_COMMON = "maxconcurrentrequests: 8"


def fail_config(port: int, sink_port: int, datadir: Path, spool: bool) -> str:
    """One webhook output with unlimited retries (50 ms..1 s), optionally spooled."""
    lines = [
        f"listenaddress: {LOOPBACK}", f"listenport: {port}", f"datadir: {datadir}",
        "shutdown: {graceperiod: 2s}", "outputs:",
        "  - name: flaky", "    type: webhook", f"    address: http://{LOOPBACK}:{sink_port}/",
        f"    {DELIVERY_COMMON}", f"    retry: {SPOOL_RETRY}",
    ]
    if spool:
        lines.append(f"    spool: {{enabled: true, maxbytes: {SPOOL_BYTES}}}")
    return "\n".join(lines) + "\n"


def run_fail(env: Env, opts: argparse.Namespace, spool: bool, rep: int) -> dict:
    """Paced load into one output whose sink answers every Nth request with 500.

    After the load, waits for the output to settle (bounded), then compares
    the distinct alert uuids at the sink with the alerts Falconer accepted.
    """
    name = f"fail-spool-{'on' if spool else 'off'}"
    tag = f"{name}-r{rep}"
    rec: dict = {"scenario": name, "rep": rep, "rate": opts.rate, "seconds": opts.duration,
                 "fail_every": opts.fail_every}
    try:
        port, sink_port = free_ports(2)
        start_sink(env, f"{tag}-sink", sink_port, "--fail-every", str(opts.fail_every), "--unique")
        server = start_falconer(env, tag, port, fail_config(port, sink_port, env.log_dir / f"{tag}-data", spool))
        cpu0 = proc_cpu_seconds(server.pid)
        load = paced_load(env, port, opts.rate, opts.duration)
        settled, settle_s = settle(port, ["flaky"], opts.settle_timeout)
        time.sleep(0.3)  # let the last 2xx answers reach the sink's counters
        samples = falconer_samples(port)
        sink = sink_counts(sink_port)
        cpu1 = proc_cpu_seconds(server.pid)
        accepted = int(msum(samples, "falconer_alerts_total"))
        acct = output_accounting(samples, "flaky")
        rec.update(
            sent=load.sent, ok=load.ok, non2xx=load.non2xx, load_errors=load.errors,
            accepted=accepted, sink=sink, output=acct, settled=settled, settle_s=round(settle_s, 2),
            unique=sink["unique"], duplicates=sink["alerts"] - sink["unique"],
            unique_ratio=sink["unique"] / accepted if accepted else None,
            p50_ms=percentile(load.latencies_ms, 50), p99_ms=percentile(load.latencies_ms, 99),
            cpu_us_per_event=None if cpu0 is None or cpu1 is None or not sink["unique"]
            else (cpu1 - cpu0) * 1e6 / sink["unique"],
        )
        log(f"    accepted {accepted} unique {sink['unique']} dup {rec['duplicates']} 500s {sink['rejected']} "
            f"retries {acct['retries']} settled {settled} in {settle_s:.1f}s")
    except Exception as e:
        rec["error"] = str(e)
        log(f"  ERROR {tag}: {e}")
    finally:
        env.stop_all()
    return rec


def down_config(port: int, healthy_port: int, down_port: int, datadir: Path, capacity: int) -> str:
    """Two webhook outputs with default retry/breaker settings; `down` points at a closed port."""
    lines = [f"listenaddress: {LOOPBACK}", f"listenport: {port}", f"datadir: {datadir}",
             "shutdown: {graceperiod: 2s}", "outputs:"]
    for name, p in (("healthy", healthy_port), ("down", down_port)):
        lines += [f"  - name: {name}", "    type: webhook", f"    address: http://{LOOPBACK}:{p}/",
                  f"    {DELIVERY_COMMON}", f"    queue: {{capacity: {capacity}}}"]
    return "\n".join(lines) + "\n"


def sample_rss(pid: int, port: int, output: str, seconds: float, load_thread) -> list[tuple[float, int, int]]:
    """(t, VmRSS KiB, alerts `output` holds) every second while `load_thread` runs (≤ `seconds` + 30 s)."""
    out = []
    start = time.monotonic()
    while load_thread.is_alive() and time.monotonic() - start < seconds + 30:
        rss = proc_rss_kib(pid)
        if rss is not None:
            held = int(pending(falconer_samples(port), output))
            out.append((round(time.monotonic() - start, 1), rss, held))
        load_thread.join(timeout=1.0)
    return out


def run_down(env: Env, opts: argparse.Namespace, rep: int) -> dict:
    """Paced load into two outputs, one of them unreachable, for `--down-seconds`.

    Samples the server's RSS every second and checks it stays below
    baseline + capacity × alert size × `--rss-factor`; the healthy output
    must deliver every accepted alert.
    """
    tag = f"down-r{rep}"
    alert_bytes = ALERT_JSON.stat().st_size
    rec: dict = {"scenario": "down", "rep": rep, "rate": opts.rate, "seconds": opts.down_seconds,
                 "capacity": opts.down_capacity, "alert_bytes": alert_bytes, "rss_factor": opts.rss_factor}
    try:
        port, healthy_port, down_port = free_ports(3)  # nothing ever listens on down_port
        start_sink(env, f"{tag}-sink", healthy_port, "--unique")
        server = start_falconer(env, tag, port, down_config(port, healthy_port, down_port,
                                                            env.log_dir / f"{tag}-data", opts.down_capacity))
        time.sleep(0.5)
        baseline = proc_rss_kib(server.pid) or 0
        result: dict = {}
        loader = threading.Thread(target=lambda: result.update(load=paced_load(env, port, opts.rate,
                                                                                 opts.down_seconds)), daemon=True)
        loader.start()
        rss = sample_rss(server.pid, port, "down", opts.down_seconds, loader)
        load: PacedLoad = result.get("load") or PacedLoad()
        settled, settle_s = settle(port, ["healthy"], opts.settle_timeout)
        time.sleep(0.3)
        samples = falconer_samples(port)
        sink = sink_counts(healthy_port)
        accepted = int(msum(samples, "falconer_alerts_total"))
        bound = baseline + opts.down_capacity * alert_bytes * opts.rss_factor / 1024
        max_rss = max((r for _, r, _ in rss), default=None)
        max_held = max((h for _, _, h in rss), default=0)
        full_at = next((t for t, _, h in rss if h >= opts.down_capacity), None)
        half = [r for t, r, _ in rss if t >= opts.down_seconds / 2]
        rec.update(
            sent=load.sent, ok=load.ok, non2xx=load.non2xx, load_errors=load.errors, accepted=accepted,
            healthy_unique=sink["unique"], healthy_ratio=sink["unique"] / accepted if accepted else None,
            duplicates=sink["alerts"] - sink["unique"], settled=settled, settle_s=round(settle_s, 2),
            baseline_kib=baseline, max_rss_kib=max_rss, bound_kib=int(bound),
            within_bound=None if max_rss is None else max_rss <= bound,
            rss_first_half_max_kib=max((r for t, r, _ in rss if t < opts.down_seconds / 2), default=None),
            rss_second_half_max_kib=max(half, default=None),
            max_held=max_held,
            full_at_s=full_at,
            rss_growth_after_full_kib=None if full_at is None
            else max(r for t, r, _ in rss if t >= full_at) - next(r for t, r, _ in rss if t >= full_at),
            bytes_per_queued_alert=None if max_rss is None or not max_held
            else (max_rss - baseline) * 1024 / max_held,
            rss_samples=rss, healthy=output_accounting(samples, "healthy"), down=output_accounting(samples, "down"),
            p99_ms=percentile(load.latencies_ms, 99),
        )
        log(f"    accepted {accepted} healthy unique {sink['unique']} max RSS {fmt((max_rss or 0) / 1024, 1)} MiB "
            f"(baseline {baseline / 1024:.1f}, bound {bound / 1024:.1f}) down: {rec['down']['dropped_by_reason']}")
    except Exception as e:
        rec["error"] = str(e)
        log(f"  ERROR {tag}: {e}")
    finally:
        env.stop_all()
    return rec


# --------------------------------------------------------------------------- #
# Delivery suite: aggregation and report
# --------------------------------------------------------------------------- #

DELIVERY_METRICS = ["accepted_rps", "delivered_rps", "delivery_s", "cpu_us_per_event", "p50_ms", "p99_ms", "rss_mib",
                    "non2xx", "other_cpu_pct"]


def aggregate_delivery(records: list[dict], scenarios: list[str], sinks_list: list[int],
                       conns_list: list[int]) -> dict:
    """Median over reps of the wrk scenarios, keyed `scenario/sinks/conns` (drops: worst rep)."""
    agg: dict = {}
    for sc in scenarios:
        for n in sinks_list:
            for c in conns_list:
                runs = [r for r in records if r["scenario"] == sc and r["sinks"] == n and r["conns"] == c]
                ok = [r for r in runs if "error" not in r]
                a = {"runs": len(runs), "failed": len(runs) - len(ok)}
                for m in DELIVERY_METRICS:
                    a[m] = median_or_none([r.get(m) for r in ok])
                drops = [r["drops"] for r in ok if r.get("drops") is not None]
                a["drops"] = max(drops) if drops else None
                a["errors"] = [r["error"] for r in runs if "error" in r]
                agg[f"{sc}/{n}/{c}"] = a
    return agg


def simple_ratio(num: dict | None, den: dict | None, key: str, drops_matter: bool = True) -> str:
    """`num[key] / den[key]`, flagged when either side dropped alerts."""
    if not num or not den or num.get(key) is None or not den.get(key):
        return "—"
    cell = f"{num[key] / den[key]:.2f}"
    if drops_matter and ((num.get("drops") or 0) > 0 or (den.get("drops") or 0) > 0):
        cell += " [drops]"
    return cell


def delivery_throughput_md(agg: dict, scenarios: list[str], sinks_list: list[int], conns_list: list[int]) -> list[str]:
    """The wrk table and its ratios."""
    out = ["## Spool off vs spool on (wrk, counted at the sinks)", "",
           "| scenario | outputs | conns | accepted req/s | delivered ev/s | drops | non-2xx | CPU µs/event | "
           "p50 ms | p99 ms | peak RSS MiB | other CPU % |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sinks_list:
        for c in conns_list:
            for sc in scenarios:
                a = agg[f"{sc}/{n}/{c}"]
                if a["failed"] == a["runs"]:
                    out.append(f"| {sc} | {n} | {c} | FAILED | | | | | | | | |")
                    continue
                out.append(
                    f"| {sc} | {n} | {c} | {fmt(a['accepted_rps'])} | {delivered_cell(a)} | {fmt(a['drops'])} | "
                    f"{fmt(a['non2xx'])} | {fmt(a['cpu_us_per_event'], 1)} | {fmt(a['p50_ms'], 2)} | "
                    f"{fmt(a['p99_ms'], 2)} | {fmt(a['rss_mib'], 1)} | {fmt(a['other_cpu_pct'])} |")
    pairs = [("spool-off", "forward"), ("spool-on", "forward"), ("spool-on", "spool-off")]
    pairs = [(x, y) for x, y in pairs if x in scenarios and y in scenarios]
    if pairs:
        out += ["", "| ratio | outputs | conns | delivered ev/s | CPU µs/event | p99 ms |", "|---|---:|---:|---:|---:|---:|"]
        for x, y in pairs:
            for n in sinks_list:
                for c in conns_list:
                    num, den = agg.get(f"{x}/{n}/{c}"), agg.get(f"{y}/{n}/{c}")
                    out.append(f"| {x} ÷ {y} | {n} | {c} | {simple_ratio(num, den, 'delivered_rps')} | "
                               f"{simple_ratio(num, den, 'cpu_us_per_event', False)} | "
                               f"{simple_ratio(num, den, 'p99_ms', False)} |")
    return out


def pct(v: float | None) -> str:
    """A ratio as a percentage; exactly 1 prints as "100%"."""
    if v is None:
        return "—"
    return "100%" if v == 1 else f"{v * 100:.3f}%"


def delivery_fail_md(records: list[dict]) -> list[str]:
    """The failing-sink table."""
    rows = [r for r in records if r["scenario"].startswith("fail-")]
    if not rows:
        return []
    r0 = rows[0]
    out = [f"## Sink failing every {r0['fail_every']}th request (paced {r0['rate']:,.0f} req/s × {r0['seconds']} s)", "",
           "| scenario | rep | accepted | unique at sink | unique ÷ accepted | duplicates | sink 500s | retries | "
           "dead letters | dropped | settled in s | p99 ms |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['scenario']} | {r['rep']} | FAILED: {r['error'].splitlines()[0][:80]} | | | | | | | | | |")
            continue
        settled = fmt(r["settle_s"], 1) if r["settled"] else f"NOT SETTLED ({fmt(r['settle_s'], 0)})"
        out.append(
            f"| {r['scenario']} | {r['rep']} | {r['accepted']:,} | {r['unique']:,} | {pct(r['unique_ratio'])} | "
            f"{r['duplicates']:,} | {r['sink']['rejected']:,} | {r['output']['retries']:,} | "
            f"{r['output']['dead_letters']:,} | {r['output']['dropped']:,} | {settled} | {fmt(r['p99_ms'], 2)} |")
    return out


def delivery_down_md(records: list[dict]) -> list[str]:
    """The output-down table."""
    rows = [r for r in records if r["scenario"] == "down"]
    if not rows:
        return []
    r0 = rows[0]
    out = [f"## One of two outputs down ({r0['seconds']} s, paced {r0['rate']:,.0f} req/s, "
           f"queue.capacity {r0['capacity']:,}, alert {r0['alert_bytes']} B)", "",
           "| rep | accepted | healthy unique | healthy ÷ accepted | baseline RSS MiB | max RSS MiB "
           "(1st half / 2nd half) | bound MiB | within bound | down output held at most (full at) | "
           "RSS bytes per held alert | RSS growth after full MiB | down output at end: held / dropped / dead letters |",
           "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|"]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['rep']} | FAILED: {r['error'].splitlines()[0][:80]} |" + " |" * 10)
            continue

        def mib(key: str, r: dict = r) -> str:
            return fmt(None if r[key] is None else r[key] / 1024, 1)

        d = r["down"]
        full = "never full" if r["full_at_s"] is None else f"full at {r['full_at_s']:.0f} s"
        reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(d["dropped_by_reason"].items())) or "none"
        out.append(
            f"| {r['rep']} | {r['accepted']:,} | {r['healthy_unique']:,} | {pct(r['healthy_ratio'])} | "
            f"{mib('baseline_kib')} | {mib('max_rss_kib')} ({mib('rss_first_half_max_kib')} / "
            f"{mib('rss_second_half_max_kib')}) | {mib('bound_kib')} (×{r['rss_factor']:g}) | "
            f"{'yes' if r['within_bound'] else 'NO'} | {r['max_held']:,} "
            f"({full}) | "
            f"{fmt(r['bytes_per_queued_alert'])} | {mib('rss_growth_after_full_kib')} | "
            f"{d['queued'] + d['in_flight']:,} / {d['dropped']:,} ({reasons}) / {d['dead_letters']:,} |")
    return out


def delivery_report(meta: dict, agg: dict, records: list[dict], opts: argparse.Namespace) -> str:
    """The delivery suite's Markdown report."""
    busy = "?" if meta["busy_before"] is None else f"{meta['busy_before']:.0%}"
    pinning = (f"pinning server→CPU{meta['server_cpu']}, load+sinks→CPU{meta['load_cpu']}"
               if meta["pinned"] else "no pinning")
    out = ["# Falconer delivery benchmark", "",
           f"{meta['date']} · {meta['cpus']} CPUs ({meta['cpu_model']}) · {pinning} · {meta['reps']} rep(s) · "
           f"wrk {meta['duration']}s · {meta['alert_bytes']} B alert · CPUs {busy} busy before start", ""]
    wrk_sc = [s for s in DELIVERY_WRK if s in opts.scenarios]
    if wrk_sc:
        out += delivery_throughput_md(agg, wrk_sc, opts.sinks_list, opts.conns_list) + [""]
    out += delivery_fail_md(records) + [""]
    out += delivery_down_md(records)
    errors = [(f"{r['scenario']}-r{r['rep']}", r["error"]) for r in records if "error" in r]
    if errors:
        out += ["", "Errors:", ""] + [f"- `{k}`: {' ⏎ '.join(e.splitlines())[:400]}" for k, e in errors]
    return "\n".join(out).rstrip() + "\n"


def run_delivery(env: Env, opts: argparse.Namespace) -> list[dict]:
    """Runs the delivery suite: per rep, the wrk scenarios interleaved, then the checks."""
    records: list[dict] = []
    wrk_sc = [s for s in DELIVERY_WRK if s in opts.scenarios]
    checks = [s for s in DELIVERY_CHECKS if s in opts.scenarios]
    total = opts.reps * (len(opts.sinks_list) * len(opts.conns_list) * len(wrk_sc) + len(checks))
    for rep in range(1, opts.reps + 1):
        for n in opts.sinks_list:
            for conns in opts.conns_list:
                for sc in wrk_sc:
                    log(f"[{len(records) + 1}/{total}] rep {rep} outputs {n} conns {conns} {sc}")
                    rec = run_once(env, sc, conns, rep, sinks=n)
                    records.append(rec)
                    if "error" not in rec:
                        log(f"    accepted/s {rec['accepted_rps']:,.0f} delivered/s {rec['delivered_rps']:,.0f} "
                            f"drops {rec['drops']} cpu {fmt(rec['cpu_us_per_event'], 1)} µs/ev "
                            f"p99 {rec['p99_ms']:.2f} ms")
        for sc in checks:
            log(f"[{len(records) + 1}/{total}] rep {rep} {sc}")
            if sc == "down":
                records.append(run_down(env, opts, rep))
            else:
                records.append(run_fail(env, opts, sc.endswith("-on"), rep))
    return records


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
    ap.add_argument("--suite", choices=["core", "delivery"], default="core",
                    help="core: ingest/delivery throughput vs reference servers (default); "
                         "delivery: spool, failing sink, output down")
    dg = ap.add_argument_group("delivery suite")
    dg.add_argument("--delivery-sinks", default="1,3",
                    help="webhook outputs (one sink each) for forward/spool-off/spool-on (default 1,3)")
    dg.add_argument("--rate", type=float, default=1000.0,
                    help="paced load, requests/s, for fail-* and down (default 1000)")
    dg.add_argument("--fail-every", type=int, default=10, help="failing sink answers every Nth POST with 500 (default 10)")
    dg.add_argument("--down-seconds", type=int, default=None, help="length of the output-down run (default 60; --quick 20)")
    dg.add_argument("--down-capacity", type=int, default=10000, help="queue.capacity of both outputs in `down` (default 10000)")
    dg.add_argument("--rss-factor", type=float, default=2.0,
                    help="RSS bound = baseline + capacity × alert size × this (default 2: a queued alert is held parsed)")
    dg.add_argument("--settle-timeout", type=float, default=60.0,
                    help="seconds to wait for queues/in-flight to reach 0 after the load (default 60)")
    args = ap.parse_args(argv)
    delivery = args.suite == "delivery"
    if delivery:
        args.conns = args.conns or "8,32"
        args.duration = args.duration or (5 if args.quick else 10)
        args.down_seconds = args.down_seconds or (20 if args.quick else 60)
    args.conns = args.conns or ("8,128" if args.quick else "1,8,32,128")
    args.duration = args.duration or (3 if args.quick else 10)
    args.reps = args.reps or (1 if args.quick else 3)
    args.conns_list = [int(c) for c in args.conns.split(",") if c.strip()]
    args.sinks_list = [int(c) for c in args.delivery_sinks.split(",") if c.strip()]
    known = DELIVERY_SCENARIOS if delivery else SCENARIOS
    if args.only:
        sel = {ALIASES.get(s.strip(), s.strip()) for s in args.only.split(",") if s.strip()}
        unknown = sel - set(known)
        if unknown:
            ap.error(f"unknown scenario(s) for --suite {args.suite}: {', '.join(sorted(unknown))}")
        args.scenarios = [s for s in known if s in sel]
    else:
        args.scenarios = list(known)
    if args.sinks < 1 or not args.sinks_list or min(args.sinks_list) < 1:
        ap.error("--sinks / --delivery-sinks must be >= 1")
    if args.rate <= 0 or args.fail_every < 0 or args.down_capacity < 1:
        ap.error("--rate and --down-capacity must be > 0, --fail-every >= 0")
    return args


def run_core(env: Env, args: argparse.Namespace) -> list[dict]:
    """Runs the core suite: per rep, per connection count, every scenario in turn."""
    records: list[dict] = []
    total = args.reps * len(args.conns_list) * len(args.scenarios)
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
    return records


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    delivery = args.suite == "delivery"
    want_falconer = delivery or any(s in FALCONER_SCENARIOS for s in args.scenarios)

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
              duration=args.duration, sinks=args.sinks, timeout=args.timeout,
              drain_limit=30.0 if delivery else 10.0)
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
    try:
        if delivery:
            records += run_delivery(env, args)
        else:
            records += run_core(env, args)
    except KeyboardInterrupt:
        log("interrupted; reporting what was measured")
    finally:
        env.stop_all()

    if delivery:
        meta.update(delivery_sinks=args.sinks_list, rate=args.rate, fail_every=args.fail_every,
                    down_seconds=args.down_seconds, down_capacity=args.down_capacity, rss_factor=args.rss_factor)
        wrk_sc = [s for s in DELIVERY_WRK if s in args.scenarios]
        agg = aggregate_delivery([r for r in records if "conns" in r], wrk_sc, args.sinks_list, args.conns_list)
        md = delivery_report(meta, agg, records, args)
        stem = "latest-delivery"
    else:
        agg = aggregate(records, args.scenarios, args.conns_list)
        md = report(meta, agg, args.scenarios, args.conns_list)
        stem = "latest"
    print(md, end="")
    (out_dir / f"{stem}.md").write_text(md)
    (out_dir / f"{stem}.json").write_text(
        json.dumps({"meta": meta, "summary": agg, "runs": records}, indent=2) + "\n"
    )
    failed = sum(1 for r in records if "error" in r)
    if failed:
        log(f"{failed} run(s) failed; logs kept in {log_dir}")
    else:
        shutil.rmtree(log_dir, ignore_errors=True)
    log(f"wrote {out_dir / (stem + '.md')} and {out_dir / (stem + '.json')}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
