//! `ack`, `silence` and `reply`: what responders do at work, recorded and shown in the postmortem timeline.

use crate::common::TestEnvironment;

#[test]
fn ack_silence_and_reply_are_recorded_and_bad_targets_get_candidates() {
    let env = TestEnvironment::new();
    let out = env.play(
        42,
        &[
            "ack SignupsLo",
            "ack SignupsLow",
            "silence SignupsLow 30",
            "silence SignupsLow 30m",
            "wait 2m",
            "reply Bob hello",
            "reply Priya we are on it; next update by 14:30",
            "quit",
        ],
    );
    assert_eq!(out.status, 0, "{out}");
    for expected in [
        "ack: no firing alert `SignupsLo`; did you mean `SignupsLow`?",
        "Acknowledged `SignupsLow`",
        "silence: `30` needs a unit",
        "Silenced `SignupsLow` until 14:35:10",
        "reply: no sender `Bob` (senders: Priya)",
        "Replied to Priya (Customer Support).",
    ] {
        assert!(out.stdout.contains(expected), "missing {expected:?} in {out}");
    }
    let debrief = env.debrief();
    for expected in [
        "14:05:00 Alert SignupsLow acknowledged",
        "Alert SignupsLow silenced until 14:35:10",
        "Reply to Priya (Customer Support): we are on it; next update by 14:30",
    ] {
        assert!(debrief.contains(expected), "missing {expected:?} in the postmortem timeline");
    }
}

#[test]
fn escalate_and_page_are_answered_by_the_scenario_or_by_nobody_in_a_solo_drill() {
    let env = TestEnvironment::new();
    let out = env.play(
        42,
        &["escalate dbaa is it you?", "escalate dba is users-db healthy?", "page auth-team signups failing", "quit"],
    );
    assert_eq!(out.status, 0, "{out}");
    for expected in [
        "escalate: no team `dbaa`; did you mean `dba`?",
        "Escalated to dba.",
        "Kim (DBA on call)",
        "I do see a lot of failed INSERTs into users",
        "Paged auth-team. Nobody from auth-team answers.",
    ] {
        assert!(out.stdout.contains(expected), "missing {expected:?} in {out}");
    }
    let debrief = env.debrief();
    assert!(debrief.contains("Escalated to dba: is users-db healthy?"), "postmortem timeline");
    assert!(debrief.contains("Paged auth-team: signups failing"), "postmortem timeline");
}
