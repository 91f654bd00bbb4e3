//! `wom spin`, `wom history` and `wom roster`: the wheel's verbs, and the history record `play` appends.

use super::CliError;
use crate::scenario::BUILTIN;
use crate::session::{Style, sparkline, table};
use crate::wheel::{Candidate, History, Level, Pick, Played, Roster, Slice, SpinRequest, WheelFiles, spin};
use chrono::{DateTime, Utc};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the wheel's files live (shared by every wheel verb and `play`).
#[derive(clap::Args, Debug, Clone)]
pub struct WheelDir {
    /// Directory holding the wheel's roster.ron and history.ron.
    #[arg(long = "wheel", value_name = "DIR", default_value = "wheel")]
    pub dir: PathBuf,
}

impl Default for WheelDir {
    fn default() -> WheelDir {
        WheelDir { dir: PathBuf::from("wheel") }
    }
}

/// `wom spin`.
#[derive(clap::Args, Debug)]
pub struct SpinArgs {
    /// Spin for this person (default: the wheel picks someone from the roster).
    #[arg(long = "for", value_name = "NAME")]
    person: Option<String>,
    /// Only scenarios with this tag.
    #[arg(long, value_name = "T")]
    tag: Option<String>,
    /// Aim for this level instead of the person's own.
    #[arg(long, value_enum, value_name = "L")]
    level: Option<Level>,
    /// Seed of the draw; the same seed and files land on the same pick.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    #[command(flatten)]
    wheel: WheelDir,
}

/// `wom history`.
#[derive(clap::Args, Debug)]
pub struct HistoryArgs {
    /// Only this person's drills.
    name: Option<String>,
    #[command(flatten)]
    wheel: WheelDir,
}

/// `wom roster`.
#[derive(clap::Args, Debug)]
pub struct RosterArgs {
    #[command(subcommand)]
    action: Option<RosterAction>,
    #[command(flatten)]
    wheel: WheelDir,
}

#[derive(clap::Subcommand, Debug)]
enum RosterAction {
    /// Add someone (or change their level)
    Add {
        /// Their name, one word (what `wom play --player` takes).
        name: String,
        /// Their level.
        #[arg(long, value_enum)]
        level: Level,
    },
    /// List everyone with their level and drills played (the default)
    List,
    /// Remove someone (their history stays)
    Remove {
        /// Their name.
        name: String,
    },
}

/// The current time: `WOM_NOW` (RFC 3339) when set, so tests and demos can pin it, else the clock.
pub fn now() -> Result<DateTime<Utc>, CliError> {
    match std::env::var("WOM_NOW") {
        Ok(text) => DateTime::parse_from_rfc3339(&text)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|e| CliError::Clock { message: e.to_string(), text }),
        Err(_) => Ok(Utc::now()),
    }
}

/// Appends a finished drill to the history.
pub fn record(wheel: &WheelDir, played: &Played) -> Result<PathBuf, CliError> {
    let path = WheelFiles::new(&wheel.dir).history();
    History::append(&path, played)?;
    Ok(path)
}

fn candidates() -> Result<Vec<Candidate>, CliError> {
    BUILTIN.iter().map(|(id, _, _)| super::resolve_scenario(id).map(|s| Candidate::from(&s.meta))).collect()
}

fn load(wheel: &WheelDir) -> Result<(Roster, History), CliError> {
    let files = WheelFiles::new(&wheel.dir);
    let roster = Roster::load(&files.roster())?;
    let history = History::load(&files.history())?;
    Ok((roster, history))
}

