//! Every system of the tick, in schedule order (see `schedule.rs`): clock, script (transitions, symptoms,
//! messages), symptoms (with saturation), propagation, health, SLOs, alerts, recording. None of them
//! prints; they write resources and push [`SimEvent`]s to the [`Outbox`].

use super::ServiceNames;
use super::alerts::AlertBook;
use super::components::*;
use super::event::{Outbox, SimEvent};
use super::history::History;
use super::incident::{Incident, Inventory, RecordedChange};
use super::logs::LogStore;
use super::slo::SloBook;
use super::symptoms::{ActiveMetricSymptom, ActiveSymptoms};
use crate::scenario::Template;
use crate::scenario::{Coupling, Effect, Level, Shift};
use bevy_ecs::prelude::*;
use rand::Rng;

const DAY: f64 = 86_400.0;
/// Hour of the daily peak; traffic is lowest twelve hours later.
const PEAK_SECONDS: f64 = 15.0 * 3600.0;

/// Moves the tick forward one step and computes the daily-cycle factor for it.
pub fn advance_clock(mut clock: ResMut<SimClock>) {
    clock.tick += clock.step;
    let time_of_day = (clock.page_time_of_day + clock.tick).rem_euclid(86_400) as f64;
    clock.season = (std::f64::consts::TAU * (time_of_day - PEAK_SECONDS) / DAY).cos();
}

/// Rebuilds the active symptom list after a state change; a metric whose symptoms change starts the new
/// ones from where it is (see [`ActiveSymptoms::replace_metrics`]).
pub fn rebuild_symptoms(clock: Res<SimClock>, mut incident: ResMut<Incident>, mut active: ResMut<ActiveSymptoms>) {
    if !incident.changed {
        return;
    }
    incident.changed = false;
    active.logs.clear();
    let mut metrics = Vec::new();
    for (t, track) in incident.tracks.iter().enumerate() {
        let state = &track.states[track.current];
        for m in &state.metric_symptoms {
            let start = track.entered_at + m.delay;
            metrics.push(ActiveMetricSymptom {
                series: m.series,
                shift: m.shift,
                start,
                ramp: m.ramp,
                when: m.when.map(|c| (c, t as u32)),
                holding_since: m.when.is_none().then_some(start),
            });
        }
        active.logs.extend(state.log_symptoms.iter().cloned());
    }
    metrics.extend(incident.injected.iter().copied());
    active.replace_metrics(metrics, clock.tick);
}

/// Sets every dependency edge's coupling and weight: as declared, unless a current state overrides it.
pub fn override_couplings(
    mut incident: ResMut<Incident>,
    mut services: Query<(&super::components::ServiceIndex, &mut Dependencies)>,
) {
    if !incident.edges_changed {
        return;
    }
    incident.edges_changed = false;
    let overrides: Vec<_> =
        incident.tracks.iter().flat_map(|t| t.states[t.current].couplings.iter().copied()).collect();
    for (index, mut deps) in &mut services {
        for (k, edge) in deps.0.iter_mut().enumerate() {
            (edge.coupling, edge.weight) = edge.declared;
            for o in overrides.iter().filter(|o| o.service == index.0 && o.edge == k) {
                edge.coupling = o.coupling.unwrap_or(edge.coupling);
                edge.weight = o.weight.unwrap_or(edge.weight);
            }
        }
    }
}

/// Judges the `when` of every conditional symptom: one holds from the tick its condition starts holding.
pub fn gate_symptoms(clock: Res<SimClock>, incident: Res<Incident>, mut active: ResMut<ActiveSymptoms>) {
    let now = clock.tick;
    for sym in &mut active.metrics {
        let Some((condition, track)) = sym.when else { continue };
        let track = &incident.tracks[track as usize];
        let cx = incident.context(now, track.entered_at, track.inputs_from, &track.spent);
        if incident.symptom_conditions[condition as usize].holds(&cx) {
            sym.holding_since.get_or_insert(now);
        } else {
            sym.holding_since = None;
        }
    }
}

/// Draws a roughly normal value (mean 0, deviation 1) from one 64-bit draw: the sum of four 16-bit uniforms.
#[inline]
fn normal(rng: &mut impl Rng) -> f64 {
    let bits = rng.next_u64();
    let sum = (bits & 0xffff) + ((bits >> 16) & 0xffff) + ((bits >> 32) & 0xffff) + (bits >> 48);
    // Four uniforms on 0..1 sum to mean 2, variance 1/3.
    (sum as f64 / 65_536.0 - 2.0) * 1.732_050_8
}

