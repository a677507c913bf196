//! What the Azure kinds share: Microsoft Entra ID access tokens ([`auth`]).

pub mod auth;

pub use auth::{AzureAuth, Credential};
