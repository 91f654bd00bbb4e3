//! Cross-reference, shape and size checks on a parsed scenario. Every problem carries the path of the
//! offending value, which the loader turns into `file:line:col`. The size limits keep what a scenario can
//! make the simulation do (memory, start time, time per command) proportional to what a drill needs;
//! docs/scenario-format.md lists them.

use super::model::*;
use super::spans::ValuePath;
use super::{
    COMMANDS, CostClass, SCHEMA_VERSION, ScenarioErrorKind, SimDuration, Template, command_names, command_spec,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A problem and the path of the value it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    /// Where in the file.
    pub at: ValuePath,
    /// What is wrong.
    pub kind: ScenarioErrorKind,
}

type Check = Result<(), Located>;

/// Longest history before the page (30 days of one-minute frames).
pub const MAX_HISTORY: i64 = 30 * 86_400;
/// Longest SLO or severity-tier window.
pub const MAX_WINDOW: i64 = 90 * 86_400;
/// Longest time one command or action may cost.
pub const MAX_COST: i64 = 3600;
/// Most log lines per minute from one background source or log symptom.
pub const MAX_LOG_RATE: f64 = 600.0;
/// Most log lines per minute from all background sources together.
pub const MAX_TOTAL_LOG_RATE: f64 = 1200.0;
/// Largest magnitude of a metric value (baselines, shifts, thresholds).
pub const MAX_VALUE: f64 = 1e15;
/// Longest id or name, in characters.
pub const MAX_NAME: usize = 64;

pub(super) fn at(path: &ValuePath, kind: ScenarioErrorKind) -> Located {
    Located { at: path.clone(), kind }
}

pub(super) fn invalid(path: &ValuePath, context: impl Into<String>, message: impl Into<String>) -> Located {
    at(path, ScenarioErrorKind::Invalid { context: context.into(), message: message.into() })
}

/// The rules [`validate`] enforces, as the scenario format reference lists them (a test keeps
/// `docs/scenario-format.md` in step, and a snapshot pins the list). The size limits are listed separately,
/// in the reference's table of limits.
pub fn validation_rules() -> Vec<String> {
    let untimed: Vec<String> =
        COMMANDS.iter().filter(|c| !c.cost.overridable()).map(|c| format!("`{}`", c.name)).collect();
    let (last, rest) = untimed.split_last().map_or((String::new(), &[][..]), |(l, r)| (l.clone(), r));
    let untimed = format!("{} or {last}", rest.join(", "));
    [
        "`schema_version` is `1`.",
        "`meta.id` is a plain name (it names the debrief files): 1 to 64 ASCII letters, digits, `-`, `_` or \
         `.`, not starting with `.`.",
        "Every other id and name (services, metrics, tracks, states, actions, alerts, runbooks, flags, evidence) \
         is one word of 1 to 64 printable characters: no spaces, tabs or control characters.",
        "Ids are unique: services, tracks, states (across all tracks), actions, counters, alert names, runbooks, flags, \
         evidence ids, and metric names within a service.",
        "`clock.page_time` is `HH:MM` (two digits each, hour < 24, minute < 60).",
        "Every `depends_on.on` names a service other than itself; `weight` is within 0..=1; services do not \
         depend on each other in a circle (`services depend on each other in a circle: web -> auth -> web`).",
        "A metric's `bounded_by` names another metric of the same service; its `max` is finite and not \
         negative; a `timeout` is given only on a `Millis` metric and is at least 1s.",
        "`changes` and `flags` name existing services; `alerts` name an existing service and one of its \
         metrics.",
        "Each SLO's service has `error_rate` (`Availability`) or `latency_p99` (`Latency`), and `target` lies \
         strictly between 0 and 1.",
        "A `Custom` severity policy has at least one tier, and each tier's `budget` lies in (0, 1].",
        "There is at least one track. Each track's `initial` is one of its own states; every transition's \
         `to` is in the same track; every state is reachable from `initial`. The first track has a state \
         with `phase: Resolved`.",
        "A state's `couplings` name a service and one of its `depends_on`, with a `weight` within 0..=1.",
        "Symptoms name existing services and metrics; a `Scale` factor is 0 or more; effects name existing \
         services and flags. Log templates' `{n:lo..hi}` (lo <= hi), `{one_of:[..]}` (no empty choice) and \
         `{ref:name}` placeholders are well formed.",
        "Triggers, in transitions, messages and symptoms' `when`: `Action` names an action, and its `target`, if \
         given, is one of that action's `targets` (an action without targets takes none), so the trigger can \
         match; `Command` names a volunteer command; `Metric` names an existing service and metric; `Reached` \
         and `In` name a state in any track, as `state` or `track.state`; `At` is no earlier than the history; \
         `Chance` is within 0..=1; `AfterRandom`'s bounds are in order. `After` and `Gm` are not checked.",
        "Action `targets` are services, flags or network elements; a trigger's target may also name a member of a targeted \
         fleet (`edge-0042`) or a range of members (`edge-0001..edge-0100`). An action's `arg` has a one-word \
         `name`, `min` <= `max` and, for a `Choice`, distinct one-word choices; `counts` names a counter. An \
         `Action` trigger's `arg` tests an action that takes one, with `Is` for a choice and `Below`, `Above` or \
         `Between` otherwise; a `Counter` trigger names a counter.",
        "A `fleet` has 1 to 100000 members; its `names`, if given, are distinct words, one per member; its \
         `weights` are no more than its members and not negative. A symptom's `members` other than `All` \
         needs a fleet; a `Fraction` lies within 0..=1 and `Named` members exist.",
        &format!(
            "`costs` keys are volunteer command names other than {untimed}, which take no time or the time \
             they are given."
        ),
        "`rubric.harmful` and `rubric.good` name existing actions, and a `target`, if given, is one of that \
         action's `targets`; their `when` names existing states (`In`) and actions (`Before`, `After`).",
        "`rubric.audiences` ids are unique, one word and not `incident` (the channel `rubric.updates` scores), \
         each `every` at least 1m; `rubric.five_ws` keyword groups each have at least one non-empty word; \
         `rubric.responders` name existing alerts (`Silence`) and teams (`Escalate`).",
        "`root_cause.keywords` has at least one group, each with at least one word.",
        "Every evidence has a non-empty `seen` or an `observe`; a `Metric` observation names an existing service \
         and one of its metrics, a `Log` observation an existing service; the text an observation looks for is \
         non-empty.",
        "`load` patterns apply to existing services' metrics, each metric shaped by at most one pattern; `daily` \
         points are `HH:MM` with factors of 0 or more; `top_of_hour` lasts 1 to 59 minutes; `weekend` and \
         `holiday` are 0 or more and, with `holidays` (real dates), need `clock.date`. A state's `skip` passes \
         1m to 24h and says something.",
        "`network` element ids are unique, one word without `[` or `]` and no service's id, with `rtt` at least \
         0 and `loss` and `noise` within 0..=1; a dependency's `via` names elements, each at most once; a \
         `Network` symptom names an element and sets at least one of `loss` and `partition` (within 0..=1) and \
         `latency` (at least 0).",
        "`processes` and `tools` name existing services, metrics, states, capacities, controllers and commands; a derived metric's `expr` parses and reads only metrics not derived, or derived earlier; a controller has `min <= max` and `target > 0`; a `Stale` tool answers only `metrics` and `logs`; an `Unavailable` mode says why; an alert's `monitor` names a tool.",
"Action `outcomes` have a trigger `when`, a `Partial` share within 0..=1, and, when they fail or are \
         refused, a `reply` and no stages; `stages` come in time order with `done` rising to 1 (to the share, \
         for a partial result); replies, stage reports and diagnostic outputs use no placeholder but `{target}` \
         and `{arg}` (only `{target}` in a diagnostic) and name no state whose id has a `-`, `_` or `.`; an \
         `Action` trigger's `done` is `Below`, `Above` or `Between` within 0..=1. `diagnostics` have unique \
         one-word ids, service `targets` and at least one output, whose `target` is one of the diagnostic's; a \
         `Diagnostic` observation names a diagnostic.",
        "`walkthrough` is not empty.",
        "Every size stays within the limits below.",
    ]
    .into_iter()
    .map(str::to_string)
    .collect()
}

