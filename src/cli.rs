//! The `wom` command line: which scenario, which seed, where input comes from and where the debrief and the
//! journal go.

use crate::journal::{JournalError, JournaledDrill, Participant, default_path, wall_clock};
use crate::repl::{self, Display, Feed, LineSource};
use crate::scenario::{
    BUILTIN, DEFAULT_SCENARIO, RuleSeverity, Scenario, ScenarioError, builtin, load_file, read_source,
};
use crate::session::{CheckReport, Drill, briefing_card, check_source, debrief, gm_sheet};
use clap::{Parser, Subcommand};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

mod journal_verbs;
mod net_verbs;
mod promql;
mod wheel;

/// Wheel of Misfortune: incident-response drills on a simulated system.
#[derive(Parser, Debug)]
#[command(name = "wom", version, about, long_about = None, after_help = "Without a command, `wom` plays the default drill, like `wom play`.")]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Verb>,
}

#[derive(Subcommand, Debug)]
enum Verb {
    /// Play a drill as the volunteer (the default scenario when none is named)
    Play(PlayArgs),
    /// Validate scenarios and prove each is solvable by playing its walkthrough
    Check {
        /// Scenario ids or .ron files (default: every built-in scenario).
        scenarios: Vec<String>,
    },
    /// List the built-in scenarios
    List,
    /// Spin the wheel: pick the next scenario (and volunteer) and say why
    Spin(wheel::SpinArgs),
    /// Show who played what, their scores and each person's trend
    History(wheel::HistoryArgs),
    /// Add, list and remove the engineers who take turns at the wheel
    Roster(wheel::RosterArgs),
    /// Continue a drill from its journal after a crash, a kill or a closed terminal
    Resume(journal_verbs::ResumeArgs),
    /// Replay a journaled drill against its scenario and print the transcript
    Replay(journal_verbs::ReplayArgs),
    /// Write the debrief of a journaled drill
    Debrief(journal_verbs::DebriefArgs),
    /// Write a scenario's volunteer-visible metric history as OpenMetrics text with timestamps
    Export(promql::ExportArgs),
    /// Evaluate PromQL over series loaded from an OpenMetrics file, as promtool prints
    Query(promql::QueryArgs),
    /// Host a drill: the GM console here; responders and observers join with `wom join`
    Host(net_verbs::HostArgs),
    /// Join a hosted drill as a responder, or with --observe as a read-only observer
    Join(net_verbs::JoinArgs),
    /// Print a scenario's briefing card, or with --gm the Game Master's sheet, or with --ron its source
    Show {
        /// A built-in scenario id or a path to a .ron file.
        scenario: String,
        /// The GM's sheet: summary, notes, tracks, root cause, hints, walkthrough, rubric (spoilers).
        #[arg(long, conflicts_with = "ron")]
        gm: bool,
        /// The scenario's RON source, to adapt: `wom show api-timeouts --ron > ours.ron`.
        #[arg(long)]
        ron: bool,
    },
}

#[derive(clap::Args, Debug, Default)]
struct PlayArgs {
    /// A built-in scenario id or a path to a .ron file.
    scenario: Option<String>,
    /// Seed for every random draw; the same seed and inputs replay the same drill.
    #[arg(long)]
    seed: Option<u64>,
    /// Read commands from this file instead of the terminal (lines starting with # are skipped).
    #[arg(long)]
    script: Option<PathBuf>,
    /// Directory for the debrief files.
    #[arg(long, default_value = "debriefs")]
    debrief: PathBuf,
    /// Who is playing, as recorded in the wheel's history (default: $WOM_PLAYER, else $USER).
    #[arg(long, value_name = "NAME")]
    player: Option<String>,
    #[command(flatten)]
    wheel: wheel::WheelDir,
    /// Journal file for the drill (default: beside the debrief); never overwritten.
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Serve Prometheus's HTTP API on this address (e.g. 127.0.0.1:9090) for promtool and Grafana, over the
    /// series `query` sees. Its clock is the drill's: at each request the drill's current simulated time is
    /// mapped onto the wall clock's now, so "the last hour" is the last simulated hour and nothing later than
    /// the drill's present is served (docs/grafana.md).
    #[arg(long, value_name = "ADDR")]
    prometheus: Option<std::net::SocketAddr>,
}

