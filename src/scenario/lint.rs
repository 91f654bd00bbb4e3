//! `wom check` as a linter: the rules it reports by, each with an id, a name, what it catches and an
//! example, and the warnings found by reading a valid scenario (a model that breaks its own bounds, a
//! trigger that can never match as written, a symptom nothing shows). Errors are the loader's
//! [`ScenarioErrorKind`]s and the walkthrough's failures, each mapped to its rule here; warnings never stop
//! a drill. Pure: the findings carry the path of the value they are about, which the caller turns into
//! `file:line:col`.

use super::model::*;
use super::spans::ValuePath;
use super::{ScenarioErrorKind, command_spec};
use std::collections::BTreeSet;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleSeverity {
    /// The scenario does not load or cannot be solved: `wom check` fails.
    Error,
    /// Worth fixing; the scenario still loads and plays.
    Warning,
}

impl RuleSeverity {
    /// `error` or `warning`.
    pub fn label(self) -> &'static str {
        match self {
            RuleSeverity::Error => "error",
            RuleSeverity::Warning => "warning",
        }
    }
}

/// One rule of `wom check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, `E…` for errors and `W…` for warnings.
    pub id: &'static str,
    /// Short kebab-case name.
    pub name: &'static str,
    /// Error or warning.
    pub severity: RuleSeverity,
    /// What it catches.
    pub catches: &'static str,
    /// An example of what it reports.
    pub example: &'static str,
}

macro_rules! rule {
    ($const:ident, $id:literal, $name:literal, $sev:ident, $catches:literal, $example:literal) => {
        #[doc = $catches]
        pub const $const: Rule =
            Rule { id: $id, name: $name, severity: RuleSeverity::$sev, catches: $catches, example: $example };
    };
}

