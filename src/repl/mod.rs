//! The terminal front end: a rustyline editor on a terminal, plain line reading from a pipe or a script.
//! It reads lines, hands them to the drill and prints the events that come back. No game rules here.
//!
//! Nothing that arrives here ends a drill abruptly: a line that is not UTF-8 is decoded lossily, a line
//! over [`MAX_LINE`] bytes is refused with a one-line message (and never held whole in memory), a reader
//! that goes away only silences the output, and a signal ends the drill the way `quit` would.

mod feed;
mod paint;

pub use feed::{Feed, Next, Stop};
pub use paint::{paint, want_color};

use crate::journal::{FeedDrill, JournalError};
use crate::scenario::Scenario;
use crate::session::{
    Drill, DrillInput, EndReason, EventKind, MAX_LINE, clock_label, completions, line_too_long, volunteer_view,
};
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Behavior, CompletionType, Config, Editor, Helper, Highlighter, Hinter, Validator};
use std::io::{self, BufRead, Write};
use std::sync::Arc;

/// Where lines come from.
pub enum LineSource {
    /// An interactive terminal: prompt and line editing happen on the terminal itself, even when standard
    /// output goes to a file or a pipe.
    Terminal(Box<Editor<WomHelper, DefaultHistory>>),
    /// A pipe or a script file.
    Lines(Box<dyn BufRead + Send>),
}

/// What reading a line gave.
#[derive(Debug, PartialEq)]
pub enum Read {
    /// A line to hand to the drill.
    Line(String),
    /// A line that cannot be used; the message says why.
    Refused(String),
    /// Ctrl-C at the prompt.
    Interrupted,
    /// No more input.
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
    /// A rustyline editor with history and completion for this scenario. It talks to the terminal
    /// (`/dev/tty`) rather than standard output, so `wom play > out.txt` keeps its prompt on the screen and
    /// only plain text in the file.
    pub fn terminal(scenario: Arc<Scenario>) -> rustyline::Result<LineSource> {
        let config = Config::builder()
            .behavior(Behavior::PreferTerm)
            .completion_type(CompletionType::List)
            .auto_add_history(true)
            .history_ignore_dups(true)?
            .history_ignore_space(true)
            .build();
        let mut editor = Editor::with_config(config)?;
        editor.set_helper(Some(WomHelper { scenario }));
        Ok(LineSource::Terminal(Box::new(editor)))
    }

    /// Reads the next line, showing `prompt` where the source has a screen of its own.
    pub fn read(&mut self, prompt: &str) -> io::Result<Read> {
        match self {
            LineSource::Terminal(editor) => match editor.readline(prompt) {
                Ok(line) if line.len() > MAX_LINE => Ok(Read::Refused(line_too_long(line.len()))),
                Ok(line) => Ok(Read::Line(line)),
                Err(ReadlineError::Interrupted) => Ok(Read::Interrupted),
                Err(ReadlineError::Eof) => Ok(Read::End),
                Err(ReadlineError::Io(err)) if err.kind() == io::ErrorKind::InvalidData => {
                    Ok(Read::Refused("that line was not valid UTF-8; type it again".to_string()))
                }
                Err(err) => Err(io::Error::other(err)),
            },
            LineSource::Lines(reader) => loop {
                let Some((bytes, len)) = read_bounded(reader.as_mut(), MAX_LINE)? else {
                    return Ok(Read::End);
                };
                if len > MAX_LINE {
                    return Ok(Read::Refused(line_too_long(len)));
                }
                // One stray byte (a Latin-1 `é`) must not end the drill: keep the line, mark the byte.
                let line = String::from_utf8_lossy(&bytes);
                let line = line.trim_end_matches(['\n', '\r']);
                // Comments and blank lines let scripts be annotated.
                if line.trim_start().starts_with('#') || line.trim().is_empty() {
                    continue;
                }
                return Ok(Read::Line(line.to_string()));
            },
        }
    }

    /// Whether the source shows its own prompt (a terminal) rather than needing it echoed.
    pub fn is_terminal(&self) -> bool {
        matches!(self, LineSource::Terminal(_))
    }
}

/// Reads one line of at most `max` bytes (the rest of a longer line is read and dropped); returns the kept
/// bytes and the line's full length, or `None` at the end of input.
fn read_bounded(reader: &mut dyn BufRead, max: usize) -> io::Result<Option<(Vec<u8>, usize)>> {
    let mut kept = Vec::new();
    let mut len = 0;
    let mut any = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if buf.is_empty() {
            return Ok(any.then_some((kept, len)));
        }
        any = true;
        let (chunk, used, ended) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..i], i + 1, true),
            None => (buf, buf.len(), false),
        };
        let room = (max + 1).saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
        len += chunk.len();
        reader.consume(used);
        if ended {
            return Ok(Some((kept, len)));
        }
    }
}

