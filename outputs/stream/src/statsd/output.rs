//! Delivery: `falco.accepted` per alert at once; the mirrored counters every flush interval.

use std::sync::{Arc, Weak};
use std::time::Duration;

use falconer_core::{Alert, Output, SendError};

use super::encode::{count_line, datagrams, Flavor};
use super::mirror::Mirror;
use crate::transport::Transport;

/// What an instance and its flush task share.
#[derive(Debug)]
pub(crate) struct Agent {
    pub(crate) namespace: String,
    pub(crate) flavor: Flavor,
    pub(crate) transport: Transport,
}

impl Agent {
    async fn send_lines(&self, lines: &[String]) -> Result<(), SendError> {
        if lines.is_empty() {
            return Ok(());
        }
        self.transport.send_datagrams(&datagrams(lines)).await
    }
}

/// A running StatsD or DogStatsD instance.
#[derive(Debug)]
pub(crate) struct Statsd {
    pub(crate) agent: Arc<Agent>,
}

/// Pushes what `mirror` counted every `interval`, until the instance is gone.
pub(crate) fn spawn_flush(agent: &Arc<Agent>, mut mirror: Mirror, interval: Duration) {
    let weak: Weak<Agent> = Arc::downgrade(agent);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(agent) = weak.upgrade() else {
                return;
            };
            let lines: Vec<String> = mirror
                .deltas()
                .iter()
                .map(|d| {
                    let tags: Vec<(&str, &str)> = d
                        .tags
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    count_line(&agent.namespace, &agent.flavor, &d.metric, d.value, &tags)
                })
                .collect();
            if let Err(e) = agent.send_lines(&lines).await {
                // The counts of this interval are lost for the agent (StatsD is best effort);
                // /metrics keeps them.
                tracing::warn!(error = %e, "Cannot push counters to the StatsD agent.");
            }
        }
    });
}

#[async_trait::async_trait]
impl Output for Statsd {
    /// One `falco.accepted` count per alert. UDP has no acknowledgements: a sent datagram
    /// counts as delivered.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        let lines: Vec<String> = batch
            .iter()
            .map(|a| {
                let priority = a.priority.to_string();
                count_line(
                    &self.agent.namespace,
                    &self.agent.flavor,
                    "falco.accepted",
                    1,
                    &[("priority", priority.as_str())],
                )
            })
            .collect();
        self.agent.send_lines(&lines).await
    }

    /// Resolves the agent's address and binds the socket.
    async fn healthcheck(&self) -> Result<(), SendError> {
        self.agent.transport.open().await
    }
}
