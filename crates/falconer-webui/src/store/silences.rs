//! Silences as the store keeps them: one row per silence (its condition as written, times in
//! microseconds since the epoch), and the signal that tells the silence feed a silence was
//! added or expired through this store handle.

use chrono::{DateTime, SecondsFormat, Utc};
use tokio::sync::watch;

/// Silences ended more than this long ago go when retention has no `maxage`.
pub(crate) const DEFAULT_SILENCE_KEEP_US: i64 = super::drops::DEFAULT_KEEP_US;

/// One stored silence, as written (the condition is checked before it is stored, and again
/// by the feed when it is loaded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceRecord {
    /// Its id (a UUID).
    pub id: String,
    /// The condition, in Falco's condition syntax (`rule = "…" and hostname = node-1`).
    pub condition: String,
    /// When it starts (µs since the epoch).
    pub starts_at_us: i64,
    /// When it ends (µs since the epoch).
    pub ends_at_us: i64,
    /// Who created it.
    pub created_by: String,
    /// Why.
    pub comment: String,
    /// When it was stored (µs since the epoch).
    pub created_at_us: i64,
}

/// Where a silence stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceState {
    /// In force.
    Active,
    /// Starts later.
    Pending,
    /// Ended (or expired by hand).
    Expired,
}

impl SilenceState {
    /// `active`, `pending` or `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            SilenceState::Active => "active",
            SilenceState::Pending => "pending",
            SilenceState::Expired => "expired",
        }
    }
}

impl std::str::FromStr for SilenceState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" => Ok(SilenceState::Active),
            "pending" => Ok(SilenceState::Pending),
            "expired" => Ok(SilenceState::Expired),
            other => Err(format!(
                "unknown silence state {other:?} (active, pending, expired)"
            )),
        }
    }
}

/// RFC 3339 (UTC, as many fractional digits as needed: no precision lost) of a time in µs
/// since the epoch.
pub(crate) fn rfc3339_of(us: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(us)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl SilenceRecord {
    /// Where it stands at `now_us`.
    pub fn state(&self, now_us: i64) -> SilenceState {
        if self.ends_at_us <= now_us {
            SilenceState::Expired
        } else if self.starts_at_us > now_us {
            SilenceState::Pending
        } else {
            SilenceState::Active
        }
    }

    /// When it starts, RFC 3339.
    pub fn starts_at(&self) -> String {
        rfc3339_of(self.starts_at_us)
    }

    /// When it ends, RFC 3339.
    pub fn ends_at(&self) -> String {
        rfc3339_of(self.ends_at_us)
    }

    /// When it was stored, RFC 3339.
    pub fn created_at(&self) -> String {
        rfc3339_of(self.created_at_us)
    }

    /// The API's JSON form, its `status` at `now_us`.
    pub fn to_json(&self, now_us: i64) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "match": self.condition,
            "startsAt": self.starts_at(),
            "endsAt": self.ends_at(),
            "createdBy": self.created_by,
            "comment": self.comment,
            "createdAt": self.created_at(),
            "status": self.state(now_us).as_str(),
        })
    }
}

/// What adding a silence did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceAdded {
    /// Stored.
    Added,
    /// Not stored: as many silences as the limit have not ended yet.
    LimitReached,
}

/// Bumped on every add and expiry through one store handle; the silence feed watches it so
/// a change made on this replica applies at once (other replicas see it at their next poll).
#[derive(Debug)]
pub(crate) struct SilenceSignal(watch::Sender<u64>);

impl Default for SilenceSignal {
    fn default() -> Self {
        SilenceSignal(watch::channel(0).0)
    }
}

impl SilenceSignal {
    pub(crate) fn bump(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(starts: i64, ends: i64) -> SilenceRecord {
        SilenceRecord {
            id: "x".into(),
            condition: "rule = a".into(),
            starts_at_us: starts,
            ends_at_us: ends,
            created_by: "me".into(),
            comment: String::new(),
            created_at_us: 0,
        }
    }

    #[test]
    fn states_follow_the_clock() {
        let s = record(100, 200);
        assert_eq!(s.state(50), SilenceState::Pending);
        assert_eq!(s.state(100), SilenceState::Active);
        assert_eq!(s.state(199), SilenceState::Active);
        assert_eq!(s.state(200), SilenceState::Expired);
        assert_eq!("ACTIVE".parse::<SilenceState>(), Ok(SilenceState::Active));
        assert!("later".parse::<SilenceState>().is_err());
    }

    #[test]
    fn times_are_rfc3339_utc() {
        let s = record(1_700_000_000_123_456, 1_700_000_060_000_000);
        assert_eq!(s.starts_at(), "2023-11-14T22:13:20.123456Z");
        assert_eq!(s.to_json(0)["status"], "pending");
    }

    #[tokio::test]
    async fn the_signal_wakes_every_subscriber() {
        let signal = SilenceSignal::default();
        let mut a = signal.subscribe();
        let mut b = signal.subscribe();
        signal.bump();
        assert!(a.has_changed().unwrap_or(false));
        assert!(b.has_changed().unwrap_or(false));
        a.mark_unchanged();
        b.mark_unchanged();
        assert!(!a.has_changed().unwrap_or(true));
    }
}
