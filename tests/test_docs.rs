//! Docs that cannot drift: every RON example in `docs/` marked as passing is run through `wom check`, the
//! output and error lines the docs quote are the real ones, and the generated tables (commands, validation
//! rules) appear in the docs exactly as the code produces them, pinned by snapshots.

use crate::common::TestEnvironment;
use std::path::{Path, PathBuf};

/// Marks the RON block that follows as a complete scenario that passes `wom check`.
const PASSES: &str = "<!-- wom check: passes -->";

fn docs() -> Vec<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .expect("docs dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read doc");
            (p, text)
        })
        .collect();
    out.sort();
    out
}

fn format_reference() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scenario-format.md");
    std::fs::read_to_string(path).expect("read the format reference")
}

/// The fenced block right after each marker.
fn marked_examples(text: &str) -> Vec<String> {
    text.split(PASSES)
        .skip(1)
        .map(|after| {
            let body = after.trim_start().strip_prefix("```ron\n").expect("a ```ron block follows the marker");
            body[..body.find("\n```").expect("the block is closed")].to_string()
        })
        .collect()
}

#[test]
fn ron_examples_that_claim_to_pass_pass_wom_check() {
    let env = TestEnvironment::new();
    let mut checked = 0;
    for (path, text) in docs() {
        for (n, example) in marked_examples(&text).into_iter().enumerate() {
            let file = format!("example-{n}.ron");
            env.write(&file, &example);
            let out = env.run(&["check", &file], "");
            assert_eq!(out.status, 0, "{} example {n} fails `wom check`:\n{out}", path.display());
            // The docs quote the check's own output line for it.
            let line = out.stdout.trim_end().replace(&file, "api-down.ron");
            assert!(text.contains(&line), "{} does not quote the check's output `{line}`", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 1, "no example is marked `{PASSES}`");
}

#[test]
fn quoted_validation_error_is_the_real_one() {
    let env = TestEnvironment::new();
    let text = wom::scenario::BUILTIN[0].2.replacen("(on: \"users-db\"", "(on: \"user-db\"", 1);
    std::fs::create_dir_all(env.path().join("scenarios")).expect("mkdir");
    env.write("scenarios/broken.ron", &text);
    let out = env.run(&["check", "scenarios/broken.ron"], "");
    assert_eq!(out.status, 1, "{out}");
    let message = out.stdout.lines().next().expect("a finding").to_string();
    assert!(out.stdout.ends_with("FAIL scenarios/broken.ron: 1 error\n"), "{out}");
    assert!(format_reference().contains(&message), "docs/scenario-format.md does not quote `{message}`");
}

#[test]
fn command_table_in_the_format_reference_is_generated() {
    let table = wom::session::command_table();
    assert!(format_reference().contains(&table), "docs/scenario-format.md must contain, verbatim:\n{table}");
    insta::assert_snapshot!("command_table", table);
}

#[test]
fn validation_rules_in_the_format_reference_are_generated() {
    let rules: String = wom::scenario::validation_rules().iter().map(|r| format!("- {r}\n")).collect();
    assert!(format_reference().contains(&rules), "docs/scenario-format.md must contain, verbatim:\n{rules}");
    insta::assert_snapshot!("validation_rules", rules);
}
