//! Search arguments, shared by search, count, count-by, timeline and export, with
//! falcosidekick-ui's semantics: comma-separated lists OR'ed within a parameter and AND'ed
//! across parameters, `null` meaning empty, `since` a relative window, `page` 1-based.
//! Falconer adds `from`/`to` (absolute, RFC 3339 or Unix seconds).

use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use falconer_event::Priority;
use serde::Deserialize;

use crate::window::parse_window;

/// Page size when `limit` is not given (falcosidekick-ui's).
pub const DEFAULT_LIMIT: u64 = 100;
/// `limit` at most for a JSON search (export streams and has its own cap).
pub const MAX_LIMIT: u64 = 10_000;
/// Events an export writes at most.
pub const MAX_EXPORT: u64 = 1_000_000;

/// The query string as received.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RawQuery {
    /// Priorities, comma-separated.
    pub priority: Option<String>,
    /// Rules, comma-separated.
    pub rule: Option<String>,
    /// Sources, comma-separated.
    pub source: Option<String>,
    /// Hostnames, comma-separated.
    pub hostname: Option<String>,
    /// Tags, comma-separated.
    pub tags: Option<String>,
    /// Free-text search.
    pub filter: Option<String>,
    /// Relative window (`24h`).
    pub since: Option<String>,
    /// Absolute start.
    pub from: Option<String>,
    /// Absolute end (exclusive).
    pub to: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// 1-based page.
    pub page: Option<String>,
    /// Falconer: where the previous page ended (its `next`), so the next one starts there
    /// without counting the events before it; `page` is then only displayed.
    pub cursor: Option<String>,
    /// Indented JSON.
    pub pretty: Option<String>,
    /// Export format (`csv`, `ndjson`, `json`).
    pub format: Option<String>,
    /// Dashboard auto-refresh seconds.
    pub refresh: Option<String>,
}

/// A resolved query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// Title-case priorities (`Warning`), OR'ed.
    pub priorities: Vec<String>,
    /// Exact rule names, OR'ed.
    pub rules: Vec<String>,
    /// Exact sources, OR'ed.
    pub sources: Vec<String>,
    /// Exact hostnames, OR'ed.
    pub hostnames: Vec<String>,
    /// Exact tags, OR'ed (an event matches when it has any of them).
    pub tags: Vec<String>,
    /// Free-text terms, AND'ed; each matches as a case-insensitive substring of the output,
    /// rule, priority, source, hostname, tags or output fields.
    pub terms: Vec<String>,
    /// Events at or after this time (microseconds since the epoch).
    pub from_us: Option<i64>,
    /// Events before this time (microseconds since the epoch).
    pub to_us: Option<i64>,
    /// Page size.
    pub limit: u64,
    /// Events skipped (`(page-1) × limit`), unless there is a cursor.
    pub offset: u64,
    /// Where the previous page ended ([`crate::Page::next`]): this page starts after it and
    /// `offset` is ignored.
    pub cursor: Option<String>,
}

/// A group-by field of `/api/v1/events/count/:groupby`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// `priority`
    Priority,
    /// `rule`
    Rule,
    /// `source`
    Source,
    /// `hostname`
    Hostname,
    /// `tags` (counts tag occurrences)
    Tags,
}

impl GroupBy {
    /// Every field, in the dashboard's order.
    pub const ALL: [GroupBy; 5] = [
        GroupBy::Priority,
        GroupBy::Rule,
        GroupBy::Source,
        GroupBy::Hostname,
        GroupBy::Tags,
    ];

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Priority => "priority",
            GroupBy::Rule => "rule",
            GroupBy::Source => "source",
            GroupBy::Hostname => "hostname",
            GroupBy::Tags => "tags",
        }
    }
}

impl FromStr for GroupBy {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        GroupBy::ALL.into_iter().find(|g| g.as_str() == s).ok_or(())
    }
}

fn list(value: Option<&String>) -> Vec<String> {
    let Some(v) = value else {
        return Vec::new();
    };
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "null")
        .map(str::to_owned)
        .collect()
}

/// Title-cases a known priority (`warning` → `Warning`); other values are kept.
pub fn normalize_priority(p: &str) -> String {
    Priority::from_str(p).map_or_else(|_| p.to_owned(), |p| p.as_str().to_owned())
}

/// Parses an absolute time: RFC 3339, `YYYY-MM-DDTHH:MM[:SS]` (UTC, what an HTML
/// `datetime-local` input sends) or Unix seconds.
pub fn parse_instant(value: &str) -> Option<i64> {
    let v = value.trim();
    if v.is_empty() || v == "null" {
        return None;
    }
    if let Ok(secs) = v.parse::<i64>() {
        return secs.checked_mul(1_000_000);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.timestamp_micros());
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, format) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    None
}

