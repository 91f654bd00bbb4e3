//! `wom resume`, `wom replay` and `wom debrief`: the verbs that read a drill's journal.

use super::{CliError, Ending, bind_prometheus, play_out_serving, wheel};
use crate::journal::{
    self, JournalError, JournalErrorKind, JournalFile, JournaledDrill, Rebuilt, ReplayOptions, load_scenario,
    scenario_hash,
};
use crate::repl::{self, Display, LineSource};
use crate::scenario::SimDuration;
use crate::session::{DrillInput, clock_label, count, offset_label};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// `wom resume`.
#[derive(clap::Args, Debug)]
pub struct ResumeArgs {
    /// The journal of the interrupted drill.
    journal: PathBuf,
    /// Read the remaining commands from this file instead of the terminal.
    #[arg(long)]
    script: Option<PathBuf>,
    /// Directory for the debrief files (default: the journal's directory).
    #[arg(long)]
    debrief: Option<PathBuf>,
    /// A hosted drill: listen here instead of where it was hosted (participants rejoin by themselves only
    /// at the same address).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Serve Prometheus's HTTP API on this address (e.g. 127.0.0.1:9090) for promtool and Grafana, as `wom play
    /// --prometheus` does, over the whole drill's series, those before the interruption included. A hosted drill
    /// serves it on its own port anyway; this serves it here as well.
    #[arg(long, value_name = "ADDR")]
    prometheus: Option<std::net::SocketAddr>,
    #[command(flatten)]
    wheel: wheel::WheelDir,
}

/// `wom replay`.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// The journal to replay.
    journal: PathBuf,
    /// Exit non-zero at the first event the replay does not reproduce, naming it.
    #[arg(long)]
    check: bool,
    /// Stop at this simulated time: a clock time (`14:30`, `14:30:15`) or time since the page (`25m`, `T+1h`).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
}

