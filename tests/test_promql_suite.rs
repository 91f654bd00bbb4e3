//! PromQL semantics in Prometheus's test language: wom's own cases in `tests/promql/*.test` must all pass.
//! With `WOM_PROMQL_TESTDATA` naming a directory of Prometheus's `promql/promqltest/testdata`, the same
//! runner reports wom's agreement with Prometheus's own suite (float-sample cases).

use wom::promql::promqltest;

#[test]
fn own_promql_cases_pass() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/promql");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("tests/promql").map(|e| e.expect("entry").path()).collect();
    files.sort();
    let mut total = 0;
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "test")) {
        let report = promqltest::run(&std::fs::read_to_string(path).expect("read"));
        assert!(report.failed.is_empty(), "{}:\n{}", path.display(), report.failed.join("\n"));
        assert_eq!(report.skipped, 0, "{}: skipped cases", path.display());
        total += report.passed;
    }
    assert!(total >= 100, "only {total} cases");
}

#[test]
fn agreement_with_prometheus_suite() {
    let Ok(dir) = std::env::var("WOM_PROMQL_TESTDATA") else { return };
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("testdata").map(|e| e.expect("entry").path()).collect();
    files.sort();
    let (mut passed, mut run) = (0, 0);
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "test")) {
        let report = promqltest::run(&std::fs::read_to_string(path).expect("read"));
        println!(
            "{}: {}/{} ({} skipped)",
            path.file_name().unwrap_or_default().to_string_lossy(),
            report.passed,
            report.total(),
            report.skipped
        );
        for f in &report.failed {
            println!("  {f}");
        }
        passed += report.passed;
        run += report.total();
    }
    println!("agreement: {passed}/{run} = {:.1}%", 100.0 * passed as f64 / run.max(1) as f64);
}
