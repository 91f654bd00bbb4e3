//! Values a query produces: label sets, samples, series, and the public result types.

use std::fmt;
use std::sync::Arc;

/// The bit pattern Prometheus writes as a staleness marker: a NaN that ends a series.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Whether `v` is a staleness marker.
pub fn is_stale(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// A staleness marker.
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// The metric name label.
pub const METRIC_NAME: &str = "__name__";

/// The mark of a series whose metric name an operation dropped under delayed name removal: a label no
/// query can name (it starts with a NUL), sorted before every other, taken off at the end of the query.
pub(super) const NAME_DROPPED: &str = "\u{0}name_dropped";

/// Whether `n` goes with the metric name when it is dropped: the name, the metadata labels that describe it
/// (`__type__`, `__unit__`, as Prometheus's type-and-unit-labels feature drops them) and the delayed-removal
/// mark.
pub(super) fn is_name_label(n: &str) -> bool {
    matches!(n, METRIC_NAME | "__type__" | "__unit__" | NAME_DROPPED)
}

/// A label set, sorted by name, with no empty values. Equality and order are the pairs' (name, then value,
/// pair by pair), with a shortcut for strings shared through interning.
#[derive(Clone, Debug, Default)]
pub struct Labels(Vec<(Arc<str>, Arc<str>)>);

/// Two strings in order, without reading them when they are the same allocation.
fn cmp_str(a: &Arc<str>, b: &Arc<str>) -> std::cmp::Ordering {
    if Arc::ptr_eq(a, b) { std::cmp::Ordering::Equal } else { a.cmp(b) }
}

impl PartialEq for Labels {
    fn eq(&self, other: &Labels) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|((n, v), (m, w))| (Arc::ptr_eq(n, m) || n == m) && (Arc::ptr_eq(v, w) || v == w))
    }
}

impl Eq for Labels {}

impl std::hash::Hash for Labels {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl Ord for Labels {
    fn cmp(&self, other: &Labels) -> std::cmp::Ordering {
        for ((n, v), (m, w)) in self.0.iter().zip(&other.0) {
            let o = cmp_str(n, m).then_with(|| cmp_str(v, w));
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        self.0.len().cmp(&other.0.len())
    }
}

impl PartialOrd for Labels {
    fn partial_cmp(&self, other: &Labels) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Labels {
    /// Labels from pairs in any order; empty values are dropped, the last of duplicate names wins.
    pub fn new<N: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (N, V)>) -> Labels {
        let mut out: Vec<(Arc<str>, Arc<str>)> = Vec::new();
        for (n, v) in pairs {
            let (n, v) = (n.as_ref(), v.as_ref());
            out.retain(|(x, _)| &**x != n);
            if !v.is_empty() {
                out.push((Arc::from(n), Arc::from(v)));
            }
        }
        out.sort();
        Labels(out)
    }

    /// Labels from pairs already sorted by name and free of empty values.
    pub fn from_sorted(pairs: Vec<(Arc<str>, Arc<str>)>) -> Labels {
        debug_assert!(pairs.windows(2).all(|w| w[0].0 < w[1].0));
        Labels(pairs)
    }

    /// The pairs, sorted by name.
    pub fn pairs(&self) -> &[(Arc<str>, Arc<str>)] {
        &self.0
    }

    /// The value of `name`, or `""` when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(n, _)| &**n == name).map_or("", |(_, v)| v)
    }

    /// The metric name, or `""`.
    pub fn name(&self) -> &str {
        self.get(METRIC_NAME)
    }

    /// Whether no label is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// These labels without the metric name and the metadata labels that describe it, `__type__` and
    /// `__unit__` (as Prometheus drops them with its type-and-unit-labels feature).
    pub fn without_name(&self) -> Labels {
        if !self.0.iter().any(|(n, _)| is_name_label(n)) {
            return self.clone();
        }
        Labels(self.0.iter().filter(|(n, _)| !is_name_label(n)).cloned().collect())
    }

    /// These labels once an operation drops the metric name: without it at once, or with delayed name
    /// removal (`delayed`) kept and marked, so later operations still read it and the end of the query
    /// drops it ([`Labels::finish_name_drop`]).
    pub(super) fn drop_name(&self, delayed: bool) -> Labels {
        if !delayed {
            return self.without_name();
        }
        let described = self.0.iter().any(|(n, _)| matches!(&**n, METRIC_NAME | "__type__" | "__unit__"));
        if !described || self.name_dropped() {
            return self.clone();
        }
        // The mark's name sorts first.
        let mut out = Vec::with_capacity(self.0.len() + 1);
        out.push((Arc::from(NAME_DROPPED), Arc::from("1")));
        out.extend(self.0.iter().cloned());
        Labels(out)
    }

    /// Whether the name is marked to be dropped at the end of the query (delayed name removal).
    pub(super) fn name_dropped(&self) -> bool {
        self.0.first().is_some_and(|(n, _)| &**n == NAME_DROPPED)
    }

    /// These labels with the mark of a delayed name drop taken off: the name stays.
    pub(super) fn keep_name(&self) -> Labels {
        if self.name_dropped() { Labels(self.0[1..].to_vec()) } else { self.clone() }
    }

    /// At the end of a query with delayed name removal: the name dropped if it was marked so.
    pub(super) fn finish_name_drop(&self) -> Labels {
        if self.name_dropped() { self.without_name() } else { self.clone() }
    }

