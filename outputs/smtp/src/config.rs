//! The `smtp` block: falcosidekick's keys plus Falconer's `tlsmode`, `subjecttemplate`,
//! `checkcert` and `digest`.

use std::sync::Arc;

use falconer_config::{GoDuration, Secret};
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use lettre::message::Mailbox;
use serde::Deserialize;

use crate::output::Smtp;
use crate::render::MailRenderer;

/// Configuration of one SMTP instance. `Debug` never shows the password or token.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// `host:port` of the SMTP server.
    pub hostport: String,
    /// falcosidekick's switch: `true` (default) requires STARTTLS, `false` sends plain SMTP.
    /// `tlsmode` overrides it.
    #[serde(default = "default_true")]
    pub tls: bool,
    /// `starttls` (required), `opportunistic` (STARTTLS when offered), `implicit` (TLS from
    /// the first byte, usually port 465) or `none`. Default: from `tls`.
    #[serde(default)]
    pub tlsmode: String,
    /// Verify the server's certificate (the system roots plus `tlsclient.cacertfile`).
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate of `mutualtlsclient.*` / `mutualtlsfilespath`, and
    /// trust its CA.
    #[serde(default)]
    pub mutualtls: bool,
    /// `plain` (default), `login`, `xoauth2` (falcosidekick's `oauthbearer` maps to it) or
    /// `none`. Authentication happens only when `user` is set.
    #[serde(default = "default_mechanism")]
    pub authmechanism: String,
    /// Login.
    #[serde(default)]
    pub user: String,
    /// Password (`plain`, `login`).
    #[serde(default)]
    pub password: Secret,
    /// OAuth2 access token (`xoauth2`).
    #[serde(default)]
    pub token: Secret,
    /// falcosidekick's SASL identity (accepted; the login is the identity).
    #[serde(default)]
    pub identity: String,
    /// falcosidekick's SASL anonymous trace (accepted, unused).
    #[serde(default)]
    pub trace: String,
    /// Sender address (`Falco <falco@example.com>` or `falco@example.com`).
    #[serde(default)]
    pub from: String,
    /// Recipients, comma-separated.
    #[serde(default)]
    pub to: String,
    /// `html` (default: text and HTML parts) or `text`.
    #[serde(default = "default_format")]
    pub outputformat: String,
    /// Go template of the subject over the alert (`.Priority`, `.Rule`, `.Output`,
    /// `.Hostname`, `.OutputFields`, …). Default: `[{{ .Priority }}] {{ .Output }}`.
    #[serde(default)]
    pub subjecttemplate: String,
    /// Digests: one mail listing the alerts of a window.
    #[serde(default)]
    pub digest: DigestSettings,
}

/// `digest.*`: send one mail per `window` (or per `max` alerts, whichever first) listing the
/// alerts, instead of one mail per alert. Off while `window` is 0.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DigestSettings {
    /// How long alerts are collected for one mail (`0` = no digest).
    pub window: GoDuration,
    /// Alerts per mail at most.
    pub max: usize,
}

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings {
            window: GoDuration::default(),
            max: 50,
        }
    }
}

/// How the connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// STARTTLS, refusing a server that does not offer it.
    StartTls,
    /// STARTTLS when the server offers it, plain otherwise.
    Opportunistic,
    /// TLS from the first byte (SMTPS).
    Implicit,
    /// Plain SMTP (loopback relays).
    None,
}

fn default_true() -> bool {
    true
}

fn default_mechanism() -> String {
    "plain".into()
}

fn default_format() -> String {
    "html".into()
}

/// Largest `digest.max`.
const MAX_DIGEST: usize = 1000;

impl SmtpConfig {
    pub(crate) fn tls_mode(&self) -> Option<TlsMode> {
        match self.tlsmode.to_ascii_lowercase().as_str() {
            "" if self.tls => Some(TlsMode::StartTls),
            "" => Some(TlsMode::None),
            "starttls" => Some(TlsMode::StartTls),
            "opportunistic" => Some(TlsMode::Opportunistic),
            "implicit" | "smtps" => Some(TlsMode::Implicit),
            "none" => Some(TlsMode::None),
            _ => None,
        }
    }