/// Checks every reference, id, reachability rule and size limit; returns the first problem.
pub fn validate(s: &Scenario) -> Check {
    let root = ValuePath::root();
    if s.schema_version != SCHEMA_VERSION {
        return Err(at(
            &root.field("schema_version"),
            ScenarioErrorKind::SchemaVersion { found: s.schema_version, supported: SCHEMA_VERSION },
        ));
    }
    check_plain_name(&root.field("meta").field("id"), &s.meta.id)?;
    check_names(s)?;
    let names = Names::of(s);
    check_clock(s)?;
    check_services(s, &names)?;
    check_telemetry(s, &names)?;
    check_tracks(s, &names)?;
    check_actions(s, &names)?;
    check_rubric(s, &names)?;
    super::world::check(s)?;
    if s.walkthrough.is_empty() {
        return Err(invalid(
            &root.field("walkthrough"),
            "walkthrough",
            "a scenario needs a walkthrough that proves it can be solved",
        ));
    }
    Ok(())
}

/// Every id, unique where it must be and typeable as one word.
fn check_names(s: &Scenario) -> Check {
    let root = ValuePath::root();
    let each = |list: &str, field: &'static str| {
        let base = root.field(list);
        move |i: usize| base.index(i).field(field)
    };
    let services = each("services", "id");
    unique("service", s.services.iter().enumerate().map(|(i, x)| (services(i), &x.id)))?;
    let tracks = each("tracks", "id");
    unique("track", s.tracks.iter().enumerate().map(|(i, x)| (tracks(i), &x.id)))?;
    let track_list = root.field("tracks");
    let states = s.tracks.iter().enumerate().flat_map(|(t, track)| {
        let list = track_list.index(t).field("states");
        track.states.iter().enumerate().map(move |(j, x)| (list.index(j).field("id"), &x.id))
    });
    unique("state", states)?;
    let actions = each("actions", "id");
    unique("action", s.actions.iter().enumerate().map(|(i, x)| (actions(i), &x.id)))?;
    let alerts = each("alerts", "name");
    unique("alert", s.alerts.iter().enumerate().map(|(i, x)| (alerts(i), &x.name)))?;
    let runbooks = each("runbooks", "id");
    unique("runbook", s.runbooks.iter().enumerate().map(|(i, x)| (runbooks(i), &x.id)))?;
    let counters = each("counters", "id");
    unique("counter", s.counters.iter().enumerate().map(|(i, x)| (counters(i), &x.id)))?;
    let flags = each("flags", "id");
    unique("flag", s.flags.iter().enumerate().map(|(i, x)| (flags(i), &x.id)))?;
    let evidence = root.field("rubric").field("evidence");
    unique("evidence", s.rubric.evidence.iter().enumerate().map(|(i, x)| (evidence.index(i).field("id"), &x.id)))?;
    for (i, svc) in s.services.iter().enumerate() {
        let metrics = root.field("services").index(i).field("metrics");
        unique("metric", svc.metrics.iter().enumerate().map(|(j, m)| (metrics.index(j).field("name"), &m.name)))?;
    }
    Ok(())
}

/// Ids that name files are plain names: letters, digits, `-`, `_` and `.` (not first), at most 64.
fn check_plain_name(path: &ValuePath, id: &str) -> Check {
    let plain = !id.is_empty()
        && id.len() <= MAX_NAME
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        return Ok(());
    }
    Err(invalid(
        path,
        "meta.id",
        format!("`{}` is not a plain name; use 1 to 64 letters, digits, `-`, `_` or `.` (not first)", shown(id)),
    ))
}

/// A name typed in commands: one word of printable characters.
fn check_word(path: &ValuePath, what: &str, name: &str) -> Check {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME
        && !name.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        return Ok(());
    }
    Err(invalid(
        path,
        format!("{what} `{}`", shown(name)),
        format!("a {what} name is one word of 1 to {MAX_NAME} printable characters"),
    ))
}

/// A name as shown in a message: control characters escaped.
pub fn shown(name: &str) -> String {
    name.chars().flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] }).collect()
}

