//! The journal: a drill's ordered stream written to disk as it happens, one JSON line per record, each
//! batch synced before anyone is shown its output. Because the engine is deterministic (scenario + seed +
//! ordered inputs), the journal stores the inputs and the events (large outputs as digests); reading it
//! back and re-feeding the inputs rebuilds the drill exactly, to resume it after a crash or to replay and
//! check it. The format is described in `docs/journal.md`.

mod error;
mod journaled_drill;
mod reader;
mod record;
mod replay;
mod scenario_ref;
mod writer;

pub use error::{JournalError, JournalErrorKind};
pub use journaled_drill::{FeedDrill, JournaledDrill, Resumed};
pub use reader::{JournalFile, TornLine, read};
pub use record::{FORMAT, Header, Hosted, Participant, Record, ScenarioRef, digest, journal_kind, wall_clock};
pub use replay::{Difference, Rebuilt, ReplayOptions, Step, rebuild};
pub use scenario_ref::{load_scenario, scenario_hash};
pub use writer::{JournalWriter, default_path};
