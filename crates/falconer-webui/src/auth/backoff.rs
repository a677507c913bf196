//! Backoff after failed password checks, per client address and per configured user: after
//! [`FAILURES_BEFORE_LOCK`] failures in a row the client (or user) is locked for 1 s, then
//! for twice as long after each further failure, up to 5 minutes. A success resets both.
//! While locked, requests are refused (429) without hashing.
//!
//! A user locked by failures from elsewhere stays usable from the addresses it recently
//! signed in from, so an attacker cannot lock a real user (or an API client) out from
//! another address. Memory is bounded: clients are capped (the least recently seen go
//! first) and only configured user names are tracked.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::bounded::Bounded;

/// Failures in a row before the first lock.
pub const FAILURES_BEFORE_LOCK: u32 = 5;
/// The first lock; each further failure doubles it.
const FIRST_LOCK: Duration = Duration::from_secs(1);
/// The longest lock.
pub const MAX_LOCK: Duration = Duration::from_secs(300);
/// Failures older than this no longer count.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Client addresses tracked at most.
const MAX_CLIENTS: usize = 10_000;
/// Addresses remembered per user as having signed in successfully.
const MAX_TRUSTED: usize = 64;
/// How long a successful sign-in exempts its address from the user's lock.
const TRUSTED_FOR: Duration = Duration::from_secs(24 * 3600);

/// Who a request comes from: an IPv4 address, or the /64 of an IPv6 address (what one
/// host usually gets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                ClientKey(IpAddr::V6(bits.into()))
            }
            v4 => ClientKey(v4),
        }
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// Failures of one client or user.
#[derive(Debug, Default)]
struct Strikes {
    failures: u32,
    last: Option<Instant>,
    until: Option<Instant>,
}

