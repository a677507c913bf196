//! The Azure outputs, one module and one Cargo feature per kind:
//! - [`eventhub`]: the payload JSON as Event Hubs events, over the Event Hubs REST API (a
//!   batch per request).
//!
//! [`common`] gets Microsoft Entra ID access tokens as the Azure SDK's default credential
//! chain does. [`register`] adds the kinds this build enables.

pub mod common;
#[cfg(feature = "azureeventhub")]
pub mod eventhub;

/// Adds the Azure kinds enabled by this crate's features to `registry`.
pub fn register(registry: &mut falconer_core::Registry) {
    // Without any kind feature there is nothing to add.
    let _ = &registry;
    #[cfg(feature = "azureeventhub")]
    registry.insert(eventhub::KIND);
}