/// `wom debrief`.
#[derive(clap::Args, Debug)]
pub struct DebriefArgs {
    /// The journal of the drill.
    journal: PathBuf,
    /// Markdown for people, JSON for machines, or one self-contained HTML page with charts.
    #[arg(long, value_enum, default_value = "md")]
    format: DebriefFormat,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum DebriefFormat {
    Md,
    Json,
    Html,
}

pub fn resume(args: ResumeArgs) -> Result<ExitCode, CliError> {
    // A script that cannot be read is found out before the journal is touched.
    let script = args
        .script
        .as_deref()
        .map(|path| std::fs::File::open(path).map_err(|source| CliError::Script { path: path.to_path_buf(), source }))
        .transpose()?;
    // So is an address that cannot be listened on.
    let prometheus = bind_prometheus(args.prometheus)?;
    let resumed = JournaledDrill::resume(&args.journal)?;
    if let Some(torn) = &resumed.torn {
        let _ = writeln!(
            io::stderr(),
            "note: dropped a torn last line ({}, line {}): the drill was killed while writing it",
            count(torn.bytes, "byte"),
            torn.line
        );
    }
    if let Some(hosted) = resumed.header.hosted.clone() {
        return resume_hosted(&args, resumed, hosted, script, prometheus.map(|(_, listener)| listener));
    }
    let mut drill = resumed.drill;
    let scenario = Arc::new(drill.drill().scenario().clone());
    let source = match script {
        Some(file) => LineSource::Lines(Box::new(io::BufReader::new(file))),
        None => super::line_source(None, &scenario)?,
    };
    let display = super::display_for(&source);
    let d = drill.drill();
    let mut recap = format!(
        "Resumed from {}: {} replayed; it is {} ({}).\n",
        args.journal.display(),
        count(resumed.inputs, "input"),
        clock_label(d.sim().page_time_of_day(), d.now()),
        offset_label(d.now())
    );
    if let Some((input, at, range)) = &resumed.last {
        recap.push_str("Last before the interruption:\n");
        let mut shown = Vec::new();
        let _ = repl::print_step(d, line_of(input), *at, range.clone(), &mut shown, display);
        recap.push_str(&String::from_utf8_lossy(&shown));
    }
    if let Err(e) = io::stdout().write_all(recap.as_bytes()) {
        tracing::warn!(%e, "cannot show the recap");
    }
    let debrief_dir = args.debrief.clone().unwrap_or_else(|| journal_dir(&args.journal));
    let participants = &resumed.header.participants;
    let player = participants.iter().find(|p| p.role == "volunteer").map_or("volunteer", |p| p.name.as_str());
    let shown = d.events().len();
    let ending = Ending { debrief_dir: &debrief_dir, player, wheel: &args.wheel };
    play_out_serving(&mut drill, shown, source, &ending, prometheus)
}

/// Serves a hosted drill again where it was (or at `--listen`), with the same join code: participants
/// whose `wom join` is still running rejoin by themselves and get what they missed.
fn resume_hosted(
    args: &ResumeArgs,
    resumed: journal::Resumed,
    hosted: journal::Hosted,
    script: Option<std::fs::File>,
    prometheus: Option<std::net::TcpListener>,
) -> Result<ExitCode, CliError> {
    let listen = match args.listen {
        Some(listen) => listen,
        None => hosted.listen.parse().map_err(|_| CliError::Usage {
            flag: "--listen",
            message: format!("the journal's address `{}` is not an address; give one with --listen", hosted.listen),
        })?,
    };
    let d = resumed.drill.drill();
    let note = format!(
        "Resumed from {}: {} replayed; it is {} ({}). Participants rejoin by themselves; `state` shows where the drill stands.\nJournal: {}\n",
        args.journal.display(),
        count(resumed.inputs, "input"),
        clock_label(d.sim().page_time_of_day(), d.now()),
        offset_label(d.now()),
        args.journal.display()
    );
    let shown = d.events().len();
    let script = script.map(|file| Box::new(io::BufReader::new(file)) as Box<dyn io::BufRead + Send>);
    let served = super::net_verbs::Served {
        listen,
        code: hosted.code,
        shown,
        note,
        script,
        wheel: args.wheel.clone(),
        prometheus,
    };
    let debrief_dir = args.debrief.clone().unwrap_or_else(|| journal_dir(&args.journal));
    super::net_verbs::serve(resumed.drill, served, &debrief_dir)
}

fn line_of(input: &DrillInput) -> Option<&str> {
    match input {
        DrillInput::Line { line, .. } => Some(line),
        DrillInput::End { .. } | DrillInput::Gm { .. } | DrillInput::WallClock { .. } => None,
    }
}

fn journal_dir(journal: &Path) -> PathBuf {
    journal.parent().filter(|p| !p.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

pub fn replay(args: ReplayArgs) -> Result<ExitCode, CliError> {
    let journal = journal::read(&args.journal)?;
    let rebuilt = rebuild_noting_changes(&journal, args.until.as_deref())?;
    let terminal = io::stdout().is_terminal();
    let display = Display { color: repl::want_color(terminal), echo: true, terminal: false };
    let mut out = io::stdout().lock();
    let written = print_transcript(&rebuilt, &mut out, display);
    if let Err(e) = written.and_then(|()| out.flush())
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        return Err(CliError::Output(e));
    }
    let mut err = io::stderr();
    match (&rebuilt.difference, args.check) {
        (Some(difference), true) => {
            let _ = writeln!(err, "replay --check failed: {difference}");
            return Ok(ExitCode::FAILURE);
        }
        (Some(difference), false) => {
            let _ = writeln!(err, "note: the replay differs from the journal: {difference}");
        }
        (None, _) if !rebuilt.unrecorded.is_empty() => {
            let _ = writeln!(
                err,
                "note: the journal ends in the middle of an input: the replay produced {} it does not hold",
                count(rebuilt.unrecorded.len(), "event")
            );
        }
        (None, true) => {
            let checked = rebuilt.unrecorded.start;
            let _ = writeln!(err, "replay --check: all {} match the journal", count(checked, "event"));
        }
        (None, false) => {}
    }
    Ok(ExitCode::SUCCESS)
}

pub fn debrief(args: DebriefArgs) -> Result<ExitCode, CliError> {
    let journal = journal::read(&args.journal)?;
    let rebuilt = rebuild_noting_changes(&journal, None)?;
    if let Some(difference) = &rebuilt.difference {
        let _ = writeln!(io::stderr(), "note: the replay differs from the journal: {difference}");
    }
    let written = crate::session::debrief(&rebuilt.drill);
    let text = match args.format {
        DebriefFormat::Md => written.markdown,
        DebriefFormat::Json => written.json,
        DebriefFormat::Html => written.html,
    };
    match &args.output {
        // The same bytes as the file `play` writes.
        Some(path) => std::fs::write(path, text).map_err(CliError::Debrief)?,
        None => {
            let text = if text.ends_with('\n') { text } else { text + "\n" };
            let mut out = io::stdout().lock();
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
                && e.kind() != io::ErrorKind::BrokenPipe
            {
                return Err(CliError::Output(e));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Loads the journal's scenario as it is now and replays the journal against it; says first (on stderr)
/// when the scenario or wom changed since the drill was played.
fn rebuild_noting_changes(journal: &JournalFile, until: Option<&str>) -> Result<Rebuilt, CliError> {
    let mut err = io::stderr();
    if let Some(torn) = &journal.torn {
        let _ = writeln!(
            err,
            "note: {}: ignoring a torn last line ({}, line {}): the drill was killed while writing it",
            journal.path.display(),
            count(torn.bytes, "byte"),
            torn.line
        );
    }
    let reference = &journal.header.scenario;
    let scenario = load_scenario(reference)
        .map_err(|message| JournalError::new(&journal.path, JournalErrorKind::Scenario { message }))?;
    let current = scenario_hash(&scenario);
    if current != reference.hash {
        let _ = writeln!(
            err,
            "note: the scenario `{}` changed since the drill was played (hash {} then, {} now)",
            reference.id,
            &reference.hash[..reference.hash.len().min(12)],
            &current[..12]
        );
    }
    if journal.header.wom != env!("CARGO_PKG_VERSION") {
        let _ = writeln!(
            err,
            "note: the drill was played with wom {}; this is wom {}",
            journal.header.wom,
            env!("CARGO_PKG_VERSION")
        );
    }
    // Validation guarantees a page time; 09:00 is the simulation's own fallback.
    let page = scenario.clock.page_time_of_day().unwrap_or(9 * 3600);
    let until = until.map(|u| until_arg(u, page)).transpose()?;
    Ok(journal::rebuild(Arc::new(scenario), journal, &ReplayOptions { until }))
}

/// Prints a replayed drill as `wom play` printed it: each line after its prompt, then what the volunteer saw.
fn print_transcript(rebuilt: &Rebuilt, out: &mut dyn Write, display: Display) -> io::Result<()> {
    let drill = &rebuilt.drill;
    repl::print_step(drill, None, 0, rebuilt.opening(), out, display)?;
    for step in &rebuilt.steps {
        repl::print_step(drill, line_of(&step.input), step.at, step.events.clone(), out, display)?;
    }
    Ok(())
}

/// `--until`: a clock time on the drill's clock (`14:30`, `14:30:15`) or a time since the page (`25m`, `T+1h`).
fn until_arg(text: &str, page: i64) -> Result<i64, CliError> {
    let bad = || CliError::Until { text: text.to_string() };
    if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        let numbers: Vec<i64> = parts.iter().map(|p| p.parse::<i64>()).collect::<Result<_, _>>().map_err(|_| bad())?;
        let secs = match numbers[..] {
            [h, m] if (0..24).contains(&h) && (0..60).contains(&m) => h * 3600 + m * 60,
            [h, m, s] if (0..24).contains(&h) && (0..60).contains(&m) && (0..60).contains(&s) => h * 3600 + m * 60 + s,
            _ => return Err(bad()),
        };
        // A clock time earlier than the page means the next day (drills can run past midnight).
        return Ok((secs - page).rem_euclid(86_400));
    }
    let offset = text.strip_prefix("T+").unwrap_or(text);
    SimDuration::parse(offset).map(|d| d.secs()).map_err(|_| bad())
}
