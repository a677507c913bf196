//! The Google Cloud outputs, one module and one Cargo feature per kind, each sending what
//! falcosidekick sends through Google's client libraries, over the REST APIs:
//! - [`pubsub`]: messages published to a Pub/Sub topic (a batch per request);
//! - [`storage`]: one Cloud Storage object per alert;
//! - [`cloudfunctions`]: one Cloud Functions `call` per alert;
//! - [`cloudrun`]: the payload JSON posted to a Cloud Run service with a bearer JWT;
//! - [`chronicle`]: unstructured logs imported into Google Security Operations (a batch per
//!   request).
//!
//! [`common`] gets the access tokens (a service-account key from `gcp.credentials`, or the
//! metadata server). [`register`] adds the kinds this build enables.

#[cfg(feature = "gcpchronicle")]
pub mod chronicle;
#[cfg(feature = "gcpcloudfunctions")]
pub mod cloudfunctions;
#[cfg(feature = "gcpcloudrun")]
pub mod cloudrun;
pub mod common;
#[cfg(feature = "gcppubsub")]
pub mod pubsub;
#[cfg(feature = "gcpstorage")]
pub mod storage;

/// Adds the GCP kinds enabled by this crate's features to `registry`.
pub fn register(registry: &mut falconer_core::Registry) {
    // Without any kind feature there is nothing to add.
    let _ = &registry;
    #[cfg(feature = "gcppubsub")]
    registry.insert(pubsub::KIND);
    #[cfg(feature = "gcpstorage")]
    registry.insert(storage::KIND);
    #[cfg(feature = "gcpcloudfunctions")]
    registry.insert(cloudfunctions::KIND);
    #[cfg(feature = "gcpcloudrun")]
    registry.insert(cloudrun::KIND);
    #[cfg(feature = "gcpchronicle")]
    registry.insert(chronicle::KIND);
}
