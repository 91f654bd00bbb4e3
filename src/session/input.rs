//! What a drill is fed: every input that can change its state, in one type, so that a journal of inputs
//! rebuilds the drill exactly (the engine is deterministic: scenario + seed + ordered inputs).

use super::Drill;
use super::event::EndReason;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// One input to a drill. Feeding the same inputs in the same order to a drill started from the same
/// scenario and seed produces the same events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrillInput {
    /// A line typed by a participant.
    Line {
        /// Who typed it (`volunteer` in a solo drill).
        who: String,
        /// The line as typed.
        line: String,
    },
    /// The drill ends without a command (end of input, Ctrl-D, a signal).
    End {
        /// Why.
        reason: EndReason,
    },
    /// A line typed at the GM console of a hosted drill.
    Gm {
        /// The line as typed.
        line: String,
    },
    /// Wall-clock time passed, which moves the simulated clock in real-time mode (`speed`).
    WallClock {
        /// Milliseconds since the previous one.
        millis: u64,
    },
}

impl DrillInput {
    /// A line typed by `who`.
    pub fn line(who: &str, line: &str) -> DrillInput {
        DrillInput::Line { who: who.to_string(), line: line.to_string() }
    }
}

impl Drill {
    /// Feeds one input and returns the range of events it produced (empty when it changed nothing).
    pub fn feed(&mut self, input: &DrillInput) -> Range<usize> {
        match input {
            // Only a hosted drill has several responders to tell apart in the transcript.
            DrillInput::Line { who, line } if self.has_live_gm() => self.respond_as(who, line),
            DrillInput::Line { line, .. } => self.respond(line),
            DrillInput::Gm { line } => self.gm(line),
            DrillInput::WallClock { millis } => self.wall_clock(std::time::Duration::from_millis(*millis)),
            DrillInput::End { reason } => {
                let start = self.events().len();
                self.finish(*reason);
                start..self.events().len()
            }
        }
    }
}