/// Every name a reference can point at, sorted for stable messages.
struct Names {
    services: Vec<String>,
    metrics: BTreeMap<String, Vec<String>>,
    states: Vec<String>,
    actions: Vec<String>,
    flags: Vec<String>,
    commands: Vec<String>,
    action_targets: BTreeMap<String, Vec<String>>,
    track_states: BTreeMap<String, Vec<String>>,
    counters: Vec<String>,
    action_args: BTreeMap<String, Option<ActionArg>>,
    /// Seconds of history before the page.
    history: i64,
    fleets: BTreeMap<String, Fleet>,
}

impl Names {
    fn of(s: &Scenario) -> Names {
        let sorted = |it: &mut dyn Iterator<Item = &String>| {
            let mut v: Vec<String> = it.cloned().collect();
            v.sort();
            v
        };
        Names {
            services: sorted(&mut s.services.iter().map(|x| &x.id)),
            metrics: s
                .services
                .iter()
                .map(|svc| (svc.id.clone(), sorted(&mut svc.metrics.iter().map(|m| &m.name))))
                .collect(),
            states: sorted(&mut s.tracks.iter().flat_map(|t| &t.states).map(|x| &x.id)),
            actions: sorted(&mut s.actions.iter().map(|x| &x.id)),
            flags: sorted(&mut s.flags.iter().map(|x| &x.id)),
            commands: {
                let mut names = command_names();
                names.sort();
                names
            },
            action_targets: s.actions.iter().map(|a| (a.id.clone(), a.targets.clone())).collect(),
            track_states: s
                .tracks
                .iter()
                .map(|t| (t.id.clone(), t.states.iter().map(|x| x.id.clone()).collect()))
                .collect(),
            history: s.clock.history.secs(),
            fleets: s.services.iter().filter_map(|x| Some((x.id.clone(), x.fleet.clone()?))).collect(),
            counters: sorted(&mut s.counters.iter().map(|c| &c.id)),
            action_args: s.actions.iter().map(|a| (a.id.clone(), a.arg.clone())).collect(),
        }
    }

    fn service(&self, path: &ValuePath, name: &str, context: impl Fn() -> String) -> Check {
        known(path, "service", name, &self.services, context)
    }

    /// A service and one of its metrics, written at `service_at` and `metric_at`.
    fn metric(
        &self,
        (service_at, service): (&ValuePath, &str),
        (metric_at, metric): (&ValuePath, &str),
        context: impl Fn() -> String,
    ) -> Check {
        self.service(service_at, service, &context)?;
        let empty = Vec::new();
        let metrics = self.metrics.get(service).unwrap_or(&empty);
        known(metric_at, "metric", metric, metrics, || format!("{} (service `{}`)", context(), shown(service)))
    }
}

pub(super) fn known(
    path: &ValuePath,
    what: &'static str,
    name: &str,
    candidates: &[String],
    context: impl Fn() -> String,
) -> Check {
    if candidates.iter().any(|c| c == name) {
        return Ok(());
    }
    Err(at(
        path,
        ScenarioErrorKind::UnknownReference {
            what,
            name: name.to_string(),
            context: context(),
            candidates: candidates.to_vec(),
        },
    ))
}

/// The second definition of a name is the duplicate, and is pointed at.
fn unique<'a>(what: &'static str, ids: impl Iterator<Item = (ValuePath, &'a String)>) -> Check {
    let mut seen = BTreeSet::new();
    for (path, id) in ids {
        check_word(&path, what, id)?;
        if !seen.insert(id) {
            return Err(at(&path, ScenarioErrorKind::Duplicate { what, name: id.clone() }));
        }
    }
    Ok(())
}

/// A finite number within `range`, or a message naming the range.
pub(super) fn number(path: &ValuePath, context: impl Into<String>, value: f64, range: (f64, f64), what: &str) -> Check {
    if value.is_finite() && value >= range.0 && value <= range.1 {
        return Ok(());
    }
    Err(invalid(path, context, format!("{what} {value} is outside {}..={}", range.0, range.1)))
}

/// A log template whose ranges, choices and identities read (see `scenario::Template`).
fn template(path: &ValuePath, context: &str, text: &str) -> Check {
    Template::check(text).map_err(|e| invalid(path, context, format!("bad log template: {}", e.message)))
}

/// A duration within `lo..=hi`.
pub(super) fn duration(path: &ValuePath, context: impl Into<String>, d: SimDuration, lo: i64, hi: i64) -> Check {
    if (lo..=hi).contains(&d.secs()) {
        return Ok(());
    }
    Err(invalid(path, context, format!("`{d}` must lie between {} and {}", SimDuration(lo), SimDuration(hi))))
}

fn check_clock(s: &Scenario) -> Check {
    let clock = ValuePath::root().field("clock");
    if s.clock.page_time_of_day().is_none() {
        return Err(invalid(
            &clock.field("page_time"),
            "clock.page_time",
            format!("`{}` is not a time of day; expected `HH:MM`", shown(&s.clock.page_time)),
        ));
    }
    duration(&clock.field("history"), "clock.history", s.clock.history, 0, MAX_HISTORY)
}

