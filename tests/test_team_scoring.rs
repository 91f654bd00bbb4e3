//! The score and debrief for what a team does besides fixing the system: updates per audience, the 5 Ws
//! judged against the truth, responder habits (ack, silence, escalate, reply), "only the OL changes the
//! system", roles across several responders, who did what, the source's date and the blameless-language note.

use crate::common::TestEnvironment;
use std::sync::Arc;
use wom::scenario::{Scenario, builtin};
use wom::session::{Drill, EndReason, debrief, score_record};

fn scenario(id: &str) -> Arc<Scenario> {
    Arc::new(builtin(id).expect("built-in").expect("valid"))
}

/// A built-in scenario's RON text.
fn source(id: &str) -> &'static str {
    wom::scenario::BUILTIN.iter().find(|(name, _, _)| *name == id).map(|(_, _, text)| *text).expect("built-in")
}

/// The default scenario with the team rubric items added: an audience, the 5 Ws, every habit, only-OL.
fn team_scenario() -> Arc<Scenario> {
    Arc::new(wom::scenario::parse(&team_scenario_text(), "team.ron").expect("the variant loads"))
}

fn team_scenario_text() -> String {
    let text = source("signup-outage");
    text.replacen(
        "        hint_penalty: 3,\n",
        r#"        hint_penalty: 3,
        audiences: [(id: "status-page", name: "the public status page", every: "20m", points: 4)],
        five_ws: (points: 5, where: [["auth", "handler"], ["insert", "users-db"]], why: [["marketing_opt_in", "not null"]],
                  when: [["13:40", "13:38"]], who: [["new", "signup"]]),
        responders: [
            Ack(within: "5m", points: 2, why: "an acknowledged page tells the rotation someone owns it"),
            Silence(alert: "SignupsLow", points: 1, why: "it keeps paging the rotation while you work"),
            Escalate(team: "dba", within: "10m", points: 2),
            Reply(to: "Priya", points: 2, why: "support needs words for customers"),
        ],
        only_ol_acts: 5,
"#,
        1,
    )
}

fn line_of(card: &wom::session::Scorecard, item: &str) -> String {
    let l = card.lines.iter().find(|l| l.item == item).unwrap_or_else(|| panic!("no `{item}` line: {card:?}"));
    format!("{}/{} {}", l.points, l.max, l.detail)
}

fn solo(s: &Arc<Scenario>, lines: &[&str]) -> Drill {
    let mut drill = Drill::start(s.clone(), 5);
    for l in lines {
        drill.respond(l);
    }
    drill.finish(EndReason::EndOfInput);
    drill
}

