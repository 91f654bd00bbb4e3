//! A drill with its journal: every input and the events it produced are on disk before the caller can show
//! them. Solo play and a hosted drill's server loop both feed their drill through this.

use super::error::{JournalError, JournalErrorKind};
use super::reader::{JournalFile, TornLine, read};
use super::record::{FORMAT, Header, Hosted, Participant, Record, ScenarioRef, wall_clock};
use super::replay::{ReplayOptions, rebuild};
use super::scenario_ref::{load_scenario, scenario_hash};
use super::writer::JournalWriter;
use crate::scenario::Scenario;
use crate::session::{Drill, DrillInput};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// Something that feeds inputs to a drill: the drill alone (tests, tools) or a [`JournaledDrill`].
pub trait FeedDrill {
    /// The drill.
    fn drill(&self) -> &Drill;
    /// Feeds one input; returns the events it produced, safe to show.
    fn feed_input(&mut self, input: DrillInput) -> Result<Range<usize>, JournalError>;
}

impl FeedDrill for Drill {
    fn drill(&self) -> &Drill {
        self
    }

    fn feed_input(&mut self, input: DrillInput) -> Result<Range<usize>, JournalError> {
        Ok(self.feed(&input))
    }
}

/// A drill whose every input and event is journaled and synced before it is shown.
pub struct JournaledDrill {
    drill: Drill,
    writer: JournalWriter,
}

/// What resuming found.
pub struct Resumed {
    /// The drill, continued.
    pub drill: JournaledDrill,
    /// The journal's header.
    pub header: Header,
    /// Inputs replayed.
    pub inputs: usize,
    /// The last input replayed, and the events it produced: what the participant saw last (or, when it was
    /// killed before they were on disk, never saw).
    pub last: Option<(DrillInput, i64, Range<usize>)>,
    /// A torn last line that was dropped.
    pub torn: Option<TornLine>,
    /// Events the replay produced that had not reached the journal; now written.
    pub completed: usize,
}

impl JournaledDrill {
    /// Starts a solo drill and its journal at `path` (which must not exist); the page is on disk when this
    /// returns.
    pub fn start(
        scenario: Arc<Scenario>,
        scenario_path: Option<&Path>,
        seed: u64,
        participants: Vec<Participant>,
        path: &Path,
    ) -> Result<JournaledDrill, JournalError> {
        JournaledDrill::begin(scenario, scenario_path, seed, participants, None, path)
    }

    /// Starts a hosted drill (a person at the GM console, served as `hosted` says) and its journal at `path`.
    pub fn host(
        scenario: Arc<Scenario>,
        scenario_path: Option<&Path>,
        seed: u64,
        participants: Vec<Participant>,
        hosted: Hosted,
        path: &Path,
    ) -> Result<JournaledDrill, JournalError> {
        JournaledDrill::begin(scenario, scenario_path, seed, participants, Some(hosted), path)
    }

    fn begin(
        scenario: Arc<Scenario>,
        scenario_path: Option<&Path>,
        seed: u64,
        participants: Vec<Participant>,
        hosted: Option<Hosted>,
        path: &Path,
    ) -> Result<JournaledDrill, JournalError> {
        let header = Header {
            format: FORMAT.to_string(),
            wom: env!("CARGO_PKG_VERSION").to_string(),
            scenario: ScenarioRef::new(&scenario, scenario_path),
            seed,
            participants,
            started: wall_clock(),
            hosted,
        };
        let mut writer = JournalWriter::create(path, &header)?;
        let drill = new_drill(&header, scenario);
        let wall = wall_clock();
        let opening: Vec<Record> = drill.events().iter().map(|e| Record::event(e, &wall)).collect();
        writer.append(&opening)?;
        Ok(JournaledDrill { drill, writer })
    }

    /// Rebuilds the drill journaled at `path` and continues its journal: a torn last line is cut off, the
    /// inputs are replayed and checked against the recorded events, and events that never reached the disk
    /// are written. Refuses when the scenario changed or the replay disagrees with the journal.
    pub fn resume(path: &Path) -> Result<Resumed, JournalError> {
        let mut writer = JournalWriter::open_existing(path)?;
        let journal = read(path)?;
        if journal.records.iter().any(|r| matches!(r, Record::Closed { .. })) {
            return Err(JournalError::new(path, JournalErrorKind::Closed));
        }
        let scenario = load_current(&journal)?;
        let rebuilt = rebuild(Arc::new(scenario), &journal, &ReplayOptions::default());
        if let Some(difference) = rebuilt.difference {
            return Err(JournalError::new(path, JournalErrorKind::Diverged(difference)));
        }
        writer.truncate(journal.valid_len)?;
        let wall = wall_clock();
        let mut records = vec![Record::Resumed { wall: wall.clone() }];
        records.extend(rebuilt.drill.events()[rebuilt.unrecorded.clone()].iter().map(|e| Record::event(e, &wall)));
        writer.append(&records)?;
        let last = rebuilt.steps.last().map(|s| (s.input.clone(), s.at, s.events.clone()));
        Ok(Resumed {
            inputs: rebuilt.steps.len(),
            completed: rebuilt.unrecorded.len(),
            last,
            torn: journal.torn,
            header: journal.header,
            drill: JournaledDrill { drill: rebuilt.drill, writer },
        })
    }

    /// Marks the journal closed: the drill is over and written up, so `wom resume` has nothing left to do.
    pub fn close(&mut self) -> Result<(), JournalError> {
        self.writer.append(&[Record::Closed { wall: wall_clock() }])
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        self.writer.path()
    }

    /// The drill.
    pub fn drill(&self) -> &Drill {
        &self.drill
    }

    /// Feeds one input and journals it with its events. A typed line that produced nothing (a blank line)
    /// changed nothing and is not journaled; any other input is, events or not, since it may change state
    /// that shows only later.
    pub fn feed(&mut self, input: DrillInput) -> Result<Range<usize>, JournalError> {
        let range = self.drill.feed(&input);
        if range.is_empty() && matches!(input, DrillInput::Line { .. }) {
            return Ok(range);
        }
        let wall = wall_clock();
        let mut records = Vec::with_capacity(range.len() + 1);
        records.push(Record::Input { wall: wall.clone(), input });
        records.extend(self.drill.events()[range.clone()].iter().map(|e| Record::event(e, &wall)));
        self.writer.append(&records)?;
        Ok(range)
    }
}

impl FeedDrill for JournaledDrill {
    fn drill(&self) -> &Drill {
        &self.drill
    }

    fn feed_input(&mut self, input: DrillInput) -> Result<Range<usize>, JournalError> {
        self.feed(input)
    }
}

/// A new drill as the header says it was played: hosted (a person at the GM console) or solo (the automatic
/// GM stands in). Both the first run and every replay start here, so they cannot start differently.
pub(crate) fn new_drill(header: &Header, scenario: Arc<Scenario>) -> Drill {
    if header.hosted.is_some() { Drill::host(scenario, header.seed) } else { Drill::start(scenario, header.seed) }
}

/// Loads the scenario a journal names and makes sure it is the one that was played.
pub(crate) fn load_current(journal: &JournalFile) -> Result<Scenario, JournalError> {
    let reference = &journal.header.scenario;
    let scenario = load_scenario(reference)
        .map_err(|message| JournalError::new(&journal.path, JournalErrorKind::Scenario { message }))?;
    let current = scenario_hash(&scenario);
    if current != reference.hash {
        return Err(JournalError::new(
            &journal.path,
            JournalErrorKind::ScenarioChanged { id: reference.id.clone(), recorded: reference.hash.clone(), current },
        ));
    }
    Ok(scenario)
}
