//! Delivery: one annotations API request per alert.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;

use super::encode::body;

/// A running Grafana instance.
#[derive(Debug)]
pub(crate) struct Grafana {
    target: HttpTarget,
    dashboard_id: i64,
    panel_id: i64,
    all_fields: bool,
}

impl Grafana {
    pub(crate) fn new(
        target: HttpTarget,
        dashboard_id: i64,
        panel_id: i64,
        all_fields: bool,
    ) -> Self {
        Grafana {
            target,
            dashboard_id,
            panel_id,
            all_fields,
        }
    }
}

#[async_trait::async_trait]
impl Output for Grafana {
    /// Grafana answers 200. 429 and 5xx are retried by the shared classification; 400, 401,
    /// 403 (bad token or no permission) and 404 (no such dashboard) are final with Grafana's
    /// message.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        for alert in batch {
            let body = body(alert, self.dashboard_id, self.panel_id, self.all_fields)?;
            self.target.send(body).await?;
        }
        Ok(())
    }
}
