//! wom's PromQL against the real Prometheus on the same data: the default scenario exported by `wom export`
//! plus hand-made exporter-style series (counters with resets, a latency histogram, `up` with a gap, irregular
//! timestamps), loaded into Debian's Prometheus with `promtool tsdb create-blocks-from openmetrics` and served
//! on a loopback port for the length of the test, then compared with `wom query --load --json`.
//!
//! Debian ships Prometheus 2.42, whose range windows are closed (`[t-5m, t]`) where Prometheus 3 (which wom
//! follows) makes them left-open; evaluation times fall between samples, where both agree. Prometheus 2 also
//! limits a counter's extrapolation towards zero before the half-interval rule, Prometheus 3 after; no
//! window here reaches the first sample of a series, where that matters.

use crate::common::TestEnvironment;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Instant queries, each also run as a range query.
const QUERIES: &[&str] = &[
    "error_rate",
    "requests",
    "error_rate{kind=\"service\"}",
    "error_rate{service=~\"auth|web\"}",
    "error_rate{service!=\"auth\"}",
    "{__name__=~\"latency_.*\"}",
    "error_rate offset 10m",
    "sum(requests)",
    "sum by (kind) (error_rate)",
    "avg without (service) (error_rate)",
    "max by (service) (latency_p99)",
    "min(latency_p50)",
    "count(error_rate)",
    "count by (kind) (error_rate > 0.001)",
    "stddev(error_rate)",
    "stdvar by (kind) (error_rate)",
    "topk(2, error_rate)",
    "bottomk(2, latency_p99)",
    "quantile(0.9, error_rate)",
    "group by (kind) (error_rate)",
    "count_values(\"v\", round(error_rate * 100))",
    "error_rate * 100",
    "requests / 60",
    "error_rate * requests",
    "error_rate * on (service) requests",
    "error_rate * ignoring (kind) requests",
    "requests * on (service) group_left (kind) error_rate",
    "error_rate > 0.001",
    "error_rate > bool 0.001",
    "0.001 < error_rate",
    "error_rate == error_rate",
    "error_rate and requests",
    "error_rate or requests",
    "error_rate unless requests",
    "error_rate and on (kind) cpu",
    "latency_p99 - latency_p50",
    "-error_rate",
    "2 ^ 10 - 1",
    "error_rate % 0.01",
    "abs(-error_rate)",
    "ceil(latency_p99 * 10)",
    "floor(latency_p99 * 10)",
    "round(latency_p99, 0.05)",
    "clamp(error_rate, 0.001, 0.01)",
    "clamp_min(error_rate, 0.005)",
    "clamp_max(latency_p99, 0.2)",
    "sqrt(requests)",
    "exp(error_rate)",
    "ln(requests)",
    "log2(requests)",
    "log10(requests)",
    "sgn(error_rate - 0.005)",
    "scalar(sum(requests))",
    "vector(1)",
    "time()",
    "timestamp(error_rate)",
    "absent(nonexistent_metric{job=\"x\"})",
    "absent(error_rate)",
    "sort(error_rate)",
    "sort_desc(error_rate)",
    "label_replace(error_rate, \"svc\", \"$1\", \"service\", \"(.*)-.*\")",
    "label_join(error_rate, \"id\", \"/\", \"kind\", \"service\")",
    "avg_over_time(error_rate[10m])",
    "sum_over_time(requests[5m])",
    "min_over_time(latency_p99[15m])",
    "max_over_time(latency_p99[15m])",
    "count_over_time(error_rate[7m])",
    "last_over_time(error_rate[5m])",
    "stddev_over_time(error_rate[10m])",
    "stdvar_over_time(error_rate[10m])",
    "quantile_over_time(0.9, latency_p99[20m])",
    "changes(error_rate[10m])",
    "resets(requests[30m])",
    "delta(latency_p99[10m])",
    "idelta(latency_p99[10m])",
    "deriv(latency_p99[10m])",
    "predict_linear(latency_p99[10m], 600)",
    "absent_over_time(nonexistent_metric[5m])",
    "max_over_time(error_rate[30m:1m])",
    "avg_over_time(sum(requests)[20m:5m])",
    "rate(http_requests_total[5m])",
    "irate(http_requests_total[5m])",
    "increase(http_requests_total[10m])",
    "increase(http_requests_total[1h])",
    "sum by (code) (rate(http_requests_total[5m]))",
    "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) / sum by (job) (rate(http_requests_total[5m]))",
    "rate(http_requests_total[5m] offset 5m)",
    "resets(http_requests_total[1h])",
    "changes(http_requests_total[15m])",
    "histogram_quantile(0.5, rate(http_request_duration_seconds_bucket[5m]))",
    "histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket[5m])))",
    "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[10m])))",
    "rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m])",
    "up",
    "up == 0",
    "sum by (job) (up)",
    "count(up == 1) / count(up)",
    "avg_over_time(up[30m])",
    "up{instance=\"b\"}",
    "present_over_time(up[2m])",
    "min_over_time(up[10m])",
    "sum(rate(http_requests_total[5m])) by (instance)",
    "topk(1, rate(http_requests_total[5m]))",
    "rate(http_requests_total[5m]) > 0.5",
    "http_requests_total @ 1767277200",
    // `@` and a subquery's steps land on whole minutes, where the exported drill's samples sit and where
    // Prometheus 2's closed windows and Prometheus 3's left-open ones differ: these two read the hand-made
    // series (samples at .25 s), whose samples are never on a window's edge.
    "rate(http_requests_total{job=\"api\"}[5m] @ 1767277200)",
    "sum by (instance) (increase(http_requests_total[10m])) and on (instance) up == 1",
    "max_over_time(rate(http_requests_total{job=\"api\"}[2m])[10m:1m])",
];

