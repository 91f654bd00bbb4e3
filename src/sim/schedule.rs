//! The schedule: the recipe of one tick, declared once. Named sets run in a chain on a single-threaded
//! executor with ambiguity detection on, so the order is declared, never implied.

use super::{bounds, exporter, fleet, systems};
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{ScheduleBuildSettings, SingleThreadedExecutor};

/// The steps of one tick, in order.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum TickSet {
    /// Move the clock one step.
    Clock,
    /// Take transitions, rebuild symptoms and judge their conditions, deliver messages.
    Script,
    /// Compute every metric from its model and the active symptoms.
    Symptoms,
    /// Carry failure along dependencies.
    Propagate,
    /// Judge health, and the tools'.
    Health,
    /// Measure SLIs, budgets and burn rates.
    Slo,
    /// Fire and resolve alerts.
    Alerts,
    /// Store the frame and the log lines.
    Record,
}

/// The recipe of one tick.
pub fn tick_schedule() -> Schedule {
    let mut schedule = Schedule::default();
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.set_build_settings(ScheduleBuildSettings {
        ambiguity_detection: bevy_ecs::schedule::LogLevel::Error,
        ..ScheduleBuildSettings::default()
    });
    use TickSet::*;
    schedule.configure_sets((Clock, Script, Symptoms, Propagate, Health, Slo, Alerts, Record).chain());
    schedule.add_systems((
        // Move the clock and the daily cycle, then set the load patterns' factors from the calendar.
        (systems::advance_clock, super::periodic::shape_load).chain().in_set(Clock),
        // Take transitions, then rebuild symptoms, judge their conditions, then deliver messages.
        (
            systems::take_transitions,
            systems::override_couplings,
            systems::rebuild_symptoms,
            systems::gate_symptoms,
            systems::deliver_messages,
        )
            .chain()
            .in_set(Script),
        // Compute metric values from models and symptoms, then let saturation stretch latency, then keep
        // every value physical (ratios within 0..=1, whole items, bounds, timeouts turning into errors).
        // A fleet's aggregate series come from its members'; then processes (controllers, derived metrics,
        // capacity-limited recoveries) run on the finished values, aggregates included, and bounds again.
        (
            systems::compute_metrics,
            systems::apply_saturation,
            bounds::bound_symptoms,
            fleet::aggregate_fleets,
            super::process::run_processes,
            bounds::rebound,
        )
            .chain()
            .in_set(Symptoms),
        // Carry failure from dependencies to dependents, then into each fleet's members; bounds again.
        (systems::propagate_failures, fleet::spread_to_members, bounds::rebound).chain().in_set(Propagate),
        // Judge health from the finished frame: services, then each fleet member, then the responders' tools.
        (systems::judge_health, fleet::judge_members, super::tools::judge_tools).chain().in_set(Health),
        // Record each SLO's bad minute and update its windows.
        systems::track_slos.in_set(Slo),
        // Fire and resolve alerts.
        systems::evaluate_alerts.in_set(Alerts),
        // Store the frame, then the log lines, then note which processes restarted (exporter counters).
        (systems::record_history, systems::emit_logs, exporter::record_restarts).chain().in_set(Record),
    ));
    schedule
}
