//! The `wom` command line: which scenario, which seed, where input comes from and where the debrief goes.

use crate::repl::{self, Display, Feed, LineSource};
use crate::scenario::{BUILTIN, DEFAULT_SCENARIO, Scenario, ScenarioError, builtin, load_file};
use crate::session::{Drill, check_walkthrough, debrief};
use clap::{Parser, Subcommand};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

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
pub fn resolve_scenario(name: &str) -> Result<Scenario, String> {
    let path = Path::new(name);
    if name.ends_with(".ron") || path.exists() {
        return load_file(path).map_err(|e: ScenarioError| e.to_string());
    }
    match builtin(name) {
        Some(result) => result.map_err(|e| e.to_string()),
        None => {
            let ids: Vec<String> = BUILTIN.iter().map(|(id, _, _)| id.to_string()).collect();
            let hint = crate::scenario::closest(name, &ids).map_or(String::new(), |c| format!("did you mean `{c}`? "));
            Err(format!("no scenario `{name}`; {hint}built-in: {}; or give a path to a .ron file", ids.join(", ")))
        }
    }
}

fn play(args: PlayArgs) -> Result<ExitCode, String> {
    let scenario = Arc::new(resolve_scenario(args.scenario.as_deref().unwrap_or(DEFAULT_SCENARIO))?);
    let seed = args.seed.unwrap_or_else(|| u64::from(rand::random::<u32>()));
    let player = player_name(args.player.as_deref())?;
    let stdout = io::stdout();
    let source = match &args.script {
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|e| format!("cannot read script {}: {e}", path.display()))?;
            LineSource::Lines(Box::new(io::BufReader::new(file)))
        }
        None if io::stdin().is_terminal() => {
            LineSource::terminal(scenario.clone()).map_err(|e| format!("cannot open the terminal: {e}"))?
        }
        None => LineSource::Lines(Box::new(io::BufReader::new(io::stdin()))),
    };
    // On a terminal the editor shows prompt and line itself; anywhere else the transcript echoes them.
    let terminal = stdout.is_terminal();
    let display = Display { color: repl::want_color(terminal), echo: !(source.is_terminal() && terminal), terminal };
    // Find out now, not after the drill, if the debrief cannot be written.
    std::fs::create_dir_all(&args.debrief)
        .map_err(|e| format!("cannot create the debrief directory {}: {e}", args.debrief.display()))?;
    let mut feed = Feed::new(source).with_signals().map_err(|e| format!("cannot watch for signals: {e}"))?;
    tracing::info!(seed, "drill starting");
    let mut drill = Drill::start(scenario, seed);
    let mut out = stdout.lock();
    let report = repl::run(&mut drill, &mut feed, &mut out, display);
    drop(feed);
    let written = debrief(&drill);
    let path = write_debrief(&args.debrief, &drill, &written).map_err(|e| format!("cannot write the debrief: {e}"))?;
    let played = wom_played(&player, drill.scenario().meta.id.clone(), seed, &written.score, None)?;
    let history = wheel::record(&args.wheel, &played);
    let recorded = match &history {
        Ok(history) => format!("Recorded for {player} in {}", history.display()),
        Err(e) => format!("could not record the drill in the wheel's history: {e}"),
    };
    let mut err = io::stderr().lock();
    if let Some(stop) = report.stopped_by {
        let _ = writeln!(err, "wom: {} received; the drill ended there and its debrief was written", stop.name());
    }
    match report.output_lost {
        None => {
            let tail = format!(
                "\n{}Debrief written to {}\n{recorded}\n",
                repl::paint(&written.score.render(), display.color),
                path.display()
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
                drill.end_reason().map_or("ended", end_label),
                path.display()
            );
        }
    }
    history.map(|_| ExitCode::SUCCESS)
}

/// Who plays: `--player`, else `$WOM_PLAYER`, else `$USER`, else "volunteer".
fn player_name(flag: Option<&str>) -> Result<String, String> {
    let name = flag
        .map(str::to_string)
        .or_else(|| std::env::var("WOM_PLAYER").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "volunteer".to_string());
    crate::wheel::check_name(&name).map_err(|e| e.to_string())?;
    Ok(name)
}

/// The history record of a finished drill, dated now.
fn wom_played(
    who: &str,
    scenario: String,
    seed: u64,
    score: &crate::session::Scorecard,
    gm: Option<String>,
) -> Result<crate::wheel::Played, String> {
    let date = wheel::now()?.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    Ok(crate::wheel::Played { date, who: who.to_string(), scenario, seed, score: score.total, max: score.max, gm })
}

fn end_label(reason: crate::session::EndReason) -> &'static str {
    use crate::session::EndReason::*;
    match reason {
        Resolved => "resolved",
        Quit => "quit",
        EndOfInput => "end of input",
        Signal => "stopped by a signal",
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

fn list() -> Result<ExitCode, String> {
    let mut out = io::stdout().lock();
    for (id, _, _) in BUILTIN {
        let scenario = resolve_scenario(id)?;
        let mark = if *id == DEFAULT_SCENARIO { " (default)" } else { "" };
        let _ = writeln!(
            out,
            "{id}{mark}  {:?}  {}",
            scenario.meta.difficulty,
            scenario.meta.briefing.lines().next().unwrap_or("")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn check(names: &[String]) -> Result<ExitCode, String> {
    let names: Vec<String> =
        if names.is_empty() { BUILTIN.iter().map(|(id, _, _)| id.to_string()).collect() } else { names.to_vec() };
    let mut out = io::stdout().lock();
    let mut failed = false;
    for name in &names {
        let verdict = resolve_scenario(name).map(|s| check_walkthrough(Arc::new(s)).map(|ok| ok.to_string()));
        let line = match verdict {
            Err(err) => {
                failed = true;
                format!("FAIL {err}")
            }
            Ok(Err(why)) => {
                failed = true;
                format!("FAIL {name}: {why}")
            }
            Ok(Ok(summary)) => format!("ok   {name}: {summary}"),
        };
        let _ = writeln!(out, "{line}");
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