/// The rules, as constants named after them.
pub mod rules {
    use super::{Rule, RuleSeverity};
    rule!(
        IO,
        "E001",
        "unreadable-file",
        Error,
        "The file cannot be read or is over 4 MiB.",
        "cannot read scenario: No such file or directory (os error 2)"
    );
    rule!(
        SYNTAX,
        "E002",
        "syntax",
        Error,
        "Text that is not UTF-8, or RON that does not parse or does not fit the format: a missing or misspelt field (optional ones too), a wrong type.",
        "unexpected field named `rmap` in `Metric`"
    );
    rule!(
        SCHEMA_VERSION,
        "E003",
        "schema-version",
        Error,
        "A `schema_version` this build does not read.",
        "schema_version 2 is not supported; this build reads version 1"
    );
    rule!(
        UNKNOWN_REFERENCE,
        "E004",
        "unknown-reference",
        Error,
        "A name that does not exist (service, metric, state, action, command…), with the closest known one.",
        "unknown service `user-db` in `depends_on` of service `auth`; did you mean `users-db`?"
    );
    rule!(
        BAD_TARGET,
        "E005",
        "bad-target",
        Error,
        "A target an action does not take, so the trigger or harm naming it could never match.",
        "action `rollback` does not take target `db` in a trigger of state `broken`"
    );
    rule!(DUPLICATE, "E006", "duplicate-id", Error, "The same id twice.", "duplicate state `broken`");
    rule!(
        UNREACHABLE_STATE,
        "E007",
        "unreachable-state",
        Error,
        "A state no transition leads to from its track's initial state.",
        "state `fixed` in track `incident` cannot be reached from the track's initial state"
    );
    rule!(
        NO_RESOLVED_STATE,
        "E008",
        "no-resolved-state",
        Error,
        "An incident track without a `Resolved` state.",
        "track `incident` has no state with `phase: Resolved`, so the drill cannot end well"
    );
    rule!(
        DEPENDENCY_CYCLE,
        "E009",
        "dependency-cycle",
        Error,
        "Services that depend on each other in a circle.",
        "services depend on each other in a circle: web -> auth -> web"
    );
    rule!(
        INVALID_VALUE,
        "E010",
        "invalid-value",
        Error,
        "A value outside what the format allows: ranges, limits, negative ramps and delays, malformed templates (the validation rules).",
        "state `broken`: `-5m` must lie between 0s and 90d"
    );
    rule!(
        WALKTHROUGH_REFUSED,
        "E011",
        "walkthrough-refused",
        Error,
        "A walkthrough step the drill refuses.",
        "walkthrough step 2 `flgs` was refused: unknown command `flgs`; did you mean `flags`?"
    );
    rule!(
        WALKTHROUGH_UNSOLVED,
        "E012",
        "walkthrough-unsolved",
        Error,
        "A walkthrough that leaves the incident hurting users, naming the track, its state and the last step.",
        "the walkthrough leaves the incident still hurting users: track `incident` is in state `broken` after the last step `wait 1m`"
    );
    rule!(
        GM_ONLY_STATE,
        "W001",
        "gm-only-state",
        Warning,
        "A state reached only through `Gm` triggers without an `auto` time: in solo play it never happens.",
        "state `mail.mail_relay_slow` is reached only through GM trigger `mail-backlog` with no `auto` time"
    );
    rule!(
        IGNORED_COMMAND_TARGET,
        "W002",
        "ignored-command-target",
        Warning,
        "A `Command` trigger with a `target` on a command that takes none: it never matches.",
        "command `status` takes no target, so `Command(command: \"status\", target: \"api\")` never matches"
    );
    rule!(
        NEGATIVE_AFTER,
        "W003",
        "negative-after",
        Warning,
        "An `After` with a negative duration: it holds at once.",
        "`After(\"-5m\")` is negative and holds as soon as the state is entered; write `After(\"0s\")` or a positive time"
    );
    rule!(
        RATIO_OUT_OF_BOUNDS,
        "W004",
        "ratio-out-of-bounds",
        Warning,
        "A `Ratio` whose baseline, symptom, alert threshold or trigger value lies outside 0..=1.",
        "`api.cpu` is a ratio (0..=1), but `Scale(2.6)` in state `broken` asks for 1.3; the simulation keeps it at 1"
    );
    rule!(
        NEGATIVE_VALUE,
        "W005",
        "negative-value",
        Warning,
        "A baseline or symptom asking for a value below 0, which the simulation keeps at 0.",
        "`api.requests` cannot be negative, but `Add(-500)` in state `broken` asks for -80"
    );
    rule!(
        OVER_BOUND,
        "W006",
        "over-bound",
        Warning,
        "A baseline or symptom pushing a metric past its `bounded_by` metric or its `max`.",
        "`api.in_use` is bounded by `api.pool_size` (10), but `Set(12.6)` in state `broken` asks for 12.6"
    );
    rule!(
        OVER_TIMEOUT,
        "W007",
        "over-timeout",
        Warning,
        "A latency's baseline or symptom above its `timeout`, which caps it.",
        "`api.latency_p99` times out at 2s, but `Set(3000)` in state `broken` asks for 3000ms"
    );
    rule!(
        UNSEEN_SYMPTOM,
        "W008",
        "unseen-symptom",
        Warning,
        "A symptom on a metric nothing reads (no `status` column, health, alert, SLO, trigger, evidence or process) and no one is led to: no alert, action target, change, briefing, hint, runbook, message or walkthrough step names its service or the metric.",
        "symptom on `batch.gc_pauses` in state `broken`: nothing reads this metric and nothing leads anyone to it"
    );
}

/// Every rule, in id order.
pub const RULES: &[Rule] = &[
    rules::IO,
    rules::SYNTAX,
    rules::SCHEMA_VERSION,
    rules::UNKNOWN_REFERENCE,
    rules::BAD_TARGET,
    rules::DUPLICATE,
    rules::UNREACHABLE_STATE,
    rules::NO_RESOLVED_STATE,
    rules::DEPENDENCY_CYCLE,
    rules::INVALID_VALUE,
    rules::WALKTHROUGH_REFUSED,
    rules::WALKTHROUGH_UNSOLVED,
    rules::GM_ONLY_STATE,
    rules::IGNORED_COMMAND_TARGET,
    rules::NEGATIVE_AFTER,
    rules::RATIO_OUT_OF_BOUNDS,
    rules::NEGATIVE_VALUE,
    rules::OVER_BOUND,
    rules::OVER_TIMEOUT,
    rules::UNSEEN_SYMPTOM,
];

