//! The participant's side: connect to a host, say hello, send typed lines, render what comes back.
//!
//! [`Connection`] is the protocol over one WebSocket (used by `wom join`, the tests and the benchmarks);
//! [`join`] is the front end around it: lines from a terminal (rustyline) or a pipe, paced so a piped script
//! sends its next line only once the host has handled the last one.

use super::error::NetError;
use super::protocol::{
    ClientFrame, FiveWQuestion, Item, MAX_FRAME_BYTES, PROTOCOL_VERSION, ServerFrame, View, WS_PATH,
};
use crate::repl::paint;
use crate::session::{Doc, Line, Style, clock_label};
use futures_util::{SinkExt, StreamExt};
use std::collections::VecDeque;
use std::io::{self, BufRead, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Who joins, and how.
#[derive(Clone, Debug)]
pub struct JoinOptions {
    /// `host:port` of the drill.
    pub addr: String,
    /// The join code.
    pub code: String,
    /// The name shown with every command this participant runs.
    pub name: String,
    /// Join read-only.
    pub observe: bool,
}

/// One participant's WebSocket to a host, speaking the protocol's frames.
pub struct Connection {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Connection {
    /// Connects and sends `Hello`; the host's first answer is `Welcome` or `Refused`.
    pub async fn open(options: &JoinOptions) -> Result<Connection, NetError> {
        let url = format!("ws://{}{WS_PATH}", options.addr);
        let config = WebSocketConfig::default().max_message_size(Some(MAX_FRAME_BYTES * 64));
        let (socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
            .await
            .map_err(|e| NetError::Connect { addr: options.addr.clone(), message: e.to_string() })?;
        let mut connection = Connection { socket };
        let hello = ClientFrame::Hello {
            protocol: PROTOCOL_VERSION,
            code: options.code.clone(),
            name: options.name.clone(),
            observe: options.observe,
        };
        connection.send(&hello).await?;
        Ok(connection)
    }

    /// Sends a frame.
    pub async fn send(&mut self, frame: &ClientFrame) -> Result<(), NetError> {
        self.send_raw(frame.encode()).await
    }

    /// Sends any text as a frame (tests use it to send what a broken client would).
    pub async fn send_raw(&mut self, text: String) -> Result<(), NetError> {
        self.socket.send(Message::Text(text.into())).await.map_err(|e| NetError::Lost { message: e.to_string() })
    }

    /// The next frame from the host, or `None` once the host has closed the connection.
    pub async fn next(&mut self) -> Option<Result<ServerFrame, NetError>> {
        loop {
            return match self.socket.next().await? {
                Ok(Message::Text(text)) => {
                    Some(ServerFrame::decode(&text).map_err(|message| NetError::Malformed { message }))
                }
                Ok(Message::Close(_)) => None,
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => continue,
                Ok(Message::Binary(_)) => Some(Err(NetError::Malformed { message: "a binary frame".into() })),
                Err(e) => Some(Err(NetError::Lost { message: e.to_string() })),
            };
        }
    }

    /// Frames until the next `Ready` (or the end), for scripts and tests that go line by line.
    pub async fn until_ready(&mut self) -> Vec<ServerFrame> {
        let mut frames = Vec::new();
        while let Some(Ok(frame)) = self.next().await {
            let done =
                matches!(frame, ServerFrame::Ready { .. } | ServerFrame::Over { .. } | ServerFrame::Refused { .. });
            frames.push(frame);
            if done {
                break;
            }
        }
        frames
    }

    /// Sends a line and returns every frame up to the host's `Ready`.
    pub async fn command(&mut self, line: &str) -> Result<Vec<ServerFrame>, NetError> {
        self.send(&ClientFrame::Line { text: line.to_string() }).await?;
        Ok(self.until_ready().await)
    }
}

/// Renders what a participant is sent as text: typed lines with who typed them, and the docs.
pub fn render_frame(frame: &ServerFrame, page_time_of_day: i64) -> Doc {
    let mut doc = Doc::new();
    match frame {
        ServerFrame::Welcome { name, observer, history, .. } => {
            let role = if *observer { "an observer" } else { "a responder" };
            doc.push(Line::styled(Style::Dim, format!("Joined as {name}, {role}.")));
            for item in history {
                doc.extend(render_item(item, page_time_of_day));
            }
        }
        ServerFrame::Item(item) => doc.extend(render_item(item, page_time_of_day)),
        ServerFrame::Ready { .. } | ServerFrame::Completions { .. } | ServerFrame::FiveWs { .. } => {}
        ServerFrame::Over { reason } => doc.push(Line::styled(Style::Heading, format!("The host says: {reason}."))),
        ServerFrame::Refused { reason, .. } => doc.push(Line::styled(Style::Bad, format!("error: {reason}"))),
    }
    doc
}

fn render_item(item: &Item, page_time_of_day: i64) -> Doc {
    match &item.view {
        View::Typed { by, line } => Doc::line(
            Line::styled(Style::Heading, format!("{} {by}> ", clock_label(page_time_of_day, item.t)))
                .push(Style::Plain, line.clone()),
        ),
        View::Shown { doc } => doc.clone(),
    }
}

/// Where a participant's lines come from.
pub enum JoinInput {
    /// The terminal, through a rustyline editor.
    Terminal,
    /// A pipe or a file, read line by line.
    Lines(Box<dyn BufRead + Send>),
}

/// What the participant's input hands the connection.
enum Typed {
    /// A line to send.
    Line(String),
    /// `resolve` typed at a terminal: ask the host which of the 5 Ws are not recorded yet and hand them back,
    /// so the terminal can ask for each before the `resolve` line goes.
    AskFiveWs(std::sync::mpsc::Sender<Vec<FiveWQuestion>>),
    /// Input ended.
    End,
}

/// A request waiting to go to the host, in the order it was typed.
enum Queued {
    /// A line.
    Line(String),
    /// The 5 Ws still unanswered, wanted by the terminal.
    AskFiveWs(std::sync::mpsc::Sender<Vec<FiveWQuestion>>),
}

/// What the terminal prompt needs from the connection: the drill's clock, and word that the host welcomed us.
struct Prompt {
    clock: Arc<AtomicI64>,
    tod: Arc<AtomicI64>,
    welcomed: std::sync::mpsc::Sender<()>,
}

/// How a joined session ended.
#[derive(Debug, PartialEq)]
pub enum JoinEnd {
    /// The drill is over.
    Over,
    /// The participant left (end of input).
    Left,
}

/// Joins a drill and plays it from `input` until the drill ends or the input does.
pub fn join(options: JoinOptions, input: JoinInput, color: bool) -> Result<JoinEnd, NetError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(NetError::Runtime)?;
    let clock = Arc::new(AtomicI64::new(0));
    let tod = Arc::new(AtomicI64::new(0));
    let (lines_tx, lines) = mpsc::unbounded_channel::<Typed>();
    let (ask_tx, asks) = mpsc::unbounded_channel::<CompletionAsk>();
    let terminal = matches!(input, JoinInput::Terminal);
    // The prompt shows the drill's clock, which is known once the host has welcomed us.
    let (welcomed, wait_welcome) = std::sync::mpsc::channel::<()>();
    let print: Box<dyn FnMut(String) + Send> = match input {
        JoinInput::Terminal => {
            let config = rustyline::Config::builder()
                .completion_type(rustyline::CompletionType::List)
                .history_ignore_dups(true)
                .map_err(NetError::Terminal)?
                .history_ignore_space(true)
                .build();
            let mut editor: rustyline::Editor<JoinHelper, rustyline::history::DefaultHistory> =
                rustyline::Editor::with_config(config).map_err(NetError::Terminal)?;
            editor.set_helper(Some(JoinHelper { ask: ask_tx.clone(), observe: options.observe }));
            let mut printer = editor.create_external_printer().map_err(NetError::Terminal)?;
            let (clock, tod) = (clock.clone(), tod.clone());
            let tx = lines_tx.clone();
            let responder = !options.observe;
            std::thread::spawn(move || {
                if wait_welcome.recv().is_err() {
                    return;
                }
                loop {
                    let prompt =
                        format!("{} wom> ", clock_label(tod.load(Ordering::Relaxed), clock.load(Ordering::Relaxed)));
                    match editor.readline(&prompt) {
                        Ok(line) => {
                            let _ = editor.add_history_entry(line.as_str());
                            if responder && line.trim() == "resolve" {
                                match ask_five_ws(&mut editor, &tx) {
                                    Asked::Resolve => {}
                                    Asked::Cancelled => continue,
                                    Asked::End => break,
                                }
                            }
                            if tx.send(Typed::Line(line)).is_err() {
                                break;
                            }
                        }
                        Err(rustyline::error::ReadlineError::Interrupted) => continue,
                        Err(_) => {
                            let _ = tx.send(Typed::End);
                            break;
                        }
                    }
                }
            });
            Box::new(move |text: String| {
                use rustyline::ExternalPrinter;
                let _ = printer.print(text);
            })
        }
        JoinInput::Lines(mut reader) => {
            let tx = lines_tx.clone();
            std::thread::spawn(move || {
                let mut line = String::new();
                loop {
                    line.clear();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => {
                            let _ = tx.send(Typed::End);
                            break;
                        }
                        Ok(_) => {
                            let text = line.trim_end_matches(['\n', '\r']).to_string();
                            if text.trim().is_empty() || text.trim_start().starts_with('#') {
                                continue;
                            }
                            if tx.send(Typed::Line(text)).is_err() {
                                break;
                            }
                        }
                    }
                }
            });
            Box::new(|text: String| {
                let mut out = io::stdout().lock();
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
            })
        }
    };
    drop(lines_tx);
    drop(ask_tx);
    let prompt = Prompt { clock, tod, welcomed };
    runtime.block_on(play(options, (lines, asks), print, color, terminal, prompt))
}

/// What asking for the 5 Ws before `resolve` came to.
enum Asked {
    /// Go on and send `resolve`.
    Resolve,
    /// Ctrl-C: back to the prompt without resolving.
    Cancelled,
    /// Input ended, or the connection's side is gone.
    End,
}

/// At a terminal, `resolve` first asks for each of the 5 Ws the host says are not recorded yet, as the solo
/// REPL does: the host answers which (the client knows no rules), each answer goes as the line
/// `5w <question> <answer>`, and Enter skips a question.
fn ask_five_ws(
    editor: &mut rustyline::Editor<JoinHelper, rustyline::history::DefaultHistory>,
    tx: &mpsc::UnboundedSender<Typed>,
) -> Asked {
    let (reply, answer) = std::sync::mpsc::channel();
    if tx.send(Typed::AskFiveWs(reply)).is_err() {
        return Asked::End;
    }
    let Ok(unanswered) = answer.recv() else { return Asked::End };
    if unanswered.is_empty() {
        return Asked::Resolve;
    }
    println!("{}", crate::session::five_ws_preamble(unanswered.len()));
    for q in unanswered {
        match editor.readline(&format!("  {}: {} ", q.w, q.question)) {
            Ok(answer) if answer.trim().is_empty() => {}
            Ok(answer) => {
                if tx.send(Typed::Line(format!("5w {} {}", q.w, answer.trim()))).is_err() {
                    return Asked::End;
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => {
                println!("(resolve cancelled; the drill goes on)");
                return Asked::Cancelled;
            }
            Err(_) => {
                let _ = tx.send(Typed::End);
                return Asked::End;
            }
        }
    }
    Asked::Resolve
}

/// A line to complete and where its completions go: from the editor's thread to the connection's task.
type CompletionAsk = (String, std::sync::mpsc::Sender<(usize, Vec<String>)>);

/// How long Tab waits for the host's completions before giving up (nothing is completed).
const COMPLETION_WAIT: Duration = Duration::from_millis(500);

/// Completion for `wom join` at a terminal: the host completes the line as the solo REPL would (command
/// words, flags, the scenario's services, metrics, runbooks, actions…); an observer types no commands.
#[derive(rustyline::Helper, rustyline::Hinter, rustyline::Highlighter, rustyline::Validator)]
struct JoinHelper {
    ask: mpsc::UnboundedSender<CompletionAsk>,
    observe: bool,
}

impl rustyline::completion::Completer for JoinHelper {
    type Candidate = String;

    fn complete(&self, line: &str, pos: usize, _: &rustyline::Context<'_>) -> rustyline::Result<(usize, Vec<String>)> {
        if self.observe {
            return Ok((pos, Vec::new()));
        }
        let (reply, answer) = std::sync::mpsc::channel();
        if self.ask.send((line[..pos].to_string(), reply)).is_err() {
            return Ok((pos, Vec::new()));
        }
        Ok(answer.recv_timeout(COMPLETION_WAIT).unwrap_or((pos, Vec::new())))
    }
}

/// How long a participant keeps trying to rejoin a host that vanished (killed, crashed, restarting with
/// `wom resume`), and the longest wait between two tries.
const RECONNECT_FOR: Duration = Duration::from_secs(300);
const RECONNECT_BACKOFF_MAX: Duration = Duration::from_secs(2);

/// Why a conversation with the host stopped.
enum Stop {
    /// The drill is over, or the participant left.
    End(JoinEnd),
    /// The connection broke: worth rejoining.
    Lost(String),
    /// Final: refused, or nothing to rejoin.
    Fail(NetError),
}

/// A participant's side of the drill across connections: what was printed, what waits to be sent.
struct Seat {
    options: JoinOptions,
    print: Box<dyn FnMut(String) + Send>,
    color: bool,
    terminal: bool,
    prompt: Prompt,
    lines: mpsc::UnboundedReceiver<Typed>,
    /// Tab pressed at the terminal: lines to complete, with where the answer goes.
    asks: mpsc::UnboundedReceiver<CompletionAsk>,
    /// Completions asked of the host and not answered yet, in order.
    asked: VecDeque<std::sync::mpsc::Sender<(usize, Vec<String>)>>,
    /// Lines typed (and questions asked) not yet sent.
    queue: VecDeque<Queued>,
    /// The terminal waiting for the host's answer to `five_ws`.
    asking: Option<std::sync::mpsc::Sender<Vec<FiveWQuestion>>>,
    /// The line sent and not yet handled, with the last item seen when it was sent.
    in_flight: Option<(String, Option<u64>)>,
    /// The last item printed: a rejoin prints only what came after it.
    last_seq: Option<u64>,
    /// The host has handled the last line: the next may go.
    ready: bool,
    /// The line in flight must go again: the host vanished before journaling it.
    resend: bool,
    /// Welcomed at least once: a later welcome is a rejoin.
    joined: bool,
    input_done: bool,
    /// No editor asks for completions any more (or none ever will: piped input has no editor).
    asks_done: bool,
}

async fn play(
    options: JoinOptions,
    (lines, asks): (mpsc::UnboundedReceiver<Typed>, mpsc::UnboundedReceiver<CompletionAsk>),
    print: Box<dyn FnMut(String) + Send>,
    color: bool,
    terminal: bool,
    prompt: Prompt,
) -> Result<JoinEnd, NetError> {
    let mut connection = open_within(&options, FIRST_CONNECT_FOR).await?;
    let mut seat = Seat {
        options,
        print,
        color,
        terminal,
        prompt,
        lines,
        asks,
        asked: VecDeque::new(),
        queue: VecDeque::new(),
        asking: None,
        in_flight: None,
        last_seq: None,
        ready: false,
        resend: false,
        joined: false,
        input_done: false,
        asks_done: false,
    };
    loop {
        match seat.converse(&mut connection).await {
            Stop::End(end) => return Ok(end),
            Stop::Fail(e) => return Err(e),
            Stop::Lost(why) => {
                // Completions asked of the old connection will not come: the editor stops waiting.
                seat.asked.clear();
                // Nothing goes out on the new connection before its welcome says what the host has.
                seat.ready = false;
                // A question the old connection never answered goes again, first.
                if let Some(reply) = seat.asking.take() {
                    seat.queue.push_front(Queued::AskFiveWs(reply));
                }
                seat.note(format!("Lost the host ({why}); rejoining as {}…", seat.options.name));
                connection = seat.rejoin().await?;
                seat.note(format!("Rejoined as {}.", seat.options.name));
            }
        }
    }
}

/// How long the first connection is retried when the host refuses or resets it (a host still starting up).
const FIRST_CONNECT_FOR: Duration = Duration::from_secs(5);

/// A connection, retried with backoff for `within` while the host refuses, resets or drops it (then the last
/// such error); any other error (a wrong code, an old protocol) is final at once.
async fn open_within(options: &JoinOptions, within: Duration) -> Result<Connection, NetError> {
    let started = tokio::time::Instant::now();
    let mut wait = Duration::from_millis(50);
    loop {
        match Connection::open(options).await {
            Err(NetError::Connect { .. } | NetError::Lost { .. }) if started.elapsed() < within => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RECONNECT_BACKOFF_MAX);
            }
            other => return other,
        }
    }
}

impl Seat {
    /// A line about the connection itself: above the prompt at a terminal, on standard error otherwise (so
    /// a piped participant's standard output stays the drill's transcript).
    fn note(&mut self, text: String) {
        if self.terminal {
            (self.print)(paint(&Doc::line(Line::styled(Style::Dim, text)), self.color));
        } else {
            let _ = writeln!(io::stderr(), "wom join: {text}");
        }
    }

    /// Tries to join again, with backoff, until the host answers or [`RECONNECT_FOR`] has passed.
    async fn rejoin(&mut self) -> Result<Connection, NetError> {
        open_within(&self.options, RECONNECT_FOR).await.map_err(|e| match e {
            NetError::Connect { .. } | NetError::Lost { .. } => {
                NetError::HostGone { addr: self.options.addr.clone(), secs: RECONNECT_FOR.as_secs() }
            }
            e => e,
        })
    }

    /// Sends the next line when the host is ready for it: first a line the host never got (it vanished
    /// before journaling it), else the next one typed.
    async fn send_next(&mut self, connection: &mut Connection) -> Result<(), String> {
        if !self.ready {
            return Ok(());
        }
        let line = match self.in_flight.take() {
            // Echoed when first sent.
            Some((line, _)) if self.resend => line,
            _ => {
                let line = match self.queue.pop_front() {
                    None => return Ok(()),
                    Some(Queued::Line(line)) => line,
                    Some(Queued::AskFiveWs(reply)) => {
                        self.asking = Some(reply);
                        self.ready = false;
                        return connection.send(&ClientFrame::FiveWs).await.map_err(|e| e.to_string());
                    }
                };
                if !self.terminal {
                    let (tod, clock) = (&self.prompt.tod, &self.prompt.clock);
                    let label = clock_label(tod.load(Ordering::Relaxed), clock.load(Ordering::Relaxed));
                    (self.print)(format!("{label} wom> {line}\n"));
                }
                line
            }
        };
        self.resend = false;
        self.in_flight = Some((line.clone(), self.last_seq));
        self.ready = false;
        connection.send(&ClientFrame::Line { text: line }).await.map_err(|e| e.to_string())
    }

    /// Frames both ways until the drill ends, the participant leaves, or the connection breaks.
    async fn converse(&mut self, connection: &mut Connection) -> Stop {
        loop {
            if let Err(why) = self.send_next(connection).await {
                return Stop::Lost(why);
            }
            if self.ready && self.queue.is_empty() && self.input_done && !self.options.observe {
                let _ = connection.send(&ClientFrame::Leave).await;
                return Stop::End(JoinEnd::Left);
            }
            tokio::select! {
                line = self.lines.recv(), if !self.input_done => match line {
                    Some(Typed::Line(line)) => self.queue.push_back(Queued::Line(line)),
                    Some(Typed::AskFiveWs(reply)) => self.queue.push_back(Queued::AskFiveWs(reply)),
                    Some(Typed::End) | None => {
                        self.input_done = true;
                        // An observer at a terminal leaves with Ctrl-D; a piped observer stays to the end.
                        if self.terminal && self.options.observe {
                            let _ = connection.send(&ClientFrame::Leave).await;
                            return Stop::End(JoinEnd::Left);
                        }
                    }
                },
                ask = self.asks.recv(), if !self.asks_done => {
                    // A closed channel is ready at once: without this, the loop would spin on it.
                    let Some((line, reply)) = ask else {
                        self.asks_done = true;
                        continue;
                    };
                    // Only the host knows the scenario's names; it completes as the solo REPL does.
                    if connection.send(&ClientFrame::Complete { line }).await.is_ok() {
                        self.asked.push_back(reply);
                    }
                },
                frame = connection.next() => {
                    let frame = match frame {
                        None => return Stop::Lost("it closed the connection".into()),
                        Some(Err(NetError::Lost { message })) => return Stop::Lost(message),
                        Some(Err(e)) => return Stop::Fail(e),
                        Some(Ok(frame)) => frame,
                    };
                    if let Some(stop) = self.show(frame) {
                        return stop;
                    }
                }
            }
        }
    }

    /// Prints a frame (only what this participant has not seen yet) and notes what it means for the prompt.
    fn show(&mut self, frame: ServerFrame) -> Option<Stop> {
        let tod = self.prompt.tod.clone();
        let doc = match &frame {
            ServerFrame::Welcome { page_time_of_day, history, .. } => {
                tod.store(*page_time_of_day, Ordering::Relaxed);
                if self.joined { self.rejoined(history) } else { render_frame(&frame, *page_time_of_day) }
            }
            ServerFrame::Item(item) => {
                let clock = &self.prompt.clock;
                clock.store(item.t.max(clock.load(Ordering::Relaxed)), Ordering::Relaxed);
                self.last_seq = Some(item.seq);
                // Typed lines of this participant were already echoed (prompt and line) before sending.
                let own = matches!(&item.view, View::Typed { by, .. } if *by == self.options.name);
                if own { Doc::new() } else { render_frame(&frame, tod.load(Ordering::Relaxed)) }
            }
            ServerFrame::Ready { t } => {
                self.prompt.clock.store(*t, Ordering::Relaxed);
                self.ready = true;
                if !self.resend {
                    self.in_flight = None;
                }
                let _ = self.prompt.welcomed.send(());
                Doc::new()
            }
            // A rejoin refused only for now (our old connection still holds the name): try again.
            ServerFrame::Refused { reason, retry: true } if self.joined => return Some(Stop::Lost(reason.clone())),
            ServerFrame::FiveWs { unanswered } => {
                if let Some(reply) = self.asking.take() {
                    let _ = reply.send(unanswered.clone());
                }
                self.ready = true;
                Doc::new()
            }
            ServerFrame::Completions { start, candidates } => {
                if let Some(reply) = self.asked.pop_front() {
                    let _ = reply.send((*start, candidates.clone()));
                }
                Doc::new()
            }
            ServerFrame::Over { .. } | ServerFrame::Refused { .. } => render_frame(&frame, tod.load(Ordering::Relaxed)),
        };
        if let ServerFrame::Welcome { history, .. } = &frame {
            self.joined = true;
            if let Some(last) = history.last() {
                self.last_seq = self.last_seq.max(Some(last.seq));
            }
        }
        let text = paint(&doc, self.color);
        if !text.is_empty() {
            (self.print)(text);
        }
        match frame {
            ServerFrame::Over { .. } => Some(Stop::End(JoinEnd::Over)),
            ServerFrame::Refused { reason, .. } => Some(Stop::Fail(NetError::Refused { reason })),
            _ => None,
        }
    }

    /// After a rejoin: what happened while this participant was away, and whether the line in flight when
    /// the host vanished was handled (it is in the history) or must go again (it never reached the journal).
    fn rejoined(&mut self, history: &[Item]) -> Doc {
        let seen = self.last_seq;
        let new: Vec<&Item> = history.iter().filter(|item| Some(item.seq) > seen).collect();
        if let Some((_, before)) = &self.in_flight {
            let before = *before;
            self.resend = !handled_since(history, before, &self.options.name);
        }
        let tod = self.prompt.tod.load(Ordering::Relaxed);
        let mut doc = Doc::new();
        for item in new {
            if !matches!(&item.view, View::Typed { by, .. } if *by == self.options.name) {
                doc.extend(render_item(item, tod));
            }
        }
        doc
    }
}

/// Whether `name`'s line sent after item `before` is in the host's history. The whole history counts, not
/// only what is new to the participant: the host may have sent the line back before it vanished (so it was
/// already seen) without the `Ready` that would have retired it, and sending it again would run it twice.
fn handled_since(history: &[Item], before: Option<u64>, name: &str) -> bool {
    history.iter().any(|item| Some(item.seq) > before && matches!(&item.view, View::Typed { by, .. } if by == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(seq: u64, by: &str) -> Item {
        Item { seq, t: 0, view: View::Typed { by: by.into(), line: "declare sev2".into() } }
    }

    #[test]
    fn a_line_already_echoed_before_the_host_vanished_is_not_sent_again() {
        let history = [typed(3, "sam"), typed(4, "alex")];
        // Sent after item 3; the host journaled it as item 4 (whether or not we saw item 4 arrive).
        assert!(handled_since(&history, Some(3), "alex"));
        // Someone else's line does not count, nor our own from before the send.
        assert!(!handled_since(&history, Some(3), "sam"));
        assert!(!handled_since(&history, Some(4), "alex"));
        assert!(handled_since(&history, None, "alex"));
    }
}
