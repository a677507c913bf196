//! The `ui:` configuration block: listener, base path, authentication, store and retention.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use falconer_config::Secret;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::window::{format_window, Window};

/// The default UI port (falcosidekick-ui's).
pub const DEFAULT_PORT: u16 = 2802;

/// The `ui:` block.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Turns the UI listener off (the store and the `webui` output still work).
    #[serde(default)]
    pub disabled: bool,
    /// Address the UI listens on; empty means every address (`0.0.0.0`).
    #[serde(default)]
    pub listenaddress: String,
    /// Port the UI listens on (2802).
    #[serde(default = "default_port")]
    pub listenport: u16,
    /// Path prefix when served behind a reverse proxy (`/falconer`); empty for none.
    #[serde(default)]
    pub basepath: String,
    /// Who may use the UI and its API.
    #[serde(default)]
    pub auth: AuthSettings,
    /// Other origins (`https://falconer.example.com`, scheme and host, the port when not the
    /// default) allowed to send state-changing requests (POST, PUT, PATCH, DELETE). A
    /// browser request whose `Origin` is neither the UI's own (from `Host`) nor listed here
    /// is refused with 403; list the public origin when a reverse proxy rewrites `Host`.
    /// Requests without `Origin` or `Sec-Fetch-Site` (curl, falcosidekick) are not affected.
    #[serde(default)]
    pub allowedorigins: Vec<String>,
    /// Where events are stored, and for how long.
    #[serde(default)]
    pub store: StoreSettings,
    /// Time a client has from connecting to sending a complete request head (and for each
    /// later request head); a socket that sends nothing is closed when it runs out.
    #[serde(default = "default_header_timeout")]
    pub headertimeout: Window,
    /// A keep-alive connection with no request in progress for this long is closed; so is a
    /// request on which no byte moves for this long.
    #[serde(default = "default_idle_timeout")]
    pub idletimeout: Window,
    /// Open connections to the UI at most. At the cap a new connection takes the place of an
    /// idle one (never-used ones first); when all are busy it is refused. Lowered at start
    /// to fit the open-files limit, beside ingest's.
    #[serde(default = "default_max_connections")]
    pub maxconnections: usize,
    /// Open UI connections from one client address at most (same eviction rule).
    #[serde(default = "default_max_connections_per_client")]
    pub maxconnectionsperclient: usize,
    /// How often the router re-reads the silences kept in the store (`5s`). A silence made
    /// or expired on this replica applies at once; replicas sharing a PostgreSQL store see
    /// each other's within this interval.
    #[serde(default = "default_silence_poll")]
    pub silencepoll: Window,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            disabled: false,
            listenaddress: String::new(),
            listenport: DEFAULT_PORT,
            basepath: String::new(),
            auth: AuthSettings::default(),
            allowedorigins: Vec::new(),
            store: StoreSettings::default(),
            headertimeout: default_header_timeout(),
            idletimeout: default_idle_timeout(),
            maxconnections: default_max_connections(),
            maxconnectionsperclient: default_max_connections_per_client(),
            silencepoll: default_silence_poll(),
        }
    }
}

fn default_silence_poll() -> Window {
    Window(crate::feed::DEFAULT_SILENCE_POLL)
}

fn default_port() -> u16 {
    DEFAULT_PORT
}

fn default_header_timeout() -> Window {
    Window(Duration::from_secs(10))
}

fn default_idle_timeout() -> Window {
    Window(Duration::from_secs(60))
}

fn default_max_connections() -> usize {
    256
}

fn default_max_connections_per_client() -> usize {
    64
}

/// `ui.auth`: users with hashed passwords and session cookies. Every route but the login
/// page, `/api/v1/healthz` and the stylesheet needs a session or HTTP basic credentials,
/// writes included, unless `disabled: true`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Turns authentication off: anyone who reaches the port can read and add events.
    #[serde(default)]
    pub disabled: bool,
    /// Users and their password hashes (argon2 PHC strings `$argon2id$…`, or bcrypt `$2b$…`).
    #[serde(default)]
    pub users: Vec<UserEntry>,
    /// A file of `username:hash` lines (a mounted Kubernetes Secret, say); `#` starts a
    /// comment. Read at startup, in addition to `users`.
    #[serde(default)]
    pub usersfile: String,
    /// Marks the session cookie `Secure` (set it when the UI is reached over HTTPS).
    #[serde(default)]
    pub securecookie: bool,
    /// How long a session lasts after login (12h).
    #[serde(default = "default_session_ttl")]
    pub sessionttl: Window,
    /// Password checks (argon2/bcrypt, ~19 MiB and tens of ms each) running at once at most
    /// (2); a request with credentials beyond that is answered 429 with `Retry-After: 1`
    /// without hashing.
    #[serde(default = "default_max_verifications")]
    pub maxverifications: usize,
    /// How long a basic-auth credential that verified is remembered (`1m`), so API clients
    /// sending it on every request do not pay a password hash each time; `0` turns the
    /// cache off. Only a keyed digest is kept, never the password.
    #[serde(default = "default_cache_ttl")]
    pub cachettl: Window,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            disabled: false,
            users: Vec::new(),
            usersfile: String::new(),
            securecookie: false,
            sessionttl: default_session_ttl(),
            maxverifications: default_max_verifications(),
            cachettl: default_cache_ttl(),
        }
    }
}

