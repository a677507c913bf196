//! Refuses cross-site writes. A browser that cached basic credentials (or holds a session
//! cookie) sends them with a form another site submits; every state-changing request
//! (POST, PUT, PATCH, DELETE) is therefore checked:
//!
//! - `Origin`, when present, must be the UI's own (scheme and host of the `Host` header,
//!   or the URI's authority) or one listed in `ui.allowedorigins`; `Origin: null` is refused;
//! - `Sec-Fetch-Site`, when present, must be `same-origin` or `none` (unless the `Origin` is
//!   listed).
//!
//! Requests with neither header (curl, falcosidekick's WebUI output, Go and Rust clients)
//! pass: only browsers send them, and browsers always do on cross-site writes.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::UiState;

/// A web origin: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" {
        443
    } else {
        80
    }
}

/// `host[:port]` (`[v6]:port` for IPv6) into a lowercase host and an optional port.
fn split_authority(authority: &str) -> Result<(String, Option<u16>), String> {
    let authority = authority.trim();
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{authority:?}: unclosed ["))?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("junk after ]")?),
        };
        (format!("[{v6}]"), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), Some(p)),
            None => (authority.to_owned(), None),
        }
    };
    if host.is_empty() || host.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!("{authority:?} is not a host"));
    }
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .map_err(|_| format!("{authority:?}: bad port"))
        })
        .transpose()?;
    Ok((host.to_ascii_lowercase(), port))
}

impl Origin {
    /// Parses `scheme://host[:port]` (http or https, no path; a trailing `/` is tolerated in
    /// configuration).
    pub fn parse(text: &str) -> Result<Origin, String> {
        let text = text.trim();
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| format!("{text:?} is not an origin (scheme://host[:port])"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(format!("{text:?}: the scheme must be http or https"));
        }
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = split_authority(rest)?;
        Ok(Origin {
            port: port.unwrap_or_else(|| default_port(&scheme)),
            scheme,
            host,
        })
    }

    /// True when this origin names the server `authority` (`Host`) is addressed to. The
    /// request's scheme is unknown behind a proxy, so a `Host` without a port matches the
    /// default port of the origin's scheme.
    fn is_host(&self, authority: &str) -> bool {
        match split_authority(authority) {
            Ok((host, port)) => {
                host == self.host && port.unwrap_or_else(|| default_port(&self.scheme)) == self.port
            }
            Err(_) => false,
        }
    }
}

/// Why a write was refused, or `Ok` when it may go on.
pub(crate) fn check(headers: &HeaderMap, uri: &Uri, allowed: &[Origin]) -> Result<(), String> {
    if let Some(value) = headers.get(header::ORIGIN) {
        let text = value
            .to_str()
            .map_err(|_| "the Origin header is not text".to_owned())?;
        if text.trim() == "null" {
            return Err("requests from an opaque origin (Origin: null) may not write".into());
        }
        let origin = Origin::parse(text)
            .map_err(|_| format!("the Origin header {text:?} is not an origin"))?;
        if allowed.contains(&origin) {
            return Ok(());
        }
        let own = uri.authority().map(|a| a.as_str().to_owned()).or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        });
        if !own.is_some_and(|host| origin.is_host(&host)) {
            return Err(format!(
                "cross-origin write from {text} refused (list it in ui.allowedorigins if it is trusted)"
            ));
        }
    }
    if let Some(value) = headers.get("sec-fetch-site") {
        let site = value.to_str().unwrap_or("?");
        if !matches!(site, "same-origin" | "none") {
            return Err(format!("cross-site write refused (Sec-Fetch-Site: {site})"));
        }
    }
    Ok(())
}

/// The middleware: 403 with the reason for a refused write.
pub(crate) async fn guard_writes(
    State(state): State<Arc<UiState>>,
    req: Request,
    next: Next,
) -> Response {
    let writes = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if writes {
        if let Err(reason) = check(req.headers(), req.uri(), &state.allowed_origins) {
            tracing::warn!(
                method = %req.method(),
                path = %req.uri().path(),
                origin = ?req.headers().get(header::ORIGIN),
                reason = %reason,
                "web UI: cross-site write refused"
            );
            return (StatusCode::FORBIDDEN, reason).into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    fn uri() -> Uri {
        Uri::from_static("/api/v1/events/add")
    }

    #[test]
    fn origins_parse_with_default_ports() {
        let o = Origin::parse("HTTPS://UI.Example.com/").expect("valid");
        assert_eq!(
            o,
            Origin::parse("https://ui.example.com:443").expect("valid")
        );
        assert_ne!(o, Origin::parse("http://ui.example.com").expect("valid"));
        assert!(Origin::parse("https://[::1]:8443").is_ok());
        for bad in [
            "ui.example.com",
            "ftp://x",
            "https://",
            "https://x/path",
            "https://x:99999",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn same_origin_and_header_less_writes_pass() {
        let none: [Origin; 0] = [];
        assert!(check(&headers(&[]), &uri(), &none).is_ok());
        assert!(check(&headers(&[("host", "ui:2802")]), &uri(), &none).is_ok());
        let same = headers(&[
            ("host", "ui:2802"),
            ("origin", "http://ui:2802"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(check(&same, &uri(), &none).is_ok());
        // Behind a TLS proxy that keeps Host.
        let proxied = headers(&[
            ("host", "falconer.example.com"),
            ("origin", "https://falconer.example.com"),
        ]);
        assert!(check(&proxied, &uri(), &none).is_ok());
        assert!(check(&headers(&[("sec-fetch-site", "none")]), &uri(), &none).is_ok());
    }

    #[test]
    fn cross_site_writes_are_refused_unless_listed() {
        let none: [Origin; 0] = [];
        let evil = headers(&[("host", "ui:2802"), ("origin", "https://evil.example")]);
        let e = check(&evil, &uri(), &none).expect_err("refused");
        assert!(e.contains("evil.example"), "{e}");
        let other_port = headers(&[("host", "ui:2802"), ("origin", "http://ui:8080")]);
        assert!(check(&other_port, &uri(), &none).is_err());
        assert!(check(&headers(&[("origin", "null")]), &uri(), &none).is_err());
        for site in ["cross-site", "same-site"] {
            let h = headers(&[("host", "ui:2802"), ("sec-fetch-site", site)]);
            assert!(check(&h, &uri(), &none).is_err(), "{site}");
        }
        let listed = [Origin::parse("https://evil.example").expect("valid")];
        let h = headers(&[
            ("host", "ui:2802"),
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ]);
        assert!(check(&h, &uri(), &listed).is_ok());
    }
}
