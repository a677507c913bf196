//! SaaS APIs with a US and an EU endpoint (`region: us|eu`) and a `host` override.

/// The base URLs of an API hosted in two regions.
#[derive(Debug, Clone, Copy)]
pub struct RegionalApi {
    /// `region: us` (and the default).
    pub us: &'static str,
    /// `region: eu`.
    pub eu: &'static str,
}

impl RegionalApi {
    /// The region's base URL; `None` for anything but `us`, `eu` or empty.
    pub fn base(&self, region: &str) -> Option<&'static str> {
        match region.trim().to_ascii_lowercase().as_str() {
            "" | "us" => Some(self.us),
            "eu" => Some(self.eu),
            _ => None,
        }
    }

    /// `{host, else the region's base URL}{path}`, as an `http(s)` URL; an unknown region
    /// falls back to US (validation reports it).
    pub fn url(&self, region: &str, host: &str, path: &str) -> Result<reqwest::Url, String> {
        let base = match host.trim() {
            "" => self.base(region).unwrap_or(self.us),
            host => host.trim_end_matches('/'),
        };
        crate::http_url(&format!("{base}{path}"))
    }

    /// Pushes the problems of `region` and of the URL built with `host`.
    pub fn check(
        &self,
        region: &str,
        host: &str,
        path: &str,
        problems: &mut Vec<(String, String)>,
    ) {
        if self.base(region).is_none() {
            problems.push(("region".into(), format!("{region:?} is not us or eu")));
        }
        if let Err(e) = self.url(region, host, path) {
            problems.push(("host".into(), e));
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
        let url = |region, host| API.url(region, host, "/v2/x").map(|u| u.to_string());
        assert_eq!(url("", ""), Ok("https://api.example.com/v2/x".into()));
        assert_eq!(
            url(" EU ", ""),
            Ok("https://api.eu.example.com/v2/x".into())
        );
        assert_eq!(
            url("eu", "http://127.0.0.1:9/"),
            Ok("http://127.0.0.1:9/v2/x".into())
        );
        let mut problems = Vec::new();
        API.check("mars", "ftp://x", "/v2/x", &mut problems);
        let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["region", "host"]);
    }
}
