//! The ingest listeners: the main port (plain HTTP, or TLS / mutual TLS with
//! `tlsserver.deploy`), the plain-HTTP side port serving the routes of
//! `tlsserver.notlspaths`, as falcosidekick does, and the Kubernetes audit webhook's own port
//! (`k8saudit.listenport`, with the main port's TLS).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use falconer_config::GlobalSettings;
use falconer_ingest::{
    router_for, serve, IngestState, Routes, ServeSettings, TlsFiles, TlsReloader,
};
use falconer_listen::ConnectionPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Bound listeners, ready to serve.
pub(crate) struct Listeners {
    main: TcpListener,
    main_routes: Routes,
    tls: Option<Arc<TlsReloader>>,
    side: Option<(TcpListener, Routes)>,
    audit: Option<TcpListener>,
}

async fn bind(ip: &str, port: u16) -> Result<TcpListener, String> {
    let addr: SocketAddr = format!("{ip}:{port}")
        .parse()
        .map_err(|e| format!("invalid listen address {ip}:{port}: {e}"))?;
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))
}

/// The audit webhook's route.
const AUDIT_PATH: &str = "/k8s-audit";

/// The audit webhook's own port, when `k8saudit` is on and names one.
async fn bind_audit(global: &GlobalSettings) -> Result<Option<TcpListener>, String> {
    let k8saudit = &global.k8saudit;
    if !k8saudit.enabled || k8saudit.listenport == 0 {
        return Ok(None);
    }
    let listener = bind(global.listen_ip(), k8saudit.listenport).await?;
    info!(
        port = k8saudit.listenport,
        tls = global.tlsserver.deploy,
        "Kubernetes audit webhook port up."
    );
    Ok(Some(listener))
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
                audit: bind_audit(global).await?,
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
            audit: bind_audit(global).await?,
        })
    }

    /// Serves every listener until `stop`, then drains them. The main and the side port
    /// share `pool`'s connection caps.
    pub(crate) async fn serve(
        self,
        state: Arc<IngestState>,
        settings: ServeSettings,
        pool: Arc<ConnectionPool>,
        stop: CancellationToken,
    ) {
        if let Some(tls) = &self.tls {
            tokio::spawn(tls.clone().watch(stop.clone()));
        }
        let audit = self.audit.map(|listener| {
            let routes = Routes::Only(vec![AUDIT_PATH.to_owned()]);
            serve(
                listener,
                router_for(state.clone(), &routes),
                pool.clone(),
                settings,
                self.tls.clone(),
                stop.clone(),
            )
        });
        let audit = async move {
            if let Some(audit) = audit {
                audit.await;
            }
        };
        let main = serve(
            self.main,
            router_for(state.clone(), &self.main_routes),
            pool.clone(),
            settings,
            self.tls,
            stop.clone(),
        );
        match self.side {
            None => {
                tokio::join!(main, audit);
            }
            Some((listener, routes)) => {
                let side = serve(
                    listener,
                    router_for(state, &routes),
                    pool,
                    settings,
                    None,
                    stop,
                );
                tokio::join!(main, side, audit);
            }
        }
    }
}
