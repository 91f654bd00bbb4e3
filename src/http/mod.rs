//! Prometheus's HTTP API on a live drill, so a team can bring `promtool` and Grafana to it
//! (`docs/grafana.md`).
//!
//! The drill's thread publishes its volunteer-visible series after every input ([`Publisher`], `live.rs`);
//! the API answers from the newest snapshot, never holding the drill (`api.rs`), with parameters and errors as
//! Prometheus reads and writes them (`params.rs`) and answers in its JSON (`json.rs`).
//!
//! Its clock is the drill's: at each request the drill's current simulated time is mapped onto the wall
//! clock's now, so the samples of the last simulated hour carry the timestamps of the last wall-clock hour and
//! an instant query without a time sees the drill's present. Nothing later than that present exists yet, so
//! nothing from the simulated future can be served.

pub mod api;
pub mod json;
mod live;
pub mod params;

pub use api::{Api, Endpoint, PROMETHEUS_VERSION, Success, wall_now};
pub use live::{LiveSeries, MetricMetadata, Published, Publisher, Snapshot, WallClockView};
pub use params::{ApiError, Params};

use std::net::SocketAddr;
use std::sync::Arc;

/// The API served on its own port, on a thread of its own, until dropped.
pub struct ApiServer {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ApiServer {
    /// Serves the API over `live` on `listener` (bound by the caller, so a busy address is found before
    /// anything else starts) from a background thread.
    pub fn start(listener: std::net::TcpListener, live: Arc<LiveSeries>) -> std::io::Result<ApiServer> {
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name("prometheus-api".into()).spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => return tracing::error!(error = %e, "the Prometheus API cannot listen"),
                };
                let app = Api::new(live).router();
                let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                let served = axum::serve(listener, app).with_graceful_shutdown(async {
                    let _ = stop.await;
                });
                if let Err(e) = served.await {
                    tracing::error!(error = %e, "the Prometheus API stopped");
                }
            });
        })?;
        Ok(ApiServer { addr, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Graceful shutdown waits for open connections (a Grafana keeps one alive); do not hold up the exit.
        drop(self.thread.take());
    }
}
