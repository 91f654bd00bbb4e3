//! The long fuzz run: `cargo run --release --example fuzz -- [scenarios] [lines] [seed] [jobs]`
//! (defaults 1,000,000 each, seed 1, 2 jobs). Prints what it found; exits 1 if anything was. See
//! docs/fuzzing.md.

#[path = "../tests/fuzz/mod.rs"]
mod fuzz;

use std::time::Instant;

fn main() -> std::process::ExitCode {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.replace(['_', ','], "").parse().ok()).collect();
    let arg = |i: usize, default: u64| args.get(i).copied().unwrap_or(default);
    let (scenarios, lines, seed, jobs) = (arg(0, 1_000_000), arg(1, 1_000_000), arg(2, 1), arg(3, 2).max(1));
    fuzz::quiet_panics();
    let started = Instant::now();
    let split = move |total: u64, job: u64| total / jobs + u64::from(job < total % jobs);
    let handles: Vec<_> = (0..jobs)
        .map(|job| {
            std::thread::spawn(move || {
                let s = fuzz::fuzz_scenarios(seed.wrapping_mul(1000).wrapping_add(job), split(scenarios, job));
                let l = fuzz::fuzz_lines(seed.wrapping_mul(1000).wrapping_add(job), split(lines, job), 200);
                (s, l)
            })
        })
        .collect();
    let mut clean = true;
    let (mut all_s, mut all_l) = (fuzz::Findings::default(), fuzz::Findings::default());
    for handle in handles {
        let (s, l) = handle.join().expect("fuzz job");
        all_s.merge(s);
        all_l.merge(l);
    }
    clean &= all_s.clean() && all_l.clean();
    println!("scenario mutations: {all_s}");
    println!("REPL lines: {all_l}");
    println!("{:.0}s with {jobs} jobs, seed {seed}", started.elapsed().as_secs_f64());
    if clean { std::process::ExitCode::SUCCESS } else { std::process::ExitCode::FAILURE }
}
