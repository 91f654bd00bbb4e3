//! The incident state machines as data: compiled triggers, states, volunteer/GM inputs, and the inventory
//! effects change. The systems that move them (`take_transitions`, `deliver_messages`) are in `systems.rs`.

use super::symptoms::{LogSymptom, MetricSymptom};
use crate::scenario::Template;
use crate::scenario::{Channel, Comparison, Effect, Phase, Scenario, Trigger};
use bevy_ecs::prelude::*;
use std::collections::BTreeMap;

/// A trigger with names resolved to indices.
#[derive(Clone, Debug)]
pub enum Condition {
    /// Since-page time reached.
    At(i64),
    /// Time in state (or since the page) reached.
    After(i64),
    /// A `mitigate` input, with a test on its argument and on how much of it is done (none: complete).
    Action {
        action: String,
        target: Option<String>,
        arg: Option<crate::scenario::ArgTest>,
        done: Option<crate::scenario::ArgTest>,
    },
    /// A counter comparison.
    Counter { slot: usize, op: Comparison, value: f64 },
    /// A command input, optionally with text its line must contain.
    Command { command: String, target: Option<String>, contains: Option<String> },
    /// A metric comparison held for `sustained` seconds; `slot` indexes the held-since table.
    Metric { slot: usize },
    /// A GM trigger.
    Gm(String),
    /// A state reached (sticky).
    Reached(usize),
    /// A state current now.
    In(usize),
    /// This tick's draw in `slot` fell below the probability.
    Chance { slot: usize, p: f64 },
    /// Time in state reached the delay drawn into `slot` on entry.
    AfterRandom { slot: usize },
    /// All of these.
    All(Vec<Condition>),
    /// Any of these.
    Any(Vec<Condition>),
    /// Not this.
    Not(Box<Condition>),
}

/// A metric comparison tracked every tick.
#[derive(Clone, Copy, Debug)]
pub struct Watch {
    /// Series index.
    pub series: usize,
    /// Comparison.
    pub op: Comparison,
    /// Threshold.
    pub value: f64,
    /// How long it must hold.
    pub sustained: i64,
}

/// Something the volunteer or GM did that triggers may react to.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// `mitigate <action> [<target>] [<argument>]`, landed whole.
    Action { action: String, target: Option<String>, arg: Option<ArgValue> },
    /// One landing of a staged or partial action: `done` of it so far, `part` of it in this landing.
    Stage { action: String, target: Option<String>, arg: Option<ArgValue>, done: f64, part: f64 },
    /// Any volunteer command with its first argument and the whole line.
    Command { command: String, target: Option<String>, line: String },
    /// A GM trigger.
    Gm(String),
}

/// An action's argument as typed and as a number (a percent as a fraction, a duration in seconds, a
/// choice as its position).
#[derive(Clone, Debug, PartialEq)]
pub struct ArgValue {
    /// The number compared by triggers and added to counters.
    pub number: f64,
    /// The word typed (normalised), which `Is` compares.
    pub text: String,
}

/// A state with everything resolved.
#[derive(Clone, Debug)]
pub struct StatePlan {
    /// Id.
    pub id: String,
    /// Phase.
    pub phase: Phase,
    /// Metric symptoms.
    pub metric_symptoms: Vec<MetricSymptom>,
    /// Log symptoms.
    pub log_symptoms: Vec<LogSymptom>,
    /// On entry.
    pub on_enter: Vec<Effect>,
    /// On exit.
    pub on_exit: Vec<Effect>,
    /// (destination index in the track, condition).
    pub transitions: Vec<(usize, Condition)>,
    /// `AfterRandom` slots of its transitions, drawn again on entry.
    pub random_slots: Vec<usize>,
    /// Dependency edges it overrides while current.
    pub couplings: Vec<EdgeOverride>,
    /// Time that passes at once on entry.
    pub skip: Option<crate::scenario::TimeSkip>,
}

/// A state's override of one dependency edge, resolved.
#[derive(Clone, Copy, Debug)]
pub struct EdgeOverride {
    /// The dependent service's index.
    pub service: u32,
    /// Position of the edge in its `depends_on`.
    pub edge: usize,
    /// Coupling in force, if overridden.
    pub coupling: Option<crate::scenario::Coupling>,
    /// Weight in force, if overridden.
    pub weight: Option<f64>,
}

/// A message with its resolved trigger.
#[derive(Clone, Debug)]
pub struct MessagePlan {
    /// Sender.
    pub from: String,
    /// Channel.
    pub channel: Channel,
    /// Text.
    pub text: String,
    /// When.
    pub when: Condition,
}

