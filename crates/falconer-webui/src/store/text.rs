//! Free-text search, shared by both stores.
//!
//! An alert's searchable text (output, rule, priority, source, hostname, tags, output field
//! names and values) is cut into **words**: runs of letters and digits, so
//! `proc.name=nginx-7c5b9` is `proc`, `name`, `nginx`, `7c5b9`. The index keeps each distinct
//! word of an alert once (no positions), which is what makes it cheap to write.
//!
//! A search term is cut the same way; every one of its words must begin a word of the alert
//! (case-insensitively): the last one as a prefix, the others whole (and the last one whole
//! too when the term ends with punctuation, so `100%` matches the word `100` only). So
//! `nginx`, `ngin`, `etc/shad`, `aws-creds` and `API server` match what they suggest; the middle
//! of a word (`ginx`) does not. Terms shorter than three characters, or without any letter or
//! digit, keep the older meaning: a case-insensitive substring of the output, rule, source or
//! hostname (a scan).

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};

/// Numbers this long (digits) are not indexed: epoch times in ms, µs or ns.
pub(crate) const LONG_NUMBER: usize = 13;

/// Terms at least this long (in characters) are looked up in the word index.
const INDEXED_TERM_CHARS: usize = 3;

/// The words of `text`: maximal runs of alphanumeric characters.
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Words of a usual alert, for the first allocation.
const DOC_WORDS: usize = 128;

/// Builds an alert's index document: its distinct words (compared case-insensitively),
/// separated by spaces.
pub(crate) struct DocBuilder {
    seen: HashSet<u64, std::hash::BuildHasherDefault<FoldHasher>>,
    doc: String,
}

impl Default for DocBuilder {
    fn default() -> Self {
        DocBuilder {
            seen: HashSet::with_capacity_and_hasher(DOC_WORDS, Default::default()),
            doc: String::with_capacity(DOC_WORDS * 8),
        }
    }
}

impl DocBuilder {
    /// Adds the words of `text`, but numbers of [`LONG_NUMBER`] digits or more (event times
    /// in ns or µs: one new word per alert that nobody searches, and the costliest kind for
    /// the index).
    pub(crate) fn push(&mut self, text: &str) {
        if text.is_ascii() {
            // A byte is a letter or digit exactly when its character is: the same words as
            // [`words`], found byte by byte.
            let bytes = text.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                while i < bytes.len() && !bytes[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                if i > start {
                    self.add(&text[start..i]);
                }
            }
        } else {
            for w in words(text) {
                self.add(w);
            }
        }
    }

    fn add(&mut self, w: &str) {
        if w.len() >= LONG_NUMBER && w.bytes().all(|b| b.is_ascii_digit()) {
            return;
        }
        let hash = if w.is_ascii() {
            ascii_word_hash(w.as_bytes())
        } else {
            let mut h = FoldHasher::default();
            for c in w.chars().flat_map(char::to_lowercase) {
                h.write_u32(c as u32);
            }
            h.finish()
        };
        if self.seen.insert(hash) {
            if !self.doc.is_empty() {
                self.doc.push(' ');
            }
            self.doc.push_str(w);
        }
    }

    /// The document.
    pub(crate) fn finish(self) -> String {
        self.doc
    }
}

/// The hash of an ASCII word (letters and digits only) as if lowercased, eight bytes at a
/// time: for such bytes `b | 0x20` is the lowercase (digits have that bit already). A
/// collision only drops a duplicate-looking word from the document; a word spelled with
/// non-ASCII letters that lowercases to ASCII (the Kelvin sign) hashes apart and is only
/// kept twice.
fn ascii_word_hash(w: &[u8]) -> u64 {
    const LOWER: u64 = 0x2020_2020_2020_2020;
    const MUL: u64 = 0x9e37_79b9_7f4a_7c15;
    let mix = |h: u64, v: u64| (h ^ v).wrapping_mul(MUL).rotate_left(29);
    let mut h = mix(0xcbf2_9ce4_8422_2325, w.len() as u64);
    for c in w.chunks(8) {
        let mut b = [0u8; 8];
        b[..c.len()].copy_from_slice(c);
        h = mix(h, u64::from_le_bytes(b) | LOWER);
    }
    h ^= h >> 32;
    h.wrapping_mul(MUL) ^ (h >> 29)
}

// Store tokens: words with an underscore, which the index keeps whole (`tokenchars '_'`)
// and which no alert text can produce (its words are letters and digits only). They find an
// event by UUID, host or series through the same index.

/// The token of an alert UUID: `_u` and its 32 hex digits, or for a UUID that is not one,
/// `_t` and its words joined by `_` (shortened; lookups compare the stored UUID anyway).
pub(crate) fn uuid_token(uuid: &str) -> String {
    match uuid::Uuid::parse_str(uuid) {
        Ok(u) => format!("_u{}", u.simple()),
        Err(_) => {
            let mut t = String::from("_t");
            for (i, w) in words(uuid).enumerate() {
                if i > 0 {
                    t.push('_');
                }
                t.push_str(&w.to_lowercase());
                if t.len() > 64 {
                    break;
                }
            }
            t
        }
    }
}

