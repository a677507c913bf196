//! Authentication: users with argon2 or bcrypt hashes, server-side sessions behind an
//! `HttpOnly; SameSite=Lax` cookie, and HTTP basic credentials for API clients (a
//! falcosidekick posting to `http://user:password@falconer:2802` sends them).
//!
//! Password checks are expensive (argon2: ~19 MiB and tens of ms each), so they are
//! guarded (see [`Auth::check`]): at most `ui.auth.maxverifications` run at once, on tokio's
//! blocking pool; clients and users that keep failing are locked out for a while
//! ([`backoff`]); credentials that verified are remembered briefly ([`cache`]).

mod backoff;
mod bounded;
mod cache;
mod gate;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use falconer_metrics::UiMetrics;
use tokio::sync::Semaphore;

use crate::settings::AuthSettings;

pub use backoff::{ClientKey, FAILURES_BEFORE_LOCK, MAX_LOCK};
pub(crate) use gate::whole_seconds;
pub use gate::{ClientAddr, Verdict};

/// The session cookie's name.
pub const COOKIE: &str = "falconer_session";

/// Sessions at most (the oldest go first when full).
const MAX_SESSIONS: usize = 10_000;

/// A password hash the UI can check.
#[derive(Clone)]
pub(crate) enum Hash {
    Argon2(String),
    Bcrypt(String),
}

fn parse_hash(h: &str) -> Result<Hash, String> {
    let h = h.trim();
    if h.starts_with("$argon2") {
        PasswordHash::new(h).map_err(|e| format!("not a valid argon2 hash: {e}"))?;
        Ok(Hash::Argon2(h.to_owned()))
    } else if ["$2a$", "$2b$", "$2y$", "$2x$"]
        .iter()
        .any(|p| h.starts_with(p))
    {
        // bcrypt's own parser runs on verify; check the shape: $2b$NN$ + 53 characters.
        if h.len() == 60 && h.as_bytes().get(6) == Some(&b'$') {
            Ok(Hash::Bcrypt(h.to_owned()))
        } else {
            Err("not a valid bcrypt hash".into())
        }
    } else {
        Err("must be an argon2 ($argon2id$…) or bcrypt ($2b$…) hash, not a plain password (`falconer ui hash-password` makes one)".into())
    }
}

/// The users of `settings` (`users` then `usersfile`), or every problem as (path, message).
/// (user name, password hash) pairs, or (config path, problem) pairs.
type Pairs = Vec<(String, String)>;

