//! Bodies of the PostgreSQL store: each alert's JSON compressed by Falconer with a zstd
//! dictionary ([`crate::store::codec`]) that the replicas share through `<table>_zdict`, and
//! read back.

use deadpool_postgres::GenericClient;
use zstd::zstd_safe::DCtx;

use super::PgStore;
use crate::event::Row;
use crate::store::codec::{self, CodecError, Encoder};
use crate::store::StoreError;

/// The stored form of a batch's bodies, one of the two per row.
#[derive(Default)]
pub(super) struct Bodies {
    /// The JSON as text (no dictionary yet, or compression failed), else empty.
    pub(super) text: Vec<String>,
    /// Compressed ([`crate::store::codec`]).
    pub(super) compressed: Vec<Option<Vec<u8>>>,
}

impl PgStore {
    pub(super) fn encoder(&self) -> Result<std::sync::MutexGuard<'_, Encoder>, StoreError> {
        self.encoder
            .lock()
            .map_err(|_| StoreError::Task("encoder poisoned".into()))
    }

    /// Reads the stored dictionaries over `client` (the caller's connection: a second one
    /// could wait for a pool the caller helps fill): all for reading, and the first one for
    /// writing when this handle has none (so replicas compress alike).
    pub(super) async fn load_dictionaries<C: GenericClient>(
        &self,
        client: &C,
    ) -> Result<(), StoreError> {
        let rows = client
            .query(
                &format!("SELECT id, dict FROM {}_zdict ORDER BY id", self.table),
                &[],
            )
            .await?;
        let mut first: Option<(u32, Vec<u8>)> = None;
        {
            let mut dicts = self
                .dicts
                .write()
                .map_err(|_| StoreError::Task("dictionaries poisoned".into()))?;
            for r in &rows {
                let (id, dict): (i32, Vec<u8>) = (r.get(0), r.get(1));
                let Ok(id) = u32::try_from(id) else { continue };
                if !dicts.has(id) {
                    dicts.add(id, &dict);
                }
                if first.is_none() {
                    first = Some((id, dict));
                }
            }
        }
        if let Some((id, dict)) = first {
            let mut encoder = self.encoder()?;
            if !encoder.has_dictionary() {
                encoder.use_dictionary(id, &dict);
            }
        }
        Ok(())
    }

    /// Trains a dictionary from `samples` (on the blocking pool) and stores it, unless
    /// another replica stored one first: then that one is used. Best effort: on failure
    /// sampling starts again, and the batch is stored with text bodies.
    pub(super) async fn train(&self, client: &deadpool_postgres::Object, samples: Vec<Vec<u8>>) {
        let started = std::time::Instant::now();
        let result = async {
            let trained = tokio::task::spawn_blocking(move || codec::train(&samples))
                .await
                .map_err(|e| StoreError::Task(e.to_string()))?;
            let Some(dict) = trained else {
                return Ok(None);
            };
            // One replica at a time stores a dictionary, and only when none is there.
            let lock_key = format!("falconer-webui-zdict:{}", self.table);
            client
                .execute("SELECT pg_advisory_lock(hashtext($1))", &[&lock_key])
                .await?;
            let stored = async {
                let existing = client
                    .query_opt(&format!("SELECT id FROM {}_zdict LIMIT 1", self.table), &[])
                    .await?;
                if existing.is_some() {
                    return Ok::<_, StoreError>(None);
                }
                let id: i32 = client
                    .query_one(
                        &format!(
                            "INSERT INTO {}_zdict (dict) VALUES ($1) RETURNING id",
                            self.table
                        ),
                        &[&dict],
                    )
                    .await?
                    .get(0);
                Ok(Some((id, dict.len())))
            }
            .await;
            let unlocked = client
                .execute("SELECT pg_advisory_unlock(hashtext($1))", &[&lock_key])
                .await;
            let stored = stored?;
            unlocked?;
            self.load_dictionaries(client).await?;
            Ok::<_, StoreError>(stored)
        }
        .await;
        match result {
            Ok(Some((id, bytes))) => tracing::info!(
                id,
                bytes,
                ms = started.elapsed().as_millis() as u64,
                "webui store: compression dictionary trained"
            ),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "webui store: no compression dictionary yet; bodies stay text and training starts again");
            }
        }
        if let Ok(mut encoder) = self.encoder() {
            if !encoder.has_dictionary() {
                encoder.training_failed();
            }
        }
    }

    /// The stored form of each row's JSON: compressed (`zbody`, with an empty `body`) when
    /// there is a dictionary, else the text (`body`), sampled towards one.
    pub(super) async fn bodies(
        &self,
        client: &deadpool_postgres::Object,
        rows: &[Row<'_>],
    ) -> Result<Bodies, StoreError> {
        let (compressor, samples) = {
            let mut encoder = self.encoder()?;
            if encoder.wants_samples() {
                for r in rows {
                    encoder.sample(&r.json);
                }
            }
            let samples = encoder.ready().then(|| encoder.take_samples());
            (encoder.compressor(), samples)
        };
        let mut out = Bodies::default();
        for r in rows {
            match compressor.as_ref().and_then(|c| c.compress(&r.json)) {
                Some(z) => {
                    out.text.push(String::new());
                    out.compressed.push(Some(z));
                }
                None => {
                    out.text.push(String::from_utf8_lossy(&r.json).into_owned());
                    out.compressed.push(None);
                }
            }
        }
        if let Some(samples) = samples {
            self.train(client, samples).await;
        }
        Ok(out)
    }

    /// The JSON of a stored body (`zbody` compressed, else the `body` text), reading the
    /// dictionaries again over `client` when it names one this handle does not know (another
    /// replica's).
    pub(super) async fn json<C: GenericClient>(
        &self,
        client: &C,
        dctx: &mut DCtx<'_>,
        text: Option<&str>,
        compressed: Option<&[u8]>,
    ) -> Result<String, StoreError> {
        let Some(z) = compressed else {
            return Ok(text.unwrap_or_default().to_owned());
        };
        for attempt in 0..2 {
            let decoded = self
                .dicts
                .read()
                .map_err(|_| StoreError::Task("dictionaries poisoned".into()))?
                .decode(dctx, z);
            match decoded {
                Ok(json) => return Ok(json),
                Err(CodecError::UnknownDictionary(_)) if attempt == 0 => {
                    self.load_dictionaries(client).await?;
                }
                Err(e) => return Err(StoreError::Corrupt(e.to_string())),
            }
        }
        Err(StoreError::Corrupt("unknown dictionary".into()))
    }
}
