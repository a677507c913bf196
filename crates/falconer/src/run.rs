//! `falconer run`: load → validate → build → serve → drain.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use falconer_core::{Dispatcher, StartError};
use falconer_event::Enricher;
use falconer_ingest::{IngestLimits, IngestState, ServeSettings};
use falconer_listen::{ConnectionCaps, ConnectionPool};

use crate::listeners::Listeners;
use falconer_metrics::{Metrics, SeriesLimits};
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
    let hangup = crate::reload::hangup_signal();
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
    let in_force = config.clone();
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
    let limits = SeriesLimits {
        max_series: global.prometheus.maxseries,
        k8s_labels: global.prometheus.k8slabels,
    };
    let metrics = match Metrics::with_limits(&label_fields, &limits) {
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
    let ui = match crate::ui::Ui::load(&global) {
        Ok(ui) => ui,
        Err(problems) => {
            eprintln!("Invalid configuration:\n{problems}");
            return ExitCode::FAILURE;
        }
    };
    let k8saudit = match crate::k8saudit::webhook(&global) {
        Ok(webhook) => webhook,
        Err(problems) => {
            eprintln!("Invalid configuration:\n{problems}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(webhook) = &k8saudit {
        info!(
            rules = webhook.engine.rules().len(),
            "Kubernetes audit webhook on POST /k8s-audit."
        );
    }
    // The outputs share the UI's stores and the metrics registry (`statsd` and `dogstatsd`
    // push what it counts).
    let resources = ui.resources().with(Arc::new(metrics.registry().clone()));
    let dispatcher =
        match Dispatcher::start_with(planned, &metrics, global.clone(), resources).await {
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
    info!(outputs = ?dispatcher.outputs(), "Enabled Outputs.");
    let stop = CancellationToken::new();
    if let Some(mut feed) = ui.silence_feed(&global, stop.clone()).await {
        dispatcher.set_api_silences(feed.borrow_and_update().clone());
        let dispatcher = dispatcher.clone();
        tokio::spawn(async move {
            while feed.changed().await.is_ok() {
                let silences = feed.borrow_and_update().clone();
                dispatcher.set_api_silences(silences);
            }
        });
    }

    let listeners = match Listeners::bind(&global).await {
        Ok(l) => l,
        Err(e) => {
            error!(error = %e, "Cannot start ingest.");
            return ExitCode::FAILURE;
        }
    };

    let (ingest_pool, ui_pool) = connection_pools(&global, ui.caps(), &metrics);
    let ui_task = match ui
        .start(dispatcher.outputs(), ui_pool, &metrics, stop.clone())
        .await
    {
        Ok(task) => task,
        Err(e) => {
            error!(error = %e, "Cannot start the web UI.");
            return ExitCode::FAILURE;
        }
    };

    let (reload_tx, reload_rx) = tokio::sync::mpsc::channel(4);
    let reload_token = global.reload.token.expose();
    let state = Arc::new(IngestState {
        dispatcher: dispatcher.clone(),
        enricher: enricher.into(),
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
        k8saudit,
        reload: (!reload_token.is_empty()).then(|| falconer_ingest::ReloadEndpoint {
            token: reload_token.to_owned(),
            requests: reload_tx,
        }),
    });
    let reloader = Arc::new(crate::reload::Reloader::new(
        file.map(Path::to_path_buf),
        in_force,
        dispatcher.clone(),
        state.clone(),
        state.metrics.clone(),
    ));
    tokio::spawn({
        let global = global.clone();
        let stop = stop.clone();
        async move { crate::reload::serve(reloader, &global, hangup, reload_rx, stop).await }
    });
    tokio::spawn(stop_on_signal(stop.clone()));
    listeners
        .serve(
            state,
            ServeSettings {
                header_timeout: global.ingest.headertimeout.0,
                idle_timeout: global.ingest.idletimeout.0,
                drain_timeout: ingest_drain(global.shutdown.graceperiod.0),
                client_addr: global.ingest.ratelimit > 0,
            },
            ingest_pool,
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

/// The connection caps of ingest and the UI, fitted together into the open-files limit
/// (raised to its hard limit first), so a flood on one cannot take the descriptors the other
/// and the outputs need.
fn connection_pools(
    global: &falconer_config::GlobalSettings,
    ui_caps: (usize, usize),
    metrics: &Metrics,
) -> (Arc<ConnectionPool>, Arc<ConnectionPool>) {
    let fitted = falconer_listen::budget_connections(
        &["ingest", "ui"],
        &[global.ingest.maxconnections, ui_caps.0],
    );
    let caps = |max: usize, per_client: usize| ConnectionCaps {
        max_connections: max,
        max_per_client: per_client.min(max),
    };
    let ingest = ConnectionPool::new(
        "ingest",
        caps(fitted[0], global.ingest.maxconnectionsperclient),
        metrics.listener("ingest"),
    );
    let ui = ConnectionPool::new("ui", caps(fitted[1], ui_caps.1), metrics.listener("ui"));
    info!(
        ingest_maxconnections = ingest.caps().max_connections,
        ingest_maxconnectionsperclient = ingest.caps().max_per_client,
        ui_maxconnections = ui.caps().max_connections,
        "Connection caps."
    );
    (ingest, ui)
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