/// Computes every series from its healthy model (baseline, daily cycle, noise), then applies symptoms.
pub fn compute_metrics(
    clock: Res<SimClock>,
    services: Query<(&TopoRank, &Model)>,
    models: Res<MetricModels>,
    load: Res<super::periodic::LoadShapes>,
    mut active: ResMut<ActiveSymptoms>,
    mut frame: ResMut<Frame>,
    mut rngs: ResMut<Rngs>,
) {
    let season = clock.season;
    // A local copy keeps the generator in registers; it is written back below.
    let mut rng = rngs.noise.clone();
    let frame = &mut frame.0;
    let mut previous = None;
    for (rank, model) in &services {
        // Noise is drawn in this order, so determinism rests on it: dependencies first, as spawned.
        debug_assert!(previous.is_none_or(|p| p < rank.0), "services must be visited in dependency order");
        previous = Some(rank.0);
        let range = model.first as usize..(model.first + model.len) as usize;
        for (slot, m) in frame[range.clone()].iter_mut().zip(&models.0[range]) {
            let base = m.base(season, &load.factors);
            *slot = (base * (1.0 + m.noise * normal(&mut rng))).max(0.0);
        }
    }
    rngs.noise = rng;
    let active = &mut *active;
    // (series, healthy value, whether a symptom has acted on it yet this tick).
    let mut touched: Vec<(usize, f64)> = Vec::new();
    for &ActiveMetricSymptom { series, shift, start, ramp, holding_since, .. } in &active.metrics {
        let Some(since) = holding_since.map(|h| h.max(start)) else { continue };
        if clock.tick < since {
            continue;
        }
        let progress = if ramp > 0 { ((clock.tick - since) as f64 / ramp as f64).min(1.0) } else { 1.0 };
        let x = frame[series];
        let first = !touched.iter().any(|(s, _)| *s == series);
        if first {
            touched.push((series, x));
        }
        let healthy = touched.iter().find(|(s, _)| *s == series).map_or(x, |t| t.1);
        // The first symptom after a change starts from where the metric was (continuity), the others from
        // the value the symptoms before them left.
        let anchor = active.anchors.iter().find(|a| a.series == series && a.at == start);
        let from = match anchor {
            Some(a) if first => a.from.at(healthy),
            _ => x,
        };
        let target = match shift {
            // Keep the sample's own noise: scale the set value by how far the healthy sample lies from the
            // model (not the value earlier symptoms left, or `Set(A)` then `Set(B)` would end near A).
            Shift::Set(v) => {
                let m = models.0[series];
                let base = m.base(season, &load.factors);
                if base > 0.0 { v * healthy / base } else { v }
            }
            Shift::Scale(f) => x * f,
            Shift::Add(a) => x + a,
        };
        frame[series] = (from + (target - from) * progress).max(0.0);
    }
    active.last.clear();
    active.last.extend(touched.iter().map(|&(s, healthy)| (s, healthy, frame[s])));
}

/// Highest utilisation the queueing factor is computed for (beyond it latency is capped at this factor).
const MAX_UTILISATION: f64 = 0.99;

/// Stretches a saturated service's latency as a queue would: by (1 - ρ₀) / (1 - ρ), where ρ is its
/// `saturation` now and ρ₀ its baseline (M/M/1 response time).
pub fn apply_saturation(services: Query<&Vitals>, mut frame: ResMut<Frame>) {
    for vitals in &services {
        saturate(&mut frame.0, vitals);
    }
}

/// The queueing stretch of [`apply_saturation`] for one set of vital series.
pub(super) fn saturate(frame: &mut [f64], vitals: &Vitals) {
    let Some((series, base)) = vitals.saturation else { return };
    let rho = frame[series as usize].clamp(0.0, MAX_UTILISATION);
    let factor = (1.0 - base.clamp(0.0, MAX_UTILISATION)) / (1.0 - rho);
    if factor <= 1.0 {
        return;
    }
    for (latency, _) in [vitals.latency_p50, vitals.latency_p99].into_iter().flatten() {
        frame[latency as usize] *= factor;
    }
}