/// The rule a loading or validation error is reported under.
pub fn error_rule(kind: &ScenarioErrorKind) -> &'static Rule {
    use ScenarioErrorKind::*;
    match kind {
        Io { .. } => &rules::IO,
        Syntax { .. } => &rules::SYNTAX,
        SchemaVersion { .. } => &rules::SCHEMA_VERSION,
        UnknownReference { .. } => &rules::UNKNOWN_REFERENCE,
        BadTarget { .. } => &rules::BAD_TARGET,
        Duplicate { .. } => &rules::DUPLICATE,
        UnreachableState { .. } => &rules::UNREACHABLE_STATE,
        NoResolvedState { .. } => &rules::NO_RESOLVED_STATE,
        DependencyCycle { .. } => &rules::DEPENDENCY_CYCLE,
        Invalid { .. } => &rules::INVALID_VALUE,
    }
}

/// The rule table of the format reference (id, name, what it catches, example), as Markdown.
pub fn rule_table() -> String {
    let mut out = String::from("| id | name | level | catches | example |\n|---|---|---|---|---|\n");
    for r in RULES {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            r.id,
            r.name,
            r.severity.label(),
            r.catches.replace('|', "\\|"),
            r.example.replace('|', "\\|")
        ));
    }
    out
}

/// A warning about a valid scenario: its rule, where and what.
#[derive(Clone, Debug, PartialEq)]
pub struct Lint {
    /// The rule.
    pub rule: &'static Rule,
    /// The value it is about.
    pub at: ValuePath,
    /// What is wrong.
    pub message: String,
}

/// The warnings about a valid scenario, in file order of the rules that find them.
pub fn lint(s: &Scenario) -> Vec<Lint> {
    let mut out = Vec::new();
    lint_triggers(s, &mut out);
    lint_bounds(s, &mut out);
    lint_unseen(s, &mut out);
    out
}

fn push(out: &mut Vec<Lint>, rule: &'static Rule, at: ValuePath, message: String) {
    out.push(Lint { rule, at, message });
}

/// Every trigger of the scenario with its path: transitions, messages and symptoms' `when`.
fn each_trigger(s: &Scenario, mut f: impl FnMut(&ValuePath, &Trigger)) {
    fn walk(path: &ValuePath, t: &Trigger, f: &mut dyn FnMut(&ValuePath, &Trigger)) {
        f(path, t);
        match t {
            Trigger::All(inner) | Trigger::Any(inner) => {
                inner.iter().enumerate().for_each(|(k, t)| walk(&path.index(0).index(k), t, f))
            }
            Trigger::Not(inner) => walk(&path.index(0), inner, f),
            _ => {}
        }
    }
    let root = ValuePath::root();
    for (t, track) in s.tracks.iter().enumerate() {
        for (j, st) in track.states.iter().enumerate() {
            let state = root.field("tracks").index(t).field("states").index(j);
            for (k, sym) in st.symptoms.iter().enumerate() {
                if let Symptom::Metric { when: Some(w), .. } = sym {
                    walk(&state.field("symptoms").index(k).field("when"), w, &mut f);
                }
            }
            for (k, tr) in st.transitions.iter().enumerate() {
                walk(&state.field("transitions").index(k).field("when"), &tr.when, &mut f);
            }
        }
    }
    for (i, m) in s.messages.iter().enumerate() {
        walk(&root.field("messages").index(i).field("when"), &m.when, &mut f);
    }
}

