//! `falconer run`: load → validate → build → serve → drain.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use falconer_core::{Dispatcher, StartError};
use falconer_event::Enricher;
use falconer_ingest::{IngestLimits, IngestState, ServeSettings};

use crate::listeners::Listeners;
use falconer_metrics::Metrics;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// Serves until SIGTERM/SIGINT, then drains. Exit 1 when the config is invalid or an output
/// cannot be built.
pub fn run(file: Option<&Path>) -> ExitCode {
    match runtime() {
        Some(rt) => rt.block_on(async_run(file)),
        None => ExitCode::FAILURE,
    }
}

/// The async runtime. With one CPU available (a container limit, or pinning), a
/// current-thread runtime does the same work without the multi-thread scheduler's hand-offs.
pub(crate) fn runtime() -> Option<tokio::runtime::Runtime> {
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let mut builder = if cpus == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    match builder.enable_all().build() {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            None
        }
    }
}

pub(crate) fn init_logging(debug: bool) {
    let default = if debug { "debug" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    if std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn async_run(file: Option<&Path>) -> ExitCode {
    let (config, planned) = match crate::startup::load_and_plan(file) {
        Ok(loaded) => loaded,
        Err(problems) => {
            eprintln!("Invalid configuration:\n{problems}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(config.global.debug);
    for w in &config.warnings {
        warn!("{w}");
    }
    let global = Arc::new(config.global);
    let enricher = match Enricher::new(&global.enrich_settings()) {
        Ok(e) => Arc::new(e),
        Err(e) => {
            error!(error = %e, "Invalid configuration.");
            return ExitCode::FAILURE;
        }
    };
    let mut label_fields: Vec<String> = enricher.added_field_keys().map(str::to_owned).collect();
    label_fields.extend(global.prometheus_extra_labels());
    let metrics = match Metrics::new(&label_fields) {
        Ok((m, skipped)) => {
            for field in skipped {
                warn!(field = %field, "Not a valid Prometheus label name; not added to falco_events_total.");
            }
            Arc::new(m)
        }
        Err(e) => {
            error!(error = %e, "Cannot set up metrics.");
            return ExitCode::FAILURE;
        }
    };
    let ui = match crate::ui::settings(&global) {
        Ok(ui) => ui,
        Err(problems) => {
            eprintln!("Invalid configuration:\n{problems}");
            return ExitCode::FAILURE;
        }
    };
    crate::ui::install_default_store(&global, ui.as_ref());
    let dispatcher = match Dispatcher::start(planned, &metrics, global.clone()).await {
        Ok(d) => Arc::new(d),
        Err(StartError::Build(errors)) => {
            for e in errors {
                error!(error = %e, "Cannot start output.");
            }
            return ExitCode::FAILURE;
        }
        Err(e) => {
            error!(error = %e, "Cannot start.");
            return ExitCode::FAILURE;
        }
    };
    info!(outputs = ?dispatcher.outputs().collect::<Vec<_>>(), "Enabled Outputs.");

    let listeners = match Listeners::bind(&global).await {
        Ok(l) => l,
        Err(e) => {
            error!(error = %e, "Cannot start ingest.");
            return ExitCode::FAILURE;
        }
    };

    let stop = CancellationToken::new();
    let ui_task = match &ui {
        Some(ui) => {
            let outputs = dispatcher.outputs().map(str::to_owned).collect();
            match crate::ui::start(ui, outputs, stop.clone()).await {
                Ok(task) => task,
                Err(e) => {
                    error!(error = %e, "Cannot start the web UI.");
                    return ExitCode::FAILURE;
                }
            }
        }
        None => None,
    };

    let state = Arc::new(IngestState {
        dispatcher: dispatcher.clone(),
        enricher,
        metrics,
        limits: IngestLimits {
            max_body_bytes: global.ingest.maxbodybytes,
            body_timeout: global.ingest.bodytimeout.0,
        },
        debug: global.debug,
        refusal_log: falconer_core::LogThrottle::new(1000),
        token: (!global.ingest.token.is_empty()).then(|| global.ingest.token.expose().to_owned()),
        rate_limit: falconer_ingest::ClientLimiter::new(
            global.ingest.ratelimit,
            global.ingest.ratelimitburst,
        ),
    });
    tokio::spawn(stop_on_signal(stop.clone()));
    listeners
        .serve(
            state,
            ServeSettings {
                header_timeout: global.ingest.headertimeout.0,
                drain_timeout: ingest_drain(global.shutdown.graceperiod.0),
                client_addr: global.ingest.ratelimit > 0,
            },
            stop,
        )
        .await;

    let grace = global
        .shutdown
        .graceperiod
        .0
        .saturating_sub(ingest_drain(global.shutdown.graceperiod.0));
    info!(grace = ?grace, "Ingest stopped; draining output queues.");
    let report = dispatcher.shutdown(grace).await;
    if let Some(task) = ui_task {
        // The UI drains its requests within 5 s of the stop signal.
        let _ = task.await;
    }
    if report.undelivered.is_empty() {
        info!("All queued alerts were delivered or accounted for. Bye.");
    } else {
        for (output, count, spooled) in &report.undelivered {
            if *spooled {
                warn!(output = %output, alerts = count, "Shutdown grace period ended; alerts stay in the spool for the next start.");
            } else {
                error!(output = %output, alerts = count, dead_letters = ?dispatcher.dead_letters().path(), "Shutdown grace period ended; alerts not delivered were kept as dead letters.");
            }
        }
    }
    ExitCode::SUCCESS
}

/// Of the shutdown grace period, the part requests in progress get to finish (a fifth, at
/// most 5 s); the output queues get the rest. Together they stay within `graceperiod`, so the
/// default fits Kubernetes' 30 s `terminationGracePeriodSeconds`.
fn ingest_drain(grace: std::time::Duration) -> std::time::Duration {
    (grace / 5).min(std::time::Duration::from_secs(5))
}

async fn stop_on_signal(stop: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => info!("SIGINT received."),
                    _ = term.recv() => info!("SIGTERM received."),
                }
            }
            Err(e) => {
                warn!(error = %e, "Cannot watch SIGTERM; only SIGINT stops Falconer.");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    stop.cancel();
}
