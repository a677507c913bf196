//! The catalog: the few distinct rules, sources, hostnames and tag sets stored once each with
//! a number, and the **series** — one per (priority, rule, source, tag set) seen, which is
//! about one per rule. Events and pre-aggregated counts carry a series number and a host
//! number instead of the strings, so rows and indexes stay small and a filter on priority,
//! rule, source or tags becomes a set of series numbers, worked out here in memory.

use std::collections::{BTreeMap, HashMap};

use super::FastMap;
use crate::query::{GroupBy, Query};

/// What a dimension value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum DimKind {
    /// A rule name.
    Rule = 1,
    /// A source.
    Source = 2,
    /// A hostname.
    Host = 3,
    /// A set of tags (sorted, joined by [`TAG_SEP`]).
    Tags = 4,
}

impl DimKind {
    /// From its stored number.
    pub(crate) fn from_i64(n: i64) -> Option<DimKind> {
        match n {
            1 => Some(DimKind::Rule),
            2 => Some(DimKind::Source),
            3 => Some(DimKind::Host),
            4 => Some(DimKind::Tags),
            _ => None,
        }
    }
}

/// Separates the tags of a tag set (ASCII unit separator, never in a tag).
pub(crate) const TAG_SEP: char = '\u{1f}';

/// A tag set as stored.
pub(crate) fn tagset_key(tags: &[String]) -> String {
    let mut t: Vec<&str> = tags.iter().map(String::as_str).collect();
    t.sort_unstable();
    t.dedup();
    t.join(&TAG_SEP.to_string())
}

/// One series.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SeriesKey {
    /// The priority (`Warning`).
    pub priority: String,
    /// Dimension numbers.
    pub rule: i64,
    /// Dimension numbers.
    pub source: i64,
    /// Dimension numbers.
    pub tags: i64,
}

/// The catalog in memory.
#[derive(Debug, Default, Clone)]
pub(crate) struct Catalog {
    /// Per kind (index `kind - 1`): value → number.
    dims: [FastMap<String, i64>; 4],
    values: FastMap<i64, (DimKind, String)>,
    tagsets: FastMap<i64, Vec<String>>,
    series: FastMap<SeriesKey, i64>,
    series_of: FastMap<i64, SeriesKey>,
    /// Highest dimension number known.
    pub max_dim: i64,
    /// Highest series number known.
    pub max_series: i64,
}

/// What a query's filters select.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Selection {
    /// Series allowed; `None`: all.
    pub series: Option<Vec<i64>>,
    /// Hosts allowed; `None`: all.
    pub hosts: Option<Vec<i64>>,
}

impl Selection {
    /// True when nothing can match.
    pub(crate) fn is_empty(&self) -> bool {
        self.series.as_ref().is_some_and(Vec::is_empty)
            || self.hosts.as_ref().is_some_and(Vec::is_empty)
    }

    /// True when there is no dimension filter at all.
    pub(crate) fn is_all(&self) -> bool {
        self.series.is_none() && self.hosts.is_none()
    }

    /// Whether a (series, host) pair passes.
    pub(crate) fn admits(&self, series: i64, host: i64) -> bool {
        self.series
            .as_ref()
            .is_none_or(|s| s.binary_search(&series).is_ok())
            && self
                .hosts
                .as_ref()
                .is_none_or(|h| h.binary_search(&host).is_ok())
    }
}

impl Catalog {
    /// Adds a dimension row read from the store.
    pub(crate) fn add_dim(&mut self, id: i64, kind: DimKind, value: String) {
        if kind == DimKind::Tags {
            let tags = if value.is_empty() {
                Vec::new()
            } else {
                value.split(TAG_SEP).map(str::to_owned).collect()
            };
            self.tagsets.insert(id, tags);
        }
        self.dims[kind as usize - 1].insert(value.clone(), id);
        self.values.insert(id, (kind, value));
        self.max_dim = self.max_dim.max(id);
    }

    /// Adds a series row read from the store.
    pub(crate) fn add_series(&mut self, id: i64, key: SeriesKey) {
        self.series.insert(key.clone(), id);
        self.series_of.insert(id, key);
        self.max_series = self.max_series.max(id);
    }

    /// Merges what another catalog (a writer's additions) knows.
    pub(crate) fn merge(&mut self, other: Catalog) {
        for (id, (kind, value)) in other.values {
            self.add_dim(id, kind, value);
        }
        for (id, key) in other.series_of {
            self.add_series(id, key);
        }
    }

    /// The number of a dimension value, if known.
    pub(crate) fn dim(&self, kind: DimKind, value: &str) -> Option<i64> {
        self.dims[kind as usize - 1].get(value).copied()
    }

