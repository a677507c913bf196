//! JSON output that matches Go's `encoding/json` byte for byte where it matters: `<`, `>`, `&`,
//! U+2028 and U+2029 inside strings are written as `\u003c`, `\u003e`, `\u0026`, `\u2028`,
//! `\u2029`, exactly as falcosidekick's `json.Marshal` does.

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

/// A compact [`Formatter`] with Go's HTML-safe string escaping.
#[derive(Clone, Copy, Debug, Default)]
pub struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let bytes = fragment.as_bytes();
        // Most fragments hold none of the bytes Go escapes beyond JSON's own: one pass without
        // an early exit (so it vectorises), then a single copy.
        if !bytes.iter().fold(false, |found, &b| {
            found | matches!(b, b'<' | b'>' | b'&' | 0xE2)
        }) {
            return writer.write_all(bytes);
        }
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let escape: Option<&[u8]> = match bytes[i] {
                b'<' => Some(b"\\u003c"),
                b'>' => Some(b"\\u003e"),
                b'&' => Some(b"\\u0026"),
                0xE2 if bytes.get(i + 1) == Some(&0x80) => match bytes.get(i + 2) {
                    Some(0xA8) => Some(b"\\u2028"),
                    Some(0xA9) => Some(b"\\u2029"),
                    _ => None,
                },
                _ => None,
            };
            if let Some(escape) = escape {
                writer.write_all(&bytes[start..i])?;
                writer.write_all(escape)?;
                i += if bytes[i] == 0xE2 { 3 } else { 1 };
                start = i;
            } else {
                i += 1;
            }
        }
        writer.write_all(&bytes[start..])
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        char_escape: serde_json::ser::CharEscape,
    ) -> io::Result<()> {
        CompactFormatter.write_char_escape(writer, char_escape)
    }
}

/// Serializes `value` the way Go's `json.Marshal` would.
pub fn to_go_json<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    to_go_json_sized(value, 512)
}

/// [`to_go_json`] into a buffer of `capacity` bytes to start with (fewer reallocations when
/// the caller knows about how long the result is).
pub(crate) fn to_go_json_sized<T: Serialize + ?Sized>(
    value: &T,
    capacity: usize,
) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(capacity);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    value.serialize(&mut ser)?;
    Ok(out)
}

/// Extra bytes each byte takes once escaped, beyond itself: control characters (`\n` and
/// the like take 2 bytes, the others `\u00XX`), `"` and `\`, and Go's `<`, `>`, `&`.
const ESCAPE_EXTRA: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = 5;
        b += 1;
    }
    t[0x08] = 1;
    t[0x09] = 1;
    t[0x0A] = 1;
    t[0x0C] = 1;
    t[0x0D] = 1;
    t[b'"' as usize] = 1;
    t[b'\\' as usize] = 1;
    t[b'<' as usize] = 5;
    t[b'>' as usize] = 5;
    t[b'&' as usize] = 5;
    t
};

/// The bytes [`to_go_json`] writes for the string `s`, quotes included, without writing it.
pub fn go_json_str_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    // Most strings hold nothing to escape: one pass without an early exit (so it
    // vectorises) tells, and their length is the bytes and two quotes.
    if !bytes.iter().fold(false, |found, &b| {
        found | (b < 0x20) | matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&' | 0xE2)
    }) {
        return 2 + bytes.len();
    }
    let extra: usize = bytes
        .iter()
        .map(|&b| usize::from(ESCAPE_EXTRA[b as usize]))
        .sum();
    // U+2028 and U+2029 (3 bytes) are written as `\u2028`, `\u2029` (6).
    let separators = if bytes.contains(&0xE2) {
        bytes
            .windows(3)
            .filter(|w| w[0] == 0xE2 && w[1] == 0x80 && (w[2] == 0xA8 || w[2] == 0xA9))
            .count()
    } else {
        0
    };
    2 + bytes.len() + extra + 3 * separators
}

/// The bytes [`to_go_json`] writes for `value`, without writing it.
pub fn go_json_value_len(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    match value {
        Value::Null => 4,
        Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        // With `arbitrary_precision`, a number is written as the digits it holds.
        Value::Number(n) => n.as_str().len(),
        Value::String(s) => go_json_str_len(s),
        Value::Array(items) => {
            2 + items.len().saturating_sub(1) + items.iter().map(go_json_value_len).sum::<usize>()
        }
        Value::Object(map) => go_json_map_len(map),
    }
}

/// The bytes [`to_go_json`] writes for the object `map`, without writing it.
pub fn go_json_map_len(map: &serde_json::Map<String, serde_json::Value>) -> usize {
    2 + map.len().saturating_sub(1)
        + map
            .iter()
            .map(|(k, v)| go_json_str_len(k) + 1 + go_json_value_len(v))
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_without_special_bytes_are_copied_as_they_are() {
        let s = to_go_json("plain ascii, é and \u{2027} stay").unwrap();
        assert_eq!(
            String::from_utf8(s).unwrap(),
            "\"plain ascii, é and \u{2027} stay\""
        );
    }

    #[test]
    fn lengths_match_what_is_written() {
        let value = serde_json::json!({
            "plain": "ascii",
            "escapes": "a<b>&c\u{2028}d\u{2029}é\"\n\t\u{1}\u{7f}\\",
            "n": serde_json::Number::from_string_unchecked("12345678901234567890".into()),
            "f": 1.5,
            "list": [1, "a", null, true, false, [], {}],
            "nested": {"k": {"x": ""}},
        });
        assert_eq!(go_json_value_len(&value), to_go_json(&value).unwrap().len());
    }

    #[test]
    fn escapes_html_characters_like_go() {
        let s = to_go_json("a<b>&c\u{2028}d\u{2029}é\"\n").unwrap();
        assert_eq!(
            String::from_utf8(s).unwrap(),
            r#""a\u003cb\u003e\u0026c\u2028d\u2029é\"\n""#
        );
    }
}