/// Why a `wom` command could not do its job; the one place its wording lives.
#[derive(Debug)]
pub enum CliError {
    /// A scenario file that does not load or validate.
    Scenario(ScenarioError),
    /// A scenario name that is neither a built-in id nor a file.
    UnknownScenario {
        /// What was given.
        name: String,
        /// The closest built-in id, if any is close.
        suggestion: Option<String>,
        /// Every built-in id.
        builtin: Vec<String>,
    },
    /// The `--script` file cannot be read.
    Script { path: PathBuf, source: io::Error },
    /// The terminal editor cannot start.
    Terminal(rustyline::error::ReadlineError),
    /// Signal handlers cannot be installed.
    Signals(io::Error),
    /// The debrief directory cannot be created.
    DebriefDir { path: PathBuf, source: io::Error },
    /// The debrief files cannot be written.
    Debrief(io::Error),
    /// Writing to standard output failed.
    Output(io::Error),
    /// The wheel's roster or history refused (a bad name, an unreadable file…).
    Wheel(crate::wheel::WheelError),
    /// `WOM_NOW` is not a time.
    Clock { text: String, message: String },
    /// A journal that cannot be written, read or rebuilt.
    Journal(JournalError),
    /// The journal could not be written mid-drill; the drill stopped with its journal intact.
    JournalStopped(JournalError),
    /// A `--until` that is not a time.
    Until { text: String },
    /// A flag's value that does not fit (`--until`, `--at`, `--range`).
    Usage { flag: &'static str, message: String },
    /// The `--load` file cannot be read.
    Load { path: PathBuf, source: io::Error },
    /// A line of the `--load` file is not OpenMetrics.
    Data { path: PathBuf, error: crate::promql::openmetrics::ParseError },
    /// The query cannot be evaluated.
    Query(crate::promql::QueryError),
    /// A scenario file cannot be read (for `wom show --ron`).
    Read { path: PathBuf, source: io::Error },
    /// Hosting or joining a drill over the network failed (cannot listen, cannot connect, refused…).
    Net(crate::net::NetError),
    /// `--code` was given empty.
    EmptyCode,
    /// The `--prometheus` address cannot be listened on.
    Listen { addr: std::net::SocketAddr, source: io::Error },
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Scenario(err) => write!(f, "{err}"),
            CliError::UnknownScenario { name, suggestion, builtin } => {
                write!(f, "no scenario `{name}`; ")?;
                if let Some(best) = suggestion {
                    write!(f, "did you mean `{best}`? ")?;
                }
                write!(f, "built-in: {}; or give a path to a .ron file", builtin.join(", "))
            }
            CliError::Script { path, source } => write!(f, "cannot read script {}: {source}", path.display()),
            CliError::Terminal(err) => write!(f, "cannot open the terminal: {err}"),
            CliError::Signals(err) => write!(f, "cannot watch for signals: {err}"),
            CliError::DebriefDir { path, source } => {
                write!(f, "cannot create the debrief directory {}: {source}", path.display())
            }
            CliError::Debrief(err) => write!(f, "cannot write the debrief: {err}"),
            CliError::Output(err) => write!(f, "output failed: {err}"),
            CliError::Wheel(err) => write!(f, "{err}"),
            CliError::Clock { text, message } => {
                write!(f, "WOM_NOW `{text}` is not an RFC 3339 time like 2026-11-25T18:00:00Z: {message}")
            }
            CliError::Journal(err) => write!(f, "{err}"),
            CliError::JournalStopped(err) => write!(
                f,
                "{err}; the drill stopped there, its journal intact: `wom resume {}` continues it",
                err.path.display()
            ),
            CliError::Until { text } => write!(
                f,
                "bad --until `{text}`: expected a clock time like `14:30` or a time since the page like `25m` or `T+1h`"
            ),
            CliError::Usage { flag, message } => write!(f, "{flag}: {message}"),
            CliError::Load { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            CliError::Data { path, error } => write!(f, "{}:{}: {}", path.display(), error.line, error.message),
            CliError::Query(err) => write!(f, "{err}"),
            CliError::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            CliError::Net(err) => write!(f, "{err}"),
            CliError::EmptyCode => write!(f, "--code cannot be empty"),
            CliError::Listen { addr, source } => write!(f, "--prometheus: cannot listen on {addr}: {source}"),
        }
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CliError::Scenario(err) => Some(err),
            CliError::Script { source, .. } | CliError::DebriefDir { source, .. } => Some(source),
            CliError::Terminal(err) => Some(err),
            CliError::Signals(err) | CliError::Debrief(err) | CliError::Output(err) => Some(err),
            CliError::Wheel(err) => Some(err),
            CliError::Journal(err) | CliError::JournalStopped(err) => Some(err),
            CliError::Load { source, .. } => Some(source),
            CliError::Data { error, .. } => Some(error),
            CliError::Query(err) => Some(err),
            CliError::Net(err) => Some(err),
            CliError::UnknownScenario { .. }
            | CliError::Clock { .. }
            | CliError::Until { .. }
            | CliError::Usage { .. }
            | CliError::EmptyCode => None,
            CliError::Read { source, .. } | CliError::Listen { source, .. } => Some(source),
        }
    }
}

