//! `falconer check`: the pure half of startup (load, validate every output), then a report.

use std::path::Path;
use std::process::ExitCode;

use falconer_config::{CommonSettings, Config, ConfigErrors, OutputEntry, Sources};
use falconer_core::PlannedOutput;

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

/// Load then plan, the two pure steps `run` starts with. The outputs that loaded are
/// validated even when something else is wrong, so every problem is reported at once. With
/// no output configured, alerts go to stdout.
pub fn load_and_plan(file: Option<&Path>) -> Result<(Config, Vec<PlannedOutput>), ConfigErrors> {
    let registry = outputs::builtin();
    let sources = Sources::from_process(file)?;
    let (mut config, mut errors) = falconer_config::load_partial(&sources, &registry.schemas());
    if config.outputs.is_empty() && errors.is_empty() && registry.get("stdout").is_some() {
        config.outputs.push(OutputEntry {
            name: "stdout".into(),
            kind: "stdout".into(),
            path: "stdout".into(),
            common: CommonSettings::default(),
            settings: serde_json::json!({}),
        });
        config
            .warnings
            .push("no output configured: alerts are written to stdout".into());
    }
    let planned = match falconer_core::plan(&config, &registry) {
        Ok(planned) => planned,
        Err(e) => {
            errors.0.extend(e.0);
            Vec::new()
        }
    };
    errors.into_result((config, planned))
}
