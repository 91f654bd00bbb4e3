//! Time compression in the format: a state that, on entry, lets hours pass at once (a long recovery played
//! in one step), with what the responders are told. Every tick in between still runs.

use super::SimDuration;
use super::model::Scenario;
use super::spans::ValuePath;
use super::validate::{Located, duration, invalid};
use serde::{Deserialize, Serialize};

/// Longest jump one state may make.
pub const MAX_SKIP: i64 = 24 * 3600;

/// A jump in time on entering a state.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimeSkip {
    /// How much simulated time passes at once, e.g. `"6h"`.
    pub pass: SimDuration,
    /// What the responders are told, e.g. "The index subsystem restarts, shard by shard."
    pub say: String,
}

/// Checks every state's `skip`.
pub fn check(s: &Scenario) -> Result<(), Located> {
    for (t, track) in s.tracks.iter().enumerate() {
        for (k, state) in track.states.iter().enumerate() {
            let Some(skip) = &state.skip else { continue };
            let path = ValuePath::root().field("tracks").index(t).field("states").index(k).field("skip");
            let context = format!("`skip` of state `{}`", state.id);
            duration(&path.field("pass"), &context, skip.pass, 60, MAX_SKIP)?;
            if skip.say.trim().is_empty() {
                return Err(invalid(
                    &path.field("say"),
                    &context,
                    "say what the responders are told while time passes",
                ));
            }
        }
    }
    Ok(())
}
