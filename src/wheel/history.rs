//! The history of drills played: one RON record per line, only ever appended to, so a crash or two
//! people finishing at once never loses an earlier line.

use super::WheelError;
use super::error::{io, syntax};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// One drill played.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Played {
    /// When it ended, UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub date: String,
    /// Who played it.
    pub who: String,
    /// The scenario id.
    pub scenario: String,
    /// The drill's seed.
    pub seed: u64,
    /// Points scored.
    pub score: i64,
    /// Points possible.
    pub max: i64,
    /// The Game Master, when one ran the drill.
    #[serde(default)]
    pub gm: Option<String>,
}

impl Played {
    /// The score as a whole percentage of the maximum (0 when nothing could be scored).
    pub fn percent(&self) -> i64 {
        if self.max <= 0 { 0 } else { (self.score * 100).div_euclid(self.max) }
    }

    /// When it ended as a date and time.
    pub fn when(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::parse_from_rfc3339(&self.date).ok().map(|d| d.with_timezone(&chrono::Utc))
    }
}

/// Every drill played, oldest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// The records in file order.
    pub drills: Vec<Played>,
}

impl History {
    /// Reads the history; a missing file is an empty history.
    pub fn load(path: &Path) -> Result<History, WheelError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => History::parse(&text, &shown),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(History::default()),
            Err(err) => Err(io(&shown, err)),
        }
    }

    /// Parses history text, one record per line (blank lines and `//` comments skipped).
    pub fn parse(text: &str, path: &str) -> Result<History, WheelError> {
        let mut drills = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with("//") {
                continue;
            }
            drills.push(ron::from_str::<Played>(line).map_err(|err| syntax(path, err, i))?);
        }
        Ok(History { drills })
    }

    /// Appends one record as one line, creating the file (and its directory) if needed.
    pub fn append(path: &Path, played: &Played) -> Result<(), WheelError> {
        let shown = path.display().to_string();
        let line = ron::to_string(played).map_err(|err| io(&shown, std::io::Error::other(err.to_string())))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|err| io(&shown, err))?;
        }
        let mut file =
            std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|err| io(&shown, err))?;
        // One write call per record: with O_APPEND, concurrent writers never interleave inside a line.
        file.write_all(format!("{line}\n").as_bytes()).map_err(|err| io(&shown, err))?;
        file.sync_data().map_err(|err| io(&shown, err))
    }

    /// The drills `who` played, oldest first.
    pub fn of<'a>(&'a self, who: &'a str) -> impl Iterator<Item = &'a Played> + 'a {
        self.drills.iter().filter(move |d| d.who == who)
    }

    /// Everyone who played, in order of first appearance.
    pub fn people(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for d in &self.drills {
            if !names.contains(&d.who) {
                names.push(d.who.clone());
            }
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn played(who: &str, score: i64) -> Played {
        Played {
            date: "2026-11-20T10:00:00Z".into(),
            who: who.into(),
            scenario: "signup-outage".into(),
            seed: 1,
            score,
            max: 100,
            gm: None,
        }
    }

    #[test]
    fn appended_records_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wheel/history.ron");
        History::append(&path, &played("ada", 40)).unwrap();
        History::append(&path, &played("bob", -5)).unwrap();
        let history = History::load(&path).unwrap();
        assert_eq!(history.drills, vec![played("ada", 40), played("bob", -5)]);
        assert_eq!(history.people(), vec!["ada", "bob"]);
        assert_eq!(history.drills[1].percent(), -5);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
    }

    #[test]
    fn a_bad_line_is_reported_with_its_line_number() {
        let good = ron::to_string(&played("ada", 40)).unwrap();
        let err = History::parse(&format!("{good}\n\n(who: 3)\n"), "history.ron").unwrap_err().to_string();
        assert!(err.starts_with("history.ron:3:"), "{err}");
    }
}
