//! `wom export` and `wom query`: the drill's telemetry outside the drill. `export` writes the
//! volunteer-visible history as OpenMetrics text; `query --load` evaluates PromQL over such a file and
//! prints as promtool does (`--json` for Prometheus's HTTP API JSON).

use super::CliError;
use crate::promql::{self, Answer, MemStorage, QueryValue, Storage, openmetrics};
use crate::scenario::SimDuration;
use crate::sim::Sim;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Unix time (seconds) of the midnight before an exported drill's page: 2026-01-01T00:00:00Z. The page
/// lands at the scenario's page time of day on that date.
pub const EXPORT_DAY: i64 = 1_767_225_600;

/// `wom export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// A built-in scenario id or a path to a .ron file.
    scenario: String,
    /// Seed for the simulation's random draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulated time after the page to run to before exporting (e.g. `30m`; default: the page).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Write OpenMetrics text with timestamps (the only format, and required so scripts say what they get).
    #[arg(long, required = true)]
    openmetrics: bool,
}

/// `wom query`.
#[derive(clap::Args, Debug)]
pub struct QueryArgs {
    /// An OpenMetrics (or Prometheus text) file with timestamps, e.g. from `wom export`.
    #[arg(long, value_name = "FILE")]
    load: PathBuf,
    /// Evaluation time, RFC 3339 or Unix seconds (default: the file's last timestamp).
    #[arg(long, value_name = "TIME", conflicts_with = "range")]
    at: Option<String>,
    /// A range query: start and end (RFC 3339 or Unix seconds) and step (`1m`, or seconds).
    #[arg(long, num_args = 3, value_names = ["START", "END", "STEP"])]
    range: Option<Vec<String>>,
    /// Print Prometheus's HTTP API JSON instead of promtool's text.
    #[arg(long)]
    json: bool,
    /// The PromQL expression (after `--` when it starts with `-`).
    expr: String,
}

