//! The built-in event UI (`ui:` block): its settings, read with the UI crate's own types, and
//! its listener on :2802 next to ingest.

use std::sync::Arc;

use falconer_config::{ConfigErrors, GlobalSettings};
use falconer_listen::ConnectionPool;
use falconer_webui::{RuntimeInfo, RuntimeStatus, Settings, Silences, Stores};
use serde_json::json;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

#[path = "ui_info.rs"]
mod runtime;
use runtime::{output_reader, policy_status, ProcessInfo};

/// The `ui:` block with its defaults resolved, or `None` when it is absent (the UI listener
/// is then off; the store a `webui` output writes to still defaults to
/// `<datadir>/webui.sqlite`). Every problem is reported with its path under `ui.`.
pub fn settings(global: &GlobalSettings) -> Result<Option<Settings>, ConfigErrors> {
    let Some(raw) = &global.ui else {
        return Ok(None);
    };
    let mut errors = ConfigErrors::default();
    let mut settings: Settings = match serde_json::from_value(raw.clone()) {
        Ok(s) => s,
        Err(e) => {
            errors.push("ui", e.to_string());
            return Err(errors);
        }
    };
    settings.resolve(&global.datadir);
    for (path, message) in settings.validate() {
        errors.push(format!("ui.{path}"), message);
    }
    errors.into_result(Some(settings))
}

/// The process's stores: the one a `webui` output without its own `store:` uses is the `ui:`
/// block's, else the default under `datadir`. The UI and the outputs share it.
pub fn stores(global: &GlobalSettings, ui: Option<&Settings>) -> Arc<Stores> {
    let store = match ui {
        Some(ui) => ui.store.clone(),
        None => {
            let mut defaults = Settings::default();
            defaults.resolve(&global.datadir);
            defaults.store
        }
    };
    Stores::new(store)
}

/// Binds the UI listener and serves it until `stop`; `Ok(None)` when the UI is off.
/// Sign-in failures and refusals are counted in `ui_metrics`; `runtime` feeds the Info
/// page.
pub async fn start(
    ui: &Settings,
    stores: &Stores,
    outputs: Vec<String>,
    pool: Arc<ConnectionPool>,
    ui_metrics: falconer_webui::UiMetrics,
    runtime: Option<Arc<dyn RuntimeInfo>>,
    stop: CancellationToken,
) -> Result<Option<tokio::task::JoinHandle<()>>, String> {
    if ui.disabled {
        return Ok(None);
    }
    let store = stores
        .shared(&ui.store)
        .await
        .map_err(|e| format!("cannot open the UI store: {e}"))?;
    let info = falconer_webui::UiInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        commit: option_env!("FALCONER_COMMIT")
            .unwrap_or_default()
            .to_owned(),
        outputs: outputs.clone(),
        config: json!({ "ui": ui.masked(), "outputs": outputs }),
        runtime,
    };
    let state = falconer_webui::UiState::with_metrics(ui, store, info, ui_metrics)?;
    let listener = falconer_webui::bind(ui).await?;
    if let Ok(addr) = listener.local_addr() {
        info!(address = %addr, basepath = %ui.base(), "Web UI listening.");
    }
    let settings = ui.clone();
    Ok(Some(tokio::spawn(async move {
        falconer_webui::serve(listener, state, &settings, pool, stop).await;
    })))
}

/// The silences kept in the UI store (made through the UI and its API), as the router
/// applies them: the store the UI and the `webui` output share is opened (once per
/// process) and read every `ui.silencepoll` (5 s), and at once after a change made through
/// this process. `None` without a `ui:` block (there is then no API to make silences with)
/// or when the store cannot be opened (logged); the config file's silences still apply.
pub(crate) async fn silence_feed(
    global: &GlobalSettings,
    ui: Option<&Settings>,
    stores: &Stores,
    stop: CancellationToken,
) -> Option<watch::Receiver<Silences>> {
    let Some(ui) = ui else {
        tracing::debug!(datadir = %global.datadir, "no ui: block: no silences from the UI store");
        return None;
    };
    match stores.shared(&ui.store).await {
        Ok(store) => {
            let feed = falconer_webui::silence_feed(store, ui.silencepoll.0, stop).await;
            info!(
                store = ui.store.kind.as_str(),
                silences = feed.borrow().len(),
                poll = ?ui.silencepoll,
                "Silences from the UI store applied."
            );
            Some(feed)
        }
        Err(e) => {
            warn!(error = %e, "Cannot open the UI store: its silences are not applied.");
            None
        }
    }
}

/// The web UI of this process, as `run` uses it: its settings (none without a `ui:` block)
/// and the stores it shares with the `webui` output.
pub(crate) struct Ui {
    settings: Option<Settings>,
    stores: Arc<Stores>,
    /// The config file's routes and silences, for the Info page.
    policy: RuntimeStatus,
}

impl Ui {
    /// Reads the `ui:` block (every problem with its path).
    pub(crate) fn load(global: &GlobalSettings) -> Result<Ui, ConfigErrors> {
        let settings = settings(global)?;
        let stores = stores(global, settings.as_ref());
        Ok(Ui {
            settings,
            stores,
            policy: policy_status(global),
        })
    }

    /// What the outputs are given at build time: the stores.
    pub(crate) fn resources(&self) -> falconer_core::Resources {
        falconer_core::Resources::default().with(self.stores.clone())
    }

    /// The UI listener's connection caps (`maxconnections`, `maxconnectionsperclient`);
    /// `(0, 1)` when it is off.
    pub(crate) fn caps(&self) -> (usize, usize) {
        self.settings
            .as_ref()
            .filter(|u| !u.disabled)
            .map_or((0, 1), |u| (u.maxconnections, u.maxconnectionsperclient))
    }

    /// The silences of the UI store, when there is a `ui:` block.
    pub(crate) async fn silence_feed(
        &self,
        global: &GlobalSettings,
        stop: CancellationToken,
    ) -> Option<watch::Receiver<Silences>> {
        silence_feed(global, self.settings.as_ref(), &self.stores, stop).await
    }

    /// Starts the UI listener when configured and not disabled.
    pub(crate) async fn start(
        &self,
        outputs: Vec<String>,
        pool: Arc<ConnectionPool>,
        metrics: &falconer_metrics::Metrics,
        stop: CancellationToken,
    ) -> Result<Option<tokio::task::JoinHandle<()>>, String> {
        let Some(ui) = &self.settings else {
            return Ok(None);
        };
        let ui_metrics = metrics
            .ui()
            .map_err(|e| format!("cannot set up the web UI metrics: {e}"))?;
        let runtime: Arc<dyn RuntimeInfo> = Arc::new(ProcessInfo {
            policy: self.policy.clone(),
            outputs: output_reader(outputs.clone(), metrics),
        });
        start(
            ui,
            &self.stores,
            outputs,
            pool,
            ui_metrics,
            Some(runtime),
            stop,
        )
        .await
    }
}

/// `falconer ui hash-password`: the argon2id hash of `password`.
pub(crate) fn hash_password(password: &str) -> Result<String, String> {
    falconer_webui::hash_password(password).map_err(|e| e.to_string())
}
