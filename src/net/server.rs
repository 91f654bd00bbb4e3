//! The host: one task owns the synchronous `Drill` (commands in, events out); an axum server on one port
//! accepts participants over a WebSocket, one handler task per connection, under a connection cap.
//!
//! A connection's trouble (a wrong code, a malformed, unknown or oversize frame, an observer sending a
//! command, a client too slow to keep up, a client that vanished) is logged and ends that connection only;
//! the drill and everyone else go on, and nothing recorded is lost.

use super::protocol::{
    ClientFrame, FiveWQuestion, Item, MAX_FRAME_BYTES, PROTOCOL_VERSION, ServerFrame, View, WS_PATH,
};
use crate::journal::{FeedDrill, JournalError};
use crate::session::{Drill, DrillEvent, DrillInput, EventKind, volunteer_view};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Most participants connected at once (responders and observers).
pub const MAX_CONNECTIONS: usize = 512;
/// Frames queued for one participant before it counts as too slow and is disconnected.
const QUEUE_PER_PARTICIPANT: usize = 4096;
/// How long a new connection has to say `Hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long stopping the host waits for open connections to get their last frames.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// How often real-time mode moves the clock.
const WALL_TICK: Duration = Duration::from_millis(250);

/// How to host a drill.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// Address to listen on (port 0 picks a free one).
    pub listen: SocketAddr,
    /// The join code responders and observers must give.
    pub code: String,
    /// Events already shown before this host started (a resumed drill's history): participants get them on
    /// joining, but the GM console's feed starts after them.
    pub shown: usize,
}

/// A random join code with 80 bits of entropy, in five groups of four hex digits.
pub fn new_join_code() -> String {
    let bits: [u16; 5] = rand::random();
    bits.iter().map(|b| format!("{b:04x}")).collect::<Vec<_>>().join("-")
}

/// A request to the task that owns the drill.
enum Request<D> {
    Join {
        name: String,
        observer: bool,
        reply: oneshot::Sender<Result<Joined, Refusal>>,
    },
    Line {
        id: u64,
        text: String,
    },
    /// Which of the 5 Ws are not recorded yet: answered on the participant's own queue.
    FiveWs {
        id: u64,
    },
    Leave {
        id: u64,
        reason: String,
    },
    Gm {
        line: String,
        reply: oneshot::Sender<()>,
    },
    Finish {
        reply: oneshot::Sender<Stopped<D>>,
    },
}

/// A hosted drill handed back when the host stops.
pub struct Stopped<D> {
    /// The drill (with its journal, when it has one), for the score and the debrief.
    pub drill: D,
    /// The journal could not be written: the drill stopped there, its journal intact up to the failure.
    pub journal_failed: Option<JournalError>,
}

struct Joined {
    id: u64,
    observer: bool,
    frames: mpsc::Receiver<ServerFrame>,
}

/// A running host: its address, the GM's handle on the drill, and the feed of every event for the console.
/// The drill is a plain [`Drill`] or one that journals every input before its output is shown.
pub struct Host<D = Drill> {
    addr: SocketAddr,
    requests: mpsc::Sender<Request<D>>,
    /// Every event the drill records, hidden ones included, for the GM console.
    pub feed: mpsc::UnboundedReceiver<DrillEvent>,
    server: tokio::task::JoinHandle<()>,
    /// One permit per connection not open: all back means every connection has ended.
    slots: Arc<Semaphore>,
    /// Prometheus's HTTP API over the drill's series, on its own thread.
    api: crate::http::ApiServer,
}

