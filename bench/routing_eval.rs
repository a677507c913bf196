//! Routing cost per alert (issue 18), on one thread: the ingest path after the HTTP body is
//! read (`Alert::decode` of `bench/alert.json`, `validate`, `Dispatcher::dispatch`, no
//! enrichment) into 20 outputs of a kind that only counts, without and with the alert policy.
//!
//! ```text
//! cargo run --release -p falconer-core --example routing-bench [-- --rounds 100 --no-allocs]
//! ```
//!
//! Scenarios (20 outputs each), interleaved: every round runs one batch of 1,000 alerts of
//! each, back to back and taking turns at going first, so that whatever else the machine does
//! hits them alike; every 10 rounds the dispatchers are shut down and started anew (in turns),
//! and the first round after that is a warm-up that is not counted. Decoding alone takes its
//! turn in every round too (see `decode_alone` for how it is timed):
//!
//! * `a`: no `match`, no routes (the baseline): every output takes every alert.
//! * `b`: each output has a 3-clause `match`; 10 of the 20 take the alert (5 fail on the first
//!   clause, 5 on the last).
//! * `b-all`: as `b`, but all 20 conditions match: same deliveries as `a`, plus 20 evaluations.
//! * `c`: a `routes:` tree of 20 routes (one output each) with 3-clause matches, `continue:
//!   true` on the even routes but route 16, and a `defaultroute`: 17 routes are evaluated and
//!   9 match.
//! * `d`: `b` plus one active silence that does not match the alert.
//!
//! Everything runs on a current-thread Tokio runtime, so the output workers run on the same
//! thread as the ingest. The program dispatches batches of 1,000 alerts (the queues hold
//! 10,000, so nothing is dropped, which is checked), then yields until the outputs have
//! counted every queued alert. CPU time is the thread's (`CLOCK_THREAD_CPUTIME_ID`):
//!
//! * `decide`: `Policy::decide` alone, on an already decoded alert.
//! * ingest: decode + validate + `Arc::new` + `dispatch` (the policy and the enqueues, with
//!   the worker wake-ups they cause), per alert.
//! * delivery: the workers taking the alerts off their queues and calling `send`, and the
//!   alert freed after its last delivery (the time spent waiting for them), per alert.
//! * total: ingest + delivery, per alert dispatched and delivered.
//!
//! Figures are medians over the rounds; a ratio is the median of the rounds' ratios (each
//! against (a) in the same round). Allocations per alert are counted by Valgrind's DHAT
//! (this workspace forbids the unsafe code a counting `#[global_allocator]` needs): the
//! program runs itself under `valgrind --tool=dhat` twice per figure with two alert counts,
//! and divides the difference in allocated blocks by the difference in alerts, so start-up
//! and warm-up cancel out. Skipped (with a note) when `valgrind` is not installed.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use falconer_config::{
    CommonSettings, GlobalSettings, OutputEntry, OverflowPolicy, QueueSettings, RouteSettings,
    SilenceSettings,
};
use falconer_core::{
    BuildContext, BuildError, BuiltOutput, DeadLetters, Dispatcher, Output, OutputConfig,
    OutputKind, SendError,
};
use falconer_event::Alert;
use falconer_metrics::Metrics;
use falconer_policy::{Decision, Policy};

/// A ~1 KB "Terminal shell in container" alert: Notice, syscalls, namespace `web`.
const ALERT: &[u8] = include_bytes!("alert.json");
const OUTPUTS: usize = 20;
/// Alerts dispatched before the workers are let to run.
const BATCH: usize = 1000;
/// Each output's queue: larger than a batch, so nothing is dropped.
const QUEUE: usize = 10_000;
/// Rounds between two starts of the dispatchers.
const EPOCH: usize = 10;

/// Counts what it is sent, and nothing else.
struct Count(Arc<AtomicU64>);

#[async_trait::async_trait]
impl Output for Count {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// The counting kind: default delivery settings (one alert per `send`, one at a time).
#[derive(serde::Deserialize)]
struct CountKind {}

#[async_trait::async_trait]
impl OutputConfig for CountKind {
    const KIND: &'static str = "count";
    const BLOCK: &'static str = "count";
    const ENABLED_BY: &'static [&'static str] = &[];
    const DESTINATION: &'static str = "count";
    fn validate(&self, _: &mut falconer_core::Problems) {}
    async fn build(self, _: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        Err(BuildError::new("count", "built by the benchmark"))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Plain,
    Match,
    MatchAll,
    Routes,
    Silence,
}

impl Scenario {
    const ALL: [Scenario; 5] = [
        Scenario::Plain,
        Scenario::Match,
        Scenario::MatchAll,
        Scenario::Routes,
        Scenario::Silence,
    ];

