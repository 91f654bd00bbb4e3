//! `wom export --openmetrics` and `wom query --load`: the drill's telemetry outside the drill.

use crate::common::TestEnvironment;

const DATA: &str = "# TYPE http_requests_total counter
http_requests_total{job=\"api\",instance=\"a\"} 0 1767276000
http_requests_total{job=\"api\",instance=\"a\"} 60 1767276060
http_requests_total{job=\"api\",instance=\"a\"} 120 1767276120
http_requests_total{job=\"api\",instance=\"b\"} 10 1767276000
http_requests_total{job=\"api\",instance=\"b\"} 40 1767276090.5
# TYPE up gauge
up{job=\"api\",instance=\"a\"} 1 1767276120
up{job=\"api\",instance=\"b\"} 0 1767276120
# EOF
";

#[test]
fn query_prints_as_promtool_does() {
    let env = TestEnvironment::new();
    env.write("data.om", DATA);
    let out = env.run(&["query", "--load", "data.om", "up"], "");
    assert_eq!(out.status, 0, "{out}");
    assert_eq!(
        out.stdout,
        "up{instance=\"a\", job=\"api\"} => 1 @[1767276120]\nup{instance=\"b\", job=\"api\"} => 0 @[1767276120]\n"
    );
    let out = env
        .run(&["query", "--load", "data.om", "--at", "2026-01-01T14:02:00Z", "sum(rate(http_requests_total[2m]))"], "");
    // Left-open window (14:00, 14:02]: a has two samples (one request a second), b only one (no rate).
    assert_eq!(out.stdout, "{} => 1 @[1767276120]\n", "{out}");
    let out = env.run(&["query", "--load", "data.om", "scalar(count(up))"], "");
    assert_eq!(out.stdout, "scalar: 2 @[1767276120]\n", "{out}");
    let out = env.run(
        &[
            "query",
            "--load",
            "data.om",
            "--range",
            "1767276000",
            "1767276120",
            "1m",
            "http_requests_total{instance=\"b\"}",
        ],
        "",
    );
    assert_eq!(
        out.stdout,
        "http_requests_total{instance=\"b\", job=\"api\"} =>\n10 @[1767276000]\n10 @[1767276060]\n40 @[1767276120]\n",
        "{out}"
    );
}

#[test]
fn query_json_is_prometheus_api_json() {
    let env = TestEnvironment::new();
    env.write("data.om", DATA);
    let out = env.run(&["query", "--load", "data.om", "--json", "up == 0"], "");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(
        v,
        serde_json::json!({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"__name__": "up", "instance": "b", "job": "api"}, "value": [1767276120, "0"]}
        ]}})
    );
    let out = env.run(&["query", "--load", "data.om", "--json", "--", "-up"], "");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(v["data"]["result"][1]["value"][1], "-0", "{out}");
}

#[test]
fn query_errors_say_what_and_where() {
    let env = TestEnvironment::new();
    env.write("data.om", DATA);
    env.write("bad.om", "up{job=\"a\"} 1 100\nup{job=a} 2 160\n");
    let out = env.run(&["query", "--load", "bad.om", "up"], "");
    assert_eq!((out.status, out.stderr.as_str()), (2, "error: bad.om:2: expected a quoted value for label `job`\n"));
    let out = env.run(&["query", "--load", "data.om", "--at", "yesterday", "up"], "");
    assert!(out.stderr.starts_with("error: --at: cannot parse `yesterday` as a time"), "{out}");
    let out = env.run(&["query", "--load", "data.om", "sum(up"], "");
    assert_eq!(out.stderr, "error: cannot parse: unclosed left parenthesis\n", "{out}");
    let out = env.run(&["query", "--load", "data.om", "upp"], "");
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("\n", "note: no metric `upp`; did you mean `up`?\n"));
}

#[test]
fn export_writes_the_visible_history_as_openmetrics() {
    let env = TestEnvironment::new();
    let out = env.run(&["export", "signup-outage", "--seed", "3", "--until", "10m", "--openmetrics"], "");
    assert_eq!(out.status, 0, "{out}");
    assert!(out.stdout.starts_with("# TYPE "), "{}", &out.stdout[..200]);
    assert!(out.stdout.ends_with("# EOF\n"));
    // The page of signup-outage is 14:05 on the export day; ten minutes after it is the last sample (14:15).
    let last = out.stdout.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.rsplit(' ').next()).max();
    assert_eq!(last, Some("1767276900"));
    // Same seed, same bytes.
    let again = env.run(&["export", "signup-outage", "--seed", "3", "--until", "10m", "--openmetrics"], "");
    assert_eq!(out.stdout, again.stdout);
    // What `export` writes, `query` reads; it agrees with the drill's own `query`.
    env.write("drill.om", &out.stdout);
    let file = env.run(&["query", "--load", "drill.om", "count(error_rate)"], "");
    assert_eq!(file.stdout, "{} => 6 @[1767276900]\n", "{file}");
    let hidden = ["root_cause", "gm_summary", "walkthrough"];
    assert!(hidden.iter().all(|h| !out.stdout.contains(h)));
}

#[test]
fn query_reads_limits_escapes_and_names_as_prometheus_does() {
    let env = TestEnvironment::new();
    env.write("data.om", DATA);
    let run = |q: &str| env.run(&["query", "--load", "data.om", q], "");
    assert_eq!(run("count(limitk(1, up))").stdout, "{} => 1 @[1767276120]\n");
    let out = run("limit_ratio(1, up)");
    assert_eq!(
        out.stdout,
        "up{instance=\"a\", job=\"api\"} => 1 @[1767276120]\nup{instance=\"b\", job=\"api\"} => 0 @[1767276120]\n"
    );
    // Byte escapes read as Go reads them; bytes that are not UTF-8 are refused in one line.
    assert_eq!(
        run(r#"up{job="\x61pi", instance="\141"}"#).stdout,
        "up{instance=\"a\", job=\"api\"} => 1 @[1767276120]\n"
    );
    let out = run(r#"up{job="\xff"}"#);
    assert_eq!((out.status, out.stderr.as_str()), (2, "error: cannot parse: string \"\\xff\" is not valid UTF-8\n"));
    // Outside Prometheus's test engine the name goes at once: label_replace no longer reads it.
    let out = run(r#"label_replace(rate(http_requests_total[2m]), "m", "$1", "__name__", "(.+)")"#);
    assert_eq!(out.stdout, "{instance=\"a\", job=\"api\"} => 1 @[1767276120]\n", "{out}");
    // No start times in OpenMetrics 1: start_timestamp has nothing to read.
    assert_eq!(run("start_timestamp(up)").stdout, "\n");
}
