//! Compact storage of an alert's JSON in both stores: zstd with a dictionary trained on the
//! store's own first alerts. Falco alerts repeat most of their bytes (field names, rule
//! texts, images, paths), so a 1 KB alert takes about a quarter of that, for a few µs.
//!
//! A body is either TEXT (the JSON as is: alerts stored before the dictionary existed, or by
//! an older Falconer) or a BLOB: the dictionary number (4 bytes, little-endian) and a zstd
//! frame (with its content size). Dictionaries are kept in the store and never change, so
//! every body stays readable.

use std::collections::HashMap;
use std::sync::Arc;

use zstd::zstd_safe::{self, CCtx, CDict, DCtx, DDict};

/// Alerts sampled before training the dictionary.
pub(crate) const TRAIN_SAMPLES: usize = 1_000;
/// Largest dictionary (bytes).
const DICT_BYTES: usize = 32 * 1024;
/// zstd level: fast, and the dictionary does most of the work.
const LEVEL: i32 = 1;
/// Bodies larger than this are not decompressed (corrupt sizes): the limit of a Falco alert
/// after Falconer's truncation is far lower.
const MAX_BODY: u64 = 64 << 20;

/// Why a body could not be read back.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CodecError {
    /// The body names a dictionary the store does not have.
    #[error("body compressed with unknown dictionary {0}")]
    UnknownDictionary(u32),
    /// The body is not a valid frame.
    #[error("corrupt body: {0}")]
    Corrupt(String),
}

thread_local! {
    /// Each thread's compression context (contexts are reused, never shared).
    static CCTX: std::cell::RefCell<CCtx<'static>> = std::cell::RefCell::new(CCtx::create());
}

/// A dictionary ready to compress with, shareable: bodies are compressed by the inserting
/// threads before the writer takes its lock.
#[derive(Clone)]
pub(crate) struct Compressor {
    id: u32,
    cdict: Arc<CDict<'static>>,
}

impl Compressor {
    /// The stored form of `json` (dictionary number, zstd frame), or `None` when zstd fails
    /// (the body is then stored as text).
    pub(crate) fn compress(&self, json: &[u8]) -> Option<Vec<u8>> {
        // zstd writes from the start of the buffer: the number goes in front afterwards.
        let mut frame = Vec::with_capacity(zstd_safe::compress_bound(json.len()));
        let done = CCTX.with(|c| {
            c.borrow_mut()
                .compress_using_cdict(&mut frame, json, &self.cdict)
        });
        match done {
            Ok(_) => {
                let mut out = Vec::with_capacity(4 + frame.len());
                out.extend_from_slice(&self.id.to_le_bytes());
                out.extend_from_slice(&frame);
                Some(out)
            }
            Err(code) => {
                tracing::warn!(code, "webui store: compression failed; body stored as text");
                None
            }
        }
    }
}

/// A dictionary trained from `samples` (alerts' JSON), or `None` when zstd finds none.
pub(crate) fn train(samples: &[Vec<u8>]) -> Option<Vec<u8>> {
    match zstd::dict::from_samples(samples, DICT_BYTES) {
        Ok(dict) => Some(dict),
        Err(e) => {
            tracing::warn!(error = %e, "webui store: no compression dictionary from these alerts; trying again later");
            None
        }
    }
}

/// The compressing side (the writer): the current dictionary, or samples towards one.
pub(crate) struct Encoder {
    current: Option<Compressor>,
    samples: Vec<Vec<u8>>,
    /// The samples were taken for training, which has not ended yet.
    training: bool,
}

fn compressor(id: u32, dict: &[u8]) -> Option<Compressor> {
    CDict::try_create(dict, LEVEL).map(|c| Compressor {
        id,
        cdict: Arc::new(c),
    })
}

impl Encoder {
    /// An encoder using dictionary `id` (bytes `dict`), or sampling when there is none.
    pub(crate) fn new(dict: Option<(u32, &[u8])>) -> Encoder {
        Encoder {
            current: dict.and_then(|(id, d)| compressor(id, d)),
            samples: Vec::new(),
            training: false,
        }
    }

    /// True when there is a dictionary to compress with.
    pub(crate) fn has_dictionary(&self) -> bool {
        self.current.is_some()
    }

    /// True when there is no dictionary yet, nor one being trained.
    pub(crate) fn wants_samples(&self) -> bool {
        self.current.is_none() && !self.training
    }

    /// Keeps a sample; returns true once there are enough to train.
    pub(crate) fn sample(&mut self, json: &[u8]) -> bool {
        if self.samples.len() < TRAIN_SAMPLES {
            self.samples.push(json.to_vec());
        }
        self.ready()
    }

    /// True when there is no dictionary and enough samples to train one.
    pub(crate) fn ready(&self) -> bool {
        self.wants_samples() && self.samples.len() >= TRAIN_SAMPLES
    }

