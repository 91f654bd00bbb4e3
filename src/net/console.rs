//! The GM console of `wom host`: starts the host, prints the join code, shows the GM feed (every event,
//! hidden truth included, with who ran each command) and sends the GM's lines to the drill.

use super::error::NetError;
use super::server::{Host, HostConfig, Stopped};
use crate::journal::FeedDrill;
use crate::repl::paint;
use crate::scenario::Scenario;
use crate::session::{EventKind, gm_completions, gm_feed};
use rustyline::completion::Completer;
use rustyline::{CompletionType, Config, Editor, Helper, Highlighter, Hinter, Validator};
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;

/// How `wom host` runs.
pub struct HostOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The join code.
    pub code: String,
    /// Colours on the console.
    pub color: bool,
    /// GM lines from a script or a pipe, line by line (`None`: from the terminal, with an editor).
    pub input: Option<Box<dyn BufRead + Send>>,
    /// Events already shown before this host started (a resumed drill): the console's feed starts after them.
    pub shown: usize,
    /// Printed under the banner (where the journal is; for a resumed drill, where it stands).
    pub note: String,
    /// A port to serve Prometheus's HTTP API on besides the host's own (`wom resume --prometheus`).
    pub prometheus: Option<std::net::TcpListener>,
}

/// Completion for the GM console.
#[derive(Helper, Hinter, Highlighter, Validator)]
struct GmHelper {
    scenario: Arc<Scenario>,
}

impl Completer for GmHelper {
    type Candidate = String;

    fn complete(&self, line: &str, pos: usize, _: &rustyline::Context<'_>) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(gm_completions(&self.scenario, &line[..pos]))
    }
}

/// Hosts a drill until it ends; returns the drill for the score and the debrief.
pub fn host<D: FeedDrill + Send + 'static>(drill: D, options: HostOptions) -> Result<Stopped<D>, NetError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(NetError::Runtime)?;
    let scenario = Arc::new(drill.drill().scenario().clone());
    let tod = drill.drill().sim().page_time_of_day();
    let config = HostConfig { listen: options.listen, code: options.code.clone(), shown: options.shown };
    let mut host = runtime
        .block_on(Host::start(drill, config))
        .map_err(|source| NetError::Listen { addr: options.listen, source })?;
    let addr = host.addr();
    let also = match options.prometheus {
        Some(listener) => {
            let at = listener.local_addr().unwrap_or(addr);
            let at = host.prometheus().listen(listener).map_err(|source| NetError::Listen { addr: at, source })?;
            format!(" and http://{at}")
        }
        None => String::new(),
    };
    let banner = format!(
        "wom host: GM console for `{}`\nJoin code: {}\n  responders: wom join {addr} --code {} --name <name>\n  observers:  wom join {addr} --code {} --observe\n  promtool, Grafana: Prometheus's HTTP API at http://{addr}{also} (docs/grafana.md)\nType `help` for the GM commands; `state` shows what only you can see.\n{}",
        scenario.meta.id, options.code, options.code, options.code, options.note
    );
    let (lines_tx, mut lines) = mpsc::unbounded_channel::<Option<String>>();
    let color = options.color;
    let terminal = options.input.is_none();
    let mut print: Box<dyn FnMut(String) + Send> = if let Some(input) = options.input {
        print!("{banner}");
        let _ = io::stdout().flush();
        std::thread::spawn(move || {
            for line in input.lines() {
                let Ok(line) = line else { break };
                if line.trim().is_empty() || line.trim_start().starts_with('#') {
                    continue;
                }
                if lines_tx.send(Some(line)).is_err() {
                    return;
                }
            }
            let _ = lines_tx.send(None);
        });
        Box::new(|text: String| {
            let mut out = io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        })
    } else {
        let config = Config::builder().completion_type(CompletionType::List).auto_add_history(true).build();
        let mut editor: Editor<GmHelper, rustyline::history::DefaultHistory> =
            Editor::with_config(config).map_err(NetError::Terminal)?;
        editor.set_helper(Some(GmHelper { scenario: scenario.clone() }));
        let mut printer = editor.create_external_printer().map_err(NetError::Terminal)?;
        print!("{banner}");
        std::thread::spawn(move || {
            loop {
                match editor.readline("gm> ") {
                    Ok(line) => {
                        if lines_tx.send(Some(line)).is_err() {
                            break;
                        }
                    }
                    Err(rustyline::error::ReadlineError::Interrupted) => continue,
                    Err(_) => {
                        let _ = lines_tx.send(None);
                        break;
                    }
                }
            }
        });
        Box::new(move |text| {
            use rustyline::ExternalPrinter;
            let _ = printer.print(text);
        })
    };
    runtime.block_on(async {
        let mut input_open = true;
        loop {
            tokio::select! {
                event = host.feed.recv() => {
                    let Some(event) = event else { break };
                    // At a terminal the editor already shows what the GM typed.
                    let typed_here = terminal && matches!(event.kind, EventKind::GmCommand { .. });
                    if let Some(doc) = gm_feed(&event, tod).filter(|_| !typed_here) {
                        print(paint(&doc, color));
                    }
                    if matches!(event.kind, EventKind::Ended { .. }) {
                        break;
                    }
                }
                line = lines.recv(), if input_open => match line {
                    Some(Some(line)) => host.gm(&line).await,
                    // Ctrl-D at the console ends the drill; a piped script that ends leaves the drill running
                    // until the responders finish it.
                    Some(None) | None => {
                        input_open = false;
                        if terminal {
                            host.gm("end").await;
                        }
                    }
                },
            }
        }
        host.finish().await.ok_or(NetError::DrillStopped)
    })
}
