//! The endpoints: `/api/v1/query`, `query_range`, `series`, `labels`, `label/<name>/values`, `metadata`,
//! `status/buildinfo` (and an empty `query_exemplars`), GET or form-encoded POST, answered in Prometheus's
//! JSON from the newest [`Snapshot`] seen from the wall clock.
//!
//! Each request reads one snapshot and one wall-clock instant, so everything in an answer is consistent.
//! Answers are computed by [`Api::answer`], a plain function of the parameters, the snapshot and the wall
//! clock's now; the HTTP layer hands it to one evaluator thread of lower scheduling priority, one request at a
//! time, under a timeout, so that a wall of dashboards takes at most one core, and never the drill's share of
//! it.

use super::json;
use super::live::{LiveSeries, Snapshot, WallClockView};
use super::params::{ApiError, MAX_TIME, MIN_TIME, Params, parse_duration, parse_time, valid_label_name};
use crate::promql::{self, QueryErrorKind, QueryValue, Storage};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The Prometheus version the API reports in `buildinfo`, for clients that choose features by version
/// (Grafana): the API and PromQL semantics wom follows.
pub const PROMETHEUS_VERSION: &str = "2.42.0";
/// How long a query may run unless its `timeout` asks for less (Prometheus's default `query.timeout`).
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(120);
/// How far before the wall clock's now the drill's present is placed: a scrape's worth of delay, so that a
/// client that takes "now" a moment before the request arrives (promtool, Grafana) still sees the present.
pub const PRESENT_LAG_MS: i64 = 2000;
/// Most points a range query may return per series (Prometheus's limit).
pub const MAX_POINTS: i64 = 11_000;

/// What a request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/api/v1/query`.
    Query,
    /// `/api/v1/query_range`.
    QueryRange,
    /// `/api/v1/series`.
    Series,
    /// `/api/v1/labels`.
    Labels,
    /// `/api/v1/label/<name>/values`.
    LabelValues(String),
    /// `/api/v1/metadata`.
    Metadata,
    /// `/api/v1/status/buildinfo`.
    BuildInfo,
    /// `/api/v1/query_exemplars` (a drill has none).
    Exemplars,
}

/// A successful answer: `data`, and the warnings and infos that go with it.
#[derive(Debug, Default)]
pub struct Success {
    /// The `data` field.
    pub data: Value,
    /// Warnings (a truncated result).
    pub warnings: Vec<String>,
    /// Infos (the engine's notes on a query).
    pub infos: Vec<String>,
}

impl Success {
    fn new(data: Value) -> Success {
        Success { data, ..Success::default() }
    }

    /// The response body.
    pub fn body(&self) -> Value {
        let mut body = json!({"status": "success", "data": self.data});
        if !self.warnings.is_empty() {
            body["warnings"] = json!(self.warnings);
        }
        if !self.infos.is_empty() {
            body["infos"] = json!(self.infos);
        }
        body
    }
}

/// The API over a drill's live series.
#[derive(Clone)]
pub struct Api {
    live: Arc<LiveSeries>,
    /// The evaluator thread's queue.
    jobs: std::sync::mpsc::Sender<Job>,
}

/// One answer to compute on the evaluator thread.
type Job = Box<dyn FnOnce() + Send>;

