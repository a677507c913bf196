//! `falconer replay`: sends the alerts of a dead-letter file again, through one output
//! instance of the configuration, with its retry policy. What fails again is kept as dead
//! letters under `<datadir>/replay/`, so a running Falconer's own file is never written by two
//! processes.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use falconer_config::MAX_QUEUE_CAPACITY;
use falconer_core::{read_dead_letters, Dispatcher, StartError};
use falconer_metrics::Metrics;

use crate::startup::load_and_plan;

/// Longest a replay waits for its last attempts to settle.
const REPLAY_DEADLINE: Duration = Duration::from_secs(24 * 60 * 60);

/// Replays `file` through output `name`. Exit 1 when anything was not delivered.
pub fn replay(config: Option<&Path>, name: &str, all: bool, file: &Path) -> ExitCode {
    let (mut config, planned) = match load_and_plan(config) {
        Ok(loaded) => loaded,
        Err(problems) => {
            eprintln!("Invalid configuration:\n{problems}");
            return ExitCode::FAILURE;
        }
    };
    crate::run::init_logging(config.global.debug);
    let names: Vec<String> = planned.iter().map(|p| p.name().to_owned()).collect();
    let Some(mut target) = planned.into_iter().find(|p| p.name() == name) else {
        eprintln!("no output named {name:?} (outputs: {})", names.join(", "));
        return ExitCode::FAILURE;
    };

    let records = match read_dead_letters(file) {
        Ok(records) => records,
        Err(e) => {
            eprintln!("cannot read {}: {e}", file.display());
            return ExitCode::FAILURE;
        }
    };
    let mut alerts = Vec::new();
    let mut unreadable = 0usize;
    let mut skipped = 0usize;
    for record in records {
        match record.and_then(|r| {
            if all || r.meta.output == name {
                r.to_alert().map(Some).map_err(|e| (0, e.to_string()))
            } else {
                Ok(None)
            }
        }) {
            Ok(Some(alert)) => alerts.push(Arc::new(alert)),
            Ok(None) => skipped += 1,
            Err((line, e)) => {
                eprintln!("{}:{line}: not a dead letter: {e}", file.display());
                unreadable += 1;
            }
        }
    }

    // The replay's own run of the output: in memory (a running Falconer may hold the spool),
    // room for every alert, its dead letters in their own folder.
    target.entry.common.spool.enabled = false;
    target.entry.common.queue.capacity = alerts.len().clamp(1, MAX_QUEUE_CAPACITY);
    config.global.datadir = Path::new(&config.global.datadir)
        .join("replay")
        .display()
        .to_string();
    config.global.deadletter.output.clear();
    let global = Arc::new(config.global);
    let Some(runtime) = crate::run::runtime() else {
        return ExitCode::FAILURE;
    };
    runtime.block_on(async move {
        let metrics = match Metrics::new(&[]) {
            Ok((m, _)) => m,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let kind = target.kind;
        let dispatcher = match Dispatcher::start(vec![target], &metrics, global.clone()).await {
            Ok(d) => d,
            Err(StartError::Build(errors)) => {
                for e in errors {
                    eprintln!("cannot start output: {e}");
                }
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let total = alerts.len();
        for alert in alerts {
            let _ = dispatcher.dispatch(alert).await;
        }
        dispatcher.shutdown(REPLAY_DEADLINE).await;
        let counts = metrics.output(name, kind.name, kind.destination);
        let delivered = counts.delivered_count();
        let failed = total as u64 - delivered;
        println!(
            "{}: {total} dead letter(s) for {name}: {delivered} delivered, {failed} failed{}{}",
            file.display(),
            if skipped > 0 {
                format!(", {skipped} of other outputs skipped (--all sends them too)")
            } else {
                String::new()
            },
            if unreadable > 0 {
                format!(", {unreadable} unreadable line(s)")
            } else {
                String::new()
            },
        );
        if failed > 0 {
            if let Some(path) = dispatcher.dead_letters().path() {
                println!("failed again, kept in {}", path.display());
            }
        }
        if failed > 0 || unreadable > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    })
}
