//! Prometheus's HTTP API on a live drill, over real loopback sockets: promtool (Debian's prometheus 2.42)
//! against `wom play --prometheus` and against a hosted drill, agreeing with the drill's own `query`;
//! Prometheus's error JSON for bad parameters, over GET and form-encoded POST; and a scan showing that nothing
//! hidden, and nothing from the simulated future, is served.

use crate::common::TestEnvironment;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdin};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wom::http::{ApiServer, Publisher};
use wom::scenario::builtin;
use wom::session::Drill;

/// One HTTP/1.1 request; the status and the body as JSON.
fn http(addr: SocketAddr, method: &str, path: &str, form: Option<&str>) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = form.unwrap_or("");
    let path = encode(path);
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if form.is_some() {
        request.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status: u16 = response.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status line");
    let (head, body) = response.split_once("\r\n\r\n").expect("headers end");
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.into() };
    (status, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}")))
}

/// The path with its query string percent-encoded where a URI may not hold the character as typed (`{`, `"`,
/// spaces); `%`, `+`, `&` and `=` are taken as already meant.
fn encode(path: &str) -> String {
    let Some((route, query)) = path.split_once('?') else { return path.to_string() };
    let mut out = format!("{route}?");
    for b in query.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~=&%+".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

/// A drill held in this process whose series are served as `wom play --prometheus` serves them.
struct InProcess {
    drill: Drill,
    publisher: Publisher,
    server: ApiServer,
}

impl InProcess {
    fn start(id: &str, seed: u64) -> InProcess {
        let drill = Drill::start(Arc::new(builtin(id).unwrap().unwrap()), seed);
        let publisher = Publisher::new(drill.sim());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let server = ApiServer::start(listener, publisher.live()).unwrap();
        InProcess { drill, publisher, server }
    }

    fn respond(&mut self, line: &str) {
        self.drill.respond(line);
        self.publisher.publish(self.drill.sim());
    }

    fn get(&self, path: &str) -> (u16, Value) {
        http(self.server.addr(), "GET", path, None)
    }
}

fn now_secs() -> f64 {
    wom::http::wall_now() as f64 / 1000.0
}

/// Method, path, form body, and the status, `errorType` and part of the `error` expected.
type Case = (&'static str, &'static str, Option<&'static str>, u16, &'static str, &'static str);

#[test]
fn bad_parameters_get_prometheus_error_json_over_get_and_post() {
    let api = InProcess::start("signup-outage", 2);
    let addr = api.server.addr();
    let cases: &[Case] = &[
        ("GET", "/api/v1/query?query=sum(", None, 400, "bad_data", "invalid parameter \"query\": cannot parse"),
        (
            "POST",
            "/api/v1/query",
            Some("query=up&time=yesterday"),
            400,
            "bad_data",
            "invalid parameter \"time\": invalid time value for 'time': cannot parse \"yesterday\" to a valid timestamp",
        ),
        (
            "GET",
            "/api/v1/query_range?query=up&start=x&end=1&step=1",
            None,
            400,
            "bad_data",
            "invalid parameter \"start\": cannot parse \"x\" to a valid timestamp",
        ),
        (
            "POST",
            "/api/v1/query_range",
            Some("query=up&start=10&end=5&step=1"),
            400,
            "bad_data",
            "invalid parameter \"end\": end timestamp must not be before start time",
        ),
        (
            "GET",
            "/api/v1/query_range?query=up&start=0&end=100&step=0",
            None,
            400,
            "bad_data",
            "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer",
        ),
        (
            "GET",
            "/api/v1/query_range?query=up&start=0&end=100&step=1x",
            None,
            400,
            "bad_data",
            "invalid parameter \"step\": cannot parse \"1x\" to a valid duration",
        ),
        (
            "GET",
            "/api/v1/query_range?query=up&start=0&end=86400&step=1",
            None,
            400,
            "bad_data",
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        ),
        (
            "GET",
            "/api/v1/query_range?query=error_rate[5m]&start=0&end=100&step=10",
            None,
            422,
            "execution",
            "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector",
        ),
        (
            "GET",
            "/api/v1/query?query=up&limit=-1",
            None,
            400,
            "bad_data",
            "invalid parameter \"limit\": limit must be non-negative",
        ),
        (
            "GET",
            "/api/v1/query?query=up&timeout=soon",
            None,
            400,
            "bad_data",
            "invalid parameter \"timeout\": cannot parse \"soon\" to a valid duration",
        ),
        ("GET", "/api/v1/series", None, 400, "bad_data", "no match[] parameter provided"),
        (
            "POST",
            "/api/v1/series",
            Some("match[]=%7Bservice%3D~%22.*%22%7D"),
            400,
            "bad_data",
            "invalid parameter \"match[]\": ",
        ),
        (
            "GET",
            "/api/v1/series?match[]={service=\"\"}",
            None,
            400,
            "bad_data",
            "must contain at least one non-empty matcher",
        ),
        ("GET", "/api/v1/labels?match[]=rate(x[5m])", None, 400, "bad_data", "is not a series selector"),
        ("GET", "/api/v1/label/1bad/values", None, 400, "bad_data", "invalid label name: \"1bad\""),
        (
            "POST",
            "/api/v1/label/service/values",
            Some("start=never"),
            400,
            "bad_data",
            "invalid parameter \"start\": invalid time value for 'start': cannot parse \"never\" to a valid timestamp",
        ),
        ("GET", "/api/v1/metadata?limit=ten", None, 400, "bad_data", "limit must be a number"),
    ];
    for &(method, path, form, status, kind, message) in cases {
        let (got, body) = http(addr, method, path, form);
        assert_eq!(got, status, "{method} {path}: {body}");
        assert_eq!(body["status"], "error", "{method} {path}: {body}");
        assert_eq!(body["errorType"], kind, "{method} {path}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains(message), "{method} {path}: {error:?} lacks {message:?}");
    }
    // The server is still there after every refusal.
    let (status, body) = api.get("/api/v1/query?query=count(error_rate)");
    assert_eq!((status, body["status"].as_str()), (200, Some("success")), "{body}");
}

#[test]
fn every_endpoint_answers_get_and_form_post_alike() {
    let api = InProcess::start("signup-outage", 2);
    let addr = api.server.addr();
    let t = format!("{:.3}", now_secs());
    let start = format!("{:.3}", now_secs() - 3600.0);
    let forms = [
        ("/api/v1/query", format!("query=sum+by+(service)+(error_rate)&time={t}")),
        ("/api/v1/query_range", format!("query=error_rate&start={start}&end={t}&step=15")),
        ("/api/v1/series", format!("match%5B%5D=error_rate&start={start}&end={t}")),
        ("/api/v1/labels", format!("start={start}&end={t}")),
        ("/api/v1/label/service/values", format!("match%5B%5D=error_rate&start={start}&end={t}")),
        ("/api/v1/metadata", "metric=error_rate".to_string()),
        ("/api/v1/status/buildinfo", String::new()),
    ];
    for (path, form) in &forms {
        let (status, by_get) = http(addr, "GET", &format!("{path}?{form}"), None);
        assert_eq!(status, 200, "{path}: {by_get}");
        let (status, by_post) = http(addr, "POST", path, Some(form));
        assert_eq!(status, 200, "{path}: {by_post}");
        assert_eq!(by_get, by_post, "{path}");
        assert_eq!(by_get["status"], "success");
    }
    let (_, info) = api.get("/api/v1/status/buildinfo");
    assert_eq!(info["data"]["version"], "2.42.0", "a version Grafana accepts: {info}");
    assert!(info["data"]["revision"].as_str().unwrap().starts_with("wom "), "{info}");
    let (_, meta) = api.get("/api/v1/metadata?metric=error_rate");
    assert_eq!(meta["data"]["error_rate"][0]["type"], "gauge", "{meta}");
    let (_, range) =
        http(addr, "GET", &format!("/api/v1/query_range?query=error_rate&start={start}&end={t}&step=15"), None);
    let series = range["data"]["result"].as_array().unwrap();
    assert_eq!(series.len(), 6, "one per service: {range}");
    assert_eq!(series[0]["values"].as_array().unwrap().len(), 241, "an hour at 15 s steps, both ends");
}

#[test]
fn the_drill_present_is_the_wall_clock_now_and_nothing_later_is_served() {
    let mut api = InProcess::start("signup-outage", 4);
    api.respond("wait 10m");
    // The newest sample of every series is the drill's present, placed at the wall clock's now.
    let before = now_secs();
    let (_, body) = api.get("/api/v1/query?query=max(timestamp(error_rate))");
    let after = now_secs();
    let newest: f64 = body["data"]["result"][0]["value"][1].as_str().unwrap().parse().unwrap();
    let lag = wom::http::api::PRESENT_LAG_MS as f64 / 1000.0;
    assert!(newest >= before - lag - 0.01 && newest <= after - lag + 0.01, "{before} {newest} {after}");
    // An hour ahead of the wall clock there is nothing newer than the present.
    let ahead = format!("/api/v1/query?query=max(timestamp(error_rate))&time={:.3}", after + 3600.0);
    let (_, body) = api.get(&ahead);
    let at: f64 = body["data"]["result"]
        .as_array()
        .map_or(0.0, |r| r.first().map_or(0.0, |s| s["value"][1].as_str().unwrap().parse().unwrap()));
    assert!(at <= after, "a sample from the simulated future: {body}");
    // The last simulated hour is the last wall-clock hour: 61 one-minute samples, the newest at the present.
    let (_, body) = api
        .get(&format!("/api/v1/query?query=count_over_time(error_rate{{service=\"web\"}}[1h])&time={:.3}", now_secs()));
    assert_eq!(body["data"]["result"][0]["value"][1], "60", "{body}");
}

#[test]
fn series_labels_and_values_honour_match_start_end_and_limit() {
    let api = InProcess::start("signup-outage", 2);
    let (_, body) = api.get("/api/v1/series?match[]=error_rate&match[]=latency_p99{service=\"web\"}");
    let names: Vec<String> =
        body["data"].as_array().unwrap().iter().map(|m| m["__name__"].as_str().unwrap().to_string()).collect();
    assert_eq!(names.iter().filter(|n| *n == "error_rate").count(), 6, "{body}");
    assert_eq!(names.iter().filter(|n| *n == "latency_p99").count(), 1, "{body}");
    let (_, body) = api.get("/api/v1/series?match[]=error_rate&limit=2");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["warnings"][0], "results truncated due to limit");
    // A window before the drill's history holds no series.
    let (_, body) = api.get("/api/v1/series?match[]=error_rate&start=0&end=1000");
    assert_eq!(body["data"], serde_json::json!([]), "{body}");
    // Label names are those of the series, sorted.
    let (_, body) = api.get("/api/v1/labels");
    // The drill's own series label `service` and `kind`; the exporter-shaped ones `job`, `instance`,
    // `code`, `method`, `route` and `le` too.
    assert_eq!(
        body["data"],
        serde_json::json!(["__name__", "code", "instance", "job", "kind", "le", "method", "route", "service"])
    );
    let (_, every) = api.get("/api/v1/series?match[]={__name__=~\".%2B\"}");
    let names: BTreeSet<String> =
        every["data"].as_array().unwrap().iter().flat_map(|m| m.as_object().unwrap().keys().cloned()).collect();
    assert_eq!(body["data"], serde_json::json!(names));
    assert!(names.contains("service") && names.contains("kind") && names.contains("__name__"), "{names:?}");
    let (_, body) = api.get("/api/v1/labels?match[]=error_rate");
    assert_eq!(body["data"], serde_json::json!(["__name__", "kind", "service"]));
    let (_, body) = api.get("/api/v1/label/service/values?match[]=error_rate{kind=\"edge\"}");
    assert_eq!(body["data"], serde_json::json!(["web"]));
    let (_, body) = api.get("/api/v1/label/__name__/values?limit=3");
    assert_eq!(body["data"].as_array().unwrap().len(), 3);
    let (_, body) = api.get("/api/v1/label/nosuchlabel/values");
    assert_eq!(body["data"], serde_json::json!([]));
}

#[test]
fn nothing_hidden_is_ever_served() {
    for (id, _, _) in wom::scenario::BUILTIN {
        let mut api = InProcess::start(id, 9);
        let scenario = api.drill.scenario().clone();
        for line in scenario.walkthrough.iter().take(scenario.walkthrough.len().saturating_sub(1)) {
            api.respond(line);
        }
        let mut served = String::new();
        let mut get = |path: &str| {
            let (status, body) = api.get(path);
            assert_eq!(status, 200, "{path}: {body}");
            served.push_str(&body.to_string());
            body
        };
        let names = get("/api/v1/labels");
        for name in names["data"].as_array().unwrap() {
            get(&format!("/api/v1/label/{}/values", name.as_str().unwrap()));
        }
        get("/api/v1/series?match[]={__name__=~\".%2B\"}");
        get("/api/v1/metadata");
        let end = now_secs();
        get(&format!(
            "/api/v1/query_range?query={{__name__=~\".%2B\"}}&start={:.3}&end={end:.3}&step=60",
            end - 7200.0
        ));
        let mut secrets = vec![
            scenario.meta.title.clone(),
            scenario.meta.gm_summary.clone(),
            scenario.root_cause.summary.clone(),
            scenario.root_cause.trigger.clone(),
            scenario.gm_notes.clone(),
        ];
        for track in &scenario.tracks {
            for state in &track.states {
                secrets.push(state.description.clone());
                if state.id.contains('_') {
                    secrets.push(state.id.clone());
                }
            }
        }
        secrets.extend(scenario.rubric.evidence.iter().map(|e| e.id.clone()));
        for secret in secrets.iter().filter(|s| s.len() > 3) {
            assert!(!served.contains(secret.as_str()), "{id}: the API served hidden text: {secret}");
        }
        assert!(served.len() > 50_000, "{id}: the scan read real answers ({} bytes)", served.len());
    }
}

/// promtool, run against `server`, its JSON output.
#[cfg(wom_promtool)]
fn promtool(args: &[&str]) -> Value {
    let out = std::process::Command::new("promtool").args(["query"]).args(args).output().expect("run promtool");
    assert!(out.status.success(), "promtool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("promtool {args:?}: {e}"))
}

/// A series as the drill's `query` names it: `name{a="x",b="y"}`.
#[cfg(wom_promtool)]
fn series_name(metric: &Value) -> String {
    let map: BTreeMap<String, String> = serde_json::from_value(metric.clone()).unwrap();
    let rest: Vec<String> = map.iter().filter(|(n, _)| *n != "__name__").map(|(n, v)| format!("{n}=\"{v}\"")).collect();
    format!("{}{{{}}}", map.get("__name__").map_or("", String::as_str), rest.join(","))
}

/// promtool's instant answer as the drill's rows: series name to value as printed.
#[cfg(wom_promtool)]
fn by_series(answer: &Value) -> BTreeMap<String, String> {
    answer.as_array().unwrap().iter().map(|s| (series_name(&s["metric"]), drill_number(&s["value"][1]))).collect()
}

/// `expr` with every selector looking `secs` back.
#[allow(dead_code)]
fn at_offset(expr: &str, secs: i64) -> String {
    ["error_rate", "latency_p99"].iter().fold(expr.to_string(), |e, m| e.replace(m, &format!("{m} offset {secs}s")))
}

/// Seconds of the day of the `HH:MM:SS` that follows `after` in `output`.
#[allow(dead_code)]
fn clock(output: &str, after: &str) -> i64 {
    let at = output.rfind(after).unwrap_or_else(|| panic!("no {after:?} in {output}")) + after.len();
    let hms: Vec<i64> = output[at..at + 8].split(':').map(|p| p.parse().unwrap()).collect();
    hms[0] * 3600 + hms[1] * 60 + hms[2]
}

/// A value as the drill's `query` prints it: at most four decimals, no trailing zeros.
#[cfg(wom_promtool)]
fn drill_number(v: &Value) -> String {
    let v: f64 = v.as_str().unwrap().parse().unwrap();
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".into() } else { text.into() }
}

/// The rows of the drill's `query` output: series name to value as printed.
#[allow(dead_code)]
fn query_rows(output: &str, expr: &str) -> BTreeMap<String, String> {
    let from = output.rfind(&format!("{expr} at ")).unwrap_or_else(|| panic!("no `query {expr}` output in {output}"));
    output[from..]
        .lines()
        .skip(1)
        .take_while(|l| !l.contains(" wom> ") && !l.starts_with('['))
        .filter_map(|l| l.split_once("  ").map(|(name, value)| (name.trim().to_string(), value.trim().to_string())))
        .collect()
}

/// A solo drill serving the API (`wom play --prometheus 127.0.0.1:0`, or `wom resume` of its journal) with its
/// standard input held open.
#[allow(dead_code)]
struct Played {
    child: Child,
    stdin: ChildStdin,
    stdout: Arc<Mutex<String>>,
    addr: String,
}

#[allow(dead_code)]
impl Played {
    fn start(env: &TestEnvironment, scenario: &str) -> Played {
        Played::spawn(
            env,
            &["play", scenario, "--seed", "5", "--journal", "drill.journal", "--prometheus", "127.0.0.1:0"],
        )
    }

    fn spawn(env: &TestEnvironment, args: &[&str]) -> Played {
        let mut child = env.command(args, &[]).spawn().expect("spawn wom");
        let stdin = child.stdin.take().unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let addr = loop {
            line.clear();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "wom {args:?} ended before serving");
            if let Some(rest) = line.strip_prefix("Prometheus API: http://") {
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        let stdout = collect(child.stdout.take().unwrap());
        Played { child, stdin, stdout, addr: format!("http://{addr}") }
    }

    /// Types `line`, then the free `time`, and waits until `time` is echoed: `line`'s output is complete.
    fn run(&mut self, line: &str) -> String {
        let mark = self.stdout.lock().unwrap().len();
        writeln!(self.stdin, "{line}\ntime").unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = self.stdout.lock().unwrap()[mark..].to_string();
            let echo = format!(" wom> {line}\n");
            if let Some(at) = out.find(&echo)
                && out[at + echo.len()..].contains(" wom> time\n")
            {
                return out;
            }
            assert!(Instant::now() < deadline, "no answer to `{line}`: {out}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Ends it as a power cut would: SIGKILL, whatever it was doing.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Played {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.child.wait();
    }
}

/// Everything `from` writes, collected by a thread as it comes.
fn collect(mut from: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    text
}

#[test]
#[cfg_attr(not(wom_promtool), ignore = "needs Debian's prometheus (promtool); scripts/test installs it")]
fn promtool_queries_a_live_solo_drill_and_agrees_with_its_query() {
    #[cfg(wom_promtool)]
    {
        let env = TestEnvironment::new();
        let mut drill = Played::start(&env, "signup-outage");
        drill.run("wait 7m");
        agree(&drill.addr.clone(), |line| drill.run(line));
    }
}

#[test]
#[cfg_attr(not(wom_promtool), ignore = "needs Debian's prometheus (promtool); scripts/test installs it")]
fn a_resumed_solo_drill_serves_the_api_like_the_original() {
    #[cfg(wom_promtool)]
    {
        let env = TestEnvironment::new();
        let mut first = Played::start(&env, "signup-outage");
        first.run("wait 7m");
        let before = promtool(&["instant", "-o", "json", &first.addr.clone(), "error_rate offset 10m"]);
        first.kill();
        let mut resumed = Played::spawn(&env, &["resume", "drill.journal", "--prometheus", "127.0.0.1:0"]);
        // The history before the interruption is served again: ten minutes back from the same present.
        let again = promtool(&["instant", "-o", "json", &resumed.addr.clone(), "error_rate offset 10m"]);
        assert_eq!(by_series(&again), by_series(&before));
        resumed.run("wait 3m");
        agree(&resumed.addr.clone(), |line| resumed.run(line));
    }
}

#[test]
#[cfg_attr(not(wom_promtool), ignore = "needs Debian's prometheus (promtool); scripts/test installs it")]
fn promtool_queries_a_hosted_drill_on_the_host_port_and_agrees_with_its_query() {
    #[cfg(wom_promtool)]
    {
        use wom::net::{Connection, Host, HostConfig, JoinOptions, render_frame};
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let scenario = Arc::new(builtin("api-timeouts").unwrap().unwrap());
        let config = HostConfig { listen: "127.0.0.1:0".parse().unwrap(), code: "promtool-code".into(), shown: 0 };
        let host = runtime.block_on(Host::start(Drill::host(scenario, 5), config)).unwrap();
        let options = JoinOptions {
            addr: host.addr().to_string(),
            code: "promtool-code".into(),
            name: "alex".into(),
            observe: false,
        };
        let mut seat = runtime.block_on(async {
            let mut c = Connection::open(&options).await.unwrap();
            c.until_ready().await;
            c
        });
        let mut run = |line: &str| {
            let frames = runtime.block_on(seat.command(line)).unwrap();
            frames.iter().map(|f| render_frame(f, 0).plain_text()).collect::<String>()
        };
        run("wait 4m");
        agree(&format!("http://{}", host.addr()), run);
        runtime.block_on(host.finish());
    }
}

/// `wom host` or `wom resume` of a hosted journal, its GM console on a pipe held open.
#[cfg(wom_promtool)]
struct Hosting {
    child: Child,
    _gm: ChildStdin,
    /// Where responders join.
    addr: String,
    /// Where its banner says the API is served: the host's port, then any other.
    apis: Vec<String>,
}

#[cfg(wom_promtool)]
impl Hosting {
    fn spawn(env: &TestEnvironment, args: &[&str]) -> Hosting {
        let mut child = env.command(args, &[]).spawn().expect("spawn wom");
        let gm = child.stdin.take().unwrap();
        let stdout = collect(child.stdout.take().unwrap());
        let deadline = Instant::now() + Duration::from_secs(60);
        let banner = loop {
            let out = stdout.lock().unwrap().clone();
            if let Some(at) = out.find("Prometheus's HTTP API at ")
                && out[at..].contains('\n')
            {
                break out;
            }
            assert!(Instant::now() < deadline, "no banner from wom {args:?}: {out}");
            std::thread::sleep(Duration::from_millis(20));
        };
        let after = |mark: &str| banner.split_once(mark).unwrap().1.lines().next().unwrap().to_string();
        let addr = after("responders: wom join ").split_whitespace().next().unwrap().to_string();
        let apis = after("Prometheus's HTTP API at ");
        let apis = apis.split(" (").next().unwrap().split(" and ").map(|a| a.trim_start_matches("http://").to_string());
        Hosting { child, _gm: gm, addr, apis: apis.collect() }
    }

    /// A responder's seat, joined in this process.
    fn join(&self, runtime: &tokio::runtime::Runtime, code: &str) -> wom::net::Connection {
        let options =
            wom::net::JoinOptions { addr: self.addr.clone(), code: code.into(), name: "alex".into(), observe: false };
        runtime.block_on(async {
            let mut seat = wom::net::Connection::open(&options).await.unwrap();
            seat.until_ready().await;
            seat
        })
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

#[test]
#[cfg_attr(not(wom_promtool), ignore = "needs Debian's prometheus (promtool); scripts/test installs it")]
fn a_resumed_hosted_drill_serves_the_api_on_its_port_and_on_prometheus() {
    #[cfg(wom_promtool)]
    {
        let env = TestEnvironment::new();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let code = "resume-code";
        let args = ["host", "api-timeouts", "--seed", "5", "--listen", "127.0.0.1:0", "--code", code];
        let host = Hosting::spawn(&env, &[&args[..], &["--journal", "hosted.journal"]].concat());
        assert_eq!(host.apis, std::slice::from_ref(&host.addr), "the host serves the API on its own port");
        let mut seat = host.join(&runtime, code);
        runtime.block_on(seat.command("wait 4m")).unwrap();
        let before = promtool(&["instant", "-o", "json", &format!("http://{}", host.addr), "error_rate offset 10m"]);
        drop(seat);
        host.kill();
        let resume = ["resume", "hosted.journal", "--listen", "127.0.0.1:0", "--prometheus", "127.0.0.1:0"];
        let host = Hosting::spawn(&env, &resume);
        assert_eq!(host.apis.len(), 2, "{:?}", host.apis);
        assert_eq!(host.apis[0], host.addr);
        let mut seat = host.join(&runtime, code);
        let mut run = |line: &str| {
            let frames = runtime.block_on(seat.command(line)).unwrap();
            frames.iter().map(|f| wom::net::render_frame(f, 0).plain_text()).collect::<String>()
        };
        for api in &host.apis {
            let again = promtool(&["instant", "-o", "json", &format!("http://{api}"), "error_rate offset 10m"]);
            assert_eq!(by_series(&again), by_series(&before), "{api}: the history before the interruption");
        }
        run("wait 2m");
        for api in &host.apis {
            agree(&format!("http://{api}"), &mut run);
        }
        host.kill();
    }
}

/// promtool's instant, range, series and labels queries against `server`, each compared with what the
/// drill's own `query` (typed through `run`) shows at the same moment.
#[cfg(wom_promtool)]
fn agree(server: &str, mut run: impl FnMut(&str) -> String) {
    for expr in ["error_rate", "sum by (kind) (latency_p99)", "max(error_rate) * 100"] {
        // promtool first: the drill's `query` takes simulated time, which moves the present.
        let instant = promtool(&["instant", "-o", "json", server, expr]);
        let offset = promtool(&["instant", "-o", "json", server, &at_offset(expr, 1800)]);
        let end = now_secs();
        let range = promtool(&[
            "range",
            "-o",
            "json",
            &format!("--start={:.3}", end - 3600.0),
            &format!("--end={end:.3}"),
            "--step=1m",
            server,
            expr,
        ]);
        let out = run(&format!("query {expr}"));
        let asked = clock(&out, &format!("{expr} at "));
        let shown = query_rows(&out, expr);
        let served = by_series(&instant);
        assert!(!served.is_empty(), "{expr}: promtool got series");
        assert_eq!(served, shown, "{expr}: promtool and the drill's query disagree");
        // The drill's clock has moved on by the query's cost: look back 30 minutes from when it was asked.
        let now = clock(&run("time"), "It is ");
        let back = at_offset(expr, 1800 + now - asked);
        let shown_then = query_rows(&run(&format!("query {back}")), &back);
        assert_eq!(by_series(&offset), shown_then, "{expr} offset 30m");
        // The range's last point is the present, its point 30 minutes back the same as the offset.
        for series in range.as_array().unwrap() {
            let name = series_name(&series["metric"]);
            let values = series["values"].as_array().unwrap();
            assert_eq!(values.len(), 61, "{expr}: an hour at 1m steps");
            assert_eq!(drill_number(&values[60][1]), served[&name], "{expr} {name}: the range ends at the present");
            assert_eq!(drill_number(&values[30][1]), shown_then[&name], "{expr} {name}: 30m back");
        }
    }
    // series and labels: the series and services the drill's `query` shows.
    let series = promtool(&["series", "-o", "json", "--match=error_rate", server]);
    let served: BTreeSet<String> = series.as_array().unwrap().iter().map(series_name).collect();
    let shown: BTreeSet<String> = query_rows(&run("query error_rate"), "error_rate").into_keys().collect();
    assert_eq!(served, shown, "series");
    let services = promtool(&["labels", "-o", "json", server, "service"]);
    let served: BTreeSet<String> =
        services.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let every = "count by (service) ({__name__=~\".+\"})";
    let shown: BTreeSet<String> = query_rows(&run(&format!("query {every}")), every)
        .into_keys()
        .map(|k| k.trim_start_matches("{service=\"").trim_end_matches("\"}").to_string())
        .collect();
    assert_eq!(served, shown, "labels service");
}

/// The example dashboard in docs/grafana.md: every panel's title and query, with Grafana's variables still in.
pub(crate) fn dashboard_targets() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/grafana.md")).unwrap();
    let from = doc.find("<!-- grafana dashboard -->\n```json\n").expect("the dashboard block") + 34;
    let to = from + doc[from..].find("\n```").unwrap();
    let dashboard: Value = serde_json::from_str(&doc[from..to]).expect("the dashboard is JSON");
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            out.push((panel["title"].as_str().unwrap().to_string(), target["expr"].as_str().unwrap().to_string()));
        }
    }
    out
}

/// The example dashboard's queries with Grafana's variables filled in as Grafana fills them (every job, a
/// 15 s scrape interval).
fn dashboard_queries() -> Vec<(String, String)> {
    dashboard_targets()
        .into_iter()
        .map(|(title, expr)| (title, expr.replace("$job", ".+").replace("$__rate_interval", "4m")))
        .collect()
}

#[test]
fn every_panel_of_the_example_dashboard_parses_and_answers_from_a_live_drill() {
    let queries = dashboard_queries();
    assert!(queries.len() >= 6, "{queries:?}");
    let mut answered = BTreeSet::new();
    for (id, _, _) in wom::scenario::BUILTIN {
        let api = InProcess::start(id, 3);
        let (_, names) = api.get("/api/v1/label/__name__/values");
        let names: BTreeSet<String> = serde_json::from_value(names["data"].clone()).unwrap();
        let end = now_secs();
        for (title, expr) in &queries {
            wom::promql::parse(expr).unwrap_or_else(|e| panic!("{title}: {expr}: {e}"));
            let form = format!(
                "query={}&start={:.3}&end={end:.3}&step=15",
                expr.replace('%', "%25").replace('+', "%2B").replace('&', "%26").replace(' ', "+"),
                end - 3600.0
            );
            let (status, body) = http(api.server.addr(), "POST", "/api/v1/query_range", Some(&form));
            assert_eq!(status, 200, "{id} {title}: {body}");
            let result = body["data"]["result"].as_array().unwrap();
            // A panel whose metrics the scenario exports must show them.
            let metrics: Vec<&str> =
                ["http_requests_total", "http_request_duration_seconds_bucket", "up", "error_rate", "latency_p99"]
                    .into_iter()
                    .filter(|m| expr.contains(m))
                    .collect();
            if metrics.iter().all(|m| names.contains(*m)) {
                assert!(!result.is_empty(), "{id} {title}: {expr} answered nothing");
                assert!(
                    result.iter().all(|s| s["values"].as_array().unwrap().len() > 200),
                    "{id} {title}: an hour of points"
                );
                answered.insert(title.clone());
            }
        }
    }
    // Every panel shows data on at least one shipped scenario.
    let titles: BTreeSet<String> = queries.into_iter().map(|(title, _)| title).collect();
    assert_eq!(answered, titles);
}
