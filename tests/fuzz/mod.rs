//! Fuzzing on the stable toolchain: a seeded mutation loop over the shipped scenarios (loader and
//! validator) and a grammar of REPL lines fed to `Drill::respond` (with completion and the debrief). The
//! same engine runs briefly inside `cargo test` (tests/test_fuzz.rs) and for as long as asked from
//! `cargo run --release --example fuzz` (docs/fuzzing.md). It counts what the issue's "done when" names:
//! inputs tried, panics, inputs over one second, loader errors without a position, hidden-text leaks.

#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wom::scenario::{BUILTIN, Scenario, parse};
use wom::session::{Drill, EventKind, command_summaries, completions, debrief, volunteer_view};

/// An input slower than this counts as a finding.
pub const SLOW: Duration = Duration::from_secs(1);

/// What a run found.
#[derive(Debug, Default)]
pub struct Findings {
    /// Inputs tried.
    pub inputs: u64,
    /// Of those, scenarios that loaded (and were then played briefly) or lines that were accepted.
    pub accepted: u64,
    /// Inputs that panicked.
    pub panics: u64,
    /// Inputs that took longer than [`SLOW`].
    pub slow: u64,
    /// Loader errors without `file:line:col`.
    pub unpositioned: u64,
    /// Volunteer output that showed hidden text.
    pub leaks: u64,
    /// The slowest input.
    pub slowest: Duration,
    /// Up to a few reproductions of each kind of finding.
    pub examples: Vec<String>,
}

impl Findings {
    /// Whether nothing was found.
    pub fn clean(&self) -> bool {
        self.panics == 0 && self.slow == 0 && self.unpositioned == 0 && self.leaks == 0
    }

    fn note(&mut self, what: &str, input: &str) {
        if self.examples.len() < 20 {
            let shown: String = input.chars().take(300).collect();
            self.examples.push(format!("{what}: {shown:?}"));
        }
    }

    /// Adds another run's findings to these.
    pub fn merge(&mut self, other: Findings) {
        self.inputs += other.inputs;
        self.accepted += other.accepted;
        self.panics += other.panics;
        self.slow += other.slow;
        self.unpositioned += other.unpositioned;
        self.leaks += other.leaks;
        self.slowest = self.slowest.max(other.slowest);
        self.examples.extend(other.examples);
        self.examples.truncate(20);
    }
}

impl fmt::Display for Findings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} inputs ({} accepted): {} panics, {} over 1s (slowest {:.3}s), {} errors without a position, {} hidden-text leaks",
            self.inputs,
            self.accepted,
            self.panics,
            self.slow,
            self.slowest.as_secs_f64(),
            self.unpositioned,
            self.leaks
        )?;
        for example in &self.examples {
            write!(f, "\n  {example}")?;
        }
        Ok(())
    }
}

/// Runs `f`, catching a panic; returns its result (if it did not panic) and how long it took.
fn guarded<T>(f: impl FnOnce() -> T) -> (Option<T>, Duration) {
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(f)).ok();
    (result, start.elapsed())
}

/// Silences the default panic message while fuzzing (panics are counted and reported instead).
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}

// ---------------------------------------------------------------------------------------------------------
// Scenario mutations

const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "0.0",
    "-0.0",
    "1.0",
    "2",
    "1e12",
    "1e20",
    "1e308",
    "-1e308",
    "inf",
    "-inf",
    "NaN",
    "255",
    "4294967296",
    "18446744073709551615",
    "9223372036854775807",
    "-9223372036854775808",
    "0.5",
    "1e-320",
    "100000",
];

const STRINGS: &[&str] = &[
    "",
    " ",
    "web",
    "auth",
    "web\\t",
    "w\\u{1b}[31meb",
    "../../etc/passwd",
    "a/b",
    "x y",
    "1000000d",
    "100000000000d",
    "-5m",
    "0s",
    "30d",
    "999999999999999999999s",
    "5m",
    "1h",
    "25:00",
    "99:99",
    "\\u{202e}x",
    "caf\u{e9}",
    "signups_failing",
    "rollback",
    "status",
    "error_rate",
    "latency_p99",
    "{target}",
    "{id}{ms}{user}",
    "%s%n",
    "\\\\",
    "\\\"",
];

