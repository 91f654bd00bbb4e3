//! Journal benchmarks: what journaling adds to a command (append and sync), resuming a two-hour drill of
//! about 500 commands, and how fast a journal grows. Run with `cargo bench --bench journal`. The files go
//! under `target/`, on the same disk as the build, so the syncs are real ones.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use wom::journal::JournaledDrill;
use wom::scenario::{DEFAULT_SCENARIO, Scenario, builtin};
use wom::session::{Drill, DrillInput};

/// A command mix with the costs of a real drill: 500 of them take about 2.8 simulated hours.
const CYCLE: [&str; 8] =
    ["status", "alerts", "time", "note still looking", "inbox", "logs auth --tail 5", "time", "deps"];

fn scenario() -> Arc<Scenario> {
    Arc::new(builtin(DEFAULT_SCENARIO).expect("built in").expect("loads"))
}

fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-journal");
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn fresh(name: &str) -> PathBuf {
    let path = scratch().join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn line(n: usize) -> DrillInput {
    DrillInput::line("volunteer", CYCLE[n % CYCLE.len()])
}

/// A journal of a drill of `commands` commands.
fn journal_of(commands: usize, name: &str) -> PathBuf {
    let path = fresh(name);
    let mut drill = JournaledDrill::start(scenario(), None, 7, vec![], &path).expect("journal");
    for n in 0..commands {
        drill.feed(line(n)).expect("journaled");
    }
    path
}

fn main() {
    // Figures divan does not print: how fast a journal grows.
    let path = journal_of(500, "growth.journal.jsonl");
    let bytes = std::fs::metadata(&path).expect("journal").len();
    let header = std::fs::read_to_string(&path).expect("journal").lines().take(4).map(|l| l.len() + 1).sum::<usize>();
    eprintln!(
        "journal of 500 commands: {bytes} bytes, {:.0} bytes per command ({:.0} without the header and the page)",
        bytes as f64 / 500.0,
        (bytes as f64 - header as f64) / 500.0
    );
    divan::main();
}

/// One `time` command (no simulated cost, tiny output) without a journal: the baseline.
#[divan::bench]
fn command_without_journal(bencher: divan::Bencher) {
    let mut drill = Drill::start(scenario(), 7);
    bencher.bench_local(|| drill.feed(&DrillInput::line("volunteer", "time")));
}

/// The same command journaled: its input and events appended and synced before it returns.
#[divan::bench]
fn command_with_journal(bencher: divan::Bencher) {
    let path = fresh("append.journal.jsonl");
    let mut drill = JournaledDrill::start(scenario(), None, 7, vec![], &path).expect("journal");
    bencher.bench_local(|| drill.feed(DrillInput::line("volunteer", "time")).expect("journaled"));
}

/// Resuming a two-hour drill of 500 commands: read, replay every input, check every event, append.
#[divan::bench(sample_count = 20)]
fn resume_500_commands(bencher: divan::Bencher) {
    let path = journal_of(500, "resume.journal.jsonl");
    bencher.bench_local(|| JournaledDrill::resume(&path).expect("resumes"));
}
