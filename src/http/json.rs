//! Query answers in Prometheus's HTTP API JSON: `{"status":"success","data":{"resultType":...,"result":...}}`,
//! times as Unix seconds (integers when whole), values as Go formats floats, in strings. Shared by the API
//! and `wom query --json`.

use crate::promql::{Answer, QueryValue, go_float};
use serde_json::{Value, json};

/// Milliseconds as a JSON number of seconds: an integer when whole, as Prometheus writes it.
pub fn time(t: i64) -> Value {
    if t % 1000 == 0 { json!(t / 1000) } else { json!(t as f64 / 1000.0) }
}

/// A label set as a JSON object.
pub fn metric(labels: &[(String, String)]) -> Value {
    Value::Object(labels.iter().map(|(n, v)| (n.clone(), json!(v))).collect())
}

/// The `data` of an answer: `resultType` and `result`; scalars and strings are stamped with `at`.
pub fn data(answer: &Answer, at: i64) -> Value {
    let (kind, result) = match &answer.value {
        QueryValue::Scalar(v) => ("scalar", json!([time(at), go_float(*v)])),
        QueryValue::String(s) => ("string", json!([time(at), s])),
        QueryValue::Vector(samples) => (
            "vector",
            samples
                .iter()
                .map(|s| json!({"metric": metric(&s.labels), "value": [time(s.t), go_float(s.value)]}))
                .collect(),
        ),
        QueryValue::Matrix(series) => (
            "matrix",
            series
                .iter()
                .map(|s| {
                    let values: Vec<Value> = s.points.iter().map(|&(t, v)| json!([time(t), go_float(v)])).collect();
                    json!({"metric": metric(&s.labels), "values": values})
                })
                .collect(),
        ),
    };
    json!({"resultType": kind, "result": result})
}

/// The whole answer as `/api/v1/query` and `/api/v1/query_range` return it.
pub fn answer(answer: &Answer, at: i64) -> Value {
    json!({"status": "success", "data": data(answer, at)})
}