/// The hand-made exporter-style families, appended to the export (timestamps in seconds, off the whole
/// seconds that evaluation steps and subquery steps fall on, so window edges never coincide with a sample).
fn exporter_series(start: i64, end: i64) -> String {
    let mut out = String::new();
    out.push_str("# TYPE http_requests_total counter\n");
    for (instance, code, rate) in [("a", "200", 5.0), ("a", "500", 0.2), ("b", "200", 3.0), ("b", "500", 0.5)] {
        let mut value = 0.0;
        let mut t = start;
        let mut k = 0;
        while t <= end {
            // Irregular scrapes: 15s apart with a few seconds of jitter; instance b restarts midway.
            let step = 15 + (k * 7 % 5) as i64;
            value += rate * step as f64;
            if instance == "b" && t >= (start + end) / 2 && t < (start + end) / 2 + step {
                value = rate * 3.0;
            }
            out.push_str(&format!(
                "http_requests_total{{job=\"api\",instance=\"{instance}\",code=\"{code}\"}} {value} {t}.25\n"
            ));
            t += step;
            k += 1;
        }
    }
    out.push_str("# TYPE http_request_duration_seconds histogram\n");
    let bounds = ["0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"];
    let shares = [0.3, 0.55, 0.8, 0.92, 0.97, 0.995, 1.0];
    let mut t = start;
    let mut total = 0.0;
    let mut sum = 0.0;
    while t <= end {
        // Latency worsens in the second half.
        let rps = 8.0 * 30.0;
        let slow = if t > (start + end) / 2 { 0.6 } else { 1.0 };
        total += rps;
        sum += rps * 0.12 / slow;
        for (le, share) in bounds.iter().zip(shares) {
            let share: f64 = if *le == "+Inf" { 1.0 } else { share * slow + (1.0 - slow) * share * share };
            let count = (total * share).round();
            out.push_str(&format!("http_request_duration_seconds_bucket{{job=\"api\",le=\"{le}\"}} {count} {t}.5\n"));
        }
        out.push_str(&format!("http_request_duration_seconds_sum{{job=\"api\"}} {sum} {t}.5\n"));
        out.push_str(&format!("http_request_duration_seconds_count{{job=\"api\"}} {total} {t}.5\n"));
        t += 30;
    }
    out.push_str("# TYPE up gauge\n");
    for instance in ["a", "b"] {
        let mut t = start;
        while t <= end {
            let down = instance == "b" && t > end - 1500 && t < end - 900;
            // A gap of 12 minutes in a's scrapes: the series goes missing, then returns.
            let gap = instance == "a" && t > end - 3000 && t < end - 2280;
            if !gap {
                out.push_str(&format!(
                    "up{{job=\"api\",instance=\"{instance}\"}} {} {t}.75\n",
                    if down { 0 } else { 1 }
                ));
            }
            t += 30;
        }
    }
    out
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A plain HTTP/1.0 GET on loopback; the body.
fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_string())
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn start_prometheus(env: &TestEnvironment, data: &std::path::Path) -> Server {
    let tsdb = env.path().join("tsdb");
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(data)
        .arg(&tsdb)
        .output()
        .expect("run promtool");
    assert!(out.status.success(), "promtool: {}", String::from_utf8_lossy(&out.stderr));
    let config = env.write("prometheus.yml", "global:\n  scrape_interval: 1m\n");
    let port = free_port();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", tsdb.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.retention.time=100y")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if get(port, "/-/ready").is_some_and(|b| b.contains("Ready")) {
            return server;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("prometheus did not become ready on port {port}");
}

