//! Any bytes a client can send to the ingest port, through the same connection handling
//! every listener uses (HTTP/1 request heads and bodies, the HTTP/2 preface and frames,
//! chunked and compressed bodies) into the real ingest routes. Nothing may panic or hang:
//! the client half-closes after its bytes and the server must finish within the deadlines.

#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use falconer_core::{DeadLetters, Dispatcher, LogThrottle};
use falconer_event::{EnrichSettings, Enricher};
use falconer_ingest::{router, IngestLimits, IngestState};
use falconer_listen::{serve_stream, ListenSettings};
use falconer_metrics::Metrics;
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SETTINGS: ListenSettings = ListenSettings {
    header_timeout: Duration::from_secs(1),
    idle_timeout: Duration::from_secs(2),
    drain_timeout: Duration::from_secs(1),
};

struct Fixture {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // Paused time: the deadlines pass as soon as nothing else can run.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime");
        let app = runtime.block_on(async {
            let (metrics, _) = Metrics::new(&[]).expect("metrics");
            let metrics = Arc::new(metrics);
            let dead = DeadLetters::disabled(metrics.dead_letter_write_errors().clone());
            let dispatcher = Dispatcher::launch(Vec::new(), &metrics, dead, std::path::Path::new("unused"))
                .expect("dispatcher");
            let enricher = Enricher::new(&EnrichSettings {
                custom_fields: vec![("environment".into(), "fuzz".into())],
                custom_tags: Vec::new(),
                templated_fields: Vec::new(),
                bracket_replacer: String::new(),
                output_field_format: String::new(),
            })
            .expect("enricher");
            router(Arc::new(IngestState {
                dispatcher: Arc::new(dispatcher),
                enricher: Arc::new(enricher).into(),
                metrics,
                limits: IngestLimits {
                    max_body_bytes: 64 * 1024,
                    body_timeout: Duration::from_secs(1),
                },
                debug: false,
                refusal_log: LogThrottle::new(1000),
                token: None,
                rate_limit: None,
                k8saudit: None,
                reload: None,
            }))
        });
        Fixture { runtime, app }
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let data = data.to_vec();
    let app = fixture.app.clone();
    fixture.runtime.block_on(async move {
        let (client, server) = tokio::io::duplex(16 * 1024);
        let served = tokio::spawn(serve_stream(server, app, SETTINGS));
        let (mut read, mut write) = tokio::io::split(client);
        let send = async move {
            let _ = write.write_all(&data).await;
            let _ = write.shutdown().await;
        };
        let receive = async move {
            let mut answer = Vec::new();
            let _ = read.read_to_end(&mut answer).await;
        };
        let finished = tokio::time::timeout(Duration::from_secs(60), async {
            tokio::join!(send, receive);
            let _ = served.await;
        })
        .await;
        assert!(finished.is_ok(), "the connection outlived every deadline");
    });
});
