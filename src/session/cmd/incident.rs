//! Incident-handling commands: declaring, roles, updates, notes, actions, the diagnosis, hints and runbooks.

use super::{Context, Landing, Outcome};
use crate::scenario::{ActionArg, ActionResult, ArgType, SimDuration, Stage};
use crate::scenario::{Objective, Severity, member_owner};
use crate::session::command::{CommandError, CommandErrorKind};
use crate::session::event::{EventKind, Role};
use crate::session::observe;
use crate::session::score::objective_met;
use crate::session::text::FIVE_WS;
use crate::session::text::{Doc, Line, Style, clock_label};
use crate::sim::{ArgValue, Input};

/// `runbook [<name>]`: the list, or one runbook.
pub fn runbook(cx: &Context, name: Option<&str>) -> Result<Outcome, CommandError> {
    Ok(cx.show(observe::runbook(cx.scenario, name)?))
}

/// `sev2`, `SEV-2`, `2`, `critical` … → a severity.
pub fn parse_severity(text: &str) -> Option<Severity> {
    let t = text.to_ascii_lowercase().replace(['-', '_'], "");
    match t.trim_start_matches("sev") {
        "1" | "critical" => Some(Severity::Sev1),
        "2" | "major" => Some(Severity::Sev2),
        "3" | "minor" => Some(Severity::Sev3),
        "4" | "low" | "warning" => Some(Severity::Sev4),
        _ => None,
    }
}

/// `declare <severity> [<title>]`: declares the incident, or changes its severity.
pub fn declare(cx: &Context, severity: &str, title: &str) -> Result<Outcome, CommandError> {
    let sev = parse_severity(severity).ok_or_else(|| CommandError {
        word: cx.spec.name.into(),
        kind: CommandErrorKind::Unknown {
            what: "severity",
            name: severity.to_string(),
            candidates: Severity::ALL.iter().map(|s| s.label().to_lowercase()).collect(),
        },
    })?;
    let title = if title.is_empty() { "untitled incident".to_string() } else { title.to_string() };
    let text = match cx.record.declared.as_ref().map(|d| d.severity) {
        Some(old) if old != sev => format!("Severity changed from {} to {}: {title}", old.label(), sev.label()),
        Some(_) => format!("Incident already declared as {}: {title}", sev.label()),
        None => format!(
            "Incident declared: {} \"{title}\" at {}.",
            sev.label(),
            clock_label(cx.sim.page_time_of_day(), cx.sim.now())
        ),
    };
    Ok(cx.show(Doc::line(Line::styled(Style::Warn, text))).with(EventKind::Declared { severity: sev, title }))
}

/// `role <role> [<name>]`: someone (by default the volunteer) takes a role.
pub fn role(cx: &Context, role: &str, name: &str) -> Result<Outcome, CommandError> {
    let role = match role.to_ascii_lowercase().as_str() {
        "ic" | "commander" | "incident-commander" => Role::IncidentCommander,
        "ol" | "ops" | "operations" | "operations-lead" => Role::OperationsLead,
        "cl" | "comms" | "communications" | "communications-lead" => Role::CommunicationsLead,
        _ => {
            return Err(CommandError {
                word: cx.spec.name.into(),
                kind: CommandErrorKind::Unknown {
                    what: "role",
                    name: role.to_string(),
                    candidates: Role::ALL.iter().map(|r| r.short().to_string()).collect(),
                },
            });
        }
    };
    // In a hosted drill `role ol` and `role ol me` claim the role for whoever typed it.
    let name = match (name, cx.speaker) {
        ("" | "me", Some(speaker)) => speaker.to_string(),
        ("", None) => "you".to_string(),
        (name, _) => name.to_string(),
    };
    let verb = if name == "you" || name == "me" { "You are".to_string() } else { format!("{name} is") };
    Ok(cx.show(Doc::line(Line::plain(format!("{verb} {}.", role.title())))).with(EventKind::RoleTaken { role, name }))
}