/// Carries failure from dependencies to dependents, dependencies first, by coupling.
pub fn propagate_failures(
    mut services: Query<(&TopoRank, &Vitals, &mut Dependencies)>,
    network: Res<super::network::Network>,
    mut frame: ResMut<Frame>,
) {
    let frame = &mut frame.0;
    let excess =
        |frame: &[f64], metric: Option<(u32, f64)>| metric.map_or(0.0, |(s, b)| (frame[s as usize] - b).max(0.0));
    let add = |frame: &mut [f64], metric: Option<(u32, f64)>, amount: f64, cap: f64| {
        if let Some((s, _)) = metric {
            frame[s as usize] = (frame[s as usize] + amount).min(cap);
        }
    };
    let mut previous = None;
    // Entities were spawned dependencies first, and a table iterates in spawn order.
    for (rank, vitals, mut deps) in &mut services {
        debug_assert!(previous.is_none_or(|p| p < rank.0), "services must be visited in dependency order");
        previous = Some(rank.0);
        for edge in &mut deps.0 {
            let dep = edge.on;
            // What the network elements the edge crosses do to its calls comes on top of the dependency's
            // own failure (see `network.rs`).
            let net = if edge.via == super::network::DIRECT {
                super::network::Impairment::default()
            } else {
                network.impairment(edge.via, frame)
            };
            let errors = net.errors + (1.0 - net.errors) * excess(frame, dep.error_rate);
            let (error_share, latency_share) = match edge.coupling {
                Coupling::Hard => (1.0, 1.0),
                Coupling::Soft => (0.05, 0.3),
                Coupling::Async => {
                    if let Some((queue, _)) = dep.queue_depth {
                        // Failed deliveries pile up; a healthy consumer drains half the backlog a tick.
                        edge.backlog =
                            if errors > 0.0 { edge.backlog + edge.weight * errors * 600.0 } else { edge.backlog * 0.5 };
                        frame[queue as usize] += edge.backlog;
                    }
                    continue;
                }
            };
            let slow_p50 = excess(frame, dep.latency_p50) + net.p50;
            let slow_p99 = excess(frame, dep.latency_p99) + net.p99;
            add(frame, vitals.error_rate, edge.weight * error_share * errors, 1.0);
            add(frame, vitals.latency_p50, edge.weight * latency_share * slow_p50, f64::MAX);
            add(frame, vitals.latency_p99, edge.weight * latency_share * slow_p99, f64::MAX);
        }
    }
}

/// Derives each service's health from its error rate, latency and queue depth.
pub fn judge_health(frame: Res<Frame>, mut services: Query<(&Vitals, &mut Health)>) {
    for (vitals, mut health) in &mut services {
        let judged = judge(&frame.0, vitals);
        if *health != judged {
            *health = judged;
        }
    }
}

/// Health from vital series: down when `up` is 0 or half the requests fail; degraded when errors, p99
/// latency, saturation or queue depth are well above their baselines.
pub(super) fn judge(frame: &[f64], vitals: &Vitals) -> Health {
    let value = |m: Option<(u32, f64)>| m.map(|(s, b)| (frame[s as usize], b));
    let mut judged = Health::Healthy;
    if let Some((up, base)) = value(vitals.up)
        && up < base * 0.5
    {
        return Health::Down;
    }
    if let Some((err, base)) = value(vitals.error_rate) {
        if err >= 0.5 {
            judged = Health::Down;
        } else if err > (base * 5.0).max(0.01) {
            judged = Health::Degraded;
        }
    }
    if let Some((p99, base)) = value(vitals.latency_p99)
        && p99 > base * 3.0 + 1.0
    {
        judged = judged.max(Health::Degraded);
    }
    if let Some((rho, _)) = value(vitals.saturation)
        && rho >= 0.9
    {
        judged = judged.max(Health::Degraded);
    }
    if let Some((depth, base)) = value(vitals.queue_depth)
        && depth > base * 10.0 + 50.0
    {
        judged = judged.max(Health::Degraded);
    }
    judged
}

/// Records every SLO's bad fraction for this tick.
pub fn track_slos(clock: Res<SimClock>, frame: Res<Frame>, mut slos: ResMut<SloBook>) {
    slos.record(clock.tick, &frame.0);
}

/// Fires and resolves threshold and burn-rate alerts.
pub fn evaluate_alerts(
    clock: Res<SimClock>,
    frame: Res<Frame>,
    slos: Res<SloBook>,
    tools: Res<super::ToolStatus>,
    mut book: ResMut<AlertBook>,
    mut outbox: ResMut<Outbox>,
) {
    book.evaluate(clock.tick, &frame.0, &slos, &tools, &mut outbox);
}

/// Appends this tick's frame to the history.
pub fn record_history(clock: Res<SimClock>, frame: Res<Frame>, mut history: ResMut<History>) {
    history.push(clock.tick, &frame.0);
}

/// How far before the page log lines are made: a long metric history (up to 30 days) must not cost start
/// time for lines nobody can page back to.
pub const LOG_HISTORY: i64 = 6 * 3600;

