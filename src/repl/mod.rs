//! The terminal front end: a rustyline editor on a terminal, plain line reading from a pipe or a script.
//! It reads lines, hands them to the drill and prints the events that come back. No game rules here.

mod paint;

pub use paint::{paint, want_color};

use crate::scenario::Scenario;
use crate::session::{Drill, EndReason, EventKind, clock_label, completions, volunteer_view};
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor, Helper, Highlighter, Hinter, Validator};
use std::io::{self, BufRead, Write};
use std::sync::Arc;

/// Where lines come from.
pub enum LineSource {
    /// An interactive terminal.
    Terminal(Box<Editor<WomHelper, DefaultHistory>>),
    /// A pipe or a script file; lines are echoed after the prompt so transcripts read naturally.
    Lines(Box<dyn BufRead>),
}

/// What reading a line gave.
enum Read {
    Line(String),
    Interrupted,
    End,
}

/// Completion for the editor, from the session's completion rules.
#[derive(Helper, Hinter, Highlighter, Validator)]
pub struct WomHelper {
    scenario: Arc<Scenario>,
}

impl Completer for WomHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(completions(&self.scenario, &line[..pos]))
    }
}

impl LineSource {
    /// A rustyline editor with history and completion for this scenario.
    pub fn terminal(scenario: Arc<Scenario>) -> rustyline::Result<LineSource> {
        let config = Config::builder()
            .completion_type(CompletionType::List)
            .auto_add_history(true)
            .history_ignore_dups(true)?
            .history_ignore_space(true)
            .build();
        let mut editor = Editor::with_config(config)?;
        editor.set_helper(Some(WomHelper { scenario }));
        Ok(LineSource::Terminal(Box::new(editor)))
    }

    fn read(&mut self, prompt: &str, out: &mut dyn Write) -> io::Result<Read> {
        match self {
            LineSource::Terminal(editor) => match editor.readline(prompt) {
                Ok(line) => Ok(Read::Line(line)),
                Err(ReadlineError::Interrupted) => Ok(Read::Interrupted),
                Err(ReadlineError::Eof) => Ok(Read::End),
                Err(err) => Err(io::Error::other(err)),
            },
            LineSource::Lines(reader) => loop {
                let mut line = String::new();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(Read::End);
                }
                let line = line.trim_end_matches(['\n', '\r']).to_string();
                // Comments and blank lines let scripts be annotated.
                if line.trim_start().starts_with('#') || line.trim().is_empty() {
                    continue;
                }
                writeln!(out, "{prompt}{line}")?;
                return Ok(Read::Line(line));
            },
        }
    }
}

/// Plays a drill until it ends, printing what the volunteer sees.
pub fn run(drill: &mut Drill, source: &mut LineSource, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let tod = drill.sim().page_time_of_day();
    print_events(drill, 0..drill.events().len(), out, color)?;
    while !drill.is_over() {
        let prompt = format!("{} wom> ", clock_label(tod, drill.now()));
        out.flush()?;
        match source.read(&prompt, out)? {
            Read::Line(line) => {
                let range = drill.respond(&line);
                print_events(drill, range, out, color)?;
            }
            Read::Interrupted => {
                writeln!(out, "(line cancelled; `quit` or Ctrl-D ends the drill)")?;
            }
            Read::End => {
                let start = drill.events().len();
                drill.finish(EndReason::EndOfInput);
                print_events(drill, start..drill.events().len(), out, color)?;
            }
        }
    }
    out.flush()
}

fn print_events(drill: &Drill, range: std::ops::Range<usize>, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let tod = drill.sim().page_time_of_day();
    for event in &drill.events()[range] {
        if matches!(event.kind, EventKind::Command { .. }) {
            continue;
        }
        if let Some(doc) = volunteer_view(event, tod) {
            write!(out, "{}", paint(&doc, color))?;
        }
    }
    Ok(())
}
