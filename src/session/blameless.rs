//! A blameless-language scan of what the players wrote during a drill (updates, notes, the diagnosis, the
//! 5 Ws, replies, escalations, the incident title): phrasing that blames a person ("Sam's fault", "should
//! have", "careless", a name next to "broke" or "forgot") is pointed out in the debrief as a gentle note,
//! worth no points. The patterns are fixed and documented in `docs/debrief.md`.

use super::record::Record;
use crate::scenario::Scenario;
use regex::{Regex, RegexBuilder};
use std::sync::LazyLock;

/// One phrase that reads as blame, where it was written and a suggestion.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct BlameNote {
    /// When it was written.
    pub t: i64,
    /// What was being written: `update`, `note`, `diagnosis`, `5w who`, `reply`, `escalation`, `title`.
    pub source: String,
    /// The phrase, as written.
    pub phrase: String,
    /// Why it reads as blame and what to say instead.
    pub suggestion: &'static str,
}

/// A blameful phrasing and what to say instead.
struct Pattern {
    regex: Regex,
    suggestion: &'static str,
}

fn pattern(re: &str, suggestion: &'static str) -> Pattern {
    let regex = RegexBuilder::new(re).case_insensitive(true).build().expect("a valid built-in pattern");
    Pattern { regex, suggestion }
}

/// The phrasings looked for, whoever they name.
static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    vec![
        pattern(
            r"\b[\w-]+['’]s fault\b|\bfault of\b|\bat fault\b",
            "names a person as the cause; say what in the system or the process let it happen",
        ),
        pattern(
            r"\bshould(n['’]t| not)? have\b",
            "judges with hindsight; say what would have helped (a check, an alert, a safer default)",
        ),
        pattern(
            r"\b(careless\w*|sloppy|negligen\w+|incompeten\w+|stupid\w*|idiot\w*|lazy|reckless\w*)\b",
            "describes a person, not the system; describe the conditions that made the mistake easy",
        ),
        pattern(r"\bblam(e|es|ed|ing)\b", "looks for a culprit; a blameless review looks for causes in the system"),
        pattern(
            r"\bhuman error\b",
            "ends the inquiry where it should start: ask what made the error possible and easy to miss",
        ),
        pattern(
            r"\b(screwed up|messed up|dropped the ball|botched)\b",
            "describes a person's failing; say what happened and what allowed it",
        ),
    ]
});

/// Verbs that blame when a person's name is their subject.
const BLAMING_VERBS: &str = r"(should(n['’]t| not)? have|broke|forgot|messed|screwed|caused|failed to|didn['’]t|did not|never|missed|ignored|pushed a bad|shipped a bad|botched)";

/// People a phrase could blame: authors of changes, people who wrote in, the scenario's teams, the responders.
fn names(scenario: &Scenario, record: &Record) -> Vec<String> {
    let mut names: Vec<String> = scenario
        .changes
        .iter()
        .map(|c| c.author.as_str())
        .chain(scenario.messages.iter().map(|m| m.from.as_str()))
        .chain(scenario.teams.iter().map(|t| t.from.as_str()))
        .chain(record.people.keys().map(String::as_str))
        .chain(record.roles.values().map(String::as_str))
        .filter_map(|n| n.split_whitespace().next())
        .map(|n| n.trim_matches(|c: char| !c.is_alphanumeric()).to_string())
        // Short words and the volunteer themself are not names to look for.
        .filter(|n| n.chars().count() >= 3 && !matches!(n.to_lowercase().as_str(), "you" | "me"))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Every blameful phrase in what the players wrote, in the order written.
pub fn scan(scenario: &Scenario, record: &Record) -> Vec<BlameNote> {
    let named: Vec<Pattern> = names(scenario, record)
        .iter()
        .map(|n| {
            let n = regex::escape(n);
            pattern(
                &format!(r"\b{n}\s+(\w+\s+)?{BLAMING_VERBS}\b|\b(because of|thanks to|blame)\s+{n}\b"),
                "puts a person's name next to the failure; say what the change or the process did",
            )
        })
        .collect();
    let mut notes = Vec::new();
    for (t, source, text) in &record.written {
        let mut found: Vec<(usize, BlameNote)> = Vec::new();
        // Named blame first: "Ravi should have" is one phrase about Ravi, not a generic "should have".
        for p in named.iter().chain(PATTERNS.iter()) {
            for m in p.regex.find_iter(text) {
                // One note per phrase, even when two patterns see it.
                if found.iter().any(|(start, n)| *start <= m.start() && m.start() < start + n.phrase.len()) {
                    continue;
                }
                let note = BlameNote {
                    t: *t,
                    source: source.clone(),
                    phrase: m.as_str().to_string(),
                    suggestion: p.suggestion,
                };
                found.push((m.start(), note));
            }
        }
        found.sort_by_key(|(start, _)| *start);
        notes.extend(found.into_iter().map(|(_, n)| n));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Drill;
    use std::sync::Arc;

    fn scan_lines(lines: &[&str]) -> Vec<(String, String)> {
        let scenario = Arc::new(crate::scenario::fixture());
        let mut drill = Drill::start(scenario.clone(), 1);
        for line in lines {
            drill.respond(line);
        }
        scan(&scenario, drill.record()).into_iter().map(|n| (n.source, n.phrase)).collect()
    }

    #[test]
    fn blameful_phrases_are_found_where_they_were_written() {
        let found = scan_lines(&[
            "note it was Sam's fault, he should have tested it",
            "declare sev2 careless deploy broke logins",
            "update Logins fail for every user; rolling back; next update in 15m",
            "diagnose human error in the config",
            "5w why someone dropped the ball on review",
        ]);
        let expected = [
            ("note", "Sam's fault"),
            ("note", "should have"),
            ("title", "careless"),
            ("diagnosis", "human error"),
            ("5w why", "dropped the ball"),
        ];
        assert_eq!(found, expected.map(|(a, b)| (a.to_string(), b.to_string())));
    }

    #[test]
    fn neutral_text_passes() {
        let found = scan_lines(&[
            "note the deploy at 13:38 shipped a handler that omits a NOT NULL column",
            "diagnose the flag enabled a code path without a default; no test covered it",
        ]);
        assert_eq!(found, Vec::<(String, String)>::new());
    }
}
