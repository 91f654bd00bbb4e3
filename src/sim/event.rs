//! What the simulation tells the session: [`SimEvent`]s, collected in the [`Outbox`] as ticks produce them.

use crate::scenario::{AlertSeverity, Channel, Phase};
use bevy_ecs::prelude::*;

/// Something that happened in the simulation, for the session to record and render.
#[derive(Clone, Debug, PartialEq)]
pub enum SimEvent {
    /// A track entered a state (hidden truth: GM only).
    StateEntered { t: i64, track: String, state: String, phase: Phase },
    /// An alert fired.
    AlertFired { t: i64, name: String, service: String, severity: AlertSeverity, summary: String },
    /// An alert stopped firing.
    AlertResolved { t: i64, name: String },
    /// A simulated person sent a message.
    MessageArrived { t: i64, from: String, channel: Channel, text: String },
    /// A state's `skip` let `pass` seconds go by at once from `t`; the responders are told `say`.
    TimeSkipped { t: i64, pass: i64, say: String },
}

impl SimEvent {
    /// Simulated time of the event.
    pub fn time(&self) -> i64 {
        match self {
            SimEvent::StateEntered { t, .. }
            | SimEvent::AlertFired { t, .. }
            | SimEvent::AlertResolved { t, .. }
            | SimEvent::MessageArrived { t, .. }
            | SimEvent::TimeSkipped { t, .. } => *t,
        }
    }
}

/// Events produced by ticks and not yet taken by the session. The systems that fire alerts, take
/// transitions and deliver messages push here; [`crate::sim::Sim::take_events`] drains it.
#[derive(Resource, Debug, Default)]
pub struct Outbox(Vec<SimEvent>);

impl Outbox {
    /// Adds an event.
    pub fn push(&mut self, event: SimEvent) {
        self.0.push(event);
    }

    /// Takes every event so far, oldest first.
    pub fn drain(&mut self) -> Vec<SimEvent> {
        std::mem::take(&mut self.0)
    }
}
