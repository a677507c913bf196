//! Config helpers shared by the chat kinds: webhook URL checks and targets, and
//! `serde(default)` functions for falcosidekick's defaults.

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Choice, Choices};
use falconer_http::{check_url, http_url, post_target, HttpTarget, TargetOptions, TlsKeys};
/// falcosidekick's default icon of Slack, Mattermost, Rocket.Chat, Teams and Discord.
pub const DEFAULT_ICON: &str =
    "https://raw.githubusercontent.com/falcosecurity/falcosidekick/master/imgs/falcosidekick_color.png";
/// The icon falcosidekick falls back to when `icon` is set to an empty string (Mattermost,
/// Rocket.Chat, Discord, Cliq).
pub const FALLBACK_ICON: &str =
    "https://raw.githubusercontent.com/falcosecurity/falcosidekick/master/imgs/falcosidekick.png";
/// falcosidekick's default attachment footer.
pub const DEFAULT_FOOTER: &str = "https://github.com/falcosecurity/falcosidekick";
/// falcosidekick's default bot name.
pub const DEFAULT_USERNAME: &str = "Falcosidekick";

/// `serde(default)` of `icon`/`activityimage`.
pub fn default_icon() -> String {
    DEFAULT_ICON.into()
}

/// `serde(default)` of `footer`.
pub fn default_footer() -> String {
    DEFAULT_FOOTER.into()
}

/// `serde(default)` of `username`.
pub fn default_username() -> String {
    DEFAULT_USERNAME.into()
}

/// `serde(default)` of `outputformat`.
pub fn default_all<T: Choices>() -> Choice<T> {
    Choice::new("all")
}

/// Pushes a problem for `key` unless the secret URL is an `http(s)` URL (never repeating it:
/// webhook URLs are credentials).
pub fn check_webhook(key: &str, url: &Secret, problems: &mut falconer_core::Problems) {
    check_url(key, url.expose(), problems);
}

/// A JSON `POST` target for the webhook `url` with falcosidekick's TLS options.
pub fn webhook_target(
    cx: &BuildContext,
    url: &str,
    tls: TlsKeys,
) -> Result<HttpTarget, BuildError> {
    let url = http_url(url).map_err(|e| BuildError::new(&cx.path, e))?;
    post_target(cx, &tls.http(), url, &TargetOptions::default())
}
