//! What a free-text statement (a diagnosis, a 5 W answer) asserts and what it denies: keywords are matched in
//! clauses, and a keyword after a negation in its clause ("not the deploy", "ruled out the flag") is denied,
//! not asserted. Keywords are matched first, so a negation inside one ("NOT NULL constraint") stays a fact.

/// Words that deny what follows them in the same clause. Not "can't" or "cannot": those describe symptoms
/// ("users can't sign up"), not a ruled-out cause.
const NEGATIONS: &[&str] = &[
    "not",
    "no",
    "never",
    "isn't",
    "wasn't",
    "aren't",
    "weren't",
    "doesn't",
    "didn't",
    "nor",
    "neither",
    "without",
    "unrelated",
    "excluded",
    "ruled",
];

/// Words that end a clause: a negation before them does not reach past them.
const CLAUSE_BREAKS: &[&str] = &["and", "but", "so", "because", "while", "although", "though", "since", "which"];

/// A statement split into clauses, each with where its first negation is.
pub struct Claims {
    /// Lowercased clause text, and the byte offset of its first negation outside any keyword (if any).
    clauses: Vec<Clause>,
}

struct Clause {
    text: String,
    negation: Option<usize>,
}

/// How a statement stands on one group of alternative keywords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stance {
    /// One of the words is named in a clause that does not negate it.
    Asserted,
    /// The words are named only after negations.
    Denied,
    /// None of the words is named.
    Silent,
}

impl Claims {
    /// Splits `text` into clauses; `keywords` are every word that will be asked about, so that a negation
    /// written inside one of them (`not null`) is not taken for a negation.
    pub fn parse(text: &str, keywords: &[&str]) -> Claims {
        // A full stop ends a sentence only before a space or the end: `v2.15.0` stays one word.
        let lower = text.to_lowercase().replace(". ", "\n");
        let lower = lower.strip_suffix('.').unwrap_or(&lower);
        let mut clauses = Vec::new();
        for piece in lower.split([',', ';', '!', '?', '\n', '(', ')']) {
            let mut current = String::new();
            for word in piece.split_whitespace() {
                if CLAUSE_BREAKS.contains(&word) && !current.is_empty() {
                    clauses.push(std::mem::take(&mut current));
                    continue;
                }
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(word);
            }
            if !current.is_empty() {
                clauses.push(current);
            }
        }
        let clauses = clauses
            .into_iter()
            .map(|text| {
                let masked = mask(&text, keywords);
                let negation =
                    words(&masked).find(|(_, w)| NEGATIONS.contains(w) || w.ends_with("n't")).map(|(i, _)| i);
                // "can't", "couldn't", "won't" describe what users could not do, not a denial of a cause.
                let negation = negation.filter(|i| {
                    let w = masked[*i..].split(|c: char| c.is_whitespace()).next().unwrap_or("");
                    !matches!(w, "can't" | "couldn't" | "won't" | "wouldn't")
                });
                Clause { text, negation }
            })
            .collect();
        Claims { clauses }
    }

    /// Where the statement stands on a group of alternatives.
    pub fn stance(&self, group: &[String]) -> Stance {
        let mut denied = false;
        for clause in &self.clauses {
            for word in group {
                let word = word.to_lowercase();
                for (at, _) in clause.text.match_indices(&word) {
                    match clause.negation {
                        Some(n) if n < at => denied = true,
                        _ => return Stance::Asserted,
                    }
                }
            }
        }
        if denied { Stance::Denied } else { Stance::Silent }
    }
}

/// `text` with every keyword occurrence blanked out.
fn mask(text: &str, keywords: &[&str]) -> String {
    let mut masked = text.to_string();
    for k in keywords {
        let k = k.to_lowercase();
        if k.is_empty() {
            continue;
        }
        let spans: Vec<usize> = masked.match_indices(&k).map(|(i, _)| i).collect();
        for i in spans {
            masked.replace_range(i..i + k.len(), &"_".repeat(k.len()));
        }
    }
    masked
}

/// Words with their byte offsets.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_whitespace().map(move |w| {
        let at = w.as_ptr() as usize - text.as_ptr() as usize;
        (at, w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\''))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> Vec<Vec<String>> {
        [vec!["v2.15.0", "deploy", "flag"], vec!["not null", "null constraint"], vec!["marketing_opt_in", "column"]]
            .iter()
            .map(|g| g.iter().map(|w| w.to_string()).collect())
            .collect()
    }

    fn stances(text: &str) -> Vec<Stance> {
        let g = groups();
        let all: Vec<&str> = g.iter().flatten().map(String::as_str).collect();
        let claims = Claims::parse(text, &all);
        g.iter().map(|group| claims.stance(group)).collect()
    }

    #[test]
    fn denials_are_not_assertions() {
        use Stance::*;
        assert_eq!(
            stances("it was not the deploy, not the flag, and not marketing_opt_in null constraint"),
            vec![Denied, Denied, Denied]
        );
        assert_eq!(stances("the deploy, not the database"), vec![Asserted, Silent, Silent]);
        assert_eq!(stances("ruled out the deploy; it is the marketing_opt_in column"), vec![Denied, Silent, Asserted]);
    }

    #[test]
    fn a_negation_inside_a_keyword_is_a_fact() {
        use Stance::*;
        assert_eq!(
            stances(
                "auth v2.15.0 stopped sending marketing_opt_in, so INSERT INTO users violates its NOT NULL constraint"
            ),
            vec![Asserted, Asserted, Asserted]
        );
        assert_eq!(stances("users can't sign up since the deploy"), vec![Asserted, Silent, Silent]);
        assert_eq!(stances("no idea"), vec![Silent, Silent, Silent]);
    }
}
