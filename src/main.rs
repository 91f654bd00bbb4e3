//! `wom`: the Wheel of Misfortune drill engine's command line.

use std::io::IsTerminal;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // Diagnostics go to stderr and only when asked for (WOM_LOG=debug), never into the drill's output.
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("WOM_LOG").unwrap_or_else(|_| EnvFilter::new("off")))
        .with_writer(std::io::stderr)
        .with_ansi(wom::repl::want_color(std::io::stderr().is_terminal()))
        .init();
    wom::cli::main()
}
