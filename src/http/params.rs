//! Request parameters as Prometheus reads them: from the URL's query string and, for a form-encoded POST, the
//! body (body values first, as Go's `Request.FormValue`); times as Unix seconds or RFC 3339; durations as
//! seconds or `1h30m`; `match[]` selectors; `limit`. And the errors, in Prometheus's words and JSON.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use promql_parser::label::Matchers;
use promql_parser::parser::Expr;

/// The earliest time a range parameter defaults to (Prometheus's `MinTime`), Unix milliseconds.
pub const MIN_TIME: i64 = (i64::MIN / 1000 + 62_135_596_801) * 1000;
/// The latest (Prometheus's `MaxTime`), Unix milliseconds.
pub const MAX_TIME: i64 = (i64::MAX / 1000 - 62_135_596_801) * 1000 + 999;

/// Why a request cannot be answered, as Prometheus's `errorType` and HTTP status say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// A parameter that does not parse or does not fit (HTTP 400).
    BadData(String),
    /// A query that parsed but cannot be evaluated (HTTP 422).
    Execution(String),
    /// The query ran out of time (HTTP 503).
    Timeout(String),
    /// The API has stopped (HTTP 503).
    Unavailable(String),
}

impl ApiError {
    /// Prometheus's `invalid parameter "name": why`.
    pub fn invalid(parameter: &str, why: impl std::fmt::Display) -> ApiError {
        ApiError::BadData(format!("invalid parameter {parameter:?}: {why}"))
    }

    fn parts(&self) -> (StatusCode, &'static str, &str) {
        match self {
            ApiError::BadData(e) => (StatusCode::BAD_REQUEST, "bad_data", e),
            ApiError::Execution(e) => (StatusCode::UNPROCESSABLE_ENTITY, "execution", e),
            ApiError::Timeout(e) => (StatusCode::SERVICE_UNAVAILABLE, "timeout", e),
            ApiError::Unavailable(e) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", e),
        }
    }

    /// The error body: `{"status":"error","errorType":"bad_data","error":"..."}`.
    pub fn body(&self) -> serde_json::Value {
        let (_, kind, message) = self.parts();
        serde_json::json!({"status": "error", "errorType": kind, "error": message})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, _, _) = self.parts();
        (status, axum::Json(self.body())).into_response()
    }
}

/// A request's parameters: body pairs (form-encoded POST) before query-string pairs.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parameters from a query string and, when the body is form-encoded, the body.
    pub fn new(query: Option<&str>, content_type: Option<&str>, body: &[u8]) -> Params {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let form = content_type.is_some_and(|c| {
            c.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
        });
        if form {
            pairs.extend(form_urlencoded::parse(body).into_owned());
        }
        if let Some(query) = query {
            pairs.extend(form_urlencoded::parse(query.as_bytes()).into_owned());
        }
        Params(pairs)
    }

    /// The first value of `name`, or `""` (Go's `FormValue`).
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }

    /// A time parameter, or `default` when absent; the error names the parameter twice, as Prometheus does.
    pub fn time_or(&self, name: &str, default: i64) -> Result<i64, ApiError> {
        match self.get(name) {
            "" => Ok(default),
            text => parse_time(text)
                .map_err(|why| ApiError::invalid(name, format!("invalid time value for '{name}': {why}"))),
        }
    }

    /// `limit`: 0 (no limit) when absent.
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.get("limit") {
            "" => Ok(0),
            text => match text.parse::<i64>() {
                Ok(n) if n < 0 => Err(ApiError::invalid("limit", "limit must be non-negative")),
                Ok(n) => Ok(n as usize),
                Err(_) => Err(ApiError::invalid("limit", format!("strconv.Atoi: parsing {text:?}: invalid syntax"))),
            },
        }
    }

    /// The `match[]` selectors, each a set of matchers with at least one that does not match the empty string.
    /// A selector with `or` alternatives gives one set per alternative (the union is what it selects).
    pub fn matchers(&self) -> Result<Vec<Matchers>, String> {
        let mut sets = Vec::new();
        for text in self.all("match[]") {
            sets.extend(parse_selector(text)?);
        }
        Ok(sets)
    }
}

