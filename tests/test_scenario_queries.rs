//! The shipped scenarios speak the exporter shape: every PromQL query their hints, runbooks, rubric and
//! walkthrough spell out (`query <expr>` in backticks, or a walkthrough line) parses and returns data at the
//! page, with no did-you-mean note, so a volunteer who types it sees an answer.

use std::sync::Arc;
use wom::promql::QueryValue;
use wom::scenario::{BUILTIN, Scenario, builtin};
use wom::sim::Sim;

/// The expressions of every `query …` in backticks in `text`.
fn quoted_queries(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|span| span.strip_prefix("query "))
        .map(|q| q.strip_prefix("--precise ").unwrap_or(q).to_string())
        .collect()
}

/// Every query a scenario's volunteer-facing text and walkthrough spell out.
fn queries(s: &Scenario) -> Vec<String> {
    let mut texts: Vec<&str> = s.hints.iter().map(|h| h.text.as_str()).collect();
    texts.extend(s.runbooks.iter().map(|r| r.body.as_str()));
    texts.extend(s.rubric.evidence.iter().map(|e| e.description.as_str()));
    let mut out: Vec<String> = texts.into_iter().flat_map(quoted_queries).collect();
    out.extend(
        s.walkthrough
            .iter()
            .filter_map(|l| l.strip_prefix("query "))
            .map(|q| q.strip_prefix("--precise ").unwrap_or(q).to_string()),
    );
    out
}

#[test]
fn every_query_in_a_shipped_scenario_answers_at_the_page() {
    let mut total = 0;
    for (id, _, _) in BUILTIN {
        let scenario = Arc::new(builtin(id).expect("built in").expect("loads"));
        let qs = queries(&scenario);
        assert!(!qs.is_empty(), "{id}: no query in its hints, runbooks or rubric");
        let sim = Sim::new(scenario, 1);
        for q in &qs {
            let answer = sim.query(q).unwrap_or_else(|e| panic!("{id}: `{q}`: {e}"));
            assert!(answer.notes.is_empty(), "{id}: `{q}`: {:?}", answer.notes);
            let series = match &answer.value {
                QueryValue::Vector(v) => v.iter().filter(|s| s.value.is_finite()).count(),
                QueryValue::Matrix(m) => m.len(),
                QueryValue::Scalar(v) => usize::from(v.is_finite()),
                QueryValue::String(_) => 0,
            };
            assert!(series > 0, "{id}: `{q}` returns no data at the page: {:?}", answer.value);
            total += 1;
        }
    }
    assert!(total >= 10, "{total}");
}

#[test]
fn the_queries_use_the_exporter_series() {
    // What a Prometheus user types at work: counters through rate, the histogram through histogram_quantile.
    let all: Vec<String> =
        BUILTIN.iter().flat_map(|(id, _, _)| queries(&builtin(id).expect("built in").expect("loads"))).collect();
    assert!(all.iter().any(|q| q.contains("rate(http_requests_total{code=~\"5..\"}[5m])")));
    assert!(all.iter().any(|q| q.starts_with("histogram_quantile(0.99, sum by (le, job)")));
    assert!(all.iter().any(|q| q.contains("up")));
}

#[test]
fn quoted_queries_are_found_in_text() {
    assert_eq!(
        quoted_queries("See `metrics api` and `query sum(up)`, or `query --precise x / y`."),
        ["sum(up)", "x / y"]
    );
}
