//! `falconer check`: the pure half of startup (load, validate every output), then a report.

use std::path::Path;
use std::process::ExitCode;

use crate::startup::load_and_plan;

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
                config.global.listen_ip(),
                config.global.listenport
            );
            for p in &outputs {
                let minimum = p
                    .common()
                    .minimum_priority()
                    .map_or("none", |m| m.as_lower_str());
                println!(
                    "  output {} (type {}, minimumpriority {minimum})",
                    p.name(),
                    p.kind.name
                );
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
