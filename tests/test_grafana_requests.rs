//! Grafana's Prometheus data source against a live hosted drill, request for request. No Grafana server
//! can be installed on this machine (none is packaged by Debian, and the npm and PyPI packages named
//! `grafana` are empty placeholders), so this replays what Grafana's code sends, as read in its source
//! (`pkg/promlib/client/client.go`, `pkg/promlib/healthcheck.go`, `pkg/promlib/heuristics.go`,
//! `pkg/promlib/models/query.go`, and the browser side's `language_provider.ts`): the same methods, paths,
//! headers and form fields, encoded as Go's `url.Values` encodes them, with start and end aligned to the step
//! as Grafana aligns them, several requests on one kept-alive connection as Go's client sends them; and reads
//! every answer the way Grafana's response converter (`pkg/promlib/converter/prom.go`) reads it.

use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;
use wom::net::{Connection, Host, HostConfig, JoinOptions};
use wom::scenario::builtin;
use wom::session::Drill;

/// A Go `net/http` client's connection: requests one after another on one kept-alive socket.
struct GoClient {
    addr: SocketAddr,
    reader: BufReader<TcpStream>,
}

impl GoClient {
    fn connect(addr: SocketAddr) -> GoClient {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        GoClient { addr, reader: BufReader::new(stream) }
    }

    /// GET with the parameters in the URL, as Grafana sends the GET-only endpoints and a GET data source.
    fn get(&mut self, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
        let target = if params.is_empty() { path.to_string() } else { format!("{path}?{}", go_encode(params)) };
        self.send(&format!(
            "GET {target} HTTP/1.1\r\nHost: {}\r\nUser-Agent: Grafana/12.3.0\r\nAccept-Encoding: gzip\r\n\r\n",
            self.addr
        ))
    }

    /// POST with the parameters form-encoded in the body, as `createQueryRequest` sends them.
    fn post(&mut self, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
        let body = go_encode(params);
        self.send(&format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: Grafana/12.3.0\r\nContent-Length: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept-Encoding: gzip\r\n\r\n{body}",
            self.addr,
            body.len()
        ))
    }

    fn send(&mut self, request: &str) -> (u16, Value) {
        self.reader.get_mut().write_all(request.as_bytes()).expect("send");
        let mut status_line = String::new();
        self.reader.read_line(&mut status_line).expect("status line");
        let status: u16 = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
        let (mut length, mut chunked) = (None, false);
        loop {
            let mut header = String::new();
            self.reader.read_line(&mut header).expect("header");
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').expect("header line");
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.trim().eq_ignore_ascii_case("chunked"),
                "connection" => assert!(!value.trim().eq_ignore_ascii_case("close"), "the connection is kept alive"),
                "content-encoding" => panic!("an encoding Grafana did not ask for: {value}"),
                _ => {}
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let mut size = String::new();
                self.reader.read_line(&mut size).unwrap();
                let n = usize::from_str_radix(size.trim(), 16).expect("chunk size");
                let mut chunk = vec![0; n + 2];
                self.reader.read_exact(&mut chunk).unwrap();
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        } else {
            body.resize(length.expect("a length"), 0);
            self.reader.read_exact(&mut body).unwrap();
        }
        let text = String::from_utf8(body).expect("UTF-8");
        (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{request}: {e}: {text}")))
    }
}

/// Go's `url.Values.Encode`: keys sorted, each pair `QueryEscape`d (space as `+`, all but `A-Za-z0-9-_.~`
/// percent-encoded in upper case).
fn go_encode(params: &[(&str, &str)]) -> String {
    let escape = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let mut sorted: Vec<&(&str, &str)> = params.iter().collect();
    sorted.sort_by_key(|(k, _)| *k);
    sorted.iter().map(|(k, v)| format!("{}={}", escape(k), escape(v))).collect::<Vec<_>>().join("&")
}

/// Go's `strconv.FormatFloat(x, 'f', -1, 64)` for the times and steps Grafana sends.
fn go_seconds(x: f64) -> String {
    let text = format!("{x}");
    text.strip_suffix(".0").unwrap_or(&text).to_string()
}

/// `AlignTimeRange`: down to a multiple of the step (UTC, no offset).
fn align(t: f64, step: f64) -> f64 {
    (t / step).floor() * step
}

/// A series as Grafana's converter reads it: labels, and (time, value) points.
type Series = (Value, Vec<(f64, f64)>);

