//! A short, seeded fuzz run inside `cargo test`: mutated shipped scenarios through the loader (and a brief
//! drill when one loads), and grammar-made REPL lines through `Drill::respond` with completion. The long
//! run is `cargo run --release --example fuzz` (docs/fuzzing.md).

use crate::fuzz::{fuzz_lines, fuzz_scenarios, mutate_scenario};
use rand::SeedableRng;

#[test]
fn mutated_scenarios_never_panic_hang_or_lose_their_position() {
    let findings = fuzz_scenarios(0x5eed, 150);
    assert!(findings.clean(), "{findings}");
    assert_eq!(findings.inputs, 150);
    assert!(findings.accepted > 0 && findings.accepted < 150, "mutations both load and fail: {findings}");
}

#[test]
fn grammar_lines_never_panic_hang_or_show_hidden_text() {
    let findings = fuzz_lines(0x11e5, 600, 150);
    assert!(findings.clean(), "{findings}");
    assert!(findings.inputs >= 600);
    assert!(findings.accepted > 100, "most lines are commands that run: {findings}");
}

#[test]
fn mutation_is_deterministic_and_changes_the_text() {
    let text = wom::scenario::BUILTIN[0].2;
    let other = wom::scenario::BUILTIN[1].2;
    let a = mutate_scenario(text, other, &mut rand_pcg::Pcg64Mcg::seed_from_u64(7));
    let b = mutate_scenario(text, other, &mut rand_pcg::Pcg64Mcg::seed_from_u64(7));
    assert_eq!(a, b);
    assert_ne!(a, text);
}
