//! The journal's lines: a header, then inputs, events and resume marks in stream order.

use crate::session::{DrillEvent, DrillInput, EventKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The format written in every header; readers refuse other major versions.
pub const FORMAT: &str = "wom-journal/1";

/// The journal's first line: what is needed to rebuild the drill, and who played it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Journal format, `wom-journal/1`.
    pub format: String,
    /// Version of wom that wrote the journal.
    pub wom: String,
    /// The scenario played.
    pub scenario: ScenarioRef,
    /// Seed of the drill's random streams.
    pub seed: u64,
    /// Everyone taking part.
    pub participants: Vec<Participant>,
    /// Wall-clock time the drill started (RFC 3339, UTC).
    pub started: String,
    /// How a hosted drill was served (`wom host`), for `wom resume` to serve it again; absent for solo play.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosted: Option<Hosted>,
}

/// Where and how a hosted drill was served. The join code is kept so that participants who were in the
/// drill can rejoin a resumed host with the code they have; the journal is the GM's file, hidden truth
/// and all, and is never sent to anyone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hosted {
    /// The address the host listened on (`127.0.0.1:7300`).
    pub listen: String,
    /// The join code.
    pub code: String,
}

/// Which scenario a journal was played on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRef {
    /// The scenario's id.
    pub id: String,
    /// Absolute path of the `.ron` file, or none for a built-in scenario.
    pub path: Option<String>,
    /// SHA-256 of the scenario's content, to tell when it changed since the drill was played.
    pub hash: String,
}

/// Someone taking part in a drill.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    /// Name as shown in the drill (`volunteer` in a solo drill).
    pub name: String,
    /// `volunteer`, `responder`, `observer` or `gm`.
    pub role: String,
}

/// One line of a journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// The first line.
    Header(Header),
    /// An input fed to the drill; the events it produced follow it.
    Input {
        /// Wall-clock time it was fed.
        wall: String,
        /// The input.
        input: DrillInput,
    },
    /// An event of the drill's stream.
    Event {
        /// Position in the stream, from 0.
        seq: u64,
        /// Simulated seconds from the page.
        t: i64,
        /// Wall-clock time it was written.
        wall: String,
        /// The event as serialized by [`journal_kind`].
        kind: Value,
    },
    /// The drill was resumed from this journal here.
    Resumed {
        /// Wall-clock time of the resume.
        wall: String,
    },
    /// The drill is over and written up (debrief, history): nothing is left to resume.
    Closed {
        /// Wall-clock time it was closed.
        wall: String,
    },
}

impl Record {
    /// The journal line for an event.
    pub fn event(event: &DrillEvent, wall: &str) -> Record {
        Record::Event { seq: event.seq, t: event.t, wall: wall.to_string(), kind: journal_kind(&event.kind) }
    }
}

/// An event's kind as the journal stores it: whole, except a command's output, which is stored as its line
/// count and a digest (the replay regenerates it; the digest tells whether it shows the same).
pub fn journal_kind(kind: &EventKind) -> Value {
    match kind {
        EventKind::Output { doc } => serde_json::json!({ "Output": { "lines": doc.0.len(), "digest": digest(doc) } }),
        other => serde_json::to_value(other).unwrap_or(Value::Null),
    }
}

/// The first 128 bits of the SHA-256 of a value's JSON, in hex.
pub fn digest(value: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    hex(&Sha256::digest(&bytes)[..16])
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The current wall-clock time in RFC 3339 (UTC, milliseconds); `WOM_NOW` (RFC 3339) pins it, as it pins
/// the wheel's clock, for tests and demos.
pub fn wall_clock() -> String {
    let pinned = std::env::var("WOM_NOW").ok().and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok());
    let now = pinned.map_or_else(chrono::Utc::now, |t| t.with_timezone(&chrono::Utc));
    now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Doc, EndReason};

    #[test]
    fn outputs_are_stored_as_digests_and_other_events_whole() {
        let mut doc = Doc::new();
        doc.plain("a long output");
        doc.plain("second line");
        let stored = journal_kind(&EventKind::Output { doc: doc.clone() });
        assert_eq!(stored["Output"]["lines"], 2);
        assert_eq!(stored["Output"]["digest"].as_str().map(str::len), Some(32));
        assert!(!stored.to_string().contains("a long output"));
        let mut other = doc.clone();
        other.plain("third");
        assert_ne!(journal_kind(&EventKind::Output { doc: other }), stored);
        let note = journal_kind(&EventKind::Note { text: "db pool".into() });
        assert_eq!(note, serde_json::json!({ "Note": { "text": "db pool" } }));
    }

    #[test]
    fn records_round_trip_through_json_lines() {
        let records = [
            Record::Input { wall: "w".into(), input: DrillInput::line("volunteer", "status") },
            Record::Input { wall: "w".into(), input: DrillInput::End { reason: EndReason::EndOfInput } },
            Record::Resumed { wall: "w".into() },
            Record::Closed { wall: "w".into() },
        ];
        for record in records {
            let line = serde_json::to_string(&record).expect("serializes");
            assert!(line.starts_with("{\"type\":"), "{line}");
            assert_eq!(serde_json::from_str::<Record>(&line).expect("parses"), record);
        }
    }
}
