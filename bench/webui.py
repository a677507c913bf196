#!/usr/bin/env python3
"""The built-in event store: how fast it takes a Falco flood, what each stored alert costs
(CPU, disk), and how fast the UI's pages and API answer with `--events` alerts stored, on
SQLite and PostgreSQL. Several Falconer binaries (`--binary before=PATH --binary after=PATH`)
run one after the other in the same run, each on a fresh store, so they see the same
machine load; the other load on the machine is measured and reported.

Each (binary, backend) run, on a fresh store:

1. **Fill**: Falconer with a `webui` output (queue 10,000, batches of 500, but
   `queue.overflow: reject`: a full queue answers 503 instead of dropping) and the UI on its
   own port (auth off for the measurement). wrk posts varied Falco alerts
   (bench/webui_alerts.lua: ~40 rules with their priorities, sources and tags, 300 hosts, a
   few rules and hosts making most of the volume, container, process, file and audit
   fields, ~1.1 KB each) from `--conns` (16) connections as fast as they are answered, in
   rounds of `--duration` seconds, until the store holds `--events`. Alert times advance
   with each accepted alert, so the store ends up holding alerts spread evenly over
   `--span-days` days up to now, in time order. Stored/s is counted by the store
   (`/api/v1/events/count`), CPU µs per stored alert is Falconer's CPU time (ingest
   included) / alerts stored.
2. **Size**: bytes on disk per stored alert (SQLite: the database, WAL included;
   PostgreSQL: `pg_total_relation_size` of the store's tables: heap, TOAST and indexes).
3. **Queries**: with no load, each page and API query runs `--queries` times in a row
   from one client: p50 / p95.
4. **Steady**: `--steady-rate` alerts/s (paced by wrk's delay) for `--duration` seconds,
   a rate every measured version keeps up with: Falconer's CPU µs per stored alert with
   nothing refused or dropped.
5. **Flood**: Falconer restarted on the full store (reopening is timed) with the output's
   defaults (a full queue drops, as in production), `--flood-rounds` wrk rounds as fast as
   answered: stored/s counted by the store over load + drain time, drops
   (`falconer_output_dropped_total`), CPU µs per stored alert.

Usage:
  python3 bench/webui.py --events 100000                       # builds, SQLite
  python3 bench/webui.py --events 100000 --backend both --no-build \\
      --binary before=/tmp/falconer-before --binary after=target/release/falconer
Results: stdout and bench/results/latest-webui.{md,json}.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (bench/run.py, the shared harness)

LUA = bench.BENCH_DIR / "webui_alerts.lua"
TOP_HOST = "ip-10-0-17-33.eu-west-1.compute.internal"  # the busiest host of webui_alerts.lua
PG_DSN = os.environ.get("FALCONER_BENCH_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test")


def q(s: str) -> str:
    return urllib.parse.quote(s, safe="")


# (name, path): the API, then the pages (which default to the last 24 hours).
QUERIES = [
    ("API search, newest 100", "/api/v1/events/search?limit=100"),
    ("API search, priority=Notice", "/api/v1/events/search?priority=Notice&limit=100"),
    ("API search, priority=Critical (rare)", "/api/v1/events/search?priority=Critical&limit=100"),
    ("API search, rule + hostname",
     f"/api/v1/events/search?rule={q('Terminal shell in container')}&hostname={q(TOP_HOST)}&limit=100"),
    ("API search, a hostname with no events", "/api/v1/events/search?hostname=node-1&limit=100"),
    ("API search, filter=nginx", "/api/v1/events/search?filter=nginx&limit=100"),
    ("API search, filter=release_agent (rare)", "/api/v1/events/search?filter=release_agent&limit=100"),
    ("API search, filter=evt.time (every event)", "/api/v1/events/search?filter=evt.time&limit=100"),
    ("API search, filter=sh (a short term: substrings of outputs)", "/api/v1/events/search?filter=sh&limit=100"),
    ("API search, page 100", "/api/v1/events/search?limit=100&page=100"),
    ("API count, all", "/api/v1/events/count"),
    ("API count, since=24h", "/api/v1/events/count?since=24h"),
    ("API count by priority", "/api/v1/events/count/priority"),
    ("API count by rule", "/api/v1/events/count/rule"),
    ("API count by hostname", "/api/v1/events/count/hostname"),
    ("API count by tags", "/api/v1/events/count/tags"),
    ("API count by rule, priority=Warning, since=24h",
     "/api/v1/events/count/rule?priority=Warning&since=24h"),
    ("API timeline, 24h", "/api/v1/events/timeline?since=24h"),
    ("page: dashboard (24h)", "/"),
    ("page: dashboard, since=7d", "/?since=7d"),
    ("page: dashboard, priority=Warning", "/?priority=Warning"),
    ("page: events, page 1", "/events"),
    ("page: events, filter=nginx", "/events?filter=nginx"),
    ("page: events, filter=evt.time (every event)", "/events?filter=evt.time"),
    ("page: events, page 50", "/events?page=50"),
]


def config(port: int, ui_port: int, datadir: Path, target: int, backend: str, table: str, reject: bool) -> str:
    lines = [
        f"listenaddress: {bench.LOOPBACK}", f"listenport: {port}", f"datadir: {datadir}",
        "shutdown: {graceperiod: 30s}",
        "ui:",
        f"  listenaddress: {bench.LOOPBACK}",
        f"  listenport: {ui_port}",
        "  auth: {disabled: true}",
        "  store:",
        f"    kind: {backend}",
        # Far above what the run stores: retention does not run during the measurements.
        "    retention: {maxage: 0s, maxevents: %d}" % (target * 10),
    ]
    if backend == "postgres":
        lines += [f"    dsn: \"{PG_DSN}\"", f"    table: {table}"]
    lines += ["outputs:", "  - name: out", "    type: webui"]
    if reject:
        lines.append("    queue: {overflow: reject}")
    return "\n".join(lines) + "\n"


def stored(ui_port: int) -> int:
    url = f"http://{bench.LOOPBACK}:{ui_port}/api/v1/events/count"
    status, body = bench.http("GET", url, timeout=120.0)
    if status != 200:
        raise RuntimeError(f"count: {status} {body[:200]!r}")
    return int(json.loads(body)["statistics"]["all"])


def run_wrk(env: bench.Env, port: int, conns: int, seq: int, base_s: int, step_ns: int,
            delay_ms: int = 0) -> dict:
    threads = 1 if env.pin else max(1, min(conns, os.cpu_count() or 1))
    argv = env.pinned("load", [env.wrk, "-t", str(threads), "-c", str(conns), "-d", f"{env.duration}s",
                               "--timeout", "30s", "-s", str(LUA), f"http://{bench.LOOPBACK}:{port}/"])
    wrk_env = dict(os.environ, BENCH_SEQ=str(seq), BENCH_BASE_S=str(base_s), BENCH_STEP_NS=str(step_ns),
                   BENCH_THREADS=str(threads), BENCH_DELAY_MS=str(delay_ms))
    out = subprocess.run(argv, env=wrk_env, cwd=bench.REPO_ROOT, capture_output=True, text=True,
                         timeout=env.duration + 120)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip()}")
    for line in out.stdout.splitlines():
        if line.startswith("WRKJSON "):
            data = json.loads(line[len("WRKJSON "):])
            break
    else:
        raise RuntimeError(f"no WRKJSON line in wrk output:\n{out.stdout}")
    data["ok"] = data["requests"] - data["errors"]["status"]
    data["duration_s"] = data["duration_us"] / 1e6
    return data


def dropped(port: int) -> int:
    return bench.output_accounting(bench.falconer_samples(port), "out")["dropped"]


def time_query(ui_port: int, path: str, n: int) -> dict:
    url = f"http://{bench.LOOPBACK}:{ui_port}{path}"
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        status, body = bench.http("GET", url, timeout=300.0)
        lat.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise RuntimeError(f"{path}: status {status}: {body[:300]!r}")
    lat.sort()
    return {"p50_ms": statistics.median(lat), "p95_ms": lat[max(0, int(len(lat) * 0.95 + 0.5) - 1)],
            "max_ms": lat[-1]}


def psql(sql: str) -> str:
    out = subprocess.run(["psql", PG_DSN, "-At", "-c", sql], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"psql: {out.stderr.strip()}")
    return out.stdout.strip()


def pg_tables(table: str) -> list[str]:
    rows = psql(f"SELECT tablename FROM pg_tables WHERE tablename = '{table}' OR tablename LIKE '{table}\\_%'")
    return [r for r in rows.splitlines() if r]


def store_bytes(backend: str, datadir: Path, table: str) -> int | None:
    if backend == "sqlite":
        db = datadir / "webui.sqlite"
        if not db.exists():
            return None
        # Fold the write-ahead log into the database first, as both versions would in time.
        try:
            import sqlite3
            conn = sqlite3.connect(db, timeout=30)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            conn.close()
        except Exception as e:  # noqa: BLE001 (measured as is)
            bench.log(f"warning: checkpoint before measuring: {e}")
        return sum(p.stat().st_size for p in datadir.glob("webui.sqlite*"))
    tables = pg_tables(table)
    if not tables:
        return None
    names = ",".join(f"'{t}'" for t in tables)
    return int(psql(f"SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relname IN ({names}) "
                    "AND c.relkind = 'r'") or 0)


def postgres_cpu_seconds() -> float:
    """CPU seconds of every `postgres` process on the machine (the server's share of a
    PostgreSQL run; other users of the same server are included)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if text[text.index("(") + 1:text.rindex(")")] == "postgres":
            fields = text[text.rindex(")") + 2:].split()
            total += (int(fields[11]) + int(fields[12])) / bench._CLK_TCK
    return total