/// Unix seconds (a float, rounded to milliseconds) or RFC 3339, as Unix milliseconds.
pub fn parse_time(text: &str) -> Result<i64, String> {
    if let Ok(secs) = text.parse::<f64>() {
        if secs.is_finite() && secs.abs() < 9.2e15 {
            return Ok((secs * 1000.0).round() as i64);
        }
        return Err(format!("cannot parse {text:?} to a valid timestamp"));
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    match text {
        "-292273086-05-16T16:47:06Z" => Ok(MIN_TIME),
        "292277025-08-18T07:12:54.999999999Z" => Ok(MAX_TIME),
        _ => Err(format!("cannot parse {text:?} to a valid timestamp")),
    }
}

/// Seconds (a float) or a Prometheus duration (`1h30m`, `15s`, `500ms`), as milliseconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    if let Ok(secs) = text.parse::<f64>() {
        let ms = secs * 1000.0;
        if !ms.is_finite() || ms.abs() > 9.2e15 {
            return Err(format!("cannot parse {text:?} to a valid duration. It overflows int64"));
        }
        return Ok(ms as i64);
    }
    prometheus_duration(text).ok_or_else(|| format!("cannot parse {text:?} to a valid duration"))
}

/// `[0-9]+(y|w|d|h|m|s|ms)` repeated, units in that order, each at most once (Prometheus's `model.ParseDuration`).
fn prometheus_duration(text: &str) -> Option<i64> {
    const UNITS: [(&str, i64); 7] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ];
    if text == "0" {
        return Some(0);
    }
    let mut rest = text;
    let mut total: i64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        let position = UNITS.iter().position(|(u, _)| *u == unit)?;
        if position < next_unit {
            return None;
        }
        next_unit = position + 1;
        total = total.checked_add(n.checked_mul(UNITS[position].1)?)?;
        rest = &rest[unit_len..];
    }
    (!text.is_empty()).then_some(total)
}

/// One `match[]` selector: a vector selector, as sets of matchers (one per `or` alternative), each with a
/// matcher that does not match the empty string.
fn parse_selector(text: &str) -> Result<Vec<Matchers>, String> {
    use promql_parser::label::{MatchOp, Matcher};
    let expr = crate::promql::parse(text).map_err(|e| e.to_string())?;
    let Expr::VectorSelector(selector) = expr else {
        return Err(format!("{text:?} is not a series selector"));
    };
    let mut base = selector.matchers.matchers.clone();
    if let Some(name) = &selector.name
        && !base.iter().any(|m| m.name == "__name__")
    {
        base.push(Matcher::new(MatchOp::Equal, "__name__", name));
    }
    let sets: Vec<Vec<Matcher>> = if selector.matchers.or_matchers.is_empty() {
        vec![base]
    } else {
        selector.matchers.or_matchers.iter().map(|alt| alt.iter().chain(&base).cloned().collect()).collect()
    };
    sets.into_iter()
        .map(|set| {
            if set.iter().all(|m| m.is_match("")) {
                Err("match[] must contain at least one non-empty matcher".to_string())
            } else {
                Ok(Matchers::new(set))
            }
        })
        .collect()
}

/// Whether `name` is a label name Prometheus accepts (`[a-zA-Z_][a-zA-Z0-9_]*`).
pub fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_prometheus_reads_them() {
        assert_eq!(parse_time("1767225600.4567"), Ok(1_767_225_600_457));
        assert_eq!(parse_time("2026-01-01T00:00:00Z"), Ok(1_767_225_600_000));
        assert_eq!(parse_time("2026-01-01T01:00:00.5+01:00"), Ok(1_767_225_600_500));
        assert_eq!(parse_time("yesterday"), Err("cannot parse \"yesterday\" to a valid timestamp".into()));
        assert!(parse_time("NaN").is_err() && parse_time("1e300").is_err());
    }

    #[test]
    fn durations_parse_as_seconds_or_units() {
        assert_eq!(parse_duration("15"), Ok(15_000));
        assert_eq!(parse_duration("0.5"), Ok(500));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("1m500ms"), Ok(60_500));
        assert!(parse_duration("30m1h").is_err() && parse_duration("5x").is_err() && parse_duration("").is_err());
    }

    #[test]
    fn body_values_come_before_query_values() {
        let p = Params::new(
            Some("query=up&match%5B%5D=a"),
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            b"query=rate%28x%5B5m%5D%29&match[]=b",
        );
        assert_eq!(p.get("query"), "rate(x[5m])");
        assert_eq!(p.all("match[]"), ["b", "a"]);
        assert_eq!(Params::new(None, Some("text/plain"), b"query=up").get("query"), "");
    }

    #[test]
    fn selectors_need_a_non_empty_matcher() {
        assert!(parse_selector("up").is_ok());
        assert!(parse_selector("{service=\"api\"}").is_ok());
        assert_eq!(parse_selector("up{a=\"1\" or b=\"2\"}").map(|s| s.len()), Ok(2));
        assert!(parse_selector("{service=~\".*\"}").unwrap_err().contains("at least one non-empty matcher"));
        assert!(parse_selector("rate(up[5m])").is_err());
        assert!(parse_selector("up{").is_err());
    }
}
