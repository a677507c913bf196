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
    fn escapes_html_characters_like_go() {
        let s = to_go_json("a<b>&c\u{2028}d\u{2029}é\"\n").unwrap();
        assert_eq!(
            String::from_utf8(s).unwrap(),
            r#""a\u003cb\u003e\u0026c\u2028d\u2029é\"\n""#
        );
    }
}
