//! Credentials that verified recently, so an API client sending basic auth on every request
//! pays the slow password hash once per `ui.auth.cachettl`. Only an HMAC-SHA-256 of
//! user and password under a random per-process key is kept, never the password; entries
//! expire and their number is capped.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::bounded::Bounded;

/// Remembered credentials at most.
const MAX_ENTRIES: usize = 1024;

/// A keyed digest of a user and password.
pub(crate) type Fingerprint = [u8; 32];

/// HMAC-SHA-256 (RFC 2104) of the concatenated `parts` under `key` (at most 64 bytes).
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = [0u8; 64];
    let n = key.len().min(64);
    block[..n].copy_from_slice(&key[..n]);
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for p in parts {
        inner.update(p);
    }
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// The cache of verified credentials.
pub(crate) struct Verified {
    key: [u8; 32],
    ttl: Duration,
    entries: Mutex<Bounded<Fingerprint, Instant>>,
}

impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Verified {
    /// A cache keeping entries for `ttl` (zero: nothing is kept).
    pub(crate) fn new(ttl: Duration) -> Self {
        // Two v4 UUIDs: 244 bits from the OS-seeded generator.
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Verified {
            key,
            ttl,
            entries: Mutex::new(Bounded::new(MAX_ENTRIES)),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Bounded<Fingerprint, Instant>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The fingerprint of `user` and `password`.
    pub(crate) fn fingerprint(&self, user: &str, password: &str) -> Fingerprint {
        let len = (user.len() as u64).to_be_bytes();
        hmac_sha256(&self.key, &[&len, user.as_bytes(), password.as_bytes()])
    }

    /// True when `fp` verified less than `ttl` ago.
    pub(crate) fn contains(&self, fp: &Fingerprint, now: Instant) -> bool {
        if self.ttl.is_zero() {
            return false;
        }
        let mut entries = self.entries();
        match entries.get_mut(fp) {
            Some(expires) if *expires > now => true,
            Some(_) => {
                entries.remove(fp);
                false
            }
            None => false,
        }
    }

    /// Remembers that `fp` verified at `now`.
    pub(crate) fn insert(&self, fp: Fingerprint, now: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let expires = now + self.ttl;
        *self.entries().entry(fp, || expires) = expires;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2.
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn entries_expire_and_are_per_process() {
        let cache = Verified::new(Duration::from_secs(60));
        let now = Instant::now();
        let fp = cache.fingerprint("admin", "pw");
        assert_ne!(fp, cache.fingerprint("admin", "pw2"));
        assert_ne!(
            cache.fingerprint("ad", "minpw"),
            cache.fingerprint("admin", "pw")
        );
        assert_ne!(
            fp,
            Verified::new(Duration::from_secs(60)).fingerprint("admin", "pw")
        );
        assert!(!cache.contains(&fp, now));
        cache.insert(fp, now);
        assert!(cache.contains(&fp, now + Duration::from_secs(59)));
        assert!(!cache.contains(&fp, now + Duration::from_secs(61)));
        let off = Verified::new(Duration::ZERO);
        off.insert(fp, now);
        assert!(!off.contains(&fp, now));
        for i in 0..(MAX_ENTRIES + 10) {
            cache.insert(cache.fingerprint("u", &i.to_string()), now);
        }
        assert_eq!(cache.entries().len(), MAX_ENTRIES);
    }
}