/// The running state machines.
#[derive(Resource, Debug)]
pub struct Incident {
    /// Per track: id, states, current state index, entry time.
    pub tracks: Vec<TrackRun>,
    /// Whether each global state has been reached.
    pub reached: Vec<bool>,
    /// Whether each global state is its track's current state.
    pub current: Vec<bool>,
    /// Conditions of metric symptoms with a `when`, indexed by `MetricSymptom::when`.
    pub symptom_conditions: Vec<Condition>,
    /// The drill's stream for chance, seeded from the drill's seed.
    pub rng: rand_pcg::Pcg64Mcg,
    /// This tick's draws, one per `Chance` condition.
    pub rolls: Vec<f64>,
    /// Drawn delays, one per `AfterRandom` condition, and their bounds.
    pub delays: Vec<i64>,
    /// Bounds of each `AfterRandom` delay, in seconds.
    pub delay_bounds: Vec<(i64, i64)>,
    /// Counter values, in the scenario's order.
    pub counters: Vec<f64>,
    /// Action id → the counter it adds to.
    pub action_counters: BTreeMap<String, usize>,
    /// Inputs before this index have been added to counters.
    pub counted: usize,
    /// Inputs with their times.
    pub inputs: Vec<(i64, Input)>,
    /// Metric watches and since when each has held.
    pub watches: Vec<(Watch, Option<i64>)>,
    /// Messages and whether each has arrived.
    pub messages: Vec<(MessagePlan, bool)>,
    /// Set when any track changed state this tick, so symptoms are rebuilt.
    pub changed: bool,
    /// Set when any track changed state, so dependency edges are set again.
    pub edges_changed: bool,
    /// What any action visibly does (a deploy entry, a log line, a version), by landing time and service;
    /// applied unless the scenario's own effects already touched that service on that tick.
    pub routine: Vec<(i64, String, Vec<Effect>)>,
    /// Metric shifts the GM injected by hand, in force until the drill ends.
    pub injected: Vec<super::symptoms::ActiveMetricSymptom>,
    /// States the GM sent tracks to with `goto`, taken on the next tick: (track index, state index).
    pub forced: Vec<(usize, usize)>,
    /// Each action's outcome conditions, in order, judged when the action is typed.
    pub outcomes: BTreeMap<String, Vec<Condition>>,
    /// Each diagnostic's outputs, judged when it runs.
    pub diagnostics: BTreeMap<String, Vec<OutputCondition>>,
    /// Skips of states entered this tick, which `Sim::run_until` carries out once the tick is over.
    pub skips: Vec<crate::scenario::TimeSkip>,
}

/// When a diagnostic's output applies: for this target (any, when none) while this condition holds (always,
/// when none).
pub type OutputCondition = (Option<String>, Option<Condition>);

/// One running track.
#[derive(Debug)]
pub struct TrackRun {
    /// Track id.
    pub id: String,
    /// States.
    pub states: Vec<StatePlan>,
    /// Index of the current state.
    pub current: usize,
    /// When it was entered.
    pub entered_at: i64,
    /// Index of the first input that counts for the current state.
    pub inputs_from: usize,
    /// Inputs from the entry tick that the transition into the state used up.
    pub spent: Vec<usize>,
    /// Global index of the first state, for `reached`.
    pub offset: usize,
}

/// Resolves names to indices. The scenario has been validated, so lookups succeed.
pub struct Compiler<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Fleets, for symptoms that pick members.
    pub fleets: &'a super::fleet::Fleets,
    /// (service, metric) → series index.
    pub series: &'a BTreeMap<(String, String), usize>,
    /// Service id → index.
    pub services: &'a BTreeMap<String, u32>,
    /// State id → global index.
    pub states: BTreeMap<String, usize>,
    /// Metric watches allocated so far.
    pub watches: Vec<Watch>,
    /// Per-tick draws allocated so far (one per `Chance`).
    pub chances: usize,
    /// Random delays allocated so far: (low, high) seconds.
    pub delays: Vec<(i64, i64)>,
    /// Counter id → index.
    pub counters: BTreeMap<String, usize>,
}

