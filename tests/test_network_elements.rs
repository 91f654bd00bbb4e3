//! Network elements (issue 13.2) on `tests/fixtures/network.ron`, which has no noise, so every value is
//! exact: web calls api across the load balancer `lb-east` (monitored) and the link `transit-1` (not).

use crate::common::TestEnvironment;

const FIXTURE: &str = include_str!("fixtures/network.ron");

fn play(lines: &[&str]) -> String {
    let env = TestEnvironment::new();
    env.write("net.ron", FIXTURE);
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let out = env.run(&["play", "net.ron", "--seed", "1"], &input);
    assert_eq!(out.status, 0, "{out}");
    out.stdout
}

/// The value on the line of `query` output naming `series`.
fn value(out: &str, after: &str, series: &str) -> String {
    let start = out.find(after).unwrap_or_else(|| panic!("no `{after}` in\n{out}"));
    let line = out[start..].lines().find(|l| l.starts_with(series)).unwrap_or_else(|| panic!("no {series}\n{out}"));
    line.split_whitespace().last().unwrap_or_default().to_string()
}

#[test]
fn loss_on_a_load_balancer_turns_into_errors_and_a_retransmit_at_the_callers_p99() {
    let out = play(&["query error_rate", "query latency_p99", "query latency_p50"]);
    // 20% loss, one retry: 0.2² = 4% of calls fail, on top of web's own 0.1%.
    assert_eq!(value(&out, "wom> query error_rate", "error_rate{kind=\"edge\",service=\"web\"}"), "0.041");
    assert_eq!(value(&out, "wom> query error_rate", "error_rate{kind=\"service\",service=\"api\"}"), "0.001");
    // Past 1% loss the p99 includes a 200 ms retransmission timeout; the median does not.
    assert_eq!(value(&out, "wom> query latency_p99", "latency_p99{kind=\"edge\",service=\"web\"}"), "300");
    assert_eq!(value(&out, "wom> query latency_p50", "latency_p50{kind=\"edge\",service=\"web\"}"), "20");
}

#[test]
fn added_latency_ramps_into_the_callers_latency_and_a_partition_cuts_the_edge() {
    // `slow` starts at T+5m and adds 40 ms to lb-east over 4 minutes; `cut` partitions transit-1 at T+12m.
    let out = play(&[
        "wait 6m",
        "query latency_p50",
        "wait 2m",
        "query latency_p50",
        "query network_rtt_ms",
        "wait 4m",
        "query error_rate",
        "query latency_p99",
    ]);
    let p50 = |after: &str| value(&out, after, "latency_p50{kind=\"edge\",service=\"web\"}");
    // At 10:06, one minute into the four-minute ramp: 10 ms added; at 10:09 all 40.
    assert_eq!(p50("10:06:00 wom> query latency_p50"), "30");
    assert_eq!(p50("10:09:00 wom> query latency_p50"), "60");
    assert_eq!(
        value(&out, "wom> query network_rtt_ms", "network_rtt_ms{element=\"lb-east\",kind=\"load_balancer\"}"),
        "42"
    );
    assert_eq!(value(&out, "wom> query error_rate", "error_rate{kind=\"edge\",service=\"web\"}"), "1");
    // A cut flow waits out a 1 s connect timeout.
    assert_eq!(value(&out, "wom> query latency_p99", "latency_p99{kind=\"edge\",service=\"web\"}"), "1100");
}

#[test]
fn deps_shows_the_path_and_each_element_as_its_monitoring_sees_it() {
    let out = play(&["deps web", "wait 9m", "deps api", "wait 3m", "deps"]);
    assert!(
        out.contains(
            "10:00:00 wom> deps web\nweb\ncalls:\n  web -> [lb-east] -> [transit-1] -> api  hard  100% of requests  healthy\n\
             called by nothing\nnetwork:\n  [lb-east]    load balancer  DEGRADED       loss 20.0%  rtt 2 ms\n  \
             [transit-1]  link           not monitored\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "wom> deps api\napi\ncalls nothing\ncalled by:\n  web -> [lb-east] -> [transit-1] -> api  hard  100% of requests  healthy\n\
             network:\n  [lb-east]    load balancer  DEGRADED       loss 0.0%  rtt 42 ms\n  [transit-1]  link           not monitored\n"
        ),
        "{out}"
    );
    assert!(out.contains("web  DOWN     calls api (hard, via [lb-east] [transit-1])\n"), "{out}");
    // The unmonitored link's series are not there to query, and nothing shows its partition.
    let hidden = play(&["wait 13m", "query network_partition_ratio", "deps web"]);
    assert!(hidden.contains("network_partition_ratio{element=\"lb-east\",kind=\"load_balancer\"}  0\n"), "{hidden}");
    assert!(!hidden.contains("transit-1\",") && !hidden.contains("flows cut"), "{hidden}");
}

#[test]
fn an_action_on_the_element_ends_the_impairment() {
    let out = play(&["wait 13m", "mitigate drain lb-east", "wait 2m", "query error_rate"]);
    assert!(out.contains("Drained `lb-east`."), "{out}");
    assert_eq!(value(&out, "wom> query error_rate", "error_rate{kind=\"edge\",service=\"web\"}"), "0.001");
}

#[test]
fn broken_network_declarations_are_refused_with_where_and_what() {
    let env = TestEnvironment::new();
    let cases = [
        (
            "via: [\"lb-east\", \"transit-1\"]",
            "via: [\"lb-east\", \"transit-2\"]",
            "unknown network element `transit-2` in dependency `web` -> `api`; did you mean `transit-1`?",
        ),
        (
            "Network(element: \"lb-east\", loss: 0.2)",
            "Network(element: \"lb-east\", loss: 1.2)",
            "a symptom of state `lossy`: loss 1.2 is outside 0..=1",
        ),
        (
            "Network(element: \"lb-east\", loss: 0.2)",
            "Network(element: \"lb-west\")",
            "unknown network element `lb-west` in a symptom of state `lossy`; did you mean `lb-east`?",
        ),
        (
            "(id: \"transit-1\", kind: Link, rtt: 5.0)",
            "(id: \"api\", kind: Link, rtt: 5.0)",
            "network element `api`: a service has this name; give the element its own",
        ),
    ];
    for (find, replace, message) in cases {
        assert!(FIXTURE.contains(find), "{find}");
        let text = FIXTURE.replacen(find, replace, 1);
        env.assert_refused_at(&text, replace, message);
    }
}
