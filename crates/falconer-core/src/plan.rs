//! Startup in two phases: [`plan`] validates every instance without I/O (what
//! `falconer check` runs), then [`crate::Dispatcher::start`] builds and starts them.

use falconer_config::{CommonSettings, Config, ConfigErrors, OutputEntry};

use crate::kind::{OutputKind, PreparedOutput, Registry};

/// One output instance, validated and ready to build.
pub struct PlannedOutput {
    /// Its config entry.
    pub entry: OutputEntry,
    /// Its kind.
    pub kind: OutputKind,
    pub(crate) prepared: Box<dyn PreparedOutput>,
}

impl PlannedOutput {
    /// The instance name.
    pub fn name(&self) -> &str {
        &self.entry.name
    }

    /// Its common settings.
    pub fn common(&self) -> &CommonSettings {
        &self.entry.common
    }
}

impl std::fmt::Debug for PlannedOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlannedOutput")
            .field("name", &self.entry.name)
            .field("kind", &self.kind.name)
            .finish()
    }
}

/// Validates every output instance of `config`; reports every problem.
pub fn plan(config: &Config, registry: &Registry) -> Result<Vec<PlannedOutput>, ConfigErrors> {
    let mut errors = ConfigErrors::default();
    let mut planned = Vec::new();
    for entry in &config.outputs {
        let Some(kind) = registry.get(&entry.kind) else {
            errors.push(
                format!("{}.type", entry.path),
                format!("unknown output type {:?}", entry.kind),
            );
            continue;
        };
        match kind.prepare(entry) {
            Ok(prepared) => planned.push(PlannedOutput {
                entry: entry.clone(),
                kind: *kind,
                prepared,
            }),
            Err(e) => errors.0.extend(e.0),
        }
    }
    errors.into_result(planned)
}