impl Compiler<'_> {
    /// Global index of a state named `"state"` or `"track.state"` (validated, so it exists).
    fn state(&self, name: &str) -> usize {
        crate::scenario::state_name(name, |n| self.states.contains_key(n)).map_or(0, |n| self.states[n])
    }

    /// Compiles a scenario trigger.
    pub fn condition(&mut self, t: &Trigger) -> Condition {
        match t {
            Trigger::At(d) => Condition::At(d.secs()),
            Trigger::After(d) => Condition::After(d.secs()),
            Trigger::Action { action, target, arg, done } => Condition::Action {
                action: action.clone(),
                target: target.clone(),
                arg: arg.clone(),
                done: done.clone(),
            },
            Trigger::Counter { counter, op, value } => {
                Condition::Counter { slot: self.counters.get(counter).copied().unwrap_or(0), op: *op, value: *value }
            }
            Trigger::Command { command, target, contains } => {
                Condition::Command { command: command.clone(), target: target.clone(), contains: contains.clone() }
            }
            Trigger::Metric { service, metric, op, value, sustained } => {
                let series = self.series[&(service.clone(), metric.clone())];
                self.watches.push(Watch { series, op: *op, value: *value, sustained: sustained.secs() });
                Condition::Metric { slot: self.watches.len() - 1 }
            }
            Trigger::Gm(name) => Condition::Gm(name.clone()),
            Trigger::Reached(state) => Condition::Reached(self.state(state)),
            Trigger::In(state) => Condition::In(self.state(state)),
            Trigger::Chance(p) => {
                self.chances += 1;
                Condition::Chance { slot: self.chances - 1, p: *p }
            }
            Trigger::AfterRandom(lo, hi) => {
                self.delays.push((lo.secs(), hi.secs().max(lo.secs())));
                Condition::AfterRandom { slot: self.delays.len() - 1 }
            }
            Trigger::All(inner) => Condition::All(inner.iter().map(|t| self.condition(t)).collect()),
            Trigger::Any(inner) => Condition::Any(inner.iter().map(|t| self.condition(t)).collect()),
            Trigger::Not(inner) => Condition::Not(Box::new(self.condition(inner))),
        }
    }
}

/// What a condition is judged against.
pub struct Context<'a> {
    /// Tick time.
    pub now: i64,
    /// When the current state began (for messages: the page); `After` counts from here.
    pub since: i64,
    /// Inputs before this index had landed when the state was entered and do not count for it (for
    /// messages: 0, every input counts).
    pub inputs_from: usize,
    /// Inputs so far.
    pub inputs: &'a [(i64, Input)],
    /// Watches and since when each has held.
    pub watches: &'a [(Watch, Option<i64>)],
    /// Reached flags.
    pub reached: &'a [bool],
    /// Whether each global state is current.
    pub current: &'a [bool],
    /// Inputs that landed on the entry tick but were spent on the transition into the state.
    pub spent: &'a [usize],
    /// This tick's draws, one per `Chance`.
    pub rolls: &'a [f64],
    /// The drawn delays, one per `AfterRandom`.
    pub delays: &'a [i64],
    /// Counter values.
    pub counters: &'a [f64],
}

impl Condition {
    /// For the GM console: how far the time and metric parts of the condition are from holding (`None`
    /// when it has no such parts).
    pub fn progress(&self, now: i64, since: i64, watches: &[(Watch, Option<i64>)], frame: &[f64]) -> Option<String> {
        let left = |secs: i64| {
            if secs <= 0 { "due".to_string() } else { format!("in {}", crate::scenario::SimDuration(secs)) }
        };
        match self {
            Condition::At(t) => Some(left(t - now)),
            Condition::After(d) => Some(left(since + d - now)),
            Condition::Metric { slot } => {
                let (watch, held) = &watches[*slot];
                let value = frame.get(watch.series).copied().unwrap_or(0.0);
                let held = held.map_or("not holding".to_string(), |h| {
                    format!("holding for {}", crate::scenario::SimDuration(now - h))
                });
                Some(format!("now {value:.4}, {held}"))
            }
            Condition::All(inner) | Condition::Any(inner) => {
                let parts: Vec<String> = inner.iter().filter_map(|c| c.progress(now, since, watches, frame)).collect();
                (!parts.is_empty()).then(|| parts.join("; "))
            }
            Condition::Not(inner) => inner.progress(now, since, watches, frame),
            _ => None,
        }
    }