    /// Host and port of `hostport`.
    pub(crate) fn host_port(&self) -> Option<(String, u16)> {
        let (host, port) = self.hostport.rsplit_once(':')?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = port.parse().ok().filter(|p| *p != 0)?;
        (!host.is_empty()).then(|| (host.to_owned(), port))
    }

    pub(crate) fn mechanism(
        &self,
    ) -> Option<Option<lettre::transport::smtp::authentication::Mechanism>> {
        use lettre::transport::smtp::authentication::Mechanism;
        match self.authmechanism.to_ascii_lowercase().as_str() {
            "" | "plain" => Some(Some(Mechanism::Plain)),
            "login" => Some(Some(Mechanism::Login)),
            "xoauth2" | "oauthbearer" => Some(Some(Mechanism::Xoauth2)),
            "none" => Some(None),
            _ => None,
        }
    }

    pub(crate) fn sender(&self) -> Result<Mailbox, String> {
        self.from
            .trim()
            .parse()
            .map_err(|e| format!("{:?} is not an e-mail address: {e}", self.from))
    }

    pub(crate) fn recipients(&self) -> Result<Vec<Mailbox>, String> {
        let list: Vec<&str> = self
            .to
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if list.is_empty() {
            return Err("must list at least one recipient".into());
        }
        list.iter()
            .map(|r| {
                r.parse::<Mailbox>()
                    .map_err(|e| format!("{r:?} is not an e-mail address: {e}"))
            })
            .collect()
    }

    pub(crate) fn text_only(&self) -> bool {
        self.outputformat.eq_ignore_ascii_case("text")
    }

    fn digest_on(&self) -> bool {
        !self.digest.window.0.is_zero()
    }
}

#[async_trait::async_trait]
impl OutputConfig for SmtpConfig {
    const KIND: &'static str = "smtp";
    const BLOCK: &'static str = "smtp";
    /// As in falcosidekick, the block is an output once all three are set.
    const ENABLED_BY: &'static [&'static str] = &["hostport", "from", "to"];
    const DESTINATION: &'static str = "smtp";

    fn delivery_defaults(&self) -> DeliveryDefaults {
        if self.digest_on() {
            DeliveryDefaults::batching(self.digest.max.max(1), usize::MAX, self.digest.window.0)
        } else {
            DeliveryDefaults::REALTIME
        }
    }

    fn validate(&self, problems: &mut Vec<(String, String)>) {
        if self.host_port().is_none() {
            problems.push((
                "hostport".into(),
                format!("{:?} is not host:port", self.hostport),
            ));
        }
        if self.tls_mode().is_none() {
            problems.push((
                "tlsmode".into(),
                format!(
                    "{:?} is not starttls, opportunistic, implicit or none",
                    self.tlsmode
                ),
            ));
        }
        match self.mechanism() {
            None => problems.push((
                "authmechanism".into(),
                format!(
                    "{:?} is not supported (plain, login, xoauth2/oauthbearer, none)",
                    self.authmechanism
                ),
            )),
            Some(Some(lettre::transport::smtp::authentication::Mechanism::Xoauth2))
                if !self.user.is_empty() && self.token.is_empty() =>
            {
                problems.push(("token".into(), "xoauth2 needs a token".into()));
            }
            Some(_) => {}
        }
        if let Err(e) = self.sender() {
            problems.push(("from".into(), e));
        }
        if let Err(e) = self.recipients() {
            problems.push(("to".into(), e));
        }
        if !matches!(
            self.outputformat.to_ascii_lowercase().as_str(),
            "html" | "text"
        ) {
            problems.push((
                "outputformat".into(),
                format!("{:?} is not html or text", self.outputformat),
            ));
        }
        if let Err(e) = MailRenderer::new(&self.subjecttemplate, self.text_only()) {
            problems.push(("subjecttemplate".into(), e.to_string()));
        }
        if self.digest.max == 0 || self.digest.max > MAX_DIGEST {
            problems.push((
                "digest.max".into(),
                format!("must be between 1 and {MAX_DIGEST}"),
            ));
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        Smtp::build(self, &cx)
            .map(|s| Arc::new(s) as Arc<dyn Output>)
            .map_err(|e| BuildError::new(&cx.path, e))
    }
}