class Noise:
    """CPU used on the machine by everything but this benchmark's processes, in CPUs."""

    def __init__(self, procs: list):
        self.procs = procs
        self.start = bench._noise_sample(procs)
        self.t0 = time.monotonic()

    def cpus(self) -> float | None:
        other = bench._other_cpu(self.start, bench._noise_sample(self.procs))
        return None if other is None else other * len(os.sched_getaffinity(0))


def flood(env: bench.Env, port: int, ui_port: int, args: argparse.Namespace, seq: int, base_s: int,
          step_ns: int, tag: str) -> tuple[dict, int]:
    """`--flood-rounds` wrk rounds as fast as answered; what the store took, per round."""
    server_pid = env.procs[-1].pid
    noise = Noise(env.procs)
    cpu0, t0, n0 = bench.proc_cpu_seconds(server_pid), time.monotonic(), stored(ui_port)
    rounds = []
    for i in range(args.flood_rounds):
        before, d0, r0 = stored(ui_port), dropped(port), time.monotonic()
        wrk = run_wrk(env, port, args.conns, seq, base_s, step_ns)
        seq += wrk["ok"]
        bench.settle(port, ["out"], 600.0)
        after, d1, r1 = stored(ui_port), dropped(port), time.monotonic()
        rounds.append({"accepted": wrk["ok"], "accepted_per_s": wrk["ok"] / wrk["duration_s"],
                       "stored": after - before, "stored_per_s": (after - before) / (r1 - r0),
                       "dropped": d1 - d0, "store_total": after, "seconds": r1 - r0})
        bench.log(f"  {tag} flood {i + 1}: accepted {wrk['ok']:,} ({wrk['ok'] / wrk['duration_s']:,.0f}/s), "
                  f"stored {after - before:,} ({(after - before) / (r1 - r0):,.0f}/s), dropped {d1 - d0:,}")
    cpu1 = bench.proc_cpu_seconds(server_pid)
    total = stored(ui_port) - n0
    elapsed = time.monotonic() - t0
    return {
        "rounds": rounds, "stored": total, "seconds": elapsed, "stored_per_s": total / elapsed,
        "accepted": sum(r["accepted"] for r in rounds), "dropped": sum(r["dropped"] for r in rounds),
        "cpu_us_per_stored": None if cpu0 is None or cpu1 is None or not total else (cpu1 - cpu0) * 1e6 / total,
        "other_cpus": noise.cpus(),
    }, seq