/// Grafana's converter on a query answer: `status`, then `data` with a `resultType` it knows, every value a
/// `[float, "string"]` pair whose string Go's `ParseFloat` reads; `warnings`/`infos` arrays of strings.
fn read_like_grafana(body: &Value) -> (&str, Vec<Series>) {
    assert_eq!(body["status"], "success", "{body}");
    for notes in ["warnings", "infos"] {
        if let Some(list) = body.get(notes) {
            assert!(list.as_array().unwrap().iter().all(Value::is_string), "{notes}: {body}");
        }
    }
    let pair = |v: &Value| -> (f64, f64) {
        let v = v.as_array().expect("a [time, value] pair");
        assert_eq!(v.len(), 2);
        let t = v[0].as_f64().expect("time as a JSON number");
        let text = v[1].as_str().expect("value as a string");
        let value = match text {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            _ => text.parse().unwrap_or_else(|_| panic!("ParseFloat({text:?})")),
        };
        (t, value)
    };
    let data = &body["data"];
    let kind = data["resultType"].as_str().expect("resultType");
    let series = match kind {
        "matrix" | "vector" => data["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let labels = s["metric"].clone();
                assert!(labels.as_object().unwrap().values().all(Value::is_string), "{labels}");
                let points = match kind {
                    "matrix" => s["values"].as_array().unwrap().iter().map(pair).collect(),
                    _ => vec![pair(&s["value"])],
                };
                (labels, points)
            })
            .collect(),
        "scalar" => vec![(Value::Null, vec![pair(&data["result"])])],
        other => panic!("a result type Grafana cannot read: {other}"),
    };
    (kind, series)
}