/// `update [--to <audience>] <text>`: a status update to stakeholders (the incident channel, or one of the
/// scenario's audiences); refused until an incident is declared, since there is nothing yet for stakeholders
/// to follow.
pub fn update(cx: &Context, to: Option<&str>, text: &str) -> Result<Outcome, CommandError> {
    let audiences = &cx.scenario.rubric.audiences;
    let audience = match to {
        None | Some(CHANNEL) => None,
        Some(id) => Some(audiences.iter().find(|a| a.id == id).ok_or_else(|| CommandError {
            word: cx.spec.name.into(),
            kind: CommandErrorKind::Unknown {
                what: "audience",
                name: id.to_string(),
                candidates:
                    std::iter::once(CHANNEL.to_string()).chain(audiences.iter().map(|a| a.id.clone())).collect(),
            },
        })?),
    };
    if cx.record.declared.is_none() {
        return Err(CommandError {
            word: cx.spec.name.into(),
            kind: CommandErrorKind::NotYet {
                why: "no incident is declared yet, so there is nothing for stakeholders to follow; \
                      `declare <severity> <title>` first"
                    .into(),
            },
        });
    }
    let to = audience.map(|a| a.id.clone());
    let n = cx.record.updates.iter().filter(|u| u.to == to).count() + 1;
    let text_posted = match audience {
        // Without audiences in the scenario, one update reaches everyone who follows the incident.
        None if audiences.is_empty() => format!("Update #{n} posted to #incident and the status page."),
        None => format!("Update #{n} posted to #incident."),
        Some(a) => format!("Update #{n} to {} posted.", if a.name.is_empty() { &a.id } else { &a.name }),
    };
    let posted = Line::styled(Style::Good, text_posted);
    Ok(cx.show(Doc::line(posted)).with(EventKind::StatusUpdate { text: text.to_string(), to }))
}

/// The incident channel's name for `update --to`.
pub const CHANNEL: &str = "incident";

/// `note <text>`: a note for the record.
pub fn note(cx: &Context, text: &str) -> Outcome {
    cx.show(Doc::line(Line::plain("Noted."))).with(EventKind::Note { text: text.to_string() })
}

/// `diagnose <text>`: the volunteer's statement of the cause; never judged aloud.
pub fn diagnose(cx: &Context, text: &str) -> Outcome {
    let recorded = Line::plain("Diagnosis recorded; the debrief compares it with what really happened.");
    cx.show(Doc::line(recorded)).with(EventKind::Diagnosis { text: text.to_string() })
}

/// The alert called `name`, which must be firing now.
fn firing_alert(cx: &Context, name: &str) -> Result<String, CommandError> {
    if cx.record.firing.contains_key(name) {
        return Ok(name.to_string());
    }
    // Only firing alerts are named: the scenario's rules include alerts that have not fired yet.
    let kind = CommandErrorKind::Unknown {
        what: "firing alert",
        name: name.to_string(),
        candidates: cx.record.firing.keys().cloned().collect(),
    };
    Err(CommandError { word: cx.spec.name.into(), kind })
}

/// `ack <alert>`: acknowledges a firing alert.
pub fn ack(cx: &Context, alert: &str) -> Result<Outcome, CommandError> {
    let name = firing_alert(cx, alert)?;
    let text = match cx.record.acked.get(&name) {
        Some(t) => format!("`{name}` was already acknowledged at {}.", clock_label(cx.sim.page_time_of_day(), *t)),
        None => format!("Acknowledged `{name}`: it stays firing, and the on-call rotation knows someone is on it."),
    };
    Ok(cx.show(Doc::line(Line::plain(text))).with(EventKind::AlertAcked { name }))
}

/// `silence <alert> <duration>`: silences a firing alert for a while.
pub fn silence(cx: &Context, alert: &str, duration: &str) -> Result<Outcome, CommandError> {
    let name = firing_alert(cx, alert)?;
    let secs = crate::session::observe::duration_arg(cx.spec.name, Some(duration), 0)?;
    if secs <= 0 {
        return Err(CommandError {
            word: cx.spec.name.into(),
            kind: CommandErrorKind::Usage { message: "a silence needs a duration: `silence <alert> 30m`".into() },
        });
    }
    let until = cx.sim.now() + secs;
    let text = format!(
        "Silenced `{name}` until {}: it no longer pages, but it keeps firing while its condition holds.",
        clock_label(cx.sim.page_time_of_day(), until)
    );
    Ok(cx.show(Doc::line(Line::plain(text))).with(EventKind::AlertSilenced { name, until }))
}

