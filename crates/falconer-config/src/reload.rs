//! `reload:`: changing the configuration without a restart.

use serde::Deserialize;

use crate::duration::GoDuration;
use crate::secret::Secret;

/// `reload.*`. Besides these, SIGHUP always reloads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReloadSettings {
    /// Reload when the config file or a secret file it names (`*file` keys) changes, checked
    /// every `interval`.
    pub watch: bool,
    /// How often the files are checked.
    pub interval: GoDuration,
    /// Enables `POST /-/reload` on the ingest port for requests carrying `Authorization:
    /// Bearer <token>`; empty: the endpoint answers 404. `tokenfile` (or
    /// `RELOAD_TOKEN_FILE`) reads it from a file.
    pub token: Secret,
}

impl Default for ReloadSettings {
    fn default() -> Self {
        ReloadSettings {
            watch: true,
            interval: GoDuration::from_secs(2),
            token: Secret::default(),
        }
    }
}
