//! What the GCP kinds share: Google access tokens ([`auth`]) and the request helper that
//! sends with one and renews it when Google refuses it.

pub mod auth;

pub use auth::{GoogleAuth, GoogleAuthError, ServiceAccountKey};