/// `escalate <team> [<text>]` and `page <team> [<text>]`: checks the team; the drill then asks it (the GM's
/// queue in a hosted drill, the scenario's answer in a solo one: `Drill::escalate`).
pub fn escalate(cx: &Context, team: &str) -> Result<Outcome, CommandError> {
    if !cx.scenario.teams.iter().any(|t| t.id == team) {
        return Err(CommandError {
            word: cx.spec.name.into(),
            kind: CommandErrorKind::Unknown {
                what: "team",
                name: team.to_string(),
                candidates: cx.scenario.teams.iter().map(|t| t.id.clone()).collect(),
            },
        });
    }
    Ok(cx.show(Doc::new()))
}

/// `reply <person> <text>`: answers someone who wrote to the volunteer.
pub fn reply(cx: &Context, to: &str, text: &str) -> Result<Outcome, CommandError> {
    let mut senders: Vec<String> = cx.record.inbox.iter().map(|m| m.from.clone()).collect();
    senders.dedup();
    // Senders are named in full ("Priya (Customer Support)"); the first word is enough.
    let found = senders.iter().find(|s| s.as_str() == to || s.split_whitespace().next() == Some(to));
    let Some(who) = found.cloned() else {
        return Err(CommandError {
            word: cx.spec.name.into(),
            kind: CommandErrorKind::Unknown {
                what: "sender",
                name: to.to_string(),
                candidates: senders.iter().filter_map(|s| s.split_whitespace().next().map(str::to_string)).collect(),
            },
        });
    };
    let sent = format!("Replied to {who}.");
    Ok(cx.show(Doc::line(Line::plain(sent))).with(EventKind::Replied { to: who, text: text.to_string() }))
}

/// `5w <question> <answer>`: the volunteer's answer to one of the 5 Ws, shown beside the truth in the debrief.
pub fn five_w(cx: &Context, question: &str, answer: &str) -> Result<Outcome, CommandError> {
    let q = question.to_ascii_lowercase();
    if !FIVE_WS.contains(&q.as_str()) {
        return Err(CommandError {
            word: cx.spec.name.into(),
            kind: CommandErrorKind::Unknown {
                what: "question",
                name: question.to_string(),
                candidates: FIVE_WS.iter().map(|w| w.to_string()).collect(),
            },
        });
    }
    let answered = cx.record.five_ws.keys().filter(|k| **k != q).count() + 1;
    let text =
        format!("Recorded your answer to `{q}` ({answered} of 5 answered); the debrief shows it beside the truth.");
    Ok(cx.show(Doc::line(Line::plain(text))).with(EventKind::FiveW { question: q, answer: answer.to_string() }))
}

