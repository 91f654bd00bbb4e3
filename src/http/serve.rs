//! Serving the API where it cannot slow the drill down: on a thread of its own with its own single-threaded
//! runtime at a lower scheduling priority, under a cap on open connections, its answers computed one at a time
//! on the evaluator thread (`api.rs`). A wall of dashboards then takes at most the API's two threads' share of
//! the CPU, and never a worker of the host's runtime, where the drill and the responders' connections run.
//!
//! The API listens on ports of its own (`wom play --prometheus`, `wom resume --prometheus`) and takes the
//! connections a host hands it from the host's own port ([`SharedPort`]): a connection whose first request
//! line asks for `/api/…` is the API's from its first byte to its last, everything else stays the host's.

use super::api::Api;
use super::live::LiveSeries;
use axum::serve::Listener;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

/// Most API connections open at once; more wait in the kernel's backlog (or the host's hand-over queue)
/// until one closes. With one request in flight per HTTP/1.1 connection this also bounds the evaluator's queue.
pub const MAX_API_CONNECTIONS: usize = 128;
/// Connections handed over and not yet taken by the API's thread.
const HANDOVER_QUEUE: usize = 64;
/// How long a new connection on the host's port has to send its request line before it counts as the host's.
const SNIFF_TIMEOUT: Duration = Duration::from_secs(10);
/// Niceness of the API's threads: the drill's thread and the host's workers win the CPU whenever both want it.
const API_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority (Linux schedules threads, so the rest of the process keeps
/// its own).
pub(crate) fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with `who` 0 changes only the calling thread's nice value; no memory is touched.
    unsafe {
        let _ = libc::setpriority(libc::PRIO_PROCESS as _, 0, API_NICE);
    }
}

/// The API on its own thread, serving its own ports and the connections handed to it, until dropped.
pub struct ApiServer {
    api: Api,
    addr: SocketAddr,
    handover: mpsc::Sender<std::net::TcpStream>,
    runtime: tokio::runtime::Handle,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ApiServer {
    /// Serves the API over `live` on `listener` (bound by the caller, so a busy address is found before
    /// anything else starts).
    pub fn start(listener: std::net::TcpListener, live: Arc<LiveSeries>) -> io::Result<ApiServer> {
        let mut server = ApiServer::new(live)?;
        server.addr = server.listen(listener)?;
        Ok(server)
    }

    /// The API over `live` on its own thread, with no port yet: it serves the connections handed to it
    /// ([`SharedPort`]) and the ports given to [`ApiServer::listen`].
    pub fn new(live: Arc<LiveSeries>) -> io::Result<ApiServer> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let handle = runtime.handle().clone();
        let (handover, handed) = mpsc::channel(HANDOVER_QUEUE);
        let (shutdown, stop) = oneshot::channel::<()>();
        let api = Api::new(live);
        let app = api.clone().router();
        let thread = std::thread::Builder::new().name("prometheus-api".into()).spawn(move || {
            lower_priority();
            runtime.block_on(async move {
                let incoming = Incoming { handed, slots: Arc::new(Semaphore::new(MAX_API_CONNECTIONS)) };
                let served = axum::serve(incoming, app).with_graceful_shutdown(async {
                    let _ = stop.await;
                });
                if let Err(e) = served.await {
                    tracing::error!(error = %e, "the Prometheus API stopped");
                }
            });
        })?;
        let addr = SocketAddr::from(([0, 0, 0, 0], 0));
        Ok(ApiServer { api, addr, handover, runtime: handle, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// Serves the API on `listener` as well; the address it listens on.
    pub fn listen(&mut self, listener: std::net::TcpListener) -> io::Result<SocketAddr> {
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let handover = self.handover.clone();
        self.runtime.spawn(async move {
            let listener = match TcpListener::from_std(listener) {
                Ok(l) => l,
                Err(e) => return tracing::error!(error = %e, "the Prometheus API cannot listen"),
            };
            loop {
                let tcp = match listener.accept().await {
                    Ok((tcp, _)) => tcp,
                    Err(e) => {
                        accept_failed(e).await;
                        continue;
                    }
                };
                let Ok(tcp) = tcp.into_std() else { continue };
                if handover.send(tcp).await.is_err() {
                    return;
                }
            }
        });
        Ok(addr)
    }

    /// The address of the port given to [`ApiServer::start`] (`0.0.0.0:0` when it has none).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The series it serves.
    pub fn live(&self) -> Arc<LiveSeries> {
        self.api.live()
    }

    /// The API's routes, sharing its evaluator, for a router that may get a stray API request (the host's,
    /// on a connection that began with something else).
    pub fn router(&self) -> axum::Router {
        self.api.clone().router()
    }

    /// Shares the host's listening socket with the API (must be called inside the host's runtime).
    pub fn share(&self, listener: TcpListener) -> io::Result<SharedPort> {
        let local = listener.local_addr()?;
        let (own, mine) = mpsc::channel(HANDOVER_QUEUE);
        let handover = self.handover.clone();
        let accepting = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        accept_failed(e).await;
                        continue;
                    }
                };
                // No Nagle delay: a command's answer goes out as several small frames, and waiting for the
                // peer's delayed ACK between them added ~40 ms to every round trip.
                let _ = tcp.set_nodelay(true);
                let (own, handover) = (own.clone(), handover.clone());
                tokio::spawn(async move {
                    if asks_for_the_api(&tcp).await {
                        if let Ok(tcp) = tcp.into_std() {
                            let _ = handover.send(tcp).await;
                        }
                    } else {
                        let _ = own.send((tcp, peer)).await;
                    }
                });
            }
        });
        Ok(SharedPort { mine, local, accepting })
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