/// Runs `wom export`.
pub fn run_export(args: ExportArgs) -> Result<ExitCode, CliError> {
    let _ = args.openmetrics;
    let scenario = Arc::new(super::resolve_scenario(&args.scenario)?);
    let until = match &args.until {
        None => 0,
        Some(text) => {
            SimDuration::parse(text)
                .map_err(|message| CliError::Usage { flag: "--until", message: message.to_string() })?
                .0
        }
    };
    if until < 0 {
        let message = "the export runs forward from the page; give a duration such as `30m`".into();
        return Err(CliError::Usage { flag: "--until", message });
    }
    let mut sim = Sim::new(scenario, args.seed);
    sim.advance(until);
    let page_ms = (EXPORT_DAY + sim.page_time_of_day()) * 1000;
    let store = sim.store();
    let ids: Vec<usize> = (0..store.len()).collect();
    let labels: Vec<promql::Labels> = ids.iter().map(|&i| store.labels(i).clone()).collect();
    // The simulated history, not the baseline backfill before it (30 days of flat lines a query can read).
    let from = sim.history().first_t() * 1000;
    let samples: Vec<Vec<(i64, f64)>> = store
        .samples(&ids, from, i64::MAX / 4)
        .into_iter()
        .map(|s| s.into_iter().map(|(t, v)| (t + page_ms, v)).collect())
        .collect();
    let text = openmetrics::write(labels.iter().zip(samples.iter().map(Vec::as_slice)));
    io::stdout().lock().write_all(text.as_bytes()).map_err(CliError::Output)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `wom query`.
pub fn run_query(args: QueryArgs) -> Result<ExitCode, CliError> {
    let text =
        std::fs::read_to_string(&args.load).map_err(|source| CliError::Load { path: args.load.clone(), source })?;
    let store: MemStorage =
        openmetrics::parse(&text).map_err(|error| CliError::Data { path: args.load.clone(), error })?;
    let result = match &args.range {
        Some(range) => {
            let (start, end) = (parse_time("--range", &range[0])?, parse_time("--range", &range[1])?);
            let step = parse_step(&range[2])?;
            promql::range_query(&store, &args.expr, start, end, step)
        }
        None => {
            let at = match &args.at {
                Some(t) => parse_time("--at", t)?,
                None => store.max_time().unwrap_or(0),
            };
            promql::instant_query(&store, &args.expr, at).map(|a| (a, at)).map(|(mut a, at)| {
                stamp(&mut a, at);
                a
            })
        }
    };
    let answer = match result {
        Ok(a) => a,
        Err(e) if args.json => {
            let body = serde_json::json!({"status": "error", "errorType": "bad_data", "error": e.to_string()});
            println!("{body}");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(CliError::Query(e)),
    };
    let at = match args.at.as_deref() {
        Some(t) => parse_time("--at", t)?,
        None => store.max_time().unwrap_or(0),
    };
    let out = if args.json { crate::http::json::answer(&answer, at).to_string() } else { promtool_text(&answer, at) };
    let mut stdout = io::stdout().lock();
    let _ = writeln!(stdout, "{out}");
    for note in &answer.notes {
        let _ = writeln!(io::stderr(), "note: {note}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Instant results carry the evaluation time.
fn stamp(answer: &mut Answer, at: i64) {
    if let QueryValue::Vector(samples) = &mut answer.value {
        for s in samples {
            s.t = at;
        }
    }
}

/// RFC 3339 or Unix seconds, in milliseconds.
pub fn parse_time(flag: &'static str, text: &str) -> Result<i64, CliError> {
    if let Ok(secs) = text.parse::<f64>()
        && secs.is_finite()
    {
        return Ok((secs * 1000.0).round() as i64);
    }
    chrono::DateTime::parse_from_rfc3339(text).map(|t| t.timestamp_millis()).map_err(|_| CliError::Usage {
        flag,
        message: format!("cannot parse `{text}` as a time: give RFC 3339 (2026-01-01T14:05:00Z) or Unix seconds"),
    })
}

/// A step: a duration such as `1m` or `15s`, or seconds.
fn parse_step(text: &str) -> Result<i64, CliError> {
    let ms = promql::promqltest::parse_duration(text)
        .or_else(|| text.parse::<f64>().ok().filter(|s| s.is_finite()).map(|s| (s * 1000.0).round() as i64));
    match ms {
        Some(ms) if ms > 0 => Ok(ms),
        _ => Err(CliError::Usage {
            flag: "--range",
            message: format!("step `{text}` is not a positive duration such as `1m` or a number of seconds"),
        }),
    }
}

/// A series as promtool prints it: `name{a="x", b="y"}`, `name`, or `{}`.
fn metric(labels: &[(String, String)]) -> String {
    let name = labels.iter().find(|(n, _)| n == "__name__").map_or("", |(_, v)| v.as_str());
    let rest: Vec<String> =
        labels.iter().filter(|(n, _)| n != "__name__").map(|(n, v)| format!("{n}=\"{}\"", promql::escape(v))).collect();
    match (name.is_empty(), rest.is_empty()) {
        (false, true) => name.to_string(),
        (true, true) => "{}".to_string(),
        _ => format!("{name}{{{}}}", rest.join(", ")),
    }
}

/// The answer as `promtool query` prints it.
fn promtool_text(answer: &Answer, at: i64) -> String {
    let ts = openmetrics::seconds;
    match &answer.value {
        QueryValue::Scalar(v) => format!("scalar: {} @[{}]", crate::promql::go_float(*v), ts(at)),
        QueryValue::String(s) => s.clone(),
        QueryValue::Vector(samples) => samples
            .iter()
            .map(|s| format!("{} => {} @[{}]", metric(&s.labels), crate::promql::go_float(s.value), ts(s.t)))
            .collect::<Vec<_>>()
            .join("\n"),
        QueryValue::Matrix(series) => series
            .iter()
            .map(|s| {
                let points: Vec<String> =
                    s.points.iter().map(|&(t, v)| format!("{} @[{}]", crate::promql::go_float(v), ts(t))).collect();
                format!("{} =>\n{}", metric(&s.labels), points.join("\n"))
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}