/// How a drill's text is shown.
#[derive(Clone, Copy, Debug, Default)]
pub struct Display {
    /// ANSI colours (only for a terminal).
    pub color: bool,
    /// Echo each prompt and line into the output, so a transcript in a file or pipe reads naturally.
    pub echo: bool,
    /// Whether the output is a terminal `clear` can clear.
    pub terminal: bool,
}

/// How a drill run ended, for the command line to report.
#[derive(Debug, Default)]
pub struct RunReport {
    /// The output failed (a closed pipe, a full disk) at this point; the drill went on without it.
    pub output_lost: Option<io::Error>,
    /// The drill was stopped by this signal.
    pub stopped_by: Option<Stop>,
    /// The journal could not be written: the drill stopped there, its journal intact up to the last input
    /// shown.
    pub journal_failed: Option<JournalError>,
}

/// Output that survives its reader: after the first failed write it swallows the rest, and remembers why.
struct Screen<'a> {
    out: &'a mut dyn Write,
    lost: Option<io::Error>,
}

impl Screen<'_> {
    fn write(&mut self, text: &str) {
        if self.lost.is_none()
            && let Err(err) = self.out.write_all(text.as_bytes()).and_then(|()| self.out.flush())
        {
            self.lost = Some(err);
        }
    }
}

/// Plays a drill until it ends, printing what the volunteer sees from event `shown` on (0 for a new drill).
/// Lines come from `feed`, typed by `who`; a signal it delivers ends the drill with the signal as the
/// reason, like `quit`. Every input goes through `drill.feed_input`, so a journaled drill has it on disk
/// before anything it caused is printed.
pub fn run(
    drill: &mut impl FeedDrill,
    shown: usize,
    who: &str,
    feed: &mut Feed,
    out: &mut dyn Write,
    display: Display,
) -> RunReport {
    let mut screen = Screen { out, lost: None };
    let mut report = RunReport::default();
    print_events(drill.drill(), shown..drill.drill().events().len(), &mut screen, display);
    while !drill.drill().is_over() {
        let prompt = prompt(drill.drill(), drill.drill().now());
        let input = match feed.next(&prompt) {
            Next::Read(Ok(Read::Line(line))) => {
                if display.echo {
                    screen.write(&echo(&prompt, &line));
                }
                if feed.is_interactive() && line.trim() == "resolve" {
                    match ask_five_ws(drill, who, feed, &mut screen, display) {
                        Asked::Resolve => DrillInput::line(who, &line),
                        Asked::Cancelled => continue,
                        Asked::End(input) => input,
                        Asked::Failed(err) => {
                            report.journal_failed = Some(err);
                            break;
                        }
                    }
                } else {
                    DrillInput::line(who, &line)
                }
            }
            Next::Read(Ok(Read::Refused(why))) => {
                if display.echo {
                    screen.write(&format!("{prompt}\n"));
                }
                screen.write(&format!("error: {why}\n"));
                continue;
            }
            Next::Read(Ok(Read::Interrupted)) => {
                screen.write("(line cancelled; `quit` or Ctrl-D ends the drill)\n");
                continue;
            }
            Next::Read(Ok(Read::End)) => DrillInput::End { reason: EndReason::EndOfInput },
            // A terminal that cannot be read any more is the end of input, not the end of the record.
            Next::Read(Err(err)) => {
                tracing::warn!(%err, "input failed; ending the drill");
                DrillInput::End { reason: EndReason::EndOfInput }
            }
            Next::Stop(stop) => {
                if !display.echo {
                    // The editor's prompt is still on the screen.
                    screen.write("\n");
                }
                report.stopped_by = Some(stop);
                DrillInput::End { reason: EndReason::Signal }
            }
        };
        match drill.feed_input(input) {
            Ok(range) => print_events(drill.drill(), range, &mut screen, display),
            Err(err) => {
                report.journal_failed = Some(err);
                break;
            }
        }
    }
    report.output_lost = screen.lost;
    report
}

/// What asking for the 5 Ws before `resolve` came to.
enum Asked {
    /// Go on and resolve.
    Resolve,
    /// Ctrl-C: back to the prompt without resolving.
    Cancelled,
    /// Input ended or a signal came: end the drill so.
    End(DrillInput),
    /// The journal could not be written.
    Failed(JournalError),
}