/// Writes this tick's log lines: background traffic, state symptoms and one-shot effects, in time order.
pub fn emit_logs(
    clock: Res<SimClock>,
    frame: Res<Frame>,
    sources: Query<(&ServiceIndex, &LogSources, &Vitals)>,
    active: Res<ActiveSymptoms>,
    mut rngs: ResMut<Rngs>,
    mut pending: ResMut<PendingLogs>,
    mut store: ResMut<LogStore>,
) {
    let rng = &mut rngs.logs;
    let step = clock.step;
    let p50 = |vitals: Option<&Vitals>| vitals.and_then(|v| v.latency_p50).map_or(20.0, |(s, _)| frame.0[s as usize]);
    let mut emit =
        |service: u32, level: Level, template: &Template, rate: f64, ms: f64, rng: &mut rand_pcg::Pcg64Mcg| {
            let expected = rate * step as f64 / 60.0;
            let mut count = expected.floor() as u32;
            if f64::from(rng.random::<f32>()) < expected.fract() {
                count += 1;
            }
            for _ in 0..count {
                let t = clock.tick - step + 1 + rng.random_range(0..step);
                let text = template.render(rng, ms as f32, t);
                pending.0.push((t, service, level, text));
            }
        };
    // One-shot effect lines (the deploy that started it all) are kept whenever they happened.
    let generate = clock.tick >= -LOG_HISTORY;
    for (index, logs, vitals) in sources.iter().filter(|_| generate) {
        for source in &logs.0 {
            emit(index.0, source.level, &source.template, source.rate, p50(Some(vitals)), rng);
        }
    }
    for sym in active.logs.iter().filter(|_| generate) {
        let ms = sym.p50.map_or(20.0, |s| frame.0[s as usize]);
        emit(sym.service, sym.level, &sym.template, sym.rate, ms, rng);
    }
    pending.0.sort_by_key(|(t, ..)| *t);
    for (t, service, level, text) in pending.0.drain(..) {
        store.push(t, service, level, &text);
    }
}

/// Moves each track along its first transition whose trigger holds (one step per track per tick).
pub fn take_transitions(
    clock: Res<SimClock>,
    mut incident: ResMut<Incident>,
    mut inventory: ResMut<Inventory>,
    mut pending: ResMut<PendingLogs>,
    mut outbox: ResMut<Outbox>,
    services: Res<ServiceNames>,
    frame: Res<Frame>,
) {
    let now = clock.tick;
    update_watches(&mut incident, now, clock.step, &frame.0);
    let incident = &mut *incident;
    count_actions(incident, now);
    for roll in &mut incident.rolls {
        *roll = incident.rng.random::<f64>();
    }
    for index in 0..incident.tracks.len() {
        let track = &incident.tracks[index];
        let cx = incident.context(now, track.entered_at, track.inputs_from, &track.spent);
        let state = &track.states[track.current];
        // A GM's `goto` wins over the scenario's own transitions.
        let forced = incident.forced.iter().rev().find(|(t, _)| *t == index).map(|&(_, to)| to);
        let taken = match forced {
            Some(to) => Some((to, None)),
            None => state.transitions.iter().find(|(_, c)| c.holds(&cx)).map(|(to, c)| (*to, Some(c))),
        };
        let Some((to, condition)) = taken else { continue };
        // Inputs that landed before this tick do not count for the new state; one landing on this very tick
        // counts, unless the transition just taken used it (one action moves a track one state).
        let inputs_from = incident.inputs.partition_point(|(t, _)| *t < now);
        let landed_now = inputs_from..incident.inputs.partition_point(|(t, _)| *t <= now);
        let spent: Vec<usize> =
            landed_now.filter(|&k| condition.is_some_and(|c| c.uses(&incident.inputs[k].1))).collect();
        let previous = track.current;
        for effect in &track.states[previous].on_exit {
            apply_effect(effect, now, &services, &mut inventory, &mut pending);
        }
        let track = &mut incident.tracks[index];
        track.current = to;
        track.entered_at = now;
        track.inputs_from = inputs_from;
        track.spent = spent;
        let offset = track.offset;
        for &slot in &incident.tracks[index].states[to].random_slots {
            incident.delays[slot] = super::incident::draw_delay(&mut incident.rng, incident.delay_bounds[slot]);
        }
        let track = &incident.tracks[index];
        incident.current[offset + previous] = false;
        incident.current[offset + to] = true;
        incident.reached[offset + to] = true;
        incident.changed = true;
        incident.edges_changed = true;
        let entered = &track.states[to];
        // A skip starts once this tick is over (see `Sim::run_until`); before the page nothing is skipped.
        if let Some(skip) = entered.skip.clone().filter(|_| now >= 0) {
            incident.skips.push(skip);
        }
        for effect in &entered.on_enter {
            apply_effect(effect, now, &services, &mut inventory, &mut pending);
        }
        outbox.push(SimEvent::StateEntered {
            t: now,
            track: track.id.clone(),
            state: entered.id.clone(),
            phase: entered.phase,
        });
    }
    incident.forced.clear();
    apply_routine(incident, now, &services, &mut inventory, &mut pending);
}

