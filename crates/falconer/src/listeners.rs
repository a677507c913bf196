//! The ingest listeners: the main port (plain HTTP, or TLS / mutual TLS with
//! `tlsserver.deploy`), and the plain-HTTP side port serving the routes of
//! `tlsserver.notlspaths`, as falcosidekick does.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use falconer_config::GlobalSettings;
use falconer_ingest::{
    router_for, serve, IngestState, Routes, ServeSettings, TlsFiles, TlsReloader,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Bound listeners, ready to serve.
pub(crate) struct Listeners {
    main: TcpListener,
    main_routes: Routes,
    tls: Option<Arc<TlsReloader>>,
    side: Option<(TcpListener, Routes)>,
}

async fn bind(ip: &str, port: u16) -> Result<TcpListener, String> {
    let addr: SocketAddr = format!("{ip}:{port}")
        .parse()
        .map_err(|e| format!("invalid listen address {ip}:{port}: {e}"))?;
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))
}

impl Listeners {
    /// Loads the TLS material (when deployed) and binds the ports.
    pub(crate) async fn bind(global: &GlobalSettings) -> Result<Listeners, String> {
        let ip = global.listen_ip();
        let t = &global.tlsserver;
        if !t.deploy {
            if t.mutualtls || !t.notlspaths.is_empty() {
                warn!("tlsserver.mutualtls and tlsserver.notlspaths apply only with tlsserver.deploy: true.");
            }
            let main = bind(ip, global.listenport).await?;
            info!(addr = %ip, port = global.listenport, tls = false, "Falconer is up.");
            return Ok(Listeners {
                main,
                main_routes: Routes::All,
                tls: None,
                side: None,
            });
        }
        let files = TlsFiles {
            cert: PathBuf::from(&t.certfile),
            key: PathBuf::from(&t.keyfile),
            client_ca: t.mutualtls.then(|| PathBuf::from(&t.cacertfile)),
            reload_interval: t.reloadinterval.0,
        };
        let tls = TlsReloader::load(files).map_err(|e| format!("tlsserver: {e}"))?;
        let main = bind(ip, global.listenport).await?;
        let (main_routes, side) = if t.notlspaths.is_empty() {
            (Routes::All, None)
        } else {
            let side = bind(ip, t.notlsport).await?;
            info!(port = t.notlsport, paths = ?t.notlspaths, "Plain-HTTP side port up.");
            (
                Routes::AllBut(t.notlspaths.clone()),
                Some((side, Routes::Only(t.notlspaths.clone()))),
            )
        };
        info!(
            addr = %ip,
            port = global.listenport,
            tls = true,
            mutualtls = t.mutualtls,
            "Falconer is up."
        );
        Ok(Listeners {
            main,
            main_routes,
            tls: Some(tls),
            side,
        })
    }

    /// Serves every listener until `stop`, then drains them.
    pub(crate) async fn serve(
        self,
        state: Arc<IngestState>,
        settings: ServeSettings,
        stop: CancellationToken,
    ) {
        if let Some(tls) = &self.tls {
            tokio::spawn(tls.clone().watch(stop.clone()));
        }
        let main = serve(
            self.main,
            router_for(state.clone(), &self.main_routes),
            settings,
            self.tls,
            stop.clone(),
        );
        match self.side {
            None => main.await,
            Some((listener, routes)) => {
                let side = serve(listener, router_for(state, &routes), settings, None, stop);
                tokio::join!(main, side);
            }
        }
    }
}