/// `mitigate <action> [<target>] [<argument>]`: takes an action; it lands in the simulation when it completes.
pub fn mitigate(cx: &Context, action: &str, target: Option<&str>, arg: Option<&str>) -> Result<Outcome, CommandError> {
    let s = cx.scenario;
    let error = |kind| CommandError { word: cx.spec.name.into(), kind };
    let spec = s.actions.iter().find(|a| a.id == action).ok_or_else(|| {
        error(CommandErrorKind::Unknown {
            what: "action",
            name: action.to_string(),
            candidates: s.actions.iter().map(|a| a.id.clone()).collect(),
        })
    })?;
    // An action without targets takes its argument first: `mitigate admit 30%`.
    let (target, arg) = match (spec.targets.is_empty() && spec.arg.is_some(), target, arg) {
        (true, Some(t), None) => (None, Some(t)),
        (true, Some(_), Some(extra)) => {
            return Err(error(CommandErrorKind::Usage {
                message: format!("`{action}` takes one argument, not `{extra}` too"),
            }));
        }
        _ => (target, arg),
    };
    let arg = match (&spec.arg, arg) {
        (None, None) => None,
        (None, Some(extra)) => {
            return Err(error(CommandErrorKind::Usage {
                message: format!("`{action}` takes no argument, not `{extra}`"),
            }));
        }
        (Some(want), None) => {
            return Err(error(CommandErrorKind::Usage {
                message: format!("`{action}` needs its {}: `mitigate {}`", want.name, usage(spec)),
            }));
        }
        (Some(want), Some(text)) => {
            Some(action_arg(want, text).map_err(|message| error(CommandErrorKind::Usage { message }))?)
        }
    };
    let target = match (target, spec.targets.is_empty()) {
        (None, false) => {
            return Err(error(CommandErrorKind::MissingTarget {
                action: action.into(),
                candidates: spec.targets.clone(),
            }));
        }
        (Some(t), false) if !spec.targets.iter().any(|x| x == t) && member_owner(s, &spec.targets, t).is_none() => {
            return Err(error(CommandErrorKind::Unknown {
                what: "target",
                name: t.into(),
                candidates: spec.targets.clone(),
            }));
        }
        (Some(t), true) => {
            return Err(error(CommandErrorKind::Usage { message: format!("`{action}` takes no target, not `{t}`") }));
        }
        (t, _) => t.map(str::to_string),
    };
    // The state decides how the action goes (the sim judges the outcome's condition; only its index comes
    // back), then an outcome's own cost wins over the action's, the scenario's `costs` and the default.
    let chosen = cx.sim.action_outcome(action).and_then(|i| spec.outcomes.get(i));
    let result = chosen.map_or(ActionResult::Succeeds, |o| o.result);
    let cost = chosen.and_then(|o| o.cost).or(spec.cost).map_or_else(|| cx.cost(), |d| d.secs());
    let arg_text = arg.as_ref().map_or("", |a: &ArgValue| a.text.as_str()).to_string();
    let fill = |text: &str| text.replace("{target}", target.as_deref().unwrap_or("")).replace("{arg}", &arg_text);
    let reply = fill(chosen.map(|o| o.reply.as_str()).filter(|r| !r.is_empty()).unwrap_or(&spec.result));
    let style = match result {
        ActionResult::Succeeds => Style::Plain,
        ActionResult::Partial(_) => Style::Warn,
        ActionResult::Fails | ActionResult::Refused => Style::Bad,
    };
    let failed = matches!(result, ActionResult::Fails | ActionResult::Refused);
    let mut outcome = Outcome::show(Doc::line(Line::styled(style, reply.clone())), cost).with(EventKind::Action {
        action: action.to_string(),
        target: target.clone(),
        arg: arg.as_ref().map(|a| a.text.clone()),
        result,
        reply: if result.is_success() { String::new() } else { reply },
    });
    if failed {
        // Nothing ran (refused) or nothing took (failed): no input lands, and no routine effect shows.
        return Ok(outcome);
    }
    let stages = match chosen {
        Some(o) if !o.stages.is_empty() => o.stages.as_slice(),
        Some(o) if !o.result.is_success() => &[],
        _ => spec.stages.as_slice(),
    };
    outcome.landings = landings(action, &target, &arg, result, stages, cost, &fill);
    outcome.routine = target.as_deref().and_then(|t| {
        let version = |service: &str| {
            let i = s.services.iter().position(|x| x.id == service).unwrap_or(0);
            cx.sim.inventory().versions.get(i).cloned().unwrap_or_default()
        };
        // An action on fleet members shows on their service.
        let shown_on = member_owner(s, &spec.targets, t).unwrap_or(t);
        crate::session::routine::routine_effects(s, action, shown_on, arg.as_ref().map(|a| a.text.as_str()), version)
    });
    Ok(outcome)
}

/// What an action that runs lands in the simulation: whole when it completes; or stage by stage, each with
/// the share done so far and the tool's report; or, for a partial result without stages, its share at once.
fn landings(
    action: &str,
    target: &Option<String>,
    arg: &Option<ArgValue>,
    result: ActionResult,
    stages: &[Stage],
    cost: i64,
    fill: &dyn Fn(&str) -> String,
) -> Vec<Landing> {
    let stage = |done: f64, part: f64| Input::Stage {
        action: action.to_string(),
        target: target.clone(),
        arg: arg.clone(),
        done,
        part,
    };
    match (stages, result) {
        ([], ActionResult::Succeeds) => {
            let input = Input::Action { action: action.to_string(), target: target.clone(), arg: arg.clone() };
            vec![Landing { after: cost, input, report: None }]
        }
        ([], result) => vec![Landing { after: cost, input: stage(result.share(), result.share()), report: None }],
        (stages, _) => {
            let mut before = 0.0;
            stages
                .iter()
                .map(|st| {
                    let part = st.done - before;
                    before = st.done;
                    let report = EventKind::ActionReport {
                        action: action.to_string(),
                        target: target.clone(),
                        text: fill(&st.report),
                    };
                    Landing { after: cost + st.after.secs(), input: stage(st.done, part), report: Some(report) }
                })
                .collect()
        }
    }
}