fn default_session_ttl() -> Window {
    Window(Duration::from_secs(12 * 3600))
}

fn default_max_verifications() -> usize {
    2
}

fn default_cache_ttl() -> Window {
    Window(Duration::from_secs(60))
}

/// One user.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// Login name.
    pub username: String,
    /// Password hash: argon2 (`$argon2id$v=19$…`) or bcrypt (`$2b$12$…`). Never a plain
    /// password.
    pub password: Secret,
}

impl std::fmt::Debug for UserEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserEntry")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Which database holds the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// An embedded SQLite file (the default).
    #[default]
    Sqlite,
    /// A PostgreSQL database, for several replicas sharing one store.
    Postgres,
}

impl StoreKind {
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Postgres => "postgres",
        }
    }
}

/// `ui.store` (also accepted by a `webui` output to name another store).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// `sqlite` (default) or `postgres`.
    #[serde(default)]
    pub kind: StoreKind,
    /// The SQLite file. Empty: `webui.sqlite` under `datadir` (see [`Settings::resolve`]).
    #[serde(default)]
    pub path: String,
    /// The PostgreSQL connection string (`host=db user=falconer password=… dbname=falconer`
    /// or `postgres://…`).
    #[serde(default)]
    pub dsn: Secret,
    /// PostgreSQL table (`falconer_events`); `schema.table` allowed.
    #[serde(default = "default_table")]
    pub table: String,
    /// PostgreSQL connections at most.
    #[serde(default = "default_connections")]
    pub maxconnections: usize,
    /// How long events are kept and how many.
    #[serde(default)]
    pub retention: Retention,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            kind: StoreKind::Sqlite,
            path: String::new(),
            dsn: Secret::default(),
            table: default_table(),
            maxconnections: default_connections(),
            retention: Retention::default(),
        }
    }
}

fn default_table() -> String {
    "falconer_events".into()
}

fn default_connections() -> usize {
    4
}

/// Retention, enforced by a background task for as long as the store is open.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Events older than this are deleted (`7d`); `0` keeps them by age.
    #[serde(default = "default_maxage")]
    pub maxage: Window,
    /// At most this many events are kept, the oldest deleted first (1000000); `0` for no
    /// count limit. At least one of `maxage` and `maxevents` must be set.
    #[serde(default = "default_maxevents")]
    pub maxevents: u64,
    /// How often retention runs (`30s`).
    #[serde(default = "default_interval")]
    pub interval: Window,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            maxage: default_maxage(),
            maxevents: default_maxevents(),
            interval: default_interval(),
        }
    }
}

fn default_maxage() -> Window {
    Window(Duration::from_secs(7 * 86_400))
}

fn default_maxevents() -> u64 {
    1_000_000
}

fn default_interval() -> Window {
    Window(Duration::from_secs(30))
}

impl StoreSettings {
    /// The registry key: one open store per SQLite file or PostgreSQL DSN and table.
    pub fn key(&self) -> String {
        match self.kind {
            StoreKind::Sqlite => {
                let p = Path::new(&self.path);
                let canonical = p
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .and_then(|d| d.canonicalize().ok())
                    .and_then(|d| p.file_name().map(|f| d.join(f)))
                    .unwrap_or_else(|| p.to_path_buf());
                format!("sqlite:{}", canonical.display())
            }
            StoreKind::Postgres => format!("postgres:{}#{}", self.dsn.expose(), self.table),
        }
    }

    /// Fills the SQLite path from `datadir` when it is empty.
    pub fn resolve(&mut self, datadir: &str) {
        if self.kind == StoreKind::Sqlite && self.path.trim().is_empty() {
            let dir = if datadir.trim().is_empty() {
                "."
            } else {
                datadir
            };
            self.path = Path::new(dir).join("webui.sqlite").display().to_string();
        }
    }

