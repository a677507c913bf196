//! `falconer check`: the pure half of startup (load, validate every output), then a report.

use std::path::Path;
use std::process::ExitCode;

use falconer_config::{Config, ConfigErrors, Sources};

use crate::outputs;

/// Loads and validates; prints the outputs or every problem. Exit 1 on problems.
pub fn check(file: Option<&Path>) -> ExitCode {
    let name = file.map_or_else(
        || "(environment only)".to_owned(),
        |p| p.display().to_string(),
    );
    match load_and_plan(file) {
        Ok((config, outputs)) => {
            for w in &config.warnings {
                println!("warning: {w}");
            }
            println!("{name}: OK");
            println!(
                "  listen: {}:{}",
                if config.global.listenaddress.is_empty() {
                    "0.0.0.0"
                } else {
                    &config.global.listenaddress
                },
                config.global.listenport
            );
            if outputs.is_empty() {
                println!("  outputs: none configured (alerts will go to stdout)");
            }
            for (name, kind, minimum) in outputs {
                println!("  output {name} (type {kind}, minimumpriority {minimum})");
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            let count = errors.0.len();
            eprintln!(
                "{name}: {count} problem{}",
                if count == 1 { "" } else { "s" }
            );
            for e in &errors.0 {
                eprintln!("  {e}");
            }
            ExitCode::FAILURE
        }
    }
}

type Summary = Vec<(String, String, String)>;

/// Load then plan; the same two steps `run` starts with.
pub fn load_and_plan(file: Option<&Path>) -> Result<(Config, Summary), ConfigErrors> {
    let registry = outputs::builtin();
    let sources = Sources::from_process(file)?;
    let config = falconer_config::load(&sources, &registry.schemas())?;
    let planned = falconer_core::plan(&config, &registry)?;
    let summary = planned
        .iter()
        .map(|p| {
            let minimum = p
                .common()
                .minimum_priority()
                .map_or_else(|| "none".to_owned(), |m| m.as_lower_str().to_owned());
            (p.name().to_owned(), p.kind.name.to_owned(), minimum)
        })
        .collect();
    Ok((config, summary))
}
