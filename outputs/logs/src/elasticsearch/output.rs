//! Delivery: one `_bulk` request per batch (or one request per alert), answers read item by
//! item, mapping conflicts handled as falcosidekick does (the offending field dropped once).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use falconer_core::{Alert, GlobalSettings, Output, Retry, SendError};
use falconer_http::{ClientError, HttpKeys, HttpTarget, ParseError, TargetOptions, UrlError};
use reqwest::{Method, StatusCode, Url};

use super::bulk::{error_body, parse_bulk, EsError, Item};
use super::encode::{field_matches, index_template, DocEncoder};

/// Largest `_bulk` answer read (the answer is filtered to statuses and errors).
const MAX_ANSWER_BYTES: usize = 64 << 20;
/// Alerts remembered with a field to drop at most (beyond, conflicts are final at once).
const MAX_TRACKED_DROPS: usize = 10_000;
/// Keeps `_bulk` answers small: only what the per-item decision needs.
const BULK_FILTER: &str = "filter_path=errors,items.*.status,items.*.error";

/// The index template, created once.
#[derive(Debug)]
struct Template {
    get: HttpTarget,
    put: HttpTarget,
    body: Vec<u8>,
    ready: AtomicBool,
}

/// A running Elasticsearch instance.
#[derive(Debug)]
pub(crate) struct Elasticsearch {
    /// `POST {hostport}/_bulk`, when batching.
    bulk: Option<HttpTarget>,
    /// The client, for one request per alert.
    single: HttpTarget,
    base: String,
    doc_type: String,
    pipeline: String,
    encoder: DocEncoder,
    /// UUID → output field to leave out, after a mapping conflict.
    drops: Mutex<BTreeMap<String, Vec<String>>>,
    template: Option<Template>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The instance could not be built or started.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    /// `hostport` is not an `http(s)` URL.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// An API URL built on `hostport` is invalid.
    #[error("invalid URL {url:?}: {source}")]
    Api {
        /// The URL.
        url: String,
        /// Why.
        #[source]
        source: ParseError,
    },
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Elasticsearch refused the index template.
    #[error("cannot create the index template: {0}")]
    Template(#[source] SendError),
}

fn parse(url: &str) -> Result<Url, StartError> {
    Url::parse(url).map_err(|source| StartError::Api {
        url: url.to_owned(),
        source,
    })
}

/// An error answer with ES's own `type: reason` as the body, not the raw JSON.
fn explain(e: SendError) -> SendError {
    match e {
        SendError::Status {
            status,
            body,
            retry_after,
        } => SendError::Status {
            status,
            body: error_body(&body).map_or(body, |err| err.describe()),
            retry_after,
        },
        e => e,
    }
}

/// What an instance is built from: the `elasticsearch` block, checked.
#[derive(Debug)]
pub(crate) struct Settings {
    /// `hostport`.
    pub base_url: Url,
    /// `customheaders`, `checkcert`, `mutualtls`.
    pub http: HttpKeys,
    /// Credentials and compression.
    pub options: TargetOptions,
    /// `batching.enabled`: one `_bulk` request per batch.
    pub batching: bool,
    /// `pipeline` (empty: none).
    pub pipeline: String,
    /// `type`.
    pub doc_type: String,
    /// Index names and documents.
    pub encoder: DocEncoder,
    /// With `createindextemplate`: the index, its shards and replicas.
    pub template: Option<(String, u32, u32)>,
}

impl Elasticsearch {
    pub(crate) fn build(s: Settings, global: &GlobalSettings) -> Result<Self, StartError> {
        let base = s.base_url.as_str().trim_end_matches('/').to_owned();
        let single = s
            .http
            .target_with(global, Method::POST, s.base_url, &s.options)?;
        let bulk = if s.batching {
            let mut url = parse(&format!("{base}/_bulk"))?;
            if !s.pipeline.is_empty() {
                url.query_pairs_mut().append_pair("pipeline", &s.pipeline);
            }
            let query = match url.query() {
                Some(q) => format!("{q}&{BULK_FILTER}"),
                None => BULK_FILTER.to_owned(),
            };
            url.set_query(Some(&query));
            Some(single.retarget(Method::POST, url))
        } else {
            None
        };
        let encoder = s.encoder;
        let template = match s.template {
            Some((index, shards, replicas)) => {
                let url = parse(&format!("{base}/_index_template/{index}"))?;
                Some(Template {
                    get: single.retarget(Method::GET, url.clone()),
                    put: single.retarget(Method::PUT, url),
                    body: index_template(&index, encoder.suffix, shards, replicas),
                    ready: AtomicBool::new(false),
                })
            }
            None => None,
        };
        Ok(Elasticsearch {
            bulk,
            single,
            base,
            doc_type: s.doc_type,
            pipeline: s.pipeline,
            encoder,
            drops: Mutex::new(BTreeMap::new()),
            template,
        })
    }

