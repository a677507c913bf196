//! The `webui` output: alerts go into Falconer's built-in event store (the one the UI on
//! :2802 reads), batched and idempotent on the alert UUID, so the store gets the same
//! queueing, retries and dead-lettering as any output. With falcosidekick's `url` key it
//! instead POSTs falcosidekick's `{"event": …, "outputs": […]}` to a falcosidekick-ui (or
//! another Falconer's UI), one alert per request.
//!
//! Alerts the core gives up on for the store (its queue full, retries exhausted) are counted
//! in the store per minute and reason, so the UI can say that some are missing.

mod config;
mod drops;
mod output;

pub use config::WebUiConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<WebUiConfig>();
