//! The `alertmanager` block: falcosidekick's keys plus Falconer's `requireallhosts` and
//! `sendstartsat`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use falconer_core::{
    BuildContext, BuildError, Choice, Choices, DeliveryDefaults, Output, OutputConfig,
};
use falconer_event::Priority;
use falconer_http::{http_config, http_url, HttpKeys, UrlError};

use super::encode::{is_valid_label_name, AlertmanagerEncoder};
use super::output::Alertmanager;

/// Alerts per request at most, unless `batch.maxevents` says otherwise (Prometheus sends
/// Alertmanager batches of up to 64 alerts).
pub const DEFAULT_MAX_EVENTS: usize = 64;
/// Payload bytes per request at most, unless `batch.maxbytes` says otherwise.
pub const DEFAULT_MAX_BYTES: usize = 1 << 20;
/// How long a partial batch waits, unless `batch.linger` says otherwise.
pub const DEFAULT_LINGER: Duration = Duration::from_millis(100);

/// `dropeventthresholds` when not set: the documented falcosidekick default (its code default
/// is written with `": "` separators and parses to a single invalid threshold).
pub const DEFAULT_DROP_THRESHOLDS: &str =
    "10000:critical, 1000:critical, 100:critical, 10:warning, 1:warning";

http_config! {
    /// Configuration of one Alertmanager instance. `Debug` never shows header values.
    #[serde(deny_unknown_fields)]
    pub struct AlertmanagerConfig {
        /// Base URLs of the Alertmanagers (`http://alertmanager:9093`); a comma list or a YAML
        /// list. Every one receives every alert.
        pub hostport: Vec<String>,
        /// Path of the alerts API.
        #[serde(default = "default_endpoint")]
        pub endpoint: String,
        /// Seconds after the event time at which the alert ends (`endsAt`); `0` lets
        /// Alertmanager's `resolve_timeout` apply.
        #[serde(default)]
        pub expiresafter: u64,
        /// Labels added to every alert (they override the computed ones).
        #[serde(default)]
        pub extralabels: BTreeMap<String, String>,
        /// Annotations added to every alert (they override `info`, `description`, `summary`).
        #[serde(default)]
        pub extraannotations: BTreeMap<String, String>,
        /// `severity` label per priority (`critical: page`); unmapped priorities keep the default
        /// (`information`, `warning` or `critical`).
        #[serde(default)]
        pub customseveritymap: BTreeMap<String, String>,
        /// Priority a syscall-drop alert is raised to when no threshold matches (`""`: none).
        #[serde(default = "default_drop_priority")]
        pub dropeventdefaultpriority: Choice<DropPriority>,
        /// `value:priority` pairs, comma-separated: a drop count above `value` becomes the label
        /// value `>value` and raises the priority.
        #[serde(default = "default_thresholds")]
        pub dropeventthresholds: String,
        /// `customheaders`, `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub http: HttpKeys,
        /// Falconer: with several `hostport`s, count a batch delivered only when every
        /// Alertmanager accepted it (default false: when at least one did).
        #[serde(default)]
        pub requireallhosts: bool,
        /// Falconer: send `startsAt` = the event time (default false: falcosidekick sends none,
        /// and Alertmanager uses the receive time, or `endsAt` when that is set).
        #[serde(default)]
        pub sendstartsat: bool,
    }
}

impl std::fmt::Debug for AlertmanagerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertmanagerConfig")
            .field("hostport", &self.hostport)
            .field("endpoint", &self.endpoint)
            .field("expiresafter", &self.expiresafter)
            .field("extralabels", &self.extralabels)
            .field("dropeventthresholds", &self.dropeventthresholds)
            .field("requireallhosts", &self.requireallhosts)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

fn default_endpoint() -> String {
    "/api/v2/alerts".into()
}

fn default_drop_priority() -> Choice<DropPriority> {
    Choice::new("critical")
}

/// `dropeventdefaultpriority`: a Falco priority, or none (`""`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DropPriority(pub Option<Priority>);

impl Choices for DropPriority {
    fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "" => Some(DropPriority(None)),
            raw => raw.parse().ok().map(|p| DropPriority(Some(p))),
        }
    }

    fn problem(raw: &str) -> String {
        format!("{:?} is not a Falco priority", raw.trim())
    }
}

fn default_thresholds() -> String {
    DEFAULT_DROP_THRESHOLDS.into()
}

/// Parses `dropeventthresholds` (spaces ignored, as falcosidekick does), sorted by value,
/// highest first. Returns every bad item as a problem.
pub(crate) fn parse_thresholds(raw: &str) -> Result<Vec<(i128, Priority)>, Vec<String>> {
    let compact: String = raw.chars().filter(|c| *c != ' ').collect();
    let mut list = Vec::new();
    let mut bad = Vec::new();
    for item in compact.split(',').filter(|s| !s.is_empty()) {
        let parsed = item.split_once(':').and_then(|(value, priority)| {
            Some((
                value.parse::<i128>().ok()?,
                priority.parse::<Priority>().ok()?,
            ))
        });
        match parsed {
            Some(t) => list.push(t),
            None => bad.push(format!("{item:?} is not value:priority")),
        }
    }
    if !bad.is_empty() {
        return Err(bad);
    }
    list.sort_by_key(|t| std::cmp::Reverse(t.0));
    Ok(list)
}