impl<D: FeedDrill + Send + 'static> Host<D> {
    /// Binds the address, starts the drill task and the server; returns once both are listening.
    pub async fn start(drill: D, config: HostConfig) -> std::io::Result<Host<D>> {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let (requests, rx) = mpsc::channel(1024);
        let (feed_tx, feed) = mpsc::unbounded_channel();
        // The history before anyone joined goes to the console too (a resumed drill's only from where it was).
        for event in drill.drill().events().iter().skip(config.shown) {
            let _ = feed_tx.send(event.clone());
        }
        let scenario = Arc::new(drill.drill().scenario().clone());
        // Prometheus's HTTP API on the same port, over the series the drill task publishes after each input,
        // served on its own thread: connections asking for `/api/` are handed to it as they arrive.
        let prometheus = crate::http::Publisher::new(drill.drill().sim());
        let api = crate::http::ApiServer::new(prometheus.live())?;
        let listener = api.share(listener)?;
        tokio::spawn(drive(drill, rx, feed_tx, prometheus));
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let shared = Arc::new(Shared { code: config.code, scenario, requests: requests.clone(), slots: slots.clone() });
        let app = axum::Router::new()
            .route(WS_PATH, get(upgrade))
            .route("/", get(|| async { "wom drill host: participants connect with `wom join`\n" }))
            .with_state(shared)
            .merge(api.router());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "server stopped");
            }
        });
        tracing::info!(%addr, "hosting");
        Ok(Host { addr, requests, feed, server, slots, api })
    }

    /// The address participants connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Prometheus API serving the drill's series on the host's port; [`crate::http::ApiServer::listen`]
    /// serves it on another port too.
    pub fn prometheus(&mut self) -> &mut crate::http::ApiServer {
        &mut self.api
    }

    /// Runs a GM console line; its events arrive on [`Host::feed`] before this returns.
    pub async fn gm(&self, line: &str) {
        let (reply, done) = oneshot::channel();
        if self.requests.send(Request::Gm { line: line.to_string(), reply }).await.is_ok() {
            let _ = done.await;
        }
    }

    /// Stops serving and hands back the drill (for the score and the debrief). Connections still open get
    /// what was queued for them (the drill's end above all) and are closed, for at most [`CLOSE_GRACE`].
    pub async fn finish(self) -> Option<Stopped<D>> {
        let (reply, drill) = oneshot::channel();
        self.requests.send(Request::Finish { reply }).await.ok()?;
        let drill = drill.await.ok();
        // The drill task has dropped every participant's queue: each connection sends what is left and ends.
        let deadline = tokio::time::Instant::now() + CLOSE_GRACE;
        while self.slots.available_permits() < MAX_CONNECTIONS && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.server.abort();
        drill
    }
}

struct Shared<D> {
    code: String,
    /// For completing what responders type (the same completion as the solo REPL's).
    scenario: Arc<crate::scenario::Scenario>,
    requests: mpsc::Sender<Request<D>>,
    slots: Arc<Semaphore>,
}

struct Participant {
    name: String,
    observer: bool,
    frames: mpsc::Sender<ServerFrame>,
}

