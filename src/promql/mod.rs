//! The PromQL engine over a store of series, shaped like Prometheus's `promql` package: parsing (by
//! `promql-parser`, behind a depth bound) is separate from evaluation; functions live in one table that
//! completion and error messages read; errors are typed.
//!
//! It sits below the simulation: the simulation's history is one store it reads.

mod depth;
mod engine;
mod error;
mod functions;

pub use depth::MAX_DEPTH;
pub use engine::{Evaluator, QueryValue, Sample, SeriesLabels};
pub use error::{QueryError, QueryErrorKind};
pub use functions::{AGGREGATIONS, FUNCTIONS, Function, FunctionKind, KEYWORDS, lookup};

use promql_parser::parser::Expr;

/// Parses `text` into a syntax tree, refusing queries nested deeper than [`MAX_DEPTH`] before the parser
/// sees them.
pub fn parse(text: &str) -> Result<Expr, QueryError> {
    depth::check(text)?;
    promql_parser::parser::parse(text)
        .map_err(|e| QueryError::new(QueryErrorKind::Parse { message: e.trim().to_string() }))
}
