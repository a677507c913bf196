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

import sys
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
                                            "--partitions", str(KAFKA_PARTITIONS),
                                            "--bootstrap-file", str(bootstrap_file)], "load")
    bench.wait_ready(proc, f"http://{bench.LOOPBACK}:{count_port}/count")
    return bootstrap_file.read_text().strip()


# librdkafka's mock cluster keeps at most 5 MiB (or 100,000 messages) per partition and drops
# older log segments: with few partitions, a counting consumer that falls behind a fast producer
# never sees the dropped messages. 128 partitions hold 640 MiB (about 600,000 alerts).
KAFKA_PARTITIONS = 128


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
        out.append(batching.ratio_row(records, f"{sc} ÷ webhook", sc, "webhook"))
    return "\n".join(out) + "\n"


def main() -> int:
    return batching.run_suite("buses", __doc__, SCENARIOS, run_one, report)


if __name__ == "__main__":
    sys.exit(main())
