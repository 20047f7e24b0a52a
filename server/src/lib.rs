//! The hazardsnap server (隐患随手拍 服务端), as a library so that tests and benchmarks can run
//! it in-process on port 0; `main.rs` is only the command line around it.
//!
//! Layout: [`state`] (configuration and the typed [`AppState`], whose `ledger` is the
//! `hazardsnap-ledger` service: every rule, over a repository), [`sqlite`] (the embedded
//! repository backend), [`photos`] (photo storage and upload staging), [`routes`] (the HTTP
//! surface: it only translates), [`auth`] (tokens), [`client`] (client addresses, kept only as
//! keyed hashes, and the request limit per address), [`quota`] (the per-device photo quota),
//! [`org`] (roster import and the demo district), [`error`] (the one error type of the HTTP
//! layer), [`clock`] (where "now" comes from).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = hazardsnap_server::Config::new();
//! config.listen = "127.0.0.1:0".parse()?;
//! let server = hazardsnap_server::Server::bind(config).await?;
//! println!("listening on http://{}", server.local_addr());
//! server.run(hazardsnap_server::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

pub mod auth;
pub mod backup;
pub mod client;
pub mod clock;
pub mod config_file;
pub mod demo;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod migrate;
pub mod openapi;
pub mod org;
pub mod photos;
pub mod photos_s3;
pub mod postgres;
pub mod quota;
pub mod routes;
pub mod sqlite;
mod sqltext;
pub mod state;
pub mod throttle;
pub mod web;
pub mod webhooks;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

pub use routes::router;
pub use state::{AppState, Config, StartError};

/// A server bound to its address, not yet serving.
pub struct Server {
    listener: tokio::net::TcpListener,
    state: AppState,
}

impl Server {
    /// Opens the data folder and binds the listener (port 0 picks a free port).
    pub async fn bind(config: Config) -> Result<Server, StartError> {
        let listen = config.listen;
        let state = AppState::open(config)?;
        Server::bind_state(state, listen).await
    }

    /// Binds an already assembled state.
    pub async fn bind_state(state: AppState, listen: SocketAddr) -> Result<Server, StartError> {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| StartError::Io {
                path: listen.to_string(),
                source,
            })?;
        Ok(Server { listener, state })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        // A bound TCP listener always has a local address; fall back to the unspecified one
        // rather than panic.
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// The state, e.g. to reach the ledger from a test.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets running requests finish.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let limiter = self.state.device_limiter.clone();
        let clients = self.state.client_limiter.clone();
        let staging = self.state.staging.clone();
        let ttl = self.state.config.partial_upload_ttl;
        // Housekeeping: the keyed limiters remember every token and client key they saw, and
        // phones that never came back leave partial uploads; forget them now and then.
        let sweeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(600));
            loop {
                tick.tick().await;
                limiter.retain_recent();
                clients.retain_recent();
                match staging.sweep(ttl).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(removed = n, "stale partial uploads removed"),
                    Err(e) => tracing::warn!(error = %e, "cannot sweep partial uploads"),
                }
            }
        });
        let webhooks = self
            .state
            .config
            .webhook
            .clone()
            .map(|t| tokio::spawn(crate::webhooks::run(self.state.clone(), t)));
        let app = router(self.state);
        // The peer address is read in one place only, `client::limit_per_client`, which
        // replaces it by its keyed hash before any handler runs; it is never logged or stored.
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        sweeper.abort();
        if let Some(w) = webhooks {
            w.abort();
        }
        served
    }
}

/// The server's log filter: `spec` in the syntax of `RUST_LOG` (default, and when it does not
/// parse: `info`), with what would write a client's address held below the level where it
/// does: axum's accept loop names each connection's peer at TRACE. A client's address reaches
/// no log at any level an operator may choose (`server/tests/upload_hardening.rs` checks it
/// at `trace`).
pub fn log_filter(spec: Option<&str>) -> tracing_subscriber::EnvFilter {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::filter::Directive;
    let filter = spec
        .and_then(|s| EnvFilter::try_new(s).ok())
        .unwrap_or_else(|| EnvFilter::new("info,tower_http=info"));
    // The most specific directive wins, and one for the same target replaces the operator's.
    match "axum::serve=debug".parse::<Directive>() {
        Ok(quiet) => filter.add_directive(quiet),
        Err(_) => filter,
    }
}

/// Completes on ctrl-c or SIGTERM. The handlers are installed when this is called, not when
/// the future is first polled, so a signal that arrives while the server is still starting is
/// not lost (it would otherwise kill the process outright). Call it inside a tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let streams = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        )
    };
    async move {
        #[cfg(unix)]
        {
            match streams {
                (Ok(mut int), Ok(mut term)) => {
                    tokio::select! {
                        _ = int.recv() => {},
                        _ = term.recv() => {},
                    }
                }
                (int, term) => {
                    tracing::warn!(
                        sigint = int.is_ok(),
                        sigterm = term.is_ok(),
                        "cannot listen for signals; falling back to ctrl-c"
                    );
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing running requests");
    }
}