impl From<ScenarioError> for CliError {
    fn from(err: ScenarioError) -> CliError {
        CliError::Scenario(err)
    }
}

impl From<JournalError> for CliError {
    fn from(err: JournalError) -> CliError {
        CliError::Journal(err)
    }
}

impl From<crate::wheel::WheelError> for CliError {
    fn from(err: crate::wheel::WheelError) -> CliError {
        CliError::Wheel(err)
    }
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => play(PlayArgs { debrief: PathBuf::from("debriefs"), ..PlayArgs::default() }),
        Some(Verb::Play(args)) => play(args),
        Some(Verb::Check { scenarios }) => check(&scenarios),
        Some(Verb::List) => list(),
        Some(Verb::Spin(args)) => wheel::run_spin(args),
        Some(Verb::History(args)) => wheel::run_history(args),
        Some(Verb::Roster(args)) => wheel::run_roster(args),
        Some(Verb::Resume(args)) => journal_verbs::resume(args),
        Some(Verb::Replay(args)) => journal_verbs::replay(args),
        Some(Verb::Debrief(args)) => journal_verbs::debrief(args),
        Some(Verb::Export(args)) => promql::run_export(args),
        Some(Verb::Query(args)) => promql::run_query(args),
        Some(Verb::Host(args)) => net_verbs::host(args),
        Some(Verb::Join(args)) => net_verbs::join(args),
        Some(Verb::Show { scenario, gm, ron }) => show(&scenario, gm, ron),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(io::stderr(), "error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Loads a scenario by built-in id or path.
pub fn resolve_scenario(name: &str) -> Result<Scenario, CliError> {
    scenario_and_path(name).map(|(scenario, _)| scenario)
}

/// Loads a scenario by built-in id or path; for a file, also its absolute path (for the journal).
fn scenario_and_path(name: &str) -> Result<(Scenario, Option<PathBuf>), CliError> {
    let path = Path::new(name);
    if name.ends_with(".ron") || path.exists() {
        let scenario = load_file(path)?;
        return Ok((scenario, Some(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))));
    }
    match builtin(name) {
        Some(result) => Ok((result?, None)),
        None => {
            let builtin: Vec<String> = BUILTIN.iter().map(|(id, _, _)| id.to_string()).collect();
            let suggestion = crate::scenario::closest(name, &builtin).map(str::to_string);
            Err(CliError::UnknownScenario { name: name.to_string(), suggestion, builtin })
        }
    }
}

fn play(args: PlayArgs) -> Result<ExitCode, CliError> {
    let (scenario, scenario_path) = scenario_and_path(args.scenario.as_deref().unwrap_or(DEFAULT_SCENARIO))?;
    let scenario = Arc::new(scenario);
    let seed = args.seed.unwrap_or_else(|| u64::from(rand::random::<u32>()));
    let player = player_name(args.player.as_deref())?;
    let source = line_source(args.script.as_deref(), &scenario)?;
    // Find out now, not after the drill, if the debrief cannot be written.
    std::fs::create_dir_all(&args.debrief)
        .map_err(|source| CliError::DebriefDir { path: args.debrief.clone(), source })?;
    // Listen before the drill starts, so an address in use leaves no journal of a drill never played.
    let prometheus = bind_prometheus(args.prometheus)?;
    let journal = args.journal.unwrap_or_else(|| default_path(&args.debrief, &scenario.meta.id, seed, &wall_clock()));
    let participants = vec![Participant { name: player.clone(), role: "volunteer".into() }];
    tracing::info!(seed, "drill starting");
    let mut drill = JournaledDrill::start(scenario, scenario_path.as_deref(), seed, participants, &journal)?;
    if io::stdin().is_terminal() {
        let _ = writeln!(
            io::stderr(),
            "Journal: {} (`wom resume` continues the drill if it is interrupted)",
            journal.display()
        );
    }
    let ending = Ending { debrief_dir: &args.debrief, player: &player, wheel: &args.wheel };
    play_out_serving(&mut drill, 0, source, &ending, prometheus)
}

/// Binds the `--prometheus` address, if one was given (before a drill starts or resumes, so a busy address
/// changes nothing).
fn bind_prometheus(
    addr: Option<std::net::SocketAddr>,
) -> Result<Option<(std::net::SocketAddr, std::net::TcpListener)>, CliError> {
    addr.map(|addr| {
        std::net::TcpListener::bind(addr).map(|l| (addr, l)).map_err(|source| CliError::Listen { addr, source })
    })
    .transpose()
}

/// [`play_out`], serving Prometheus's HTTP API over the drill's series on `prometheus` meanwhile, if given.
fn play_out_serving(
    drill: &mut JournaledDrill,
    shown: usize,
    source: LineSource,
    ending: &Ending<'_>,
    prometheus: Option<(std::net::SocketAddr, std::net::TcpListener)>,
) -> Result<ExitCode, CliError> {
    let Some((addr, listener)) = prometheus else {
        return play_out(drill, shown, source, ending);
    };
    let mut publisher = crate::http::Publisher::new(drill.drill().sim());
    let server = crate::http::ApiServer::start(listener, publisher.live())
        .map_err(|source| CliError::Listen { addr, source })?;
    let _ = writeln!(
        io::stderr(),
        "Prometheus API: http://{} (promtool, Grafana: the drill's present is the wall clock's now)",
        server.addr()
    );
    let mut published = crate::http::Published { drill, publisher: &mut publisher };
    play_out(&mut published, shown, source, ending)
}

/// Where a drill's lines come from: a script, the terminal's editor, or standard input.
fn line_source(script: Option<&Path>, scenario: &Arc<Scenario>) -> Result<LineSource, CliError> {
    Ok(match script {
        Some(path) => {
            let file =
                std::fs::File::open(path).map_err(|source| CliError::Script { path: path.to_path_buf(), source })?;
            LineSource::Lines(Box::new(io::BufReader::new(file)))
        }
        None if io::stdin().is_terminal() => LineSource::terminal(scenario.clone()).map_err(CliError::Terminal)?,
        None => LineSource::Lines(Box::new(io::BufReader::new(io::stdin()))),
    })
}

/// How standard output shows a drill read from `source`.
fn display_for(source: &LineSource) -> Display {
    // On a terminal the editor shows prompt and line itself; anywhere else the transcript echoes them.
    let terminal = io::stdout().is_terminal();
    Display { color: repl::want_color(terminal), echo: !(source.is_terminal() && terminal), terminal }
}

/// A drill `play_out` runs: journaled, and possibly publishing its series (`--prometheus`).
trait PlayedDrill: crate::journal::FeedDrill {
    /// The journal underneath.
    fn journal(&mut self) -> &mut JournaledDrill;
}

impl PlayedDrill for JournaledDrill {
    fn journal(&mut self) -> &mut JournaledDrill {
        self
    }
}

impl PlayedDrill for crate::http::Published<'_, JournaledDrill> {
    fn journal(&mut self) -> &mut JournaledDrill {
        self.drill
    }
}

