//! The Game Master: GM console commands, the GM's view of the drill (hidden truth included), the volunteer's
//! `ask`, the clock modes (turn-based, real time, paused, timeboxed) and solo mode's automatic GM.
//!
//! Everything here that reads hidden truth returns it in GM-only events (`GmOutput`) or in [`GmView`], which
//! no volunteer or observer frame is ever built from; what the GM chooses to reveal (a hint, an answer, a
//! message) goes out as an ordinary visible event.

use super::command::{CommandError, CommandErrorKind};
use super::drill::Drill;
use super::event::{EndReason, EventKind, Visibility};
use super::observe::duration_arg;
use super::sheet::describe_trigger;
use super::text::{Doc, Line, Style, clock_label, offset_label, table};
use super::{render, score};
use crate::scenario::{Channel, Effect, Level, Shift, SimDuration, closest};
use crate::sim::Input;
use clap::{CommandFactory, Parser, Subcommand, error::ErrorKind};
use std::collections::BTreeMap;
use std::ops::Range;

/// Longest single `advance`.
const MAX_ADVANCE: i64 = 6 * 3600;

/// The GM's controls and queues, kept beside the drill.
#[derive(Debug, Default)]
pub struct GmDesk {
    /// A person is at the GM console (hosted drill); otherwise solo mode's automatic GM stands in.
    pub live: bool,
    /// The clock stands still: commands run but cost no simulated time.
    pub paused: bool,
    /// Real-time mode: simulated seconds per wall-clock second.
    pub speed: Option<f64>,
    /// Fractional simulated seconds owed to the clock in real-time mode.
    carry: f64,
    /// The drill ends itself at this simulated time.
    pub deadline: Option<i64>,
    /// Responses to substitute for the next run of a command.
    overrides: BTreeMap<String, String>,
    /// Questions asked (`ask`) and teams escalated to or paged, numbered in one queue.
    questions: Vec<Question>,
    /// Solo mode: when the last hint was offered.
    offered_at: Option<i64>,
}

/// An entry of the GM's queue: a responder's `ask`, or an `escalate`/`page` the GM answers as the team.
#[derive(Debug)]
struct Question {
    number: usize,
    by: Option<String>,
    /// The question, or what the team was asked.
    text: String,
    answered: bool,
    /// For an escalation: who answers (the team's person), in the inbox.
    answer_as: Option<String>,
}

