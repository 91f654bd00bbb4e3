//! The GM console of `wom host`: starts the host, prints the join code, shows the GM feed (every event,
//! hidden truth included, with who ran each command) and sends the GM's lines to the drill.

use super::server::{Host, HostConfig};
use crate::repl::paint;
use crate::scenario::Scenario;
use crate::session::{Drill, EventKind, gm_completions, gm_feed};
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
    /// GM lines from a terminal (`None`: read them from standard input, line by line).
    pub terminal: bool,
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
pub fn host(drill: Drill, options: HostOptions) -> Result<Drill, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    let scenario = Arc::new(drill.scenario().clone());
    let tod = drill.sim().page_time_of_day();
    let config = HostConfig { listen: options.listen, code: options.code.clone() };
    let mut host = runtime
        .block_on(Host::start(drill, config))
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let addr = host.addr();
    let banner = format!(
        "wom host: GM console for `{}`\nJoin code: {}\n  responders: wom join {addr} --code {} --name <name>\n  observers:  wom join {addr} --code {} --observe\nType `help` for the GM commands; `state` shows what only you can see.\n",
        scenario.meta.id, options.code, options.code, options.code
    );
    let (lines_tx, mut lines) = mpsc::unbounded_channel::<Option<String>>();
    let color = options.color;
    let mut print: Box<dyn FnMut(String) + Send> = if options.terminal {
        let config = Config::builder().completion_type(CompletionType::List).auto_add_history(true).build();
        let mut editor: Editor<GmHelper, rustyline::history::DefaultHistory> =
            Editor::with_config(config).map_err(|e| e.to_string())?;
        editor.set_helper(Some(GmHelper { scenario: scenario.clone() }));
        let mut printer = editor.create_external_printer().map_err(|e| e.to_string())?;
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
    } else {
        print!("{banner}");
        let _ = io::stdout().flush();
        std::thread::spawn(move || {
            let stdin = io::stdin();
            for line in stdin.lock().lines() {
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
    };
    runtime.block_on(async {
        let mut input_open = true;
        loop {
            tokio::select! {
                event = host.feed.recv() => {
                    let Some(event) = event else { break };
                    // At a terminal the editor already shows what the GM typed.
                    let typed_here = options.terminal && matches!(event.kind, EventKind::GmCommand { .. });
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
                        if options.terminal {
                            host.gm("end").await;
                        }
                    }
                },
            }
        }
        // Let participants read the end before the server stops.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        host.finish().await.ok_or_else(|| "the drill task stopped unexpectedly".to_string())
    })
}
