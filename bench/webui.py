#!/usr/bin/env python3
"""The built-in event store: insert throughput through the `webui` output, then search and
count latency with the store holding `--events` alerts (1 million by default) on SQLite.

1. One Falconer with a `webui` output and the UI on its own port (auth explicitly off for
   the measurement; retention by count only, above the target). wrk posts bench/alert.json
   to ingest in rounds of `--duration` seconds until the store holds `--events` alerts
   (each alert gets its own UUID at ingest). Insert ev/s = alerts stored / (load + drain
   time), counted by the store itself (`/api/v1/events/count`), not by ingest.
2. With the store full and no load, each UI query runs `--queries` times in a row from one
   client; p50/p95/max latency per query.

Usage:
  python3 bench/webui.py                         # 1,000,000 events, 50 queries each
  python3 bench/webui.py --events 100000 --queries 20
Reuses bench/run.py's process handling, pinning and wrk driver.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import batching  # noqa: E402  (make_env())
import run as bench  # noqa: E402  (bench/run.py, the shared harness)

QUERIES = [
    ("search, newest page (limit 100)", "/api/v1/events/search?limit=100"),
    ("search, priority filter", "/api/v1/events/search?priority=Notice&limit=100"),
    ("search, rule + hostname", "/api/v1/events/search?rule=Terminal%20shell%20in%20container&hostname=ip-10-0-12-34.eu-west-1.compute.internal&limit=100"),
    ("search, a hostname with no events", "/api/v1/events/search?hostname=node-1&limit=100"),
    ("search, full text (filter=nginx)", "/api/v1/events/search?filter=nginx&limit=100"),
    ("search, page 100", "/api/v1/events/search?limit=100&page=100"),
    ("count, all", "/api/v1/events/count"),
    ("count by priority", "/api/v1/events/count/priority"),
    ("count by rule", "/api/v1/events/count/rule"),
    ("count by tags", "/api/v1/events/count/tags"),
]


def config(port: int, ui_port: int, datadir: Path, target: int) -> str:
    return "\n".join([
        f"listenaddress: {bench.LOOPBACK}", f"listenport: {port}", f"datadir: {datadir}",
        "shutdown: {graceperiod: 10s}",
        "ui:",
        f"  listenaddress: {bench.LOOPBACK}",
        f"  listenport: {ui_port}",
        "  auth: {disabled: true}",
        "  store:",
        "    retention: {maxage: 0s, maxevents: %d}" % (target * 2),
        "outputs:",
        "  - name: out",
        "    type: webui",
    ]) + "\n"


def stored(ui_port: int) -> int:
    return int(bench.get_json(f"http://{bench.LOOPBACK}:{ui_port}/api/v1/events/count")["statistics"]["all"])


def time_query(ui_port: int, path: str, n: int) -> dict:
    url = f"http://{bench.LOOPBACK}:{ui_port}{path}"
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        status, _ = bench.http("GET", url, timeout=60.0)
        lat.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise RuntimeError(f"{path}: status {status}")
    lat.sort()
    return {"p50_ms": statistics.median(lat), "p95_ms": lat[max(0, int(len(lat) * 0.95) - 1)], "max_ms": lat[-1]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--duration", type=int, default=20, help="seconds per wrk round")
    ap.add_argument("--conns", type=int, default=4)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--datadir", type=Path, default=None,
                    help="keep the store here (reused by a later run, which then only measures queries)")
    args = ap.parse_args()
    if not args.no_build:
        bench.build(["falconer"])
    env, meta = batching.make_env("webui", args.duration)
    meta.update(events=args.events, conns=args.conns)
    result: dict = {"meta": meta}
    try:
        port, ui_port = bench.free_ports(2)
        datadir = args.datadir or env.log_dir / "webui-data"
        server = bench.start_falconer(env, "webui", port, config(port, ui_port, datadir, args.events))
        bench.wait_ready(server, f"http://{bench.LOOPBACK}:{ui_port}/api/v1/healthz")
        cpu0 = bench.proc_cpu_seconds(server.pid)
        t0 = time.monotonic()
        accepted = rounds = 0
        while stored(ui_port) < args.events:
            rounds += 1
            wrk = bench.run_wrk(env, port, args.conns)
            accepted += wrk["ok"]
            bench.log(f"  round {rounds}: accepted {wrk['ok']:,} ({wrk['ok'] / wrk['duration_s']:,.0f}/s), "
                      f"stored {stored(ui_port):,}")
            if rounds > 200:
                raise RuntimeError("the store does not fill")
        settled, _ = bench.settle(port, ["out"], 300.0)
        elapsed = time.monotonic() - t0
        cpu1 = bench.proc_cpu_seconds(server.pid)
        total = stored(ui_port)
        acct = bench.output_accounting(bench.falconer_samples(port), "out")
        db = datadir / "webui.sqlite"
        result["insert"] = {
            "stored": total, "accepted": accepted, "dropped": acct["dropped"], "settled": settled,
            "seconds": round(elapsed, 1), "stored_per_s": total / elapsed,
            "cpu_us_per_event": None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) * 1e6 / total,
            "db_mib": round(sum(p.stat().st_size for p in db.parent.glob("webui.sqlite*")) / 2**20, 1)
            if db.exists() else None,
        }
        bench.log(f"  stored {total:,} in {elapsed:.0f} s: {total / elapsed:,.0f}/s; dropped {acct['dropped']:,}")
        result["queries"] = []
        for name, path in QUERIES:
            q = time_query(ui_port, path, args.queries)
            q.update(name=name, path=path)
            result["queries"].append(q)
            bench.log(f"  {name}: p50 {q['p50_ms']:.1f} ms p95 {q['p95_ms']:.1f} ms")
    finally:
        env.stop_all()
    md = report(result)
    print(md, end="")
    bench.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (bench.RESULTS_DIR / "latest-webui.md").write_text(md)
    (bench.RESULTS_DIR / "latest-webui.json").write_text(json.dumps(result, indent=2))
    return 0


def report(r: dict) -> str:
    m, i = r["meta"], r["insert"]
    out = ["# Falconer event store benchmark (SQLite)", "",
           f"{m['date']} · {m['cpus']} CPUs ({m['cpu_model']}) · {m['conns']} connections", "",
           "| stored | seconds | stored ev/s | dropped at the queue | CPU µs/event | database MiB |",
           "|---:|---:|---:|---:|---:|---:|",
           f"| {i['stored']:,} | {i['seconds']} | {i['stored_per_s']:,.0f} | {i['dropped']:,} | "
           f"{bench.fmt(i['cpu_us_per_event'], 1)} | {bench.fmt(i['db_mib'], 1)} |", "",
           f"| query ({i['stored']:,} events stored) | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|"]
    for q in r["queries"]:
        out.append(f"| {q['name']} | {q['p50_ms']:.1f} | {q['p95_ms']:.1f} | {q['max_ms']:.1f} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
