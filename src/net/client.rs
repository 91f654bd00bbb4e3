//! The participant's side: connect to a host, say hello, send typed lines, render what comes back.
//!
//! [`Connection`] is the protocol over one WebSocket (used by `wom join`, the tests and the benchmarks);
//! [`join`] is the front end around it: lines from a terminal (rustyline) or a pipe, paced so a piped script
//! sends its next line only once the host has handled the last one.

use super::protocol::{ClientFrame, Item, MAX_FRAME_BYTES, PROTOCOL_VERSION, ServerFrame, View, WS_PATH};
use crate::repl::paint;
use crate::session::{Doc, Line, Style, clock_label};
use futures_util::{SinkExt, StreamExt};
use std::io::{self, BufRead, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
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
    pub async fn open(options: &JoinOptions) -> Result<Connection, String> {
        let url = format!("ws://{}{WS_PATH}", options.addr);
        let config = WebSocketConfig::default().max_message_size(Some(MAX_FRAME_BYTES * 64));
        let (socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", options.addr))?;
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
    pub async fn send(&mut self, frame: &ClientFrame) -> Result<(), String> {
        self.send_raw(frame.encode()).await
    }

    /// Sends any text as a frame (tests use it to send what a broken client would).
    pub async fn send_raw(&mut self, text: String) -> Result<(), String> {
        self.socket.send(Message::Text(text.into())).await.map_err(|e| format!("connection lost: {e}"))
    }

    /// The next frame from the host, or `None` once the host has closed the connection.
    pub async fn next(&mut self) -> Option<Result<ServerFrame, String>> {
        loop {
            return match self.socket.next().await? {
                Ok(Message::Text(text)) => Some(ServerFrame::decode(&text)),
                Ok(Message::Close(_)) => None,
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => continue,
                Ok(Message::Binary(_)) => Some(Err("unexpected binary frame from the host".into())),
                Err(e) => Some(Err(format!("connection lost: {e}"))),
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
    pub async fn command(&mut self, line: &str) -> Result<Vec<ServerFrame>, String> {
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
        ServerFrame::Ready { .. } => {}
        ServerFrame::Over { reason } => doc.push(Line::styled(Style::Heading, format!("The host says: {reason}."))),
        ServerFrame::Refused { reason } => doc.push(Line::styled(Style::Bad, format!("error: {reason}"))),
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
    /// A terminal: a rustyline editor.
    Terminal(Box<rustyline::DefaultEditor>),
    /// A pipe or a file, read line by line.
    Lines(Box<dyn BufRead + Send>),
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
pub fn join(options: JoinOptions, input: JoinInput, color: bool) -> Result<JoinEnd, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    let clock = Arc::new(AtomicI64::new(0));
    let tod = Arc::new(AtomicI64::new(0));
    let (lines_tx, lines) = mpsc::unbounded_channel::<Option<String>>();
    let terminal = matches!(input, JoinInput::Terminal(_));
    // The prompt shows the drill's clock, which is known once the host has welcomed us.
    let (welcomed, wait_welcome) = std::sync::mpsc::channel::<()>();
    let print: Box<dyn FnMut(String) + Send> = match input {
        JoinInput::Terminal(mut editor) => {
            let mut printer = editor.create_external_printer().map_err(|e| e.to_string())?;
            let (clock, tod) = (clock.clone(), tod.clone());
            let tx = lines_tx.clone();
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
                            if tx.send(Some(line)).is_err() {
                                break;
                            }
                        }
                        Err(rustyline::error::ReadlineError::Interrupted) => continue,
                        Err(_) => {
                            let _ = tx.send(None);
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
                            let _ = tx.send(None);
                            break;
                        }
                        Ok(_) => {
                            let text = line.trim_end_matches(['\n', '\r']).to_string();
                            if text.trim().is_empty() || text.trim_start().starts_with('#') {
                                continue;
                            }
                            if tx.send(Some(text)).is_err() {
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
    let prompt = Prompt { clock, tod, welcomed };
    runtime.block_on(play(options, lines, print, color, terminal, prompt))
}

async fn play(
    options: JoinOptions,
    mut lines: mpsc::UnboundedReceiver<Option<String>>,
    mut print: Box<dyn FnMut(String) + Send>,
    color: bool,
    terminal: bool,
    prompt: Prompt,
) -> Result<JoinEnd, String> {
    let Prompt { clock, tod, welcomed } = prompt;
    let mut connection = Connection::open(&options).await?;
    let mut queue: std::collections::VecDeque<String> = Default::default();
    let mut ready = false;
    let mut input_done = false;
    loop {
        // A piped script sends its next line only once the host has handled the last one.
        if ready && let Some(line) = queue.pop_front() {
            if !terminal {
                let label = clock_label(tod.load(Ordering::Relaxed), clock.load(Ordering::Relaxed));
                print(format!("{label} wom> {line}\n"));
            }
            connection.send(&ClientFrame::Line { text: line }).await?;
            ready = false;
        }
        if ready && queue.is_empty() && input_done && !options.observe {
            let _ = connection.send(&ClientFrame::Leave).await;
            return Ok(JoinEnd::Left);
        }
        tokio::select! {
            line = lines.recv(), if !input_done => match line {
                Some(Some(line)) => queue.push_back(line),
                Some(None) | None => {
                    input_done = true;
                    // An observer at a terminal leaves with Ctrl-D; a piped observer stays to the end.
                    if terminal && options.observe {
                        let _ = connection.send(&ClientFrame::Leave).await;
                        return Ok(JoinEnd::Left);
                    }
                }
            },
            frame = connection.next() => {
                let frame = match frame {
                    None => return Err("the host closed the connection; rejoin with the same command".into()),
                    Some(Err(e)) => return Err(e),
                    Some(Ok(frame)) => frame,
                };
                match &frame {
                    ServerFrame::Welcome { page_time_of_day, .. } => {
                        tod.store(*page_time_of_day, Ordering::Relaxed);
                    }
                    ServerFrame::Item(item) => clock.store(item.t.max(clock.load(Ordering::Relaxed)), Ordering::Relaxed),
                    ServerFrame::Ready { t } => {
                        clock.store(*t, Ordering::Relaxed);
                        ready = true;
                        let _ = welcomed.send(());
                    }
                    _ => {}
                }
                let text = paint(&render_frame(&frame, tod.load(Ordering::Relaxed)), color);
                // Typed lines of this participant were already echoed (prompt and line) before sending.
                let own = matches!(&frame, ServerFrame::Item(Item { view: View::Typed { by, .. }, .. }) if *by == options.name);
                if !text.is_empty() && !own {
                    print(text);
                }
                match frame {
                    ServerFrame::Over { .. } => return Ok(JoinEnd::Over),
                    ServerFrame::Refused { reason } => return Err(reason),
                    _ => {}
                }
            }
        }
    }
}