/// `hint`: the next hint about the first objective not yet met, which costs points; free once they run out.
pub fn hint(cx: &Context) -> Outcome {
    let hints = &cx.scenario.hints;
    let unused: Vec<usize> = (0..hints.len()).filter(|i| !cx.record.hints_given.contains(&(i + 1))).collect();
    if unused.is_empty() {
        return Outcome::show(Doc::line(Line::plain("No more hints.")), 0);
    }
    // The first objective not yet met that an unused hint is about; hints about nothing in particular come
    // after those, in order.
    let about = |i: &usize| hints[*i].about;
    let pick = Objective::ORDER
        .iter()
        .filter(|o| !objective_met(cx.scenario, cx.record, **o))
        .find_map(|o| unused.iter().find(|i| about(i) == Some(*o)))
        .or_else(|| unused.iter().find(|i| about(i).is_none()));
    let Some(&n) = pick else {
        return Outcome::show(
            Doc::line(Line::plain("Nothing left to hint at: the hints cover what is already done.")),
            0,
        );
    };
    let hint = &hints[n];
    let line =
        Line::styled(Style::Warn, format!("Hint {} of {}: ", n + 1, hints.len())).push(Style::Plain, hint.text.clone());
    cx.show(Doc::line(line)).with(EventKind::Hint { number: n + 1, text: hint.text.clone() })
}

/// How an action is typed: `admit <share>`, `scale <target> <count>`.
pub fn usage(spec: &crate::scenario::Action) -> String {
    let target = if spec.targets.is_empty() { String::new() } else { " <target>".to_string() };
    let arg = spec.arg.as_ref().map_or(String::new(), |a| format!(" <{}>", a.name));
    format!("{}{target}{arg}", spec.id)
}

/// What an action's argument may be, in words: `a percent from 0% to 50%`.
pub fn arg_words(arg: &ActionArg) -> String {
    let show = |x: f64| match arg.kind {
        ArgType::Percent => format!("{}%", x * 100.0),
        ArgType::Duration => SimDuration(x as i64).to_string(),
        _ => format!("{x}"),
    };
    let bounds = match (arg.min, arg.max) {
        (Some(lo), Some(hi)) => format!(" from {} to {}", show(lo), show(hi)),
        (Some(lo), None) => format!(" of at least {}", show(lo)),
        (None, Some(hi)) => format!(" of at most {}", show(hi)),
        (None, None) => String::new(),
    };
    match &arg.kind {
        ArgType::Percent => format!("a percent{bounds}, e.g. `30%`"),
        ArgType::Count => format!("a whole number{bounds}"),
        ArgType::Duration => format!("a duration{bounds}, e.g. `5m`"),
        ArgType::Choice(words) => format!("one of {}", crate::scenario::backticked(words)),
    }
}

/// Reads an action's argument as typed, or says what it should be.
fn action_arg(spec: &ActionArg, text: &str) -> Result<ArgValue, String> {
    let bad = || format!("`{}` is {}, not `{text}`", spec.name, arg_words(spec));
    let (number, shown) = match &spec.kind {
        ArgType::Percent => {
            let n: f64 = text.strip_suffix('%').unwrap_or(text).parse().map_err(|_| bad())?;
            (n / 100.0, format!("{n}%"))
        }
        ArgType::Count => {
            let n: i64 = text.parse().map_err(|_| bad())?;
            (n as f64, n.to_string())
        }
        ArgType::Duration => {
            let d = SimDuration::parse(text).map_err(|_| bad())?;
            (d.secs() as f64, d.to_string())
        }
        ArgType::Choice(words) => {
            let lower = text.to_lowercase();
            let k = words.iter().position(|w| w.to_lowercase() == lower).ok_or_else(bad)?;
            (k as f64, words[k].clone())
        }
    };
    let inside = number.is_finite() && spec.min.is_none_or(|lo| number >= lo) && spec.max.is_none_or(|hi| number <= hi);
    if !inside {
        return Err(bad());
    }
    Ok(ArgValue { number, text: shown })
}