fn check_services(s: &Scenario, names: &Names) -> Check {
    let mut total_rate = 0.0;
    for (i, svc) in s.services.iter().enumerate() {
        let here = ValuePath::root().field("services").index(i);
        for (k, dep) in svc.depends_on.iter().enumerate() {
            let edge = here.field("depends_on").index(k);
            names.service(&edge.field("on"), &dep.on, || format!("`depends_on` of service `{}`", shown(&svc.id)))?;
            if dep.on == svc.id {
                return Err(invalid(
                    &edge.field("on"),
                    format!("service `{}`", shown(&svc.id)),
                    "a service cannot depend on itself",
                ));
            }
            let context = format!("dependency `{}` -> `{}`", shown(&svc.id), shown(&dep.on));
            number(&edge.field("weight"), context, dep.weight, (0.0, 1.0), "weight")?;
        }
        if let Some(fleet) = &svc.fleet {
            check_fleet(&here.field("fleet"), &svc.id, fleet)?;
        }
        for (j, m) in svc.metrics.iter().enumerate() {
            let metric = here.field("metrics").index(j);
            let context = || format!("metric `{}` of service `{}`", shown(&m.name), shown(&svc.id));
            number(&metric.field("baseline"), context(), m.baseline, (-MAX_VALUE, MAX_VALUE), "baseline")?;
            number(&metric.field("noise"), context(), m.noise, (0.0, 1.0), "noise")?;
            number(&metric.field("seasonality"), context(), m.seasonality, (0.0, 1.0), "seasonality")?;
            check_metric_bounds(&metric, svc, m)?;
        }
        for (k, log) in svc.logs.iter().enumerate() {
            let rate = here.field("logs").index(k).field("rate");
            let context = format!("a log of service `{}`", shown(&svc.id));
            template(&here.field("logs").index(k).field("template"), &context, &log.template)?;
            number(&rate, context.clone(), log.rate, (0.0, MAX_LOG_RATE), "rate (lines per minute)")?;
            total_rate += log.rate;
            if total_rate > MAX_TOTAL_LOG_RATE {
                return Err(invalid(
                    &rate,
                    context,
                    format!(
                        "background logs of all services add up to more than {MAX_TOTAL_LOG_RATE} lines per minute"
                    ),
                ));
            }
        }
    }
    dependency_edges(s).map(|_| ()).map_err(|(i, k, kind)| {
        at(&ValuePath::root().field("services").index(i).field("depends_on").index(k).field("on"), kind)
    })
}

/// A metric's declared bounds: `bounded_by` another metric of its service, a finite `max`, a `timeout`
/// on a latency.
fn check_metric_bounds(path: &ValuePath, svc: &Service, m: &MetricSpec) -> Check {
    let context = || format!("metric `{}` of service `{}`", shown(&m.name), shown(&svc.id));
    if let Some(other) = &m.bounded_by {
        let others: Vec<String> = svc.metrics.iter().filter(|x| x.name != m.name).map(|x| x.name.clone()).collect();
        known(&path.field("bounded_by"), "metric", other, &others, || format!("`bounded_by` of {}", context()))?;
    }
    if let Some(max) = m.max {
        number(&path.field("max"), context(), max, (0.0, MAX_VALUE), "max")?;
    }
    if let Some(t) = m.timeout {
        if m.unit != Unit::Millis {
            return Err(invalid(
                &path.field("timeout"),
                context(),
                "a `timeout` caps a latency; give it on a metric with `unit: Millis`",
            ));
        }
        duration(&path.field("timeout"), context(), t, 1, MAX_WINDOW)?;
    }
    Ok(())
}

/// Services ordered so that every dependency comes before its dependents.
pub fn dependency_order(s: &Scenario) -> Result<Vec<usize>, ScenarioErrorKind> {
    dependency_edges(s).map_err(|(_, _, kind)| kind)
}

/// The dependency order, or the circle with the edge that closes it (service index, `depends_on` index).
fn dependency_edges(s: &Scenario) -> Result<Vec<usize>, (usize, usize, ScenarioErrorKind)> {
    let index: BTreeMap<&str, usize> = s.services.iter().enumerate().map(|(i, x)| (x.id.as_str(), i)).collect();
    let mut state = vec![0u8; s.services.len()]; // 0 new, 1 on the stack, 2 done
    let mut order = Vec::with_capacity(s.services.len());
    // An explicit stack of (service, next dependency to visit): deep chains cannot overflow the call stack.
    for start in 0..s.services.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(top) = stack.last_mut() {
            let (i, edge) = *top;
            let deps = &s.services[i].depends_on;
            if edge == deps.len() {
                state[i] = 2;
                order.push(i);
                stack.pop();
                continue;
            }
            top.1 += 1;
            let Some(&j) = index.get(deps[edge].on.as_str()) else { continue };
            match state[j] {
                0 => {
                    state[j] = 1;
                    stack.push((j, 0));
                }
                1 => {
                    let from = stack.iter().position(|&(x, _)| x == j).unwrap_or(0);
                    let mut circle: Vec<String> =
                        stack[from..].iter().map(|&(x, _)| s.services[x].id.clone()).collect();
                    circle.push(s.services[j].id.clone());
                    return Err((i, edge, ScenarioErrorKind::DependencyCycle { circle }));
                }
                _ => {}
            }
        }
    }
    Ok(order)
}

fn check_telemetry(s: &Scenario, names: &Names) -> Check {
    let root = ValuePath::root();
    for (i, c) in s.changes.iter().enumerate() {
        names.service(&root.field("changes").index(i).field("service"), &c.service, || {
            format!("change `{}`", shown(&c.summary))
        })?;
    }
    for (i, f) in s.flags.iter().enumerate() {
        names.service(&root.field("flags").index(i).field("service"), &f.service, || {
            format!("flag `{}`", shown(&f.id))
        })?;
    }
    for (i, a) in s.alerts.iter().enumerate() {
        let here = root.field("alerts").index(i);
        let context = || format!("alert `{}`", shown(&a.name));
        names.metric((&here.field("service"), &a.service), (&here.field("metric"), &a.metric), context)?;
        number(&here.field("threshold"), context(), a.threshold, (-MAX_VALUE, MAX_VALUE), "threshold")?;
        duration(&here.field("sustained"), context(), a.sustained, 0, MAX_WINDOW)?;
    }
    for (i, slo) in s.slos.iter().enumerate() {
        let here = root.field("slos").index(i);
        let metric = match slo.kind {
            SloKind::Availability => "error_rate",
            SloKind::Latency(_) => "latency_p99",
        };
        let context = || format!("the SLO of `{}`, which reads `{metric}`", shown(&slo.service));
        names.metric((&here.field("service"), &slo.service), (&here.field("service"), metric), context)?;
        if let SloKind::Latency(ms) = slo.kind {
            number(&here.field("kind").index(0), context(), ms, (0.0, MAX_VALUE), "latency threshold")?;
        }
        if !(slo.target > 0.0 && slo.target < 1.0) {
            return Err(invalid(&here.field("target"), context(), "target must lie strictly between 0 and 1"));
        }
        duration(&here.field("window"), context(), slo.window, 60, MAX_WINDOW)?;
    }
    if let SeverityPolicy::Custom(tiers) = &s.severity_policy {
        let list = root.field("severity_policy").index(0);
        if tiers.is_empty() {
            return Err(invalid(&list, "severity_policy", "a custom policy needs at least one tier"));
        }
        for (k, t) in tiers.iter().enumerate() {
            let here = list.index(k);
            let context = || format!("severity tier `{}`", shown(&t.name));
            duration(&here.field("window"), context(), t.window, 60, MAX_WINDOW)?;
            if let Some(short) = t.short_window {
                duration(&here.field("short_window"), context(), short, 60, t.window.secs())?;
            }
            if !(t.budget > 0.0 && t.budget <= 1.0) {
                return Err(invalid(&here.field("budget"), context(), "budget must lie in (0, 1]"));
            }
        }
    }
    for (i, m) in s.messages.iter().enumerate() {
        let when = root.field("messages").index(i).field("when");
        check_trigger(&when, &m.when, names, &format!("message from `{}`", shown(&m.from)))?;
    }
    Ok(())
}

