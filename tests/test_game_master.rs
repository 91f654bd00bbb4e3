//! The Game Master's side of a drill, exactly: solo mode's automatic GM (scripted `ask` answers, hint offers,
//! self-firing injects, answers to `escalate`/`page`), and in a hosted drill the GM's queue (questions and
//! escalations answered by the GM) and injected alerts showing in `alerts`.

use std::sync::Arc;
use wom::scenario::{Scenario, builtin};
use wom::session::{Drill, gm_feed, volunteer_view};

/// 14:05, the page in `signup-outage`.
const PAGE: i64 = 14 * 3600 + 5 * 60;

fn scenario() -> Arc<Scenario> {
    Arc::new(builtin("signup-outage").expect("built-in").expect("valid"))
}

/// What a responder sees for one line: the visible events it produced, as plain text.
fn shown(drill: &Drill, range: std::ops::Range<usize>) -> String {
    drill.events()[range].iter().filter_map(|e| volunteer_view(e, PAGE)).map(|d| d.plain_text()).collect()
}

/// What the GM console shows for the events of one line.
fn console(drill: &Drill, range: std::ops::Range<usize>) -> String {
    drill.events()[range].iter().filter_map(|e| gm_feed(e, PAGE)).map(|d| d.plain_text()).collect()
}

fn say(drill: &mut Drill, line: &str) -> String {
    let range = drill.respond(line);
    shown(drill, range)
}