/// Triggers that cannot work as written: a target on a command that takes none, a negative `After`.
fn lint_triggers(s: &Scenario, out: &mut Vec<Lint>) {
    each_trigger(s, |path, t| match t {
        Trigger::Command { command, target: Some(target), .. }
            if command_spec(command).is_some_and(|c| c.target.is_none()) =>
        {
            push(
                out,
                &rules::IGNORED_COMMAND_TARGET,
                path.field("target"),
                format!(
                    "command `{command}` takes no target, so `Command(command: \"{command}\", target: \"{target}\")` \
                     never matches; leave the target out"
                ),
            );
        }
        Trigger::After(d) if d.secs() < 0 => push(
            out,
            &rules::NEGATIVE_AFTER,
            path.index(0),
            format!(
                "`After(\"{d}\")` is negative and holds as soon as the state is entered; write `After(\"0s\")` or a \
                 positive time"
            ),
        ),
        Trigger::Metric { service, metric, op, value, .. } => {
            let path = path.field("value");
            ratio_threshold(s, out, path, (service, metric), *op, *value, "a `Metric` trigger");
        }
        _ => {}
    });
}

/// A threshold on a ratio that the value, kept within 0..=1, can never cross.
fn ratio_threshold(
    s: &Scenario,
    out: &mut Vec<Lint>,
    path: ValuePath,
    (service, metric): (&str, &str),
    op: Comparison,
    value: f64,
    what: &str,
) {
    let Some(spec) = metric_spec(s, service, metric) else { return };
    let never = match op {
        Comparison::Above => value >= 1.0 && spec.unit == Unit::Ratio,
        Comparison::Below => value <= 0.0,
    };
    if never {
        let op = if op == Comparison::Above { "above" } else { "below" };
        let range = if spec.unit == Unit::Ratio { "0..=1" } else { "0 and up" };
        let rule = if spec.unit == Unit::Ratio { &rules::RATIO_OUT_OF_BOUNDS } else { &rules::NEGATIVE_VALUE };
        push(
            out,
            rule,
            path,
            format!(
                "{what} waits for `{service}.{metric}` {op} {value}, but the value stays within {range}: it never holds"
            ),
        );
    }
}

fn metric_spec<'a>(s: &'a Scenario, service: &str, metric: &str) -> Option<&'a MetricSpec> {
    s.services.iter().find(|x| x.id == service)?.metrics.iter().find(|m| m.name == metric)
}

/// The value a metric of `svc` reaches at the daily peak in a state, with the state's symptoms on it at
/// full effect (noise left out).
fn value_in_state(svc: &Service, m: &MetricSpec, st: Option<&State>) -> f64 {
    let mut v = m.baseline * (1.0 + m.seasonality);
    for sym in st.map_or(&[][..], |st| &st.symptoms[..]) {
        if let Symptom::Metric { service, metric, shift, .. } = sym
            && *service == svc.id
            && *metric == m.name
        {
            v = apply(*shift, v);
        }
    }
    v
}

fn apply(shift: Shift, v: f64) -> f64 {
    match shift {
        Shift::Set(x) => x,
        Shift::Scale(f) => v * f,
        Shift::Add(a) => v + a,
    }
}

/// What a metric's bounds allow, for messages: `(kind of bound, highest value, its description)`.
fn upper_bounds(svc: &Service, m: &MetricSpec, st: Option<&State>) -> Vec<(&'static Rule, f64, String)> {
    let mut bounds = Vec::new();
    if m.unit == Unit::Ratio {
        bounds.push((&rules::RATIO_OUT_OF_BOUNDS, 1.0, format!("`{}.{}` is a ratio (0..=1)", svc.id, m.name)));
    }
    if let Some(max) = m.max {
        bounds.push((&rules::OVER_BOUND, max, format!("`{}.{}` has `max: {max}`", svc.id, m.name)));
    }
    if let Some(other) = m.bounded_by.as_deref().and_then(|b| svc.metrics.iter().find(|x| x.name == b)) {
        let bound = value_in_state(svc, other, st);
        let text = format!("`{}.{}` is bounded by `{}.{}` ({})", svc.id, m.name, svc.id, other.name, number(bound));
        bounds.push((&rules::OVER_BOUND, bound, text));
    }
    if let Some(t) = m.timeout {
        let ms = t.secs() as f64 * 1000.0;
        bounds.push((&rules::OVER_TIMEOUT, ms, format!("`{}.{}` times out at {t}", svc.id, m.name)));
    }
    bounds
}

fn number(v: f64) -> String {
    let rounded = (v * 1000.0).round() / 1000.0;
    format!("{rounded}")
}