/// The drill's one owner: takes requests in order, feeds the drill (which journals each input before
/// anything is shown), sends each participant its view.
async fn drive<D: FeedDrill>(
    mut drill: D,
    mut requests: mpsc::Receiver<Request<D>>,
    feed: mpsc::UnboundedSender<DrillEvent>,
    mut prometheus: crate::http::Publisher,
) {
    let mut feed = Some(feed);
    let mut people: BTreeMap<u64, Participant> = BTreeMap::new();
    let mut next_id = 0u64;
    let mut over_sent = false;
    let mut failed: Option<JournalError> = None;
    let mut wall = tokio::time::interval(WALL_TICK);
    wall.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_wall = Instant::now();
    loop {
        let input = tokio::select! {
            request = requests.recv() => {
                let Some(request) = request else { return };
                match request {
                    Request::Join { name, observer, reply } => {
                        let joined = admit(drill.drill(), &mut people, &mut next_id, name, observer);
                        let _ = reply.send(joined);
                        continue;
                    }
                    Request::Line { id, text } => match people.get(&id) {
                        Some(p) if !p.observer => Some((DrillInput::line(&p.name, &text), Some(id), None)),
                        _ => continue,
                    },
                    Request::FiveWs { id } => {
                        if let Some(p) = people.get(&id) {
                            let unanswered = drill.drill().record().unanswered_five_ws()
                                .into_iter()
                                .map(|(w, question)| FiveWQuestion { w: w.to_string(), question: question.to_string() })
                                .collect();
                            let _ = p.frames.try_send(ServerFrame::FiveWs { unanswered });
                        }
                        continue;
                    }
                    Request::Leave { id, reason } => {
                        if let Some(p) = people.remove(&id) {
                            tracing::info!(name = %p.name, %reason, "left");
                        }
                        continue;
                    }
                    Request::Gm { line, reply } => Some((DrillInput::Gm { line }, None, Some(reply))),
                    Request::Finish { reply } => {
                        let _ = reply.send(Stopped { drill, journal_failed: failed });
                        return;
                    }
                }
            }
            _ = wall.tick() => {
                let now = Instant::now();
                let elapsed = now - last_wall;
                last_wall = now;
                // Only real-time mode turns wall-clock time into an input (and so into the journal).
                drill.drill().is_real_time().then(|| (DrillInput::WallClock { millis: elapsed.as_millis() as u64 }, None, None))
            }
        };
        let Some((input, from, reply)) = input else { continue };
        if failed.is_some() {
            // The journal failed: nothing more is fed, so nothing is shown that is not on disk.
            if let Some(p) = from.and_then(|id| people.get(&id)) {
                let _ = p.frames.try_send(ServerFrame::Over { reason: STOPPED.into() });
            }
            continue;
        }
        match drill.feed_input(input) {
            Ok(range) => {
                if let Some(feed) = &feed {
                    publish(drill.drill(), range, &mut people, feed);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "the journal failed; the drill stops here");
                failed = Some(e);
                for p in people.values() {
                    let _ = p.frames.try_send(ServerFrame::Over { reason: STOPPED.into() });
                }
                // The console sees its feed end and stops the host.
                feed = None;
                continue;
            }
        }
        prometheus.publish(drill.drill().sim());
        if let Some(reply) = reply {
            let _ = reply.send(());
        }
        let d = drill.drill();
        // After the drill's last line, `Over` (below) takes the place of `Ready`.
        if let Some(p) = from.and_then(|id| people.get(&id)).filter(|_| !d.is_over()) {
            let _ = p.frames.try_send(ServerFrame::Ready { t: d.now() });
        }
        if d.is_over() && !over_sent {
            over_sent = true;
            for p in people.values() {
                let _ = p.frames.try_send(ServerFrame::Over { reason: "the drill is over".into() });
            }
        }
    }
}

/// What participants are told when the host's journal fails.
const STOPPED: &str =
    "the host cannot write its journal, so the drill stops here; the GM can continue it with `wom resume`";

/// Lets a participant in: a name not taken, a queue for its frames, the visible history so far.
fn admit(
    drill: &Drill,
    people: &mut BTreeMap<u64, Participant>,
    next_id: &mut u64,
    name: String,
    observer: bool,
) -> Result<Joined, Refusal> {
    if people.values().any(|p| p.name == name) {
        // The name may belong to a connection that dropped and has not been noticed yet: worth a retry.
        let reason = format!("the name `{name}` is taken in this drill; pick another with --name");
        return Err(Refusal { reason, retry: true });
    }
    let (tx, rx) = mpsc::channel(QUEUE_PER_PARTICIPANT);
    let tod = drill.sim().page_time_of_day();
    let history: Vec<Item> = drill.events().iter().filter_map(|e| item(e, tod)).collect();
    let welcome = ServerFrame::Welcome {
        protocol: PROTOCOL_VERSION,
        name: name.clone(),
        observer,
        page_time_of_day: tod,
        history,
    };
    let _ = tx.try_send(welcome);
    if drill.is_over() {
        let _ = tx.try_send(ServerFrame::Over { reason: "the drill is over".into() });
    } else {
        let _ = tx.try_send(ServerFrame::Ready { t: drill.now() });
    }
    *next_id += 1;
    tracing::info!(name = %name, observer, "joined");
    people.insert(*next_id, Participant { name, observer, frames: tx });
    Ok(Joined { id: *next_id, observer, frames: rx })
}

