//! What the GCP kinds share: Google access tokens ([`auth`]) and the request helper that
//! sends with one and renews it when Google refuses it.

pub mod auth;

pub use auth::{GoogleAuth, GoogleAuthError, ServiceAccountKey};

/// Pushes the problem of `gcp.credentials` when it is set and not a usable key.
pub fn check_credentials(
    credentials: &falconer_config::Secret,
    problems: &mut falconer_core::Problems,
) {
    if !credentials.is_empty() {
        if let Err(e) = ServiceAccountKey::parse(credentials.expose()) {
            problems.push("credentials", e.to_string());
        }
    }
}