/// A mutated copy of `text`: one to four edits, byte-level, token-level, line-level or a splice from `other`.
pub fn mutate_scenario(text: &str, other: &str, rng: &mut Pcg64Mcg) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..rng.random_range(1..=4) {
        match rng.random_range(0..10) {
            0 => flip_byte(&mut bytes, rng),
            1 => delete_range(&mut bytes, rng),
            2 => duplicate_range(&mut bytes, rng),
            3 | 4 => replace_token(&mut bytes, rng, true),
            5 | 6 => replace_token(&mut bytes, rng, false),
            7 => line_edit(&mut bytes, rng),
            8 => splice(&mut bytes, other.as_bytes(), rng),
            _ => insert_interesting(&mut bytes, rng),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn flip_byte(bytes: &mut [u8], rng: &mut Pcg64Mcg) {
    if bytes.is_empty() {
        return;
    }
    let i = rng.random_range(0..bytes.len());
    bytes[i] = match rng.random_range(0..4) {
        0 => bytes[i] ^ (1 << rng.random_range(0..8)),
        1 => b"()[]{},:\"'/\\#"[rng.random_range(0..13)],
        2 => rng.random(),
        _ => b'0' + rng.random_range(0..10),
    };
}

fn range(len: usize, rng: &mut Pcg64Mcg) -> (usize, usize) {
    if len == 0 {
        return (0, 0);
    }
    let start = rng.random_range(0..len);
    let n = if rng.random_bool(0.8) { rng.random_range(1..=16) } else { rng.random_range(1..=512) };
    (start, (start + n).min(len))
}

fn delete_range(bytes: &mut Vec<u8>, rng: &mut Pcg64Mcg) {
    let (a, b) = range(bytes.len(), rng);
    bytes.drain(a..b);
}

fn duplicate_range(bytes: &mut Vec<u8>, rng: &mut Pcg64Mcg) {
    let (a, b) = range(bytes.len(), rng);
    let chunk = bytes[a..b].to_vec();
    let at = rng.random_range(0..=bytes.len());
    bytes.splice(at..at, chunk);
}

/// Replaces a number (or a string literal) chosen at random with an interesting one.
fn replace_token(bytes: &mut Vec<u8>, rng: &mut Pcg64Mcg, number: bool) {
    if bytes.is_empty() {
        return;
    }
    let start = rng.random_range(0..bytes.len());
    let found = if number {
        (start..bytes.len()).find(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()))
    } else {
        (start..bytes.len()).find(|&i| bytes[i] == b'"')
    };
    let Some(i) = found else { return };
    if number {
        let end =
            (i..bytes.len()).find(|&j| !(bytes[j].is_ascii_alphanumeric() || bytes[j] == b'.')).unwrap_or(bytes.len());
        let with = NUMBERS[rng.random_range(0..NUMBERS.len())];
        bytes.splice(i..end, with.bytes());
    } else {
        let mut end = i + 1;
        while end < bytes.len() && bytes[end] != b'"' {
            end += if bytes[end] == b'\\' { 2 } else { 1 };
        }
        let end = end.min(bytes.len().saturating_sub(1));
        let with = match rng.random_range(0..6) {
            0 => "x".repeat(rng.random_range(60..5000)),
            1 => {
                // Another name from the file: duplicates and references in the wrong place.
                let other = rng.random_range(0..bytes.len());
                let q = (other..bytes.len()).find(|&j| bytes[j] == b'"').unwrap_or(i);
                let close = (q + 1..bytes.len()).find(|&j| bytes[j] == b'"').unwrap_or(q + 1);
                String::from_utf8_lossy(&bytes[(q + 1).min(close)..close]).chars().take(80).collect()
            }
            _ => STRINGS[rng.random_range(0..STRINGS.len())].to_string(),
        };
        bytes.splice(i + 1..end.max(i + 1), with.bytes());
    }
}

fn line_edit(bytes: &mut Vec<u8>, rng: &mut Pcg64Mcg) {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.len() < 2 {
        return;
    }
    let i = rng.random_range(0..lines.len());
    let j = rng.random_range(0..lines.len());
    match rng.random_range(0..3) {
        0 => {
            lines.remove(i);
        }
        1 => lines.insert(j, lines[i]),
        _ => lines.swap(i, j),
    }
    *bytes = lines.join("\n").into_bytes();
}

fn splice(bytes: &mut Vec<u8>, other: &[u8], rng: &mut Pcg64Mcg) {
    let (a, b) = range(other.len(), rng);
    let (c, d) = range(bytes.len(), rng);
    bytes.splice(c..d, other[a..b].iter().copied());
}

fn insert_interesting(bytes: &mut Vec<u8>, rng: &mut Pcg64Mcg) {
    let pieces: &[&[u8]] = &[
        b"\xe9",
        b"\xff\xfe",
        b"\x00",
        b"\t",
        b"\x1b[2J",
        b"/*",
        b"*/",
        b"//",
        b"#![enable(implicit_some)]",
        b"Some(",
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        b"r#\"",
        b"'",
        b"\\u{0}",
        b"\r\n",
    ];
    let piece = pieces[rng.random_range(0..pieces.len())];
    let at = rng.random_range(0..=bytes.len());
    bytes.splice(at..at, piece.iter().copied());
}

/// Hidden text a volunteer must never see: root cause, GM notes and summary, GM-only state ids, evidence ids.
pub fn secrets(s: &Scenario) -> Vec<String> {
    let mut secrets = vec![
        s.root_cause.summary.clone(),
        s.root_cause.five_ws.why.clone(),
        s.meta.gm_summary.clone(),
        s.gm_notes.clone(),
        s.meta.title.clone(),
    ];
    for state in s.tracks.iter().flat_map(|t| &t.states) {
        if state.description.len() > 12 {
            secrets.push(state.description.clone());
        }
        // Ids like `signups_failing` are names only the GM knows; plain words like `healthy` are not.
        if state.id.contains('_') {
            secrets.push(state.id.clone());
        }
    }
    secrets.extend(s.rubric.evidence.iter().map(|e| e.id.clone()));
    secrets.retain(|x| x.len() >= 6);
    secrets
}

/// Every how many loaded mutants one is also started as a drill (starting simulates hours of history).
pub const PLAY_EVERY: u64 = 8;

/// One scenario mutation: loads it, checks the error has a position, and plays some loaded ones briefly.
fn try_scenario(text: &str, seed: u64, findings: &mut Findings) {
    findings.inputs += 1;
    let play = seed.is_multiple_of(PLAY_EVERY);
    let (result, took) = guarded(|| {
        let loaded = parse(text, "fuzz.ron");
        let loaded = match loaded {
            Err(err) => return Err(err),
            Ok(_) if !play => return Ok(()),
            Ok(s) => s,
        };
        // A scenario that loads must also start and take a few commands without trouble.
        let mut drill = Drill::start(Arc::new(loaded), seed);
        for line in ["status", "logs", "wait 5m", "metrics web", "slo", "quit"] {
            drill.respond(line);
        }
        let _ = debrief(&drill);
        Ok(())
    });
    findings.slowest = findings.slowest.max(took);
    if took > SLOW {
        findings.slow += 1;
        findings.note(&format!("slow scenario ({:.2}s)", took.as_secs_f64()), text);
    }
    match result {
        None => {
            findings.panics += 1;
            findings.note("scenario panicked", text);
        }
        Some(Ok(())) => findings.accepted += 1,
        Some(Err(err)) if err.position.is_none() => {
            findings.unpositioned += 1;
            findings.note(&format!("error without a position: {err}"), "");
        }
        Some(Err(_)) => {}
    }
}

/// Tries `count` scenario mutations from `seed`.
pub fn fuzz_scenarios(seed: u64, count: u64) -> Findings {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let mut findings = Findings::default();
    let texts: Vec<&str> = BUILTIN.iter().map(|(_, _, text)| *text).collect();
    for n in 0..count {
        let which = rng.random_range(0..texts.len());
        let other = texts[(which + 1) % texts.len()];
        let text = mutate_scenario(texts[which], other, &mut rng);
        try_scenario(&text, seed ^ n, &mut findings);
    }
    findings
}

// ---------------------------------------------------------------------------------------------------------
// REPL lines

/// Words a scenario offers to commands: services, metrics, actions, targets, runbooks, flags.
struct Vocabulary {
    commands: Vec<String>,
    services: Vec<String>,
    metrics: Vec<String>,
    actions: Vec<String>,
    targets: Vec<String>,
    runbooks: Vec<String>,
}

impl Vocabulary {
    fn of(s: &Scenario) -> Vocabulary {
        let mut commands: Vec<String> = command_summaries().into_iter().map(|(n, _)| n).collect();
        commands.extend(["exit", "?", "stauts", "halp", "", "-", "--help", "STATUS"].map(String::from));
        Vocabulary {
            commands,
            services: s.services.iter().map(|x| x.id.clone()).collect(),
            metrics: s.services.iter().flat_map(|x| x.metrics.iter().map(|m| m.name.clone())).collect(),
            actions: s.actions.iter().map(|a| a.id.clone()).collect(),
            targets: s.actions.iter().flat_map(|a| a.targets.clone()).collect(),
            runbooks: s.runbooks.iter().map(|r| r.id.clone()).collect(),
        }
    }
}

fn pick<'a>(rng: &mut Pcg64Mcg, items: &'a [String]) -> &'a str {
    if items.is_empty() { "x" } else { &items[rng.random_range(0..items.len())] }
}

