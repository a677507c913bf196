//! Output kinds: how a kind's config is read, validated (pure) and built (may do I/O).

use std::sync::Arc;
use std::time::Duration;

use falconer_config::{
    from_value, join_path, ConfigErrors, GlobalSettings, KindSchema, OutputEntry,
};
use serde::de::DeserializeOwned;

use crate::error::BuildError;
use crate::output::Output;

/// Delivery defaults a kind declares; an instance's `batch.*` and `retry.maxattempts` keys
/// override them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryDefaults {
    /// Alerts per `send` call at most (1 for kinds that send one alert per request; such
    /// kinds ignore `batch.*`).
    pub max_batch: usize,
    /// Payload bytes per `send` call at most.
    pub batch_bytes: usize,
    /// How long a partial batch waits for more alerts.
    pub linger: Duration,
    /// Attempts per alert (the first included) when the spool is off.
    pub max_attempts: u32,
}

impl DeliveryDefaults {
    /// One alert per request, 5 attempts.
    pub const REALTIME: DeliveryDefaults = DeliveryDefaults {
        max_batch: 1,
        batch_bytes: usize::MAX,
        linger: Duration::ZERO,
        max_attempts: 5,
    };

    /// A kind that sends up to `max_batch` alerts and `batch_bytes` bytes per request,
    /// waiting up to `linger` to fill a batch.
    pub const fn batching(max_batch: usize, batch_bytes: usize, linger: Duration) -> Self {
        DeliveryDefaults {
            max_batch,
            batch_bytes,
            linger,
            max_attempts: 5,
        }
    }

    /// True when the kind sends several alerts per request.
    pub fn batches(&self) -> bool {
        self.max_batch > 1
    }
}

/// What building an output may use.
#[derive(Clone, Debug)]
pub struct BuildContext {
    /// The instance name.
    pub name: String,
    /// The instance's config path, for error messages.
    pub path: String,
    /// The global settings (TLS material, debug).
    pub global: Arc<GlobalSettings>,
    /// Handles the process shares with outputs (the UI's stores, say), found by type.
    pub resources: Resources,
}

/// Handles the process shares with the outputs it builds, found by their type: the web UI's
/// store registry, so that the `webui` output and the UI write to one store. Empty where
/// nothing is shared (tests, `falconer replay`).
#[derive(Clone, Default)]
pub struct Resources(Vec<Arc<dyn std::any::Any + Send + Sync>>);

impl Resources {
    /// These resources and `value`.
    pub fn with<T: std::any::Any + Send + Sync>(mut self, value: Arc<T>) -> Self {
        self.0.push(value);
        self
    }

    /// The resource of type `T`, if one was given.
    pub fn get<T: std::any::Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.0.iter().find_map(|r| r.clone().downcast::<T>().ok())
    }
}

impl std::fmt::Debug for Resources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resources")
            .field("count", &self.0.len())
            .finish()
    }
}

/// The typed configuration of one output kind.
#[async_trait::async_trait]
pub trait OutputConfig: DeserializeOwned + Send + 'static {
    /// The `type:` value and the `kind` metric label.
    const KIND: &'static str;
    /// The falcosidekick singleton block (`webhook`, `aws.sqs`).
    const BLOCK: &'static str;
    /// Keys that must be non-empty for the singleton block to count as configured.
    const ENABLED_BY: &'static [&'static str];
    /// falcosidekick's `destination` label for `falcosecurity_falcosidekick_outputs_total`.
    const DESTINATION: &'static str;
    /// Delivery defaults.
    const DEFAULTS: DeliveryDefaults = DeliveryDefaults::REALTIME;

    /// This instance's delivery defaults: the kind's, unless its settings change how it
    /// batches (an SMTP digest, say).
    fn delivery_defaults(&self) -> DeliveryDefaults {
        Self::DEFAULTS
    }

    /// Pure validation (no network, files or env). Pushes every problem, with paths relative
    /// to the instance (`address`, `customheaders.X`).
    fn validate(&self, problems: &mut crate::Problems);

    /// Builds the runtime output; may do I/O.
    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError>;
}