    /// Whether the condition holds.
    pub fn holds(&self, cx: &Context) -> bool {
        // Inputs count once their time has come (an action lands when it completes) and not before the state.
        let from = cx.inputs_from.min(cx.inputs.len());
        let recent = || {
            cx.inputs[from..]
                .iter()
                .enumerate()
                .filter(|(k, (t, _))| *t <= cx.now && !cx.spent.contains(&(from + k)))
                .map(|(_, (_, i))| i)
        };
        let target_ok = |want: &Option<String>, got: &Option<String>| want.is_none() || want == got;
        match self {
            Condition::At(t) => cx.now >= *t,
            Condition::After(d) => cx.now - cx.since >= *d,
            Condition::Action { .. } => recent().any(|i| self.uses(i)),
            Condition::Counter { slot, op, value } => cx.counters.get(*slot).is_some_and(|c| op.holds(*c, *value)),
            Condition::Command { command, target, contains } => recent().any(|i| {
                matches!(i, Input::Command { command: c, target: t, line }
                    if c == command && target_ok(target, t) && contains.as_ref().is_none_or(|p| line.contains(p.as_str())))
            }),
            Condition::Metric { slot } => {
                let (watch, since) = &cx.watches[*slot];
                since.is_some_and(|s| cx.now - s >= watch.sustained)
            }
            Condition::Gm(name) => recent().any(|i| matches!(i, Input::Gm(n) if n == name)),
            Condition::Reached(state) => cx.reached[*state],
            Condition::In(state) => cx.current[*state],
            Condition::Chance { slot, p } => cx.rolls.get(*slot).is_some_and(|r| r < p),
            Condition::AfterRandom { slot } => cx.delays.get(*slot).is_some_and(|d| cx.now - cx.since >= *d),
            Condition::All(inner) => inner.iter().all(|c| c.holds(cx)),
            Condition::Any(inner) => inner.iter().any(|c| c.holds(cx)),
            Condition::Not(inner) => !inner.holds(cx),
        }
    }

    /// Whether `input` is one this condition reacts to (an action, command or GM trigger it names), so a
    /// transition taken on it spends it.
    pub fn uses(&self, input: &Input) -> bool {
        let target_ok = |want: &Option<String>, got: &Option<String>| want.is_none() || want == got;
        match (self, input) {
            (Condition::Action { action, target, arg, done }, Input::Action { action: a, target: t, arg: v }) => {
                a == action && target_ok(target, t) && arg_ok(arg, v) && done_ok(done, 1.0)
            }
            (
                Condition::Action { action, target, arg, done },
                Input::Stage { action: a, target: t, arg: v, done: d, .. },
            ) => a == action && target_ok(target, t) && arg_ok(arg, v) && done_ok(done, *d),
            (Condition::Command { command, target, .. }, Input::Command { command: c, target: t, .. }) => {
                c == command && target_ok(target, t)
            }
            (Condition::Gm(name), Input::Gm(n)) => n == name,
            (Condition::All(inner) | Condition::Any(inner), _) => inner.iter().any(|c| c.uses(input)),
            _ => false,
        }
    }

    /// The `AfterRandom` slots in this condition, whose delays are drawn again when its state is entered.
    pub fn random_slots(&self, out: &mut Vec<usize>) {
        match self {
            Condition::AfterRandom { slot } => out.push(*slot),
            Condition::All(inner) | Condition::Any(inner) => inner.iter().for_each(|c| c.random_slots(out)),
            Condition::Not(inner) => inner.random_slots(out),
            _ => {}
        }
    }
}

/// Whether the share of an action done so far passes a trigger's test (no test: the action is complete).
fn done_ok(test: &Option<crate::scenario::ArgTest>, done: f64) -> bool {
    match test {
        None => done >= 1.0 - 1e-9,
        Some(test) => test.holds(done, ""),
    }
}

/// Whether an action's argument passes a trigger's test (no test: any argument, or none).
fn arg_ok(test: &Option<crate::scenario::ArgTest>, value: &Option<ArgValue>) -> bool {
    match (test, value) {
        (None, _) => true,
        (Some(test), Some(v)) => test.holds(v.number, &v.text),
        (Some(_), None) => false,
    }
}

/// Mutable copies of what effects can change: versions, flags and the change log.
#[derive(Resource, Debug, Default)]
pub struct Inventory {
    /// Deployed version per service.
    pub versions: Vec<String>,
    /// Flag id → value.
    pub flags: BTreeMap<String, String>,
    /// Changes recorded during the run.
    pub changes: Vec<RecordedChange>,
    /// Configuration values set during the run, by (service, key).
    pub config: BTreeMap<(u32, String), String>,
    /// Capacities' rates (units per minute), as declared or as set since.
    pub capacities: BTreeMap<String, f64>,
    /// Controllers an effect paused or holds.
    pub controls: BTreeMap<String, crate::scenario::ControlMode>,
}