/// Where a finished drill is written up: its debrief, and who is recorded in the wheel's history.
struct Ending<'a> {
    debrief_dir: &'a Path,
    player: &'a str,
    wheel: &'a wheel::WheelDir,
}

/// Runs a drill (new or resumed) to its end from event `shown` on, then scores it, writes its debrief,
/// records it in the wheel's history and closes its journal.
fn play_out(
    drill: &mut impl PlayedDrill,
    shown: usize,
    source: LineSource,
    ending: &Ending,
) -> Result<ExitCode, CliError> {
    let display = display_for(&source);
    let mut feed = Feed::new(source).with_signals().map_err(CliError::Signals)?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let report = repl::run(drill, shown, ending.player, &mut feed, &mut out, display);
    drop(feed);
    if let Some(e) = report.journal_failed {
        return Err(CliError::JournalStopped(e));
    }
    let player = ending.player;
    let written = debrief(drill.drill());
    let path = write_debrief(ending.debrief_dir, drill.drill(), &written).map_err(CliError::Debrief)?;
    let (scenario, seed) = (drill.drill().scenario().meta.id.clone(), drill.drill().seed());
    let played = wom_played(player, scenario, seed, &written.score, None)?;
    let history = wheel::record(ending.wheel, &played);
    let recorded = match &history {
        Ok(history) => format!("Recorded for {player} in {}", history.display()),
        Err(e) => format!("could not record the drill in the wheel's history: {e}"),
    };
    if history.is_ok() {
        // Written up: nothing is left for `wom resume` to do.
        drill.journal().close()?;
    }
    let mut err = io::stderr().lock();
    if let Some(stop) = report.stopped_by {
        let _ = writeln!(err, "wom: {} received; the drill ended there and its debrief was written", stop.name());
    }
    match report.output_lost {
        None => {
            let tail = format!(
                "\n{}Debrief written to {}\n{recorded}\nJournal: {}\n",
                repl::paint(&written.score.render(), display.color),
                path.display(),
                drill.journal().path().display()
            );
            if let Err(e) = out.write_all(tail.as_bytes()).and_then(|()| out.flush()) {
                let _ =
                    writeln!(err, "wom: cannot write to standard output ({e}); debrief written to {}", path.display());
            }
        }
        Some(e) => {
            let _ = writeln!(
                err,
                "wom: standard output closed early ({e}); the drill went on without it to its end ({}); debrief written to {}; {recorded}",
                drill.drill().end_reason().map_or_else(|| "ended".to_string(), |r| r.to_string()),
                path.display()
            );
        }
    }
    history.map(|_| ExitCode::SUCCESS)
}

