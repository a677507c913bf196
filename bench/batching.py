#!/usr/bin/env python3
"""Batched vs one-request-per-alert delivery for the Loki and Elasticsearch outputs.

For each kind, two Falconer runs under the same wrk load, interleaved per rep:

  <kind>-batched   the output's defaults (Loki: 1000 alerts / 1 MiB / 1 s per push;
                   Elasticsearch: `_bulk`)
  <kind>-single    one alert per request (Loki: `batch.maxevents: 1`; Elasticsearch:
                   `batching.enabled: false`, falcosidekick's `POST /<index>/<type>`)

Both send to a counting sink on the load CPU (the Elasticsearch sink answers
`{"errors":false}`). Delivered alerts are counted **at the sink** as distinct
alert UUIDs, after Falconer has drained its queue. Delivered ev/s = those
alerts / (load time + drain time). A run that drops (its queue overflowed: the
output could not keep up) shows its drops; its delivered ev/s is then the most
that mode delivers. CPU µs/event is Falconer's CPU time per delivered alert.

Usage:
  python3 bench/batching.py                       # 3 reps x 10 s, 8 connections
  python3 bench/batching.py --reps 1 --duration 5
Reuses bench/run.py's process handling, pinning and wrk driver.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (bench/run.py, the shared harness)

KINDS = ["loki", "elasticsearch"]
SCENARIOS = [f"{k}-{m}" for k in KINDS for m in ("batched", "single")]
ES_OK = '{"errors":false}'


def output_yaml(scenario: str, sink_port: int) -> list[str]:
    """The `outputs:` entry of one scenario (uncompressed, so the sink can count UUIDs)."""
    kind, mode = scenario.split("-")
    url = f"http://{bench.LOOPBACK}:{sink_port}"
    lines = ["  - name: out", f"    type: {kind}", f"    hostport: {url}", "    maxconcurrentrequests: 8"]
    if kind == "loki":
        # The UUID of each entry travels in its structured metadata, where the sink sees it.
        lines += ["    format: json", "    enablecompression: false", "    structuredmetadata: true",
                  "    labels: rule,priority,source"]
        if mode == "single":
            lines.append("    batch: {maxevents: 1}")
    else:
        lines.append("    enablecompression: false")
        if mode == "single":
            lines.append("    batching: {enabled: false}")
    return lines


def config(port: int, sink_port: int, datadir: Path, scenario: str) -> str:
    head = [f"listenaddress: {bench.LOOPBACK}", f"listenport: {port}", f"datadir: {datadir}",
            "shutdown: {graceperiod: 2s}", "outputs:"]
    return "\n".join(head + output_yaml(scenario, sink_port)) + "\n"


def run_one(env: bench.Env, scenario: str, conns: int, rep: int, settle_limit: float) -> dict:
    """One scenario: wrk load, drain, then what arrived at the sink."""
    tag = f"{scenario}-c{conns}-r{rep}"
    rec: dict = {"scenario": scenario, "conns": conns, "rep": rep}
    try:
        port, sink_port = bench.free_ports(2)
        extra = ["--unique"] + (["--reply-body", ES_OK] if scenario.startswith("elasticsearch") else [])
        bench.start_sink(env, f"{tag}-sink", sink_port, *extra)
        yaml = config(port, sink_port, env.log_dir / f"{tag}-data", scenario)
        measure(env, tag, rec, port, sink_port, yaml, conns, settle_limit)
    except Exception as e:  # record and go on
        rec["error"] = str(e)
        bench.log(f"  ERROR {tag}: {e}")
    finally:
        env.stop_all()
    return rec


def measure(env: bench.Env, tag: str, rec: dict, port: int, count_port: int, yaml: str, conns: int,
            settle_limit: float) -> None:
    """Starts Falconer with `yaml`, loads it with wrk, waits for its queue to drain, and records
    in `rec` what the counter on `count_port` (a sink's or a bus counter's `/count`) received."""
    server = bench.start_falconer(env, tag, port, yaml)
    cpu0 = bench.proc_cpu_seconds(server.pid)
    wrk = bench.run_wrk(env, port, conns)
    settled, settle_s = bench.settle(port, ["out"], settle_limit)
    time.sleep(0.3)
    cpu1 = bench.proc_cpu_seconds(server.pid)
    samples = bench.falconer_samples(port)
    acct = bench.output_accounting(samples, "out")
    sink = counted(count_port, acct["delivered"], settle_limit)
    # settle() confirms an empty queue for 0.5 s: that wait is not delivery time.
    elapsed = wrk["duration_s"] + max(0.0, settle_s - 0.5)
    delivered = sink["unique"]
    rec.update(
        accepted=wrk["ok"], accepted_rps=wrk["ok"] / wrk["duration_s"],
        delivered=delivered, delivered_rps=delivered / elapsed if elapsed else None,
        requests=sink["requests"], events_per_request=delivered / sink["requests"] if sink["requests"] else None,
        duplicates=sink["alerts"] - sink["unique"], dropped=acct["dropped"], settled=settled,
        settle_s=round(settle_s, 2),
        cpu_us_per_event=None if cpu0 is None or cpu1 is None or not delivered
        else (cpu1 - cpu0) * 1e6 / delivered,
        p99_ms=wrk["latency_us"]["p99"] / 1000,
    )
    bench.log(f"    accepted/s {rec['accepted_rps']:,.0f} delivered/s {rec['delivered_rps']:,.0f} "
              f"requests {sink['requests']:,} ev/req {rec['events_per_request']:.1f} "
              f"dropped {acct['dropped']} cpu {bench.fmt(rec['cpu_us_per_event'], 1)} µs/ev")


def counted(count_port: int, delivered: int, limit: float) -> dict:
    """The counter's `/count` once it has seen every alert Falconer delivered, or once its count
    stopped growing for 2 s (up to `limit` s). A bus counter consumes behind the broker's
    acknowledgements, so its count can lag Falconer's; that lag is the counter's, not delivery
    time, and is not added to the elapsed time."""
    deadline = time.monotonic() + limit
    last, still_since = None, time.monotonic()
    while True:
        sink = bench.sink_counts(count_port)
        now = time.monotonic()
        if sink["unique"] >= delivered or now >= deadline:
            return sink
        if sink["unique"] != last:
            last, still_since = sink["unique"], now
        elif now - still_since >= 2.0:
            return sink
        time.sleep(0.2)


def median(records: list[dict], scenario: str, key: str) -> float | None:
    vals = [r[key] for r in records if r["scenario"] == scenario and r.get(key) is not None]
    return statistics.median(vals) if vals else None


def ratio_row(records: list[dict], label: str, num: str, den: str) -> str:
    """`| label | delivered ev/s ratio | CPU µs/event ratio |` of scenario `num` over `den`."""
    n, d = median(records, num, "delivered_rps"), median(records, den, "delivered_rps")
    cn, cd = median(records, num, "cpu_us_per_event"), median(records, den, "cpu_us_per_event")
    r1 = f"{n / d:.2f}" if n and d else "—"
    r2 = f"{cn / cd:.2f}" if cn and cd else "—"
    return f"| {label} | {r1} | {r2} |"


def report(meta: dict, records: list[dict]) -> str:
    out = ["# Falconer batching benchmark", "",
           f"{meta['date']} · {meta['cpus']} CPUs ({meta['cpu_model']}) · {meta['reps']} rep(s) × "
           f"{meta['duration']} s · {meta['conns']} connections · medians", "",
           "| scenario | accepted req/s | delivered ev/s | requests at sink | ev/request | dropped | duplicates "
           "| CPU µs/event | p99 ms |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for sc in SCENARIOS:
        def m(k: str, d: int = 0, sc: str = sc) -> str:
            return bench.fmt(median(records, sc, k), d)
        out.append(f"| {sc} | {m('accepted_rps')} | {m('delivered_rps')} | {m('requests')} | "
                   f"{m('events_per_request', 1)} | {m('dropped')} | {m('duplicates')} | "
                   f"{m('cpu_us_per_event', 1)} | {m('p99_ms', 2)} |")
    out += ["", "| ratio (same run) | delivered ev/s | CPU µs/event |", "|---|---:|---:|"]
    for kind in KINDS:
        out.append(ratio_row(records, f"{kind}: batched ÷ one per request", f"{kind}-batched", f"{kind}-single"))
    return "\n".join(out) + "\n"


def make_env(prefix: str, duration: int) -> tuple[bench.Env, dict]:
    """The shared harness's process environment (pinned when there are 2+ CPUs) and the
    report's header facts."""
    tdir = bench.target_dir() / "release"
    cpus = sorted(os.sched_getaffinity(0))
    pin = len(cpus) >= 2 and shutil.which("taskset") is not None
    log_dir = Path(tempfile.mkdtemp(prefix=f"falconer-{prefix}-"))
    env = bench.Env(refserver=tdir / "refserver", falconer=tdir / "falconer", wrk=bench.ensure_wrk(), pin=pin,
                    server_cpu=cpus[0], load_cpu=cpus[1] if pin else cpus[0], log_dir=log_dir,
                    duration=duration, sinks=1, timeout="10s")
    meta = {"date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpus": len(cpus),
            "cpu_model": bench.cpu_model(), "duration": duration}
    return env, meta


def run_suite(name: str, doc: str | None, scenarios: list[str], run_one, report_fn) -> int:
    """Command line, interleaved reps of every scenario, report to stdout and
    bench/results/latest-<name>.{md,json}."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--settle-timeout", type=float, default=120.0)
    args = ap.parse_args()
    if not args.no_build:
        bench.build(["falconer", "falconer-bench-refservers"])
    env, meta = make_env(name, args.duration)
    meta.update(reps=args.reps, conns=args.conns)
    records: list[dict] = []
    try:
        for rep in range(1, args.reps + 1):
            for sc in scenarios:
                bench.log(f"[{len(records) + 1}/{args.reps * len(scenarios)}] rep {rep} {sc}")
                records.append(run_one(env, sc, args.conns, rep, args.settle_timeout))
    finally:
        env.stop_all()
    md = report_fn(meta, records)
    print(md, end="")
    bench.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (bench.RESULTS_DIR / f"latest-{name}.md").write_text(md)
    (bench.RESULTS_DIR / f"latest-{name}.json").write_text(json.dumps({"meta": meta, "runs": records}, indent=2))
    return 0


def main() -> int:
    return run_suite("batching", __doc__, SCENARIOS, run_one, report)


if __name__ == "__main__":
    sys.exit(main())