/// A config the encoder cannot be made from (one that did not pass `validate`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncoderError {
    /// `dropeventthresholds` problems.
    #[error("{}", .0.join("; "))]
    Thresholds(Vec<String>),
    /// `customseveritymap` keys that are not priorities.
    #[error("not priorities: {}", .0.join(", "))]
    Severities(Vec<String>),
    /// `dropeventdefaultpriority` is not a priority.
    #[error("{0}")]
    DropPriority(String),
}

impl AlertmanagerConfig {
    /// The non-empty host ports, trimmed.
    fn hosts(&self) -> impl Iterator<Item = &str> {
        self.hostport
            .iter()
            .map(|h| h.trim())
            .filter(|h| !h.is_empty())
    }

    /// `hostport` + `path` for every host (one trailing `/` of a host is dropped).
    fn urls_with(&self, path: &str) -> Result<Vec<reqwest::Url>, UrlError> {
        self.hosts()
            .map(|h| http_url(&format!("{}{path}", h.strip_suffix('/').unwrap_or(h))))
            .collect()
    }

    /// `hostport` + `endpoint` for every host.
    pub(crate) fn urls(&self) -> Result<Vec<reqwest::Url>, UrlError> {
        self.urls_with(&self.endpoint)
    }

    fn severities(&self) -> Result<BTreeMap<Priority, String>, Vec<String>> {
        let mut map = BTreeMap::new();
        let mut bad = Vec::new();
        for (k, v) in &self.customseveritymap {
            match k.parse::<Priority>() {
                Ok(p) => {
                    map.insert(p, v.clone());
                }
                Err(_) => bad.push(k.clone()),
            }
        }
        if bad.is_empty() {
            Ok(map)
        } else {
            Err(bad)
        }
    }

    /// The encoder of this instance (the config must have passed `validate`).
    pub fn encoder(&self) -> Result<AlertmanagerEncoder, EncoderError> {
        let thresholds =
            parse_thresholds(&self.dropeventthresholds).map_err(EncoderError::Thresholds)?;
        let severities = self.severities().map_err(EncoderError::Severities)?;
        Ok(AlertmanagerEncoder {
            severities,
            thresholds,
            drop_default: self
                .dropeventdefaultpriority
                .value()
                .ok_or_else(|| {
                    EncoderError::DropPriority(DropPriority::problem(
                        self.dropeventdefaultpriority.as_str(),
                    ))
                })?
                .0,
            expires_after: self.expiresafter,
            extra_labels: self.extralabels.clone(),
            extra_annotations: self.extraannotations.clone(),
            send_starts_at: self.sendstartsat,
        })
    }
}

#[async_trait::async_trait]
impl OutputConfig for AlertmanagerConfig {
    const KIND: &'static str = "alertmanager";
    const BLOCK: &'static str = "alertmanager";
    const ENABLED_BY: &'static [&'static str] = &["hostport"];
    const DESTINATION: &'static str = "alertmanager";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.hosts().next().is_none() {
            problems.push("hostport", "must be set");
        } else if let Err(e) = self.urls() {
            problems.push("hostport", e.to_string());
        }
        if !self.endpoint.starts_with('/') {
            problems.push(
                "endpoint",
                format!("{:?} does not start with /", self.endpoint),
            );
        }
        for name in self.extralabels.keys() {
            if !is_valid_label_name(name) {
                problems.push(
                    format!("extralabels.{name}"),
                    "not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)",
                );
            }
        }
        if let Err(bad) = self.severities() {
            for k in bad {
                problems.push(format!("customseveritymap.{k}"), "not a Falco priority");
            }
        }
        self.dropeventdefaultpriority
            .check("dropeventdefaultpriority", problems);
        if let Err(bad) = parse_thresholds(&self.dropeventthresholds) {
            for e in bad {
                problems.push("dropeventthresholds", e);
            }
        }
        self.http.validate(problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let urls = self.urls().map_err(|e| BuildError::new(&cx.path, e))?;
        let ready = self
            .urls_with("/-/ready")
            .map_err(|e| BuildError::new(&cx.path, e))?;
        let encoder = self.encoder().map_err(|e| BuildError::new(&cx.path, e))?;
        let mut targets = Vec::with_capacity(urls.len());
        for url in urls {
            let target = self
                .http
                .target(&cx.global, reqwest::Method::POST, url)
                .map_err(|e| BuildError::new(&cx.path, e))?;
            targets.push(target);
        }
        Ok(Arc::new(Alertmanager::new(
            targets,
            ready,
            encoder,
            self.requireallhosts,
        )))
    }
}