/// Who plays: `--player`, else `$WOM_PLAYER`, else `$USER`, else "volunteer".
fn player_name(flag: Option<&str>) -> Result<String, CliError> {
    let name = flag
        .map(str::to_string)
        .or_else(|| std::env::var("WOM_PLAYER").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "volunteer".to_string());
    crate::wheel::check_name(&name)?;
    Ok(name)
}

/// The history record of a finished drill, dated now.
fn wom_played(
    who: &str,
    scenario: String,
    seed: u64,
    score: &crate::session::Scorecard,
    gm: Option<String>,
) -> Result<crate::wheel::Played, CliError> {
    let date = wheel::now()?.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    Ok(crate::wheel::Played { date, who: who.to_string(), scenario, seed, score: score.total, max: score.max, gm })
}

/// Appends each responder of a hosted drill (everyone who typed a command) to the wheel's history with the
/// team's score, the GM (`$WOM_PLAYER`, else `$USER`) named on each; says what it did, as a line to print.
pub(crate) fn record_responders(
    wheel_dir: &wheel::WheelDir,
    drill: &Drill,
    score: &crate::session::Scorecard,
) -> String {
    let gm = player_name(None).ok();
    let (scenario, seed) = (drill.scenario().meta.id.clone(), drill.seed());
    let mut recorded = Vec::new();
    let mut lines = String::new();
    let responders = drill.record().people.iter().filter(|(name, p)| !p.commands.is_empty() && name.as_str() != "you");
    for (name, _) in responders {
        let done = wom_played(name, scenario.clone(), seed, score, gm.clone())
            .and_then(|played| wheel::record(wheel_dir, &played));
        match done {
            Ok(path) => recorded.push((name.clone(), path)),
            Err(e) => lines.push_str(&format!("could not record {name} in the wheel's history: {e}\n")),
        }
    }
    if let Some((_, path)) = recorded.first() {
        let names: Vec<&str> = recorded.iter().map(|(n, _)| n.as_str()).collect();
        lines.insert_str(0, &format!("Recorded for {} in {}\n", names.join(", "), path.display()));
    }
    lines
}