/// A change made during the run (a rollback, a flag flip).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedChange {
    /// When.
    pub t: i64,
    /// Service index.
    pub service: u32,
    /// Kind.
    pub kind: crate::scenario::ChangeKind,
    /// Summary.
    pub summary: String,
    /// Who made it; `None` when the volunteer's action did.
    pub author: Option<String>,
}

impl Incident {
    /// The first of `action`'s outcomes whose condition holds at `now` (as for a message: `After` counts from
    /// the page, every input so far counts), if any.
    pub fn action_outcome(&self, action: &str, now: i64) -> Option<usize> {
        let cx = self.context(now, 0, 0, &[]);
        self.outcomes.get(action)?.iter().position(|c| c.holds(&cx))
    }

    /// The first of `diagnostic`'s outputs for `target` whose condition holds at `now`, if any.
    pub fn diagnostic_output(&self, diagnostic: &str, target: Option<&str>, now: i64) -> Option<usize> {
        let cx = self.context(now, 0, 0, &[]);
        self.diagnostics.get(diagnostic)?.iter().position(|(t, c)| {
            t.as_deref().is_none_or(|t| Some(t) == target) && c.as_ref().is_none_or(|c| c.holds(&cx))
        })
    }

    /// What a condition is judged against at `now` for a state entered at `since`.
    pub fn context<'a>(&'a self, now: i64, since: i64, inputs_from: usize, spent: &'a [usize]) -> Context<'a> {
        Context {
            now,
            since,
            inputs_from,
            inputs: &self.inputs,
            watches: &self.watches,
            reached: &self.reached,
            current: &self.current,
            spent,
            rolls: &self.rolls,
            delays: &self.delays,
            counters: &self.counters,
        }
    }

    /// Compiles the scenario's tracks and messages, names resolved to indices; tracks start at `start`.
    pub fn compile(
        s: &Scenario,
        series: &BTreeMap<(String, String), usize>,
        services: &BTreeMap<String, u32>,
        fleets: &super::fleet::Fleets,
        start: i64,
        seed: u64,
    ) -> Incident {
        let mut state_index = BTreeMap::new();
        for (i, st) in s.tracks.iter().flat_map(|t| &t.states).enumerate() {
            state_index.insert(st.id.clone(), i);
        }
        let counters: BTreeMap<String, usize> = s.counters.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();
        let action_counters = s
            .actions
            .iter()
            .filter_map(|a| a.counts.as_ref().and_then(|c| counters.get(c)).map(|&i| (a.id.clone(), i)))
            .collect();
        let mut compiler = Compiler {
            scenario: s,
            series,
            services,
            fleets,
            states: state_index,
            watches: Vec::new(),
            chances: 0,
            delays: Vec::new(),
            counters,
        };
        let mut symptom_conditions = Vec::new();
        let mut reached = vec![false; compiler.states.len()];
        let mut offset = 0;
        let mut tracks = Vec::new();
        for track in &s.tracks {
            let local: BTreeMap<&str, usize> =
                track.states.iter().enumerate().map(|(i, x)| (x.id.as_str(), i)).collect();
            let states =
                track.states.iter().map(|st| plan_state(st, &local, &mut compiler, &mut symptom_conditions)).collect();
            let current = local[track.initial.as_str()];
            reached[offset + current] = true;
            tracks.push(TrackRun {
                id: track.id.clone(),
                states,
                current,
                entered_at: start,
                inputs_from: 0,
                spent: Vec::new(),
                offset,
            });
            offset += track.states.len();
        }
        let messages = s
            .messages
            .iter()
            .map(|m| {
                let plan = MessagePlan {
                    from: m.from.clone(),
                    channel: m.channel,
                    text: m.text.clone(),
                    when: compiler.condition(&m.when),
                };
                (plan, false)
            })
            .collect();
        // Compiled after the tracks and messages, so scenarios without them keep their slots and draws.
        let outcomes = s
            .actions
            .iter()
            .filter(|a| !a.outcomes.is_empty())
            .map(|a| (a.id.clone(), a.outcomes.iter().map(|o| compiler.condition(&o.when)).collect()))
            .collect();
        let diagnostics = s
            .diagnostics
            .iter()
            .map(|d| {
                let outputs = d
                    .outputs
                    .iter()
                    .map(|o| (o.target.clone(), o.when.as_ref().map(|t| compiler.condition(t))))
                    .collect();
                (d.id.clone(), outputs)
            })
            .collect();
        let watches = compiler.watches.iter().map(|w| (*w, None)).collect();
        use rand::SeedableRng;
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed.rotate_left(29) ^ 0x6368_616e_6365);
        let delays = compiler.delays.iter().map(|&b| draw_delay(&mut rng, b)).collect();
        let current = reached.clone();
        Incident {
            tracks,
            reached,
            current,
            symptom_conditions,
            rng,
            rolls: vec![0.0; compiler.chances],
            delays,
            delay_bounds: compiler.delays,
            counters: s.counters.iter().map(|c| c.initial).collect(),
            action_counters,
            counted: 0,
            inputs: Vec::new(),
            watches,
            messages,
            changed: true,
            edges_changed: true,
            routine: Vec::new(),
            injected: Vec::new(),
            forced: Vec::new(),
            outcomes,
            diagnostics,
            skips: Vec::new(),
        }
    }
}

