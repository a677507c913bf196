//! Stdout output: writes each alert as one line of falcosidekick's payload JSON to standard
//! output (logs go to standard error). The default when no output is configured, so that
//! `falconer` with no config shows what it receives.

use std::sync::Arc;

use falconer_core::{
    Alert, BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig, SendError,
};
use serde::Deserialize;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::Mutex;

/// Configuration of a stdout instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdoutConfig {
    /// Enables the singleton `stdout:` block.
    #[serde(default)]
    pub enabled: bool,
}

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<StdoutConfig>();

#[async_trait::async_trait]
impl OutputConfig for StdoutConfig {
    const KIND: &'static str = "stdout";
    const BLOCK: &'static str = "stdout";
    const ENABLED_BY: &'static [&'static str] = &["enabled"];
    const DESTINATION: &'static str = "stdout";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(256, usize::MAX, std::time::Duration::ZERO);

    fn validate(&self, _problems: &mut falconer_core::Problems) {}

    async fn build(self, _cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        Ok(Arc::new(LineWriter::new(tokio::io::stdout())))
    }
}

/// Writes JSON lines to any writer (stdout in production, a buffer in tests).
pub struct LineWriter<W> {
    writer: Mutex<W>,
}

impl<W> LineWriter<W> {
    /// Wraps `writer`.
    pub fn new(writer: W) -> Self {
        LineWriter {
            writer: Mutex::new(writer),
        }
    }

    /// The writer, for tests.
    pub fn into_inner(self) -> W {
        self.writer.into_inner()
    }
}

#[async_trait::async_trait]
impl<W: AsyncWrite + Unpin + Send + 'static> Output for LineWriter<W> {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        let mut buf = Vec::with_capacity(batch.len() * 1024);
        for alert in batch {
            buf.extend_from_slice(alert.to_json());
            buf.push(b'\n');
        }
        let mut w = self.writer.lock().await;
        w.write_all(&buf)
            .await
            .map_err(|e| SendError::Other(Box::new(e)))?;
        w.flush().await.map_err(|e| SendError::Other(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use falconer_testkit::{CONFIGMAP_ALERT, SHELL_ALERT};

    #[tokio::test]
    async fn writes_one_json_line_per_alert() {
        let out = LineWriter::new(Vec::new());
        let a = Arc::new(Alert::decode(CONFIGMAP_ALERT.as_bytes()).unwrap());
        let b = Arc::new(Alert::decode(SHELL_ALERT.as_bytes()).unwrap());
        out.send(&[a.clone(), b.clone()]).await.unwrap();
        let text = String::from_utf8(out.into_inner()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].as_bytes(), a.to_json());
        assert_eq!(lines[1].as_bytes(), b.to_json());
        assert!(lines[1].contains(r#""n_drops":12345678901234567890"#));
        assert!(lines[1].contains(r#""ratio":1.50"#));
    }
}