fn check_tracks(s: &Scenario, names: &Names) -> Check {
    let root = ValuePath::root();
    let Some(main) = s.tracks.first() else {
        return Err(invalid(&root.field("tracks"), "tracks", "a scenario needs at least one track"));
    };
    for (t, track) in s.tracks.iter().enumerate() {
        let here = root.field("tracks").index(t);
        let own: Vec<String> = track.states.iter().map(|x| x.id.clone()).collect();
        known(&here.field("initial"), "state", &track.initial, &own, || {
            format!("`initial` of track `{}`", shown(&track.id))
        })?;
        for (j, st) in track.states.iter().enumerate() {
            let state = here.field("states").index(j);
            let context = format!("state `{}`", shown(&st.id));
            for (k, sym) in st.symptoms.iter().enumerate() {
                check_symptom(&state.field("symptoms").index(k), sym, names, &context)?;
            }
            for (list, effects) in [("on_enter", &st.on_enter), ("on_exit", &st.on_exit)] {
                for (k, eff) in effects.iter().enumerate() {
                    check_effect(&state.field(list).index(k), eff, names, &context)?;
                }
            }
            for (k, o) in st.couplings.iter().enumerate() {
                check_coupling(&state.field("couplings").index(k), o, s, names, &context)?;
            }
            for (k, tr) in st.transitions.iter().enumerate() {
                let transition = state.field("transitions").index(k);
                known(&transition.field("to"), "state", &tr.to, &own, || {
                    format!("a transition of {context} (same track `{}`)", shown(&track.id))
                })?;
                check_trigger(&transition.field("when"), &tr.when, names, &context)?;
            }
        }
        if let Some(j) = unreachable(track).into_iter().next() {
            return Err(at(
                &here.field("states").index(j).field("id"),
                ScenarioErrorKind::UnreachableState { state: track.states[j].id.clone(), track: track.id.clone() },
            ));
        }
    }
    if !main.states.iter().any(|x| x.phase == Phase::Resolved) {
        return Err(at(
            &root.field("tracks").index(0).field("states"),
            ScenarioErrorKind::NoResolvedState { track: main.id.clone() },
        ));
    }
    Ok(())
}

/// A coupling override names a service and one of its dependencies, with a weight within 0..=1.
fn check_coupling(path: &ValuePath, o: &CouplingOverride, s: &Scenario, names: &Names, context: &str) -> Check {
    names.service(&path.field("service"), &o.service, || context.to_string())?;
    let deps: Vec<String> = s
        .services
        .iter()
        .find(|x| x.id == o.service)
        .map(|x| x.depends_on.iter().map(|d| d.on.clone()).collect())
        .unwrap_or_default();
    known(&path.field("on"), "dependency", &o.on, &deps, || format!("{context} (service `{}`)", shown(&o.service)))?;
    match o.weight {
        Some(w) => number(&path.field("weight"), context, w, (0.0, 1.0), "weight"),
        None => Ok(()),
    }
}

/// Indexes of the states no transition reaches from the initial state.
fn unreachable(track: &Track) -> Vec<usize> {
    let mut seen = BTreeSet::from([track.initial.as_str()]);
    let mut queue = VecDeque::from([track.initial.as_str()]);
    while let Some(id) = queue.pop_front() {
        let Some(st) = track.states.iter().find(|x| x.id == id) else {
            continue;
        };
        for tr in &st.transitions {
            if seen.insert(tr.to.as_str()) {
                queue.push_back(tr.to.as_str());
            }
        }
    }
    (0..track.states.len()).filter(|&j| !seen.contains(track.states[j].id.as_str())).collect()
}

fn check_symptom(path: &ValuePath, sym: &Symptom, names: &Names, context: &str) -> Check {
    match sym {
        Symptom::Metric { service, metric, shift, ramp, delay, when, members } => {
            names.metric((&path.field("service"), service), (&path.field("metric"), metric), || context.to_string())?;
            let (Shift::Set(v) | Shift::Scale(v) | Shift::Add(v)) = *shift;
            let shift_at = path.field("shift").index(0);
            number(&shift_at, context, v, (-MAX_VALUE, MAX_VALUE), "shift")?;
            if let Shift::Scale(f) = shift
                && *f < 0.0
            {
                return Err(invalid(
                    &shift_at,
                    context,
                    format!("`Scale({f})` would make the value negative; a factor is 0 or more"),
                ));
            }
            duration(&path.field("ramp"), context, *ramp, 0, MAX_WINDOW)?;
            duration(&path.field("delay"), context, *delay, 0, MAX_WINDOW)?;
            check_members(&path.field("members"), service, members, names, context)?;
            match when {
                Some(t) => check_trigger(&path.field("when"), t, names, context),
                None => Ok(()),
            }
        }
        Symptom::Logs { service, rate, template: text, .. } => {
            names.service(&path.field("service"), service, || context.to_string())?;
            template(&path.field("template"), context, text)?;
            number(&path.field("rate"), context, *rate, (0.0, MAX_LOG_RATE), "rate (lines per minute)")
        }
        // Checked with the network elements (`network.rs`).
        Symptom::Network { .. } => Ok(()),
    }
}