/// What axum's own listener does with a failed `accept`: a connection-level error is the peer's and is
/// skipped; anything else (out of file descriptors) waits a moment before trying again.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    tracing::warn!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Whether a new connection's first request line asks for `/api/…`, read without consuming a byte. A
/// connection that says nothing in time, or closes, is left to the host.
async fn asks_for_the_api(tcp: &TcpStream) -> bool {
    let deadline = tokio::time::Instant::now() + SNIFF_TIMEOUT;
    let mut buf = [0u8; 32];
    loop {
        let seen = match tokio::time::timeout_at(deadline, tcp.peek(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => &buf[..n],
            _ => return false,
        };
        match request_target(seen) {
            Some(api) => return api,
            None if seen.len() == buf.len() => return false,
            // Only part of the request line has arrived: look again once more may have.
            None => tokio::time::sleep(Duration::from_millis(2)).await,
        }
    }
}

/// From the first bytes of a connection: `Some(true)` when the request target begins `/api/`, `Some(false)`
/// when it cannot, `None` when too little has arrived to tell.
fn request_target(seen: &[u8]) -> Option<bool> {
    const API: &[u8] = b"/api/";
    let Some(space) = seen.iter().position(|&b| b == b' ') else {
        // A method is a short token; anything longer is not HTTP the API speaks.
        return (seen.len() > 16 || !seen.iter().all(u8::is_ascii_uppercase)).then_some(false);
    };
    let target = &seen[space + 1..];
    if target.len() >= API.len() {
        Some(target.starts_with(API))
    } else if API.starts_with(target) {
        None
    } else {
        Some(false)
    }
}

/// The host's port seen by the host's server: every connection but those handed to the API.
pub struct SharedPort {
    mine: mpsc::Receiver<(TcpStream, SocketAddr)>,
    local: SocketAddr,
    accepting: tokio::task::JoinHandle<()>,
}

impl Listener for SharedPort {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        match self.mine.recv().await {
            Some(accepted) => accepted,
            // The accepting task is gone (the host is stopping): nothing more comes.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

impl Drop for SharedPort {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

/// The connections the API's thread serves: those handed over, each holding one of the capped slots.
struct Incoming {
    handed: mpsc::Receiver<std::net::TcpStream>,
    slots: Arc<Semaphore>,
}

impl Listener for Incoming {
    type Io = Held;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Held, SocketAddr) {
        loop {
            // The semaphore is never closed; the permit goes back when the connection ends.
            let Ok(slot) = self.slots.clone().acquire_owned().await else { return std::future::pending().await };
            let Some(tcp) = self.handed.recv().await else { return std::future::pending().await };
            let tcp = match tcp.set_nonblocking(true).and_then(|()| TcpStream::from_std(tcp)) {
                Ok(tcp) => tcp,
                Err(e) => {
                    tracing::warn!(error = %e, "a connection handed to the Prometheus API was lost");
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let peer = tcp.peer_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
            return (Held { tcp, _slot: slot }, peer);
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::from(([0, 0, 0, 0], 0)))
    }
}

/// A connection holding its slot until it closes.
struct Held {
    tcp: TcpStream,
    _slot: OwnedSemaphorePermit,
}

impl AsyncRead for Held {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Held {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::request_target;

    #[test]
    fn the_request_line_tells_api_connections_from_the_host_s() {
        assert_eq!(request_target(b"GET /api/v1/query?query=up HTTP/1.1\r\n"), Some(true));
        assert_eq!(request_target(b"POST /api/v1/query_range HTTP/1.1\r\n"), Some(true));
        assert_eq!(request_target(b"GET /ws HTTP/1.1\r\nUpgrade: websocket"), Some(false));
        assert_eq!(request_target(b"GET / HTTP/1.1\r\n"), Some(false));
        assert_eq!(request_target(b"GET /apix HTTP/1.1"), Some(false));
        // Too little to tell yet.
        assert_eq!(request_target(b"GE"), None);
        assert_eq!(request_target(b"GET /ap"), None);
        // Not HTTP at all.
        assert_eq!(request_target(b"\x16\x03\x01\x02\x00"), Some(false));
        assert_eq!(request_target(b"AAAAAAAAAAAAAAAAAAAAAAAAA"), Some(false));
    }
}
