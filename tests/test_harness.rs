//! Guards on the test harness itself, as jj has them: a test file that is not compiled never fails.

use std::path::Path;

#[test]
fn every_test_file_is_listed_in_the_runner() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let runner = std::fs::read_to_string(dir.join("runner.rs")).expect("read tests/runner.rs");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests dir") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        if let Some(module) = name.strip_prefix("test_").and_then(|n| n.strip_suffix(".rs"))
            && !runner.lines().any(|l| l.trim() == format!("mod test_{module};"))
        {
            missing.push(name);
        }
    }
    missing.sort();
    assert!(missing.is_empty(), "add `mod <name>;` to tests/runner.rs for: {}", missing.join(", "));
}