/// Starts the thread that computes every answer, one at a time, at the API's lower priority. A job that
/// panics ends only its request.
fn evaluator() -> std::sync::mpsc::Sender<Job> {
    let (jobs, queue) = std::sync::mpsc::channel::<Job>();
    let spawned = std::thread::Builder::new().name("prometheus-eval".into()).spawn(move || {
        super::serve::lower_priority();
        for job in queue {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "the Prometheus API cannot start its evaluator");
    }
    jobs
}

/// The wall clock, Unix milliseconds.
pub fn wall_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Api {
    /// The API over `live`.
    pub fn new(live: Arc<LiveSeries>) -> Api {
        Api { live, jobs: evaluator() }
    }

    /// The series it serves.
    pub fn live(&self) -> Arc<LiveSeries> {
        self.live.clone()
    }

    /// The routes, to serve alone or merge into another router (the host's).
    pub fn router(self) -> axum::Router {
        let values =
            |State(api): State<Api>,
             Path(name): Path<String>,
             RawQuery(q): RawQuery,
             headers: HeaderMap,
             body: Bytes| async move { api.respond(Endpoint::LabelValues(name), q, &headers, &body).await };
        axum::Router::new()
            .route("/api/v1/query", route(Endpoint::Query))
            .route("/api/v1/query_range", route(Endpoint::QueryRange))
            .route("/api/v1/series", route(Endpoint::Series))
            .route("/api/v1/labels", route(Endpoint::Labels))
            .route("/api/v1/label/{name}/values", get(values).post(values))
            .route("/api/v1/metadata", route(Endpoint::Metadata))
            .route("/api/v1/status/buildinfo", route(Endpoint::BuildInfo))
            .route("/api/v1/query_exemplars", route(Endpoint::Exemplars))
            .with_state(self)
    }

    async fn respond(&self, endpoint: Endpoint, query: Option<String>, headers: &HeaderMap, body: &[u8]) -> Response {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let params = Params::new(query.as_deref(), content_type, body);
        match self.answer_in_time(endpoint, params).await {
            // Serialised on the evaluator thread already: the API's own thread only copies bytes to the socket.
            Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
            Err(e) => e.into_response(),
        }
    }

    /// Answers on the evaluator thread, in turn, within the request's `timeout` (at most [`QUERY_TIMEOUT`],
    /// waiting included), reading the snapshot and the clock once it is its turn.
    async fn answer_in_time(&self, endpoint: Endpoint, params: Params) -> Result<Vec<u8>, ApiError> {
        let limit = match params.get("timeout") {
            "" => QUERY_TIMEOUT,
            text => {
                let ms = parse_duration(text).map_err(|e| ApiError::invalid("timeout", e))?;
                Duration::from_millis(ms.max(0) as u64).min(QUERY_TIMEOUT)
            }
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let live = self.live.clone();
        let job: Job = Box::new(move || {
            if reply.is_closed() {
                return; // timed out while waiting its turn
            }
            let answer = Api::answer(&endpoint, &params, &live.snapshot(), wall_now());
            let _ = reply.send(answer.map(|success| success.body().to_string().into_bytes()));
        });
        self.jobs.send(job).map_err(|_| ApiError::Unavailable("the Prometheus API has stopped".into()))?;
        match tokio::time::timeout(limit, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(ApiError::Execution("the query could not be evaluated".into())),
            Err(_) => Err(ApiError::Timeout("query timed out in expression evaluation".into())),
        }
    }

    /// The answer to `endpoint` with `params`, over `snapshot`, at wall-clock `now` (Unix milliseconds): the
    /// drill's present is placed [`PRESENT_LAG_MS`] before it.
    pub fn answer(endpoint: &Endpoint, params: &Params, snapshot: &Snapshot, now: i64) -> Result<Success, ApiError> {
        let view = WallClockView { snapshot, offset: now - PRESENT_LAG_MS - snapshot.now() };
        match endpoint {
            Endpoint::Query => query(params, &view, now),
            Endpoint::QueryRange => query_range(params, &view),
            Endpoint::Series => series(params, &view),
            Endpoint::Labels => labels(params, &view),
            Endpoint::LabelValues(name) => label_values(name, params, &view),
            Endpoint::Metadata => metadata(params, snapshot),
            Endpoint::BuildInfo => Ok(Success::new(build_info())),
            Endpoint::Exemplars => exemplars(params),
        }
    }
}

/// GET and form-encoded POST of one endpoint.
fn route(endpoint: Endpoint) -> MethodRouter<Api> {
    let handler = move |State(api): State<Api>, RawQuery(q): RawQuery, headers: HeaderMap, body: Bytes| {
        let endpoint = endpoint.clone();
        async move { api.respond(endpoint, q, &headers, &body).await }
    };
    get(handler.clone()).post(handler)
}

/// A query error as Prometheus classes it: what the parser refuses is bad data, the rest an execution error.
fn query_error(e: promql::QueryError) -> ApiError {
    match e.kind {
        QueryErrorKind::Parse { .. } | QueryErrorKind::TooDeep { .. } | QueryErrorKind::UnknownFunction { .. } => {
            ApiError::invalid("query", e)
        }
        _ => ApiError::Execution(e.to_string()),
    }
}

/// Keeps the first `limit` series of a vector or matrix (0: all), with Prometheus's warning when it cut.
fn truncate(value: &mut QueryValue, limit: usize, warnings: &mut Vec<String>) {
    let cut = match value {
        QueryValue::Vector(v) if limit > 0 && v.len() > limit => {
            v.truncate(limit);
            true
        }
        QueryValue::Matrix(m) if limit > 0 && m.len() > limit => {
            m.truncate(limit);
            true
        }
        _ => false,
    };
    if cut {
        warnings.push("results truncated due to limit".into());
    }
}

fn query(params: &Params, view: &WallClockView<'_>, now: i64) -> Result<Success, ApiError> {
    let limit = params.limit()?;
    let at = params.time_or("time", now)?;
    let mut answer = promql::instant_query(view, params.get("query"), at).map_err(query_error)?;
    if let QueryValue::Vector(samples) = &mut answer.value {
        for s in samples {
            s.t = at;
        }
    }
    let mut warnings = Vec::new();
    truncate(&mut answer.value, limit, &mut warnings);
    Ok(Success { data: json::data(&answer, at), warnings, infos: answer.notes })
}

fn query_range(params: &Params, view: &WallClockView<'_>) -> Result<Success, ApiError> {
    let limit = params.limit()?;
    let start = parse_time(params.get("start")).map_err(|e| ApiError::invalid("start", e))?;
    let end = parse_time(params.get("end")).map_err(|e| ApiError::invalid("end", e))?;
    if end < start {
        return Err(ApiError::invalid("end", "end timestamp must not be before start time"));
    }
    let step = parse_duration(params.get("step")).map_err(|e| ApiError::invalid("step", e))?;
    if step <= 0 {
        return Err(ApiError::invalid(
            "step",
            "zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    if (end - start) / step > MAX_POINTS {
        return Err(ApiError::BadData(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"
                .into(),
        ));
    }
    let mut answer = promql::range_query(view, params.get("query"), start, end, step).map_err(query_error)?;
    let mut warnings = Vec::new();
    truncate(&mut answer.value, limit, &mut warnings);
    Ok(Success { data: json::data(&answer, end), warnings, infos: answer.notes })
}

/// The optional `start` and `end` of a metadata request (default: all time).
fn span(params: &Params) -> Result<(i64, i64), ApiError> {
    Ok((params.time_or("start", MIN_TIME)?, params.time_or("end", MAX_TIME)?))
}

/// Ids of the series `sets` select (all series when there are none) with a sample between `start` and `end`,
/// in label order.
fn selected(view: &WallClockView<'_>, sets: &[promql_parser::label::Matchers], start: i64, end: i64) -> Vec<usize> {
    let ids: BTreeSet<usize> =
        if sets.is_empty() { (0..view.len()).collect() } else { sets.iter().flat_map(|m| view.select(m)).collect() };
    let mut ids: Vec<usize> = ids.into_iter().filter(|&id| view.has_samples(id, start, end)).collect();
    ids.sort_by(|&a, &b| view.labels(a).cmp(view.labels(b)));
    ids
}

fn series(params: &Params, view: &WallClockView<'_>) -> Result<Success, ApiError> {
    if params.all("match[]").is_empty() {
        return Err(ApiError::BadData("no match[] parameter provided".into()));
    }
    let limit = params.limit()?;
    let (start, end) = span(params)?;
    let sets = params.matchers().map_err(|e| ApiError::invalid("match[]", e))?;
    let mut ids = selected(view, &sets, start, end);
    let mut warnings = Vec::new();
    if limit > 0 && ids.len() > limit {
        ids.truncate(limit);
        warnings.push("results truncated due to limit".into());
    }
    let data: Vec<Value> = ids.iter().map(|&id| json::metric(&view.labels(id).to_strings())).collect();
    Ok(Success { data: json!(data), warnings, infos: Vec::new() })
}

/// Sorted, optionally truncated strings as `data`.
fn strings(set: BTreeSet<String>, limit: usize) -> Success {
    let mut list: Vec<String> = set.into_iter().collect();
    let mut warnings = Vec::new();
    if limit > 0 && list.len() > limit {
        list.truncate(limit);
        warnings.push("results truncated due to limit".into());
    }
    Success { data: json!(list), warnings, infos: Vec::new() }
}

fn labels(params: &Params, view: &WallClockView<'_>) -> Result<Success, ApiError> {
    let limit = params.limit()?;
    let (start, end) = span(params)?;
    let sets = params.matchers().map_err(ApiError::BadData)?;
    let names: BTreeSet<String> = selected(view, &sets, start, end)
        .into_iter()
        .flat_map(|id| view.labels(id).pairs().iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>())
        .collect();
    Ok(strings(names, limit))
}

fn label_values(name: &str, params: &Params, view: &WallClockView<'_>) -> Result<Success, ApiError> {
    if !valid_label_name(name) {
        return Err(ApiError::BadData(format!("invalid label name: {name:?}")));
    }
    let limit = params.limit()?;
    let (start, end) = span(params)?;
    let sets = params.matchers().map_err(ApiError::BadData)?;
    let values: BTreeSet<String> = selected(view, &sets, start, end)
        .into_iter()
        .map(|id| view.labels(id).get(name).to_string())
        .filter(|v| !v.is_empty())
        .collect();
    Ok(strings(values, limit))
}

fn metadata(params: &Params, snapshot: &Snapshot) -> Result<Success, ApiError> {
    let number = |name: &str, message: &str| match params.get(name) {
        "" => Ok(-1),
        text => text.parse::<i64>().map_err(|_| ApiError::BadData(message.into())),
    };
    let limit = number("limit", "limit must be a number")?;
    let per_metric = number("limit_per_metric", "limit_per_metric must be a number")?;
    let metric = params.get("metric");
    let mut data = BTreeMap::new();
    for (family, meta) in snapshot.metadata() {
        if !metric.is_empty() && family != metric {
            continue;
        }
        if limit >= 0 && data.len() as i64 >= limit {
            break;
        }
        let entries =
            if per_metric == 0 { vec![] } else { vec![json!({"type": meta.kind, "help": meta.help, "unit": ""})] };
        data.insert(family.clone(), Value::Array(entries));
    }
    Ok(Success::new(json!(data)))
}

fn build_info() -> Value {
    json!({
        "version": PROMETHEUS_VERSION,
        "revision": format!("wom {}", env!("CARGO_PKG_VERSION")),
        "branch": "wom",
        "buildUser": "wom",
        "buildDate": "",
        "goVersion": format!("none: wom {} serves Prometheus's HTTP API over a drill", env!("CARGO_PKG_VERSION")),
    })
}

fn exemplars(params: &Params) -> Result<Success, ApiError> {
    let (start, end) = span(params)?;
    if end < start {
        return Err(ApiError::BadData("end timestamp must not be before start timestamp".into()));
    }
    promql::parse(params.get("query")).map_err(|e| ApiError::BadData(e.to_string()))?;
    Ok(Success::new(json!([])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Publisher;
    use crate::sim::Sim;

    fn params(query: &str) -> Params {
        Params::new(Some(query), None, b"")
    }

    #[test]
    fn the_present_sits_just_before_the_wall_clock_now() {
        let mut sim = Sim::new(Arc::new(crate::scenario::fixture()), 1);
        sim.advance(600);
        let snapshot = Publisher::new(&sim).live().snapshot();
        let now = 1_800_000_000_000;
        let answer =
            Api::answer(&Endpoint::Query, &params("query=max(timestamp(error_rate))"), &snapshot, now).unwrap();
        assert_eq!(answer.data["result"][0]["value"], json!([1_800_000_000, "1799999998"]));
        // One minute back is one simulated minute back; an hour ahead holds nothing newer.
        let back = format!("query=max(timestamp(error_rate))&time={}", (now - 60_000) / 1000);
        let answer = Api::answer(&Endpoint::Query, &params(&back), &snapshot, now).unwrap();
        assert_eq!(answer.data["result"][0]["value"][1], "1799999938");
        let ahead = format!("query=count(error_rate)&time={}", (now + 3_600_000) / 1000);
        let answer = Api::answer(&Endpoint::Query, &params(&ahead), &snapshot, now).unwrap();
        assert_eq!(answer.data["result"], json!([]));
    }

    #[test]
    fn limits_truncate_with_prometheus_warning() {
        let sim = Sim::new(Arc::new(crate::scenario::fixture()), 1);
        let snapshot = Publisher::new(&sim).live().snapshot();
        let answer = Api::answer(&Endpoint::Query, &params("query=error_rate&limit=1"), &snapshot, 0).unwrap();
        assert_eq!(answer.data["result"].as_array().map(Vec::len), Some(1));
        assert_eq!(answer.body()["warnings"], json!(["results truncated due to limit"]));
        let all = Api::answer(&Endpoint::Query, &params("query=error_rate"), &snapshot, 0).unwrap();
        assert!(all.data["result"].as_array().unwrap().len() > 1 && all.body().get("warnings").is_none());
    }
}
