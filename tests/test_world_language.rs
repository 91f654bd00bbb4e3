//! The second edition's world constructs on small fixtures with exact values: log templates with ranges,
//! choices and shared identities; calendar and periodic load; processes (derived metrics, controllers,
//! capacities); degraded tools; network elements; time compression.

use crate::common::TestEnvironment;

/// The engine fixture with `edits` applied (each `(find, replace)` must match).
pub fn fixture_with(edits: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/engine.ron"))
        .expect("engine fixture");
    for (find, replace) in edits {
        assert!(text.contains(find), "fixture has no `{find}`");
        text = text.replacen(find, replace, 1);
    }
    text
}

/// Plays `lines` on `text` (written as `s.ron`) with seed 5.
pub fn play(env: &TestEnvironment, text: &str, lines: &[&str]) -> String {
    env.write("s.ron", text);
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let out = env.run(&["play", "s.ron", "--seed", "5"], &input);
    assert_eq!(out.status, 0, "{out}");
    out.stdout
}

#[test]
fn a_shared_request_id_is_logged_at_the_edge_and_the_backend() {
    let text = fixture_with(&[
        (
            "logs: [(level: Info, template: \"GET /items 200 {ms}ms\", rate: 4.0)]),",
            "logs: [(level: Info, template: \"{one_of:[GET,HEAD]} /items 200 page={n:1..3} request_id={ref:request}\", rate: 4.0)]),",
        ),
        (
            "(name: \"latency_p99\", unit: Millis, baseline: 8.0, noise: 0.05),\n         ]),",
            "(name: \"latency_p99\", unit: Millis, baseline: 8.0, noise: 0.05),\n         ],\n         logs: [(template: \"SELECT items for request_id={ref:request}\", rate: 12.0)]),",
        ),
    ]);
    let env = TestEnvironment::new();
    let out = play(&env, &text, &["logs api --since 3m"]);
    let api: Vec<&str> = out.lines().filter(|l| l.contains("/items 200 page=")).collect();
    assert!(api.len() >= 6, "{out}");
    assert!(api.iter().all(|l| ["page=1 ", "page=2 ", "page=3 "].iter().any(|p| l.contains(p))), "{api:?}");
    assert!(api.iter().any(|l| l.contains("GET /items")) && api.iter().any(|l| l.contains("HEAD /items")), "{api:?}");
    // The same seed plays the same drill: look each id up at the backend.
    let ids: std::collections::BTreeSet<&str> = api.iter().filter_map(|l| l.split("request_id=").nth(1)).collect();
    let greps: Vec<String> = ids.iter().map(|id| format!("logs db --since 30m --grep {id}")).collect();
    let found = play(&env, &text, &greps.iter().map(String::as_str).collect::<Vec<_>>());
    let at_db = ids
        .iter()
        .filter(|id| found.lines().any(|l| l.contains("SELECT items for request_id=") && l.ends_with(*id)))
        .count();
    assert_eq!(at_db, ids.len(), "{at_db} of {} ids found at the backend:\n{found}", ids.len());
}

#[test]
fn a_malformed_template_is_refused_with_its_position() {
    let text = fixture_with(&[("template: \"GET /items 200 {ms}ms\"", "template: \"GET /items {n:9..2}\"")]);
    let env = TestEnvironment::new();
    env.write("s.ron", &text);
    let out = env.run(&["check", "s.ron"], "");
    let line = text.lines().position(|l| l.contains("{n:9..2}")).expect("line") + 1;
    let col = text.lines().nth(line - 1).expect("line").find("template:").expect("col") + 1 + "template: ".len();
    assert_eq!(out.status, 1, "{out}");
    assert_eq!(
        out.stdout,
        format!(
            "s.ron:{line}:{col}: error[E010 invalid-value]: a log of service `api`: bad log template: empty range `9..2` in `{{n:..}}`; the first number must not exceed the second\nFAIL s.ron: 1 error\n"
        )
    );
}

