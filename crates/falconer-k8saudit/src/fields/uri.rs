//! `ka.uri.param[key]`: a query parameter of `requestURI`, decoded as Go's `url.ParseQuery`
//! does (`+` is a space, `%XX` a byte); the first value when the key repeats.

/// The first value of `key` in the query string of `uri`.
pub(crate) fn query_param(uri: &str, key: &str) -> Option<String> {
    let (_, query) = uri.split_once('?')?;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k)? == key).then(|| decode(v)).flatten()
        })
}

/// Percent-decoding with `+` as space; `None` for a bad escape or bytes that are not UTF-8.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_value_decoded() {
        let uri = "/api/v1/namespaces/default/pods/web/exec?command=sh&command=-c&command=ls%20-l&container=web&stdin=true";
        assert_eq!(query_param(uri, "command").as_deref(), Some("sh"));
        assert_eq!(query_param(uri, "container").as_deref(), Some("web"));
        assert_eq!(query_param(uri, "tty"), None);
        assert_eq!(query_param("/a?x=a+b%2Fc", "x").as_deref(), Some("a b/c"));
        assert_eq!(query_param("/a?flag", "flag").as_deref(), Some(""));
        assert_eq!(query_param("/a", "x"), None);
        assert_eq!(query_param("/a?x=%zz", "x"), None);
        assert_eq!(query_param("/a?x=%e2", "x"), None);
    }
}
