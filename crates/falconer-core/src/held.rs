//! How an alert waits in an output's queue: parsed and shared with the other outputs while the
//! queue is short, as its payload bytes alone once the queue is long.
//!
//! A parsed alert costs about four times its JSON (the output-field tree, its strings and the
//! cached payload). An output that is down or slow can hold its whole queue, so past
//! [`PACK_AFTER`] queued alerts a new one keeps only the payload (shared with the alert's
//! cache, so nothing is copied) and is parsed again when its turn comes, as the spool's
//! read-back does. Parsing back gives the same alert: the UUID is kept and the payload bytes
//! are reused, so outputs send exactly what they would have sent.

use std::sync::Arc;

use bytes::Bytes;
use falconer_event::{Alert, DecodeError};
use tokio::time::Instant;

use crate::worker::Envelope;

/// Alerts already queued for an output beyond which a new one waits packed. A queue this
/// short drains in one or two batches, so a healthy output never parses an alert twice.
pub(crate) const PACK_AFTER: i64 = 256;

/// Most alerts an output that batches keeps parsed in its queue (see [`pack_after`]).
const PACK_AFTER_MAX: i64 = 4_096;

/// Where an output whose batches hold up to `max_events` alerts starts packing: past two of
/// its batches ([`PACK_AFTER`] at least, [`PACK_AFTER_MAX`] at most). A healthy output that
/// batches holds a batch or two while one fills (the `webui` output: 500 alerts, waiting up
/// to 500 ms); packing those would parse each alert twice. A parsed alert costs about 5.5 KB
/// while it waits, so this adds at most 22 MiB per output to what queues can hold.
pub(crate) fn pack_after(max_events: usize) -> i64 {
    i64::try_from(max_events)
        .unwrap_or(i64::MAX)
        .saturating_mul(2)
        .clamp(PACK_AFTER, PACK_AFTER_MAX)
}

/// The alert itself, or its payload while it waits behind many others.
#[derive(Debug)]
enum Held {
    Shared(Arc<Alert>),
    Packed(Bytes),
}

/// An alert waiting in an output's queue (or on its spool's hot path).
#[derive(Debug)]
pub(crate) struct Queued {
    held: Held,
    enqueued: Instant,
}

impl Queued {
    /// Queues `alert` behind `depth` others, packed when that is `pack_after` or more.
    pub(crate) fn new(alert: Arc<Alert>, enqueued: Instant, depth: i64, pack_after: i64) -> Self {
        let held = if depth >= pack_after {
            Held::Packed(alert.json_bytes().clone())
        } else {
            Held::Shared(alert)
        };
        Queued { held, enqueued }
    }

    /// The envelope the worker delivers (`seq`: its spool record, if any).
    pub(crate) fn unpack(self, seq: Option<u64>) -> Result<Envelope, DecodeError> {
        let alert = match self.held {
            Held::Shared(alert) => alert,
            Held::Packed(payload) => Arc::new(Alert::from_payload(payload)?),
        };
        Ok(Envelope {
            alert,
            enqueued: self.enqueued,
            seq,
        })
    }

    #[cfg(test)]
    pub(crate) fn is_packed(&self) -> bool {
        matches!(self.held, Held::Packed(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_alert_unpacks_to_the_same_alert_and_payload() {
        let body = include_bytes!("../../../bench/alert.json");
        let alert = Arc::new(Alert::decode(body).unwrap());
        let payload = alert.json_bytes().clone();
        let now = Instant::now();

        let short = Queued::new(alert.clone(), now, PACK_AFTER - 1, PACK_AFTER);
        assert!(!short.is_packed());
        let long = Queued::new(alert.clone(), now, PACK_AFTER, PACK_AFTER);
        assert!(long.is_packed());

        let back = long.unpack(Some(7)).unwrap();
        assert_eq!(*back.alert, *alert);
        assert_eq!(back.seq, Some(7));
        assert_eq!(back.enqueued, now);
        // The very bytes, not a copy: outputs send what they would have sent.
        assert_eq!(back.alert.json_bytes().as_ptr(), payload.as_ptr());
    }

    #[test]
    fn an_output_that_batches_packs_past_two_of_its_batches() {
        assert_eq!(pack_after(1), PACK_AFTER);
        assert_eq!(pack_after(100), PACK_AFTER);
        assert_eq!(pack_after(500), 1_000);
        assert_eq!(pack_after(1_000_000), PACK_AFTER_MAX);
        assert_eq!(pack_after(usize::MAX), PACK_AFTER_MAX);
    }
}
