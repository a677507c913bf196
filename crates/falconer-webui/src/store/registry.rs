//! One open store per database, process-wide: the `webui` output instance(s) and the UI
//! listener ask for the store by its settings and get the same handle, opened once, with one
//! retention task.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::{open_store, spawn_retention, Store, StoreError};
use crate::settings::StoreSettings;

#[derive(Default)]
struct Registry {
    default: Option<StoreSettings>,
    open: HashMap<String, Store>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

/// Serialises opening, so two callers never open the same database twice.
fn open_lock() -> &'static tokio::sync::Mutex<()> {
    static LOCK: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
}

/// Records the `ui.store` settings (resolved) as the store a `webui` output without its
/// own `store:` writes to. Call before the outputs are built.
pub fn set_default_store(settings: StoreSettings) {
    if let Ok(mut r) = registry().lock() {
        r.default = Some(settings);
    }
}

/// The settings recorded by [`set_default_store`], or the defaults (SQLite `webui.sqlite`
/// in the working directory) when there is no `ui:` block.
pub fn default_store_settings() -> StoreSettings {
    registry()
        .lock()
        .ok()
        .and_then(|r| r.default.clone())
        .unwrap_or_else(|| {
            let mut s = StoreSettings::default();
            s.resolve("");
            s
        })
}

/// The store for `settings`: opened (and its retention task started) on first use, shared
/// afterwards. The first caller's retention settings win.
pub async fn shared_store(settings: &StoreSettings) -> Result<Store, StoreError> {
    let key = settings.key();
    if let Some(store) = lookup(&key) {
        return Ok(store);
    }
    let _guard = open_lock().lock().await;
    if let Some(store) = lookup(&key) {
        return Ok(store);
    }
    let store = open_store(settings).await?;
    spawn_retention(&store, settings.retention);
    tracing::info!(store = settings.kind.as_str(), retention = ?settings.retention, "webui store open");
    registry()
        .lock()
        .map_err(|_| StoreError::Task("store registry poisoned".into()))?
        .open
        .insert(key, store.clone());
    Ok(store)
}

fn lookup(key: &str) -> Option<Store> {
    registry().lock().ok()?.open.get(key).cloned()
}
