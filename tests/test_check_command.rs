use crate::common::TestEnvironment;
use wom::scenario::BUILTIN;

#[test]
fn check_proves_every_builtin_scenario_solvable_without_a_warning() {
    let env = TestEnvironment::new();
    let out = env.run(&["check"], "");
    assert_eq!(out.status, 0, "{out}");
    for (id, _, _) in BUILTIN {
        assert!(out.stdout.contains(&format!("ok   {id}: walkthrough leaves the incident ")), "{out}");
    }
    // Every line is a verdict: no finding, error or warning, in the shipped scenarios.
    assert_eq!(out.stdout.lines().count(), BUILTIN.len(), "{out}");
    assert!(!out.stdout.contains("warning"), "{out}");
}

#[test]
fn check_fails_a_scenario_whose_walkthrough_does_not_mitigate() {
    let env = TestEnvironment::new();
    let text = BUILTIN[0].2.replace("\"mitigate set-rollout new_signup_handler 0%\",", "");
    env.write("unsolved.ron", &text);
    let out = env.run(&["check", "unsolved.ron"], "");
    assert_eq!(out.status, 1, "{out}");
    // The track, its state and the last step, at the last step's place in the file.
    assert_eq!(
        out.stdout,
        "unsolved.ron:347:9: error[E012 walkthrough-unsolved]: the walkthrough leaves the incident still hurting \
         users: track `incident` is in state `signups_failing` after the last step `resolve`\n\
         FAIL unsolved.ron: 1 error\n",
        "{out}"
    );
}

#[test]
fn check_fails_a_walkthrough_step_that_is_refused() {
    let env = TestEnvironment::new();
    let text = BUILTIN[0].2.replace("\"flags\",", "\"flgs\",");
    env.write("typo.ron", &text);
    let out = env.run(&["check", "typo.ron"], "");
    assert_eq!(out.status, 1, "{out}");
    assert!(
        out.stdout.starts_with(
            "typo.ron:339:9: error[E011 walkthrough-refused]: walkthrough step 12 `flgs` was refused: unknown \
             command `flgs`; did you mean `flags`?"
        ),
        "{out}"
    );
    assert!(out.stdout.ends_with("\nFAIL typo.ron: 1 error\n"), "{out}");
}

#[test]
fn check_reports_a_broken_file_with_its_position() {
    let env = TestEnvironment::new();
    env.write("bad.ron", "(schema_version: 1, meta: )");
    let out = env.run(&["check", "bad.ron"], "");
    assert_eq!(out.status, 1, "{out}");
    assert_eq!(
        out.stdout, "bad.ron:1:27: error[E002 syntax]: expected opening `(` for struct `Meta`\nFAIL bad.ron: 1 error\n",
        "{out}"
    );
}

#[test]
fn check_reports_a_missing_file_and_an_unknown_scenario() {
    let env = TestEnvironment::new();
    let out = env.run(&["check", "missing.ron", "signup-outag"], "");
    assert_eq!(out.status, 1, "{out}");
    assert!(out.stdout.starts_with("missing.ron: error[E001 unreadable-file]: cannot read scenario: "), "{out}");
    assert!(out.stdout.contains("\nFAIL missing.ron: 1 error\n"), "{out}");
    assert!(out.stdout.contains("FAIL no scenario `signup-outag`; did you mean `signup-outage`?"), "{out}");
}

#[test]
fn check_warns_about_a_state_only_a_live_gm_can_reach() {
    let env = TestEnvironment::new();
    let text = BUILTIN[0]
        .2
        .replace("a distraction unrelated to signups\", auto: \"45m\")", "a distraction unrelated to signups\")");
    assert_ne!(text, BUILTIN[0].2, "the fixture edit must apply");
    env.write("gm-only.ron", &text);
    let out = env.run(&["check", "gm-only.ron"], "");
    assert_eq!(out.status, 0, "a warning does not fail the check: {out}");
    assert!(
        out.stdout.starts_with(
            "gm-only.ron:241:21: warning[W001 gm-only-state]: state `mail.mail_relay_slow` is reached only through \
             GM trigger `mail-backlog` with no `auto` time: only a live GM can bring it about\n\
             ok   gm-only.ron: walkthrough leaves the incident mitigated"
        ),
        "{out}"
    );
    assert!(out.stdout.ends_with("; 1 warning\n"), "{out}");
}
