//! The wheel: who is on the roster and at what level, the append-only history of drills played, and the
//! seeded spin that picks the next scenario (and, when asked, the next volunteer). Plain data and files; the
//! command line renders it.

mod error;
mod history;
mod roster;
mod spin;

pub use error::{WheelError, WheelErrorKind};
pub use history::{History, Played};
pub use roster::{Engineer, Level, Roster, check_name};
pub use spin::{Candidate, Pick, Slice, SpinRequest, spin};

use std::path::{Path, PathBuf};

/// Where the wheel keeps its files: `roster.ron` and `history.ron` in one directory.
#[derive(Clone, Debug)]
pub struct WheelFiles {
    /// The directory holding both files.
    pub dir: PathBuf,
}

impl WheelFiles {
    /// The wheel's files in `dir`.
    pub fn new(dir: impl AsRef<Path>) -> WheelFiles {
        WheelFiles { dir: dir.as_ref().to_path_buf() }
    }

    /// The roster file.
    pub fn roster(&self) -> PathBuf {
        self.dir.join("roster.ron")
    }

    /// The history file.
    pub fn history(&self) -> PathBuf {
        self.dir.join("history.ron")
    }
}
