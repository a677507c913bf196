//! The built-in event UI (`ui:` block): its settings, read with the UI crate's own types, and
//! its listener on :2802 next to ingest.

use falconer_config::{ConfigErrors, GlobalSettings};
use falconer_webui::Settings;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing::info;

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

/// The store a `webui` output uses when it names none: the `ui:` block's, else the default
/// under `datadir`.
pub fn install_default_store(global: &GlobalSettings, ui: Option<&Settings>) {
    let store = match ui {
        Some(ui) => ui.store.clone(),
        None => {
            let mut defaults = Settings::default();
            defaults.resolve(&global.datadir);
            defaults.store
        }
    };
    falconer_webui::set_default_store(store);
}

/// Binds the UI listener and serves it until `stop`; `Ok(None)` when the UI is off.
pub async fn start(
    ui: &Settings,
    outputs: Vec<String>,
    stop: CancellationToken,
) -> Result<Option<tokio::task::JoinHandle<()>>, String> {
    if ui.disabled {
        return Ok(None);
    }
    let store = falconer_webui::shared_store(&ui.store)
        .await
        .map_err(|e| format!("cannot open the UI store: {e}"))?;
    let info = falconer_webui::UiInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        commit: option_env!("FALCONER_COMMIT")
            .unwrap_or_default()
            .to_owned(),
        outputs: outputs.clone(),
        config: json!({ "ui": ui.masked(), "outputs": outputs }),
    };
    let state = falconer_webui::UiState::new(ui, store, info)?;
    let listener = falconer_webui::bind(ui).await?;
    if let Ok(addr) = listener.local_addr() {
        info!(address = %addr, basepath = %ui.base(), "Web UI listening.");
    }
    Ok(Some(tokio::spawn(falconer_webui::serve(
        listener, state, stop,
    ))))
}