    /// The number of a series, if known.
    pub(crate) fn series_id(&self, key: &SeriesKey) -> Option<i64> {
        self.series.get(key).copied()
    }

    /// The value of a dimension number.
    pub(crate) fn value(&self, id: i64) -> Option<&str> {
        self.values.get(&id).map(|(_, v)| v.as_str())
    }

    /// The series of a number.
    pub(crate) fn series(&self, id: i64) -> Option<&SeriesKey> {
        self.series_of.get(&id)
    }

    /// What a timeline of series `id` is split by calls it: its priority or its source.
    pub(crate) fn label(&self, id: i64, by: super::TimelineBy) -> Option<String> {
        let s = self.series(id)?;
        Some(match by {
            super::TimelineBy::Priority => s.priority.clone(),
            super::TimelineBy::Source => self.value(s.source).unwrap_or_default().to_owned(),
        })
    }

    /// The tags of a series.
    pub(crate) fn tags_of(&self, series: i64) -> &[String] {
        self.series_of
            .get(&series)
            .and_then(|s| self.tagsets.get(&s.tags))
            .map_or(&[], Vec::as_slice)
    }

    /// True when every number is known (else the caller reloads).
    pub(crate) fn knows(&self, series: &[i64], hosts: &[i64]) -> bool {
        series.iter().all(|s| self.series_of.contains_key(s))
            && hosts.iter().all(|h| self.values.contains_key(h))
    }

    /// Dimension values and series known (the store never deletes catalog rows, so a
    /// handle whose sizes equal the database's knows every row).
    pub(crate) fn sizes(&self) -> (usize, usize) {
        (self.values.len(), self.series_of.len())
    }

    /// True when what `q` selects depends on the catalog: it filters by priority, rule,
    /// source, tags or hostname, or has free-text terms (substring terms also match the
    /// catalog's names). Such a query must see the series and names another handle on the
    /// same database (another replica, another process) has added.
    pub(crate) fn depends_on(q: &Query) -> bool {
        !(q.priorities.is_empty()
            && q.rules.is_empty()
            && q.sources.is_empty()
            && q.tags.is_empty()
            && q.hostnames.is_empty()
            && q.terms.is_empty())
    }

    /// True when every rule, source, hostname and tag `q` names is known here; when not,
    /// the caller reloads the catalog once before selecting (another handle may have stored
    /// it).
    pub(crate) fn names_all(&self, q: &Query) -> bool {
        q.rules.iter().all(|v| self.dim(DimKind::Rule, v).is_some())
            && q.sources
                .iter()
                .all(|v| self.dim(DimKind::Source, v).is_some())
            && q.hostnames
                .iter()
                .all(|v| self.dim(DimKind::Host, v).is_some())
            && q.tags
                .iter()
                .all(|tag| self.tagsets.values().any(|set| set.contains(tag)))
    }

    /// What `q`'s priority, rule, source, tags and hostname filters select. Values never
    /// seen select nothing (callers refresh the catalog first: see [`Catalog::names_all`]).
    pub(crate) fn select(&self, q: &Query) -> Selection {
        let ids = |kind: DimKind, values: &[String]| -> Vec<i64> {
            values.iter().filter_map(|v| self.dim(kind, v)).collect()
        };
        let mut sel = Selection::default();
        if !(q.priorities.is_empty()
            && q.rules.is_empty()
            && q.sources.is_empty()
            && q.tags.is_empty())
        {
            let rules = ids(DimKind::Rule, &q.rules);
            let sources = ids(DimKind::Source, &q.sources);
            let mut series: Vec<i64> = self
                .series_of
                .iter()
                .filter(|(_, s)| q.priorities.is_empty() || q.priorities.contains(&s.priority))
                .filter(|(_, s)| q.rules.is_empty() || rules.contains(&s.rule))
                .filter(|(_, s)| q.sources.is_empty() || sources.contains(&s.source))
                .filter(|(_, s)| {
                    q.tags.is_empty()
                        || self
                            .tagsets
                            .get(&s.tags)
                            .is_some_and(|t| t.iter().any(|t| q.tags.contains(t)))
                })
                .map(|(id, _)| *id)
                .collect();
            series.sort_unstable();
            sel.series = Some(series);
        }
        if !q.hostnames.is_empty() {
            let mut hosts = ids(DimKind::Host, &q.hostnames);
            hosts.sort_unstable();
            hosts.dedup();
            sel.hosts = Some(hosts);
        }
        sel
    }