/// A fleet has 1 to [`MAX_FLEET`] members, its names (if any) are distinct names and as many as `count`,
/// and its weights are no more than its members.
fn check_fleet(path: &ValuePath, service: &str, fleet: &Fleet) -> Check {
    let context = || format!("fleet of service `{}`", shown(service));
    let size = fleet.size();
    if size == 0 || size > MAX_FLEET as usize {
        return Err(invalid(&path.field("count"), context(), format!("a fleet has 1 to {MAX_FLEET} members")));
    }
    if !fleet.names.is_empty() && fleet.count as usize != fleet.names.len() && fleet.count != 0 {
        return Err(invalid(
            &path.field("names"),
            context(),
            format!("{} names for a `count` of {}; give one name per member", fleet.names.len(), fleet.count),
        ));
    }
    let mut seen = BTreeSet::new();
    for (k, name) in fleet.names.iter().enumerate() {
        check_word(&path.field("names").index(k), "member", name)?;
        if !seen.insert(name.as_str()) {
            return Err(at(
                &path.field("names").index(k),
                ScenarioErrorKind::Duplicate { what: "member", name: name.clone() },
            ));
        }
    }
    if fleet.weights.len() > size {
        return Err(invalid(&path.field("weights"), context(), format!("more weights than the {size} members")));
    }
    for (k, w) in fleet.weights.iter().enumerate() {
        number(&path.field("weights").index(k), context(), *w, (0.0, MAX_VALUE), "weight")?;
    }
    Ok(())
}

/// Members a symptom hits exist: a fraction within 0..=1, named members of the service's fleet, and
/// anything but `All` only on a fleet.
fn check_members(path: &ValuePath, service: &str, members: &Members, names: &Names, context: &str) -> Check {
    if *members == Members::All {
        return Ok(());
    }
    let Some(fleet) = names.fleets.get(service) else {
        return Err(invalid(path, context, format!("service `{}` has no fleet to pick members from", shown(service))));
    };
    match members {
        Members::Fraction(f) => number(&path.index(0), context, *f, (0.0, 1.0), "fraction"),
        Members::Named(list) => {
            let all = fleet.member_names(service);
            for (k, name) in list.iter().enumerate() {
                if fleet.position(service, name).is_none() {
                    let suggest = if all.len() <= 1000 { super::closest(name, &all) } else { None };
                    let hint = suggest.map_or(String::new(), |b| format!("; did you mean `{b}`?"));
                    return Err(invalid(
                        &path.index(0).index(k),
                        context,
                        format!("no member `{}` in the fleet of `{}`{hint}", shown(name), shown(service)),
                    ));
                }
            }
            Ok(())
        }
        Members::All | Members::Count(_) => Ok(()),
    }
}

fn check_effect(path: &ValuePath, eff: &Effect, names: &Names, context: &str) -> Check {
    match eff {
        Effect::Log { service, .. }
        | Effect::Change { service, .. }
        | Effect::Version { service, .. }
        | Effect::SetConfig { service, .. } => names.service(&path.field("service"), service, || context.to_string()),
        Effect::SetFlag { flag, .. } => known(&path.field("flag"), "flag", flag, &names.flags, || context.to_string()),
        // Checked with the processes they name (`world.rs`).
        Effect::SetCapacity { .. } | Effect::Control { .. } => Ok(()),
    }
}

fn check_trigger(path: &ValuePath, t: &Trigger, names: &Names, context: &str) -> Check {
    let of = || format!("a trigger of {context}");
    match t {
        Trigger::After(_) | Trigger::Gm(_) => Ok(()),
        Trigger::At(d) => {
            duration(&path.index(0), format!("an `At` trigger of {context}"), *d, -names.history, MAX_WINDOW)
        }
        Trigger::Chance(p) => {
            number(&path.index(0), format!("a `Chance` trigger of {context}"), *p, (0.0, 1.0), "probability")
        }
        Trigger::AfterRandom(lo, hi) => {
            let context = format!("an `AfterRandom` trigger of {context}");
            duration(&path.index(0), context.clone(), *lo, 0, MAX_WINDOW)?;
            duration(&path.index(1), context, *hi, lo.secs(), MAX_WINDOW)
        }
        Trigger::In(state) => check_state_name(&path.index(0), state, names, &format!("an `In` trigger of {context}")),
        Trigger::Action { action, target, arg, done } => {
            known(&path.field("action"), "action", action, &names.actions, of)?;
            check_action_target(&path.field("target"), action, target.as_deref(), names, &of())?;
            if let Some(done) = done {
                super::outcome_check::check_done(&path.field("done"), done, &of())?;
            }
            match arg {
                Some(test) => check_arg_test(&path.field("arg"), action, test, names, &of()),
                None => Ok(()),
            }
        }
        Trigger::Counter { counter, value, .. } => {
            known(&path.field("counter"), "counter", counter, &names.counters, of)?;
            number(
                &path.field("value"),
                format!("a `Counter` trigger of {context}"),
                *value,
                (-MAX_VALUE, MAX_VALUE),
                "value",
            )
        }
        Trigger::Command { command, .. } => known(&path.field("command"), "command", command, &names.commands, of),
        Trigger::Metric { service, metric, value, sustained, .. } => {
            names.metric((&path.field("service"), service), (&path.field("metric"), metric), of)?;
            let context = format!("a `Metric` trigger of {context}");
            number(&path.field("value"), context.clone(), *value, (-MAX_VALUE, MAX_VALUE), "value")?;
            duration(&path.field("sustained"), context, *sustained, 0, MAX_WINDOW)
        }
        Trigger::Reached(state) => {
            check_state_name(&path.index(0), state, names, &format!("a `Reached` trigger of {context}"))
        }
        Trigger::All(inner) | Trigger::Any(inner) => {
            inner.iter().enumerate().try_for_each(|(k, t)| check_trigger(&path.index(0).index(k), t, names, context))
        }
        Trigger::Not(inner) => check_trigger(&path.index(0), inner, names, context),
    }
}