/// The token of a host number.
pub(crate) fn host_token(host: i64) -> String {
    format!("_h{host}")
}

/// The token of a series number.
pub(crate) fn series_token(series: i64) -> String {
    format!("_s{series}")
}

/// FNV-1a: fast on the short words of an alert; a collision only drops a duplicate-looking
/// word from the document.
#[derive(Clone, Copy)]
pub(crate) struct FoldHasher(u64);

impl Default for FoldHasher {
    fn default() -> Self {
        FoldHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for FoldHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        // The set is keyed by finished hashes: mix them once more.
        self.0 ^= n;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }
}

impl BuildHasher for FoldHasher {
    type Hasher = FoldHasher;

    fn build_hasher(&self) -> FoldHasher {
        FoldHasher::default()
    }
}

/// How the store looks a free-text term up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Term {
    /// Through the word index: an FTS5 query (`"aws" AND "creds"*`), which the PostgreSQL
    /// store reads as well (see [`Term::words`]).
    Indexed {
        /// The FTS5 MATCH expression.
        fts: String,
        /// Each word and whether it is a prefix.
        words: Vec<(String, bool)>,
    },
    /// By a scan: a case-insensitive substring of output, rule, source or hostname.
    Substring(String),
}

impl Term {
    /// How `term` is looked up.
    pub(crate) fn parse(term: &str) -> Term {
        let ws: Vec<&str> = words(term).collect();
        if term.chars().count() < INDEXED_TERM_CHARS || ws.is_empty() {
            return Term::Substring(term.to_owned());
        }
        let open_end = term.chars().last().is_some_and(char::is_alphanumeric);
        let words: Vec<(String, bool)> = ws
            .iter()
            .enumerate()
            .map(|(i, w)| ((*w).to_owned(), open_end && i + 1 == ws.len()))
            .collect();
        let fts = words
            .iter()
            .map(|(w, prefix)| format!("\"{w}\"{}", if *prefix { "*" } else { "" }))
            .collect::<Vec<_>>()
            .join(" AND ");
        Term::Indexed { fts, words }
    }
}

/// Words of the index a prefix word is replaced by at most (more: the prefix query stays).
pub(crate) const MAX_PREFIX_EXPANSION: usize = 64;

/// The FTS5 MATCH expression of several indexed terms (all must match), or `None`, with
/// each prefix word replaced by the indexed words it begins, as `expand` lists them (`None`:
/// keep the prefix query): FTS5 reads a prefix query by merging
/// the whole lists of every such word before it can return the newest match, while an `OR`
/// of whole words is read newest first and stops at the page.
pub(crate) fn fts_query_expanded(
    terms: &[Term],
    mut expand: impl FnMut(&str) -> Option<Vec<String>>,
) -> Option<String> {
    let quote = |w: &str| format!("\"{}\"", w.replace('"', "\"\""));
    let mut parts = Vec::new();
    for t in terms {
        let Term::Indexed { words, .. } = t else {
            continue;
        };
        for (w, prefix) in words {
            let part = match (prefix, prefix.then(|| expand(w)).flatten()) {
                (true, Some(whole)) if !whole.is_empty() && whole.len() <= MAX_PREFIX_EXPANSION => {
                    let alternatives: Vec<String> = whole.iter().map(|w| quote(w)).collect();
                    if alternatives.len() == 1 {
                        alternatives.join("")
                    } else {
                        format!("({})", alternatives.join(" OR "))
                    }
                }
                (true, _) => format!("{}*", quote(w)),
                (false, _) => quote(w),
            };
            parts.push(part);
        }
    }
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// The range of index words `word` (ASCII letters and digits) begins: `[lower, upper)`,
/// lowercased as the index keeps them; `None` for other words.
pub(crate) fn prefix_range(word: &str) -> Option<(String, String)> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    let mut upper = lower.clone().into_bytes();
    let last = upper.len() - 1;
    upper[last] += 1;
    String::from_utf8(upper).ok().map(|u| (lower, u))
}

/// The substring terms, lowercased (ASCII), as the scan compares them.
pub(crate) fn substring_terms(terms: &[Term]) -> Vec<String> {
    terms
        .iter()
        .filter_map(|t| match t {
            Term::Substring(s) => Some(s.to_ascii_lowercase()),
            Term::Indexed { .. } => None,
        })
        .collect()
}

/// True when `haystack` contains `needle_lower` (already ASCII-lowercased), ignoring ASCII
/// case, as SQL `LIKE` does.
pub(crate) fn contains_ignore_ascii_case(haystack: &str, needle_lower: &str) -> bool {
    let n = needle_lower.as_bytes();
    if n.is_empty() {
        return true;
    }
    haystack
        .as_bytes()
        .windows(n.len())
        .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
}

