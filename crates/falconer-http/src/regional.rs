//! SaaS APIs with a US and an EU endpoint (`region: us|eu`) and a `host` override.

use falconer_core::{Choice, Choices};

use crate::UrlError;

/// `region`: which of the API's endpoints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Region {
    /// `us` (and the empty string, the default).
    #[default]
    Us,
    /// `eu`.
    Eu,
}

impl Choices for Region {
    fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "us" => Some(Region::Us),
            "eu" => Some(Region::Eu),
            _ => None,
        }
    }

    fn problem(raw: &str) -> String {
        format!("{raw:?} is not us or eu")
    }
}

/// The base URLs of an API hosted in two regions.
#[derive(Debug, Clone, Copy)]
pub struct RegionalApi {
    /// `region: us` (and the default).
    pub us: &'static str,
    /// `region: eu`.
    pub eu: &'static str,
}

impl RegionalApi {
    /// The region's base URL; US for a region `validate` refused.
    pub fn base(&self, region: &Choice<Region>) -> &'static str {
        match region.get() {
            Region::Us => self.us,
            Region::Eu => self.eu,
        }
    }

    /// `{host, else the region's base URL}{path}`, as an `http(s)` URL; an unknown region
    /// falls back to US (validation reports it).
    pub fn url(
        &self,
        region: &Choice<Region>,
        host: &str,
        path: &str,
    ) -> Result<reqwest::Url, UrlError> {
        let base = match host.trim() {
            "" => self.base(region),
            host => host.trim_end_matches('/'),
        };
        crate::http_url(&format!("{base}{path}"))
    }

    /// Pushes the problems of `region` and of the URL built with `host`.
    pub fn check(
        &self,
        region: &Choice<Region>,
        host: &str,
        path: &str,
        problems: &mut falconer_core::Problems,
    ) {
        region.check("region", problems);
        if let Err(e) = self.url(region, host, path) {
            problems.push("host", e.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: RegionalApi = RegionalApi {
        us: "https://api.example.com",
        eu: "https://api.eu.example.com",
    };

    #[test]
    fn region_and_host_pick_the_base_url() {
        let url = |region: &str, host| {
            API.url(&Choice::new(region), host, "/v2/x")
                .map(|u| u.to_string())
                .map_err(|e| e.to_string())
        };
        assert_eq!(url("", ""), Ok("https://api.example.com/v2/x".into()));
        assert_eq!(
            url(" EU ", ""),
            Ok("https://api.eu.example.com/v2/x".into())
        );
        assert_eq!(
            url("eu", "http://127.0.0.1:9/"),
            Ok("http://127.0.0.1:9/v2/x".into())
        );
        let mut problems = falconer_core::Problems::default();
        API.check(&Choice::new("mars"), "ftp://x", "/v2/x", &mut problems);
        let keys: Vec<&str> = problems.paths().collect();
        assert_eq!(keys, ["region", "host"]);
    }
}