/// Adds every action that has landed since the last tick to its counter: its argument, or 1.
fn count_actions(incident: &mut Incident, now: i64) {
    let landed = incident.inputs.partition_point(|(t, _)| *t <= now);
    for k in incident.counted..landed {
        let (action, arg, part) = match &incident.inputs[k].1 {
            super::Input::Action { action, arg, .. } => (action, arg, 1.0),
            super::Input::Stage { action, arg, part, .. } => (action, arg, *part),
            _ => continue,
        };
        if let Some(&slot) = incident.action_counters.get(action) {
            incident.counters[slot] += arg.as_ref().map_or(1.0, |a| a.number) * part;
        }
    }
    incident.counted = incident.counted.max(landed);
}

/// Routine effects of actions that have landed: every action shows like it would on a real system, and an
/// action the scenario models shows the scenario's effects instead, so neither reveals which one matters.
fn apply_routine(
    incident: &mut Incident,
    now: i64,
    services: &super::ServiceNames,
    inventory: &mut Inventory,
    pending: &mut PendingLogs,
) {
    if incident.routine.first().is_none_or(|(t, ..)| *t > now) {
        return;
    }
    let due = incident.routine.partition_point(|(t, ..)| *t <= now);
    for (_, service, effects) in incident.routine.drain(..due).collect::<Vec<_>>() {
        let index = services.index.get(service.as_str()).copied();
        let modelled = inventory.changes.iter().rev().take_while(|c| c.t == now).any(|c| Some(c.service) == index);
        if !modelled {
            for effect in &effects {
                apply_effect(effect, now, services, inventory, pending);
            }
        }
    }
}

/// Metric watches read the frame of the previous tick: conditions lag by one tick.
fn update_watches(incident: &mut Incident, now: i64, step: i64, last_frame: &[f64]) {
    for (watch, since) in &mut incident.watches {
        let value = last_frame.get(watch.series).copied().unwrap_or(0.0);
        if watch.op.holds(value, watch.value) {
            since.get_or_insert(now - step);
        } else {
            *since = None;
        }
    }
}

/// Applies a one-shot effect (a state's `on_enter`/`on_exit`, or a GM's inject).
pub(super) fn apply_effect(
    effect: &Effect,
    now: i64,
    services: &ServiceNames,
    inventory: &mut Inventory,
    pending: &mut PendingLogs,
) {
    let index = |name: &str| services.index.get(name).copied().unwrap_or(0);
    match effect {
        Effect::Log { service, level, text } => pending.0.push((now, index(service), *level, text.clone())),
        Effect::Change { service, kind, summary, author } => inventory.changes.push(RecordedChange {
            t: now,
            service: index(service),
            kind: *kind,
            summary: summary.clone(),
            author: author.clone(),
        }),
        Effect::SetConfig { service, key, value } => {
            inventory.config.insert((index(service), key.clone()), value.clone());
        }
        Effect::Version { service, version } => inventory.versions[index(service) as usize] = version.clone(),
        Effect::SetFlag { flag, value } => {
            inventory.flags.insert(flag.clone(), value.clone());
        }
        Effect::SetCapacity { capacity, per_minute } => {
            inventory.capacities.insert(capacity.clone(), *per_minute);
        }
        Effect::Control { controller, mode } => {
            inventory.controls.insert(controller.clone(), *mode);
        }
    }
}

/// Delivers messages whose trigger now holds.
pub fn deliver_messages(clock: Res<SimClock>, mut incident: ResMut<Incident>, mut outbox: ResMut<Outbox>) {
    let incident = &mut *incident;
    let mut arrived = Vec::new();
    for (k, (plan, delivered)) in incident.messages.iter().enumerate() {
        if *delivered {
            continue;
        }
        // For messages `After` counts from the page, and any input so far counts.
        let cx = incident.context(clock.tick, 0, 0, &[]);
        if plan.when.holds(&cx) {
            arrived.push(k);
        }
    }
    for k in arrived {
        let (plan, delivered) = &mut incident.messages[k];
        {
            *delivered = true;
            outbox.push(SimEvent::MessageArrived {
                t: clock.tick,
                from: plan.from.clone(),
                channel: plan.channel,
                text: plan.text.clone(),
            });
        }
    }
}