    /// The labels two series are matched on when `ignoring` these: all others but the metric name (and
    /// the mark of a delayed drop); `__type__` and `__unit__` take part, as in Prometheus's
    /// `HashWithoutLabels`.
    pub(super) fn match_key(&self, ignoring: &[String]) -> Labels {
        Labels(
            self.0
                .iter()
                .filter(|(n, _)| !matches!(&**n, METRIC_NAME | NAME_DROPPED) && !ignoring.iter().any(|k| k == &**n))
                .cloned()
                .collect(),
        )
    }

    /// The order of these labels and `other` as if neither had the labels named in `names`.
    pub fn cmp_ignoring(&self, other: &Labels, names: &[&str]) -> std::cmp::Ordering {
        let mut a = self.0.iter().filter(|(n, _)| !names.contains(&&**n));
        let mut b = other.0.iter().filter(|(n, _)| !names.contains(&&**n));
        loop {
            match (a.next(), b.next()) {
                (None, None) => return std::cmp::Ordering::Equal,
                (None, Some(_)) => return std::cmp::Ordering::Less,
                (Some(_), None) => return std::cmp::Ordering::Greater,
                (Some((n, v)), Some((m, w))) => {
                    let o = cmp_str(n, m).then_with(|| cmp_str(v, w));
                    if o != std::cmp::Ordering::Equal {
                        return o;
                    }
                }
            }
        }
    }

    /// Only the labels named in `names`.
    pub fn keep(&self, names: &[String]) -> Labels {
        Labels(self.0.iter().filter(|(n, _)| names.iter().any(|k| k == &**n)).cloned().collect())
    }

    /// All labels but those named in `names`.
    pub fn remove(&self, names: &[String]) -> Labels {
        Labels(self.0.iter().filter(|(n, _)| !names.iter().any(|k| k == &**n)).cloned().collect())
    }

    /// These labels with `name` set to `value` (removed when `value` is empty).
    pub fn with(&self, name: &str, value: &str) -> Labels {
        let mut out: Vec<(Arc<str>, Arc<str>)> = self.0.iter().filter(|(n, _)| &**n != name).cloned().collect();
        if !value.is_empty() {
            let at = out.partition_point(|(n, _)| &**n < name);
            out.insert(at, (Arc::from(name), Arc::from(value)));
        }
        Labels(out)
    }

    /// The labels as owned string pairs.
    pub fn to_strings(&self) -> Vec<(String, String)> {
        self.0.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }
}

impl fmt::Display for Labels {
    /// `name{a="x", b="y"}` as Prometheus prints a series.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        f.write_str("{")?;
        let mut first = true;
        for (n, v) in self.0.iter().filter(|(n, _)| &**n != METRIC_NAME) {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{n}=\"{}\"", escape(v))?;
        }
        f.write_str("}")
    }
}

/// A label value with `\`, `"` and newlines escaped as PromQL and OpenMetrics write them.
pub fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A value at one instant of one series.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Label pairs sorted by name (`__name__` first when present).
    pub labels: Vec<(String, String)>,
    /// Milliseconds since the epoch (or since the drill's page, for a drill).
    pub t: i64,
    /// Value.
    pub value: f64,
}

/// The values of one series over time.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Label pairs sorted by name.
    pub labels: Vec<(String, String)>,
    /// `(milliseconds, value)` pairs, oldest first.
    pub points: Vec<(i64, f64)>,
}

/// What a query evaluates to.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryValue {
    /// A number.
    Scalar(f64),
    /// A string literal.
    String(String),
    /// One value per series (an instant query).
    Vector(Vec<Sample>),
    /// Values over time per series (a range query, or a range selector in an instant query).
    Matrix(Vec<Series>),
}

/// A query's value with notes that help a person read it (e.g. "no metric `x`; did you mean `y`?").
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The result.
    pub value: QueryValue,
    /// Hints beside the result, one line each.
    pub notes: Vec<String>,
}

/// A float the way Prometheus prints one: shortest round-trip form, `+Inf`, `-Inf`, `NaN`.
pub fn format_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        let s = format!("{v}");
        // Go prints large and small magnitudes in exponent form (strconv 'g' with the shortest precision).
        let exp = if v == 0.0 { 0 } else { v.abs().log10().floor() as i32 };
        if !(-4..21).contains(&exp) {
            let e = format!("{v:e}");
            let (mantissa, power) = e.split_once('e').unwrap_or((&e, "0"));
            let power: i32 = power.parse().unwrap_or(0);
            let sign = if power < 0 { '-' } else { '+' };
            return format!("{mantissa}e{sign}{:02}", power.abs());
        }
        s
    }
}

/// A float as Go's `strconv.FormatFloat(v, 'f', -1, 64)` writes it.
pub fn go_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::{Labels, format_float};

    #[test]
    fn labels_sort_and_print_like_prometheus() {
        let l = Labels::new([("job", "api"), ("__name__", "up"), ("empty", ""), ("a", "x\"y")]);
        assert_eq!(l.to_string(), "up{a=\"x\\\"y\", job=\"api\"}");
        assert_eq!(l.with("b", "1").without_name().to_string(), "{a=\"x\\\"y\", b=\"1\", job=\"api\"}");
    }

    #[test]
    fn floats_print_like_go() {
        assert_eq!(format_float(1.0), "1");
        assert_eq!(format_float(0.1), "0.1");
        assert_eq!(format_float(1e21), "1e+21");
        assert_eq!(format_float(1.5e-7), "1.5e-07");
        assert_eq!(format_float(f64::NEG_INFINITY), "-Inf");
    }
}
