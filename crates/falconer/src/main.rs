//! `falconer`: a drop-in, loss-aware replacement for falcosidekick.
//!
//! `falconer [run] [-c FILE]` serves; `falconer check -c FILE` validates a configuration
//! offline; `falconer route ALERT.json` explains where one alert goes; `falconer replay --output NAME FILE` sends dead letters again; `falconer version`
//! prints the version.

mod check;
mod k8saudit;
mod listeners;
mod outputs;
mod reload;
mod replay;
mod route;
mod run;
mod startup;
#[cfg_attr(not(feature = "ui"), path = "ui_off.rs")]
mod ui;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc as the allocator (feature `mimalloc`, on by default): the alert path allocates
/// and frees many small objects, and glibc's malloc and free took 8–13 % of the CPU per alert
/// in the profiles of `bench/README.md`.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Falco alert router, compatible with falcosidekick's routes, config and outputs.
#[derive(Debug, Parser)]
#[command(name = "falconer", version, about)]
struct Cli {
    /// Config file (YAML, falcosidekick-compatible). Environment variables override it.
    #[arg(short = 'c', long = "config-file", global = true)]
    config_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve (the default).
    Run,
    /// Validate the configuration offline and list every problem with its path.
    Check,
    /// Send dead letters again through an output of the configuration.
    Replay {
        /// The output instance to send them to (by default, only its own dead letters).
        #[arg(long)]
        output: String,
        /// Send every dead letter of the file, whichever output gave it up.
        #[arg(long)]
        all: bool,
        /// A dead-letter file (`deadletter.jsonl` under `datadir`, or a rotated one).
        file: PathBuf,
    },
    /// Show, for one alert, which outputs get it and why the others do not.
    Route {
        /// A Falco alert as JSON (`-`: standard input).
        alert: PathBuf,
    },
    /// Print the version.
    Version,
    /// Web UI helpers.
    Ui {
        #[command(subcommand)]
        command: UiCommand,
    },
}

#[derive(Debug, Subcommand)]
enum UiCommand {
    /// Hash a password (argon2id) for `ui.auth.users`; reads it from standard input.
    HashPassword,
}

/// Turns transparent huge pages off for the process, unless `MIMALLOC_ALLOW_THP` says what
/// to do. mimalloc asks for huge pages on its arenas; where the system grants them
/// (`madvise` or `always`), each fresh 2 MiB page is zeroed at its first touch. With a
/// spooled output whose destination was down (alerts piling up in the spool, freed by another
/// thread than the one that made them), that zeroing took 5 % of the CPU and the process
/// took 5–6 % more alerts per second without huge pages; with the destination up, and on the
/// `null` path, the rate did not move, and the `null` path's peak RSS went from 30 to 24 MiB
/// (`bench/README.md`, 2026-12-05).
#[cfg(feature = "mimalloc")]
fn without_huge_pages() {
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // Best effort: a kernel without the flag keeps huge pages, which only costs speed.
        let _ = rustix::thread::disable_transparent_huge_pages(true);
    }
}

fn main() -> ExitCode {
    #[cfg(feature = "mimalloc")]
    without_huge_pages();
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => run::run(cli.config_file.as_deref()),
        Command::Check => check::check(cli.config_file.as_deref()),
        Command::Replay { output, all, file } => {
            replay::replay(cli.config_file.as_deref(), &output, all, &file)
        }
        Command::Route { alert } => route::route(cli.config_file.as_deref(), &alert),
        Command::Ui {
            command: UiCommand::HashPassword,
        } => hash_password(),
        Command::Version => {
            println!("falconer {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
    }
}

/// `falconer ui hash-password`: one password from standard input (a trailing newline is not
/// part of it), its argon2id hash on standard output.
fn hash_password() -> ExitCode {
    let mut line = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut line) {
        eprintln!("cannot read the password: {e}");
        return ExitCode::FAILURE;
    }
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        eprintln!("empty password");
        return ExitCode::FAILURE;
    }
    match ui::hash_password(password) {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot hash the password: {e}");
            ExitCode::FAILURE
        }
    }
}