    /// Creates the index template at startup. A refusal (401, 403, 400) stops the start, as a
    /// misconfiguration; a destination that is down or failing does not: the template is
    /// then created before the first delivery, which waits (and is retried) until it is.
    pub(crate) async fn startup_template(&self) -> Result<(), StartError> {
        match self.ensure_template().await {
            Ok(()) => Ok(()),
            Err(e) if e.retry() == Retry::Never => Err(StartError::Template(e)),
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "Cannot create the Elasticsearch index template yet; deliveries wait for it."
                );
                Ok(())
            }
        }
    }

    /// `GET _index_template/<index>`; on 404, `PUT` it. Done once; idempotent.
    async fn ensure_template(&self) -> Result<(), SendError> {
        let Some(t) = &self.template else {
            return Ok(());
        };
        if t.ready.load(Ordering::Acquire) {
            return Ok(());
        }
        match t.get.send_reading(bytes_empty(), 1 << 20).await {
            Ok(_) => {}
            Err(SendError::Status { status, .. }) if status == StatusCode::NOT_FOUND => {
                t.put.send(t.body.clone()).await.map_err(explain)?;
                tracing::info!("Elasticsearch index template created.");
            }
            Err(e) => return Err(explain(e)),
        }
        t.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// The fields to leave out of these alerts' documents.
    fn drops_for(&self, batch: &[Arc<Alert>]) -> BTreeMap<String, Vec<String>> {
        let drops = lock(&self.drops);
        if drops.is_empty() {
            return BTreeMap::new();
        }
        batch
            .iter()
            .filter_map(|a| drops.get(&a.uuid).map(|d| (a.uuid.clone(), d.clone())))
            .collect()
    }

    /// Forgets the drops of delivered (or given up) alerts.
    fn forget<'a>(&self, alerts: impl IntoIterator<Item = &'a Arc<Alert>>) {
        let mut drops = lock(&self.drops);
        if !drops.is_empty() {
            for a in alerts {
                drops.remove(&a.uuid);
            }
        }
    }

    /// A document that does not fit the mapping: the first time, remember to leave the named
    /// output field out and have the core send it again; after that, it is final.
    fn mapping_conflict(&self, alert: &Alert, err: &EsError) -> SendError {
        let mut drops = lock(&self.drops);
        let dropped_before = drops.remove(&alert.uuid);
        match err.offending_field() {
            Some(field)
                if dropped_before.is_none()
                    && !alert.uuid.is_empty()
                    && drops.len() < MAX_TRACKED_DROPS
                    && alert.output_fields.keys().any(|k| field_matches(k, &field)) =>
            {
                let message = format!(
                    "mapping conflict on output_fields.{field}; sending the document again \
                     without it: {}",
                    err.describe()
                );
                drops.insert(alert.uuid.clone(), vec![field]);
                SendError::Other(message.into())
            }
            _ => SendError::Rejected(match dropped_before {
                Some(fields) => format!(
                    "mapping conflict even without output_fields.{}: {}",
                    fields.join(", output_fields."),
                    err.describe()
                ),
                None => format!("mapping conflict: {}", err.describe()),
            }),
        }
    }

    /// The decision for one `_bulk` item: `None` when it is indexed.
    fn item_error(&self, alert: &Alert, item: &Item) -> Option<SendError> {
        if (200..300).contains(&item.status) {
            return None;
        }
        // `create` with the alert's UUID as `_id`: a conflict means an earlier attempt
        // indexed it (its answer was lost, or the attempt timed out after ES took it).
        if item.status == 409 && !alert.uuid.is_empty() {
            return None;
        }
        let err = item.error.clone().unwrap_or_default();
        if err.is_mapping_conflict() {
            return Some(self.mapping_conflict(alert, &err));
        }
        let status = StatusCode::from_u16(item.status).unwrap_or(StatusCode::BAD_GATEWAY);
        Some(SendError::Status {
            status,
            body: match err.describe() {
                d if d.is_empty() => format!("item status {}", item.status),
                d => d,
            },
            retry_after: None,
        })
    }

    async fn send_bulk(&self, target: &HttpTarget, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        let body = self.encoder.bulk(batch, &self.drops_for(batch));
        let answer = target
            .send_reading(body, MAX_ANSWER_BYTES)
            .await
            .map_err(explain)?;
        let answer = parse_bulk(&answer).map_err(|m| SendError::Other(m.into()))?;
        if !answer.errors {
            self.forget(batch);
            return Ok(());
        }
        if answer.items.len() != batch.len() {
            // Safe to send again: items ES took answer 409 the next time.
            return Err(SendError::Other(
                format!(
                    "the _bulk answer has {} items for {} documents",
                    answer.items.len(),
                    batch.len()
                )
                .into(),
            ));
        }
        let mut failed = Vec::new();
        for (i, (alert, item)) in batch.iter().zip(&answer.items).enumerate() {
            match self.item_error(alert, item) {
                None => self.forget([alert]),
                Some(e) => failed.push((i, e)),
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(SendError::Partial(failed))
        }
    }

    /// falcosidekick's request: `POST {hostport}/<index>/<type>[?pipeline=]`.
    fn single_url(&self, alert: &Alert) -> Result<Url, SendError> {
        let mut url = parse(&format!(
            "{}/{}/{}",
            self.base,
            self.encoder.index_of(alert),
            self.doc_type
        ))
        .map_err(|m| SendError::Encode(m.into()))?;
        if !self.pipeline.is_empty() {
            url.query_pairs_mut()
                .append_pair("pipeline", &self.pipeline);
        }
        Ok(url)
    }

    async fn send_one(&self, alert: &Arc<Alert>) -> Result<(), SendError> {
        let drops = self.drops_for(std::slice::from_ref(alert));
        let drop = drops.get(&alert.uuid).map_or(&[][..], Vec::as_slice);
        let doc = self.encoder.document(alert, drop);
        let target = self.single.retarget(Method::POST, self.single_url(alert)?);
        match target.send(doc).await {
            Ok(()) => {
                self.forget([alert]);
                Ok(())
            }
            Err(SendError::Status { status, body, .. })
                if status == StatusCode::BAD_REQUEST
                    && error_body(&body).is_some_and(|e| e.is_mapping_conflict()) =>
            {
                let err = error_body(&body).unwrap_or_default();
                Err(self.mapping_conflict(alert, &err))
            }
            Err(e) => Err(explain(e)),
        }
    }

    async fn send_each(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        let mut failed = Vec::new();
        for (i, alert) in batch.iter().enumerate() {
            if let Err(e) = self.send_one(alert).await {
                if batch.len() == 1 {
                    return Err(e);
                }
                failed.push((i, e));
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(SendError::Partial(failed))
        }
    }
}

fn bytes_empty() -> Vec<u8> {
    Vec::new()
}

#[async_trait::async_trait]
impl Output for Elasticsearch {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.ensure_template().await?;
        match &self.bulk {
            Some(target) => self.send_bulk(target, batch).await,
            None => self.send_each(batch).await,
        }
    }
}
