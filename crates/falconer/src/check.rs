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
            if let Ok(Some(webhook)) = crate::k8saudit::webhook(&config.global) {
                let k8saudit = &config.global.k8saudit;
                println!(
                    "  k8saudit: POST /k8s-audit{}, {} rules evaluated (rulematching {}), rules files: {}",
                    if k8saudit.listenport == 0 {
                        String::new()
                    } else {
                        format!(" (also on port {})", k8saudit.listenport)
                    },
                    webhook.engine.rules().len(),
                    k8saudit.rulematching,
                    if k8saudit.rulesfiles.is_empty() {
                        "default".to_owned()
                    } else {
                        k8saudit.rulesfiles.join(", ")
                    }
                );
            }
            for p in &outputs {
                let minimum = p
                    .common()
                    .minimum_priority()
                    .map_or("none", |m| m.as_lower_str());
                let matched = if p.common().condition.trim().is_empty() {
                    String::new()
                } else {
                    format!(", match {}", p.common().condition.trim())
                };
                println!(
                    "  output {} (type {}, minimumpriority {minimum}{matched})",
                    p.name(),
                    p.kind.name
                );
            }
            let global = &config.global;
            for (i, r) in global.routes.iter().enumerate() {
                println!(
                    "  routes[{i}]: {} -> {}{}",
                    if r.condition.trim().is_empty() {
                        "every alert"
                    } else {
                        r.condition.trim()
                    },
                    r.outputs.join(", "),
                    if r.continue_matching {
                        " (continue)"
                    } else {
                        ""
                    }
                );
            }
            if !global.defaultroute.is_empty() {
                println!("  defaultroute: {}", global.defaultroute.join(", "));
            }
            if !global.silences.is_empty() {
                println!("  silences: {} in the file", global.silences.len());
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