    /// Trains a dictionary from the samples (they are dropped either way).
    pub(crate) fn train(&mut self) -> Option<Vec<u8>> {
        let samples = self.take_samples();
        self.training = false;
        train(&samples)
    }

    /// The samples, for training elsewhere (off an async runtime's threads): no more are
    /// taken until [`Encoder::use_dictionary`] or [`Encoder::training_failed`].
    pub(crate) fn take_samples(&mut self) -> Vec<Vec<u8>> {
        self.training = true;
        std::mem::take(&mut self.samples)
    }

    /// Training elsewhere gave no dictionary: sampling starts again.
    pub(crate) fn training_failed(&mut self) {
        self.training = false;
    }

    /// Starts using dictionary `id`.
    pub(crate) fn use_dictionary(&mut self, id: u32, dict: &[u8]) {
        self.current = compressor(id, dict);
        self.training = false;
    }

    /// The current dictionary, for compressing outside the writer.
    pub(crate) fn compressor(&self) -> Option<Compressor> {
        self.current.clone()
    }

    /// The stored form of `json`: compressed when there is a dictionary, else `None` (store
    /// the text).
    pub(crate) fn encode(&mut self, json: &[u8]) -> Option<Vec<u8>> {
        self.current.as_ref()?.compress(json)
    }
}

/// The decompressing side: dictionaries by number (shared by readers).
#[derive(Default)]
pub(crate) struct Dictionaries {
    by_id: HashMap<u32, Arc<DDict<'static>>>,
}

impl Dictionaries {
    /// Adds a dictionary.
    pub(crate) fn add(&mut self, id: u32, dict: &[u8]) {
        if let Some(d) = DDict::try_create(dict) {
            self.by_id.insert(id, Arc::new(d));
        }
    }

    /// True when dictionary `id` is here.
    pub(crate) fn has(&self, id: u32) -> bool {
        self.by_id.contains_key(&id)
    }

    /// The dictionary a compressed body needs.
    pub(crate) fn id_of(body: &[u8]) -> Option<u32> {
        body.get(..4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    }

    /// Decompresses a BLOB body.
    pub(crate) fn decode(&self, dctx: &mut DCtx<'_>, body: &[u8]) -> Result<String, CodecError> {
        let id = Self::id_of(body).ok_or_else(|| CodecError::Corrupt("short body".into()))?;
        let frame = &body[4..];
        let dict = self
            .by_id
            .get(&id)
            .ok_or(CodecError::UnknownDictionary(id))?;
        let size = zstd_safe::get_frame_content_size(frame)
            .map_err(|_| CodecError::Corrupt("no frame header".into()))?
            .filter(|n| *n <= MAX_BODY)
            .ok_or_else(|| CodecError::Corrupt("no or too large content size".into()))?;
        let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        dctx.decompress_using_ddict(&mut out, frame, dict)
            .map_err(|code| CodecError::Corrupt(format!("zstd error {code}")))?;
        String::from_utf8(out).map_err(|e| CodecError::Corrupt(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_a_trained_dictionary() {
        let alert = |n: usize| {
            format!(
                r#"{{"uuid":"{n:08x}-0000-4000-8000-000000000000","output":"12:00:{:02}.{n:09}: Notice A shell was spawned (user=root process=bash container_id={n:012x} image=docker.io/library/nginx)","priority":"Notice","rule":"Terminal shell in container","time":"2024-05-14T09:21:07.{n:09}Z","output_fields":{{"container.id":"{n:012x}","proc.name":"bash","evt.num":{n}}},"source":"syscall","tags":["container","shell"],"hostname":"node-{}"}}"#,
                n % 60,
                n % 17
            )
        };
        let mut enc = Encoder::new(None);
        assert!(enc.encode(b"{}").is_none());
        let mut ready = false;
        for n in 0..TRAIN_SAMPLES {
            ready = enc.sample(alert(n).as_bytes());
        }
        assert!(ready);
        let dict = enc.train().expect("a dictionary");
        enc.use_dictionary(7, &dict);
        let json = alert(123_456);
        let body = enc.encode(json.as_bytes()).expect("compressed");
        assert!(
            body.len() * 3 < json.len(),
            "{} of {}",
            body.len(),
            json.len()
        );
        let mut dicts = Dictionaries::default();
        let mut dctx = DCtx::create();
        assert!(matches!(
            dicts.decode(&mut dctx, &body),
            Err(CodecError::UnknownDictionary(7))
        ));
        dicts.add(7, &dict);
        assert_eq!(dicts.decode(&mut dctx, &body).expect("decoded"), json);
        assert!(dicts.decode(&mut dctx, &body[..10]).is_err());
    }
}