/// A state written `"state"` or `"track.state"`; with a track, the state must be one of that track's.
fn check_state_name(path: &ValuePath, name: &str, names: &Names, context: &str) -> Check {
    let exists = |n: &str| names.states.iter().any(|s| s == n);
    match state_name(name, exists) {
        Some(state) if state == name => Ok(()),
        Some(state) => {
            let track = &name[..name.len() - state.len() - 1];
            let qualified: Vec<String> = names
                .track_states
                .iter()
                .flat_map(|(t, states)| states.iter().map(move |s| format!("{t}.{s}")))
                .collect();
            let owns = names.track_states.get(track).is_some_and(|own| own.iter().any(|s| s == state));
            if owns { Ok(()) } else { known(path, "state", name, &qualified, || context.to_string()) }
        }
        None => known(path, "state", name, &names.states, || context.to_string()),
    }
}

/// A test on an action's argument: the action takes one, and the test fits its type.
fn check_arg_test(path: &ValuePath, action: &str, test: &ArgTest, names: &Names, context: &str) -> Check {
    let Some(Some(spec)) = names.action_args.get(action) else {
        return Err(invalid(path, context, format!("action `{}` takes no argument to test", shown(action))));
    };
    match (test, &spec.kind) {
        (ArgTest::Is(word), ArgType::Choice(words)) => {
            known(&path.index(0), "choice", word, words, || context.to_string())
        }
        (ArgTest::Is(_), _) => {
            Err(invalid(path, context, "`Is` tests a choice; compare numbers with `Below`, `Above` or `Between`"))
        }
        (_, ArgType::Choice(_)) => Err(invalid(path, context, "a choice is tested with `Is(\"word\")`")),
        (ArgTest::Below(x) | ArgTest::Above(x), _) => {
            number(&path.index(0), context, *x, (-MAX_VALUE, MAX_VALUE), "value")
        }
        (ArgTest::Between(lo, hi), _) => {
            number(&path.index(0), context, *lo, (-MAX_VALUE, MAX_VALUE), "value")?;
            number(&path.index(1), context, *hi, (*lo, MAX_VALUE), "upper bound")
        }
    }
}

/// A target named with an action must be one the action accepts, or the trigger could never match.
fn check_action_target(path: &ValuePath, action: &str, target: Option<&str>, names: &Names, context: &str) -> Check {
    let Some(target) = target else { return Ok(()) };
    let accepted = names.action_targets.get(action).cloned().unwrap_or_default();
    let member_of = |t: &String| names.fleets.get(t).is_some_and(|f| f.target_members(t, target).is_some());
    if accepted.iter().any(|t| t == target || member_of(t)) {
        return Ok(());
    }
    Err(at(
        path,
        ScenarioErrorKind::BadTarget {
            action: action.to_string(),
            target: target.to_string(),
            context: context.to_string(),
            candidates: accepted,
        },
    ))
}

fn check_actions(s: &Scenario, names: &Names) -> Check {
    let root = ValuePath::root();
    let elements = s.network.iter().map(|e| &e.id);
    let mut candidates: Vec<String> = names.services.iter().chain(&names.flags).chain(elements).cloned().collect();
    candidates.sort();
    for (i, a) in s.actions.iter().enumerate() {
        let here = root.field("actions").index(i);
        let context = || format!("targets of action `{}`", shown(&a.id));
        for (k, target) in a.targets.iter().enumerate() {
            known(&here.field("targets").index(k), "target", target, &candidates, context)?;
        }
        if let Some(cost) = a.cost {
            duration(&here.field("cost"), format!("action `{}`", shown(&a.id)), cost, 0, MAX_COST)?;
        }
        if let Some(counter) = &a.counts {
            known(&here.field("counts"), "counter", counter, &names.counters, || format!("action `{}`", shown(&a.id)))?;
        }
        if let Some(arg) = &a.arg {
            check_action_arg(&here.field("arg"), &a.id, arg)?;
        }
        let trigger = |path: &ValuePath, t: &Trigger, context: &str| check_trigger(path, t, names, context);
        super::outcome_check::check_action(s, &here, a, &trigger)?;
    }
    let trigger = |path: &ValuePath, t: &Trigger, context: &str| check_trigger(path, t, names, context);
    super::outcome_check::check_diagnostics(s, &trigger)?;
    for (i, c) in s.counters.iter().enumerate() {
        let here = root.field("counters").index(i);
        number(
            &here.field("initial"),
            format!("counter `{}`", shown(&c.id)),
            c.initial,
            (-MAX_VALUE, MAX_VALUE),
            "initial",
        )?;
    }
    let costs = root.field("costs");
    for (command, cost) in &s.costs {
        known(&costs.key(command), "command", command, &names.commands, || "`costs`".to_string())?;
        let class = command_spec(command).map(|c| c.cost);
        if let Some(class @ (CostClass::Free | CostClass::Given)) = class {
            let why = if class == CostClass::Given { "takes the time it is given" } else { "takes no time" };
            return Err(invalid(&costs.key(command), "`costs`", format!("`{command}` {why}; it cannot have a cost")));
        }
        duration(&costs.value(command), format!("the cost of `{command}`"), *cost, 0, MAX_COST)?;
    }
    Ok(())
}

/// An action's argument: a one-word name, bounds in order, and a choice of distinct one-word options.
fn check_action_arg(path: &ValuePath, action: &str, arg: &ActionArg) -> Check {
    let context = format!("the argument of action `{}`", shown(action));
    check_word(&path.field("name"), "argument", &arg.name)?;
    let lo = arg.min.unwrap_or(-MAX_VALUE);
    if let Some(min) = arg.min {
        number(&path.field("min"), context.clone(), min, (-MAX_VALUE, MAX_VALUE), "min")?;
    }
    if let Some(max) = arg.max {
        number(&path.field("max"), context.clone(), max, (-MAX_VALUE, MAX_VALUE), "max")?;
        if max < lo {
            return Err(invalid(&path.field("max"), context, format!("max {max} is below min {lo}")));
        }
    }
    if let ArgType::Choice(words) = &arg.kind {
        if words.is_empty() {
            return Err(invalid(&path.field("kind"), context, "a choice needs at least one word"));
        }
        let list = path.field("kind").index(0);
        unique("choice", words.iter().enumerate().map(|(k, w)| (list.index(k), w)))?;
    }
    Ok(())
}