def run_one(env: bench.Env, label: str, binary: Path, backend: str, args: argparse.Namespace) -> dict:
    env.falconer = binary
    rec: dict = {"label": label, "binary": str(binary), "backend": backend, "events": args.events}
    table = f"bench_webui_{uuid.uuid4().hex[:12]}"
    datadir = env.log_dir / f"{label}-{backend}-data"
    span_ns = int(args.span_days * 86400e9)
    step_ns = max(1, span_ns // args.events)
    base_s = int(time.time() - args.span_days * 86400)
    seq = 0
    tag = f"[{label} {backend}]"
    try:
        # 1. Fill to --events with the 16 connections, refusing (503) rather than dropping.
        port, ui_port = bench.free_ports(2)
        server = bench.start_falconer(env, f"{label}-{backend}-fill", port,
                                      config(port, ui_port, datadir, args.events, backend, table, True))
        bench.wait_ready(server, f"http://{bench.LOOPBACK}:{ui_port}/api/v1/healthz")
        noise = Noise([server])
        t0, cpu0 = time.monotonic(), bench.proc_cpu_seconds(server.pid)
        pg0 = postgres_cpu_seconds() if backend == "postgres" else None
        n, first = 0, None
        while n < args.events:
            r0 = time.monotonic()
            wrk = run_wrk(env, port, args.conns, seq, base_s, step_ns)
            seq += wrk["ok"]
            before, n = n, stored(ui_port)
            first = first or (n - before) / (time.monotonic() - r0)
            bench.log(f"  {tag} fill: stored {n:,} ({(n - before) / (time.monotonic() - r0):,.0f}/s)")
            if time.monotonic() - t0 > args.fill_limit:
                raise RuntimeError(f"the store does not fill within {args.fill_limit} s")
        bench.settle(port, ["out"], 600.0)
        cpu1 = bench.proc_cpu_seconds(server.pid)
        n = stored(ui_port)
        elapsed = time.monotonic() - t0
        rec["fill"] = {"stored": n, "seconds": elapsed, "stored_per_s": n / elapsed, "first_round_per_s": first,
                       "cpu_us_per_stored": None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) * 1e6 / n,
                       "pg_cpu_us_per_stored": None if pg0 is None else (postgres_cpu_seconds() - pg0) * 1e6 / n,
                       "other_cpus": noise.cpus()}
        rec["stored"] = n
        time.sleep(2)  # let a checkpoint or autovacuum settle before measuring size
        size = store_bytes(backend, datadir, table)
        rec["bytes"] = size
        rec["bytes_per_event"] = None if size is None else size / n

        # 2. Queries.
        noise = Noise([server])
        rec["queries"] = []
        for name, path in QUERIES:
            try:
                time_query(ui_port, path, 1)  # warm the path once
                r = time_query(ui_port, path, args.queries)
            except (RuntimeError, OSError) as e:
                r = {"p50_ms": None, "p95_ms": None, "max_ms": None, "error": str(e)[:200]}
            r.update(name=name, path=path)
            rec["queries"].append(r)
            bench.log(f"  {tag} {name}: p50 {bench.fmt(r['p50_ms'], 1)} ms, p95 {bench.fmt(r['p95_ms'], 1)} ms")
        rec["query_other_cpus"] = noise.cpus()

        # 3. Steady: a paced load both versions keep up with; CPU per stored alert without
        # rejected or dropped requests in the figure.
        delay_ms = max(1, round(args.conns * 1000 / args.steady_rate))
        n0, cpu0, t0 = stored(ui_port), bench.proc_cpu_seconds(server.pid), time.monotonic()
        wrk = run_wrk(env, port, args.conns, seq, base_s, step_ns, delay_ms)
        seq += wrk["ok"]
        bench.settle(port, ["out"], 300.0)
        n1, cpu1 = stored(ui_port), bench.proc_cpu_seconds(server.pid)
        rec["steady"] = {"stored": n1 - n0, "rejected": wrk["errors"]["status"],
                         "stored_per_s": (n1 - n0) / (time.monotonic() - t0),
                         "cpu_us_per_stored": None if cpu0 is None or cpu1 is None or n1 == n0
                         else (cpu1 - cpu0) * 1e6 / (n1 - n0)}
        bench.log(f"  {tag} steady: {n1 - n0:,} stored, {wrk['errors']['status']:,} refused, "
                  f"{bench.fmt(rec['steady']['cpu_us_per_stored'])} µs CPU per alert")
        server.stop()
        env.procs.remove(server)

        # 3. Flood with the output's defaults (a full queue drops), the store full.
        port, ui_port = bench.free_ports(2)
        r0 = time.monotonic()
        server = bench.start_falconer(env, f"{label}-{backend}-flood", port,
                                      config(port, ui_port, datadir, args.events, backend, table, False))
        bench.wait_ready(server, f"http://{bench.LOOPBACK}:{ui_port}/api/v1/healthz", timeout=600.0)
        rec["reopen_s"] = time.monotonic() - r0
        rec["flood"], seq = flood(env, port, ui_port, args, seq, base_s, step_ns, tag)
    finally:
        env.stop_all()
        if backend == "postgres":
            try:
                for t in pg_tables(table):
                    psql(f"DROP TABLE IF EXISTS {t}")
            except RuntimeError as e:
                bench.log(f"warning: dropping {table}: {e}")
    return rec


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=100_000, help="alerts in the store for the queries")
    ap.add_argument("--queries", type=int, default=20, help="runs of each query")
    ap.add_argument("--duration", type=int, default=20, help="seconds per wrk round")
    ap.add_argument("--flood-rounds", type=int, default=2)
    ap.add_argument("--conns", type=int, default=16)
    ap.add_argument("--span-days", type=float, default=7.0, help="days the stored alerts' times spread over")
    ap.add_argument("--steady-rate", type=float, default=800.0,
                    help="alerts/s of the paced phase (below what every measured version stores)")
    ap.add_argument("--fill-limit", type=float, default=7200.0, help="seconds allowed to fill the store")
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    ap.add_argument("--binary", action="append", default=[], metavar="LABEL=PATH",
                    help="a Falconer binary to measure (repeat; default: target/release/falconer)")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        bench.build(["falconer"])
    tdir = bench.target_dir() / "release"
    binaries = [(b.split("=", 1)[0], Path(b.split("=", 1)[1]).resolve()) for b in args.binary] or \
        [("falconer", tdir / "falconer")]
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    cpus = sorted(os.sched_getaffinity(0))
    pin = len(cpus) >= 2 and shutil.which("taskset") is not None
    log_dir = Path(tempfile.mkdtemp(prefix="falconer-webui-"))
    env = bench.Env(refserver=tdir / "refserver", falconer=None, wrk=bench.ensure_wrk(), pin=pin,
                    server_cpu=cpus[0], load_cpu=cpus[1] if pin else cpus[0], log_dir=log_dir,
                    duration=args.duration, sinks=1, timeout="30s")
    meta = {"date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpus": len(cpus),
            "cpu_model": bench.cpu_model(), "loadavg_start": os.getloadavg(), "events": args.events,
            "conns": args.conns, "duration": args.duration, "flood_rounds": args.flood_rounds,
            "span_days": args.span_days, "queries": args.queries, "steady_rate": args.steady_rate,
            "command": "python3 bench/webui.py " + " ".join(sys.argv[1:])}
    records = []
    try:
        for backend in backends:
            for label, binary in binaries:
                bench.log(f"=== {label} ({binary}) on {backend}")
                records.append(run_one(env, label, binary, backend, args))
    finally:
        env.stop_all()
    meta["loadavg_end"] = os.getloadavg()
    result = {"meta": meta, "runs": records}
    md = report(result)
    print(md, end="")
    bench.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (bench.RESULTS_DIR / "latest-webui.md").write_text(md)
    (bench.RESULTS_DIR / "latest-webui.json").write_text(json.dumps(result, indent=2))
    return 0