/// The fixture with a db fleet that a capacity of restarts brings back, and a quota an action raises.
fn recovery_fixture() -> String {
    fixture_with(&[
        (
            "(name: \"latency_p99\", unit: Millis, baseline: 8.0, noise: 0.05),\n         ]),",
            "(name: \"latency_p99\", unit: Millis, baseline: 8.0, noise: 0.05),\n            (name: \"servers_up\", baseline: 100.0),\n            (name: \"replicas_up\", baseline: 40.0),\n         ]),",
        ),
        (
            "Metric(service: \"api\", metric: \"error_rate\", shift: Set(0.3)),",
            "Metric(service: \"api\", metric: \"error_rate\", shift: Set(0.3)),\n                Metric(service: \"db\", metric: \"servers_up\", shift: Set(20.0)),\n                Metric(service: \"db\", metric: \"replicas_up\", shift: Set(35.0)),",
        ),
        (
            "    )],\n    actions: [",
            "    ), (\n        id: \"quota\",\n        initial: \"normal\",\n        states: [\n            (id: \"normal\", phase: Normal, transitions: [(to: \"raised\", when: Action(action: \"raise-quota\"))]),\n            (id: \"raised\", phase: Normal, on_enter: [SetCapacity(capacity: \"restarts\", per_minute: 30.0)]),\n        ],\n    )],\n    actions: [",
        ),
        (
            "    actions: [",
            "    processes: (\n        capacities: [(id: \"restarts\", per_minute: 10.0)],\n        recoveries: [\n            (service: \"db\", metric: \"servers_up\", to: 100.0, capacity: \"restarts\", during: [\"fixed\"]),\n            (service: \"db\", metric: \"replicas_up\", to: 40.0, capacity: \"restarts\", during: [\"fixed\"]),\n        ],\n    ),\n    actions: [\n        (id: \"raise-quota\", summary: \"raise the restart quota\", result: \"Quota raised.\"),",
        ),
    ])
}

