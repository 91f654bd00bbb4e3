//! The roster: the engineers who take turns at the wheel and the level each plays at, kept as a RON list.

use super::error::{io, syntax};
use super::{WheelError, WheelErrorKind};
use crate::scenario::Difficulty;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How experienced an engineer is, which sets the difficulty the wheel aims for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, clap::ValueEnum)]
pub enum Level {
    /// New to on-call: easy drills first.
    NewHire,
    /// On the rotation: typical drills.
    OnCall,
    /// Runs incidents: the hard ones.
    IncidentCommander,
}

impl Level {
    /// "new hire", "on-call", "incident commander".
    pub fn label(self) -> &'static str {
        match self {
            Level::NewHire => "new hire",
            Level::OnCall => "on-call",
            Level::IncidentCommander => "incident commander",
        }
    }

    /// The difficulty that suits this level.
    pub fn difficulty(self) -> Difficulty {
        match self {
            Level::NewHire => Difficulty::Easy,
            Level::OnCall => Difficulty::Medium,
            Level::IncidentCommander => Difficulty::Hard,
        }
    }
}

/// One engineer on the roster.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Engineer {
    /// The name they play under (`wom play --player NAME`).
    pub name: String,
    /// Their level.
    pub level: Level,
}

/// Everyone who takes turns, in the order they were added.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Roster {
    /// The engineers.
    pub engineers: Vec<Engineer>,
}

impl Roster {
    /// Reads the roster; a missing file is an empty roster.
    pub fn load(path: &Path) -> Result<Roster, WheelError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Roster::parse(&text, &shown),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Roster::default()),
            Err(err) => Err(io(&shown, err)),
        }
    }

    /// Parses roster text; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<Roster, WheelError> {
        let engineers: Vec<Engineer> = ron::from_str(text).map_err(|err| syntax(path, err, 0))?;
        Ok(Roster { engineers })
    }

    /// Writes the roster, replacing the file (through a temporary file, so a crash never leaves half of it).
    pub fn save(&self, path: &Path) -> Result<(), WheelError> {
        let shown = path.display().to_string();
        let text = ron::ser::to_string_pretty(&self.engineers, ron::ser::PrettyConfig::default())
            .map_err(|err| WheelError::file(&shown, WheelErrorKind::Io { message: err.to_string() }))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|err| io(&shown, err))?;
        }
        let tmp = path.with_extension("ron.tmp");
        std::fs::write(&tmp, format!("{text}\n")).map_err(|err| io(&shown, err))?;
        std::fs::rename(&tmp, path).map_err(|err| io(&shown, err))
    }

    /// The engineer called `name`.
    pub fn get(&self, name: &str) -> Option<&Engineer> {
        self.engineers.iter().find(|e| e.name == name)
    }

    /// Adds `name` at `level`, or changes their level; returns their previous level.
    pub fn add(&mut self, name: &str, level: Level) -> Result<Option<Level>, WheelError> {
        check_name(name)?;
        if let Some(e) = self.engineers.iter_mut().find(|e| e.name == name) {
            return Ok(Some(std::mem::replace(&mut e.level, level)));
        }
        self.engineers.push(Engineer { name: name.to_string(), level });
        Ok(None)
    }

    /// Removes `name`; an unknown name gets the closest one.
    pub fn remove(&mut self, name: &str) -> Result<Engineer, WheelError> {
        match self.engineers.iter().position(|e| e.name == name) {
            Some(i) => Ok(self.engineers.remove(i)),
            None => Err(unknown_person(name, self.names())),
        }
    }

    /// Everyone's name, in roster order.
    pub fn names(&self) -> Vec<String> {
        self.engineers.iter().map(|e| e.name.clone()).collect()
    }
}

/// An error for a name nobody has, with the closest known one.
pub(super) fn unknown_person(name: &str, known: Vec<String>) -> WheelError {
    let closest = crate::scenario::closest(name, &known).map(str::to_string);
    WheelError::new(WheelErrorKind::UnknownPerson { name: name.to_string(), closest, known })
}

/// Names go into files and onto command lines: keep them to one plain word.
pub fn check_name(name: &str) -> Result<(), WheelError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok { Ok(()) } else { Err(WheelError::new(WheelErrorKind::BadName { name: name.to_string() })) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_changes_level_and_remove_suggests_the_closest_name() {
        let mut roster = Roster::default();
        assert_eq!(roster.add("ada", Level::NewHire).unwrap(), None);
        assert_eq!(roster.add("grace", Level::OnCall).unwrap(), None);
        assert_eq!(roster.add("ada", Level::OnCall).unwrap(), Some(Level::NewHire));
        assert_eq!(roster.get("ada").unwrap().level, Level::OnCall);
        let err = roster.remove("gracee").unwrap_err().to_string();
        assert_eq!(err, "nobody called `gracee` is on the roster or in the history; did you mean `grace`?");
        assert_eq!(roster.remove("grace").unwrap().name, "grace");
        assert_eq!(roster.names(), vec!["ada"]);
        assert!(roster.add("a b", Level::OnCall).is_err());
    }

    #[test]
    fn syntax_errors_say_where() {
        let err = Roster::parse("[(name: \"ada\", level: Junior)]", "roster.ron").unwrap_err().to_string();
        assert!(err.starts_with("roster.ron:1:"), "{err}");
        assert!(err.contains("Junior"), "{err}");
    }
}