/// A Game Master command, parsed. One clap multicall enum is the table, the parser and the help.
#[derive(Parser, Debug, Clone, PartialEq)]
#[command(multicall = true, disable_help_subcommand = true, color = clap::ColorChoice::Never)]
pub enum GmCommand {
    /// List the GM commands, or explain one: `help inject`
    Help {
        /// Command to explain.
        command: Option<String>,
    },
    /// What only the GM sees: tracks, pending transitions, evidence, score, walkthrough, questions
    State,
    /// Fire a scenario GM trigger (`inject <name>`), or inject a metric shift, a log line or an alert
    Inject {
        #[command(subcommand)]
        what: InjectWhat,
    },
    /// A chat message from a simulated person: `say "Dana (DBA)" the replica is fine`
    Say {
        /// Who speaks (quote names with spaces).
        persona: String,
        /// What they say.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Let simulated time pass now: `advance 5m`
    Advance {
        /// How long, e.g. 90s, 5m, 1h.
        duration: String,
    },
    /// Stop the clock: commands still run but cost no simulated time
    Pause,
    /// Start the clock again
    Resume,
    /// Real-time mode: the clock follows the wall clock, scaled (`speed 2`); `speed 0` turns it off
    Speed {
        /// Simulated seconds per wall-clock second.
        factor: f64,
    },
    /// End the drill by itself this long after now: `timebox 45m`
    Timebox {
        /// How long from now.
        duration: String,
    },
    /// Send a track to a state on the next tick: `goto incident rolled_back`
    Goto {
        /// Track.
        track: String,
        /// State of that track.
        state: String,
    },
    /// Send a hint to the responders (the next one, or hint n); it counts as used
    Hint {
        /// Which hint (1 is the mildest).
        number: Option<usize>,
    },
    /// Answer a responder's question: `answer 1 The vendor's status page is green`
    Answer {
        /// The question's number.
        number: usize,
        /// The answer.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Replace what the next run of a command shows: `override status All green, nothing to see`
    Override {
        /// The command word whose next response is replaced.
        command: String,
        /// What it shows instead.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Accept the latest diagnosis as naming the root cause
    Accept,
    /// Reject the latest diagnosis
    Reject,
    /// The live score
    Score,
    /// End the drill now
    End,
}

/// What `inject` injects.
#[derive(Subcommand, Debug, Clone, PartialEq)]
pub enum InjectWhat {
    /// Shift a metric from now on: `inject metric api error_rate add:0.05 --ramp 5m` (set:, scale:, add:)
    Metric {
        /// Service.
        service: String,
        /// Metric.
        metric: String,
        /// `set:<v>`, `scale:<f>` or `add:<v>`.
        shift: String,
        /// Reach the full shift gradually over this long.
        #[arg(long)]
        ramp: Option<String>,
    },
    /// Write a log line now: `inject log api error upstream reset by peer`
    Log {
        /// Service.
        service: String,
        /// debug, info, warn or error.
        level: String,
        /// The line.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Page everyone with an alert: `inject alert DiskFull db disk 95% full`
    Alert {
        /// Alert name.
        name: String,
        /// Service.
        service: String,
        /// Summary.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// A scenario's named GM trigger.
    #[command(external_subcommand)]
    Named(Vec<String>),
}

/// Every GM command word with its one-line summary, in table order.
pub fn gm_command_summaries() -> Vec<(String, String)> {
    GmCommand::command()
        .get_subcommands()
        .map(|c| (c.get_name().to_string(), c.get_about().map(|a| a.to_string()).unwrap_or_default()))
        .collect()
}

/// Parses one GM console line; `Ok(None)` for an empty line, `Err` with the help text for `--help`.
fn parse_gm(line: &str) -> Result<Option<GmCommand>, Result<String, CommandError>> {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let words = shlex::split(trimmed).unwrap_or_else(|| trimmed.split_whitespace().map(str::to_string).collect());
    let word = words.first().cloned().unwrap_or_default();
    match GmCommand::try_parse_from(&words) {
        Ok(command) => Ok(Some(keep_raw_text(command, trimmed))),
        Err(err) if matches!(err.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            Err(Ok(err.render().to_string()))
        }
        Err(err) => {
            let names: Vec<String> = gm_command_summaries().into_iter().map(|(n, _)| n).collect();
            let kind = if GmCommand::command().find_subcommand(&word).is_none() {
                CommandErrorKind::UnknownCommand { suggestion: closest(&word, &names).map(str::to_string) }
            } else {
                let rendered = err.render().to_string();
                let first = rendered.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
                CommandErrorKind::Usage { message: first.to_string() }
            };
            Err(Err(CommandError { word, kind }))
        }
    }
}

/// Free text keeps the line as typed.
fn keep_raw_text(command: GmCommand, line: &str) -> GmCommand {
    match command {
        GmCommand::Answer { number, .. } => GmCommand::Answer { number, text: vec![rest_after(line, 2)] },
        GmCommand::Override { command, .. } => GmCommand::Override { command, text: vec![rest_after(line, 2)] },
        other => other,
    }
}

fn rest_after(line: &str, n: usize) -> String {
    let mut rest = line.trim_start();
    for _ in 0..n {
        rest = rest.trim_start();
        rest = &rest[rest.find(char::is_whitespace).unwrap_or(rest.len())..];
    }
    rest.trim().to_string()
}

fn usage(word: &str, message: impl Into<String>) -> CommandError {
    CommandError { word: word.into(), kind: CommandErrorKind::Usage { message: message.into() } }
}

fn unknown(word: &str, what: &'static str, name: &str, candidates: Vec<String>) -> CommandError {
    CommandError { word: word.into(), kind: CommandErrorKind::Unknown { what, name: name.into(), candidates } }
}

/// The names of every `Gm("...")` trigger in a scenario, sorted, with the declared injects first-class.
pub fn inject_names(s: &crate::scenario::Scenario) -> Vec<String> {
    fn walk(t: &crate::scenario::Trigger, out: &mut Vec<String>) {
        use crate::scenario::Trigger;
        match t {
            Trigger::Gm(name) => out.push(name.clone()),
            Trigger::All(inner) | Trigger::Any(inner) => inner.iter().for_each(|t| walk(t, out)),
            Trigger::Not(inner) => walk(inner, out),
            _ => {}
        }
    }
    let mut out: Vec<String> = s.gm.injects.iter().map(|i| i.name.clone()).collect();
    for st in s.tracks.iter().flat_map(|t| &t.states) {
        st.transitions.iter().for_each(|tr| walk(&tr.when, &mut out));
    }
    s.messages.iter().for_each(|m| walk(&m.when, &mut out));
    out.sort();
    out.dedup();
    out
}

impl Drill {
    /// Starts a hosted drill: a person runs the GM console, so solo mode's automatic GM stays quiet.
    pub fn host(scenario: std::sync::Arc<crate::scenario::Scenario>, seed: u64) -> Drill {
        let mut drill = Drill::start_quietly(scenario, seed);
        drill.desk.live = true;
        drill
    }

    /// Schedules solo mode's self-firing injects (called when the drill starts without a live GM).
    pub(super) fn schedule_auto_injects(&mut self) {
        let autos: Vec<(i64, String)> =
            self.scenario.gm.injects.iter().filter_map(|i| i.auto.map(|d| (d.secs(), i.name.clone()))).collect();
        for (t, name) in autos {
            self.sim.input_at(t, Input::Gm(name));
        }
    }

    /// Whether a person runs the GM console.
    pub fn has_live_gm(&self) -> bool {
        self.desk.live
    }

    /// Whether wall-clock time moves the simulated clock now (real-time mode, not paused, not over).
    pub fn is_real_time(&self) -> bool {
        self.desk.speed.is_some() && !self.desk.paused && !self.is_over()
    }

    /// Whether the clock is paused.
    pub fn is_paused(&self) -> bool {
        self.desk.paused
    }

    /// Handles one line typed at the GM console; returns the range of events it produced. The line and its
    /// answer are GM-only events; what the GM sends out (hints, answers, messages, alerts) is visible.
    pub fn gm(&mut self, line: &str) -> Range<usize> {
        let start = self.events.len();
        let now = self.now();
        if line.trim().is_empty() {
            return start..start;
        }
        self.push(now, EventKind::GmCommand { line: line.trim().to_string() });
        let result = match parse_gm(line) {
            Ok(None) => return start..self.events.len(),
            Err(Ok(help)) => Ok(text_doc(&help)),
            Err(Err(err)) => Err(err),
            Ok(Some(_)) if self.is_over() => Err(CommandError { word: String::new(), kind: CommandErrorKind::Ended }),
            Ok(Some(command)) => self.run_gm(command),
        };
        let doc = match result {
            Ok(doc) => doc,
            Err(err) => Doc::line(Line::styled(Style::Bad, format!("error: {err}"))),
        };
        if !doc.is_empty() {
            self.push(self.now(), EventKind::GmOutput { doc });
        }
        start..self.events.len()
    }

    fn run_gm(&mut self, command: GmCommand) -> Result<Doc, CommandError> {
        let now = self.now();
        let ok = |text: String| Ok(Doc::line(Line::plain(text)));
        match command {
            GmCommand::Help { command } => gm_help(command.as_deref()),
            GmCommand::State => Ok(self.gm_view().render()),
            GmCommand::Inject { what } => self.inject(what),
            GmCommand::Say { persona, text } => {
                let text = text.join(" ");
                self.push(now, EventKind::Message { from: persona.clone(), channel: Channel::Chat, text });
                ok(format!("{persona} said it in chat."))
            }
            GmCommand::Advance { duration } => {
                let secs = duration_arg("advance", Some(&duration), 0)?;
                if secs <= 0 || secs > MAX_ADVANCE {
                    return Err(usage("advance", format!("give a duration up to {}", SimDuration(MAX_ADVANCE))));
                }
                self.run_clock(secs);
                ok(format!("Advanced {} to {}.", SimDuration(secs), self.clock_now()))
            }
            GmCommand::Pause => {
                if self.desk.paused {
                    return ok("The clock is already paused.".into());
                }
                self.desk.paused = true;
                self.announce(format!("the clock is paused at {}.", self.clock_now()));
                ok("Paused.".into())
            }
            GmCommand::Resume => {
                if !self.desk.paused {
                    return ok("The clock is not paused.".into());
                }
                self.desk.paused = false;
                self.announce(format!("the clock runs again from {}.", self.clock_now()));
                ok("Resumed.".into())
            }
            GmCommand::Speed { factor } => {
                if !factor.is_finite() || !(0.0..=600.0).contains(&factor) {
                    return Err(usage("speed", "give a factor from 0 (off) to 600"));
                }
                self.desk.speed = (factor > 0.0).then_some(factor);
                self.desk.carry = 0.0;
                match self.desk.speed {
                    Some(f) => self.announce(format!("real time: the clock now runs at {f}x the wall clock.")),
                    None => self.announce("the clock moves only when commands take time.".into()),
                }
                ok(format!("Speed {factor}."))
            }
            GmCommand::Timebox { duration } => {
                let secs = duration_arg("timebox", Some(&duration), 0)?;
                if secs <= 0 {
                    return Err(usage("timebox", "give a positive duration, e.g. 45m"));
                }
                self.desk.deadline = Some(now + secs);
                let at = clock_label(self.sim.page_time_of_day(), now + secs);
                self.announce(format!("the drill ends at {at}."));
                ok(format!("Timebox: the drill ends at {at}."))
            }
            GmCommand::Goto { track, state } => self.goto(&track, &state),
            GmCommand::Hint { number } => self.send_hint(number),
            GmCommand::Answer { number, text } => self.answer(number, &text.join(" "), "the GM"),
            GmCommand::Override { command, text } => {
                if super::command::command_help(&command).is_none() {
                    let names = super::command::command_summaries().into_iter().map(|(n, _)| n).collect();
                    return Err(unknown("override", "command", &command, names));
                }
                self.desk.overrides.insert(command.clone(), text.join(" "));
                ok(format!("The next `{command}` shows your text instead."))
            }
            GmCommand::Accept | GmCommand::Reject => {
                let accepted = matches!(command, GmCommand::Accept);
                let diagnosis = self.events.iter().rev().find_map(|e| match &e.kind {
                    EventKind::Diagnosis { text } => Some(text.clone()),
                    _ => None,
                });
                let word = if accepted { "accept" } else { "reject" };
                let diagnosis = diagnosis.ok_or_else(|| usage(word, "there is no diagnosis yet"))?;
                self.push(now, EventKind::Verdict { accepted, diagnosis });
                ok(format!("Diagnosis {word}ed."))
            }
            GmCommand::Score => Ok(score(&self.scenario, &self.events).render()),
            GmCommand::End => {
                self.finish(EndReason::GameMaster);
                ok("Drill ended.".into())
            }
        }
    }

    fn clock_now(&self) -> String {
        clock_label(self.sim.page_time_of_day(), self.now())
    }

    fn announce(&mut self, text: String) {
        self.push(self.now(), EventKind::Announcement { text });
    }

    fn inject(&mut self, what: InjectWhat) -> Result<Doc, CommandError> {
        let now = self.now();
        let s = self.scenario.clone();
        let services = || s.services.iter().map(|x| x.id.clone()).collect::<Vec<_>>();
        let service_named = |name: &str| {
            s.services.iter().find(|x| x.id == name).ok_or_else(|| unknown("inject", "service", name, services()))
        };
        match what {
            InjectWhat::Named(words) => {
                let name = words.join(" ");
                let names = inject_names(&s);
                if !names.contains(&name) {
                    return Err(unknown("inject", "inject", &name, names));
                }
                self.sim.input(Input::Gm(name.clone()));
                Ok(Doc::line(Line::plain(format!("Fired `{name}`; it takes effect on the next tick."))))
            }
            InjectWhat::Metric { service, metric, shift, ramp } => {
                let svc = service_named(&service)?;
                let Some(series) = self.sim.series_index(&service, &metric) else {
                    let metrics = svc.metrics.iter().map(|m| m.name.clone()).collect();
                    return Err(unknown("inject", "metric", &metric, metrics));
                };
                let shift = parse_shift(&shift)?;
                let ramp = duration_arg("inject", ramp.as_deref(), 0)?;
                self.sim.inject_metric(series, shift, ramp);
                Ok(Doc::line(Line::plain(format!("{service} {metric} shifted by {shift:?} from now on."))))
            }
            InjectWhat::Log { service, level, text } => {
                service_named(&service)?;
                let level = super::observe::level_arg(&level)?;
                let text = text.join(" ");
                self.sim.inject_effect(&Effect::Log { service: service.clone(), level, text });
                Ok(Doc::line(Line::plain(format!("Logged a {} line on {service}.", level_word(level)))))
            }
            InjectWhat::Alert { name, service, text } => {
                service_named(&service)?;
                if self.record.firing.contains_key(&name) {
                    return Err(usage("inject", format!("the alert `{name}` is firing already")));
                }
                let summary = text.join(" ");
                let severity = crate::scenario::AlertSeverity::Page;
                self.push(now, EventKind::AlertFired { name: name.clone(), service, severity, summary });
                Ok(Doc::line(Line::plain(format!("Alert {name} fired."))))
            }
        }
    }

    fn goto(&mut self, track: &str, state: &str) -> Result<Doc, CommandError> {
        let s = self.scenario.clone();
        let Some(t) = s.tracks.iter().find(|t| t.id == track) else {
            return Err(unknown("goto", "track", track, s.tracks.iter().map(|t| t.id.clone()).collect()));
        };
        if !t.states.iter().any(|x| x.id == state) {
            return Err(unknown("goto", "state", state, t.states.iter().map(|x| x.id.clone()).collect()));
        }
        self.sim.goto(track, state);
        Ok(Doc::line(Line::plain(format!("Track `{track}` enters `{state}` on the next tick."))))
    }

    fn send_hint(&mut self, number: Option<usize>) -> Result<Doc, CommandError> {
        let total = self.scenario.hints.len();
        let n = number.unwrap_or(self.record.hints + 1);
        let Some(hint) = n.checked_sub(1).and_then(|i| self.scenario.hints.get(i)) else {
            return Err(usage("hint", format!("the scenario has hints 1 to {total}")));
        };
        let text = hint.text.clone();
        let now = self.now();
        self.push(now, EventKind::Hint { number: n, text: text.clone() });
        self.announce(format!("hint {n} of {total}: {text}"));
        Ok(Doc::line(Line::plain(format!("Sent hint {n}."))))
    }

    fn answer(&mut self, number: usize, text: &str, from: &str) -> Result<Doc, CommandError> {
        let Some(q) = self.desk.questions.iter_mut().find(|q| q.number == number) else {
            let open: Vec<String> =
                self.desk.questions.iter().filter(|q| !q.answered).map(|q| q.number.to_string()).collect();
            return Err(unknown("answer", "question", &number.to_string(), open));
        };
        if q.answered {
            return Err(usage("answer", format!("question #{number} was answered already")));
        }
        q.answered = true;
        let answer_as = q.answer_as.clone();
        let now = self.now();
        if let Some(person) = answer_as {
            // An escalation is answered by the team's person, in the inbox, where `reply` can answer back.
            self.push(now, EventKind::Message { from: person.clone(), channel: Channel::Chat, text: text.to_string() });
            return Ok(Doc::line(Line::plain(format!("Answered #{number} as {person}."))));
        }
        self.push(now, EventKind::Answered { number, from: from.to_string(), text: text.to_string() });
        Ok(Doc::line(Line::plain(format!("Answered question #{number}."))))
    }

    /// The volunteer's `ask`: queued for a live GM, or answered from the scenario's scripted answers.
    pub(super) fn ask(&mut self, question: &str) -> Doc {
        let number = self.desk.questions.len() + 1;
        let by = self.speaker.clone();
        let text = question.to_string();
        self.desk.questions.push(Question { number, by: by.clone(), text, answered: false, answer_as: None });
        self.push(self.now(), EventKind::Asked { number, by, question: question.to_string() });
        if self.desk.live {
            return Doc::line(Line::plain(format!("Question #{number} is with the GM.")));
        }
        let (from, text) = match self.scripted_answer(question) {
            Some(a) => (if a.from.is_empty() { "a teammate".to_string() } else { a.from.clone() }, a.text.clone()),
            None => ("nobody".to_string(), "Nobody answers.".to_string()),
        };
        let _ = self.answer(number, &text, &from);
        Doc::new()
    }

    /// The scenario's scripted answer whose keywords the text mentions (as a whole word), if any.
    fn scripted_answer(&self, text: &str) -> Option<&crate::scenario::ScriptedAnswer> {
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).collect();
        self.scenario.gm.answers.iter().find(|a| a.keywords.iter().any(|k| words.contains(&k.to_lowercase().as_str())))
    }

    /// A responder's `escalate`/`page` (the team is known): in a hosted drill it waits in the GM's queue,
    /// and the GM answers as the team's person; in a solo drill the automatic GM answers from the scenario
    /// (the team's own answer, else a scripted answer the text matches) or nobody answers.
    pub(super) fn escalate(&mut self, team: &str, text: &str, urgent: bool) -> Doc {
        let Some(found) = self.scenario.teams.iter().find(|t| t.id == team).cloned() else { return Doc::new() };
        let verb = if urgent { "Paged" } else { "Escalated to" };
        let now = self.now();
        if self.desk.live {
            let number = self.desk.questions.len() + 1;
            let asked = if text.is_empty() {
                format!("{} {team}", verb.to_lowercase())
            } else {
                format!("{} {team}: {text}", verb.to_lowercase())
            };
            let by = self.speaker.clone();
            let answer_as = Some(found.from.clone());
            self.desk.questions.push(Question { number, by, text: asked, answered: false, answer_as });
            let event =
                EventKind::Escalated { team: found.id.clone(), urgent, text: text.to_string(), queued: Some(number) };
            self.push(now, event);
            return Doc::line(Line::plain(format!("{verb} {team}; {} will answer in your inbox.", found.from)));
        }
        self.push(now, EventKind::Escalated { team: found.id.clone(), urgent, text: text.to_string(), queued: None });
        let answer = if !found.answer.is_empty() {
            Some((found.from.clone(), found.answer.clone()))
        } else {
            self.scripted_answer(text)
                .map(|a| (if a.from.is_empty() { found.from.clone() } else { a.from.clone() }, a.text.clone()))
        };
        match answer {
            Some((from, text)) => {
                self.push(now, EventKind::Message { from, channel: Channel::Chat, text });
                Doc::line(Line::plain(format!("{verb} {team}.")))
            }
            None => Doc::line(Line::plain(format!("{verb} {team}. Nobody from {team} answers."))),
        }
    }

    /// The response the GM substituted for this command, if any (used once).
    pub(super) fn take_override(&mut self, command: &str) -> Option<Doc> {
        self.desk.overrides.remove(command).map(|text| text_doc(&text))
    }

    /// Lets `secs` of simulated time pass unless the clock is paused, then applies the timebox and solo
    /// mode's hint pacing.
    pub(super) fn run_clock(&mut self, secs: i64) {
        let from = self.now();
        if secs > 0 && !self.desk.paused {
            self.sim.advance(secs);
            self.push(self.now(), EventKind::Clock { from, to: self.now() });
            self.collect_sim_events();
        }
        if let Some(deadline) = self.desk.deadline
            && self.now() >= deadline
        {
            self.announce("time is up.".into());
            self.finish(EndReason::TimeUp);
        }
        self.offer_hint();
    }

    /// Real-time mode: lets the wall-clock time that passed move the simulated clock (scaled). Returns the
    /// events this produced.
    pub fn wall_clock(&mut self, elapsed: std::time::Duration) -> Range<usize> {
        let start = self.events.len();
        if let (Some(speed), false, false) = (self.desk.speed, self.desk.paused, self.is_over()) {
            self.desk.carry += elapsed.as_secs_f64() * speed;
            let whole = self.desk.carry.floor();
            if whole >= 1.0 {
                self.desk.carry -= whole;
                self.run_clock(whole as i64);
            }
        }
        start..self.events.len()
    }

    /// Solo mode: after the scenario's `hint_after` without progress, tell the volunteer a hint is there.
    fn offer_hint(&mut self) {
        let Some(after) = self.scenario.gm.hint_after.map(|d| d.secs()) else { return };
        if self.desk.live || self.is_over() || self.record.hints >= self.scenario.hints.len() || after <= 0 {
            return;
        }
        let progress = self
            .events
            .iter()
            .rev()
            .find(|e| {
                matches!(
                    e.kind,
                    EventKind::StateEntered { .. } | EventKind::EvidenceFound { .. } | EventKind::Hint { .. }
                )
            })
            .map_or(0, |e| e.t.max(0));
        let since = progress.max(self.desk.offered_at.unwrap_or(0));
        if self.now() - since >= after {
            self.desk.offered_at = Some(self.now());
            let n = self.record.hints + 1;
            self.announce(format!(
                "no progress for {}; `hint` gives hint {n} of {} (it costs points).",
                SimDuration(self.now() - since),
                self.scenario.hints.len()
            ));
        }
    }

    /// What only the GM sees right now.
    pub fn gm_view(&self) -> GmView {
        let s = &self.scenario;
        let pending = self.sim.gm_pending();
        let mut tracks = Vec::new();
        for ((track, state, _phase, entered), statuses) in self.sim.gm_states().into_iter().zip(pending) {
            let spec = s.tracks.iter().find(|t| t.id == track).and_then(|t| t.states.iter().find(|x| x.id == state));
            let how = self
                .events
                .iter()
                .rev()
                .find(|e| matches!(&e.kind, EventKind::StateEntered { state: x, .. } if *x == state))
                .and_then(|e| self.events[..e.seq as usize].iter().rev().find_map(cause_of))
                .unwrap_or_else(|| "its initial state".to_string());
            let exits = spec
                .map(|x| {
                    x.transitions
                        .iter()
                        .zip(statuses)
                        .map(|(tr, status)| (tr.to.clone(), describe_trigger(&tr.when), status))
                        .collect()
                })
                .unwrap_or_default();
            tracks.push(TrackView { track, state, entered, how, exits });
        }
        let found: Vec<String> = self.record.evidence.iter().cloned().collect();
        let typed: Vec<&str> = self
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Command { line, .. } => Some(line.as_str()),
                _ => None,
            })
            .collect();
        let walkthrough =
            s.walkthrough.iter().map(|step| (step.clone(), typed.iter().any(|t| same_step(t, step)))).collect();
        GmView {
            now: self.now(),
            page_time_of_day: self.sim.page_time_of_day(),
            tracks,
            evidence: s.rubric.evidence.iter().map(|e| (e.id.clone(), found.contains(&e.id))).collect(),
            score: score(s, &self.events).render(),
            walkthrough,
            questions: self
                .desk
                .questions
                .iter()
                .map(|q| (q.number, q.by.clone(), q.text.clone(), q.answered))
                .collect(),
            clock: self.clock_mode(),
        }
    }

    fn clock_mode(&self) -> String {
        let mut mode = match self.desk.speed {
            Some(f) => format!("real time at {f}x"),
            None => "turn-based (commands cost time)".to_string(),
        };
        if self.desk.paused {
            mode.push_str(", paused");
        }
        if let Some(d) = self.desk.deadline {
            mode.push_str(&format!(", ends at {}", clock_label(self.sim.page_time_of_day(), d)));
        }
        mode
    }
}

/// The input that most plausibly moved a track: the latest command or GM line before the state change.
fn cause_of(e: &super::event::DrillEvent) -> Option<String> {
    match &e.kind {
        EventKind::Command { line, by, .. } => {
            Some(format!("after `{line}`{}", by.as_deref().map_or(String::new(), |b| format!(" by {b}"))))
        }
        EventKind::GmCommand { line } => Some(format!("after the GM's `{line}`")),
        EventKind::Clock { .. } | EventKind::Output { .. } | EventKind::EvidenceFound { .. } => None,
        _ => None,
    }
}

/// A typed line matches a walkthrough step when the command word and its first argument agree.
fn same_step(typed: &str, step: &str) -> bool {
    let head = |s: &str| s.split_whitespace().take(2).map(str::to_string).collect::<Vec<_>>();
    head(typed) == head(step)
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

fn parse_shift(text: &str) -> Result<Shift, CommandError> {
    let bad = || usage("inject", format!("bad shift `{text}`: write set:<value>, scale:<factor> or add:<value>"));
    let (kind, value) = text.split_once(':').ok_or_else(bad)?;
    let value: f64 = value.parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(bad)?;
    match kind {
        "set" => Ok(Shift::Set(value)),
        "scale" => Ok(Shift::Scale(value)),
        "add" => Ok(Shift::Add(value)),
        _ => Err(bad()),
    }
}

fn gm_help(command: Option<&str>) -> Result<Doc, CommandError> {
    let Some(name) = command else {
        let rows = gm_command_summaries()
            .into_iter()
            .map(|(name, about)| vec![(Style::Heading, name), (Style::Plain, about)])
            .collect();
        let mut doc = table(rows);
        doc.push(Line::styled(Style::Dim, "`help <command>` explains one. GM commands take no simulated time."));
        return Ok(doc);
    };
    let mut root = GmCommand::command();
    let names: Vec<String> = gm_command_summaries().into_iter().map(|(n, _)| n).collect();
    let sub = root.find_subcommand_mut(name).ok_or_else(|| unknown("help", "command", name, names))?;
    Ok(text_doc(&sub.render_help().to_string()))
}

fn text_doc(text: &str) -> Doc {
    let mut doc = Doc::new();
    for line in text.trim_end().lines() {
        doc.plain(line);
    }
    doc
}

/// Completion candidates for a partly typed GM console line.
pub fn gm_completions(s: &crate::scenario::Scenario, before_cursor: &str) -> (usize, Vec<String>) {
    // A word inside an open quote (`say "Priya (Cu`) runs from the quote, spaces and all.
    let open_quote = before_cursor.match_indices('"').map(|(i, _)| i).collect::<Vec<_>>();
    let start = match open_quote.len() % 2 {
        1 => open_quote[open_quote.len() - 1],
        _ => before_cursor.char_indices().rev().find(|(_, c)| c.is_whitespace()).map_or(0, |(i, c)| i + c.len_utf8()),
    };
    let prefix = &before_cursor[start..];
    let done: Vec<&str> = before_cursor[..start].split_whitespace().collect();
    let services = || s.services.iter().map(|x| x.id.clone()).collect::<Vec<_>>();
    let mut pool: Vec<String> = match done.as_slice() {
        [] | ["help"] => gm_command_summaries().into_iter().map(|(n, _)| n).collect(),
        ["inject"] => {
            let mut names = inject_names(s);
            names.extend(["metric", "log", "alert"].map(String::from));
            names
        }
        ["inject", "metric" | "log"] | ["inject", "alert", _] => services(),
        ["inject", "metric", service] => s
            .services
            .iter()
            .find(|x| x.id == *service)
            .map(|x| x.metrics.iter().map(|m| m.name.clone()).collect())
            .unwrap_or_default(),
        ["inject", "metric", _, _] => ["set:", "scale:", "add:"].map(String::from).to_vec(),
        ["inject", "log", _] => ["debug", "info", "warn", "error"].map(String::from).to_vec(),
        ["goto"] => s.tracks.iter().map(|t| t.id.clone()).collect(),
        ["goto", track] => s
            .tracks
            .iter()
            .find(|t| t.id == *track)
            .map(|t| t.states.iter().map(|x| x.id.clone()).collect())
            .unwrap_or_default(),
        ["hint"] => (1..=s.hints.len()).map(|n| n.to_string()).collect(),
        ["override"] => super::command::command_summaries().into_iter().map(|(n, _)| n).collect(),
        ["say"] => {
            // Everyone the scenario lets speak: senders of messages, the teams' people, scripted answerers.
            let mut people: Vec<String> = s.messages.iter().map(|m| format!("\"{}\"", m.from)).collect();
            people.extend(s.teams.iter().map(|t| format!("\"{}\"", t.from)));
            people.extend(s.gm.answers.iter().filter(|a| !a.from.is_empty()).map(|a| format!("\"{}\"", a.from)));
            people.push("\"Game Master\"".into());
            people
        }
        _ => Vec::new(),
    };
    pool.retain(|c| c.starts_with(prefix));
    pool.sort();
    pool.dedup();
    (start, pool)
}

/// What only the GM sees: never sent to a responder or an observer.
#[derive(Clone, Debug)]
pub struct GmView {
    /// Simulated seconds from the page.
    pub now: i64,
    /// Seconds after midnight at the page.
    pub page_time_of_day: i64,
    /// Each track's state, how it got there and its ways out.
    pub tracks: Vec<TrackView>,
    /// Rubric evidence and whether it has been found.
    pub evidence: Vec<(String, bool)>,
    /// The live score.
    pub score: Doc,
    /// The walkthrough's steps and whether a responder has run each.
    pub walkthrough: Vec<(String, bool)>,
    /// Questions: (number, who, question, answered).
    pub questions: Vec<(usize, Option<String>, String, bool)>,
    /// How the clock runs.
    pub clock: String,
}

/// One track as the GM sees it.
#[derive(Clone, Debug)]
pub struct TrackView {
    /// Track id.
    pub track: String,
    /// Current state id.
    pub state: String,
    /// When it was entered.
    pub entered: i64,
    /// What moved it there.
    pub how: String,
    /// Ways out: destination, what fires it, how far it is (time left, metric value).
    pub exits: Vec<(String, String, Option<String>)>,
}

impl GmView {
    /// The view as text for the GM console.
    pub fn render(&self) -> Doc {
        let at = |t: i64| clock_label(self.page_time_of_day, t);
        let mut doc = Doc::line(Line::styled(
            Style::Heading,
            format!("GM view at {} ({}); clock: {}", at(self.now), offset_label(self.now), self.clock),
        ));
        for t in &self.tracks {
            doc.push(
                Line::styled(Style::Heading, format!("track {}: ", t.track))
                    .push(Style::Warn, t.state.clone())
                    .push(Style::Dim, format!(" since {} ({})", at(t.entered.max(-86_400)), t.how)),
            );
            for (to, when, status) in &t.exits {
                let status = status.as_deref().map_or(String::new(), |s| format!(" [{s}]"));
                doc.push(
                    Line::styled(Style::Good, format!("  -> {to} "))
                        .push(Style::Plain, format!("when {when}"))
                        .push(Style::Dim, status),
                );
            }
        }
        let found: Vec<String> =
            self.evidence.iter().map(|(id, f)| format!("{}{id}", if *f { "[x] " } else { "[ ] " })).collect();
        doc.push(Line::styled(Style::Heading, "evidence: ").push(Style::Plain, found.join("  ")));
        let done = self.walkthrough.iter().filter(|(_, d)| *d).count();
        doc.push(Line::styled(Style::Heading, format!("walkthrough ({done}/{} steps seen):", self.walkthrough.len())));
        for (step, seen) in &self.walkthrough {
            let (mark, style) = if *seen { ("[x]", Style::Good) } else { ("[ ]", Style::Dim) };
            doc.push(Line::styled(style, format!("  {mark} {step}")));
        }
        let open: Vec<&(usize, Option<String>, String, bool)> = self.questions.iter().filter(|q| !q.3).collect();
        if !open.is_empty() {
            doc.push(Line::styled(Style::Heading, "open questions (`answer <n> <text>`):"));
            for (n, by, q, _) in open {
                let by = by.as_deref().map_or(String::new(), |b| format!(" {b}"));
                doc.push(Line::styled(Style::Warn, format!("  #{n}{by}: ")).push(Style::Plain, q.clone()));
            }
        }
        doc.extend(self.score.clone());
        doc
    }
}

/// What the GM console shows for an event: everything, hidden truth included, with who ran each command.
pub fn gm_feed(event: &super::event::DrillEvent, page_time_of_day: i64) -> Option<Doc> {
    let at = clock_label(page_time_of_day, event.t);
    let doc = match &event.kind {
        EventKind::Command { line, by, .. } => Doc::line(
            Line::styled(Style::Heading, format!("[{at}] {}> ", by.as_deref().unwrap_or("volunteer")))
                .push(Style::Plain, line.clone()),
        ),
        EventKind::Rejected { line, error } => {
            Doc::line(Line::styled(Style::Dim, format!("[{at}] refused `{line}`: ")).push(Style::Bad, error.clone()))
        }
        EventKind::StateEntered { track, state, phase } => {
            Doc::line(Line::styled(Style::Warn, format!("[{at}] (GM) track {track} entered {state} [{phase:?}]")))
        }
        EventKind::EvidenceFound { id } => {
            Doc::line(Line::styled(Style::Good, format!("[{at}] (GM) evidence found: {id}")))
        }
        EventKind::GmCommand { line } => {
            Doc::line(Line::styled(Style::Heading, format!("[{at}] gm> ")).push(Style::Plain, line.clone()))
        }
        EventKind::GmOutput { doc } => doc.clone(),
        EventKind::Hint { number, .. } => {
            Doc::line(Line::styled(Style::Dim, format!("[{at}] (GM) hint {number} counted as used")))
        }
        EventKind::Escalated { team, urgent, text, queued } => {
            let verb = if *urgent { "paged" } else { "escalated to" };
            let mut line = Line::styled(Style::Warn, format!("[{at}] {verb} {team}"));
            if !text.is_empty() {
                line = line.push(Style::Plain, format!(": {text}"));
            }
            if let Some(n) = queued {
                line = line.push(Style::Dim, format!(" (#{n}: `answer {n} <text>` replies as the team)"));
            }
            Doc::line(line)
        }
        EventKind::Diagnosis { text } => Doc::line(
            Line::styled(Style::Warn, format!("[{at}] (GM) diagnosis to judge (`accept`/`reject`): "))
                .push(Style::Plain, text.clone()),
        ),
        _ if event.kind.visibility() == Visibility::Everyone => return render::volunteer_view(event, page_time_of_day),
        _ => return None,
    };
    Some(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gm_completion_completes_names_with_spaces_inside_an_open_quote() {
        let s = crate::scenario::builtin("signup-outage").expect("built-in").expect("valid");
        let (start, found) = gm_completions(&s, "say \"Priya (Cu");
        assert_eq!((start, found), (4, vec!["\"Priya (Customer Support)\"".to_string()]));
        // The teams' people speak too.
        let (_, found) = gm_completions(&s, "say \"Kim");
        assert_eq!(found, ["\"Kim (DBA on call)\"", "\"Kim (auth team)\""]);
        assert_eq!(gm_completions(&s, "goto incident ro"), (14, vec!["rolled_back".to_string()]));
    }
}
