//! The `aws.sqs` block: falcosidekick's keys plus Falconer's FIFO and attribute keys.

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_event::GoTemplate;

use super::encode::Plan;
use super::output::Sqs;

crate::common::aws_output_config! {
    /// Configuration of one SQS instance.
    pub struct SqsConfig {
        /// The queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`).
        pub url: String,
        /// FIFO queues: the message group id, a Go template over the alert (`{{.Rule}}`,
        /// `{{.OutputFields.hostname}}`); default `falco` (one group, strict order).
        #[serde(default)]
        pub messagegroupid: String,
        /// Send the message attributes `rule`, `priority` and `source` (default true).
        #[serde(default)]
        pub messageattributes: Option<bool>,
    }
}

/// Entries per `SendMessageBatch` at most (SQS's limit).
pub(crate) const MAX_BATCH: usize = 10;

/// Payload bytes per batch at most: SQS's 256 KiB minus room for the attributes.
const MAX_BATCH_BYTES: usize = 240 * 1024;

impl SqsConfig {
    fn is_fifo(&self) -> bool {
        self.url.trim_end_matches('/').ends_with(".fifo")
    }

    fn group_template(&self) -> Result<Option<GoTemplate>, String> {
        if !self.is_fifo() {
            return Ok(None);
        }
        let source = match self.messagegroupid.trim() {
            "" => "falco",
            s => s,
        };
        GoTemplate::parse(source)
            .map(Some)
            .map_err(|e| format!("invalid template: {e}"))
    }
}

#[async_trait::async_trait]
impl OutputConfig for SqsConfig {
    const KIND: &'static str = "sqs";
    const BLOCK: &'static str = "aws.sqs";
    const ENABLED_BY: &'static [&'static str] = &["url"];
    const DESTINATION: &'static str = "awssqs";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(MAX_BATCH, MAX_BATCH_BYTES, Duration::ZERO);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        self.aws().validate(problems);
        let url = self.url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            problems.push("url", format!("{url:?} is not a queue URL"));
        }
        if let Err(e) = self.group_template() {
            problems.push("messagegroupid", e);
        }
        if !self.messagegroupid.trim().is_empty() && !self.is_fifo() {
            problems.push(
                "messagegroupid",
                "only FIFO queues (a URL ending in .fifo) take a message group id",
            );
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let group = self
            .group_template()
            .map_err(|e| BuildError::new(&cx.path, e))?;
        let plan = Plan {
            group,
            attributes: self.messageattributes.unwrap_or(true),
        };
        let sdk = crate::common::sdk_config(&self.aws(), &cx).await?;
        let client = aws_sdk_sqs::Client::new(&sdk);
        Ok(Arc::new(Sqs::new(client, self.url.trim().to_owned(), plan)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_aws_keys_are_fields_the_loader_sees() {
        let fields = falconer_config::fields_of::<SqsConfig>();
        for key in [
            "url",
            "messagegroupid",
            "messageattributes",
            "region",
            "accesskeyid",
            "secretaccesskey",
            "rolearn",
            "externalid",
            "checkidentity",
            "endpoint",
        ] {
            assert!(fields.contains(&key), "{key} missing from {fields:?}");
        }
    }

    #[test]
    fn settings_are_validated() {
        let config: SqsConfig = falconer_config::from_value(serde_json::json!({
            "url": "https://sqs.eu-west-1.amazonaws.com/1/q",
            "messagegroupid": "{{.Rule}}",
            "accesskeyid": "AKIA",
            "externalid": "x",
            "endpoint": "localhost:4566",
            "checkidentity": "false",
        }))
        .expect("settings");
        assert!(!config.aws().checkidentity);
        let mut problems = falconer_core::Problems::default();
        config.validate(&mut problems);
        let paths: Vec<&str> = problems.paths().collect();
        assert_eq!(
            paths,
            ["accesskeyid", "externalid", "endpoint", "messagegroupid"]
        );
        let unknown = falconer_config::from_value::<SqsConfig>(serde_json::json!({
            "url": "https://q", "sessiontoken": "x"
        }));
        assert!(unknown.is_err());
    }
}
