//! `refserver`: reference HTTP servers used by the Falconer benchmark harness
//! (`bench/run.py`).
//!
//! Each subcommand is a deliberately minimal server that establishes a
//! baseline against which Falconer is compared:
//!
//! * `bare`    — read the whole body, reply `200` (HTTP floor).
//! * `parse`   — `bare` plus a `serde_json::Value` parse (ingest floor).
//! * `forward` — a minimal queued forwarder to N sinks (delivery baseline).
//! * `sink`    — a fast counting HTTP sink (the forwarders' destination); it can
//!   fail every Nth request and count distinct alert uuids.
//! * `nats-count`, `kafka-mock` — the same counts for messages taken from NATS and from
//!   librdkafka's mock Kafka cluster (the bus benchmark's destinations).

mod bare;
mod buses;
mod forward;
mod parse;
mod server;
mod sink;

use std::net::{IpAddr, SocketAddr};

use clap::{Args, Parser, Subcommand};

/// Command line of the `refserver` binary.
#[derive(Debug, Parser)]
#[command(
    name = "refserver",
    about = "Reference servers for the Falconer benchmark"
)]
struct Cli {
    /// Which reference server to run.
    #[command(subcommand)]
    mode: Mode,
}

/// Options shared by every mode.
#[derive(Debug, Args)]
struct Common {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on.
    #[arg(long)]
    port: u16,
    /// Tokio worker threads. `1` uses a current-thread runtime; the default
    /// is the number of CPUs this process may run on (its affinity mask).
    #[arg(long)]
    threads: Option<usize>,
}

impl Common {
    /// The socket address to bind.
    fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}

/// The available reference servers.
#[derive(Debug, Subcommand)]
enum Mode {
    /// Read the whole body and reply 200 with an empty body.
    Bare(Common),
    /// Like `bare`, plus parse the body as JSON (400 if invalid).
    Parse(Common),
    /// Enqueue each body for every sink and reply 200; forward in background.
    Forward(ForwardArgs),
    /// Count POSTed requests and bytes; `GET /count`, `POST /reset`.
    Sink(SinkArgs),
    /// Count the messages published on a NATS subject; `GET /count`.
    NatsCount(NatsCountArgs),
    /// Run a mock Kafka cluster and count what is produced to its topic; `GET /count`.
    KafkaMock(KafkaMockArgs),
}

/// Arguments of the `nats-count` mode.
#[derive(Debug, Args)]
struct NatsCountArgs {
    /// Listener (of `/count`) and runtime options.
    #[command(flatten)]
    common: Common,
    /// The NATS server.
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    url: String,
    /// The subject to count.
    #[arg(long, default_value = "falco.>")]
    subject: String,
}

/// Arguments of the `kafka-mock` mode.
#[derive(Debug, Args)]
struct KafkaMockArgs {
    /// Listener (of `/count`) and runtime options.
    #[command(flatten)]
    common: Common,
    /// The topic to create and count.
    #[arg(long, default_value = "falco")]
    topic: String,
    /// Its partitions.
    #[arg(long, default_value_t = 3)]
    partitions: i32,
    /// Where to write the cluster's bootstrap servers.
    #[arg(long)]
    bootstrap_file: std::path::PathBuf,
}

/// Arguments of the `sink` mode.
#[derive(Debug, Args)]
struct SinkArgs {
    /// Listener and runtime options.
    #[command(flatten)]
    common: Common,
    /// Answer every Nth POST with `500` (`0` = never).
    #[arg(long, default_value_t = 0)]
    fail_every: u64,
    /// Count distinct `uuid` values of the accepted alerts.
    #[arg(long)]
    unique: bool,
    /// JSON body of the 200 answers (e.g. `{"errors":false}` for Elasticsearch's `_bulk`).
    #[arg(long)]
    reply_body: Option<String>,
}

/// Arguments of the `forward` mode.
#[derive(Debug, Args)]
struct ForwardArgs {
    /// Listener and runtime options.
    #[command(flatten)]
    common: Common,
    /// Comma-separated sink URLs; every accepted body is POSTed to each one.
    #[arg(long, value_delimiter = ',', required = true)]
    sinks: Vec<String>,
    /// Capacity of each sink's queue (bodies beyond it are dropped).
    #[arg(long, default_value_t = 10_000)]
    queue: usize,
    /// Maximum requests in flight per sink.
    #[arg(long, default_value_t = 32)]
    inflight: usize,
}

/// Builds the Tokio runtime requested by `threads`.
fn runtime(threads: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    let threads = threads
        .or_else(|| std::thread::available_parallelism().ok().map(Into::into))
        .unwrap_or(1)
        .max(1);
    if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    match cli.mode {
        Mode::Bare(c) => runtime(c.threads)?.block_on(bare::run(c.addr()))?,
        Mode::Parse(c) => runtime(c.threads)?.block_on(parse::run(c.addr()))?,
        Mode::Sink(s) => {
            let cfg = sink::Config {
                fail_every: s.fail_every,
                unique: s.unique,
                // Lives as long as the process.
                reply_body: s.reply_body.map(|b| &*Box::leak(b.into_boxed_str())),
            };
            runtime(s.common.threads)?.block_on(sink::run(s.common.addr(), cfg))?;
        }
        Mode::NatsCount(n) => runtime(n.common.threads)?.block_on(buses::nats_count(
            n.common.addr(),
            &n.url,
            &n.subject,
        ))?,
        Mode::KafkaMock(k) => runtime(k.common.threads)?.block_on(buses::kafka_mock(
            k.common.addr(),
            &k.topic,
            k.partitions,
            &k.bootstrap_file,
        ))?,
        Mode::Forward(f) => {
            let cfg = forward::Config {
                sinks: f.sinks,
                queue: f.queue.max(1),
                inflight: f.inflight.max(1),
            };
            runtime(f.common.threads)?.block_on(forward::run(f.common.addr(), cfg))?;
        }
    }
    Ok(())
}