/// The `data` of a resource call as a list of strings (labels, label values).
fn strings(body: &Value) -> Vec<String> {
    assert_eq!(body["status"], "success", "{body}");
    body["data"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

fn wall_secs() -> f64 {
    wom::http::wall_now() as f64 / 1000.0
}

#[test]
fn grafana_s_prometheus_data_source_requests_answer_as_its_client_reads_them() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let scenario = Arc::new(builtin("api-timeouts").unwrap().unwrap());
    let config = HostConfig { listen: "127.0.0.1:0".parse().unwrap(), code: "grafana-code".into(), shown: 0 };
    let host = runtime.block_on(Host::start(Drill::host(scenario, 7), config)).unwrap();
    let options =
        JoinOptions { addr: host.addr().to_string(), code: "grafana-code".into(), name: "alex".into(), observe: false };
    runtime.block_on(async {
        let mut seat = Connection::open(&options).await.unwrap();
        seat.until_ready().await;
        seat.command("wait 10m").await.unwrap();
    });
    // Grafana's data source URL is the host's own address: its connections are the API's, a responder's the
    // host's, on the same port.
    let mut grafana = GoClient::connect(host.addr());

    // "Save & test": the health check's instant query `1+1` at 1970-01-01T00:00:04Z.
    let (status, body) = grafana.post("/api/v1/query", &[("query", "1+1"), ("time", "4")]);
    assert_eq!(status, 200, "{body}");
    let (kind, series) = read_like_grafana(&body);
    assert_eq!((kind, series[0].1.clone()), ("scalar", vec![(4.0, 2.0)]));
    // The heuristics that follow: buildinfo, GET only; no `features` means "Prometheus", not Mimir.
    let (status, info) = grafana.get("/api/v1/status/buildinfo", &[]);
    assert_eq!(status, 200);
    let version = info["data"]["version"].as_str().unwrap();
    let major: u32 = version.split('.').next().unwrap().parse().unwrap();
    assert!(major >= 2, "{version}");
    assert!(info["data"].get("features").is_none_or(|f| f.as_object().is_some_and(|m| m.is_empty())));

    // The query editor: metric names, metadata, label names and values over the dashboard's range, start
    // rounded down and end up to the minute (the default cache level "low").
    let now = wall_secs();
    let start = go_seconds(align(now - 3600.0, 60.0));
    let end = go_seconds(align(now, 60.0) + 60.0);
    let range = [("start", start.as_str()), ("end", end.as_str())];
    let (status, names) = grafana.get("/api/v1/label/__name__/values", &range);
    assert_eq!(status, 200);
    let names = strings(&names);
    for expected in ["http_requests_total", "http_request_duration_seconds_bucket", "up", "error_rate"] {
        assert!(names.iter().any(|n| n == expected), "{expected} in {names:?}");
    }
    let (status, metadata) = grafana.get("/api/v1/metadata", &[]);
    assert_eq!(status, 200);
    let families = metadata["data"].as_object().expect("metadata by family");
    assert_eq!(families["http_requests_total"][0]["type"], "counter");
    assert_eq!(families["http_request_duration_seconds"][0]["type"], "histogram");
    assert!(
        families.values().flat_map(|v| v.as_array().unwrap()).all(|m| m["help"].is_string() && m["unit"].is_string())
    );
    let (status, labels) = grafana.post("/api/v1/labels", &range);
    assert_eq!(status, 200);
    let labels = strings(&labels);
    for expected in ["__name__", "job", "instance", "code"] {
        assert!(labels.iter().any(|l| l == expected), "{expected} in {labels:?}");
    }
    let matched = [range[0], range[1], ("match[]", "up")];
    let (_, up_labels) = grafana.post("/api/v1/labels", &matched);
    assert!(!strings(&up_labels).contains(&"code".to_string()), "match[] narrows the labels: {up_labels}");
    let (status, jobs) = grafana.get("/api/v1/label/job/values", &matched);
    assert_eq!(status, 200);
    let jobs = strings(&jobs);
    assert!(jobs.len() > 2 && jobs.windows(2).all(|w| w[0] < w[1]), "{jobs:?}");
    let series_params = [range[0], range[1], ("match[]", "{__name__=\"up\"}"), ("limit", "40000")];
    let (status, series) = grafana.post("/api/v1/series", &series_params);
    assert_eq!(status, 200);
    let series = series["data"].as_array().unwrap();
    assert!(series.len() >= jobs.len(), "an `up` for every instance of every job");
    assert!(series.iter().all(|s| s["__name__"] == "up" && s["job"].is_string() && s["instance"].is_string()));

    // The example dashboard's panels (docs/grafana.md), as the backend sends them: `$job` as Grafana fills it
    // for "All" (the variable's `allValue`) and for two jobs picked, `$__rate_interval` as Grafana computes it
    // (max(step + scrape interval, 4 x scrape interval), with the 1m scrape interval docs/grafana.md sets), the
    // range aligned down to the step, at the 15 s step of a narrow panel and the 60 s of a wide one.
    let picked = format!("({}|{})", jobs[0], jobs[1]);
    let panels = crate::test_prometheus_api::dashboard_targets();
    assert!(panels.len() >= 6);
    for (scrape, step, job) in [(60.0_f64, 15.0, ".+"), (60.0, 60.0, picked.as_str())] {
        let rate = format!("{}s", (step + scrape).max(4.0 * scrape));
        let now = wall_secs();
        let (start, end) = (align(now - 3600.0, step), align(now, step));
        for (title, expr) in &panels {
            let expr = expr.replace("$job", job).replace("$__rate_interval", &rate);
            let (s, e, st) = (go_seconds(start), go_seconds(end), go_seconds(step));
            let params = [("query", expr.as_str()), ("start", s.as_str()), ("end", e.as_str()), ("step", st.as_str())];
            let (status, body) = grafana.post("/api/v1/query_range", &params);
            assert_eq!(status, 200, "{title}: {expr}: {body}");
            let (kind, series) = read_like_grafana(&body);
            assert_eq!(kind, "matrix", "{title}");
            assert!(!series.is_empty(), "{title}: {expr}: no data");
            for (labels, points) in &series {
                assert!(points.len() as f64 >= 3000.0 / step, "{title} {labels}: {} points", points.len());
                assert!(points.iter().all(|(t, _)| *t >= start && *t <= end && (t - start) % step == 0.0));
                assert!(points.windows(2).all(|w| w[0].0 < w[1].0), "{title}: times in order");
            }
            assert!(series.iter().flat_map(|(_, p)| p).any(|(_, v)| v.is_finite()), "{title}: numbers");
            if job != ".+" {
                let shown: BTreeSet<&str> = series
                    .iter()
                    .filter_map(|(l, _)| l.get("job").or_else(|| l.get("service")).and_then(Value::as_str))
                    .collect();
                assert_eq!(shown, BTreeSet::from([jobs[0].as_str(), jobs[1].as_str()]), "{title}: the jobs picked");
            }
            // A stat or table panel: the instant query at the range's end, unaligned as `QueryInstant` sends it.
            let at = format!("{now:.3}");
            let (status, body) = grafana.post("/api/v1/query", &[("query", expr.as_str()), ("time", at.as_str())]);
            assert_eq!(status, 200, "{title}: {body}");
            let (kind, series) = read_like_grafana(&body);
            assert_eq!(kind, "vector");
            assert!(!series.is_empty(), "{title}: no data now");
        }
    }
    // Why the data source's scrape interval must be 1m: with Grafana's default 15s, `$__rate_interval` at a
    // 15 s step is 60s, and a minute of a drill holds one sample, too few for a rate.
    let now = wall_secs();
    let (s, e) = (go_seconds(align(now - 3600.0, 15.0)), go_seconds(align(now, 15.0)));
    let params =
        [("query", "sum(rate(http_requests_total[60s]))"), ("start", s.as_str()), ("end", e.as_str()), ("step", "15")];
    let (_, body) = grafana.post("/api/v1/query_range", &params);
    assert_eq!(read_like_grafana(&body).1.len(), 0, "{body}");
    // Exemplars, which a panel asks for when they are switched on: a drill has none.
    let s = go_seconds(align(now - 3600.0, 15.0));
    let e = go_seconds(align(now, 15.0));
    let params = [("query", "up"), ("start", s.as_str()), ("end", e.as_str())];
    let (status, body) = grafana.post("/api/v1/query_exemplars", &params);
    assert_eq!((status, body["data"].clone()), (200, serde_json::json!([])));
    // A bad query: Grafana shows `errorType: error`.
    let (status, body) =
        grafana.post("/api/v1/query_range", &[("query", "sum("), ("start", "1"), ("end", "2"), ("step", "1")]);
    assert_eq!((status, body["status"].as_str(), body["errorType"].as_str()), (400, Some("error"), Some("bad_data")));
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));

    drop(grafana);
    runtime.block_on(host.finish());
}
