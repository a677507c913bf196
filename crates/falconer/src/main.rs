//! `falconer`: a drop-in, loss-aware replacement for falcosidekick.
//!
//! `falconer [run] [-c FILE]` serves; `falconer check -c FILE` validates a configuration
//! offline; `falconer version` prints the version.

mod check;
mod outputs;
mod run;
mod startup;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Print the version.
    Version,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => run::run(cli.config_file.as_deref()),
        Command::Check => check::check(cli.config_file.as_deref()),
        Command::Version => {
            println!("falconer {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
    }
}
