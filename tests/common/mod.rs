//! Test environment: runs the real `wom` binary with a pinned environment and captures everything it
//! prints in one snapshot-friendly form.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A scratch directory and a pinned environment for running `wom`.
pub struct TestEnvironment {
    dir: tempfile::TempDir,
}

/// What a run printed and how it exited.
#[must_use = "a run's output must be checked"]
pub struct CommandOutput {
    pub stdout: String,
    pub stderr: String,
    pub status: i32,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
}

impl fmt::Display for CommandOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.stdout)?;
        if !self.stderr.is_empty() {
            write!(f, "------- stderr -------\n{}", self.stderr)?;
        }
        writeln!(f, "[EOF]")?;
        if self.status != 0 {
            writeln!(f, "[exit status: {}]", self.status)?;
        }
        Ok(())
    }
}

impl TestEnvironment {
    pub fn new() -> TestEnvironment {
        TestEnvironment { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file in the scratch directory and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }

    /// Runs `wom` with `args`, feeding `stdin`, in the scratch directory.
    #[must_use = "a run's output must be checked"]
    pub fn run(&self, args: &[&str], stdin: &str) -> CommandOutput {
        self.run_with(args, stdin.as_bytes(), &[])
    }

    /// `wom` with `args` and the pinned environment plus `env`, all pipes, not yet started.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wom"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            // A pinned clock: the wheel's history dates and spin weights and the journal's wall times depend on it.
            .env("WOM_NOW", "2026-11-25T18:00:00Z")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs `wom` with `args`, raw bytes on standard input and extra environment variables.
    /// Checks `text` (a fixture with one mistake) as `bad.ron`: `wom check` fails with one error that
    /// contains `message` and points at the line containing `marker`, in the linter's format.
    pub fn assert_refused_at(&self, text: &str, marker: &str, message: &str) {
        self.write("bad.ron", text);
        let out = self.run(&["check", "bad.ron"], "");
        assert_eq!(out.status, 1, "{out}");
        assert!(out.stdout.contains(message), "expected `{message}` in\n{out}");
        let line = text.lines().position(|l| l.contains(marker)).expect("line") + 1;
        assert!(out.stdout.starts_with(&format!("bad.ron:{line}:")), "{out}");
        assert!(out.stdout.contains("FAIL bad.ron: 1 error"), "{out}");
    }

    pub fn run_with(&self, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> CommandOutput {
        let mut child = self.command(args, env).spawn().expect("spawn wom");
        let mut pipe = child.stdin.take().expect("stdin");
        // wom may refuse input early (a bad scenario): a closed pipe is not the test's failure.
        let _ = pipe.write_all(stdin);
        drop(pipe);
        let out = child.wait_with_output().expect("wait for wom");
        CommandOutput {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            status: out.status.code().unwrap_or(-1),
            signal: std::os::unix::process::ExitStatusExt::signal(&out.status),
        }
    }

    /// Plays the built-in default scenario with `seed`, commands on standard input.
    #[must_use = "a run's output must be checked"]
    pub fn play(&self, seed: u64, commands: &[&str]) -> CommandOutput {
        let mut input = commands.join("\n");
        input.push('\n');
        self.run(&["play", "--seed", &seed.to_string()], &input)
    }

    /// The one debrief Markdown file written so far.
    #[must_use]
    pub fn debrief(&self) -> String {
        let dir = self.dir.path().join("debriefs");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("debriefs dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        files.sort();
        assert_eq!(files.len(), 1, "expected one debrief, found {files:?}");
        std::fs::read_to_string(&files[0]).expect("read debrief")
    }
}

/// The default scenario's walkthrough.
pub fn walkthrough() -> Vec<String> {
    let scenario =
        wom::scenario::builtin(wom::scenario::DEFAULT_SCENARIO).expect("default exists").expect("default loads");
    scenario.walkthrough
}
