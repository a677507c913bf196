//! The `cloudevents` block: falcosidekick's keys.

use std::collections::BTreeMap;
use std::sync::Arc;

use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{check_header_value, check_url, http_config, TargetOptions, TlsKeys};

use super::encode::Encoder;
use super::output::CloudEvents;
use crate::common::hook_target;

/// Attribute names of the CloudEvents core, which an extension cannot take.
const CORE_ATTRIBUTES: &[&str] = &[
    "specversion",
    "id",
    "source",
    "type",
    "time",
    "datacontenttype",
    "dataschema",
    "subject",
    "data",
];

http_config! {
    /// Configuration of one CloudEvents instance.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct CloudeventsConfig {
        /// URL of the CloudEvents receiver (a Knative broker, an event source, …).
        pub address: String,
        /// Extension attributes added to every event (`CLOUDEVENTS_EXTENSIONS=k:v,k:v`); names
        /// are lowercased, as falcosidekick's config library does.
        #[serde(default)]
        pub extensions: BTreeMap<String, String>,
        /// `checkcert`, `mutualtls` (applied by Falconer, ignored by falcosidekick).
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

impl CloudeventsConfig {
    /// The encoder of this instance's events.
    pub fn encoder(&self) -> Encoder {
        Encoder {
            extensions: self
                .extensions
                .iter()
                .map(|(name, value)| (name.to_lowercase(), value.clone()))
                .collect(),
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for CloudeventsConfig {
    const KIND: &'static str = "cloudevents";
    const BLOCK: &'static str = "cloudevents";
    const ENABLED_BY: &'static [&'static str] = &["address"];
    const DESTINATION: &'static str = "cloudevents";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_url("address", &self.address, problems);
        for (name, value) in &self.extensions {
            let key = format!("extensions.{name}");
            let valid = !name.is_empty()
                && name
                    .to_lowercase()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            if !valid {
                problems.push(
                    key.clone(),
                    "is not a CloudEvents attribute name (lowercase letters and digits only)",
                );
            } else if CORE_ATTRIBUTES.contains(&name.to_lowercase().as_str()) {
                problems.push(
                    key.clone(),
                    "is a core CloudEvents attribute, not an extension",
                );
            }
            check_header_value(&key, value, problems);
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let target = hook_target(
            &cx,
            &self.address,
            &self.tls.http(),
            &TargetOptions::default(),
        )?;
        Ok(Arc::new(CloudEvents {
            target,
            encoder: self.encoder(),
        }))
    }
}
