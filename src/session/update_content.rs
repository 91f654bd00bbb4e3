//! What a status update says: who is affected, what is being done and when the next update comes. An update
//! is judged by these, not counted, so `update .` is worth nothing.

use regex::{Regex, RegexBuilder};
use std::sync::LazyLock;

/// One thing a stakeholder needs from an update.
pub struct Need {
    /// "who is affected".
    pub what: &'static str,
    pattern: Regex,
}

impl Need {
    /// Whether `text` says it.
    pub fn met_by(&self, text: &str) -> bool {
        self.pattern.is_match(text)
    }
}

fn need(what: &'static str, pattern: &str) -> Need {
    let pattern = RegexBuilder::new(pattern).case_insensitive(true).build().expect("a valid built-in pattern");
    Need { what, pattern }
}

/// What every update should say, in the order a reader looks for it.
pub static NEEDS: LazyLock<[Need; 3]> = LazyLock::new(|| {
    [
        need(
            "who is affected",
            r"\b(users?|customers?|clients?|affected|unaffected|impact\w*|everyone|nobody|signups?|sign[- ]ups?|logins?|accounts?|requests?|api calls?|agents?|builds?|checkouts?|orders?|payments?)\b",
        ),
        need(
            "what is being done",
            r"\b(investigat\w*|roll\w* ?back|rollback|revert\w*|mitigat\w*|disabl\w*|turn\w* off|restart\w*|fix\w*|working on|looking into|identified|monitor\w*|recover\w*|resolved|escalat\w*|paged|raising|raised|increas\w*|scal\w* up|failover|failing over)\b",
        ),
        need(
            "when the next update comes",
            r"(next update|update (in|at|by|within)|\b(in|within) \d+ ?(m|mins?|minutes?|h|hours?)\b|\b(by|before) \d{1,2}:\d{2}|postmortem to follow|every \d+ ?(m|mins?|minutes?)\b)",
        ),
    ]
});

/// Which needs `text` meets, in [`NEEDS`] order.
pub fn judge(text: &str) -> [bool; 3] {
    [NEEDS[0].met_by(text), NEEDS[1].met_by(text), NEEDS[2].met_by(text)]
}

#[cfg(test)]
mod tests {
    use super::judge;

    #[test]
    fn content_not_count() {
        assert_eq!(judge("."), [false, false, false]);
        assert_eq!(judge("update"), [false, false, false]);
        assert_eq!(
            judge("Investigating: every new signup fails since 13:40; logins are unaffected. Next update by 14:25."),
            [true, true, true]
        );
        assert_eq!(
            judge("Mitigated: the flag is off and signups are recovering. Postmortem to follow."),
            [true, true, true]
        );
        assert_eq!(judge("We are looking into it, update in 15 minutes"), [false, true, true]);
        assert_eq!(judge("at 14:05 something happened"), [false, false, false], "a time alone is not a promise");
    }
}