fn shift_text(shift: Shift) -> String {
    match shift {
        Shift::Set(x) => format!("Set({x})"),
        Shift::Scale(f) => format!("Scale({f})"),
        Shift::Add(a) => format!("Add({a})"),
    }
}

/// Baselines and symptoms that ask a metric for a value outside its bounds.
fn lint_bounds(s: &Scenario, out: &mut Vec<Lint>) {
    let root = ValuePath::root();
    for (i, svc) in s.services.iter().enumerate() {
        for (j, m) in svc.metrics.iter().enumerate() {
            let path = root.field("services").index(i).field("metrics").index(j).field("baseline");
            let peak = value_in_state(svc, m, None);
            if m.baseline < 0.0 {
                let text = format!("`{}.{}` cannot be negative, but its baseline is {}", svc.id, m.name, m.baseline);
                push(out, &rules::NEGATIVE_VALUE, path.clone(), format!("{text}; the simulation keeps it at 0"));
            }
            for (rule, hi, what) in upper_bounds(svc, m, None) {
                if peak > hi + 1e-9 {
                    let at = if m.seasonality > 0.0 { " at the daily peak" } else { "" };
                    let ms = if m.unit == Unit::Millis { "ms" } else { "" };
                    let message = format!("{what}, but its baseline asks for {}{ms}{at}", number(peak));
                    push(out, rule, path.clone(), message);
                }
            }
        }
    }
    for (t, track) in s.tracks.iter().enumerate() {
        for (j, st) in track.states.iter().enumerate() {
            let state = root.field("tracks").index(t).field("states").index(j);
            lint_state_bounds(s, st, &state, out);
        }
    }
    for (i, a) in s.alerts.iter().enumerate() {
        let path = root.field("alerts").index(i).field("threshold");
        let what = format!("alert `{}`", a.name);
        ratio_threshold(s, out, path, (&a.service, &a.metric), a.op, a.threshold, &what);
    }
}

/// The symptoms of one state, composed per metric in order, against the metric's bounds in that state.
fn lint_state_bounds(s: &Scenario, st: &State, state: &ValuePath, out: &mut Vec<Lint>) {
    let mut values: Vec<((usize, usize), f64)> = Vec::new();
    for (k, sym) in st.symptoms.iter().enumerate() {
        let Symptom::Metric { service, metric, shift, .. } = sym else { continue };
        let Some(i) = s.services.iter().position(|x| x.id == *service) else { continue };
        let svc = &s.services[i];
        let Some(j) = svc.metrics.iter().position(|m| m.name == *metric) else { continue };
        let m = &svc.metrics[j];
        let from = values.iter().find(|(key, _)| *key == (i, j)).map_or(m.baseline * (1.0 + m.seasonality), |v| v.1);
        let v = apply(*shift, from);
        match values.iter_mut().find(|(key, _)| *key == (i, j)) {
            Some(slot) => slot.1 = v,
            None => values.push(((i, j), v)),
        }
        let path = state.field("symptoms").index(k).field("shift").index(0);
        let shown = shift_text(*shift);
        if v < -1e-9 {
            let message = format!(
                "`{}.{}` cannot be negative, but `{shown}` in state `{}` asks for {}; the simulation keeps it at 0",
                svc.id,
                m.name,
                st.id,
                number(v)
            );
            push(out, &rules::NEGATIVE_VALUE, path.clone(), message);
        }
        for (rule, hi, what) in upper_bounds(svc, m, Some(st)) {
            if v > hi + 1e-9 {
                let ms = if m.unit == Unit::Millis { "ms" } else { "" };
                let message = format!(
                    "{what}, but `{shown}` in state `{}` asks for {}{ms}; the simulation keeps it at {}{ms}",
                    st.id,
                    number(v),
                    number(hi)
                );
                push(out, rule, path.clone(), message);
            }
        }
    }
}

/// Metrics the engine reads or `status` shows whatever their service.
const SHOWN: &[&str] = &["error_rate", "latency_p50", "latency_p99", "queue_depth", "saturation", "up", "requests"];