    /// Pushes every problem as (path relative to the store block, message).
    pub fn validate(&self, problems: &mut Vec<(String, String)>) {
        match self.kind {
            StoreKind::Sqlite => {}
            StoreKind::Postgres => {
                if self.dsn.is_empty() {
                    problems.push(("dsn".into(), "required when kind is postgres".into()));
                }
                if !is_table_name(&self.table) {
                    problems.push((
                        "table".into(),
                        format!("{:?} is not a table name (letters, digits and _, optionally schema.table)", self.table),
                    ));
                }
                if self.maxconnections == 0 {
                    problems.push(("maxconnections".into(), "must be at least 1".into()));
                }
            }
        }
        let r = &self.retention;
        if r.maxage.0.is_zero() && r.maxevents == 0 {
            problems.push((
                "retention".into(),
                "set maxage or maxevents (or both): the store must not grow without bound".into(),
            ));
        }
        if r.interval.0.is_zero() {
            problems.push(("retention.interval".into(), "must be more than 0".into()));
        }
    }

    /// The block for `/api/v1/config`, the DSN masked.
    pub fn masked(&self) -> Value {
        json!({
            "kind": self.kind.as_str(),
            "path": self.path,
            "dsn": if self.dsn.is_empty() { "" } else { "*******" },
            "table": self.table,
            "retention": {
                "maxage": format_window(self.retention.maxage.0),
                "maxevents": self.retention.maxevents,
                "interval": format_window(self.retention.interval.0),
            },
        })
    }
}

/// Letters, digits and `_`, not starting with a digit; optionally `schema.table`.
pub(crate) fn is_table_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() <= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && !p.starts_with(|c: char| c.is_ascii_digit())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

impl Settings {
    /// The listen address, `listenaddress:listenport`.
    pub fn listen_addr(&self) -> Result<SocketAddr, String> {
        let ip = if self.listenaddress.trim().is_empty() {
            "0.0.0.0"
        } else {
            self.listenaddress.trim()
        };
        let text = if ip.contains(':') && !ip.starts_with('[') {
            format!("[{ip}]:{}", self.listenport)
        } else {
            format!("{ip}:{}", self.listenport)
        };
        text.parse()
            .map_err(|e| format!("invalid listen address {text}: {e}"))
    }

    /// The base path normalised: empty, or `/prefix` without a trailing slash.
    pub fn base(&self) -> String {
        normalize_base(&self.basepath)
    }

    /// Fills defaults that depend on the global settings (the SQLite file under `datadir`).
    pub fn resolve(&mut self, datadir: &str) {
        self.store.resolve(datadir);
    }

    /// Every problem, as (path under `ui`, message). Pure, except that a `usersfile` is
    /// read to check its hashes.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if self.listenport == 0 && !self.disabled {
            problems.push(("listenport".into(), "must not be 0".into()));
        }
        if let Err(e) = self.listen_addr() {
            problems.push(("listenaddress".into(), e));
        }
        for (key, value) in [
            ("maxconnections", self.maxconnections),
            ("maxconnectionsperclient", self.maxconnectionsperclient),
        ] {
            if value == 0 {
                problems.push((key.into(), "must be greater than 0".into()));
            }
        }
        for (key, value) in [
            ("headertimeout", self.headertimeout),
            ("idletimeout", self.idletimeout),
            ("silencepoll", self.silencepoll),
        ] {
            if value.0.is_zero() {
                problems.push((key.into(), "must be greater than 0".into()));
            }
        }
        let base = self.basepath.trim();
        if !base.is_empty()
            && (!base.starts_with('/') || base.contains(['?', '#', ' ', '"', '<', '>', '\'']))
        {
            problems.push((
                "basepath".into(),
                "must start with / and be a plain path".into(),
            ));
        }
        if !self.auth.disabled && !self.disabled {
            match crate::auth::load_users(&self.auth) {
                Ok(users) if users.is_empty() => problems.push((
                    "auth.users".into(),
                    "no user configured: add users (with argon2 or bcrypt hashes) or set auth.disabled: true".into(),
                )),
                Ok(_) => {}
                Err(list) => {
                    for (path, message) in list {
                        problems.push((format!("auth.{path}"), message));
                    }
                }
            }
        }
        if self.auth.sessionttl.0.is_zero() {
            problems.push(("auth.sessionttl".into(), "must be more than 0".into()));
        }
        if self.auth.maxverifications == 0 {
            problems.push(("auth.maxverifications".into(), "must be at least 1".into()));
        }
        for (i, o) in self.allowedorigins.iter().enumerate() {
            if let Err(e) = crate::origin::Origin::parse(o) {
                problems.push((format!("allowedorigins[{i}]"), e));
            }
        }
        let mut store = Vec::new();
        self.store.validate(&mut store);
        problems.extend(
            store
                .into_iter()
                .map(|(path, message)| (format!("store.{path}"), message)),
        );
        problems
    }

    /// The `ui` block for `/api/v1/config`: user names but no hashes, the DSN masked.
    pub fn masked(&self) -> Value {
        json!({
            "disabled": self.disabled,
            "listenaddress": self.listenaddress,
            "listenport": self.listenport,
            "basepath": self.base(),
            "allowedorigins": self.allowedorigins,
            "silencepoll": format_window(self.silencepoll.0),
            "auth": {
                "disabled": self.auth.disabled,
                "users": self.auth.users.iter().map(|u| format!("{}:*******", u.username)).collect::<Vec<_>>(),
                "usersfile": self.auth.usersfile,
                "securecookie": self.auth.securecookie,
                "sessionttl": format_window(self.auth.sessionttl.0),
                "maxverifications": self.auth.maxverifications,
                "cachettl": format_window(self.auth.cachettl.0),
            },
            "store": self.store.masked(),
        })
    }
}

