//! The command reference is a snapshot, so help text cannot drift unnoticed.

use crate::common::TestEnvironment;
use wom::session::{command_help, command_summaries};

#[test]
fn volunteer_command_reference() {
    let mut reference = String::new();
    for (name, _) in command_summaries() {
        let help = command_help(&name).expect("every listed command has help");
        assert!(help.contains("Usage:"), "{name}: {help}");
        reference.push_str(&format!("=== help {name}\n{help}\n"));
    }
    insta::assert_snapshot!("volunteer_command_reference", reference);
}

#[test]
fn cli_reference() {
    let env = TestEnvironment::new();
    let mut reference = String::new();
    for args in [
        &["--help"][..],
        &["play", "--help"],
        &["check", "--help"],
        &["list", "--help"],
        &["spin", "--help"],
        &["history", "--help"],
        &["roster", "--help"],
        &["export", "--help"],
        &["query", "--help"],
        &["roster", "add", "--help"],
        &["resume", "--help"],
        &["replay", "--help"],
        &["debrief", "--help"],
    ] {
        let out = env.run(args, "");
        assert_eq!(out.status, 0, "{out}");
        reference.push_str(&format!("=== wom {}\n{}\n", args.join(" "), out.stdout));
    }
    insta::assert_snapshot!("cli_reference", reference);
}
