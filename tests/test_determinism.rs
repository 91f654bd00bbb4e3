use crate::common::{TestEnvironment, walkthrough};

fn play_walkthrough(seed: u64) -> (String, String) {
    let env = TestEnvironment::new();
    let steps = walkthrough();
    let steps: Vec<&str> = steps.iter().map(String::as_str).collect();
    let out = env.play(seed, &steps);
    (out.stdout, env.debrief())
}

#[test]
fn same_seed_and_inputs_give_byte_identical_transcripts_and_debriefs() {
    let first = play_walkthrough(7);
    let second = play_walkthrough(7);
    assert_eq!(first.0, second.0);
    assert_eq!(first.1, second.1);
}

#[test]
fn another_seed_gives_other_noise() {
    let (a, _) = play_walkthrough(7);
    let (b, _) = play_walkthrough(8);
    assert_ne!(a, b);
}