/// A result's type and its series as `(labels, [(t, value)])`, sorted by labels.
type Normalised = (String, Vec<(String, Vec<(f64, f64)>)>);

/// The result of an API answer; `None` for an error.
fn normalise(v: &Value) -> Option<Normalised> {
    if v["status"] != "success" {
        return None;
    }
    let kind = v["data"]["resultType"].as_str()?.to_string();
    let point = |p: &Value| -> Option<(f64, f64)> {
        let t = p[0].as_f64()?;
        let s = p[1].as_str()?;
        let x = match s {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            _ => s.parse().ok()?,
        };
        Some((t, x))
    };
    let mut series = Vec::new();
    match kind.as_str() {
        "scalar" => series.push((String::new(), vec![point(&v["data"]["result"])?])),
        _ => {
            for s in v["data"]["result"].as_array()? {
                let labels = s["metric"].to_string();
                let points = match s.get("values") {
                    Some(values) => values.as_array()?.iter().map(point).collect::<Option<Vec<_>>>()?,
                    None => vec![point(&s["value"])?],
                };
                series.push((labels, points));
            }
        }
    }
    series.sort_by(|a, b| a.0.cmp(&b.0));
    Some((kind, series))
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300)
}

fn agree(wom: &Value, prom: &Value) -> Result<(), String> {
    let (Some(w), Some(p)) = (normalise(wom), normalise(prom)) else {
        return if wom["status"] == prom["status"] { Ok(()) } else { Err(format!("wom {wom} vs prometheus {prom}")) };
    };
    if w.0 != p.0 || w.1.len() != p.1.len() {
        return Err(format!("wom {wom}\nprometheus {prom}"));
    }
    for ((wl, wp), (pl, pp)) in w.1.iter().zip(&p.1) {
        let same = wl == pl
            && wp.len() == pp.len()
            && wp.iter().zip(pp).all(|(a, b)| (a.0 - b.0).abs() < 1e-6 && close(a.1, b.1));
        if !same {
            return Err(format!("{wl}: wom {wp:?}\nprometheus {pl} {pp:?}"));
        }
    }
    Ok(())
}

#[test]
#[cfg_attr(not(wom_promtool), ignore = "needs Debian's prometheus (promtool); scripts/test installs it")]
fn wom_agrees_with_prometheus_on_the_same_data() {
    let env = TestEnvironment::new();
    let export = env.run(&["export", "signup-outage", "--seed", "3", "--until", "40m", "--openmetrics"], "");
    assert_eq!(export.status, 0, "{export}");
    let times: Vec<i64> = export
        .stdout
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .collect();
    let (first, last) = (*times.iter().min().expect("samples"), *times.iter().max().expect("samples"));
    let mut text = export.stdout.trim_end().trim_end_matches("# EOF").to_string();
    text.push_str(&exporter_series(first, last));
    text.push_str("# EOF\n");
    let data = env.write("data.om", &text);
    let server = start_prometheus(&env, &data);
    // Between samples (scrapes fall on whole minutes and on 15-19s steps): Prometheus 2 and 3 agree here.
    let at = last - 7 * 60 - 23;
    // No window reaches back to the first sample: Prometheus 2 extrapolates a counter's start differently.
    let (start, end, step) = (last - 90 * 60 - 23, at, 300);
    let mut failures = Vec::new();
    let mut compared = 0;
    for q in QUERIES {
        for range in [false, true] {
            let (path, args): (String, Vec<String>) = if range {
                (
                    format!("/api/v1/query_range?query={}&start={start}&end={end}&step={step}", encode(q)),
                    vec!["--range".into(), start.to_string(), end.to_string(), step.to_string()],
                )
            } else {
                (format!("/api/v1/query?query={}&time={at}", encode(q)), vec!["--at".into(), at.to_string()])
            };
            let prom: Value =
                serde_json::from_str(&get(server.port, &path).expect("prometheus answers")).expect("prometheus JSON");
            let mut wom_args = vec!["query", "--load", "data.om", "--json"];
            wom_args.extend(args.iter().map(String::as_str));
            // `--` so that a query starting with `-` is not read as a flag.
            wom_args.extend(["--", q]);
            let out = env.run(&wom_args, "");
            let wom: Value = serde_json::from_str(out.stdout.trim()).unwrap_or(Value::Null);
            compared += 1;
            if let Err(e) = agree(&wom, &prom) {
                failures.push(format!("{} `{q}`: {e}", if range { "range" } else { "instant" }));
            }
        }
    }
    println!("compared {compared} queries; {} differ", failures.len());
    assert!(compared >= 200);
    assert!(failures.is_empty(), "{} of {compared} differ:\n{}", failures.len(), failures.join("\n\n"));
}
