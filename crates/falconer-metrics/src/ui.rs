//! The web UI's families: password checks that failed, and requests refused before any
//! password was checked (too many checks at once, or a client or user in backoff).

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

use crate::{Metrics, MetricsError};

/// Why a UI password check failed (the `reason` label of
/// `falconer_ui_auth_failures_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UiAuthFailure {
    /// A configured user with a wrong password.
    BadCredentials,
    /// A user name that is not configured.
    UnknownUser,
}

impl UiAuthFailure {
    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            UiAuthFailure::BadCredentials => "bad_credentials",
            UiAuthFailure::UnknownUser => "unknown_user",
        }
    }
}

/// Why a UI request with credentials was refused without checking them (the `reason`
/// label of `falconer_ui_auth_refused_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UiAuthRefusal {
    /// `ui.auth.maxverifications` checks were already running.
    Busy,
    /// The client address or the user is locked after repeated failures.
    Backoff,
}

impl UiAuthRefusal {
    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            UiAuthRefusal::Busy => "busy",
            UiAuthRefusal::Backoff => "backoff",
        }
    }
}

/// The UI's metric handles (cheap to clone).
#[derive(Clone)]
pub struct UiMetrics {
    bad_credentials: IntCounter,
    unknown_user: IntCounter,
    busy: IntCounter,
    backoff: IntCounter,
}

impl std::fmt::Debug for UiMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UiMetrics")
            .field("bad_credentials", &self.bad_credentials.get())
            .field("unknown_user", &self.unknown_user.get())
            .field("busy", &self.busy.get())
            .field("backoff", &self.backoff.get())
            .finish()
    }
}

fn families() -> Result<(IntCounterVec, IntCounterVec), MetricsError> {
    let failures = IntCounterVec::new(
        Opts::new(
            "falconer_ui_auth_failures_total",
            "Web UI password checks that failed, by reason (bad_credentials, unknown_user).",
        ),
        &["reason"],
    )?;
    let refused = IntCounterVec::new(
        Opts::new(
            "falconer_ui_auth_refused_total",
            "Web UI requests with credentials refused (429) without checking them, by reason \
             (busy: too many checks at once; backoff: client or user locked after failures).",
        ),
        &["reason"],
    )?;
    Ok((failures, refused))
}

impl UiMetrics {
    /// Registers the families on `registry`. Fails when they are registered there already.
    pub fn register(registry: &Registry) -> Result<UiMetrics, MetricsError> {
        let (failures, refused) = families()?;
        registry.register(Box::new(failures.clone()))?;
        registry.register(Box::new(refused.clone()))?;
        Ok(Self::from_families(&failures, &refused))
    }

    /// Handles that count but are exposed nowhere (tests, tools without `/metrics`).
    pub fn unregistered() -> UiMetrics {
        match families() {
            Ok((failures, refused)) => Self::from_families(&failures, &refused),
            // The names and labels above are constants known to be valid.
            Err(e) => unreachable!("UI metric families are valid: {e}"),
        }
    }

    fn from_families(failures: &IntCounterVec, refused: &IntCounterVec) -> UiMetrics {
        UiMetrics {
            bad_credentials: failures.with_label_values(&[UiAuthFailure::BadCredentials.label()]),
            unknown_user: failures.with_label_values(&[UiAuthFailure::UnknownUser.label()]),
            busy: refused.with_label_values(&[UiAuthRefusal::Busy.label()]),
            backoff: refused.with_label_values(&[UiAuthRefusal::Backoff.label()]),
        }
    }

    /// A password check failed.
    pub fn auth_failed(&self, reason: UiAuthFailure) {
        match reason {
            UiAuthFailure::BadCredentials => self.bad_credentials.inc(),
            UiAuthFailure::UnknownUser => self.unknown_user.inc(),
        }
    }

    /// A request was refused before its credentials were checked.
    pub fn auth_refused(&self, reason: UiAuthRefusal) {
        match reason {
            UiAuthRefusal::Busy => self.busy.inc(),
            UiAuthRefusal::Backoff => self.backoff.inc(),
        }
    }

    /// The count of failures for `reason` so far.
    pub fn failures(&self, reason: UiAuthFailure) -> u64 {
        match reason {
            UiAuthFailure::BadCredentials => self.bad_credentials.get(),
            UiAuthFailure::UnknownUser => self.unknown_user.get(),
        }
    }

    /// The count of refusals for `reason` so far.
    pub fn refusals(&self, reason: UiAuthRefusal) -> u64 {
        match reason {
            UiAuthRefusal::Busy => self.busy.get(),
            UiAuthRefusal::Backoff => self.backoff.get(),
        }
    }
}

impl Metrics {
    /// Registers the web UI's families on this registry and returns their handles. Call it
    /// once (a second call fails: the families exist already).
    pub fn ui(&self) -> Result<UiMetrics, MetricsError> {
        UiMetrics::register(&self.registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_families_render_with_their_reasons() {
        let (metrics, _) = Metrics::new(&[]).expect("metrics");
        let ui = metrics.ui().expect("registered once");
        assert!(metrics.ui().is_err(), "a second registration fails");
        ui.auth_failed(UiAuthFailure::BadCredentials);
        ui.auth_failed(UiAuthFailure::UnknownUser);
        ui.auth_refused(UiAuthRefusal::Busy);
        ui.auth_refused(UiAuthRefusal::Backoff);
        ui.auth_refused(UiAuthRefusal::Backoff);
        let text = String::from_utf8(metrics.render()).expect("utf-8");
        for line in [
            "falconer_ui_auth_failures_total{reason=\"bad_credentials\"} 1",
            "falconer_ui_auth_failures_total{reason=\"unknown_user\"} 1",
            "falconer_ui_auth_refused_total{reason=\"busy\"} 1",
            "falconer_ui_auth_refused_total{reason=\"backoff\"} 2",
        ] {
            assert!(text.contains(line), "{line} missing in:\n{text}");
        }
        assert_eq!(ui.refusals(UiAuthRefusal::Backoff), 2);
        let counted = UiMetrics::unregistered();
        counted.auth_failed(UiAuthFailure::UnknownUser);
        assert_eq!(counted.failures(UiAuthFailure::UnknownUser), 1);
    }
}