/// Why a participant was not let in, and whether trying again may work.
struct Refusal {
    reason: String,
    retry: bool,
}

/// What participants see of an event: the lines responders typed and the volunteer view, nothing else.
fn item(event: &DrillEvent, page_time_of_day: i64) -> Option<Item> {
    let view = match &event.kind {
        EventKind::Command { by, line, .. } => {
            View::Typed { by: by.clone().unwrap_or_else(|| "volunteer".into()), line: line.clone() }
        }
        _ => View::Shown { doc: volunteer_view(event, page_time_of_day)? },
    };
    Some(Item { seq: event.seq, t: event.t, view })
}

/// Sends new events to the GM console and their views to every participant; drops a participant whose
/// queue is full (too slow) or gone.
fn publish(
    drill: &Drill,
    range: Range<usize>,
    people: &mut BTreeMap<u64, Participant>,
    feed: &mpsc::UnboundedSender<DrillEvent>,
) {
    if range.is_empty() {
        return;
    }
    let events = &drill.events()[range];
    for event in events {
        let _ = feed.send(event.clone());
    }
    let tod = drill.sim().page_time_of_day();
    let items: Vec<Item> = events.iter().filter_map(|e| item(e, tod)).collect();
    people.retain(|_, p| {
        for it in &items {
            if let Err(e) = p.frames.try_send(ServerFrame::Item(it.clone())) {
                let why = match e {
                    mpsc::error::TrySendError::Full(_) => "too slow to keep up",
                    mpsc::error::TrySendError::Closed(_) => "gone",
                };
                tracing::warn!(name = %p.name, reason = why, "dropping participant");
                return false;
            }
        }
        true
    });
}

async fn upgrade<D: Send + 'static>(ws: WebSocketUpgrade, State(shared): State<Arc<Shared<D>>>) -> Response {
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| async move { handle(socket, shared).await })
}

/// Ends a connection with a reason the client can show.
async fn refuse(socket: &mut WebSocket, reason: &str) {
    refuse_maybe_retry(socket, reason, false).await;
}

/// Ends a connection with a reason, saying whether the client may try again shortly.
async fn refuse_maybe_retry(socket: &mut WebSocket, reason: &str, retry: bool) {
    tracing::warn!(%reason, "closing connection");
    let frame = ServerFrame::Refused { reason: reason.to_string(), retry };
    let _ = socket.send(Message::Text(frame.encode().into())).await;
    let _ = socket
        .send(Message::Close(Some(CloseFrame { code: close_code::POLICY, reason: truncate(reason, 120).into() })))
        .await;
}

fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// One connection: the handshake, then frames both ways until either side leaves.
async fn handle<D: Send + 'static>(mut socket: WebSocket, shared: Arc<Shared<D>>) {
    let Ok(_slot) = shared.slots.clone().try_acquire_owned() else {
        refuse(&mut socket, "the drill is full").await;
        return;
    };
    let hello = match tokio::time::timeout(HELLO_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(Message::Text(text)))) => ClientFrame::decode(&text),
        Ok(Some(Ok(_))) => Err("expected a `hello` text frame first".to_string()),
        Ok(Some(Err(e))) => Err(format!("bad frame: {e}")),
        Ok(None) => return,
        Err(_) => Err("no `hello` within 10 seconds".to_string()),
    };
    let (name, observe) = match hello {
        Ok(ClientFrame::Hello { protocol, code, name, observe }) => {
            if protocol != PROTOCOL_VERSION {
                let reason =
                    format!("protocol version {protocol} is not supported; this host speaks {PROTOCOL_VERSION}");
                return refuse(&mut socket, &reason).await;
            }
            if !bool::from(code.as_bytes().ct_eq(shared.code.as_bytes())) {
                return refuse(&mut socket, "wrong join code").await;
            }
            match check_name(&name) {
                Ok(()) => (name, observe),
                Err(why) => return refuse(&mut socket, &why).await,
            }
        }
        Ok(_) => return refuse(&mut socket, "expected a `hello` frame first").await,
        Err(why) => return refuse(&mut socket, &why).await,
    };
    let (reply, joined) = oneshot::channel();
    let join = Request::Join { name: name.clone(), observer: observe, reply };
    if shared.requests.send(join).await.is_err() {
        return refuse(&mut socket, "the drill has stopped").await;
    }
    let joined = match joined.await {
        Ok(Ok(joined)) => joined,
        Ok(Err(refusal)) => return refuse_maybe_retry(&mut socket, &refusal.reason, refusal.retry).await,
        Err(_) => return refuse(&mut socket, "the drill has stopped").await,
    };
    let reason = converse(socket, &shared, joined.id, joined.observer, joined.frames).await;
    let _ = shared.requests.send(Request::Leave { id: joined.id, reason }).await;
}

fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.chars().count() > 32 || name.chars().any(|c| c.is_control()) {
        return Err("a name is 1 to 32 printable characters".into());
    }
    Ok(())
}

/// Relays frames until the participant leaves or misbehaves; returns why the connection ended.
async fn converse<D>(
    socket: WebSocket,
    shared: &Shared<D>,
    id: u64,
    observer: bool,
    mut frames: mpsc::Receiver<ServerFrame>,
) -> String {
    let (mut sink, mut stream) = socket.split();
    let refuse_with = |reason: &str| {
        let text = ServerFrame::Refused { reason: reason.to_string(), retry: false }.encode();
        vec![
            Message::Text(text.into()),
            Message::Close(Some(CloseFrame {
                code: close_code::POLICY,
                reason: truncate(reason, 120).to_string().into(),
            })),
        ]
    };
    loop {
        tokio::select! {
            frame = frames.recv() => {
                let Some(frame) = frame else {
                    // The drill task dropped us: too slow, or the host is stopping.
                    for m in refuse_with("disconnected: too slow to keep up, or the host stopped") {
                        let _ = sink.send(m).await;
                    }
                    return "dropped by the host".into();
                };
                let over = matches!(frame, ServerFrame::Over { .. });
                if sink.send(Message::Text(frame.encode().into())).await.is_err() {
                    return "vanished".into();
                }
                if over {
                    let _ = sink.send(Message::Close(None)).await;
                    return "the drill is over".into();
                }
            }
            message = stream.next() => {
                let reason = match message {
                    None => return "vanished".into(),
                    Some(Err(e)) => format!("bad frame: {e}"),
                    Some(Ok(Message::Close(_))) => return "closed".into(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Binary(_))) => "binary frames are not part of the protocol".into(),
                    Some(Ok(Message::Text(text))) => match ClientFrame::decode(&text) {
                        Ok(ClientFrame::Leave) => return "left".into(),
                        Ok(ClientFrame::Line { .. }) if observer => "observers cannot send commands".into(),
                        Ok(ClientFrame::Line { text }) => {
                            if shared.requests.send(Request::Line { id, text }).await.is_err() {
                                return "the drill has stopped".into();
                            }
                            continue;
                        }
                        Ok(ClientFrame::FiveWs) if observer => "observers cannot send commands".into(),
                        Ok(ClientFrame::FiveWs) => {
                            if shared.requests.send(Request::FiveWs { id }).await.is_err() {
                                return "the drill has stopped".into();
                            }
                            continue;
                        }
                        Ok(ClientFrame::Complete { .. }) if observer => "observers cannot send commands".into(),
                        Ok(ClientFrame::Complete { line }) => {
                            let (start, candidates) = crate::session::completions(&shared.scenario, &line);
                            let answer = ServerFrame::Completions { start, candidates };
                            if sink.send(Message::Text(answer.encode().into())).await.is_err() {
                                return "vanished".into();
                            }
                            continue;
                        }
                        Ok(ClientFrame::Hello { .. }) => "already joined".into(),
                        Err(why) => why,
                    },
                };
                tracing::warn!(%reason, "closing connection");
                for m in refuse_with(&reason) {
                    let _ = sink.send(m).await;
                }
                return reason;
            }
        }
    }
}
