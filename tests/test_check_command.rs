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
        out.stdout.contains(
            "warn gm-only.ron: state `mail.mail_relay_slow` is reached only through GM trigger `mail-backlog` \
             with no `auto` time: only a live GM can bring it about"
        ),
        "{out}"
    );
    let builtin = env.run(&["check"], "");
    assert!(!builtin.stdout.contains("warn "), "shipped scenarios have no GM-only state: {builtin}");
}