/// `falconer/` → `/falconer`; `/` and empty → empty.
pub(crate) fn normalize_base(raw: &str) -> String {
    let trimmed = raw.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_2802_with_bounded_retention() {
        let s: Settings = serde_json::from_value(json!({"auth": {"disabled": true}}))
            .expect("empty block is valid");
        assert_eq!(s.listen_addr().expect("addr").to_string(), "0.0.0.0:2802");
        assert_eq!(s.store.retention.maxevents, 1_000_000);
        assert_eq!(s.store.retention.maxage.0, Duration::from_secs(7 * 86_400));
        assert!(s.validate().is_empty(), "{:?}", s.validate());
    }

    #[test]
    fn auth_needs_users_unless_disabled() {
        let s: Settings = serde_json::from_value(json!({})).expect("parses");
        let problems = s.validate();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, "auth.users");
    }

    #[test]
    fn plain_passwords_are_refused() {
        let s: Settings = serde_json::from_value(
            json!({"auth": {"users": [{"username": "admin", "password": "admin"}]}}),
        )
        .expect("parses");
        let problems = s.validate();
        assert_eq!(problems[0].0, "auth.users[0].password", "{problems:?}");
    }

    #[test]
    fn unbounded_retention_is_refused() {
        let s: Settings = serde_json::from_value(json!({
            "auth": {"disabled": true},
            "store": {"kind": "postgres", "retention": {"maxage": 0, "maxevents": 0}},
        }))
        .expect("parses");
        let paths: Vec<String> = s.validate().into_iter().map(|p| p.0).collect();
        assert_eq!(paths, ["store.dsn", "store.retention"]);
    }

    #[test]
    fn auth_limits_and_allowed_origins() {
        let s: Settings =
            serde_json::from_value(json!({"auth": {"disabled": true}})).expect("parses");
        assert_eq!(s.auth.maxverifications, 2);
        assert_eq!(s.auth.cachettl.0, Duration::from_secs(60));
        assert!(s.allowedorigins.is_empty());
        let s: Settings = serde_json::from_value(json!({
            "auth": {"disabled": true, "maxverifications": 0, "cachettl": "0"},
            "allowedorigins": ["https://soc.example.com", "soc.example.com"],
        }))
        .expect("parses");
        assert!(s.auth.cachettl.0.is_zero(), "0 turns the cache off");
        let paths: Vec<String> = s.validate().into_iter().map(|p| p.0).collect();
        assert!(
            paths.contains(&"auth.maxverifications".to_owned()),
            "{paths:?}"
        );
        assert!(paths.contains(&"allowedorigins[1]".to_owned()), "{paths:?}");
        assert!(
            !paths.contains(&"allowedorigins[0]".to_owned()),
            "{paths:?}"
        );
    }

    #[test]
    fn base_path_is_normalised() {
        assert_eq!(normalize_base("falconer/"), "/falconer");
        assert_eq!(normalize_base("/"), "");
        assert_eq!(normalize_base("/a/b"), "/a/b");
    }

    #[test]
    fn masked_config_hides_secrets() {
        let s: Settings = serde_json::from_value(json!({
            "auth": {"users": [{"username": "admin", "password": "$2b$04$abcdefghijklmnopqrstuu5Yk5ItrNEcLUx6xq3Oq8d0ZFDiANqQe"}]},
            "store": {"kind": "postgres", "dsn": "host=db password=hunter2"},
        }))
        .expect("parses");
        let text = s.masked().to_string();
        assert!(
            !text.contains("hunter2") && !text.contains("$2b$"),
            "{text}"
        );
        assert!(text.contains("admin:*******"), "{text}");
    }
}
