//! A binary built without the `ui` feature: no event UI, no UI store. A `ui:` block is
//! reported (it would otherwise be ignored silently) and `webui` outputs are not compiled in.

use std::sync::Arc;

use falconer_config::{ConfigErrors, GlobalSettings};
use falconer_listen::ConnectionPool;
use falconer_policy::Silences;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// What `falconer check` and `run` say about a `ui:` block this build cannot serve.
pub fn settings(global: &GlobalSettings) -> Result<Option<()>, ConfigErrors> {
    let mut errors = ConfigErrors::default();
    if global.ui.is_some() {
        errors.push(
            "ui",
            "this falconer was built without the web UI (cargo feature `ui`); remove the block or use a build with it",
        );
    }
    errors.into_result(None)
}

/// No web UI.
pub(crate) struct Ui;

impl Ui {
    pub(crate) fn load(global: &GlobalSettings) -> Result<Ui, ConfigErrors> {
        settings(global).map(|_| Ui)
    }

    pub(crate) fn resources(&self) -> falconer_core::Resources {
        falconer_core::Resources::default()
    }

    pub(crate) fn caps(&self) -> (usize, usize) {
        (0, 1)
    }

    pub(crate) async fn silence_feed(
        &self,
        _: &GlobalSettings,
        _: CancellationToken,
    ) -> Option<watch::Receiver<Silences>> {
        None
    }

    pub(crate) async fn start(
        &self,
        _: Vec<String>,
        _: Arc<ConnectionPool>,
        _: &falconer_metrics::Metrics,
        _: CancellationToken,
    ) -> Result<Option<tokio::task::JoinHandle<()>>, String> {
        Ok(None)
    }
}

/// No UI, no password hashing.
pub(crate) fn hash_password(_: &str) -> Result<String, String> {
    Err("this falconer was built without the web UI (cargo feature `ui`)".into())
}