def fmt(v, digits: int = 0) -> str:
    return bench.fmt(v, digits)


def report(r: dict) -> str:
    m, runs = r["meta"], r["runs"]
    cols = [f"{x['label']} {x['backend']}" for x in runs]
    out = [f"# Falconer event store benchmark, {m['events']:,} events", "",
           f"{m['date']} · {m['cpus']} CPUs ({m['cpu_model']}) · load average {m['loadavg_start'][0]:.1f} at the "
           f"start, {m['loadavg_end'][0]:.1f} at the end · flood: {m['conns']} connections, "
           f"{m['flood_rounds']} × {m['duration']} s · alert times over {m['span_days']:g} days · "
           f"{m['queries']} runs per query", "", f"`{m['command']}`", "",
           "| | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]

    def row(name, f):
        out.append(f"| {name} | " + " | ".join(f(x) for x in runs) + " |")

    row(f"fill 0 → {m['events']:,} (16 conns, 503 when full): stored/s",
        lambda x: fmt(x["fill"]["stored_per_s"]))
    row("fill: stored/s in the first round", lambda x: fmt(x["fill"]["first_round_per_s"]))
    row("fill: Falconer CPU µs per stored alert (ingest included)", lambda x: fmt(x["fill"]["cpu_us_per_stored"]))
    row("fill: PostgreSQL server CPU µs per stored alert (its other users included)",
        lambda x: fmt(x["fill"].get("pg_cpu_us_per_stored")))
    row("fill: other load on the machine (CPUs)", lambda x: fmt(x["fill"]["other_cpus"], 2))
    row("disk bytes per stored alert", lambda x: fmt(x.get("bytes_per_event")))
    row("reopen the full store (s)", lambda x: fmt(x.get("reopen_s"), 1))
    row(f"flood at {m['events']:,} stored (queue drops when full): stored/s, first round",
        lambda x: fmt(x["flood"]["rounds"][0]["stored_per_s"]))
    row("flood: stored/s, last round", lambda x: fmt(x["flood"]["rounds"][-1]["stored_per_s"]))
    row("flood: accepted / stored / dropped",
        lambda x: f"{x['flood']['accepted']:,} / {x['flood']['stored']:,} / {x['flood']['dropped']:,}")
    row("flood: Falconer CPU µs per stored alert (ingest of dropped ones included)",
        lambda x: fmt(x["flood"]["cpu_us_per_stored"]))
    row("flood: other load (CPUs)", lambda x: fmt(x["flood"]["other_cpus"], 2))
    row("queries: other load (CPUs)", lambda x: fmt(x.get("query_other_cpus"), 2))
    row(f"steady {m.get('steady_rate', 800):g} alerts/s for {m['duration']} s: Falconer CPU µs per stored alert",
        lambda x: fmt(x.get("steady", {}).get("cpu_us_per_stored")))
    row("steady: stored / refused", lambda x: f"{x['steady']['stored']:,} / {x['steady']['rejected']:,}"
        if "steady" in x else "—")
    out += ["", f"Query latency with {m['events']:,} events stored, p50 / p95 ms:", "",
            "| query | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for i, (name, _path) in enumerate(QUERIES):
        cells = []
        for x in runs:
            qr = x["queries"][i]
            cells.append("error" if qr.get("error") else f"{fmt(qr['p50_ms'], 1)} / {fmt(qr['p95_ms'], 1)}")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
