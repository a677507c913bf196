#!/usr/bin/env python3
"""Delivered alerts/s through the NATS and Kafka outputs vs the webhook output, same run.

Scenarios, interleaved per rep, each one Falconer with one output named `out` under the same
wrk load:

  webhook   the webhook output (one alert per request) to the counting HTTP sink
  nats      the nats output (batches published then flushed) to the NATS server on
            127.0.0.1:4222; `refserver nats-count` subscribes to `falco.>` and counts
  kafka     the kafka output (batches, acks=all, delivery reports) to librdkafka's mock
            cluster, run by `refserver kafka-mock`, which consumes the topic and counts

Every count is taken **at the destination** (distinct alert UUIDs), after Falconer has
drained its queue. Delivered ev/s = those alerts / (load time + drain time); CPU µs/event is
Falconer's CPU time per delivered alert (the broker's and the counter's are not included).

Usage:
  python3 bench/buses.py                       # 3 reps x 10 s, 8 connections
  python3 bench/buses.py --reps 1 --duration 5
Needs the NATS server on 127.0.0.1:4222. Reuses bench/run.py and bench/batching.py.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import batching  # noqa: E402  (measure(), median())
import run as bench  # noqa: E402  (bench/run.py, the shared harness)

SCENARIOS = ["webhook", "nats", "kafka"]
NATS_URL = "nats://127.0.0.1:4222"


def start_counter(env: bench.Env, scenario: str, tag: str, count_port: int) -> str:
    """Starts the destination's counter; returns the address the output is configured with."""
    if scenario == "webhook":
        bench.start_sink(env, f"{tag}-sink", count_port, "--unique")
        return f"http://{bench.LOOPBACK}:{count_port}/"
    if scenario == "nats":
        proc = env.start(f"{tag}-nats-count", [str(env.refserver), "nats-count", "--port", str(count_port),
                                                "--threads", "1", "--url", NATS_URL, "--subject", "falco.>"],
                         "load")
        bench.wait_ready(proc, f"http://{bench.LOOPBACK}:{count_port}/count")
        return NATS_URL
    bootstrap_file = env.log_dir / f"{tag}-bootstrap"
    proc = env.start(f"{tag}-kafka-mock", [str(env.refserver), "kafka-mock", "--port", str(count_port),
                                            "--threads", "1", "--topic", "falco",
                                            "--bootstrap-file", str(bootstrap_file)], "load")
    bench.wait_ready(proc, f"http://{bench.LOOPBACK}:{count_port}/count")
    return bootstrap_file.read_text().strip()


def config(port: int, datadir: Path, scenario: str, address: str) -> str:
    lines = [f"listenaddress: {bench.LOOPBACK}", f"listenport: {port}", f"datadir: {datadir}",
             "shutdown: {graceperiod: 2s}", "outputs:", "  - name: out", f"    type: {scenario}",
             "    maxconcurrentrequests: 8"]
    if scenario == "webhook":
        lines.append(f"    address: {address}")
    elif scenario == "nats":
        lines.append(f"    hostport: {address}")
    else:
        lines += [f"    hostport: {address}", "    topic: falco"]
    return "\n".join(lines) + "\n"


def run_one(env: bench.Env, scenario: str, conns: int, rep: int, settle_limit: float) -> dict:
    tag = f"{scenario}-c{conns}-r{rep}"
    rec: dict = {"scenario": scenario, "conns": conns, "rep": rep}
    try:
        port, count_port = bench.free_ports(2)
        address = start_counter(env, scenario, tag, count_port)
        yaml = config(port, env.log_dir / f"{tag}-data", scenario, address)
        batching.measure(env, tag, rec, port, count_port, yaml, conns, settle_limit)
        # Messages still in flight from the broker to the counter.
        time.sleep(0.5)
        late = bench.sink_counts(count_port)["unique"]
        if late != rec["delivered"] and rec["delivered"]:
            rec["delivered_rps"] *= late / rec["delivered"]
            rec["delivered"] = late
    except Exception as e:  # record and go on
        rec["error"] = str(e)
        bench.log(f"  ERROR {tag}: {e}")
    finally:
        env.stop_all()
    return rec


def report(meta: dict, records: list[dict]) -> str:
    m = batching.median
    out = ["# Falconer bus outputs benchmark", "",
           f"{meta['date']} · {meta['cpus']} CPUs ({meta['cpu_model']}) · {meta['reps']} rep(s) × "
           f"{meta['duration']} s · {meta['conns']} connections · medians", "",
           "| scenario | accepted req/s | delivered ev/s | messages/requests at destination | dropped "
           "| duplicates | CPU µs/event | p99 ms |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for sc in SCENARIOS:
        def cell(k: str, d: int = 0, sc: str = sc) -> str:
            return bench.fmt(m(records, sc, k), d)
        out.append(f"| {sc} | {cell('accepted_rps')} | {cell('delivered_rps')} | {cell('requests')} | "
                   f"{cell('dropped')} | {cell('duplicates')} | {cell('cpu_us_per_event', 1)} | "
                   f"{cell('p99_ms', 2)} |")
    out += ["", "| ratio (same run) | delivered ev/s | CPU µs/event |", "|---|---:|---:|"]
    for sc in ("nats", "kafka"):
        num, den = m(records, sc, "delivered_rps"), m(records, "webhook", "delivered_rps")
        cn, cw = m(records, sc, "cpu_us_per_event"), m(records, "webhook", "cpu_us_per_event")
        r1 = f"{num / den:.2f}" if num and den else "—"
        r2 = f"{cn / cw:.2f}" if cn and cw else "—"
        out.append(f"| {sc} ÷ webhook | {r1} | {r2} |")
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--settle-timeout", type=float, default=120.0)
    args = ap.parse_args()
    if not args.no_build:
        bench.build(["falconer", "falconer-bench-refservers"])
    tdir = bench.target_dir() / "release"
    cpus = sorted(os.sched_getaffinity(0))
    pin = len(cpus) >= 2 and shutil.which("taskset") is not None
    log_dir = Path(tempfile.mkdtemp(prefix="falconer-buses-"))
    env = bench.Env(refserver=tdir / "refserver", falconer=tdir / "falconer", wrk=bench.ensure_wrk(), pin=pin,
                    server_cpu=cpus[0], load_cpu=cpus[1] if pin else cpus[0], log_dir=log_dir,
                    duration=args.duration, sinks=1, timeout="10s")
    meta = {"date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpus": len(cpus),
            "cpu_model": bench.cpu_model(), "reps": args.reps, "duration": args.duration, "conns": args.conns}
    records: list[dict] = []
    try:
        for rep in range(1, args.reps + 1):
            for sc in SCENARIOS:
                bench.log(f"[{len(records) + 1}/{args.reps * len(SCENARIOS)}] rep {rep} {sc}")
                records.append(run_one(env, sc, args.conns, rep, args.settle_timeout))
    finally:
        env.stop_all()
    md = report(meta, records)
    print(md, end="")
    bench.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (bench.RESULTS_DIR / "latest-buses.md").write_text(md)
    (bench.RESULTS_DIR / "latest-buses.json").write_text(json.dumps({"meta": meta, "runs": records}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
