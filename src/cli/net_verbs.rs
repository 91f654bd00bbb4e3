//! `wom host` and `wom join`: a drill served to several terminals, journaled like a solo one, and the
//! participant's side of it.

use super::{CliError, scenario_and_path, write_debrief};
use crate::journal::{Hosted, JournaledDrill, Participant, default_path, wall_clock};
use crate::net::{HostOptions, JoinInput, JoinOptions, new_join_code};
use crate::repl;
use crate::scenario::DEFAULT_SCENARIO;
use crate::session::debrief;
use std::io::{self, BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// `wom host`.
#[derive(clap::Args, Debug)]
pub struct HostArgs {
    /// A built-in scenario id or a path to a .ron file.
    scenario: Option<String>,
    /// Address to listen on (loopback by default; a LAN address lets others join).
    #[arg(long, default_value = "127.0.0.1:7300")]
    listen: SocketAddr,
    /// Join code to require (default: a random one with 80 bits of entropy).
    #[arg(long)]
    code: Option<String>,
    /// Seed for every random draw.
    #[arg(long)]
    seed: Option<u64>,
    /// Directory for the debrief files.
    #[arg(long, default_value = "debriefs")]
    debrief: PathBuf,
    /// Journal file for the drill (default: beside the debrief); never overwritten.
    #[arg(long)]
    journal: Option<PathBuf>,
    #[command(flatten)]
    wheel: super::wheel::WheelDir,
}

/// `wom join`.
#[derive(clap::Args, Debug)]
pub struct JoinArgs {
    /// The host's address, e.g. 127.0.0.1:7300.
    addr: String,
    /// The join code the GM gave out.
    #[arg(long)]
    code: String,
    /// Your name, shown with every command you run.
    #[arg(long)]
    name: Option<String>,
    /// Join read-only: see what the responders see, send nothing.
    #[arg(long)]
    observe: bool,
}

pub fn host(args: HostArgs) -> Result<ExitCode, CliError> {
    let (scenario, scenario_path) = scenario_and_path(args.scenario.as_deref().unwrap_or(DEFAULT_SCENARIO))?;
    let scenario = Arc::new(scenario);
    let seed = args.seed.unwrap_or_else(|| u64::from(rand::random::<u32>()));
    if args.code.as_deref().is_some_and(|c| c.trim().is_empty()) {
        return Err(CliError::EmptyCode);
    }
    std::fs::create_dir_all(&args.debrief)
        .map_err(|source| CliError::DebriefDir { path: args.debrief.clone(), source })?;
    let code = args.code.unwrap_or_else(new_join_code);
    let journal = args.journal.unwrap_or_else(|| default_path(&args.debrief, &scenario.meta.id, seed, &wall_clock()));
    let participants = vec![Participant { name: "gm".into(), role: "gm".into() }];
    let hosted = Hosted { listen: args.listen.to_string(), code: code.clone() };
    let drill = JournaledDrill::host(scenario, scenario_path.as_deref(), seed, participants, hosted, &journal)?;
    let note = format!("Journal: {} (`wom resume` continues the drill if the host stops)\n", journal.display());
    let served =
        Served { listen: args.listen, code, shown: 0, note, script: None, wheel: args.wheel, prometheus: None };
    serve(drill, served, &args.debrief)
}

/// How to serve a hosted drill, new or resumed.
pub(super) struct Served {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The join code.
    pub code: String,
    /// Events shown before (a resumed drill's history).
    pub shown: usize,
    /// Printed under the banner.
    pub note: String,
    /// GM lines from this file instead of standard input.
    pub script: Option<Box<dyn BufRead + Send>>,
    /// The wheel whose history records each responder.
    pub wheel: super::wheel::WheelDir,
    /// A port to serve Prometheus's HTTP API on besides the host's own.
    pub prometheus: Option<std::net::TcpListener>,
}

/// Serves a journaled hosted drill until it ends, then writes its debrief and closes its journal.
pub(super) fn serve(drill: JournaledDrill, served: Served, debrief_dir: &Path) -> Result<ExitCode, CliError> {
    let color = repl::want_color(io::stdout().is_terminal());
    let input = match served.script {
        Some(lines) => Some(lines),
        None if io::stdin().is_terminal() => None,
        None => Some(Box::new(io::BufReader::new(io::stdin())) as Box<dyn BufRead + Send>),
    };
    let options = HostOptions {
        listen: served.listen,
        code: served.code,
        color,
        input,
        shown: served.shown,
        note: served.note,
        prometheus: served.prometheus,
    };
    let stopped = crate::net::host(drill, options).map_err(CliError::Net)?;
    let mut drill = stopped.drill;
    if let Some(e) = stopped.journal_failed {
        return Err(CliError::JournalStopped(e));
    }
    let written = debrief(drill.drill());
    let path = write_debrief(debrief_dir, drill.drill(), &written).map_err(CliError::Debrief)?;
    let recorded = super::record_responders(&served.wheel, drill.drill(), &written.score);
    // Written up: nothing is left for `wom resume` to do.
    drill.close()?;
    let mut out = io::stdout().lock();
    let tail = format!(
        "\n{}Debrief written to {}\n{recorded}Journal: {}\n",
        repl::paint(&written.score.render(), color),
        path.display(),
        drill.path().display()
    );
    out.write_all(tail.as_bytes()).and_then(|()| out.flush()).map_err(CliError::Output)?;
    Ok(ExitCode::SUCCESS)
}

pub fn join(args: JoinArgs) -> Result<ExitCode, CliError> {
    let name = match args.name {
        Some(name) => name,
        None if args.observe => format!("observer-{:04x}", rand::random::<u16>()),
        None => std::env::var("USER").unwrap_or_else(|_| "responder".into()),
    };
    let options = JoinOptions { addr: args.addr, code: args.code, name, observe: args.observe };
    let input = if io::stdin().is_terminal() {
        JoinInput::Terminal
    } else {
        JoinInput::Lines(Box::new(io::BufReader::new(io::stdin())))
    };
    crate::net::join(options, input, repl::want_color(io::stdout().is_terminal())).map_err(CliError::Net)?;
    Ok(ExitCode::SUCCESS)
}
