//! Reading events through Falconer rather than the server: short search terms (substrings
//! of the output, which only Falconer can read in a compressed body) are checked here, on
//! the rows the rest of the query selects.

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use zstd::zstd_safe::DCtx;

use super::{Params, PgStore, Tally, TextFilter};
use crate::store::catalog::Catalog;
use crate::store::text::{self, Term};
use crate::store::StoreError;

/// Rows fetched at a time when events are checked here (substring terms).
pub(super) const SCAN_CHUNK: i32 = 1_000;

/// The read of `rows` (as `e`) under `filter`, newest first, before `after` (`(ts, id)`),
/// selecting `e.series, e.host, {bodies}, e.ts, e.id` (see `PgStore::scan_newest`).
pub(super) fn newest_sql(
    rows: &str,
    filter: &str,
    bodies: &str,
    after: Option<(i64, i64)>,
    p: &mut Params,
) -> String {
    let keyset = after.map_or(String::new(), |(ts, id)| {
        format!(" AND (e.ts, e.id) < ({}, {})", p.push(ts), p.push(id))
    });
    format!(
        "SELECT e.series, e.host, {bodies}, e.ts, e.id FROM {rows} WHERE {filter}{keyset}
         ORDER BY e.ts DESC, e.id DESC"
    )
}

/// Substring terms (the older meaning of short terms): each must be in the name of the
/// event's rule, source or host (from the catalog) or in its output (read here: the server
/// cannot read compressed bodies).
pub(super) struct Substrings {
    /// Each term (lowercased) with the series and host numbers whose names contain it.
    terms: Vec<(String, Vec<i64>, Vec<i64>)>,
}

