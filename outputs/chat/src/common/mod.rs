//! Shared pieces of the chat outputs (`slack`, `mattermost`, `rocketchat`, `googlechat`,
//! `discord`, `teams`, `webex`, `telegram`):
//! - [`AttachmentEncoder`]: the Slack-style attachment message falcosidekick sends to Slack,
//!   Mattermost and Rocket.Chat, field for field and in its field order, and
//!   [`AttachmentConfig`], the whole config of the kinds that send it with falcosidekick's
//!   keys only;
//! - falcosidekick's priority colours ([`attachment_colour`], [`teams_colour`],
//!   [`discord_colour`]), the string fields it shows ([`string_fields`]), and values printed
//!   as Go prints them ([`go_time_string`], [`go_value`]);
//! - [`MessageFormat`]: `messageformat` Go templates over the alert, parsed once;
//! - [`truncate`](crate::common::truncate()) and [`shrink_to_fit`]: text cut to a service's limits with a
//!   visible [`MARKER`], so a long alert is shortened instead of refused;
//! - [`ChatOutput`]: one webhook request per alert, truncations counted for the core.

mod attachment;
mod attachment_config;
mod colour;
mod config;
mod fields;
mod gofmt;
mod output;
mod template;
#[cfg(test)]
pub(crate) mod testing;
mod truncate;

pub use attachment::{AttachmentEncoder, Field, Layout, Limits, OutputFormat};
pub use attachment_config::{AttachmentConfig, AttachmentService};
pub use colour::{attachment_colour, discord_colour, teams_colour};
pub use config::{
    check_webhook, default_all, default_footer, default_icon, default_username, webhook_target,
    DEFAULT_FOOTER, DEFAULT_ICON, DEFAULT_USERNAME, FALLBACK_ICON,
};
pub use falconer_http::go_json_line;
pub use fields::{is_short, joined_tags, string_fields};
pub use gofmt::{go_time_string, go_value};
pub use output::{ChatOutput, CheckAnswer, Classify, Encode, Encoded};
pub use template::MessageFormat;
pub use truncate::{shrink_to_fit, truncate, truncated, Unit, MARKER, MIN_KEEP};

/// The `retry_after` (seconds, possibly fractional) of a JSON error answer, for services that
/// put it in the body rather than in a `Retry-After` header (Discord, Telegram's
/// `parameters.retry_after`).
pub fn body_retry_after(body: &str) -> Option<std::time::Duration> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let secs = v
        .get("retry_after")
        .or_else(|| v.get("parameters").and_then(|p| p.get("retry_after")))?
        .as_f64()?;
    (secs.is_finite() && secs >= 0.0).then(|| std::time::Duration::from_secs_f64(secs.ceil()))
}

/// Fills in a missing `Retry-After` of a 429 from the answer's body (see
/// [`body_retry_after`]).
pub fn retry_after_from_body(error: falconer_core::SendError) -> falconer_core::SendError {
    match error {
        falconer_core::SendError::Status {
            status,
            body,
            retry_after: None,
        } if status.as_u16() == 429 => {
            let retry_after = body_retry_after(&body);
            falconer_core::SendError::Status {
                status,
                body,
                retry_after,
            }
        }
        e => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_from_json_bodies() {
        assert_eq!(
            body_retry_after(r#"{"message":"rate limited","retry_after":1.2,"global":false}"#),
            Some(std::time::Duration::from_secs(2))
        );
        assert_eq!(
            body_retry_after(
                r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#
            ),
            Some(std::time::Duration::from_secs(7))
        );
        assert_eq!(body_retry_after("nope"), None);
    }
}