/// `wom spin`: picks, explains, and (on a terminal) spins a little first.
pub fn run_spin(args: SpinArgs) -> Result<ExitCode, CliError> {
    let (roster, history) = load(&args.wheel)?;
    let seed = args.seed.unwrap_or_else(|| u64::from(rand::random::<u32>()));
    let request = SpinRequest { person: args.person, tag: args.tag, level: args.level, seed };
    let pick = spin(&candidates()?, &roster, &history, now()?, &request)?;
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = stdout.lock();
    if terminal {
        let names: Vec<&str> = pick.scenarios.iter().map(|s| s.name.as_str()).collect();
        let at = names.iter().position(|n| *n == pick.scenario).unwrap_or(0);
        animate(&mut out, &names, at).map_err(CliError::Output)?;
    }
    write!(out, "{}", render_pick(&pick)).map_err(CliError::Output)?;
    Ok(ExitCode::SUCCESS)
}

/// A short spin on one line, slowing down onto `landing`, then erased.
fn animate(out: &mut impl Write, names: &[&str], landing: usize) -> io::Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let laps = 12usize.div_ceil(names.len());
    let frames = laps * names.len() + landing + 1;
    for i in 0..frames {
        write!(out, "\r\x1b[2K  ( {:<width$} )", names[i % names.len()])?;
        out.flush()?;
        let slow = 30 + 250 * (i * i) / (frames * frames);
        std::thread::sleep(std::time::Duration::from_millis(slow as u64));
    }
    write!(out, "\r\x1b[2K")
}

fn render_pick(pick: &Pick) -> String {
    let mut s = String::new();
    let who = pick.person.as_deref().map_or(String::new(), |p| format!(" for {p}"));
    s.push_str(&format!("The wheel lands on {}{who} (seed {}).\n", pick.scenario, pick.seed));
    if !pick.people.is_empty() {
        s.push_str("\nWho (those who never played first, then longest since their last drill):\n");
        s.push_str(&slices(&pick.people, pick.person.as_deref().unwrap_or("")));
    }
    match &pick.level {
        Some((level, from)) => s.push_str(&format!("\nLevel: {} ({from}).\n", level.label())),
        None => match pick.person.as_deref() {
            Some(p) => s.push_str(&format!(
                "\nLevel: any ({p} is not on the roster; `wom roster add {p} --level <level>` or --level).\n"
            )),
            None => s.push_str("\nLevel: any (no one on the roster; use --for or --level).\n"),
        },
    }
    s.push_str("\nScenario (unplayed first, difficulty near the level, long-unplayed and new topics weigh more):\n");
    s.push_str(&slices(&pick.scenarios, &pick.scenario));
    let player = pick.person.as_deref().map_or(String::new(), |p| format!(" --player {p}"));
    s.push_str(&format!("\nNext: wom play {}{player}\n", pick.scenario));
    s
}

fn slices(slices: &[Slice], chosen: &str) -> String {
    let width = slices.iter().map(|s| s.name.chars().count()).max().unwrap_or(0);
    slices
        .iter()
        .map(|sl| {
            let mark = if sl.name == chosen { ">" } else { " " };
            let pct = format!("{:.0}%", sl.chance * 100.0);
            format!("{mark} {:<width$}  {pct:>4}  {}\n", sl.name, sl.reasons.join("; "))
        })
        .collect()
}

