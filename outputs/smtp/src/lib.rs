//! SMTP output: one e-mail per alert (falcosidekick's `smtp` block), or a digest listing many
//! alerts, sent through a pooled connection with STARTTLS, implicit TLS or plain SMTP.
//!
//! The mail is `multipart/alternative` with a plain-text and an HTML part (or text only with
//! `outputformat: text`). Its subject is a Go template over the alert, by default
//! falcosidekick's `[<Priority>] <output>`.

mod config;
mod output;
mod render;
#[cfg(test)]
mod tests;

pub use config::{AuthMechanism, DigestSettings, MailFormat, SmtpConfig, TlsModeKey};
pub use output::TlsMode;
pub use render::{MailRenderer, DEFAULT_SUBJECT};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<SmtpConfig>();
