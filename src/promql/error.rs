//! Why a query cannot be answered: one typed kind per reason, rendered in one `Display` match.

use std::fmt;

/// A query that cannot be answered, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryError {
    /// What went wrong.
    pub kind: QueryErrorKind,
}

/// What went wrong with a query.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryErrorKind {
    /// The text is not PromQL.
    Parse { message: String },
    /// Nesting deeper than the engine evaluates.
    TooDeep { limit: usize },
    /// No series has this metric name.
    UnknownMetric { name: String, suggestion: Option<String> },
    /// A function this engine does not know.
    UnknownFunction { name: String, supported: String },
    /// A form of PromQL this engine does not evaluate.
    Unsupported { what: String },
    /// Operands or arguments of the wrong type or shape.
    Invalid { message: String },
    /// The store holds no sample yet.
    NoSamples,
}

impl QueryError {
    /// An error of `kind`.
    pub fn new(kind: QueryErrorKind) -> QueryError {
        QueryError { kind }
    }

    /// Operands or arguments that do not fit.
    pub fn invalid(message: impl Into<String>) -> QueryError {
        QueryError::new(QueryErrorKind::Invalid { message: message.into() })
    }

    /// A form this engine does not evaluate.
    pub fn unsupported(what: impl Into<String>) -> QueryError {
        QueryError::new(QueryErrorKind::Unsupported { what: what.into() })
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            QueryErrorKind::Parse { message } => write!(f, "cannot parse: {message}"),
            QueryErrorKind::TooDeep { limit } => {
                write!(f, "query nests deeper than {limit} levels (operators, parentheses and calls); simplify it")
            }
            QueryErrorKind::UnknownMetric { name, suggestion } => {
                write!(f, "no metric `{name}`")?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean `{s}`?"),
                    None => Ok(()),
                }
            }
            QueryErrorKind::UnknownFunction { name, supported } => {
                write!(f, "function `{name}` is not supported; supported: {supported}")
            }
            QueryErrorKind::Unsupported { what } => write!(f, "{what}"),
            QueryErrorKind::Invalid { message } => write!(f, "{message}"),
            QueryErrorKind::NoSamples => write!(f, "no samples yet"),
        }
    }
}

impl std::error::Error for QueryError {}