/// `wom history [NAME]`: the drills, newest last, and each person's trend.
pub fn run_history(args: HistoryArgs) -> Result<ExitCode, CliError> {
    let (roster, history) = load(&args.wheel)?;
    let mut out = io::stdout().lock();
    if let Some(name) = &args.name
        && history.of(name).next().is_none()
    {
        if roster.get(name).is_some() {
            let _ = writeln!(out, "{name} has not played a drill yet.");
            return Ok(ExitCode::SUCCESS);
        }
        let mut known = history.people();
        known.extend(roster.names().into_iter().filter(|n| history.of(n).next().is_none()));
        let closest = crate::scenario::closest(name, &known).map(str::to_string);
        let kind = crate::wheel::WheelErrorKind::UnknownPerson { name: name.clone(), closest, known };
        return Err(crate::wheel::WheelError::new(kind).into());
    }
    if history.drills.is_empty() {
        let _ = writeln!(out, "No drills played yet. `wom play --player NAME` records one.");
        return Ok(ExitCode::SUCCESS);
    }
    let people: Vec<String> = match &args.name {
        Some(name) => vec![name.clone()],
        None => history.people(),
    };
    let mut rows = vec![["DATE", "WHO", "SCENARIO", "SEED", "SCORE", "GM"].map(str::to_string).to_vec()];
    for d in history.drills.iter().filter(|d| people.contains(&d.who)) {
        let date = d.when().map_or(d.date.clone(), |w| w.format("%Y-%m-%d %H:%M").to_string());
        rows.push(vec![
            date,
            d.who.clone(),
            d.scenario.clone(),
            d.seed.to_string(),
            format!("{}/{}", d.score, d.max),
            d.gm.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    let _ = write!(out, "{}", columns(&rows));
    let _ = writeln!(out, "\nTrend (score %, oldest to newest):");
    let mut trend = Vec::new();
    for who in &people {
        let scores: Vec<i64> = history.of(who).map(Played::percent).collect();
        let values: Vec<f64> = scores.iter().map(|p| *p as f64).collect();
        let line = sparkline(&values, 40);
        let (first, last) = (scores[0], scores[scores.len() - 1]);
        let change = match last - first {
            0 if scores.len() == 1 => String::new(),
            0 => ", level".to_string(),
            d if d > 0 => format!(", up {d} points"),
            d => format!(", down {} points", -d),
        };
        let n = crate::session::count(scores.len(), "drill");
        let level = roster.get(who).map_or(String::new(), |e| format!(", {}", e.level.label()));
        trend.push(vec![who.clone(), line, format!("{n}, last {last}%{change}{level}")]);
    }
    let _ = write!(out, "{}", columns(&trend));
    Ok(ExitCode::SUCCESS)
}

/// `wom roster add|list|remove`.
pub fn run_roster(args: RosterArgs) -> Result<ExitCode, CliError> {
    let files = WheelFiles::new(&args.wheel.dir);
    let (mut roster, history) = load(&args.wheel)?;
    let mut out = io::stdout().lock();
    match args.action.unwrap_or(RosterAction::List) {
        RosterAction::Add { name, level } => {
            let before = roster.add(&name, level)?;
            roster.save(&files.roster())?;
            let _ = match before {
                None => writeln!(out, "Added {name} ({}).", level.label()),
                Some(old) if old == level => writeln!(out, "{name} is already on the roster ({}).", level.label()),
                Some(old) => writeln!(out, "{name} moves from {} to {}.", old.label(), level.label()),
            };
        }
        RosterAction::Remove { name } => {
            let gone = roster.remove(&name)?;
            roster.save(&files.roster())?;
            let kept = history.of(&name).count();
            let note = if kept > 0 {
                format!("; their {} stay in the history", crate::session::count(kept, "drill"))
            } else {
                String::new()
            };
            let _ = writeln!(out, "Removed {} ({}){note}.", gone.name, gone.level.label());
        }
        RosterAction::List => {
            if roster.engineers.is_empty() {
                let _ = writeln!(out, "The roster is empty. Add people with `wom roster add NAME --level LEVEL`.");
                return Ok(ExitCode::SUCCESS);
            }
            let mut rows = vec![["NAME", "LEVEL", "DRILLS", "LAST PLAYED"].map(str::to_string).to_vec()];
            for e in &roster.engineers {
                let last = history
                    .of(&e.name)
                    .filter_map(|d| d.when())
                    .max()
                    .map_or("-".to_string(), |d| d.format("%Y-%m-%d").to_string());
                rows.push(vec![e.name.clone(), e.level.label().into(), history.of(&e.name).count().to_string(), last]);
            }
            let _ = write!(out, "{}", columns(&rows));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Plain left-aligned columns (the session's table, without styles).
fn columns(rows: &[Vec<String>]) -> String {
    let styled = rows.iter().map(|r| r.iter().map(|c| (Style::Plain, c.clone())).collect()).collect();
    table(styled).plain_text()
}