/// A rubric action's `when`: states that exist, actions and targets that exist.
fn check_moments(path: &ValuePath, when: &[crate::scenario::ActionMoment], names: &Names, context: &str) -> Check {
    use crate::scenario::ActionMoment;
    for (k, m) in when.iter().enumerate() {
        let here = path.index(k);
        match m {
            ActionMoment::In(state) => {
                check_state_name(&here.index(0), state, names, &format!("an `In` of {context}"))?
            }
            ActionMoment::Before { action, target } | ActionMoment::After { action, target } => {
                known(&here.field("action"), "action", action, &names.actions, || context.to_string())?;
                check_action_target(&here.field("target"), action, target.as_deref(), names, context)?;
            }
            ActionMoment::Within(_) => {}
        }
    }
    Ok(())
}

fn check_rubric(s: &Scenario, names: &Names) -> Check {
    let root = ValuePath::root();
    let rubric = root.field("rubric");
    for (i, h) in s.rubric.harmful.iter().enumerate() {
        let here = rubric.field("harmful").index(i);
        known(&here.field("action"), "action", &h.action, &names.actions, || "`rubric.harmful`".to_string())?;
        check_action_target(&here.field("target"), &h.action, h.target.as_deref(), names, "`rubric.harmful`")?;
        check_moments(&here.field("when"), &h.when, names, "`rubric.harmful`")?;
    }
    for (i, g) in s.rubric.good.iter().enumerate() {
        let here = rubric.field("good").index(i);
        known(&here.field("action"), "action", &g.action, &names.actions, || "`rubric.good`".to_string())?;
        check_action_target(&here.field("target"), &g.action, g.target.as_deref(), names, "`rubric.good`")?;
        check_moments(&here.field("when"), &g.when, names, "`rubric.good`")?;
    }
    let keywords = root.field("root_cause").field("keywords");
    if s.root_cause.keywords.is_empty() {
        return Err(invalid(&keywords, "root_cause.keywords", "give at least one group, each with at least one word"));
    }
    for (k, group) in s.root_cause.keywords.iter().enumerate() {
        if group.is_empty() || group.iter().any(|w| w.trim().is_empty()) {
            return Err(invalid(
                &keywords.index(k),
                "root_cause.keywords",
                "each group needs at least one word, and no word can be empty",
            ));
        }
    }
    for (i, e) in s.rubric.evidence.iter().enumerate() {
        let here = rubric.field("evidence").index(i);
        let context = || format!("evidence `{}`", shown(&e.id));
        if e.observe.is_empty() && e.seen.trim().is_empty() {
            return Err(invalid(&here.field("seen"), context(), "`seen` cannot be empty"));
        }
        let at = here.field("observe");
        for o in &e.observe {
            let (what, text) = match o {
                Observation::Metric { service, metric } => {
                    names.metric((&at, service), (&at, metric), context)?;
                    continue;
                }
                Observation::Log { service, contains } => {
                    names.service(&at, service, context)?;
                    ("contains", contains)
                }
                Observation::Change { contains } => ("contains", contains),
                Observation::Message { from } => ("from", from),
                Observation::Diagnostic { diagnostic, contains } => {
                    let ids: Vec<String> = s.diagnostics.iter().map(|d| d.id.clone()).collect();
                    known(&at, "diagnostic", diagnostic, &ids, context)?;
                    ("contains", contains)
                }
            };
            if text.trim().is_empty() {
                return Err(invalid(&at, context(), format!("`{what}` cannot be empty")));
            }
        }
    }
    for (name, goal) in [("declare", &s.rubric.declare), ("mitigate", &s.rubric.mitigate)] {
        duration(&rubric.field(name).field("within"), format!("rubric.{name}"), goal.within, 0, MAX_WINDOW)?;
    }
    duration(&rubric.field("updates").field("every"), "rubric.updates", s.rubric.updates.every, 60, MAX_WINDOW)?;
    check_audiences_and_habits(s)
}

/// `rubric.audiences` and `rubric.responders`: audiences are unique one-word ids other than `incident` (the
/// channel `updates` scores) with a cadence of at least a minute; habits name alerts and teams that exist.
fn check_audiences_and_habits(s: &Scenario) -> Check {
    let rubric = ValuePath::root().field("rubric");
    let audiences = rubric.field("audiences");
    unique("audience", s.rubric.audiences.iter().enumerate().map(|(i, a)| (audiences.index(i).field("id"), &a.id)))?;
    for (i, a) in s.rubric.audiences.iter().enumerate() {
        let here = audiences.index(i);
        if a.id == "incident" {
            return Err(invalid(
                &here.field("id"),
                "rubric.audiences",
                "`incident` is the incident channel, which `rubric.updates` scores; name the audience otherwise",
            ));
        }
        duration(&here.field("every"), format!("audience `{}`", shown(&a.id)), a.every, 60, MAX_WINDOW)?;
    }
    let five_ws = rubric.field("five_ws");
    for w in ["what", "where", "why", "when", "who"] {
        for (k, group) in s.rubric.five_ws.keywords(w).iter().enumerate() {
            if group.is_empty() || group.iter().any(|word| word.trim().is_empty()) {
                return Err(invalid(
                    &five_ws.field(w).index(k),
                    format!("rubric.five_ws.{w}"),
                    "each group needs at least one word, and no word can be empty",
                ));
            }
        }
    }
    let alerts: Vec<String> = s.alerts.iter().map(|a| a.name.clone()).collect();
    let teams: Vec<String> = s.teams.iter().map(|t| t.id.clone()).collect();
    for (i, goal) in s.rubric.responders.iter().enumerate() {
        let here = rubric.field("responders").index(i);
        let context = || "`rubric.responders`".to_string();
        match goal {
            ResponderGoal::Silence { alert, .. } => known(&here, "alert", alert, &alerts, context)?,
            ResponderGoal::Escalate { team, .. } => known(&here, "team", team, &teams, context)?,
            ResponderGoal::Ack { .. } | ResponderGoal::Reply { .. } => {}
        }
    }
    Ok(())
}
