//! A rubric that follows the incident (issue 18 item 6), on `tests/fixtures/rubric.ron`: points for good
//! actions taken at the right moment (pausing the automation that fights you, canarying a fix first), a
//! penalty that applies only at the wrong moment, and mitigation credit taken back when the incident
//! relapses.

use crate::common::TestEnvironment;
use std::sync::Arc;
use wom::scenario::Scenario;
use wom::session::{Drill, EndReason, debrief, score_record};

const FIXTURE: &str = include_str!("fixtures/rubric.ron");

fn scenario() -> Arc<Scenario> {
    Arc::new(wom::scenario::parse(FIXTURE, "rubric.ron").expect("the fixture loads"))
}

fn play(lines: &[&str]) -> Drill {
    let mut drill = Drill::start(scenario(), 1);
    for l in lines {
        drill.respond(l);
    }
    drill.finish(EndReason::EndOfInput);
    drill
}

/// The lines about actions, as `item points/max at detail`.
fn action_lines(drill: &Drill) -> String {
    let card = score_record(drill.scenario(), drill.record());
    card.lines
        .iter()
        .filter(|l| l.item == "mitigate" || l.item.starts_with("good: ") || l.item == "harmful actions")
        .map(|l| {
            let at = l.at.map_or("-".to_string(), wom::session::offset_label);
            format!("{} {}/{} {at} {}", l.item, l.points, l.max, l.detail)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn good_actions_earn_their_points_when_taken_at_the_right_moment() {
    let drill = play(&[
        "mitigate pause pusher",
        "mitigate rollback api",
        "wait 5m",
        "mitigate deploy-fix api-canary",
        "mitigate deploy-fix api",
        "wait 2m",
    ]);
    insta::assert_snapshot!(action_lines(&drill), @r"
    mitigate 20/20 T+2m user impact stopped at T+2m (goal: within 10m)
    good: pause pusher 5/5 T+0s `pause pusher` at T+0s, before `rollback api` (the pusher would put the bad config back: pause the automation that fights you first)
    good: deploy-fix api-canary 5/5 T+6m30s `deploy-fix api-canary` at T+6m30s, before `deploy-fix api`, while `incident.rolled_back` (trying the fix in one place first, with users already safe, shows it works before it goes everywhere)
    harmful actions 0/0 - none
    ");
    let card = score_record(drill.scenario(), drill.record());
    assert_eq!((card.total, card.max), (30, 60), "the good actions add to what is available");
}

#[test]
fn a_good_action_at_the_wrong_moment_earns_nothing_and_a_harm_counts_only_at_its_moment() {
    // The fix shipped everywhere before the canary (harmful), the canary afterwards (too late), the pusher
    // paused only after the rollback (too late).
    let drill = play(&[
        "mitigate deploy-fix api",
        "mitigate rollback api",
        "mitigate pause pusher",
        "mitigate deploy-fix api-canary",
    ]);
    insta::assert_snapshot!(action_lines(&drill), @r"
    mitigate 20/20 T+1m user impact stopped at T+1m (goal: within 10m)
    good: pause pusher 0/5 T+2m `pause pusher` at T+2m, but not before `rollback api` (the pusher would put the bad config back: pause the automation that fights you first)
    good: deploy-fix api-canary 0/5 T+2m30s `deploy-fix api-canary` at T+2m30s, but not before `deploy-fix api` (trying the fix in one place first, with users already safe, shows it works before it goes everywhere)
    harmful actions -5/0 T+0s deploy-fix api (a fix shipped everywhere untried can break everything at once)
    ");
    // The same fix shipped after the canary is no harm; a canary while users are still affected is not the
    // careful step the rubric rewards.
    let drill = play(&["mitigate deploy-fix api-canary", "mitigate deploy-fix api"]);
    insta::assert_snapshot!(action_lines(&drill), @r"
    mitigate 20/20 T+2m user impact stopped at T+2m (goal: within 10m)
    good: pause pusher 0/5 - not taken (the pusher would put the bad config back: pause the automation that fights you first)
    good: deploy-fix api-canary 0/5 T+0s `deploy-fix api-canary` at T+0s, but not while `incident.rolled_back` (trying the fix in one place first, with users already safe, shows it works before it goes everywhere)
    harmful actions 0/0 - none
    ");
}

#[test]
fn mitigation_credit_is_taken_back_when_the_incident_relapses() {
    // Rolled back with the pusher still running: impact stops at T+1m and is back at T+4m for good.
    let relapsed = play(&["mitigate rollback api", "wait 10m"]);
    insta::assert_snapshot!(action_lines(&relapsed).lines().next().unwrap_or_default(), @"mitigate 0/20 T+4m user impact stopped at T+1m, came back at T+4m, and users were still affected at the end, so no credit (goal: within 10m)");
    assert_eq!(relapsed.record().mitigated, None, "nothing holds at the end");

    // Paused and rolled back again within the goal: credit, timed to the stop that held.
    let recovered =
        play(&["mitigate rollback api", "wait 5m", "mitigate pause pusher", "mitigate rollback api", "wait 10m"]);
    insta::assert_snapshot!(action_lines(&recovered).lines().next().unwrap_or_default(), @"mitigate 20/20 T+8m user impact stopped at T+1m, came back at T+4m; stopped again at T+8m and held; the time counts to the stop that held (goal: within 10m)");

    // Within twice the goal: half, although the first stop came at T+1m.
    let late =
        play(&["mitigate rollback api", "wait 12m", "mitigate pause pusher", "mitigate rollback api", "wait 5m"]);
    insta::assert_snapshot!(action_lines(&late).lines().next().unwrap_or_default(), @"mitigate 10/20 T+15m user impact stopped at T+1m, came back at T+4m; stopped again at T+15m and held; the time counts to the stop that held (goal: within 10m)");
}

#[test]
fn the_next_hint_is_about_mitigating_again_after_a_relapse() {
    let mut drill = Drill::start(scenario(), 1);
    drill.respond("mitigate rollback api");
    drill.respond("wait 1m");
    let before = drill.events().len();
    drill.respond("hint");
    let said = |drill: &Drill, from: usize| {
        drill.events()[from..]
            .iter()
            .filter_map(|e| match &e.kind {
                wom::session::EventKind::Output { doc } => Some(doc.plain_text()),
                _ => None,
            })
            .collect::<String>()
    };
    assert_eq!(said(&drill, before), "Nothing left to hint at: the hints cover what is already done.\n");
    drill.respond("wait 5m");
    let before = drill.events().len();
    drill.respond("hint");
    assert_eq!(said(&drill, before), "Hint 1 of 1: Something keeps putting the bad config back.\n");
}

#[test]
fn the_debrief_shows_each_relapse_in_the_impact_and_the_timeline() {
    let drill =
        play(&["mitigate rollback api", "wait 5m", "mitigate pause pusher", "mitigate rollback api", "wait 10m"]);
    let md = debrief(&drill).markdown;
    let impact = &md[md.find("### Impact").expect("impact")..md.find("### Root cause").expect("root cause")];
    insta::assert_snapshot!(impact, @r"
    ### Impact

    - Who: e
    - Duration: 07:00:00 to 09:08:00, 2h8m
    - Relapses: impact stopped at 09:01:00 and came back at 09:04:00; users affected for 2h5m in all
    - Detection: paged at 09:00:00, 2h after impact began

    ### Timeline

    - 07:00:00 Impact begins
    - 09:00:00 Page
    - 09:00:00 Action: rollback api
    - 09:01:00 User impact stops
    - 09:04:00 User impact returns (relapse)
    - 09:06:00 Action: pause pusher
    - 09:06:30 Action: rollback api
    - 09:08:00 User impact stops
    - 09:17:30 Drill ended (end of input)

    ");
}

#[test]
fn the_html_charts_shade_each_stretch_with_users_affected() {
    let relapsed =
        play(&["mitigate rollback api", "wait 5m", "mitigate pause pusher", "mitigate rollback api", "wait 10m"]);
    let html = debrief(&relapsed).html;
    let chart = &html[html.find("data-series=\"api/error_rate\"").expect("a chart of the alert's metric")..];
    let chart = &chart[..chart.find("</figure>").expect("the chart's end")];
    assert_eq!(chart.matches("<rect class=\"impact\"").count(), 2, "before the first stop, and the relapse: {chart}");
    let held = play(&["mitigate pause pusher", "mitigate rollback api", "wait 10m"]);
    let html = debrief(&held).html;
    let chart = &html[html.find("data-series=\"api/error_rate\"").expect("the chart")..];
    let chart = &chart[..chart.find("</figure>").expect("the chart's end")];
    assert_eq!(chart.matches("<rect class=\"impact\"").count(), 1, "{chart}");
}

#[test]
fn wom_check_plays_the_fixture_and_rejects_a_good_action_naming_no_action() {
    let env = TestEnvironment::new();
    env.write("rubric.ron", FIXTURE);
    let out = env.run(&["check", "rubric.ron"], "");
    insta::assert_snapshot!(out.to_string(), @r"
    ok   rubric.ron: walkthrough leaves the incident resolved, scoring 30/60
    [EOF]
    ");
    env.write("bad.ron", &FIXTURE.replace("Before(action: \"rollback\"", "Before(action: \"rolback\""));
    let out = env.run(&["check", "bad.ron"], "");
    assert_ne!(out.status, 0, "{out}");
    assert!(out.to_string().contains("did you mean `rollback`?"), "{out}");
}

#[test]
fn the_gm_sheet_lists_the_good_actions_and_the_moments() {
    let env = TestEnvironment::new();
    env.write("rubric.ron", FIXTURE);
    let out = env.run(&["show", "rubric.ron", "--gm"], "");
    assert_eq!(out.status, 0, "{out}");
    let rubric =
        &out.stdout[out.stdout.find("Rubric").expect("the rubric")..out.stdout.find("\nSource").expect("the source")];
    insta::assert_snapshot!(rubric, @r"
    Rubric (60 points)
       10  declare                      within 5m
       20  mitigate                     user impact stops within 10m and stays stopped
       10  root cause                   a `diagnose` that names it
       10  updates                      a status update at least every 5m
        5  good: pause pusher           `mitigate pause pusher`, before `rollback api`: the pusher would put the bad config back: pause the automation that fights you first
        5  good: deploy-fix api-canary  `mitigate deploy-fix api-canary`, before `deploy-fix api`, while `incident.rolled_back`: trying the fix in one place first, with users already safe, shows it works before it goes everywhere
      -5 mitigate deploy-fix api, before `deploy-fix api-canary`: a fix shipped everywhere untried can break everything at once
    ");
}