/// The output of an alert's stored JSON (for substring terms), without parsing the rest.
pub(crate) fn output_of(json: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct OutputOnly {
        #[serde(default)]
        output: String,
    }
    serde_json::from_str::<OutputOnly>(json)
        .ok()
        .map(|o| o.output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_each_word_once() {
        let mut d = DocBuilder::default();
        d.push("A shell in nginx-7c5b9 (proc.name=bash)");
        d.push("proc.name");
        d.push("NGINX Bash café 1715678467418790000 123456789");
        assert_eq!(
            d.finish(),
            "A shell in nginx 7c5b9 proc name bash café 123456789"
        );
    }

    #[test]
    fn long_words_compare_case_insensitively_to_their_last_letter() {
        let mut d = DocBuilder::default();
        d.push("KubernetesAudit kubernetesaudit KUBERNETESAUDIT kubernetesaudiT");
        d.push("kubernetesaudix abcdefgh ABCDEFGH abcdefg abcdefgh0 Z9 z9");
        assert_eq!(
            d.finish(),
            "KubernetesAudit kubernetesaudix abcdefgh abcdefg abcdefgh0 Z9"
        );
    }

    #[test]
    fn ascii_words_are_cut_as_words_cuts_them() {
        // The ASCII path and the character path agree, byte for byte, on every ASCII
        // character as a separator or part of a word.
        let all: String = (0u8..128).map(char::from).collect();
        for text in [
            all.as_str(),
            "a.b-c_d e\tf/g:h=i|j",
            "x",
            "",
            "...",
            "über-ascii",
        ] {
            let mut fast = DocBuilder::default();
            fast.push(text);
            let mut slow = DocBuilder::default();
            for w in words(text) {
                slow.add(w);
            }
            assert_eq!(fast.finish(), slow.finish(), "{text:?}");
        }
    }

    #[test]
    fn store_tokens() {
        assert_eq!(
            uuid_token("6F1D2C4E-6A8B-4B9E-9D1A-2B3C4D5E6F70"),
            "_u6f1d2c4e6a8b4b9e9d1a2b3c4d5e6f70"
        );
        assert_eq!(uuid_token("My id-7"), "_tmy_id_7");
        assert_eq!(host_token(12), "_h12");
        assert_eq!(series_token(3), "_s3");
    }

    #[test]
    fn terms() {
        assert_eq!(
            Term::parse("aws-creds"),
            Term::Indexed {
                fts: "\"aws\" AND \"creds\"*".into(),
                words: vec![("aws".into(), false), ("creds".into(), true)]
            }
        );
        match Term::parse("100%") {
            Term::Indexed { fts, .. } => assert_eq!(fts, "\"100\""),
            other => panic!("{other:?}"),
        }
        assert_eq!(Term::parse("t6"), Term::Substring("t6".into()));
        assert_eq!(Term::parse("%%%"), Term::Substring("%%%".into()));
        let terms = [Term::parse("API"), Term::parse("t6"), Term::parse("server")];
        assert_eq!(
            fts_query_expanded(&terms, |_| None).as_deref(),
            Some("\"API\"* AND \"server\"*")
        );
        assert_eq!(substring_terms(&terms), ["t6"]);
    }

    #[test]
    fn substrings() {
        assert!(contains_ignore_ascii_case("proc=Cat6)", "t6"));
        assert!(!contains_ignore_ascii_case("proc=cat6", "t7"));
        assert_eq!(
            output_of(r#"{"uuid":"x","output":"a \"b\" c","rule":"r"}"#).as_deref(),
            Some("a \"b\" c")
        );
    }

    #[test]
    fn prefix_words_are_expanded_into_whole_words() {
        let terms = [
            Term::parse("evt.time"),
            Term::parse("ngin"),
            Term::parse("etc/"),
        ];
        let expr = fts_query_expanded(&terms, |w| match w {
            "time" => Some(vec!["time".into(), "timeout".into(), "timestamp".into()]),
            "ngin" => Some(vec!["nginx".into()]),
            _ => None,
        });
        assert_eq!(
            expr.as_deref(),
            Some(r#""evt" AND ("time" OR "timeout" OR "timestamp") AND "nginx" AND "etc""#)
        );
        // Nothing listed, or too many: the prefix query stays.
        let too_many: Vec<String> = (0..=MAX_PREFIX_EXPANSION)
            .map(|i| format!("a{i}"))
            .collect();
        let expr = fts_query_expanded(&[Term::parse("abc")], |_| Some(too_many.clone()));
        assert_eq!(expr.as_deref(), Some(r#""abc"*"#));
        let expr = fts_query_expanded(&[Term::parse("abc")], |_| None);
        assert_eq!(expr.as_deref(), Some(r#""abc"*"#));
        assert_eq!(
            prefix_range("Time9"),
            Some(("time9".to_owned(), "time:".to_owned()))
        );
        assert_eq!(prefix_range("café"), None);
    }
}
