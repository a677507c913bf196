//! Delivery: for each report a batch touches, one read and one create or replace, retried
//! within the attempt when another writer changed the report in between.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use falconer_core::{Alert, Output, SendError};
use http::StatusCode;
use kube::api::{DynamicObject, PostParams};
use kube::Client;
use serde_json::{Map, Value};

use super::client::{api, classify, resource, status_of};
use super::encode::{is_reported_source, result_of, scope_of, Scope};
use super::report::{labels, merge, name_of, new_report, Trim};

/// Reads and writes of one report per delivery at most, when writes conflict.
pub const MAX_ATTEMPTS: u32 = 5;

/// A report could not be updated.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// Every attempt conflicted with another writer.
    #[error("{kind} {name}: changed by another writer at each of {attempts} attempts")]
    Conflict {
        /// `PolicyReport` or `ClusterPolicyReport`.
        kind: String,
        /// The report.
        name: String,
        /// Attempts made.
        attempts: u32,
    },
}

/// The running PolicyReport output.
pub(crate) struct PolicyReports {
    client: Client,
    trim: Trim,
    /// One lock per report: this instance's deliveries update a report one at a time.
    locks: Mutex<HashMap<Scope, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for PolicyReports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyReports")
            .field("trim", &self.trim)
            .finish_non_exhaustive()
    }
}

/// What one write did.
enum Wrote {
    Created,
    Replaced,
}

impl Wrote {
    fn verb(&self) -> &'static str {
        match self {
            Wrote::Created => "created",
            Wrote::Replaced => "updated",
        }
    }
}

impl PolicyReports {
    /// Writes to the cluster of `client`, keeping reports to `trim`.
    pub(crate) fn new(client: Client, trim: Trim) -> Self {
        PolicyReports {
            client,
            trim,
            locks: Mutex::default(),
        }
    }

    fn lock(&self, scope: &Scope) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        locks.entry(scope.clone()).or_default().clone()
    }

    /// Adds `results` to the report of `scope`: read it (none: create it), merge, replace;
    /// a conflict (409) or a report deleted in between (404 on replace) reads it again.
    async fn update(&self, scope: &Scope, results: &[Value]) -> Result<(), SendError> {
        let lock = self.lock(scope);
        let _held = lock.lock().await;
        let api = api(&self.client, scope);
        let name = name_of(scope);
        let resource = resource(scope);
        let params = PostParams::default();
        for attempt in 1..=MAX_ATTEMPTS {
            let (wrote, answer) = match api.get_opt(name).await.map_err(classify)? {
                None => {
                    let data = new_report(results, self.trim);
                    let mut report = DynamicObject::new(name, &resource).data(Value::Object(data));
                    if let Scope::Namespace(ns) = scope {
                        report = report.within(ns);
                    }
                    report.metadata.labels = Some(labels());
                    (Wrote::Created, api.create(&params, &report).await)
                }
                Some(mut report) => {
                    let mut data = match std::mem::take(&mut report.data) {
                        Value::Object(map) => map,
                        _ => Map::new(),
                    };
                    merge(&mut data, results, self.trim);
                    report.data = Value::Object(data);
                    (Wrote::Replaced, api.replace(name, &params, &report).await)
                }
            };
            let e = match answer {
                Ok(_) => {
                    tracing::debug!(kind = %resource.kind, report = name, scope = ?scope, results = results.len(), "PolicyReport {}.", wrote.verb());
                    return Ok(());
                }
                Err(e) => e,
            };
            let status = status_of(&e);
            let again = status == Some(StatusCode::CONFLICT.as_u16())
                || (matches!(wrote, Wrote::Replaced)
                    && status == Some(StatusCode::NOT_FOUND.as_u16()));
            if !again {
                return Err(classify(e));
            }
            tracing::debug!(kind = %resource.kind, report = name, attempt, error = %e, "PolicyReport changed meanwhile; reading it again.");
        }
        Err(SendError::Other(Box::new(UpdateError::Conflict {
            kind: resource.kind,
            name: name.to_owned(),
            attempts: MAX_ATTEMPTS,
        })))
    }
}

#[async_trait::async_trait]
impl Output for PolicyReports {
    /// The batch's alerts grouped by report, each report updated once; alerts of sources
    /// falcosidekick does not report (plugins other than k8saudit, the `/test` alert) are
    /// left out. A report that fails fails its own alerts only.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        let mut reports: BTreeMap<Scope, (Vec<usize>, Vec<Value>)> = BTreeMap::new();
        for (i, alert) in batch.iter().enumerate() {
            if !is_reported_source(&alert.source) {
                tracing::debug!(source = %alert.source, uuid = %alert.uuid, "PolicyReport: not a syscall or k8s audit alert, not reported.");
                continue;
            }
            let scope = scope_of(alert);
            let result = result_of(alert, &scope);
            let entry = reports.entry(scope).or_default();
            entry.0.push(i);
            entry.1.push(result);
        }
        let mut failed: Vec<(Vec<usize>, SendError)> = Vec::new();
        for (scope, (positions, results)) in reports {
            if let Err(e) = self.update(&scope, &results).await {
                tracing::warn!(scope = ?scope, alerts = positions.len(), error = %e, "PolicyReport update failed.");
                failed.push((positions, e));
            }
        }
        match failed.len() {
            0 => Ok(()),
            1 if failed[0].0.len() == batch.len() => Err(failed.remove(0).1),
            _ => {
                let mut each: Vec<(usize, SendError)> = failed
                    .iter()
                    .flat_map(|(positions, e)| positions.iter().map(move |i| (*i, e.duplicate())))
                    .collect();
                each.sort_by_key(|(i, _)| *i);
                Err(SendError::Partial(each))
            }
        }
    }

    /// Reads the cluster report: the API answers, the credentials work, the CRD exists.
    async fn healthcheck(&self) -> Result<(), SendError> {
        api(&self.client, &Scope::Cluster)
            .get_opt(name_of(&Scope::Cluster))
            .await
            .map(|_| ())
            .map_err(classify)
    }
}
