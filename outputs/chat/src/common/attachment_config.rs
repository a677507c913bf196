//! The config of the kinds that send falcosidekick's attachment message with falcosidekick's
//! keys only (Mattermost, Rocket.Chat): one struct, the service given by a marker type.

use std::marker::PhantomData;
use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Choice, Output, OutputConfig};
use falconer_event::TemplateError;
use falconer_http::{http_config, TlsKeys};

use crate::common::attachment::{AttachmentEncoder, Layout, Limits, OutputFormat};
use crate::common::config::{
    check_webhook, default_all, default_footer, default_icon, default_username, webhook_target,
};
use crate::common::output::ChatOutput;
use crate::common::template::MessageFormat;

/// A service taking falcosidekick's attachment message on an incoming webhook.
pub trait AttachmentService: std::fmt::Debug + Send + Sync + 'static {
    /// The `type:` value, which is also the falcosidekick block and metric destination.
    const KIND: &'static str;
    /// The service's variant of the layout.
    const LAYOUT: Layout;
    /// The service's text limits.
    const LIMITS: Limits;
}

http_config! {
    /// Configuration of one instance of the attachment service `S`. `Debug` never shows the
    /// webhook URL.
    #[derive(Debug)]
    #[serde(deny_unknown_fields, bound = "")]
    pub struct AttachmentConfig<S> {
        /// The incoming-webhook URL (a credential).
        #[serde(default)]
        pub webhookurl: Secret,
        /// Attachment footer (with `outputformat` all or fields; Rocket.Chat messages have none,
        /// the key is accepted for falcosidekick compatibility).
        #[serde(default = "default_footer")]
        pub footer: String,
        /// Bot icon URL (`icon_url`; falcosidekick's plain icon when empty).
        #[serde(default = "default_icon")]
        pub icon: String,
        /// Bot name (left out when empty).
        #[serde(default = "default_username")]
        pub username: String,
        /// What the attachment shows: `all` (output and fields), `text` or `fields`.
        #[serde(default = "default_all")]
        pub outputformat: Choice<OutputFormat>,
        /// Go template of the message text over the alert (`{{ .Rule }}`, `{{ .Priority }}`,
        /// `{{ index .OutputFields "proc.name" }}`); empty: no text.
        #[serde(default)]
        pub messageformat: String,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
        #[serde(skip)]
        service: PhantomData<S>,
    }
}

impl<S: AttachmentService> AttachmentConfig<S> {
    /// The encoder this config describes (parses `messageformat`).
    pub fn encoder(&self) -> Result<AttachmentEncoder, TemplateError> {
        Ok(AttachmentEncoder {
            layout: S::LAYOUT,
            format: self.outputformat.get(),
            username: self.username.clone(),
            icon: self.icon.clone(),
            channel: String::new(),
            footer: self.footer.clone(),
            template: MessageFormat::parse(&self.messageformat)?,
            limits: S::LIMITS,
        })
    }
}

#[async_trait::async_trait]
impl<S: AttachmentService> OutputConfig for AttachmentConfig<S> {
    const KIND: &'static str = S::KIND;
    const BLOCK: &'static str = S::KIND;
    const ENABLED_BY: &'static [&'static str] = &["webhookurl"];
    const DESTINATION: &'static str = S::KIND;

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_webhook("webhookurl", &self.webhookurl, problems);
        self.outputformat.check("outputformat", problems);
        MessageFormat::check("messageformat", &self.messageformat, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let encoder = self
            .encoder()
            .map_err(|e| BuildError::new(format!("{}.messageformat", cx.path), e))?;
        let target = webhook_target(&cx, self.webhookurl.expose(), self.tls)?;
        Ok(Arc::new(ChatOutput::new(target, encoder)))
    }
}