#[test]
fn updates_go_to_an_audience_each_scored_on_its_own_cadence_and_content() {
    let s = team_scenario();
    let drill = solo(
        &s,
        &[
            "update --to status-page too early",
            "declare sev2 Signups failing",
            "update --to board hello",
            "update Investigating: new signups fail since 13:40; logins work. Next update in 15m.",
            "update --to status-page We are investigating failed signups for new users. Next update in 20 minutes.",
            "wait 30m",
            "update --to incident Still rolling back; every new signup still fails. Next update in 15m.",
        ],
    );
    let refused: Vec<String> = drill
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            wom::session::EventKind::Rejected { error, .. } => Some(error.clone()),
            _ => None,
        })
        .collect();
    insta::assert_snapshot!(refused.join("\n"), @r"
        update: no incident is declared yet, so there is nothing for stakeholders to follow; `declare <severity> <title>` first
        update: no audience `board` (audiences: incident, status-page)
        ");
    let card = score_record(&s, drill.record());
    insta::assert_snapshot!(line_of(&card, "updates"), @r"0/10 2 updates, each saying who is affected, what is being done and when the next update comes; longest silence 32m (goal: every 15m)");
    insta::assert_snapshot!(line_of(&card, "updates to status-page"), @r"2/4 1 update, saying who is affected, what is being done and when the next update comes; longest silence 32m (goal: every 20m)");
    let md = debrief(&drill).markdown;
    let section = &md[md.find("### Updates by audience").expect("the section")..];
    insta::assert_snapshot!(&section[..section.find("\n### ").unwrap_or(section.len())], @r"
        ### Updates by audience

        - `incident` (the incident channel): 2 updates
          - 14:05:30 Investigating: new signups fail since 13:40; logins work. Next update in 15m.
          - 14:37:30 Still rolling back; every new signup still fails. Next update in 15m.
        - `status-page` (the public status page): 1 update
          - 14:06:30 We are investigating failed signups for new users. Next update in 20 minutes.
        ");
}

#[test]
fn the_5_ws_are_each_judged_against_the_truth() {
    let s = team_scenario();
    let drill = solo(
        &s,
        &[
            "5w where auth's new signup handler, at the INSERT into users-db",
            "5w why the database was overloaded",
            "5w when 13:40, right after the deploy",
            "5w who every new user signing up",
        ],
    );
    let card = score_record(&s, drill.record());
    insta::assert_snapshot!(line_of(&card, "5 Ws"), @r"3/5 3 of 5 match what happened (where, when, who); off the mark: why; not answered: what");
}

#[test]
fn responder_habits_score_ack_silence_escalate_and_reply() {
    let s = team_scenario();
    let weak = solo(&s, &["wait 20m", "escalate dba", "page auth-team", "quit"]);
    let card = score_record(&s, weak.record());
    let weak: Vec<String> =
        ["ack", "silence", "escalate dba", "reply Priya"].iter().map(|i| line_of(&card, i)).collect();
    insta::assert_snapshot!(weak.join("\n"), @r"
        0/2 0 of 2 paging alerts acknowledged within 5m; SignupsLow never, SloBurnCritical-signup-probe never (an acknowledged page tells the rotation someone owns it)
        0/1 SignupsLow was not silenced (it keeps paging the rotation while you work)
        1/2 dba reached at T+20m (goal: within 10m), so half; also asked: auth-team
        0/2 Priya (Customer Support) wrote and got no reply (support needs words for customers)
        ");

    let strong = solo(
        &s,
        &[
            "ack SignupsLow",
            "escalate dba are users-db inserts failing?",
            "wait 3m",
            "silence SignupsLow 1h",
            "reply Priya we are on it; next update in 15 minutes",
        ],
    );
    let card = score_record(&s, strong.record());
    let strong: Vec<String> =
        ["ack", "silence", "escalate dba", "reply Priya"].iter().map(|i| line_of(&card, i)).collect();
    insta::assert_snapshot!(strong.join("\n"), @r"
        2/2 1 of 1 paging alert acknowledged within 5m (an acknowledged page tells the rotation someone owns it)
        1/1 silenced SignupsLow (it keeps paging the rotation while you work)
        2/2 dba reached at T+10s
        2/2 replied to Priya (Customer Support) at T+4m20s (support needs words for customers)
        ");
}

#[test]
fn only_the_ol_changes_the_system_names_who_acted_and_when() {
    let s = team_scenario();
    let mut drill = Drill::host(s.clone(), 5);
    drill.respond_as("alex", "role ic");
    drill.respond_as("sam", "role ol");
    drill.respond_as("kim", "role cl");
    drill.respond_as("sam", "mitigate disable-flag new_signup_handler");
    drill.respond_as("alex", "mitigate rollback auth");
    drill.finish(EndReason::GameMaster);
    let card = score_record(&s, drill.record());
    insta::assert_snapshot!(line_of(&card, "only the OL acts"), @r"-5/0 `rollback auth` by alex at T+1m30s (OL was sam)");
    insta::assert_snapshot!(line_of(&card, "roles"), @r"5/5 IC alex, OL sam, CL kim");
}

#[test]
fn roles_held_by_one_of_several_responders_earn_partial_credit_and_say_so() {
    let s = scenario("signup-outage");
    let mut drill = Drill::host(s.clone(), 5);
    drill.respond_as("alex", "role ic");
    drill.respond_as("alex", "role ol");
    drill.respond_as("alex", "role cl");
    drill.respond_as("sam", "status");
    drill.finish(EndReason::GameMaster);
    let card = score_record(&s, drill.record());
    insta::assert_snapshot!(line_of(&card, "roles"), @r"2/5 IC alex, OL alex, CL alex; one person held 3 roles, so partial credit");
}

#[test]
fn a_role_given_to_someone_who_never_played_earns_no_credit_as_another_person() {
    let s = scenario("signup-outage");
    let mut drill = Drill::host(s.clone(), 5);
    drill.respond_as("alex", "role ic");
    drill.respond_as("alex", "role ol bob");
    drill.respond_as("sam", "role cl me");
    drill.finish(EndReason::GameMaster);
    let card = score_record(&s, drill.record());
    insta::assert_snapshot!(line_of(&card, "roles"), @"3/5 IC alex, OL bob, CL sam; bob is not playing (no command typed), so no credit as another person; 2 people for 3 roles");
    // Once bob types a command, he is in the drill and counts.
    let mut drill = Drill::host(s.clone(), 5);
    drill.respond_as("alex", "role ic");
    drill.respond_as("alex", "role ol bob");
    drill.respond_as("sam", "role cl me");
    drill.respond_as("bob", "status");
    drill.finish(EndReason::GameMaster);
    let card = score_record(&s, drill.record());
    insta::assert_snapshot!(line_of(&card, "roles"), @"5/5 IC alex, OL bob, CL sam");
}

#[test]
fn the_debrief_says_who_did_what_in_markdown_json_and_html() {
    let s = scenario("signup-outage");
    let mut drill = Drill::host(s.clone(), 5);
    drill.respond_as("alex", "role ic");
    drill.respond_as("sam", "role ol");
    drill.respond_as("alex", "declare sev2 Signups failing");
    drill.respond_as("sam", "logs users-db --grep constraint --tail 2");
    drill.respond_as("alex", "update Investigating: new signups fail since 13:40. Next update in 15m.");
    drill.respond_as("sam", "mitigate disable-flag new_signup_handler");
    drill.finish(EndReason::GameMaster);
    let written = debrief(&drill);
    let md = &written.markdown;
    let section = &md[md.find("### Who did what").expect("the section")..];
    insta::assert_snapshot!(&section[..section.find("\n### ").unwrap_or(section.len())], @r"
        ### Who did what

        - **alex** (Incident Commander): 3 commands
          - typed: 14:05:00 `role ic`; 14:05:20 `declare sev2 Signups failing`; 14:06:50 `update Investigating: new signups fail since 13:40. Next update in 15m.`
          - update at 14:06:50: Investigating: new signups fail since 13:40. Next update in 15m.
        - **sam** (Operations Lead): 3 commands
          - typed: 14:05:10 `role ol`; 14:05:50 `logs users-db --grep constraint --tail 2`; 14:07:50 `mitigate disable-flag new_signup_handler`
          - evidence first on their screen: constraint-violation
          - action at 14:07:50: disable-flag new_signup_handler
        ");
    // docs/debrief.md quotes this section.
    let doc = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/debrief.md"))
        .expect("docs/debrief.md");
    for line in section.lines().skip(2).take_while(|l| !l.is_empty()) {
        assert!(doc.contains(&format!("  {line}\n")), "docs/debrief.md lacks {line:?}");
    }
    let json: serde_json::Value = serde_json::from_str(&written.json).expect("json");
    let people = &json["people"];
    assert_eq!(people[0]["name"], "alex");
    assert_eq!(people[0]["roles"], serde_json::json!(["Incident Commander"]));
    assert_eq!(people[1]["name"], "sam");
    assert_eq!(people[1]["evidence"], serde_json::json!(["constraint-violation"]));
    assert_eq!(people[1]["actions"][0]["text"], "disable-flag new_signup_handler");
    assert!(written.html.contains("<section id=\"people\">"), "the HTML page has the section");
    assert!(written.html.contains("<td>alex</td>"), "{}", written.html);
    // A solo drill has no such section.
    let solo = solo(&s, &["status"]);
    assert!(!debrief(&solo).markdown.contains("### Who did what"));
    assert!(!debrief(&solo).json.contains("\"people\""));
}

#[test]
fn the_source_date_is_in_the_debrief_and_the_gm_sheet() {
    let env = TestEnvironment::new();
    let out = env.run(&["play", "api-timeouts", "--seed", "1"], "quit\n");
    assert_eq!(out.status, 0, "{out}");
    let md = env.debrief();
    assert!(
        md.contains("Source: https://www.buildkitestatus.com/incidents/mx6m0whvqtcb (incident of 2021-09-20)."),
        "{}",
        &md[..600]
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(env.path().join("debriefs/api-timeouts-seed1.json")).expect("json"),
    )
    .expect("valid json");
    assert_eq!(
        json["source"],
        serde_json::json!({"url": "https://www.buildkitestatus.com/incidents/mx6m0whvqtcb", "date": "2021-09-20"})
    );
    let out = env.run(&["show", "api-timeouts", "--gm"], "");
    assert!(out.stdout.contains("https://www.buildkitestatus.com/incidents/mx6m0whvqtcb (incident of 2021-09-20)"));
    // The GM's sheet lists the team's rubric lines too.
    for row in [
        "updates to status-page",
        "updates to execs",
        "5 Ws",
        "every paging alert acknowledged within 5m",
        "reply Customer",
    ] {
        assert!(out.stdout.contains(row), "the GM sheet lacks {row:?}: {out}");
    }
    // The briefing card a volunteer may see does not give the date (or the link) away.
    let out = env.run(&["show", "api-timeouts"], "");
    assert!(!out.stdout.contains("2021") && !out.stdout.contains("buildkite"), "{out}");
}

#[test]
fn an_invented_scenario_says_so_in_the_debrief_and_the_gm_sheet() {
    let env = TestEnvironment::new();
    let out = env.play(1, &["quit"]);
    assert_eq!(out.status, 0, "{out}");
    let md = env.debrief();
    assert!(
        md.contains(
            "Source: invented example, not a real incident (the seed guide's own Wheel of Misfortune example, \
             written 2026-11-25)."
        ),
        "{}",
        &md[..600]
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(env.path().join("debriefs/signup-outage-seed1.json")).expect("json"),
    )
    .expect("valid json");
    assert_eq!(
        json["source"],
        serde_json::json!({"url": "the seed guide's own Wheel of Misfortune example", "date": "2026-11-25", "invented": true})
    );
    let html = std::fs::read_to_string(env.path().join("debriefs/signup-outage-seed1.html")).expect("html");
    assert!(html.contains("invented example, not a real incident"), "the HTML page says so too");
    let out = env.run(&["show", "signup-outage", "--gm"], "");
    assert!(out.stdout.contains("invented example, not a real incident"), "{out}");
}

#[test]
fn a_bad_source_date_is_refused_where_it_is_written() {
    let text = source("signup-outage");
    let text = text.replacen(
        r#"source: (url: "the seed guide's own Wheel of Misfortune example", date: "2026-11-25", invented: true),"#,
        r#"source: (url: "https://example.com/pm", date: "2019-02-30"),"#,
        1,
    );
    let err = wom::scenario::parse(&text, "bad.ron").expect_err("refused");
    let empty = team_scenario_text().replacen("who: [[\"new\", \"signup\"]]", "who: [[\"new\", \" \"]]", 1);
    let empty = wom::scenario::parse(&empty, "team.ron").expect_err("an empty keyword is refused");
    assert!(empty.to_string().contains("rubric.five_ws.who: each group needs at least one word"), "{empty}");
    insta::assert_snapshot!(err.to_string(), @r#"bad.ron:10:67: `source.date` is `2019-02-30`; expected the incident's date as YYYY-MM-DD, e.g. "2019-07-02""#);
}

#[test]
fn blameful_phrasing_gets_a_gentle_note_in_the_debrief() {
    let env = TestEnvironment::new();
    let out = env.play(
        3,
        &[
            "declare sev2 Signups failing",
            "note Ravi should have tested the handler; careless deploy",
            "update Signups fail for new users because of Ravi; rolling back. Next update in 15m.",
            "diagnose human error: the new handler omits marketing_opt_in",
            "5w why it was the auth team's fault",
            "quit",
        ],
    );
    assert_eq!(out.status, 0, "{out}");
    let md = env.debrief();
    let section = &md[md.find("### A note on language").expect("the note")..];
    let doc = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/debrief.md"))
        .expect("docs/debrief.md");
    for line in section.lines().filter(|l| l.starts_with("- note at")) {
        assert!(doc.contains(&format!("  {line}\n")), "docs/debrief.md lacks {line:?}");
    }
    insta::assert_snapshot!(&section[..section.find("\n### ").unwrap_or(section.len())], @r#"
        ### A note on language

        *Not part of the score. A few phrases written during the drill read as blame; a blameless postmortem asks what in the system and the process made a mistake possible, so that people can speak openly next time.*

        - note at 14:05:30: "Ravi should have" puts a person's name next to the failure; say what the change or the process did
        - note at 14:05:30: "careless" describes a person, not the system; describe the conditions that made the mistake easy
        - update at 14:05:40: "because of Ravi" puts a person's name next to the failure; say what the change or the process did
        - diagnosis at 14:06:40: "human error" ends the inquiry where it should start: ask what made the error possible and easy to miss
        - 5w why at 14:07:10: "team's fault" names a person as the cause; say what in the system or the process let it happen
        "#);
    // Neutral text draws no note.
    let env = TestEnvironment::new();
    let out = env.play(3, &["note the 13:38 deploy shipped a handler without marketing_opt_in", "quit"]);
    assert_eq!(out.status, 0, "{out}");
    assert!(!env.debrief().contains("A note on language"));
}

#[test]
fn resolve_without_a_terminal_never_asks_and_says_which_ws_are_missing() {
    let env = TestEnvironment::new();
    let out = env.play(3, &["5w who every new user", "resolve", "status"]);
    assert_eq!(out.status, 0, "{out}");
    assert!(
        out.stdout.contains(
            "Incident resolved at 14:05:20.\nOf the 5 Ws, not recorded (the debrief shows them unanswered): what, where, why, when.\n"
        ),
        "{out}"
    );
}

#[test]
fn resolve_at_a_terminal_asks_for_each_missing_w_and_records_the_answers() {
    use std::io::{Read, Write};
    // util-linux's `script` gives wom a real terminal.
    let env = TestEnvironment::new();
    let wom = env!("CARGO_BIN_EXE_wom");
    let mut child = std::process::Command::new("script")
        .args(["-qfec", &format!("{wom} play --seed 1 --debrief d --wheel w --player pat"), "/dev/null"])
        .current_dir(env.path())
        .env("NO_COLOR", "")
        .env("TERM", "xterm")
        .env("WOM_NOW", "2026-11-25T18:00:00Z")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let pause = || std::thread::sleep(std::time::Duration::from_millis(700));
    for typed in ["5w who every new user\r", "resolve\r", "signing up a new user\r", "\r", "13:40\r", "\r"] {
        stdin.write_all(typed.as_bytes()).expect("type");
        pause();
    }
    let mut screen = String::new();
    child.stdout.take().expect("stdout").read_to_string(&mut screen).expect("screen");
    drop(stdin);
    child.wait().expect("wait");
    assert!(screen.contains("Before resolving: 4 of the 5 Ws not recorded yet."), "{screen}");
    assert!(screen.contains("what: What was the system trying to do?"), "{screen}");
    assert!(screen.contains("Drill over at"), "{screen}");
    let dir = env.path().join("d");
    let md = std::fs::read_dir(&dir)
        .expect("debriefs")
        .filter_map(Result::ok)
        .find(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| std::fs::read_to_string(e.path()).expect("md"))
        .expect("a debrief");
    assert!(md.contains("| What was the system trying to do? | create a user row"), "{md}");
    assert!(md.contains("| signing up a new user |"), "the answer is in the debrief");
    assert!(md.contains("| When did it start? | 13:40, 25 minutes"), "{md}");
    assert!(md.contains("| 13:40 |"), "{md}");
    assert!(
        md.contains("| Where did it fail? | auth's new signup handler, at the INSERT into users-db | (not answered")
    );
    // The answers went through the drill as `5w` lines, so the journal replays them.
    assert!(md.contains("`5w what signing up a new user`"), "{md}");
}

/// Reads a child's standard output on a thread, so the test can look at it while the child runs.
fn collect(from: impl std::io::Read + Send + 'static) -> std::sync::Arc<std::sync::Mutex<String>> {
    let buf = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let into = buf.clone();
    std::thread::spawn(move || {
        let mut from = from;
        let mut chunk = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut from, &mut chunk) {
            if n == 0 {
                break;
            }
            into.lock().expect("lock").push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
    buf
}

fn wait_until(what: &str, buf: &std::sync::Mutex<String>, done: impl Fn(&str) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done(&buf.lock().expect("lock")) {
        assert!(std::time::Instant::now() < deadline, "waited too long for {what}: {}", buf.lock().expect("lock"));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn host_records_each_responder_in_the_wheel_history_and_writes_the_html_debrief() {
    use std::io::Write;
    let env = TestEnvironment::new();
    let host_args =
        ["host", "signup-outage", "--listen", "127.0.0.1:0", "--code", "wheel-code", "--seed", "9", "--debrief", "d"];
    let mut host = env.command(&host_args, &[("WOM_PLAYER", "gus")]).spawn().expect("spawn host");
    let mut gm = host.stdin.take().expect("stdin");
    let console = collect(host.stdout.take().expect("stdout"));
    wait_until("the banner", &console, |s| s.contains("--code wheel-code --name"));
    let addr = {
        let text = console.lock().expect("lock").clone();
        let at = text.find("wom join ").expect("join line") + "wom join ".len();
        text[at..].split_whitespace().next().expect("address").to_string()
    };
    let join = |name: &str, lines: &str| {
        let mut child =
            env.command(&["join", &addr, "--code", "wheel-code", "--name", name], &[]).spawn().expect("spawn join");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(lines.as_bytes()).expect("type");
        (child, stdin)
    };
    let alex = join("alex", "role ic\ndeclare sev2 Signups failing\n");
    wait_until("alex's lines", &console, |s| s.contains("alex> declare sev2"));
    let sam = join("sam", "role ol\nmitigate disable-flag new_signup_handler\n");
    wait_until("sam's lines", &console, |s| s.contains("sam> mitigate"));
    gm.write_all(b"end\n").expect("end");
    drop(gm);
    let status = host.wait().expect("host ends");
    wait_until("the tail", &console, |s| s.contains("Recorded for") && s.ends_with(".jsonl\n"));
    for (mut child, stdin) in [alex, sam] {
        drop(stdin);
        let _ = child.wait();
    }
    let out = console.lock().expect("lock").clone();
    assert!(status.success(), "{out}");
    assert!(out.contains("Recorded for alex, sam in wheel/history.ron"), "{out}");
    let history = std::fs::read_to_string(env.path().join("wheel/history.ron")).expect("history");
    // Every responder gets the team's score (real-time ticks make its value vary), with the GM named.
    let score = regex::Regex::new(r"score:\d+,").expect("regex");
    assert_eq!(
        score.replace_all(&history, "score:N,"),
        "(date:\"2026-11-25T18:00:00Z\",who:\"alex\",scenario:\"signup-outage\",seed:9,score:N,max:100,gm:Some(\"gus\"))\n\
         (date:\"2026-11-25T18:00:00Z\",who:\"sam\",scenario:\"signup-outage\",seed:9,score:N,max:100,gm:Some(\"gus\"))\n"
    );
    for ext in ["md", "json", "html"] {
        assert!(env.path().join(format!("d/signup-outage-seed9.{ext}")).exists(), "the .{ext} debrief is written");
    }
    let out = env.run(&["history", "alex"], "");
    assert!(out.stdout.contains("signup-outage"), "{out}");
}