/// Now, in microseconds since the epoch.
pub fn now_us() -> i64 {
    Utc::now().timestamp_micros()
}

impl RawQuery {
    /// Resolves against `now_us`. An unknown `since` means all time (as falcosidekick-ui);
    /// a malformed `from`, `to`, `limit` or `page` is an error.
    pub fn resolve(&self, now_us: i64) -> Result<Query, String> {
        let mut q = Query {
            priorities: list(self.priority.as_ref())
                .iter()
                .map(|p| normalize_priority(p))
                .collect(),
            rules: list(self.rule.as_ref()),
            sources: list(self.source.as_ref()),
            hostnames: list(self.hostname.as_ref()),
            tags: list(self.tags.as_ref()),
            terms: self
                .filter
                .as_deref()
                .filter(|f| *f != "null")
                .map(|f| f.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            ..Query::default()
        };
        if let Some(window) = self.since.as_deref().and_then(parse_window) {
            let micros = i64::try_from(window.as_micros()).unwrap_or(i64::MAX);
            q.from_us = Some(now_us.saturating_sub(micros));
        }
        if let Some(from) = self.from.as_deref().filter(|v| !v.trim().is_empty()) {
            let t = parse_instant(from).ok_or_else(|| format!("invalid from {from:?}"))?;
            q.from_us = Some(q.from_us.map_or(t, |f| f.max(t)));
        }
        if let Some(to) = self.to.as_deref().filter(|v| !v.trim().is_empty()) {
            q.to_us = Some(parse_instant(to).ok_or_else(|| format!("invalid to {to:?}"))?);
        }
        q.limit = match self
            .limit
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            None => DEFAULT_LIMIT,
            Some(l) => match l.parse::<u64>() {
                Ok(0) => DEFAULT_LIMIT,
                Ok(n) => n,
                Err(_) => return Err(format!("invalid limit {l:?}")),
            },
        };
        let page = match self
            .page
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            None => 1,
            Some(p) => match p.parse::<i64>() {
                Ok(n) => n.max(1).unsigned_abs(),
                Err(_) => return Err(format!("invalid page {p:?}")),
            },
        };
        q.offset = (page - 1).saturating_mul(q.limit);
        q.cursor = self
            .cursor
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty() && *c != "null")
            .map(str::to_owned);
        Ok(q)
    }

    /// True when `pretty=true`.
    pub fn is_pretty(&self) -> bool {
        self.pretty.as_deref() == Some("true")
    }
}

impl Query {
    /// No filters but the time window, and no paging (what fills the filter menus).
    pub fn window_only(&self) -> Query {
        Query {
            from_us: self.from_us,
            to_us: self.to_us,
            limit: self.limit,
            ..Query::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawQuery {
        let v: serde_json::Map<String, serde_json::Value> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
            .collect();
        serde_json::from_value(serde_json::Value::Object(v)).expect("raw query")
    }

    #[test]
    fn lists_split_on_commas_and_null_is_empty() {
        let q = raw(&[
            ("priority", "warning,Critical"),
            ("rule", "null"),
            ("tags", "k8s, mitre"),
        ])
        .resolve(0)
        .expect("valid");
        assert_eq!(q.priorities, ["Warning", "Critical"]);
        assert!(q.rules.is_empty());
        assert_eq!(q.tags, ["k8s", "mitre"]);
        assert_eq!((q.limit, q.offset), (100, 0));
    }

    #[test]
    fn since_and_pages() {
        let now = 10_000_000_000;
        let q = raw(&[("since", "1h"), ("limit", "10"), ("page", "3")])
            .resolve(now)
            .expect("valid");
        assert_eq!(q.from_us, Some(now - 3_600_000_000));
        assert_eq!((q.limit, q.offset), (10, 20));
        let q = raw(&[("since", "bogus"), ("page", "0")])
            .resolve(now)
            .expect("valid");
        assert_eq!((q.from_us, q.offset), (None, 0));
    }

    #[test]
    fn absolute_ranges() {
        let q = raw(&[("from", "2024-05-14T09:00:00Z"), ("to", "1715680800")])
            .resolve(0)
            .expect("valid");
        assert_eq!(q.from_us, Some(1_715_677_200_000_000));
        assert_eq!(q.to_us, Some(1_715_680_800_000_000));
        assert_eq!(
            parse_instant("2024-05-14T09:00"),
            Some(1_715_677_200_000_000)
        );
        assert!(raw(&[("from", "yesterday")]).resolve(0).is_err());
    }
}
