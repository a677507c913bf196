//! Reading a request body within a size limit and a deadline, and undoing its
//! `Content-Encoding` (gzip, deflate) within the same limit.

use std::io::Read;

use axum::body::Body;
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::IngestLimits;

/// Why the body could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// Over the limit.
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    /// Not received in time.
    #[error("body not received in time")]
    Timeout,
    /// The client broke off.
    #[error("body could not be read: {0}")]
    Io(String),
    /// A `Content-Encoding` other than gzip, deflate or identity.
    #[error("unsupported content encoding {0:?}")]
    Unsupported(String),
    /// The compressed body is not valid gzip or deflate.
    #[error("invalid {encoding} body: {message}")]
    Corrupt {
        /// The encoding.
        encoding: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// Reads the whole body, refusing it as soon as it is known to be too large.
pub(crate) async fn read_body(
    body: Body,
    content_length: Option<u64>,
    limits: IngestLimits,
) -> Result<Bytes, BodyError> {
    if content_length.is_some_and(|len| len > limits.max_body_bytes as u64) {
        return Err(BodyError::TooLarge(limits.max_body_bytes));
    }
    let limited = Limited::new(body, limits.max_body_bytes);
    match tokio::time::timeout(limits.body_timeout, limited.collect()).await {
        Err(_) => Err(BodyError::Timeout),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(BodyError::TooLarge(limits.max_body_bytes))
        }
        Ok(Err(e)) => Err(BodyError::Io(e.to_string())),
    }
}

/// Decompresses `body` as `encoding` says (none, `identity`, `gzip`, `x-gzip`, `deflate`),
/// stopping as soon as the result would exceed `max` bytes: a small zip bomb gets 413, it never
/// fills memory.
pub(crate) fn decode(encoding: Option<&str>, body: Bytes, max: usize) -> Result<Bytes, BodyError> {
    let encoding = encoding.map(|e| e.trim().to_ascii_lowercase());
    let (name, reader): (&'static str, Box<dyn Read + '_>) = match encoding.as_deref() {
        None | Some("") | Some("identity") => return Ok(body),
        Some("gzip" | "x-gzip") => (
            "gzip",
            Box::new(flate2::read::MultiGzDecoder::new(&body[..])),
        ),
        // HTTP's "deflate" is the zlib format; some clients send raw deflate, tried second.
        Some("deflate") if looks_like_zlib(&body) => (
            "deflate",
            Box::new(flate2::read::ZlibDecoder::new(&body[..])),
        ),
        Some("deflate") => (
            "deflate",
            Box::new(flate2::read::DeflateDecoder::new(&body[..])),
        ),
        Some(other) => return Err(BodyError::Unsupported(other.to_owned())),
    };
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(max));
    let read = reader
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| BodyError::Corrupt {
            encoding: name,
            message: e.to_string(),
        })?;
    if read > max {
        return Err(BodyError::TooLarge(max));
    }
    Ok(Bytes::from(out))
}

/// A zlib stream starts with a header whose check bits make it a multiple of 31.
fn looks_like_zlib(body: &[u8]) -> bool {
    matches!(body, [cmf, flg, ..] if cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Bytes {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        Bytes::from(e.finish().unwrap())
    }

    #[test]
    fn gzip_and_both_deflates_decode() {
        let data = br#"{"rule":"x"}"#;
        assert_eq!(&decode(Some("gzip"), gzip(data), 100).unwrap()[..], data);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(data).unwrap();
        let zlib = Bytes::from(z.finish().unwrap());
        assert_eq!(&decode(Some("deflate"), zlib, 100).unwrap()[..], data);
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        d.write_all(data).unwrap();
        let raw = Bytes::from(d.finish().unwrap());
        assert_eq!(&decode(Some("Deflate"), raw, 100).unwrap()[..], data);
        assert_eq!(
            &decode(None, Bytes::from_static(data), 100).unwrap()[..],
            data
        );
    }

    #[test]
    fn bombs_corrupt_and_unknown_encodings_are_refused() {
        // 64 MiB of zeros compress to about 64 KiB: refused at the limit, not inflated.
        let bomb = gzip(&vec![0u8; 64 << 20]);
        assert!(bomb.len() < 100_000);
        assert!(matches!(
            decode(Some("gzip"), bomb, 1 << 20),
            Err(BodyError::TooLarge(_))
        ));
        assert!(matches!(
            decode(Some("gzip"), Bytes::from_static(b"not gzip at all"), 100),
            Err(BodyError::Corrupt {
                encoding: "gzip",
                ..
            })
        ));
        assert!(matches!(
            decode(Some("br"), Bytes::from_static(b"x"), 100),
            Err(BodyError::Unsupported(e)) if e == "br"
        ));
    }
}
