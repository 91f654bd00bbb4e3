//! Rebuilding a drill from its journal: start it from the header's scenario and seed, re-feed the inputs
//! in order, and compare every event the replay produces with the one recorded.

use super::reader::JournalFile;
use super::record::{Record, journal_kind};
use crate::scenario::Scenario;
use crate::session::{Drill, DrillInput, offset_label};
use serde_json::Value;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// How far to replay.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReplayOptions {
    /// Stop before the first input fed after this simulated time (seconds from the page).
    pub until: Option<i64>,
}

/// One input as replayed.
#[derive(Clone, Debug)]
pub struct Step {
    /// The input.
    pub input: DrillInput,
    /// Simulated time when it was fed.
    pub at: i64,
    /// The events it produced.
    pub events: Range<usize>,
}

/// A drill rebuilt from its journal.
pub struct Rebuilt {
    /// The drill, in the state the journal leaves it.
    pub drill: Drill,
    /// Every input replayed, in order.
    pub steps: Vec<Step>,
    /// The first event where the replay and the journal disagree.
    pub difference: Option<Difference>,
    /// Events the replay produced that the journal does not hold: the process was killed after feeding the
    /// last input and before its events were on disk (so nobody saw them).
    pub unrecorded: Range<usize>,
}

impl Rebuilt {
    /// The events before the first input: the page.
    pub fn opening(&self) -> Range<usize> {
        0..self.steps.first().map_or(self.drill.events().len(), |s| s.events.start)
    }
}

/// Where a replay first disagrees with its journal.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// The event's place in the stream.
    pub seq: u64,
    /// The last line fed before it, if any.
    pub after: Option<String>,
    /// What the journal holds there: (simulated time, event as stored).
    pub recorded: Option<(i64, Value)>,
    /// What the replay produced there.
    pub replayed: Option<(i64, Value)>,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event {} differs", self.seq)?;
        if let Some(line) = &self.after {
            write!(f, " (after `{line}`)")?;
        }
        let text = |side: &Option<(i64, Value)>| side.as_ref().map(|(t, kind)| (*t, kind.to_string()));
        let (recorded, replayed) = (text(&self.recorded), text(&self.replayed));
        // Show both from a little before the first character where they differ.
        let from = match (&recorded, &replayed) {
            (Some((_, a)), Some((_, b))) => {
                let same = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
                same.saturating_sub(40)
            }
            _ => 0,
        };
        let describe = |side: &Option<(i64, String)>| match side {
            Some((t, kind)) => format!("{} {}", offset_label(*t), excerpt(kind, from)),
            None => "nothing".to_string(),
        };
        write!(f, ": the journal has {}; the replay gives {}", describe(&recorded), describe(&replayed))
    }
}

/// At most 160 characters of `text` from character `from`, with ellipses where it was cut.
fn excerpt(text: &str, from: usize) -> String {
    let mut shown: String = text.chars().skip(from).take(160).collect();
    if from > 0 {
        shown.insert(0, '…');
    }
    if text.chars().count() > from + 160 {
        shown.push('…');
    }
    shown
}

/// Replays a journal against `scenario`: feeds its inputs to a drill started with its seed and compares
/// the events. After the first difference it keeps feeding inputs but stops comparing.
pub fn rebuild(scenario: Arc<Scenario>, journal: &JournalFile, options: &ReplayOptions) -> Rebuilt {
    let mut drill = super::journaled_drill::new_drill(&journal.header, scenario);
    let mut steps: Vec<Step> = Vec::new();
    let mut matched = 0;
    let mut difference = None;
    let mut last_line: Option<String> = None;
    let stored = |drill: &Drill, i: usize| drill.events().get(i).map(|e| (e.t, journal_kind(&e.kind)));
    for record in &journal.records {
        match record {
            Record::Header(_) | Record::Resumed { .. } | Record::Closed { .. } => {}
            Record::Event { seq, t, kind, .. } if difference.is_none() => {
                let replayed = stored(&drill, matched);
                if replayed.as_ref().is_some_and(|r| r.0 == *t && r.1 == *kind && *seq == matched as u64) {
                    matched += 1;
                } else {
                    let after = last_line.clone();
                    difference = Some(Difference { seq: *seq, after, recorded: Some((*t, kind.clone())), replayed });
                }
            }
            Record::Event { .. } => {}
            Record::Input { input, .. } => {
                if difference.is_none() && matched < drill.events().len() {
                    let after = last_line.clone();
                    let replayed = stored(&drill, matched);
                    difference = Some(Difference { seq: matched as u64, after, recorded: None, replayed });
                }
                if options.until.is_some_and(|until| drill.now() > until) {
                    break;
                }
                let at = drill.now();
                let events = drill.feed(input);
                if let DrillInput::Line { line, .. } = input {
                    last_line = Some(line.clone());
                }
                steps.push(Step { input: input.clone(), at, events });
            }
        }
    }
    let end = if difference.is_some() { drill.events().len() } else { matched };
    Rebuilt { unrecorded: end..drill.events().len(), drill, steps, difference }
}