const DURATIONS: &[&str] = &[
    "30s",
    "5m",
    "1h",
    "6h",
    "0s",
    "-1m",
    "7h",
    "1000000d",
    "99999999999999999999s",
    "1h1m1s",
    "5",
    "m",
    "5x",
    "2d",
    "1e3m",
];

const REGEXES: &[&str] =
    &["(a+)+$", "signup", "[", "(?i)error", ".*.*.*.*x", "\\d{1,1000}", "a{1000}{1000}", "^$", "(", "\\p{L}+"];

/// Free text with the characters people (and terminals) produce: quotes, unicode, controls, escapes.
fn free_text(rng: &mut Pcg64Mcg) -> String {
    let len = if rng.random_bool(0.95) { rng.random_range(0..40) } else { rng.random_range(1000..9000) };
    let alphabet: &[&str] = &[
        "a",
        "b",
        " ",
        "'",
        "\"",
        "\\",
        "é",
        "日本",
        "\u{1b}[31m",
        "\u{7}",
        "\u{0}",
        "\t",
        "\u{202e}",
        "--",
        "#",
        "$(x)",
        "%s",
        "\u{fffd}",
        "😀",
        "\r",
    ];
    (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect()
}

/// A PromQL-ish expression from a small grammar, sometimes malformed, sometimes deep.
fn query(rng: &mut Pcg64Mcg, v: &Vocabulary, depth: u32) -> String {
    if depth > 4 || rng.random_bool(0.3) {
        return match rng.random_range(0..5) {
            0 => format!("{}[{}]", pick(rng, &v.metrics), DURATIONS[rng.random_range(0..DURATIONS.len())]),
            1 => format!("{}{{service=\"{}\"}}", pick(rng, &v.metrics), pick(rng, &v.services)),
            2 => format!("{}", rng.random_range(-5..1000)),
            3 => free_text(rng),
            _ => pick(rng, &v.metrics).to_string(),
        };
    }
    let inner = query(rng, v, depth + 1);
    match rng.random_range(0..9) {
        0 => format!("sum by (service) ({inner})"),
        1 => format!("rate({inner})"),
        2 => format!("avg_over_time({inner}[5m])"),
        3 => format!("({inner}) > {}", rng.random_range(0..3)),
        4 => format!("topk({}, {inner})", rng.random_range(-1..5)),
        5 => format!("{inner} / {}", query(rng, v, depth + 1)),
        6 => format!("histogram_quantile(0.9, {inner})"),
        7 => {
            let n = rng.random_range(1..20_000);
            if rng.random_bool(0.5) {
                format!("{}{inner}", "-".repeat(n))
            } else {
                format!("{}{inner}{}", "abs(".repeat(n), ")".repeat(n))
            }
        }
        _ => format!("{inner} offset {}", DURATIONS[rng.random_range(0..DURATIONS.len())]),
    }
}

/// One REPL line from the grammar of commands (or, now and then, noise).
fn line(rng: &mut Pcg64Mcg, v: &Vocabulary) -> String {
    let d = |rng: &mut Pcg64Mcg| DURATIONS[rng.random_range(0..DURATIONS.len())];
    let word = pick(rng, &v.commands).to_string();
    match rng.random_range(0..40) {
        0 => return free_text(rng),
        1 => return format!("{word} {}", free_text(rng)),
        2 => return "x".repeat(rng.random_range(8000..8300)),
        _ => {}
    }
    match word.as_str() {
        "metrics" => {
            format!("metrics {} {} --since {} --step {}", pick(rng, &v.services), pick(rng, &v.metrics), d(rng), d(rng))
        }
        "logs" => {
            let mut l = format!("logs {}", pick(rng, &v.services));
            if rng.random_bool(0.5) {
                l.push_str(&format!(" --grep \"{}\"", free_text(rng).replace('"', "")));
            }
            if rng.random_bool(0.3) {
                l.push_str(&format!(" --regex \"{}\"", REGEXES[rng.random_range(0..REGEXES.len())]));
            }
            if rng.random_bool(0.3) {
                let (since, shift) = (d(rng), rng.random_range(0..64));
                let tail = rng.random_range(0..u64::MAX >> shift);
                l.push_str(&format!(" --since {since} --tail {tail}"));
            }
            if rng.random_bool(0.2) {
                l.push_str(" --level warn");
            }
            l
        }
        "deps" | "config" | "slo" => format!("{word} {}", pick(rng, &v.services)),
        "query" => format!("query {}", query(rng, v, 0)),
        "runbook" => format!("runbook {}", pick(rng, &v.runbooks)),
        "mitigate" => format!("mitigate {} {}", pick(rng, &v.actions), pick(rng, &v.targets)),
        "wait" => format!("wait {}", d(rng)),
        "declare" => format!("declare sev{} {}", rng.random_range(0..6), free_text(rng)),
        "role" => format!("role {} {}", ["ic", "ol", "cl", "boss"][rng.random_range(0..4)], free_text(rng)),
        "note" | "update" | "diagnose" => format!("{word} {}", free_text(rng)),
        "help" => format!("help {}", pick(rng, &v.commands)),
        "changes" => format!("changes --since {}", d(rng)),
        // Ending words are rare, so sessions last.
        "quit" | "exit" | "resolve" if rng.random_bool(0.9) => "status".to_string(),
        _ => word,
    }
}

/// Plays one drill of up to `lines` fuzzed lines; checks each line's time, panics and what the volunteer saw.
fn fuzz_session(scenario: &Arc<Scenario>, seed: u64, lines: u64, findings: &mut Findings) {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let vocabulary = Vocabulary::of(scenario);
    let secrets = secrets(scenario);
    let (drill, _) = guarded(|| Drill::start(scenario.clone(), seed));
    let Some(mut drill) = drill else {
        findings.panics += 1;
        findings.note("drill start panicked", &scenario.meta.id);
        return;
    };
    let tod = drill.sim().page_time_of_day();
    for _ in 0..lines {
        if drill.is_over() {
            break;
        }
        let typed = line(&mut rng, &vocabulary);
        findings.inputs += 1;
        let (range, took) = guarded(|| {
            // Completion at every position the editor could ask for, then the line itself.
            for cut in (0..=typed.len()).filter(|&i| typed.is_char_boundary(i)).step_by(7).take(64) {
                let _ = completions(scenario, &typed[..cut]);
            }
            drill.respond(&typed)
        });
        findings.slowest = findings.slowest.max(took);
        if took > SLOW {
            findings.slow += 1;
            findings.note(&format!("slow line ({:.2}s)", took.as_secs_f64()), &typed);
        }
        let Some(range) = range else {
            findings.panics += 1;
            findings.note("line panicked", &typed);
            return;
        };
        let seen: String = drill.events()[range.clone()]
            .iter()
            .filter_map(|e| volunteer_view(e, tod))
            .map(|d| d.plain_text())
            .collect();
        if !drill.events()[range].iter().any(|e| matches!(e.kind, EventKind::Rejected { .. })) {
            findings.accepted += 1;
        }
        if let Some(secret) = secrets.iter().find(|s| seen.contains(s.as_str())) {
            findings.leaks += 1;
            findings.note(&format!("hidden text `{secret}` shown"), &typed);
        }
    }
    let (done, took) = guarded(|| {
        drill.finish(wom::session::EndReason::EndOfInput);
        debrief(&drill).markdown.len()
    });
    findings.slowest = findings.slowest.max(took);
    if done.is_none() {
        findings.panics += 1;
        findings.note("debrief panicked", &format!("seed {seed}"));
    }
}

/// Tries `count` REPL lines from `seed`, in drills of `per_drill` lines over the shipped scenarios.
pub fn fuzz_lines(seed: u64, count: u64, per_drill: u64) -> Findings {
    let scenarios: Vec<Arc<Scenario>> =
        BUILTIN.iter().map(|(id, _, text)| Arc::new(parse(text, id).expect("shipped scenarios load"))).collect();
    let mut findings = Findings::default();
    let mut n = 0;
    while findings.inputs < count {
        let mut part = Findings::default();
        let scenario = &scenarios[n % scenarios.len()];
        fuzz_session(scenario, seed.wrapping_add(n as u64), per_drill.min(count - findings.inputs), &mut part);
        findings.merge(part);
        n += 1;
    }
    findings
}