/// The RON text of a scenario, as shipped or as on disk.
pub fn scenario_source(name: &str) -> Result<String, CliError> {
    let path = Path::new(name);
    if name.ends_with(".ron") || path.exists() {
        return std::fs::read_to_string(path).map_err(|source| CliError::Read { path: path.to_path_buf(), source });
    }
    match BUILTIN.iter().find(|(id, _, _)| *id == name) {
        Some((_, _, text)) => Ok(text.to_string()),
        None => resolve_scenario(name).map(|_| String::new()),
    }
}

fn show(name: &str, gm: bool, ron: bool) -> Result<ExitCode, CliError> {
    // Load (and so validate) first: a broken file gets its `file:line:col` even with --ron.
    let scenario = resolve_scenario(name)?;
    let text = if ron {
        scenario_source(name)?
    } else {
        let doc = if gm { gm_sheet(&scenario) } else { briefing_card(&scenario) };
        repl::paint(&doc, repl::want_color(io::stdout().is_terminal()))
    };
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(CliError::Output(e)),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// Writes `<id>-seed<seed>.md`, `.json` and `.html` in `dir`, never overwriting an earlier debrief. The id is
/// validated at load; the name is still built only from characters safe in a file name.
fn write_debrief(dir: &Path, drill: &Drill, written: &crate::session::Debrief) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let id: String = drill
        .scenario()
        .meta
        .id
        .chars()
        .take(64)
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    let stem = format!("{}-seed{}", if id.is_empty() { "drill" } else { &id }, drill.seed());
    let mut n = 1;
    let md = loop {
        let name = if n == 1 { format!("{stem}.md") } else { format!("{stem}-{n}.md") };
        let candidate = dir.join(name);
        if !candidate.exists() {
            break candidate;
        }
        n += 1;
    };
    std::fs::write(&md, &written.markdown)?;
    std::fs::write(md.with_extension("json"), &written.json)?;
    std::fs::write(md.with_extension("html"), &written.html)?;
    Ok(md)
}

fn list() -> Result<ExitCode, CliError> {
    let mut out = io::stdout().lock();
    for (id, _, _) in BUILTIN {
        let scenario = resolve_scenario(id)?;
        let mark = if *id == DEFAULT_SCENARIO { " (default)" } else { "" };
        let _ = writeln!(
            out,
            "{id}{mark}  {}  {}",
            scenario.meta.difficulty,
            scenario.meta.briefing.lines().next().unwrap_or("")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn check(names: &[String]) -> Result<ExitCode, CliError> {
    let names: Vec<String> =
        if names.is_empty() { BUILTIN.iter().map(|(id, _, _)| id.to_string()).collect() } else { names.to_vec() };
    let mut out = io::stdout().lock();
    let mut failed = false;
    for name in &names {
        let report = match check_one(name) {
            Ok(report) => report,
            Err(err) => {
                failed = true;
                let _ = writeln!(out, "FAIL {err}");
                continue;
            }
        };
        for finding in &report.findings {
            let _ = writeln!(out, "{finding}");
        }
        let plural = |n: usize, what: &str| if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") };
        let warnings = match report.count(RuleSeverity::Warning) {
            0 => String::new(),
            n => format!("; {}", plural(n, "warning")),
        };
        match &report.solved {
            Some(solved) if report.passed() => {
                let _ = writeln!(out, "ok   {name}: {solved}{warnings}");
            }
            _ => {
                failed = true;
                let _ = writeln!(out, "FAIL {name}: {}{warnings}", plural(report.count(RuleSeverity::Error), "error"));
            }
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// `wom check` of one scenario, by path or built-in id (whose findings point into `scenarios/<id>.ron`).
fn check_one(name: &str) -> Result<CheckReport, CliError> {
    let path = Path::new(name);
    if name.ends_with(".ron") || path.exists() {
        return Ok(match read_source(path) {
            Ok(text) => check_source(&text, name),
            Err(err) => CheckReport::failed(&err),
        });
    }
    match BUILTIN.iter().find(|(id, _, _)| *id == name) {
        Some((_, file, text)) => Ok(check_source(text, file)),
        None => scenario_and_path(name).map(|_| CheckReport { findings: Vec::new(), solved: None }),
    }
}