impl Substrings {
    pub(super) fn of(terms: &[Term], catalog: &Catalog) -> Substrings {
        Substrings {
            terms: text::substring_terms(terms)
                .into_iter()
                .map(|t| {
                    let (series, hosts) = catalog.containing(&t);
                    (t, series, hosts)
                })
                .collect(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The condition (over `e`) that the event's names hold every term: its output is then
    /// not needed.
    pub(super) fn named_sql(&self, p: &mut Params) -> String {
        let mut sql = String::from("(TRUE");
        for (_, series, hosts) in &self.terms {
            let s: Vec<i32> = series
                .iter()
                .filter_map(|s| i32::try_from(*s).ok())
                .collect();
            let h: Vec<i32> = hosts
                .iter()
                .filter_map(|h| i32::try_from(*h).ok())
                .collect();
            sql.push_str(&format!(
                " AND (e.series = ANY({}) OR e.host = ANY({}))",
                p.push(s),
                p.push(h)
            ));
        }
        sql.push(')');
        sql
    }

    /// `e.body, e.zbody`, NULL for events whose names hold every term.
    pub(super) fn bodies_sql(&self, p: &mut Params) -> String {
        let named = self.named_sql(p);
        format!(
            "CASE WHEN {named} THEN NULL ELSE e.body END, CASE WHEN {named} THEN NULL ELSE e.zbody END"
        )
    }

    /// True when some term is in neither the event's series nor its host names: its output
    /// decides.
    pub(super) fn needs_output(&self, series: i64, host: i64) -> bool {
        self.terms
            .iter()
            .any(|(_, s, h)| s.binary_search(&series).is_err() && h.binary_search(&host).is_err())
    }

    /// True when every term is in the event's names or in the output of its `json`.
    pub(super) fn admit(&self, series: i64, host: i64, json: Option<&str>) -> bool {
        if !self.needs_output(series, host) {
            return true;
        }
        let Some(output) = json.and_then(text::output_of) else {
            return false;
        };
        self.terms.iter().all(|(t, s, h)| {
            s.binary_search(&series).is_ok()
                || h.binary_search(&host).is_ok()
                || text::contains_ignore_ascii_case(&output, t)
        })
    }
}

impl PgStore {
    /// One row of a scan (`series, host, body, zbody` first): whether `subs` admits it, and
    /// its JSON when `with_json` or a term needed it (never when its bodies are NULL: the
    /// query knew it was not needed).
    pub(super) async fn visit<C: GenericClient>(
        &self,
        client: &C,
        dctx: &mut DCtx<'_>,
        subs: &Substrings,
        with_json: bool,
        r: &tokio_postgres::Row,
    ) -> Result<(bool, Option<String>), StoreError> {
        let series = i64::from(r.get::<_, i32>(0));
        let host = i64::from(r.get::<_, i32>(1));
        let (text, z): (Option<&str>, Option<&[u8]>) = (r.get(2), r.get(3));
        let stored = text.is_some() || z.is_some();
        let needs = subs.needs_output(series, host);
        let json = if stored && (with_json || needs) {
            Some(self.json(client, dctx, text, z).await?)
        } else {
            None
        };
        Ok((!needs || subs.admit(series, host, json.as_deref()), json))
    }

    /// Runs `sql` (selecting `e.series, e.host, e.body, e.zbody` first; no order needed, or
    /// over a bounded set of rows) through a cursor and calls `f` with each row, whether
    /// `subs` admits it, and its JSON ([`Self::visit`]), until `f` returns false.
    pub(super) async fn scan(
        &self,
        client: &mut deadpool_postgres::Object,
        (sql, params): (&str, &[&(dyn ToSql + Sync)]),
        subs: &Substrings,
        with_json: bool,
        mut f: impl FnMut(&tokio_postgres::Row, bool, Option<String>) -> bool,
    ) -> Result<(), StoreError> {
        let tx = client.transaction().await?;
        let portal = tx.bind(sql, params).await?;
        let mut dctx = DCtx::create();
        'chunks: loop {
            let rows = tx.query_portal(&portal, SCAN_CHUNK).await?;
            for r in &rows {
                let (admitted, json) = self.visit(&tx, &mut dctx, subs, with_json, r).await?;
                if !f(r, admitted, json) {
                    break 'chunks;
                }
            }
            if rows.len() < usize::try_from(SCAN_CHUNK).unwrap_or(0) {
                break;
            }
        }
        drop(portal);
        tx.commit().await?;
        Ok(())
    }

    /// Walks the events newest first, [`SCAN_CHUNK`] at a time: `page(p, after)` gives the
    /// query of those before `after` (`(ts, id)`; selecting `e.series, e.host, e.body,
    /// e.zbody, e.ts, e.id`, newest first, without a limit), run as [`Self::by_words`] with
    /// `indexed`. Calls `f` with each row, whether `subs` admits it, and its JSON (when
    /// `with_json`, or a term needed it), until `f` returns false. Each query is a short
    /// ordered read the planner starts at once, where one cursor over the whole range would
    /// be planned to sort all of it first.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn scan_newest(
        &self,
        client: &mut deadpool_postgres::Object,
        indexed: bool,
        page: impl Fn(&mut Params, Option<(i64, i64)>) -> String,
        subs: &Substrings,
        with_json: bool,
        mut f: impl FnMut(&tokio_postgres::Row, bool, Option<String>) -> bool,
    ) -> Result<(), StoreError> {
        let mut dctx = DCtx::create();
        let mut after = None;
        loop {
            let mut p = Params::default();
            let sql = format!(
                "{} LIMIT {}",
                page(&mut p, after),
                p.push(i64::from(SCAN_CHUNK))
            );
            let rows = self.by_words(client, indexed, &sql, &p.refs()).await?;
            for r in &rows {
                let (admitted, json) = self.visit(&*client, &mut dctx, subs, with_json, r).await?;
                if !f(r, admitted, json) {
                    return Ok(());
                }
            }
            match rows.last() {
                Some(r) if rows.len() == usize::try_from(SCAN_CHUNK).unwrap_or(0) => {
                    after = Some((r.get::<_, i64>(4), r.get::<_, i64>(5)));
                }
                _ => return Ok(()),
            }
        }
    }

    /// The events of `w` (its conditions over `t e`, with parameters `p`; its substring terms
    /// checked here), counted under `key(series, host, time)`; an event without a key is
    /// left out.
    pub(super) async fn tally_scanned(
        &self,
        client: &mut deadpool_postgres::Object,
        w: &TextFilter,
        mut p: Params,
        key: impl Fn(i64, i64, i64) -> Option<(i32, i64, i64)>,
    ) -> Result<Tally, StoreError> {
        let bodies = w.substrings.bodies_sql(&mut p);
        let sql = format!(
            "SELECT e.series, e.host, {bodies}, e.ts FROM {} e WHERE {}",
            self.table, w.sql
        );
        let mut tally = Tally::new();
        self.scan(
            client,
            (&sql, &p.refs()),
            &w.substrings,
            false,
            |r, admitted, _| {
                let (series, host) = (r.get::<_, i32>(0), r.get::<_, i32>(1));
                if let (true, Some(k)) = (
                    admitted,
                    key(i64::from(series), i64::from(host), r.get::<_, i64>(4)),
                ) {
                    *tally.entry(k).or_default() += 1;
                }
                true
            },
        )
        .await?;
        Ok(tally)
    }
}
