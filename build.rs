//! Tells the tests which system tools this machine has, so that a test needing one is reported as ignored, with
//! the reason, where the tool is missing, and runs where it is present (`scripts/test` installs them).

use std::env;
use std::path::PathBuf;

/// (cfg set when every program is on PATH, the programs).
const TOOLS: &[(&str, &[&str])] = &[("wom_promtool", &["promtool", "prometheus"]), ("wom_chromium", &["chromium"])];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    let dirs: Vec<PathBuf> = env::var_os("PATH").map(|p| env::split_paths(&p).collect()).unwrap_or_default();
    for (cfg, programs) in TOOLS {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        let found: Vec<Option<PathBuf>> =
            programs.iter().map(|p| dirs.iter().map(|d| d.join(p)).find(|f| f.is_file())).collect();
        if found.iter().all(Option::is_some) {
            println!("cargo::rustc-cfg={cfg}");
            for file in found.into_iter().flatten() {
                println!("cargo::rerun-if-changed={}", file.display());
            }
        } else {
            // Installing the tool later changes one of these directories, which runs this script again.
            for dir in dirs.iter().filter(|d| d.is_dir()) {
                println!("cargo::rerun-if-changed={}", dir.display());
            }
        }
    }
}
