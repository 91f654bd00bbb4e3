//! The PromQL engine over a store of series, shaped like Prometheus's `promql` package: parsing (by
//! `promql-parser`, behind a depth bound) is separate from evaluation; values (`value.rs`); a [`Storage`]
//! trait that the simulation's history and in-memory series implement; one evaluator where an instant query
//! is a one-step range query (`engine.rs`); aggregations and binary operators in their own files; one
//! function table that completion and error messages read (`functions.rs`); typed errors.
//!
//! It sits below the simulation and knows nothing of it.

mod aggregation;
mod binary;
mod buckets;
mod depth;
mod engine;
mod error;
mod extended;
mod functions;
mod fused;
mod info;
mod limit;
pub mod openmetrics;
mod over_time;
pub mod prepass;
pub mod promqltest;
mod start_times;
mod storage;
mod value;

pub use depth::MAX_DEPTH;
pub use engine::{LOOKBACK_MS, QueryOptions, instant_query, instant_query_with, range_query, range_query_with};
pub use error::{QueryError, QueryErrorKind};
pub use functions::{AGGREGATIONS, FUNCTIONS, Function, FunctionKind, KEYWORDS, lookup};
pub use storage::{MemStorage, Storage, required_name, select_indexed};
pub use value::{Answer, Labels, QueryValue, Sample, Series, escape, format_float, go_float, is_stale, stale_nan};

use promql_parser::parser::Expr;

/// Parses `text` as an instant query into a syntax tree, refusing queries nested deeper than [`MAX_DEPTH`]
/// before the parser sees them.
pub fn parse(text: &str) -> Result<Expr, QueryError> {
    parse_query(text, 0, 0)
}

/// Parses `text` for a query of `step_ms` steps over `range_ms` (both 0 for an instant query): the depth
/// bound first, then [`prepass`] evaluates duration expressions (`step()`, `range()`) and marks `anchored`
/// and `smoothed` selectors, then `promql-parser` reads the result.
pub fn parse_query(text: &str, step_ms: i64, range_ms: i64) -> Result<Expr, QueryError> {
    depth::check(text)?;
    let text = prepass::rewrite(text, step_ms, range_ms)?;
    promql_parser::parser::parse(&text)
        .map_err(|e| QueryError::new(QueryErrorKind::Parse { message: e.trim().to_string() }))
}
