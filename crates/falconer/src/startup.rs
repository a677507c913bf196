//! The pure half of startup, shared by `run` and `check`.

use std::path::Path;

use falconer_config::{CommonSettings, Config, ConfigErrors, OutputEntry, Sources};
use falconer_core::PlannedOutput;

use crate::outputs;

/// Load then plan, the two pure steps `run` starts with. The outputs that loaded are
/// validated even when something else is wrong, so every problem is reported at once. With
/// no output configured, alerts go to stdout.
pub fn load_and_plan(file: Option<&Path>) -> Result<(Config, Vec<PlannedOutput>), ConfigErrors> {
    let registry = outputs::builtin();
    let sources = Sources::from_process(file)?;
    let (mut config, mut errors) = falconer_config::load_partial(&sources, &registry.schemas());
    if config.outputs.is_empty() && errors.is_empty() && registry.get("stdout").is_some() {
        config.outputs.push(OutputEntry {
            name: "stdout".into(),
            kind: "stdout".into(),
            path: "stdout".into(),
            common: CommonSettings::default(),
            settings: serde_json::json!({}),
        });
        config
            .warnings
            .push("no output configured: alerts are written to stdout".into());
    }
    if let Err(e) = crate::ui::settings(&config.global) {
        errors.0.extend(e.0);
    }
    if let Err(e) = crate::k8saudit::webhook(&config.global) {
        errors.0.extend(e.0);
    }
    if let Err(e) = falconer_policy::Policy::compile(&config, chrono::Utc::now()) {
        errors.0.extend(e.0);
    }
    let planned = match falconer_core::plan(&config, &registry) {
        Ok(planned) => planned,
        Err(e) => {
            errors.0.extend(e.0);
            Vec::new()
        }
    };
    errors.into_result((config, planned))
}