/// A validated config waiting to be built.
#[async_trait::async_trait]
pub trait PreparedOutput: Send {
    /// The instance's delivery defaults (see [`OutputConfig::delivery_defaults`]).
    fn defaults(&self) -> DeliveryDefaults;

    /// Builds the output.
    async fn build(self: Box<Self>, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError>;
}

struct Prepared<C: OutputConfig>(C);

#[async_trait::async_trait]
impl<C: OutputConfig> PreparedOutput for Prepared<C> {
    fn defaults(&self) -> DeliveryDefaults {
        self.0.delivery_defaults()
    }

    async fn build(self: Box<Self>, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        self.0.build(cx).await
    }
}

/// A registry entry; each `outputs/<kind>` crate exports one as `KIND`.
#[derive(Clone, Copy)]
pub struct OutputKind {
    /// The `type:` value.
    pub name: &'static str,
    /// The falcosidekick block.
    pub block: &'static str,
    /// Keys enabling the singleton block.
    pub enabled_by: &'static [&'static str],
    /// The falcosidekick metric destination.
    pub destination: &'static str,
    /// Delivery defaults.
    pub defaults: DeliveryDefaults,
    fields: fn() -> &'static [&'static str],
    prepare: fn(&OutputEntry) -> Result<Box<dyn PreparedOutput>, ConfigErrors>,
}

impl std::fmt::Debug for OutputKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputKind")
            .field("name", &self.name)
            .finish()
    }
}

fn prepare<C: OutputConfig>(entry: &OutputEntry) -> Result<Box<dyn PreparedOutput>, ConfigErrors> {
    let mut errors = ConfigErrors::default();
    match from_value::<C>(entry.settings.clone()) {
        Ok(config) => {
            let mut problems = crate::Problems::default();
            config.validate(&mut problems);
            errors.extend_under(&entry.path, problems);
            errors.into_result(Box::new(Prepared(config)) as Box<dyn PreparedOutput>)
        }
        Err((sub, message)) => {
            errors.push(join_path(&entry.path, &sub), message);
            Err(errors)
        }
    }
}

impl OutputKind {
    /// The registry entry of config type `C`.
    pub const fn of<C: OutputConfig>() -> Self {
        OutputKind {
            name: C::KIND,
            block: C::BLOCK,
            enabled_by: C::ENABLED_BY,
            destination: C::DESTINATION,
            defaults: C::DEFAULTS,
            fields: falconer_config::fields_of::<C>,
            prepare: prepare::<C>,
        }
    }

    /// What the config loader needs to know about this kind.
    pub fn schema(&self) -> KindSchema {
        KindSchema {
            name: self.name,
            block: self.block,
            enabled_by: self.enabled_by,
            fields: (self.fields)(),
        }
    }

    /// Deserializes and validates an instance's kind-specific settings.
    pub fn prepare(&self, entry: &OutputEntry) -> Result<Box<dyn PreparedOutput>, ConfigErrors> {
        (self.prepare)(entry)
    }
}

/// The output kinds compiled into this binary.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    kinds: Vec<OutputKind>,
}

impl Registry {
    /// Adds a kind.
    pub fn insert(&mut self, kind: OutputKind) {
        self.kinds.push(kind);
    }

    /// The kind named `name`.
    pub fn get(&self, name: &str) -> Option<&OutputKind> {
        self.kinds.iter().find(|k| k.name == name)
    }

    /// Every kind.
    pub fn kinds(&self) -> &[OutputKind] {
        &self.kinds
    }

    /// Schemas for the config loader.
    pub fn schemas(&self) -> Vec<KindSchema> {
        self.kinds.iter().map(OutputKind::schema).collect()
    }
}