/// Symptoms on metrics that nothing shows or reads and nobody is pointed at.
fn lint_unseen(s: &Scenario, out: &mut Vec<Lint>) {
    let read = metrics_read(s);
    let texts: Vec<&str> = [s.meta.briefing.as_str()]
        .into_iter()
        .chain(s.walkthrough.iter().map(String::as_str))
        .chain(s.hints.iter().map(|h| h.text.as_str()))
        .chain(s.runbooks.iter().map(|r| r.body.as_str()))
        .chain(s.messages.iter().map(|m| m.text.as_str()))
        .collect();
    let processes = serde_json::to_string(&s.processes).unwrap_or_default();
    // Services the drill itself names to the volunteer: in alerts, action targets and changes.
    let shown: BTreeSet<&str> = s
        .alerts
        .iter()
        .map(|a| a.service.as_str())
        .chain(s.actions.iter().flat_map(|a| a.targets.iter().map(String::as_str)))
        .chain(s.changes.iter().map(|c| c.service.as_str()))
        .collect();
    let named = |service: &str, metric: &str| {
        shown.contains(service)
            || texts.iter().any(|t| has_word(t, metric) || has_word(t, service))
            || processes.contains(metric)
    };
    let root = ValuePath::root();
    for (t, track) in s.tracks.iter().enumerate() {
        for (j, st) in track.states.iter().enumerate() {
            for (k, sym) in st.symptoms.iter().enumerate() {
                let Symptom::Metric { service, metric, .. } = sym else { continue };
                let key = (service.clone(), metric.clone());
                if SHOWN.contains(&metric.as_str()) || read.contains(&key) || named(service, metric) {
                    continue;
                }
                let path = root.field("tracks").index(t).field("states").index(j).field("symptoms").index(k);
                push(
                    out,
                    &rules::UNSEEN_SYMPTOM,
                    path.field("metric"),
                    format!(
                        "symptom on `{service}.{metric}` in state `{}`: nothing reads this metric (no `status` \
                         column, health, alert, SLO, trigger, evidence or process) and nothing leads anyone to it \
                         (no alert, action, change, briefing, hint, runbook, message or walkthrough step names \
                         `{service}` or `{metric}`)",
                        st.id
                    ),
                );
            }
        }
    }
}

/// (service, metric) pairs an alert, SLO, `Metric` trigger or evidence reads.
fn metrics_read(s: &Scenario) -> BTreeSet<(String, String)> {
    let mut read = BTreeSet::new();
    for a in &s.alerts {
        read.insert((a.service.clone(), a.metric.clone()));
    }
    for slo in &s.slos {
        let metric = match slo.kind {
            SloKind::Availability => "error_rate",
            SloKind::Latency(_) => "latency_p99",
        };
        read.insert((slo.service.clone(), metric.to_string()));
    }
    each_trigger(s, |_, t| {
        if let Trigger::Metric { service, metric, .. } = t {
            read.insert((service.clone(), metric.clone()));
        }
    });
    for e in &s.rubric.evidence {
        for o in &e.observe {
            if let Observation::Metric { service, metric } = o {
                read.insert((service.clone(), metric.clone()));
            }
        }
    }
    read
}

/// Whether `text` contains `word` delimited by characters that cannot be part of a metric name.
fn has_word(text: &str, word: &str) -> bool {
    let part = |c: char| c.is_alphanumeric() || matches!(c, '_' | ':' | '-');
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(part)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_and_names_are_unique_and_ordered() {
        let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
        let names: BTreeSet<&str> = RULES.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), RULES.len());
        for r in RULES {
            assert_eq!(r.id.starts_with('E'), r.severity == RuleSeverity::Error, "{}", r.id);
        }
    }

    #[test]
    fn names_are_found_as_whole_words() {
        assert!(has_word("query rate(pool_wait_ms[5m])", "pool_wait_ms"));
        assert!(!has_word("pool_wait_ms_total", "pool_wait_ms"));
        assert!(has_word("metrics api --since 30m", "api"));
        assert!(!has_word("metrics api-probe", "api"));
    }
}
