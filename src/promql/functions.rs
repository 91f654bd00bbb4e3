//! The function table: every PromQL function the engine evaluates, keyed by name with its argument shape.
//! Completion and the "supported" list in error messages read this table, so they cannot drift from
//! what the evaluator does.

/// How a function reads its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionKind {
    /// Takes a range vector (`f(x[5m])`) and returns one value per series.
    Range,
    /// Takes an instant vector or scalar per step.
    Instant,
}

/// One function of the table.
#[derive(Clone, Copy, Debug)]
pub struct Function {
    /// Name as typed.
    pub name: &'static str,
    /// How it reads its input.
    pub kind: FunctionKind,
}

const fn range(name: &'static str) -> Function {
    Function { name, kind: FunctionKind::Range }
}

const fn instant(name: &'static str) -> Function {
    Function { name, kind: FunctionKind::Instant }
}

/// Every function the evaluator knows, sorted by name.
pub const FUNCTIONS: &[Function] = &[
    instant("abs"),
    range("avg_over_time"),
    instant("ceil"),
    instant("clamp"),
    instant("clamp_max"),
    instant("clamp_min"),
    range("count_over_time"),
    range("delta"),
    instant("floor"),
    range("increase"),
    range("last_over_time"),
    range("max_over_time"),
    range("min_over_time"),
    range("rate"),
    instant("round"),
    instant("scalar"),
    range("sum_over_time"),
    instant("vector"),
];

/// Aggregation operators the evaluator knows.
pub const AGGREGATIONS: &[&str] = &["avg", "bottomk", "count", "max", "min", "stddev", "stdvar", "sum", "topk"];

/// Keywords worth completing inside a query.
pub const KEYWORDS: &[&str] = &["and", "bool", "by", "ignoring", "offset", "on", "or", "unless", "without"];

/// The table entry for `name`.
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// "abs, avg_over_time, …": the functions for a "supported:" message.
pub fn supported() -> String {
    FUNCTIONS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::FUNCTIONS;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(FUNCTIONS.windows(2).all(|w| w[0].name < w[1].name));
    }
}