/// At a terminal, `resolve` first asks for each of the 5 Ws not yet recorded, one prompt each; an answer is
/// fed as the line `5w <question> <answer>`, journaled like any typed line, and Enter skips a question.
/// Piped or scripted input is never asked (the next lines are commands, not answers): `resolve` ends the
/// drill at once and the debrief shows the unanswered Ws.
fn ask_five_ws(
    drill: &mut impl FeedDrill,
    who: &str,
    feed: &mut Feed,
    screen: &mut Screen<'_>,
    display: Display,
) -> Asked {
    let missing = drill.drill().record().unanswered_five_ws();
    if missing.is_empty() || drill.drill().is_over() {
        return Asked::Resolve;
    }
    screen.write(&format!("{}\n", crate::session::five_ws_preamble(missing.len())));
    for (w, question) in missing {
        let prompt = format!("  {w}: {question} ");
        let answer = match feed.next(&prompt) {
            Next::Read(Ok(Read::Line(answer))) => answer,
            Next::Read(Ok(Read::Refused(why))) => {
                screen.write(&format!("error: {why}\n"));
                continue;
            }
            Next::Read(Ok(Read::Interrupted)) => {
                screen.write("(resolve cancelled; the drill goes on)\n");
                return Asked::Cancelled;
            }
            Next::Read(Ok(Read::End)) | Next::Read(Err(_)) => {
                return Asked::End(DrillInput::End { reason: EndReason::EndOfInput });
            }
            Next::Stop(_) => return Asked::End(DrillInput::End { reason: EndReason::Signal }),
        };
        if display.echo {
            screen.write(&format!("{prompt}{}\n", crate::session::escape_controls(&answer)));
        }
        if answer.trim().is_empty() {
            continue;
        }
        match drill.feed_input(DrillInput::line(who, &format!("5w {w} {}", answer.trim()))) {
            Ok(range) => print_events(drill.drill(), range, screen, display),
            Err(err) => return Asked::Failed(err),
        }
    }
    Asked::Resolve
}

/// The prompt shown at simulated time `t`: `14:05:30 wom> `.
pub fn prompt(drill: &Drill, t: i64) -> String {
    format!("{} wom> ", clock_label(drill.sim().page_time_of_day(), t))
}

/// A line as a transcript shows it after its prompt.
fn echo(prompt: &str, line: &str) -> String {
    format!("{prompt}{}\n", crate::session::escape_controls(line))
}

/// Prints one step of a recorded drill as `run` printed it: the line after its prompt (when there was a
/// line), then what the volunteer saw of `events`. For replays and resumes.
pub fn print_step(
    drill: &Drill,
    line: Option<&str>,
    at: i64,
    events: std::ops::Range<usize>,
    out: &mut dyn Write,
    display: Display,
) -> io::Result<()> {
    let mut screen = Screen { out, lost: None };
    if let Some(line) = line {
        screen.write(&echo(&prompt(drill, at), line));
    }
    print_events(drill, events, &mut screen, display);
    screen.lost.map_or(Ok(()), Err)
}

fn print_events(drill: &Drill, range: std::ops::Range<usize>, screen: &mut Screen<'_>, display: Display) {
    let tod = drill.sim().page_time_of_day();
    for event in &drill.events()[range] {
        if let EventKind::Command { name, .. } = &event.kind {
            if name == "clear" && display.terminal {
                screen.write("\x1b[H\x1b[2J\x1b[3J");
            }
            continue;
        }
        if let Some(doc) = volunteer_view(event, tod) {
            screen.write(&paint(&doc, display.color));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> LineSource {
        LineSource::Lines(Box::new(io::BufReader::with_capacity(16, io::Cursor::new(input.to_vec()))))
    }

    #[test]
    fn invalid_utf8_keeps_the_line_with_a_replacement_character() {
        let mut source = lines(b"status\nnote caf\xe9\n");
        assert_eq!(source.read("> ").unwrap(), Read::Line("status".into()));
        assert_eq!(source.read("> ").unwrap(), Read::Line("note caf\u{fffd}".into()));
        assert_eq!(source.read("> ").unwrap(), Read::End);
    }

    #[test]
    fn a_long_line_is_refused_and_the_next_one_read() {
        let mut input = vec![b'x'; 3 * MAX_LINE];
        input.extend_from_slice(b"\ntime\n");
        let mut source = lines(&input);
        assert_eq!(source.read("> ").unwrap(), Read::Refused(line_too_long(3 * MAX_LINE)));
        assert_eq!(source.read("> ").unwrap(), Read::Line("time".into()));
        let mut source = lines(&vec![b'y'; MAX_LINE]);
        assert_eq!(source.read("> ").unwrap(), Read::Line("y".repeat(MAX_LINE)), "exactly the limit is fine");
    }
}
