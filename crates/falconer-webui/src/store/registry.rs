//! One open store per database, for the whole process: the `webui` output instance(s) and the
//! UI listener ask the process's [`Stores`] for the store by its settings and get the same
//! handle, opened once, with one retention task. The binary makes one [`Stores`] and hands it
//! to the UI and, through the outputs' build context, to the `webui` output.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{open_store, spawn_retention, Store, StoreError};
use crate::settings::StoreSettings;

/// The stores open in this process, and the one a `webui` output without its own `store:`
/// writes to.
pub struct Stores {
    default: StoreSettings,
    open: Mutex<HashMap<String, Store>>,
    /// Serialises opening, so two callers never open the same database twice.
    opening: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open: Vec<String> = self
            .open
            .lock()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        f.debug_struct("Stores")
            .field("default", &self.default.kind.as_str())
            .field("open", &open.len())
            .finish()
    }
}

impl Stores {
    /// A registry whose default store is `default` (the `ui.store` settings, resolved).
    pub fn new(default: StoreSettings) -> Arc<Self> {
        Arc::new(Stores {
            default,
            open: Mutex::new(HashMap::new()),
            opening: tokio::sync::Mutex::new(()),
        })
    }

    /// A registry with the default store settings (SQLite `webui.sqlite` in the working
    /// directory), for a `webui` output built without the process's registry.
    pub fn with_defaults() -> Arc<Self> {
        let mut settings = StoreSettings::default();
        settings.resolve("");
        Self::new(settings)
    }

    /// The store a `webui` output without its own `store:` writes to.
    pub fn default_settings(&self) -> StoreSettings {
        self.default.clone()
    }

    /// The store for `settings`: opened (and its retention task started) on first use, shared
    /// afterwards. The first caller's retention settings win.
    pub async fn shared(&self, settings: &StoreSettings) -> Result<Store, StoreError> {
        // The key names a SQLite file by its folder's canonical path, which exists only once
        // the folder does: make it first, so the first caller and the later ones agree.
        if settings.kind == crate::settings::StoreKind::Sqlite {
            if let Some(dir) = std::path::Path::new(&settings.path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                let _ = std::fs::create_dir_all(dir);
            }
        }
        let key = settings.key();
        if let Some(store) = self.lookup(&key) {
            return Ok(store);
        }
        let _guard = self.opening.lock().await;
        if let Some(store) = self.lookup(&key) {
            return Ok(store);
        }
        let store = open_store(settings).await?;
        spawn_retention(&store, settings.retention);
        tracing::info!(store = settings.kind.as_str(), retention = ?settings.retention, "webui store open");
        self.open
            .lock()
            .map_err(|_| StoreError::Task("store registry poisoned".into()))?
            .insert(key, store.clone());
        Ok(store)
    }

    fn lookup(&self, key: &str) -> Option<Store> {
        self.open.lock().ok()?.get(key).cloned()
    }
}