#[test]
fn a_recovery_climbs_from_where_it_stood_at_the_pace_of_a_shared_capacity_an_action_raises() {
    let env = TestEnvironment::new();
    let out = play(
        &env,
        &recovery_fixture(),
        &[
            "mitigate rollback api",
            "wait 3m",
            "mitigate raise-quota",
            "wait 2m",
            "metrics db servers_up --since 10m --step 1m",
            "metrics db replicas_up --since 10m --step 1m",
        ],
    );
    insta::assert_snapshot!(out.split("wom> metrics db servers_up").nth(1).unwrap().split("\nScore:").next().unwrap(), @r"
     --since 10m --step 1m
    db servers_up, 09:59:00–10:09:00
    ▂▂▂▃▃▄▅▆███
    min 20.0  max 100  last 100
    09:59:00  20.0
    10:00:00  20.0
    10:01:00  20.0
    10:02:00  25.0
    10:03:00  35.0
    10:04:00  45.0
    10:05:00  55.0
    10:06:00  65.0
    10:07:00  95.0
    10:08:00  100
    10:09:00  100
    10:10:00 wom> metrics db replicas_up --since 10m --step 1m
    db replicas_up, 10:00:00–10:10:00
    ▇▇█████████
    min 35.0  max 40.0  last 40.0
    10:00:00  35.0
    10:01:00  35.0
    10:02:00  40.0
    10:03:00  40.0
    10:04:00  40.0
    10:05:00  40.0
    10:06:00  40.0
    10:07:00  40.0
    10:08:00  40.0
    10:09:00  40.0
    10:10:00  40.0
    Drill over at 10:11:00 (end of input).
    ");
    // The rollback lands at 10:02: both recoveries start from where they stood and share 10 restarts a minute
    // (5 each; replicas needs only 5), then servers get all 10; the raised quota (30) lands at 10:07.
}

#[test]
fn an_autoscaler_chases_its_target_after_its_delay_and_an_action_holds_it() {
    let text = fixture_with(&[
        (
            "(name: \"latency_p99\", unit: Millis, baseline: 120.0, noise: 0.05),\n         ],",
            "(name: \"latency_p99\", unit: Millis, baseline: 120.0, noise: 0.05),\n            (name: \"load\", unit: PerSecond, baseline: 600.0),\n            (name: \"instances\", baseline: 4.0),\n            (name: \"cpu\", unit: Ratio, baseline: 0.0),\n         ],",
        ),
        (
            "    )],\n    actions: [",
            "    ), (\n        id: \"scaling\",\n        initial: \"auto\",\n        states: [\n            (id: \"auto\", phase: Normal, transitions: [(to: \"held\", when: Action(action: \"hold-asg\"))]),\n            (id: \"held\", phase: Normal, on_enter: [Control(controller: \"asg\", mode: Hold(3.0))]),\n        ],\n    )],\n    processes: (\n        derived: [(service: \"api\", metric: \"cpu\", expr: \"load / (instances * 100)\")],\n        controllers: [(id: \"asg\", service: \"api\", watches: \"cpu\", target: 0.5, adjusts: \"instances\", delay: \"2m\", min: 2.0, max: 20.0)],\n    ),\n    actions: [\n        (id: \"hold-asg\", summary: \"pin the api's autoscaling group\", result: \"Held.\"),",
        ),
    ]);
    let env = TestEnvironment::new();
    let out = play(
        &env,
        &text,
        &[
            "metrics api instances --since 32m --step 2m",
            "query cpu",
            "mitigate hold-asg",
            "wait 2m",
            "query instances",
            "query cpu",
        ],
    );
    insta::assert_snapshot!(out.split("10:00:00 wom> ").nth(1).unwrap().split("\nScore:").next().unwrap(), @r#"
    metrics api instances --since 32m --step 2m
    api instances, 09:30:00–10:00:00
    ▃▃▃████████████████████████████
    min 4.0  max 12.0  last 12.0
    09:30:00  4.0
    09:32:00  4.0
    09:34:00  12.0
    09:36:00  12.0
    09:38:00  12.0
    09:40:00  12.0
    09:42:00  12.0
    09:44:00  12.0
    09:46:00  12.0
    09:48:00  12.0
    09:50:00  12.0
    09:52:00  12.0
    09:54:00  12.0
    09:56:00  12.0
    09:58:00  12.0
    10:00:00  12.0
    [10:01:00] new ticket from Support: Customers see errors listing items.
    10:01:00 wom> query cpu
    cpu at 10:01:00
    cpu{kind="service",service="api"}  0.5
    [10:02:00] new chat from Dana: Is the office wifi slow for anyone else?
    10:02:00 wom> mitigate hold-asg
    Held.
    10:04:00 wom> wait 2m
    Waiting 2m until 10:06:00.
    10:06:00 wom> query instances
    instances at 10:06:00
    instances{kind="service",service="api"}  3
    10:07:00 wom> query cpu
    cpu at 10:07:00
    cpu{kind="service",service="api"}  1
    Drill over at 10:08:00 (end of input).
    "#);
}

#[test]
fn degraded_tools_answer_unavailable_stale_slow_or_partial_and_an_unmonitored_alert_stays_silent() {
    let text = fixture_with(&[
        ("summary: \"api error rate above 5%\"),", "summary: \"api error rate above 5%\", monitor: \"grafana\"),"),
        (
            "    actions: [",
            "    tools: [\n        (id: \"grafana\", commands: [\"metrics\", \"alerts\"], when: [(during: [\"broken\"], mode: Unavailable(\"502 Bad Gateway from the edge\"))]),\n        (id: \"kibana\", commands: [\"logs\"], when: [(during: [\"broken\"], mode: Stale)]),\n        (id: \"service catalog\", commands: [\"deps\"], when: [(during: [\"broken\"], mode: Slow(\"2m\"))]),\n        (id: \"config store\", commands: [\"config\"], when: [(during: [\"broken\"], mode: Partial([\"db\"]))]),\n    ],\n    actions: [",
        ),
    ]);
    let env = TestEnvironment::new();
    let out = play(
        &env,
        &text,
        &[
            "alerts",
            "metrics api",
            "logs api --tail 2",
            "deps api",
            "config db",
            "config api",
            "mitigate rollback api",
            "wait 1m",
            "metrics api error_rate --since 2m",
            "logs api --tail 1",
        ],
    );
    insta::assert_snapshot!(out.split("takes simulated time.\n").nth(1).unwrap().split("\nScore:").next().unwrap(), @r#"
    [09:31:00] ALERT DbSlow firing (ticket, db) db p99 above 1ms
    10:00:00 wom> alerts
    grafana is unavailable: 502 Bad Gateway from the edge
    10:00:20 wom> metrics api
    grafana is unavailable: 502 Bad Gateway from the edge
    [10:01:00] new ticket from Support: Customers see errors listing items.
    10:01:20 wom> logs api --tail 2
    kibana: data up to 09:30:00 (nothing newer has arrived)
    2 lines from api in the last 30m (newest last)
    09:29:49 ERROR api            GET /items 500: column items.owner does not exist
    09:29:52 INFO  api            GET /items 200 18ms
    [10:02:00] new chat from Dana: Is the office wifi slow for anyone else?
    10:02:20 wom> deps api
    service catalog is slow: this took 2m longer than usual
    api
    calls:
      db  hard  100% of requests  healthy
    called by nothing
    10:04:40 wom> config db
    config store has no data for db (no samples received)
    10:05:00 wom> config api
    api has no configuration values on record.
    10:05:20 wom> mitigate rollback api
    Rolled back `api`.
    10:07:20 wom> wait 1m
    Waiting 1m until 10:08:20.
    10:08:20 wom> metrics api error_rate --since 2m
    api error_rate, 10:07:00–10:08:00
    █▁
    min 0.11%  max 31.65%  last 0.11%
    10:07:00  31.65%
    10:08:00  0.11%
    10:09:20 wom> logs api --tail 1
    1 line from api in the last 30m (newest last)
    10:08:49 INFO  api            GET /items 200 21ms
    Drill over at 10:10:20 (end of input).
    "#);
}

#[test]
fn broken_processes_and_tools_are_refused_with_where_and_what() {
    let check = |edits: &[(&str, &str)]| {
        let env = TestEnvironment::new();
        env.write("s.ron", &fixture_with(edits));
        let out = env.run(&["check", "s.ron"], "");
        assert_eq!(out.status, 1, "{out}");
        out.stdout
    };
    let derive = |expr: &str| {
        check(&[(
            "    actions: [",
            &format!(
                "    processes: (derived: [(service: \"api\", metric: \"latency_p99\", expr: \"{expr}\")]),\n    actions: ["
            ),
        )])
    };
    assert_eq!(
        derive("error_rate *"),
        "s.ron:54:73: error[E010 invalid-value]: derived metric `latency_p99` of `api`: bad expression at column 13: the expression ends early; expected a number, a metric or `(`\nFAIL s.ron: 1 error\n"
    );
    assert_eq!(
        derive("eror_rate * 2"),
        "s.ron:54:73: error[E004 unknown-reference]: unknown metric `eror_rate` in derived metric `latency_p99` of `api` (service `api`); did you mean `error_rate`? (known: `error_rate`, `latency_p99`)\nFAIL s.ron: 1 error\n"
    );
    assert_eq!(
        derive("latency_p99 * 2"),
        "s.ron:54:73: error[E010 invalid-value]: derived metric `latency_p99` of `api`: `api.latency_p99` is derived here or later; a derived metric reads only metrics derived before it\nFAIL s.ron: 1 error\n"
    );
    let tool = check(&[(
        "    actions: [",
        "    tools: [(id: \"kibana\", commands: [\"logs\", \"status\"], when: [(during: [\"broken\"], mode: Stale)])],\n    actions: [",
    )]);
    assert_eq!(
        tool,
        "s.ron:54:92: error[E010 invalid-value]: tool `kibana`: `status` cannot answer stale; a `Stale` tool answers only `metrics` and `logs`\nFAIL s.ron: 1 error\n"
    );
    let state = check(&[(
        "    actions: [",
        "    tools: [(id: \"kibana\", commands: [\"logs\"], when: [(during: [\"brokn\"], mode: Stale)])],\n    actions: [",
    )]);
    assert_eq!(
        state,
        "s.ron:54:65: error[E004 unknown-reference]: unknown state `brokn` in tool `kibana`; did you mean `broken`? (known: `broken`, `fixed`, `worse`)\nFAIL s.ron: 1 error\n"
    );
}

#[test]
fn the_new_scenarios_degrade_their_tools_and_pace_their_recovery() {
    let env = TestEnvironment::new();
    let out = env.run(&["play", "cloudflare-waf-2019", "--seed", "2"], "metrics edge\nquery cpu\nstatus\n");
    assert!(
        out.stdout.contains(
            "the internal dashboards is unavailable: 502 Bad Gateway (the dashboards are served through our own edge)\n"
        ),
        "{out}"
    );
    assert!(out.stdout.contains("edge: 200/200 machines unhealthy"), "{out}");
    let s3 = env.run(
        &["play", "aws-s3-2017", "--seed", "2"],
        "declare sev1 s3 down\nupdate --to status-page S3 errors for customers; restarting; next update in 1h\nmitigate restart index\nwait 1h\nmetrics index servers_active --since 20m --step 10m\n",
    );
    assert!(s3.stdout.contains("the SHD admin console is unavailable: no response (connection timed out)\n"), "{s3}");
    // Six servers a minute from 120: the restart began when the action landed.
    let rows: Vec<&str> =
        s3.stdout.lines().filter(|l| l.starts_with("10:") && l.split_whitespace().count() == 2).collect();
    assert_eq!(rows.len(), 2, "{s3}");
    let values: Vec<f64> = rows.iter().map(|r| r.split_whitespace().nth(1).unwrap().parse().unwrap()).collect();
    assert_eq!(values, vec![420.0, 480.0], "ten minutes at six a minute: {rows:?}");
}

#[test]
fn the_page_has_a_date_weekday_and_zone_and_the_day_turns_at_midnight() {
    let env = TestEnvironment::new();
    let out = env.run(&["play", "cloudflare-waf-2019", "--seed", "2"], "time\nwait 6h\nwait 5h\ntime\n");
    let times: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("It is ")).collect();
    assert_eq!(
        times,
        vec![
            "It is 13:45:00 UTC on Tuesday 2019-07-02 (T+0s); the page came at 13:45:00 UTC.",
            "It is 00:45:00 UTC on Wednesday 2019-07-03 (T+11h); the page came at 13:45:00 UTC.",
        ],
        "{out}"
    );
    let env = TestEnvironment::new();
    env.write(
        "s.ron",
        &fixture_with(&[(
            "clock: (page_time: \"10:00\", history: \"30m\")",
            "clock: (page_time: \"10:00\", history: \"30m\", date: \"2019-02-29\")",
        )]),
    );
    let out = env.run(&["check", "s.ron"], "");
    assert_eq!(
        out.stdout,
        "s.ron:13:55: error[E010 invalid-value]: clock.date: `2019-02-29` is not a date; expected `YYYY-MM-DD`\nFAIL s.ron: 1 error\n",
        "{out}"
    );
}
