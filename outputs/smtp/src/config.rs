//! The `smtp` block: falcosidekick's keys plus Falconer's `tlsmode`, `subjecttemplate`,
//! `checkcert` and `digest`.

use std::sync::Arc;

use falconer_config::{GoDuration, Secret};
use falconer_core::{
    BuildContext, BuildError, Choice, Choices, DeliveryDefaults, Output, OutputConfig,
};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Mechanism;
use serde::Deserialize;

use crate::output::{Connection, Smtp, TlsMode};
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
    pub tlsmode: Choice<TlsModeKey>,
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
    pub authmechanism: Choice<AuthMechanism>,
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
    pub outputformat: Choice<MailFormat>,
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

fn default_true() -> bool {
    true
}

fn default_mechanism() -> Choice<AuthMechanism> {
    Choice::new("plain")
}

fn default_format() -> Choice<MailFormat> {
    Choice::new("html")
}

/// `tlsmode` as written: a mode, or none (empty: `tls` decides).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsModeKey(pub Option<TlsMode>);

impl Choices for TlsModeKey {
    fn parse(raw: &str) -> Option<Self> {
        Some(TlsModeKey(match raw.to_ascii_lowercase().as_str() {
            "" => None,
            "starttls" => Some(TlsMode::StartTls),
            "opportunistic" => Some(TlsMode::Opportunistic),
            "implicit" | "smtps" => Some(TlsMode::Implicit),
            "none" => Some(TlsMode::None),
            _ => return None,
        }))
    }

    fn problem(raw: &str) -> String {
        format!("{raw:?} is not starttls, opportunistic, implicit or none")
    }
}

/// `authmechanism`: a SASL mechanism, or none (`none`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthMechanism(pub Option<Mechanism>);

impl Choices for AuthMechanism {
    fn parse(raw: &str) -> Option<Self> {
        Some(AuthMechanism(match raw.to_ascii_lowercase().as_str() {
            "" | "plain" => Some(Mechanism::Plain),
            "login" => Some(Mechanism::Login),
            "xoauth2" | "oauthbearer" => Some(Mechanism::Xoauth2),
            "none" => None,
            _ => return None,
        }))
    }

    fn problem(raw: &str) -> String {
        format!("{raw:?} is not supported (plain, login, xoauth2/oauthbearer, none)")
    }
}

/// `outputformat`: the mail's body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailFormat {
    /// HTML and plain text (default).
    Html,
    /// Plain text only.
    Text,
}

impl Choices for MailFormat {
    fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "html" => Some(MailFormat::Html),
            "text" => Some(MailFormat::Text),
            _ => None,
        }
    }

    fn problem(raw: &str) -> String {
        format!("{raw:?} is not html or text")
    }
}

/// Largest `digest.max`.
const MAX_DIGEST: usize = 1000;

impl SmtpConfig {
    pub(crate) fn tls_mode(&self) -> Option<TlsMode> {
        let TlsModeKey(mode) = self.tlsmode.value()?;
        Some(match mode {
            Some(mode) => mode,
            None if self.tls => TlsMode::StartTls,
            None => TlsMode::None,
        })
    }

    /// Host and port of `hostport`.
    pub(crate) fn host_port(&self) -> Option<(String, u16)> {
        let (host, port) = self.hostport.rsplit_once(':')?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = port.parse().ok().filter(|p| *p != 0)?;
        (!host.is_empty()).then(|| (host.to_owned(), port))
    }

    pub(crate) fn mechanism(&self) -> Option<Option<Mechanism>> {
        self.authmechanism.value().map(|m| m.0)
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
        self.outputformat.value() == Some(MailFormat::Text)
    }

    /// The running output: the transport first (its TLS material is read now), then the
    /// renderer and the addresses.
    fn smtp(&self, cx: &BuildContext) -> Result<Smtp, String> {
        let (host, port) = self
            .host_port()
            .ok_or_else(|| format!("hostport {:?} is not host:port", self.hostport))?;
        let credentials = match self.mechanism() {
            Some(Some(mechanism)) if !self.user.is_empty() => {
                let secret = match mechanism {
                    Mechanism::Xoauth2 => self.token.expose(),
                    _ => self.password.expose(),
                };
                Some((mechanism, self.user.clone(), secret.to_owned()))
            }
            _ => None,
        };
        let transport = Connection {
            host,
            port,
            mode: self.tls_mode().unwrap_or(TlsMode::StartTls),
            checkcert: self.checkcert,
            ca_file: cx.global.tlsclient.cacertfile.clone(),
            client: self.mutualtls.then(|| cx.global.mutual_tls_files()),
            credentials,
        }
        .transport()?;
        let renderer = MailRenderer::new(&self.subjecttemplate, self.text_only())
            .map_err(|e| format!("subjecttemplate: {e}"))?;
        Ok(Smtp::new(
            transport,
            renderer,
            self.sender()?,
            self.recipients()?,
        ))
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

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.host_port().is_none() {
            problems.push("hostport", format!("{:?} is not host:port", self.hostport));
        }
        self.tlsmode.check("tlsmode", problems);
        match self.mechanism() {
            None => self.authmechanism.check("authmechanism", problems),
            Some(Some(Mechanism::Xoauth2)) if !self.user.is_empty() && self.token.is_empty() => {
                problems.push("token", "xoauth2 needs a token");
            }
            Some(_) => {}
        }
        if let Err(e) = self.sender() {
            problems.push("from", e);
        }
        if let Err(e) = self.recipients() {
            problems.push("to", e);
        }
        self.outputformat.check("outputformat", problems);
        if let Err(e) = MailRenderer::new(&self.subjecttemplate, self.text_only()) {
            problems.push("subjecttemplate", e.to_string());
        }
        if self.digest.max == 0 || self.digest.max > MAX_DIGEST {
            problems.push("digest.max", format!("must be between 1 and {MAX_DIGEST}"));
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        self.smtp(&cx)
            .map(|s| Arc::new(s) as Arc<dyn Output>)
            .map_err(|e| BuildError::new(&cx.path, e))
    }
}