#[test]
fn solo_ask_is_answered_by_the_first_scripted_answer_whose_keyword_it_names() {
    let mut drill = Drill::start(scenario(), 3);
    insta::assert_snapshot!(say(&mut drill, "ask did the auth team deploy anything today?"), @r#"
    [14:05:00] question #1: did the auth team deploy anything today?
    [14:05:00] answer #1 from Kim (auth team): We shipped v2.15.0 after lunch: the new signup handler, behind new_signup_handler. Tests passed.
    [14:06:00] new ticket from Priya (Customer Support): Ticket #88213: "I can't create an account, the page says Something went wrong." That is the sixth such ticket in 20 minutes.
    "#);
    // Keywords match whole words, case aside, in the order the scenario lists its answers.
    insta::assert_snapshot!(say(&mut drill, "ask who owns the DB schema?"), @"
    [14:06:00] question #2: who owns the DB schema?
    [14:06:00] answer #2 from Lee (DBA): No schema migration this week. The users table has had marketing_opt_in NOT NULL without a default since March.
    ");
    insta::assert_snapshot!(say(&mut drill, "ask was anything redeployed?"), @"
    [14:07:00] question #3: was anything redeployed?
    [14:07:00] answer #3 from nobody: Nobody answers.
    ");
}

#[test]
fn solo_hint_is_offered_once_hint_after_passes_without_progress() {
    let mut drill = Drill::start(scenario(), 3);
    // `hint_after: "12m"`; the page itself is the last progress (the incident began before it). Messages
    // and alerts are not progress.
    insta::assert_snapshot!(say(&mut drill, "wait 11m"), @r#"
    Waiting 11m until 14:16:00.
    [14:06:00] new ticket from Priya (Customer Support): Ticket #88213: "I can't create an account, the page says Something went wrong." That is the sixth such ticket in 20 minutes.
    [14:13:00] new chat from Sam (Engineering Manager): I hear signups are broken. Is this an incident? Who is on it, and when is the next update?
    "#);
    insta::assert_snapshot!(say(&mut drill, "wait 1m"), @"
    Waiting 1m until 14:17:00.
    [14:17:00] GM: no progress for 12m; `hint` gives hint 1 of 4 (it costs points).
    ");
    // Offered once per stretch without progress: the next offer comes 12 minutes later.
    insta::assert_snapshot!(say(&mut drill, "wait 11m"), @"
    Waiting 11m until 14:28:00.
    [14:23:00] ALERT SloBurnCritical-signup-probe firing (page, signup-probe) signup-probe availability SLO (95.00%) burning Critical: at least 2% of the 30d budget in the last 1h
    ");
    insta::assert_snapshot!(say(&mut drill, "wait 1m"), @"
    Waiting 1m until 14:29:00.
    [14:29:00] GM: no progress for 12m; `hint` gives hint 1 of 4 (it costs points).
    ");
}

#[test]
fn solo_auto_injects_fire_at_their_time_and_a_hosted_drill_waits_for_the_gm() {
    let mut drill = Drill::start(scenario(), 3);
    drill.respond("declare sev2 signups failing");
    let out = say(&mut drill, "wait 39m");
    assert!(!out.contains("Jordan"), "{out}");
    // `vip-escalation` has `auto: "40m"`: Jordan (Account Manager) writes at 14:45.
    let out = say(&mut drill, "wait 5m");
    let jordan: Vec<&str> = out.lines().filter(|l| l.contains("Jordan (Account Manager)")).collect();
    assert_eq!(jordan.len(), 1, "{out}");
    assert!(jordan[0].starts_with("[14:45:00] new chat from Jordan (Account Manager): "), "{out}");

    let mut hosted = Drill::host(scenario(), 3);
    hosted.respond_as("alex", "declare sev2 signups failing");
    let range = hosted.respond_as("alex", "wait 50m");
    let out = shown(&hosted, range);
    assert!(!out.contains("Jordan (Account Manager)"), "a live GM fires injects: {out}");
    let range = hosted.gm("inject vip-escalation");
    hosted.respond_as("alex", "wait 1m");
    let out = shown(&hosted, range.start..hosted.events().len());
    assert!(out.contains("new chat from Jordan (Account Manager)"), "{out}");
}

#[test]
fn an_injected_alert_is_firing_in_alerts_and_status_with_its_time() {
    let mut drill = Drill::host(scenario(), 3);
    drill.respond_as("alex", "wait 2m");
    let range = drill.gm("inject alert DiskFull users-db disk 95% full");
    insta::assert_snapshot!(console(&drill, range), @"
    [14:07:00] gm> inject alert DiskFull users-db disk 95% full
    [14:07:00] ALERT DiskFull firing (page, users-db) disk 95% full
    Alert DiskFull fired.
    ");
    let range = drill.respond_as("alex", "alerts");
    insta::assert_snapshot!(shown(&drill, range), @"
    FIRING  SignupsLow  page  web       since 14:05:00  web signups_per_min below 2 for 25 minutes
    FIRING  DiskFull    page  users-db  since 14:07:00  disk 95% full
    19 rules: 1 firing, 0 pending, 18 inactive (`alerts --all` lists them)
    ");
    let range = drill.respond_as("alex", "status");
    let out = shown(&drill, range);
    assert!(out.ends_with("2 alerts firing: SignupsLow, DiskFull (see `alerts`)\n"), "{out}");
    // It is an alert like any other: it can be acknowledged; it cannot be injected twice while it fires.
    let range = drill.respond_as("alex", "ack DiskFull");
    assert!(shown(&drill, range).starts_with("Acknowledged `DiskFull`"));
    let range = drill.gm("inject alert DiskFull users-db again");
    insta::assert_snapshot!(console(&drill, range), @"
    [14:08:00] gm> inject alert DiskFull users-db again
    error: inject: the alert `DiskFull` is firing already (see `help inject`)
    ");
}

#[test]
fn escalate_and_page_wait_in_the_gm_queue_and_the_gm_answers_as_the_team() {
    let mut drill = Drill::host(scenario(), 3);
    let range = drill.respond_as("alex", "page auth-team did you ship anything at 13:38?");
    insta::assert_snapshot!(shown(&drill, range.clone()), @r#"
    Paged auth-team; Ravi (auth team) will answer in your inbox.
    [14:06:00] new ticket from Priya (Customer Support): Ticket #88213: "I can't create an account, the page says Something went wrong." That is the sixth such ticket in 20 minutes.
    "#);
    insta::assert_snapshot!(console(&drill, range), @r#"
    [14:05:00] alex> page auth-team did you ship anything at 13:38?
    [14:05:00] paged auth-team: did you ship anything at 13:38? (#1: `answer 1 <text>` replies as the team)
    Paged auth-team; Ravi (auth team) will answer in your inbox.
    [14:06:00] new ticket from Priya (Customer Support): Ticket #88213: "I can't create an account, the page says Something went wrong." That is the sixth such ticket in 20 minutes.
    "#);
    // Questions and escalations share one queue.
    drill.respond_as("sam", "ask is the vendor status page green?");
    let range = drill.respond_as("sam", "escalate dba are the inserts failing?");
    assert!(console(&drill, range).contains("escalated to dba: are the inserts failing? (#3: "));
    // A live GM answers for the team, even one with a scripted answer.
    let range = drill.gm("state");
    let state = console(&drill, range);
    let open = &state[state.find("open questions").expect("open questions")..];
    let open: String = open.lines().take(4).map(|l| format!("{l}\n")).collect();
    insta::assert_snapshot!(open, @"
    open questions (`answer <n> <text>`):
      #1 alex: paged auth-team: did you ship anything at 13:38?
      #2 sam: is the vendor status page green?
      #3 sam: escalated to dba: are the inserts failing?
    ");
    let range = drill.gm("answer 1 Yes, v2.15.0 went out at 13:38 with the new signup handler.");
    insta::assert_snapshot!(shown(&drill, range.clone()), @"[14:08:00] new chat from Ravi (auth team): Yes, v2.15.0 went out at 13:38 with the new signup handler.");
    insta::assert_snapshot!(console(&drill, range), @"
    [14:08:00] gm> answer 1 Yes, v2.15.0 went out at 13:38 with the new signup handler.
    [14:08:00] new chat from Ravi (auth team): Yes, v2.15.0 went out at 13:38 with the new signup handler.
    Answered #1 as Ravi (auth team).
    ");
    // The answer is in the inbox, from the team's person, who can be replied to.
    let range = drill.respond_as("alex", "reply Ravi thanks, rolling back");
    assert_eq!(shown(&drill, range), "Replied to Ravi (auth team).\n");
    let range = drill.gm("answer 1 again");
    let again = console(&drill, range);
    assert!(again.contains("error: answer: question #1 was answered already"), "{again}");
}

#[test]
fn solo_escalate_and_page_are_answered_from_the_scenario_when_it_can() {
    let mut drill = Drill::start(scenario(), 3);
    // The team's own answer.
    insta::assert_snapshot!(say(&mut drill, "escalate dba are the users inserts failing?"), @r#"
    [14:05:00] new chat from Kim (DBA on call): users-db looks healthy to me: normal load, plenty of connections. I do see a lot of failed INSERTs into users since about 13:40, all the same NOT NULL error.
    Escalated to dba.
    [14:06:00] new ticket from Priya (Customer Support): Ticket #88213: "I can't create an account, the page says Something went wrong." That is the sixth such ticket in 20 minutes.
    "#);
    // No answer for the team: a scripted answer whose keyword the text names.
    insta::assert_snapshot!(say(&mut drill, "page auth-team did your deploy change signups?"), @"
    [14:06:00] new chat from Kim (auth team): We shipped v2.15.0 after lunch: the new signup handler, behind new_signup_handler. Tests passed.
    Paged auth-team.
    ");
    // Neither: nobody answers, and the volunteer is told so.
    insta::assert_snapshot!(say(&mut drill, "page auth-team please call me"), @"Paged auth-team. Nobody from auth-team answers.");
}
