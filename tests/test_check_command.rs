use crate::common::TestEnvironment;
use wom::scenario::BUILTIN;

#[test]
fn check_proves_every_builtin_scenario_solvable() {
    let env = TestEnvironment::new();
    let out = env.run(&["check"], "");
    assert_eq!(out.status, 0, "{out}");
    for (id, _, _) in BUILTIN {
        assert!(out.stdout.contains(&format!("ok   {id}: walkthrough leaves the incident ")), "{out}");
    }
}

#[test]
fn check_fails_a_scenario_whose_walkthrough_does_not_mitigate() {
    let env = TestEnvironment::new();
    let text = BUILTIN[0].2.replace("\"mitigate set-rollout new_signup_handler 0%\",", "");
    env.write("unsolved.ron", &text);
    let out = env.run(&["check", "unsolved.ron"], "");
    assert_eq!(out.status, 1, "{out}");
    assert!(out.stdout.contains("FAIL unsolved.ron: the walkthrough leaves the incident still hurting users"), "{out}");
}

#[test]
fn check_fails_a_walkthrough_step_that_is_refused() {
    let env = TestEnvironment::new();
    let text = BUILTIN[0].2.replace("\"flags\",", "\"flgs\",");
    env.write("typo.ron", &text);
    let out = env.run(&["check", "typo.ron"], "");
    assert_eq!(out.status, 1, "{out}");
    assert!(out.stdout.contains("`flgs` was refused: unknown command `flgs`; did you mean `flags`?"), "{out}");
}

#[test]
fn check_reports_a_broken_file_with_its_position() {
    let env = TestEnvironment::new();
    env.write("bad.ron", "(schema_version: 1, meta: )");
    let out = env.run(&["check", "bad.ron"], "");
    assert_eq!(out.status, 1, "{out}");
    assert!(out.stdout.starts_with("FAIL bad.ron:1:"), "{out}");
}