    /// Series numbers whose rule, priority, source or one of whose tags contains `lower`
    /// (ASCII-lowercased), and host numbers whose name does: substring terms match these
    /// without reading events.
    pub(crate) fn containing(&self, lower: &str) -> (Vec<i64>, Vec<i64>) {
        use super::text::contains_ignore_ascii_case as has;
        let dim_has = |id: i64| self.value(id).is_some_and(|v| has(v, lower));
        let mut series: Vec<i64> = self
            .series_of
            .iter()
            .filter(|(_, s)| dim_has(s.rule) || dim_has(s.source))
            .map(|(id, _)| *id)
            .collect();
        series.sort_unstable();
        let mut hosts: Vec<i64> = self
            .values
            .iter()
            .filter(|(_, (k, v))| *k == DimKind::Host && has(v, lower))
            .map(|(id, _)| *id)
            .collect();
        hosts.sort_unstable();
        (series, hosts)
    }

    /// Groups per-series counts by `by` (not `Hostname`), most frequent first then by value.
    /// Tags count once per tag of each event.
    pub(crate) fn group(&self, counts: &HashMap<i64, u64>, by: GroupBy) -> Vec<(String, u64)> {
        let mut out: BTreeMap<String, u64> = BTreeMap::new();
        for (series, n) in counts {
            let Some(s) = self.series(*series) else {
                continue;
            };
            let mut add = |v: &str| *out.entry(v.to_owned()).or_default() += n;
            match by {
                GroupBy::Priority => add(&s.priority),
                GroupBy::Rule => add(self.value(s.rule).unwrap_or_default()),
                GroupBy::Source => add(self.value(s.source).unwrap_or_default()),
                GroupBy::Tags => {
                    for t in self.tags_of(*series) {
                        add(t);
                    }
                }
                GroupBy::Hostname => {}
            }
        }
        sorted(out)
    }

    /// Per-host counts as (hostname, count), most frequent first then by name.
    pub(crate) fn group_hosts(&self, counts: &HashMap<i64, u64>) -> Vec<(String, u64)> {
        let mut out: BTreeMap<String, u64> = BTreeMap::new();
        for (host, n) in counts {
            *out.entry(self.value(*host).unwrap_or_default().to_owned())
                .or_default() += n;
        }
        sorted(out)
    }
}

fn sorted(map: BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = map.into_iter().filter(|(_, n)| *n > 0).collect();
    // Stable: equal counts keep the value order.
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let mut c = Catalog::default();
        c.add_dim(1, DimKind::Rule, "Write below etc".into());
        c.add_dim(2, DimKind::Source, "syscalls".into());
        c.add_dim(3, DimKind::Tags, tagset_key(&["b".into(), "a".into()]));
        c.add_dim(4, DimKind::Host, "node-1".into());
        c.add_dim(5, DimKind::Tags, String::new());
        c.add_series(
            10,
            SeriesKey {
                priority: "Critical".into(),
                rule: 1,
                source: 2,
                tags: 3,
            },
        );
        c.add_series(
            11,
            SeriesKey {
                priority: "Debug".into(),
                rule: 1,
                source: 2,
                tags: 5,
            },
        );
        c
    }

    #[test]
    fn selections() {
        let c = catalog();
        let q = Query {
            tags: vec!["a".into()],
            ..Query::default()
        };
        assert_eq!(c.select(&q).series, Some(vec![10]));
        let q = Query {
            priorities: vec!["Debug".into(), "Critical".into()],
            ..Query::default()
        };
        assert_eq!(c.select(&q).series, Some(vec![10, 11]));
        let q = Query {
            hostnames: vec!["node-9".into()],
            ..Query::default()
        };
        assert!(c.select(&q).is_empty());
        assert!(c.select(&Query::default()).is_all());
        assert!(!c.names_all(&q));
        let known = Query {
            rules: vec!["Write below etc".into()],
            tags: vec!["b".into()],
            hostnames: vec!["node-1".into()],
            ..Query::default()
        };
        assert!(c.names_all(&known));
        let unknown_tag = Query {
            tags: vec!["c".into()],
            ..Query::default()
        };
        assert!(!c.names_all(&unknown_tag));
        assert!(Catalog::depends_on(&unknown_tag));
        assert!(!Catalog::depends_on(&Query::default()));
        assert_eq!(c.sizes(), (5, 2));
        assert_eq!(c.containing("below"), (vec![10, 11], vec![]));
        assert_eq!(c.containing("ode-"), (vec![], vec![4]));
    }

    #[test]
    fn grouping() {
        let c = catalog();
        let counts = HashMap::from([(10, 2), (11, 5)]);
        assert_eq!(
            c.group(&counts, GroupBy::Priority),
            [("Debug".to_owned(), 5), ("Critical".to_owned(), 2)]
        );
        assert_eq!(
            c.group(&counts, GroupBy::Tags),
            [("a".to_owned(), 2), ("b".to_owned(), 2)]
        );
    }
}
