//! Count lines, as the datadog-go client writes them, and their packing into datagrams.

/// Bytes of a datagram at most: lines are packed, newline-separated, up to this size (fits
/// an Ethernet MTU).
pub const MAX_DATAGRAM_BYTES: usize = 1432;

/// How tags are written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Plain StatsD: each tag's value appended to the name (`name.value`), blanks removed.
    Statsd,
    /// DogStatsD: `|#tag,tag`, the instance's own tags first.
    Dogstatsd {
        /// The block's `tags` (`key:value`).
        tags: Vec<String>,
    },
}

/// `<namespace><metric>:<value>|c`, with the tags as `flavor` writes them.
pub fn count_line(
    namespace: &str,
    flavor: &Flavor,
    metric: &str,
    value: u64,
    tags: &[(&str, &str)],
) -> String {
    match flavor {
        Flavor::Statsd => {
            let mut name = format!("{namespace}{metric}");
            for (_, v) in tags {
                name.push('.');
                name.extend(v.chars().filter(|c| *c != ' '));
            }
            format!("{name}:{value}|c")
        }
        Flavor::Dogstatsd { tags: global } => {
            let mut line = format!("{namespace}{metric}:{value}|c");
            let all: Vec<String> = global
                .iter()
                .cloned()
                .chain(tags.iter().map(|(k, v)| format!("{k}:{v}")))
                .collect();
            if !all.is_empty() {
                line.push_str("|#");
                line.push_str(&all.join(","));
            }
            line
        }
    }
}

/// `lines` packed into datagrams of at most [`MAX_DATAGRAM_BYTES`] (a longer line goes alone).
pub fn datagrams(lines: &[String]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    for line in lines {
        if !current.is_empty() && current.len() + 1 + line.len() > MAX_DATAGRAM_BYTES {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(b'\n');
        }
        current.extend_from_slice(line.as_bytes());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