/// A delay drawn uniformly between the bounds, in whole seconds.
pub fn draw_delay(rng: &mut impl rand::Rng, (lo, hi): (i64, i64)) -> i64 {
    if hi > lo { rng.random_range(lo..=hi) } else { lo }
}

fn plan_state(
    st: &crate::scenario::State,
    local: &BTreeMap<&str, usize>,
    c: &mut Compiler,
    conditions: &mut Vec<Condition>,
) -> StatePlan {
    use crate::scenario::Symptom;
    let mut metric_symptoms = Vec::new();
    let mut log_symptoms = Vec::new();
    for sym in &st.symptoms {
        match sym {
            Symptom::Metric { service, metric, shift, ramp, delay, when, members } => {
                let when = when.as_ref().map(|t| {
                    conditions.push(c.condition(t));
                    (conditions.len() - 1) as u32
                });
                // On a fleet the symptom hits the chosen members' series; the aggregate follows them.
                let columns = c
                    .fleets
                    .symptom_columns(c.scenario, c.services[service], metric, members)
                    .unwrap_or_else(|| vec![c.series[&(service.clone(), metric.clone())]]);
                metric_symptoms.extend(columns.into_iter().map(|series| MetricSymptom {
                    series,
                    shift: *shift,
                    ramp: ramp.secs(),
                    delay: delay.secs(),
                    when,
                }));
            }
            Symptom::Network { element, loss, latency, partition, ramp, delay } => {
                // Each impairment moves one of the element's series: loss and the share cut are set, the
                // latency adds to its round-trip time.
                let shifts = [
                    loss.map(crate::scenario::Shift::Set),
                    latency.map(crate::scenario::Shift::Add),
                    partition.map(crate::scenario::Shift::Set),
                ];
                for (name, shift) in crate::scenario::ELEMENT_SERIES.iter().zip(shifts) {
                    let (Some(shift), Some(&series)) = (shift, c.series.get(&(element.clone(), name.to_string())))
                    else {
                        continue;
                    };
                    metric_symptoms.push(MetricSymptom {
                        series,
                        shift,
                        ramp: ramp.secs(),
                        delay: delay.secs(),
                        when: None,
                    });
                }
            }
            Symptom::Logs { service, level, template, rate } => log_symptoms.push(LogSymptom {
                service: c.services[service],
                level: *level,
                template: Template::parse(template),
                rate: *rate,
                p50: c.series.get(&(service.clone(), "latency_p50".to_string())).map(|&s| s as u32),
            }),
        }
    }
    let transitions: Vec<(usize, Condition)> =
        st.transitions.iter().map(|t| (local[t.to.as_str()], c.condition(&t.when))).collect();
    let mut random_slots = Vec::new();
    transitions.iter().for_each(|(_, c)| c.random_slots(&mut random_slots));
    let couplings = st
        .couplings
        .iter()
        .filter_map(|o| {
            let service = c.services[&o.service];
            let edge = c.scenario.services[service as usize].depends_on.iter().position(|d| d.on == o.on)?;
            Some(EdgeOverride { service, edge, coupling: o.coupling, weight: o.weight })
        })
        .collect();
    StatePlan {
        id: st.id.clone(),
        skip: st.skip.clone(),
        couplings,
        random_slots,
        phase: st.phase,
        metric_symptoms,
        log_symptoms,
        on_enter: st.on_enter.clone(),
        on_exit: st.on_exit.clone(),
        transitions,
    }
}