impl Strikes {
    fn remaining(&self, now: Instant) -> Option<Duration> {
        self.until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    fn fail(&mut self, now: Instant) {
        if self
            .last
            .is_some_and(|last| now.saturating_duration_since(last) > FORGET_AFTER)
        {
            *self = Strikes::default();
        }
        self.failures = self.failures.saturating_add(1);
        self.last = Some(now);
        if self.failures >= FAILURES_BEFORE_LOCK {
            let doublings = (self.failures - FAILURES_BEFORE_LOCK).min(16);
            let lock = FIRST_LOCK.saturating_mul(1 << doublings).min(MAX_LOCK);
            self.until = Some(now + lock);
        }
    }
}

#[derive(Debug)]
struct UserState {
    strikes: Strikes,
    /// Addresses that signed in as this user, with when.
    trusted: Bounded<ClientKey, Instant>,
}

#[derive(Debug)]
struct Inner {
    clients: Bounded<ClientKey, Strikes>,
    users: HashMap<String, UserState>,
}

/// The backoff state of a UI.
#[derive(Debug)]
pub(crate) struct Backoff {
    inner: Mutex<Inner>,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff {
            inner: Mutex::new(Inner {
                clients: Bounded::new(MAX_CLIENTS),
                users: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How long a request for `user` (a configured user, or `None`) from `client` must
    /// still wait, when the client or the user is locked.
    pub(crate) fn locked(
        &self,
        user: Option<&str>,
        client: Option<ClientKey>,
        now: Instant,
    ) -> Option<Duration> {
        let inner = self.lock();
        let by_client = client
            .and_then(|c| inner.clients.peek(&c))
            .and_then(|s| s.remaining(now));
        let by_user = user.and_then(|u| inner.users.get(u)).and_then(|state| {
            let trusted = client
                .and_then(|c| state.trusted.peek(&c))
                .is_some_and(|at| now.saturating_duration_since(*at) < TRUSTED_FOR);
            if trusted {
                None
            } else {
                state.strikes.remaining(now)
            }
        });
        by_client.max(by_user)
    }

    /// A password check failed for `user` (only configured users are tracked) from
    /// `client`.
    pub(crate) fn failed(&self, user: Option<&str>, client: Option<ClientKey>, now: Instant) {
        let mut inner = self.lock();
        if let Some(c) = client {
            inner.clients.entry(c, Strikes::default).fail(now);
        }
        if let Some(u) = user {
            inner
                .users
                .entry(u.to_owned())
                .or_insert_with(|| UserState {
                    strikes: Strikes::default(),
                    trusted: Bounded::new(MAX_TRUSTED),
                })
                .strikes
                .fail(now);
        }
    }

    /// `user` signed in from `client`: both start afresh, and the address is trusted for
    /// that user.
    pub(crate) fn succeeded(&self, user: &str, client: Option<ClientKey>, now: Instant) {
        let mut inner = self.lock();
        if let Some(c) = client {
            inner.clients.remove(&c);
        }
        let state = inner
            .users
            .entry(user.to_owned())
            .or_insert_with(|| UserState {
                strikes: Strikes::default(),
                trusted: Bounded::new(MAX_TRUSTED),
            });
        state.strikes = Strikes::default();
        if let Some(c) = client {
            *state.trusted.entry(c, || now) = now;
        }
    }

    /// Client addresses tracked (for tests).
    #[cfg(test)]
    pub(crate) fn clients(&self) -> usize {
        self.lock().clients.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<ClientKey> {
        Some(s.parse::<IpAddr>().expect("address").into())
    }

    #[test]
    fn locks_after_five_failures_doubling_up_to_five_minutes() {
        let b = Backoff::new();
        let t0 = Instant::now();
        let c = ip("192.0.2.1");
        for i in 0..4 {
            b.failed(Some("admin"), c, t0);
            assert_eq!(b.locked(Some("admin"), c, t0), None, "failure {i}");
        }
        b.failed(Some("admin"), c, t0);
        assert_eq!(b.locked(Some("admin"), c, t0), Some(FIRST_LOCK));
        let mut now = t0;
        let mut expected = FIRST_LOCK;
        for _ in 0..12 {
            now += expected;
            assert_eq!(b.locked(Some("admin"), c, now), None, "lock over");
            b.failed(Some("admin"), c, now);
            expected = (expected * 2).min(MAX_LOCK);
            assert_eq!(b.locked(None, c, now), Some(expected));
        }
        assert_eq!(expected, MAX_LOCK);
        // A success resets the client and the user.
        b.succeeded("admin", c, now + MAX_LOCK);
        assert_eq!(b.locked(Some("admin"), c, now + MAX_LOCK), None);
        b.failed(Some("admin"), c, now + MAX_LOCK);
        assert_eq!(b.locked(Some("admin"), c, now + MAX_LOCK), None);
    }

    #[test]
    fn a_locked_user_still_works_from_where_it_signed_in() {
        let b = Backoff::new();
        let now = Instant::now();
        let home = ip("10.0.0.7");
        b.succeeded("admin", home, now);
        // Failures from many addresses (each under the client threshold) lock the user.
        for i in 0..5 {
            b.failed(Some("admin"), ip(&format!("198.51.100.{i}")), now);
        }
        assert!(b.locked(Some("admin"), ip("203.0.113.9"), now).is_some());
        assert!(b.locked(Some("admin"), None, now).is_some());
        assert_eq!(b.locked(Some("admin"), home, now), None);
        assert_eq!(b.locked(Some("other"), ip("203.0.113.9"), now), None);
    }

    #[test]
    fn old_failures_are_forgotten_and_clients_are_capped() {
        let b = Backoff::new();
        let now = Instant::now();
        let c = ip("192.0.2.1");
        for _ in 0..4 {
            b.failed(None, c, now);
        }
        let later = now + FORGET_AFTER + Duration::from_secs(1);
        b.failed(None, c, later);
        assert_eq!(b.locked(None, c, later), None, "the count started again");
        for i in 0..(MAX_CLIENTS as u32 + 500) {
            b.failed(None, Some(IpAddr::from(i.to_be_bytes()).into()), now);
        }
        assert_eq!(b.clients(), MAX_CLIENTS);
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(ip("2001:db8:1:2:aaaa::1"), ip("2001:db8:1:2:bbbb::2"));
        assert_ne!(ip("2001:db8:1:2::1"), ip("2001:db8:1:3::1"));
        assert_eq!(ip("::ffff:192.0.2.1"), ip("192.0.2.1"));
        assert_eq!(
            ip("2001:db8:1:2::1").map(|c| c.to_string()).as_deref(),
            Some("2001:db8:1:2::/64")
        );
    }
}
