//! The Kubernetes audit webhook (`k8saudit:`): its rules files loaded and checked at start,
//! every problem reported with its file, line and rule.

use std::sync::Arc;

use falconer_config::{ConfigErrors, GlobalSettings};
use falconer_ingest::AuditWebhook;
use falconer_k8saudit::{AlertSettings, BodyLimits, RuleMatching};

/// The webhook `k8saudit:` describes, or `None` when it is off.
pub fn webhook(global: &GlobalSettings) -> Result<Option<Arc<AuditWebhook>>, ConfigErrors> {
    let settings = &global.k8saudit;
    if !settings.enabled {
        return Ok(None);
    }
    let mut errors = ConfigErrors::default();
    // An invalid value is reported by the config loader, with its path.
    let matching = settings
        .rulematching
        .parse::<RuleMatching>()
        .unwrap_or_default();
    let alerts = AlertSettings {
        hostname: if settings.hostname.is_empty() {
            falconer_k8saudit::default_hostname()
        } else {
            settings.hostname.clone()
        },
        time_format_iso8601: settings.timeformatiso8601,
    };
    let engine = match falconer_k8saudit::load_engine(&settings.rulesfiles, matching, alerts) {
        Ok(engine) => Some(engine),
        Err(problems) => {
            for problem in problems.0 {
                errors.push("k8saudit.rulesfiles", problem.to_string());
            }
            None
        }
    };
    let limits = BodyLimits {
        max_request_bytes: settings.maxrequestbytes,
        max_event_bytes: settings.maxeventbytes,
    };
    errors.into_result(engine.map(|engine| Arc::new(AuditWebhook { engine, limits })))
}