    fn key(self) -> &'static str {
        match self {
            Scenario::Plain => "a",
            Scenario::Match => "b",
            Scenario::MatchAll => "b-all",
            Scenario::Routes => "c",
            Scenario::Silence => "d",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Scenario::Plain => "(a) 20 outputs, no match, no routes",
            Scenario::Match => "(b) 20 × 3-clause match, 10 match",
            Scenario::MatchAll => "(b-all) 20 × 3-clause match, all match",
            Scenario::Routes => "(c) 20 routes × 3-clause match + defaultroute",
            Scenario::Silence => "(d) (b) + 1 active silence, no match",
        }
    }

    fn from_key(key: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Output `i`'s `match`.
    fn output_condition(self, i: usize) -> String {
        match self {
            Scenario::Match | Scenario::Silence => condition(i, false),
            Scenario::MatchAll => condition(i, true),
            Scenario::Plain | Scenario::Routes => String::new(),
        }
    }

    fn global(self) -> GlobalSettings {
        let mut global = GlobalSettings::default();
        if self == Scenario::Routes {
            global.routes = (0..OUTPUTS)
                .map(|i| RouteSettings {
                    condition: condition(i, false),
                    outputs: vec![output_name(i)],
                    continue_matching: i % 2 == 0 && i != 16,
                    ..RouteSettings::default()
                })
                .collect();
            global.defaultroute = vec![output_name(0), output_name(1)];
        }
        if self == Scenario::Silence {
            global.silences = vec![SilenceSettings {
                condition: "rule = \"Launch Package Management Process in Container\" \
                            and source = syscalls and k8s.ns.name = web"
                    .into(),
                startsat: String::new(),
                endsat: (Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
                createdby: "bench".into(),
                comment: "active, does not match the alert".into(),
            }];
        }
        global
    }
}

fn output_name(i: usize) -> String {
    format!("count-{i:02}")
}

/// The `i`-th 3-clause condition. For `bench/alert.json` (Notice, syscalls, namespace `web`,
/// proc `bash`, tagged `shell`, image `docker.io/library/nginx`): `i % 4` = 0 and 2 match,
/// 1 fails on its first clause, 3 on its last; with `all_match`, every one matches.
fn condition(i: usize, all_match: bool) -> String {
    let team = format!("team-{i}");
    let form = if all_match { (i % 2) * 2 } else { i % 4 };
    match form {
        0 => format!(
            "priority >= notice and source = syscalls and k8s.ns.name in (payments, billing, {team}, web)"
        ),
        1 => format!(
            "priority >= warning and source = syscalls and k8s.ns.name in (payments, billing, {team}, web)"
        ),
        2 => format!(
            "container.image.repository startswith \"docker.io/\" and tags contains shell and proc.name in (bash, sh, {team})"
        ),
        _ => format!(
            "priority >= info and source = syscalls and k8s.ns.name in (payments, billing, {team}, default)"
        ),
    }
}

/// A dispatcher for `scenario` and the counter its outputs share.
struct Bench {
    scenario: Scenario,
    dispatcher: Dispatcher,
    delivered: Arc<AtomicU64>,
    _metrics: Metrics,
}

fn launch(scenario: Scenario, datadir: &Path) -> Bench {
    let metrics = Metrics::new(&[]).expect("metrics").0;
    let dead = DeadLetters::disabled(metrics.dead_letter_write_errors().clone());
    let delivered = Arc::new(AtomicU64::new(0));
    let built: Vec<BuiltOutput> = (0..OUTPUTS)
        .map(|i| BuiltOutput {
            entry: OutputEntry {
                name: output_name(i),
                kind: "count".into(),
                path: output_name(i),
                common: CommonSettings {
                    queue: QueueSettings {
                        capacity: QUEUE,
                        overflow: OverflowPolicy::Drop,
                    },
                    condition: scenario.output_condition(i),
                    ..CommonSettings::default()
                },
                settings: serde_json::Value::Null,
            },
            kind: OutputKind::of::<CountKind>(),
            output: Arc::new(Count(delivered.clone())),
        })
        .collect();
    let global = scenario.global();
    let entries: Vec<OutputEntry> = built.iter().map(|b| b.entry.clone()).collect();
    let policy = Policy::compile_for(&entries, &global, Utc::now()).expect("valid policy");
    let dispatcher =
        Dispatcher::launch_with(built, policy, &global, &metrics, dead, datadir).expect("launch");
    Bench {
        scenario,
        dispatcher,
        delivered,
        _metrics: metrics,
    }
}

/// This thread's CPU time, in nanoseconds.
fn cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// What the HTTP handler does with a body: decode and validate.
fn decode() -> Alert {
    let alert = Alert::decode(black_box(ALERT)).expect("bench/alert.json decodes");
    alert.validate().expect("bench/alert.json is valid");
    alert
}

/// `Policy::decide` as `dispatch` calls it; the number of outputs that get the alert.
fn decide(bench: &Bench, alert: &Arc<Alert>) -> usize {
    let table = bench.dispatcher.policy();
    let silences = bench.dispatcher.silences();
    let wall = if silences.is_empty() {
        DateTime::<Utc>::MIN_UTC
    } else {
        Utc::now()
    };
    let mut sends = 0;
    table.decide(alert, &silences, Instant::now(), wall, |_, decision| {
        if matches!(decision, Decision::Send) {
            sends += 1;
        }
    });
    sends
}

impl Bench {
    /// Decodes and dispatches `n` alerts without letting the workers run; the outputs
    /// that queued them.
    async fn ingest(&self, n: usize) -> u64 {
        let mut queued = 0;
        for _ in 0..n {
            let outcome = self.dispatcher.dispatch(Arc::new(decode())).await;
            assert_eq!(
                outcome.dropped,
                0,
                "{}: a queue was full",
                self.scenario.key()
            );
            queued += outcome.queued as u64;
        }
        queued
    }

    /// Lets the workers run until the outputs have counted `total` alerts.
    async fn drain(&self, total: u64) {
        while self.delivered.load(Ordering::Relaxed) < total {
            tokio::task::yield_now().await;
        }
        // The workers' bookkeeping after their last `send`.
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
    }
}

/// CPU ns per alert of one batch of one scenario.
#[derive(Clone, Copy)]
struct Sample {
    decide: f64,
    ingest: f64,
    delivery: f64,
    deliveries: f64,
}

impl Bench {
    /// One batch: `decide` alone `BATCH` times, then `BATCH` alerts ingested and delivered.
    async fn batch(&self) -> Sample {
        let alert = Arc::new(decode());
        let start = cpu_ns();
        let mut sends = 0;
        for _ in 0..BATCH {
            sends += decide(self, black_box(&alert));
        }
        let decide_ns = cpu_ns() - start;
        let before = self.delivered.load(Ordering::Relaxed);
        let t0 = cpu_ns();
        let queued = self.ingest(BATCH).await;
        let t1 = cpu_ns();
        self.drain(before + queued).await;
        let t2 = cpu_ns();
        assert_eq!(
            sends as u64,
            queued,
            "{}: decide and dispatch disagree",
            self.scenario.key()
        );
        let per = |ns: u64| ns as f64 / BATCH as f64;
        Sample {
            decide: per(decide_ns),
            ingest: per(t1 - t0),
            delivery: per(t2 - t1),
            deliveries: queued as f64 / BATCH as f64,
        }
    }
}

/// Decode + validate + `Arc::new` of one alert, the median over a batch, timed one by one
/// (monotonic clock, less the cost of reading it); each alert is freed outside the
/// measurement, before the next (in the scenarios, the last output to deliver it frees it).
/// Decoding a whole batch and freeing it at once instead changed how the next batch
/// allocated, which showed in whichever scenario came next.
fn decode_alone() -> f64 {
    let mut clock = Vec::with_capacity(BATCH);
    let mut times = Vec::with_capacity(BATCH);
    for _ in 0..BATCH {
        let t0 = Instant::now();
        let t1 = Instant::now();
        let alert = Arc::new(decode());
        let t2 = Instant::now();
        drop(black_box(alert));
        clock.push((t1 - t0).as_nanos() as f64);
        times.push((t2 - t1).as_nanos() as f64);
    }
    median(times) - median(clock)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// "p25–p75" of `v`.
fn quartiles(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!("{:.0}–{:.0}", v[v.len() / 4], v[v.len() * 3 / 4])
}

/// (busy, total) jiffies of the whole machine, from `/proc/stat`.
fn machine_jiffies() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let v: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    let total: u64 = v.iter().take(8).sum();
    (total - idle, total)
}

/// This process's utime + stime in jiffies, from `/proc/self/stat`.
fn own_jiffies() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // What follows the command name starts at field 3 (state); utime and stime are 14 and 15.
    let after = stat.rsplit(')').next().unwrap_or_default();
    let field = |n: usize| -> u64 {
        after
            .split_whitespace()
            .nth(n - 3)
            .and_then(|x| x.parse().ok())
            .unwrap_or(0)
    };
    field(14) + field(15)
}

/// Allocation probe, run under DHAT: `--probe WHAT SCENARIO N`.
async fn probe(what: &str, scenario: Option<Scenario>, n: usize, datadir: &Path) {
    const WARM: usize = 1000;
    const STEP: usize = 500;
    if what == "decode" {
        for _ in 0..WARM + n {
            drop(black_box(Arc::new(decode())));
        }
        return;
    }
    let bench = launch(scenario.expect("a scenario"), datadir);
    let alert = Arc::new(decode());
    let mut total = 0;
    for _ in 0..WARM / STEP {
        total += bench.ingest(STEP).await;
        bench.drain(total).await;
    }
    match what {
        "decide" => {
            for _ in 0..n {
                black_box(decide(&bench, black_box(&alert)));
            }
        }
        // Queued and left there: the process ends before the workers run.
        "ingest" => {
            bench.ingest(n).await;
        }
        "total" => {
            for _ in 0..n / STEP {
                total += bench.ingest(STEP).await;
                bench.drain(total).await;
            }
        }
        other => panic!("unknown probe {other}"),
    }
    // No shutdown: what the teardown allocates is not the alerts'.
    std::process::exit(0);
}

/// Blocks allocated by `--probe WHAT SCENARIO N` under DHAT.
fn dhat_blocks(what: &str, scenario: &str, n: usize) -> Result<u64, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new("valgrind")
        .args(["--tool=dhat", "--dhat-out-file=/dev/null"])
        .arg(exe)
        .args(["--probe", what, scenario, &n.to_string()])
        .output()
        .map_err(|e| format!("valgrind: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("probe {what} {scenario} {n} failed:\n{stderr}"));
    }
    // "==123== Total:     1,234 bytes in 56 blocks"
    stderr
        .lines()
        .find_map(|line| {
            let rest = line.split("Total:").nth(1)?;
            let blocks = rest.split(" in ").nth(1)?.trim().strip_suffix("blocks")?;
            blocks.trim().replace(',', "").parse().ok()
        })
        .ok_or_else(|| format!("no DHAT total in:\n{stderr}"))
}

/// Allocations per alert: the difference between two probe sizes.
fn allocs_per_alert(what: &str, scenario: &str, n1: usize, n2: usize) -> Result<f64, String> {
    let a = dhat_blocks(what, scenario, n1)?;
    let b = dhat_blocks(what, scenario, n2)?;
    Ok((b as f64 - a as f64) / (n2 - n1) as f64)
}

fn allocations() {
    let found = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        println!("\nAllocations: skipped, valgrind is not installed (apt-get install valgrind).");
        return;
    }
    println!(
        "\nAllocations per alert (Valgrind DHAT, blocks allocated; difference of two runs):\n"
    );
    let cell = |r: Result<f64, String>| match r {
        Ok(v) => format!("{v:.2}"),
        Err(e) => {
            eprintln!("{e}");
            "error".to_owned()
        }
    };
    println!(
        "decode + validate + Arc::new (+ drop): {}\n",
        cell(allocs_per_alert("decode", "-", 1000, 3000))
    );
    println!("| scenario | `decide` | ingest (decode + dispatch) | total (ingest + delivery) |");
    println!("|---|---:|---:|---:|");
    for s in Scenario::ALL {
        let decide = cell(allocs_per_alert("decide", s.key(), 1000, 11000));
        let ingest = cell(allocs_per_alert("ingest", s.key(), 500, 1500));
        let total = cell(allocs_per_alert("total", s.key(), 500, 1500));
        println!("| {} | {decide} | {ingest} | {total} |", s.title());
    }
    println!(
        "\nIngest beyond decode: the queues grow during a batch (the workers have not run yet), \
         and Tokio's channel allocates one 32-slot block per 32 alerts queued: 1/32 per output \
         that takes the alert."
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str, default: usize| -> usize {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    // Spools are off: nothing is written there.
    let datadir = std::env::temp_dir();
    if args.first().map(String::as_str) == Some("--probe") {
        let what = args.get(1).map_or("", String::as_str);
        let scenario = args.get(2).and_then(|k| Scenario::from_key(k));
        let n = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(1000);
        runtime.block_on(probe(what, scenario, n, &datadir));
        return;
    }
    let rounds = flag("--rounds", 100).max(1);
    let epochs = rounds.div_ceil(EPOCH);
    println!(
        "Routing, one thread: {OUTPUTS} counting outputs; {rounds} rounds, each a batch of \
         {BATCH} alerts per scenario, back to back, in turns; every {EPOCH} rounds the \
         dispatchers are started anew, in turns, and one warm-up round is not counted. CPU ns \
         per alert: median over the rounds (p25–p75); a ratio is the median of each round's \
         ratio to (a)"
    );
    let n = Scenario::ALL.len();
    runtime.block_on(async {
        let mut decode_ns = Vec::new();
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); n];
        let mut load = None;
        let mut round = 0;
        for epoch in 0..epochs {
            // Started anew in turns, so that no scenario always has the same place in the
            // order of starts (and in memory).
            let mut started: Vec<Option<Bench>> = (0..n).map(|_| None).collect();
            for k in 0..n {
                let at = (k + epoch) % n;
                started[at] = Some(launch(Scenario::ALL[at], &datadir));
            }
            let benches: Vec<Bench> = started.into_iter().flatten().collect();
            for r in 0..=EPOCH.min(rounds - epoch * EPOCH) {
                // The scenarios and decoding alone take turns at going first.
                let mut d = 0.0;
                let mut these = vec![None; n];
                for k in 0..=n {
                    let at = (k + round) % (n + 1);
                    match benches.get(at) {
                        Some(bench) => these[at] = Some(bench.batch().await),
                        None => d = decode_alone(),
                    }
                }
                if r == 0 {
                    continue;
                }
                load.get_or_insert_with(|| (machine_jiffies(), own_jiffies()));
                round += 1;
                decode_ns.push(d);
                for (all, one) in samples.iter_mut().zip(these) {
                    all.push(one.expect("every scenario ran"));
                }
            }
            for bench in benches {
                bench.dispatcher.shutdown(Duration::from_secs(10)).await;
            }
        }
        let ((busy0, total0), own0) = load.expect("at least one round");
        let ((busy1, total1), own1) = (machine_jiffies(), own_jiffies());
        let other = (busy1 - busy0).saturating_sub(own1 - own0) as f64
            / (total1 - total0).max(1) as f64
            * 100.0;
        println!(
            "Other processes used {other:.0} % of the machine's CPU during the measured rounds."
        );
        println!();
        println!(
            "| scenario | outputs that get the alert | `decide` ns | ingest ns/alert (p25–p75) | ingest ÷ (a) | delivery ns/alert | total ns/alert (p25–p75) | total ÷ (a) |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|");
        let decode = median(decode_ns.clone());
        println!(
            "| decode + validate + Arc only (median alert of a batch) | – | – | {decode:.0} ({}) | – | – | – | – |",
            quartiles(decode_ns.clone())
        );
        let base = &samples[0];
        for (scenario, kept) in Scenario::ALL.into_iter().zip(&samples) {
            let col = |f: &dyn Fn(usize, &Sample) -> f64| -> Vec<f64> {
                kept.iter().enumerate().map(|(r, s)| f(r, s)).collect()
            };
            let ingest = col(&|_, s| s.ingest);
            let total = col(&|_, s| s.ingest + s.delivery);
            let ingest_median = median(ingest.clone());
            println!(
                "| {} | {:.0} | {:.0} | {:.0} ({}) | {:.2} | {:.0} | {:.0} ({}) | {:.2} |",
                scenario.title(),
                kept[0].deliveries,
                median(col(&|_, s| s.decide)),
                ingest_median,
                quartiles(ingest),
                median(col(&|r, s| s.ingest / base[r].ingest)),
                median(col(&|_, s| s.delivery)),
                median(total.clone()),
                quartiles(total),
                median(col(&|r, s| (s.ingest + s.delivery)
                    / (base[r].ingest + base[r].delivery))),
            );
        }
    });
    if !args.iter().any(|a| a == "--no-allocs") {
        allocations();
    }
}