pub(crate) fn load_users(settings: &AuthSettings) -> Result<Pairs, Pairs> {
    let mut users = Vec::new();
    let mut problems = Vec::new();
    for (i, u) in settings.users.iter().enumerate() {
        if u.username.trim().is_empty() || u.username.contains(':') {
            problems.push((
                format!("users[{i}].username"),
                "must be non-empty, without ':'".into(),
            ));
        }
        match parse_hash(u.password.expose()) {
            Ok(_) => users.push((u.username.trim().to_owned(), u.password.expose().to_owned())),
            Err(e) => problems.push((format!("users[{i}].password"), e)),
        }
    }
    if !settings.usersfile.trim().is_empty() {
        match std::fs::read_to_string(settings.usersfile.trim()) {
            Err(e) => problems.push(("usersfile".into(), format!("cannot read: {e}"))),
            Ok(text) => {
                for (n, line) in text.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    match line.split_once(':') {
                        Some((name, hash)) if !name.trim().is_empty() => match parse_hash(hash) {
                            Ok(_) => users.push((name.trim().to_owned(), hash.trim().to_owned())),
                            Err(e) => problems.push((format!("usersfile line {}", n + 1), e)),
                        },
                        _ => problems.push((
                            format!("usersfile line {}", n + 1),
                            "expected username:hash".into(),
                        )),
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(users)
    } else {
        Err(problems)
    }
}

/// Hashes a password with argon2id and a random salt (for `falconer ui hash-password`).
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    // 16 random bytes (UUIDv4 bits come from the OS-seeded generator) as the salt.
    let salt =
        SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes()).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

struct Session {
    user: String,
    expires: Instant,
}

/// The running authenticator.
pub struct Auth {
    disabled: bool,
    users: HashMap<String, Hash>,
    sessions: Mutex<HashMap<String, Session>>,
    /// Checked for unknown users, so they take as long as known ones.
    dummy: Hash,
    /// Permits for password checks running at once (`maxverifications`).
    limiter: Arc<Semaphore>,
    backoff: backoff::Backoff,
    /// Credentials that verified recently (`cachettl`).
    verified: cache::Verified,
    metrics: UiMetrics,
    /// Session lifetime.
    pub ttl: Duration,
    /// `Secure` on the cookie.
    pub secure_cookie: bool,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("disabled", &self.disabled)
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Builds from settings; fails on an unusable user list. Failures and refusals are
    /// counted in `metrics`.
    pub fn new(settings: &AuthSettings, metrics: UiMetrics) -> Result<Auth, String> {
        let users = if settings.disabled {
            Vec::new()
        } else {
            load_users(settings).map_err(|problems| {
                problems
                    .into_iter()
                    .map(|(p, m)| format!("ui.auth.{p}: {m}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })?
        };
        if !settings.disabled && users.is_empty() {
            return Err(
                "ui.auth: no user configured (set ui.auth.disabled: true to run without)".into(),
            );
        }
        let mut map = HashMap::new();
        for (name, hash) in users {
            map.insert(name, parse_hash(&hash)?);
        }
        let dummy = dummy_hash(map.values().next());
        Ok(Auth {
            disabled: settings.disabled,
            users: map,
            sessions: Mutex::new(HashMap::new()),
            dummy,
            limiter: Arc::new(Semaphore::new(settings.maxverifications.max(1))),
            backoff: backoff::Backoff::new(),
            verified: cache::Verified::new(settings.cachettl.0),
            metrics,
            ttl: settings.sessionttl.0,
            secure_cookie: settings.securecookie,
        })
    }

    /// True when authentication is off.
    pub fn disabled(&self) -> bool {
        self.disabled
    }

    /// The UI's metric handles.
    pub fn metrics(&self) -> &UiMetrics {
        &self.metrics
    }

    /// Opens a session for `user`; returns its token.
    pub fn create_session(&self, user: &str) -> String {
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        if let Ok(mut sessions) = self.sessions.lock() {
            let now = Instant::now();
            sessions.retain(|_, s| s.expires > now);
            if sessions.len() >= MAX_SESSIONS {
                if let Some(oldest) = sessions
                    .iter()
                    .min_by_key(|(_, s)| s.expires)
                    .map(|(k, _)| k.clone())
                {
                    sessions.remove(&oldest);
                }
            }
            sessions.insert(
                token.clone(),
                Session {
                    user: user.to_owned(),
                    expires: now + self.ttl,
                },
            );
        }
        token
    }

    /// The user of a live session.
    pub fn session_user(&self, token: &str) -> Option<String> {
        let sessions = self.sessions.lock().ok()?;
        let s = sessions.get(token)?;
        (s.expires > Instant::now()).then(|| s.user.clone())
    }

    /// Ends a session.
    pub fn end_session(&self, token: &str) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(token);
        }
    }
}

/// Checks `password` against `hash` (slow: ~19 MiB and tens of ms for argon2; run it on the
/// blocking pool).
pub(crate) fn check_hash(hash: &Hash, password: &str) -> bool {
    match hash {
        Hash::Argon2(h) => PasswordHash::new(h).is_ok_and(|parsed| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        }),
        Hash::Bcrypt(h) => bcrypt::verify(password, h).unwrap_or(false),
    }
}

/// A hash of a random password with the algorithm and cost of `like` (a configured user's),
/// checked for unknown users so they take as long as known ones.
fn dummy_hash(like: Option<&Hash>) -> Hash {
    let secret = uuid::Uuid::new_v4().to_string();
    match like {
        Some(Hash::Bcrypt(h)) => {
            let cost = h.get(4..6).and_then(|c| c.parse().ok()).unwrap_or(10);
            match bcrypt::hash(&secret, cost) {
                Ok(d) => Hash::Bcrypt(d),
                Err(_) => Hash::Bcrypt(h.clone()),
            }
        }
        Some(Hash::Argon2(h)) => {
            // The same parameters as the user's hash, a random password.
            let hashed = PasswordHash::new(h).ok().and_then(|parsed| {
                let params = argon2::Params::try_from(&parsed).ok()?;
                let algorithm = argon2::Algorithm::try_from(parsed.algorithm).ok()?;
                let salt =
                    argon2::password_hash::SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
                        .ok()?;
                use argon2::password_hash::PasswordHasher;
                argon2::Argon2::new(algorithm, argon2::Version::V0x13, params)
                    .hash_password(secret.as_bytes(), &salt)
                    .ok()
                    .map(|p| p.to_string())
            });
            Hash::Argon2(hashed.unwrap_or_else(|| h.clone()))
        }
        None => Hash::Bcrypt(String::new()),
    }
}

/// The session token in a `Cookie` header.
pub fn cookie_token(header: &str) -> Option<&str> {
    header.split(';').find_map(|part| {
        let (name, value) = part.trim().split_once('=')?;
        (name == COOKIE).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::UserEntry;
    use base64::Engine as _;
    use falconer_config::Secret;

    fn settings(users: &[(&str, &str)]) -> AuthSettings {
        AuthSettings {
            users: users
                .iter()
                .map(|(u, p)| UserEntry {
                    username: (*u).into(),
                    password: Secret::new(*p),
                })
                .collect(),
            ..AuthSettings::default()
        }
    }

    fn auth(s: &AuthSettings) -> Auth {
        Auth::new(s, UiMetrics::unregistered()).expect("valid users")
    }

    async fn ok(auth: &Auth, user: &str, password: &str) -> bool {
        matches!(
            auth.check(user, password, ClientAddr::default()).await,
            Verdict::Allowed(_)
        )
    }

    #[tokio::test]
    async fn argon2_and_bcrypt_hashes_verify() {
        let argon = hash_password("s3cret").expect("hash");
        let bcrypt_hash = bcrypt::hash("other", 4).expect("bcrypt");
        let auth = auth(&settings(&[("admin", &argon), ("ops", &bcrypt_hash)]));
        assert!(ok(&auth, "admin", "s3cret").await);
        assert!(ok(&auth, "admin", "s3cret").await, "cached path");
        assert!(!ok(&auth, "admin", "wrong").await);
        assert!(ok(&auth, "ops", "other").await);
        assert!(!ok(&auth, "nobody", "s3cret").await);
        assert!(!ok(&auth, "admin", "").await);
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("admin:s3cret")
        );
        assert_eq!(
            auth.check_basic(&header, ClientAddr::default()).await,
            Verdict::Allowed("admin".into())
        );
        use falconer_metrics::UiAuthFailure;
        assert_eq!(auth.metrics().failures(UiAuthFailure::BadCredentials), 2);
        assert_eq!(auth.metrics().failures(UiAuthFailure::UnknownUser), 1);
    }

    #[test]
    fn unknown_users_are_checked_against_a_hash_like_the_real_ones() {
        let bcrypt_hash = bcrypt::hash("other", 5).expect("bcrypt");
        let a = auth(&settings(&[("ops", &bcrypt_hash)]));
        match &a.dummy {
            Hash::Bcrypt(d) => {
                assert!(d.starts_with("$2b$05$"), "{d}");
                assert_ne!(d, &bcrypt_hash);
            }
            Hash::Argon2(_) => panic!("bcrypt expected"),
        }
        let argon = hash_password("x").expect("hash");
        let a = auth(&settings(&[("admin", &argon)]));
        match &a.dummy {
            Hash::Argon2(d) => {
                let prefix = |h: &str| h.rsplitn(3, '$').nth(2).map(str::to_owned);
                assert_eq!(prefix(d), prefix(&argon), "same algorithm and parameters");
                assert_ne!(d, &argon);
            }
            Hash::Bcrypt(_) => panic!("argon2 expected"),
        }
    }

    #[test]
    fn sessions_expire_and_end() {
        let mut s = settings(&[("admin", &hash_password("x").expect("hash"))]);
        s.sessionttl = crate::window::Window(Duration::from_millis(50));
        let auth = auth(&s);
        let token = auth.create_session("admin");
        assert_eq!(auth.session_user(&token).as_deref(), Some("admin"));
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(auth.session_user(&token), None);
        let token = auth.create_session("admin");
        auth.end_session(&token);
        assert_eq!(auth.session_user(&token), None);
    }

    #[tokio::test]
    async fn users_file_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("users");
        let hash = hash_password("pw").expect("hash");
        std::fs::write(&path, format!("# comment\nalice:{hash}\nbob:plain\n")).expect("write");
        let mut s = settings(&[]);
        s.usersfile = path.display().to_string();
        let problems = load_users(&s).expect_err("bob has a plain password");
        assert_eq!(problems[0].0, "usersfile line 3");
        std::fs::write(&path, format!("alice:{hash}\n")).expect("write");
        let auth = auth(&s);
        assert!(ok(&auth, "alice", "pw").await);
    }

    #[test]
    fn cookie_parsing() {
        assert_eq!(cookie_token("a=b; falconer_session=tok; c=d"), Some("tok"));
        assert_eq!(cookie_token("a=b"), None);
    }
}
